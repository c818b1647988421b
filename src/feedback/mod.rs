//! Corrections back to a prefecture: its rows as read, in the official template, with every cell that has a
//! finding highlighted and annotated, and a 问题清单 sheet in front. The prefecture corrects the marked
//! cells and sends the same workbook back; taizhang recognises it like any of its templates.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

mod record;

use crate::xlsx::style;
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
        Table::Indicators => return None,
    };
    specs.iter().find(|c| c.name == field).map(|c| c.key.clone())
}

/// Maps every "第N行" of a message that names a row of the original sheet to the row where that row now
/// is, so that a message and the cell it is attached to agree.
fn renumber_rows(message: &str, map: &dyn Fn(u32) -> Option<u32>) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find('第') {
        out.push_str(&rest[..i]);
        let after = &rest[i + '第'.len_utf8()..];
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        let tail = &after[digits.len()..];
        match (digits.parse::<u32>(), tail.starts_with('行')) {
            (Ok(n), true) if n > 0 => {
                let shown = map(n - 1).map_or(n, |r| r + 1);
                out.push_str(&format!("第{shown}"));
                rest = tail;
            }
            _ => {
                out.push('第');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Builds the corrections workbook of one submission; `None` when it has nothing to correct or its
/// prefecture is unknown.
///
/// Each finding about a cell of the ledger or the task progress is moved to where that cell is in the
/// corrections workbook: the row the value now stands on, the column it is about (an added column such as
/// 备注 included: those are kept, after the template's columns), and the row numbers its message names.
/// A finding about a cell that is not copied keeps pointing at the original file.
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
    let prefill = prefill_of(refdata, sub);
    // Where each original row went.
    let ledger_rows: HashMap<(&str, u32), usize> = sub.rows.iter().enumerate().map(|(k, r)| ((r.sheet.as_str(), r.row), k)).collect();
    let task_rows: HashMap<(&str, u32), u32> = sub.progress.iter().map(|p| ((p.sheet.as_str(), p.row), p.task)).collect();
    let mut marks = Vec::new();
    for f in &mut findings {
        let (Some(sheet), Some(cell)) = (f.sheet.clone(), f.cell) else { continue };
        let moved = |r: u32| -> Option<u32> {
            if let Some(&k) = ledger_rows.get(&(sheet.as_str(), r)) {
                Some(template::LEDGER_HEADER_ROW + 1 + k as u32)
            } else {
                task_rows.get(&(sheet.as_str(), r)).map(|&t| template::PROGRESS_HEADER_ROW + t)
            }
        };
        // The finding is shown where the prefecture will see the cell: in this workbook when the cell is
        // in it, else in its own file.
        let place = if let Some(&k) = ledger_rows.get(&(sheet.as_str(), cell.row)) {
            ledger_place(refdata, sub, k, cell, f.field.as_deref())
        } else if let Some(&task) = task_rows.get(&(sheet.as_str(), cell.row)) {
            Some(progress_place(refdata, sub, task, cell, f.field.as_deref()))
        } else {
            indicator_place(refdata, sub, &sheet, cell)
        };
        match place {
            Some((table, row, column, r, c, name)) => {
                f.message = renumber_rows(&f.message, &moved);
                f.sheet = Some(name);
                f.cell = Some(crate::cell::CellRef::new(r, c));
                marks.push(Mark { table, row, column, severity: f.severity, message: f.message.clone(), formula_error: f.code == Code::FormulaError });
            }
            None => f.sheet = Some(format!("原文件 {sheet}")),
        }
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

/// A return's rows, progress and indicators as they are written back into its corrections workbook.
fn prefill_of(refdata: &RefData, sub: &Submission) -> Prefill {
    Prefill {
        ledger: sub.rows.iter().map(|r| (0..refdata.ledger.columns.len()).map(|i| r.text(i).to_string()).collect()).collect(),
        progress: sub
            .progress
            .iter()
            .map(|p| {
                let t = |l: &Option<crate::submission::Located>| l.as_ref().map(|l| l.text.clone()).unwrap_or_default();
                (p.task, [t(&p.status), t(&p.narrative), t(&p.value)])
            })
            .collect(),
        ledger_extra_headers: sub.extra_columns.clone(),
        ledger_extras: sub.rows.iter().map(|r| (0..sub.extra_columns.len()).map(|e| r.extra(e).to_string()).collect()).collect(),
        indicators: sub
            .indicators
            .iter()
            .map(|r| crate::template::IndicatorPrefill {
                id: r.id.clone(),
                previous: r.previous,
                value: r.cell.as_ref().map(|l| l.text.clone()).unwrap_or_default(),
                note: r.note.as_ref().map(|l| l.text.clone()).unwrap_or_default(),
            })
            .collect(),
    }
}

/// Where a finding about a cell of the ledger goes in the corrections workbook: row `k` of 附件2, the
/// column of the field (or the extra column) the cell holds.
fn ledger_place(refdata: &RefData, sub: &Submission, k: usize, cell: crate::cell::CellRef, field: Option<&str>) -> Option<(Table, usize, String, u32, u32, String)> {
    let row = &sub.rows[k];
    let at = |l: &Option<crate::submission::Located>| l.as_ref().is_some_and(|l| l.cell.col == cell.col);
    let column = row
        .fields
        .iter()
        .position(at)
        .or_else(|| sub.ledger_columns.iter().position(|c| *c == Some(cell.col)))
        .map(|i| (i, refdata.ledger.columns[i].key.clone()))
        .or_else(|| row.extras.iter().position(at).map(|e| (refdata.ledger.columns.len() + e, template::extra_key(e))))
        .or_else(|| {
            column_key(refdata, Table::Ledger, field)
                .and_then(|key| refdata.ledger.columns.iter().position(|c| c.key == key).map(|i| (i, key)))
        });
    column.map(|(col, key)| (Table::Ledger, k, key, template::LEDGER_HEADER_ROW + 1 + k as u32, col as u32, refdata.template.sheets.ledger.clone()))
}

/// Where a finding about a cell of the task progress goes: the row of its task in 附件1, the column of
/// the status, narrative or value the cell holds.
fn progress_place(refdata: &RefData, sub: &Submission, task: u32, cell: crate::cell::CellRef, field: Option<&str>) -> (Table, usize, String, u32, u32, String) {
    let p = sub.progress.iter().find(|p| p.task == task);
    let at = |l: &Option<crate::submission::Located>| l.as_ref().is_some_and(|l| l.cell.col == cell.col);
    let key = p
        .and_then(|p| {
            [("status", &p.status), ("narrative", &p.narrative), ("value", &p.value)].into_iter().find(|(_, l)| at(l)).map(|(k, _)| k.to_string())
        })
        .or_else(|| column_key(refdata, Table::Progress, field))
        .unwrap_or_else(|| "narrative".into());
    let col = refdata.tasks.columns.iter().position(|c| c.key == key).unwrap_or(0) as u32;
    (Table::Progress, task as usize, key, template::PROGRESS_HEADER_ROW + task, col, refdata.template.sheets.progress.clone())
}

/// Where a finding about a cell of the 指标完成情况 sheet goes in the corrections workbook: the row of its
/// indicator in the template, the 累计完成值 or 说明 column.
fn indicator_place(refdata: &RefData, sub: &Submission, sheet: &str, cell: crate::cell::CellRef) -> Option<(Table, usize, String, u32, u32, String)> {
    let at = |l: &Option<crate::submission::Located>| l.as_ref().is_some_and(|l| l.sheet == sheet && l.cell == cell);
    let reported = sub.indicators.iter().find(|x| at(&x.cell) || at(&x.note))?;
    let k = refdata.indicators.asked().position(|i| i.id == reported.id)?;
    let (key, col) = if at(&reported.cell) { ("value", 6) } else { ("note", 7) };
    Some((Table::Indicators, k, key.to_string(), template::INDICATORS_HEADER_ROW + 1 + k as u32, col, refdata.indicators.sheet.clone()))
}

/// What the prefecture should do about a file that could not be used at all.
fn what_to_do(f: &Finding, period: Option<Period>) -> String {
    let this = period.map(|p| format!("{}({})", p.label(), p.code())).unwrap_or_else(|| "本期".into());
    match f.code {
        Code::Encrypted => "请取消文件的打开密码(Excel:文件→信息→保护工作簿→用密码进行加密,清空密码;WPS:文件→文档加密→密码加密,清空密码),保存后重新报送。".into(),
        Code::Unreadable | Code::ReaderFailure | Code::Timeout => {
            "文件无法读取。请用 Excel 或 WPS 打开后「另存为」xlsx 格式重新报送;如打不开,请在本期模板中重新填写。".into()
        }
        Code::NotSpreadsheet => "报送的不是台账表格,请报送填写好的台账(xlsx 格式,或填在附件2表格中的 Word 文档 .docx),不要报送图片、PDF 或旧版 .doc 文档。".into(),
        Code::TooLarge => "文件过大,请删除多余的行、列、图片或工作表后重新报送。".into(),
        Code::PeriodMismatch => format!("本次收集的是{this}的台账,请使用{this}的模板填写后重新报送。"),
        Code::PeriodUnknown | Code::PeriodAssumed => format!("请在文件名中写明期别(如「{}-市州-质量提升台账.xlsx」),或使用{this}的模板重新报送。", period.map(|p| p.code()).unwrap_or_else(|| "2018Q3".into())),
        _ => "请按说明修改后重新报送。".into(),
    }
}

/// The notice for a prefecture none of whose files could be used (encrypted, damaged, for another period
/// …): there is no workbook to annotate, so it lists each file received, what is wrong with it and what
/// to do. One sheet, print-ready, in the same file name as a corrections workbook so that `mail` sends it.
///
/// # Errors
/// When rust_xlsxwriter fails.
pub fn notice(refdata: &RefData, prefecture: &str, files: &[&Submission], period: Option<Period>) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{DocProperties, ExcelDateTime, FormatAlign, FormatBorder, Workbook};
    let mut wb = Workbook::new();
    let created = match period {
        Some(p) => {
            use chrono::Datelike;
            let d = p.last_day();
            ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?
        }
        None => ExcelDateTime::from_ymd(2018, 7, 4)?,
    };
    let label = period.map(|p| p.label()).unwrap_or_default();
    wb.set_properties(&DocProperties::new().set_title(format!("{prefecture}{label}质量提升台账审核意见")).set_author("四川省质量提升办").set_creation_datetime(&created));
    let base = style::base(11.0).set_text_wrap();
    let title = style::title(&base, 16.0);
    let cell = base.clone().set_border(FormatBorder::Thin).set_align(FormatAlign::Top);
    let header = cell.clone().set_bold().set_align(FormatAlign::Center).set_background_color(style::HEADER_FILL);
    let error = cell.clone().set_font_color(style::ERROR_TEXT).set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(&refdata.template.sheets.feedback)?;
    let headers = [("序号", 5.0), ("收到的文件", 30.0), ("问题", 16.0), ("说明", 52.0), ("请这样处理", 46.0)];
    for (c, (_, w)) in headers.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let last = headers.len() as u16 - 1;
    ws.merge_range(0, 0, 0, last, &format!("{prefecture}{label}质量提升台账审核意见"), &title)?;
    ws.set_row_height(0, 36)?;
    let intro = format!(
        "你单位报送的以下文件未能纳入{}全省汇总,没有可以标注修改的台账。请按「请这样处理」一栏修改后重新报送;如已另行报送正确的文件,请忽略本通知。",
        if label.is_empty() { "本期".to_string() } else { label.clone() }
    );
    ws.merge_range(1, 0, 1, last, &intro, &base)?;
    ws.set_row_height(1, crate::xlsx::fit_height(&[(&intro, headers.iter().map(|h| h.1).sum())], 16.0) + 4.0)?;
    for (c, (h, _)) in headers.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, *h, &header)?;
    }
    let mut r = 3;
    let mut n = 0;
    for s in files {
        // Why the file could not be used (unreadable, another period …) first, then what else is wrong in it.
        let mut findings: Vec<&Finding> = s.findings.iter().filter(|f| actionable(f)).collect();
        findings.sort_by_key(|f| !matches!(f.code.as_str().as_bytes()[0], b'F' | b'P'));
        for f in findings {
            n += 1;
            let todo = what_to_do(f, period);
            let cells = [n.to_string(), s.file_name(), f.code.title().to_string(), f.message.clone(), todo];
            let texts: Vec<(&str, f64)> = cells.iter().zip(headers.iter()).map(|(t, (_, w))| (t.as_str(), *w)).collect();
            ws.set_row_height(r, crate::xlsx::fit_height(&texts, 15.0).max(20.0))?;
            for (c, t) in cells.iter().enumerate() {
                let fmt = if c == 2 && f.severity == Severity::Error { &error } else { &cell };
                ws.write_string_with_format(r, c as u16, t, fmt)?;
            }
            r += 1;
        }
    }
    let hint = "填报要求:使用省质量提升办下发的本期模板;保存为 xlsx 格式;不要设置打开密码;文件名保留期别和市州(如「2018Q3-成都市-质量提升台账.xlsx」)。";
    let hint = hint.replace("2018Q3", &period.map(|p| p.code()).unwrap_or_else(|| "2018Q3".into())).replace("成都市", prefecture);
    ws.merge_range(r + 1, 0, r + 1, last, &hint, &base)?;
    ws.set_row_height(r + 1, 36)?;
    crate::xlsx::print_setup(ws, 2, 2)?;
    Ok(wb.save_to_buffer()?)
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

/// What `feedback` wrote, or could not, for one prefecture.
#[derive(Debug)]
pub struct Written {
    pub prefecture: String,
    /// A message-only notice rather than an annotated workbook.
    pub notice: bool,
    pub result: Result<PathBuf, String>,
    /// What became of a workbook this folder already held for the prefecture.
    pub earlier: Earlier,
}

/// A corrections workbook taizhang wrote into the folder before, for an earlier round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Earlier {
    /// There was none (or it was overwritten at the user's request).
    #[default]
    None,
    /// Replaced: it was written for a file since superseded, and not changed since.
    Replaced,
    /// Removed: the adopted return has nothing left to correct, so it must not be mailed again.
    Removed,
}


/// Writes, into `dir`, the corrections of every prefecture with something to correct: an annotated
/// workbook when a return of the period was read, else a notice listing the files received (unreadable,
/// encrypted, for another period …) and what to do. `period` is the one given; when `None`, the period
/// most returns name.
///
/// # Errors
/// When a workbook cannot be built; files that cannot be written are reported in the result.
pub fn write_all(refdata: &RefData, subs: &[Submission], period: Option<Period>, dir: &Path, force: bool) -> Result<Vec<Written>, TemplateError> {
    let collected = period.or_else(|| crate::import::batch::majority_period(subs));
    let mut record = record::Record::read(dir);
    let mut out = Vec::new();
    for p in refdata.prefectures.all() {
        let path = dir.join(file_name(&p.name, collected));
        let own = record.is_own(&path);
        let Some(one) = for_prefecture(refdata, subs, collected, &p.name)? else {
            // The adopted return is clean now: the earlier round's workbook would be mailed again.
            if own && std::fs::remove_file(&path).is_ok() {
                record.forget(&path);
                out.push(Written { prefecture: p.name.clone(), notice: false, result: Ok(path), earlier: Earlier::Removed });
            }
            continue;
        };
        let path = dir.join(&one.name);
        let own = own || record.is_own(&path);
        let result = if path.exists() && !force && !own {
            Err(format!("{} 已存在且不是本程序上一轮生成的原样文件(可能已手工修改),未覆盖(如需覆盖请加 --force)", path.display()))
        } else {
            crate::output::write_atomic(&path, &one.bytes).map(|()| path.clone()).map_err(|e| e.to_string())
        };
        if result.is_ok() {
            record.wrote(&one.name, &one.bytes);
        }
        let earlier = if own && result.is_ok() { Earlier::Replaced } else { Earlier::None };
        out.push(Written { prefecture: p.name.clone(), notice: one.notice, result, earlier });
    }
    record.save(dir)?;
    Ok(out)
}

/// One prefecture's corrections, built in memory.
#[derive(Debug)]
pub struct Corrections {
    /// The file name it is saved or downloaded under.
    pub name: String,
    pub bytes: Vec<u8>,
    /// A message-only notice rather than an annotated workbook.
    pub notice: bool,
}

/// The corrections of `prefecture` in the collection of `period`: an annotated workbook of its return,
/// else a notice of the files that could not be used; `None` when it has nothing to correct. Built on
/// request, touching no other prefecture's file.
///
/// # Errors
/// When a workbook cannot be built.
pub fn for_prefecture(refdata: &RefData, subs: &[Submission], period: Option<Period>, prefecture: &str) -> Result<Option<Corrections>, TemplateError> {
    let mine: Vec<&Submission> = subs.iter().filter(|s| s.prefecture.as_deref() == Some(prefecture) && !s.skipped).collect();
    if mine.is_empty() {
        return Ok(None);
    }
    // The file the rollup adopted: once merged, the others carry F08; the latest stands in before.
    let usable: Vec<Submission> = mine.iter().filter(|s| crate::import::batch::counts_for(s, period) && !s.findings.iter().any(|f| f.code == Code::Superseded)).map(|s| (*s).clone()).collect();
    let (bytes, notice) = match latest_per_prefecture(&usable).first() {
        Some(s) => (build(refdata, s, period)?, false),
        None => {
            let bad: Vec<&Submission> = mine.iter().copied().filter(|s| s.findings.iter().any(actionable)).collect();
            if bad.is_empty() {
                return Ok(None);
            }
            let bytes = notice(refdata, prefecture, &bad, period).map_err(|source| TemplateError::Xlsx { prefecture: prefecture.to_string(), source })?;
            (Some(bytes), true)
        }
    };
    Ok(bytes.map(|bytes| Corrections { name: file_name(prefecture, period), bytes, notice }))
}

/// What the feedback operation wrote: one entry per prefecture with something to correct, and how many
/// files could not be given a prefecture (and so no corrections).
#[derive(Debug)]
pub struct FeedbackReport {
    pub written: Vec<Written>,
    pub unknown: usize,
}

/// Reads every return under `paths` and writes, into `dir`, the corrections of every prefecture with
/// something to correct (see [`write_all`]).
///
/// # Errors
/// When nothing could be read, the folder cannot be created or a workbook cannot be built.
pub fn write_for(refdata: &RefData, paths: &[PathBuf], batch: &crate::import::batch::BatchOptions, dir: &Path, force: bool, progress: &mut dyn FnMut(usize, usize, &str)) -> Result<FeedbackReport, crate::Error> {
    // Settled and merged as the rollup is, so that the corrections are the adopted file's.
    #[cfg(feature = "rollup")]
    let subs = crate::rollup::period::read_period(refdata, paths, batch, progress)?.subs;
    #[cfg(not(feature = "rollup"))]
    let (subs, _) = crate::import::batch::read_paths(refdata, paths, batch, progress);
    if subs.is_empty() {
        return Err(crate::Error::Message("没有找到任何报送文件。".into()));
    }
    std::fs::create_dir_all(dir).map_err(|source| crate::output::OutputError::Io { path: dir.to_path_buf(), source })?;
    let written = write_all(refdata, &subs, batch.period, dir, force)?;
    let unknown = subs.iter().filter(|s| s.prefecture.is_none() && !s.skipped).count();
    Ok(FeedbackReport { written, unknown })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_numbers_of_a_message_follow_their_rows() {
        // Original rows 7 and 4 (zero-based 6 and 3) now stand on rows 10 and 6; row 99 was not copied.
        let map = |r: u32| match r {
            6 => Some(9),
            3 => Some(5),
            _ => None,
        };
        assert_eq!(renumber_rows("第7行与第4行内容完全相同", &map), "第10行与第6行内容完全相同");
        assert_eq!(renumber_rows("第99行「提升企业名称」为空", &map), "第99行「提升企业名称」为空");
        assert_eq!(renumber_rows("第7项工作重复填写,第行", &map), "第7项工作重复填写,第行");
    }
}
