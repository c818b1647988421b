//! `taizhang serve`: the whole quarter in one local web page for the office — who has returned what,
//! uploads checked on arrival, each prefecture's files and findings, and the period's actions (templates,
//! rollup, corrections). The officials who run the collection do not use a terminal; this is their
//! interface to the same library the commands use.
//!
//! Layout: [`workspace`] keeps the files and the receipts, [`board`] computes what a period looks like,
//! [`security`] guards every request, and this module wires the pages and actions on axum. Pages are
//! minijinja templates under `templates/web/`, embedded in the binary with their script and style sheet,
//! so the console works offline.

pub mod board;
mod links;
pub mod security;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Path as UrlPath, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Environment, context};
use serde::Deserialize;

use crate::import::batch::BatchOptions;
use crate::period::Period;
use crate::refdata::RefData;
use board::{BoardCache, Snapshot};
use security::{COOKIE, CSRF_HEADER, PASSWORD_ENV};
use crate::inbox::workspace::{self, FEEDBACK, INBOX, ROLLUP, Stored, TEMPLATES, Workspace, WorkspaceError};

/// Options of `taizhang serve`.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub workspace: PathBuf,
    /// The period shown first; by default the latest period of the workspace, else the current quarter.
    pub period: Option<Period>,
    pub listen: SocketAddr,
    pub open_browser: bool,
    pub batch: BatchOptions,
    /// The address the prefectures open their upload links at (`http://10.1.2.3:8750`), when it is not
    /// the address listened on (listening on 0.0.0.0, behind a proxy).
    pub public_url: Option<String>,
    /// An extra root certificate for the mail server the 收取邮件 button collects from.
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
    #[error("无法生成访问令牌:{0}")]
    Random(String),
    #[error("网页模板有误:{0}")]
    Template(#[from] minijinja::Error),
    #[error("服务运行出错:{0}")]
    Runtime(std::io::Error),
}

/// Everything a request handler needs.
struct App {
    refdata: Arc<RefData>,
    ws: Workspace,
    cache: BoardCache,
    batch: BatchOptions,
    default_period: Period,
    token: String,
    csrf: String,
    /// Required (HTTP Basic) when listening beyond loopback.
    password: Option<String>,
    port: u16,
    listen_host: String,
    /// Scheme, host and port of the upload links.
    public_base: String,
    /// The host (and port) of `--public-url`, also accepted in the Host header.
    public_host: Option<String>,
    throttle: security::Throttle,
    ca_cert: Option<PathBuf>,
    pages: Environment<'static>,
}

impl App {
    /// Whether a Host header (or an Origin's host) names this server.
    fn host_allowed(&self, host: &str) -> bool {
        security::host_allowed(host, self.port, &self.listen_host) || self.public_host.as_deref().is_some_and(|p| host.trim().eq_ignore_ascii_case(p))
    }

    /// Whether only this machine can reach the console (and so the prefectures cannot open their links).
    fn local_only(&self) -> bool {
        self.public_host.is_none() && (self.listen_host == "127.0.0.1" || self.listen_host == "localhost")
    }
}

type Shared = Arc<App>;

/// The pages, script and style sheet, embedded so the console needs nothing but the binary.
const PAGES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/web/base.html")),
    ("board.html", include_str!("../../templates/web/board.html")),
    ("board_table.html", include_str!("../../templates/web/board_table.html")),
    ("prefecture.html", include_str!("../../templates/web/prefecture.html")),
    ("message.html", include_str!("../../templates/web/message.html")),
    ("link.html", include_str!("../../templates/web/link.html")),
    ("file_card.html", include_str!("../../templates/web/file_card.html")),
    ("links.html", include_str!("../../templates/web/links.html")),
];
const SCRIPT: &str = include_str!("../../templates/web/app.js");
const STYLE: &str = include_str!("../../templates/web/app.css");

fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    for (name, text) in PAGES {
        env.add_template(name, text)?;
    }
    Ok(env)
}

/// The quarter a date falls in.
fn quarter_of(d: chrono::NaiveDate) -> Period {
    use chrono::Datelike;
    Period::new(d.year() as u16, ((d.month() - 1) / 3 + 1) as u8).unwrap_or(Period { year: 2018, quarter: 3 })
}

/// Starts the console and serves until the process is stopped. The first line on `out` is the URL to
/// open, with its access token.
///
/// # Errors
/// A workspace that cannot be created, an address that cannot be listened on, a non-loopback address
/// without a password.
pub fn run(refdata: &RefData, cfg: &ServeConfig, out: &mut dyn std::io::Write) -> Result<(), ServeError> {
    let password = std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty());
    if !cfg.listen.ip().is_loopback() && password.is_none() {
        return Err(ServeError::PasswordRequired(cfg.listen));
    }
    let ws = Workspace::open(&cfg.workspace)?;
    let period = cfg.period.or_else(|| ws.periods().last().copied()).unwrap_or_else(|| quarter_of(chrono::Local::now().date_naive()));
    ws.ensure(period)?;
    ws.remove_partial_uploads();
    ws.pick_up(period)?;
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
        let token = security::random_token().map_err(|e| ServeError::Random(e.to_string()))?;
        let csrf = security::random_token().map_err(|e| ServeError::Random(e.to_string()))?;
        let host = if addr.ip().is_unspecified() || addr.ip().is_loopback() { "127.0.0.1".to_string() } else { addr.ip().to_string() };
        let public_base = cfg.public_url.clone().unwrap_or_else(|| format!("http://{host}:{}", addr.port()));
        let public_host = cfg.public_url.as_deref().and_then(public_host);
        let url = format!("http://{host}:{}/?token={token}", addr.port());
        let _ = writeln!(out, "{url}");
        let _ = writeln!(out, "台账工作台已启动,工作区:{},当前期别:{}。按 Ctrl+C 停止。", cfg.workspace.display(), period.label());
        let _ = out.flush();
        if cfg.open_browser {
            open_browser(&url);
        }
        let app = Arc::new(App {
            refdata: Arc::new(refdata.clone()),
            ws,
            cache: BoardCache::default(),
            batch: cfg.batch.clone(),
            default_period: period,
            token,
            csrf,
            password,
            port: addr.port(),
            listen_host: host,
            public_base,
            public_host,
            throttle: security::Throttle::default(),
            ca_cert: cfg.ca_cert.clone(),
            pages: environment()?,
        });
        // The client's address is kept on every request: failed link tokens are counted per address.
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

