//! Reading an earlier rollup back: the quarter-to-quarter loop works from the workbook the office already
//! has, so that next quarter's templates can be prefilled and two quarters compared without any other
//! store of data.

use std::collections::BTreeMap;
use std::path::Path;

use crate::read::{Limits, ReadError, Sheet, read_bytes, read_file};
use crate::refdata::RefData;
use crate::indicators::Previous;
use crate::rollup::layout::{HEADER_ROW, NOT_REPORTED, cols, indicator_cols, long_cols, sheets, summary_cols};
use crate::text::enterprise_key;

/// One enterprise of a rollup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub prefecture: String,
    /// One value per ledger column (in the order of `ledger.toml`; 序号 is empty).
    pub fields: Vec<String>,
    /// The matching key of the enterprise's name.
    pub key: String,
}

/// One task's progress in one prefecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub prefecture: String,
    pub task: u32,
    pub status: String,
    pub narrative: String,
    pub value: String,
}

/// What a rollup holds, as far as the loop needs it.
#[derive(Debug, Clone, Default)]
pub struct Rollup {
    pub period: Option<crate::Period>,
    pub rows: Vec<Row>,
    pub progress: Vec<Progress>,
    /// The figures of its 指标完成情况 sheet (empty for a rollup written before the sheet existed).
    pub indicators: Previous,
    /// The prefectures whose return is in the rollup (canonical names, official order), from the 汇总
    /// sheet's 报送状态. Two quarters are compared only where both hold a return: a prefecture that has not
    /// reported yet has not lost its enterprises.
    pub reported: Vec<String>,
    /// The lines of the 汇总 sheet: each prefecture's status, file, counts and files not taken.
    pub summary: Vec<SummaryLine>,
    /// The main table of 指标完成情况, one line per indicator as written (empty without the sheet).
    pub indicator_lines: Vec<IndicatorLine>,
    /// Per task of 附件1 任务分解及进展, the number of prefectures in each status, as written.
    pub task_counts: Vec<TaskCount>,
}

/// One prefecture's line of a rollup's 汇总 sheet, as far as the history needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SummaryLine {
    /// Canonical name.
    pub prefecture: String,
    pub status: String,
    pub file: String,
    pub filled_date: String,
    pub enterprises: u32,
    pub tasks: u32,
    pub errors: u32,
    pub warnings: u32,
    pub infos: u32,
    /// Each file not taken, with why: `name(why)` as the sheet writes it, split.
    pub unused: Vec<(String, String)>,
}

/// One indicator of a rollup's 指标完成情况 sheet, as written.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorLine {
    pub id: String,
    pub province: Option<f64>,
    /// 各市州合计 of a count of prefectures (None in a rollup made before the column existed).
    pub total: Option<f64>,
    /// province ÷ target (1.0 = 100 %).
    pub rate: Option<f64>,
    pub status: crate::indicators::Status,
    /// 序时进度 as written: a number, or 每个市州≥N for a count of prefectures (empty in a rollup made
    /// before the column existed).
    pub expected: String,
    /// The previous rollup's province figure and the change, when the rollup was made with `--previous`.
    pub previous: Option<f64>,
    pub change: Option<f64>,
}

/// One task of a rollup's 附件1 matrix: how many prefectures reported each status (in the order of
/// `tasks.toml`'s statuses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskCount {
    pub task: u32,
    pub by_status: Vec<(String, usize)>,
}

impl TaskCount {
    /// The number of prefectures that reported `status` on the task.
    pub fn of(&self, status: &str) -> usize {
        self.by_status.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n)
    }
}

impl Rollup {
    /// Whether the prefecture's return is in this rollup.
    pub fn has_reported(&self, prefecture: &str) -> bool {
        self.reported.iter().any(|p| p == prefecture)
    }
}

/// A rollup that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadbackError {
    #[error("无法读取汇总表 {file}: {source}{}", .source.detail().map(|d| format!("(技术细节:{d})")).unwrap_or_default())]
    Read {
        file: String,
        #[source]
        source: ReadError,
    },
    #[error("{file} 不是 taizhang 生成的汇总表(没有「{sheet}」工作表)")]
    NotARollup { file: String, sheet: String },
}

