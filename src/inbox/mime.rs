//! Emails the returns arrive in: a message in the office mailbox (`collect`) or saved as an `.eml` file
//! next to the returns (`check`, `consolidate`, `feedback`). Both are opened the same way here, so that
//! what counts as a return does not depend on how the message reached taizhang.
//!
//! What counts is decided by content, not by name: a prefecture's client may call a workbook `附件1.dat`
//! or send a Word document named `.xlsx`. Spreadsheets and the archives taizhang opens (zip, 7z) are the
//! returns; a message forwarded as an attachment (message/rfc822) is opened in turn; file names come
//! decoded from RFC 2047 and RFC 2231 (mail-parser). What cannot be a return but shows one was meant (a
//! RAR archive, a cloud-drive link in the text, a message with no spreadsheet at all) becomes a finding
//! that says what to send instead.

use std::io::Cursor;

use mail_parser::{MessageParser, MimeHeaders, PartType};

use super::archive::archive_kind;
use crate::finding::{Code, Finding};
use crate::read::{Kind, sniff};

use super::names::sanitize;

/// Deepest nesting of forwarded messages opened.
const MAX_DEPTH: usize = 4;

/// Who sent a message: the return's provenance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sender {
    /// The address, lower-cased.
    pub address: String,
    pub name: Option<String>,
    /// The prefecture whose contact address this is (from the contacts sheet), when known.
    pub prefecture: Option<String>,
}

impl Sender {
    /// `张明 <zhang@cd.example.cn>`
    pub fn display(&self) -> String {
        match &self.name {
            Some(n) if !n.is_empty() => format!("{n} <{}>", self.address),
            _ => self.address.clone(),
        }
    }
}

/// What an attachment is, by its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartKind {
    /// A workbook or a CSV table: a return.
    Spreadsheet,
    /// A zip or 7z archive: opened where returns are read.
    Archive,
    /// An archive taizhang cannot open (RAR, gzip): most likely a return, which has to be sent again.
    UnreadableArchive(String),
    /// Anything else (a picture, a signature, a PDF, a Word document), with what it is.
    Other(String),
}

impl PartKind {
    /// Whether the part is kept with the returns (saved by `collect`, read by `check`).
    pub fn is_kept(&self) -> bool {
        !matches!(self, PartKind::Other(_))
    }
}

/// One attachment of a message (of a forwarded message: its path starts with that message's name).
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The attachment's file name as sent (decoded), prefixed by the forwarded messages it is in:
    /// `转发的邮件.eml/成都市台账.xlsx`.
    pub path: String,
    /// The file name alone.
    pub name: String,
    pub data: Vec<u8>,
    pub kind: PartKind,
}

/// A message, opened.
#[derive(Debug, Clone, Default)]
pub struct Email {
    pub message_id: Option<String>,
    pub from: Option<Sender>,
    /// The Date header, RFC 3339.
    pub date: Option<String>,
    pub subject: Option<String>,
    pub parts: Vec<Attachment>,
    /// Cloud-drive links found in the text: (service, link).
    pub links: Vec<(String, String)>,
}

/// Cloud-drive services whose links prefectures send instead of attachments: a piece of the host, and
/// the name people know the service by.
const CLOUD_DRIVES: &[(&str, &str)] = &[
    ("pan.baidu.com", "百度网盘"),
    ("yun.baidu.com", "百度网盘"),
    ("weiyun.com", "腾讯微云"),
    ("aliyundrive.com", "阿里云盘"),
    ("alipan.com", "阿里云盘"),
    ("pan.quark.cn", "夸克网盘"),
    ("cloud.189.cn", "天翼云盘"),
    ("yun.139.com", "中国移动云盘"),
    ("caiyun.139.com", "中国移动云盘"),
    ("lanzou", "蓝奏云"),
    ("115.com", "115网盘"),
    ("wenshushu.cn", "文叔叔"),
    ("mail.qq.com/ftn", "QQ邮箱超大附件"),
    ("wx.mail.qq.com/ftn", "QQ邮箱超大附件"),
    ("ftn.qq.com", "QQ邮箱超大附件"),
    ("mail.163.com/large", "网易邮箱超大附件"),
    ("dashi.163.com", "网易邮箱超大附件"),
    ("docs.qq.com", "腾讯文档"),
    ("kdocs.cn", "金山文档"),
    ("jinshuju.net", "金数据"),
];

