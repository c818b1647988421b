//! The period's actions from the office's page: start a period, choose the one the links collect for,
//! make the templates, build the rollup, enter the province's own figures, keep the contacts sheet,
//! regenerate a link. Each calls one library operation and answers an [`ActionResult`] — a title, lines
//! and a table a person reads, which stays on the page until dismissed — and is kept in the period's log.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Multipart, Path as UrlPath, State};
use serde::{Deserialize, Serialize};

use crate::period::Period;

use super::error::{WebError, WebResult};
use super::pages::{PeriodParam, started};
use super::state::{App, Shared};

/// What an action answers.
#[derive(Debug, Default, Serialize)]
pub struct ActionResult {
    pub ok: bool,
    pub title: String,
    pub lines: Vec<String>,
    pub table: Option<Table>,
    /// Where the page goes next, when the action changes what it shows (a period started).
    pub redirect: Option<String>,
    /// Downloads of what the action made (the rollup, the templates).
    pub links: Vec<Link>,
}

/// A download offered with an action's result.
#[derive(Debug, Serialize)]
pub struct Link {
    pub label: String,
    pub href: String,
}

/// A table of an action's result.
#[derive(Debug, Default, Serialize)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl ActionResult {
    pub fn done(title: impl Into<String>, lines: Vec<String>) -> Self {
        ActionResult { ok: true, title: title.into(), lines, ..ActionResult::default() }
    }

    pub fn failed(title: impl Into<String>, why: impl Into<String>) -> Self {
        ActionResult { ok: false, title: title.into(), lines: vec![why.into()], ..ActionResult::default() }
    }

    pub fn with_link(mut self, label: &str, href: String) -> Self {
        self.links.push(Link { label: label.into(), href });
        self
    }

    pub fn with_table(mut self, headers: &[&str], rows: Vec<Vec<String>>) -> Self {
        self.table = Some(Table { headers: headers.iter().map(|h| h.to_string()).collect(), rows });
        self
    }
}

/// Keeps `result` in the log of `period` and answers it.
pub fn logged(app: &App, period: Period, result: ActionResult) -> Json<ActionResult> {
    let summary = result.lines.first().cloned().unwrap_or_default();
    if let Err(e) = app.ws.log_action(period, &result.title, result.ok, &summary) {
        eprintln!("无法记录操作:{e}");
    }
    Json(result)
}

/// Runs blocking work (reading files, writing workbooks) off the async threads.
pub async fn blocking<T: Send + 'static>(app: &Shared, f: impl FnOnce(&App) -> T + Send + 'static) -> WebResult<T> {
    let a = Arc::clone(app);
    Ok(tokio::task::spawn_blocking(move || f(&a)).await?)
}

fn parse_date(text: Option<&str>, what: &str) -> WebResult<Option<chrono::NaiveDate>> {
    match text.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => d.parse().map(Some).map_err(|_| WebError::BadRequest(format!("{what}应写成 2018-10-10 的形式。"))),
        None => Ok(None),
    }
}

#[derive(Debug, Deserialize)]
pub struct StartForm {
    period: String,
    deadline: Option<String>,
    /// Make the links collect for it.
    collect: Option<String>,
    /// Make its templates at once.
    templates: Option<String>,
}

/// `POST /periods`: starts a period — its folders, its deadline — and, when asked, makes it the one
/// the links collect for and its templates, prefilled from the rollup of the period before.
pub async fn start_period(State(app): State<Shared>, axum::Form(form): axum::Form<StartForm>) -> WebResult<Json<ActionResult>> {
    let period: Period = form.period.trim().parse().map_err(|e: crate::period::PeriodError| WebError::BadRequest(e.to_string()))?;
    let deadline = parse_date(form.deadline.as_deref(), "截止日期")?;
    app.ws.ensure(period)?;
    if deadline.is_some() {
        app.ws.set_deadline(period, deadline)?;
    }
    let mut lines = vec![format!("已开始{}。", period.label())];
    if form.collect.is_some() || app.ws.periods().len() == 1 {
        app.ws.set_collecting(period)?;
        lines.push(format!("市州上传链接现在收集{}的报送。", period.label()));
    }
    if form.templates.is_some() {
        let made = templates(&app, period, deadline.or_else(|| app.ws.deadline(period))).await?;
        lines.extend(made.lines);
    }
    let mut result = ActionResult::done(format!("开始{}", period.label()), lines);
    result.redirect = Some(format!("/p/{}", period.code()));
    Ok(logged(&app, period, result))
}

