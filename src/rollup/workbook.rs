//! The provincial rollup workbook: what the office hands up, laid out like the plan's 附件1 and 附件2,
//! printable as it is, saying who returned what, what is wrong where, and how far each prefecture is.
//!
//! Every sheet is print-ready (A4 landscape, one page wide, header rows repeated, page numbers, borders,
//! wrapped text), has a frozen header and an autofilter. Text is always written as text, never as a
//! formula, so a value such as "=1+1" typed by a prefecture stays what it is.

use std::collections::HashMap;

use polars::prelude::*;
use rust_xlsxwriter::{
    Chart, ChartType, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use crate::xlsx::style;
use crate::finding::Severity;
use crate::cell::CellRef;
use crate::rollup::layout::{HEADER_ROW, NOT_REPORTED_LINE, cols, long_cols, sheets, summary_cols};
use crate::rollup::merge::{Merged, ReturnStatus};
use crate::refdata::RefData;
use crate::xlsx::{fit_height, print_setup};



/// Excel's limit on the rows of a sheet.
const MAX_ROWS: u32 = 1_048_576;

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
        let cell = base.clone().set_border(FormatBorder::Thin).set_text_wrap();
        Styles {
            title: base.clone().set_font_name(style::TITLE_FONT).set_font_size(16).set_bold().set_align(FormatAlign::Center),
            subtitle: base.clone().set_font_size(11).set_align(FormatAlign::Center).set_text_wrap(),
            label: base.clone().set_font_size(11).set_bold(),
            header: cell.clone().set_font_name(style::TITLE_FONT).set_bold().set_align(FormatAlign::Center).set_background_color(style::HEADER_FILL),
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

    write_summary(&mut wb, refdata, m, &st, &period_label, &scope)?;
    write_ledger(&mut wb, refdata, m, &st, &period_label, &scope)?;
    write_tasks(&mut wb, refdata, m, &st, &period_label, &scope)?;
    write_progress(&mut wb, refdata, m, &st, &period_label)?;
    write_indicators(&mut wb, refdata, m, &st, &period_label)?;
    write_industry(&mut wb, refdata, m, &st, &period_label)?;
    write_findings(&mut wb, refdata, m, &st, &period_label)?;
    write_long_texts(&mut wb, &st, &period_label)?;
    if let Some(d) = previous {
        crate::rollup::diff::write_sheets(&mut wb, refdata, d, "")?;
    }
    Ok(wb)
}

fn write_summary(wb: &mut Workbook, refdata: &RefData, m: &Merged, st: &Styles, period: &str, scope: &str) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheets::SUMMARY)?;
    let headers: Vec<(String, f64)> = [
        ("经济区", 14.0),
        (summary_cols::PREFECTURE, 16.0),
        (summary_cols::STATUS, 9.0),
        ("采用文件", 30.0),
        ("填报日期", 11.0),
        ("填报人", 8.0),
        ("联系电话", 13.0),
        ("企业数", 7.0),
        ("任务进展项数", 8.0),
        ("错误数", 7.0),
        ("警告数", 7.0),
        ("提示数", 7.0),
        ("未采用的文件及原因", 34.0),
        (&format!("达到{}家目标", refdata.indicators.enterprises_target()), 9.0),
    ]
    .iter()
    .map(|(h, w)| (h.to_string(), *w))
    .collect();
    let width = headers.len() as u16;
    titles(ws, &format!("四川省重点消费品质量提升台账报送情况汇总({period})"), scope, width, st)?;
    let h = 2;
    header_row(ws, h, &headers, st)?;
    // Prefectures grouped by zone, official order within each.
    let mut order: Vec<&crate::rollup::merge::PrefectureSummary> = Vec::new();
    for z in refdata.prefectures.zones() {
        order.extend(m.prefectures.iter().filter(|p| p.zone == z.name));
    }
    order.extend(m.prefectures.iter().filter(|p| p.zone.is_empty()));
    let mut r = h + 1;
    let mut zone_start: Option<(u32, &str)> = None;
    let mut totals = (0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    let widths: Vec<f64> = headers.iter().map(|(_, w)| *w).collect();
    for p in &order {
        let below = summary_row(ws, r, p, st, &widths, refdata.indicators.enterprises_target())?;
        totals.0 += usize::from(p.status == ReturnStatus::Returned && !p.zone.is_empty());
        totals.1 += p.enterprises;
        totals.2 += p.counts.errors;
        totals.3 += p.counts.warnings;
        totals.5 += p.counts.infos;
        totals.4 += usize::from(!p.zone.is_empty() && !below);
        // The zone cell is merged over its prefectures.
        match zone_start {
            Some((_, z)) if z == p.zone => {}
            _ => {
                if let Some((start, z)) = zone_start {
                    write_zone(ws, start, r - 1, z, st)?;
                }
                zone_start = Some((r, p.zone.as_str()));
            }
        }
        r += 1;
    }
    if let Some((start, z)) = zone_start {
        write_zone(ws, start, r - 1, z, st)?;
    }
    summary_totals(ws, r, refdata.prefectures.all().len(), totals, st)?;
    finish_table(ws, h, r - 1, width)?;
    ws.set_active(true);
    Ok(())
}

