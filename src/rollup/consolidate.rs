//! The consolidation: every return of a period read, merged and written as the provincial rollup, with
//! the exports asked for. The command prints what it returns; the console shows it.

use std::path::{Path, PathBuf};

use crate::finding::{Code, Counts, Finding};
use crate::import::batch::BatchOptions;
use crate::output::{AtomicError, check_output, write_atomic_with};
use crate::refdata::RefData;
use crate::Error;

use super::frames::Frames;
use super::merge::{self, MergeOptions, Merged};
use super::status::PrefectureSummary;

/// What to consolidate, and into what.
#[derive(Debug, Clone)]
pub struct ConsolidateOptions {
    pub paths: Vec<PathBuf>,
    pub out: PathBuf,
    pub csv: Option<PathBuf>,
    pub parquet: Option<PathBuf>,
    pub force: bool,
    pub batch: BatchOptions,
    /// The previous quarter's rollup, to add what changed since.
    pub previous: Option<PathBuf>,
    /// The figures the province reports itself (a sheet of 指标 and 完成值), for the 指标完成情况 sheet.
    pub province_figures: Option<PathBuf>,
    /// Returns taking more bytes than this in all have their rows spilled to disk while the rollup is
    /// made ([`SPILL_ABOVE_BYTES`] unless measuring or testing).
    pub spill_above: u64,
    /// The dataset of every period to write this period into (`--dataset`).
    pub dataset: Option<DatasetTarget>,
}

/// The dataset a consolidation writes its period into, with what is known of the period beyond its files.
#[derive(Debug, Clone, Default)]
pub struct DatasetTarget {
    pub dir: PathBuf,
    /// The deadline the office set for the period.
    pub deadline: Option<chrono::NaiveDate>,
    /// When each file arrived, by its path as read (the console's receipts); a file not named here
    /// arrived when it was last modified. An archive's members arrived with it.
    pub received: std::collections::BTreeMap<String, chrono::NaiveDateTime>,
}

/// Above this many bytes of returns (some 90,000 rows of xlsx) each return's rows are spilled to disk as
/// it is read. Below it the frames stay in memory, tens of megabytes at most, and a province's rollup
/// spares the disk round trip.
pub const SPILL_ABOVE_BYTES: u64 = 8 << 20;

/// What a consolidation wrote and found.
#[derive(Debug, Clone)]
pub struct Consolidated {
    pub period: Option<crate::Period>,
    /// Every prefecture's line of 汇总, then the lines of returns whose prefecture is unknown and of
    /// everything else.
    pub prefectures: Vec<PrefectureSummary>,
    pub enterprises: usize,
    /// The findings of the rollup, by severity.
    pub counts: Counts,
    /// What changed since the previous rollup, when one was given.
    pub diff: Option<super::diff::Diff>,
    /// Findings about the rollup itself (P05, P06).
    pub rollup_findings: Vec<Finding>,
    /// The export files written.
    pub exported: Vec<PathBuf>,
    /// The dataset's ledger file of the period, when it was written.
    pub dataset: Option<PathBuf>,
}

impl Consolidated {
    /// Prefectures whose return is in the rollup.
    pub fn returned(&self) -> usize {
        self.prefectures.iter().filter(|p| p.status == super::status::ReturnStatus::Returned && !p.zone.is_empty()).count()
    }
}

