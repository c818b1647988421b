//! How each prefecture reports, period by period and over all periods: on time or how many days late
//! against the period's deadline, how many rounds until a return without errors arrived, whether the first
//! one was already clean, its enterprises against the plan's 50, the tasks it filled. The figures come
//! from the files received ([`super::facts`]) and are what the assessment scores.

use serde::Serialize;

use crate::period::Period;
use crate::refdata::RefData;

use super::facts::{Adoption, PeriodFacts, Received};

/// One prefecture's reporting in one period.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRecord {
    pub period: Period,
    pub prefecture: String,
    /// Whether a return of it is in the rollup.
    pub returned: bool,
    pub deadline: Option<chrono::NaiveDate>,
    /// When its first file of the period arrived.
    pub first_received: Option<chrono::NaiveDateTime>,
    /// Calendar days from the deadline to the first arrival: 0 or less is on time. None without a
    /// deadline or an arrival time.
    pub days_late: Option<i64>,
    /// Files received.
    pub files: usize,
    /// Rounds of files received (files arriving together are one round).
    pub rounds: u32,
    /// The round whose file had no errors first; none when no such file arrived.
    pub rounds_until_clean: Option<u32>,
    /// Whether the first round already had a return without errors (None when nothing arrived, or the
    /// arrivals are not known).
    pub first_clean: Option<bool>,
    /// Errors of the return in the rollup (what judges a period whose rounds are not known).
    pub adopted_errors: Option<u32>,
    pub enterprises: usize,
    /// The plan's 每个市州精准帮扶至少50家.
    pub enterprises_target: usize,
    pub tasks_filled: usize,
    pub tasks_total: usize,
}

impl ReportRecord {
    /// On time: the first file arrived by the end of the deadline day.
    pub fn on_time(&self) -> Option<bool> {
        self.days_late.map(|d| d <= 0)
    }

    /// As printed: 按时, 逾期3天, 未报送, 未设截止日期, 收到时间不明.
    pub fn timeliness(&self) -> String {
        match (self.days_late, self.files, self.deadline, self.first_received) {
            (_, 0, _, _) => "未报送".into(),
            (Some(d), _, _, _) if d <= 0 => "按时".into(),
            (Some(d), _, _, _) => format!("逾期{d}天"),
            (None, _, None, _) => "未设截止日期".into(),
            (None, _, _, None) => "收到时间不明".into(),
            (None, _, _, _) => String::new(),
        }
    }
}

/// A file that counts as a clean return: read as a return of the period (taken, or replaced by a later
/// one) without error-level findings.
fn is_clean(r: &Received) -> bool {
    r.errors == 0 && matches!(r.adoption, Adoption::Adopted | Adoption::Superseded { .. })
}

/// The record of every prefecture (official order) in every period (in order).
pub fn records(refdata: &RefData, periods: &[PeriodFacts]) -> Vec<ReportRecord> {
    let mut out = Vec::new();
    for f in periods {
        for p in &f.prefectures {
            let mine: Vec<&Received> = f.received.iter().filter(|r| r.prefecture.as_deref() == Some(p.name.as_str())).collect();
            let first_received = mine.iter().filter_map(|r| r.received).min();
            let days_late = f.deadline.zip(first_received).map(|(d, t)| (t.date() - d).num_days());
            let rounds = mine.iter().filter_map(|r| r.round).max().unwrap_or(0);
            let rounds_until_clean = mine.iter().filter(|r| is_clean(r)).filter_map(|r| r.round).min();
            let known = !mine.is_empty() && mine.iter().all(|r| r.round.is_some());
            let first_clean = known.then(|| rounds_until_clean == Some(1));
            out.push(ReportRecord {
                period: f.period,
                prefecture: p.name.clone(),
                returned: p.returned,
                deadline: f.deadline,
                first_received,
                days_late,
                files: mine.len(),
                rounds,
                rounds_until_clean,
                first_clean,
                adopted_errors: mine.iter().find(|r| r.adoption == Adoption::Adopted).map(|r| r.errors),
                enterprises: p.enterprises,
                enterprises_target: refdata.indicators.enterprises_target(),
                tasks_filled: p.tasks_filled,
                tasks_total: refdata.tasks.tasks.len(),
            });
        }
    }
    out
}

/// One prefecture over all periods of the history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CumulativeRecord {
    pub prefecture: String,
    /// Periods in the history.
    pub periods: usize,
    /// Periods with a return in the rollup.
    pub returned: usize,
    /// Periods whose first file arrived by the deadline, and after it.
    pub on_time: usize,
    pub late: usize,
    /// Days late, added up over the late periods.
    pub days_late: i64,
    /// Periods whose first round was clean.
    pub first_clean: usize,
    /// The average of the rounds until clean, over the periods that came clean.
    pub mean_rounds_until_clean: Option<f64>,
    /// Enterprises in the latest period's ledger.
    pub enterprises: usize,
    pub enterprises_target: usize,
    /// Tasks filled in the latest period.
    pub tasks_filled: usize,
}

/// Each prefecture's record over all periods, in official order.
pub fn cumulative(refdata: &RefData, records: &[ReportRecord]) -> Vec<CumulativeRecord> {
    refdata
        .prefectures
        .all()
        .iter()
        .map(|p| {
            let mine: Vec<&ReportRecord> = records.iter().filter(|r| r.prefecture == p.name).collect();
            let clean: Vec<u32> = mine.iter().filter_map(|r| r.rounds_until_clean).collect();
            let last = mine.iter().max_by_key(|r| r.period);
            CumulativeRecord {
                prefecture: p.name.clone(),
                periods: mine.len(),
                returned: mine.iter().filter(|r| r.returned).count(),
                on_time: mine.iter().filter(|r| r.on_time() == Some(true)).count(),
                late: mine.iter().filter(|r| r.on_time() == Some(false)).count(),
                days_late: mine.iter().filter_map(|r| r.days_late).filter(|d| *d > 0).sum(),
                first_clean: mine.iter().filter(|r| r.first_clean == Some(true)).count(),
                mean_rounds_until_clean: (!clean.is_empty()).then(|| super::schedule::tidy(clean.iter().map(|c| f64::from(*c)).sum::<f64>() / clean.len() as f64)),
                enterprises: last.map_or(0, |r| r.enterprises),
                enterprises_target: refdata.indicators.enterprises_target(),
                tasks_filled: last.map_or(0, |r| r.tasks_filled),
            }
        })
        .collect()
}
