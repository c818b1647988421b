//! One period's four tables of the dataset, built from a consolidation (the merge and the submissions it
//! read) or from a rollup workbook read back, each with the same columns whatever the period's returns
//! held (see [`super::dataset`]).

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::period::Period;
use crate::refdata::RefData;
use crate::rollup::layout::cols as rc;
use crate::rollup::merge::Merged;
use crate::submission::Submission;

use super::dataset::{PeriodTables, cols};

/// Where and when a file arrived, as taizhang recorded it (by the name the file was read under).
#[derive(Debug, Clone, Default)]
pub struct Arrival {
    /// Local time.
    pub received: Option<chrono::NaiveDateTime>,
    pub sha256: String,
    /// 网页上传, 邮件(…), 宜宾市上传链接, 文件夹.
    pub origin: Option<String>,
}

/// The arrivals of a period's files, by the name each was read under.
pub type Arrivals = BTreeMap<String, Arrival>;

fn str_col(name: &str, values: Vec<Option<String>>) -> Column {
    Column::new(name.into(), values)
}

/// The ledger columns of the dataset in order: 序号, 填报市州, 经济区, the ledger's own, 附加列, 来源文件,
/// 来源单元格, 原序号.
pub fn ledger_columns(refdata: &RefData) -> Vec<String> {
    let seq = refdata.ledger.keys.seq;
    let mut names: Vec<String> = vec![rc::SEQ.into(), rc::PREFECTURE.into(), rc::ZONE.into()];
    names.extend(refdata.ledger.columns.iter().enumerate().filter(|(i, _)| *i != seq).map(|(_, c)| c.name.clone()));
    names.extend([cols::EXTRAS.to_string(), rc::FILE.into(), rc::CELL.into(), rc::ORIGINAL_SEQ.into()]);
    names
}

/// The text of column `name` of `df`, row by row (nulls where it has no such column).
fn texts(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    match df.column(name) {
        Ok(c) => {
            let c = c.cast(&DataType::String)?;
            Ok(c.str()?.iter().map(|v| v.map(str::to_string)).collect())
        }
        Err(_) => Ok(vec![None; df.height()]),
    }
}

/// The extra columns of each row as a JSON object, none for a row with none.
fn extras_json(df: &DataFrame, extras: &[String]) -> PolarsResult<Vec<Option<String>>> {
    let present: Vec<(&String, Vec<Option<String>>)> = extras.iter().filter(|e| df.column(e).is_ok()).map(|e| Ok((e, texts(df, e)?))).collect::<PolarsResult<_>>()?;
    Ok((0..df.height())
        .map(|i| {
            let map: serde_json::Map<String, serde_json::Value> =
                present.iter().filter_map(|(name, v)| v[i].as_ref().filter(|t| !t.is_empty()).map(|t| ((*name).clone(), serde_json::Value::String(t.clone())))).collect();
            (!map.is_empty()).then(|| serde_json::Value::Object(map).to_string())
        })
        .collect())
}

/// One part of the merged ledger (a return's rows) with the dataset's columns. A part is one return, so
/// its zone is one value; the columns are selected and cast by polars, not copied row by row (at a
/// million rows this is most of what the dataset costs a consolidation).
pub fn ledger_part(refdata: &RefData, df: &DataFrame, extras: &[String], zones: &BTreeMap<String, String>) -> PolarsResult<DataFrame> {
    let prefecture = df.column(rc::PREFECTURE).ok().and_then(|c| c.str().ok().and_then(|s| s.get(0).map(str::to_string)));
    let zone = prefecture.and_then(|p| zones.get(&p).cloned());
    let null = || lit(NULL).cast(DataType::String);
    let mut base = df.clone();
    if extras.iter().any(|e| df.column(e).is_ok()) {
        base.with_column(str_col(cols::EXTRAS, extras_json(df, extras)?))?;
    }
    let exprs: Vec<Expr> = ledger_columns(refdata)
        .iter()
        .map(|name| match name.as_str() {
            rc::SEQ => col(rc::SEQ).cast(DataType::UInt32),
            rc::ZONE => zone.clone().map_or_else(null, lit).alias(rc::ZONE),
            other if base.column(other).is_ok() => col(other).cast(DataType::String),
            other => null().alias(other),
        })
        .collect();
    base.lazy().select(exprs).collect()
}

