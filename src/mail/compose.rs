//! One message per prefecture with its own workbook attached byte for byte: the recipient from the
//! contacts sheet, the subject and body from `templates/mail.toml` with the period, deadline and upload
//! link filled in.

use std::path::{Path, PathBuf};

use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};

use crate::period::Period;
use crate::read::{Limits, read_file};
use crate::refdata::RefData;
use crate::text::{chinese_date, parse_date};

use super::contacts::{Contact, read_contacts};
use super::{MailError, MailOptions, Outgoing};

/// Period and deadline recorded in one of taizhang's workbooks, else read from the file name.
pub(super) fn workbook_period(refdata: &RefData, path: &Path) -> (Option<Period>, Option<chrono::NaiveDate>) {
    let from_name = path.file_stem().and_then(|s| Period::find_in(&s.to_string_lossy()));
    let Ok(wb) = read_file(path, &Limits::default()) else { return (from_name, None) };
    let Some(meta) = wb.sheets.iter().find(|s| s.name == refdata.template.sheets.meta) else { return (from_name, None) };
    let value = |key: &str| {
        meta.grid.row_numbers().find_map(|r| {
            let row = meta.grid.row(r);
            (row.first().map(|c| c.value.to_text()).as_deref() == Some(key)).then(|| row.get(1).map(|c| c.value.to_text())).flatten()
        })
    };
    let period = value("period").and_then(|p| p.parse().ok()).or(from_name);
    (period, value("deadline").and_then(|d| parse_date(&d)))
}

/// A prefecture's contact as a recipient, or why there is none.
pub(super) fn recipient(contact: Option<&Contact>) -> Result<Mailbox, String> {
    let contact = contact.ok_or("联系人表中没有该市州")?;
    let email = contact.email.as_deref().ok_or("联系人表中该市州没有邮箱")?;
    match &contact.name {
        Some(n) => format!("{n} <{email}>").parse(),
        None => email.parse(),
    }
    .map_err(|_| format!("邮箱「{email}」格式不正确"))
}

pub(super) fn fill(text: &str, refdata: &RefData, prefecture: &str, contact: Option<&str>, period: Option<Period>, deadline: Option<chrono::NaiveDate>, attachment: &str) -> String {
    let _ = refdata;
    text.replace("{period_code}", &period.map(|p| p.code()).unwrap_or_default())
        .replace("{period}", &period.map(|p| p.label()).unwrap_or_else(|| "本期".into()))
        .replace("{prefecture}", prefecture)
        .replace("{contact}", contact.unwrap_or("同志"))
        .replace("{deadline}", &deadline.map(chinese_date).unwrap_or_else(|| "规定时间".into()))
        .replace("{attachment}", attachment)
        .replace("{sender}", "四川省质量提升办")
        .replace("{link_paragraph}", "")
        .replace("{link}", "")
}

/// `text` with the prefecture's upload link said where it has `{link_paragraph}` (the paragraph of
/// `templates/mail.toml` naming `{link}`), or nothing there when it has no link.
pub(super) fn with_link(text: &str, refdata: &RefData, opts: &MailOptions, prefecture: &str) -> String {
    match opts.links.get(prefecture) {
        Some(url) => text.replace("{link_paragraph}", &refdata.mail.link_paragraph.replace("{link}", url)),
        None => text.to_string(),
    }
}

/// The media type of a workbook attachment, from its content.
fn content_type(path: &Path) -> ContentType {
    let ext = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    let mime = match ext.as_str() {
        "xls" => "application/vnd.ms-excel",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "csv" => "text/csv",
        _ => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    };
    ContentType::parse(mime).unwrap_or(ContentType::TEXT_PLAIN)
}

