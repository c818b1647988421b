//! 附件2 质量提升台账 (全省汇总): the province's ledger, one return at a time, continued on further sheets
//! past Excel's row limit.

use polars::prelude::*;
use rust_xlsxwriter::Workbook;

use crate::refdata::RefData;
use crate::rollup::layout::{cols, sheets};
use crate::rollup::merge::Merged;

use super::{Cell, MAX_ROWS, RollupError, Styles, Val, finish_table, header_row, put_row_sized, titles};

pub(super) fn write_ledger(wb: &mut Workbook, refdata: &RefData, m: &Merged, st: &Styles, period: &str, scope: &str) -> Result<(), RollupError> {
    let seq = Some(refdata.ledger.keys.seq);
    let mut headers: Vec<(String, f64)> = vec![(cols::SEQ.into(), 5.0), (cols::PREFECTURE.into(), 10.0)];
    for (i, c) in refdata.ledger.columns.iter().enumerate() {
        if Some(i) != seq {
            // The rollup prints all columns on one page width: long texts get a little less room.
            headers.push((c.name.clone(), c.width.min(26.0)));
        }
    }
    for e in &m.extra_columns {
        headers.push((e.clone(), 14.0));
    }
    headers.push((cols::FILE.into(), 24.0));
    headers.push((cols::CELL.into(), 18.0));
    headers.push((cols::ORIGINAL_SEQ.into(), 6.0));
    let centered: Vec<bool> = headers.iter().map(|(h, _)| [cols::SEQ, cols::PREFECTURE, cols::ORIGINAL_SEQ].contains(&h.as_str())).collect();
    let widths: Vec<f64> = headers.iter().map(|(_, w)| *w).collect();
    // The print area is 附件2 itself (序号, 填报市州 and the ledger's columns); extra columns and the
    // provenance columns are in the sheet, to the right of it.
    let printed = 2 + refdata.ledger.columns.len() as u16 - u16::from(seq.is_some());
    let table = LedgerTable { headers: &headers, centered, widths, printed, sized: m.ledger.height() <= ROW_HEIGHTS_UP_TO };
    let mut sheet = table.open(wb, refdata, st, period, scope, 0)?;
    let mut in_sheet = 0usize;
    // One return at a time, read back from where `consolidate` spilled it, its columns iterated in
    // place: a national collection has a million rows, and no copy of them is ever whole in memory.
    for part in m.ledger.parts() {
        let part = part?;
        let mut values = column_values(&part, &headers);
        for _ in 0..part.height() {
            if in_sheet == LEDGER_ROWS_PER_SHEET {
                table.close(wb, sheet, in_sheet)?;
                sheet = table.open(wb, refdata, st, period, scope, sheet.1 + 1)?;
                in_sheet = 0;
            }
            let cells: Vec<Cell<'_>> = values
                .iter_mut()
                .enumerate()
                .map(|(c, col)| {
                    let f = if table.centered[c] { &st.center } else { &st.text };
                    match col.next().unwrap_or(Val::Null) {
                        Val::S(v) => Cell::S(v, f),
                        Val::N(n) => Cell::N(n, f),
                        Val::Null => Cell::B(f),
                    }
                })
                .collect();
            put_row_sized(wb.worksheet_from_index(sheet.0)?, LEDGER_HEADER + 1 + in_sheet as u32, &cells, &table.widths, table.sized, st)?;
            in_sheet += 1;
        }
    }
    table.close(wb, sheet, in_sheet)?;
    Ok(())
}

/// Row of the 附件2 sheets' header; data rows follow it.
const LEDGER_HEADER: u32 = 2;
/// Data rows an 附件2 sheet holds before the ledger continues on the next one (Excel's row limit).
const LEDGER_ROWS_PER_SHEET: usize = (MAX_ROWS - LEDGER_HEADER - 1) as usize;
/// Up to this many enterprises each 附件2 row gets the height its wrapped text needs (LibreOffice and WPS
/// do not grow rows on opening, and a row without a height prints clipped). A larger ledger — a national
/// collection, which nobody prints — keeps the default height: rust_xlsxwriter keeps every row's options
/// until the workbook is closed, even in constant-memory mode, some 400 bytes a row.
pub const ROW_HEIGHTS_UP_TO: usize = 100_000;

/// How the 附件2 sheets are laid out.
struct LedgerTable<'a> {
    headers: &'a [(String, f64)],
    centered: Vec<bool>,
    widths: Vec<f64>,
    printed: u16,
    sized: bool,
}

impl LedgerTable<'_> {
    /// Adds the `part`-th 附件2 sheet (the first, or a continuation "(续N)") with its titles and header;
    /// gives its index in the workbook and `part`.
    fn open(&self, wb: &mut Workbook, refdata: &RefData, st: &Styles, period: &str, scope: &str, part: usize) -> Result<(usize, usize), RollupError> {
        let index = wb.worksheets().len();
        let ws = wb.add_worksheet_with_constant_memory()?;
        let name = if part == 0 { sheets::LEDGER.to_string() } else { sheets::ledger_continued(part) };
        ws.set_name(&name)?;
        titles(ws, &format!("{}({period}全省汇总)", refdata.ledger.title), scope, self.printed, st)?;
        header_row(ws, LEDGER_HEADER, self.headers, st)?;
        Ok((index, part))
    }

    /// Finishes a sheet holding `rows` data rows: the table's borders and filter, the print area.
    fn close(&self, wb: &mut Workbook, (index, _): (usize, usize), rows: usize) -> Result<(), RollupError> {
        let ws = wb.worksheet_from_index(index)?;
        let last = LEDGER_HEADER + rows as u32;
        finish_table(ws, LEDGER_HEADER, last, self.headers.len() as u16)?;
        ws.set_print_area(0, 0, last.max(LEDGER_HEADER), self.printed - 1)?;
        Ok(())
    }
}

/// The values of one return's rows, column by column in the order of `headers`: numbers (序号) as
/// numbers, a column the return does not have as blanks.
fn column_values<'a>(part: &'a DataFrame, headers: &[(String, f64)]) -> Vec<Box<dyn Iterator<Item = Val<'a>> + 'a>> {
    headers
        .iter()
        .map(|(h, _)| -> Box<dyn Iterator<Item = Val<'a>> + 'a> {
            let Ok(c) = part.column(h) else { return Box::new(std::iter::repeat_with(|| Val::Null)) };
            if c.dtype().is_integer() {
                let n = c.cast(&DataType::Float64).ok().and_then(|c| c.f64().ok().map(|ca| ca.iter().map(|v| v.map_or(Val::Null, Val::N)).collect::<Vec<_>>()));
                return Box::new(n.unwrap_or_default().into_iter());
            }
            match c.str() {
                Ok(ca) => Box::new(ca.iter().map(|v| v.map_or(Val::Null, Val::S))),
                Err(_) => Box::new(std::iter::repeat_with(|| Val::Null)),
            }
        })
        .collect()
}