/// Largest request body: a batch of uploads, each within the reader's file limit (checked per file as it
/// streams in).
const MAX_BODY: usize = 1 << 30;

fn router(app: Shared) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/static/app.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT) }))
        .route("/static/app.css", get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE) }))
        .route("/p/{period}", get(board_page))
        .route("/p/{period}/board", get(board_fragment))
        .route("/p/{period}/upload", post(upload))
        .route("/p/{period}/prefecture/{code}", get(prefecture_page))
        .route("/p/{period}/file/{id}", get(download_receipt))
        .route("/p/{period}/feedback/{code}", get(download_feedback))
        .route("/p/{period}/templates", post(make_templates))
        .route("/p/{period}/templates.zip", get(download_templates))
        .route("/p/{period}/rollup", post(make_rollup))
        .route("/p/{period}/rollup.xlsx", get(download_rollup))
        .route("/p/{period}/mail", post(send_mail))
        .route("/p/{period}/collect", post(collect_mail))
        .route("/p/{period}/province-figures", post(save_own_figures))
        .route("/contacts", post(upload_contacts))
        .route("/links", get(links::office_page))
        .route("/links/{code}/regenerate", post(links::regenerate))
        .route("/u/{token}", get(links::page))
        .route("/u/{token}/template", get(links::template))
        .route("/u/{token}/feedback", get(links::feedback))
        .route("/u/{token}/upload", post(links::upload))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(Arc::clone(&app), guard))
        .with_state(app)
}

/// A plain-text refusal.
fn refuse(status: StatusCode, text: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text.to_string()).into_response()
}

/// Every request passes here: Host, password (beyond loopback), session token, CSRF token; and every
/// response gets headers that keep a browser from sniffing, framing or leaking it.
async fn guard(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let mut resp = check(&app, req, next).await;
    let h = resp.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"),
    );
    resp
}

async fn check(app: &App, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !app.host_allowed(host) {
        return refuse(StatusCode::FORBIDDEN, "拒绝访问:请求的主机名与本工作台不符。");
    }
    let path = req.uri().path();
    if path == "/static/app.js" || path == "/static/app.css" {
        // The same script and style sheet for every page, the links' included: nothing to protect.
        return next.run(req).await;
    }
    if path.starts_with("/u/") {
        return links::guard(app, req, next).await;
    }
    if let Some(pw) = &app.password
        && !basic_password(headers).is_some_and(|p| security::same_secret(&p, pw))
    {
        let mut r = refuse(StatusCode::UNAUTHORIZED, "需要密码。");
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"taizhang\", charset=\"UTF-8\""));
        return r;
    }
    // The token from the printed URL, once: it becomes a cookie and leaves the address bar.
    let query_token = req.uri().query().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("token=")));
    if let Some(t) = query_token {
        if !security::same_secret(t, &app.token) {
            return refuse(StatusCode::FORBIDDEN, "访问令牌不正确。请使用启动工作台时显示的链接打开。");
        }
        let cookie = format!("{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/", app.token);
        let mut r = Redirect::to(req.uri().path()).into_response();
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
        return r;
    }
    let cookie_ok = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|c| security::cookie_value(c, COOKIE).is_some_and(|v| security::same_secret(v, &app.token)));
    if !cookie_ok {
        return refuse(StatusCode::FORBIDDEN, "需要访问令牌。请使用启动工作台时显示的链接(含 token=…)打开。");
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let csrf_ok = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).is_some_and(|v| security::same_secret(v, &app.csrf));
        let origin_ok = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).is_none_or(|o| {
            o.strip_prefix("http://").or_else(|| o.strip_prefix("https://")).is_some_and(|h| app.host_allowed(h))
        });
        if !csrf_ok || !origin_ok {
            return refuse(StatusCode::FORBIDDEN, "请求缺少有效的校验码,已拒绝。请刷新页面后重试。");
        }
    }
    next.run(req).await
}

fn basic_password(headers: &HeaderMap) -> Option<String> {
    use base64::Engine;
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Basic ")?;
    let raw = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(v.trim()).ok()?).ok()?;
    raw.split_once(':').map(|(_, p)| p.to_string())
}

/// The period named in the URL (`/p/2018Q3/…`), its folders created when missing; an unknown one is a 404.
struct PeriodParam(Period);

