//! 序时进度: how much of a target is due at a period, and whether a value is ahead of it, on it or behind.
//!
//! A target of the plan is due at the end of its horizon (至2020年: 2020Q4; 本年度: the year's last
//! quarter). Judging a value against the whole target before then tells the office the opposite of the
//! truth (39.8 % of a 2020 target after the first of ten quarters is well ahead, not 未达标), so a value is
//! judged against the share of the horizon's quarters that has passed. The rule — which quarters, how the
//! bands lie, how a province-wide target is shared among prefectures — is `[schedule]` of
//! `templates/indicators.toml`; this module only applies it, and depends on nothing but the reference data
//! so that the rollup, the board, the history workbook and the assessment all judge the same way.

use serde::Serialize;

use crate::period::Period;
use crate::refdata::{Comparison, Horizon, Indicator, RefData, ScheduleRules, Scope, Share, YearQuarters};

use super::facts::PeriodFacts;

/// Where a period stands in an indicator's horizon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Expectation {
    /// The horizon's first quarter (2018Q3 for a 至2020年 target, the year's first quarter in the plan for a
    /// 本年度 one).
    pub first: Period,
    /// The quarter the target is due.
    pub due: Period,
    /// Quarters of the horizon up to and including the period (0 before the horizon, `quarters` after it).
    pub elapsed: u32,
    /// Quarters of the horizon.
    pub quarters: u32,
}

impl Expectation {
    /// The share of the target due: elapsed ÷ quarters.
    pub fn fraction(&self) -> f64 {
        if self.quarters == 0 { 1.0 } else { f64::from(self.elapsed) / f64::from(self.quarters) }
    }

    /// Whether the target is due (the period is its last quarter, or later).
    pub fn is_due(&self) -> bool {
        self.elapsed >= self.quarters
    }
}

/// The horizon of `horizon` as `rules` set it, and where `period` stands in it.
pub fn expectation(rules: &ScheduleRules, horizon: Horizon, period: Period) -> Expectation {
    let (first, due) = match horizon {
        Horizon::By2020 => (rules.first, rules.last),
        Horizon::PerYear => {
            let year_first = Period { year: period.year, quarter: 1 };
            let year_last = Period { year: period.year, quarter: 4 };
            match rules.per_year {
                YearQuarters::Calendar => (year_first, year_last),
                // Within the plan: 2018 starts at its third quarter; a year outside the plan keeps its four.
                YearQuarters::Plan => {
                    let a = if rules.first.year == period.year { rules.first.max(year_first) } else { year_first };
                    let b = if rules.last.year == period.year { rules.last.min(year_last) } else { year_last };
                    (a, b)
                }
            }
        }
    };
    let quarters = (due.ordinal() - first.ordinal() + 1).max(1) as u32;
    let elapsed = (period.ordinal() - first.ordinal() + 1).clamp(0, quarters as i32) as u32;
    Expectation { first, due, elapsed, quarters }
}

/// A value against 序时进度.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Pace {
    /// The whole target is reached.
    Met,
    /// 超进度: at or above `ahead` × what is due.
    Ahead,
    /// 达进度.
    OnPace,
    /// 欠进度: below `behind` × what is due.
    Behind,
    /// Due (or a rate, judged every quarter) and not reached: 未达标.
    NotMet,
}

impl Pace {
    pub fn label(self) -> &'static str {
        match self {
            Pace::Met => "达标",
            Pace::Ahead => "超进度",
            Pace::OnPace => "达进度",
            Pace::Behind => "欠进度",
            Pace::NotMet => "未达标",
        }
    }

    /// At or ahead of 序时进度 (what the assessment counts).
    pub fn on_pace(self) -> bool {
        matches!(self, Pace::Met | Pace::Ahead | Pace::OnPace)
    }
}

/// One value judged against its 序时进度.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Judged {
    /// The whole target the value is set against.
    pub target: f64,
    /// What is due at the period: target × elapsed ÷ quarters (the target itself for a rate).
    pub expected: f64,
    pub value: f64,
    /// value − expected: negative when behind.
    pub gap: f64,
    /// The value at the due date if the pace so far holds (value ÷ elapsed × quarters); none for a rate, or
    /// before the horizon starts.
    pub projected: Option<f64>,
    /// Whether the projection reaches the target.
    pub reaches: Option<bool>,
    pub pace: Pace,
}

/// Rounds away the binary noise of divisions (500 × 7 ÷ 10 = 350.00000000000006).
pub fn tidy(v: f64) -> f64 {
    let r = (v * 1e9).round() / 1e9;
    if r == 0.0 { 0.0 } else { r }
}

/// Whether `value` meets `target` the way `ind` compares.
fn meets(ind: &Indicator, value: f64, target: f64) -> bool {
    match ind.comparison {
        Comparison::AtMost => value <= target,
        Comparison::AtLeast | Comparison::Rate => value >= target,
    }
}

