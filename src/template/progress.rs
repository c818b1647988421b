//! 附件1 任务进展 in a prefecture's template: the 36 tasks as the plan lays them out (merged groups and
//! shared 责任单位), locked, with status, narrative and value to fill in.

use rust_xlsxwriter::{DataValidation, DataValidationErrorStyle, DataValidationRule, Format, Formula, Workbook, Worksheet, XlsxError};

use super::{Ctx, PROGRESS_HEADER_ROW, Table, fill, marks_at, protect, write_value};
use crate::xlsx::{fit_height, print_setup};

/// Writes the sheet.
pub(super) fn write(wb: &mut Workbook, cx: &Ctx<'_>) -> Result<(), XlsxError> {
    let (refdata, prefecture, period, deadline, f) = (cx.refdata, cx.prefecture, cx.period, cx.deadline, &cx.f);
    let layout = &refdata.template;
    let tasks = &refdata.tasks;
    let cols = &tasks.columns;
    let last_col = cols.len() as u16 - 1;
    let first = PROGRESS_HEADER_ROW + 1;
    let ws = wb.add_worksheet();
    ws.set_name(&layout.sheets.progress)?;
    for (i, c) in cols.iter().enumerate() {
        ws.set_column_width(i as u16, c.width)?;
    }
    ws.merge_range(0, 0, 0, last_col, &fill(&layout.progress.title, prefecture, period, deadline), &f.title)?;
    ws.set_row_height(0, 36)?;
    ws.merge_range(1, 0, 1, last_col, &fill(&layout.progress.subtitle, prefecture, period, deadline), &f.subtitle)?;
    for (i, c) in cols.iter().enumerate() {
        ws.write_string_with_format(PROGRESS_HEADER_ROW, i as u16, &c.name, &f.header)?;
    }
    ws.set_row_height(PROGRESS_HEADER_ROW, 30)?;
    let col = |key: &str| cols.iter().position(|c| c.key == key).map(|i| i as u16);
    for (k, t) in tasks.tasks.iter().enumerate() {
        task_row(ws, cx, first + k as u32, t)?;
    }
    merge_like_annex1(ws, tasks, first, col("group"), col("responsible").zip(col("cooperating")), &f.locked_center)?;
    let last = first + tasks.tasks.len() as u32 - 1;
    validations(ws, cx, first, last, col("status"), col("value"))?;
    ws.set_freeze_panes(first, 0)?;
    print_setup(ws, PROGRESS_HEADER_ROW, PROGRESS_HEADER_ROW)?;
    ws.set_header(format!("&L{}&R{}", prefecture.name, period.label()));
    protect(ws);
    Ok(())
}

/// One task's row: its locked reference cells and the cells to fill in, prefilled and marked.
fn task_row(ws: &mut Worksheet, cx: &Ctx<'_>, r: u32, t: &crate::refdata::Task) -> Result<(), XlsxError> {
    let (extras, f) = (cx.extras, &cx.f);
    let tasks = &cx.refdata.tasks;
    let cols = &tasks.columns;
    let prefill = extras.prefill;
    let prefilled = |no: u32| prefill.and_then(|p| p.progress.iter().find(|(n, _)| *n == no)).map(|(_, v)| v);
    let width = |key: &str| cols.iter().find(|c| c.key == key).map_or(10.0, |c| c.width);
    let (resp, coop) = tasks.effective_units(t.no);
    let h = fit_height(
        &[
            (&t.content, width("content")),
            (&t.guiding, width("guiding")),
            (if t.continues_above { "" } else { resp }, width("responsible")),
            (if t.continues_above { "" } else { coop }, width("cooperating")),
        ],
        15.0,
    );
    ws.set_row_height(r, h.max(30.0))?;
    for (i, c) in cols.iter().enumerate() {
        let ci = i as u16;
        match c.key.as_str() {
            "no" => ws.write_number_with_format(r, ci, f64::from(t.no), &f.locked_center).map(|_| ())?,
            "group" => {}
            "content" => ws.write_string_with_format(r, ci, &t.content, &f.locked_text).map(|_| ())?,
            "guiding" => ws.write_string_with_format(r, ci, &t.guiding, &f.locked_center).map(|_| ())?,
            "responsible" | "cooperating" => {
                if !t.continues_above {
                    let v = if c.key == "responsible" { &t.responsible } else { &t.cooperating };
                    ws.write_string_with_format(r, ci, v, &f.locked_center)?;
                }
            }
            "status" | "narrative" | "value" => {
                let (j, fmt) = match c.key.as_str() {
                    "status" => (0, &f.data_center),
                    "narrative" => (1, &f.data),
                    _ => (2, &f.data_number),
                };
                let mark = marks_at(extras, Table::Progress, t.no as usize, &c.key);
                let fmt = match &mark {
                    Some((crate::Severity::Error, ..)) => &f.marked_error,
                    Some(_) => &f.marked_warning,
                    None => fmt,
                };
                match prefilled(t.no).map(|v| &v[j]).filter(|v| !v.is_empty()) {
                    Some(v) if j == 2 && v.parse::<f64>().is_ok() => {
                        ws.write_number_with_format(r, ci, v.parse::<f64>().unwrap_or_default(), fmt)?;
                    }
                    Some(v) => {
                        write_value(ws, r, ci, v, mark.as_ref().is_some_and(|m| m.2), fmt)?;
                    }
                    None => {
                        ws.write_blank(r, ci, fmt)?;
                    }
                }
                if let Some((_, message, _)) = mark {
                    ws.insert_note(r, ci, &rust_xlsxwriter::Note::new(message).set_author("省质量提升办"))?;
                }
            }
            _ => {
                ws.write_blank(r, ci, &f.data)?;
            }
        }
    }
    Ok(())
}

