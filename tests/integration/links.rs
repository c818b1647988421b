//! The prefectures' private upload links of `taizhang serve`, over real HTTP: a link opens its own
//! prefecture's page and nothing else, files it as that prefecture's whatever they say, can be
//! regenerated, and cannot be guessed by trying.

use std::collections::BTreeMap;
use std::process::Command;

use super::serve::{Console, Reply, files_in, multipart, request, sample};

/// Every prefecture's link token, by name, as the office's links page shows them.
pub(crate) fn links_of(c: &Console) -> BTreeMap<String, String> {
    let page = c.get("/links", &[("Cookie", &c.cookie())]);
    assert_eq!(page.status, 200, "{}", page.body);
    let mut out = BTreeMap::new();
    // The page's text as a browser reads it (minijinja writes `/` in attributes as `&#x2f;`).
    let body = page.body.replace("&#x2f;", "/");
    for row in body.split("<tr><td>").skip(1) {
        let name = row.split("</td>").next().unwrap().to_string();
        let at = row.find("/u/").expect("a link in the row") + 3;
        out.insert(name, row[at..at + 64].to_string());
    }
    assert_eq!(out.len(), 21, "{body}");
    out
}

/// A request of someone who has only the link: no session cookie.
pub(crate) fn visit(c: &Console, path: &str) -> Reply {
    request(c.port, "GET", path, &c.host(), &[], b"")
}

/// The CSRF token of a link's page.
pub(crate) fn page_csrf(page: &Reply) -> String {
    let at = page.body.find("name=\"csrf-token\" content=\"").expect("csrf meta") + 27;
    page.body[at..at + 64].to_string()
}

pub(crate) fn upload_via(c: &Console, token: &str, files: &[(&str, &[u8])], csrf: Option<&str>) -> Reply {
    let (ctype, body) = multipart(files);
    let mut headers = vec![("Content-Type", ctype.as_str())];
    if let Some(x) = csrf {
        headers.push(("X-CSRF-Token", x));
    }
    request(c.port, "POST", &format!("/u/{token}/upload"), &c.host(), &headers, &body)
}