impl axum::extract::FromRequestParts<Shared> for PeriodParam {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, app: &Shared) -> Result<Self, Response> {
        let UrlPath(params) = UrlPath::<std::collections::HashMap<String, String>>::from_request_parts(parts, app)
            .await
            .map_err(|_| refuse(StatusCode::NOT_FOUND, "没有这个页面。"))?;
        let p: Period = params.get("period").and_then(|t| t.parse().ok()).ok_or_else(|| refuse(StatusCode::NOT_FOUND, "没有这个期别。"))?;
        app.ws.ensure(p).map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()))?;
        Ok(PeriodParam(p))
    }
}

/// What an action of the page answers: whether it worked, and what the command said.
fn action_result(ok: bool, output: &str) -> Response {
    axum::Json(serde_json::json!({ "ok": ok, "output": output })).into_response()
}

fn render(app: &App, name: &str, ctx: minijinja::Value) -> Response {
    match app.pages.get_template(name).and_then(|t| t.render(ctx)) {
        Ok(html) => Html(html).into_response(),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &format!("页面生成失败:{e}")),
    }
}

/// The period's state, computed on the blocking pool (reading files is blocking work).
async fn snapshot(app: &Shared, period: Period) -> Result<Arc<Snapshot>, Response> {
    let a = Arc::clone(app);
    tokio::task::spawn_blocking(move || {
        a.ws.pick_up(period)?;
        let inbox = a.ws.dir(period, INBOX);
        let opts = BatchOptions { period: Some(period), ..a.batch.clone() };
        Ok::<_, WorkspaceError>(a.cache.snapshot(&a.refdata, inbox, period, &opts)?)
    })
    .await
    .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, &format!("检查文件时出错:{e}")))?
    .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()))
}

/// The board of a snapshot, with the province's own figures as last entered (`own`).
fn board_of(app: &App, snap: &Snapshot, own: &crate::indicators::ProvinceFigures) -> board::Board {
    let receipts = app.ws.receipts(snap.period).unwrap_or_default();
    board::board(&app.refdata, snap, own, &|file| receipts.iter().rev().find(|r| r.stored_name == file).map(|r| r.received_at.clone()))
}

/// Days left until the deadline (negative when past), with the deadline.
fn countdown(app: &App, period: Period) -> (Option<String>, Option<i64>) {
    match app.ws.deadline(period) {
        Some(d) => (Some(d.to_string()), Some((d - chrono::Local::now().date_naive()).num_days())),
        None => (None, None),
    }
}

async fn home(State(app): State<Shared>) -> Response {
    Redirect::to(&format!("/p/{}", app.default_period.code())).into_response()
}

async fn board_page(State(app): State<Shared>, PeriodParam(period): PeriodParam) -> Response {
    let snap = match snapshot(&app, period).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let own = own_figures(&app, period);
    let b = board_of(&app, &snap, &own);
    let (deadline, days_left) = countdown(&app, period);
    let periods: Vec<String> = app.ws.periods().iter().map(Period::code).collect();
    let rollup_exists = rollup_path(&app, period).is_file();
    let contacts = contacts_path(&app).and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    let templates = count_files(&app.ws.dir(period, TEMPLATES));
    let imap = context! {
        server => app.ws.setting("imap.server"), user => app.ws.setting("imap.user"), security => app.ws.setting("imap.security"),
        mailbox => app.ws.setting("imap.mailbox"), since => app.ws.setting(&format!("imap.since.{}", period.code())),
        password_set => std::env::var(crate::inbox::imap::IMAP_PASSWORD_VAR).is_ok_and(|p| !p.is_empty()),
    };
    let own_rows: Vec<minijinja::Value> = app
        .refdata
        .indicators
        .indicators
        .iter()
        .filter(|i| i.aggregate == crate::refdata::Aggregate::Province)
        .map(|i| context! { id => i.id.clone(), name => i.name.clone(), unit => i.unit.clone(), target => crate::indicators::target_text(i), value => own.get(&i.id).map(|v| crate::text::format_number(*v)) })
        .collect();
    render(
        &app,
        "board.html",
        context! { board => b, csrf => app.csrf, deadline, days_left, periods, rollup_exists, templates, contacts, imap, own_rows, title => format!("{} 看板", period.label()) },
    )
}

async fn board_fragment(State(app): State<Shared>, PeriodParam(period): PeriodParam) -> Response {
    match snapshot(&app, period).await {
        Ok(snap) => render(&app, "board_table.html", context! { board => board_of(&app, &snap, &own_figures(&app, period)) }),
        Err(r) => r,
    }
}

/// The sheet of the figures the province reports itself, kept in the period's folder (the files are the
/// truth: the office may open it in Excel too).
fn own_figures_path(app: &App, period: Period) -> PathBuf {
    app.ws.period_dir(period).join("省局填报指标.csv")
}

/// The figures the province reports itself for `period`, as last entered (none when the sheet cannot be
/// read: the page then shows 无数据 and the form says why when saved).
fn own_figures(app: &App, period: Period) -> crate::indicators::ProvinceFigures {
    let path = own_figures_path(app, period);
    if !path.is_file() {
        return Default::default();
    }
    crate::indicators::read_province_figures(&app.refdata, &path).unwrap_or_default()
}

