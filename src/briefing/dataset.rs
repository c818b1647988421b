//! What the dataset of every period adds to the documents: each prefecture's reporting record (on time or
//! days late) and the assessment (score, grade, rank) — quoted from [`crate::history::History`], the same
//! figures the 历次 workbook and the console's 历次 page show; nothing is scored here. Who is named under
//! 表扬 and 督促 follows the `[notice]` rules of `templates/assessment.toml`.

use std::path::Path;

use crate::history::{Dataset, History, Score};
use crate::period::Period;
use crate::refdata::{Measure, RefData};

use super::BriefingError;
use super::figures::{Assessed, Assessment, OverTime, Reporting};

/// The figures over time of `period` from the dataset at `dir`.
///
/// # Errors
/// When the dataset cannot be read or does not hold `period`.
pub fn over_time(refdata: &RefData, dir: &Path, period: Period) -> Result<OverTime, BriefingError> {
    let failed = |message: String| BriefingError::Dataset { path: dir.display().to_string(), message };
    let dataset = Dataset::open_existing(dir).map_err(|e| failed(e.to_string()))?;
    let history = History::read(refdata, &dataset, &Default::default()).map_err(|e| failed(e.to_string()))?;
    of(refdata, &history, period).ok_or_else(|| failed(format!("数据集中没有{}的数据;请先用 consolidate --dataset 写入该期", period.label())))
}

/// The figures over time of `period` in `history`; none when the history does not hold the period.
pub fn of(refdata: &RefData, history: &History, period: Period) -> Option<OverTime> {
    if !history.period_list().contains(&period) {
        return None;
    }
    let records: Vec<_> = history.records.iter().filter(|r| r.period == period).collect();
    let reporting = records
        .iter()
        .map(|r| Reporting { prefecture: r.prefecture.clone(), days_late: if r.files > 0 { r.days_late } else { None }, timeliness: r.timeliness() })
        .collect();
    let rules = &refdata.assessment;
    let ranked: Vec<&Score> = history.assessment.ranking(Some(period));
    let figure = |s: &Score, m: Measure| s.items.iter().find(|i| i.measure == m).map(|i| i.figure.clone()).unwrap_or_default();
    let assessed: Vec<Assessed> = ranked
        .iter()
        .map(|s| Assessed {
            prefecture: s.prefecture.clone(),
            rank: s.rank,
            score: s.total,
            grade: s.grade.clone(),
            timeliness: figure(s, Measure::OnTime),
            rounds: figure(s, Measure::RoundsUntilClean),
            enterprises: records.iter().find(|r| r.prefecture == s.prefecture).map_or(0, |r| r.enterprises),
            indicators: figure(s, Measure::IndicatorsOnPace),
        })
        .collect();
    let returned = |p: &str| records.iter().any(|r| r.prefecture == p && r.returned);
    let n = &rules.notice;
    let praise = ranked.iter().filter(|s| n.praise_grades.contains(&s.grade) && returned(&s.prefecture)).map(|s| s.prefecture.clone()).collect();
    let urge = ranked
        .iter()
        .filter(|s| n.urge_grades.contains(&s.grade) || (n.urge_missing && !returned(&s.prefecture)))
        .map(|s| s.prefecture.clone())
        .collect();
    let items = rules.items.iter().map(|i| format!("{}({}分)", i.name, crate::text::format_number(i.weight))).collect::<Vec<_>>().join("、");
    Some(OverTime {
        reporting,
        assessment: Some(Assessment { items, ranked: assessed, praise, praise_rule: n.praise_rule.clone(), urge, urge_rule: n.urge_rule.clone() }),
    })
}
