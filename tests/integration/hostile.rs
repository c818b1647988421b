//! The attacks that once got through, made again against the real binary: a small zip that expands into
//! files of commas (memory), a file removed by hand from the inbox and sent again (records), many uploads
//! at once through one link (the quota), a second console on the same workspace (the lock), a GET that
//! would start a period, two consoles' cookies, and guessing the office's password. Each test breaks one
//! rule on purpose and asserts what must hold, so it fails if the rule is taken out.

use std::path::Path;
use std::process::Command;

use super::common::{taizhang, zip_of};
use super::links::{checked_prefectures, links_of, page_csrf, upload_via, visit};
use super::serve::{Console, basic, files_in, request, sample};

/// The readers' limit on a text file decoded whole (`Limits::max_text_bytes`).
const TEXT_LIMIT: u64 = 64 << 20;

/// A zip of `n` CSV members of `mib` MiB of commas each: empty fields by the million, in a few
/// hundred kilobytes.
fn commas_zip(n: usize, mib: usize) -> Vec<u8> {
    let member = vec![b','; mib << 20];
    let names: Vec<String> = (0..n).map(|i| format!("成都市-{i}.csv")).collect();
    let members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), member.as_slice())).collect();
    zip_of(&members)
}

/// Runs taizhang under a parent that reports its peak resident memory (KiB), as `getrusage` gives it.
fn peak_kib(dir: &Path, args: &[&str]) -> (u64, std::process::Output) {
    let script = "import resource,subprocess,sys\nr=subprocess.run(sys.argv[1:],capture_output=True)\nsys.stderr.buffer.write(r.stdout+r.stderr)\nprint(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\nsys.exit(r.returncode)";
    let o = Command::new("python3").current_dir(dir).arg("-c").arg(script).arg(env!("CARGO_BIN_EXE_taizhang")).args(args).output().expect("python3");
    let kib = String::from_utf8_lossy(&o.stdout).trim().parse().unwrap_or_else(|_| panic!("{o:?}"));
    (kib, o)
}

/// Peak resident memory of a running process (KiB), from /proc.
fn vm_hwm(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap()
}

/// What a check of a folder holding only `zip` may use at most: one text file at the limit, and room for
/// the program itself. Without the text limit, the field count that includes empty fields, and archives
/// taken out one member at a time, these zips took hundreds of megabytes to gigabytes.
const CHECK_BOUND_KIB: u64 = (TEXT_LIMIT + (96 << 20)) >> 10;

#[test]
fn a_zip_of_commas_is_refused_within_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    // One member far past the text limit, and many members each under it but full of empty fields.
    for (name, zip) in [("一个.zip", commas_zip(1, 600)), ("许多.zip", commas_zip(200, 1))] {
        let inbox = dir.path().join(name.trim_end_matches(".zip"));
        std::fs::create_dir(&inbox).unwrap();
        assert!(zip.len() < 4 << 20, "{name}: {} bytes", zip.len());
        std::fs::write(inbox.join(format!("泸州市{name}")), &zip).unwrap();
        let (kib, o) = peak_kib(dir.path(), &["check", inbox.to_str().unwrap(), "--period", "2018Q3"]);
        let text = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{text}");
        assert!(text.contains("F04"), "refused as too large, by name: {text}");
        assert!(kib < CHECK_BOUND_KIB, "{name}: peak {kib} KiB, bound {CHECK_BOUND_KIB} KiB\n{text}");
    }
}

#[test]
fn the_console_holds_a_zip_of_commas_sent_through_a_link_and_refreshed() {
    let dir = tempfile::tempdir().unwrap();
    let c = Console::start(&dir.path().join("工作区"), &[]);
    let token = links_of(&c)["泸州市"].clone();
    let csrf = page_csrf(&visit(&c, &format!("/u/{token}")));
    let before = vm_hwm(c.pid());
    let zips = [commas_zip(1, 600), commas_zip(200, 1), commas_zip(3, 200), commas_zip(60, 4)];
    for (i, zip) in zips.iter().enumerate() {
        let r = upload_via(&c, &token, &[(&format!("泸州市台账{i}.zip"), zip)], Some(&csrf));
        assert_eq!(r.status, 200, "{}", r.body);
    }
    // Every refresh of the board sees the same inbox: nothing is read again, nothing grows.
    for _ in 0..4 {
        let s = c.get("/p/2018Q3/status.json", &[("Cookie", &c.cookie())]);
        assert_eq!(s.status, 200, "{}", s.body);
        let board = c.get("/p/2018Q3/board", &[("Cookie", &c.cookie())]);
        assert_eq!(board.status, 200, "{}", board.body);
    }
    let peak = vm_hwm(c.pid());
    assert!(peak - before < (2 * TEXT_LIMIT + (128 << 20)) >> 10, "the console grew from {before} KiB to {peak} KiB");
    // Each zip is refused by name, as 泸州's: the members within the budget one by one (their fields past
    // the limit), the others whole.
    let out = c.workspace.join("check.json");
    let o = Command::new(env!("CARGO_BIN_EXE_taizhang")).arg("check").arg(c.inbox()).args(["--period", "2018Q3", "--json"]).arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let findings: Vec<&serde_json::Value> = v["files"].as_array().unwrap().iter().flat_map(|f| f["findings"].as_array().unwrap()).chain(v["skipped"].as_array().unwrap()).collect();
    for i in 0..zips.len() {
        let zip = format!("泸州市台账{i}.zip");
        let mine: Vec<_> = findings.iter().filter(|f| f["file"].as_str().unwrap_or("").contains(&zip)).collect();
        assert!(!mine.is_empty() && mine.iter().all(|f| f["code"] == "F04" && f["prefecture"] == "泸州市"), "{zip}: {mine:?}");
    }
}

