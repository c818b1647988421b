//! Uploads, from the office's page and through the prefectures' links: every file stored unchanged in
//! the period's inbox (streamed to disk, refused as soon as it passes the reader's limit, refused before
//! it is stored when it is no kind of return) and checked at once, as `check` would.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Extension, Multipart, State};
use serde::Serialize;

use crate::inbox::Origin;
use crate::inbox::workspace::{Receipt, Stored};
use crate::period::Period;

use super::board::Snapshot;
use super::state::snapshot;
use super::error::{WebError, WebResult};
use super::guard::link::LinkAccess;
use super::pages::links::{MAX_UPLOADS_PER_PERIOD, collecting};
use super::pages::prefecture::stored_name_of;
use super::pages::{PeriodParam, started};
use super::state::{App, Shared};

/// The result of one uploaded file, as the page shows it.
#[derive(Debug, Default, Serialize)]
pub struct UploadResult {
    pub original: String,
    pub stored: Option<String>,
    pub duplicate_of: Option<String>,
    pub error: Option<String>,
    pub summary: Option<String>,
    pub prefecture: Option<String>,
    pub errors: usize,
    pub warnings: usize,
    pub findings: Vec<String>,
    /// The period the file was filed into, when it is not the one uploaded to (a late return).
    pub filed_into: Option<String>,
    #[serde(skip)]
    receipt: Option<Receipt>,
}

impl UploadResult {
    fn failed(original: String, error: String) -> Self {
        UploadResult { original, error: Some(error), ..UploadResult::default() }
    }
}

/// `/p/{period}/upload`: the office's upload.
pub async fn office(State(app): State<Shared>, PeriodParam(period): PeriodParam, form: Multipart) -> WebResult<Json<Vec<UploadResult>>> {
    let period = started(&app, period)?;
    Ok(Json(receive(&app, period, form, Origin::Office, None).await?))
}

/// `/u/{token}/upload`: what a prefecture uploads through its link, stored as its own; a return that
/// states another started period of the workspace (last quarter's, sent late) is filed into that period.
pub async fn link(State(app): State<Shared>, Extension(access): Extension<LinkAccess>, form: Multipart) -> WebResult<Json<Vec<UploadResult>>> {
    let period = collecting(&app)?;
    let pref = access.prefecture.name.clone();
    let mut results = receive(&app, period, form, Origin::Link { prefecture: pref.clone() }, Some(MAX_UPLOADS_PER_PERIOD)).await?;
    refile_late(&app, period, &mut results).await?;
    for r in &mut results {
        // A file of the same content received before is not named, nor, when it is another
        // prefecture's, are its findings shown.
        if r.duplicate_of.is_some() {
            r.duplicate_of = Some("此前收到的文件".into());
            if r.prefecture.as_deref() != Some(pref.as_str()) {
                *r = UploadResult { original: std::mem::take(&mut r.original), duplicate_of: r.duplicate_of.take(), ..UploadResult::default() };
            }
        }
    }
    Ok(Json(results))
}

/// Receives the files of an upload from `origin` (a link's at most `quota` a period): each is stored
/// unchanged in the inbox and checked at once.
async fn receive(app: &Shared, period: Period, mut form: Multipart, origin: Origin, quota: Option<usize>) -> WebResult<Vec<UploadResult>> {
    let mut results = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(WebError::BadRequest(format!("上传中断:{e}"))),
        };
        let original = field.file_name().unwrap_or("未命名文件").to_string();
        // A lock file or a file manager's dropping travels with returns but is none (told by its name as
        // sent), and a program or a picture is no return (told by the name it would be stored under):
        // neither is stored.
        let sent = original.rsplit(['/', '\\']).next().unwrap_or(&original);
        let refused = crate::inbox::skip_reason(sent)
            .map(|why| format!("未保存:{why},不是报送文件。"))
            .or_else(|| crate::inbox::names::refused_kind(&crate::inbox::names::sanitize(&original)));
        if let Some(why) = refused {
            results.push(UploadResult::failed(original, why));
            continue;
        }
        if let (Some(limit), Some(p)) = (quota, origin.link())
            && app.ws.link_uploads(period, p) >= limit
        {
            results.push(UploadResult::failed(original, crate::inbox::workspace::WorkspaceError::QuotaReached { limit }.to_string()));
            break;
        }
        let (result, go_on) = store_field(app, period, field, original, origin.clone(), quota).await;
        results.push(result);
        if !go_on {
            // The rest of the upload is not read: the connection is closed after the response.
            break;
        }
    }
    let snap = snapshot(app, period).await?;
    for r in &mut results {
        checked(app, &snap, r);
    }
    Ok(results)
}