/// One prefecture's line of 汇总. Returns whether it is below the target of enterprises helped.
fn summary_row(ws: &mut Worksheet, r: u32, p: &crate::rollup::merge::PrefectureSummary, st: &Styles, widths: &[f64], target: usize) -> Result<bool, XlsxError> {
    let missing = !matches!(p.status, ReturnStatus::Returned | ReturnStatus::Other);
    let (tf, cf) = if missing { (&st.missing, &st.missing_center) } else { (&st.text, &st.center) };
    let below = p.enterprises < target && !p.zone.is_empty();
    let ef = if missing { &st.missing_center } else if below { &st.below_target } else { &st.number };
    let mut unused: Vec<String> = p.unused.iter().map(|(f, why)| format!("{f}({why})")).collect();
    if p.status == ReturnStatus::Other {
        unused.extend(p.reason.clone());
    }
    let superseded = unused.join("\n");
    let target = if p.zone.is_empty() { "" } else if below { "否" } else { "是" };
    put_row(
        ws,
        r,
        &[
            Cell::B(&st.center),
            Cell::S(&p.name, tf),
            Cell::S(p.status.label(), cf),
            Cell::S(p.file.as_deref().unwrap_or(""), tf),
            Cell::S(p.filled_date.as_deref().unwrap_or(""), cf),
            Cell::S(p.filler.as_deref().unwrap_or(""), cf),
            Cell::S(p.phone.as_deref().unwrap_or(""), cf),
            Cell::N(p.enterprises as f64, ef),
            Cell::N(p.tasks_reported as f64, if missing { &st.missing_center } else { &st.number }),
            Cell::N(p.counts.errors as f64, if p.counts.errors > 0 { &st.error } else { cf }),
            Cell::N(p.counts.warnings as f64, if p.counts.warnings > 0 { &st.warning } else { cf }),
            Cell::N(p.counts.infos as f64, cf),
            Cell::S(&superseded, tf),
            Cell::S(target, if below { &st.below_target } else { cf }),
        ],
        &widths,
        st,
    )?;
    Ok(below)
}

/// The 合计 line of 汇总: prefectures returned, enterprises, findings, prefectures meeting the target.
fn summary_totals(ws: &mut Worksheet, r: u32, prefs: usize, totals: (usize, usize, usize, usize, usize, usize), st: &Styles) -> Result<(), XlsxError> {
    ws.merge_range(r, 0, r, 1, "合计", &st.total)?;
    ws.write_string_with_format(r, 2, &format!("{}/{prefs}", totals.0), &st.total)?;
    for c in [3u16, 4, 5, 6, 8, 12] {
        ws.write_blank(r, c, &st.total)?;
    }
    ws.write_number_with_format(r, 7, totals.1 as f64, &st.total_number)?;
    ws.write_number_with_format(r, 9, totals.2 as f64, &st.total_number)?;
    ws.write_number_with_format(r, 10, totals.3 as f64, &st.total_number)?;
    ws.write_number_with_format(r, 11, totals.5 as f64, &st.total_number)?;
    ws.write_string_with_format(r, 13, &format!("{}/{prefs}", totals.4), &st.total)?;
    Ok(())
}

fn write_zone(ws: &mut Worksheet, first: u32, last: u32, zone: &str, st: &Styles) -> Result<(), XlsxError> {
    if first == last {
        ws.write_string_with_format(first, 0, zone, &st.center)?;
    } else {
        ws.merge_range(first, 0, last, 0, zone, &st.center)?;
    }
    Ok(())
}