/// Reads every return under `cfg.paths`, merges them and writes the rollup (and the exports asked for).
///
/// # Errors
/// When the output would overwrite an input or an existing file (without `force`), no return was found,
/// an earlier rollup or the province's figures cannot be read, or an output cannot be written.
pub fn consolidate(refdata: &RefData, cfg: &ConsolidateOptions, progress: &mut dyn FnMut(usize, usize, &str)) -> Result<Consolidated, Error> {
    let (inputs, skipped) = crate::inbox::discover(&cfg.paths);
    let input_paths: Vec<PathBuf> = inputs.iter().map(|i| i.path.clone()).collect();
    check_output(&cfg.out, &input_paths, cfg.force)?;
    if inputs.is_empty() {
        let passed_over: Vec<String> = skipped.iter().map(ToString::to_string).collect();
        let shown = if passed_over.is_empty() { String::new() } else { format!("\n{}", passed_over.join("\n")) };
        return Err(Error::Message(format!("没有找到任何报送文件,未生成汇总表。{shown}")));
    }
    // Each reader thread also moves its ledger rows into a frame and, when the returns are large, writes
    // the frame to a folder beside the output (removed when done), so that memory holds the returns being
    // read, not the province.
    // An archive's members are taken out when read: its size is counted once, not once per member.
    let on_disk: std::collections::BTreeSet<&std::path::Path> = inputs.iter().filter(|i| i.contents.is_none()).map(|i| i.path.as_path()).collect();
    let size: u64 = on_disk.iter().map(|p| std::fs::metadata(p).map_or(0, |m| m.len())).sum::<u64>() + inputs.iter().filter_map(|i| i.contents.as_ref()).map(|c| c.len() as u64).sum::<u64>();
    let spill = if size > cfg.spill_above { spill_dir(&cfg.out) } else { None };
    let shared = std::sync::Arc::new(refdata.clone());
    let opts = cfg.batch.clone();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let spill_path = spill.as_ref().map(|d| d.path().to_path_buf());
    let worker: crate::import::batch::WorkerWith<Option<Frames>> = std::sync::Arc::new(move |input: &crate::inbox::Input| {
        let subs = crate::import::batch::import_one(&shared, input, &opts);
        subs.into_iter()
            .map(|mut s| {
                // A failure here is left for the merge, which builds the frames of any return that has
                // none; a frame that cannot be spilled stays in memory.
                let mut frames = if s.readable { Frames::take(&shared, &mut s).ok() } else { None };
                if let (Some(f), Some(dir)) = (&mut frames, &spill_path) {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let _ = f.spill(&dir.join(format!("{n}.parquet")));
                }
                (s, frames)
            })
            .collect()
    });
    let (mut subs, frames): (Vec<_>, Vec<_>) =
        crate::import::batch::run_isolated_with(refdata, &inputs, &cfg.batch, worker, progress).into_iter().flatten().map(|(s, f)| (s, f.flatten())).unzip();
    let distinct = enterprises_of(&frames, &subs);
    let mut merged = merge::merge_framed(refdata, &mut subs, frames, &MergeOptions { period: cfg.batch.period })?;
    let previous = match &cfg.previous {
        Some(prev) => Some(crate::rollup::readback::read_rollup(refdata, prev)?),
        None => None,
    };
    if let Some(prev) = &previous {
        merged.indicators.set_previous(refdata, &prev.indicators);
    }
    if let Some(path) = &cfg.province_figures {
        let own = crate::indicators::read_province_figures(refdata, path).map_err(Error::Message)?;
        merged.indicators.set_province(refdata, &own);
    }
    let mut more = skipped;
    more.extend(period_checks(&merged, cfg, previous.as_ref()));
    let rollup_level: Vec<crate::Finding> = more.iter().filter(|f| matches!(f.code, Code::OutputPeriod | Code::PreviousPeriod)).cloned().collect();
    merged.add_findings(refdata, more);
    let diff = match previous {
        Some(old) => {
            // Compare the rollup as it will be written with the previous one, both read the same way.
            let bytes = crate::rollup::build(refdata, &merged, None)?;
            let new = crate::rollup::readback::read_rollup_bytes(refdata, bytes, &cfg.out.display().to_string())?;
            Some(crate::rollup::diff::compare(refdata, &old, &new))
        }
        None => None,
    };
    let dataset_of = cfg.dataset.as_ref().map(|t| || write_dataset(refdata, &merged, &subs, &distinct, &inputs, t));
    let dataset = write_rollup_beside(refdata, &cfg.out, &merged, diff.as_ref(), dataset_of)?;
    // The exports after the rollup: one of them may be asked for at the rollup's own path, and is then
    // refused as a file that exists.
    let targets = super::export::Targets { csv: cfg.csv.as_deref(), parquet: cfg.parquet.as_deref(), force: cfg.force };
    let exported = super::export::write_exports(refdata, &merged, targets, &input_paths)?;
    Ok(Consolidated {
        period: merged.period,
        enterprises: merged.ledger.height(),
        counts: Counts::of(&merged.findings),
        prefectures: merged.prefectures,
        diff,
        rollup_findings: rollup_level,
        exported,
        dataset,
    })
}

/// Writes the rollup to `out` while `beside` (the period's dataset, when asked for) runs on a second thread,
/// returning what `beside` returned.
///
/// Both only read the merge, and the rollup's writing keeps one core busy. Each is written atomically on
/// its own; a rollup that could not be written fails the command even when the dataset (the same figures)
/// was.
fn write_rollup_beside<T: Send>(
    refdata: &RefData,
    out: &std::path::Path,
    merged: &Merged,
    diff: Option<&crate::rollup::diff::Diff>,
    beside: Option<impl FnOnce() -> Result<T, Error> + Send>,
) -> Result<Option<T>, Error> {
    let (written, beside) = std::thread::scope(|scope| {
        let beside = beside.map(|f| scope.spawn(f));
        // Streamed into the temporary file, so the finished workbook is never held in memory.
        let written = write_atomic_with(out, |f| crate::rollup::write_to(refdata, merged, diff, std::io::BufWriter::new(f)));
        (written, beside.map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))))
    });
    written.map_err(|e| match e {
        AtomicError::Output(o) => Error::from(o),
        AtomicError::Writer(w) => Error::from(w),
    })?;
    beside.transpose()
}

