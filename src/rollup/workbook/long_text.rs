//! 长文本: the texts too long for their cell, whole, in segments.

use rust_xlsxwriter::{Workbook, XlsxError};

use crate::rollup::layout::{HEADER_ROW, long_cols, sheets};

use super::{SEGMENT_CHARS, Styles, finish_table, header_row, titles};

/// The long-text sheet, when some text was too long for its cell: each such text whole, in consecutive
/// rows of at most [`SEGMENT_CHARS`] characters, under the sheet and cell it continues.
pub(super) fn write_long_texts(wb: &mut Workbook, st: &Styles, period: &str) -> Result<(), XlsxError> {
    let overflow = std::mem::take(&mut *st.overflow.borrow_mut());
    if overflow.texts.is_empty() {
        return Ok(());
    }
    let ws = wb.add_worksheet();
    ws.set_name(sheets::LONG_TEXT)?;
    let headers: Vec<(String, f64)> =
        [(long_cols::SHEET, 28.0), (long_cols::CELL, 8.0), (long_cols::PART, 6.0), (long_cols::TEXT, 120.0)].iter().map(|(h, w)| (h.to_string(), *w)).collect();
    let width = headers.len() as u16;
    titles(ws, &format!("超出单元格上限的长文本({period})"), "每段至多32000字,同一单元格的各段按段号顺序相接即为全文", width, st)?;
    header_row(ws, HEADER_ROW, &headers, st)?;
    let mut r = HEADER_ROW + 1;
    for (sheet, cell, text) in &overflow.texts {
        let chars: Vec<char> = text.chars().collect();
        for (k, segment) in chars.chunks(SEGMENT_CHARS).enumerate() {
            let segment: String = segment.iter().collect();
            ws.write_string_with_format(r, 0, sheet, &st.text)?;
            ws.write_string_with_format(r, 1, cell.a1(), &st.center)?;
            ws.write_number_with_format(r, 2, (k + 1) as f64, &st.number)?;
            ws.write_string_with_format(r, 3, &segment, &st.text)?;
            r += 1;
        }
    }
    finish_table(ws, HEADER_ROW, r - 1, width)?;
    Ok(())
}