/// Judges `value` against `target` due over `e`. A rate, and an upper bound, are not spread: they hold or
/// not at every quarter.
pub fn judge(rules: &ScheduleRules, ind: &Indicator, target: f64, value: f64, e: &Expectation) -> Judged {
    let spread = ind.comparison == Comparison::AtLeast;
    let expected = if spread { tidy(target * e.fraction()) } else { target };
    let projected = (spread && e.elapsed > 0).then(|| tidy(value / f64::from(e.elapsed) * f64::from(e.quarters)));
    let pace = if meets(ind, value, target) {
        Pace::Met
    } else if !spread || e.is_due() {
        Pace::NotMet
    } else if expected <= 0.0 {
        if value > 0.0 { Pace::Ahead } else { Pace::OnPace }
    } else if value >= expected * rules.ahead - 1e-9 {
        Pace::Ahead
    } else if value >= expected * rules.behind - 1e-9 {
        Pace::OnPace
    } else {
        Pace::Behind
    };
    Judged { target, expected, value, gap: tidy(value - expected), projected, reaches: projected.map(|p| meets(ind, p, target)), pace }
}

/// The target one prefecture's value is set against: the indicator's own for a per-prefecture target, its
/// share of a province-wide one as `rules` share it.
pub fn prefecture_target(rules: &ScheduleRules, ind: &Indicator, prefectures: usize) -> f64 {
    match (ind.scope, ind.comparison) {
        (Scope::Prefecture, _) | (_, Comparison::Rate | Comparison::AtMost) => ind.target,
        (Scope::Province, Comparison::AtLeast) => match rules.prefecture_share {
            Share::Equal => tidy(ind.target / prefectures.max(1) as f64),
        },
    }
}

/// One indicator at one period, province-wide or for one prefecture, against its 序时进度.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleLine {
    pub period: Period,
    /// The indicator's id.
    pub indicator: String,
    /// The prefecture (canonical name); none for the province.
    pub prefecture: Option<String>,
    pub expectation: Expectation,
    /// The value judged: the prefecture's; for the province the sum of the prefectures' (or the office's
    /// own figure), and for a per-prefecture target the number of prefectures at or ahead of theirs.
    pub value: Option<f64>,
    /// The value against what is due; none when there is no value (nothing reported).
    pub judged: Option<Judged>,
    /// What is due at the period, value or not.
    pub expected: f64,
    pub target: f64,
}

impl ScheduleLine {
    /// 超进度 … 未达标, or 无数据.
    pub fn label(&self) -> &'static str {
        self.judged.map_or("无数据", |j| j.pace.label())
    }

    /// At or ahead of 序时进度.
    pub fn on_pace(&self) -> bool {
        self.judged.is_some_and(|j| j.pace.on_pace())
    }
}

/// Whether prefectures report the indicator (in the template, or through the ledger's count).
pub fn reported_by_prefectures(ind: &Indicator) -> bool {
    ind.asked || ind.source == crate::refdata::Source::Ledger
}

/// 序时进度 of every indicator in every period: the province's line, then (for the indicators prefectures
/// report) each prefecture's, in official order.
pub fn lines(refdata: &RefData, periods: &[PeriodFacts]) -> Vec<ScheduleLine> {
    let rules = &refdata.indicators.schedule;
    let n = refdata.prefectures.all().len();
    let mut out = Vec::new();
    for f in periods {
        for ind in &refdata.indicators.indicators {
            let e = expectation(rules, ind.horizon, f.period);
            let each = prefecture_target(rules, ind, n);
            let mine: Vec<(String, Option<f64>)> = f.prefectures.iter().map(|p| (p.name.clone(), p.values.get(&ind.id).copied())).collect();
            let per: Vec<ScheduleLine> = mine
                .iter()
                .map(|(name, v)| ScheduleLine {
                    period: f.period,
                    indicator: ind.id.clone(),
                    prefecture: Some(name.clone()),
                    expectation: e,
                    value: *v,
                    judged: v.map(|v| judge(rules, ind, each, v, &e)),
                    expected: judge(rules, ind, each, 0.0, &e).expected,
                    target: each,
                })
                .collect();
            out.push(province_line(rules, ind, f, &e, &per));
            if reported_by_prefectures(ind) {
                out.extend(per);
            }
        }
    }
    out
}