/// Each return's enterprises, for the dataset: the merge takes the frames, and the rows are in them.
fn enterprises_of(frames: &[Option<Frames>], subs: &[crate::Submission]) -> Vec<usize> {
    frames.iter().zip(subs).map(|(f, s)| f.as_ref().map_or_else(|| s.distinct_rows().count(), |f| f.distinct_rows)).collect()
}

/// Writes the period into the dataset: the ledger part by part, and every file read with its arrival,
/// content hash and what became of it.
fn write_dataset(refdata: &RefData, merged: &Merged, subs: &[crate::Submission], enterprises: &[usize], inputs: &[crate::inbox::Input], target: &DatasetTarget) -> Result<PathBuf, Error> {
    let period = merged.period.ok_or_else(|| Error::Message("本次汇总的期别未注明,无法写入数据集。请用 --period 指定期别后重新汇总。".into()))?;
    let arrivals = arrivals(inputs, &target.received);
    let tables = crate::history::tables::of_merge(refdata, period, merged, subs, enterprises, &arrivals, target.deadline).map_err(Error::Export)?;
    let ds = crate::history::Dataset::open(&target.dir)?;
    ds.write(tables)?;
    Ok(ds.partition(crate::history::dataset::tables::LEDGER, period))
}

/// Each input's arrival: its content hash, where it came from, and when it arrived when `received` says
/// (an archive's members by the archive's path).
fn arrivals(inputs: &[crate::inbox::Input], received: &std::collections::BTreeMap<String, chrono::NaiveDateTime>) -> crate::history::tables::Arrivals {
    let when = |name: &str| {
        received.get(name).copied().or_else(|| received.iter().filter(|(k, _)| name.starts_with(&format!("{k}/"))).max_by_key(|(k, _)| k.len()).map(|(_, t)| *t))
    };
    inputs
        .iter()
        .map(|i| {
            let sha = match &i.contents {
                Some(c) => crate::inbox::names::sha256_hex(c),
                None => std::fs::read(&i.path).map(|b| crate::inbox::names::sha256_hex(&b)).unwrap_or_default(),
            };
            (i.name.clone(), crate::history::tables::Arrival { received: when(&i.name), sha256: sha, origin: i.origin.as_ref().map(crate::inbox::Origin::label) })
        })
        .collect()
}

/// A hidden folder beside the output for the returns' frames while the rollup is made, removed when it is
/// dropped; none (the frames stay in memory) when it cannot be made.
fn spill_dir(out: &Path) -> Option<tempfile::TempDir> {
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    tempfile::Builder::new().prefix(".taizhang-汇总中-").tempdir_in(dir).ok()
}

/// Warnings about the rollup itself: built for another period than its file name says (P05), or not for
/// the quarter after the previous rollup's (P06). Both happen when the returns of two quarters share a
/// folder, and a rollup of the wrong quarter must not pass unnoticed.
pub fn period_checks(m: &Merged, cfg: &ConsolidateOptions, previous: Option<&crate::rollup::readback::Rollup>) -> Vec<crate::Finding> {
    let mut v = Vec::new();
    let Some(period) = m.period else { return v };
    let out_name = cfg.out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if let Some(named) = crate::Period::find_in(&out_name)
        && named != period
    {
        let how = if cfg.batch.period.is_some() { "按 --period 指定" } else { "按多数报送文件的期别" };
        v.push(crate::Finding::new(
            Code::OutputPeriod,
            cfg.out.display().to_string(),
            format!(
                "汇总表文件名写的是{},但汇总的是{}({how})。请确认收件文件夹中是否混入了其他季度的报送,或用 --period {} 指定期别后重新汇总。",
                named.label(),
                period.label(),
                named.code()
            ),
        ));
    }
    if let (Some(prev), Some(path)) = (previous.and_then(|r| r.period), &cfg.previous)
        && prev.next() != period
    {
        v.push(crate::Finding::new(
            Code::PreviousPeriod,
            path.display().to_string(),
            format!(
                "上期汇总表是{}的,本次汇总的是{},不是其下一季度({}),与上期的对比可能没有意义。请核对 --previous 指定的文件和本次汇总的期别。",
                prev.label(),
                period.label(),
                prev.next().label()
            ),
        ));
    }
    v
}
