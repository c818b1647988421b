//! `taizhang serve`: a collection, quarter after quarter, in one local web page for the office — the
//! periods and their steps, who has returned what, uploads checked on arrival, each prefecture's files
//! and findings, the period's actions and mail — and a page of its own for each prefecture's private
//! upload link. The officials who run the collection do not use a terminal; this is their interface to
//! the same library the commands use.
//!
//! The tree: [`state`] is what every handler shares, [`router`] assembles one router per audience, each
//! behind its guard ([`guard`], built on [`security`]); [`pages`] renders typed view models, [`uploads`]
//! receives files, [`actions`] and [`mail`] run the period's operations, [`downloads`] serves files,
//! [`board`] keeps what was read; [`error`] is the one error type. Pages are minijinja templates under
//! `templates/web/`, embedded in the binary with their script and style sheet, so the console works
//! offline.

pub mod actions;
pub mod board;
pub mod downloads;
pub mod error;
pub mod guard;
pub mod mail;
pub mod pages;
pub mod router;
pub mod schedule;
pub mod security;
pub mod state;
pub mod uploads;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::import::batch::BatchOptions;
use crate::inbox::workspace::{Workspace, WorkspaceError};
use crate::period::Period;
use crate::refdata::RefData;
use security::PASSWORD_ENV;
use state::App;

pub use router::router;

/// Options of `taizhang serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub workspace: PathBuf,
    /// The period to start with when the workspace has none (an existing workspace opens on the period
    /// its links collect for).
    pub period: Option<Period>,
    pub listen: SocketAddr,
    pub open_browser: bool,
    pub batch: BatchOptions,
    /// The address the prefectures open their upload links at (`http://10.1.2.3:8750`), when it is not
    /// the address listened on (listening on 0.0.0.0, behind a proxy).
    pub public_url: Option<String>,
    /// An extra root certificate for the mail servers the console sends with and collects from.
    pub ca_cert: Option<PathBuf>,
}

/// Port tried first; a free one is taken when it is in use.
pub const DEFAULT_PORT: u16 = 8750;

/// Why the console could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
    #[error("无法监听 {addr}:{source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("在非本机地址 {0} 上提供服务时,必须先在环境变量 {PASSWORD_ENV} 中设置访问密码")]
    PasswordRequired(SocketAddr),
    #[error("网页模板有误:{0}")]
    Template(#[from] minijinja::Error),
    #[error("服务运行出错:{0}")]
    Runtime(std::io::Error),
}

/// The console's state for a workspace, ready to serve on `addr`; what the tests drive in process.
///
/// # Errors
/// A workspace that cannot be opened, or a page that does not parse.
pub fn app(refdata: &RefData, cfg: &ServeConfig, ws: Workspace, addr: SocketAddr, password: Option<String>) -> Result<App, ServeError> {
    let host = if addr.ip().is_unspecified() || addr.ip().is_loopback() { "127.0.0.1".to_string() } else { addr.ip().to_string() };
    let public_base = cfg.public_url.clone().unwrap_or_else(|| format!("http://{host}:{}", addr.port()));
    let login = ws.login_token()?;
    let link_secret = match ws.setting("links.secret") {
        Some(s) => s,
        None => {
            let s = ws.login_token().map(|t| crate::inbox::names::sha256_hex(format!("links:{t}").as_bytes()))?;
            ws.set_setting("links.secret", &s)?;
            s
        }
    };
    Ok(App {
        refdata: Arc::new(refdata.clone()),
        cookie: security::cookie_name(addr.port(), &ws.root),
        https: cfg.public_url.as_deref().is_some_and(|u| u.to_ascii_lowercase().starts_with("https://")),
        ws,
        cache: board::BoardCache::default(),
        batch: cfg.batch.clone(),
        login,
        link_secret,
        password,
        port: addr.port(),
        listen_host: host,
        public_host: cfg.public_url.as_deref().and_then(public_host),
        public_base,
        throttle: security::Throttle::default(),
        ca_cert: cfg.ca_cert.clone(),
        pages: pages::environment()?,
    })
}

/// Starts the console and serves until the process is stopped. The first line on `out` is the address
/// to open, with its access token (the same across restarts of the same workspace).
///
/// # Errors
/// A workspace that cannot be opened or is held by another console, an address that cannot be listened
/// on, a non-loopback address without a password.
pub fn run(refdata: &RefData, cfg: &ServeConfig, out: &mut dyn std::io::Write) -> Result<(), ServeError> {
    let password = std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty());
    if !cfg.listen.ip().is_loopback() && password.is_none() {
        return Err(ServeError::PasswordRequired(cfg.listen));
    }
    let ws = Workspace::open(&cfg.workspace)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(ServeError::Runtime)?;
    runtime.block_on(async {
        let listener = match tokio::net::TcpListener::bind(cfg.listen).await {
            Ok(l) => l,
            // The default port taken (another console, another program): any free port on the same address.
            Err(_) if cfg.listen.port() == DEFAULT_PORT => {
                let any = SocketAddr::new(cfg.listen.ip(), 0);
                tokio::net::TcpListener::bind(any).await.map_err(|source| ServeError::Listen { addr: any, source })?
            }
            Err(source) => return Err(ServeError::Listen { addr: cfg.listen, source }),
        };
        let addr = listener.local_addr().map_err(ServeError::Runtime)?;
        let app = app(refdata, cfg, ws, addr, password)?;
        let url = app.office_url();
        // One console per workspace: a second one says which holds it, and stops.
        let _lock = app.ws.lock_console(&format!("{}(进程 {})", url.split("/?").next().unwrap_or(&url), std::process::id()))?;
        app.ws.remove_partial_uploads();
        if app.ws.periods().is_empty()
            && let Some(p) = cfg.period
        {
            app.ws.ensure(p)?;
            app.ws.set_collecting(p)?;
        }
        let _ = writeln!(out, "{url}");
        let shown = app.ws.collecting().map_or_else(|| "尚未开始任何一期(在页面上开始)".to_string(), |p| format!("链接收集的期别:{}", p.label()));
        let _ = writeln!(out, "台账工作台已启动,工作区:{},{shown}。按 Ctrl+C 停止。", cfg.workspace.display());
        let _ = out.flush();
        if cfg.open_browser {
            open_browser(&url);
        }
        // The client's address is kept on every request: failed link tokens are counted per address.
        let app = Arc::new(app);
        tokio::spawn(schedule::run(Arc::clone(&app)));
        axum::serve(listener, router(app).into_make_service_with_connect_info::<SocketAddr>()).await.map_err(ServeError::Runtime)
    })
}

/// The host of a public URL as a browser's Host header names it: `http://10.1.2.3:8750/` →
/// `10.1.2.3:8750`, `https://tz.example.cn/` → `tz.example.cn` (a default port is not written).
fn public_host(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next().filter(|h| !h.is_empty())?.to_ascii_lowercase();
    let default = if scheme.eq_ignore_ascii_case("https") { ":443" } else { ":80" };
    Some(host.strip_suffix(default).map(str::to_string).unwrap_or(host))
}

/// Opens the default browser on `url`; a failure only means the official opens it by hand.
fn open_browser(url: &str) {
    #[cfg(target_os = "windows")]
    let cmd = std::process::Command::new("cmd").args(["/C", "start", "", url]).spawn();
    #[cfg(target_os = "macos")]
    let cmd = std::process::Command::new("open").arg(url).spawn();
    #[cfg(not(any(target_os = "windows", target_os = "macos")))]
    let cmd = std::process::Command::new("xdg-open").arg(url).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn();
    let _ = cmd;
}
