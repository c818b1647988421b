//! Collecting the returns where they arrive: the office mailbox, over IMAP.
//!
//! Every message of the mailbox is looked at once: its spreadsheet attachments (and zip or 7z archives,
//! which the reader opens) are stored unchanged in the inbox folder, and a record line is kept for each
//! (message, sender, date, subject, attachment, stored name, sha256) in [`RECORD_FILE`] beside them. A
//! message is known by its mailbox, UIDVALIDITY and UID, an attachment by its content hash, so running
//! `collect` again fetches nothing twice and stores nothing twice. The mailbox is opened read-only
//! (EXAMINE) and messages are fetched with BODY.PEEK: nothing is deleted, moved or marked as read.
//!
//! The password comes from the environment only, and only ever travels encrypted: implicit TLS, or
//! STARTTLS, which is required whenever `--tls` is not given.

use std::collections::{BTreeSet, HashMap};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;


use crate::inbox::mime::{self, PartKind, Sender};
use crate::inbox::{names, record};
use crate::inbox::record::{Entry, RECORD_FILE};
use crate::finding::{Code, Finding};
use crate::mail::Security;
use crate::refdata::RefData;

/// The environment variable that holds the IMAP password.
pub const IMAP_PASSWORD_VAR: &str = "TAIZHANG_IMAP_PASSWORD";

/// Largest message fetched (the reader's limit on one file).
const MAX_MESSAGE_BYTES: u32 = 256 << 20;

/// Where and how to collect.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    pub host: String,
    pub port: u16,
    /// `Opportunistic` (neither `--tls` nor `--starttls`) is treated as `StartTls`: there is always a
    /// password to protect.
    pub security: Security,
    pub user: String,
    /// From [`IMAP_PASSWORD_VAR`].
    pub password: Option<String>,
    /// An extra root certificate (PEM), for a mail server with a private certificate authority.
    pub ca_cert: Option<PathBuf>,
    pub mailbox: String,
    /// Only messages received on or after this day.
    pub since: Option<chrono::NaiveDate>,
    /// The contacts sheet `mail` uses: senders' addresses tell the prefecture.
    pub contacts: Option<PathBuf>,
    /// The inbox folder attachments are stored in.
    pub into: PathBuf,
    pub timeout: Duration,
}

/// Why `collect` could not run. Nothing is written when one of these happens before the first message.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("请在环境变量 {IMAP_PASSWORD_VAR} 中提供邮箱密码(密码不从命令行读取)")]
    NoPassword,
    #[error("无法连接邮件服务器 {0}")]
    Connect(String),
    #[error("加密连接失败:{0}")]
    Tls(String),
    #[error("服务器 {0} 不支持 STARTTLS 加密。为避免密码以明文发送,未登录。请改用 --tls(通常为 993 端口),或确认服务器地址和端口")]
    NoStartTls(String),
    #[error("登录失败:用户名或密码不正确,或该账户不允许 IMAP 登录(服务器答复:{0})。请检查 --user 和环境变量 {IMAP_PASSWORD_VAR} 中的密码")]
    Login(String),
    #[error("无法打开邮箱文件夹「{0}」:{1}")]
    Mailbox(String, String),
    #[error("与邮件服务器通信失败:{0}")]
    Protocol(String),
    #[error("{0}")]
    Contacts(String),
    #[error("无法写入 {path}: {why}")]
    Write { path: PathBuf, why: String },
}

/// What one run collected.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Messages looked at for the first time.
    pub messages: usize,
    /// Attachments stored now.
    pub stored: Vec<String>,
    /// The new record lines, in order.
    pub receipts: Vec<Entry>,
    /// Findings about the new messages (C01–C06, each also in the record).
    pub findings: Vec<Finding>,
}

trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}
type Session = imap::Session<Box<dyn Stream>>;

