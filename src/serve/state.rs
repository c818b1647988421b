//! What every request handler shares: the reference data, the workspace, the cache of what was read,
//! the console's address and secrets, and the paths of a period's files.

use std::path::PathBuf;
use std::sync::Arc;

use minijinja::Environment;

use crate::import::batch::BatchOptions;
use crate::inbox::workspace::{INBOX, ROLLUP, TEMPLATES, Workspace};
use crate::period::Period;
use crate::refdata::RefData;

use super::board::BoardCache;
use super::security::Throttle;

/// The console's state.
pub struct App {
    pub refdata: Arc<RefData>,
    pub ws: Workspace,
    pub cache: BoardCache,
    pub batch: BatchOptions,
    /// The token of the printed address (kept in the workspace, the same across restarts).
    pub login: String,
    /// The secret the upload links' CSRF tokens are made from (kept in the workspace, so that a link's
    /// open page keeps working across a restart).
    pub link_secret: String,
    /// Required (HTTP Basic) when listening beyond loopback.
    pub password: Option<String>,
    pub port: u16,
    pub listen_host: String,
    /// Scheme, host and port of the upload links.
    pub public_base: String,
    /// The host (and port) of `--public-url`, also accepted in the Host header.
    pub public_host: Option<String>,
    /// The session cookie's name: this console's own (its port and workspace), so that another program
    /// on another port of the same machine neither receives it nor replaces it.
    pub cookie: String,
    /// Whether the office reaches the console over https (the cookie is then `Secure`).
    pub https: bool,
    /// Failed link tokens and office passwords.
    pub throttle: Throttle,
    pub ca_cert: Option<PathBuf>,
    pub pages: Environment<'static>,
}

/// The folder of the workspace's dataset.
pub const DATASET: &str = "数据集";

/// The state, shared by every handler.
pub type Shared = Arc<App>;

impl App {
    /// Whether a Host header (or an Origin's host) names this server.
    pub fn host_allowed(&self, host: &str) -> bool {
        super::security::host_allowed(host, self.port, &self.listen_host) || self.public_host.as_deref().is_some_and(|p| host.trim().eq_ignore_ascii_case(p))
    }

    /// Whether only this machine can reach the console (and so the prefectures cannot open their links).
    pub fn local_only(&self) -> bool {
        self.public_host.is_none() && (self.listen_host == "127.0.0.1" || self.listen_host == "localhost")
    }

    /// The address a link is opened at: `--public-url` when given, else the address the console listens on.
    pub fn link_url(&self, token: &str) -> String {
        format!("{}/u/{token}", self.public_base.trim_end_matches('/'))
    }

    /// The address the office opens the console at.
    pub fn office_url(&self) -> String {
        format!("http://{}:{}/?token={}", self.listen_host, self.port, self.login)
    }

    /// The inbox of `period`.
    pub fn inbox(&self, period: Period) -> PathBuf {
        self.ws.dir(period, INBOX)
    }

    /// The rollup of `period`, where the console writes it.
    pub fn rollup_path(&self, period: Period) -> PathBuf {
        self.ws.dir(period, ROLLUP).join(format!("{}全省汇总.xlsx", period.code()))
    }

    /// The rollup of the period before `period`, when there is one.
    pub fn previous_rollup(&self, period: Period) -> Option<PathBuf> {
        let prev = self.ws.periods().into_iter().filter(|p| *p < period).max()?;
        Some(self.rollup_path(prev)).filter(|p| p.is_file())
    }

    /// The wording of the office's documents: `briefing.toml` in the workspace when the office put an
    /// edited copy there, else the built-in one.
    ///
    /// # Errors
    /// When the workspace's copy cannot be read or parsed.
    pub fn wording(&self) -> Result<crate::briefing::Wording, crate::briefing::WordingError> {
        let own = self.ws.root.join(crate::briefing::wording::FILE_NAME);
        crate::briefing::wording(Some(own.as_path()).filter(|p| p.is_file()))
    }

