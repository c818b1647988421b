//! The prefectures' guard. A link is hostile input from outside the office: it opens nothing but its own
//! prefecture's page (no session cookie, no office page, no other prefecture's files). Its token is 32
//! random bytes, looked up by hash. A valid token is always served — never refused for the failures of
//! others behind the same address — and an address that keeps failing has its further failures refused
//! at once. A change carries the link's own CSRF token, worth nothing on another link.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::refdata::Prefecture;

use super::super::error::WebError;
use super::super::state::{App, Shared};
use super::{client, csrf_ok, csrf_refused};

/// The prefecture a request's link opened, put on the request by [`guard`].
#[derive(Debug, Clone)]
pub struct LinkAccess {
    pub prefecture: Prefecture,
    pub token: String,
    /// The CSRF token of this link's page.
    pub csrf: String,
}

impl LinkAccess {
    /// The link's own pages: `/u/<token>`.
    pub fn home(&self) -> String {
        format!("/u/{}", self.token)
    }
}

/// The CSRF token of a link's page: tied to the link, so that it is worth nothing on another one.
pub fn link_csrf(app: &App, token: &str) -> String {
    crate::inbox::names::sha256_hex(format!("{}:{token}", app.link_secret).as_bytes())
}

/// Every request under `/u/`.
pub async fn guard(State(app): State<Shared>, mut req: Request, next: Next) -> Response {
    let token = req.uri().path().trim_start_matches("/u/").split('/').next().unwrap_or("").to_string();
    let prefecture = app.ws.link_code(&token).and_then(|code| app.refdata.prefectures.lookup(&code).cloned());
    let Some(prefecture) = prefecture else {
        let ip = client(&req);
        if app.throttle.blocked(ip) {
            return WebError::TooMany("链接错误次数过多,请 15 分钟后再试。".into()).into_response();
        }
        app.throttle.fail(ip);
        return WebError::NotFound("此链接无效或已失效。请向省局质量提升办索取新的上传链接。".into()).into_response();
    };
    let csrf = link_csrf(&app, &token);
    if !csrf_ok(&app, req.method(), req.headers(), &csrf) {
        return csrf_refused().into_response();
    }
    req.extensions_mut().insert(LinkAccess { prefecture, token, csrf });
    next.run(req).await
}