fn tls_config(opts: &CollectOptions) -> Result<Arc<rustls::ClientConfig>, CollectError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(ca) = &opts.ca_cert {
        let bad = |e: &dyn std::fmt::Display| CollectError::Tls(format!("证书 {} 无效: {e}", ca.display()));
        let certs = CertificateDer::pem_file_iter(ca).map_err(|e| bad(&e))?;
        for c in certs {
            roots.add(c.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| CollectError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Wraps `tcp` in TLS and completes the handshake, so that a certificate the server cannot prove is
/// refused here, before anything is sent.
fn handshake(opts: &CollectOptions, tcp: TcpStream) -> Result<Box<dyn Stream>, CollectError> {
    let config = tls_config(opts)?;
    let name = rustls::pki_types::ServerName::try_from(opts.host.clone()).map_err(|e| CollectError::Tls(format!("服务器名「{}」无效: {e}", opts.host)))?;
    let conn = rustls::ClientConnection::new(config, name).map_err(|e| CollectError::Tls(e.to_string()))?;
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    while tls.conn.is_handshaking() {
        tls.conn.complete_io(&mut tls.sock).map_err(|e| CollectError::Tls(e.to_string()))?;
    }
    Ok(Box::new(tls))
}

/// One line from the server, read a byte at a time so that nothing after it is consumed (the TLS
/// handshake follows on the same socket).
fn read_line(tcp: &mut TcpStream) -> std::io::Result<String> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        if tcp.read(&mut b)? == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "服务器关闭了连接"));
        }
        line.push(b[0]);
        if line.len() > 64 << 10 {
            return Err(std::io::Error::other("服务器答复过长"));
        }
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// The plain-text start of a STARTTLS session (RFC 3501 6.2.1): greeting, CAPABILITY, STARTTLS. Whether
/// the server agreed; the imap client takes over on the encrypted stream, and the password is only
/// sent there.
fn starttls(tcp: &mut TcpStream) -> std::io::Result<bool> {
    let greeting = read_line(tcp)?;
    if !greeting.starts_with("* OK") {
        return Err(std::io::Error::other(format!("服务器问候异常:{}", greeting.trim())));
    }
    let mut offered = greeting.to_ascii_uppercase().contains("STARTTLS");
    if !offered {
        tcp.write_all(b"t1 CAPABILITY\r\n")?;
        loop {
            let l = read_line(tcp)?;
            if l.starts_with("* ") && l.to_ascii_uppercase().contains(" STARTTLS") {
                offered = true;
            }
            if l.starts_with("t1 ") {
                break;
            }
        }
    }
    if !offered {
        return Ok(false);
    }
    tcp.write_all(b"t2 STARTTLS\r\n")?;
    loop {
        let l = read_line(tcp)?;
        if let Some(rest) = l.strip_prefix("t2 ") {
            return Ok(rest.to_ascii_uppercase().starts_with("OK"));
        }
    }
}