/// `POST /p/{period}/collecting`: the links collect for this period from now on.
pub async fn set_collecting(State(app): State<Shared>, PeriodParam(period): PeriodParam) -> WebResult<Json<ActionResult>> {
    let period = started(&app, period)?;
    app.ws.set_collecting(period)?;
    let result = ActionResult::done("设为链接收集的期别", vec![format!("市州上传链接现在收集{}的报送;链接页面写明这一期别。", period.label())]);
    Ok(logged(&app, period, result))
}

#[derive(Debug, Deserialize)]
pub struct TemplatesForm {
    deadline: Option<String>,
}

/// `POST /p/{period}/templates`: the period's templates, prefilled from the previous period's rollup.
pub async fn make_templates(State(app): State<Shared>, PeriodParam(period): PeriodParam, axum::Form(form): axum::Form<TemplatesForm>) -> WebResult<Json<ActionResult>> {
    let period = started(&app, period)?;
    let deadline = parse_date(form.deadline.as_deref(), "截止日期")?.or_else(|| app.ws.deadline(period));
    app.ws.set_deadline(period, deadline)?;
    let result = templates(&app, period, deadline).await?;
    Ok(logged(&app, period, result))
}

async fn templates(app: &Shared, period: Period, deadline: Option<chrono::NaiveDate>) -> WebResult<ActionResult> {
    let req = crate::template::TemplateRequest { period, out: app.templates(period).0, prefectures: Vec::new(), deadline, force: true, from: app.previous_rollup(period) };
    let run = blocking(app, move |a| crate::template::write_period(&a.refdata, &req)).await?;
    Ok(match run {
        Ok(run) => {
            let mut lines = vec![format!("已生成 {} 个模板{}。", run.report.written.len(), deadline.map(|d| format!(",截止日期 {d}")).unwrap_or_default())];
            if let Some(p) = &run.prefilled {
                lines.push(format!("已按上期汇总表预填 {} 个市州的 {} 家企业。", p.prefectures, p.rows));
                if !p.blank.is_empty() {
                    lines.push(format!("{} 个市州上期未报送,模板不预填:{}。", p.blank.len(), p.blank.join("、")));
                }
            }
            let rows = run.report.failed.iter().map(|(p, why)| vec![p.display().to_string(), why.to_string()]).collect::<Vec<_>>();
            let r = ActionResult { ok: run.report.failed.is_empty(), title: "生成模板".into(), lines, ..ActionResult::default() }
                .with_link("下载模板(zip)", format!("/p/{}/templates.zip", period.code()));
            if rows.is_empty() { r } else { r.with_table(&["文件", "未能生成的原因"], rows) }
        }
        Err(e) => ActionResult::failed("生成模板", e.to_string()),
    })
}

/// `POST /p/{period}/rollup`: the period's rollup, against the previous period's when there is one.
pub async fn make_rollup(State(app): State<Shared>, PeriodParam(period): PeriodParam) -> WebResult<Json<ActionResult>> {
    let period = started(&app, period)?;
    let opts = crate::rollup::consolidate::ConsolidateOptions {
        paths: vec![app.inbox(period)],
        out: app.rollup_path(period),
        csv: None,
        parquet: None,
        force: true,
        batch: app.batch_for(period),
        previous: app.previous_rollup(period),
        province_figures: Some(app.own_figures_path(period)).filter(|p| p.is_file()),
        spill_above: crate::rollup::consolidate::SPILL_ABOVE_BYTES,
        dataset: Some(app.dataset_target(period)),
    };
    let done = blocking(&app, move |a| crate::rollup::consolidate::consolidate(&a.refdata, &opts, &mut |_, _, _| {})).await?;
    let result = match done {
        Ok(c) => rollup_result(&app, &c).with_link("下载汇总表", format!("/p/{}/rollup.xlsx", period.code())),
        Err(e) => ActionResult::failed("生成全省汇总表", e.to_string()),
    };
    Ok(logged(&app, period, result))
}

