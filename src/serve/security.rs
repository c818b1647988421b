//! The console's security primitives. A local web server is reachable by every page the office's
//! browser opens, so it is protected the way Jupyter protects its notebook server: it listens on
//! loopback unless told otherwise, every request carries a session (from the printed address once, then
//! an HttpOnly SameSite=Strict cookie of this console's own name), the Host header must name this server
//! (DNS rebinding), and every request that changes something carries the session's CSRF token. The guards
//! that apply them are in [`super::guard`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub use crate::inbox::workspace::random_token;

/// Header that carries the CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Environment variable holding the password required when listening beyond loopback.
pub const PASSWORD_ENV: &str = "TAIZHANG_SERVE_PASSWORD";

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

/// The session cookie's name for a console on `port` with its workspace at `root`: browsers send a
/// cookie of 127.0.0.1 to every port of it, so each console has a name of its own.
pub fn cookie_name(port: u16, root: &std::path::Path) -> String {
    let key = crate::inbox::names::sha256_hex(root.display().to_string().as_bytes());
    format!("taizhang_{port}_{}", &key[..12])
}

/// Counts failures (a wrong link token, a wrong office password) per client address: past `max` failures
/// within `window`, a failing address is refused at once until the window has passed. What is refused is
/// only a *failing* attempt: a valid link or password is checked first and never refused for another's
/// failures, so that a flood of bad tokens from behind one NAT locks nobody out. The table is bounded:
/// past [`Throttle::CAPACITY`] addresses the expired ones are pruned, and the oldest go if all are
/// fresh.
pub struct Throttle {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
    max: u32,
    window: Duration,
}

/// Failed attempts allowed per address and window.
pub const FAILURES: u32 = 10;
/// How long an address that failed too often has its further failures refused at once.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new(FAILURES, WINDOW)
    }
}

impl Throttle {
    /// Addresses kept at most.
    pub const CAPACITY: usize = 10_000;

    pub fn new(max: u32, window: Duration) -> Self {
        Throttle { failures: Mutex::new(HashMap::new()), max, window }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, (u32, Instant)>> {
        self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether `ip` has failed too often lately (its next failure is refused without looking further).
    pub fn blocked(&self, ip: IpAddr) -> bool {
        self.map().get(&ip).is_some_and(|(n, since)| *n >= self.max && since.elapsed() < self.window)
    }

    /// Counts a failure of `ip`.
    pub fn fail(&self, ip: IpAddr) {
        let mut map = self.map();
        let window = self.window;
        if map.len() >= Self::CAPACITY && !map.contains_key(&ip) {
            map.retain(|_, (_, since)| since.elapsed() < window);
            if map.len() >= Self::CAPACITY
                && let Some(oldest) = map.iter().min_by_key(|(_, (_, since))| *since).map(|(k, _)| *k)
            {
                map.remove(&oldest);
            }
        }
        let e = map.entry(ip).or_insert((0, Instant::now()));
        if e.1.elapsed() >= window {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }

    /// Addresses in the table.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
    fn the_table_stays_bounded() {
        let t = Throttle::new(3, Duration::from_secs(60));
        for i in 0..(Throttle::CAPACITY as u32 + 500) {
            t.fail(IpAddr::from(i.to_be_bytes()));
        }
        assert_eq!(t.len(), Throttle::CAPACITY);
    }

    #[test]
    fn hosts_and_cookies() {
        assert!(host_allowed("127.0.0.1:8750", 8750, "127.0.0.1"));
        assert!(host_allowed("localhost:8750", 8750, "127.0.0.1"));
        assert!(!host_allowed("evil.example:8750", 8750, "127.0.0.1"));
        assert!(!host_allowed("127.0.0.1:80", 8750, "127.0.0.1"));
        assert_eq!(cookie_value("a=1; taizhang_8750_x=abc; b=2", "taizhang_8750_x"), Some("abc"));
        assert_eq!(cookie_value("a=1", "taizhang_8750_x"), None);
        assert!(same_secret("abc", "abc") && !same_secret("abc", "abd") && !same_secret("abc", "ab"));
        assert_eq!(random_token().unwrap().len(), 64);
        assert_ne!(random_token().unwrap(), random_token().unwrap());
        let root = std::path::Path::new("/w/甲");
        assert_ne!(cookie_name(8750, root), cookie_name(8751, root), "per port");
        assert_ne!(cookie_name(8750, root), cookie_name(8750, std::path::Path::new("/w/乙")), "per workspace");
    }
}
