//! Finding the returns under the paths given: folders walked in name order, archives and saved emails
//! opened into the files they carry, the droppings of file managers passed over, and the records beside
//! the returns read back for where each file came from.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::finding::{Code, Finding};
use crate::read::Limits;

use super::archive::{ArchiveError, Expanded};

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
    /// The member's path inside the archive at `path`, when the file is a member of an archive on disk:
    /// it is taken out when it is read, not when it is found, so that finding the returns of an inbox
    /// never holds more than one member in memory, however many archives it holds.
    pub member: Option<String>,
    /// Who sent it, when it came by email (an attachment of a saved .eml, or a file `collect` stored).
    pub sender: Option<super::mime::Sender>,
    /// Where it came from when taizhang recorded it (the console's receipts, the records beside the
    /// returns): a prefecture's private upload link outranks whatever the file says.
    pub origin: Option<super::Origin>,
}

impl Input {
    /// The prefecture whose private upload link the file came through.
    pub fn link(&self) -> Option<&str> {
        self.origin.as_ref().and_then(super::Origin::link)
    }

    /// A file on disk.
    pub fn file(path: impl Into<PathBuf>, name: impl Into<String>, explicit: bool) -> Self {
        Input { path: path.into(), name: name.into(), explicit, contents: None, member: None, sender: None, origin: None }
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
                if super::record::is_record_name(&name) {
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
        let record = super::record::read_record(path);
        let Some(dir) = path.parent() else { continue };
        for input in inputs.iter_mut().filter(|i| i.path.parent() == Some(dir)) {
            let name = input.path.file_name().map(|n| n.to_string_lossy().into_owned());
            // A line speaks for the file it recorded, not for a later file of the same name (the first one
            // removed by hand): its content hash must match, and the file is hashed only when a line names it.
            let named: Vec<&super::record::Entry> = record.iter().filter(|r| r.stored.is_some() && r.stored == name).collect();
            if named.is_empty() {
                continue;
            }
            let sha = std::fs::read(&input.path).ok().map(|b| super::names::sha256_hex(&b));
            let mine: Vec<&super::record::Entry> = named.into_iter().filter(|r| r.sha256.is_none() || r.sha256 == sha).collect();
            if input.sender.is_none()
                && let Some(r) = mine.iter().find(|r| r.sender.is_some())
            {
                input.sender.clone_from(&r.sender);
                input.origin = Some(super::Origin::Mail { sender: r.sender.as_ref().map(super::mime::Sender::display) });
            }
            if let Some(p) = mine.iter().rev().find_map(|r| r.link.clone()) {
                input.origin = Some(super::Origin::Link { prefecture: p });
            }
        }
        // Findings about what is inside a stored archive (a zip bomb) were made before the sender was known.
        for note in notes.iter_mut().filter(|n| n.prefecture.is_none()) {
            let of = record.iter().find(|r| r.stored.as_ref().is_some_and(|s| note.file.starts_with(&format!("{}/", dir.join(s).display()))));
            if let Some(p) = of.and_then(|r| r.link.clone().or_else(|| r.sender.as_ref().and_then(|s| s.prefecture.clone()))) {
                note.prefecture = Some(p);
            }
        }
        notes.extend(super::record::standing_findings(&record));
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
    let kind = std::panic::catch_unwind(|| super::archive::archive_kind_of_file(&input.path)).ok().flatten();
    if size > limits.max_file_bytes || kind.is_none() {
        inputs.push(input);
        return;
    }
    let listed = listing(&input.path, &limits);
    let Some(listed) = listed else {
        inputs.push(input);
        return;
    };
    add_members(input, listed.as_ref(), Vec::new(), inputs, notes);
}

/// What an archive on disk holds, by name (the members' bytes are not kept), or why it cannot be opened.
type Listing = Result<Expanded, ArchiveError>;

/// Archives listed so far, by path and stamp: the console lists its inbox at every refresh, and an
/// unchanged archive is not decompressed again for it. Names only, so the cache stays small.
static LISTINGS: std::sync::Mutex<Vec<Listed>> = std::sync::Mutex::new(Vec::new());

/// An archive's path, its size and modification time when listed, and its listing.
type Listed = (PathBuf, (u64, Option<std::time::SystemTime>), Arc<Listing>);

/// Most archives whose listing is kept.
const MAX_LISTINGS: usize = 512;

/// Lists the archive at `path`, decompressing one member at a time to find those that cannot be taken
/// out (a zip bomb); `None` when the file cannot be read (the reader then says why).
fn listing(path: &Path, limits: &Limits) -> Option<Arc<Listing>> {
    let meta = std::fs::metadata(path).ok()?;
    let stamp = (meta.len(), meta.modified().ok());
    let mut cache = LISTINGS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((_, _, l)) = cache.iter().find(|(p, s, _)| p == path && *s == stamp) {
        return Some(Arc::clone(l));
    }
    drop(cache);
    let bytes = std::fs::read(path).ok()?;
    let listed = Arc::new(list_archive(&bytes, limits, false));
    cache = LISTINGS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    cache.retain(|(p, _, _)| p != path);
    if cache.len() >= MAX_LISTINGS {
        cache.remove(0);
    }
    cache.push((path.to_path_buf(), stamp, Arc::clone(&listed)));
    Some(listed)
}

/// Walks an archive: its members with their bytes when `keep` (an attachment, already in memory), by
/// name alone otherwise. A panic in the decoders (third-party code on hostile input) is the archive's
/// failure, [`ArchiveError::Panicked`].
fn list_archive(bytes: &[u8], limits: &Limits, keep: bool) -> Listing {
    let walked = std::panic::catch_unwind(|| if keep { super::archive::expand(bytes, limits) } else { super::archive::list(bytes, limits) });
    walked.unwrap_or(Err(ArchiveError::Panicked))
}

/// A saved email: each attachment that may be a return is read as if saved by hand (named
/// `邮件.eml/附件名`, an archive opened as usual), with the sender kept; the message's own findings (a
/// cloud-drive link, no spreadsheet) are added, and what is not a spreadsheet is passed over by name.
fn push_email(input: Input, bytes: &[u8], inputs: &mut Vec<Input>, notes: &mut Vec<Finding>) {
    // mail-parser is third-party code on hostile input, as the archive decoders are.
    let parsed = std::panic::catch_unwind(|| super::mime::parse(bytes));
    let Ok(Some(email)) = parsed else {
        notes.push(Finding::new(Code::MailUnreadable, &input.name, "无法解析该邮件文件(.eml),文件可能已损坏。请直接保存邮件中的表格附件,或请市州重新发送。"));
        return;
    };
    // A RAR is read as a file below, and its finding says what to send instead.
    notes.extend(super::mime::findings(&email, &input.name).into_iter().filter(|f| f.code != Code::MailRar));
    let sender = input.sender.clone().or_else(|| email.from.clone());
    for part in email.parts {
        let name = format!("{}/{}", input.name, part.path);
        if let super::mime::PartKind::Other(what) = &part.kind {
            notes.push(Finding::new(Code::Skipped, name, format!("已跳过:邮件附件不是表格({what})。")));
            continue;
        }
        let is_archive = part.kind == super::mime::PartKind::Archive;
        let member = Input { name, contents: Some(Arc::new(part.data)), sender: sender.clone(), ..input.clone() };
        if is_archive {
            let bytes = Arc::clone(member.contents.as_ref().expect("set above"));
            let mut listed = list_archive(&bytes, &Limits::default(), true);
            let data = listed.as_mut().map(|e| e.members.iter_mut().map(|m| std::mem::take(&mut m.data)).collect()).unwrap_or_default();
            add_members(member, &listed, data, inputs, notes);
        } else {
            inputs.push(member);
        }
    }
}

/// Adds the members of an archive, each as a file of its own named after the archive: with its bytes
/// when the archive was in memory (`data`, one per member), else to be taken out of the file when read.
fn add_members(input: Input, listed: &Listing, data: Vec<Vec<u8>>, inputs: &mut Vec<Input>, notes: &mut Vec<Finding>) {
    let expanded = match listed {
        Ok(e) => e,
        Err(e) => {
            notes.push(archive_finding(&input.name, e));
            return;
        }
    };
    if expanded.members.is_empty() && expanded.problems.is_empty() {
        notes.push(Finding::new(Code::NotSpreadsheet, &input.name, "压缩包中没有任何文件。请把填好的台账(xlsx、xls 或 ods)直接发送或压缩后发送。"));
    }
    let from = input.link().map(str::to_string).or_else(|| input.sender.as_ref().and_then(|s| s.prefecture.clone()));
    for (member, e) in &expanded.problems {
        let mut f = archive_finding(&format!("{}/{member}", input.name), e);
        f.prefecture.clone_from(&from);
        notes.push(f);
    }
    let mut data = data.into_iter();
    for m in &expanded.members {
        let bytes = data.next();
        let name = format!("{}/{}", input.name, m.name);
        let base = m.name.rsplit('/').next().unwrap_or(&m.name);
        if let Some(why) = skip_reason(base) {
            notes.push(Finding::new(Code::Skipped, name, format!("已跳过:{why}。")));
            continue;
        }
        let (contents, member) = match bytes {
            Some(b) => (Some(Arc::new(b)), None),
            None => (None, Some(m.name.clone())),
        };
        inputs.push(Input { name, contents, member, ..input.clone() });
    }
}

fn archive_finding(name: &str, e: &ArchiveError) -> Finding {
    let code = match e {
        ArchiveError::Encrypted => Code::Encrypted,
        ArchiveError::TooLarge(_) | ArchiveError::TooManyMembers | ArchiveError::TextTooLarge(_) => Code::TooLarge,
        ArchiveError::Corrupt(_) | ArchiveError::TooDeep => Code::Unreadable,
        ArchiveError::Panicked => Code::ReaderFailure,
    };
    Finding::new(code, name, e.to_string()).detail(e.detail())
}
