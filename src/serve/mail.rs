//! The period's mail from the office's page: the templates, the corrections, or reminders to those
//! 未报送 or with errors — written as drafts into the period's 发件箱 (opened and sent from the office's
//! mail program) or sent through the office's SMTP server, with a result per prefecture; and the office
//! mailbox collected into the inbox. The sender and the servers are remembered in the workspace; a
//! password never is (typed for each use, or from the environment).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::inbox::workspace::{FEEDBACK, OUTBOX};
use crate::mail::{Destination, MailRequest, RemindRequest, Security, SmtpOptions};
use crate::period::Period;

use super::actions::{ActionResult, blocking, logged};
use super::error::{WebError, WebResult};
use super::pages::{PeriodParam, started};
use super::state::{App, Shared};

#[derive(Debug, Deserialize)]
pub struct MailForm {
    /// templates, feedback or remind.
    kind: String,
    from: Option<String>,
    /// outbox (drafts, the default) or smtp.
    send: Option<String>,
    smtp_server: Option<String>,
    /// tls, starttls or plain.
    smtp_security: Option<String>,
    smtp_user: Option<String>,
    smtp_password: Option<String>,
}

/// A mail server written `host[:port]`, the port by default the protocol's for its security.
fn server(text: &str, tls: bool, ports: (u16, u16)) -> Result<(String, u16), String> {
    let text = text.trim();
    match text.rsplit_once(':') {
        Some((h, p)) => match p.parse::<u16>() {
            Ok(p) if !h.is_empty() => Ok((h.to_string(), p)),
            _ => Err(format!("服务器应写成 {}:{} 的形式。", "mail.example.gov.cn", ports.0)),
        },
        None if !text.is_empty() => Ok((text.to_string(), if tls { ports.0 } else { ports.1 })),
        None => Err("请填写邮件服务器。".into()),
    }
}

fn keep(app: &App, key: &str, value: Option<&str>) -> WebResult<()> {
    if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
        app.ws.set_setting(key, v)?;
    }
    Ok(())
}

/// `POST /p/{period}/mail`.
pub async fn send(State(app): State<Shared>, PeriodParam(period): PeriodParam, axum::Form(form): axum::Form<MailForm>) -> WebResult<Json<ActionResult>> {
    let period = started(&app, period)?;
    let (dir, remind, label) = match form.kind.as_str() {
        "templates" => (app.templates(period).0, false, "模板"),
        "feedback" => (app.ws.dir(period, FEEDBACK), false, "审核意见"),
        "remind" => (app.inbox(period), true, "催报"),
        _ => return Err(WebError::BadRequest("未知的邮件类型。".into())),
    };
    let smtp = form.send.as_deref() == Some("smtp");
    let title = format!("{}{label}邮件", if smtp { "发送" } else { "写出" });
    let Some(contacts) = app.contacts() else {
        return Ok(Json(ActionResult::failed(title, "工作区中还没有联系人表。请先上传含「市州」「联系人」「邮箱」三列的联系人表。")));
    };
    keep(&app, "mail.from", form.from.as_deref())?;
    let from = app.ws.setting("mail.from").unwrap_or_else(|| crate::mail::DEFAULT_FROM.into());
    let destination = if smtp {
        match smtp_options(&app, &form)? {
            Ok(o) => Destination::Smtp(o),
            Err(why) => return Ok(Json(ActionResult::failed(title, why))),
        }
    } else {
        Destination::Outbox(app.ws.dir(period, OUTBOX).join(label))
    };
    if form.kind == "feedback" {
        // The corrections are written afresh from the inbox as it is now.
        let snap = super::state::snapshot(&app, period).await?;
        let d = dir.clone();
        blocking(&app, move |a| crate::feedback::write_all(&a.refdata, &snap.subs, Some(period), &d, true)).await?.map_err(|e| WebError::Internal(e.to_string()))?;
    }
    let links = if app.local_only() { Default::default() } else { super::pages::links::by_name(&app) };
    let req = MailRequest {
        options: crate::mail::MailOptions { dir: dir.clone(), contacts, from, subject: None, body: None, only: Vec::new(), links, deadline: app.ws.deadline(period) },
        destination,
        remind: remind.then(|| RemindRequest { inbox: vec![dir], batch: app.batch_for(period), deadline: app.ws.deadline(period) }),
    };
    let report = blocking(&app, move |a| crate::mail::deliver(&a.refdata, &req)).await?;
    let result = match report {
        Ok(r) => mail_result(&app, title, &r),
        Err(e) => ActionResult::failed(title, e.to_string()),
    };
    Ok(logged(&app, period, result))
}

/// The SMTP server of the form (kept for next time), or why it cannot be used.
fn smtp_options(app: &App, form: &MailForm) -> WebResult<Result<SmtpOptions, String>> {
    keep(app, "smtp.server", form.smtp_server.as_deref())?;
    keep(app, "smtp.security", form.smtp_security.as_deref())?;
    keep(app, "smtp.user", form.smtp_user.as_deref())?;
    Ok(saved_smtp(app, form.smtp_password.clone()))
}

/// The SMTP server kept in the workspace, with the password typed now or else from the environment; or
/// why it cannot be used.
pub(super) fn saved_smtp(app: &App, typed: Option<String>) -> Result<SmtpOptions, String> {
    let security = match app.ws.setting("smtp.security").as_deref() {
        Some("starttls") => Security::StartTls,
        Some("plain") => Security::Opportunistic,
        _ => Security::Implicit,
    };
    let Some(text) = app.ws.setting("smtp.server") else { return Err("请填写发件服务器(如 smtp.example.gov.cn:465)。".into()) };
    let (host, port) = server(&text, security == Security::Implicit, (465, 25))?;
    let password = typed.filter(|p| !p.is_empty()).or_else(|| std::env::var(crate::mail::SMTP_PASSWORD_VAR).ok().filter(|p| !p.is_empty()));
    let user = app.ws.setting("smtp.user").filter(|u| !u.is_empty());
    if user.is_some() && password.is_none() {
        return Err("请填写发件邮箱的密码(密码不保存,每次发送时填写)。".into());
    }
    Ok(SmtpOptions { host, port, security, user, password, ca_cert: app.ca_cert.clone(), attempts: 3, timeout: std::time::Duration::from_secs(30) })
}

