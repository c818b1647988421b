//! The provincial rollup workbook: what the office hands up, laid out like the plan's 附件1 and 附件2,
//! printable as it is, saying who returned what, what is wrong where, and how far each prefecture is.
//!
//! Every sheet is print-ready (A4 landscape, one page wide, header rows repeated, page numbers, borders,
//! wrapped text), has a frozen header and an autofilter. Text is always written as text, never as a
//! formula, so a value such as "=1+1" typed by a prefecture stays what it is.
//!
//! This file holds what the sheets share (the formats, writing a row with the height its text needs,
//! titles and headers, texts too long for a cell) and the order of the sheets; each sheet is written by
//! a file of its own under `workbook/`, named after it.

use polars::prelude::*;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};

use crate::cell::CellRef;
use crate::refdata::RefData;
use crate::rollup::layout::{HEADER_ROW, sheets};
use crate::rollup::merge::{Merged, ReturnStatus};
use crate::xlsx::style;
use crate::xlsx::{fit_height, print_setup};

mod findings;
mod indicators;
mod industry;
mod ledger;
mod long_text;
mod progress;
mod summary;
mod tasks;

pub use ledger::ROW_HEIGHTS_UP_TO;
pub use tasks::MATRIX_LEGEND;

/// Excel's limit on the rows of a sheet.
const MAX_ROWS: u32 = 1_048_576;
/// The deflate level of the rollup's parts. Deflate is done on one thread after the last return is read;
/// level 3 instead of the writer's default 6 took a province's rollup from 1.91–1.97 s to 1.63–1.74 s for a
/// file 21% larger (4.9 MB → 5.9 MB for 42,000 enterprises); level 1 saves another 0.1 s but makes the file
/// 77% larger, too much for a workbook that is mailed upward. Measured in BENCHMARKS.md.
const ZIP_LEVEL: u8 = 3;

/// A problem writing the rollup.
#[derive(Debug, thiserror::Error)]
pub enum RollupError {
    #[error("生成汇总表失败: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("读取合并结果失败: {0}")]
    Polars(#[from] PolarsError),
}

struct Styles {
    title: Format,
    subtitle: Format,
    label: Format,
    header: Format,
    text: Format,
    center: Format,
    number: Format,
    missing: Format,
    missing_center: Format,
    below_target: Format,
    total: Format,
    total_number: Format,
    error: Format,
    warning: Format,
    done: Format,
    ongoing: Format,
    not_started: Format,
    /// Texts too long for their cell, kept for the long-text sheet.
    overflow: std::cell::RefCell<Overflow>,
}

impl Styles {
    fn new() -> Self {
        let base = style::base(10.0);
        let cell = style::bordered(&base);
        Styles {
            title: style::title(&base, 16.0),
            subtitle: base.clone().set_font_size(11).set_align(FormatAlign::Center).set_text_wrap(),
            label: base.clone().set_font_size(11).set_bold(),
            header: style::header(&cell),
            text: cell.clone().set_align(FormatAlign::Top),
            center: cell.clone().set_align(FormatAlign::Center),
            number: cell.clone().set_align(FormatAlign::Center).set_num_format("0"),
            missing: cell.clone().set_background_color(style::MISSING_FILL),
            missing_center: cell.clone().set_align(FormatAlign::Center).set_background_color(style::MISSING_FILL),
            below_target: cell.clone().set_align(FormatAlign::Center).set_num_format("0").set_background_color(style::BELOW_TARGET_FILL),
            total: cell.clone().set_bold().set_align(FormatAlign::Center).set_background_color(style::GREY_FILL),
            total_number: cell.clone().set_bold().set_align(FormatAlign::Center).set_num_format("0").set_background_color(style::GREY_FILL),
            error: cell.clone().set_align(FormatAlign::Center).set_font_color(style::ERROR_TEXT).set_bold(),
            warning: cell.clone().set_align(FormatAlign::Center).set_font_color(style::WARNING_TEXT),
            done: cell.clone().set_align(FormatAlign::Center).set_background_color(style::DONE_FILL),
            ongoing: cell.clone().set_align(FormatAlign::Center).set_background_color(style::WARNING_FILL),
            not_started: cell.set_align(FormatAlign::Center).set_background_color(style::GREY_FILL),
            overflow: std::cell::RefCell::default(),
        }
    }
}

/// Texts longer than a cell holds (a prefecture's 进展情况及成效 pasted from a report), kept whole in a
/// sheet of their own: the cell shows the text's beginning and says where the rest is, and the
/// [`sheets::LONG_TEXT`] sheet holds the whole text in consecutive rows of at most [`SEGMENT_CHARS`]
/// characters each, named by the sheet and cell they continue, in order. Nothing is cut away.
#[derive(Default)]
struct Overflow {
    /// (sheet, cell, the whole text), in the order the cells were written.
    texts: Vec<(String, CellRef, String)>,
    /// Rows the long-text sheet has so far (its next data row is `HEADER_ROW + 1 + rows`).
    rows: u32,
}

/// Characters of one row of the long-text sheet: under Excel's limit, with room for nothing else.
const SEGMENT_CHARS: usize = 32_000;

impl Overflow {
    /// What a cell of `sheet` at `cell` shows for `s`: `s` itself when it fits, else its beginning and where
    /// the rest is, the whole text kept for the long-text sheet.
    fn fit<'a>(&mut self, sheet: &str, cell: CellRef, s: &'a str) -> std::borrow::Cow<'a, str> {
        if crate::xlsx::fits_cell(s) {
            return std::borrow::Cow::Borrowed(s);
        }
        let n = s.chars().count();
        let segments = n.div_ceil(SEGMENT_CHARS) as u32;
        let first = HEADER_ROW + 2 + self.rows;
        self.rows += segments;
        self.texts.push((sheet.to_string(), cell, s.to_string()));
        let head: String = s.chars().take(crate::xlsx::MAX_CELL_CHARS - 100).collect();
        std::borrow::Cow::Owned(format!(
            "{head}…(全文共{n}字,超出 Excel 单元格上限 {} 字;全文见「{}」工作表第{first}至{}行)",
            crate::xlsx::MAX_CELL_CHARS,
            sheets::LONG_TEXT,
            first + segments - 1
        ))
    }
}

