//! Reading many returns: finding the files, reading them in parallel, and containing what goes wrong.
//!
//! One bad file must never stop a batch. Each file is read on its own thread: a panic inside a dependency
//! becomes an error finding for that file, and a file on which a reader loops or stalls is abandoned after a
//! deadline and reported, while the batch goes on and finishes normally.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use crate::finding::{Code, Finding, Severity};
use crate::inbox::Input;
use crate::period::Period;
use crate::read::{self, Limits, ReadError};
use crate::refdata::RefData;
use crate::submission::Submission;

/// How to read a batch.
#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub limits: Limits,
    /// How long one file may take before it is abandoned.
    pub timeout: Duration,
    /// Files read at the same time.
    pub jobs: usize,
    /// The period being collected; a return for another period is reported.
    pub period: Option<Period>,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            limits: Limits::default(),
            timeout: Duration::from_secs(10),
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()).min(8),
            period: None,
        }
    }
}

/// The finding for a file that could not be read.
pub fn read_error_finding(input: &Input, e: &ReadError) -> Finding {
    let code = e.code();
    // An archive taizhang cannot open (RAR, gzip) most likely holds a return: say what to send instead.
    if let ReadError::NotSpreadsheet(what) = e
        && what.contains("压缩包")
    {
        return Finding::new(
            code,
            &input.name,
            format!("{what}无法读取。请直接发送填好的台账文件(xlsx、xls 或 ods),或改用 zip 格式压缩后发送。"),
        );
    }
    let f = Finding::new(code, &input.name, e.to_string()).detail(e.detail());
    // A document that is not a spreadsheet, found in a folder next to the returns, is passed over; an old
    // Word document is most likely a return filled in Word, which has to be sent again.
    let passed_over = code == Code::NotSpreadsheet && !input.explicit && !matches!(e, ReadError::LegacyWord);
    if passed_over { f.severity(Severity::Info) } else { f }
}

/// Extensions under which a plain-text file found in a folder may be a return (CSV saved by Excel or WPS).
const TEXT_RETURN_EXTENSIONS: &[&str] = &["csv", "tsv", "txt", "xls", "xlsx", "et", ""];

/// Reads, imports and validates one file, without isolation (see [`import_all`]). A file is one return,
/// or several when its sheets are named after several prefectures (a coordinator's workbook, see
/// [`crate::import::split`]): one submission each, in the order of the sheets.
pub fn import_one(refdata: &RefData, input: &Input, opts: &BatchOptions) -> Vec<Submission> {
    // The readers stop themselves at the batch's time-out, rather than go on unwatched.
    let limits = Limits { deadline: opts.limits.deadline.or_else(|| Instant::now().checked_add(opts.timeout)), ..opts.limits };
    let read = match (&input.contents, &input.member) {
        (Some(bytes), _) => read::read_bytes(bytes.to_vec(), &limits),
        (None, Some(member)) => take_member(&input.path, member, &limits).and_then(|bytes| read::read_bytes(bytes, &limits)),
        (None, None) => read::read_file(&input.path, &limits),
    };
    if !input.explicit && matches!(read, Ok(ref wb) if wb.format == read::Format::Csv) {
        // Notes, scripts and READMEs that travel with the returns are plain text too; only a text file
        // named like a table is read as one when it was found in a folder.
        let ext = Path::new(&input.name).extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
        if !TEXT_RETURN_EXTENSIONS.contains(&ext.as_str()) {
            let mut s = Submission::new(input.path.clone(), input.name.clone());
            s.push(Finding::new(Code::Skipped, &input.name, "已跳过:文本文件,不是表格(如为 CSV 格式的台账,请将扩展名改为 .csv)。"));
            s.skipped = true;
            return vec![s];
        }
    }
    let mut subs = match read {
        Ok(wb) if passed_over_page(refdata, input, &wb) => {
            let mut s = Submission::new(input.path.clone(), input.name.clone());
            s.push(Finding::new(Code::Skipped, &input.name, "已跳过:网页文件中没有台账表格(如为系统导出的台账,请另存为 xlsx 后报送)。"));
            s.skipped = true;
            return vec![s];
        }
        Ok(wb) => import_parts(refdata, input, wb, opts),
        Err(e) => {
            let mut s = Submission::new(input.path.clone(), input.name.clone());
            s.push(read_error_finding(input, &e));
            s.prefecture = input_prefecture(refdata, input);
            for f in &mut s.findings {
                f.prefecture.clone_from(&s.prefecture);
            }
            vec![s]
        }
    };
    let modified = std::fs::metadata(&input.path).and_then(|m| m.modified()).ok();
    for sub in &mut subs {
        sub.modified = modified;
        sub.sender.clone_from(&input.sender);
        if sub.readable {
            crate::import::validate::validate(refdata, sub);
        }
    }
    if opts.period.is_some() {
        // With the period given, a file says at once whether it counts; otherwise that needs the batch.
        settle_periods(&mut subs, opts.period);
    }
    subs
}