/// The header row (third row) of a rollup sheet: column index by header text.
fn header(sheet: &Sheet) -> BTreeMap<String, u32> {
    sheet.grid.row(HEADER_ROW).iter().map(|c| (c.value.to_text(), c.pos.col)).collect()
}

fn text(sheet: &Sheet, row: u32, col: Option<u32>) -> String {
    col.and_then(|c| sheet.grid.get(crate::cell::CellRef::new(row, c))).map(|c| c.value.to_text()).unwrap_or_default()
}

/// The texts a rollup kept whole in its long-text sheet, by the sheet and cell (A1) whose beginning they
/// continue: each text's segments joined in order.
fn long_texts(wb: &crate::read::Workbook) -> BTreeMap<(String, String), String> {
    let mut out: BTreeMap<(String, String), Vec<(u32, String)>> = BTreeMap::new();
    if let Some(sheet) = wb.sheets.iter().find(|s| s.name == sheets::LONG_TEXT) {
        let h = header(sheet);
        let col = |n: &str| h.get(n).copied();
        for r in sheet.grid.row_numbers().filter(|r| *r > HEADER_ROW) {
            let key = (text(sheet, r, col(long_cols::SHEET)), text(sheet, r, col(long_cols::CELL)));
            let part = text(sheet, r, col(long_cols::PART)).parse().unwrap_or(0);
            // Read as cell values, which are trimmed: a segment is written whole, so the raw value is kept.
            let segment = col(long_cols::TEXT)
                .and_then(|c| sheet.grid.get(crate::cell::CellRef::new(r, c)))
                .map(|c| match &c.value {
                    crate::read::Value::Text(s) => s.clone(),
                    v => v.to_text(),
                })
                .unwrap_or_default();
            out.entry(key).or_default().push((part, segment));
        }
    }
    out.into_iter()
        .map(|(k, mut parts)| {
            parts.sort_by_key(|(n, _)| *n);
            (k, parts.into_iter().map(|(_, s)| s).collect())
        })
        .collect()
}

/// The text of a cell of a rollup sheet, whole: from the long-text sheet when the cell shows only its
/// beginning.
fn whole_text(long: &BTreeMap<(String, String), String>, sheet: &Sheet, row: u32, col: Option<u32>) -> String {
    let whole = col.and_then(|c| long.get(&(sheet.name.clone(), crate::cell::CellRef::new(row, c).a1())));
    match whole {
        Some(t) => crate::text::clean_text(t),
        None => text(sheet, row, col),
    }
}

/// Reads a rollup written by `taizhang consolidate`.
///
/// # Errors
/// When the file cannot be read or is not a rollup.
pub fn read_rollup(refdata: &RefData, path: &Path) -> Result<Rollup, ReadbackError> {
    let file = path.display().to_string();
    let wb = read_file(path, &Limits::default()).map_err(|source| ReadbackError::Read { file: file.clone(), source })?;
    from_workbook(refdata, &wb, &file)
}

/// Reads a rollup held in memory.
///
/// # Errors
/// As [`read_rollup`].
pub fn read_rollup_bytes(refdata: &RefData, bytes: Vec<u8>, file: &str) -> Result<Rollup, ReadbackError> {
    let wb = read_bytes(bytes, &Limits::default()).map_err(|source| ReadbackError::Read { file: file.into(), source })?;
    from_workbook(refdata, &wb, file)
}