fn write_ledger(wb: &mut Workbook, refdata: &RefData, m: &Merged, st: &Styles, period: &str, scope: &str) -> Result<(), RollupError> {
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

/// The legend of the 附件1 matrix.
pub const MATRIX_LEGEND: &str = "图例:完=已完成 进=推进中 未=未启动 ?=状态无法识别(见问题清单) 空白=未填报 浅橙色列=本期未报送的市州";

/// Print setup of a sheet meant to be read on paper at its real size: A4 landscape at 100 %, header rows
/// repeated, page numbers. The columns are sized to fit the page width.
fn print_actual_size(ws: &mut Worksheet, repeat_first: u32, repeat_last: u32) -> Result<(), XlsxError> {
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_scale(100);
    ws.set_margins(0.3, 0.3, 0.5, 0.5, 0.2, 0.2);
    ws.set_print_center_horizontally(true);
    ws.set_repeat_rows(repeat_first, repeat_last)?;
    ws.set_footer("&C第 &P 页,共 &N 页");
    Ok(())
}

/// 附件1 as a matrix of the 36 tasks × the 21 prefectures: the task text in a wide wrapped column, each
/// prefecture a narrow column of one-character status marks, and per task the number of prefectures in
/// each status. Sized to be read on A4 landscape at 100 %; the full status texts are in 进展明细.
fn write_tasks(wb: &mut Workbook, refdata: &RefData, m: &Merged, st: &Styles, period: &str, scope: &str) -> Result<(), RollupError> {
    let tasks = &refdata.tasks;
    let prefs = refdata.prefectures.all();
    let ws = wb.add_worksheet();
    ws.set_name(sheets::TASKS)?;
    // Measured on LibreOffice's rendering (without Calibri, its widest case): about 95 character units
    // fit across A4 landscape at 100 %.
    const PREF_W: f64 = 2.5;
    let mut headers: Vec<(String, f64)> = vec![("序号".into(), 3.0), ("内容".into(), 26.0)];
    for p in prefs {
        headers.push((p.short.clone(), PREF_W));
    }
    for s in tasks.statuses.iter().rev() {
        headers.push((s.clone(), 3.2));
    }
    let width = headers.len() as u16;
    titles(ws, &format!("{}({period}进展)", tasks.title), &format!("{scope}\n{MATRIX_LEGEND}"), width, st)?;
    ws.set_row_height(1, 2.0 * LINE + 6.0)?;
    let h = 2;
    for (i, (name, w)) in headers.iter().enumerate() {
        // Prefecture and status names stand one character per line in their narrow columns.
        let shown = if i >= 2 { name.chars().map(String::from).collect::<Vec<_>>().join("\n") } else { name.clone() };
        ws.write_string_with_format(h, i as u16, &shown, &st.header)?;
        ws.set_column_width(i as u16, *w)?;
    }
    let tallest = headers[2..].iter().map(|(n, _)| n.chars().count()).max().unwrap_or(2).max(3) as f64;
    ws.set_row_height(h, tallest * LINE + 6.0)?;
    // status by (task, prefecture)
    let task_col = m.progress.column(cols::TASK)?.u32()?.clone();
    let pref_col = str_values(&m.progress, cols::PREFECTURE);
    let status_col = str_values(&m.progress, cols::STATUS);
    let mut status: HashMap<(u32, &str), &str> = HashMap::new();
    for i in 0..m.progress.height() {
        if let (Some(t), Some(p), Some(s)) = (task_col.get(i), pref_col[i].as_deref(), status_col[i].as_deref()) {
            status.insert((t, p), s);
        }
    }
    let absent = Format::new().set_border(FormatBorder::Thin).set_background_color(style::MISSING_LIGHT_FILL);
    let returned: Vec<bool> =
        prefs.iter().map(|p| m.prefectures.iter().any(|l| l.name == p.name && l.status == ReturnStatus::Returned)).collect();
    let first = h + 1;
    for (k, t) in tasks.tasks.iter().enumerate() {
        let r = first + k as u32;
        let rh = fit_height(&[(&t.content, headers[1].1)], LINE);
        ws.set_row_height(r, rh.max(LINE + 4.0))?;
        ws.write_number_with_format(r, 0, f64::from(t.no), &st.center)?;
        ws.write_string_with_format(r, 1, &t.content, &st.text)?;
        let mut counts = vec![0u32; tasks.statuses.len()];
        for (j, p) in prefs.iter().enumerate() {
            let c = 2 + j as u16;
            match status.get(&(t.no, p.name.as_str())) {
                Some(s) => {
                    if let Some(si) = tasks.statuses.iter().position(|x| x == s) {
                        counts[si] += 1;
                    }
                    ws.write_string_with_format(r, c, status_mark(refdata, s), status_style(st, refdata, s))?
                }
                None if returned[j] => ws.write_blank(r, c, &st.center)?,
                None => ws.write_blank(r, c, &absent)?,
            };
        }
        for (j, _) in tasks.statuses.iter().enumerate().rev() {
            let c = 2 + prefs.len() as u16 + (tasks.statuses.len() - 1 - j) as u16;
            ws.write_number_with_format(r, c, f64::from(counts[j]), &st.number)?;
        }
    }
    let last = first + tasks.tasks.len() as u32 - 1;
    ws.set_freeze_panes(h + 1, 2)?;
    ws.autofilter(h, 0, last, width - 1)?;
    print_actual_size(ws, h, h)?;
    Ok(())
}

/// 附件1 进展明细: per task, its text once (a heading row across the table), then one row per prefecture
/// that reported on it, then the returned prefectures that did not, in one line. `history` reads the rows
/// whose 任务序号 is a number back; heading and 未填报 lines are text there, so they are passed over.
fn write_progress(wb: &mut Workbook, refdata: &RefData, m: &Merged, st: &Styles, period: &str) -> Result<(), RollupError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheets::PROGRESS)?;
    let mut headers: Vec<(String, f64)> = vec![
        (cols::TASK.into(), 5.0),
        (cols::PREFECTURE.into(), 10.0),
        (cols::STATUS.into(), 8.0),
        (cols::NARRATIVE.into(), 52.0),
        (cols::VALUE.into(), 9.0),
    ];
    for e in &m.progress_extra_columns {
        headers.push((e.clone(), 14.0));
    }
    headers.push((cols::FILE.into(), 26.0));
    headers.push((cols::CELL.into(), 17.0));
    let width = headers.len() as u16;
    let returned: Vec<&str> = m.prefectures.iter().filter(|p| p.status == ReturnStatus::Returned).map(|p| p.name.as_str()).collect();
    titles(
        ws,
        &format!("重点工作任务进展明细({period})"),
        &format!("已报送市州 {} 个。每项任务下列出填报了该项的市州;已报送但未填报该项的市州列在该项末尾", returned.len()),
        width,
        st,
    )?;
    let h = 2;
    header_row(ws, h, &headers, st)?;
    let task_col = m.progress.column(cols::TASK)?.u32()?.clone();
    let pref_col = str_values(&m.progress, cols::PREFECTURE);
    let mut at: HashMap<(u32, &str), usize> = HashMap::new();
    for i in 0..m.progress.height() {
        if let (Some(t), Some(p)) = (task_col.get(i), pref_col[i].as_deref()) {
            at.insert((t, p), i);
        }
    }
    let values: Vec<Vec<Option<String>>> = headers.iter().map(|(h, _)| str_values(&m.progress, h)).collect();
    let widths: Vec<f64> = headers.iter().map(|(_, w)| *w).collect();
    let table = ProgressTable { at, values, widths, width, returned };
    let mut r = h + 1;
    for t in &refdata.tasks.tasks {
        r = table.task(ws, r, t, refdata, st)?;
    }
    ws.set_freeze_panes(h + 1, 0)?;
    print_setup(ws, h, h)?;
    Ok(())
}

/// The rows of 附件1 进展明细 by task and prefecture, and where their values are.
struct ProgressTable<'a> {
    /// Row of the progress frame of (task, prefecture).
    at: HashMap<(u32, &'a str), usize>,
    /// The frame's columns, in the order of the sheet's headers.
    values: Vec<Vec<Option<String>>>,
    widths: Vec<f64>,
    width: u16,
    /// The prefectures whose return is in the rollup.
    returned: Vec<&'a str>,
}

