//! OpenDocument spreadsheets: a first pass over `content.xml` for what calamine does not give us, then
//! calamine for the values.
//!
//! calamine reads ODS values but not merged cells: LibreOffice writes a merged range as one cell with
//! `table:number-rows-spanned` / `table:number-columns-spanned` followed by `table:covered-table-cell`s, and
//! calamine reads the covered cells as empty. This pass records those spans per sheet so the grid can fill
//! them like xlsx and xls merges. It also counts the cells the file would expand to (rows and columns can be
//! "repeated" any number of times, and a hostile file declares billions), so an oversized file is refused
//! before calamine allocates anything. A cell with a `table:formula` and no `office:value-type` holds a
//! formula whose value was never computed (files written by scripts); the pass notes those too.

use std::io::{BufReader, Read, Seek};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::cell::CellRef;
use super::cells::{range_cells, visibility};
use super::error::{ReadError, corrupt};
use super::grid::{Format, Grid, Limits, Rect, Sheet, Workbook};

/// Merged ranges of each sheet, in sheet order, and the cells holding a formula but no value.
#[derive(Debug, Clone, Default)]
pub struct Spans {
    pub by_sheet: Vec<Vec<Rect>>,
    pub formulas_without_value: Vec<Vec<CellRef>>,
}

fn attr_u64(e: &BytesStart<'_>, name: &str) -> Option<u64> {
    e.attributes().flatten().find(|a| a.key.as_ref() == name).and_then(|a| a.value.trim().parse().ok())
}

fn has_attr(e: &BytesStart<'_>, name: &str) -> bool {
    e.attributes().flatten().any(|a| a.key.as_ref() == name)
}