fn from_workbook(refdata: &RefData, wb: &crate::read::Workbook, file: &str) -> Result<Rollup, ReadbackError> {
    let ledger_name = sheets::LEDGER;
    let ledgers: Vec<&Sheet> = wb.sheets.iter().filter(|s| sheets::is_ledger(&s.name)).collect();
    if ledgers.is_empty() {
        return Err(ReadbackError::NotARollup { file: file.into(), sheet: ledger_name.into() });
    }
    let long = long_texts(wb);
    let mut out = Rollup::default();
    out.period = ledgers[0].grid.row(0).first().and_then(|c| crate::Period::find_in(&c.value.to_text()));
    let ent = refdata.ledger.keys.enterprise;
    for sheet in ledgers {
        let h = header(sheet);
        let pref_col = h.get(cols::PREFECTURE).copied();
        let cols: Vec<Option<u32>> = refdata.ledger.columns.iter().map(|c| if c.key == "seq" { None } else { h.get(&c.name).copied() }).collect();
        for r in sheet.grid.row_numbers().filter(|r| *r > HEADER_ROW) {
            let prefecture = text(sheet, r, pref_col);
            if prefecture.is_empty() {
                continue;
            }
            let fields: Vec<String> = cols.iter().map(|c| whole_text(&long, sheet, r, *c)).collect();
            let key = enterprise_key(&fields[ent]);
            out.rows.push(Row { prefecture, fields, key });
        }
    }
    (out.reported, out.summary) = reported(refdata, wb, &out);
    out.indicators = indicators_of(refdata, wb);
    out.indicator_lines = indicator_lines(refdata, wb);
    out.task_counts = task_counts(refdata, wb);
    if let Some(sheet) = wb.sheets.iter().find(|s| s.name == sheets::PROGRESS) {
        let h = header(sheet);
        let col = |n: &str| h.get(n).copied();
        for r in sheet.grid.row_numbers().filter(|r| *r > HEADER_ROW) {
            let status = text(sheet, r, col(cols::STATUS));
            let Ok(task) = text(sheet, r, col(cols::TASK)).parse::<u32>() else { continue };
            if status == NOT_REPORTED {
                continue;
            }
            out.progress.push(Progress {
                prefecture: text(sheet, r, col(cols::PREFECTURE)),
                task,
                status,
                narrative: whole_text(&long, sheet, r, col(cols::NARRATIVE)),
                value: text(sheet, r, col(cols::VALUE)),
            });
        }
    }
    Ok(out)
}

/// The prefectures marked 已报送 on the rollup's 汇总 sheet, in official order, and the sheet's lines. A
/// rollup without that sheet (one cut down by hand) counts a prefecture as reported when it has rows in the
/// ledger.
fn reported(refdata: &RefData, wb: &crate::read::Workbook, rollup: &Rollup) -> (Vec<String>, Vec<SummaryLine>) {
    let mut names: Vec<String> = Vec::new();
    let summary = wb.sheets.iter().find(|s| s.name == sheets::SUMMARY);
    // The header is looked for in the first rows rather than at a fixed one, so a title line more or less
    // in the rollup's layout does not make every prefecture look absent.
    let columns = summary.and_then(|sheet| {
        sheet.grid.row_numbers().take(6).find_map(|r| {
            let h: BTreeMap<String, u32> = sheet.grid.row(r).iter().map(|c| (c.value.to_text(), c.pos.col)).collect();
            Some((sheet, r, *h.get(summary_cols::PREFECTURE)?, *h.get(summary_cols::STATUS)?))
        })
    });
    let mut lines = Vec::new();
    match columns {
        Some((sheet, h, pc, sc)) => {
            let head: BTreeMap<String, u32> = sheet.grid.row(h).iter().map(|c| (c.value.to_text(), c.pos.col)).collect();
            let at = |r: u32, name: &str| text(sheet, r, head.get(name).copied());
            let count = |r: u32, name: &str| at(r, name).parse::<f64>().map_or(0, |v| v as u32);
            for r in sheet.grid.row_numbers().filter(|r| *r > h) {
                let Some(p) = refdata.prefectures.lookup(&text(sheet, r, Some(pc))) else { continue };
                let status = text(sheet, r, Some(sc));
                if crate::rollup::status::ReturnStatus::from_label(&status) == crate::rollup::status::ReturnStatus::Returned {
                    names.push(p.name.clone());
                }
                lines.push(SummaryLine {
                    prefecture: p.name.clone(),
                    file: at(r, summary_cols::FILE),
                    filled_date: at(r, summary_cols::FILLED_DATE),
                    enterprises: count(r, summary_cols::ENTERPRISES),
                    tasks: count(r, summary_cols::TASKS),
                    errors: count(r, summary_cols::ERRORS),
                    warnings: count(r, summary_cols::WARNINGS),
                    infos: count(r, summary_cols::INFOS),
                    unused: at(r, summary_cols::UNUSED).lines().filter(|l| !l.trim().is_empty()).map(split_unused).collect(),
                    status,
                });
            }
        }
        None => names.extend(rollup.rows.iter().map(|r| r.prefecture.clone())),
    }
    let mut out: Vec<String> = refdata.prefectures.all().iter().map(|p| p.name.clone()).filter(|p| names.contains(p)).collect();
    out.dedup();
    (out, lines)
}