impl ProgressTable<'_> {
    /// One task from row `r`: its heading, a row per prefecture that reported on it, and a line naming
    /// the returned prefectures that did not. Returns the next free row.
    fn task(&self, ws: &mut Worksheet, mut r: u32, t: &crate::refdata::Task, refdata: &RefData, st: &Styles) -> Result<u32, XlsxError> {
        let ProgressTable { at, values, widths, width, returned } = self;
        let width = *width;
        let all_width: f64 = widths.iter().sum();
        let no = t.no.to_string();
        let (resp, _) = refdata.tasks.effective_units(t.no);
        let text = format!("第{}项 {}(责任单位:{resp})", t.no, t.content);
        ws.set_row_height(r, fit_height(&[(&text, all_width)], LINE).max(LINE + 4.0))?;
        ws.merge_range(r, 0, r, width - 1, &text, &heading_fmt())?;
        r += 1;
        let mut not_reported: Vec<&str> = Vec::new();
        for p in returned {
            let Some(&i) = at.get(&(t.no, *p)) else {
                not_reported.push(p);
                continue;
            };
            let mut cells: Vec<Cell<'_>> = Vec::with_capacity(values.len());
            cells.push(Cell::S(&no, &st.center));
            cells.push(Cell::S(p, &st.center));
            for (c, col) in values.iter().enumerate().skip(2) {
                let fmt = if c == 2 { status_style(st, refdata, col[i].as_deref().unwrap_or("")) } else if c == 4 { &st.center } else { &st.text };
                cells.push(match &col[i] {
                    Some(v) => Cell::S(v, fmt),
                    None => Cell::B(fmt),
                });
            }
            put_row(ws, r, &cells, widths, st)?;
            r += 1;
        }
        if !not_reported.is_empty() {
            let text = format!("{NOT_REPORTED_LINE}{}", not_reported.join("、"));
            ws.set_row_height(r, fit_height(&[(&text, all_width)], LINE).max(LINE + 2.0))?;
            ws.merge_range(r, 0, r, width - 1, &text, &absent_fmt())?;
            r += 1;
        }
        Ok(r)
    }
}

/// The heading of a task in 附件1 进展明细.
fn heading_fmt() -> Format {
    Format::new()
        .set_font_name(style::BODY_FONT)
        .set_font_size(10)
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color(style::HEADING_FILL)
}

/// The line naming the prefectures that did not report on a task.
fn absent_fmt() -> Format {
    Format::new()
        .set_font_name(style::BODY_FONT)
        .set_font_size(9)
        .set_italic()
        .set_text_wrap()
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_font_color(style::MUTED_TEXT)
}

/// 指标完成情况: per indicator the target, the province figure, the rate of completion (with a data bar)
/// and the status, with `--previous` the change since the last rollup, then one column per prefecture;
/// under it the per-prefecture targets as a 21-row table with the prefectures behind highlighted, and a
/// chart of the rates. Printed at 100 % on A4 landscape: the summary on the first pages, the prefecture
/// columns on the following ones with the indicator's name repeated.
fn write_indicators(wb: &mut Workbook, refdata: &RefData, m: &Merged, st: &Styles, period: &str) -> Result<(), RollupError> {
    let l = IndicatorLayout::new(refdata, m, st);
    let ws = wb.add_worksheet();
    ws.set_name(&refdata.indicators.sheet)?;
    l.titles(ws, period)?;
    let (first, last) = l.table(ws)?;
    let t0 = last + 3;
    let t_last = l.targets(ws, t0)?;
    let chart_row = t_last + 2;
    l.chart(ws, first, last, chart_row)?;
    let h = first - 1;
    ws.set_freeze_panes(h + 1, 2)?;
    // No repeated header rows: the indicator table fits one page, and the tables under it have their own
    // headers. The per-prefecture table and the chart each start a page; the prefecture columns print
    // after the summary, eleven at a time, each block with the indicators' names.
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_scale(100);
    ws.set_margins(0.3, 0.3, 0.35, 0.4, 0.15, 0.2);
    ws.set_print_center_horizontally(true);
    ws.set_footer("&C第 &P 页,共 &N 页");
    ws.set_page_breaks(&[t0, chart_row])?;
    ws.set_vertical_page_breaks(&l.name_copies.iter().map(|c| u32::from(*c)).collect::<Vec<_>>())?;
    Ok(())
}

/// The columns of 指标完成情况 in the rollup: the summary (序号 … 状态, 上期全省 and 较上期 with a previous
/// rollup), then the prefectures in two blocks, each led by a copy of the indicator's name.
struct IndicatorLayout<'a> {
    refdata: &'a RefData,
    m: &'a Merged,
    st: &'a Styles,
    headers: Vec<(String, f64)>,
    rate_col: u16,
    status_col: u16,
    name_col: u16,
    first_pref: u16,
    last_summary: u16,
    half: usize,
    name_w: f64,
    name_copies: Vec<u16>,
    pref_col: Vec<u16>,
    /// Whether each prefecture (official order) has a return in the rollup.
    returned: Vec<bool>,
    number: Format,
    below: Format,
    absent: Format,
}

/// Width of a prefecture's column of 指标完成情况.
const PREF_W: f64 = 5.2;

