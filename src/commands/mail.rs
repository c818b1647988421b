//! `taizhang mail`: one message per prefecture with its workbook, into an outbox or through SMTP.

use std::io::Write;
use std::path::PathBuf;

use crate::mail::{self, MailOptions, SmtpOptions};
use crate::refdata::RefData;
use crate::{Error, ExitStatus};

/// Where the messages go.
#[derive(Debug, Clone)]
pub enum Destination {
    Outbox(PathBuf),
    Smtp(SmtpOptions),
}

/// Arguments of `taizhang mail`.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub options: MailOptions,
    pub destination: Destination,
    /// `--remind`: instead of sending a folder of workbooks, remind every prefecture whose return is
    /// missing or has errors.
    pub remind: Option<RemindConfig>,
}

/// What `mail --remind` reads to decide whom to remind.
#[derive(Debug, Clone)]
pub struct RemindConfig {
    /// The inbox folders (as `check` reads them: archives, saved emails, `collect`'s record).
    pub inbox: Vec<PathBuf>,
    /// With the period to remind about.
    pub batch: crate::import::batch::BatchOptions,
    pub deadline: Option<chrono::NaiveDate>,
}

/// The findings a prefecture is reminded of: its errors, and what its messages lacked (a cloud link, no
/// spreadsheet), which explain why nothing arrived.
#[cfg(feature = "rollup")]
fn reminded_of(f: &crate::Finding) -> bool {
    use crate::finding::{Code, Severity};
    f.severity == Severity::Error || matches!(f.code, Code::MailLink | Code::MailNoSpreadsheet)
}

/// Reads the inbox as `consolidate` does and lists every prefecture still 未报送 (or whose files could
/// not be used) or with errors, with what is missing or wrong.
///
/// # Errors
/// When the merge fails.
#[cfg(feature = "rollup")]
pub fn reminders(refdata: &RefData, cfg: &RemindConfig) -> Result<(Option<crate::Period>, Vec<mail::Reminder>), Error> {
    use crate::rollup::merge::{MergeOptions, ReturnStatus};
    let (mut subs, skipped) = crate::commands::check::read_all(refdata, &cfg.inbox, &cfg.batch);
    let mut merged = crate::rollup::merge::merge(refdata, &mut subs, &MergeOptions { period: cfg.batch.period })?;
    merged.add_findings(refdata, skipped);
    let mut out = Vec::new();
    for p in merged.prefectures.iter().filter(|p| refdata.prefectures.lookup(&p.name).is_some()) {
        let found: Vec<String> = merged
            .findings
            .iter()
            .filter(|f| f.prefecture.as_deref() == Some(p.name.as_str()) && reminded_of(f))
            .map(|f| {
                let loc = f.location();
                let at = if loc.is_empty() { String::new() } else { format!(" {loc}") };
                let value = f.value.as_ref().map(|v| format!("(原值:「{}」)", v.chars().take(60).collect::<String>())).unwrap_or_default();
                format!("{}{at}:{}{value}", crate::submission::base_name(&f.file), f.message)
            })
            .collect();
        let (status, mut items) = match p.status {
            ReturnStatus::Returned if found.is_empty() => continue,
            ReturnStatus::Returned => (format!("已报送,但有 {} 处错误需要修改", found.len()), Vec::new()),
            ReturnStatus::Missing => ("未报送".to_string(), vec!["尚未收到本期的台账文件。".to_string()]),
            _ => (p.status.label().to_string(), p.reason.iter().cloned().collect()),
        };
        items.extend(found);
        out.push(mail::Reminder { prefecture: p.name.clone(), status, items });
    }
    Ok((merged.period, out))
}

/// Runs `mail`: exit 0 when every prefecture with a workbook got its message, 1 when some could not be
/// sent (no address, a refused message), 2 when nothing could be done.
///
/// # Errors
/// When the contacts or the folder cannot be read, or the SMTP settings are wrong.
pub fn run(refdata: &RefData, cfg: &MailConfig, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let err = Error::Mail;
    let (outgoing, problems) = match &cfg.remind {
        #[cfg(feature = "rollup")]
        Some(r) => {
            let (period, list) = reminders(refdata, r)?;
            if list.is_empty() {
                writeln!(out, "各市州均已报送且没有错误,无需提醒。")?;
                return Ok(ExitStatus::Clean);
            }
            mail::prepare_reminders(refdata, &cfg.options, period, r.deadline, &list).map_err(err)?
        }
        #[cfg(not(feature = "rollup"))]
        Some(_) => return Err(Error::Message("此版本不含汇总功能,无法生成提醒".into())),
        None => {
            // Corrections are recognised by their 问题清单 sheet name in the file name convention.
            let feedback = std::fs::read_dir(&cfg.options.dir)
                .map(|d| d.filter_map(Result::ok).any(|e| e.file_name().to_string_lossy().contains(crate::feedback::FILE_MARK)))
                .unwrap_or(false);
            mail::prepare(refdata, &cfg.options, feedback).map_err(err)?
        }
    };
    if cfg.options.from == mail::DEFAULT_FROM {
        writeln!(out, "提示:未指定 --from,发件人为「{}」,市州回复将无法送达;请加 --from \"省质量提升办 <本办邮箱>\"。", mail::DEFAULT_FROM)?;
    }
    for p in &problems {
        writeln!(out, "提示:{p}")?;
    }
    if outgoing.is_empty() {
        return Err(Error::Message(format!("目录 {} 中没有可发送的市州文件", cfg.options.dir.display())));
    }
    let mut failed = 0;
    match &cfg.destination {
        Destination::Outbox(dir) => {
            let written = mail::write_outbox(&outgoing, dir).map_err(err)?;
            for o in &outgoing {
                match &o.message {
                    Ok(_) => writeln!(out, "已写入 {}  收件人 {}", o.prefecture, o.to.as_deref().unwrap_or(""))?,
                    Err(e) => {
                        failed += 1;
                        writeln!(out, "未生成 {}:{e}", o.prefecture)?;
                    }
                }
            }
            writeln!(out, "共 {} 封邮件写入 {},{} 个市州未能生成。", written.len(), dir.display(), failed)?;
        }
        Destination::Smtp(smtp) => {
            let transport = mail::transport(smtp).map_err(err)?;
            let sent = mail::send_all(&transport, &outgoing, smtp.attempts);
            for s in &sent {
                match &s.result {
                    Ok(reply) => writeln!(out, "已发送 {}(第 {} 次尝试):{reply}", s.prefecture, s.attempts)?,
                    Err(e) => {
                        failed += 1;
                        writeln!(out, "未发送 {}:{e}", s.prefecture)?;
                    }
                }
            }
            writeln!(out, "共 {} 封:发送成功 {} 封,失败 {} 封。", sent.len(), sent.len() - failed, failed)?;
        }
    }
    Ok(if failed == outgoing.len() {
        ExitStatus::Failure
    } else if failed > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    })
}