#[test]
fn a_file_removed_by_hand_gives_its_name_and_content_back() {
    let dir = tempfile::tempdir().unwrap();
    let c = Console::start(&dir.path().join("工作区"), &[]);
    let links = links_of(&c);
    let (cd, yb) = (&links["成都市"], &links["宜宾市"]);
    let ledger = sample("2018Q3-宜宾市-质量提升台账.xlsx");
    let r = upload_via(&c, cd, &[("台账.xlsx", &ledger)], Some(&page_csrf(&visit(&c, &format!("/u/{cd}")))));
    assert_eq!(r.status, 200, "{}", r.body);
    std::fs::remove_file(c.inbox().join("台账.xlsx")).unwrap();
    // 宜宾 sends a file of the same name through its own link: stored, and filed as 宜宾's.
    let r = upload_via(&c, yb, &[("台账.xlsx", &ledger)], Some(&page_csrf(&visit(&c, &format!("/u/{yb}")))));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.body.contains("UNIQUE") && !r.body.contains("此前收到"), "{}", r.body);
    assert!(c.inbox().join("台账.xlsx").exists(), "{:?}", files_in(&c.inbox()));
    let checked = checked_prefectures(&c);
    let mine: Vec<_> = checked.iter().filter(|(f, _, _)| f.ends_with("台账.xlsx")).collect();
    assert_eq!(mine.len(), 1, "{checked:?}");
    assert_eq!(mine[0].1.as_deref(), Some("宜宾市"), "{checked:?}");
    let board = c.get("/p/2018Q3/board", &[("Cookie", &c.cookie())]);
    assert!(board.body.contains("已报送 1/21"), "{}", board.body);
    // The same bytes once more after they were removed: stored again, not "received before".
    std::fs::remove_file(c.inbox().join("台账.xlsx")).unwrap();
    let r = upload_via(&c, yb, &[("台账.xlsx", &ledger)], Some(&page_csrf(&visit(&c, &format!("/u/{yb}")))));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(!r.body.contains("此前收到"), "{}", r.body);
    assert!(c.inbox().join("台账.xlsx").exists(), "stored again: {}", r.body);
}