/// Saves the figures the province reports itself (the form of the board: one field per indicator id),
/// each read as the rollup reads it; a value that is not one number is refused with its indicator named.
async fn save_own_figures(State(app): State<Shared>, PeriodParam(period): PeriodParam, axum::Form(form): axum::Form<std::collections::BTreeMap<String, String>>) -> Response {
    let mut lines = vec!["指标,完成值".to_string()];
    for ind in app.refdata.indicators.indicators.iter().filter(|i| i.aggregate == crate::refdata::Aggregate::Province) {
        let Some(text) = form.get(&ind.id).map(|t| t.trim()).filter(|t| !t.is_empty()) else { continue };
        match crate::indicators::parse_value(text, ind.unit == "%") {
            Some(v) => lines.push(format!("{},{}", ind.name, crate::text::format_number(v.value))),
            None => return action_result(false, &format!("「{}」的完成值「{text}」不是一个数值{}。", ind.name, if ind.unit == "%" { "(百分比写成 91.5 或 91.5%)" } else { "" })),
        }
    }
    let text = format!("\u{feff}{}\n", lines.join("\n"));
    let path = own_figures_path(&app, period);
    match crate::output::write_atomic(&path, text.as_bytes()) {
        Ok(()) => action_result(true, &format!("已保存 {} 项省局填报的指标,看板和汇总表按此计算。", lines.len() - 1)),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// The result of one uploaded file, as the page shows it.
#[derive(Debug, serde::Serialize)]
struct UploadResult {
    original: String,
    stored: Option<String>,
    duplicate_of: Option<String>,
    error: Option<String>,
    summary: Option<String>,
    prefecture: Option<String>,
    errors: usize,
    warnings: usize,
    findings: Vec<String>,
}

impl UploadResult {
    fn failed(original: String, error: String) -> Self {
        UploadResult { original, stored: None, duplicate_of: None, error: Some(error), summary: None, prefecture: None, errors: 0, warnings: 0, findings: Vec::new() }
    }
}

/// Stores every file of a multipart upload unchanged in the inbox and checks it at once.
async fn upload(State(app): State<Shared>, PeriodParam(period): PeriodParam, form: Multipart) -> Response {
    match receive(&app, period, form, workspace::Source::Office, usize::MAX).await {
        Ok(results) => axum::Json(results).into_response(),
        Err(r) => r,
    }
}

/// Receives the files of an upload from `source` (at most `max_files` of them are stored): each is
/// stored unchanged in the inbox and checked at once, as `check` would. A file over the reader's limit is
/// refused as it streams in, and nothing of it is kept.
async fn receive(app: &Shared, period: Period, mut form: Multipart, source: workspace::Source, max_files: usize) -> Result<Vec<UploadResult>, Response> {
    let mut results = Vec::new();
    let mut stored_files = 0;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(refuse(StatusCode::BAD_REQUEST, &format!("上传中断:{e}"))),
        };
        let original = field.file_name().unwrap_or("未命名文件").to_string();
        // A lock file or a file manager's dropping travels with returns but is none: not stored, as the
        // batch reader would pass it over.
        if let Some(why) = crate::inbox::skip_reason(original.rsplit(['/', '\\']).next().unwrap_or(&original)) {
            results.push(UploadResult::failed(original, format!("未保存:{why},不是报送文件。")));
            continue;
        }
        if stored_files >= max_files {
            results.push(UploadResult::failed(original, "未保存:本期通过此链接上传的文件已达上限。如需继续上传,请联系省局质量提升办。".into()));
            break;
        }
        let (result, go_on) = store_field(app, period, field, original, source.clone()).await;
        stored_files += usize::from(result.stored.is_some());
        results.push(result);
        if !go_on {
            // The rest of the upload is not read: the connection is closed after the response.
            break;
        }
    }
    // Checked at once: the snapshot reads every new file, in isolation, as `check` would.
    let snap = snapshot(app, period).await?;
    for r in &mut results {
        checked(app, period, &snap, r);
    }
    Ok(results)
}

/// Streams one file of an upload into the inbox; whether the upload can go on (not after a file that
/// broke off or passed the limit).
async fn store_field(app: &Shared, period: Period, mut field: axum::extract::multipart::Field<'_>, original: String, source: workspace::Source) -> (UploadResult, bool) {
    let mut up = match app.ws.begin_upload(period, &original, app.batch.limits.max_file_bytes) {
        Ok(u) => u,
        Err(e) => return (UploadResult::failed(original, e.to_string()), true),
    };
    loop {
        let failed = match field.chunk().await {
            Ok(Some(bytes)) => up.write(&bytes).err().map(|e| e.to_string()),
            Ok(None) => break,
            Err(e) => Some(format!("上传中断:{e}")),
        };
        if let Some(e) = failed {
            // Dropping the upload removes its temporary file: nothing is stored.
            drop(up);
            return (UploadResult::failed(original, e), false);
        }
    }
    let a = Arc::clone(app);
    let stored = tokio::task::spawn_blocking(move || a.ws.finish_upload(up, &source)).await;
    let result = match stored {
        Ok(Ok(Stored::New(r))) => UploadResult { stored: Some(r.stored_name), ..UploadResult::failed(original, String::new()) },
        Ok(Ok(Stored::Duplicate(r))) => UploadResult { duplicate_of: Some(r.stored_name), ..UploadResult::failed(original, String::new()) },
        Ok(Err(e)) => UploadResult::failed(original, e.to_string()),
        Err(e) => UploadResult::failed(original, e.to_string()),
    };
    (result, true)
}

