//! Reading many returns: finding the files, reading them in parallel, and containing what goes wrong.
//!
//! One bad file must never stop a batch. Each file is read on its own thread: a panic inside a dependency
//! becomes an error finding for that file, and a file on which a reader loops or stalls is abandoned after a
//! deadline and reported, while the batch goes on and finishes normally.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use crate::finding::{Code, Finding, Severity};
use crate::period::Period;
use crate::read::{self, Limits, ReadError};
use crate::refdata::RefData;
use crate::submission::Submission;

/// A file to read.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    /// The path as shown to people: as given, or relative to the folder given.
    pub name: String,
    /// Named on the command line (as opposed to found in a folder).
    pub explicit: bool,
    /// The file's bytes, when it was taken out of an archive: `path` is then the archive, and `name` the
    /// archive's name followed by the member's path inside it.
    pub contents: Option<Arc<Vec<u8>>>,
    /// Who sent it, when it came by email (an attachment of a saved .eml, or a file `collect` stored).
    pub sender: Option<crate::eml::Sender>,
    /// The prefecture whose private upload link it came through (the console's record says so). That
    /// link is the prefecture's own, so it outranks whatever the file says.
    pub link: Option<String>,
}

impl Input {
    /// A file on disk.
    pub fn file(path: impl Into<PathBuf>, name: impl Into<String>, explicit: bool) -> Self {
        Input { path: path.into(), name: name.into(), explicit, contents: None, sender: None, link: None }
    }
}

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

/// Names of files that are never returns: lock files and the droppings of file managers.
pub(crate) fn skip_reason(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    if name.starts_with("~$") {
        Some("Excel/WPS 打开文件时生成的临时锁文件")
    } else if name.starts_with(".~lock.") {
        Some("LibreOffice 打开文件时生成的临时锁文件")
    } else if lower == "thumbs.db" || lower == "desktop.ini" || lower == ".ds_store" {
        Some("操作系统生成的文件")
    } else if name.starts_with('.') {
        Some("隐藏文件")
    } else {
        None
    }
}

/// The files to read under `paths` (folders are walked recursively, in name order), and findings for
/// what was passed over or does not exist.
pub fn discover(paths: &[PathBuf]) -> (Vec<Input>, Vec<Finding>) {
    let mut inputs = Vec::new();
    let mut notes = Vec::new();
    let mut records = Vec::new();
    for p in paths {
        let shown = p.display().to_string();
        if p.is_dir() {
            let walker = walkdir::WalkDir::new(p).follow_links(true).sort_by_file_name();
            let mut it = walker.into_iter();
            while let Some(entry) = it.next() {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        let where_ = e.path().map(|x| x.display().to_string()).unwrap_or_else(|| shown.clone());
                        notes.push(Finding::new(Code::Unreadable, where_, "无法读取此目录项,请确认文件夹可以打开。").detail(Some(e.to_string())));
                        continue;
                    }
                };
                let name = entry.file_name().to_string_lossy().into_owned();
                if entry.depth() > 0 && entry.file_type().is_dir() {
                    if name.starts_with('.') {
                        it.skip_current_dir();
                    }
                    continue;
                }
                if !entry.file_type().is_file() {
                    continue;
                }
                let path = entry.path().to_path_buf();
                let name_shown = path.display().to_string();
                if crate::eml::is_record_name(&name) {
                    // `collect`'s or the upload links' record: not a return, but who sent the files beside it.
                    records.push(path);
                    continue;
                }
                if let Some(why) = skip_reason(&name) {
                    notes.push(Finding::new(Code::Skipped, name_shown, format!("已跳过:{why}。")));
                    continue;
                }
                push_input(Input::file(path, name_shown, false), &mut inputs, &mut notes);
            }
        } else if p.is_file() {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            if let Some(why) = skip_reason(&name) {
                notes.push(Finding::new(Code::Skipped, shown, format!("已跳过:{why}。")));
                continue;
            }
            push_input(Input::file(p.clone(), shown, true), &mut inputs, &mut notes);
        } else {
            notes.push(Finding::new(Code::Unreadable, shown, "文件或目录不存在。"));
        }
    }
    apply_records(&records, &mut inputs, &mut notes);
    (inputs, notes)
}

