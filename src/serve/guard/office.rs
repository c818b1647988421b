//! The office's guard: the password beyond loopback (throttled, one answer for every failure), the
//! session (opened from the printed address once, then a cookie of this console's own name, kept in the
//! workspace so that a restart logs nobody out), and the session's CSRF token on every change.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::super::error::WebError;
use super::super::security::{cookie_value, same_secret};
use super::super::state::{App, Shared};
use super::{client, csrf_ok, csrf_refused};

/// The office's session, put on the request by [`guard`].
#[derive(Debug, Clone)]
pub struct OfficeSession {
    /// The CSRF token the session's pages carry.
    pub csrf: String,
}

/// Every request of the office's pages and actions.
pub async fn guard(State(app): State<Shared>, mut req: Request, next: Next) -> Response {
    match check(&app, &mut req) {
        Ok(None) => next.run(req).await,
        Ok(Some(early)) => early,
        Err(e) => e.into_response(),
    }
}

/// `Ok(None)` to go on with the request, `Ok(Some(r))` to answer `r` instead (the login's redirect).
fn check(app: &App, req: &mut Request) -> Result<Option<Response>, WebError> {
    let ip = client(req);
    if let Some(pw) = &app.password {
        // One answer for a wrong password, a throttled address and a missing one: 401 tells nothing.
        if app.throttle.blocked(ip) {
            return Err(WebError::Unauthorized);
        }
        match basic_password(req.headers()) {
            Some(p) if same_secret(&p, pw) => {}
            // A browser asks first without a password: the same answer, but no failure counted.
            None if !req.headers().contains_key(header::AUTHORIZATION) => return Err(WebError::Unauthorized),
            _ => {
                app.throttle.fail(ip);
                return Err(WebError::Unauthorized);
            }
        }
    }
    // The token of the printed address, once: a session opens, its cookie is set, and the token leaves
    // the address bar.
    let query_token = req.uri().query().and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("token="))).map(str::to_string);
    if let Some(t) = query_token {
        if !same_secret(&t, &app.login) {
            return Err(WebError::Forbidden("访问令牌不正确。请使用启动工作台时显示的链接打开。".into()));
        }
        let (id, _) = app.ws.open_session()?;
        let secure = if app.https { "; Secure" } else { "" };
        let max_age = crate::inbox::workspace::SESSION_DAYS * 24 * 3600;
        let cookie = format!("{}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}", app.cookie);
        let mut r = Redirect::to(req.uri().path()).into_response();
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
        return Ok(Some(r));
    }
    let id = req.headers().get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|c| cookie_value(c, &app.cookie)).map(str::to_string);
    let session = id.and_then(|id| app.ws.session(&id)).ok_or_else(|| WebError::Forbidden("需要访问令牌。请使用启动工作台时显示的链接(含 token=…)打开。".into()))?;
    if session.expired() {
        return Err(WebError::Expired);
    }
    if !csrf_ok(app, req.method(), req.headers(), &session.csrf) {
        return Err(csrf_refused());
    }
    req.extensions_mut().insert(OfficeSession { csrf: session.csrf });
    Ok(None)
}

fn basic_password(headers: &HeaderMap) -> Option<String> {
    use base64::Engine;
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Basic ")?;
    let raw = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(v.trim()).ok()?).ok()?;
    raw.split_once(':').map(|(_, p)| p.to_string())
}
