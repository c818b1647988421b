//! 考核: a score for each prefecture in each period and over all periods, from the rules of
//! `templates/assessment.toml` (items, weights, how each is measured, grade bands), ranked.
//!
//! The plan asks the office to assess the prefectures (督导考核), and its 简报 and 通报 quote the scores:
//! every document must show the same figures, and a prefecture that disputes its score must be shown
//! where each point came from. So the score is computed here once, from the reporting record
//! ([`super::record`]) and 序时进度 ([`super::schedule`]) alone, and each item keeps the figure it
//! measured and a line of arithmetic (`逾期2天:20 − 2×2 = 16`). Points are rounded to hundredths item by
//! item, and the total is the sum of the items as shown.

use serde::Serialize;

use crate::period::Period;
use crate::refdata::{AssessmentItem, Cumulative, Measure, RefData};
use crate::text::format_number;

use super::record::ReportRecord;
use super::schedule::{ScheduleLine, reported_by_prefectures};

/// One item of one prefecture's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemScore {
    pub id: String,
    pub name: String,
    pub measure: Measure,
    /// Full points.
    pub weight: f64,
    /// The figure measured, as printed (逾期2天, 3轮, 42/50 家 …).
    pub figure: String,
    pub points: f64,
    /// How the points follow from the figure.
    pub trace: String,
}

/// One prefecture's score in one period, or over all of them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// None: the cumulative score.
    pub period: Option<Period>,
    pub prefecture: String,
    pub items: Vec<ItemScore>,
    /// The sum of the items' points.
    pub total: f64,
    pub grade: String,
    /// 1 for the highest total; equal totals share a rank (1, 2, 2, 4).
    pub rank: usize,
}

/// Every score of the history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub periods: Vec<Period>,
    /// Each period's scores, periods in order, prefectures in official order within each.
    pub scores: Vec<Score>,
    /// The scores over all periods, in official order.
    pub cumulative: Vec<Score>,
}

impl Assessment {
    /// The score of `prefecture` in `period` (None: cumulative).
    pub fn score(&self, period: Option<Period>, prefecture: &str) -> Option<&Score> {
        let list = if period.is_some() { &self.scores } else { &self.cumulative };
        list.iter().find(|s| s.period == period && s.prefecture == prefecture)
    }

    /// The scores of `period` (None: cumulative) by rank, ties in official order.
    pub fn ranking(&self, period: Option<Period>) -> Vec<&Score> {
        let list = if period.is_some() { &self.scores } else { &self.cumulative };
        let mut v: Vec<&Score> = list.iter().filter(|s| s.period == period).collect();
        v.sort_by_key(|s| s.rank);
        v
    }
}

/// Points rounded to hundredths.
fn round2(v: f64) -> f64 {
    let r = (v * 100.0).round() / 100.0;
    if r == 0.0 { 0.0 } else { r }
}

fn n(v: f64) -> String {
    format_number(v)
}

/// Scores every prefecture in every period of `records`, and over all periods.
pub fn assess(refdata: &RefData, records: &[ReportRecord], lines: &[ScheduleLine]) -> Assessment {
    let rules = &refdata.assessment;
    let mut periods: Vec<Period> = records.iter().map(|r| r.period).collect();
    periods.sort();
    periods.dedup();
    let mut scores = Vec::new();
    for &p in &periods {
        let mut these: Vec<Score> = records
            .iter()
            .filter(|r| r.period == p)
            .map(|r| {
                let items: Vec<ItemScore> = rules.items.iter().map(|item| score_item(refdata, item, r, lines)).collect();
                finish(refdata, Some(p), r.prefecture.clone(), items)
            })
            .collect();
        rank(&mut these);
        scores.extend(these);
    }
    let mut cumulative: Vec<Score> = refdata
        .prefectures
        .all()
        .iter()
        .map(|pref| {
            let mine: Vec<&Score> = scores.iter().filter(|s| s.prefecture == pref.name).collect();
            let items = rules.items.iter().enumerate().map(|(k, item)| cumulative_item(rules.cumulative, item, &mine, k)).collect();
            finish(refdata, None, pref.name.clone(), items)
        })
        .collect();
    rank(&mut cumulative);
    Assessment { periods, scores, cumulative }
}

fn finish(refdata: &RefData, period: Option<Period>, prefecture: String, items: Vec<ItemScore>) -> Score {
    let total = round2(items.iter().map(|i| i.points).sum());
    let grade = refdata.assessment.grade(total).to_string();
    Score { period, prefecture, items, total, grade, rank: 0 }
}

/// Ranks the scores (in official order) by total, equal totals sharing a rank.
fn rank(scores: &mut [Score]) {
    let totals: Vec<f64> = scores.iter().map(|s| s.total).collect();
    for s in scores.iter_mut() {
        s.rank = 1 + totals.iter().filter(|t| **t > s.total + 1e-9).count();
    }
}

