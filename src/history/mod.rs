//! The plan over time: every period in one dataset, each target against 序时进度, how each prefecture
//! reports, and the assessment built on both.
//!
//! Each quarter's rollup answers for its quarter alone; what the plan's 督导考核 and the office's 简报 ask
//! — is a target on schedule, does a prefecture report on time and clean, how has an enterprise moved —
//! needs every quarter at once. So every consolidation can write its period into a [`Dataset`]
//! (Parquet, hive-partitioned by period, readable by DuckDB, Spark and polars as it is), and everything
//! here is computed from the dataset alone:
//!
//! - [`dataset`]: the folder and its atomic replacement of a period; [`tables`] builds a period's tables
//!   from a consolidation, [`rollups`] from a rollup workbook read back; [`load`] reads them back as
//!   [`PeriodFacts`] ([`facts`]: plain values, which a caller can also build by hand).
//! - [`schedule`]: 序时进度 — what is due of a target at a period by the rule of
//!   `templates/indicators.toml` `[schedule]`, the gap, the projection, 超进度 / 达进度 / 欠进度. The rollup's
//!   指标完成情况 sheet and the console's board judge with it too.
//! - [`record`]: each prefecture's reporting per period and cumulative.
//! - [`assessment`]: the score per prefecture per period and cumulative, by the rules of
//!   `templates/assessment.toml`, every point with the figure and arithmetic it came from, ranked.
//! - [`workbook`]: the print-ready 历次 workbook.
//!
//! The public API for other documents (the 简报 and 通报) is [`History`]: read it with
//! [`History::read`] from a dataset, or build it with [`History::from_facts`], and quote its
//! [`History::assessment`], [`History::schedule`] and [`History::records`]: the workbook and the console
//! show exactly these figures.
//!
//! ```no_run
//! use taizhang::history::{Dataset, History};
//! let refdata = taizhang::RefData::embedded()?;
//! let h = History::read(&refdata, &Dataset::open_existing("数据集")?, &Default::default())?;
//! for s in h.assessment.ranking(None) {
//!     println!("{} {} {} 分 {}", s.rank, s.prefecture, s.total, s.grade);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod assessment;
#[cfg(feature = "rollup")]
pub mod dataset;
pub mod facts;
#[cfg(feature = "rollup")]
pub mod load;
pub mod record;
#[cfg(feature = "rollup")]
pub mod rollups;
#[cfg(feature = "rollup")]
pub mod run;
pub mod schedule;
#[cfg(feature = "rollup")]
pub mod tables;
#[cfg(feature = "rollup")]
pub mod workbook;

use std::collections::BTreeMap;

pub use assessment::{Assessment, ItemScore, Score};
#[cfg(feature = "rollup")]
pub use dataset::{Dataset, DatasetError};
pub use facts::{Adoption, EnterpriseTrack, PeriodFacts, PrefectureFacts, Received};
pub use record::{CumulativeRecord, ReportRecord};
pub use schedule::{Expectation, Judged, Pace, ScheduleLine};

use crate::period::Period;
use crate::refdata::RefData;

/// Everything the history says, computed once from the periods' facts.
#[derive(Debug, Clone)]
pub struct History {
    /// The periods, in order.
    pub periods: Vec<PeriodFacts>,
    /// 序时进度 of every indicator in every period, province-wide and per prefecture.
    pub schedule: Vec<ScheduleLine>,
    /// Each prefecture's reporting in each period.
    pub records: Vec<ReportRecord>,
    /// Each prefecture's reporting over all periods.
    pub cumulative: Vec<CumulativeRecord>,
    pub assessment: Assessment,
    /// Each enterprise across the periods (empty when built from facts without them).
    pub enterprises: Vec<EnterpriseTrack>,
}

impl History {
    /// The history of `periods` (sorted here), with the enterprises' tracks when known.
    pub fn from_facts(refdata: &RefData, mut periods: Vec<PeriodFacts>) -> History {
        periods.sort_by_key(|p| p.period);
        let schedule = schedule::lines(refdata, &periods);
        let records = record::records(refdata, &periods);
        let cumulative = record::cumulative(refdata, &records);
        let assessment = assessment::assess(refdata, &records, &schedule);
        History {
            periods,
            schedule,
            records,
            cumulative,
            assessment,
            enterprises: Vec::new(),
        }
    }

    /// The history of every period of `dataset`; `deadlines` sets (or corrects) the deadline of a period.
    ///
    /// # Errors
    /// When the dataset has no period, or a file of it cannot be read.
    #[cfg(feature = "rollup")]
    pub fn read(refdata: &RefData, dataset: &Dataset, deadlines: &BTreeMap<Period, chrono::NaiveDate>) -> Result<History, DatasetError> {
        let periods = dataset.periods();
        if periods.is_empty() {
            return Err(DatasetError::Empty(dataset.root.clone()));
        }
        let mut facts = Vec::new();
        for &p in &periods {
            let mut f = load::period_facts(refdata, dataset, p)?;
            if let Some(d) = deadlines.get(&p) {
                f.deadline = Some(*d);
            }
            facts.push(f);
        }
        let mut h = History::from_facts(refdata, facts);
        h.enterprises = load::enterprise_tracks(refdata, dataset, &periods)?;
        Ok(h)
    }

    /// The period codes, in order.
    pub fn period_list(&self) -> Vec<Period> {
        self.periods.iter().map(|p| p.period).collect()
    }

    /// 序时进度 of `indicator` in `period`, province-wide (`prefecture` None) or for one prefecture.
    pub fn line(&self, period: Period, indicator: &str, prefecture: Option<&str>) -> Option<&ScheduleLine> {
        self.schedule.iter().find(|l| l.period == period && l.indicator == indicator && l.prefecture.as_deref() == prefecture)
    }

    /// The record of `prefecture` in `period`.
    pub fn record(&self, period: Period, prefecture: &str) -> Option<&ReportRecord> {
        self.records.iter().find(|r| r.period == period && r.prefecture == prefecture)
    }
}

/// Deadlines given as `2018Q3=2018-10-10`.
///
/// # Errors
/// In Chinese, quoting the text that is not one.
pub fn parse_deadline(text: &str) -> Result<(Period, chrono::NaiveDate), String> {
    let (p, d) = text.split_once('=').ok_or_else(|| format!("「{text}」应写成 期别=日期,如 2018Q3=2018-10-10"))?;
    let p: Period = p.trim().parse().map_err(|e: crate::period::PeriodError| e.to_string())?;
    let d = crate::text::parse_date(d.trim()).ok_or_else(|| format!("「{d}」不是日期,请写成 2018-10-10"))?;
    Ok((p, d))
}

/// A map of deadlines, for [`History::read`].
pub type Deadlines = BTreeMap<Period, chrono::NaiveDate>;
