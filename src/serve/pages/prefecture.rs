//! A prefecture's page for the office: every file it sent this period, the one that counts first, each
//! with its findings; and the ledger as read from the counting file. The same file cards make up the
//! prefecture's own link page, without what only the office may see.

use axum::extract::{Extension, Path as UrlPath, Query, State};
use axum::response::Html;
use serde::{Deserialize, Serialize};

use crate::period::Period;

use super::super::board::Snapshot;
use super::super::state::snapshot;
use super::super::error::{WebError, WebResult};
use super::super::guard::office::OfficeSession;
use super::super::state::{App, Shared};
use super::{PeriodParam, render, started};

/// One finding on a file card.
#[derive(Debug, Serialize)]
pub struct FindingView {
    severity: &'static str,
    code: &'static str,
    sheet: Option<String>,
    cell: Option<String>,
    field: Option<String>,
    value: Option<String>,
    message: String,
    detail: Option<String>,
}

/// One received file.
#[derive(Debug, Serialize)]
pub struct FileCard {
    name: String,
    path_in_inbox: String,
    counting: bool,
    why: String,
    received_at: Option<String>,
    source: Option<String>,
    download: Option<String>,
    errors: usize,
    warnings: usize,
    infos: usize,
    findings: Vec<FindingView>,
}

/// The inbox file a submission came from: the first component of its name under the inbox (an archive's
/// members are named after the archive).
pub fn stored_name_of(app: &App, period: Period, name: &str) -> String {
    let inbox = app.inbox(period).display().to_string();
    let rest = name.strip_prefix(&inbox).unwrap_or(name).trim_start_matches(['/', '\\']);
    rest.split(['/', '\\']).next().unwrap_or(rest).to_string()
}

/// The files of `prefecture` in the period, the one that counts first, each with its findings (errors
/// first). For the prefecture's own link page (`for_link`), nothing of the office's is shown: no path in
/// the inbox, no download of the stored file, and no finding that names another prefecture's return.
pub fn files_of(app: &App, snap: &Snapshot, prefecture: &str, for_link: bool) -> Vec<FileCard> {
    let period = snap.period;
    let line = snap.merged.prefectures.iter().find(|p| p.name == prefecture);
    let counting = line.and_then(|l| l.file.clone());
    let receipts = app.ws.receipts(period).unwrap_or_default();
    let mut mine: Vec<&crate::Submission> = snap.subs.iter().filter(|s| s.prefecture.as_deref() == Some(prefecture)).collect();
    mine.sort_by_key(|s| counting.as_deref() != Some(s.file_name().as_str()));
    let inbox = app.inbox(period).display().to_string();
    mine.into_iter()
        .map(|s| {
            let stored = stored_name_of(app, period, &s.name);
            let receipt = receipts.iter().rev().find(|r| r.stored_name == stored);
            let counts = s.counts();
            let mut findings: Vec<&crate::Finding> = s.findings.iter().filter(|f| !(for_link && f.code == crate::Code::CrossPrefecture)).collect();
            findings.sort_by_key(|f| f.severity);
            FileCard {
                name: s.file_name(),
                path_in_inbox: if for_link { s.file_name() } else { s.name.strip_prefix(&inbox).unwrap_or(&s.name).trim_start_matches(['/', '\\']).to_string() },
                counting: counting.as_deref() == Some(s.file_name().as_str()),
                why: line.and_then(|l| l.unused.iter().find(|(f, _)| *f == s.file_name()).map(|(_, w)| w.clone())).unwrap_or_default(),
                received_at: receipt.map(|r| r.received_at.clone()),
                source: receipt.map(|r| r.origin.label()),
                download: if for_link { None } else { receipt.map(|r| format!("/p/{}/file/{}", period.code(), r.id)) },
                errors: counts.errors,
                warnings: counts.warnings,
                infos: counts.infos,
                findings: findings
                    .into_iter()
                    .map(|f| FindingView {
                        severity: f.severity.label(),
                        code: f.code.as_str(),
                        sheet: f.sheet.clone(),
                        cell: f.cell.map(|c| c.a1()),
                        field: f.field.clone(),
                        value: f.value.clone(),
                        message: f.message.clone(),
                        detail: f.detail.clone(),
                    })
                    .collect(),
            }
        })
        .collect()
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    page: Option<usize>,
}

/// Rows shown per page on a prefecture's page.
const ROWS_PER_PAGE: usize = 50;

#[derive(Debug, Serialize)]
struct PrefecturePage {
    title: String,
    csrf: String,
    period: String,
    period_label: String,
    prefecture: String,
    code: String,
    status: Option<&'static str>,
    reason: Option<String>,
    files: Vec<FileCard>,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    total_rows: usize,
    row_source: String,
    page: usize,
    pages: usize,
    first_row: usize,
}

/// `/p/{period}/prefecture/{code}`.
pub async fn page(
    State(app): State<Shared>,
    Extension(s): Extension<OfficeSession>,
    PeriodParam(period): PeriodParam,
    UrlPath((_, code)): UrlPath<(String, String)>,
    Query(q): Query<PageQuery>,
) -> WebResult<Html<String>> {
    let period = started(&app, period)?;
    let pref = app.refdata.prefectures.lookup(&code).cloned().ok_or_else(|| WebError::NotFound("没有这个市州。".into()))?;
    let snap = snapshot(&app, period).await?;
    let line = snap.merged.prefectures.iter().find(|p| p.name == pref.name).cloned();
    let counting = line.as_ref().and_then(|l| l.file.clone());
    let specs = &app.refdata.ledger.columns;
    let counted = snap.subs.iter().find(|s| s.prefecture.as_deref() == Some(pref.name.as_str()) && counting.as_deref() == Some(s.file_name().as_str()));
    let rows: Vec<Vec<String>> = counted.map(|s| s.distinct_rows().map(|r| (0..specs.len()).map(|i| r.text(i).to_string()).collect()).collect()).unwrap_or_default();
    let pages = rows.len().div_ceil(ROWS_PER_PAGE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let view = PrefecturePage {
        title: format!("{} {}", pref.name, period.label()),
        csrf: s.csrf,
        period: period.code(),
        period_label: period.label(),
        status: line.as_ref().map(|l| l.status_label()),
        reason: line.as_ref().and_then(|l| l.reason.clone()),
        files: files_of(&app, &snap, &pref.name, false),
        headers: specs.iter().map(|c| c.name.clone()).collect(),
        total_rows: rows.len(),
        row_source: counted.map(crate::Submission::file_name).unwrap_or_default(),
        rows: rows.into_iter().skip((page - 1) * ROWS_PER_PAGE).take(ROWS_PER_PAGE).collect(),
        page,
        pages,
        first_row: (page - 1) * ROWS_PER_PAGE,
        prefecture: pref.name,
        code: pref.code,
    };
    render(&app, "prefecture.html", &view)
}