/// Adds to an upload's result what the check of its stored file found.
fn checked(app: &App, period: Period, snap: &Snapshot, r: &mut UploadResult) {
    if r.error.as_deref() == Some("") {
        r.error = None;
    }
    let Some(name) = r.stored.as_ref().or(r.duplicate_of.as_ref()) else { return };
    // What could not even be read as a file (an archive member past the limits …).
    for f in snap.skipped.iter().filter(|f| stored_name_of(app, period, &f.file) == *name) {
        r.errors += usize::from(f.severity == crate::Severity::Error);
        r.findings.push(f.to_string().replacen(&f.file, &crate::submission::base_name(&f.file), 1));
    }
    for s in snap.subs.iter().filter(|s| stored_name_of(app, period, &s.name) == *name) {
        let c = s.counts();
        r.errors += c.errors;
        r.warnings += c.warnings;
        r.prefecture = s.prefecture.clone();
        r.summary = Some(s.summary_line().replacen(&s.name, &s.file_name(), 1));
        r.findings.extend(s.findings.iter().filter(|f| f.severity != crate::Severity::Info).map(|f| f.to_string().replacen(&s.name, &s.file_name(), 1)));
    }
}

/// The inbox file a submission came from: the first component of its name under the inbox (an archive's
/// members are named after the archive).
fn stored_name_of(app: &App, period: Period, name: &str) -> String {
    let inbox = app.ws.dir(period, INBOX).display().to_string();
    let rest = name.strip_prefix(&inbox).unwrap_or(name).trim_start_matches(['/', '\\']);
    rest.split(['/', '\\']).next().unwrap_or(rest).to_string()
}

#[derive(Debug, Deserialize)]
struct PageQuery {
    page: Option<usize>,
}

/// Rows shown per page on a prefecture's page.
const ROWS_PER_PAGE: usize = 50;

