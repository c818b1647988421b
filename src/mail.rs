//! Sending each prefecture its workbook: the templates at the start of a quarter, the corrections after a
//! check. One message per prefecture, to its own address, with its own file attached byte for byte.
//!
//! Messages go either into an outbox folder as standard `.eml` files (any mail client opens them, and the
//! office can send them from its own client) or straight to an SMTP server. The password comes from the
//! environment, never from the command line, and is never sent over an unencrypted connection.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use crate::cell::CellRef;
use crate::period::Period;
use crate::read::{Limits, read_file};
use crate::refdata::RefData;
use crate::text::{chinese_date, fold_key, parse_date};

/// The environment variable that holds the SMTP password.
pub const PASSWORD_VAR: &str = "TAIZHANG_SMTP_PASSWORD";

/// The sender when `--from` is not given. Replies to it go nowhere, so `mail` says so when it is used.
pub const DEFAULT_FROM: &str = "四川省质量提升办 <zltsb@localhost>";

/// A problem that stops `mail` before anything is sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("无法读取联系人表 {path}: {why}")]
    Contacts { path: PathBuf, why: String },
    #[error("联系人表 {0} 中没有找到「市州」和「邮箱」两列")]
    ContactColumns(PathBuf),
    #[error("无法读取目录 {path}: {source}")]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("发件地址「{0}」无效")]
    From(String),
    #[error("SMTP 设置有误:{0}")]
    Smtp(String),
    #[error("无法写入 {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One line of the contacts sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Canonical prefecture name.
    pub prefecture: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Where the line is in the contacts file (for messages about it).
    pub cell: CellRef,
}

/// Reads the contacts sheet (xlsx, xls, ods or csv): a header with 市州 and 邮箱 (联系人 optional), one
/// prefecture per row, by any accepted name.
///
/// # Errors
/// When the file cannot be read or has no such columns.
pub fn read_contacts(refdata: &RefData, path: &Path) -> Result<(Vec<Contact>, Vec<String>), MailError> {
    let wb = read_file(path, &Limits::default()).map_err(|e| MailError::Contacts { path: path.into(), why: e.to_string() })?;
    let is = |text: &str, names: &[&str]| names.iter().any(|n| fold_key(text).trim_end_matches(':') == fold_key(n));
    let mut problems = Vec::new();
    for sheet in &wb.sheets {
        let g = &sheet.grid;
        for r in g.row_numbers().take(20) {
            let row = g.row(r);
            let col = |names: &[&str]| row.iter().find(|c| is(&c.value.to_text(), names)).map(|c| c.pos.col);
            let (Some(pc), Some(ec)) = (col(&["市州", "填报市州", "地区", "单位", "市(州)"]), col(&["邮箱", "电子邮箱", "邮件地址", "email", "e-mail", "电子邮件"])) else {
                continue;
            };
            let nc = col(&["联系人", "姓名", "联系人姓名"]);
            let mut out: Vec<Contact> = Vec::new();
            for rr in g.row_numbers().filter(|x| *x > r) {
                let text = |c: Option<u32>| c.and_then(|c| g.get(CellRef::new(rr, c))).map(|x| x.value.to_text()).filter(|t| !t.is_empty());
                let Some(p) = text(Some(pc)) else { continue };
                let Some(pref) = refdata.prefectures.lookup(&p).or_else(|| refdata.prefectures.find_in(&p)) else {
                    problems.push(format!("联系人表 {}!{}:「{p}」不是四川省的市州名称,已忽略", sheet.name, CellRef::new(rr, pc)));
                    continue;
                };
                if out.iter().any(|c| c.prefecture == pref.name) {
                    problems.push(format!("联系人表 {}!{}:{} 重复,采用第一行", sheet.name, CellRef::new(rr, pc), pref.name));
                    continue;
                }
                out.push(Contact { prefecture: pref.name.clone(), name: text(nc), email: text(Some(ec)), cell: CellRef::new(rr, pc) });
            }
            return Ok((out, problems));
        }
    }
    Err(MailError::ContactColumns(path.into()))
}