/// Gives the files `collect` stored their sender (from the record in their folder), and adds the
/// record's findings about messages that stored nothing (a cloud-drive link, no spreadsheet), so that
/// they stand next to the returns as long as that sender has sent nothing since.
fn apply_records(records: &[PathBuf], inputs: &mut [Input], notes: &mut Vec<Finding>) {
    for path in records {
        let record = crate::eml::read_record(path);
        let Some(dir) = path.parent() else { continue };
        for input in inputs.iter_mut().filter(|i| i.path.parent() == Some(dir)) {
            let name = input.path.file_name().map(|n| n.to_string_lossy().into_owned());
            let mine = |r: &&crate::eml::Receipt| r.stored.is_some() && r.stored == name;
            if input.sender.is_none()
                && let Some(r) = record.iter().filter(mine).find(|r| r.sender.is_some())
            {
                input.sender.clone_from(&r.sender);
            }
            if let Some(r) = record.iter().filter(mine).find(|r| r.link.is_some()) {
                input.link.clone_from(&r.link);
            }
        }
        // Findings about what is inside a stored archive (a zip bomb) were made before the sender was known.
        for note in notes.iter_mut().filter(|n| n.prefecture.is_none()) {
            let of = record.iter().find(|r| r.stored.as_ref().is_some_and(|s| note.file.starts_with(&format!("{}/", dir.join(s).display()))));
            if let Some(p) = of.and_then(|r| r.link.clone().or_else(|| r.sender.as_ref().and_then(|s| s.prefecture.clone()))) {
                note.prefecture = Some(p);
            }
        }
        notes.extend(crate::eml::standing_findings(&record));
    }
}

/// Adds a file to read; an archive (.zip of files, .7z) adds its members instead, each as a file of its
/// own named after the archive, and a finding for each member that cannot be taken out.
fn push_input(input: Input, inputs: &mut Vec<Input>, notes: &mut Vec<Finding>) {
    let limits = Limits::default();
    let is_eml = Path::new(&input.name).extension().is_some_and(|e| e.eq_ignore_ascii_case("eml"));
    if is_eml && input.contents.is_none() && std::fs::metadata(&input.path).is_ok_and(|m| m.len() <= limits.max_file_bytes) {
        match std::fs::read(&input.path) {
            Ok(bytes) => push_email(input, &bytes, inputs, notes),
            Err(e) => notes.push(Finding::new(Code::Unreadable, &input.name, "无法读取文件,请确认文件仍在原处并且可以读取。").detail(Some(e.to_string()))),
        }
        return;
    }
    // Only the first bytes and a zip's directory are read to tell an archive from a workbook (xlsx and ods
    // are zips too), which the reader then takes from the file itself.
    let size = std::fs::metadata(&input.path).map(|m| m.len()).unwrap_or(u64::MAX);
    // The zip crate reads a directory of the sender's making here, outside the reader's isolation: a panic
    // in it leaves the file to the isolated reader.
    let kind = std::panic::catch_unwind(|| crate::archive::archive_kind_of_file(&input.path)).ok().flatten();
    if size > limits.max_file_bytes || kind.is_none() {
        inputs.push(input);
        return;
    }
    let Ok(bytes) = std::fs::read(&input.path) else {
        inputs.push(input);
        return;
    };
    push_archive(input, &bytes, inputs, notes);
}

/// A saved email: each attachment that may be a return is read as if saved by hand (named
/// `邮件.eml/附件名`, an archive opened as usual), with the sender kept; the message's own findings (a
/// cloud-drive link, no spreadsheet) are added, and what is not a spreadsheet is passed over by name.
fn push_email(input: Input, bytes: &[u8], inputs: &mut Vec<Input>, notes: &mut Vec<Finding>) {
    // mail-parser is third-party code on hostile input, as the archive decoders are.
    let parsed = std::panic::catch_unwind(|| crate::eml::parse(bytes));
    let Ok(Some(email)) = parsed else {
        notes.push(Finding::new(Code::MailUnreadable, &input.name, "无法解析该邮件文件(.eml),文件可能已损坏。请直接保存邮件中的表格附件,或请市州重新发送。"));
        return;
    };
    // A RAR is read as a file below, and its finding says what to send instead.
    notes.extend(crate::eml::findings(&email, &input.name).into_iter().filter(|f| f.code != Code::MailRar));
    let sender = input.sender.clone().or_else(|| email.from.clone());
    for part in email.parts {
        let name = format!("{}/{}", input.name, part.path);
        if let crate::eml::PartKind::Other(what) = &part.kind {
            notes.push(Finding::new(Code::Skipped, name, format!("已跳过:邮件附件不是表格({what})。")));
            continue;
        }
        let is_archive = part.kind == crate::eml::PartKind::Archive;
        let member = Input { name, contents: Some(Arc::new(part.data)), sender: sender.clone(), ..input.clone() };
        if is_archive {
            let bytes = Arc::clone(member.contents.as_ref().expect("set above"));
            push_archive(member, &bytes, inputs, notes);
        } else {
            inputs.push(member);
        }
    }
}

