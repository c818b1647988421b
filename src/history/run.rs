//! The `history` command's one operation: take rollup workbooks into the dataset when asked, read the
//! dataset's history, and write the 历次 workbook.

use std::path::PathBuf;

use crate::Error;
use crate::output::{AtomicError, check_output, write_atomic_with};
use crate::period::Period;
use crate::refdata::RefData;

use super::{Dataset, Deadlines, History};

/// What to do.
#[derive(Debug, Clone, Default)]
pub struct HistoryRequest {
    pub dataset: PathBuf,
    /// The 历次 workbook to write.
    pub out: Option<PathBuf>,
    /// Rollup workbooks to write into the dataset first, each as its period.
    pub from_rollups: Vec<PathBuf>,
    /// Deadlines to use for periods (over what the dataset holds).
    pub deadlines: Deadlines,
    pub force: bool,
}

/// What was done.
#[derive(Debug, Clone)]
pub struct HistoryRun {
    /// The periods taken from rollups, with the rollup each came from.
    pub imported: Vec<(Period, PathBuf)>,
    pub history: History,
    pub workbook: Option<PathBuf>,
}

/// Runs the request.
///
/// # Errors
/// When a rollup cannot be read or states no period, the dataset cannot be written or read (or holds no
/// period), or the workbook cannot be written (or would overwrite an existing file without `force`).
pub fn run(refdata: &RefData, req: &HistoryRequest) -> Result<HistoryRun, Error> {
    if let Some(out) = &req.out {
        check_output(out, &req.from_rollups, req.force)?;
    }
    let mut imported = Vec::new();
    let dataset = if req.from_rollups.is_empty() { Dataset::open_existing(&req.dataset)? } else { Dataset::open(&req.dataset)? };
    for path in &req.from_rollups {
        let tables = super::rollups::read(refdata, path)?;
        let period = tables.period;
        dataset.write(tables)?;
        imported.push((period, path.clone()));
    }
    let history = History::read(refdata, &dataset, &req.deadlines)?;
    let workbook = match &req.out {
        Some(out) => {
            write_atomic_with(out, |f| super::workbook::write_to(refdata, &history, std::io::BufWriter::new(f))).map_err(|e| match e {
                AtomicError::Output(o) => Error::from(o),
                AtomicError::Writer(w) => Error::HistoryWorkbook(w),
            })?;
            Some(out.clone())
        }
        None => None,
    };
    Ok(HistoryRun { imported, history, workbook })
}