/// The prefecture `check` files each return of the inbox under, as the office's command line sees it.
pub(crate) fn checked_prefectures(c: &Console) -> Vec<(String, Option<String>, Vec<String>)> {
    let out = c.workspace.join("check.json");
    let o = Command::new(env!("CARGO_BIN_EXE_taizhang")).arg("check").arg(c.inbox()).args(["--period", "2018Q3", "--json"]).arg(&out).output().unwrap();
    assert!(o.status.code().is_some_and(|c| c < 2), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let files = v["files"].as_array().unwrap_or_else(|| panic!("{v}"));
    files
        .iter()
        .map(|f| {
            let codes = f["findings"].as_array().map(|a| a.iter().map(|x| x["code"].as_str().unwrap_or("").to_string()).collect()).unwrap_or_default();
            (f["file"].as_str().unwrap_or("").to_string(), f["prefecture"].as_str().map(str::to_string), codes)
        })
        .collect()
}

#[test]
fn a_link_opens_only_its_own_prefecture_and_files_uploads_as_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("工作区");
    let c = Console::start(&ws, &[]);
    let csrf = c.csrf();
    // The templates, so that the link page offers its own.
    let r = c.post_form("/p/2018Q3/templates", "deadline=2018-10-10", &csrf);
    assert!(r.body.contains("\"ok\":true"), "{}", r.body);
    let links = links_of(&c);
    let (cd, my) = (&links["成都市"], &links["绵阳市"]);
    assert_ne!(cd, my);
    // The office's pages stay closed to a link's holder.
    assert_eq!(visit(&c, "/links").status, 403);
    assert_eq!(visit(&c, "/p/2018Q3").status, 403);
    assert_eq!(visit(&c, &format!("/p/2018Q3/prefecture/510100?token={cd}")).status, 403, "a link token is not the office's token");

    // 成都's page: its name, its template, nothing of another prefecture.
    let page = visit(&c, &format!("/u/{cd}"));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("成都市质量提升台账报送"), "{}", page.body);
    assert!(!page.body.contains("绵阳"), "{}", page.body);
    let template = visit(&c, &format!("/u/{cd}/template"));
    assert_eq!(template.status, 200);
    assert!(template.header("Content-Disposition").unwrap().contains(&enc_utf8("成都市")), "{:?}", template.header("Content-Disposition"));
    assert_eq!(template.header("Content-Type"), Some("application/octet-stream"), "never shown as a page");
    let link_csrf = page_csrf(&page);
    assert_ne!(link_csrf, csrf, "a link's page has its own CSRF token");

    // Uploads need the link page's CSRF token: none, the office's, or another link's are refused.
    let ledger = sample("2018Q3-宜宾市-质量提升台账.xlsx");
    let my_csrf = page_csrf(&visit(&c, &format!("/u/{my}")));
    for bad in [None, Some(csrf.as_str()), Some(my_csrf.as_str())] {
        let r = upload_via(&c, cd, &[("宜宾市台账.xlsx", &ledger)], bad);
        assert_eq!(r.status, 403, "{bad:?}: {}", r.body);
    }
    assert!(files_in(&c.inbox()).is_empty(), "nothing stored by a refused upload");

    // A file named like the record beside the returns cannot speak for others: it is no kind of return,
    // and is not stored (were it stored as the record, it would file 成都's upload as 宜宾's).
    let forged = format!("{{\"collected\":\"x\",\"mailbox\":\"上传链接\",\"uidvalidity\":0,\"uid\":0,\"message_id\":null,\"sender\":null,\"date\":null,\"subject\":null,\"attachment\":null,\"stored\":\"2018Q3-宜宾市-质量提升台账.xlsx\",\"sha256\":null,\"code\":null,\"value\":null,\"message\":null,\"link\":\"宜宾市\"}}\n");
    let r = upload_via(&c, cd, &[("上传记录.jsonl", forged.as_bytes())], Some(&link_csrf));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("不是台账"), "{}", r.body);
    assert!(files_in(&c.inbox()).is_empty(), "{:?}", files_in(&c.inbox()));

    // 成都 uploads a file that names 宜宾 (in its name and its title): it is 成都's, with P08.
    let r = upload_via(&c, cd, &[("2018Q3-宜宾市-质量提升台账.xlsx", &ledger)], Some(&link_csrf));
    assert_eq!(r.status, 200, "{}", r.body);
    let res: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(res[0]["prefecture"], "成都市", "{}", r.body);
    assert!(res[0]["findings"].as_array().unwrap().iter().any(|f| f.as_str().unwrap().contains("P08")), "{}", r.body);
    // The page shows the upload and its findings; 绵阳's and 宜宾's show nothing of it.
    let page = visit(&c, &format!("/u/{cd}"));
    assert!(page.body.contains("2018Q3-宜宾市-质量提升台账.xlsx") && page.body.contains("P08"), "{}", page.body);
    assert!(page.body.contains("成都市上传链接"), "the source is shown: {}", page.body);
    let other = visit(&c, &format!("/u/{my}"));
    assert!(other.body.contains("本期还没有收到绵阳市的文件"), "{}", other.body);
    assert!(!other.body.contains("宜宾"), "{}", other.body);
    // The office's board and pages see it as 成都's, and 宜宾 still 未报送.
    let cookie = c.cookie();
    let yibin = c.get("/p/2018Q3/prefecture/511500", &[("Cookie", &cookie)]);
    assert!(yibin.body.contains("本期还没有收到宜宾市的文件"), "{}", yibin.body);
    let chengdu = c.get("/p/2018Q3/prefecture/510100", &[("Cookie", &cookie)]);
    assert!(chengdu.body.contains("P08") && chengdu.body.contains("成都市上传链接"), "{}", chengdu.body);
    assert!(chengdu.body.contains("下载原文件"), "the office downloads what was stored");
    assert!(!page.body.contains("下载原文件") && !page.body.contains("/p/2018Q3/file/"), "a link's page offers no stored file");
    let board = c.get("/p/2018Q3/board", &[("Cookie", &cookie)]);
    assert!(board.body.contains("已报送 1/21"), "{}", board.body);
    // So does the command line reading the same inbox.
    let checked = checked_prefectures(&c);
    let ledger_line = checked.iter().find(|(f, _, _)| f.ends_with("2018Q3-宜宾市-质量提升台账.xlsx")).unwrap_or_else(|| panic!("{checked:?}"));
    assert_eq!(ledger_line.1.as_deref(), Some("成都市"), "{checked:?}");
    assert!(ledger_line.2.contains(&"P08".to_string()), "{checked:?}");
    assert!(!checked.iter().any(|(_, p, _)| p.as_deref() == Some("宜宾市")), "{checked:?}");

    // The corrections workbook of the link's own prefecture.
    let fb = visit(&c, &format!("/u/{cd}/feedback"));
    assert_eq!(fb.status, 200);
    assert!(fb.header("Content-Disposition").unwrap().contains(&enc_utf8("成都市")));
}

