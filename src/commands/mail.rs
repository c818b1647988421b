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
}

/// Runs `mail`: exit 0 when every prefecture with a workbook got its message, 1 when some could not be
/// sent (no address, a refused message), 2 when nothing could be done.
///
/// # Errors
/// When the contacts or the folder cannot be read, or the SMTP settings are wrong.
pub fn run(refdata: &RefData, cfg: &MailConfig, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let err = |e: mail::MailError| Error::Message(e.to_string());
    // Corrections are recognised by their 问题清单 sheet name in the file name convention.
    let feedback = std::fs::read_dir(&cfg.options.dir)
        .map(|d| d.filter_map(Result::ok).any(|e| e.file_name().to_string_lossy().contains(crate::feedback::FILE_MARK)))
        .unwrap_or(false);
    let (outgoing, problems) = mail::prepare(refdata, &cfg.options, feedback).map_err(err)?;
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
