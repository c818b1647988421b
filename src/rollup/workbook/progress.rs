//! 附件1 进展明细: every prefecture's report on every task, task by task.

use std::collections::HashMap;

use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::refdata::RefData;
use crate::rollup::layout::{NOT_REPORTED_LINE, cols, sheets};
use crate::rollup::merge::{Merged, ReturnStatus};
use crate::xlsx::style;
use crate::xlsx::{fit_height, print_setup};

use super::{Cell, LINE, RollupError, Styles, header_row, put_row, status_style, str_values, titles};

/// 附件1 进展明细: per task, its text once (a heading row across the table), then one row per prefecture
/// that reported on it, then the returned prefectures that did not, in one line. `history` reads the rows
/// whose 任务序号 is a number back; heading and 未填报 lines are text there, so they are passed over.
pub(super) fn write_progress(wb: &mut Workbook, refdata: &RefData, m: &Merged, st: &Styles, period: &str) -> Result<(), RollupError> {
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