/// A value of a frame, borrowed.
#[derive(Clone, Copy)]
enum Val<'a> {
    S(&'a str),
    N(f64),
    Null,
}

/// A cell of a table row.
enum Cell<'a> {
    S(&'a str, &'a Format),
    N(f64, &'a Format),
    B(&'a Format),
}

/// Points per line of wrapped 10-point text.
const LINE: f64 = 13.0;

/// Writes a row of cells from `first` on, tall enough for the wrapped text of every cell: LibreOffice and
/// WPS do not grow rows by themselves when they open a file, so a row without a height prints clipped.
fn put_row(ws: &mut Worksheet, r: u32, cells: &[Cell<'_>], widths: &[f64], st: &Styles) -> Result<(), XlsxError> {
    put_row_sized(ws, r, cells, widths, true, st)
}

/// [`put_row`], giving the row its height only when `sized`.
fn put_row_sized(ws: &mut Worksheet, r: u32, cells: &[Cell<'_>], widths: &[f64], sized: bool, st: &Styles) -> Result<(), XlsxError> {
    if sized {
        size_row(ws, r, cells, widths)?;
    }
    for (i, c) in cells.iter().enumerate() {
        let col = i as u16;
        match c {
            Cell::S(s, f) => {
                let shown = st.overflow.borrow_mut().fit(ws.name().as_str(), CellRef::new(r, u32::from(col)), s);
                ws.write_string_with_format(r, col, shown.as_ref(), f)?
            }
            Cell::N(n, f) => ws.write_number_with_format(r, col, *n, f)?,
            Cell::B(f) => ws.write_blank(r, col, f)?,
        };
    }
    Ok(())
}

/// Makes a row tall enough for the wrapped text of every cell.
fn size_row(ws: &mut Worksheet, r: u32, cells: &[Cell<'_>], widths: &[f64]) -> Result<(), XlsxError> {
    let texts: Vec<(&str, f64)> = cells
        .iter()
        .zip(widths)
        .filter_map(|(c, w)| match c {
            Cell::S(s, _) => Some((*s, *w)),
            _ => None,
        })
        .collect();
    let h = fit_height(&texts, LINE);
    if h > LINE + 4.0 {
        ws.set_row_height(r, h)?;
    }
    Ok(())
}

/// Writes a table header row and sets up the sheet around it.
fn header_row(ws: &mut Worksheet, row: u32, headers: &[(String, f64)], st: &Styles) -> Result<(), XlsxError> {
    for (i, (h, w)) in headers.iter().enumerate() {
        ws.write_string_with_format(row, i as u16, h, &st.header)?;
        ws.set_column_width(i as u16, *w)?;
    }
    ws.set_row_height(row, 30)?;
    Ok(())
}

/// Title and subtitle merged across `width` columns.
fn titles(ws: &mut Worksheet, title: &str, subtitle: &str, width: u16, st: &Styles) -> Result<(), XlsxError> {
    let last = width.saturating_sub(1);
    if last == 0 {
        ws.write_string_with_format(0, 0, title, &st.title)?;
        ws.write_string_with_format(1, 0, subtitle, &st.subtitle)?;
    } else {
        ws.merge_range(0, 0, 0, last, title, &st.title)?;
        ws.merge_range(1, 0, 1, last, subtitle, &st.subtitle)?;
    }
    ws.set_row_height(0, 30)?;
    ws.set_row_height(1, 20)?;
    Ok(())
}

/// Freeze, filter and print setup of a table whose header is on `header` and last row on `last`.
fn finish_table(ws: &mut Worksheet, header: u32, last: u32, width: u16) -> Result<(), XlsxError> {
    ws.set_freeze_panes(header + 1, 0)?;
    ws.autofilter(header, 0, last.max(header), width.saturating_sub(1))?;
    print_setup(ws, header, header)?;
    Ok(())
}

fn str_values(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    match df.column(name).and_then(|c| c.cast(&DataType::String)) {
        Ok(c) => match c.str() {
            Ok(ca) => ca.iter().map(|v| v.map(str::to_string)).collect(),
            Err(_) => vec![None; df.height()],
        },
        Err(_) => vec![None; df.height()],
    }
}

fn status_style<'a>(st: &'a Styles, refdata: &RefData, status: &str) -> &'a Format {
    let s = &refdata.tasks.statuses;
    if s.get(2).is_some_and(|x| x == status) {
        &st.done
    } else if s.get(1).is_some_and(|x| x == status) {
        &st.ongoing
    } else if s.first().is_some_and(|x| x == status) {
        &st.not_started
    } else {
        &st.center
    }
}

/// The mark the 附件1 matrix shows for a status: one character, explained by the legend above the table.
fn status_mark<'a>(refdata: &RefData, status: &'a str) -> &'a str {
    match refdata.tasks.statuses.iter().position(|x| x == status) {
        Some(2) => "完",
        Some(1) => "进",
        Some(0) => "未",
        _ => "?",
    }
}

