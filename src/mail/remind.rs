//! Reminders to the prefectures whose return has not arrived, could not be used, or has errors, each
//! listing what is missing or wrong.

use lettre::Message;
use lettre::message::{Mailbox, SinglePart};

use crate::period::Period;
use crate::refdata::RefData;

use super::compose::{fill, recipient, with_link};
use super::contacts::read_contacts;
use super::{MailError, MailOptions, Outgoing};

/// Why a prefecture is reminded: nothing (usable) arrived, or what arrived has errors.
#[derive(Debug, Clone)]
pub struct Reminder {
    /// Canonical prefecture name.
    pub prefecture: String,
    /// 未报送, 无法读取, 期别不符 … or 有错误.
    pub status: String,
    /// What is missing or wrong, one line each, as forwarded.
    pub items: Vec<String>,
}

/// The default subject and body of a reminder. Placeholders as in `templates/mail.toml`, and {status}
/// and {items}.
pub const REMIND_SUBJECT: &str = "【提醒】{period}质量提升台账:{prefecture}{status}";
pub const REMIND_BODY: &str = "{contact}:

您好!截至目前,{prefecture}{period}《四川省重点消费品质量提升台账》的报送情况为:{status}。

{items}

请于{deadline}前把填好的台账(附件1、附件2,xlsx、xls 或 ods 文件)作为附件回复至本邮箱;请勿发送网盘链接或 RAR 压缩包。如已修改,请发送完整文件,以填报日期最新的一份为准。

{link_paragraph}谢谢!

{sender}
";

/// One reminder message per prefecture in `reminders` that has a contact address.
///
/// # Errors
/// When the contacts cannot be read or the sender address is invalid.
pub fn prepare_reminders(
    refdata: &RefData,
    opts: &MailOptions,
    period: Option<Period>,
    deadline: Option<chrono::NaiveDate>,
    reminders: &[Reminder],
) -> Result<(Vec<Outgoing>, Vec<String>), MailError> {
    let from: Mailbox = opts.from.parse().map_err(|_| MailError::From(opts.from.clone()))?;
    let (contacts, problems) = read_contacts(refdata, &opts.contacts)?;
    let mut out = Vec::new();
    for r in reminders.iter().filter(|r| opts.only.is_empty() || opts.only.contains(&r.prefecture)) {
        let contact = contacts.iter().find(|c| c.prefecture == r.prefecture);
        let to = contact.and_then(|c| c.email.clone());
        let items = r.items.iter().enumerate().map(|(i, t)| format!("{}. {t}", i + 1)).collect::<Vec<_>>().join("\n");
        let text = |t: &str| fill(&with_link(t, refdata, opts, &r.prefecture), refdata, &r.prefecture, contact.and_then(|c| c.name.as_deref()), period, deadline, "").replace("{status}", &r.status).replace("{items}", &items);
        let message = (|| {
            let to = recipient(contact)?;
            Message::builder()
                .from(from.clone())
                .to(to)
                .subject(text(opts.subject.as_deref().unwrap_or(REMIND_SUBJECT)))
                .singlepart(SinglePart::plain(text(opts.body.as_deref().unwrap_or(REMIND_BODY))))
                .map_err(|e| format!("邮件生成失败: {e}"))
        })();
        out.push(Outgoing { prefecture: r.prefecture.clone(), to, attachment: None, message });
    }
    Ok((out, problems))
}

/// The findings a prefecture is reminded of: its errors, and what its messages lacked (a cloud link, no
/// spreadsheet), which explain why nothing arrived.
fn reminded_of(f: &crate::Finding) -> bool {
    use crate::finding::{Code, Severity};
    f.severity == Severity::Error || matches!(f.code, Code::MailLink | Code::MailNoSpreadsheet)
}

/// Every prefecture still 未报送 (or whose files could not be used) or with errors, with what is missing
/// or wrong, from a period read as `consolidate` reads it.
pub fn reminders(refdata: &RefData, read: &crate::rollup::period::PeriodRead) -> Vec<Reminder> {
    use crate::rollup::merge::ReturnStatus;
    let merged = &read.merged;
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
        out.push(Reminder { prefecture: p.name.clone(), status, items });
    }
    out
}
