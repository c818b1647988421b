//! 附件1 任务分解及进展: the 36 tasks × the 21 prefectures as a matrix of status marks.

use std::collections::HashMap;

use rust_xlsxwriter::{Format, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::refdata::RefData;
use crate::rollup::layout::{cols, sheets};
use crate::rollup::merge::{Merged, ReturnStatus};
use crate::xlsx::style;
use crate::xlsx::fit_height;

use super::{LINE, RollupError, Styles, status_mark, status_style, str_values, titles};

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
pub(super) fn write_tasks(wb: &mut Workbook, refdata: &RefData, m: &Merged, st: &Styles, period: &str, scope: &str) -> Result<(), RollupError> {
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
