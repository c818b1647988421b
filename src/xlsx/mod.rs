//! What every workbook taizhang writes shares: the print setup, row heights that show wrapped text, and
//! sheet names quoted for formulas; [`style`] is the one palette (fonts, colours, the base format),
//! [`meta`] the hidden sheet by which taizhang recognises its own templates.

pub mod meta;
pub mod style;

use rust_xlsxwriter::{Worksheet, XlsxError};

/// Print setup shared by every printable sheet: A4 landscape, one page wide, header row repeated, page
/// numbers in the footer.
pub fn print_setup(ws: &mut Worksheet, repeat_first: u32, repeat_last: u32) -> Result<(), XlsxError> {
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_margins(0.4, 0.4, 0.6, 0.6, 0.3, 0.3);
    ws.set_print_center_horizontally(true);
    ws.set_repeat_rows(repeat_first, repeat_last)?;
    ws.set_footer("&C第 &P 页,共 &N 页");
    Ok(())
}

/// Display width of text in Excel character units: East Asian wide characters take two, and so do the
/// ambiguous ones (…, —, ①), which the 宋体 and 黑体 of the workbooks draw full width.
pub fn display_width(s: &str) -> f64 {
    unicode_width::UnicodeWidthStr::width_cjk(s) as f64
}

/// A row height (points) that shows every cell's wrapped text: the most lines any cell needs, each
/// `line` points high. Cells are (text, column width in character units).
pub fn fit_height(cells: &[(&str, f64)], line: f64) -> f64 {
    let lines = cells
        .iter()
        .map(|(text, width)| {
            let usable = (width - 1.0).max(1.0);
            text.split('\n').map(|l| (display_width(l) / usable).ceil().max(1.0)).sum::<f64>()
        })
        .fold(1.0, f64::max);
    (lines * line + 4.0).min(409.0)
}


/// Excel's limit on the characters of a cell; rust_xlsxwriter refuses a longer string.
pub const MAX_CELL_CHARS: usize = 32_767;

/// Whether `s` fits in one cell.
pub fn fits_cell(s: &str) -> bool {
    s.len() <= MAX_CELL_CHARS || s.chars().count() <= MAX_CELL_CHARS
}

/// `s` as a cell can hold it, for the workbooks that cannot keep a longer text elsewhere (a template
/// prefilled from last quarter, a prefecture's corrections, the comparison of two quarters): its
/// beginning, saying that and how much was left out. The rollup keeps such texts whole instead.
pub fn cut_to_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if fits_cell(s) {
        return std::borrow::Cow::Borrowed(s);
    }
    let head: String = s.chars().take(MAX_CELL_CHARS - 60).collect();
    std::borrow::Cow::Owned(format!("{head}…(原文共{}字,超出 Excel 单元格上限,此处只保留前部分)", s.chars().count()))
}

/// Quotes a sheet name for use in a formula, always. (`rust_xlsxwriter::utility::quote_sheet_name` quotes
/// only where Excel requires it and would leave 下拉列表 bare: the dropdowns' formulas, and the bytes of
/// every template, would change for no gain; a name edited in template.toml is quoted either way.)
pub fn quote_sheet(name: &str) -> String {
    format!("'{}'", name.replace('\'', "''"))
}