/// Parses a message. `None` when the bytes are not a message at all.
pub fn parse(bytes: &[u8]) -> Option<Email> {
    let msg = MessageParser::default().parse(bytes)?;
    // A file of anything parses as a message of sorts: an email has at least one of the usual headers.
    let known = msg.from().is_some() || msg.to().is_some() || msg.date().is_some() || msg.subject().is_some() || msg.message_id().is_some() || msg.content_type().is_some();
    if !known {
        return None;
    }
    let from = msg.from().and_then(|a| a.first()).and_then(|a| {
        let address = a.address()?.trim().to_lowercase();
        Some(Sender { address, name: a.name().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()), prefecture: None })
    });
    let mut email = Email {
        message_id: msg.message_id().map(str::to_string),
        from,
        date: msg.date().map(|d| d.to_rfc3339()),
        subject: msg.subject().map(|s| s.trim().to_string()),
        parts: Vec::new(),
        links: Vec::new(),
    };
    collect_parts(&msg, "", 0, &mut email);
    Some(email)
}

fn collect_parts(msg: &mail_parser::Message<'_>, prefix: &str, depth: usize, out: &mut Email) {
    for text in msg.text_bodies().chain(msg.html_bodies()) {
        if let Some(t) = text.text_contents() {
            for link in cloud_links(t) {
                if !out.links.contains(&link) {
                    out.links.push(link);
                }
            }
        }
    }
    let mut unnamed = 0;
    for part in msg.attachments() {
        if let PartType::Message(inner) = &part.body {
            let name = part
                .attachment_name()
                .map(sanitize)
                .or_else(|| inner.subject().map(|s| sanitize(&format!("{s}.eml"))))
                .unwrap_or_else(|| "转发的邮件.eml".to_string());
            if depth + 1 < MAX_DEPTH {
                collect_parts(inner, &format!("{prefix}{name}/"), depth + 1, out);
            }
            continue;
        }
        let data = part.contents().to_vec();
        let mut given = part.attachment_name().map(str::to_string);
        if given.as_deref().is_some_and(|n| n.contains('\u{FFFD}')) {
            // mail-parser decodes each RFC 2231 continuation on its own, so a character split between
            // two of them is lost: decode the header again, joined first.
            let raw = msg.raw_message().get(part.offset_header as usize..part.offset_body as usize).unwrap_or_default();
            if let Some(n) = rfc2231_name(&String::from_utf8_lossy(raw)) {
                given = Some(n);
            }
        }
        let given = given.as_deref().map(sanitize);
        let kind = classify(&data, given.as_deref().unwrap_or(""));
        // Inline pictures without a name are signatures and logos, not attachments anyone sent.
        if given.is_none() && matches!(part.body, PartType::InlineBinary(_) | PartType::Text(_) | PartType::Html(_)) {
            continue;
        }
        let name = given.unwrap_or_else(|| {
            unnamed += 1;
            format!("附件{unnamed}{}", extension_for(&data, &kind))
        });
        out.parts.push(Attachment { path: format!("{prefix}{name}"), name, data, kind });
    }
}

/// The file name of a part's header block written in RFC 2231 continuations (`filename*0*=UTF-8''%E5%BE;
/// filename*1*=%B7...`), the octets of all segments joined before they are decoded, as the RFC says.
fn rfc2231_name(headers: &str) -> Option<String> {
    let unfolded = headers.replace("\r\n ", " ").replace("\r\n\t", " ").replace("\n ", " ").replace("\n\t", " ");
    for wanted in ["filename", "name"] {
        let mut segments: Vec<(u32, bool, String)> = Vec::new();
        for param in unfolded.split([';', '\n']) {
            let Some((key, value)) = param.trim().split_once('=') else { continue };
            let key = key.trim().to_ascii_lowercase();
            let Some(rest) = key.strip_prefix(wanted).and_then(|r| r.strip_prefix('*')) else { continue };
            let encoded = rest.ends_with('*') || rest.is_empty();
            let index = rest.trim_end_matches('*').parse().unwrap_or(0);
            segments.push((index, encoded, value.trim().trim_matches('"').to_string()));
        }
        if segments.is_empty() {
            continue;
        }
        segments.sort_by_key(|s| s.0);
        let mut charset = "utf-8".to_string();
        let mut bytes = Vec::new();
        for (i, (_, encoded, value)) in segments.iter().enumerate() {
            let mut v = value.as_str();
            if i == 0 && *encoded {
                let mut it = v.splitn(3, '\'');
                if let (Some(c), Some(_), Some(rest)) = (it.next(), it.next(), it.next()) {
                    charset = c.to_string();
                    v = rest;
                }
            }
            if *encoded {
                let b = v.as_bytes();
                let mut j = 0;
                while j < b.len() {
                    let hex = |k: usize| b.get(k).and_then(|c| (*c as char).to_digit(16));
                    match (b[j], hex(j + 1), hex(j + 2)) {
                        (b'%', Some(h), Some(l)) => {
                            bytes.push((h * 16 + l) as u8);
                            j += 3;
                        }
                        (c, _, _) => {
                            bytes.push(c);
                            j += 1;
                        }
                    }
                }
            } else {
                bytes.extend_from_slice(v.as_bytes());
            }
        }
        let encoding = encoding_rs::Encoding::for_label(charset.as_bytes()).unwrap_or(encoding_rs::UTF_8);
        return Some(encoding.decode(&bytes).0.into_owned());
    }
    None
}