/// Takes a member out of the archive on disk it was found in (see [`Input::member`]).
fn take_member(archive: &Path, member: &str, limits: &Limits) -> Result<Vec<u8>, ReadError> {
    use crate::inbox::archive::ArchiveError;
    let meta = std::fs::metadata(archive)?;
    if meta.len() > limits.max_file_bytes {
        return Err(ReadError::TooLarge(format!("压缩包大小 {} MB 超过上限 {} MB", meta.len() >> 20, limits.max_file_bytes >> 20)));
    }
    let bytes = std::fs::read(archive)?;
    match crate::inbox::archive::take_member(&bytes, limits, member) {
        Ok(Some(data)) => Ok(data),
        Ok(None) => Err(ReadError::Io(Arc::new(std::io::Error::new(std::io::ErrorKind::NotFound, format!("压缩包中已没有「{member}」"))))),
        Err(ArchiveError::Encrypted) => Err(ReadError::Encrypted),
        Err(e @ (ArchiveError::TooLarge(_) | ArchiveError::TextTooLarge(_) | ArchiveError::TooManyMembers)) => Err(ReadError::TooLarge(e.to_string())),
        Err(e) => Err(ReadError::Corrupt(e.detail().unwrap_or_else(|| e.to_string()))),
    }
}

/// Whether `wb` is a web page found in a folder (a README.html, a saved notice) that holds no table
/// headed like the ledger: passed over like a note, as a text file is. A page saved under a workbook's
/// name (what other systems export as .xls) is always read.
fn passed_over_page(refdata: &RefData, input: &Input, wb: &read::Workbook) -> bool {
    let ext = Path::new(&input.name).extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    let page = matches!(wb.format, read::Format::Html | read::Format::Mhtml) && matches!(ext.as_str(), "htm" | "html" | "mht" | "mhtml");
    page && !input.explicit && !crate::import::has_ledger_header(refdata, &wb.sheets)
}

/// Imports a workbook read from `input`: whole, or one part per prefecture its sheets are named after.
fn import_parts(refdata: &RefData, input: &Input, wb: read::Workbook, opts: &BatchOptions) -> Vec<Submission> {
    // A member of an archive is imported under its path inside the archive, so that its own name and
    // the archive's can both tell the prefecture and the period; it is then filed under the archive.
    let as_named = if input.contents.is_some() || input.member.is_some() { Path::new(&input.name) } else { input.path.as_path() };
    let from = crate::import::Provenance {
        sender: input.sender.as_ref().and_then(|s| s.prefecture.as_deref()),
        link: input.link(),
        sheet: None,
    };
    let one = |wb: &read::Workbook, from: crate::import::Provenance<'_>| {
        let mut sub = crate::import::import_workbook_from(refdata, wb, as_named, &input.name, opts.period, from);
        sub.file.clone_from(&input.path);
        sub
    };
    // A link files returns for its own prefecture only: a workbook of several is never split there.
    let file_prefecture = file_prefecture(refdata, as_named);
    let parts = if input.link().is_some() { Err(wb) } else { crate::import::split::by_prefecture(refdata, wb, file_prefecture.as_deref()) };
    match parts {
        Err(wb) => vec![one(&wb, from)],
        Ok(parts) => parts
            .into_iter()
            .map(|part| {
                let owner = part.prefecture.clone().or_else(|| file_prefecture.clone());
                let from = crate::import::Provenance { sender: None, link: None, sheet: owner.as_deref() };
                let mut sub = one(&part.workbook, from);
                sub.part = Some(part.workbook.sheets.iter().map(|s| s.name.clone()).collect::<Vec<_>>().join("、"));
                sub.push(Finding::new(Code::WorkbookSplit, &input.name, part.note));
                sub
            })
            .collect(),
    }
}

