//! The console's workspace on disk: one folder per period with 模板/, 收件箱/, 审核意见/, 汇总/ and
//! 发件箱/, so that an official can open the files in the file manager, and a database beside them
//! ([`db`]) of every receipt, period, link, session and action, so that a restart shows the same state.
//! The files are the truth: a file dropped into 收件箱/ by hand is recorded as arrived from the folder,
//! and a file removed by hand releases its receipt — its name and its content — for a later file.
//!
//! One console owns a workspace at a time ([`Workspace::lock_console`]): two programs writing one
//! workspace's records would lose lines and misfile uploads.

mod actions;
mod db;
mod links;
mod numbering;
mod receipts;
mod sessions;
mod uploads;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};

use crate::period::Period;

pub use actions::ActionLog;
pub use receipts::Receipt;
pub use sessions::{SESSION_DAYS, Session};
pub use uploads::{Stored, Upload};

/// Folder names inside a period's folder.
pub const TEMPLATES: &str = "模板";
pub const INBOX: &str = "收件箱";
pub const FEEDBACK: &str = "审核意见";
pub const ROLLUP: &str = "汇总";
pub const OUTBOX: &str = "发件箱";
/// The database, at the workspace's root.
const DB: &str = "台账收件记录.sqlite";
/// The file a running console holds locked, naming it.
const LOCK: &str = ".taizhang-工作台.lock";

/// Something the workspace could not do.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("工作区文件读写失败({path}):{source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("收件记录数据库出错:{0}")]
    Db(#[from] rusqlite::Error),
    /// The database was written by a newer taizhang.
    #[error("收件记录数据库是较新版本的 taizhang 写的(结构版本 {found},本程序只认识到 {known}),请使用新版本的 taizhang")]
    NewerSchema { found: usize, known: usize },
    /// Another console holds the workspace.
    #[error("此工作区已由另一个工作台使用({by})。同一个工作区只能打开一个工作台:请使用已打开的那个,或先关闭它")]
    Locked { by: String },
    /// The returns could not be merged (a defect: polars rejecting frames taizhang built).
    #[error(transparent)]
    Merge(#[from] crate::rollup::merge::MergeError),
    /// An upload larger than the reader's limit: refused, nothing stored.
    #[error("文件「{name}」超过 {limit_mb} MB 的上限,未保存。请删除多余的行列或工作表后重新上传。")]
    TooLarge { name: String, limit_mb: u64 },
    /// A link's uploads for the period are used up.
    #[error("本期通过此链接上传的文件已达 {limit} 个的上限,未保存。如需继续上传,请联系省局质量提升办。")]
    QuotaReached { limit: usize },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WorkspaceError + '_ {
    move |source| WorkspaceError::Io { path: path.to_path_buf(), source }
}

/// Local time as the records keep it, `2018-10-09 14:03:12`.
fn now() -> String {
    chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The workspace: its root folder and its database.
pub struct Workspace {
    pub root: PathBuf,
    db: Mutex<Connection>,
    /// Held while a file takes its name in an inbox and is recorded, and while the inbox is scanned for
    /// files to record: a scan never sees a stored upload before its receipt exists, and a link's quota
    /// is counted and taken at once.
    storing: Mutex<()>,
}

/// The lock a console holds on its workspace while it runs: released when dropped (or when the process
/// ends, however it ends).
#[derive(Debug)]
pub struct ConsoleLock {
    _file: std::fs::File,
}

impl Workspace {
    /// Opens (creating when missing) the workspace at `root`.
    ///
    /// # Errors
    /// When the folder or the database cannot be created, or the database is newer than this taizhang.
    pub fn open(root: &Path) -> Result<Self, WorkspaceError> {
        std::fs::create_dir_all(root).map_err(io(root))?;
        let conn = db::open(&root.join(DB))?;
        Ok(Workspace { root: root.to_path_buf(), db: Mutex::new(conn), storing: Mutex::new(()) })
    }

    /// Takes the workspace for one console, which writes `holder` (its address and process) into the
    /// lock for a second console to say who holds it.
    ///
    /// # Errors
    /// [`WorkspaceError::Locked`] when another console holds it.
    pub fn lock_console(&self, holder: &str) -> Result<ConsoleLock, WorkspaceError> {
        let path = self.root.join(LOCK);
        let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io(&path))?;
        if file.try_lock().is_err() {
            let by = std::fs::read_to_string(&path).ok().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()).unwrap_or_else(|| "另一个进程".into());
            return Err(WorkspaceError::Locked { by });
        }
        let mut f = &file;
        use std::io::{Seek, Write};
        let _ = file.set_len(0);
        let _ = f.seek(std::io::SeekFrom::Start(0));
        let _ = writeln!(f, "{holder}");
        Ok(ConsoleLock { _file: file })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves the connection usable: SQLite keeps its own consistency.
        self.db.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn storing(&self) -> std::sync::MutexGuard<'_, ()> {
        self.storing.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The folder of `period`, e.g. `工作区/2018Q3`.
    pub fn period_dir(&self, period: Period) -> PathBuf {
        self.root.join(period.code())
    }

    /// A folder of `period` (one of [`TEMPLATES`], [`INBOX`], [`FEEDBACK`], [`ROLLUP`], [`OUTBOX`]).
    pub fn dir(&self, period: Period, which: &str) -> PathBuf {
        self.period_dir(period).join(which)
    }

    /// Whether `period` has been started (it has its folder).
    pub fn has(&self, period: Period) -> bool {
        self.period_dir(period).is_dir()
    }

    /// Starts `period`: its folders, and its record with the time it was started. Starting a period that
    /// exists changes nothing.
    ///
    /// # Errors
    /// When a folder cannot be created or the record written.
    pub fn ensure(&self, period: Period) -> Result<(), WorkspaceError> {
        for which in [TEMPLATES, INBOX, FEEDBACK, ROLLUP, OUTBOX] {
            let d = self.dir(period, which);
            std::fs::create_dir_all(&d).map_err(io(&d))?;
        }
        self.conn().execute(
            "INSERT INTO periods (period, started_at) VALUES (?1, ?2) ON CONFLICT(period) DO UPDATE SET started_at = coalesce(started_at, excluded.started_at)",
            params![period.code(), now()],
        )?;
        Ok(())
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

    /// A setting of the console (the mail server to collect from, the sender …).
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

    /// The period the prefectures' upload links collect for: the one the office chose, else the latest
    /// period of the workspace.
    pub fn collecting(&self) -> Option<Period> {
        self.setting(COLLECTING).and_then(|p| p.parse().ok()).filter(|p| self.has(*p)).or_else(|| self.periods().last().copied())
    }

    /// Makes `period` the one the upload links collect for.
    ///
    /// # Errors
    /// A database error.
    pub fn set_collecting(&self, period: Period) -> Result<(), WorkspaceError> {
        self.set_setting(COLLECTING, &period.code())
    }
}

/// The setting naming the period the links collect for.
const COLLECTING: &str = "links.period";

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

fn random(root: &Path) -> Result<String, WorkspaceError> {
    random_token().map_err(|e| WorkspaceError::Io { path: root.to_path_buf(), source: std::io::Error::other(e.to_string()) })
}