/// An extension for an attachment sent without a name.
fn extension_for(data: &[u8], kind: &PartKind) -> &'static str {
    match (kind, sniff(data)) {
        (PartKind::Archive, _) if data.starts_with(b"7z") => ".7z",
        (PartKind::Archive, _) => ".zip",
        (PartKind::Spreadsheet, Kind::Zip) if zip_names(data).iter().any(|n| n == "content.xml") => ".ods",
        (PartKind::Spreadsheet, Kind::Zip) => ".xlsx",
        (PartKind::Spreadsheet, Kind::Cfb | Kind::OldBiff) => ".xls",
        (PartKind::Spreadsheet, _) => ".csv",
        (PartKind::UnreadableArchive(_), _) if data.starts_with(b"Rar!") => ".rar",
        _ => "",
    }
}

fn zip_names(data: &[u8]) -> Vec<String> {
    zip::ZipArchive::new(Cursor::new(data)).map(|z| z.file_names().map(|n| n.map(|n| n.to_ascii_lowercase()).unwrap_or_default()).collect()).unwrap_or_default()
}

/// What `data` is, by content; the name only tells a CSV table from other plain text.
pub fn classify(data: &[u8], name: &str) -> PartKind {
    if archive_kind(data).is_some() {
        return PartKind::Archive;
    }
    match sniff(data) {
        Kind::Zip => {
            let names = zip_names(data);
            let has = |n: &str| names.iter().any(|x| x == n);
            if names.iter().any(|n| n.starts_with("xl/")) || (has("content.xml") && !has("[content_types].xml")) {
                if has("mimetype") && !spreadsheet_mimetype(data) {
                    PartKind::Other("OpenDocument 文本或演示文稿".into())
                } else {
                    PartKind::Spreadsheet
                }
            } else if names.iter().any(|n| n.starts_with("word/")) {
                PartKind::Other("Word 文档".into())
            } else if names.iter().any(|n| n.starts_with("ppt/")) {
                PartKind::Other("演示文稿".into())
            } else if names.is_empty() {
                // A damaged zip: the reader says what is wrong with it.
                PartKind::Spreadsheet
            } else {
                PartKind::Other("Office 文档".into())
            }
        }
        Kind::Cfb => match cfb::CompoundFile::open(Cursor::new(data)) {
            Ok(c) => {
                let has = |n: &str| c.exists(n);
                if has("/Workbook") || has("/Book") || has("/EncryptedPackage") {
                    PartKind::Spreadsheet
                } else if has("/WordDocument") {
                    PartKind::Other("Word 文档".into())
                } else {
                    PartKind::Other("Office 文档".into())
                }
            }
            // A damaged xls is still somebody's return: the reader says what is wrong with it.
            Err(_) => PartKind::Spreadsheet,
        },
        Kind::OldBiff => PartKind::Spreadsheet,
        Kind::Text => {
            let ext = std::path::Path::new(name).extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
            if matches!(ext.as_str(), "csv" | "tsv" | "xls" | "xlsx" | "et") { PartKind::Spreadsheet } else { PartKind::Other("文本".into()) }
        }
        Kind::Other(what) if what.contains("压缩包") => PartKind::UnreadableArchive(what),
        Kind::Other(what) => PartKind::Other(what),
    }
}

fn spreadsheet_mimetype(data: &[u8]) -> bool {
    use std::io::Read;
    let Ok(mut z) = zip::ZipArchive::new(Cursor::new(data)) else { return false };
    let Ok(f) = z.by_name("mimetype") else { return false };
    let mut s = String::new();
    let _ = f.take(200).read_to_string(&mut s);
    s.contains("spreadsheet")
}

/// The cloud-drive links in a text: (service, link).
pub fn cloud_links(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("http").map(|i| i + from) {
        let end = lower[i..].find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')' | '(') || !c.is_ascii()).map_or(lower.len(), |e| i + e);
        let url = &text[i..end];
        let url_lower = &lower[i..end];
        if let Some((_, service)) = CLOUD_DRIVES.iter().find(|(host, _)| url_lower.contains(host)) {
            let link = (service.to_string(), url.to_string());
            if !out.contains(&link) {
                out.push(link);
            }
        }
        from = end.max(i + 4);
    }
    out
}