/// Adds the members of an archive, each as a file of its own named after the archive.
fn push_archive(input: Input, bytes: &[u8], inputs: &mut Vec<Input>, notes: &mut Vec<Finding>) {
    let limits = Limits::default();
    // The decoders are third-party code on hostile input: a panic in them is this archive's finding.
    let expanded = std::panic::catch_unwind(|| crate::archive::expand(bytes, &limits));
    let expanded = match expanded {
        Ok(Ok(e)) => e,
        Ok(Err(e)) => {
            notes.push(archive_finding(&input.name, &e));
            return;
        }
        Err(_) => {
            notes.push(Finding::new(Code::ReaderFailure, &input.name, "解压压缩包时出现异常,已跳过该压缩包。请解压后直接发送其中的表格文件。"));
            return;
        }
    };
    if expanded.members.is_empty() && expanded.problems.is_empty() {
        notes.push(Finding::new(Code::NotSpreadsheet, &input.name, "压缩包中没有任何文件。请把填好的台账(xlsx、xls 或 ods)直接发送或压缩后发送。"));
    }
    let from = input.link.clone().or_else(|| input.sender.as_ref().and_then(|s| s.prefecture.clone()));
    for (member, e) in &expanded.problems {
        let mut f = archive_finding(&format!("{}/{member}", input.name), e);
        f.prefecture.clone_from(&from);
        notes.push(f);
    }
    for m in expanded.members {
        let name = format!("{}/{}", input.name, m.name);
        let base = m.name.rsplit('/').next().unwrap_or(&m.name);
        if let Some(why) = skip_reason(base) {
            notes.push(Finding::new(Code::Skipped, name, format!("已跳过:{why}。")));
            continue;
        }
        inputs.push(Input { name, contents: Some(Arc::new(m.data)), ..input.clone() });
    }
}

fn archive_finding(name: &str, e: &crate::archive::ArchiveError) -> Finding {
    use crate::archive::ArchiveError;
    let code = match e {
        ArchiveError::Encrypted => Code::Encrypted,
        ArchiveError::TooLarge(_) | ArchiveError::TooManyMembers => Code::TooLarge,
        ArchiveError::Corrupt(_) | ArchiveError::TooDeep => Code::Unreadable,
    };
    Finding::new(code, name, e.to_string()).detail(e.detail())
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
    // A document that is not a spreadsheet, found in a folder next to the returns, is passed over.
    if code == Code::NotSpreadsheet && !input.explicit { f.severity(Severity::Info) } else { f }
}

/// Extensions under which a plain-text file found in a folder may be a return (CSV saved by Excel or WPS).
const TEXT_RETURN_EXTENSIONS: &[&str] = &["csv", "tsv", "txt", "xls", "xlsx", "et", ""];

/// Reads, imports and validates one file, without isolation (see [`import_all`]). A file is one return,
/// or several when its sheets are named after several prefectures (a coordinator's workbook, see
/// [`crate::import::split`]): one submission each, in the order of the sheets.
pub fn import_one(refdata: &RefData, input: &Input, opts: &BatchOptions) -> Vec<Submission> {
    let read = match &input.contents {
        Some(bytes) => read::read_bytes(bytes.to_vec(), &opts.limits),
        None => read::read_file(&input.path, &opts.limits),
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

/// Imports a workbook read from `input`: whole, or one part per prefecture its sheets are named after.
fn import_parts(refdata: &RefData, input: &Input, wb: read::Workbook, opts: &BatchOptions) -> Vec<Submission> {
    // A member of an archive is imported under its path inside the archive, so that its own name and
    // the archive's can both tell the prefecture and the period; it is then filed under the archive.
    let as_named = if input.contents.is_some() { Path::new(&input.name) } else { input.path.as_path() };
    let from = crate::import::Provenance {
        sender: input.sender.as_ref().and_then(|s| s.prefecture.as_deref()),
        link: input.link.as_deref(),
        sheet: None,
    };
    let one = |wb: &read::Workbook, from: crate::import::Provenance<'_>| {
        let mut sub = crate::import::import_workbook_from(refdata, wb, as_named, &input.name, opts.period, from);
        sub.file.clone_from(&input.path);
        sub
    };
    // A link files returns for its own prefecture only: a workbook of several is never split there.
    let file_prefecture = file_prefecture(refdata, as_named);
    let parts = if input.link.is_some() { Err(wb) } else { crate::import::split::by_prefecture(refdata, wb, file_prefecture.as_deref()) };
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
    input.link.clone().or_else(|| file_prefecture(refdata, &input.path)).or_else(|| input.sender.as_ref().and_then(|s| s.prefecture.clone()))
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
fn spawn_reader<T: Send + 'static>(i: usize, input: Input, work: WorkerWith<T>, tx: mpsc::Sender<(usize, Result<Vec<(Submission, T)>, String>)>) -> std::io::Result<()> {
    let spawned = std::thread::Builder::new().name(READER_THREAD.into()).stack_size(16 << 20).spawn(move || {
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&input)));
        let _ = tx.send((i, r.map_err(|p| panic_text(p.as_ref()))));
    });
    spawned.map(|_| ())
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
        while running.len() < jobs
            && let Some(i) = queue.pop_front()
        {
            match spawn_reader(i, inputs[i].clone(), Arc::clone(&worker), tx.clone()) {
                Ok(_) => running.push((i, Instant::now())),
                Err(e) => results[i] = Some(failed(&inputs[i], Code::ReaderFailure, "无法启动读取线程,请稍后重试。".into(), Some(e.to_string()), refdata)),
            }
        }
        if running.is_empty() {
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
        let mut s = Submission::new(PathBuf::from(name), name.to_string());
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
