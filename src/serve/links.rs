//! The prefectures' private upload links. Each prefecture gets a link (`/u/<token>`) to a page of its
//! own: its template, the files it has returned this period with their findings, and an upload box whose
//! files are checked at once — so a prefecture fixes its file before the deadline instead of after a
//! round of mail.
//!
//! A link is hostile input from outside the office. It opens nothing but its own prefecture's page: no
//! session cookie, no office page, no other prefecture's files. Its token is 32 random bytes, looked up
//! by hash; failures are counted per client address ([`super::security::Throttle`]); a token can be
//! regenerated from the office's page and the old one stops working at once. What comes through a link
//! is recorded as that prefecture's (the record beside the returns, read by every reader of the inbox),
//! so the file can never be filed as another prefecture's, whatever it says inside (P08).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Multipart, Path as UrlPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use minijinja::context;

use super::security::CSRF_HEADER;
use super::workspace::{Source, TEMPLATES};
use super::{App, Shared, refuse, render};
use crate::period::Period;
use crate::refdata::Prefecture;

/// Files one link may bring in one period: enough for every correction a prefecture makes, and a bound
/// on what a leaked link can put on the office's disk.
pub const MAX_UPLOADS_PER_PERIOD: usize = 50;

/// The prefecture a request's link opened, put on the request by [`guard`].
#[derive(Debug, Clone)]
pub struct LinkAccess {
    pub code: String,
    pub token: String,
}

/// The period links collect for: the latest of the workspace.
pub fn period(app: &App) -> Period {
    app.ws.periods().last().copied().unwrap_or(app.default_period)
}

/// The address a link is opened at: `--public-url` when given, else the address the console listens on.
pub fn url(app: &App, token: &str) -> String {
    format!("{}/u/{token}", app.public_base.trim_end_matches('/'))
}

/// The CSRF token of a link's page: tied to the link, so that it is worth nothing on another one.
fn csrf(app: &App, token: &str) -> String {
    crate::inbox::names::sha256_hex(format!("{}:{token}", app.csrf).as_bytes())
}

fn client(req: &Request) -> IpAddr {
    req.extensions().get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip())
}

/// Every request under `/u/`: the client address not refused for failing too often, the token one of
/// the links, and a state-changing request carrying the page's CSRF token from this server's own page.
/// The office's session cookie and password play no part: a prefecture has neither.
pub async fn guard(app: &App, mut req: Request, next: Next) -> Response {
    let ip = client(&req);
    if app.throttle.blocked(ip) {
        return refuse(StatusCode::TOO_MANY_REQUESTS, "链接错误次数过多,请 15 分钟后再试。");
    }
    let token = req.uri().path().trim_start_matches("/u/").split('/').next().unwrap_or("").to_string();
    let Some(code) = app.ws.link_code(&token) else {
        app.throttle.fail(ip);
        return refuse(StatusCode::NOT_FOUND, "此链接无效或已失效。请向省局质量提升办索取新的上传链接。");
    };
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        let headers = req.headers();
        let csrf_ok = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).is_some_and(|v| super::security::same_secret(v, &csrf(app, &token)));
        let origin_ok = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).is_none_or(|o| {
            o.strip_prefix("http://").or_else(|| o.strip_prefix("https://")).is_some_and(|h| app.host_allowed(h))
        });
        if !csrf_ok || !origin_ok {
            return refuse(StatusCode::FORBIDDEN, "请求缺少有效的校验码,已拒绝。请刷新页面后重试。");
        }
    }
    req.extensions_mut().insert(LinkAccess { code, token });
    next.run(req).await
}

fn prefecture(app: &App, access: &LinkAccess) -> Option<Prefecture> {
    app.refdata.prefectures.lookup(&access.code).cloned()
}

/// The prefecture's page.
pub async fn page(State(app): State<Shared>, axum::Extension(access): axum::Extension<LinkAccess>) -> Response {
    let Some(pref) = prefecture(&app, &access) else {
        return refuse(StatusCode::NOT_FOUND, "没有这个市州。");
    };
    let period = period(&app);
    let snap = match super::snapshot(&app, period).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let line = snap.merged.prefectures.iter().find(|p| p.name == pref.name).cloned();
    let files = super::files_of(&app, &snap, period, &pref.name, true);
    let (deadline, days_left) = super::countdown(&app, period);
    let base = format!("/u/{}", access.token);
    render(
        &app,
        "link.html",
        context! {
            title => format!("{} {} 报送", pref.name, period.label()), csrf => csrf(&app, &access.token), home => base,
            prefecture => pref.name, period_label => period.label(), deadline, days_left,
            status => line.as_ref().map(|l| l.status.label()), reason => line.as_ref().and_then(|l| l.reason.clone()),
            template => template_of(&app, period, &pref).is_some(), files, uploads_left => MAX_UPLOADS_PER_PERIOD.saturating_sub(app.ws.link_uploads(period, &pref.name)),
        },
    )
}