async fn prefecture_page(State(app): State<Shared>, PeriodParam(period): PeriodParam, UrlPath((_, code)): UrlPath<(String, String)>, Query(q): Query<PageQuery>) -> Response {
    let Some(pref) = app.refdata.prefectures.lookup(&code).cloned() else {
        return refuse(StatusCode::NOT_FOUND, "没有这个市州。");
    };
    let snap = match snapshot(&app, period).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let line = snap.merged.prefectures.iter().find(|p| p.name == pref.name).cloned();
    let counting = line.as_ref().and_then(|l| l.file.clone());
    let specs = &app.refdata.ledger.columns;
    let files = files_of(&app, &snap, period, &pref.name, false);
    let counted = snap.subs.iter().find(|s| s.prefecture.as_deref() == Some(pref.name.as_str()) && counting.as_deref() == Some(s.file_name().as_str()));
    let rows: Vec<Vec<String>> = counted.map(|s| s.distinct_rows().map(|r| specs.iter().enumerate().map(|(i, _)| r.text(i).to_string()).collect()).collect()).unwrap_or_default();
    let row_source = counted.map(crate::Submission::file_name).unwrap_or_default();
    let pages = rows.len().div_ceil(ROWS_PER_PAGE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let shown: Vec<Vec<String>> = rows.iter().skip((page - 1) * ROWS_PER_PAGE).take(ROWS_PER_PAGE).cloned().collect();
    render(
        &app,
        "prefecture.html",
        context! {
            title => format!("{} {}", pref.name, period.label()), period => period.code(), period_label => period.label(), csrf => app.csrf,
            prefecture => pref.name, code => pref.code, status => line.as_ref().map(|l| l.status.label()), reason => line.as_ref().and_then(|l| l.reason.clone()),
            files, headers => specs.iter().map(|c| c.name.clone()).collect::<Vec<_>>(), rows => shown, total_rows => rows.len(),
            row_source, page, pages, first_row => (page - 1) * ROWS_PER_PAGE,
        },
    )
}

/// The files of `prefecture` in the period, the one that counts first, each with its findings (errors
/// first). For the prefecture's own link page (`for_link`), nothing of the office's is shown: no path in
/// the inbox, no download of the stored file, and no finding that names another prefecture's return.
fn files_of(app: &App, snap: &Snapshot, period: Period, prefecture: &str, for_link: bool) -> Vec<minijinja::Value> {
    let line = snap.merged.prefectures.iter().find(|p| p.name == prefecture);
    let counting = line.and_then(|l| l.file.clone());
    let receipts = app.ws.receipts(period).unwrap_or_default();
    let mut mine: Vec<&crate::Submission> = snap.subs.iter().filter(|s| s.prefecture.as_deref() == Some(prefecture)).collect();
    mine.sort_by_key(|s| counting.as_deref() != Some(s.file_name().as_str()));
    let inbox = app.ws.dir(period, INBOX).display().to_string();
    mine.into_iter()
        .map(|s| {
            let stored = stored_name_of(app, period, &s.name);
            let receipt = receipts.iter().rev().find(|r| r.stored_name == stored);
            let counts = s.counts();
            let is_counting = counting.as_deref() == Some(s.file_name().as_str());
            let why = line.and_then(|l| l.unused.iter().find(|(f, _)| *f == s.file_name()).map(|(_, w)| w.clone())).unwrap_or_default();
            let in_inbox = s.name.strip_prefix(&inbox).unwrap_or(&s.name).trim_start_matches(['/', '\\']).to_string();
            let findings: Vec<minijinja::Value> = sorted_findings(s)
                .into_iter()
                .filter(|f| !(for_link && f.code == crate::Code::CrossPrefecture))
                .map(|f| context! {
                    severity => f.severity.label(), code => f.code.as_str(), sheet => f.sheet.clone(), cell => f.cell.clone(),
                    field => f.field.clone(), value => f.value.clone(), message => f.message.clone(), detail => f.detail.clone(),
                })
                .collect();
            context! {
                name => s.file_name(),
                path_in_inbox => if for_link { s.file_name() } else { in_inbox },
                counting => is_counting,
                why,
                received_at => receipt.map(|r| r.received_at.clone()),
                source => receipt.map(|r| r.source.clone()),
                download => if for_link { None } else { receipt.map(|r| format!("/p/{}/file/{}", period.code(), r.id)) },
                errors => counts.errors, warnings => counts.warnings, infos => counts.infos,
                findings,
            }
        })
        .collect()
}

/// A file's findings, errors first, each kind in the order found.
fn sorted_findings(s: &crate::Submission) -> Vec<&crate::Finding> {
    let mut v: Vec<&crate::Finding> = s.findings.iter().collect();
    v.sort_by_key(|f| f.severity);
    v
}

/// Serves a stored file as a download, never as a page.
fn attachment(path: &std::path::Path, name: &str) -> Response {
    match std::fs::read(path) {
        Ok(bytes) => download(bytes, name),
        Err(_) => refuse(StatusCode::NOT_FOUND, "文件不存在。"),
    }
}

/// Bytes as a download named `name` (RFC 5987 for the Chinese name), never as a page.
fn download(bytes: Vec<u8>, name: &str) -> Response {
    let encoded: String = name.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-._".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    let disposition = format!("attachment; filename=\"download\"; filename*=UTF-8''{encoded}");
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

async fn download_receipt(State(app): State<Shared>, PeriodParam(period): PeriodParam, UrlPath((_, id)): UrlPath<(String, i64)>) -> Response {
    let receipts = app.ws.receipts(period).unwrap_or_default();
    match receipts.iter().find(|r| r.id == id) {
        // The stored name comes from the receipts, never from the request.
        Some(r) => attachment(&app.ws.dir(period, INBOX).join(&r.stored_name), &r.stored_name),
        None => refuse(StatusCode::NOT_FOUND, "没有这个文件。"),
    }
}

async fn download_feedback(State(app): State<Shared>, PeriodParam(period): PeriodParam, UrlPath((_, code)): UrlPath<(String, String)>) -> Response {
    let Some(pref) = app.refdata.prefectures.lookup(&code).cloned() else {
        return refuse(StatusCode::NOT_FOUND, "没有这个市州。");
    };
    feedback_of(&app, period, &pref.name, &format!("/p/{}", period.code())).await
}

/// The corrections workbook of `prefecture`, written afresh from the inbox as it is now, as a download;
/// a page saying so when its returns need none. `back` is where that page leads.
async fn feedback_of(app: &Shared, period: Period, prefecture: &str, back: &str) -> Response {
    let snap = match snapshot(app, period).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let a = Arc::clone(app);
    let written = tokio::task::spawn_blocking(move || {
        let dir = a.ws.dir(period, FEEDBACK);
        crate::feedback::write_all(&a.refdata, &snap.subs, Some(period), &dir, true)
    })
    .await;
    let written = match written {
        Ok(Ok(w)) => w,
        Ok(Err(e)) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    match written.into_iter().find(|w| w.prefecture == prefecture).map(|w| w.result) {
        Some(Ok(path)) => {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            attachment(&path, &name)
        }
        Some(Err(e)) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &e),
        None => render(app, "message.html", context! { title => "无需审核意见", message => format!("{prefecture}本期的报送没有需要修改的问题。"), back => back }),
    }
}

#[derive(Debug, Deserialize)]
struct TemplatesForm {
    deadline: Option<String>,
}

/// Runs a command of the library with its output captured, on the blocking pool.
async fn command(f: impl FnOnce(&mut Vec<u8>) -> Result<crate::ExitStatus, crate::Error> + Send + 'static) -> (bool, String) {
    let r = tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        let status = f(&mut out);
        (status, out)
    })
    .await;
    match r {
        Ok((Ok(s), out)) => (s != crate::ExitStatus::Failure, String::from_utf8_lossy(&out).into_owned()),
        Ok((Err(e), out)) => (false, format!("{}{e}", String::from_utf8_lossy(&out))),
        Err(e) => (false, e.to_string()),
    }
}

fn previous_rollup(app: &App, period: Period) -> Option<PathBuf> {
    let prev = app.ws.periods().into_iter().filter(|p| *p < period).max()?;
    Some(rollup_path(app, prev)).filter(|p| p.is_file())
}

fn rollup_path(app: &App, period: Period) -> PathBuf {
    app.ws.dir(period, ROLLUP).join(format!("{}全省汇总.xlsx", period.code()))
}

fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map(|rd| rd.flatten().filter(|e| e.path().is_file()).count()).unwrap_or(0)
}

