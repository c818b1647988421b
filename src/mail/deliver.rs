//! The mail operation: the period's workbooks (templates or corrections) or reminders, one message per
//! prefecture, into an outbox folder or through an SMTP server, with what became of each message. The
//! command prints the report; the console shows it.

use std::path::PathBuf;

use crate::refdata::RefData;

use super::{MailError, MailOptions, Outgoing, SmtpOptions};

/// Where the messages go.
#[derive(Debug, Clone)]
pub enum Destination {
    Outbox(PathBuf),
    Smtp(SmtpOptions),
}

/// Whom to remind, read from the period's inbox as `consolidate` reads it.
#[derive(Debug, Clone)]
pub struct RemindRequest {
    /// The inbox folders (archives, saved emails, `collect`'s record included).
    pub inbox: Vec<PathBuf>,
    /// With the period to remind about.
    pub batch: crate::import::batch::BatchOptions,
    pub deadline: Option<chrono::NaiveDate>,
}

/// One mail operation.
#[derive(Debug, Clone)]
pub struct MailRequest {
    pub options: MailOptions,
    pub destination: Destination,
    /// Instead of sending a folder of workbooks, remind every prefecture whose return is missing or has
    /// errors.
    pub remind: Option<RemindRequest>,
}

/// What became of one prefecture's message.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub prefecture: String,
    pub to: Option<String>,
    /// Where it was written, or the server's reply; or why it was not.
    pub result: Result<String, String>,
    /// Attempts it took, when sent through SMTP.
    pub attempts: u32,
}

/// What the mail operation did.
#[derive(Debug, Clone, Default)]
pub struct MailReport {
    pub delivered: Vec<Delivered>,
    /// Notes about the contacts sheet, the folder and the sender, each a sentence.
    pub notes: Vec<String>,
    /// The outbox folder written, when the messages went there.
    pub outbox: Option<PathBuf>,
    /// A reminder run that found every prefecture reported and without errors.
    pub nothing_to_remind: bool,
}

impl MailReport {
    /// Messages that could not be written or sent.
    pub fn failed(&self) -> usize {
        self.delivered.iter().filter(|d| d.result.is_err()).count()
    }
}

/// Prepares every prefecture's message and delivers it.
///
/// # Errors
/// When the contacts or the folder cannot be read, the inbox cannot be merged, or the SMTP settings are
/// wrong; a message that cannot be sent is reported in its [`Delivered`] instead.
pub fn deliver(refdata: &RefData, req: &MailRequest) -> Result<MailReport, MailError> {
    let mut report = MailReport::default();
    let (outgoing, problems) = match &req.remind {
        #[cfg(feature = "rollup")]
        Some(r) => {
            let read = crate::rollup::period::read_period(refdata, &r.inbox, &r.batch, &mut |_, _, _| {})?;
            let list = super::reminders(refdata, &read);
            if list.is_empty() {
                report.nothing_to_remind = true;
                return Ok(report);
            }
            super::prepare_reminders(refdata, &req.options, read.merged.period, r.deadline, &list)?
        }
        #[cfg(not(feature = "rollup"))]
        Some(_) => return Err(MailError::Smtp("此版本不含汇总功能,无法生成提醒".into())),
        None => {
            // Corrections are recognised by the mark in their file names.
            let feedback = std::fs::read_dir(&req.options.dir)
                .map(|d| d.filter_map(Result::ok).any(|e| e.file_name().to_string_lossy().contains(crate::feedback::FILE_MARK)))
                .unwrap_or(false);
            super::prepare(refdata, &req.options, feedback)?
        }
    };
    if req.options.from == super::DEFAULT_FROM {
        report.notes.push(format!("未填写发件人,发件人为「{}」,市州回复将无法送达;请填写本办的发件人,如「省质量提升办 <本办邮箱>」(命令行加 --from)。", super::DEFAULT_FROM));
    }
    report.notes.extend(problems);
    if outgoing.is_empty() {
        return Err(MailError::Nothing(req.options.dir.clone()));
    }
    match &req.destination {
        Destination::Outbox(dir) => {
            super::write_outbox(&outgoing, dir)?;
            report.outbox = Some(dir.clone());
            report.delivered = outgoing.iter().map(|o| written(o, dir)).collect();
        }
        Destination::Smtp(smtp) => {
            let transport = super::transport(smtp)?;
            // A server that cannot be reached is said once, before any message, not once per prefecture.
            if let Err(e) = transport.test_connection() {
                return Err(MailError::Unreachable { server: format!("{}:{}", smtp.host, smtp.port), detail: e.to_string() });
            }
            let to: std::collections::HashMap<&str, Option<String>> = outgoing.iter().map(|o| (o.prefecture.as_str(), o.to.clone())).collect();
            report.delivered = super::send_all(&transport, &outgoing, smtp.attempts)
                .into_iter()
                .map(|s| Delivered { to: to.get(s.prefecture.as_str()).cloned().flatten(), prefecture: s.prefecture, result: s.result, attempts: s.attempts })
                .collect();
        }
    }
    Ok(report)
}

fn written(o: &Outgoing, dir: &std::path::Path) -> Delivered {
    let result = match &o.message {
        Ok(_) => Ok(dir.join(super::outbox::eml_name(o)).display().to_string()),
        Err(e) => Err(e.clone()),
    };
    Delivered { prefecture: o.prefecture.clone(), to: o.to.clone(), result, attempts: 0 }
}