/// The ledger table without rows (its columns and types).
pub fn ledger_empty(refdata: &RefData) -> PolarsResult<DataFrame> {
    let columns = ledger_columns(refdata)
        .into_iter()
        .map(|n| if n == rc::SEQ { Column::new(n.into(), Vec::<u32>::new()) } else { str_col(&n, Vec::new()) })
        .collect();
    DataFrame::new(0, columns)
}

/// The progress table: 任务序号, 填报市州, 完成状态, 推进情况, 量化完成值, 附加列, 来源文件, 来源单元格.
pub fn progress_table(df: &DataFrame, extras: &[String]) -> PolarsResult<DataFrame> {
    let n = df.height();
    let task: Vec<Option<u32>> = match df.column(rc::TASK) {
        Ok(c) => c.cast(&DataType::UInt32)?.u32()?.iter().collect(),
        Err(_) => vec![None; n],
    };
    let mut out = vec![Column::new(rc::TASK.into(), task)];
    for name in [rc::PREFECTURE, rc::STATUS, rc::NARRATIVE, rc::VALUE] {
        out.push(str_col(name, texts(df, name)?));
    }
    out.push(str_col(cols::EXTRAS, extras_json(df, extras)?));
    for name in [rc::FILE, rc::CELL] {
        out.push(str_col(name, texts(df, name)?));
    }
    DataFrame::new(n, out)
}

/// One row of the indicators table.
pub struct IndicatorRow {
    pub id: String,
    /// The prefecture, or [`cols::PROVINCE`].
    pub prefecture: String,
    pub target: Option<f64>,
    pub value: Option<f64>,
    pub expected: Option<f64>,
    pub status: String,
}

/// The indicators table, long: one row per indicator and prefecture (the province's first), with the
/// indicator's name, unit and horizon.
pub fn indicators_table(refdata: &RefData, rows: &[IndicatorRow]) -> PolarsResult<DataFrame> {
    let ind = |id: &str| refdata.indicators.get(id);
    let col_of = |f: &dyn Fn(&IndicatorRow) -> Option<String>| rows.iter().map(f).collect::<Vec<Option<String>>>();
    let num = |f: &dyn Fn(&IndicatorRow) -> Option<f64>| rows.iter().map(f).collect::<Vec<Option<f64>>>();
    let columns = vec![
        str_col(cols::INDICATOR_ID, col_of(&|r| Some(r.id.clone()))),
        str_col(crate::rollup::layout::indicator_cols::NAME, col_of(&|r| ind(&r.id).map(|i| i.name.clone()))),
        str_col(crate::rollup::layout::indicator_cols::UNIT, col_of(&|r| ind(&r.id).map(|i| i.unit.clone()))),
        str_col(crate::rollup::layout::indicator_cols::HORIZON, col_of(&|r| ind(&r.id).map(|i| crate::indicators::horizon_text(i).to_string()))),
        str_col(rc::PREFECTURE, col_of(&|r| Some(r.prefecture.clone()))),
        Column::new(cols::TARGET_VALUE.into(), num(&|r| r.target)),
        Column::new(cols::VALUE.into(), num(&|r| r.value)),
        Column::new(cols::EXPECTED.into(), num(&|r| r.expected)),
        str_col(cols::STATUS, col_of(&|r| Some(r.status.clone()))),
    ];
    DataFrame::new(rows.len(), columns)
}

