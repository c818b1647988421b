//! Office Open XML workbooks, xlsx and xlsm, and their binary sibling xlsb, streamed cell by cell through
//! calamine so that a sheet is never held densely.

use std::io::Cursor;

use calamine::Reader;

use super::cells::{rect, stream_cells, visibility};
use super::error::{ReadError, corrupt};
use super::grid::{Format, Grid, Limits, Rect, Sheet, Value, Workbook};
use crate::cell::CellRef;

pub(super) fn read_xlsx(bytes: Vec<u8>, limits: &Limits) -> Result<Workbook, ReadError> {
    let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    let sheets = worksheets(
        &mut wb,
        limits,
        |wb, name| match wb.worksheet_cells_reader(name) {
            Ok(mut reader) => stream_cells(|| reader.next_cell(), limits),
            Err(e) => (Vec::new(), Some(corrupt(e))),
        },
        |wb, name| wb.merge_cells_by_sheet_name(name).map(|v| v.iter().map(rect).collect()).unwrap_or_default(),
    );
    Ok(Workbook { format: Format::Xlsx, sheets })
}

fn xlsx_error(e: calamine::XlsxError) -> ReadError {
    corrupt(e)
}

pub(super) fn read_xlsb(bytes: Vec<u8>, limits: &Limits) -> Result<Workbook, ReadError> {
    let mut wb: calamine::Xlsb<_> = calamine::Xlsb::new(Cursor::new(bytes)).map_err(corrupt)?;
    let sheets = worksheets(
        &mut wb,
        limits,
        |wb, name| match wb.worksheet_cells_reader(name) {
            Ok(mut reader) => stream_cells(|| reader.next_cell(), limits),
            Err(e) => (Vec::new(), Some(corrupt(e))),
        },
        // calamine does not expose xlsb merged ranges; values stay in the top-left cell.
        |_, _| Vec::new(),
    );
    Ok(Workbook { format: Format::Xlsb, sheets })
}

/// The worksheets of a workbook (chart sheets left out), each read with `cells` and, when its cells could
/// be read, its merged ranges found with `merges`. xlsx and xlsb share this; calamine gives their cell
/// readers no common trait, so each passes its own.
fn worksheets<RS: std::io::Read + std::io::Seek, W: Reader<RS>>(
    wb: &mut W,
    limits: &Limits,
    mut cells: impl FnMut(&mut W, &str) -> (Vec<(CellRef, Value)>, Option<ReadError>),
    mut merges: impl FnMut(&mut W, &str) -> Vec<Rect>,
) -> Vec<Sheet> {
    let meta: Vec<_> = wb.sheets_metadata().to_vec();
    let mut sheets = Vec::new();
    for m in meta {
        if m.typ != calamine::SheetType::WorkSheet {
            continue;
        }
        let (cells, error) = cells(wb, &m.name);
        let merges = if error.is_none() { merges(wb, &m.name) } else { Vec::new() };
        sheets.push(Sheet { name: m.name, visibility: visibility(m.visible), grid: Grid::new(cells, merges, limits), error, formulas_without_value: Vec::new(), total_rows: Vec::new() });
    }
    sheets
}