/// The province's line: a sum (or the office's own figure) against what is due of the province's target;
/// a per-prefecture target by how many prefectures are at or ahead of their own 序时进度, all of them
/// being due to be, and met when as many meet the whole target.
fn province_line(rules: &ScheduleRules, ind: &Indicator, f: &PeriodFacts, e: &Expectation, per: &[ScheduleLine]) -> ScheduleLine {
    use crate::refdata::Aggregate;
    let base = |value: Option<f64>, judged: Option<Judged>, expected: f64, target: f64| ScheduleLine {
        period: f.period,
        indicator: ind.id.clone(),
        prefecture: None,
        expectation: *e,
        value,
        judged,
        expected,
        target,
    };
    match ind.aggregate {
        Aggregate::Count => {
            let t = ind.province_target.unwrap_or(per.len() as f64);
            let reported: Vec<&Judged> = per.iter().filter_map(|l| l.judged.as_ref()).collect();
            if reported.is_empty() {
                return base(None, None, t, t);
            }
            let on = reported.iter().filter(|j| j.pace.on_pace()).count() as f64;
            let met = reported.iter().filter(|j| j.pace == Pace::Met).count() as f64;
            let pace = if met >= t {
                Pace::Met
            } else if on >= t {
                Pace::OnPace
            } else if e.is_due() {
                Pace::NotMet
            } else {
                Pace::Behind
            };
            let j = Judged { target: t, expected: t, value: on, gap: tidy(on - t), projected: None, reaches: None, pace };
            base(Some(on), Some(j), t, t)
        }
        Aggregate::Sum | Aggregate::Province => {
            let value = match ind.aggregate {
                Aggregate::Province => f.province_figures.get(&ind.id).copied(),
                _ => {
                    let v: Vec<f64> = per.iter().filter_map(|l| l.value).collect();
                    (!v.is_empty()).then(|| tidy(v.iter().sum()))
                }
            };
            let expected = judge(rules, ind, ind.target, 0.0, e).expected;
            base(value, value.map(|v| judge(rules, ind, ind.target, v, e)), expected, ind.target)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(y: u16, q: u8) -> Period {
        Period { year: y, quarter: q }
    }

    #[test]
    fn a_2020_target_is_spread_over_ten_quarters_a_yearly_one_over_the_years_quarters_in_the_plan() {
        let r = RefData::embedded().unwrap();
        let s = &r.indicators.schedule;
        let e = expectation(s, Horizon::By2020, p(2018, 3));
        assert_eq!((e.elapsed, e.quarters, e.fraction()), (1, 10, 0.1));
        assert_eq!(expectation(s, Horizon::By2020, p(2020, 1)).elapsed, 7);
        assert!(expectation(s, Horizon::By2020, p(2020, 4)).is_due());
        // 2018 has two quarters in the plan; 2019 four.
        let e = expectation(s, Horizon::PerYear, p(2018, 3));
        assert_eq!((e.first, e.due, e.elapsed, e.quarters), (p(2018, 3), p(2018, 4), 1, 2));
        let e = expectation(s, Horizon::PerYear, p(2019, 2));
        assert_eq!((e.first, e.due, e.elapsed, e.quarters), (p(2019, 1), p(2019, 4), 2, 4));
        // Before the plan nothing is due.
        assert_eq!(expectation(s, Horizon::By2020, p(2018, 2)).elapsed, 0);
    }

    #[test]
    fn values_are_judged_against_what_is_due_not_against_the_whole_target() {
        let r = RefData::embedded().unwrap();
        let s = &r.indicators.schedule;
        let ind = r.indicators.get("self_declared_standards").unwrap();
        // 39.8 % of 500 after the first of ten quarters: 199 against 50 due.
        let j = judge(s, ind, 500.0, 199.0, &expectation(s, Horizon::By2020, p(2018, 3)));
        assert_eq!((j.expected, j.gap, j.projected, j.reaches, j.pace), (50.0, 149.0, Some(1990.0), Some(true), Pace::Ahead));
        // At 2020Q1, 350 is due: 352 is on pace (below 385, a tenth ahead), 340 behind.
        let e = expectation(s, Horizon::By2020, p(2020, 1));
        assert_eq!(judge(s, ind, 500.0, 352.0, &e).pace, Pace::OnPace);
        let j = judge(s, ind, 500.0, 340.0, &e);
        assert_eq!((j.pace, j.gap, j.projected, j.reaches), (Pace::Behind, -10.0, Some(485.714285714), Some(false)));
        assert_eq!(judge(s, ind, 500.0, 500.0, &e).pace, Pace::Met);
        // Due and short: 未达标.
        assert_eq!(judge(s, ind, 500.0, 499.0, &expectation(s, Horizon::By2020, p(2020, 4))).pace, Pace::NotMet);
        // A rate is judged against its target at every quarter.
        let rate = r.indicators.get("spot_check_pass_rate").unwrap();
        let j = judge(s, rate, 91.5, 90.0, &expectation(s, Horizon::PerYear, p(2018, 3)));
        assert_eq!((j.expected, j.projected, j.pace), (91.5, None, Pace::NotMet));
        assert_eq!(prefecture_target(s, ind, 21), 23.809523810);
        assert_eq!(prefecture_target(s, r.indicators.get("sme_helped").unwrap(), 21), 50.0);
    }
}