/// A name as RFC 5987 writes it in Content-Disposition.
fn enc_utf8(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[test]
fn a_regenerated_link_refuses_the_old_one_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let c = Console::start(&dir.path().join("工作区"), &[]);
    let csrf = c.csrf();
    let old = links_of(&c)["成都市"].clone();
    assert_eq!(visit(&c, &format!("/u/{old}")).status, 200);
    let r = c.post_form("/links/510100/regenerate", "", &csrf);
    assert!(r.body.contains("\"ok\":true"), "{}", r.body);
    let new = links_of(&c)["成都市"].clone();
    assert_ne!(new, old);
    assert!(r.body.contains(&new), "the new link is answered: {}", r.body);
    assert_eq!(visit(&c, &format!("/u/{old}")).status, 404);
    assert_eq!(visit(&c, &format!("/u/{new}")).status, 200);
    // Regenerating is the office's: a link's holder cannot.
    let r = request(c.port, "POST", "/links/510100/regenerate", &c.host(), &[("X-CSRF-Token", &csrf)], b"");
    assert_eq!(r.status, 403);
}

#[test]
fn guessing_links_is_stopped_after_ten_failures_and_valid_links_still_open() {
    let dir = tempfile::tempdir().unwrap();
    let c = Console::start(&dir.path().join("工作区"), &[]);
    let good = links_of(&c)["成都市"].clone();
    for i in 0..10 {
        let r = visit(&c, &format!("/u/{:064x}", i));
        assert_eq!(r.status, 404, "{}", r.body);
    }
    // From now on this address's guesses are refused at once …
    let r = visit(&c, &format!("/u/{:064x}", 99));
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.body.contains("15 分钟"), "{}", r.body);
    // … but a prefecture behind the same address (one NAT, one proxy) still opens its own link.
    assert_eq!(visit(&c, &format!("/u/{good}")).status, 200);
}

#[test]
fn a_link_stores_at_most_its_quota_of_files_a_period() {
    let dir = tempfile::tempdir().unwrap();
    let c = Console::start(&dir.path().join("工作区"), &[]);
    let token = links_of(&c)["成都市"].clone();
    let csrf = page_csrf(&visit(&c, &format!("/u/{token}")));
    let bodies: Vec<(String, Vec<u8>)> = (0..55).map(|i| (format!("成都市-{i}.csv"), format!("序号,提升企业名称\n1,企业{i}\n").into_bytes())).collect();
    let files: Vec<(&str, &[u8])> = bodies.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
    let r = upload_via(&c, &token, &files, Some(&csrf));
    assert_eq!(r.status, 200, "{}", r.body);
    let stored = files_in(&c.inbox()).into_iter().filter(|n| n.ends_with(".csv")).count();
    assert_eq!(stored, 50, "{}", r.body);
    assert!(r.body.contains("已达 50 个的上限"), "{}", r.body);
    let r = upload_via(&c, &token, &[("成都市-再来.csv", b"a,b\n1,2\n")], Some(&csrf));
    assert!(r.body.contains("已达 50 个的上限"), "{}", r.body);
    assert_eq!(files_in(&c.inbox()).into_iter().filter(|n| n.ends_with(".csv")).count(), 50);
}

