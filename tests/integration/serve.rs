//! `taizhang serve` over real HTTP on 127.0.0.1: the binary is started as an official starts it, and
//! requests are written by hand so that each security rule can be broken on purpose — no token, a wrong
//! Host, a missing CSRF token, a path in a file name, an oversized upload, a zip bomb — and each refusal
//! is asserted along with what it must not have left on disk.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::common::samples;

/// A console started on a free port.
pub(crate) struct Console {
    child: Child,
    pub(crate) port: u16,
    /// The token of the printed address.
    pub(crate) token: String,
    pub(crate) workspace: PathBuf,
    /// `name=value` of the office's session cookie.
    cookie: String,
}

/// The Authorization header of HTTP Basic with `password` (any user name).
pub(crate) fn basic(password: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("office:{password}")))
}

impl Console {
    pub(crate) fn start(workspace: &Path, extra: &[&str]) -> Console {
        let listen: &[&str] = if extra.contains(&"--default-listen") { &[] } else { &["--listen", "127.0.0.1:0"] };
        // `--env-password=P` is no option of taizhang: the console is started with TAIZHANG_SERVE_PASSWORD=P.
        let password = extra.iter().find_map(|a| a.strip_prefix("--env-password=")).unwrap_or("");
        // `--env:K=V` is no option either: the console is started with K=V in its environment.
        let env: Vec<(&str, &str)> = extra.iter().filter_map(|a| a.strip_prefix("--env:")).filter_map(|kv| kv.split_once('=')).collect();
        let listen: &[&str] = if extra.iter().any(|a| a.starts_with("--listen")) { &[] } else { listen };
        let extra: Vec<&&str> = extra.iter().filter(|a| **a != "--default-listen" && !a.starts_with("--env-password=") && !a.starts_with("--env:")).collect();
        let mut child = Command::new(env!("CARGO_BIN_EXE_taizhang"))
            .args(["serve", "--workspace"])
            .arg(workspace)
            .args(["--period", "2018Q3", "--no-browser"])
            .args(listen)
            .args(extra)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("TAIZHANG_SERVE_PASSWORD", password)
            .envs(env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start taizhang serve");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        // The first line is the URL to open, with its token.
        let url = first.trim();
        let rest = url.strip_prefix("http://127.0.0.1:").unwrap_or_else(|| panic!("first line is the URL: {url:?}"));
        let (port, token) = rest.split_once("/?token=").unwrap();
        let mut c = Console { child, port: port.parse().unwrap(), token: token.to_string(), workspace: workspace.to_path_buf(), cookie: String::new() };
        // The office opens the printed address once: its session's cookie, of this console's own name.
        let auth = (!password.is_empty()).then(|| basic(password));
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        let r = c.get(&format!("/?token={}", c.token), &headers);
        let set = r.header("set-cookie").unwrap_or_else(|| panic!("a session cookie: {} {}", r.status, r.body));
        c.cookie = set.split(';').next().unwrap().to_string();
        c
    }

    /// The console's process id, to read its memory from /proc.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The name of the office's session cookie.
    pub(crate) fn cookie_name(&self) -> &str {
        self.cookie.split('=').next().unwrap_or_default()
    }

    pub(crate) fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub(crate) fn cookie(&self) -> String {
        self.cookie.clone()
    }

    /// The CSRF token, as the board page carries it.
    pub(crate) fn csrf(&self) -> String {
        let page = self.get("/p/2018Q3", &[("Cookie", &self.cookie())]);
        assert_eq!(page.status, 200, "{}", page.body);
        let at = page.body.find("name=\"csrf-token\" content=\"").expect("csrf meta") + 27;
        page.body[at..at + 64].to_string()
    }

    pub(crate) fn get(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        request(self.port, "GET", path, &self.host(), headers, b"")
    }

    pub(crate) fn inbox(&self) -> PathBuf {
        self.workspace.join("2018Q3").join("收件箱")
    }

    pub(crate) fn upload(&self, files: &[(&str, &[u8])], csrf: Option<&str>) -> Reply {
        let (ctype, body) = multipart(files);
        let cookie = self.cookie();
        let mut headers = vec![("Cookie", cookie.as_str()), ("Content-Type", ctype.as_str())];
        if let Some(c) = csrf {
            headers.push(("X-CSRF-Token", c));
        }
        request(self.port, "POST", "/p/2018Q3/upload", &self.host(), &headers, &body)
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) struct Reply {
    pub(crate) status: u16,
    headers: Vec<(String, String)>,
    pub(crate) body: String,
    pub(crate) bytes: Vec<u8>,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request, written by hand so that any header can be wrong on purpose.
pub(crate) fn request(port: u16, method: &str, path: &str, host: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    // A refused upload may be answered before its body is read; the server then closes the connection.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut bytes = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    if headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")) {
        bytes = dechunk(&bytes);
    }
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned(), bytes }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else { break };
        let size = usize::from_str_radix(std::str::from_utf8(&b[..eol]).unwrap().trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
    out
}

pub(crate) fn multipart(files: &[(&str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----taizhang-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, data) in files {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub(crate) fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()).unwrap_or_default();
    v.sort();
    v
}

pub(crate) fn sample(name: &str) -> Vec<u8> {
    std::fs::read(samples().join(name)).unwrap()
}

#[test]
fn every_request_needs_the_token_the_host_and_for_changes_the_csrf_token() {
    let dir = tempfile::tempdir().unwrap();
    let c = Console::start(&dir.path().join("工作区"), &[]);
    // No token at all, and a wrong one.
    assert_eq!(c.get("/p/2018Q3", &[]).status, 403);
    assert_eq!(c.get("/?token=0000", &[]).status, 403);
    assert_eq!(c.get("/p/2018Q3", &[("Cookie", &format!("{}0000", c.cookie().split('=').next().unwrap()))]).status, 403);
    assert_eq!(c.get("/p/2018Q3", &[("Cookie", &format!("{}={}", c.cookie().split('=').next().unwrap(), c.token))]).status, 403, "the address's token is no session");
    // The printed token, once: a cookie, and the token leaves the address bar.
    let r = c.get(&format!("/?token={}", c.token), &[]);
    assert_eq!(r.status, 303);
    let cookie = r.header("set-cookie").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.starts_with(&format!("taizhang_{}_", c.port)), "the console's own cookie name: {cookie}");
    assert!(!cookie.contains("Secure"), "not over plain http: {cookie}");
    assert_eq!(r.header("location"), Some("/"));
    let board = c.get("/p/2018Q3", &[("Cookie", &c.cookie())]);
    assert_eq!(board.status, 200);
    assert!(board.body.contains("已报送 <strong id=\"returned\"") && board.body.contains(">0/21</strong>"), "{}", board.body);
    assert!(board.header("content-security-policy").unwrap().contains("default-src 'self'"));
    assert_eq!(board.header("x-frame-options"), Some("DENY"));
    // A page of another site whose name resolves here (DNS rebinding): refused even with the cookie.
    let r = request(c.port, "GET", "/p/2018Q3", &format!("evil.example:{}", c.port), &[("Cookie", &c.cookie())], b"");
    assert_eq!(r.status, 403, "{}", r.body);
    // A change without the CSRF token, or from another origin: refused, nothing stored.
    let r = c.upload(&[("2018Q3-成都市-质量提升台账.xlsx", &sample("2018Q3-成都市-质量提升台账.xlsx"))], None);
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(files_in(&c.inbox()).is_empty());
    let csrf = c.csrf();
    let (ctype, body) = multipart(&[("a.xlsx", b"x")]);
    let r = request(c.port, "POST", "/p/2018Q3/upload", &c.host(), &[("Cookie", &c.cookie()), ("Content-Type", &ctype), ("X-CSRF-Token", &csrf), ("Origin", "http://evil.example")], &body);
    assert_eq!(r.status, 403);
    assert!(files_in(&c.inbox()).is_empty());
    // With the token: stored unchanged and checked at once.
    let bytes = sample("2018Q3-成都市-质量提升台账.xlsx");
    let r = c.upload(&[("2018Q3-成都市-质量提升台账.xlsx", &bytes)], Some(&csrf));
    assert_eq!(r.status, 200, "{}", r.body);
    let res: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(res[0]["stored"], "2018Q3-成都市-质量提升台账.xlsx");
    assert_eq!(res[0]["prefecture"], "成都市");
    assert!(res[0]["summary"].as_str().unwrap().contains("台账 12 行"), "{}", r.body);
    assert_eq!(std::fs::read(c.inbox().join("2018Q3-成都市-质量提升台账.xlsx")).unwrap(), bytes);
    // The same content again: recognised, not stored twice.
    let r = c.upload(&[("副本.xlsx", &bytes)], Some(&csrf));
    let res: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(res[0]["duplicate_of"], "2018Q3-成都市-质量提升台账.xlsx");
    assert_eq!(files_in(&c.inbox()), ["2018Q3-成都市-质量提升台账.xlsx"]);
    // The board sets the plan's targets against what is reported, as the rollup's indicator sheet does.
    let board = c.get("/p/2018Q3/board", &[("Cookie", &c.cookie())]).body;
    assert!(board.contains("规划目标完成情况"), "{board}");
    for i in &super::common::refdata().indicators.indicators {
        assert!(board.contains(&format!("<td>{}</td>", i.name)), "{} on the board", i.name);
    }
}

#[test]
fn hostile_uploads_are_contained() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("工作区");
    let c = Console::start(&ws, &["--max-file-mb", "1"]);
    let csrf = c.csrf();
    // Names with paths, control characters and reserved device names are stored inside the inbox, tamed.
    let r = c.upload(&[("../../逃逸.xlsx", b"a"), ("/etc/win.ini", b"b"), ("CON.xlsx", b"c"), ("a<b>.html", b"<script>alert(1)</script>")], Some(&csrf));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(files_in(&c.inbox()), ["_CON.xlsx", "a_b_.html", "逃逸.xlsx"]);
    // What is no kind of return is refused before it is stored, saying what may be sent; a program
    // dressed as a workbook by a right-to-left override too.
    let res: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert!(res[1]["error"].as_str().unwrap().contains(".ini 文件不是台账"), "{}", r.body);
    let r = c.upload(&[("成都市台账\u{202E}xslx.exe", b"MZ"), ("快捷方式.lnk", b"L"), ("报告.hta", b"<hta>"), ("a.bat", b"x"), ("屏保.scr", b"MZ")], Some(&csrf));
    let res: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(res.as_array().unwrap().iter().filter(|x| x["error"].as_str().is_some_and(|e| e.contains("不是台账"))).count(), 5, "{}", r.body);
    assert_eq!(files_in(&c.inbox()), ["_CON.xlsx", "a_b_.html", "逃逸.xlsx"]);
    assert!(!dir.path().join("逃逸.xlsx").exists() && !ws.join("逃逸.xlsx").exists());
    // What was uploaded is only ever a download, never a page.
    let page = c.get("/p/2018Q3/prefecture/510100", &[("Cookie", &c.cookie())]);
    assert_eq!(page.status, 200);
    let receipts = c.get("/p/2018Q3", &[("Cookie", &c.cookie())]);
    assert!(!receipts.body.contains("<script>alert"), "uploaded text never appears unescaped");
    let html_id = 3;
    let d = c.get(&format!("/p/2018Q3/file/{html_id}"), &[("Cookie", &c.cookie())]);
    assert_eq!(d.status, 200);
    assert_eq!(d.header("content-type"), Some("application/octet-stream"));
    assert!(d.header("content-disposition").unwrap().starts_with("attachment;"));
    assert_eq!(d.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(d.bytes, b"<script>alert(1)</script>");
    // Over the limit: refused with a clear message, nothing stored (not even a temporary file).
    let big = vec![b'x'; (1 << 20) + 10];
    let r = c.upload(&[("大文件.xlsx", &big)], Some(&csrf));
    let res: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("{} {}", r.status, r.body));
    assert!(res[0]["error"].as_str().unwrap().contains("超过 1 MB 的上限,未保存"), "{}", r.body);
    assert_eq!(files_in(&c.inbox()).len(), 3, "{:?}", files_in(&c.inbox()));
    // A zip bomb small enough to upload is stored, then read within the limits: a finding, not a crash.
    let bomb = super::common::zip_bomb("成都市台账.xlsx");
    assert!(bomb.len() < 1 << 20);
    let r = c.upload(&[("炸弹.zip", &bomb)], Some(&csrf));
    assert_eq!(r.status, 200, "{}", r.body);
    let res: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(res[0]["stored"], "炸弹.zip");
    let f = res[0]["findings"][0].as_str().unwrap();
    assert!(f.starts_with("错误 F04 成都市台账.xlsx") && f.contains("压缩包解压后超过"), "{}", r.body);
    let board = c.get("/p/2018Q3/board", &[("Cookie", &c.cookie())]);
    assert_eq!(board.status, 200, "the console is still up");
}

#[test]
fn listening_beyond_loopback_needs_a_password() {
    let o = Command::new(env!("CARGO_BIN_EXE_taizhang"))
        .args(["serve", "--workspace", "unused", "--listen", "0.0.0.0:0", "--no-browser"])
        .env_clear()
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("TAIZHANG_SERVE_PASSWORD"), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn twenty_one_uploads_at_once_survive_a_kill_mid_upload() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("工作区");
    // 21 returns: the 21 templates, each filled with one enterprise by the prefecture's name.
    let tpl = dir.path().join("tpl");
    let o = Command::new(env!("CARGO_BIN_EXE_taizhang")).args(["template", "--period", "2018Q3", "--out"]).arg(&tpl).output().unwrap();
    assert!(o.status.success());
    let c = Console::start(&ws, &[]);
    let csrf = c.csrf();
    let names = files_in(&tpl);
    assert_eq!(names.len(), 21);
    std::thread::scope(|s| {
        for n in &names {
            let (c, csrf, tpl) = (&c, &csrf, &tpl);
            s.spawn(move || {
                let r = c.upload(&[(n.as_str(), &std::fs::read(tpl.join(n)).unwrap())], Some(csrf));
                assert_eq!(r.status, 200, "{n}: {}", r.body);
            });
        }
    });
    assert_eq!(files_in(&c.inbox()), names, "all 21 stored under their names");
    let board = c.get("/p/2018Q3/board", &[("Cookie", &c.cookie())]).body;
    assert!(board.contains("共收到 21 个文件"), "{board}");
    let port = c.port;
    // A 22nd upload cut off halfway, and the process killed.
    let (ctype, body) = multipart(&[("半截.xlsx", &vec![b'x'; 200_000])]);
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "POST /p/2018Q3/upload HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {}\r\nX-CSRF-Token: {csrf}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
        c.cookie(),
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body[..100_000]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    drop(c);
    drop(s);
    // Restarted: the same 21 files, nothing half-written, the same board.
    let c = Console::start(&ws, &[]);
    assert_eq!(files_in(&c.inbox()), names);
    let again = c.get("/p/2018Q3/board", &[("Cookie", &c.cookie())]).body;
    let strip = |b: &str| b.lines().filter(|l| !l.contains("更新于")).collect::<Vec<_>>().join("\n");
    assert_eq!(strip(&again), strip(&board));
}

#[test]
fn the_console_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    // What `consolidate` says of samples/ is what the board must show.
    let o = super::common::taizhang(dir.path(), &["consolidate", samples().to_str().unwrap(), "--period", "2018Q3", "--out", "cli.xlsx"]);
    let said = super::common::stdout(&o);
    let at = said.rfind("已报送 ").expect("consolidate's summary") + "已报送 ".len();
    let returned: String = said[at..].chars().take_while(|c| c.is_ascii_digit() || *c == '/').collect();
    let c = Console::start(&dir.path().join("工作区"), &[]);
    let url = format!("http://127.0.0.1:{}/?token={}", c.port, c.token);
    // Screenshots stay where a person can look at them when TAIZHANG_SCREENSHOTS names a folder.
    let shots = std::env::var_os("TAIZHANG_SCREENSHOTS").map_or_else(|| dir.path().join("shots"), PathBuf::from);
    let script = super::common::repo().join("tests/e2e/console.py");
    let o = Command::new("python3").arg(&script).arg(&url).arg(samples()).arg(&shots).arg(&returned).output().expect("python3");
    assert!(o.status.success(), "browser test failed (chromium and playwright are installed by .ci/run):\n{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_str(String::from_utf8_lossy(&o.stdout).lines().last().unwrap()).unwrap();
    let files = std::fs::read_dir(samples()).unwrap().flatten().filter(|e| e.path().extension().is_some_and(|x| x != "md")).count();
    assert_eq!(r["results"], files, "every uploaded file reported on the page: {r}");
    assert_eq!(r["returned"], returned.as_str());
    assert_eq!(r["yibin_files"], 2, "宜宾 sent its return twice: {r}");
    assert!(r["yibin_counting"].as_str().unwrap().contains("修改"), "the resubmission counts: {r}");
    assert_eq!(r["yibin_rows"], 7);
    assert_eq!(r["feedback_name"], "2018Q3-乐山市-审核意见.xlsx");
    assert!(r["leshan_findings"].as_u64().unwrap() >= 9, "乐山's findings on its page: {r}");
    assert_eq!(r["sheets"][0], "汇总");
    let enterprises: usize = said.rsplit("共 ").next().and_then(|s| s.split(' ').next()).and_then(|n| n.parse().ok()).expect("enterprises in consolidate's summary");
    assert_eq!(r["enterprises"], enterprises, "the rollup downloaded from the page is the one consolidate writes");
    // Every file stored unchanged in the inbox, but the lock file and Thumbs.db, which are no returns.
    let returns: Vec<String> = files_in(&samples()).into_iter().filter(|n| !n.starts_with("~$") && n != "Thumbs.db" && n != "README.md").collect();
    assert_eq!(files_in(&c.inbox()), returns);
    for n in &returns {
        assert_eq!(std::fs::read(c.inbox().join(n)).unwrap(), std::fs::read(samples().join(n)).unwrap(), "{n} unchanged");
    }
}

impl Console {
    pub(crate) fn post_form(&self, path: &str, form: &str, csrf: &str) -> Reply {
        let cookie = self.cookie();
        let headers = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded"), ("X-CSRF-Token", csrf)];
        request(self.port, "POST", path, &self.host(), &headers, form.as_bytes())
    }
}

/// Percent-encodes a form value.
pub(crate) fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[test]
fn templates_mail_and_reminders_from_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("工作区");
    // Reached by the prefectures at this address: the mail carries each one's upload link.
    let c = Console::start(&ws, &["--public-url", "http://tz.example.cn:8750"]);
    let csrf = c.csrf();
    // Without contacts: said so, nothing written.
    let r = c.post_form("/p/2018Q3/mail", "kind=templates", &csrf);
    assert!(r.body.contains("还没有联系人表"), "{}", r.body);
    // The contacts sheet `mail` uses, uploaded from the page.
    let contacts: String = std::iter::once("市州,联系人,邮箱".to_string())
        .chain(super::common::refdata().prefectures.all().iter().enumerate().map(|(i, p)| format!("{},联系人{i},zl{i:02}@pref.example.cn", p.name)))
        .collect::<Vec<_>>()
        .join("\n");
    let (ctype, body) = multipart(&[("联系人.csv", contacts.as_bytes())]);
    let cookie = c.cookie();
    let r = request(c.port, "POST", "/contacts", &c.host(), &[("Cookie", &cookie), ("Content-Type", &ctype), ("X-CSRF-Token", &csrf)], &body);
    assert!(r.body.contains("共 21 个市州有邮箱"), "{}", r.body);
    assert!(ws.join("联系人.csv").is_file());
    // Templates for the period, with its deadline; then their mail.
    let r = c.post_form("/p/2018Q3/templates", "deadline=2018-10-10", &csrf);
    let res: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(res["ok"], true, "{}", r.body);
    assert_eq!(files_in(&ws.join("2018Q3/模板")).len(), 21);
    let zip = c.get("/p/2018Q3/templates.zip", &[("Cookie", &c.cookie())]);
    assert_eq!(zip::ZipArchive::new(std::io::Cursor::new(zip.bytes)).unwrap().len(), 21);
    let from = enc("省质量提升办 <zltsb@example.gov.cn>");
    let r = c.post_form("/p/2018Q3/mail", &format!("kind=templates&from={from}"), &csrf);
    let res: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(res["ok"], true, "{}", r.body);
    let outbox = ws.join("2018Q3/发件箱/模板");
    assert_eq!(files_in(&outbox).len(), 21, "{}", r.body);
    let rows = res["table"]["rows"].as_array().unwrap();
    assert_eq!(rows.iter().filter(|r| r[2] == "已写出").count(), 21, "a result per prefecture: {}", r.body);
    // Each message names its own prefecture's upload link, and no other.
    let links = super::links::links_of(&c);
    let chengdu = std::fs::read_dir(&outbox).unwrap().map(|e| e.unwrap().path()).find(|p| p.to_string_lossy().contains("成都")).unwrap();
    let raw = std::fs::read(&chengdu).unwrap();
    let text = mail_parser::MessageParser::default().parse(&raw).unwrap().body_text(0).unwrap().into_owned();
    assert!(text.contains(&format!("http://tz.example.cn:8750/u/{}", links["成都市"])), "{text}");
    assert!(!text.contains(&links["绵阳市"]), "{text}");
    // 成都 returns; the reminders go to the 20 others, each naming what is missing.
    c.upload(&[("2018Q3-成都市-质量提升台账.xlsx", &sample("2018Q3-成都市-质量提升台账.xlsx"))], Some(&csrf));
    let r = c.post_form("/p/2018Q3/mail", &format!("kind=remind&from={from}"), &csrf);
    let res: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    let reminders = files_in(&ws.join("2018Q3/发件箱/催报"));
    assert_eq!(reminders.len(), 20, "{res}");
    assert!(!reminders.iter().any(|n| n.contains("成都")), "{reminders:?}");
    // The CSRF rule holds for these actions too.
    let r = c.post_form("/p/2018Q3/mail", "kind=remind", "0000");
    assert_eq!(r.status, 403);
}

