//! The console's one error type: every handler returns it with `?`, and it answers with the status and
//! a Chinese sentence the office (or a prefecture) can act on. What a library said in its own words stays
//! in the server's terminal, not on the page.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// Why a request could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    /// A password is needed (beyond loopback), or the one given was wrong: one answer for both.
    #[error("需要访问密码和工作台启动时显示的链接。")]
    Unauthorized,
    #[error("{0}")]
    TooMany(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Internal(String),
    /// The office's session has expired: a page saying how to get back in.
    #[error("会话已过期")]
    Expired,
}

impl WebError {
    fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Forbidden(_) | WebError::Expired => StatusCode::FORBIDDEN,
            WebError::Unauthorized => StatusCode::UNAUTHORIZED,
            WebError::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The page an expired session gets: what happened and how to get back in.
const EXPIRED_PAGE: &str = "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>会话已过期 · 质量提升台账工作台</title>\
<link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main><section class=\"panel\"><h2>会话已过期</h2>\
<p>为安全起见,工作台的登录每 7 天失效一次。请回到启动工作台的终端窗口,复制其中第一行的链接(http://127.0.0.1:…/?token=…)重新打开;\
工作台关闭了的,重新运行 <code>taizhang serve</code> 即可,链接不变。已收到的文件和做过的工作都保存在工作区中,不会丢失。</p></section></main></body></html>";

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let WebError::Expired = self {
            return (status, Html(EXPIRED_PAGE)).into_response();
        }
        if let WebError::Internal(why) = &self {
            // The office sees a sentence; the details are for whoever runs the console.
            eprintln!("工作台内部错误:{why}");
        }
        let mut r = (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], self.to_string()).into_response();
        if let WebError::Unauthorized = self {
            r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"taizhang\", charset=\"UTF-8\""));
        }
        r
    }
}

impl From<crate::inbox::workspace::WorkspaceError> for WebError {
    fn from(e: crate::inbox::workspace::WorkspaceError) -> Self {
        use crate::inbox::workspace::WorkspaceError as W;
        match e {
            W::TooLarge { .. } => WebError::TooLarge(e.to_string()),
            W::QuotaReached { .. } => WebError::TooMany(e.to_string()),
            e => WebError::Internal(e.to_string()),
        }
    }
}

impl From<crate::Error> for WebError {
    fn from(e: crate::Error) -> Self {
        WebError::Internal(e.to_string())
    }
}

impl From<crate::rollup::merge::MergeError> for WebError {
    fn from(e: crate::rollup::merge::MergeError) -> Self {
        WebError::Internal(e.to_string())
    }
}

impl From<minijinja::Error> for WebError {
    fn from(e: minijinja::Error) -> Self {
        WebError::Internal(format!("页面生成失败:{e}"))
    }
}

impl From<tokio::task::JoinError> for WebError {
    fn from(e: tokio::task::JoinError) -> Self {
        WebError::Internal(format!("后台任务失败:{e}"))
    }
}

/// What handlers return.
pub type WebResult<T> = Result<T, WebError>;
