//! A period's page: the steps of the period (模板 → 发出 → 收取 → 审核 → 汇总), each with its state, the
//! board of the 21 prefectures, the period's actions and their log; and the page that offers to start a
//! period not started yet.

use axum::Json;
use axum::extract::{Extension, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;

use crate::inbox::workspace::ActionLog;
use crate::period::Period;

use super::super::board::Board;
use super::super::state::{board_of, snapshot};
use super::super::error::WebResult;
use super::super::guard::office::OfficeSession;
use super::super::state::{App, Shared};
use super::{PeriodLink, PeriodParam, periods, render};

/// One step of a period, with where it stands.
#[derive(Debug, Serialize)]
pub struct Step {
    pub name: &'static str,
    pub done: bool,
    pub detail: String,
}

/// The board page.
#[derive(Debug, Serialize)]
struct BoardPage {
    title: String,
    csrf: String,
    board: Board,
    periods: Vec<PeriodLink>,
    next_period: String,
    next_label: String,
    collecting: bool,
    deadline: Option<String>,
    days_left: Option<i64>,
    steps: Vec<Step>,
    rollup_exists: bool,
    briefing: BriefingView,
    templates: usize,
    contacts: Option<String>,
    imap: ImapSettings,
    mail: MailSettings,
    own_rows: Vec<OwnFigure>,
    actions: Vec<ActionLog>,
    local_only: bool,
    /// The period's scheduled reminders, when set.
    schedule: Option<ScheduleView>,
}

/// A period's scheduled reminders as the form shows them.
#[derive(Debug, Serialize)]
struct ScheduleView {
    days_before: u32,
    at: String,
}

/// The office's documents of the period: the issue numbers they will take and whether they were drafted.
#[derive(Debug, Serialize)]
struct BriefingView {
    briefing_number: u32,
    notice_number: u32,
    briefing_exists: bool,
    notice_exists: bool,
}

impl BriefingView {
    fn of(app: &App, period: Period) -> Self {
        use crate::briefing::{Kind, default_number};
        let first = default_number(period);
        let exists = |kind: Kind| app.wording().is_ok_and(|w| app.briefing_path(period, kind, &w).is_file());
        BriefingView {
            briefing_number: app.ws.issue_number(Kind::Briefing.label(), period, first),
            notice_number: app.ws.issue_number(Kind::Notice.label(), period, first),
            briefing_exists: exists(Kind::Briefing),
            notice_exists: exists(Kind::Notice),
        }
    }
}

/// The mailbox the office collects from, as last used (never the password).
#[derive(Debug, Serialize)]
struct ImapSettings {
    server: Option<String>,
    user: Option<String>,
    security: Option<String>,
    mailbox: Option<String>,
    since: Option<String>,
    password_set: bool,
}

/// The sender and SMTP server the office sends with, as last used (never the password).
#[derive(Debug, Serialize)]
pub struct MailSettings {
    pub from: Option<String>,
    pub smtp_server: Option<String>,
    pub smtp_user: Option<String>,
    pub smtp_security: Option<String>,
    pub password_set: bool,
}

impl MailSettings {
    pub fn of(app: &App) -> Self {
        MailSettings {
            from: app.ws.setting("mail.from"),
            smtp_server: app.ws.setting("smtp.server"),
            smtp_user: app.ws.setting("smtp.user"),
            smtp_security: app.ws.setting("smtp.security"),
            password_set: std::env::var(crate::mail::SMTP_PASSWORD_VAR).is_ok_and(|p| !p.is_empty()),
        }
    }
}

/// A figure the province reports itself, with what the office entered.
#[derive(Debug, Serialize)]
struct OwnFigure {
    id: String,
    name: String,
    unit: String,
    target: String,
    value: Option<String>,
}

/// `/`: the period the links collect for, else the latest; a workspace with none offers to start one.
pub async fn home(State(app): State<Shared>, Extension(s): Extension<OfficeSession>) -> WebResult<Response> {
    match app.ws.collecting() {
        Some(p) => Ok(Redirect::to(&format!("/p/{}", p.code())).into_response()),
        None => Ok(start_page(&app, &s, suggested(&app)).await?.into_response()),
    }
}

/// The period the office most likely starts next: after the latest, or the quarter of today.
fn suggested(app: &App) -> Period {
    use chrono::Datelike;
    app.ws.periods().last().map(Period::next).unwrap_or_else(|| {
        let today = chrono::Local::now().date_naive();
        Period::new(today.year() as u16, ((today.month() - 1) / 3 + 1) as u8).unwrap_or(Period { year: 2018, quarter: 3 })
    })
}

/// The page offering to start `period` (by a POST: opening a page never starts one).
#[derive(Debug, Serialize)]
struct StartPage {
    title: String,
    csrf: String,
    period: String,
    period_label: String,
    periods: Vec<PeriodLink>,
    previous_rollup: bool,
}

async fn start_page(app: &App, s: &OfficeSession, period: Period) -> WebResult<Html<String>> {
    let view = StartPage {
        title: format!("开始{}", period.label()),
        csrf: s.csrf.clone(),
        period: period.code(),
        period_label: period.label(),
        periods: periods(app, None),
        previous_rollup: app.previous_rollup(period).is_some(),
    };
    render(app, "start.html", &view)
}

/// `/p/{period}`: the period's page, or, for a period not started, the page offering to start it.
pub async fn page(State(app): State<Shared>, Extension(s): Extension<OfficeSession>, PeriodParam(period): PeriodParam) -> WebResult<Response> {
    if !app.ws.has(period) {
        return Ok(start_page(&app, &s, period).await?.into_response());
    }
    let snap = snapshot(&app, period).await?;
    let board = board_of(&app, &snap);
    let (deadline, days_left) = app.countdown(period);
    let own = app.own_figures(period);
    let own_rows = app
        .refdata
        .indicators
        .indicators
        .iter()
        .filter(|i| i.aggregate == crate::refdata::Aggregate::Province)
        .map(|i| OwnFigure { id: i.id.clone(), name: i.name.clone(), unit: i.unit.clone(), target: crate::indicators::target_text(i), value: own.get(&i.id).map(|v| crate::text::format_number(*v)) })
        .collect();
    let imap = ImapSettings {
        server: app.ws.setting("imap.server"),
        user: app.ws.setting("imap.user"),
        security: app.ws.setting("imap.security"),
        mailbox: app.ws.setting("imap.mailbox"),
        since: app.ws.setting(&format!("imap.since.{}", period.code())),
        password_set: std::env::var(crate::inbox::imap::IMAP_PASSWORD_VAR).is_ok_and(|p| !p.is_empty()),
    };
    let view = BoardPage {
        title: format!("{} 看板", period.label()),
        csrf: s.csrf.clone(),
        steps: steps(&app, period, &board),
        periods: periods(&app, Some(period)),
        next_period: period.next().code(),
        next_label: period.next().label(),
        collecting: app.ws.collecting() == Some(period),
        deadline,
        days_left,
        rollup_exists: app.rollup_path(period).is_file(),
        briefing: BriefingView::of(&app, period),
        templates: app.templates(period).1,
        contacts: app.contacts().and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned())),
        imap,
        mail: MailSettings::of(&app),
        own_rows,
        actions: app.ws.actions(period).unwrap_or_default(),
        local_only: app.local_only(),
        schedule: crate::serve::schedule::Schedule::of(&app, period).map(|s| ScheduleView { days_before: s.days_before, at: s.at.format("%H:%M").to_string() }),
        board,
    };
    Ok(render(&app, "board.html", &view)?.into_response())
}

