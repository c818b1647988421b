//! The console's workspace on disk: one folder per period with 模板/, 收件箱/, 审核意见/ and 汇总/, so that an
//! official can open the files in the file manager, and a record of every receipt in SQLite, so that a
//! restart shows the same state. The files are the truth: a file dropped into 收件箱/ by hand is picked up
//! and recorded as arrived from the folder.
//!
//! An upload is written to a hidden temporary file in the inbox (never read as a return), synced, and
//! only then renamed to its final name and recorded; a process killed mid-upload leaves at most a hidden
//! temporary file, removed at the next start, and never a half-written return.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::period::Period;

/// Folder names inside a period's folder.
pub const TEMPLATES: &str = "模板";
pub const INBOX: &str = "收件箱";
pub const FEEDBACK: &str = "审核意见";
pub const ROLLUP: &str = "汇总";
/// The receipts database, at the workspace's root.
const DB: &str = "台账收件记录.sqlite";
/// Prefix of the temporary file an upload is written to (hidden: the batch reader skips it).
const PARTIAL: &str = ".上传中-";

/// Something the workspace could not do.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("工作区文件读写失败({path}):{source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("收件记录数据库出错:{0}")]
    Db(#[from] rusqlite::Error),
    /// The returns could not be merged (a defect: polars rejecting frames taizhang built).
    #[error(transparent)]
    Merge(#[from] crate::rollup::merge::MergeError),
    /// An upload larger than the reader's limit: refused, nothing stored.
    #[error("文件「{name}」超过 {limit_mb} MB 的上限,未保存。请删除多余的行列或工作表后重新上传。")]
    TooLarge { name: String, limit_mb: u64 },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WorkspaceError + '_ {
    move |source| WorkspaceError::Io { path: path.to_path_buf(), source }
}

/// One file received.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Receipt {
    pub id: i64,
    pub period: String,
    /// Local time, `2018-10-09 14:03:12`.
    pub received_at: String,
    pub original_name: String,
    pub stored_name: String,
    pub sha256: String,
    pub size: i64,
    /// 网页上传, 文件夹 …
    pub source: String,
}

/// What became of an upload.
#[derive(Debug, Clone)]
pub enum Stored {
    /// Stored under a new name (the original's, or with (2), (3) … when taken).
    New(Receipt),
    /// The same content arrived before: nothing stored again.
    Duplicate(Receipt),
}

/// The workspace: its root folder and its receipts.
pub struct Workspace {
    pub root: PathBuf,
    db: Mutex<Connection>,
    /// Held while a file takes its name in an inbox and is recorded, and while the inbox is scanned for
    /// files to record: a scan never sees a stored upload before its receipt exists.
    storing: Mutex<()>,
}

