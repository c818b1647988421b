//! A period's returns as every operation starts from them: read, their periods settled, merged. `check`,
//! `consolidate`, `feedback`, the reminders and the console's board all go through here, so that a file
//! counts, or is left out, the same way whichever of them reads it.

use crate::finding::Finding;
use crate::import::batch::{self, BatchOptions};
use crate::refdata::RefData;
use crate::submission::Submission;

use super::merge::{self, Frames, MergeError, MergeOptions, Merged};

/// A period's returns, read and merged.
#[derive(Debug, Clone)]
pub struct PeriodRead {
    /// Every submission, with the findings only the merge can make (a file replaced by a later one, an
    /// enterprise in two prefectures) and its rows as read.
    pub subs: Vec<Submission>,
    /// Findings about what was passed over before reading (lock files, archives that cannot be opened).
    pub skipped: Vec<Finding>,
    pub merged: Merged,
}

/// Reads every return under `paths` and merges them for `opts.period` (by default the period most
/// returns state). `progress` is called after each file with (done, total, name).
///
/// # Errors
/// Only when polars fails, which would be a defect.
pub fn read_period(refdata: &RefData, paths: &[std::path::PathBuf], opts: &BatchOptions, progress: &mut dyn FnMut(usize, usize, &str)) -> Result<PeriodRead, MergeError> {
    let (subs, skipped) = batch::read_paths(refdata, paths, opts, progress);
    settle(refdata, subs, skipped, opts.period)
}

/// Merges submissions already read (the console's cache of them), keeping their rows: the merge runs on
/// a copy, since it moves the rows it converts, and its findings are copied back.
///
/// # Errors
/// As [`read_period`].
pub fn settle(refdata: &RefData, mut subs: Vec<Submission>, skipped: Vec<Finding>, period: Option<crate::Period>) -> Result<PeriodRead, MergeError> {
    batch::settle_periods(&mut subs, period);
    let mut copy = subs.clone();
    let mut merged = merge::merge(refdata, &mut copy, &MergeOptions { period })?;
    merged.add_findings(refdata, skipped.clone());
    for (s, c) in subs.iter_mut().zip(copy) {
        s.findings = c.findings;
        s.period = c.period;
    }
    Ok(PeriodRead { subs, skipped, merged })
}

/// Merges submissions whose rows were already moved into frames (`frames[i]` for `subs[i]`), as
/// `consolidate` reads a national collection: nothing is copied.
///
/// # Errors
/// As [`read_period`].
pub fn settle_framed(refdata: &RefData, mut subs: Vec<Submission>, frames: Vec<Option<Frames>>, skipped: Vec<Finding>, period: Option<crate::Period>) -> Result<PeriodRead, MergeError> {
    let mut merged = merge::merge_framed(refdata, &mut subs, frames, &MergeOptions { period })?;
    merged.add_findings(refdata, skipped.clone());
    Ok(PeriodRead { subs, skipped, merged })
}
