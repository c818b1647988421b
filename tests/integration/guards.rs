//! The console's rules checked in process, on the router itself (`tower::ServiceExt::oneshot`), without
//! a port or a browser: each request breaks one rule, and the next one, identical but for that rule, is
//! let through — so each assertion fails if its rule is taken out.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

use super::common::refdata;

/// The console of a fresh workspace with 2018Q3 started, as `taizhang serve` builds it, on 127.0.0.1:8750.
fn console(dir: &std::path::Path) -> (axum::Router, String) {
    let cfg = taizhang::serve::ServeConfig {
        workspace: dir.join("工作区"),
        period: None,
        listen: "127.0.0.1:8750".parse().unwrap(),
        open_browser: false,
        batch: Default::default(),
        public_url: None,
        ca_cert: None,
    };
    let ws = taizhang::inbox::workspace::Workspace::open(&cfg.workspace).unwrap();
    let p = taizhang::Period::new(2018, 3).unwrap();
    ws.ensure(p).unwrap();
    ws.set_collecting(p).unwrap();
    let app = taizhang::serve::app(refdata(), &cfg, ws, cfg.listen, None).unwrap();
    let token = app.login.clone();
    (taizhang::serve::router(std::sync::Arc::new(app)), token)
}

fn call(router: &axum::Router, req: Request<Body>) -> axum::response::Response {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(router.clone().oneshot(req)).unwrap()
}

fn get(path: &str, host: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path).header(header::HOST, host);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

/// Opens the printed address once: the session cookie it sets.
fn sign_in(router: &axum::Router, token: &str) -> String {
    let r = call(router, get(&format!("/?token={token}"), "127.0.0.1:8750", None));
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.headers());
    r.headers()[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string()
}

#[test]
fn the_office_needs_its_token_its_host_and_for_changes_its_csrf_token() {
    let dir = tempfile::tempdir().unwrap();
    let (router, token) = console(dir.path());
    // No token, no cookie.
    assert_eq!(call(&router, get("/p/2018Q3", "127.0.0.1:8750", None)).status(), StatusCode::FORBIDDEN);
    // A wrong token.
    assert_eq!(call(&router, get(&format!("/?token={}", "0".repeat(token.len())), "127.0.0.1:8750", None)).status(), StatusCode::FORBIDDEN);
    let cookie = sign_in(&router, &token);
    assert_eq!(call(&router, get("/p/2018Q3", "127.0.0.1:8750", Some(&cookie))).status(), StatusCode::OK);
    // DNS rebinding: the same request under another host name.
    assert_eq!(call(&router, get("/p/2018Q3", "evil.example:8750", Some(&cookie))).status(), StatusCode::FORBIDDEN);
    // A change without the page's CSRF token, then with it.
    let post = |csrf: Option<&str>| {
        let mut b = Request::post("/p/2018Q3/collecting").header(header::HOST, "127.0.0.1:8750").header(header::COOKIE, &cookie).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(c) = csrf {
            b = b.header("X-CSRF-Token", c);
        }
        b.body(Body::from("")).unwrap()
    };
    assert_eq!(call(&router, post(None)).status(), StatusCode::FORBIDDEN);
    let page = call(&router, get("/p/2018Q3", "127.0.0.1:8750", Some(&cookie)));
    let body = futures_body(page);
    let at = body.find("name=\"csrf-token\" content=\"").unwrap() + 27;
    let csrf = &body[at..at + 64];
    assert_ne!(call(&router, post(Some(csrf))).status(), StatusCode::FORBIDDEN);
}

#[test]
fn a_link_opens_its_own_page_only_and_no_get_starts_a_period() {
    let dir = tempfile::tempdir().unwrap();
    let (router, token) = console(dir.path());
    let cookie = sign_in(&router, &token);
    // A guessed link.
    assert_eq!(call(&router, get(&format!("/u/{}", "0".repeat(64)), "127.0.0.1:8750", None)).status(), StatusCode::NOT_FOUND);
    // The office's pages are not a link's.
    assert_eq!(call(&router, get("/links", "127.0.0.1:8750", None)).status(), StatusCode::FORBIDDEN);
    // A GET of a period not started shows the page that offers it, and creates nothing.
    let r = call(&router, get("/p/2100Q4", "127.0.0.1:8750", Some(&cookie)));
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!dir.path().join("工作区").join("2100Q4").exists());
}

fn futures_body(r: axum::response::Response) -> String {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let bytes = rt.block_on(axum::body::to_bytes(r.into_body(), 16 << 20)).unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}