/// Streams one file of an upload into the inbox; whether the upload can go on (not after a file that
/// broke off or passed the limit).
async fn store_field(app: &Shared, period: Period, mut field: axum::extract::multipart::Field<'_>, original: String, origin: Origin, quota: Option<usize>) -> (UploadResult, bool) {
    let mut up = match app.ws.begin_upload(period, &original, app.batch.limits.max_file_bytes) {
        Ok(u) => u,
        Err(e) => return (UploadResult::failed(original, e.to_string()), true),
    };
    loop {
        let failed = match field.chunk().await {
            Ok(Some(bytes)) => up.write(&bytes).err().map(|e| e.to_string()),
            Ok(None) => break,
            Err(e) => Some(format!("上传中断:{e}")),
        };
        if let Some(e) = failed {
            // Dropping the upload removes its temporary file: nothing is stored.
            drop(up);
            return (UploadResult::failed(original, e), false);
        }
    }
    let a = Arc::clone(app);
    let stored = tokio::task::spawn_blocking(move || a.ws.finish_upload(up, &origin, quota)).await;
    let result = match stored {
        Ok(Ok(Stored::New(r))) => UploadResult { original, stored: Some(r.stored_name.clone()), receipt: Some(r), ..UploadResult::default() },
        Ok(Ok(Stored::Duplicate(r))) => UploadResult { original, duplicate_of: Some(r.stored_name), ..UploadResult::default() },
        Ok(Err(e)) => UploadResult::failed(original, e.to_string()),
        Err(e) => UploadResult::failed(original, e.to_string()),
    };
    (result, true)
}

/// Adds to an upload's result what the check of its stored file found.
fn checked(app: &App, snap: &Snapshot, r: &mut UploadResult) {
    let Some(name) = r.stored.as_ref().or(r.duplicate_of.as_ref()) else { return };
    // What could not even be read as a file (an archive member past the limits …).
    for f in snap.skipped.iter().filter(|f| stored_name_of(app, snap.period, &f.file) == *name) {
        r.errors += usize::from(f.severity == crate::Severity::Error);
        r.findings.push(f.to_string().replacen(&f.file, &crate::submission::base_name(&f.file), 1));
    }
    for s in snap.subs.iter().filter(|s| stored_name_of(app, snap.period, &s.name) == *name) {
        let c = s.counts();
        r.errors += c.errors;
        r.warnings += c.warnings;
        r.prefecture = s.prefecture.clone();
        r.summary = Some(s.summary_line().replacen(&s.name, &s.file_name(), 1));
        r.findings.extend(s.findings.iter().filter(|f| f.severity != crate::Severity::Info).map(|f| f.to_string().replacen(&s.name, &s.file_name(), 1)));
    }
}

/// Files a link's returns that state another started period into it, saying so on their result.
async fn refile_late(app: &Shared, period: Period, results: &mut [UploadResult]) -> WebResult<()> {
    let snap = snapshot(app, period).await?;
    let mut moved = Vec::new();
    for r in results.iter_mut() {
        let Some(receipt) = r.receipt.clone() else { continue };
        let stated = snap.subs.iter().filter(|s| stored_name_of(app, period, &s.name) == receipt.stored_name).find_map(|s| s.period.filter(|p| *p != period && app.ws.has(*p)));
        let Some(to) = stated else { continue };
        let a = Arc::clone(app);
        let r2 = tokio::task::spawn_blocking(move || a.ws.refile(&receipt, to)).await??;
        r.stored = Some(r2.stored_name);
        r.filed_into = Some(to.code());
        moved.push(to);
    }
    if moved.is_empty() {
        return Ok(());
    }
    for to in moved {
        let snap = snapshot(app, to).await?;
        for r in results.iter_mut().filter(|r| r.filed_into.as_deref() == Some(to.code().as_str())) {
            *r = UploadResult { original: std::mem::take(&mut r.original), stored: r.stored.take(), filed_into: r.filed_into.take(), ..UploadResult::default() };
            checked(app, &snap, r);
            r.summary = Some(format!("{}(本文件是{}的台账,已计入{}的报送)", r.summary.take().unwrap_or_default(), to.label(), to.label()));
        }
    }
    snapshot(app, period).await?;
    Ok(())
}