/// The rollup's result as the page shows it: the counts, the comparison with the previous period, and
/// the line of each prefecture.
fn rollup_result(app: &App, c: &crate::rollup::consolidate::Consolidated) -> ActionResult {
    let total = app.refdata.prefectures.all().len();
    let mut lines = vec![format!(
        "{} 已报送 {}/{total} 个市州,共 {} 家企业;问题:错误 {} 条,警告 {} 条,提示 {} 条。汇总表已写入。",
        crate::period::label_of(c.period),
        c.returned(),
        c.enterprises,
        c.counts.errors,
        c.counts.warnings,
        c.counts.infos
    )];
    if let Some(d) = &c.diff {
        lines.push(format!("与上期相比:{}", d.summary()));
    }
    lines.extend(c.rollup_findings.iter().map(|f| f.message.clone()));
    let rows = c
        .prefectures
        .iter()
        .filter(|p| !p.zone.is_empty())
        .map(|p| vec![p.name.clone(), p.status.label().to_string(), p.enterprises.to_string(), p.tasks_reported.to_string(), p.counts.errors.to_string(), p.counts.warnings.to_string(), p.file.clone().or_else(|| p.reason.clone()).unwrap_or_default()])
        .collect();
    ActionResult::done("生成全省汇总表", lines).with_table(&["市州", "报送状态", "企业数", "任务进展", "错误", "警告", "采用的文件或原因"], rows)
}

#[derive(Debug, Deserialize)]
pub struct BriefingForm {
    /// 简报 or 通报.
    kind: String,
    number: Option<String>,
    date: Option<String>,
}

/// The document a form's `kind` names, and the path segment its download is offered under.
pub fn briefing_kind(kind: &str) -> Option<(crate::briefing::Kind, &'static str)> {
    match kind.trim() {
        "简报" | "briefing" => Some((crate::briefing::Kind::Briefing, "briefing")),
        "通报" | "notice" => Some((crate::briefing::Kind::Notice, "notice")),
        _ => None,
    }
}

/// `POST /p/{period}/briefing`: the period's 简报 or 通报 drafted from its rollup (against the previous
/// period's), written beside the rollup and offered to download. The issue number is the workspace's
/// (the next one for a period not numbered yet), or the one the office typed, which is kept.
pub async fn make_briefing(State(app): State<Shared>, PeriodParam(period): PeriodParam, axum::Form(form): axum::Form<BriefingForm>) -> WebResult<Json<ActionResult>> {
    let period = started(&app, period)?;
    let (kind, segment) = briefing_kind(&form.kind).ok_or_else(|| WebError::BadRequest("请选择简报或通报。".into()))?;
    let title = format!("起草{}", kind.label());
    let number = match form.number.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(n.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| WebError::BadRequest("期号应为正整数。".into()))?),
        None => None,
    };
    let date = parse_date(form.date.as_deref(), "印发日期")?;
    let rollup = app.rollup_path(period);
    if !rollup.is_file() {
        return Ok(logged(&app, period, ActionResult::failed(title, "请先生成本期全省汇总表,简报和通报根据汇总表起草。")));
    }
    let wording = match app.wording() {
        Ok(w) => w,
        Err(e) => return Ok(logged(&app, period, ActionResult::failed(title, e.to_string()))),
    };
    let number = number.unwrap_or_else(|| app.ws.issue_number(kind.label(), period, crate::briefing::default_number(period)));
    let req = crate::briefing::BriefingRequest {
        kind,
        out: app.briefing_path(period, kind, &wording),
        rollup,
        previous: app.previous_rollup(period),
        // The workspace's dataset, which every rollup made here writes its period into.
        dataset: Some(app.dataset_dir()).filter(|d| d.is_dir()),
        number: Some(number),
        date: date.map(crate::briefing::DateChoice::On),
        wording: Some(app.ws.root.join(crate::briefing::wording::FILE_NAME)).filter(|p| p.is_file()),
        force: true,
    };
    let done = blocking(&app, move |a| crate::briefing::draft(&a.refdata, &req)).await?;
    let result = match done {
        Ok(d) => {
            app.ws.set_issue_number(kind.label(), period, d.number)?;
            ActionResult::done(title, vec![d.summary(), format!("已写入「{}」。", d.out.display())]).with_link(&format!("下载{}(Word)", kind.label()), format!("/p/{}/doc/{segment}.docx", period.code()))
        }
        Err(e) => ActionResult::failed(title, e.to_string()),
    };
    Ok(logged(&app, period, result))
}

