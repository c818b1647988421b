//! The console's routes, one router per audience, each behind its own guard: the office's pages and
//! actions ([`super::guard::office`]), the prefectures' links ([`super::guard::link`]), and the static
//! script and style sheet (nothing to protect). Around all of them, the Host check and the headers
//! ([`super::guard::outer`]), and the limit on a request's body.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::middleware;
use axum::routing::{get, post};

use super::guard;
use super::pages::{self, SCRIPT, STYLE};
use super::state::Shared;
use super::{actions, downloads, mail, schedule, uploads};

/// Largest request body: a batch of uploads, each within the reader's file limit (checked per file as it
/// streams in).
const MAX_BODY: usize = 1 << 30;

/// The console's router over `app`.
pub fn router(app: Shared) -> Router {
    Router::new()
        .merge(office(Arc::clone(&app)))
        .merge(links(Arc::clone(&app)))
        .merge(assets())
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(Arc::clone(&app), guard::outer))
}

/// The office's pages and actions: every request with the office's session, every change with its CSRF
/// token. No GET changes anything: periods are started, links regenerated and files built by POST.
fn office(app: Shared) -> Router {
    Router::new()
        .route("/", get(pages::board::home))
        .route("/periods", post(actions::start_period))
        .route("/p/{period}", get(pages::board::page))
        .route("/p/{period}/board", get(pages::board::fragment))
        .route("/p/{period}/status.json", get(pages::board::status))
        .route("/p/{period}/upload", post(uploads::office))
        .route("/p/{period}/prefecture/{code}", get(pages::prefecture::page))
        .route("/p/{period}/file/{id}", get(downloads::receipt))
        .route("/p/{period}/feedback/{code}", get(downloads::office_feedback))
        .route("/p/{period}/collecting", post(actions::set_collecting))
        .route("/p/{period}/templates", post(actions::make_templates))
        .route("/p/{period}/templates.zip", get(downloads::templates_zip))
        .route("/p/{period}/rollup", post(actions::make_rollup))
        .route("/p/{period}/rollup.xlsx", get(downloads::rollup))
        .route("/p/{period}/briefing", post(actions::make_briefing))
        .route("/p/{period}/doc/{file}", get(downloads::briefing))
        .route("/p/{period}/mail", post(mail::send))
        .route("/p/{period}/remind-schedule", post(schedule::set))
        .route("/p/{period}/collect", post(mail::collect))
        .route("/p/{period}/province-figures", post(actions::save_own_figures))
        .route("/contacts", post(actions::upload_contacts))
        .route("/history", get(pages::history::page))
        .route("/links", get(pages::links::office_page))
        .route("/links/{code}/regenerate", post(actions::regenerate_link))
        .layer(middleware::from_fn_with_state(Arc::clone(&app), guard::office::guard))
        .with_state(app)
}

/// A prefecture's link: its page, its template, its corrections, its uploads.
fn links(app: Shared) -> Router {
    Router::new()
        .route("/u/{token}", get(pages::links::page))
        .route("/u/{token}/template", get(downloads::link_template))
        .route("/u/{token}/feedback", get(downloads::link_feedback))
        .route("/u/{token}/upload", post(uploads::link))
        .layer(middleware::from_fn_with_state(Arc::clone(&app), guard::link::guard))
        .with_state(app)
}

/// The script and style sheet every page uses, the links' included.
fn assets() -> Router {
    Router::new()
        .route("/static/app.js", get(|| async { ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], SCRIPT) }))
        .route("/static/app.css", get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE) }))
}