/// The indicator rows of a period's figures: the province figure as the rollup gives it, then each
/// prefecture's value judged against its own 序时进度.
pub fn indicator_rows(refdata: &RefData, figures: &crate::indicators::Figures) -> Vec<IndicatorRow> {
    use crate::history::schedule;
    let rules = &refdata.indicators.schedule;
    let prefs = refdata.prefectures.all();
    let mut out = Vec::new();
    for (f, i) in figures.figures.iter().zip(&refdata.indicators.indicators) {
        out.push(IndicatorRow { id: f.id.clone(), prefecture: cols::PROVINCE.into(), target: f.province_target, value: f.province, expected: f.expected, status: f.status.label().into() });
        if !schedule::reported_by_prefectures(i) {
            continue;
        }
        let each = schedule::prefecture_target(rules, i, prefs.len());
        for (j, p) in prefs.iter().enumerate() {
            let v = f.values.get(j).copied().flatten();
            let status = match (v, figures.period) {
                (Some(v), Some(period)) => schedule::judge(rules, i, each, v, &schedule::expectation(rules, i.horizon, period)).pace.label(),
                (Some(v), None) if crate::indicators::meets(i, v, each) => "达标",
                (Some(_), None) => "未达标",
                (None, _) => "无数据",
            };
            out.push(IndicatorRow { id: f.id.clone(), prefecture: p.name.clone(), target: Some(each), value: v, expected: f.expected_each, status: status.into() });
        }
    }
    out
}

/// One row of the submissions table.
#[derive(Debug, Clone, Default)]
pub struct SubmissionRow {
    pub prefecture: Option<String>,
    pub file: String,
    pub part: Option<String>,
    pub format: Option<String>,
    pub origin: Option<String>,
    pub sender: Option<String>,
    pub received: Option<chrono::NaiveDateTime>,
    pub sha256: String,
    pub stated_period: Option<String>,
    pub filled_date: Option<String>,
    /// 采用, 被替代, 未采用.
    pub adoption: String,
    pub superseded_by: Option<String>,
    pub why: Option<String>,
    pub errors: u32,
    pub warnings: u32,
    pub infos: u32,
    pub round: Option<u32>,
    pub enterprises: u32,
    pub tasks: u32,
}

/// How the dataset writes a time: `2018-10-09 14:03:12`.
pub const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// The submissions table, with the period's deadline on every row.
pub fn submissions_table(rows: &[SubmissionRow], deadline: Option<chrono::NaiveDate>) -> PolarsResult<DataFrame> {
    let s = |f: &dyn Fn(&SubmissionRow) -> Option<String>| rows.iter().map(f).collect::<Vec<Option<String>>>();
    let u = |f: &dyn Fn(&SubmissionRow) -> u32| rows.iter().map(f).collect::<Vec<u32>>();
    let columns = vec![
        str_col(rc::PREFECTURE, s(&|r| r.prefecture.clone())),
        str_col(cols::FILE, s(&|r| Some(r.file.clone()))),
        str_col(cols::PART, s(&|r| r.part.clone())),
        str_col(cols::FORMAT, s(&|r| r.format.clone())),
        str_col(cols::ORIGIN, s(&|r| r.origin.clone())),
        str_col(cols::SENDER, s(&|r| r.sender.clone())),
        str_col(cols::RECEIVED, s(&|r| r.received.map(|t| t.format(TIME_FORMAT).to_string()))),
        str_col(cols::SHA256, s(&|r| Some(r.sha256.clone()).filter(|h| !h.is_empty()))),
        str_col(cols::STATED_PERIOD, s(&|r| r.stated_period.clone())),
        str_col(cols::FILLED_DATE, s(&|r| r.filled_date.clone())),
        str_col(cols::ADOPTION, s(&|r| Some(r.adoption.clone()))),
        str_col(cols::SUPERSEDED_BY, s(&|r| r.superseded_by.clone())),
        str_col(cols::WHY, s(&|r| r.why.clone())),
        Column::new(cols::ERRORS.into(), u(&|r| r.errors)),
        Column::new(cols::WARNINGS.into(), u(&|r| r.warnings)),
        Column::new(cols::INFOS.into(), u(&|r| r.infos)),
        Column::new(cols::ROUND.into(), rows.iter().map(|r| r.round).collect::<Vec<Option<u32>>>()),
        str_col(cols::DEADLINE, rows.iter().map(|_| deadline.map(|d| d.to_string())).collect()),
        Column::new(cols::ENTERPRISES.into(), u(&|r| r.enterprises)),
        Column::new(cols::TASKS.into(), u(&|r| r.tasks)),
    ];
    DataFrame::new(rows.len(), columns)
}