#[test]
fn uploads_racing_through_one_link_stay_within_its_quota_and_keep_their_records() {
    let dir = tempfile::tempdir().unwrap();
    let c = Console::start(&dir.path().join("工作区"), &[]);
    let token = links_of(&c)["成都市"].clone();
    let csrf = page_csrf(&visit(&c, &format!("/u/{token}")));
    let (port, host) = (c.port, c.host());
    let threads: Vec<_> = (0..10)
        .map(|t| {
            let (token, csrf, host) = (token.clone(), csrf.clone(), host.clone());
            std::thread::spawn(move || {
                let bodies: Vec<(String, Vec<u8>)> = (0..10).map(|i| (format!("台账-{t}-{i}.csv"), format!("序号,提升企业名称\n1,企业{t}{i}\n").into_bytes())).collect();
                let files: Vec<(&str, &[u8])> = bodies.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
                let (ctype, body) = super::serve::multipart(&files);
                request(port, "POST", &format!("/u/{token}/upload"), &host, &[("Content-Type", &ctype), ("X-CSRF-Token", &csrf)], &body).status
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 200);
    }
    let stored: Vec<String> = files_in(&c.inbox()).into_iter().filter(|n| n.ends_with(".csv")).collect();
    assert_eq!(stored.len(), 50, "{stored:?}");
    // Every stored file keeps its link's prefecture (its record line was written).
    let checked = checked_prefectures(&c);
    let csv: Vec<_> = checked.iter().filter(|(f, _, _)| f.ends_with(".csv")).collect();
    assert_eq!(csv.len(), 50);
    assert!(csv.iter().all(|(_, p, _)| p.as_deref() == Some("成都市")), "{csv:?}");
}

#[test]
fn a_second_console_on_the_same_workspace_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("工作区");
    let first = Console::start(&ws, &[]);
    let o = taizhang(dir.path(), &["serve", "--workspace", ws.to_str().unwrap(), "--period", "2018Q3", "--no-browser", "--listen", "127.0.0.1:0"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("此工作区已由另一个工作台使用") && err.contains(&format!("进程 {}", first.pid())), "{err}");
    // The first one goes on serving.
    assert_eq!(first.get("/p/2018Q3", &[("Cookie", &first.cookie())]).status, 200);
}

#[test]
fn opening_a_period_page_starts_nothing_and_links_keep_their_period() {
    let dir = tempfile::tempdir().unwrap();
    let c = Console::start(&dir.path().join("工作区"), &[]);
    let page = c.get("/p/2100Q4", &[("Cookie", &c.cookie())]);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("尚未开始"), "the page offers to start it: {}", page.body);
    assert!(!c.workspace.join("2100Q4").exists(), "no folder made by a GET");
    // An <img> from another local page is a GET too, with no CSRF token: a POST without one is refused.
    let r = request(c.port, "POST", "/periods", &c.host(), &[("Cookie", &c.cookie()), ("Content-Type", "application/x-www-form-urlencoded")], b"period=2100Q4&collect=1");
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(!c.workspace.join("2100Q4").exists());
    let token = links_of(&c)["雅安市"].clone();
    let r = upload_via(&c, &token, &[("雅安市台账.xlsx", &sample("乐山市质量提升台账.xlsx"))], Some(&page_csrf(&visit(&c, &format!("/u/{token}")))));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(c.inbox().join("雅安市台账.xlsx").exists(), "the link still collects for 2018Q3: {:?}", files_in(&c.inbox()));
}

#[test]
fn two_consoles_have_their_own_cookies_and_both_stay_signed_in() {
    let dir = tempfile::tempdir().unwrap();
    let a = Console::start(&dir.path().join("甲"), &[]);
    let b = Console::start(&dir.path().join("乙"), &[]);
    assert_ne!(a.cookie_name(), b.cookie_name(), "a browser keeps both");
    // The browser sends both cookies to both (cookies ignore ports): each console takes its own.
    let both = format!("{}; {}", a.cookie(), b.cookie());
    for c in [&a, &b] {
        assert_eq!(c.get("/p/2018Q3", &[("Cookie", &both)]).status, 200);
    }
    // And the other's cookie alone opens nothing.
    assert_eq!(a.get("/p/2018Q3", &[("Cookie", &b.cookie())]).status, 403);
}

#[test]
fn guessing_the_office_password_gets_one_answer_and_then_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let c = Console::start(&dir.path().join("工作区"), &["--listen", "0.0.0.0:0", "--env-password=office-pw"]);
    let cookie = c.cookie();
    // A browser first asks without a password: not a guess, however often.
    for _ in 0..12 {
        assert_eq!(c.get("/links", &[("Cookie", &cookie)]).status, 401);
    }
    assert_eq!(c.get("/links", &[("Cookie", &cookie), ("Authorization", &basic("office-pw"))]).status, 200);
    let missing = c.get("/links", &[("Cookie", &cookie)]);
    let wrong = c.get("/links", &[("Cookie", &cookie), ("Authorization", &basic("guess"))]);
    assert_eq!((missing.status, &missing.body), (wrong.status, &wrong.body), "a wrong password and none get one answer");
    for i in 0..10 {
        c.get("/links", &[("Cookie", &cookie), ("Authorization", &basic(&format!("guess{i}")))]);
    }
    // Past ten wrong guesses the right password is refused too, with the same answer: nothing tells it.
    let right = c.get("/links", &[("Cookie", &cookie), ("Authorization", &basic("office-pw"))]);
    assert_eq!((right.status, &right.body), (wrong.status, &wrong.body));
}

#[test]
fn a_links_corrections_workbook_touches_no_other_prefecture() {
    let dir = tempfile::tempdir().unwrap();
    let c = Console::start(&dir.path().join("工作区"), &[]);
    let links = links_of(&c);
    for (name, file) in [("乐山市", "乐山市质量提升台账.xlsx"), ("宜宾市", "2018Q3-宜宾市-质量提升台账.xlsx")] {
        let t = &links[name];
        let r = upload_via(&c, t, &[(file, &sample(file))], Some(&page_csrf(&visit(&c, &format!("/u/{t}")))));
        assert_eq!(r.status, 200, "{}", r.body);
    }
    // The office's own corrections folder, as the office left it (a hand edit included).
    let feedback = c.workspace.join("2018Q3").join("审核意见");
    std::fs::create_dir_all(&feedback).unwrap();
    std::fs::write(feedback.join("宜宾市-审核意见.xlsx"), b"edited by hand").unwrap();
    let before = files_in(&feedback);
    let r = visit(&c, &format!("/u/{}/feedback", links["乐山市"]));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.bytes.starts_with(b"PK"), "a workbook");
    assert_eq!(files_in(&feedback), before, "nothing written to the office's folder");
    assert_eq!(std::fs::read(feedback.join("宜宾市-审核意见.xlsx")).unwrap(), b"edited by hand");
}