/// `name(why)` as the 汇总 sheet writes a file not taken, split at its last opening bracket.
fn split_unused(line: &str) -> (String, String) {
    let line = line.trim();
    match line.strip_suffix(')').and_then(|l| l.rfind('(').map(|i| (&l[..i], &l[i + '('.len_utf8()..]))) {
        Some((name, why)) => (name.to_string(), why.to_string()),
        None => (line.to_string(), String::new()),
    }
}


/// Reads the 指标完成情况 sheet of a rollup written by `consolidate`; empty when the rollup has none (one
/// written before the sheet existed).
fn indicators_of(refdata: &RefData, wb: &crate::read::Workbook) -> Previous {
    let mut out = Previous::default();
    let Some(sheet) = wb.sheets.iter().find(|s| s.name == refdata.indicators.sheet) else { return out };
    out.period = sheet.grid.row(0).iter().find_map(|c| crate::Period::find_in(&c.value.to_text()));
    let Some(h) = sheet.grid.row_numbers().take(6).find(|r| sheet.grid.row(*r).iter().any(|c| c.value.to_text() == indicator_cols::PROVINCE)) else {
        return out;
    };
    let head: Vec<(u32, String)> = sheet.grid.row(h).iter().map(|c| (c.pos.col, c.value.to_text())).collect();
    let col = |name: &str| head.iter().find(|(_, t)| t == name).map(|(c, _)| *c);
    let (Some(name_col), Some(prov_col)) = (col(indicator_cols::NAME), col(indicator_cols::PROVINCE)) else { return out };
    let pref_cols: Vec<(u32, String)> = head
        .iter()
        .filter_map(|(c, t)| refdata.prefectures.lookup(&t.replace('\n', "")).map(|p| (*c, p.name.clone())))
        .collect();
    let number = |r: u32, c: u32| match sheet.grid.get(crate::cell::CellRef::new(r, c)).map(|x| &x.value) {
        Some(crate::read::Value::Number(n)) => Some(*n),
        Some(crate::read::Value::Text(t)) => t.trim().parse::<f64>().ok(),
        _ => None,
    };
    for r in sheet.grid.row_numbers().filter(|r| *r > h) {
        let Some(name) = sheet.grid.get(crate::cell::CellRef::new(r, name_col)).map(|c| c.value.to_text()) else { continue };
        // Only the main table: the per-prefecture table below names prefectures, not indicators.
        let Some(ind) = refdata.indicators.indicators.iter().find(|i| i.name == name) else { continue };
        if out.province.contains_key(&ind.id) {
            continue;
        }
        if let Some(v) = number(r, prov_col) {
            out.province.insert(ind.id.clone(), v);
        }
        for (c, p) in &pref_cols {
            if let Some(v) = number(r, *c) {
                out.values.insert((ind.id.clone(), p.clone()), v);
            }
        }
    }
    out
}

/// A cell of a rollup sheet as a number: a number cell, or text holding one (none when empty).
fn number_at(sheet: &Sheet, row: u32, col: Option<u32>) -> Option<f64> {
    match col.and_then(|c| sheet.grid.get(crate::cell::CellRef::new(row, c))).map(|x| &x.value) {
        Some(crate::read::Value::Number(n)) => Some(*n),
        Some(crate::read::Value::Text(t)) => t.trim().parse::<f64>().ok(),
        _ => None,
    }
}