/// Decides which period a batch is for and says, for every readable return, whether it counts for it:
/// the period given (`--period`), else the period most returns state (the latest on a tie). A return is
/// left out only for what it says: one that states another period gets P03. One that states none counts
/// for the collection's period with a warning that says so (P04); when no return states a period at all
/// (a first collection, which has no quarter), every return counts for the one collection, each with a
/// note (P07). A quarter stated without its year takes the year that puts it nearest the collection's
/// period. Findings already there are not repeated, so this may run more than once over the same
/// submissions.
///
/// Returns the period of the batch.
pub fn settle_periods(subs: &mut [Submission], given: Option<Period>) -> Option<Period> {
    let period = given.or_else(|| majority_period(subs));
    for s in subs.iter_mut().filter(|s| s.readable && !s.skipped) {
        if let (None, Some(q), Some(want)) = (s.period, s.quarter_only, period) {
            s.period = nearest(q, want);
        }
        let has = |s: &Submission, c: Code| s.findings.iter().any(|f| f.code == c);
        let from = s.period_from.as_deref().map(|f| format!("({f})")).unwrap_or_default();
        match (s.period, period) {
            (Some(got), Some(want)) if got != want => {
                if !has(s, Code::PeriodMismatch) {
                    let what = if given.is_some() { "本次收集的是" } else { "本次汇总的多数文件是" };
                    let f = Finding::new(
                        Code::PeriodMismatch,
                        &s.name,
                        format!("本文件是{}的台账{from},{what}{},未纳入本期汇总。请确认是否报错了文件,如是请报送{}的台账。", got.label(), want.label(), want.label()),
                    );
                    s.push(f);
                }
            }
            (None, Some(want)) => {
                if !has(s, Code::PeriodAssumed) {
                    let how = if given.is_some() { "按本次收集(--period)的" } else { "按本次收集的其他文件写明的" };
                    let f = Finding::new(
                        Code::PeriodAssumed,
                        &s.name,
                        format!("文件未写明期别(模板、标题和文件名中都没有),已{how}{}计入。今后请在标题或文件名中写明期别,如「{}-市州-质量提升台账.xlsx」。", want.label(), want.code()),
                    );
                    s.push(f);
                }
            }
            (None, None) => {
                if !has(s, Code::PeriodUnknown) {
                    let f = Finding::new(
                        Code::PeriodUnknown,
                        &s.name,
                        "文件未写明期别;本次收集的文件都没有写明期别,已作为同一次收集一并汇总。如需按季度汇总,请用 --period 指定期别(如 --period 2018Q3)。",
                    );
                    s.push(f);
                }
            }
            _ => {}
        }
    }
    period
}

/// The period of quarter `q` nearest to `want`: a 第四季度 sent in a 2019Q1 collection is 2018's.
fn nearest(q: u8, want: Period) -> Option<Period> {
    let index = |p: Period| i32::from(p.year) * 4 + i32::from(p.quarter);
    [want.year.checked_sub(1), Some(want.year), want.year.checked_add(1)]
        .into_iter()
        .flatten()
        .filter_map(|y| Period::new(y, q))
        .min_by_key(|p| (index(*p) - index(want)).abs())
}

/// Whether a readable return counts for `period` once [`settle_periods`] has run: it states that period,
/// or none at all.
pub fn counts_for(s: &Submission, period: Option<Period>) -> bool {
    s.readable && s.period.is_none_or(|p| Some(p) == period)
}

/// The most common period among readable returns (the latest on a tie).
pub fn majority_period(subs: &[Submission]) -> Option<Period> {
    let mut counts: std::collections::BTreeMap<Period, usize> = std::collections::BTreeMap::new();
    for s in subs.iter().filter(|s| s.readable && !s.skipped) {
        if let Some(p) = s.period {
            *counts.entry(p).or_default() += 1;
        }
    }
    counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0))).map(|(p, _)| p)
}