impl<'a> IndicatorLayout<'a> {
    fn new(refdata: &'a RefData, m: &'a Merged, st: &'a Styles) -> Self {
        use crate::indicators::rollup_cols as rc;
        let prefs = refdata.prefectures.all();
        let figs = &m.indicators;
    let mut headers: Vec<(String, f64)> = vec![
        (rc::NO.into(), 4.0),
        (rc::NAME.into(), 35.5),
        (rc::TARGET.into(), 14.0),
        (rc::HORIZON.into(), 8.0),
        (rc::PROVINCE.into(), 6.5),
        (rc::RATE.into(), 8.5),
        (rc::STATUS.into(), 9.0),
    ];
    let (rate_col, status_col, name_col) = (5u16, 6u16, 1u16);
    if figs.has_previous {
        headers.push((rc::PREVIOUS.into(), 6.0));
        headers.push((rc::CHANGE.into(), 6.0));
    } else {
        // The same page width either way, so that the title fits: the room goes to the data bars.
        headers[usize::from(rate_col)].1 += 6.0;
        headers[usize::from(status_col)].1 += 6.0;
    }
    // The prefectures in two blocks of columns, each led by a copy of the indicator's name, so that each
    // block prints as a page of its own beside the summary (repeating columns A:B instead would repeat
    // them beside the tables under the summary too).
    let first_pref = headers.len() as u16;
    let half = prefs.len().div_ceil(2);
    let name_w = headers[1].1;
    let mut name_copies: Vec<u16> = Vec::new();
    let mut pref_col: Vec<u16> = Vec::new();
    for (j, p) in prefs.iter().enumerate() {
        if j == 0 || j == half {
            name_copies.push(headers.len() as u16);
            headers.push((rc::NAME.into(), name_w));
        }
        pref_col.push(headers.len() as u16);
        headers.push((p.short.clone(), PREF_W));
    }
        let last_summary = first_pref - 1;
        let returned: Vec<bool> = prefs.iter().map(|p| m.prefectures.iter().any(|l| l.name == p.name && l.status == ReturnStatus::Returned)).collect();
        IndicatorLayout {
            refdata,
            m,
            st,
            headers,
            rate_col,
            status_col,
            name_col,
            first_pref,
            last_summary,
            half,
            name_w,
            name_copies,
            pref_col,
            returned,
            number: st.center.clone().set_num_format("General"),
            below: st.below_target.clone().set_num_format("General"),
            absent: st.missing_center.clone(),
        }
    }

    /// The titles and notes over the summary and over each block of prefectures.
    fn titles(&self, ws: &mut Worksheet, period: &str) -> Result<(), XlsxError> {
        let IndicatorLayout { refdata, m, st, headers, first_pref, last_summary, half, name_w, name_copies, returned, .. } = self;
        let (first_pref, last_summary, half, name_w) = (*first_pref, *last_summary, *half, *name_w);
        let ind = &refdata.indicators;
        let prefs = refdata.prefectures.all();
        let figs = &m.indicators;
    // The title spans the summary columns: the page the office reads first.
    let since = match (figs.has_previous, figs.previous_period) {
        (true, Some(p)) => format!(";「较上期」与{}汇总表相比", p.label()),
        (true, None) => ";「较上期」与上期汇总表相比".to_string(),
        _ => String::new(),
    };
    let (returned_n, total) = (returned.iter().filter(|r| **r).count(), prefs.len());
    let what = match ind.title.rsplit_once(')') {
        Some((_, b)) if !b.is_empty() => b.to_string(),
        _ => ind.title.clone(),
    };
    ws.merge_range(0, 0, 0, last_summary, &format!("{}({period})", ind.title), &st.title)?;
    ws.set_row_height(0, 24.0)?;
    let note = format!(
        "已报送 {returned_n}/{total} 个市州。全省完成值为各市州填报值之和,「每个市州」的指标为达到目标的市州数,省局填报的指标此处为空;完成率=全省完成值÷目标{since}。"
    );
    let note_width: f64 = headers[..usize::from(first_pref)].iter().map(|h| h.1).sum();
    ws.merge_range(1, 0, 1, last_summary, &note, &st.subtitle)?;
    // Each block of prefecture columns prints as a page of its own, with its own title and legend.
    let legend = format!("已报送 {returned_n}/{total} 个市州。黄色:未达到每个市州的目标(或合格率低于目标);浅橙色:本期未报送;空白:未填报。");
    let blocks: Vec<(u16, u16)> = name_copies.iter().enumerate().map(|(k, a)| (*a, name_copies.get(k + 1).map_or(headers.len() as u16 - 1, |n| n - 1))).collect();
    for &(a, b) in &blocks {
        if a < b {
            ws.merge_range(0, a, 0, b, &format!("{what}({period}):各市州累计完成值"), &st.title)?;
            ws.merge_range(1, a, 1, b, &legend, &st.subtitle)?;
        }
    }
    ws.set_row_height(1, fit_height(&[(&note, note_width * 10.0 / 11.0), (&legend, (name_w + PREF_W * half as f64) * 10.0 / 11.0)], 14.0))?;
        Ok(())
    }

    /// The header and one row per indicator, with a data bar on the rates. Returns the first and last
    /// rows of the indicators.
    fn table(&self, ws: &mut Worksheet) -> Result<(u32, u32), XlsxError> {
        let (ind, st, headers) = (&self.refdata.indicators, self.st, &self.headers);
        let rate_col = self.rate_col;
    let h = 2u32;
    for (i, (name, w)) in headers.iter().enumerate() {
        ws.write_string_with_format(h, i as u16, name, &st.header)?;
        ws.set_column_width(i as u16, *w)?;
    }
    ws.set_row_height(h, 2.0 * LINE + 4.0)?;
    let rate_fmt = st.center.clone().set_num_format("0.0%");
    let first = h + 1;
        for (k, i) in ind.indicators.iter().enumerate() {
            self.indicator_row(ws, first + k as u32, k, i, &rate_fmt)?;
        }
    let last = first + ind.indicators.len() as u32 - 1;
    ws.add_conditional_format(
        first,
        rate_col,
        last,
        rate_col,
        &rust_xlsxwriter::ConditionalFormatDataBar::new()
            .set_minimum(rust_xlsxwriter::ConditionalFormatType::Number, 0)
            .set_maximum(rust_xlsxwriter::ConditionalFormatType::Number, 1)
            .set_fill_color(style::RATE_BAR)
            .set_solid_fill(true),
    )?;

        Ok((first, last))
    }