/// The findings a message gives by itself: a RAR archive, a cloud-drive link, no spreadsheet at all.
/// `file` names the message where the findings are shown (the .eml file, or the message's subject).
pub fn findings(email: &Email, file: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    let from = email.from.as_ref().map(|s| format!("(发件人 {})", s.display())).unwrap_or_default();
    for p in &email.parts {
        if let PartKind::UnreadableArchive(what) = &p.kind {
            out.push(
                Finding::new(
                    Code::MailRar,
                    file,
                    format!("邮件{from}的附件「{}」是{what},无法读取。请直接发送填好的台账文件(xlsx、xls 或 ods),或改用 zip 格式压缩后重新发送。", p.path),
                )
                .value(p.path.clone()),
            );
        }
    }
    for (service, link) in &email.links {
        out.push(
            Finding::new(
                Code::MailLink,
                file,
                format!("邮件{from}正文中是{service}链接,不是附件;网盘文件无法自动收取,且链接可能过期。请把填好的台账文件(xlsx、xls 或 ods)作为邮件附件直接发送。"),
            )
            .value(link.clone()),
        );
    }
    if !email.parts.iter().any(|p| p.kind.is_kept()) && out.is_empty() {
        let others: Vec<&str> = email.parts.iter().map(|p| p.path.as_str()).collect();
        let what = if others.is_empty() { "没有附件".to_string() } else { format!("附件({})中没有电子表格", others.join("、")) };
        out.push(Finding::new(
            Code::MailNoSpreadsheet,
            file,
            format!("邮件{from}{what}。如为报送台账,请把填好的台账文件(xlsx、xls 或 ods)作为附件重新发送。"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2231_continuations_are_joined_before_decoding() {
        let h = "Content-Disposition: attachment;\r\n filename*0*=UTF-8''%E5%BE%B7%E9;\r\n filename*1*=%98%B3.xls\r\n";
        assert_eq!(rfc2231_name(h).as_deref(), Some("德阳.xls"));
        let gbk = "Content-Type: application/octet-stream; name*=GBK''%B3%C9%B6%BC.xlsx\r\n";
        assert_eq!(rfc2231_name(gbk).as_deref(), Some("成都.xlsx"));
    }

    #[test]
    fn cloud_links_are_found_with_their_service() {
        let t = "台账见 https://pan.baidu.com/s/1abc?pwd=x1y2 提取码 x1y2,另见<a href=\"https://share.weiyun.com/AbC\">微云</a> http://example.com/x";
        assert_eq!(
            cloud_links(t),
            [("百度网盘".to_string(), "https://pan.baidu.com/s/1abc?pwd=x1y2".to_string()), ("腾讯微云".to_string(), "https://share.weiyun.com/AbC".to_string())]
        );
    }

    #[test]
    fn forwarded_messages_and_encoded_names_are_opened() {
        let csv = "序号,提升企业名称\n1,甲\n";
        let inner = format!(
            "From: a@cd.example.cn\r\nSubject: =?UTF-8?B?{}?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=in\r\n\r\n--in\r\nContent-Type: text/plain\r\n\r\nhi\r\n--in\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename*=UTF-8''%E6%88%90%E9%83%BD.csv\r\n\r\n{csv}\r\n--in--\r\n",
            b64("台账")
        );
        let outer = format!(
            "From: =?GBK?B?{}?= <B@Office.example.cn>\r\nSubject: Fw\r\nMessage-ID: <m1@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=out\r\n\r\n--out\r\nContent-Type: text/plain\r\n\r\n见附件\r\n--out\r\nContent-Type: message/rfc822\r\n\r\n{inner}\r\n--out--\r\n",
            b64_bytes(&encoding_rs::GBK.encode("张明").0)
        );
        let e = parse(outer.as_bytes()).unwrap();
        let s = e.from.as_ref().unwrap();
        assert_eq!((s.address.as_str(), s.name.as_deref()), ("b@office.example.cn", Some("张明")));
        assert_eq!(e.message_id.as_deref(), Some("m1@x"));
        let parts: Vec<(&str, &PartKind)> = e.parts.iter().map(|p| (p.path.as_str(), &p.kind)).collect();
        assert_eq!(parts, [("台账.eml/成都.csv", &PartKind::Spreadsheet)]);
        assert!(findings(&e, "x").is_empty());
        assert!(parse(b"\x00\x01 not a message").is_none());
    }

    fn b64(s: &str) -> String {
        b64_bytes(s.as_bytes())
    }

    fn b64_bytes(b: &[u8]) -> String {
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in b.chunks(3) {
            let n = (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= c.len() {
                    out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