/// Builds the rollup workbook in memory.
///
/// # Errors
/// When rust_xlsxwriter or polars fails.
pub fn build(refdata: &RefData, m: &Merged, previous: Option<&crate::rollup::diff::Diff>) -> Result<Vec<u8>, RollupError> {
    Ok(workbook(refdata, m, previous)?.save_to_buffer()?)
}

/// Writes the rollup workbook to `w`, streamed: at a million rows the finished file is over 100 MB, which
/// then never sits in memory.
///
/// # Errors
/// As [`build`], and when `w` cannot be written.
pub fn write_to(refdata: &RefData, m: &Merged, previous: Option<&crate::rollup::diff::Diff>, w: impl std::io::Write + Send) -> Result<(), RollupError> {
    Ok(workbook(refdata, m, previous)?.save_to_writer(w)?)
}

fn workbook(refdata: &RefData, m: &Merged, previous: Option<&crate::rollup::diff::Diff>) -> Result<Workbook, RollupError> {
    let st = Styles::new();
    let mut wb = Workbook::new();
    wb.set_zip_compression_level(ZIP_LEVEL);
    let period_label = crate::period::label_of(m.period);
    // A fixed creation time keeps the output byte-identical for the same inputs.
    let created = match m.period {
        Some(p) => {
            use chrono::Datelike;
            let d = p.last_day();
            ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?
        }
        None => ExcelDateTime::from_ymd(2018, 7, 4)?,
    };
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("四川省重点消费品质量提升台账全省汇总{period_label}"))
            .set_author("四川省质量提升办")
            .set_creation_datetime(&created),
    );
    let returned = m.prefectures.iter().filter(|p| p.status == ReturnStatus::Returned && p.zone != "").count();
    let total = refdata.prefectures.all().len();
    let scope = format!("{period_label}  已报送 {returned}/{total} 个市州,共 {} 家企业", m.ledger.height());

    summary::write_summary(&mut wb, refdata, m, &st, &period_label, &scope)?;
    ledger::write_ledger(&mut wb, refdata, m, &st, &period_label, &scope)?;
    tasks::write_tasks(&mut wb, refdata, m, &st, &period_label, &scope)?;
    progress::write_progress(&mut wb, refdata, m, &st, &period_label)?;
    indicators::write_indicators(&mut wb, refdata, m, &st, &period_label)?;
    industry::write_industry(&mut wb, refdata, m, &st, &period_label)?;
    findings::write_findings(&mut wb, refdata, m, &st, &period_label)?;
    long_text::write_long_texts(&mut wb, &st, &period_label)?;
    if let Some(d) = previous {
        crate::rollup::diff::write_sheets(&mut wb, refdata, d, "")?;
    }
    Ok(wb)
}