    /// One indicator's row: target, province figure, rate, status, the change, and each prefecture's value.
    fn indicator_row(&self, ws: &mut Worksheet, r: u32, k: usize, i: &crate::refdata::Indicator, rate_fmt: &Format) -> Result<(), XlsxError> {
        use crate::indicators::{Status, horizon_text, target_text};
        use crate::refdata::{Horizon, Scope};
        let IndicatorLayout { m, st, headers, rate_col, status_col, name_col, name_copies, pref_col, returned, number, below, absent, .. } = self;
        let (rate_col, status_col, name_col) = (*rate_col, *status_col, *name_col);
        let figs = &m.indicators;
        let f = &figs.figures[k];
        // The unit goes with the target: a column of its own would push the last indicators off the page.
        let target = if i.is_percent() { target_text(i) } else { format!("{}{}", target_text(i), i.unit) };
        // The targets (at most 14 units, ≥ counted wide) fit their column on one line.
        let hgt = fit_height(&[(&i.name, headers[1].1)], LINE);
        ws.set_row_height(r, hgt.max(LINE + 0.5))?;
        ws.write_number_with_format(r, 0, (k + 1) as f64, &st.center)?;
        ws.write_string_with_format(r, name_col, &i.name, &st.text)?;
        ws.write_string_with_format(r, 2, &target, &st.center)?;
        ws.write_string_with_format(r, 3, horizon_text(i), &st.center)?;
        match f.province {
            Some(v) => ws.write_number_with_format(r, 4, v, number)?,
            None => ws.write_blank(r, 4, number)?,
        };
        match f.rate {
            Some(v) => ws.write_number_with_format(r, rate_col, v, rate_fmt)?,
            None => ws.write_blank(r, rate_col, rate_fmt)?,
        };
        let sf = match f.status {
            Status::Met => &st.done,
            Status::NotMet => &st.ongoing,
            Status::NoData => &st.not_started,
            Status::NoTarget => &st.center,
        };
        ws.write_string_with_format(r, status_col, f.status.label(), sf)?;
        if figs.has_previous {
            match f.previous {
                Some(v) => ws.write_number_with_format(r, 7, v, number)?,
                None => ws.write_blank(r, 7, number)?,
            };
            let new_year = i.horizon == Horizon::PerYear && figs.previous_period.zip(m.period).is_some_and(|(a, b)| a.year != b.year);
            match f.change() {
                _ if new_year => ws.write_string_with_format(r, 8, "新年度", &st.center)?,
                Some(v) => ws.write_number_with_format(r, 8, v, number)?,
                None => ws.write_blank(r, 8, number)?,
            };
        }
        // Per prefecture: the value, highlighted where a per-prefecture target (or the rate) is not met.
        let judged = i.scope == Scope::Prefecture || i.is_percent();
        for &c in name_copies {
            ws.write_string_with_format(r, c, &i.name, &st.text)?;
        }
        for (j, v) in f.values.iter().enumerate() {
            let c = pref_col[j];
            match v {
                Some(v) if judged && !crate::indicators::meets(i, *v, i.target) => ws.write_number_with_format(r, c, *v, below)?,
                Some(v) => ws.write_number_with_format(r, c, *v, number)?,
                None if returned[j] => ws.write_blank(r, c, number)?,
                None => ws.write_blank(r, c, absent)?,
            };
        }
            Ok(())
    }

    /// 各市州目标完成情况 from row `t0`: each prefecture against the per-prefecture targets. Returns the last
    /// row.
    fn targets(&self, ws: &mut Worksheet, t0: u32) -> Result<u32, XlsxError> {
        use crate::indicators::rollup_cols as rc;
        use crate::refdata::Scope;
        let IndicatorLayout { refdata, st, last_summary, .. } = self;
        let last_summary = *last_summary;
        let ind = &refdata.indicators;
        let prefs = refdata.prefectures.all();
    // The per-prefecture targets, one row per prefecture.
    let per: Vec<(usize, &crate::refdata::Indicator)> =
        ind.indicators.iter().enumerate().filter(|(_, i)| i.scope == Scope::Prefecture && i.province_target.is_some()).collect();
    let names: Vec<String> = per.iter().map(|(_, i)| format!("{}≥{}{}", i.name, crate::text::format_number(i.target), i.unit)).collect();
    ws.merge_range(t0, 0, t0, last_summary, &format!("各市州目标完成情况(每个市州:{})", names.join(";")), &st.label)?;
    ws.set_row_height(t0, 20.0)?;
    let th = t0 + 1;
    // One column per target under the summary table's columns, then what is behind across the rest.
    let spans: Vec<(u16, u16)> = (0..per.len()).map(|k| (2 + k as u16, 2 + k as u16)).collect();
    let status_span = (2 + per.len() as u16, last_summary);
    ws.write_string_with_format(th, 0, rc::NO, &st.header)?;
    ws.write_string_with_format(th, 1, "市州", &st.header)?;
    for ((_, i), (a, b)) in per.iter().zip(&spans) {
        let head = format!("{}\n({})", i.short(), i.unit);
        if a == b {
            ws.write_string_with_format(th, *a, &head, &st.header)?;
        } else {
            ws.merge_range(th, *a, th, *b, &head, &st.header)?;
        }
    }
    if status_span.0 <= status_span.1 {
        ws.merge_range(th, status_span.0, th, status_span.1, "完成情况", &st.header)?;
    }
    ws.set_row_height(th, 2.0 * LINE + 6.0)?;
        for (j, p) in prefs.iter().enumerate() {
            self.target_row(ws, th + 1 + j as u32, j, p, &per, &spans, status_span)?;
        }
        Ok(th + prefs.len() as u32)
    }