/// The main table of 指标完成情况 as written: each indicator's province figure, rate, status and change.
fn indicator_lines(refdata: &RefData, wb: &crate::read::Workbook) -> Vec<IndicatorLine> {
    let mut out: Vec<IndicatorLine> = Vec::new();
    let Some(sheet) = wb.sheets.iter().find(|s| s.name == refdata.indicators.sheet) else { return out };
    let Some(h) = sheet.grid.row_numbers().take(6).find(|r| sheet.grid.row(*r).iter().any(|c| c.value.to_text() == indicator_cols::PROVINCE)) else {
        return out;
    };
    // The first cell of each header: the prefecture blocks repeat 指标 further right.
    let mut head: BTreeMap<String, u32> = BTreeMap::new();
    for c in sheet.grid.row(h) {
        head.entry(c.value.to_text()).or_insert(c.pos.col);
    }
    let col = |n: &str| head.get(n).copied();
    for r in sheet.grid.row_numbers().filter(|r| *r > h) {
        let name = text(sheet, r, col(indicator_cols::NAME));
        let Some(ind) = refdata.indicators.indicators.iter().find(|i| i.name == name) else { continue };
        if out.iter().any(|l| l.id == ind.id) {
            continue;
        }
        out.push(IndicatorLine {
            id: ind.id.clone(),
            province: number_at(sheet, r, col(indicator_cols::PROVINCE)),
            total: number_at(sheet, r, col(indicator_cols::TOTAL)),
            rate: number_at(sheet, r, col(indicator_cols::RATE)),
            status: crate::indicators::Status::from_label(&text(sheet, r, col(indicator_cols::STATUS))),
            expected: match number_at(sheet, r, col(indicator_cols::EXPECTED)) {
                Some(v) => crate::text::format_number(v),
                None => text(sheet, r, col(indicator_cols::EXPECTED)),
            },
            previous: number_at(sheet, r, col(indicator_cols::PREVIOUS)),
            change: number_at(sheet, r, col(indicator_cols::CHANGE)),
        });
    }
    out
}

/// Per task, the counts of the status columns of 附件1 任务分解及进展 (their headers stand one character per
/// line).
fn task_counts(refdata: &RefData, wb: &crate::read::Workbook) -> Vec<TaskCount> {
    let Some(sheet) = wb.sheets.iter().find(|s| s.name == sheets::TASKS) else { return Vec::new() };
    let status_cols: Vec<(String, u32)> = sheet
        .grid
        .row(HEADER_ROW)
        .iter()
        .filter_map(|c| {
            let t = c.value.to_text().replace('\n', "");
            refdata.tasks.statuses.contains(&t).then_some((t, c.pos.col))
        })
        .collect();
    let mut out = Vec::new();
    for r in sheet.grid.row_numbers().filter(|r| *r > HEADER_ROW) {
        let Some(task) = number_at(sheet, r, Some(0)).filter(|n| n.fract() == 0.0 && *n > 0.0) else { continue };
        let by_status = refdata
            .tasks
            .statuses
            .iter()
            .map(|s| (s.clone(), status_cols.iter().find(|(t, _)| t == s).and_then(|(_, c)| number_at(sheet, r, Some(*c))).map_or(0, |v| v as usize)))
            .collect();
        out.push(TaskCount { task: task as u32, by_status });
    }
    out
}

/// Each prefecture's rows and progress as template prefill, for the next quarter.
pub fn prefill(rollup: &Rollup) -> Vec<(String, crate::template::Prefill)> {
    let mut by: BTreeMap<&str, crate::template::Prefill> = BTreeMap::new();
    for r in &rollup.rows {
        by.entry(&r.prefecture).or_default().ledger.push(r.fields.clone());
    }
    for p in &rollup.progress {
        by.entry(&p.prefecture).or_default().progress.push((p.task, [p.status.clone(), p.narrative.clone(), p.value.clone()]));
    }
    by.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}