/// Scans `content.xml`: merged ranges per sheet, and a refusal when the sheet expands past the limits.
///
/// # Errors
/// [`ReadError::TooLarge`] when a sheet would hold more non-empty cells than `limits.max_cells`;
/// [`ReadError::Corrupt`] when `content.xml` is missing or not well-formed.
pub fn scan<R: Read + Seek>(zip: &mut zip::ZipArchive<R>, limits: &Limits) -> Result<Spans, ReadError> {
    let file = zip.by_name("content.xml").map_err(|_| ReadError::Corrupt("缺少 content.xml".into()))?;
    let mut reader = Reader::from_reader(BufReader::new(file.take(limits.max_unzipped_bytes)));
    let mut buf = Vec::new();
    let mut spans = Spans::default();
    let mut row: u64 = 0;
    let mut col: u64 = 0;
    let mut row_repeat: u64 = 1;
    // Non-empty cells of the current row (before row repetition) and of the current sheet.
    let mut row_cells: u64 = 0;
    // (first column, repetition) of the current row's cells that hold a formula but no value.
    let mut row_formulas: Vec<(u64, u64)> = Vec::new();
    let mut sheet_cells: u64 = 0;
    // The open cell: its column repetition and whether it holds anything.
    let mut cell: Option<(u64, bool)> = None;
    let max = limits.max_cells as u64;
    let too_large = || ReadError::TooLarge(format!("工作表展开后超过 {max} 个非空单元格"));
    let mut events = 0u64;
    loop {
        events += 1;
        if events % 65_536 == 0 {
            limits.in_time()?;
        }
        let ev = reader.read_event_into(&mut buf).map_err(|e| corrupt(format!("content.xml: {e}")))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                match e.name().as_ref() {
                    "table:table" => {
                        spans.by_sheet.push(Vec::new());
                        spans.formulas_without_value.push(Vec::new());
                        row = 0;
                        sheet_cells = 0;
                    }
                    "table:table-row" => {
                        row_repeat = attr_u64(e, "table:number-rows-repeated").unwrap_or(1).max(1);
                        col = 0;
                        row_cells = 0;
                        row_formulas.clear();
                        if empty {
                            row = row.saturating_add(row_repeat);
                        }
                    }
                    "table:table-cell" | "table:covered-table-cell" => {
                        let repeat = attr_u64(e, "table:number-columns-repeated").unwrap_or(1).max(1);
                        let rows = attr_u64(e, "table:number-rows-spanned").unwrap_or(1);
                        let cols = attr_u64(e, "table:number-columns-spanned").unwrap_or(1);
                        if (rows > 1 || cols > 1)
                            && e.name().as_ref() == "table:table-cell"
                            && let Some(sheet) = spans.by_sheet.last_mut()
                            && row <= u64::from(u32::MAX)
                            && col <= u64::from(u32::MAX)
                        {
                            let last_r = row.saturating_add(rows - 1).min(u64::from(u32::MAX));
                            let last_c = col.saturating_add(cols - 1).min(u64::from(u32::MAX));
                            sheet.push(Rect::new(CellRef::new(row as u32, col as u32), CellRef::new(last_r as u32, last_c as u32)));
                        }
                        let valued = has_attr(e, "office:value-type");
                        if !valued && has_attr(e, "table:formula") {
                            // Counted with the sheet's cells, so that repetition cannot make the list huge.
                            row_formulas.push((col, repeat));
                            row_cells = row_cells.saturating_add(repeat);
                        }
                        if empty {
                            if valued {
                                row_cells = row_cells.saturating_add(repeat);
                            }
                            col = col.saturating_add(repeat);
                        } else {
                            cell = Some((repeat, valued));
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(ref t) => {
                if let Some((_, has)) = cell.as_mut()
                    && !t.chars().all(char::is_whitespace)
                {
                    *has = true;
                }
            }
            Event::End(ref e) => match e.name().as_ref() {
                "table:table-cell" | "table:covered-table-cell" => {
                    if let Some((repeat, has)) = cell.take() {
                        if has {
                            row_cells = row_cells.saturating_add(repeat);
                        }
                        col = col.saturating_add(repeat);
                    }
                }
                "table:table-row" => {
                    sheet_cells = sheet_cells.saturating_add(row_cells.saturating_mul(row_repeat));
                    if sheet_cells > max {
                        return Err(too_large());
                    }
                    if let Some(list) = spans.formulas_without_value.last_mut() {
                        note_formulas(list, row, row_repeat, &row_formulas);
                    }
                    row = row.saturating_add(row_repeat);
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(spans)
}

/// Adds the positions of a row's formulas without value, for each repetition of the row (the caller has
/// checked their number against the cell limit).
fn note_formulas(list: &mut Vec<CellRef>, row: u64, row_repeat: u64, formulas: &[(u64, u64)]) {
    for r in row..row.saturating_add(row_repeat) {
        for &(col, repeat) in formulas {
            for c in col..col.saturating_add(repeat) {
                if let (Ok(r), Ok(c)) = (u32::try_from(r), u32::try_from(c)) {
                    list.push(CellRef::new(r, c));
                }
            }
        }
    }
}

pub(super) fn read_ods(bytes: Vec<u8>, spans: Spans, limits: &Limits) -> Result<Workbook, ReadError> {
    use calamine::Reader as _;
    let mut wb: calamine::Ods<_> = calamine::Ods::new(std::io::Cursor::new(bytes)).map_err(corrupt)?;
    let meta: Vec<_> = wb.sheets_metadata().to_vec();
    let mut sheets = Vec::new();
    for (i, m) in meta.into_iter().enumerate() {
        let merges = spans.by_sheet.get(i).cloned().unwrap_or_default();
        let formulas = spans.formulas_without_value.get(i).cloned().unwrap_or_default();
        let (grid, error) = match wb.worksheet_range(&m.name).map_err(corrupt).and_then(|r| range_cells(&r, limits)) {
            Ok(cells) => (Grid::new(cells, merges, limits), None),
            Err(e) => (Grid::default(), Some(e)),
        };
        let mut sheet = Sheet::new(m.name, visibility(m.visible), grid, error);
        sheet.formulas_without_value = formulas;
        sheets.push(sheet);
    }
    Ok(Workbook { format: Format::Ods, sheets })
}