/// A mail report as the page shows it: a line per outcome, a table of the prefectures.
pub(super) fn mail_result(app: &App, title: String, r: &crate::mail::MailReport) -> ActionResult {
    if r.nothing_to_remind {
        return ActionResult::done(title, vec!["各市州均已报送且没有错误,无需提醒。".into()]);
    }
    let failed = r.failed();
    let ok = r.delivered.len() - failed;
    let mut lines = vec![match &r.outbox {
        Some(dir) => format!("已写出 {ok} 封邮件草稿到「{}」,用 Outlook、Foxmail 等打开即可检查、发送;{failed} 个市州未能生成。", dir.strip_prefix(&app.ws.root).unwrap_or(dir).display()),
        None => format!("已发送 {ok} 封,失败 {failed} 封。"),
    }];
    lines.extend(r.notes.iter().cloned());
    if app.local_only() {
        lines.push("工作台只在本机上提供服务,邮件中没有写入市州的上传链接(市州无法打开本机地址);需要时请按「市州上传链接」页面的说明启动。".into());
    }
    let rows = r
        .delivered
        .iter()
        .map(|d| vec![d.prefecture.clone(), d.to.clone().unwrap_or_default(), match &d.result { Ok(_) if r.outbox.is_some() => "已写出".into(), Ok(reply) => format!("已发送:{reply}"), Err(e) => e.clone() }])
        .collect();
    let mut result = ActionResult::done(title, lines).with_table(&["市州", "收件人", "结果"], rows);
    result.ok = failed < r.delivered.len();
    result
}

#[derive(Debug, Deserialize)]
pub struct CollectForm {
    server: String,
    user: String,
    password: Option<String>,
    /// tls or starttls.
    security: Option<String>,
    mailbox: Option<String>,
    since: Option<String>,
}

/// `POST /p/{period}/collect`: the office mailbox into the period's inbox, each stored attachment
/// recorded as received by mail from its sender. The same library path as `collect --workspace`.
pub async fn collect(State(app): State<Shared>, PeriodParam(period): PeriodParam, axum::Form(form): axum::Form<CollectForm>) -> WebResult<Json<ActionResult>> {
    let period = started(&app, period)?;
    let title = "收取邮件";
    let tls = form.security.as_deref() != Some("starttls");
    let (host, port) = match server(&form.server, tls, (993, 143)) {
        Ok(hp) => hp,
        Err(why) => return Ok(Json(ActionResult::failed(title, why))),
    };
    let since = match form.since.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => match d.parse::<chrono::NaiveDate>() {
            Ok(d) => Some(d),
            Err(_) => return Ok(Json(ActionResult::failed(title, "起始日期应写成 2018-09-20 的形式。"))),
        },
        None => None,
    };
    let mailbox = form.mailbox.map(|m| m.trim().to_string()).filter(|m| !m.is_empty()).unwrap_or_else(|| "INBOX".into());
    for (k, v) in [
        ("imap.server", form.server.trim().to_string()),
        ("imap.user", form.user.trim().to_string()),
        ("imap.security", if tls { "tls".into() } else { "starttls".into() }),
        ("imap.mailbox", mailbox.clone()),
        (&format!("imap.since.{}", period.code()), since.map(|d| d.to_string()).unwrap_or_default()),
    ] {
        app.ws.set_setting(k, &v)?;
    }
    let password = form.password.filter(|p| !p.is_empty()).or_else(|| std::env::var(crate::inbox::imap::IMAP_PASSWORD_VAR).ok().filter(|p| !p.is_empty()));
    let opts = crate::inbox::imap::CollectOptions {
        host,
        port,
        security: if tls { Security::Implicit } else { Security::StartTls },
        user: form.user.trim().to_string(),
        password,
        ca_cert: app.ca_cert.clone(),
        mailbox,
        since,
        contacts: app.contacts(),
        into: app.inbox(period),
        timeout: std::time::Duration::from_secs(60),
    };
    let outcome = blocking(&app, move |a| crate::inbox::imap::collect_into(&a.refdata, &opts, &a.ws, period, &mut |_| {})).await?;
    let result = match outcome {
        Ok(o) => collect_result(period, &o),
        Err(e) => ActionResult::failed(title, e.to_string()),
    };
    Ok(logged(&app, period, result))
}

fn collect_result(period: Period, o: &crate::inbox::imap::Outcome) -> ActionResult {
    let problems = o.findings.iter().filter(|f| f.severity != crate::Severity::Info).count();
    let lines = vec![format!("共收取 {} 封新邮件,保存 {} 个附件到{}收件箱;需要处理的问题 {problems} 条。{}", o.messages, o.stored.len(), period.label(), if o.messages == 0 { "没有新邮件。" } else { "" })];
    let rows = o
        .receipts
        .iter()
        .map(|r| vec![r.message_label(), r.stored.clone().or_else(|| r.attachment.clone()).unwrap_or_default(), r.finding().map(|f| format!("{} {}", f.code, f.message)).unwrap_or_else(|| "已保存".into())])
        .collect();
    ActionResult::done("收取邮件", lines).with_table(&["邮件", "附件", "结果"], rows)
}
