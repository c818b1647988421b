//! The one palette of every workbook taizhang writes (templates, corrections, the rollup, the
//! comparison): the fonts, the colours and what each colour means, and the base cell format. Each
//! workbook builds its formats from these, so a colour means the same thing everywhere and is changed in
//! one place.

use rust_xlsxwriter::{Color, Format, FormatAlign};

/// The body text of every workbook, as in the plan's own tables.
pub const BODY_FONT: &str = "宋体";
/// Titles and headers.
pub const TITLE_FONT: &str = "黑体";

/// Header rows.
pub const HEADER_FILL: Color = Color::RGB(0xD9E1F2);
/// A task's heading line in 附件1 进展明细.
pub const HEADING_FILL: Color = Color::RGB(0xDDEBF7);
/// Cells a prefecture fills in (the info line of a template).
pub const INPUT_FILL: Color = Color::RGB(0xFFF8DC);
/// A cell with an error-level finding (corrections).
pub const ERROR_FILL: Color = Color::RGB(0xFFC7CE);
/// A cell with a warning (corrections); a task in progress (推进中).
pub const WARNING_FILL: Color = Color::RGB(0xFFEB9C);
/// Done (已完成), a target met.
pub const DONE_FILL: Color = Color::RGB(0xC6EFCE);
/// Totals; a task not started (未启动).
pub const GREY_FILL: Color = Color::RGB(0xEDEDED);
/// A prefecture with no return in the rollup.
pub const MISSING_FILL: Color = Color::RGB(0xF8CBAD);
/// A prefecture with no return, in the task matrix.
pub const MISSING_LIGHT_FILL: Color = Color::RGB(0xFBE5D6);
/// Below a per-prefecture target.
pub const BELOW_TARGET_FILL: Color = Color::RGB(0xFFE699);
/// Last quarter's value in the comparison.
pub const OLD_FILL: Color = Color::RGB(0xF2F2F2);
/// This quarter's value in the comparison.
pub const NEW_FILL: Color = Color::RGB(0xE2EFDA);
/// The data bars and bars of completion rates.
pub const RATE_BAR: Color = Color::RGB(0x63BE7B);
/// The text of an error count or severity.
pub const ERROR_TEXT: Color = Color::RGB(0xC00000);
/// The text of a warning count.
pub const WARNING_TEXT: Color = Color::RGB(0x9C5700);
/// Text that says what is not there.
pub const MUTED_TEXT: Color = Color::RGB(0x7F7F7F);

/// The base of every cell format: the body font at `size` points, vertically centred.
pub fn base(size: f64) -> Format {
    Format::new().set_font_name(BODY_FONT).set_font_size(size).set_align(FormatAlign::VerticalCenter)
}

/// A sheet's title over `base`: the title font, `size` points, bold, centred.
pub fn title(base: &Format, size: f64) -> Format {
    base.clone().set_font_name(TITLE_FONT).set_font_size(size).set_bold().set_align(FormatAlign::Center)
}

/// A cell of a table over `base`: thin borders, text wrapped.
pub fn bordered(base: &Format) -> Format {
    base.clone().set_border(rust_xlsxwriter::FormatBorder::Thin).set_text_wrap()
}

/// A table's header over a table cell: the title font, bold, centred, on the header fill.
pub fn header(cell: &Format) -> Format {
    cell.clone().set_font_name(TITLE_FONT).set_bold().set_align(FormatAlign::Center).set_background_color(HEADER_FILL)
}
