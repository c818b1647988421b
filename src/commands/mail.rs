//! `taizhang mail`: one message per prefecture with its workbook, into an outbox or through SMTP.

use std::io::Write;

use crate::mail::{self, MailRequest};
use crate::refdata::RefData;
use crate::{Error, ExitStatus};

/// Arguments of `taizhang mail`: the request itself.
pub type MailConfig = MailRequest;

/// Runs `mail`: exit 0 when every prefecture with a workbook got its message, 1 when some could not be
/// sent (no address, a refused message), 2 when nothing could be done.
///
/// # Errors
/// When the contacts or the folder cannot be read, or the SMTP settings are wrong.
pub fn run(refdata: &RefData, cfg: &MailConfig, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let report = mail::deliver(refdata, cfg).map_err(Error::Mail)?;
    if report.nothing_to_remind {
        writeln!(out, "各市州均已报送且没有错误,无需提醒。")?;
        return Ok(ExitStatus::Clean);
    }
    for n in &report.notes {
        writeln!(out, "提示:{n}")?;
    }
    for d in &report.delivered {
        match (&d.result, &report.outbox) {
            (Ok(_), Some(_)) => writeln!(out, "已写入 {}  收件人 {}", d.prefecture, d.to.as_deref().unwrap_or(""))?,
            (Ok(reply), None) => writeln!(out, "已发送 {}(第 {} 次尝试):{reply}", d.prefecture, d.attempts)?,
            (Err(e), Some(_)) => writeln!(out, "未生成 {}:{e}", d.prefecture)?,
            (Err(e), None) => writeln!(out, "未发送 {}:{e}", d.prefecture)?,
        }
    }
    let failed = report.failed();
    let total = report.delivered.len();
    match &report.outbox {
        Some(dir) => writeln!(out, "共 {} 封邮件写入 {},{failed} 个市州未能生成。", total - failed, dir.display())?,
        None => writeln!(out, "共 {total} 封:发送成功 {} 封,失败 {failed} 封。", total - failed)?,
    }
    Ok(if failed == total {
        ExitStatus::Failure
    } else if failed > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    })
}