/// The 完成状态 dropdown and the check that 量化完成值 is a number (both warnings).
fn validations(ws: &mut Worksheet, cx: &Ctx<'_>, first: u32, last: u32, status: Option<u16>, value: Option<u16>) -> Result<(), XlsxError> {
    let lists = &cx.lists;
    let n_status = cx.refdata.tasks.statuses.len() as u32;
    if let Some(sc) = status {
        let dv = DataValidation::new()
            .allow_list_formula(Formula::new(format!("={lists}!$B$2:$B${}", n_status + 1)))
            .set_error_style(DataValidationErrorStyle::Warning)
            .set_error_title("完成状态")?
            .set_error_message("请选择 未启动、推进中 或 已完成。")?;
        ws.add_data_validation(first, sc, last, sc, &dv)?;
    }
    if let Some(vc) = value {
        let dv = DataValidation::new()
            .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
            .set_error_style(DataValidationErrorStyle::Warning)
            .set_error_title("量化完成值应为数字")?
            .set_error_message("请填写数字(如 50),文字说明请写在「推进情况」中。")?;
        ws.add_data_validation(first, vc, last, vc, &dv)?;
    }
    Ok(())
}

/// The merged cells of 附件1, wherever its tasks are laid out from row `first`: the group down its tasks,
/// and the 责任单位 / 配合单位 cells that consecutive tasks share (tasks 18–20).
pub fn merge_like_annex1(
    ws: &mut Worksheet,
    tasks: &crate::refdata::Tasks,
    first: u32,
    group_col: Option<u16>,
    unit_cols: Option<(u16, u16)>,
    fmt: &Format,
) -> Result<(), XlsxError> {
    if let Some(gc) = group_col {
        for g in &tasks.groups {
            let rows: Vec<u32> = tasks.tasks.iter().enumerate().filter(|(_, t)| t.group == g.name).map(|(k, _)| first + k as u32).collect();
            if let (Some(&a), Some(&b)) = (rows.first(), rows.last()) {
                if a == b {
                    ws.write_string_with_format(a, gc, &g.name, fmt)?;
                } else {
                    ws.merge_range(a, gc, b, gc, &g.name, fmt)?;
                }
            }
        }
    }
    if let Some((rc, cc)) = unit_cols {
        for (k, t) in tasks.tasks.iter().enumerate() {
            if t.continues_above || !tasks.tasks.get(k + 1).is_some_and(|n| n.continues_above) {
                continue;
            }
            let span = tasks.tasks[k + 1..].iter().take_while(|n| n.continues_above).count() as u32;
            let r = first + k as u32;
            ws.merge_range(r, rc, r + span, rc, &t.responsible, fmt)?;
            ws.merge_range(r, cc, r + span, cc, &t.cooperating, fmt)?;
        }
    }
    Ok(())
}

