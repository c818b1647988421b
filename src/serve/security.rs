//! The console's guard. A local web server is reachable by every page the office's browser opens, so it
//! is protected the way Jupyter protects its notebook server: it listens on loopback unless told
//! otherwise, every request carries the session token (from the printed URL once, then an HttpOnly
//! SameSite=Strict cookie), the Host header must name this server (DNS rebinding), and every request that
//! changes something carries the page's CSRF token. Uploaded names are sanitised before they touch the
//! disk ([`crate::inbox::names::sanitize`], shared with `collect`), and nothing uploaded is ever served as a page.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Name of the session cookie.
pub const COOKIE: &str = "taizhang_session";
/// Header that carries the CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Environment variable holding the password required when listening beyond loopback.
pub const PASSWORD_ENV: &str = "TAIZHANG_SERVE_PASSWORD";

pub use crate::inbox::workspace::random_token;

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

/// Counts failed link tokens per client address: past `max` failures within `window`, the address is
/// refused until the window has passed — even with a valid token — so that guessing a link by trying is
/// hopeless.
pub struct Throttle {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
    max: u32,
    window: Duration,
}

/// Failed tokens allowed per address and window.
pub const LINK_FAILURES: u32 = 10;
/// How long an address that failed too often is refused.
pub const LINK_WINDOW: Duration = Duration::from_secs(15 * 60);

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new(LINK_FAILURES, LINK_WINDOW)
    }
}

impl Throttle {
    pub fn new(max: u32, window: Duration) -> Self {
        Throttle { failures: Mutex::new(HashMap::new()), max, window }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, (u32, Instant)>> {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether `ip` has failed too often lately.
    pub fn blocked(&self, ip: IpAddr) -> bool {
        self.map().get(&ip).is_some_and(|(n, since)| *n >= self.max && since.elapsed() < self.window)
    }

    /// Counts a failure of `ip`.
    pub fn fail(&self, ip: IpAddr) {
        let mut map = self.map();
        let window = self.window;
        // Bounded: entries of addresses that stopped failing go once the table grows.
        if map.len() > 10_000 {
            map.retain(|_, (_, since)| since.elapsed() < window);
        }
        let e = map.entry(ip).or_insert((0, Instant::now()));
        if e.1.elapsed() >= window {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_block_an_address_for_a_while_and_only_that_address() {
        let t = Throttle::new(3, Duration::from_secs(2));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..2 {
            t.fail(a);
        }
        assert!(!t.blocked(a), "below the limit");
        t.fail(a);
        assert!(t.blocked(a), "at the limit");
        assert!(!t.blocked(b), "another address is not concerned");
        std::thread::sleep(Duration::from_millis(2100));
        assert!(!t.blocked(a), "the window has passed");
        t.fail(a);
        assert!(!t.blocked(a), "counting starts again");
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