/// The prefecture's template of the period, if the office has generated it.
fn template_of(app: &App, period: Period, pref: &Prefecture) -> Option<std::path::PathBuf> {
    let dir = app.ws.dir(period, TEMPLATES);
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir).ok()?.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files.into_iter().find(|f| f.file_stem().and_then(|s| app.refdata.prefectures.find_in(&s.to_string_lossy())).is_some_and(|q| q.name == pref.name))
}

pub async fn template(State(app): State<Shared>, axum::Extension(access): axum::Extension<LinkAccess>) -> Response {
    let Some(pref) = prefecture(&app, &access) else {
        return refuse(StatusCode::NOT_FOUND, "没有这个市州。");
    };
    match template_of(&app, period(&app), &pref) {
        Some(p) => {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            super::attachment(&p, &name)
        }
        None => refuse(StatusCode::NOT_FOUND, "本期模板尚未生成,请稍后再试或联系省局质量提升办。"),
    }
}

pub async fn feedback(State(app): State<Shared>, axum::Extension(access): axum::Extension<LinkAccess>) -> Response {
    let Some(pref) = prefecture(&app, &access) else {
        return refuse(StatusCode::NOT_FOUND, "没有这个市州。");
    };
    let back = format!("/u/{}", access.token);
    super::feedback_of(&app, period(&app), &pref.name, &back).await
}

/// Stores what the prefecture uploads as its own and checks it at once, as the office's upload does.
pub async fn upload(State(app): State<Shared>, axum::Extension(access): axum::Extension<LinkAccess>, form: Multipart) -> Response {
    let Some(pref) = prefecture(&app, &access) else {
        return refuse(StatusCode::NOT_FOUND, "没有这个市州。");
    };
    let period = period(&app);
    let left = MAX_UPLOADS_PER_PERIOD.saturating_sub(app.ws.link_uploads(period, &pref.name));
    let a = Arc::clone(&app);
    let mut results = super::receive(&a, period, form, Source::Link(pref.name.clone()), left).await;
    if let Ok(ref mut rs) = results {
        for r in rs.iter_mut() {
            // A file of the same content received before is not named, nor, when it is another
            // prefecture's, are its findings shown.
            if r.duplicate_of.is_some() {
                r.duplicate_of = Some("此前收到的文件".into());
                if r.prefecture.as_deref() != Some(pref.name.as_str()) {
                    r.findings.clear();
                    r.summary = None;
                    r.prefecture = None;
                    r.errors = 0;
                    r.warnings = 0;
                }
            }
        }
    }
    match results {
        Ok(rs) => {
            let mut resp = axum::Json(rs).into_response();
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(r) => r,
    }
}

/// The office's page of links: every prefecture's link, to copy into a message, and a button to
/// regenerate one that was forwarded where it should not be.
pub async fn office_page(State(app): State<Shared>) -> Response {
    let links = match every_link(&app) {
        Ok(l) => l,
        Err(e) => return refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    };
    let period = period(&app);
    let rows: Vec<minijinja::Value> = links
        .iter()
        .map(|(p, url)| context! { name => p.name.clone(), code => p.code.clone(), url, uploads => app.ws.link_uploads(period, &p.name) })
        .collect();
    render(
        &app,
        "links.html",
        context! {
            title => "市州上传链接", csrf => app.csrf, rows, period => period.code(), period_label => period.label(),
            local_only => app.local_only(), max_uploads => MAX_UPLOADS_PER_PERIOD,
        },
    )
}

pub async fn regenerate(State(app): State<Shared>, UrlPath(code): UrlPath<String>) -> Response {
    let Some(p) = app.refdata.prefectures.lookup(&code).cloned() else {
        return refuse(StatusCode::NOT_FOUND, "没有这个市州。");
    };
    match app.ws.regenerate_link(&p.code) {
        Ok(token) => super::action_result(true, &format!("已为{}生成新的上传链接,原链接已失效:\n{}", p.name, url(&app, &token))),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// Every prefecture with its link, in official order (links made for those that have none).
fn every_link(app: &App) -> Result<Vec<(Prefecture, String)>, super::WorkspaceError> {
    let codes: Vec<String> = app.refdata.prefectures.all().iter().map(|p| p.code.clone()).collect();
    Ok(app.ws.links(&codes)?.into_iter().filter_map(|(code, token)| app.refdata.prefectures.lookup(&code).map(|p| (p.clone(), url(app, &token)))).collect())
}

/// Every prefecture's link by name, for the mail that carries them.
pub fn by_name(app: &App) -> std::collections::BTreeMap<String, String> {
    every_link(app).unwrap_or_default().into_iter().map(|(p, url)| (p.name, url)).collect()
}