/// The prefecture named in a file's name, for files that could not be read.
fn file_prefecture(refdata: &RefData, path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_string_lossy();
    refdata.prefectures.find_in(&stem).map(|p| p.name.clone())
}

/// The prefecture of a file that could not be read: from the upload link it came through, else from its
/// name, else from its sender.
fn input_prefecture(refdata: &RefData, input: &Input) -> Option<String> {
    input.link().map(str::to_string).or_else(|| file_prefecture(refdata, &input.path)).or_else(|| input.sender.as_ref().and_then(|s| s.prefecture.clone()))
}

fn failed(input: &Input, code: Code, message: String, detail: Option<String>, refdata: &RefData) -> Submission {
    let mut s = Submission::new(input.path.clone(), input.name.clone());
    s.prefecture = input_prefecture(refdata, input);
    s.sender.clone_from(&input.sender);
    s.modified = std::fs::metadata(&input.path).and_then(|m| m.modified()).ok();
    s.push(Finding::new(code, &input.name, message).detail(detail));
    s
}

const READER_THREAD: &str = "taizhang-read";

/// Keeps panics on reader threads off the terminal: they become findings instead.
fn quiet_reader_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() != Some(READER_THREAD) {
                previous(info);
            }
        }));
    });
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_default()
}

/// Reads one file into its submissions (one, or one per prefecture of a split workbook); see
/// [`run_isolated`].
pub type Worker = Arc<dyn Fn(&Input) -> Vec<Submission> + Send + Sync>;

/// Reads one file into its submissions and builds something more from each in the same reader thread
/// (the rollup's frames); see [`run_isolated_with`].
pub type WorkerWith<T> = Arc<dyn Fn(&Input) -> Vec<(Submission, T)> + Send + Sync>;

/// Reads every return under `paths` (see [`crate::inbox::discover`]), with their periods settled (see
/// [`settle_periods`]), and the findings about what was passed over.
pub fn read_paths(refdata: &RefData, paths: &[std::path::PathBuf], opts: &BatchOptions, progress: &mut dyn FnMut(usize, usize, &str)) -> (Vec<Submission>, Vec<Finding>) {
    let (inputs, skipped) = crate::inbox::discover(paths);
    let mut subs = import_all(refdata, &inputs, opts, progress);
    settle_periods(&mut subs, opts.period);
    (subs, skipped)
}

/// Reads every input, `opts.jobs` at a time, each on its own thread with a deadline. The result has the
/// submissions of every input (one each, or one per prefecture of a split workbook), in input order.
/// `progress` is called after each file with (done, total, name).
pub fn import_all(refdata: &RefData, inputs: &[Input], opts: &BatchOptions, progress: &mut dyn FnMut(usize, usize, &str)) -> Vec<Submission> {
    import_each(refdata, inputs, opts, progress).into_iter().flatten().collect()
}

/// [`import_all`], the submissions kept with the input they came from: one list per input, in order.
pub fn import_each(refdata: &RefData, inputs: &[Input], opts: &BatchOptions, progress: &mut dyn FnMut(usize, usize, &str)) -> Vec<Vec<Submission>> {
    let shared = Arc::new(refdata.clone());
    let o = opts.clone();
    let worker: WorkerWith<()> = Arc::new(move |input: &Input| import_one(&shared, input, &o).into_iter().map(|s| (s, ())).collect());
    run_isolated_with(refdata, inputs, opts, worker, progress).into_iter().map(|each| each.into_iter().map(|(s, _)| s).collect()).collect()
}

