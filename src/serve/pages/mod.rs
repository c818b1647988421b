//! The console's pages: minijinja templates under `templates/web/` (embedded, so the console works
//! offline), each rendered from a typed view model. What a page shows is computed by the library — the
//! board from the period's snapshot, a prefecture's files from its submissions — and only laid out here.

pub mod board;
pub mod history;
pub mod links;
pub mod prefecture;

use axum::extract::{FromRequestParts, Path as UrlPath};
use axum::response::Html;
use minijinja::Environment;
use serde::Serialize;

use crate::period::Period;

use super::error::{WebError, WebResult};
use super::state::{App, Shared};

/// The pages, script and style sheet, embedded so the console needs nothing but the binary.
const PAGES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../templates/web/base.html")),
    ("board.html", include_str!("../../../templates/web/board.html")),
    ("board_table.html", include_str!("../../../templates/web/board_table.html")),
    ("prefecture.html", include_str!("../../../templates/web/prefecture.html")),
    ("message.html", include_str!("../../../templates/web/message.html")),
    ("start.html", include_str!("../../../templates/web/start.html")),
    ("periods.html", include_str!("../../../templates/web/periods.html")),
    ("link.html", include_str!("../../../templates/web/link.html")),
    ("file_card.html", include_str!("../../../templates/web/file_card.html")),
    ("links.html", include_str!("../../../templates/web/links.html")),
    ("history.html", include_str!("../../../templates/web/history.html")),
];
pub const SCRIPT: &str = include_str!("../../../templates/web/app.js");
pub const STYLE: &str = include_str!("../../../templates/web/app.css");

/// The pages, ready to render.
///
/// # Errors
/// A template that does not parse (a defect of the embedded files).
pub fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    for (name, text) in PAGES {
        env.add_template(name, text)?;
    }
    Ok(env)
}

/// Renders page `name` from its view model.
///
/// # Errors
/// A template that cannot be rendered (a defect).
pub fn render(app: &App, name: &str, view: &impl Serialize) -> WebResult<Html<String>> {
    Ok(Html(app.pages.get_template(name)?.render(view)?))
}

/// The period named in the URL (`/p/2018Q3/…`). Only read: a period that has not been started is never
/// started by a GET (see [`started`]).
pub struct PeriodParam(pub Period);

impl FromRequestParts<Shared> for PeriodParam {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, app: &Shared) -> Result<Self, WebError> {
        let UrlPath(params) = UrlPath::<std::collections::HashMap<String, String>>::from_request_parts(parts, app)
            .await
            .map_err(|_| WebError::NotFound("没有这个页面。".into()))?;
        let p: Period = params.get("period").and_then(|t| t.parse().ok()).ok_or_else(|| WebError::NotFound("没有这个期别。".into()))?;
        Ok(PeriodParam(p))
    }
}

/// `period` when it has been started; a 404 saying how to start it otherwise, for the actions of a period
/// (its board offers to start it instead).
///
/// # Errors
/// [`WebError::NotFound`] for a period not started.
pub fn started(app: &App, period: Period) -> WebResult<Period> {
    if app.ws.has(period) {
        Ok(period)
    } else {
        Err(WebError::NotFound(format!("{}尚未开始。请在工作台首页开始该期后再操作。", period.label())))
    }
}

/// One period in the console's list of periods.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodLink {
    pub code: String,
    pub label: String,
    /// The period shown.
    pub current: bool,
    /// The period the upload links collect for.
    pub collecting: bool,
}

/// Every period of the workspace, for the list at the top of the office's pages.
pub fn periods(app: &App, current: Option<Period>) -> Vec<PeriodLink> {
    let collecting = app.ws.collecting();
    app.ws.periods().into_iter().map(|p| PeriodLink { code: p.code(), label: p.label(), current: Some(p) == current, collecting: Some(p) == collecting }).collect()
}

/// A page saying one thing, with the way back.
#[derive(Debug, Serialize)]
pub struct Message {
    pub title: String,
    pub message: String,
    pub back: String,
    pub csrf: String,
}