/// Generates the period's templates (prefilled from the previous period's rollup when there is one).
async fn make_templates(State(app): State<Shared>, PeriodParam(period): PeriodParam, axum::Form(form): axum::Form<TemplatesForm>) -> Response {
    let deadline = match form.deadline.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => match d.parse::<chrono::NaiveDate>() {
            Ok(d) => Some(d),
            Err(_) => return refuse(StatusCode::BAD_REQUEST, "截止日期应写成 2018-10-10 的形式。"),
        },
        None => app.ws.deadline(period),
    };
    if let Err(e) = app.ws.set_deadline(period, deadline) {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
    }
    let cfg = crate::commands::template::TemplateConfig {
        period,
        out: app.ws.dir(period, TEMPLATES),
        prefectures: Vec::new(),
        deadline,
        force: true,
        from: previous_rollup(&app, period),
    };
    let refdata = Arc::clone(&app.refdata);
    let (ok, text) = command(move |out| crate::commands::template::run(&refdata, &cfg, out)).await;
    action_result(ok, &text)
}

/// The period's templates in one zip, to attach to a mail or save.
async fn download_templates(State(app): State<Shared>, PeriodParam(period): PeriodParam) -> Response {
    let dir = app.ws.dir(period, TEMPLATES);
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir).map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect()).unwrap_or_default();
    if names.is_empty() {
        return refuse(StatusCode::NOT_FOUND, "本期还没有生成模板。");
    }
    names.sort();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // A fixed timestamp keeps the zip the same for the same templates.
    let opts = zip::write::SimpleFileOptions::default().last_modified_time(zip::DateTime::default());
    for p in &names {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Ok(bytes) = std::fs::read(p) else { continue };
        if w.start_file(name, opts).is_err() || std::io::Write::write_all(&mut w, &bytes).is_err() {
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, "打包模板失败。");
        }
    }
    match w.finish() {
        Ok(c) => download(c.into_inner(), &format!("{}质量提升台账模板.zip", period.code())),
        Err(_) => refuse(StatusCode::INTERNAL_SERVER_ERROR, "打包模板失败。"),
    }
}

/// The contacts sheet kept in the workspace (市州, 联系人, 邮箱), the one `mail` uses.
fn contacts_path(app: &App) -> Option<PathBuf> {
    ["联系人.xlsx", "联系人.xls", "联系人.csv"].iter().map(|n| app.ws.root.join(n)).find(|p| p.is_file())
}

/// Replaces the workspace's contacts sheet with an uploaded one (xlsx, xls or csv).
async fn upload_contacts(State(app): State<Shared>, mut form: Multipart) -> Response {
    let Ok(Some(field)) = form.next_field().await else {
        return refuse(StatusCode::BAD_REQUEST, "没有收到联系人表。");
    };
    let name = field.file_name().unwrap_or("").to_ascii_lowercase();
    let Some(ext) = ["xlsx", "xls", "csv"].into_iter().find(|e| name.ends_with(&format!(".{e}"))) else {
        return refuse(StatusCode::BAD_REQUEST, "联系人表应为 xlsx、xls 或 csv 文件,含「市州」「联系人」「邮箱」三列。");
    };
    let bytes = match field.bytes().await {
        Ok(b) if (b.len() as u64) <= app.batch.limits.max_file_bytes => b,
        Ok(_) => return refuse(StatusCode::PAYLOAD_TOO_LARGE, "联系人表过大。"),
        Err(e) => return refuse(StatusCode::BAD_REQUEST, &format!("上传中断:{e}")),
    };
    // Read by the reader `mail` uses, from a hidden file, before it replaces anything.
    let tmp = app.ws.root.join(format!(".联系人-上传中.{ext}"));
    if let Err(e) = std::fs::write(&tmp, &bytes) {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
    }
    let n = match crate::mail::read_contacts(&app.refdata, &tmp) {
        Ok((c, _)) => c.len(),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return action_result(false, &e.to_string());
        }
    };
    for old in ["联系人.xlsx", "联系人.xls", "联系人.csv"] {
        let _ = std::fs::remove_file(app.ws.root.join(old));
    }
    match std::fs::rename(&tmp, app.ws.root.join(format!("联系人.{ext}"))) {
        Ok(()) => action_result(true, &format!("已保存联系人表,共 {n} 个市州有邮箱。")),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

#[derive(Debug, Deserialize)]
struct MailForm {
    /// templates, feedback or remind.
    kind: String,
    from: Option<String>,
}

/// Writes the period's mail — templates, corrections, or reminders to those 未报送 or with errors — as .eml
/// files in the period's 发件箱 folder (opened and sent from the office's mail program), with a result per
/// prefecture. The same library path as `taizhang mail --outbox`.
async fn send_mail(State(app): State<Shared>, PeriodParam(period): PeriodParam, axum::Form(form): axum::Form<MailForm>) -> Response {
    let Some(contacts) = contacts_path(&app) else {
        return action_result(false, "工作区中还没有联系人表。请先上传含「市州」「联系人」「邮箱」三列的联系人表。");
    };
    let (dir, remind, label) = match form.kind.as_str() {
        "templates" => (app.ws.dir(period, TEMPLATES), false, "模板"),
        "feedback" => (app.ws.dir(period, FEEDBACK), false, "审核意见"),
        "remind" => (app.ws.dir(period, INBOX), true, "催报"),
        _ => return refuse(StatusCode::BAD_REQUEST, "未知的邮件类型。"),
    };
    if form.kind == "feedback" {
        // The corrections are written afresh from the inbox as it is now.
        let snap = match snapshot(&app, period).await {
            Ok(s) => s,
            Err(r) => return r,
        };
        let a = Arc::clone(&app);
        let d = dir.clone();
        let written = tokio::task::spawn_blocking(move || crate::feedback::write_all(&a.refdata, &snap.subs, Some(period), &d, true)).await;
        if !matches!(written, Ok(Ok(_))) {
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, "生成审核意见失败。");
        }
    }
    let from = form.from.map(|f| f.trim().to_string()).filter(|f| !f.is_empty()).unwrap_or_else(|| crate::mail::DEFAULT_FROM.into());
    let cfg = crate::mail::MailRequest {
        options: crate::mail::MailOptions { dir: dir.clone(), contacts, from, subject: None, body: None, only: Vec::new(), links: if app.local_only() { Default::default() } else { links::by_name(&app) } },
        destination: crate::mail::Destination::Outbox(app.ws.period_dir(period).join("发件箱").join(label)),
        remind: remind.then(|| crate::mail::RemindRequest {
            inbox: vec![dir],
            batch: BatchOptions { period: Some(period), ..app.batch.clone() },
            deadline: app.ws.deadline(period),
        }),
    };
    let refdata = Arc::clone(&app.refdata);
    let (ok, text) = command(move |out| crate::commands::mail::run(&refdata, &cfg, out)).await;
    action_result(ok, &text)
}

