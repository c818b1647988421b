//! Sending through an SMTP server: TLS from the first byte or STARTTLS, a password that never travels in
//! clear, temporary failures retried, one message's failure never stopping the others.

use std::path::PathBuf;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};

use super::{MailError, Outgoing, SMTP_PASSWORD_VAR};

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
    /// From [`SMTP_PASSWORD_VAR`].
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
        (Some(_), None) => return Err(MailError::Smtp(format!("已指定 --user,请在环境变量 {SMTP_PASSWORD_VAR} 中提供密码"))),
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
