//! What the history knows of one period, as plain values: every file received and what became of it, and
//! each prefecture's enterprises, tasks and indicator values. The dataset is read into these
//! ([`super::dataset`]), and tests and other callers can build them by hand: the reporting record, the
//! 序时进度 and the assessment are computed from them alone, never from the files.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::period::Period;

/// What became of a file received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Adoption {
    /// Its rows are the prefecture's in the rollup.
    Adopted,
    /// A later return of the same prefecture was taken instead (the file named).
    Superseded { by: String },
    /// Not in the rollup for another reason (unreadable, another period …), said in words.
    NotUsed { why: String },
}

impl Adoption {
    /// As the dataset and the workbook write it: 采用, 被替代, 未采用.
    pub fn label(&self) -> &'static str {
        match self {
            Adoption::Adopted => "采用",
            Adoption::Superseded { .. } => "被替代",
            Adoption::NotUsed { .. } => "未采用",
        }
    }
}

/// One file received in a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// Canonical name, when known.
    pub prefecture: Option<String>,
    pub file: String,
    /// When it arrived (the console's receipt, or the file's modification time), local time.
    pub received: Option<chrono::NaiveDateTime>,
    /// SHA-256 of its bytes, as hex (empty when not known, as for a rollup read back).
    pub sha256: String,
    pub adoption: Adoption,
    pub errors: u32,
    pub warnings: u32,
    pub infos: u32,
    /// The prefecture's round this file came in: files received at the same time are one round, the
    /// rounds counted 1, 2, … in order of arrival. None when the arrival is not known.
    pub round: Option<u32>,
}

/// One prefecture in one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrefectureFacts {
    /// Canonical name.
    pub name: String,
    /// Whether a return of it is in the period's rollup.
    pub returned: bool,
    /// Enterprises in its ledger.
    pub enterprises: usize,
    /// Tasks of 附件1 with progress filled.
    pub tasks_filled: usize,
    /// Its indicator values, by indicator id (the ledger's count of enterprises included).
    pub values: BTreeMap<String, f64>,
}

/// One period of the history.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodFacts {
    pub period: Period,
    /// The deadline the office set for the period's returns.
    pub deadline: Option<chrono::NaiveDate>,
    /// Every file received, in the order written.
    pub received: Vec<Received>,
    /// The 21 prefectures, in official order.
    pub prefectures: Vec<PrefectureFacts>,
    /// The province figures the office entered itself (`aggregate = "province"`), by indicator id.
    pub province_figures: BTreeMap<String, f64>,
}

impl PeriodFacts {
    /// A period with nothing received: every prefecture of `names` without a return.
    pub fn empty(period: Period, names: &[String]) -> Self {
        PeriodFacts {
            period,
            deadline: None,
            received: Vec::new(),
            prefectures: names
                .iter()
                .map(|n| PrefectureFacts { name: n.clone(), returned: false, enterprises: 0, tasks_filled: 0, values: BTreeMap::new() })
                .collect(),
            province_figures: BTreeMap::new(),
        }
    }

    /// The prefecture named `name`.
    pub fn prefecture(&self, name: &str) -> Option<&PrefectureFacts> {
        self.prefectures.iter().find(|p| p.name == name)
    }
}

/// One enterprise across the periods: in which it was listed, and its 进展情况及成效 in each.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnterpriseTrack {
    pub prefecture: String,
    /// The name as last written.
    pub name: String,
    /// The matching key of the name (what identifies it across periods).
    pub key: String,
    /// One entry per period of the history: its progress text (empty when not filled), none when not
    /// listed.
    pub periods: Vec<Option<String>>,
}

/// Numbers the rounds of each prefecture's files: files received at the same second are one round
/// (one email, one upload of several files), rounds counted in order of arrival.
pub fn number_rounds(received: &mut [Received]) {
    let mut times: BTreeMap<&str, Vec<chrono::NaiveDateTime>> = BTreeMap::new();
    for r in received.iter() {
        if let (Some(p), Some(t)) = (r.prefecture.as_deref(), r.received) {
            times.entry(p).or_default().push(t);
        }
    }
    let times: BTreeMap<String, Vec<chrono::NaiveDateTime>> = times
        .into_iter()
        .map(|(p, mut v)| {
            v.sort();
            v.dedup();
            (p.to_string(), v)
        })
        .collect();
    for r in received.iter_mut() {
        r.round = match (r.prefecture.as_deref(), r.received) {
            (Some(p), Some(t)) => times.get(p).and_then(|v| v.iter().position(|x| *x == t)).map(|i| i as u32 + 1),
            _ => None,
        };
    }
}
