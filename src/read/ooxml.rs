//! Office Open XML workbooks, xlsx and xlsm, and their binary sibling xlsb, streamed cell by cell through
//! calamine so that a sheet is never held densely.

use std::io::Cursor;

use calamine::Reader;

use super::cells::{rect, stream_cells, visibility};
use super::error::{ReadError, corrupt};
use super::grid::{Format, Grid, Limits, Sheet, Workbook};

pub(super) fn read_xlsx(bytes: Vec<u8>, limits: &Limits) -> Result<Workbook, ReadError> {
    let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    let meta: Vec<_> = wb.sheets_metadata().to_vec();
    let mut sheets = Vec::new();
    for m in meta {
        if m.typ != calamine::SheetType::WorkSheet {
            continue;
        }
        let (cells, error) = match wb.worksheet_cells_reader(&m.name) {
            Ok(mut reader) => stream_cells(|| reader.next_cell(), limits),
            Err(e) => (Vec::new(), Some(corrupt(e))),
        };
        let merges = if error.is_none() {
            wb.merge_cells_by_sheet_name(&m.name).map(|v| v.iter().map(rect).collect()).unwrap_or_default()
        } else {
            Vec::new()
        };
        sheets.push(Sheet { name: m.name, visibility: visibility(m.visible), grid: Grid::new(cells, merges, limits), error });
    }
    Ok(Workbook { format: Format::Xlsx, sheets })
}

fn xlsx_error(e: calamine::XlsxError) -> ReadError {
    corrupt(e)
}

pub(super) fn read_xlsb(bytes: Vec<u8>, limits: &Limits) -> Result<Workbook, ReadError> {
    let mut wb: calamine::Xlsb<_> = calamine::Xlsb::new(Cursor::new(bytes)).map_err(corrupt)?;
    let meta: Vec<_> = wb.sheets_metadata().to_vec();
    let mut sheets = Vec::new();
    for m in meta {
        if m.typ != calamine::SheetType::WorkSheet {
            continue;
        }
        let (cells, error) = match wb.worksheet_cells_reader(&m.name) {
            Ok(mut reader) => stream_cells(|| reader.next_cell(), limits),
            Err(e) => (Vec::new(), Some(corrupt(e))),
        };
        // calamine does not expose xlsb merged ranges; values stay in the top-left cell.
        sheets.push(Sheet { name: m.name, visibility: visibility(m.visible), grid: Grid::new(cells, Vec::new(), limits), error });
    }
    Ok(Workbook { format: Format::Xlsb, sheets })
}