#[test]
fn a_prefecture_uploads_through_its_link_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let c = Console::start(&dir.path().join("工作区"), &[]);
    let csrf = c.csrf();
    assert!(c.post_form("/p/2018Q3/templates", "deadline=2018-10-10", &csrf).body.contains("\"ok\":true"));
    let shots = std::env::var_os("TAIZHANG_SCREENSHOTS").map_or_else(|| dir.path().join("shots"), std::path::PathBuf::from);
    let office = format!("http://127.0.0.1:{}/?token={}", c.port, c.token);
    // 乐山's sample return has errors to show.
    let file = super::common::samples().join("乐山市质量提升台账.xlsx");
    let prefecture = "乐山市";
    let script = super::common::repo().join("tests/e2e/link.py");
    let o = Command::new("python3").arg(&script).arg(&office).arg(prefecture).arg(&file).arg(&shots).output().expect("python3");
    assert!(o.status.success(), "browser test failed (chromium and playwright are installed by .ci/run):\n{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_str(String::from_utf8_lossy(&o.stdout).lines().last().unwrap()).unwrap();
    assert!(r["link"].as_str().unwrap().contains("/u/"), "{r}");
    assert!(r["template"].as_str().unwrap().contains(prefecture), "its own template: {r}");
    let text = r["text"].as_str().unwrap();
    assert!(text.contains(&file.file_name().unwrap().to_string_lossy().to_string()), "the upload on the page: {r}");
    assert!(text.contains(&format!("{prefecture}上传链接")), "{r}");
    assert!(r["findings"].as_u64().unwrap() >= 9, "乐山's findings on its own page: {r}");
    assert!(r["upload_result"].as_str().unwrap().contains("错误"), "checked at once: {r}");
    assert_eq!(r["office_status"], 403, "the link's browser has no way into the office's pages: {r}");
    // The office's board counts it as the prefecture's.
    let board = c.get("/p/2018Q3/board", &[("Cookie", &c.cookie())]);
    assert!(board.body.contains("已报送 1/21"), "{}", board.body);
    let stored = files_in(&c.inbox());
    assert!(stored.contains(&file.file_name().unwrap().to_string_lossy().to_string()), "{stored:?}");
}

#[test]
fn beyond_loopback_the_office_needs_its_password_and_a_link_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let c = Console::start(&dir.path().join("工作区"), &["--listen", "0.0.0.0:0", "--env-password=office-pw"]);
    let cookie = c.cookie();
    // The office: token and password (HTTP Basic, "any user:office-pw").
    let basic = &super::serve::basic("office-pw");
    assert_eq!(c.get("/links", &[("Cookie", &cookie)]).status, 401, "no password");
    let page = c.get("/links", &[("Cookie", &cookie), ("Authorization", basic)]);
    assert_eq!(page.status, 200, "{}", page.body);
    let body = page.body.replace("&#x2f;", "/");
    let at = body.find("/u/").unwrap() + 3;
    let token = &body[at..at + 64];
    // A prefecture has neither the office's token nor its password: its link opens its page.
    assert_eq!(visit(&c, &format!("/u/{token}")).status, 200);
    assert_eq!(visit(&c, "/static/app.css").status, 200, "the page's style sheet too");
    assert_eq!(visit(&c, "/p/2018Q3").status, 401, "and nothing of the office's");
}
