//! Office Open XML workbooks, xlsx and xlsm, and their binary sibling xlsb, streamed cell by cell through
//! calamine so that a sheet is never held densely.
//!
//! An xlsx sheet is read once: calamine's `next_cell_with_formula_metadata` gives each cell's value and
//! whether it holds a formula in the same pass as `next_cell` would (derived shared formulas are not
//! expanded), so a formula whose value the file does not hold is noticed at no cost to a sheet without
//! formulas. The totals rows of Excel tables come from the table parts ([`super::listobjects`]), read only
//! when the package has any.

use std::io::Cursor;

use calamine::Reader;

use super::cells::{SheetCells, rect, stream_cells, visibility};
use super::error::{ReadError, corrupt};
use super::grid::{Format, Grid, Limits, Rect, Sheet, Workbook};
use super::listobjects;


pub(super) fn read_xlsx(bytes: Vec<u8>, limits: &Limits) -> Result<Workbook, ReadError> {
    let totals = listobjects::total_rows(&bytes);
    let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    let mut sheets = worksheets(
        &mut wb,
        limits,
        |wb, name| match wb.worksheet_cells_reader(name) {
            Ok(mut reader) => stream_cells(
                || {
                    reader.next_cell_with_formula_metadata().map(|c| c.map(|c| (c.pos, c.value, c.formula.is_some())))
                },
                limits,
            ),
            Err(e) => SheetCells { cells: Vec::new(), formulas_without_value: Vec::new(), error: Some(corrupt(e)) },
        },
        |wb, name| wb.merge_cells_by_sheet_name(name).map(|v| v.iter().map(rect).collect()).unwrap_or_default(),
    );
    for s in &mut sheets {
        if let Some(rows) = totals.get(&s.name) {
            s.total_rows.clone_from(rows);
        }
    }
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
        // xlsb formula records always carry their value: there is nothing to notice.
        |wb, name| match wb.worksheet_cells_reader(name) {
            Ok(mut reader) => stream_cells(
                || reader.next_cell().map(|c| c.map(|c| (c.get_position(), c.get_value().clone(), false))),
                limits,
            ),
            Err(e) => SheetCells { cells: Vec::new(), formulas_without_value: Vec::new(), error: Some(corrupt(e)) },
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
    mut cells: impl FnMut(&mut W, &str) -> SheetCells,
    mut merges: impl FnMut(&mut W, &str) -> Vec<Rect>,
) -> Vec<Sheet> {
    let meta: Vec<_> = wb.sheets_metadata().to_vec();
    let mut sheets = Vec::new();
    for m in meta {
        if m.typ != calamine::SheetType::WorkSheet {
            continue;
        }
        let read = cells(wb, &m.name);
        let merges = if read.error.is_none() { merges(wb, &m.name) } else { Vec::new() };
        let mut sheet = Sheet::new(m.name, visibility(m.visible), Grid::new(read.cells, merges, limits), read.error);
        sheet.formulas_without_value = read.formulas_without_value;
        sheets.push(sheet);
    }
    sheets
}