/// Runs `worker` on every input with the isolation [`import_all`] promises: a panic becomes an F06
/// finding for that file, a file not done within `opts.timeout` is abandoned with an F05 finding (its thread
/// is left to finish on its own), and the batch always completes.
pub fn run_isolated(
    refdata: &RefData,
    inputs: &[Input],
    opts: &BatchOptions,
    worker: Worker,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> Vec<Submission> {
    let with: WorkerWith<()> = Arc::new(move |input: &Input| worker(input).into_iter().map(|s| (s, ())).collect());
    run_isolated_with(refdata, inputs, opts, with, progress).into_iter().flatten().map(|(s, _)| s).collect()
}

/// The message of F06, when a reading library panicked on a file.
const PANIC_MESSAGE: &str = "读取此文件时表格解析组件发生异常,文件可能已损坏。请用 Excel 或 WPS 打开后另存为 xlsx 重新报送。";

/// Runs the worker on `input` in a reader thread of its own, which sends back what the worker returned,
/// or the text of its panic.
fn spawn_reader<T: Send + 'static>(i: usize, input: Input, work: WorkerWith<T>, tx: mpsc::Sender<(usize, Result<Vec<(Submission, T)>, String>)>, permit: Permit) -> std::io::Result<()> {
    let spawned = std::thread::Builder::new().name(READER_THREAD.into()).stack_size(16 << 20).spawn(move || {
        // Held until the thread ends, even after its batch stopped waiting for it.
        let _permit = permit;
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&input)));
        let _ = tx.send((i, r.map_err(|p| panic_text(p.as_ref()))));
    });
    spawned.map(|_| ())
}

/// Files read at once in this process, whatever batch they belong to — the console's board, the check
/// of an upload and a command alike: a reader that outlived its deadline keeps its permit until it ends,
/// so that memory stays within the permits times one file's budget however often a hostile file is read.
struct Permits {
    used: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
}

/// A taken [`Permits`] place, given back when dropped.
struct Permit;

static READERS: Permits = Permits { used: std::sync::Mutex::new(0), freed: std::sync::Condvar::new() };

impl Permits {
    fn max() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8)
    }

    fn try_take(&'static self) -> Option<Permit> {
        let mut used = self.used.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        (*used < Self::max()).then(|| {
            *used += 1;
            Permit
        })
    }

    /// Waits a while for a place to be given back.
    fn wait(&'static self, at_most: Duration) {
        let used = self.used.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let _ = self.freed.wait_timeout(used, at_most);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut used = READERS.used.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *used = used.saturating_sub(1);
        READERS.freed.notify_one();
    }
}

