//! What the console shows for a period, computed by the library path `check` and `consolidate` take —
//! discover, read in isolation, settle periods, merge — so that the page and the commands never disagree.
//!
//! Each file is read once: its submission is kept, keyed by its name, size and modification time, and the
//! state of the period is recomputed only when the inbox changes. A board refresh over an unchanged inbox
//! costs a directory listing.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::Serialize;

use crate::import::batch::{self, BatchOptions};
use crate::inbox::Input;
use crate::finding::{Counts, Finding};
use crate::rollup::merge::{self, Merged, ReturnStatus};
use crate::period::Period;
use crate::refdata::RefData;
use crate::submission::Submission;

/// A file's identity for the cache: its size and modification time.
type Stamp = (u64, Option<SystemTime>);

fn stamp(path: &std::path::Path) -> Stamp {
    std::fs::metadata(path).map(|m| (m.len(), m.modified().ok())).unwrap_or((0, None))
}

/// The state of a period: every file read, and the merge of them.
pub struct Snapshot {
    pub period: Period,
    /// Every file read, period settled, with the findings the merge adds.
    pub subs: Vec<Submission>,
    /// Findings about files passed over (lock files, unreadable folder entries, archives that could not be
    /// opened).
    pub skipped: Vec<Finding>,
    pub merged: Merged,
    fingerprint: Vec<(String, Stamp)>,
}

/// Submissions read so far, and the last snapshot per period.
#[derive(Default)]
pub struct BoardCache {
    read: Mutex<HashMap<String, (Stamp, Vec<Submission>)>>,
    snapshots: Mutex<HashMap<Period, Arc<Snapshot>>>,
    /// Held while a snapshot is computed.
    computing: Mutex<()>,
}

impl BoardCache {
    /// The state of `period`'s inbox, recomputed when a file was added, changed or removed. One
    /// computation at a time: a board refresh and an upload arriving together read a new file once, and
    /// the second is given the first's result.
    ///
    /// # Errors
    /// When the merge fails (a defect: polars rejecting the frames taizhang builds).
    pub fn snapshot(&self, refdata: &RefData, inbox: PathBuf, period: Period, opts: &BatchOptions) -> Result<Arc<Snapshot>, merge::MergeError> {
        let _one = self.computing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (inputs, skipped) = crate::inbox::discover(std::slice::from_ref(&inbox));
        // What was read and what was passed over (an archive whose members could not be taken out is no input,
        // only a finding): either changing means the inbox changed.
        let mut fingerprint: Vec<(String, Stamp)> = inputs.iter().map(|i| (i.name.clone(), stamp(&i.path))).collect();
        fingerprint.extend(skipped.iter().map(|f| (format!("\0{}", f.file), stamp(std::path::Path::new(&f.file)))));
        if let Some(s) = self.snapshots.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&period)
            && s.fingerprint == fingerprint
        {
            return Ok(Arc::clone(s));
        }
        let to_read: Vec<Input> = {
            let read = self.read.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            inputs.iter().zip(&fingerprint).filter(|(i, (_, st))| read.get(&i.name).is_none_or(|(s, _)| s != st)).map(|(i, _)| i.clone()).collect()
        };
        let fresh = batch::import_each(refdata, &to_read, opts, &mut |_, _, _| {});
        let mut subs = Vec::with_capacity(inputs.len());
        {
            let mut read = self.read.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for (i, s) in to_read.iter().zip(fresh) {
                read.insert(i.name.clone(), (stamp(&i.path), s));
            }
            read.retain(|name, _| !name.starts_with(&inbox.display().to_string()) || fingerprint.iter().any(|(n, _)| n == name));
            for i in &inputs {
                if let Some((_, s)) = read.get(&i.name) {
                    subs.extend(s.iter().cloned());
                }
            }
        }
        let read = crate::rollup::period::settle(refdata, subs, skipped, Some(period))?;
        let snap = Arc::new(Snapshot { period, subs: read.subs, skipped: read.skipped, merged: read.merged, fingerprint });
        self.snapshots.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(period, Arc::clone(&snap));
        Ok(snap)
    }

    /// Forgets what was read of `period`, so that its next snapshot reads every file again (after a
    /// file moved to another period).
    pub fn forget(&self, period: Period) {
        self.snapshots.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&period);
    }
}

/// One prefecture on the board.
#[derive(Debug, Clone, Serialize)]
pub struct BoardRow {
    pub name: String,
    pub code: String,
    pub status: String,
    /// CSS class of the status: ok, missing, errors, unreadable, period.
    pub class: &'static str,
    pub reason: String,
    pub file: String,
    pub arrived: String,
    pub enterprises: usize,
    pub tasks: usize,
    pub counts: Counts,
    /// The plan's target of at least 50 enterprises helped per prefecture.
    pub target_met: bool,
}

/// The prefectures of one economic zone.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneRows {
    pub name: String,
    pub rows: Vec<BoardRow>,
}

