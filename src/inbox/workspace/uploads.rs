//! Uploads into a period's inbox. A file is written to a hidden temporary file (never read as a
//! return), synced, and only then linked to its final name and recorded; a process killed mid-upload
//! leaves at most a hidden temporary file, removed at the next start, never a half-written return. A
//! record that cannot be written undoes the store, so no file is ever in the inbox without its receipt.

use std::io::Write;
use std::path::PathBuf;

use sha2::{Digest, Sha256};

use crate::inbox::origin::Origin;
use crate::period::Period;

use super::receipts::Receipt;
use super::{INBOX, Workspace, WorkspaceError, io, random};

/// Prefix of the temporary file an upload is written to (hidden: the batch reader skips it).
const PARTIAL: &str = ".上传中-";

/// What became of an upload.
#[derive(Debug, Clone)]
pub enum Stored {
    /// Stored under a new name (the original's, or with (2), (3) … when taken).
    New(Receipt),
    /// The same content is in the inbox already: nothing stored again.
    Duplicate(Receipt),
}

/// An upload in progress.
pub struct Upload {
    path: PathBuf,
    file: Option<std::fs::File>,
    hasher: Sha256,
    size: u64,
    limit: u64,
    original: String,
    period: Period,
}

impl Upload {
    /// Appends bytes, refusing the upload as soon as it passes the limit.
    ///
    /// # Errors
    /// [`WorkspaceError::TooLarge`] past the limit; a write error.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), WorkspaceError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(WorkspaceError::TooLarge { name: self.original.clone(), limit_mb: self.limit >> 20 });
        }
        self.hasher.update(chunk);
        match self.file.as_mut() {
            Some(f) => f.write_all(chunk).map_err(|source| WorkspaceError::Io { path: self.path.clone(), source }),
            None => Ok(()),
        }
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        // An upload dropped before it was finished (refused, or the connection lost) leaves nothing.
        if self.file.is_some() {
            self.file = None;
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Workspace {
    /// Removes what uploads killed mid-way left behind, in every period. Done once, when the console
    /// starts: later, such a file may be an upload in progress.
    pub fn remove_partial_uploads(&self) {
        for p in self.periods() {
            let Ok(entries) = std::fs::read_dir(self.dir(p, INBOX)) else { continue };
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(PARTIAL) {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }

    /// Starts an upload of a file called `original` into the inbox of `period`: bytes go to a hidden
    /// temporary file until [`Workspace::finish_upload`].
    ///
    /// # Errors
    /// When the temporary file cannot be created.
    pub fn begin_upload(&self, period: Period, original: &str, limit: u64) -> Result<Upload, WorkspaceError> {
        let inbox = self.dir(period, INBOX);
        let token = random(&inbox)?;
        let path = inbox.join(format!("{PARTIAL}{}", &token[..16]));
        let file = std::fs::File::create(&path).map_err(io(&path))?;
        Ok(Upload { path, file: Some(file), hasher: Sha256::new(), size: 0, limit, original: original.to_string(), period })
    }

    /// Stores a finished upload from `origin`: content already in the inbox is recognised and nothing is
    /// stored again; otherwise the file gets its sanitised name, or a new one when that is taken — never
    /// an overwrite. A link's upload is refused once `quota` files came through it this period, counted
    /// and taken under one lock, so that parallel uploads cannot pass it.
    ///
    /// # Errors
    /// A file or database error, or the quota reached; the temporary file is removed either way.
    pub fn finish_upload(&self, mut up: Upload, origin: &Origin, quota: Option<usize>) -> Result<Stored, WorkspaceError> {
        let result = (|| {
            let file = up.file.take().ok_or_else(|| WorkspaceError::Io { path: up.path.clone(), source: std::io::Error::other("closed") })?;
            file.sync_all().map_err(io(&up.path))?;
            drop(file);
            let sha: String = std::mem::take(&mut up.hasher).finalize().iter().map(|b| format!("{b:02x}")).collect();
            let _storing = self.storing();
            // A file removed by hand no longer stands for its content or its name.
            self.release_removed(up.period)?;
            if let Some(r) = self.receipts(up.period)?.into_iter().find(|r| r.sha256 == sha) {
                return Ok(Stored::Duplicate(r));
            }
            if let (Some(limit), Some(prefecture)) = (quota, origin.link())
                && self.link_uploads(up.period, prefecture) >= limit
            {
                return Err(WorkspaceError::QuotaReached { limit });
            }
            self.store(&up, &sha, origin).map(Stored::New)
        })();
        let _ = std::fs::remove_file(&up.path);
        result
    }

    /// Links the temporary file to a free name and records it; a record that fails unlinks it again.
    /// Called with the storing lock held.
    fn store(&self, up: &Upload, sha: &str, origin: &Origin) -> Result<Receipt, WorkspaceError> {
        let inbox = self.dir(up.period, INBOX);
        // Compared without case, as Windows compares names.
        let taken: Vec<String> = std::fs::read_dir(&inbox).map_err(io(&inbox))?.flatten().map(|e| e.file_name().to_string_lossy().to_lowercase()).collect();
        // A record's name is never a received file's: such a file would speak for the others' senders.
        let name = crate::inbox::names::free_name(&crate::inbox::names::sanitize(&up.original), |n| taken.contains(&n.to_lowercase()) || crate::inbox::record::is_record_name(n));
        let dest = inbox.join(&name);
        // The name is taken by a link, not by a rename, so a file that appeared meanwhile is never replaced.
        std::fs::hard_link(&up.path, &dest).map_err(io(&dest))?;
        let r = match self.record(up.period, &up.original, &name, sha, up.size as i64, origin) {
            Ok(r) => r,
            Err(e) => {
                let _ = std::fs::remove_file(&dest);
                return Err(e);
            }
        };
        if let Origin::Link { prefecture } = origin {
            let line = crate::inbox::record::Entry::uploaded(&r.original_name, &r.stored_name, &r.sha256, prefecture);
            let record = inbox.join(crate::inbox::record::UPLOAD_RECORD_FILE);
            if let Err(e) = crate::inbox::record::append(&record, &[line]) {
                // Without its record line the file would lose its link's prefecture: not stored at all.
                self.forget(r.id)?;
                let _ = std::fs::remove_file(&dest);
                return Err(io(&record)(e));
            }
        }
        Ok(r)
    }
}

impl Workspace {
    /// Moves a received file into the inbox of another started period: a prefecture's late return for
    /// the quarter before, sent through its link after the next quarter has started, counts for the
    /// quarter it states. The file keeps its content and its origin; it takes a free name there.
    ///
    /// # Errors
    /// A file or database error; on failure the file stays where it was.
    pub fn refile(&self, receipt: &Receipt, to: Period) -> Result<Receipt, WorkspaceError> {
        let _storing = self.storing();
        let from = self.dir(receipt.period, INBOX).join(&receipt.stored_name);
        let inbox = self.dir(to, INBOX);
        let taken: Vec<String> = std::fs::read_dir(&inbox).map_err(io(&inbox))?.flatten().map(|e| e.file_name().to_string_lossy().to_lowercase()).collect();
        let name = crate::inbox::names::free_name(&receipt.stored_name, |n| taken.contains(&n.to_lowercase()) || crate::inbox::record::is_record_name(n));
        let dest = inbox.join(&name);
        std::fs::hard_link(&from, &dest).map_err(io(&dest))?;
        let moved = self.record(to, &receipt.original_name, &name, &receipt.sha256, receipt.size, &receipt.origin).and_then(|r| {
            if let Origin::Link { prefecture } = &receipt.origin {
                let line = crate::inbox::record::Entry::uploaded(&r.original_name, &r.stored_name, &r.sha256, prefecture);
                crate::inbox::record::append(&inbox.join(crate::inbox::record::UPLOAD_RECORD_FILE), &[line]).map_err(io(&inbox))?;
            }
            Ok(r)
        });
        match moved {
            Ok(r) => {
                self.forget(receipt.id)?;
                let _ = std::fs::remove_file(&from);
                Ok(r)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&dest);
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(ws: &Workspace, p: Period, name: &str, data: &[u8], origin: &Origin, quota: Option<usize>) -> Result<Stored, WorkspaceError> {
        let mut up = ws.begin_upload(p, name, 1 << 20).unwrap();
        up.write(data).unwrap();
        ws.finish_upload(up, origin, quota)
    }

    fn files(ws: &Workspace, p: Period) -> Vec<String> {
        let mut files: Vec<String> = std::fs::read_dir(ws.dir(p, INBOX)).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        files.sort();
        files
    }

    #[test]
    fn uploads_are_stored_once_under_free_names_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let p = Period::new(2018, 3).unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        ws.ensure(p).unwrap();
        let Ok(Stored::New(a)) = put(&ws, p, "../成都.xlsx", b"one", &Origin::Office, None) else { panic!() };
        assert_eq!(a.stored_name, "成都.xlsx");
        let Ok(Stored::New(b)) = put(&ws, p, "成都.xlsx", b"two", &Origin::Office, None) else { panic!() };
        assert_eq!(b.stored_name, "成都 (2).xlsx", "same name: a new name, never an overwrite");
        let Ok(Stored::Duplicate(c)) = put(&ws, p, "成都-副本.xlsx", b"one", &Origin::Office, None) else { panic!() };
        assert_eq!(c.id, a.id, "identical content: the same file");
        assert_eq!(std::fs::read(ws.dir(p, INBOX).join("成都.xlsx")).unwrap(), b"one");
        // Too large: refused, nothing left behind.
        let mut up = ws.begin_upload(p, "大.xlsx", 4).unwrap();
        assert!(matches!(up.write(b"12345"), Err(WorkspaceError::TooLarge { .. })));
        drop(up);
        std::fs::write(ws.dir(p, INBOX).join("手工放入.xlsx"), b"three").unwrap();
        drop(ws);
        let ws = Workspace::open(dir.path()).unwrap();
        let picked = ws.reconcile(p).unwrap();
        assert_eq!(picked.iter().map(|r| r.stored_name.as_str()).collect::<Vec<_>>(), ["手工放入.xlsx"]);
        assert_eq!(picked[0].origin, Origin::Folder);
        let names: Vec<String> = ws.receipts(p).unwrap().into_iter().map(|r| r.stored_name).collect();
        assert_eq!(names, ["成都.xlsx", "成都 (2).xlsx", "手工放入.xlsx"]);
        assert_eq!(files(&ws, p), ["成都 (2).xlsx", "成都.xlsx", "手工放入.xlsx"], "no temporary file is left");
    }

    #[test]
    fn a_file_removed_by_hand_frees_its_name_and_its_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = Period::new(2018, 3).unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        ws.ensure(p).unwrap();
        let chengdu = Origin::Link { prefecture: "成都市".into() };
        let Ok(Stored::New(_)) = put(&ws, p, "台账.xlsx", b"chengdu", &chengdu, None) else { panic!() };
        std::fs::remove_file(ws.dir(p, INBOX).join("台账.xlsx")).unwrap();
        // The same name from another prefecture: stored under it, its own, not the removed file's.
        let yibin = Origin::Link { prefecture: "宜宾市".into() };
        let Ok(Stored::New(r)) = put(&ws, p, "台账.xlsx", b"yibin", &yibin, None) else { panic!() };
        assert_eq!((r.stored_name.as_str(), &r.origin), ("台账.xlsx", &yibin));
        assert_eq!(ws.receipts(p).unwrap().len(), 1, "the removed file's receipt is released");
        let record = crate::inbox::record::read_record(&ws.dir(p, INBOX).join(crate::inbox::record::UPLOAD_RECORD_FILE));
        assert_eq!(record.len(), 2, "the record only grows");
        // The same bytes again after a removal: stored again, not "received before".
        std::fs::remove_file(ws.dir(p, INBOX).join("台账.xlsx")).unwrap();
        assert!(matches!(put(&ws, p, "台账.xlsx", b"yibin", &yibin, None), Ok(Stored::New(_))));
    }

    #[test]
    fn a_links_quota_is_counted_and_taken_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = Period::new(2018, 3).unwrap();
        let ws = std::sync::Arc::new(Workspace::open(dir.path()).unwrap());
        ws.ensure(p).unwrap();
        let link = Origin::Link { prefecture: "雅安市".into() };
        let threads: Vec<_> = (0..12)
            .map(|i| {
                let (ws, link) = (std::sync::Arc::clone(&ws), link.clone());
                std::thread::spawn(move || put(&ws, p, &format!("{i}.xlsx"), format!("file {i}").as_bytes(), &link, Some(5)))
            })
            .collect();
        let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(results.iter().filter(|r| matches!(r, Ok(Stored::New(_)))).count(), 5);
        assert!(results.iter().filter(|r| r.is_err()).all(|r| matches!(r, Err(WorkspaceError::QuotaReached { limit: 5 }))));
        assert_eq!(files(&ws, p).iter().filter(|f| f.ends_with(".xlsx")).count(), 5);
        assert_eq!(ws.link_uploads(p, "雅安市"), 5);
    }

    #[test]
    fn one_console_holds_a_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let lock = ws.lock_console("http://127.0.0.1:8750(进程 1)").unwrap();
        let other = Workspace::open(dir.path()).unwrap();
        match other.lock_console("http://127.0.0.1:8751(进程 2)") {
            Err(WorkspaceError::Locked { by }) => assert_eq!(by, "http://127.0.0.1:8750(进程 1)"),
            r => panic!("{r:?}"),
        }
        drop(lock);
        assert!(other.lock_console("second").is_ok(), "released when the first console stops");
    }
}