    /// One prefecture's row of 各市州目标完成情况.
    #[allow(clippy::too_many_arguments)]
    fn target_row(
        &self,
        ws: &mut Worksheet,
        r: u32,
        j: usize,
        p: &crate::refdata::Prefecture,
        per: &[(usize, &crate::refdata::Indicator)],
        spans: &[(u16, u16)],
        status_span: (u16, u16),
    ) -> Result<(), XlsxError> {
        let IndicatorLayout { m, st, headers, returned, number, below, absent, .. } = self;
        let figs = &m.indicators;
        let mut behind: Vec<String> = Vec::new();
        let mut any = false;
        for ((k, i), (a, b)) in per.iter().zip(spans) {
            let v = figs.figures[*k].values[j];
            let fmt = match v {
                Some(v) if !crate::indicators::meets(i, v, i.target) => {
                    behind.push(format!("{}差{}{}", i.short(), crate::text::format_number(i.target - v), i.unit));
                    below
                }
                Some(_) => number,
                None if returned[j] => {
                    behind.push(format!("{}未填报", i.short()));
                    below
                }
                None => absent,
            };
            any |= v.is_some();
            if a != b {
                ws.merge_range(r, *a, r, *b, "", fmt)?;
            }
            match v {
                Some(v) => ws.write_number_with_format(r, *a, v, fmt)?,
                None => ws.write_blank(r, *a, fmt)?,
            };
        }
        let (text, fmt) = if !returned[j] {
            ("本期未报送".to_string(), absent)
        } else if behind.is_empty() && any {
            ("达标".to_string(), &st.done)
        } else {
            (format!("未达标:{}", behind.join(";")), below)
        };
        let name_fmt = if returned[j] && !(behind.is_empty() && any) { below } else if returned[j] { &st.center } else { absent };
        ws.write_number_with_format(r, 0, (j + 1) as f64, &st.center)?;
        ws.write_string_with_format(r, 1, &p.name, name_fmt)?;
        if status_span.0 <= status_span.1 {
            ws.merge_range(r, status_span.0, r, status_span.1, &text, fmt)?;
        }
        let span_w: f64 = headers[status_span.0 as usize..=status_span.1 as usize].iter().map(|h| h.1).sum();
        ws.set_row_height(r, fit_height(&[(&text, span_w)], LINE).max(LINE + 4.0))?;
            Ok(())
    }

    /// The rates as a bar chart, in the order of the table, at `chart_row`.
    fn chart(&self, ws: &mut Worksheet, first: u32, last: u32, chart_row: u32) -> Result<(), XlsxError> {
        let (ind, headers, first_pref, name_col, rate_col) = (&self.refdata.indicators, &self.headers, self.first_pref, self.name_col, self.rate_col);
    // The rates as a chart, in the order of the table.
    let mut chart = Chart::new(ChartType::Bar);
    let sheet = ind.sheet.as_str();
    chart
        .add_series()
        .set_name("完成率")
        .set_categories((sheet, first, name_col, last, name_col))
        .set_values((sheet, first, rate_col, last, rate_col))
        .set_format(rust_xlsxwriter::ChartFormat::new().set_solid_fill(rust_xlsxwriter::ChartSolidFill::new().set_color(style::RATE_BAR)));
    chart.title().set_name("各指标完成率(全省完成值÷目标)");
    // The indicators top to bottom as in the table, the rate axis at the bottom.
    // In a bar chart the category axis is the vertical one (y), the values run along x.
    chart
        .y_axis()
        .set_reverse()
        .set_crossing(rust_xlsxwriter::ChartAxisCrossing::Max)
        .set_label_interval(1)
        .set_font(rust_xlsxwriter::ChartFont::new().set_size(8));
    chart.x_axis().set_min(0.0).set_num_format("0%").set_major_gridlines(true);
    chart.legend().set_hidden();
    // As wide as the summary columns (Excel's pixels: 7 per character unit and 5 of padding), so that
    // it prints on the summary's page rather than in pieces beside it.
    let summary_px: f64 = headers[..usize::from(first_pref)].iter().map(|h| (h.1 * 7.0 + 5.0).trunc()).sum();
    chart.set_width((summary_px - 12.0) as u32).set_height(660);
    ws.insert_chart(chart_row, 0, &chart)?;

        Ok(())
    }
}

