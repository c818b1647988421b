//! The console's guard. A local web server is reachable by every page the office's browser opens, so it
//! is protected the way Jupyter protects its notebook server: it listens on loopback unless told
//! otherwise, every request carries the session token (from the printed URL once, then an HttpOnly
//! SameSite=Strict cookie), the Host header must name this server (DNS rebinding), and every request that
//! changes something carries the page's CSRF token. Uploaded names are sanitised before they touch the
//! disk, and nothing uploaded is ever served as a page.

use std::fmt::Write as _;

/// Name of the session cookie.
pub const COOKIE: &str = "taizhang_session";
/// Header that carries the CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Environment variable holding the password required when listening beyond loopback.
pub const PASSWORD_ENV: &str = "TAIZHANG_SERVE_PASSWORD";

/// A random token of 32 bytes, as hex.
///
/// # Errors
/// When the operating system has no randomness to give (never on the systems taizhang runs on).
pub fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let mut s = String::with_capacity(64);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    Ok(s)
}

/// Compares secrets without telling, by the time it takes, how much of a guess was right.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether a Host header names this server: a loopback name or the address it listens on, with its
/// port. Anything else is a page of another site that resolved its own name to this machine.
pub fn host_allowed(host: &str, port: u16, listen_host: &str) -> bool {
    let host = host.trim().to_ascii_lowercase();
    let names = ["127.0.0.1".to_string(), "localhost".to_string(), "[::1]".to_string(), listen_host.to_ascii_lowercase()];
    names.iter().any(|n| host == format!("{n}:{port}"))
}

/// The value of cookie `name` in a Cookie header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').filter_map(|kv| kv.trim().split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

/// Names Windows reserves for devices: a file called `CON.xlsx` cannot be opened there.
const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5",
    "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Longest stored name, in characters (file systems count bytes; 120 CJK characters stay under 255).
const MAX_NAME_CHARS: usize = 120;

/// A file name that is safe to store: its last path component only, without control characters or the
/// characters Windows forbids, not a reserved device name, not hidden, not empty, and not too long. The
/// extension is kept, since it tells the office what the file is.
pub fn sanitize_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let mut s: String = base
        .chars()
        .map(|c| if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') { '_' } else { c })
        .collect();
    s = s.trim().trim_matches('.').trim().to_string();
    if s.chars().count() > MAX_NAME_CHARS {
        let (stem, ext) = match s.rfind('.') {
            Some(i) if s.len() - i <= 8 => (s[..i].to_string(), s[i..].to_string()),
            _ => (s.clone(), String::new()),
        };
        s = stem.chars().take(MAX_NAME_CHARS - ext.chars().count()).collect::<String>() + &ext;
    }
    let stem = s.split('.').next().unwrap_or("").trim().to_ascii_lowercase();
    if s.is_empty() || RESERVED.contains(&stem.as_str()) {
        s = format!("上传文件_{s}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_dangerous_characters() {
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_name("..\\..\\Windows\\win.ini"), "win.ini");
        assert_eq!(sanitize_name("成都市\u{0}台账\n.xlsx"), "成都市_台账_.xlsx");
        assert_eq!(sanitize_name("a<b>c:d|e?.xlsx"), "a_b_c_d_e_.xlsx");
        assert_eq!(sanitize_name("CON.xlsx"), "上传文件_CON.xlsx");
        assert_eq!(sanitize_name("lpt1"), "上传文件_lpt1");
        assert_eq!(sanitize_name(".hidden.xlsx"), "hidden.xlsx");
        assert_eq!(sanitize_name(".."), "上传文件_");
        let long = "台".repeat(300) + ".xlsx";
        let s = sanitize_name(&long);
        assert_eq!(s.chars().count(), MAX_NAME_CHARS);
        assert!(s.ends_with(".xlsx"));
    }

    #[test]
    fn hosts_and_cookies() {
        assert!(host_allowed("127.0.0.1:8750", 8750, "127.0.0.1"));
        assert!(host_allowed("localhost:8750", 8750, "127.0.0.1"));
        assert!(!host_allowed("evil.example:8750", 8750, "127.0.0.1"));
        assert!(!host_allowed("127.0.0.1:80", 8750, "127.0.0.1"));
        assert_eq!(cookie_value("a=1; taizhang_session=abc; b=2", COOKIE), Some("abc"));
        assert_eq!(cookie_value("a=1", COOKIE), None);
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("abc", "ab"));
        assert_eq!(random_token().unwrap().len(), 64);
        assert_ne!(random_token().unwrap(), random_token().unwrap());
    }
}