/// Where each step of the period stands.
fn steps(app: &App, period: Period, board: &Board) -> Vec<Step> {
    let actions = app.ws.actions(period).unwrap_or_default();
    let last = |prefix: &str| actions.iter().find(|a| a.ok && a.what.starts_with(prefix)).map(|a| a.at.clone());
    let templates = app.templates(period).1;
    let rollup = app.rollup_path(period);
    vec![
        Step { name: "模板", done: templates > 0, detail: if templates > 0 { format!("已生成 {templates} 个") } else { "尚未生成".into() } },
        Step { name: "发出", done: last("模板邮件").is_some(), detail: last("模板邮件").map_or_else(|| "尚未发出".into(), |at| format!("{at} 已发出")) },
        Step { name: "收取", done: board.returned > 0, detail: format!("收到 {} 个文件,已报送 {}/{}", board.files, board.returned, board.total) },
        Step {
            name: "审核",
            done: board.returned > 0 && board.with_errors == 0,
            detail: if board.with_errors > 0 { format!("{} 个市州有错误待改", board.with_errors) } else if board.returned > 0 { "已报送的均无错误".into() } else { "待收到报送".into() },
        },
        Step {
            name: "汇总",
            done: rollup.is_file(),
            detail: last("全省汇总表").map_or_else(|| if rollup.is_file() { "已生成".into() } else { "尚未生成".into() }, |at| format!("{at} 已生成")),
        },
    ]
}

/// `/p/{period}/board`: the board alone, for the page to refresh itself.
pub async fn fragment(State(app): State<Shared>, PeriodParam(period): PeriodParam) -> WebResult<Html<String>> {
    let period = super::started(&app, period)?;
    let snap = snapshot(&app, period).await?;
    #[derive(Serialize)]
    struct Fragment {
        board: Board,
    }
    render(&app, "board_table.html", &Fragment { board: board_of(&app, &snap) })
}

/// `/p/{period}/status.json`: the numbers of the board, for the page's header.
pub async fn status(State(app): State<Shared>, PeriodParam(period): PeriodParam) -> WebResult<Json<serde_json::Value>> {
    let period = super::started(&app, period)?;
    let snap = snapshot(&app, period).await?;
    let b = board_of(&app, &snap);
    Ok(Json(serde_json::json!({ "period": b.period, "returned": b.returned, "total": b.total, "with_errors": b.with_errors, "files": b.files })))
}