#[test]
fn a_second_console_on_the_default_port_takes_a_free_one() {
    let dir = tempfile::tempdir().unwrap();
    let a = Console::start(&dir.path().join("甲"), &["--default-listen"]);
    let b = Console::start(&dir.path().join("乙"), &["--default-listen"]);
    assert_ne!(a.port, b.port);
    for c in [&a, &b] {
        assert_eq!(c.get("/p/2018Q3", &[("Cookie", &c.cookie())]).status, 200, "both serve");
    }
}

#[test]
fn the_provinces_own_figures_from_the_page_reach_the_board_and_the_rollup() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("工作区");
    let c = Console::start(&ws, &[]);
    let csrf = c.csrf();
    let cookie = c.cookie();
    let page = c.get("/p/2018Q3", &[("Cookie", &cookie)]);
    assert!(page.body.contains("name=\"spot_check_pass_rate\""), "a field per figure only the province has");
    assert!(!page.body.contains("name=\"self_declared_standards\""), "none for what the prefectures report");
    // Not a number: refused, naming the indicator; nothing saved.
    let r = c.post_form("/p/2018Q3/province-figures", &format!("spot_check_pass_rate={}", enc("很高")), &csrf);
    assert!(r.body.contains("\"ok\":false") && r.body.contains("重点消费品国家监督抽查合格率"), "{}", r.body);
    assert!(!ws.join("2018Q3/省局填报指标.csv").exists());
    let r = c.post_form("/p/2018Q3/province-figures", &format!("spot_check_pass_rate={}&green_products=12&satisfaction_surveys=", enc("92.1%")), &csrf);
    assert!(r.body.contains("\"ok\":true"), "{}", r.body);
    assert!(r.body.contains("已保存 2 项"), "{}", r.body);
    let board = c.get("/p/2018Q3/board", &[("Cookie", &cookie)]).body;
    let row = board.split("<tr>").find(|r| r.contains("重点消费品国家监督抽查合格率")).unwrap();
    assert!(row.contains("92.1") && row.contains("达标") && !row.contains("未达标"), "{row}");
    // The rollup built from the page carries them.
    c.upload(&[("2018Q3-成都市-质量提升台账.xlsx", &sample("2018Q3-成都市-质量提升台账.xlsx"))], Some(&csrf));
    let r = c.post_form("/p/2018Q3/rollup", "", &csrf);
    assert!(r.body.contains("\"ok\":true"), "{}", r.body);
    let rollup = ws.join("2018Q3/汇总/2018Q3全省汇总.xlsx");
    let cells = super::common::sheet_rows(&rollup, "指标完成情况");
    let line = cells.iter().find(|r| r.iter().any(|c| c == "重点消费品国家监督抽查合格率")).unwrap();
    assert!(line.iter().any(|c| c == "92.1") && line.iter().any(|c| c == "达标"), "{line:?}");
}

