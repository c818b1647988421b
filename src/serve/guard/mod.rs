//! The guards, one per audience, each a layer on its own router: the office ([`office`]: password
//! beyond loopback, session, CSRF) and the prefectures' links ([`link`]: the token, the throttle, the
//! link's own CSRF token); and around everything ([`outer`]) the Host check and the headers that keep a
//! browser from sniffing, framing or leaking a page. The CSRF and Origin rule is written once
//! ([`csrf_ok`]) and applied by both guards.

pub mod link;
pub mod office;

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::WebError;
use super::security::{CSRF_HEADER, same_secret};
use super::state::{App, Shared};

/// Around every request: the Host must name this server (a page of another site that resolved its own
/// name to this machine is refused), and every response gets the headers that keep it to itself.
pub async fn outer(State(app): State<Shared>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    let mut resp = if app.host_allowed(host) { next.run(req).await } else { WebError::Forbidden("拒绝访问:请求的主机名与本工作台不符。".into()).into_response() };
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

/// Whether a request may change something: only a state-changing method needs it, and then it carries
/// `expected` (the page's CSRF token) and, when it says where it comes from, comes from this server.
pub fn csrf_ok(app: &App, method: &Method, headers: &HeaderMap, expected: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD) {
        return true;
    }
    let token_ok = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).is_some_and(|v| same_secret(v, expected));
    let origin_ok = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|o| o.strip_prefix("http://").or_else(|| o.strip_prefix("https://")).is_some_and(|h| app.host_allowed(h)));
    token_ok && origin_ok
}

/// The refusal of a change without a valid CSRF token.
pub fn csrf_refused() -> WebError {
    WebError::Forbidden("请求缺少有效的校验码,已拒绝。请刷新页面后重试。".into())
}

/// The client's address (counted for failed tokens and passwords).
pub fn client(req: &Request) -> IpAddr {
    req.extensions().get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip())
}