impl Workspace {
    /// Opens (creating when missing) the workspace at `root`.
    ///
    /// # Errors
    /// When the folder or the database cannot be created.
    pub fn open(root: &Path) -> Result<Self, WorkspaceError> {
        std::fs::create_dir_all(root).map_err(io(root))?;
        let conn = Connection::open(root.join(DB))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS receipts (
                id INTEGER PRIMARY KEY,
                period TEXT NOT NULL,
                received_at TEXT NOT NULL,
                original_name TEXT NOT NULL,
                stored_name TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                size INTEGER NOT NULL,
                source TEXT NOT NULL,
                UNIQUE (period, stored_name)
            );
            CREATE TABLE IF NOT EXISTS periods (period TEXT PRIMARY KEY, deadline TEXT);
            CREATE TABLE IF NOT EXISTS links (
                code TEXT PRIMARY KEY,
                token TEXT NOT NULL,
                token_sha256 TEXT NOT NULL UNIQUE,
                created_at TEXT NOT NULL
            );
            CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
        )?;
        Ok(Workspace { root: root.to_path_buf(), db: Mutex::new(conn), storing: Mutex::new(()) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable: SQLite keeps its own consistency.
        self.db.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The folder of `period`, e.g. `工作区/2018Q3`.
    pub fn period_dir(&self, period: Period) -> PathBuf {
        self.root.join(period.code())
    }

    /// A folder of `period` (one of [`TEMPLATES`], [`INBOX`], [`FEEDBACK`], [`ROLLUP`]).
    pub fn dir(&self, period: Period, which: &str) -> PathBuf {
        self.period_dir(period).join(which)
    }

    /// Creates the period's folders.
    ///
    /// # Errors
    /// When a folder cannot be created.
    pub fn ensure(&self, period: Period) -> Result<(), WorkspaceError> {
        for which in [TEMPLATES, INBOX, FEEDBACK, ROLLUP] {
            let d = self.dir(period, which);
            std::fs::create_dir_all(&d).map_err(io(&d))?;
        }
        Ok(())
    }

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

    /// The periods that have a folder, in order.
    pub fn periods(&self) -> Vec<Period> {
        let mut v: Vec<Period> = std::fs::read_dir(&self.root)
            .map(|rd| rd.flatten().filter(|e| e.path().is_dir()).filter_map(|e| e.file_name().to_string_lossy().parse().ok()).collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    /// The deadline set for `period`.
    pub fn deadline(&self, period: Period) -> Option<chrono::NaiveDate> {
        let d: Option<String> = self.conn().query_row("SELECT deadline FROM periods WHERE period = ?1", [period.code()], |r| r.get(0)).optional().ok().flatten().flatten();
        d.and_then(|d| d.parse().ok())
    }

    /// Records the deadline of `period`.
    ///
    /// # Errors
    /// A database error.
    pub fn set_deadline(&self, period: Period, deadline: Option<chrono::NaiveDate>) -> Result<(), WorkspaceError> {
        self.conn().execute(
            "INSERT INTO periods (period, deadline) VALUES (?1, ?2) ON CONFLICT(period) DO UPDATE SET deadline = excluded.deadline",
            params![period.code(), deadline.map(|d| d.to_string())],
        )?;
        Ok(())
    }

    /// Every receipt of `period`, oldest first.
    ///
    /// # Errors
    /// A database error.
    pub fn receipts(&self, period: Period) -> Result<Vec<Receipt>, WorkspaceError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT id, period, received_at, original_name, stored_name, sha256, size, source FROM receipts WHERE period = ?1 ORDER BY id",
        )?;
        let rows = st.query_map([period.code()], |r| {
            Ok(Receipt {
                id: r.get(0)?,
                period: r.get(1)?,
                received_at: r.get(2)?,
                original_name: r.get(3)?,
                stored_name: r.get(4)?,
                sha256: r.get(5)?,
                size: r.get(6)?,
                source: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Records the files found in the inbox that no receipt names: dropped there by hand, or stored by an
    /// upload that was killed before it was recorded.
    ///
    /// # Errors
    /// A database or file error.
    pub fn pick_up(&self, period: Period) -> Result<Vec<Receipt>, WorkspaceError> {
        let _storing = self.storing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let inbox = self.dir(period, INBOX);
        let known: Vec<String> = self.receipts(period)?.into_iter().map(|r| r.stored_name).collect();
        let mut names: Vec<String> = std::fs::read_dir(&inbox)
            .map_err(io(&inbox))?
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.') && !n.starts_with("~$") && !crate::inbox::record::is_record_name(n) && !known.contains(n))
            .collect();
        names.sort();
        let mut out = Vec::new();
        for n in names {
            let path = inbox.join(&n);
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            out.push(self.record(period, &n, &n, &hex_sha256(&bytes), bytes.len() as i64, "文件夹")?);
        }
        Ok(out)
    }

    fn record(&self, period: Period, original: &str, stored: &str, sha: &str, size: i64, source: &str) -> Result<Receipt, WorkspaceError> {
        let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
        let conn = self.conn();
        conn.execute(
            "INSERT INTO receipts (period, received_at, original_name, stored_name, sha256, size, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![period.code(), now, original, stored, sha, size, source],
        )?;
        Ok(Receipt {
            id: conn.last_insert_rowid(),
            period: period.code(),
            received_at: now,
            original_name: original.into(),
            stored_name: stored.into(),
            sha256: sha.into(),
            size,
            source: source.into(),
        })
    }

    /// Starts an upload of a file called `original` into the inbox of `period`: bytes go to a hidden
    /// temporary file until [`Upload::finish`].
    ///
    /// # Errors
    /// When the temporary file cannot be created.
    pub fn begin_upload(&self, period: Period, original: &str, limit: u64) -> Result<Upload, WorkspaceError> {
        let inbox = self.dir(period, INBOX);
        let token = random_token().map_err(|e| WorkspaceError::Io { path: inbox.clone(), source: std::io::Error::other(e.to_string()) })?;
        let path = inbox.join(format!("{PARTIAL}{}", &token[..16]));
        let file = std::fs::File::create(&path).map_err(io(&path))?;
        Ok(Upload { path, file: Some(file), hasher: Sha256::new(), size: 0, limit, original: original.to_string(), period })
    }

    /// Stores a finished upload: identical content already received is recognised and nothing is stored
    /// again; otherwise the file gets its sanitised name, or a new one when that is taken — never an
    /// overwrite.
    ///
    /// # Errors
    /// A file or database error; the temporary file is removed.
    pub fn finish_upload(&self, mut up: Upload, source: &Source) -> Result<Stored, WorkspaceError> {
        let result = (|| {
            let file = up.file.take().ok_or_else(|| WorkspaceError::Io { path: up.path.clone(), source: std::io::Error::other("closed") })?;
            file.sync_all().map_err(io(&up.path))?;
            drop(file);
            let sha: String = std::mem::take(&mut up.hasher).finalize().iter().map(|b| format!("{b:02x}")).collect();
            let _storing = self.storing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(r) = self.receipts(up.period)?.into_iter().find(|r| r.sha256 == sha) {
                return Ok(Stored::Duplicate(r));
            }
            let inbox = self.dir(up.period, INBOX);
            // Compared without case, as Windows compares names.
            let taken: Vec<String> = std::fs::read_dir(&inbox).map_err(io(&inbox))?.flatten().map(|e| e.file_name().to_string_lossy().to_lowercase()).collect();
            // A record's name is never a received file's: such a file would speak for the others' senders.
            let name = crate::inbox::names::free_name(&crate::inbox::names::sanitize(&up.original), |n| taken.contains(&n.to_lowercase()) || crate::inbox::record::is_record_name(n));
            let dest = inbox.join(&name);
            // The name is taken by a link, not by a rename, so a file that appeared meanwhile is never replaced.
            std::fs::hard_link(&up.path, &dest).map_err(io(&dest))?;
            let r = self.record(up.period, &up.original, &name, &sha, up.size as i64, &source.label())?;
            if let Source::Link(prefecture) = source {
                self.note_link_upload(&r, prefecture)?;
            }
            Ok(Stored::New(r))
        })();
        let _ = std::fs::remove_file(&up.path);
        result
    }
}

impl Workspace {
    /// Writes down, beside the returns, that a file came through `prefecture`'s private link, so that
    /// every reader of the inbox (the board, `check`, `consolidate`) files it as that prefecture's.
    /// Called with the storing lock held: this is the record's only writer.
    fn note_link_upload(&self, r: &Receipt, prefecture: &str) -> Result<(), WorkspaceError> {
        let Ok(period) = r.period.parse::<Period>() else { return Ok(()) };
        let path = self.dir(period, INBOX).join(crate::inbox::record::UPLOAD_RECORD_FILE);
        let line = crate::inbox::record::Entry {
            attachment: Some(r.original_name.clone()),
            stored: Some(r.stored_name.clone()),
            sha256: Some(r.sha256.clone()),
            link: Some(prefecture.to_string()),
            ..crate::inbox::record::Entry::blank("上传链接")
        };
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&serde_json::to_string(&line).unwrap_or_default());
        text.push('\n');
        crate::output::write_atomic(&path, text.as_bytes()).map_err(|e| WorkspaceError::Io { path: path.clone(), source: std::io::Error::other(e.to_string()) })
    }

    /// Records files another writer (`collect`) stored in the inbox, with where they came from; a file
    /// the folder scan recorded first gets its source corrected.
    ///
    /// # Errors
    /// A database or file error.
    pub fn record_arrived(&self, period: Period, files: &[(String, String, String)]) -> Result<(), WorkspaceError> {
        let _storing = self.storing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let inbox = self.dir(period, INBOX);
        for (stored, original, source) in files {
            let path = inbox.join(stored);
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
            self.conn().execute(
                "INSERT INTO receipts (period, received_at, original_name, stored_name, sha256, size, source) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(period, stored_name) DO UPDATE SET original_name = excluded.original_name, source = excluded.source",
                params![period.code(), now, original, stored, hex_sha256(&bytes), bytes.len() as i64, source],
            )?;
        }
        Ok(())
    }

    /// The private upload link token of every prefecture in `codes`, created for those that have none.
    ///
    /// # Errors
    /// A database error, or no randomness.
    pub fn links(&self, codes: &[String]) -> Result<Vec<(String, String)>, WorkspaceError> {
        let mut out = Vec::new();
        for code in codes {
            let known: Option<String> = self.conn().query_row("SELECT token FROM links WHERE code = ?1", [code], |r| r.get(0)).optional()?;
            let token = match known {
                Some(t) => t,
                None => self.regenerate_link(code)?,
            };
            out.push((code.clone(), token));
        }
        Ok(out)
    }

    /// Gives `code` a new link token; the old one stops working at once.
    ///
    /// # Errors
    /// A database error, or no randomness.
    pub fn regenerate_link(&self, code: &str) -> Result<String, WorkspaceError> {
        let token = random_token().map_err(|e| WorkspaceError::Io { path: self.root.clone(), source: std::io::Error::other(e.to_string()) })?;
        let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
        self.conn().execute(
            "INSERT INTO links (code, token, token_sha256, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(code) DO UPDATE SET token = excluded.token, token_sha256 = excluded.token_sha256, created_at = excluded.created_at",
            params![code, token, hex_sha256(token.as_bytes()), now],
        )?;
        Ok(token)
    }

    /// The prefecture code a link token opens. Looked up by the token's hash, so that the time a lookup
    /// takes tells nothing about how close a guess was.
    pub fn link_code(&self, token: &str) -> Option<String> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.conn().query_row("SELECT code FROM links WHERE token_sha256 = ?1", [hex_sha256(token.as_bytes())], |r| r.get(0)).optional().ok().flatten()
    }

    /// A setting of the console (the mail server to collect from …).
    pub fn setting(&self, key: &str) -> Option<String> {
        self.conn().query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional().ok().flatten()
    }

    /// Keeps a setting.
    ///
    /// # Errors
    /// A database error.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), WorkspaceError> {
        self.conn().execute("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value", params![key, value])?;
        Ok(())
    }

    /// How many files came through `prefecture`'s link in `period`.
    pub fn link_uploads(&self, period: Period, prefecture: &str) -> usize {
        self.receipts(period).map(|rs| rs.iter().filter(|r| r.source == Source::Link(prefecture.to_string()).label()).count()).unwrap_or(0)
    }
}

/// Where an upload came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The office's own page.
    Office,
    /// A prefecture's private link (the prefecture's name).
    Link(String),
}

impl Source {
    /// As the receipts show it.
    pub fn label(&self) -> String {
        match self {
            Source::Office => "网页上传".into(),
            Source::Link(p) => format!("{p}上传链接"),
        }
    }
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

/// A random token of 32 bytes, as hex.
///
/// # Errors
/// When the operating system has no randomness to give (never on the systems taizhang runs on).
pub fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let mut s = String::with_capacity(64);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    Ok(s)
}

/// The sha256 of `bytes`, as hex.
pub fn hex_sha256(bytes: &[u8]) -> String {
    crate::inbox::names::sha256_hex(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_stored_once_under_free_names_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let p = Period::new(2018, 3).unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        ws.ensure(p).unwrap();
        let put = |ws: &Workspace, name: &str, data: &[u8]| {
            let mut up = ws.begin_upload(p, name, 1 << 20).unwrap();
            up.write(data).unwrap();
            ws.finish_upload(up, &Source::Office).unwrap()
        };
        let Stored::New(a) = put(&ws, "../成都.xlsx", b"one") else { panic!() };
        assert_eq!(a.stored_name, "成都.xlsx");
        let Stored::New(b) = put(&ws, "成都.xlsx", b"two") else { panic!() };
        assert_eq!(b.stored_name, "成都 (2).xlsx", "same name: a new name, never an overwrite");
        let Stored::Duplicate(c) = put(&ws, "成都-副本.xlsx", b"one") else { panic!() };
        assert_eq!(c.id, a.id, "identical content: the same file");
        assert_eq!(std::fs::read(ws.dir(p, INBOX).join("成都.xlsx")).unwrap(), b"one");
        // Too large: refused, nothing left behind.
        let mut up = ws.begin_upload(p, "大.xlsx", 4).unwrap();
        assert!(matches!(up.write(b"12345"), Err(WorkspaceError::TooLarge { .. })));
        drop(up);
        std::fs::write(ws.dir(p, INBOX).join("手工放入.xlsx"), b"three").unwrap();
        drop(ws);
        let ws = Workspace::open(dir.path()).unwrap();
        ws.ensure(p).unwrap();
        let picked = ws.pick_up(p).unwrap();
        assert_eq!(picked.iter().map(|r| r.stored_name.as_str()).collect::<Vec<_>>(), ["手工放入.xlsx"]);
        assert_eq!(picked[0].source, "文件夹");
        let names: Vec<String> = ws.receipts(p).unwrap().into_iter().map(|r| r.stored_name).collect();
        assert_eq!(names, ["成都.xlsx", "成都 (2).xlsx", "手工放入.xlsx"]);
        let mut files: Vec<String> = std::fs::read_dir(ws.dir(p, INBOX)).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        files.sort();
        assert_eq!(files, ["成都 (2).xlsx", "成都.xlsx", "手工放入.xlsx"], "no temporary file is left");
    }

    #[test]
    fn link_tokens_are_per_prefecture_looked_up_by_hash_and_replaced_when_regenerated() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let codes = vec!["510100".to_string(), "510700".to_string()];
        let first = ws.links(&codes).unwrap();
        assert_eq!(ws.links(&codes).unwrap(), first, "kept once made");
        let (cd, my) = (&first[0].1, &first[1].1);
        assert_ne!(cd, my);
        assert_eq!(ws.link_code(cd).as_deref(), Some("510100"));
        assert_eq!(ws.link_code(&cd.to_uppercase()), None, "exactly the token");
        assert_eq!(ws.link_code("510100"), None);
        assert_eq!(ws.link_code(&format!("{}'", &cd[..63])), None);
        let new = ws.regenerate_link("510100").unwrap();
        assert_eq!(ws.link_code(cd), None, "the old token stops at once");
        assert_eq!(ws.link_code(&new).as_deref(), Some("510100"));
        assert_eq!(ws.link_code(my).as_deref(), Some("510700"), "the others are untouched");
        // Only the hash is looked up; the token itself is kept to be shown to the office.
        let stored: String = ws.conn().query_row("SELECT token_sha256 FROM links WHERE code = '510100'", [], |r| r.get(0)).unwrap();
        assert_eq!(stored, hex_sha256(new.as_bytes()));
    }
}