/// `POST /p/{period}/province-figures`: the figures the province reports itself (one field per
/// indicator id), each read as the rollup reads it; a value that is not one number is refused with its
/// indicator named, and nothing is saved.
pub async fn save_own_figures(State(app): State<Shared>, PeriodParam(period): PeriodParam, axum::Form(form): axum::Form<std::collections::BTreeMap<String, String>>) -> WebResult<Json<ActionResult>> {
    let period = started(&app, period)?;
    let title = "保存省局填报的指标";
    let mut lines = vec!["指标,完成值".to_string()];
    for ind in app.refdata.indicators.indicators.iter().filter(|i| i.aggregate == crate::refdata::Aggregate::Province) {
        let Some(text) = form.get(&ind.id).map(|t| t.trim()).filter(|t| !t.is_empty()) else { continue };
        match crate::indicators::parse_value(text, ind.unit == "%") {
            Some(v) => lines.push(format!("{},{}", ind.name, crate::text::format_number(v.value))),
            None => {
                let hint = if ind.unit == "%" { "(百分比写成 91.5 或 91.5%)" } else { "" };
                return Ok(Json(ActionResult::failed(title, format!("「{}」的完成值「{text}」不是一个数值{hint},未保存。", ind.name))));
            }
        }
    }
    let text = format!("\u{feff}{}\n", lines.join("\n"));
    crate::output::write_atomic(&app.own_figures_path(period), text.as_bytes()).map_err(|e| WebError::Internal(e.to_string()))?;
    let result = ActionResult::done(title, vec![format!("已保存 {} 项省局填报的指标,看板和汇总表按此计算。", lines.len() - 1)]);
    Ok(logged(&app, period, result))
}

/// `POST /contacts`: replaces the workspace's contacts sheet with an uploaded one (xlsx, xls or csv),
/// read by the reader `mail` uses before it replaces anything.
pub async fn upload_contacts(State(app): State<Shared>, mut form: Multipart) -> WebResult<Json<ActionResult>> {
    let title = "上传联系人表";
    let field = form.next_field().await.map_err(|e| WebError::BadRequest(format!("上传中断:{e}")))?.ok_or_else(|| WebError::BadRequest("没有收到联系人表。".into()))?;
    let name = field.file_name().unwrap_or("").to_ascii_lowercase();
    let Some(ext) = ["xlsx", "xls", "csv"].into_iter().find(|e| name.ends_with(&format!(".{e}"))) else {
        return Err(WebError::BadRequest("联系人表应为 xlsx、xls 或 csv 文件,含「市州」「联系人」「邮箱」三列。".into()));
    };
    let bytes = field.bytes().await.map_err(|e| WebError::BadRequest(format!("上传中断:{e}")))?;
    if bytes.len() as u64 > app.batch.limits.max_file_bytes {
        return Err(WebError::TooLarge("联系人表过大。".into()));
    }
    let tmp = app.ws.root.join(format!(".联系人-上传中.{ext}"));
    std::fs::write(&tmp, &bytes).map_err(|e| WebError::Internal(e.to_string()))?;
    let n = match crate::mail::read_contacts(&app.refdata, &tmp) {
        Ok((c, _)) => c.iter().filter(|c| c.email.is_some()).count(),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Ok(Json(ActionResult::failed(title, e.to_string())));
        }
    };
    for old in ["联系人.xlsx", "联系人.xls", "联系人.csv"] {
        let _ = std::fs::remove_file(app.ws.root.join(old));
    }
    std::fs::rename(&tmp, app.ws.root.join(format!("联系人.{ext}"))).map_err(|e| WebError::Internal(e.to_string()))?;
    Ok(Json(ActionResult::done(title, vec![format!("已保存联系人表,共 {n} 个市州有邮箱。")])))
}

/// `POST /links/{code}/regenerate`: a new link for a prefecture; the old one stops at once.
pub async fn regenerate_link(State(app): State<Shared>, UrlPath(code): UrlPath<String>) -> WebResult<Json<ActionResult>> {
    let p = app.refdata.prefectures.lookup(&code).cloned().ok_or_else(|| WebError::NotFound("没有这个市州。".into()))?;
    let token = app.ws.regenerate_link(&p.code)?;
    Ok(Json(ActionResult::done("重新生成上传链接", vec![format!("已为{}生成新的上传链接,原链接已失效:", p.name), app.link_url(&token)])))
}