/// An item over all periods: the mean of its points in each period.
fn cumulative_item(how: Cumulative, item: &AssessmentItem, mine: &[&Score], k: usize) -> ItemScore {
    let points: Vec<f64> = mine.iter().map(|s| s.items[k].points).collect();
    let (value, trace) = match how {
        Cumulative::Mean if points.is_empty() => (0.0, "没有任何一期".to_string()),
        Cumulative::Mean => {
            let sum: f64 = points.iter().sum();
            let mean = round2(sum / points.len() as f64);
            let list: Vec<String> = points.iter().map(|p| n(*p)).collect();
            (mean, format!("各期得分 {} 的平均:({})÷{} = {}", list.join("、"), list.join(" + "), points.len(), n(mean)))
        }
    };
    ItemScore { id: item.id.clone(), name: item.name.clone(), measure: item.measure, weight: item.weight, figure: format!("{} 期", points.len()), points: value, trace }
}

/// One item of one prefecture's score in one period.
fn score_item(refdata: &RefData, item: &AssessmentItem, r: &ReportRecord, lines: &[ScheduleLine]) -> ItemScore {
    let w = item.weight;
    let deduct = item.deduct.unwrap_or(0.0);
    let nothing = r.files == 0;
    let (figure, points, trace): (String, f64, String) = match item.measure {
        Measure::OnTime => match (nothing, r.days_late) {
            (true, _) => ("未报送".into(), 0.0, "本期未收到任何报送,不得分".into()),
            (false, None) => (r.timeliness(), w, format!("{},按按时报送计:{}", r.timeliness(), n(w))),
            (false, Some(d)) if d <= 0 => {
                let when = r.first_received.map(|t| t.date().to_string()).unwrap_or_default();
                let by = r.deadline.map(|d| d.to_string()).unwrap_or_default();
                ("按时".into(), w, format!("{when} 收到首份报送,截止日期 {by},按时:{}", n(w)))
            }
            (false, Some(d)) => {
                let p = round2((w - deduct * d as f64).max(0.0));
                (format!("逾期{d}天"), p, format!("逾期{d}天:{} − {}×{d} = {}", n(w), n(deduct), n(p)))
            }
        },
        Measure::FirstClean => match (nothing, r.first_clean, r.adopted_errors) {
            (true, _, _) => ("未报送".into(), 0.0, "本期未收到任何报送,不得分".into()),
            (false, Some(true), _) => ("是".into(), w, format!("首轮报送没有错误:{}", n(w))),
            (false, Some(false), _) => ("否".into(), 0.0, "首轮报送有错误(或无法读取),不得分".into()),
            (false, None, Some(0)) => ("是".into(), w, format!("报送轮次不明,采用的报送没有错误:{}", n(w))),
            (false, None, _) => ("否".into(), 0.0, "报送轮次不明,采用的报送有错误(或没有采用的报送),不得分".into()),
        },
        Measure::RoundsUntilClean => match (nothing, r.rounds_until_clean, r.first_clean, r.adopted_errors) {
            (true, ..) => ("未报送".into(), 0.0, "本期未收到任何报送,不得分".into()),
            (false, Some(k), _, _) => {
                let p = round2((w - deduct * f64::from(k - 1)).max(0.0));
                (format!("第{k}轮无错误"), p, format!("第{k}轮报送无错误:{} − {}×{} = {}", n(w), n(deduct), k - 1, n(p)))
            }
            (false, None, None, Some(0)) => ("轮次不明".into(), w, format!("报送轮次不明,采用的报送没有错误:{}", n(w))),
            (false, None, _, _) => (format!("{}轮均有错误", r.rounds), 0.0, "本期收到的报送均有错误,不得分".into()),
        },
        Measure::Enterprises => {
            let t = r.enterprises_target.max(1) as f64;
            let share = (r.enterprises as f64 / t).min(1.0);
            let p = round2(w * share);
            (format!("{}/{} 家", r.enterprises, r.enterprises_target), p, format!("{} × min(1, {}÷{}) = {}", n(w), r.enterprises, r.enterprises_target, n(p)))
        }
        Measure::TasksFilled => {
            let p = round2(w * r.tasks_filled as f64 / r.tasks_total.max(1) as f64);
            (format!("{}/{} 项", r.tasks_filled, r.tasks_total), p, format!("{} × {}÷{} = {}", n(w), r.tasks_filled, r.tasks_total, n(p)))
        }
        Measure::IndicatorsOnPace => {
            let asked: Vec<&ScheduleLine> = lines
                .iter()
                .filter(|l| l.period == r.period && l.prefecture.as_deref() == Some(r.prefecture.as_str()))
                .filter(|l| refdata.indicators.get(&l.indicator).is_some_and(|i| reported_by_prefectures(i) && i.applies_to.is_none()))
                .collect();
            let on: Vec<&ScheduleLine> = asked.iter().copied().filter(|l| l.on_pace()).collect();
            let total = asked.len().max(1);
            let p = if r.returned { round2(w * on.len() as f64 / total as f64) } else { 0.0 };
            let names: Vec<&str> = on.iter().filter_map(|l| refdata.indicators.get(&l.indicator).map(|i| i.short())).collect();
            let trace = if r.returned {
                format!("{} × {}÷{} = {}(达到或超过序时进度:{})", n(w), on.len(), asked.len(), n(p), if names.is_empty() { "无".to_string() } else { names.join("、") })
            } else {
                "本期没有采用的报送,不得分".into()
            };
            (format!("{}/{} 项", on.len(), asked.len()), p, trace)
        }
    };
    ItemScore { id: item.id.clone(), name: item.name.clone(), measure: item.measure, weight: w, figure, points, trace }
}
