//! Reminders on a schedule: from a number of days before the period's deadline up to the deadline, once
//! a day at a time of day, the console reminds every prefecture still 未报送 or 有错误 — through the
//! office's SMTP server when one is set up (its password from the environment, since none is stored),
//! else as drafts in the period's 发件箱. Only while the console runs; each run is kept in the period's
//! log like an action taken by hand.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::Deserialize;

use crate::inbox::workspace::OUTBOX;
use crate::mail::{Destination, MailRequest, RemindRequest};
use crate::period::Period;

use super::actions::{ActionResult, logged};
use super::error::WebResult;
use super::pages::{PeriodParam, started};
use super::state::{App, Shared};

/// When a period's reminders go out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// From this many days before the deadline.
    pub days_before: u32,
    /// At this time of day (the office PC's local time).
    pub at: NaiveTime,
}

impl Schedule {
    fn key(period: Period) -> String {
        format!("remind.schedule.{}", period.code())
    }

    fn last_key(period: Period) -> String {
        format!("remind.last.{}", period.code())
    }

    /// The schedule kept for `period`, if any.
    pub fn of(app: &App, period: Period) -> Option<Schedule> {
        let text = app.ws.setting(&Self::key(period))?;
        let (days, at) = text.split_once(' ')?;
        Some(Schedule { days_before: days.parse().ok()?, at: NaiveTime::parse_from_str(at, "%H:%M").ok()? })
    }

    /// Whether reminders are due at `now`: within the days before the deadline (the deadline day
    /// included), past the time of day, and not yet sent today.
    pub fn due(&self, deadline: NaiveDate, now: NaiveDateTime, last: Option<NaiveDate>) -> bool {
        let today = now.date();
        let first = deadline - chrono::Days::new(u64::from(self.days_before));
        today >= first && today <= deadline && now.time() >= self.at && last != Some(today)
    }
}

#[derive(Debug, Deserialize)]
pub struct ScheduleForm {
    /// "1" to remind on a schedule; absent to stop.
    enabled: Option<String>,
    days: Option<u32>,
    /// HH:MM.
    at: Option<String>,
}

/// `POST /p/{period}/remind-schedule`: sets or stops the period's reminders.
pub async fn set(State(app): State<Shared>, PeriodParam(period): PeriodParam, axum::Form(form): axum::Form<ScheduleForm>) -> WebResult<Json<ActionResult>> {
    let period = started(&app, period)?;
    let title = "定时催报".to_string();
    if form.enabled.as_deref() != Some("1") {
        app.ws.set_setting(&Schedule::key(period), "")?;
        return Ok(logged(&app, period, ActionResult::done(title, vec!["已停止定时催报。".into()])));
    }
    let Some(deadline) = app.ws.deadline(period) else {
        return Ok(Json(ActionResult::failed(title, "请先在「生成模板」处设置本期的报送截止日期。")));
    };
    let Some(at) = form.at.as_deref().and_then(|t| NaiveTime::parse_from_str(t.trim(), "%H:%M").ok()) else {
        return Ok(Json(ActionResult::failed(title, "请填写发送时间,如 09:00。")));
    };
    let days = form.days.unwrap_or(3).min(90);
    app.ws.set_setting(&Schedule::key(period), &format!("{days} {}", at.format("%H:%M")))?;
    let first = deadline - chrono::Days::new(u64::from(days));
    let how = if super::mail::saved_smtp(&app, None).is_ok() { "经本办发件服务器发送" } else { "写成邮件草稿存入本期的发件箱(未设置发件服务器,或其密码不在环境变量中)" };
    let line = format!("自 {} 起至截止日期 {},每天 {} 给未报送或有错误的市州发送催报邮件,{how};每个市州每天至多一封,仅在工作台运行时发送。", first.format("%Y-%m-%d"), deadline.format("%Y-%m-%d"), at.format("%H:%M"));
    Ok(logged(&app, period, ActionResult::done(title, vec![line])))
}

/// How often the schedule is looked at: a minute, or `TAIZHANG_SCHEDULE_TICK_MS` (for tests).
fn tick() -> Duration {
    std::env::var("TAIZHANG_SCHEDULE_TICK_MS").ok().and_then(|v| v.parse().ok()).map_or(Duration::from_secs(60), Duration::from_millis)
}

/// Runs for as long as the console: sends each period's reminders when they are due.
pub async fn run(app: Shared) {
    let mut every = tokio::time::interval(tick());
    loop {
        every.tick().await;
        for period in app.ws.periods() {
            let (Some(s), Some(deadline)) = (Schedule::of(&app, period), app.ws.deadline(period)) else { continue };
            let now = chrono::Local::now().naive_local();
            let last = app.ws.setting(&Schedule::last_key(period)).and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
            if !s.due(deadline, now, last) {
                continue;
            }
            // Marked first: a failure is logged, and not retried every minute of the day.
            let _ = app.ws.set_setting(&Schedule::last_key(period), &now.date().format("%Y-%m-%d").to_string());
            let a = Arc::clone(&app);
            let _ = tokio::task::spawn_blocking(move || remind(&a, period, deadline)).await;
        }
    }
}

/// One scheduled run of the reminders, logged.
fn remind(app: &App, period: Period, deadline: NaiveDate) {
    let title = "定时催报邮件".to_string();
    let result = match request(app, period, deadline) {
        Err(why) => ActionResult::failed(title, why),
        Ok(req) => match crate::mail::deliver(&app.refdata, &req) {
            Ok(r) => super::mail::mail_result(app, title, &r),
            Err(e) => ActionResult::failed(title, e.to_string()),
        },
    };
    let _ = logged(app, period, result);
}

fn request(app: &App, period: Period, deadline: NaiveDate) -> Result<MailRequest, String> {
    let contacts = app.contacts().ok_or("工作区中还没有联系人表,未发送定时催报。")?;
    let from = app.ws.setting("mail.from").unwrap_or_else(|| crate::mail::DEFAULT_FROM.into());
    let destination = match super::mail::saved_smtp(app, None) {
        Ok(smtp) => Destination::Smtp(smtp),
        Err(_) => Destination::Outbox(app.ws.dir(period, OUTBOX).join("定时催报")),
    };
    let links = if app.local_only() { Default::default() } else { super::pages::links::by_name(app) };
    let inbox = app.inbox(period);
    Ok(MailRequest {
        options: crate::mail::MailOptions { dir: inbox.clone(), contacts, from, subject: None, body: None, only: Vec::new(), links, deadline: Some(deadline) },
        destination,
        remind: Some(RemindRequest { inbox: vec![inbox], batch: app.batch_for(period), deadline: Some(deadline) }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reminders_are_due_once_a_day_from_the_days_before_the_deadline() {
        let s = Schedule { days_before: 2, at: NaiveTime::from_hms_opt(9, 0, 0).unwrap() };
        let deadline = NaiveDate::from_ymd_opt(2018, 10, 10).unwrap();
        let at = |d: u32, h: u32| NaiveDate::from_ymd_opt(2018, 10, d).unwrap().and_hms_opt(h, 30, 0).unwrap();
        assert!(!s.due(deadline, at(7, 10), None), "three days before: not yet");
        assert!(!s.due(deadline, at(8, 8), None), "before the time of day");
        assert!(s.due(deadline, at(8, 9), None));
        assert!(!s.due(deadline, at(8, 15), Some(at(8, 9).date())), "once a day");
        assert!(s.due(deadline, at(10, 9), Some(at(9, 9).date())), "the deadline day too");
        assert!(!s.due(deadline, at(11, 9), None), "not after the deadline");
    }
}