    /// Where the console writes the 简报 or 通报 of `period`: beside the rollup, named as the wording says.
    pub fn briefing_path(&self, period: Period, kind: crate::briefing::Kind, wording: &crate::briefing::Wording) -> PathBuf {
        let template = match kind {
            crate::briefing::Kind::Briefing => &wording.briefing.file_name,
            crate::briefing::Kind::Notice => &wording.notice.file_name,
        };
        let name = crate::briefing::wording::fill(template, &[("period_code", period.code()), ("period", period.label())]);
        self.ws.dir(period, ROLLUP).join(name)
    }

    /// The templates folder of `period`, and how many files it holds.
    pub fn templates(&self, period: Period) -> (PathBuf, usize) {
        let dir = self.ws.dir(period, TEMPLATES);
        let n = std::fs::read_dir(&dir).map(|rd| rd.flatten().filter(|e| e.path().is_file()).count()).unwrap_or(0);
        (dir, n)
    }

    /// The contacts sheet kept in the workspace (市州, 联系人, 邮箱), the one `mail` uses.
    pub fn contacts(&self) -> Option<PathBuf> {
        ["联系人.xlsx", "联系人.xls", "联系人.csv"].iter().map(|n| self.ws.root.join(n)).find(|p| p.is_file())
    }

    /// The sheet of the figures the province reports itself, kept in the period's folder (the files are
    /// the truth: the office may open it in Excel too).
    pub fn own_figures_path(&self, period: Period) -> PathBuf {
        self.ws.period_dir(period).join("省局填报指标.csv")
    }

    /// The figures the province reports itself for `period`, as last entered (none when the sheet cannot
    /// be read: the page then shows 无数据 and the form says why when saved).
    pub fn own_figures(&self, period: Period) -> crate::indicators::ProvinceFigures {
        let path = self.own_figures_path(period);
        if !path.is_file() {
            return Default::default();
        }
        crate::indicators::read_province_figures(&self.refdata, &path).unwrap_or_default()
    }

    /// Days left until the deadline of `period` (negative when past), with the deadline.
    pub fn countdown(&self, period: Period) -> (Option<String>, Option<i64>) {
        match self.ws.deadline(period) {
            Some(d) => (Some(d.to_string()), Some((d - chrono::Local::now().date_naive()).num_days())),
            None => (None, None),
        }
    }

    /// The workspace's dataset of every period (`工作区/数据集`), which each rollup writes its period into.
    pub fn dataset_dir(&self) -> PathBuf {
        self.ws.root.join(DATASET)
    }

    /// Where a rollup of `period` writes its period: the workspace's dataset, with the period's deadline
    /// and each file's arrival from the receipts.
    pub fn dataset_target(&self, period: Period) -> crate::rollup::consolidate::DatasetTarget {
        let inbox = self.inbox(period);
        let received = self
            .ws
            .receipts(period)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| {
                let t = chrono::NaiveDateTime::parse_from_str(&r.received_at, crate::history::tables::TIME_FORMAT).ok()?;
                Some((inbox.join(&r.stored_name).display().to_string(), t))
            })
            .collect();
        crate::rollup::consolidate::DatasetTarget { dir: self.dataset_dir(), deadline: self.ws.deadline(period), received }
    }

    /// The options every read of `period` uses.
    pub fn batch_for(&self, period: Period) -> BatchOptions {
        BatchOptions { period: Some(period), ..self.batch.clone() }
    }
}

/// The period's state, computed on the blocking pool (reading files is blocking work), after the
/// receipts are brought in line with the inbox.
///
/// # Errors
/// A workspace or merge error.
pub async fn snapshot(app: &Shared, period: Period) -> Result<Arc<super::board::Snapshot>, super::error::WebError> {
    let a = Arc::clone(app);
    Ok(tokio::task::spawn_blocking(move || {
        a.ws.reconcile(period)?;
        Ok::<_, super::error::WebError>(a.cache.snapshot(&a.refdata, a.inbox(period), period, &a.batch_for(period))?)
    })
    .await??)
}

/// The board of a snapshot, with the province's own figures as the office entered them and each file's
/// arrival from the receipts.
pub fn board_of(app: &App, snap: &super::board::Snapshot) -> super::board::Board {
    let receipts = app.ws.receipts(snap.period).unwrap_or_default();
    super::board::board(&app.refdata, snap, &app.own_figures(snap.period), &|file| receipts.iter().rev().find(|r| r.stored_name == file).map(|r| r.received_at.clone()))
}
