//! The records kept beside the returns in an inbox folder, one JSON object a line: what `collect` stored
//! from each message (with its sender) and what came through each prefecture's upload link. Every reader
//! of the folder (`check`, `consolidate`, the console) reads them back, so that a file keeps where it
//! came from however it is read.

use crate::finding::{Code, Finding};

use super::mime::Sender;

/// The record `collect` keeps in the folder it files into, one JSON object a line: every attachment
/// stored (or recognised as stored before) and every finding about a message. `check` and `consolidate`
/// read it back for the sender of each stored file and for the findings of messages that stored nothing.
pub const RECORD_FILE: &str = "收取记录.jsonl";

/// The record the console keeps of files uploaded through the prefectures' private links, in the same
/// form as [`RECORD_FILE`] (one writer each, so neither overwrites the other's lines).
pub const UPLOAD_RECORD_FILE: &str = "上传记录.jsonl";

/// Whether `name` is one of the records kept beside the returns: never a return, and a name no received
/// file may take (a file called so would speak for the others' senders).
pub fn is_record_name(name: &str) -> bool {
    let name = name.to_lowercase();
    [RECORD_FILE, UPLOAD_RECORD_FILE].iter().any(|r| r.to_lowercase() == name)
}

/// One line of [`RECORD_FILE`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    /// When it was collected (RFC 3339).
    pub collected: String,
    pub mailbox: String,
    pub uidvalidity: u32,
    pub uid: u32,
    pub message_id: Option<String>,
    pub sender: Option<Sender>,
    /// The message's Date header (RFC 3339).
    pub date: Option<String>,
    pub subject: Option<String>,
    /// The attachment's name in the message (forwarded messages' names before it).
    pub attachment: Option<String>,
    /// The name it is stored under in the folder.
    pub stored: Option<String>,
    pub sha256: Option<String>,
    /// A finding about the attachment or the message: its code, the value concerned, the message.
    pub code: Option<String>,
    pub value: Option<String>,
    pub message: Option<String>,
    /// The prefecture whose private upload link (`taizhang serve`) brought the file, in place of a message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

impl Entry {
    /// A line of `mailbox` with nothing else known yet.
    pub fn blank(mailbox: &str) -> Entry {
        Entry {
            collected: chrono::Local::now().to_rfc3339(),
            mailbox: mailbox.to_string(),
            uidvalidity: 0,
            uid: 0,
            message_id: None,
            sender: None,
            date: None,
            subject: None,
            attachment: None,
            stored: None,
            sha256: None,
            code: None,
            value: None,
            message: None,
            link: None,
        }
    }

    /// The line of a file that came through `prefecture`'s private upload link.
    pub fn uploaded(original: &str, stored: &str, sha256: &str, prefecture: &str) -> Entry {
        Entry {
            attachment: Some(original.to_string()),
            stored: Some(stored.to_string()),
            sha256: Some(sha256.to_string()),
            link: Some(prefecture.to_string()),
            ..Entry::blank("上传链接")
        }
    }

    /// The message as findings name it: `邮件「主题」(发件人,日期)`.
    pub fn message_label(&self) -> String {
        let subject = self.subject.as_deref().filter(|s| !s.is_empty()).unwrap_or("(无主题)");
        let mut more = Vec::new();
        if let Some(s) = &self.sender {
            more.push(s.display());
        }
        if let Some(d) = &self.date {
            more.push(d.clone());
        }
        if more.is_empty() { format!("邮件「{subject}」") } else { format!("邮件「{subject}」({})", more.join(",")) }
    }

    /// The finding this line records, if any.
    pub fn finding(&self) -> Option<Finding> {
        let code = Code::ALL.iter().find(|c| Some(c.as_str()) == self.code.as_deref())?;
        let mut f = Finding::new(*code, self.message_label(), self.message.clone().unwrap_or_default());
        if let Some(v) = &self.value {
            f = f.value(v.clone());
        }
        f.prefecture = self.sender.as_ref().and_then(|s| s.prefecture.clone());
        Some(f)
    }
}

/// Adds lines to a record file, each written whole at its end: the file is never rewritten, so a line
/// already there is never lost, whoever else writes.
///
/// # Errors
/// When the file cannot be opened or written.
pub fn append(path: &std::path::Path, entries: &[Entry]) -> std::io::Result<()> {
    use std::io::Write;
    let mut text = String::new();
    for e in entries {
        text.push_str(&serde_json::to_string(e).map_err(std::io::Error::other)?);
        text.push('\n');
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    // One write of whole lines: with O_APPEND, no other writer's line lands inside one of them.
    f.write_all(text.as_bytes())?;
    f.sync_data()
}

/// Reads a record file; lines that do not parse are passed over (the file is the office's to edit).
pub fn read_record(path: &std::path::Path) -> Vec<Entry> {
    std::fs::read_to_string(path).map(|t| t.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()).unwrap_or_default()
}

/// The findings of a record that still stand: those about messages that stored nothing (a link, no
/// spreadsheet), unless the same sender later sent a message whose attachment was stored.
pub fn standing_findings(record: &[Entry]) -> Vec<Finding> {
    let same_sender = |a: &Entry, b: &Entry| match (&a.sender, &b.sender) {
        (Some(x), Some(y)) => x.address == y.address || (x.prefecture.is_some() && x.prefecture == y.prefecture),
        _ => false,
    };
    let order = |r: &Entry| (r.date.clone().unwrap_or_default(), r.uidvalidity, r.uid);
    record
        .iter()
        .filter(|r| r.stored.is_none() && matches!(r.code.as_deref(), Some("C02" | "C03" | "C04")))
        .filter(|r| !record.iter().any(|s| s.stored.is_some() && same_sender(r, s) && order(s) >= order(r)))
        .filter_map(Entry::finding)
        .fold(Vec::new(), |mut v: Vec<Finding>, f| {
            if !v.contains(&f) {
                v.push(f);
            }
            v
        })
}