/// Builds one message per prefecture that has a workbook in `opts.dir`.
///
/// # Errors
/// When the folder or the contacts cannot be read, or the sender address is invalid.
pub fn prepare(refdata: &RefData, opts: &MailOptions, feedback: bool) -> Result<(Vec<Outgoing>, Vec<String>), MailError> {
    let from: Mailbox = opts.from.parse().map_err(|_| MailError::From(opts.from.clone()))?;
    let (contacts, mut problems) = read_contacts(refdata, &opts.contacts)?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&opts.dir)
        .map_err(|source| MailError::Dir { path: opts.dir.clone(), source })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| matches!(e.to_string_lossy().to_lowercase().as_str(), "xlsx" | "xls" | "ods" | "xlsm")))
        .filter(|p| !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(['~', '.'])))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for p in refdata.prefectures.all() {
        if !opts.only.is_empty() && !opts.only.contains(&p.name) {
            continue;
        }
        let mine: Vec<&PathBuf> = files
            .iter()
            .filter(|f| f.file_stem().and_then(|s| refdata.prefectures.find_in(&s.to_string_lossy())).is_some_and(|q| q.name == p.name))
            .collect();
        let contact = contacts.iter().find(|c| c.prefecture == p.name);
        let to = contact.and_then(|c| c.email.clone());
        let attachment = match mine.as_slice() {
            [] => {
                if contact.is_some() && opts.only.is_empty() {
                    // Corrections are written only for returns with something to correct.
                    problems.push(if feedback {
                        format!("{}:没有需要改正的问题(或尚未报送),无需发送审核意见", p.name)
                    } else {
                        format!("{}:目录中没有该市州的文件,未发送", p.name)
                    });
                }
                continue;
            }
            [one] => (*one).clone(),
            many => {
                let names: Vec<String> = many.iter().map(|f| f.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect();
                // Two quarters' templates in one folder is the usual cause: say so, and what to do.
                let periods: std::collections::BTreeSet<String> = names.iter().filter_map(|n| Period::find_in(n)).map(|p| p.label()).collect();
                let why = if periods.len() > 1 {
                    format!(
                        "目录中有该市州不同期别({})的文件({}),请每期的文件放在单独的文件夹中(如 模板/2018Q4),再对该文件夹运行 mail",
                        periods.into_iter().collect::<Vec<_>>().join("、"),
                        names.join("、")
                    )
                } else {
                    format!("目录中有该市州的多个文件({}),请只保留要发送的一个", names.join("、"))
                };
                out.push(Outgoing { prefecture: p.name.clone(), to, attachment: None, message: Err(why) });
                continue;
            }
        };
        let message = build_message(refdata, opts, feedback, &from, &p.name, contact, &attachment);
        out.push(Outgoing { prefecture: p.name.clone(), to, attachment: Some(attachment), message });
    }
    Ok((out, problems))
}

fn build_message(
    refdata: &RefData,
    opts: &MailOptions,
    feedback: bool,
    from: &Mailbox,
    prefecture: &str,
    contact: Option<&Contact>,
    attachment: &Path,
) -> Result<Message, String> {
    let to = recipient(contact)?;
    let name = attachment.file_name().unwrap_or_default().to_string_lossy().into_owned();
    let (period, deadline) = workbook_period(refdata, attachment);
    let deadline = deadline.or(opts.deadline);
    let (subject, body) = if feedback { (&refdata.mail.feedback_subject, &refdata.mail.feedback_body) } else { (&refdata.mail.subject, &refdata.mail.body) };
    let subject = opts.subject.as_ref().unwrap_or(subject);
    let body = opts.body.as_ref().unwrap_or(body);
    let fill = |t: &str| fill(&with_link(t, refdata, opts, prefecture), refdata, prefecture, contact.and_then(|c| c.name.as_deref()), period, deadline, &name);
    let bytes = std::fs::read(attachment).map_err(|e| format!("无法读取附件 {name}: {e}"))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(fill(subject))
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(fill(body)))
                .singlepart(Attachment::new(name).body(bytes, content_type(attachment))),
        )
        .map_err(|e| format!("邮件生成失败: {e}"))
}