/// Connects, secures the connection and logs in.
fn login(opts: &CollectOptions) -> Result<Session, CollectError> {
    let password = opts.password.as_deref().ok_or(CollectError::NoPassword)?;
    let server = format!("{}:{}", opts.host, opts.port);
    let connect_err = |e: &dyn std::fmt::Display| CollectError::Connect(format!("{server}:{e}"));
    let addrs: Vec<_> = (opts.host.as_str(), opts.port).to_socket_addrs().map_err(|e| connect_err(&e))?.collect();
    let mut last = None;
    let mut tcp = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, opts.timeout) {
            Ok(t) => {
                tcp = Some(t);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let tcp = tcp.ok_or_else(|| connect_err(&last.map_or_else(|| "地址无法解析".to_string(), |e| e.to_string())))?;
    let _ = tcp.set_read_timeout(Some(opts.timeout));
    let _ = tcp.set_write_timeout(Some(opts.timeout));
    let proto = |e: imap::Error| CollectError::Protocol(e.to_string());
    let client = match opts.security {
        Security::Implicit => {
            let mut c = imap::Client::new(handshake(opts, tcp)?);
            c.read_greeting().map_err(proto)?;
            c
        }
        // Without --tls the password is protected by STARTTLS, which the server must offer.
        Security::StartTls | Security::Opportunistic => {
            let mut tcp = tcp;
            if !starttls(&mut tcp).map_err(|e| CollectError::Protocol(e.to_string()))? {
                return Err(CollectError::NoStartTls(server));
            }
            let mut c = imap::Client::new(handshake(opts, tcp)?);
            // The greeting came before STARTTLS; none follows the handshake.
            c.greeting_read = true;
            c
        }
    };
    client.login(&opts.user, password).map_err(|(e, _)| match e {
        imap::Error::No(n) => CollectError::Login(n.information),
        imap::Error::Bad(b) => CollectError::Login(b.information),
        e => CollectError::Protocol(e.to_string()),
    })
}

/// The contacts' addresses, lower-cased, with their prefecture.
fn sender_prefectures(refdata: &RefData, path: &Path) -> Result<HashMap<String, String>, CollectError> {
    let (contacts, _) = crate::mail::read_contacts(refdata, path).map_err(|e| CollectError::Contacts(e.to_string()))?;
    let mut out = HashMap::new();
    for c in contacts {
        for a in c.email.iter().flat_map(|e| e.split([',', ';', ',', ';', '、', ' ', '\n'])) {
            let a = a.trim().trim_start_matches('<').trim_end_matches('>').to_lowercase();
            if a.contains('@') {
                out.entry(a).or_insert_with(|| c.prefecture.clone());
            }
        }
    }
    Ok(out)
}

/// IMAP's date form: `1-Oct-2018`.
fn imap_date(d: chrono::NaiveDate) -> String {
    d.format("%-d-%b-%Y").to_string()
}

/// What the inbox folder already holds: the record, and the content hash of every file (so that a file
/// saved by hand is recognised too).
struct Inbox {
    dir: PathBuf,
    record: Vec<Entry>,
    hashes: HashMap<String, String>,
    names: BTreeSet<String>,
}

impl Inbox {
    fn open(dir: &Path) -> Inbox {
        let record = record::read_record(&dir.join(RECORD_FILE));
        let mut hashes = HashMap::new();
        let mut names = BTreeSet::new();
        if let Ok(entries) = std::fs::read_dir(dir) {
            let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
            files.sort();
            for p in files {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                names.insert(name.to_lowercase());
                if record::is_record_name(&name) {
                    continue;
                }
                if let Ok(bytes) = std::fs::read(&p) {
                    hashes.entry(names::sha256_hex(&bytes)).or_insert(name);
                }
            }
        }
        Inbox { dir: dir.to_path_buf(), record, hashes, names }
    }

    fn seen(&self, mailbox: &str, uidvalidity: u32, uid: u32) -> bool {
        self.record.iter().any(|r| r.mailbox == mailbox && r.uidvalidity == uidvalidity && r.uid == uid)
    }

    /// A name not yet taken in the folder (compared without case, as Windows does): `台账 (2).xlsx`.
    fn free_name(&self, name: &str) -> String {
        names::free_name(name, |n| self.names.contains(&n.to_lowercase()) || record::is_record_name(n))
    }

    fn store(&mut self, name: &str, data: &[u8]) -> Result<String, CollectError> {
        let name = self.free_name(name);
        let path = self.dir.join(&name);
        std::fs::create_dir_all(&self.dir).map_err(|e| CollectError::Write { path: self.dir.clone(), why: e.to_string() })?;
        crate::output::write_atomic(&path, data).map_err(|e| CollectError::Write { path: path.clone(), why: e.to_string() })?;
        self.names.insert(name.to_lowercase());
        Ok(name)
    }

    /// Adds a message's lines to the record, at its end: the lines already there are never rewritten.
    fn save_lines(&self, lines: &[Entry]) -> Result<(), CollectError> {
        let path = self.dir.join(RECORD_FILE);
        record::append(&path, lines).map_err(|e| CollectError::Write { path, why: e.to_string() })
    }
}

/// Collects every new message of the mailbox into `opts.into`.
///
/// # Errors
/// When the server cannot be reached, refuses the login or the mailbox, or the folder cannot be
/// written. A failure before the login writes nothing.
pub fn collect(refdata: &RefData, opts: &CollectOptions, progress: &mut dyn FnMut(&str)) -> Result<Outcome, CollectError> {
    if opts.password.is_none() {
        return Err(CollectError::NoPassword);
    }
    let contacts = match &opts.contacts {
        Some(p) => Some(sender_prefectures(refdata, p)?),
        None => None,
    };
    let mut session = login(opts)?;
    let proto = |e: imap::Error| CollectError::Protocol(e.to_string());
    // Read-only: the server keeps every flag as it was.
    let mailbox = session.examine(&opts.mailbox).map_err(|e| CollectError::Mailbox(opts.mailbox.clone(), e.to_string()))?;
    let uidvalidity = mailbox.uid_validity.unwrap_or(0);
    let query = opts.since.map_or_else(|| "ALL".to_string(), |d| format!("SINCE {}", imap_date(d)));
    let mut uids: Vec<u32> = session.uid_search(&query).map_err(proto)?.into_iter().collect();
    uids.sort_unstable();
    let mut inbox = Inbox::open(&opts.into);
    let mut out = Outcome::default();
    for uid in uids {
        if inbox.seen(&opts.mailbox, uidvalidity, uid) {
            continue;
        }
        let base = Entry { uidvalidity, uid, ..Entry::blank(&opts.mailbox) };
        let (size, body) = fetch(&mut session, uid)?;
        let email = body.as_deref().and_then(|b| std::panic::catch_unwind(|| mime::parse(b)).ok().flatten());
        let lines = match email {
            None => vec![unreadable(base, size)],
            Some(email) => message_lines(email, base, contacts.as_ref(), &mut inbox, &mut out, progress)?,
        };
        out.messages += 1;
        out.findings.extend(lines.iter().filter_map(Entry::finding));
        // After each message, so that an interrupted run keeps what it stored and knows it next time.
        inbox.save_lines(&lines)?;
        inbox.record.extend(lines.iter().cloned());
        out.receipts.extend(lines);
    }
    let _ = session.logout();
    Ok(out)
}

/// [`collect`] into a console workspace's period: files into its inbox, and records each attachment
/// stored now in its receipts as received by mail from its sender, as the console shows them.
///
/// # Errors
/// As [`collect`]; and when the receipts cannot be written.
#[cfg(feature = "serve")]
pub fn collect_into(refdata: &RefData, opts: &CollectOptions, ws: &super::workspace::Workspace, period: crate::Period, progress: &mut dyn FnMut(&str)) -> Result<Outcome, CollectError> {
    ws.ensure(period).map_err(|e| CollectError::Write { path: ws.period_dir(period), why: e.to_string() })?;
    let opts = CollectOptions { into: ws.dir(period, super::workspace::INBOX), ..opts.clone() };
    let outcome = collect(refdata, &opts, progress)?;
    let arrived: Vec<(String, String, super::Origin)> = outcome
        .receipts
        .iter()
        .filter_map(|r| {
            // Stored now (a RAR is stored too, to be looked at), not recognised as stored before.
            let stored = r.stored.clone().filter(|s| outcome.stored.contains(s) && r.code.as_deref() != Some("C05"))?;
            let origin = super::Origin::Mail { sender: r.sender.as_ref().map(Sender::display) };
            Some((stored.clone(), r.attachment.clone().unwrap_or(stored), origin))
        })
        .collect();
    ws.record_arrived(period, &arrived).map_err(|e| CollectError::Write { path: opts.into.clone(), why: e.to_string() })?;
    Ok(outcome)
}

/// A message's size and, within the limit, its bytes (fetched with BODY.PEEK: not marked as read).
fn fetch(session: &mut Session, uid: u32) -> Result<(u32, Option<Vec<u8>>), CollectError> {
    let proto = |e: imap::Error| CollectError::Protocol(e.to_string());
    let size = session.uid_fetch(uid.to_string(), "RFC822.SIZE").map_err(proto)?.iter().find_map(|f| f.size).unwrap_or(0);
    if size > MAX_MESSAGE_BYTES {
        return Ok((size, None));
    }
    let fetched = session.uid_fetch(uid.to_string(), "BODY.PEEK[]").map_err(proto)?;
    Ok((size, fetched.iter().find_map(|f| f.body().map(<[u8]>::to_vec))))
}

/// The record line of a message too large or that could not be parsed (C04).
fn unreadable(base: Entry, size: u32) -> Entry {
    let why = if size > MAX_MESSAGE_BYTES {
        format!("邮件大小 {} MB,超过 {} MB 的上限,未收取。请市州只发送本期的台账文件。", size >> 20, MAX_MESSAGE_BYTES >> 20)
    } else {
        "邮件无法读取或解析,未收取。请在邮件客户端中查看该邮件,把其中的台账另存到收件箱文件夹。".to_string()
    };
    Entry { code: Some(Code::MailUnreadable.as_str().into()), message: Some(why), ..base }
}

/// The record lines of a parsed message, its spreadsheet attachments stored in the inbox: one line per
/// attachment (stored, or recognised as stored before), one per finding (an unknown sender, a RAR, a
/// cloud-drive link, no spreadsheet), or the message alone when it gave nothing.
fn message_lines(
    mut email: mime::Email,
    base: Entry,
    contacts: Option<&HashMap<String, String>>,
    inbox: &mut Inbox,
    out: &mut Outcome,
    progress: &mut dyn FnMut(&str),
) -> Result<Vec<Entry>, CollectError> {
    if let (Some(s), Some(c)) = (&mut email.from, contacts) {
        s.prefecture = c.get(&s.address).cloned();
    }
    let head = Entry { message_id: email.message_id.clone(), sender: email.from.clone(), date: email.date.clone(), subject: email.subject.clone(), ..base };
    progress(&head.message_label());
    // The same message under another UID (the mailbox was rebuilt, or the message copied to another
    // folder): known, and noted under its new UID only.
    if head.message_id.is_some() && inbox.record.iter().any(|r| r.message_id == head.message_id && r.sender == head.sender) {
        return Ok(vec![head]);
    }
    let mut lines = Vec::new();
    if contacts.is_some() && email.from.as_ref().is_some_and(|s| s.prefecture.is_none()) {
        let who = email.from.as_ref().map(Sender::display).unwrap_or_default();
        lines.push(Entry {
            code: Some(Code::UnknownSender.as_str().into()),
            value: Some(who.clone()),
            message: Some(format!("发件人 {who} 不在联系人表中,无法据此确定市州;如为市州的新邮箱,请补入联系人表。")),
            ..head.clone()
        });
    }
    let findings = mime::findings(&email, "");
    for part in email.parts.iter().filter(|p| p.kind.is_kept()) {
        lines.push(store_part(part, &head, &findings, inbox, out)?);
    }
    for f in findings.into_iter().filter(|f| f.code != Code::MailRar) {
        lines.push(Entry { code: Some(f.code.as_str().into()), value: f.value.clone(), message: Some(f.message), ..head.clone() });
    }
    if lines.is_empty() {
        lines.push(head);
    }
    Ok(lines)
}

/// Stores one attachment unless the same content is in the inbox already (C05); a RAR is stored and
/// carries its finding (C01).
fn store_part(part: &mime::Attachment, head: &Entry, findings: &[Finding], inbox: &mut Inbox, out: &mut Outcome) -> Result<Entry, CollectError> {
    let sha = names::sha256_hex(&part.data);
    let mut line = Entry { attachment: Some(part.path.clone()), sha256: Some(sha.clone()), ..head.clone() };
    if let Some(existing) = inbox.hashes.get(&sha) {
        line.stored = Some(existing.clone());
        line.code = Some(Code::MailDuplicate.as_str().into());
        line.message = Some(format!("附件「{}」与已收取的「{existing}」内容相同,未重复保存。", part.path));
    } else {
        let name = inbox.store(&part.name, &part.data)?;
        inbox.hashes.insert(sha, name.clone());
        out.stored.push(name.clone());
        line.stored = Some(name);
    }
    if let PartKind::UnreadableArchive(_) = part.kind
        && let Some(f) = findings.iter().find(|f| f.code == Code::MailRar && f.value.as_deref() == Some(part.path.as_str()))
    {
        line.code = Some(f.code.as_str().into());
        line.message = Some(f.message.clone());
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imap_dates_and_free_names() {
        assert_eq!(imap_date(chrono::NaiveDate::from_ymd_opt(2018, 10, 1).unwrap()), "1-Oct-2018");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("台账.xlsx"), b"a").unwrap();
        std::fs::write(dir.path().join("台账 (2).xlsx"), b"b").unwrap();
        let inbox = Inbox::open(dir.path());
        assert_eq!(inbox.free_name("台账.xlsx"), "台账 (3).xlsx");
        assert_eq!(inbox.free_name("台账.XLSX"), "台账 (3).XLSX");
        assert_eq!(inbox.free_name("成都.xlsx"), "成都.xlsx");
        assert_eq!(inbox.free_name(RECORD_FILE), "收取记录 (2).jsonl");
        assert_eq!(inbox.hashes.get(&names::sha256_hex(b"b")).map(String::as_str), Some("台账 (2).xlsx"));
    }
}
