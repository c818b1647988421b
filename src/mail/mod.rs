//! Sending each prefecture its workbook: the templates at the start of a quarter, the corrections after a
//! check. One message per prefecture, to its own address, with its own file attached byte for byte.
//!
//! Messages go either into an outbox folder as standard `.eml` files (any mail client opens them, and the
//! office can send them from its own client) or straight to an SMTP server. The password comes from the
//! environment, never from the command line, and is never sent over an unencrypted connection.

//!
//! The tree: [`contacts`] reads the contacts sheet, `compose` builds each prefecture's message, `smtp`
//! sends, `outbox` writes `.eml` files, `remind` lists whom to remind of what, and [`deliver`] is the one
//! operation the command and the console both call.

mod compose;
pub mod contacts;
mod deliver;
mod outbox;
#[cfg(feature = "rollup")]
mod remind;
mod smtp;

use std::path::PathBuf;

use lettre::Message;

pub use compose::prepare;
pub use contacts::{Contact, read_contacts};
pub use deliver::{Delivered, Destination, MailReport, MailRequest, RemindRequest, deliver};
pub use outbox::write_outbox;
#[cfg(feature = "rollup")]
pub use remind::{REMIND_BODY, REMIND_SUBJECT, Reminder, prepare_reminders, reminders};
pub use smtp::{Security, Sent, SmtpOptions, send_all, transport};

/// The environment variable that holds the SMTP password.
pub const SMTP_PASSWORD_VAR: &str = "TAIZHANG_SMTP_PASSWORD";

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
    #[error("目录 {} 中没有可发送的市州文件", .0.display())]
    Nothing(PathBuf),
    /// The inbox read for the reminders could not be merged (a defect: polars rejecting taizhang's frames).
    #[cfg(feature = "rollup")]
    #[error(transparent)]
    Merge(#[from] crate::rollup::merge::MergeError),
    /// The SMTP server could not be reached or refused the session: nothing was sent.
    #[error("无法连接邮件服务器 {server},未发送任何邮件。请检查服务器地址、端口、加密方式和网络后重试。({detail})")]
    Unreachable { server: String, detail: String },
    #[error("无法写入 {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
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
    /// The deadline said in the messages when their workbook records none (corrections, reminders).
    pub deadline: Option<chrono::NaiveDate>,
}

/// One message to one prefecture, or why it cannot be sent.
#[derive(Debug)]
pub struct Outgoing {
    pub prefecture: String,
    pub to: Option<String>,
    pub attachment: Option<PathBuf>,
    pub message: Result<Message, String>,
}