#[test]
fn reminders_go_out_on_a_schedule_through_the_offices_smtp_server() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("工作区");
    let smtp = super::quarterly::server(dir.path(), "smtp", &[]);
    // The schedule looked at every 300 ms instead of every minute.
    let c = Console::start(&ws, &["--env:TAIZHANG_SCHEDULE_TICK_MS=300"]);
    let csrf = c.csrf();
    let contacts: String = std::iter::once("市州,联系人,邮箱".to_string())
        .chain(super::common::refdata().prefectures.all().iter().enumerate().map(|(i, p)| format!("{},联系人{i},zl{i:02}@pref.example.cn", p.name)))
        .collect::<Vec<_>>()
        .join("\n");
    let (ctype, body) = multipart(&[("联系人.csv", contacts.as_bytes())]);
    let r = request(c.port, "POST", "/contacts", &c.host(), &[("Cookie", &c.cookie()), ("Content-Type", &ctype), ("X-CSRF-Token", &csrf)], &body);
    assert!(r.body.contains("共 21 个市州有邮箱"), "{}", r.body);
    let tomorrow = (chrono::Local::now().date_naive() + chrono::Days::new(1)).format("%Y-%m-%d").to_string();
    // No deadline yet: the schedule asks for one first.
    let r = c.post_form("/p/2018Q3/remind-schedule", "enabled=1&days=3&at=00:00", &csrf);
    assert!(r.body.contains("截止日期"), "{}", r.body);
    let r = c.post_form("/p/2018Q3/templates", &format!("deadline={tomorrow}"), &csrf);
    assert!(r.body.contains("\"ok\":true"), "{}", r.body);
    // The templates sent from the page through the server (kept for the schedule).
    let from = enc("省质量提升办 <zltsb@example.gov.cn>");
    let server = enc(&format!("127.0.0.1:{}", smtp.port));
    let r = c.post_form("/p/2018Q3/mail", &format!("kind=templates&send=smtp&from={from}&smtp_server={server}&smtp_security=plain"), &csrf);
    let res: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(res["table"]["rows"].as_array().unwrap().iter().filter(|r| r[2].as_str().unwrap().starts_with("已发送")).count(), 21, "{}", r.body);
    assert_eq!(super::quarterly::delivered(&smtp).len(), 21);
    c.upload(&[("2018Q3-成都市-质量提升台账.xlsx", &sample("2018Q3-成都市-质量提升台账.xlsx"))], Some(&csrf));
    let r = c.post_form("/p/2018Q3/remind-schedule", "enabled=1&days=3&at=00:00", &csrf);
    assert!(r.body.contains("经本办发件服务器发送"), "{}", r.body);
    // The 20 prefectures that have not reported are reminded once, by the schedule.
    let start = std::time::Instant::now();
    while super::quarterly::delivered(&smtp).len() < 41 && start.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(super::quarterly::delivered(&smtp).len(), 41, "21 templates and 20 reminders");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(super::quarterly::delivered(&smtp).len(), 41, "at most once a day");
    let page = c.get("/p/2018Q3", &[("Cookie", &c.cookie())]);
    assert!(page.body.contains("定时催报邮件"), "logged on the page");
    assert!(page.body.contains("name=\"enabled\" value=\"1\" checked"), "the form shows the schedule");
}