/// [`run_isolated`] for a worker that returns more than the submission: each result comes with what the
/// worker built, or `None` for a file whose worker panicked or timed out (its submission then holds the
/// F06 or F05 finding). One list per input, in input order.
pub fn run_isolated_with<T: Send + 'static>(
    refdata: &RefData,
    inputs: &[Input],
    opts: &BatchOptions,
    worker: WorkerWith<T>,
    progress: &mut dyn FnMut(usize, usize, &str),
) -> Vec<Vec<(Submission, Option<T>)>> {
    quiet_reader_panics();
    let (tx, rx) = mpsc::channel::<(usize, Result<Vec<(Submission, T)>, String>)>();
    let mut results: Vec<Option<Vec<(Submission, Option<T>)>>> = (0..inputs.len()).map(|_| None).collect();
    let failed = |input: &Input, code: Code, message: String, detail: Option<String>, refdata: &RefData| vec![(failed(input, code, message, detail, refdata), None)];
    let mut queue: VecDeque<usize> = (0..inputs.len()).collect();
    let mut running: Vec<(usize, Instant)> = Vec::new();
    let jobs = opts.jobs.max(1);
    let mut done = 0;
    while !queue.is_empty() || !running.is_empty() {
        while running.len() < jobs && !queue.is_empty() {
            let Some(permit) = READERS.try_take() else { break };
            let Some(i) = queue.pop_front() else { break };
            match spawn_reader(i, inputs[i].clone(), Arc::clone(&worker), tx.clone(), permit) {
                Ok(_) => running.push((i, Instant::now())),
                Err(e) => results[i] = Some(failed(&inputs[i], Code::ReaderFailure, "无法启动读取线程,请稍后重试。".into(), Some(e.to_string()), refdata)),
            }
        }
        if running.is_empty() {
            // Every place is taken by other batches' readers: wait for one to end.
            if !queue.is_empty() {
                READERS.wait(Duration::from_millis(200));
            }
            continue;
        }
        let next_deadline = running.iter().map(|(_, t)| *t + opts.timeout).min().unwrap_or_else(Instant::now);
        let wait = next_deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(wait) {
            Ok((i, r)) => {
                if let Some(pos) = running.iter().position(|(j, _)| *j == i) {
                    running.remove(pos);
                    let sub = r
                        .map(|parts| parts.into_iter().map(|(s, t)| (s, Some(t))).collect())
                        .unwrap_or_else(|msg| failed(&inputs[i], Code::ReaderFailure, PANIC_MESSAGE.into(), Some(msg), refdata));
                    results[i] = Some(sub);
                    done += 1;
                    progress(done, inputs.len(), &inputs[i].name);
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                running.retain(|(i, t)| {
                    if now.duration_since(*t) < opts.timeout {
                        return true;
                    }
                    let message = format!("读取超过 {} 秒仍未完成,已放弃。文件可能过大或已损坏,请另存为 xlsx 后重新报送。", opts.timeout.as_secs_f32());
                    results[*i] = Some(failed(&inputs[*i], Code::Timeout, message, None, refdata));
                    done += 1;
                    progress(done, inputs.len(), &inputs[*i].name);
                    false
                });
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    results
        .into_iter()
        .zip(inputs)
        .map(|(r, input)| r.unwrap_or_else(|| failed(input, Code::ReaderFailure, "读取线程意外结束。".into(), None, refdata)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(name: &str, period: Option<Period>) -> Submission {
        let mut s = Submission::new(std::path::PathBuf::from(name), name.to_string());
        s.readable = true;
        s.period = period;
        s
    }

    fn codes(s: &Submission) -> Vec<&'static str> {
        s.findings.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn a_file_is_left_out_only_for_the_period_it_states() {
        let q3 = Period::new(2018, 3);
        let q2 = Period::new(2018, 2);
        let mut subs = vec![sub("a", q3), sub("b", q3), sub("c", q2), sub("d", None)];
        assert_eq!(settle_periods(&mut subs, None), q3, "the majority");
        assert_eq!(subs.iter().map(codes).collect::<Vec<_>>(), [vec![], vec![], vec!["P03"], vec!["P04"]]);
        assert_eq!(subs.iter().map(|s| counts_for(s, q3)).collect::<Vec<_>>(), [true, true, false, true]);
        assert!(subs[3].findings[0].message.contains("其他文件写明的2018年第三季度"), "{}", subs[3].findings[0].message);
        // Settled again with the period given: nothing repeated.
        let mut subs = vec![sub("a", q3), sub("c", q2), sub("d", None)];
        assert_eq!(settle_periods(&mut subs, q3), q3);
        assert_eq!(settle_periods(&mut subs, q3), q3);
        assert_eq!(subs.iter().map(codes).collect::<Vec<_>>(), [vec![], vec!["P03"], vec!["P04"]]);
        assert_eq!(subs.iter().map(|s| counts_for(s, q3)).collect::<Vec<_>>(), [true, false, true]);
        // No period anywhere and none given: one collection, every file in it, each told so.
        let mut subs = vec![sub("d", None), sub("e", None)];
        assert_eq!(settle_periods(&mut subs, None), None);
        assert_eq!(subs.iter().map(codes).collect::<Vec<_>>(), [vec!["P07"], vec!["P07"]]);
        assert!(subs.iter().all(|s| counts_for(s, None)));
    }

    #[test]
    fn a_quarter_without_its_year_takes_the_nearest_year() {
        let mut q = sub("三季度.xlsx", None);
        q.quarter_only = Some(3);
        let mut late = sub("四季度.xlsx", None);
        late.quarter_only = Some(4);
        let mut subs = vec![q.clone(), late];
        assert_eq!(settle_periods(&mut subs, Period::new(2019, 1)), Period::new(2019, 1));
        assert_eq!(subs.iter().map(|s| s.period).collect::<Vec<_>>(), [Period::new(2018, 3), Period::new(2018, 4)]);
        assert_eq!(subs.iter().map(codes).collect::<Vec<_>>(), [vec!["P03"], vec!["P03"]]);
        let mut subs = vec![q];
        settle_periods(&mut subs, Period::new(2018, 3));
        assert_eq!((subs[0].period, codes(&subs[0])), (Period::new(2018, 3), vec![]));
    }
}