fn write_industry(wb: &mut Workbook, refdata: &RefData, m: &Merged, st: &Styles, period: &str) -> Result<(), XlsxError> {
    let prefs = refdata.prefectures.all();
    let zones = refdata.prefectures.zones();
    let ws = wb.add_worksheet();
    ws.set_name(sheets::INDUSTRY)?;
    let mut headers: Vec<(String, f64)> = vec![("行业".into(), 14.0)];
    for p in prefs {
        headers.push((p.short.clone(), 6.0));
    }
    headers.push(("合计".into(), 7.0));
    let width = headers.len() as u16;
    titles(ws, &format!("提升企业按行业、市州统计({period})"), "单位:家", width, st)?;
    let h = 2;
    header_row(ws, h, &headers, st)?;
    let mut r = h + 1;
    let mut col_totals = vec![0u32; prefs.len()];
    for (ind, counts) in &m.industry_counts {
        ws.write_string_with_format(r, 0, ind, &st.text)?;
        for (j, n) in counts.iter().enumerate() {
            col_totals[j] += n;
            if *n > 0 {
                ws.write_number_with_format(r, 1 + j as u16, f64::from(*n), &st.number)?;
            } else {
                ws.write_blank(r, 1 + j as u16, &st.number)?;
            }
        }
        ws.write_number_with_format(r, width - 1, f64::from(counts.iter().sum::<u32>()), &st.total_number)?;
        r += 1;
    }
    ws.write_string_with_format(r, 0, "合计", &st.total)?;
    for (j, n) in col_totals.iter().enumerate() {
        ws.write_number_with_format(r, 1 + j as u16, f64::from(*n), &st.total_number)?;
    }
    ws.write_number_with_format(r, width - 1, f64::from(col_totals.iter().sum::<u32>()), &st.total_number)?;
    let pref_last = r;
    finish_table(ws, h, r - 1, width)?;

    // By economic zone, with a chart.
    let zh = pref_last + 3;
    ws.write_string_with_format(zh - 1, 0, "按经济区统计(单位:家)", &st.label)?;
    ws.write_string_with_format(zh, 0, "行业", &st.header)?;
    for (k, z) in zones.iter().enumerate() {
        ws.write_string_with_format(zh, 1 + k as u16, &z.short, &st.header)?;
    }
    ws.write_string_with_format(zh, 1 + zones.len() as u16, "合计", &st.header)?;
    let zone_of: Vec<usize> = prefs.iter().map(|p| zones.iter().position(|z| z.key == p.zone).unwrap_or(0)).collect();
    let mut zr = zh + 1;
    for (ind, counts) in &m.industry_counts {
        ws.write_string_with_format(zr, 0, ind, &st.text)?;
        let mut by_zone = vec![0u32; zones.len()];
        for (j, n) in counts.iter().enumerate() {
            by_zone[zone_of[j]] += n;
        }
        for (k, n) in by_zone.iter().enumerate() {
            ws.write_number_with_format(zr, 1 + k as u16, f64::from(*n), &st.number)?;
        }
        ws.write_number_with_format(zr, 1 + zones.len() as u16, f64::from(by_zone.iter().sum::<u32>()), &st.total_number)?;
        zr += 1;
    }
    if !m.industry_counts.is_empty() {
        let mut chart = Chart::new(ChartType::ColumnStacked);
        let sheet = sheets::INDUSTRY;
        for k in 0..zones.len() {
            let c = 1 + k as u16;
            chart
                .add_series()
                .set_name((sheet, zh, c))
                .set_categories((sheet, zh + 1, 0, zr - 1, 0))
                .set_values((sheet, zh + 1, c, zr - 1, c));
        }
        chart.title().set_name("提升企业数:行业 × 经济区");
        chart.y_axis().set_name("企业数(家)");
        chart.x_axis().set_name("行业");
        chart.set_width(760).set_height(380);
        ws.insert_chart(zh, 2 + zones.len() as u16, &chart)?;
    }
    Ok(())
}

fn write_findings(wb: &mut Workbook, refdata: &RefData, m: &Merged, st: &Styles, period: &str) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheets::FINDINGS)?;
    let headers: Vec<(String, f64)> = [
        ("序号", 5.0),
    ]
    .into_iter()
    .chain(crate::finding::TABLE_COLUMNS.into_iter().zip([10.0, 7.0, 6.0, 16.0, 24.0, 14.0, 7.0, 12.0, 22.0, 60.0, 30.0]))
    .map(|(h, w)| (h.to_string(), w))
    .collect();
    let width = headers.len() as u16;
    let c = crate::finding::Counts::of(&m.findings);
    titles(ws, &format!("问题清单({period})"), &format!("错误 {} 条,警告 {} 条,提示 {} 条", c.errors, c.warnings, c.infos), width, st)?;
    let h = 2;
    header_row(ws, h, &headers, st)?;
    let _ = refdata;
    let widths: Vec<f64> = headers.iter().map(|(_, w)| *w).collect();
    let mut r = h + 1;
    for (i, f) in m.findings.iter().enumerate() {
        let sev = match f.severity {
            Severity::Error => &st.error,
            Severity::Warning => &st.warning,
            Severity::Info => &st.center,
        };
        let values = f.table_row(&crate::submission::base_name(&f.file));
        // 市州, 严重程度, 代码 and 单元格 centred, the severity in its colour, the rest as text.
        let fmts = [&st.center, sev, &st.center, &st.text, &st.text, &st.text, &st.center, &st.text, &st.text, &st.text, &st.text];
        let cells: Vec<Cell<'_>> =
            std::iter::once(Cell::N((i + 1) as f64, &st.center)).chain(values.iter().zip(fmts).map(|(v, fmt)| Cell::S(v, fmt))).collect();
        put_row(ws, r, &cells, &widths, st)?;
        r += 1;
    }
    finish_table(ws, h, r.saturating_sub(1), width)?;
    Ok(())
}

/// The long-text sheet, when some text was too long for its cell: each such text whole, in consecutive
/// rows of at most [`SEGMENT_CHARS`] characters, under the sheet and cell it continues.
fn write_long_texts(wb: &mut Workbook, st: &Styles, period: &str) -> Result<(), XlsxError> {
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
