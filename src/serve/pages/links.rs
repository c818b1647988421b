//! The prefectures' private upload links: the office's page listing every prefecture's link, and the
//! page a link opens — its prefecture's template, the files it sent for the period the links collect for
//! (named on the page), their findings, and an upload box whose files are checked at once.

use axum::extract::{Extension, State};
use axum::response::Html;
use serde::Serialize;

use crate::period::Period;
use crate::refdata::Prefecture;

use super::super::state::snapshot;
use super::super::error::{WebError, WebResult};
use super::super::guard::link::LinkAccess;
use super::super::guard::office::OfficeSession;
use super::super::state::App;
use super::super::state::Shared;
use super::prefecture::{FileCard, files_of};
use super::{PeriodLink, periods, render};

/// Files one link may bring in one period: enough for every correction a prefecture makes, and a bound
/// on what a leaked link can put on the office's disk.
pub const MAX_UPLOADS_PER_PERIOD: usize = 50;

/// The period the links collect for.
///
/// # Errors
/// [`WebError::NotFound`] when no period has been started.
pub fn collecting(app: &App) -> WebResult<Period> {
    app.ws.collecting().ok_or_else(|| WebError::NotFound("本期报送尚未开始,请稍后再打开此链接,或联系省局质量提升办。".into()))
}

/// Every prefecture with its link, in official order (links made for those that have none).
///
/// # Errors
/// A workspace error.
pub fn every_link(app: &App) -> WebResult<Vec<(Prefecture, String)>> {
    let codes: Vec<String> = app.refdata.prefectures.all().iter().map(|p| p.code.clone()).collect();
    Ok(app.ws.links(&codes)?.into_iter().filter_map(|(code, token)| app.refdata.prefectures.lookup(&code).map(|p| (p.clone(), app.link_url(&token)))).collect())
}

/// Every prefecture's link by name, for the mail that carries them.
pub fn by_name(app: &App) -> std::collections::BTreeMap<String, String> {
    every_link(app).unwrap_or_default().into_iter().map(|(p, url)| (p.name, url)).collect()
}

#[derive(Debug, Serialize)]
struct LinkRow {
    name: String,
    code: String,
    url: String,
    uploads: usize,
}

#[derive(Debug, Serialize)]
struct LinksPage {
    title: String,
    csrf: String,
    period: Option<String>,
    period_label: Option<String>,
    periods: Vec<PeriodLink>,
    rows: Vec<LinkRow>,
    local_only: bool,
    max_uploads: usize,
}

/// `/links`: every prefecture's link, to copy into a message, and a button to regenerate one that was
/// forwarded where it should not be.
pub async fn office_page(State(app): State<Shared>, Extension(s): Extension<OfficeSession>) -> WebResult<Html<String>> {
    let period = app.ws.collecting();
    let rows = every_link(&app)?
        .into_iter()
        .map(|(p, url)| LinkRow { uploads: period.map_or(0, |period| app.ws.link_uploads(period, &p.name)), name: p.name, code: p.code, url })
        .collect();
    let view = LinksPage {
        title: "市州上传链接".into(),
        csrf: s.csrf,
        period: period.map(|p| p.code()),
        period_label: period.map(|p| p.label()),
        periods: periods(&app, period),
        rows,
        local_only: app.local_only(),
        max_uploads: MAX_UPLOADS_PER_PERIOD,
    };
    render(&app, "links.html", &view)
}

#[derive(Debug, Serialize)]
struct LinkPage {
    title: String,
    csrf: String,
    home: String,
    prefecture: String,
    period_label: String,
    deadline: Option<String>,
    days_left: Option<i64>,
    status: Option<&'static str>,
    reason: Option<String>,
    template: bool,
    files: Vec<FileCard>,
    uploads_left: usize,
}

/// `/u/{token}`: the prefecture's page.
pub async fn page(State(app): State<Shared>, Extension(access): Extension<LinkAccess>) -> WebResult<Html<String>> {
    let period = collecting(&app)?;
    let pref = &access.prefecture;
    let snap = snapshot(&app, period).await?;
    let line = snap.merged.prefectures.iter().find(|p| p.name == pref.name).cloned();
    let (deadline, days_left) = app.countdown(period);
    let view = LinkPage {
        title: format!("{} {} 报送", pref.name, period.label()),
        csrf: access.csrf.clone(),
        home: access.home(),
        prefecture: pref.name.clone(),
        period_label: period.label(),
        deadline,
        days_left,
        status: line.as_ref().map(|l| l.status_label()),
        reason: line.as_ref().and_then(|l| l.reason.clone()),
        template: template_of(&app, period, pref).is_some(),
        files: files_of(&app, &snap, &pref.name, true),
        uploads_left: MAX_UPLOADS_PER_PERIOD.saturating_sub(app.ws.link_uploads(period, &pref.name)),
    };
    render(&app, "link.html", &view)
}

/// The prefecture's template of the period, if the office has generated it.
pub fn template_of(app: &App, period: Period, pref: &Prefecture) -> Option<std::path::PathBuf> {
    let (dir, _) = app.templates(period);
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&dir).ok()?.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files.into_iter().find(|f| f.file_stem().and_then(|s| app.refdata.prefectures.find_in(&s.to_string_lossy())).is_some_and(|q| q.name == pref.name))
}
