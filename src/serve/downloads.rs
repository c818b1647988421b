//! What the console gives to download: a received file exactly as it arrived (always as a download,
//! never shown as a page), a prefecture's corrections (built in memory on request, no file touched), the
//! period's templates in one zip, and the rollup.

use std::path::Path;

use axum::body::Body;
use axum::extract::{Extension, Path as UrlPath, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::state::snapshot;
use super::error::{WebError, WebResult};
use super::guard::link::LinkAccess;
use super::guard::office::OfficeSession;
use super::pages::links::{collecting, template_of};
use super::pages::{Message, PeriodParam, render, started};
use super::state::{App, Shared};
use crate::period::Period;

/// Bytes as a download named `name` (RFC 5987 for the Chinese name), never as a page.
pub fn download(bytes: Vec<u8>, name: &str) -> Response {
    let encoded: String = name.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-._".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    let disposition = format!("attachment; filename=\"download\"; filename*=UTF-8''{encoded}");
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// A file on disk as a download.
fn attachment(path: &Path, name: &str) -> WebResult<Response> {
    let bytes = std::fs::read(path).map_err(|_| WebError::NotFound("文件不存在。".into()))?;
    Ok(download(bytes, name))
}

/// `/p/{period}/file/{id}`: a received file, by its receipt (the stored name comes from the receipt,
/// never from the request).
pub async fn receipt(State(app): State<Shared>, PeriodParam(period): PeriodParam, UrlPath((_, id)): UrlPath<(String, i64)>) -> WebResult<Response> {
    let period = started(&app, period)?;
    let receipts = app.ws.receipts(period)?;
    let r = receipts.iter().find(|r| r.id == id).ok_or_else(|| WebError::NotFound("没有这个文件。".into()))?;
    attachment(&app.inbox(period).join(&r.stored_name), &r.stored_name)
}

/// The corrections of `prefecture` in `period`, built from the inbox as it is now, as a download; a page
/// saying so when its returns need none. `back` is where that page leads, `csrf` what it carries.
async fn corrections(app: &Shared, period: Period, prefecture: &str, back: &str, csrf: &str) -> WebResult<Response> {
    let snap = snapshot(app, period).await?;
    let a = std::sync::Arc::clone(app);
    let who = prefecture.to_string();
    let built = tokio::task::spawn_blocking(move || crate::feedback::for_prefecture(&a.refdata, &snap.subs, Some(period), &who)).await?;
    match built.map_err(|e| WebError::Internal(e.to_string()))? {
        Some(c) => Ok(download(c.bytes, &c.name)),
        None => {
            let m = Message { title: "无需审核意见".into(), message: format!("{prefecture}本期的报送没有需要修改的问题。"), back: back.into(), csrf: csrf.into() };
            Ok(render(app, "message.html", &m)?.into_response())
        }
    }
}

/// `/p/{period}/feedback/{code}`: a prefecture's corrections, for the office.
pub async fn office_feedback(State(app): State<Shared>, Extension(s): Extension<OfficeSession>, PeriodParam(period): PeriodParam, UrlPath((_, code)): UrlPath<(String, String)>) -> WebResult<Response> {
    let period = started(&app, period)?;
    let pref = app.refdata.prefectures.lookup(&code).cloned().ok_or_else(|| WebError::NotFound("没有这个市州。".into()))?;
    corrections(&app, period, &pref.name, &format!("/p/{}", period.code()), &s.csrf).await
}

/// `/u/{token}/feedback`: the prefecture's own corrections.
pub async fn link_feedback(State(app): State<Shared>, Extension(access): Extension<LinkAccess>) -> WebResult<Response> {
    let period = collecting(&app)?;
    corrections(&app, period, &access.prefecture.name, &access.home(), &access.csrf).await
}

/// `/u/{token}/template`: the prefecture's template of the period.
pub async fn link_template(State(app): State<Shared>, Extension(access): Extension<LinkAccess>) -> WebResult<Response> {
    let period = collecting(&app)?;
    let p = template_of(&app, period, &access.prefecture).ok_or_else(|| WebError::NotFound("本期模板尚未生成,请稍后再试或联系省局质量提升办。".into()))?;
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    attachment(&p, &name)
}

/// `/p/{period}/templates.zip`: the period's templates in one zip, to attach to a mail or save.
pub async fn templates_zip(State(app): State<Shared>, PeriodParam(period): PeriodParam) -> WebResult<Response> {
    let period = started(&app, period)?;
    let bytes = zip_templates(&app, period)?;
    Ok(download(bytes, &format!("{}质量提升台账模板.zip", period.code())))
}

fn zip_templates(app: &App, period: Period) -> WebResult<Vec<u8>> {
    let (dir, _) = app.templates(period);
    let mut names: Vec<std::path::PathBuf> = std::fs::read_dir(&dir).map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect()).unwrap_or_default();
    if names.is_empty() {
        return Err(WebError::NotFound("本期还没有生成模板。".into()));
    }
    names.sort();
    let failed = || WebError::Internal("打包模板失败。".into());
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // A fixed timestamp keeps the zip the same for the same templates.
    let opts = zip::write::SimpleFileOptions::default().last_modified_time(zip::DateTime::default());
    for p in &names {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let bytes = std::fs::read(p).map_err(|_| failed())?;
        w.start_file(name, opts).map_err(|_| failed())?;
        std::io::Write::write_all(&mut w, &bytes).map_err(|_| failed())?;
    }
    Ok(w.finish().map_err(|_| failed())?.into_inner())
}

/// `/p/{period}/rollup.xlsx`: the period's rollup as the console last built it.
pub async fn rollup(State(app): State<Shared>, PeriodParam(period): PeriodParam) -> WebResult<Response> {
    let period = started(&app, period)?;
    attachment(&app.rollup_path(period), &format!("{}全省汇总.xlsx", period.code()))
}

/// `/p/{period}/briefing.docx`, `/p/{period}/notice.docx`: the 简报 or 通报 as the console last drafted it.
pub async fn briefing(State(app): State<Shared>, PeriodParam(period): PeriodParam, UrlPath((_, file)): UrlPath<(String, String)>) -> WebResult<Response> {
    let period = started(&app, period)?;
    let (kind, _) = file.strip_suffix(".docx").and_then(super::actions::briefing_kind).ok_or_else(|| WebError::NotFound("没有这个文件。".into()))?;
    let wording = app.wording().map_err(|e| WebError::Internal(e.to_string()))?;
    let path = app.briefing_path(period, kind, &wording);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    attachment(&path, &name)
}