/// The board of a period.
#[derive(Debug, Clone, Serialize)]
pub struct Board {
    pub period: String,
    pub period_label: String,
    pub returned: usize,
    pub total: usize,
    pub with_errors: usize,
    pub files: usize,
    pub counts: Counts,
    pub zones: Vec<ZoneRows>,
    /// Returns whose prefecture could not be told, and findings that belong to no prefecture.
    pub other: Option<BoardRow>,
    /// The plan's quantified targets against what the returns report, as the rollup's 指标完成情况 sheet
    /// gives them.
    pub indicators: Vec<IndicatorRow>,
    /// Enterprises every prefecture is to help (the plan's 每个市州精准帮扶至少50家).
    pub enterprises_target: usize,
}

/// One of the plan's targets on the board.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorRow {
    pub name: String,
    pub unit: String,
    pub target: String,
    pub province: String,
    pub rate: String,
    /// 序时进度: what is due at the period.
    pub expected: String,
    pub status: &'static str,
    /// CSS class of the status: ok, behind, none.
    pub class: &'static str,
    /// Prefectures that reported a value.
    pub reported: usize,
}

fn indicator_rows(refdata: &RefData, m: &Merged, own: &crate::indicators::ProvinceFigures) -> Vec<IndicatorRow> {
    use crate::indicators::Status;
    let mut figures = m.indicators.clone();
    figures.set_province(refdata, own);
    figures
        .figures
        .iter()
        .filter_map(|f| {
            let i = refdata.indicators.get(&f.id)?;
            Some(IndicatorRow {
                name: i.name.clone(),
                unit: i.unit.clone(),
                target: crate::indicators::target_text(i),
                province: crate::indicators::province_text(i, f.province, f.total),
                rate: f.rate.map(|r| format!("{:.1}%", r * 100.0)).unwrap_or_default(),
                expected: match (i.aggregate, f.expected, f.expected_each) {
                    (crate::refdata::Aggregate::Count, _, Some(e)) => format!("≥{}", crate::text::format_number(e)),
                    (_, Some(e), _) => crate::text::format_number(e),
                    _ => String::new(),
                },
                status: f.status.label(),
                class: match f.status {
                    Status::Met | Status::Ahead | Status::OnPace => "ok",
                    Status::NotMet | Status::Behind => "behind",
                    Status::NoData | Status::ProvinceToEnter | Status::NoTarget => "none",
                },
                reported: f.values.iter().filter(|v| v.is_some()).count(),
            })
        })
        .collect()
}

/// The board of a snapshot; `arrived` gives the arrival time of a stored file name.
/// `own` holds the figures the province reports itself, as the office entered them.
pub fn board(refdata: &RefData, snap: &Snapshot, own: &crate::indicators::ProvinceFigures, arrived: &dyn Fn(&str) -> Option<String>) -> Board {
    let mut zones: Vec<ZoneRows> = refdata.prefectures.zones().iter().map(|z| ZoneRows { name: z.name.clone(), rows: Vec::new() }).collect();
    let mut other = None;
    for p in &snap.merged.prefectures {
        let (status, class) = match p.status {
            ReturnStatus::Returned if p.counts.errors > 0 => (p.status_label().to_string(), "errors"),
            ReturnStatus::Returned => (p.status_label().to_string(), "ok"),
            ReturnStatus::Missing => (p.status.label().to_string(), "missing"),
            ReturnStatus::Unreadable => (p.status.label().to_string(), "unreadable"),
            ReturnStatus::WrongPeriod => (p.status.label().to_string(), "period"),
            ReturnStatus::Other => ("市州不明或其他".to_string(), "other"),
        };
        let file = p.file.clone().unwrap_or_default();
        let row = BoardRow {
            code: refdata.prefectures.lookup(&p.name).map(|x| x.code.clone()).unwrap_or_default(),
            name: p.name.clone(),
            status,
            class,
            reason: p.reason.clone().unwrap_or_default(),
            arrived: arrived(&file).unwrap_or_default(),
            file,
            enterprises: p.enterprises,
            tasks: p.tasks_reported,
            counts: p.counts,
            target_met: p.enterprises >= refdata.indicators.enterprises_target(),
        };
        match zones.iter_mut().find(|z| z.name == p.zone) {
            Some(z) => z.rows.push(row),
            None => other = Some(row),
        }
    }
    let all: Vec<&BoardRow> = zones.iter().flat_map(|z| &z.rows).collect();
    Board {
        period: snap.period.code(),
        period_label: snap.period.label(),
        returned: all.iter().filter(|r| matches!(r.class, "ok" | "errors")).count(),
        total: all.len(),
        with_errors: all.iter().filter(|r| r.class == "errors").count(),
        files: snap.subs.len(),
        counts: merge::totals(&snap.merged),
        zones,
        other,
        indicators: indicator_rows(refdata, &snap.merged, own),
        enterprises_target: refdata.indicators.enterprises_target(),
    }
}