#[derive(Debug, Deserialize)]
struct CollectForm {
    server: String,
    user: String,
    password: Option<String>,
    /// tls or starttls.
    security: Option<String>,
    mailbox: Option<String>,
    since: Option<String>,
}

/// Collects the office mailbox into the period's inbox — the same library path as
/// `taizhang collect --workspace` — and records each stored attachment as received by mail from its
/// sender. The password comes from the form or from `TAIZHANG_IMAP_PASSWORD`, and is never kept.
async fn collect_mail(State(app): State<Shared>, PeriodParam(period): PeriodParam, axum::Form(form): axum::Form<CollectForm>) -> Response {
    let tls = form.security.as_deref() != Some("starttls");
    let server = form.server.trim();
    let (host, port) = match server.rsplit_once(':') {
        Some((h, p)) => match p.parse::<u16>() {
            Ok(p) if !h.is_empty() => (h.to_string(), p),
            _ => return action_result(false, "邮件服务器应写成 imap.example.gov.cn:993 的形式。"),
        },
        None if !server.is_empty() => (server.to_string(), if tls { 993 } else { 143 }),
        None => return action_result(false, "请填写邮件服务器。"),
    };
    let since = match form.since.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => match d.parse::<chrono::NaiveDate>() {
            Ok(d) => Some(d),
            Err(_) => return action_result(false, "起始日期应写成 2018-09-20 的形式。"),
        },
        None => None,
    };
    let mailbox = form.mailbox.map(|m| m.trim().to_string()).filter(|m| !m.is_empty()).unwrap_or_else(|| "INBOX".into());
    let saved = [
        ("imap.server", form.server.trim().to_string()),
        ("imap.user", form.user.trim().to_string()),
        ("imap.security", if tls { "tls".into() } else { "starttls".into() }),
        ("imap.mailbox", mailbox.clone()),
        (&format!("imap.since.{}", period.code()), since.map(|d| d.to_string()).unwrap_or_default()),
    ];
    for (k, v) in saved {
        if let Err(e) = app.ws.set_setting(k, &v) {
            return refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string());
        }
    }
    let password = form.password.filter(|p| !p.is_empty()).or_else(|| std::env::var(crate::inbox::imap::IMAP_PASSWORD_VAR).ok().filter(|p| !p.is_empty()));
    let opts = crate::inbox::imap::CollectOptions {
        host,
        port,
        security: if tls { crate::mail::Security::Implicit } else { crate::mail::Security::StartTls },
        user: form.user.trim().to_string(),
        password,
        ca_cert: app.ca_cert.clone(),
        mailbox,
        since,
        contacts: contacts_path(&app),
        into: app.ws.dir(period, INBOX),
        timeout: std::time::Duration::from_secs(60),
    };
    let cfg = crate::commands::collect::CollectConfig { options: opts, workspace: Some((app.ws.root.clone(), period)) };
    let refdata = Arc::clone(&app.refdata);
    let (ok, text) = command(move |out| crate::commands::collect::run(&refdata, &cfg, out)).await;
    action_result(ok, &text)
}

/// Builds the period's rollup with `consolidate`, against the previous period's rollup when there is one.
async fn make_rollup(State(app): State<Shared>, PeriodParam(period): PeriodParam) -> Response {
    let cfg = crate::commands::consolidate::ConsolidateConfig {
        paths: vec![app.ws.dir(period, INBOX)],
        out: rollup_path(&app, period),
        csv: None,
        parquet: None,
        force: true,
        batch: BatchOptions { period: Some(period), ..app.batch.clone() },
        previous: previous_rollup(&app, period),
        province_figures: Some(own_figures_path(&app, period)).filter(|p| p.is_file()),
        spill_above: crate::commands::consolidate::SPILL_ABOVE_BYTES,
    };
    let refdata = Arc::clone(&app.refdata);
    let (ok, text) = command(move |out| crate::commands::consolidate::run(&refdata, &cfg, out)).await;
    action_result(ok, &text)
}

async fn download_rollup(State(app): State<Shared>, PeriodParam(period): PeriodParam) -> Response {
    let path = rollup_path(&app, period);
    attachment(&path, &format!("{}全省汇总.xlsx", period.code()))
}