/// The submissions of a merge: every file read (passed-over notes aside), what became of it, its round.
/// `enterprises[i]` is the number of enterprises `subs[i]` holds (its rows may have moved into frames).
pub fn submission_rows(m: &Merged, subs: &[Submission], enterprises: &[usize], arrivals: &Arrivals) -> Vec<SubmissionRow> {
    let mut rows: Vec<SubmissionRow> = subs
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.skipped)
        .map(|(i, s)| {
            let a = arrivals.get(&s.name).cloned().unwrap_or_default();
            let received = a.received.or_else(|| s.modified.map(|t| chrono::DateTime::<chrono::Local>::from(t).naive_local()));
            let received = received.and_then(|t| t.with_nanosecond(0));
            let (adoption, by, why) = if m.adopted.contains(&i) {
                ("采用".to_string(), None, None)
            } else if let Some((_, w)) = m.superseded.iter().find(|(l, _)| *l == i) {
                ("被替代".to_string(), Some(subs[*w].file_name()), None)
            } else {
                let why = m.prefectures.iter().flat_map(|p| &p.unused).find(|(f, _)| *f == s.file_name()).map(|(_, w)| w.clone());
                ("未采用".to_string(), None, why.or_else(|| Some("未纳入汇总".into())))
            };
            let c = s.counts();
            SubmissionRow {
                prefecture: s.prefecture.clone(),
                // As the rollup names its files: no folder of this machine in the dataset.
                file: s.file_name(),
                part: s.part.clone(),
                format: s.format.map(|f| f.name().to_string()),
                origin: a.origin,
                sender: s.sender.as_ref().map(crate::inbox::mime::Sender::display),
                received,
                sha256: a.sha256,
                stated_period: s.period.map(|p| p.code()),
                filled_date: s.filled_date_text(),
                adoption,
                superseded_by: by,
                why,
                errors: c.errors as u32,
                warnings: c.warnings as u32,
                infos: c.infos as u32,
                round: None,
                enterprises: enterprises.get(i).copied().unwrap_or_else(|| s.distinct_rows().count()) as u32,
                tasks: s.progress.len() as u32,
            }
        })
        .collect();
    number_rounds(&mut rows);
    rows
}

/// Numbers each prefecture's rounds (files received the same second are one round).
fn number_rounds(rows: &mut [SubmissionRow]) {
    let mut facts: Vec<super::facts::Received> = rows
        .iter()
        .map(|r| super::facts::Received {
            prefecture: r.prefecture.clone(),
            file: r.file.clone(),
            received: r.received,
            sha256: String::new(),
            adoption: super::facts::Adoption::Adopted,
            errors: 0,
            warnings: 0,
            infos: 0,
            round: None,
        })
        .collect();
    super::facts::number_rounds(&mut facts);
    for (r, f) in rows.iter_mut().zip(facts) {
        r.round = f.round;
    }
}

use chrono::Timelike;

/// A consolidation's period as the dataset's four tables; the ledger is written part by part (the
/// merge's parts, read back one at a time by the writer).
///
/// # Errors
/// When polars rejects a frame built here (a defect), or a spilled part cannot be read back.
pub fn of_merge<'a>(
    refdata: &'a RefData,
    period: Period,
    m: &'a Merged,
    subs: &[Submission],
    enterprises: &[usize],
    arrivals: &Arrivals,
    deadline: Option<chrono::NaiveDate>,
) -> PolarsResult<PeriodTables<'a>> {
    let zones: BTreeMap<String, String> = refdata.prefectures.all().iter().map(|p| (p.name.clone(), refdata.prefectures.zone_of(p).name.clone())).collect();
    let extras = m.extra_columns.clone();
    let parts = m.ledger.parts().map(move |f| f.and_then(|df| ledger_part(refdata, &df, &extras, &zones)));
    Ok(PeriodTables {
        period,
        ledger: super::dataset::Rows::Parts { empty: ledger_empty(refdata)?, parts: Box::new(parts) },
        progress: progress_table(&m.progress, &m.progress_extra_columns)?,
        indicators: indicators_table(refdata, &indicator_rows(refdata, &m.indicators))?,
        submissions: submissions_table(&submission_rows(m, subs, enterprises, arrivals), deadline)?,
    })
}