/// Period and deadline recorded in one of taizhang's workbooks, else read from the file name.
fn workbook_period(refdata: &RefData, path: &Path) -> (Option<Period>, Option<chrono::NaiveDate>) {
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

/// What to send.
#[derive(Debug, Clone)]
pub struct MailOptions {
    /// The folder of workbooks to send (templates or corrections), one per prefecture.
    pub dir: PathBuf,
    pub contacts: PathBuf,
    pub from: String,
    /// Subject and body with placeholders; `None` for the texts of `templates/mail.toml`.
    pub subject: Option<String>,
    pub body: Option<String>,
    /// Only these prefectures (canonical names); empty for all.
    pub only: Vec<String>,
    /// Each prefecture's private upload link (by canonical name), said in the message when there is one.
    pub links: std::collections::BTreeMap<String, String>,
}

/// One message to one prefecture, or why it cannot be sent.
#[derive(Debug)]
pub struct Outgoing {
    pub prefecture: String,
    pub to: Option<String>,
    pub attachment: Option<PathBuf>,
    pub message: Result<Message, String>,
}

/// A prefecture's contact as a recipient, or why there is none.
fn recipient(contact: Option<&Contact>) -> Result<Mailbox, String> {
    let contact = contact.ok_or("联系人表中没有该市州")?;
    let email = contact.email.as_deref().ok_or("联系人表中该市州没有邮箱")?;
    match &contact.name {
        Some(n) => format!("{n} <{email}>").parse(),
        None => email.parse(),
    }
    .map_err(|_| format!("邮箱「{email}」格式不正确"))
}

fn fill(text: &str, refdata: &RefData, prefecture: &str, contact: Option<&str>, period: Option<Period>, deadline: Option<chrono::NaiveDate>, attachment: &str) -> String {
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
fn with_link(text: &str, refdata: &RefData, opts: &MailOptions, prefecture: &str) -> String {
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
                    problems.push(format!("{}:目录中没有该市州的文件,未发送", p.name));
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

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (SMTPS, usually port 465): `--tls`.
    Implicit,
    /// STARTTLS, and fail if the server does not offer it: `--starttls`.
    StartTls,
    /// STARTTLS when the server offers it, plain otherwise; without credentials only.
    Opportunistic,
}

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct SmtpOptions {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub user: Option<String>,
    /// From [`PASSWORD_VAR`].
    pub password: Option<String>,
    /// An extra root certificate (PEM), for a mail server with a private certificate authority.
    pub ca_cert: Option<PathBuf>,
    /// Attempts per message for temporary failures (4xx replies, timeouts).
    pub attempts: u32,
    pub timeout: Duration,
}

/// The outcome of sending one message.
#[derive(Debug, Clone)]
pub struct Sent {
    pub prefecture: String,
    pub result: Result<String, String>,
    pub attempts: u32,
}

/// Builds the SMTP transport.
///
/// # Errors
/// When a user is given without a password, or the certificate cannot be read.
pub fn transport(opts: &SmtpOptions) -> Result<SmtpTransport, MailError> {
    let mut tls = TlsParameters::builder(opts.host.clone());
    if let Some(ca) = &opts.ca_cert {
        let pem = std::fs::read(ca).map_err(|e| MailError::Smtp(format!("无法读取证书 {}: {e}", ca.display())))?;
        let cert = Certificate::from_pem(&pem).map_err(|e| MailError::Smtp(format!("证书 {} 无效: {e}", ca.display())))?;
        tls = tls.add_root_certificate(cert);
    }
    let params = tls.build().map_err(|e| MailError::Smtp(e.to_string()))?;
    let credentials = match (&opts.user, &opts.password) {
        (Some(u), Some(p)) => Some(Credentials::new(u.clone(), p.clone())),
        (Some(_), None) => return Err(MailError::Smtp(format!("已指定 --user,请在环境变量 {PASSWORD_VAR} 中提供密码"))),
        _ => None,
    };
    // A password never travels in clear: with credentials, STARTTLS becomes required.
    let tls = match opts.security {
        Security::Implicit => Tls::Wrapper(params),
        Security::StartTls => Tls::Required(params),
        Security::Opportunistic if credentials.is_some() => Tls::Required(params),
        Security::Opportunistic => Tls::Opportunistic(params),
    };
    let mut b = SmtpTransport::builder_dangerous(opts.host.clone()).port(opts.port).tls(tls).timeout(Some(opts.timeout));
    if let Some(c) = credentials {
        b = b.credentials(c);
    }
    Ok(b.build())
}

/// Sends every message, retrying temporary failures; a failure of one message does not stop the others.
pub fn send_all(transport: &SmtpTransport, outgoing: &[Outgoing], attempts: u32) -> Vec<Sent> {
    let mut out = Vec::new();
    for o in outgoing {
        let Ok(message) = &o.message else {
            out.push(Sent { prefecture: o.prefecture.clone(), result: Err(o.message.as_ref().err().cloned().unwrap_or_default()), attempts: 0 });
            continue;
        };
        let mut tries = 0;
        let result = loop {
            tries += 1;
            match transport.send(message) {
                Ok(r) => break Ok(r.message().collect::<Vec<_>>().join(" ")),
                Err(e) if (e.is_transient() || e.is_timeout()) && tries < attempts.max(1) => {
                    std::thread::sleep(Duration::from_millis(300 * u64::from(tries)));
                }
                Err(e) => {
                    let why = if e.is_permanent() {
                        "服务器拒绝".to_string()
                    } else if e.is_transient() || e.is_timeout() {
                        format!("临时错误,已尝试 {tries} 次")
                    } else {
                        "连接或通信错误".to_string()
                    };
                    break Err(format!("发送失败({why}):{e}"));
                }
            }
        };
        out.push(Sent { prefecture: o.prefecture.clone(), result, attempts: tries });
    }
    out
}

/// Writes each message as `<prefecture>.eml` into `dir`.
///
/// # Errors
/// When a file cannot be written.
pub fn write_outbox(outgoing: &[Outgoing], dir: &Path) -> Result<Vec<PathBuf>, MailError> {
    std::fs::create_dir_all(dir).map_err(|source| MailError::Write { path: dir.into(), source })?;
    let mut written = Vec::new();
    for o in outgoing {
        if let Ok(m) = &o.message {
            let name = match &o.attachment {
                Some(a) => format!("{}.eml", a.file_stem().unwrap_or_default().to_string_lossy()),
                None => format!("{}.eml", o.prefecture),
            };
            let path = dir.join(name);
            crate::output::write_atomic(&path, &m.formatted()).map_err(|e| MailError::Write { path: path.clone(), source: std::io::Error::other(e.to_string()) })?;
            written.push(path);
        }
    }
    Ok(written)
}

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
