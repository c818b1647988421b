//! Corrections back to a prefecture: its rows as read, in the official template, with every cell that has a
//! finding highlighted and annotated, and a 问题清单 sheet in front. The prefecture corrects the marked
//! cells and sends the same workbook back; taizhang recognises it like any of its templates.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::cell::parse_a1;
use crate::finding::{Code, Finding, Severity};
use crate::period::Period;
use crate::refdata::RefData;
use crate::submission::Submission;
use crate::template::{self, Extras, Mark, Prefill, Table, TemplateError};

/// Part of every corrections file name, so that `mail` knows it is sending corrections.
pub const FILE_MARK: &str = "审核意见";

/// The file name of a prefecture's corrections.
pub fn file_name(prefecture: &str, period: Option<Period>) -> String {
    match period {
        Some(p) => format!("{}-{prefecture}-{FILE_MARK}.xlsx", p.code()),
        None => format!("{prefecture}-{FILE_MARK}.xlsx"),
    }
}

/// Whether a finding is something the prefecture has to act on.
fn actionable(f: &Finding) -> bool {
    f.severity != Severity::Info && !matches!(f.code, Code::Superseded | Code::Skipped)
}

/// The key of the template column a finding's field names.
fn column_key(refdata: &RefData, table: Table, field: Option<&str>) -> Option<String> {
    let field = field?;
    let specs = match table {
        Table::Ledger => &refdata.ledger.columns,
        Table::Progress => &refdata.tasks.columns,
    };
    specs.iter().find(|c| c.name == field).map(|c| c.key.clone())
}

/// Builds the corrections workbook of one submission; `None` when it has nothing to correct or its
/// prefecture is unknown.
///
/// # Errors
/// When the workbook cannot be built (see [`TemplateError`]).
pub fn build(refdata: &RefData, sub: &Submission, period: Option<Period>) -> Result<Option<Vec<u8>>, TemplateError> {
    let mut findings: Vec<Finding> = sub.findings.iter().filter(|f| actionable(f)).cloned().collect();
    if findings.is_empty() {
        return Ok(None);
    }
    let Some(prefecture) = sub.prefecture.as_deref().and_then(|p| refdata.prefectures.lookup(p)) else { return Ok(None) };
    let Some(period) = sub.period.or(period) else { return Ok(None) };
    let prefill = Prefill {
        ledger: sub.rows.iter().map(|r| (0..refdata.ledger.columns.len()).map(|i| r.text(i).to_string()).collect()).collect(),
        progress: sub
            .progress
            .iter()
            .map(|p| {
                let t = |l: &Option<crate::submission::Located>| l.as_ref().map(|l| l.text.clone()).unwrap_or_default();
                (p.task, [t(&p.status), t(&p.narrative), t(&p.value)])
            })
            .collect(),
    };
    // Where each original row went.
    let ledger_rows: HashMap<(&str, u32), usize> = sub.rows.iter().enumerate().map(|(k, r)| ((r.sheet.as_str(), r.row), k)).collect();
    let task_rows: HashMap<(&str, u32), u32> = sub.progress.iter().map(|p| ((p.sheet.as_str(), p.row), p.task)).collect();
    let sheets = &refdata.template.sheets;
    let mut marks = Vec::new();
    for f in &mut findings {
        let (Some(sheet), Some(cell)) = (f.sheet.clone(), f.cell.as_deref().and_then(parse_a1)) else { continue };
        // The finding is shown where the prefecture will see the cell: in this workbook when the row is in
        // it, else in its own file.
        let (table, row, column) = if let Some(&k) = ledger_rows.get(&(sheet.as_str(), cell.row)) {
            let column = column_key(refdata, Table::Ledger, f.field.as_deref())
                .or_else(|| sub.ledger_columns.iter().position(|c| *c == Some(cell.col)).map(|i| refdata.ledger.columns[i].key.clone()))
                .unwrap_or_else(|| "enterprise".into());
            (Table::Ledger, k, column)
        } else if let Some(&task) = task_rows.get(&(sheet.as_str(), cell.row)) {
            (Table::Progress, task as usize, column_key(refdata, Table::Progress, f.field.as_deref()).unwrap_or_else(|| "narrative".into()))
        } else {
            f.sheet = Some(format!("原文件 {sheet}"));
            continue;
        };
        let (name, specs, first) = match table {
            Table::Ledger => (&sheets.ledger, &refdata.ledger.columns, template::LEDGER_HEADER_ROW + 1 + row as u32),
            Table::Progress => (&sheets.progress, &refdata.tasks.columns, template::PROGRESS_HEADER_ROW + row as u32),
        };
        let col = specs.iter().position(|c| c.key == column).unwrap_or(0) as u32;
        f.sheet = Some(name.clone());
        f.cell = Some(crate::cell::CellRef::new(first, col).a1());
        marks.push(Mark { table, row, column, severity: f.severity, message: f.message.clone() });
    }
    let text = |l: &Option<crate::submission::Located>| l.as_ref().map(|l| l.text.clone());
    let extras = Extras {
        prefill: Some(&prefill),
        info: [sub.filled_date_text(), text(&sub.filler), text(&sub.phone)],
        marks,
        findings: &findings,
    };
    template::build_with(refdata, prefecture, period, None, &extras).map(Some)
}

/// The submission that counts for each prefecture: the latest 填报日期, then the newest file.
pub fn latest_per_prefecture(subs: &[Submission]) -> Vec<&Submission> {
    let mut best: Vec<&Submission> = Vec::new();
    for s in subs.iter().filter(|s| s.prefecture.is_some() && !s.skipped) {
        match best.iter_mut().find(|b| b.prefecture == s.prefecture) {
            Some(b) => {
                if (s.filled_on, s.modified) > (b.filled_on, b.modified) {
                    *b = s;
                }
            }
            None => best.push(s),
        }
    }
    best
}

/// Writes the corrections of every submission that has something to correct into `dir`.
///
/// # Errors
/// When a workbook cannot be built; files that cannot be written are reported in the result.
pub fn write_all(refdata: &RefData, subs: &[Submission], period: Option<Period>, dir: &Path, force: bool) -> Result<Vec<(String, Result<PathBuf, String>)>, TemplateError> {
    let mut out = Vec::new();
    for s in latest_per_prefecture(subs) {
        let name = s.prefecture.clone().unwrap_or_default();
        let Some(bytes) = build(refdata, s, period)? else { continue };
        let path = dir.join(file_name(&name, s.period.or(period)));
        let result = if path.exists() && !force {
            Err(format!("{} 已存在,未覆盖(如需覆盖请加 --force)", path.display()))
        } else {
            crate::output::write_atomic(&path, &bytes).map(|()| path.clone()).map_err(|e| e.to_string())
        };
        out.push((name, result));
    }
    Ok(out)
}
