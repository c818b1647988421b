//! The quarterly loop end to end through real files: templates mailed (into an outbox, and to a real SMTP
//! server on 127.0.0.1 in plain, STARTTLS and implicit TLS), corrections written back, next quarter
//! prefilled from the rollup, and two quarters compared.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use calamine::{Data, Reader, open_workbook_auto};

use super::common::{python, refdata, repo, samples, stderr, stdout, taizhang};

/// Parses .eml files with Python's email package, as a mail reader does: headers decoded, the body, and
/// each attachment's file name, type and bytes (hex).
const READ_EML: &str = r#"
import json, sys
from email import policy
from email.parser import BytesParser
out = []
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        m = BytesParser(policy=policy.default).parse(f)
    body = m.get_body(preferencelist=("plain",))
    atts = [{"name": a.get_filename(), "type": a.get_content_type(), "hex": a.get_payload(decode=True).hex()} for a in m.iter_attachments()]
    out.append({"file": path, "to": str(m["To"]), "from": str(m["From"]), "subject": str(m["Subject"]), "body": body.get_content() if body else "", "attachments": atts})
print(json.dumps(out, ensure_ascii=False))
"#;

fn read_eml(paths: &[PathBuf]) -> Vec<serde_json::Value> {
    let args: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    serde_json::from_str(&python(READ_EML, &args)).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Templates for three prefectures and a contacts sheet (one without an address).
fn setup(d: &Path, contacts: &str) {
    let o = taizhang(
        d,
        &["template", "--period", "2018Q4", "--out", "tpl", "--deadline", "2019-01-10", "--prefecture", "成都", "--prefecture", "阿坝州", "--prefecture", "凉山州", "--prefecture", "德阳"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(d.join("contacts.csv"), contacts).unwrap();
}

#[test]
fn mail_writes_one_eml_per_prefecture_with_its_own_template() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, "市州,联系人,邮箱\n成都,张明,zhang@cd.example.cn\n阿坝州,李华,li@ab.example.cn\n凉山州,王强,\n重庆,赵六,zhao@cq.example.cn\n");
    let o = taizhang(d, &["mail", "--attachments", "tpl", "--contacts", "contacts.csv", "--outbox", "outbox", "--from", "省质量提升办 <zltsb@sc.example.cn>"]);
    assert_eq!(o.status.code(), Some(1), "凉山 (no address) and 德阳 (no contact) are reported: {}", stdout(&o));
    let out = stdout(&o);
    assert!(out.contains("凉山彝族自治州") && out.contains("没有邮箱"), "{out}");
    assert!(out.contains("德阳市") && out.contains("联系人表中没有该市州"), "{out}");
    assert!(out.contains("重庆"), "an unknown prefecture in the contacts is reported: {out}");
    let mut emls: Vec<PathBuf> = std::fs::read_dir(d.join("outbox")).unwrap().map(|e| e.unwrap().path()).collect();
    emls.sort();
    assert_eq!(emls.len(), 2);
    for e in &emls {
        // A draft: Outlook opens it as a message to send, not as one received.
        assert!(std::fs::read(e).unwrap().starts_with(b"X-Unsent: 1\r\n"), "{}", e.display());
    }
    let mails = read_eml(&emls);
    for (m, (who, name)) in mails.iter().zip([("zhang@cd.example.cn", "成都市"), ("li@ab.example.cn", "阿坝藏族羌族自治州")]) {
        assert!(m["to"].as_str().unwrap().contains(who), "{m}");
        let subject = m["subject"].as_str().unwrap();
        assert!(subject.contains("2018年第四季度") && subject.contains(name) && subject.contains("2019年1月10日"), "{subject}");
        let body = m["body"].as_str().unwrap();
        assert!(body.contains("2019年1月10日") && body.contains(name), "{body}");
        let atts = m["attachments"].as_array().unwrap();
        assert_eq!(atts.len(), 1);
        let file = format!("2018Q4-{name}-质量提升台账.xlsx");
        assert_eq!(atts[0]["name"], file.as_str(), "the file name is kept");
        assert_eq!(atts[0]["type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        let original = std::fs::read(d.join("tpl").join(&file)).unwrap();
        assert_eq!(atts[0]["hex"], hex(&original).as_str(), "the attachment is the template byte for byte");
    }
    // --only limits the messages.
    let o = taizhang(d, &["mail", "--attachments", "tpl", "--contacts", "contacts.csv", "--outbox", "outbox2", "--only", "阿坝"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(std::fs::read_dir(d.join("outbox2")).unwrap().count(), 1);
    // Without --from, replies would go to zltsb@localhost: the office is told before it sends anything.
    assert!(stdout(&o).contains("提示:未填写发件人,发件人为「四川省质量提升办 <zltsb@localhost>」,市州回复将无法送达"), "{}", stdout(&o));
}

/// A running SMTP server, killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) port: u16,
    pub(crate) maildir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn server(d: &Path, name: &str, args: &[&str]) -> Server {
    let maildir = d.join(name);
    let mut child = Command::new("python3")
        .arg(repo().join("tests/fixtures/smtp_server.py"))
        .arg(&maildir)
        .args(args)
        .current_dir(d)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 with aiosmtpd (tests/requirements.txt)");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line.trim().parse().unwrap_or_else(|_| panic!("server did not start: {line:?}"));
    Server { child, port, maildir }
}

pub(crate) fn delivered(s: &Server) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(&s.maildir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "eml")).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// A private certificate authority (ca.pem, as an office's internal CA) and a server certificate for
/// localhost signed by it (cert.pem, key.pem).
fn certificate(d: &Path) {
    let steps: [&[&str]; 3] = [
        &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=taizhang test CA"],
        &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "server.csr", "-subj", "/CN=localhost"],
        &["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "cert.pem", "-days", "2", "-extfile", "ext.cnf"],
    ];
    std::fs::write(d.join("ext.cnf"), "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n").unwrap();
    for args in steps {
        let o = Command::new("openssl").args(args).current_dir(d).output().expect("openssl");
        assert!(o.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn smtp_sends_each_message_retries_temporary_failures_and_reports_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, "市州,联系人,邮箱\n成都,张明,zhang@cd.example.cn\n阿坝州,李华,retry@ab.example.cn\n凉山州,王强,reject@ls.example.cn\n德阳,孙丽,sun@dy.example.cn\n");
    let s = server(d, "plain", &[]);
    let addr = format!("127.0.0.1:{}", s.port);
    let o = taizhang(d, &["mail", "--attachments", "tpl", "--contacts", "contacts.csv", "--smtp", &addr]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "one refused: {out}{}", stderr(&o));
    assert!(out.contains("已发送 阿坝藏族羌族自治州(第 2 次尝试)"), "451 retried: {out}");
    assert!(out.contains("未发送 凉山彝族自治州") && out.contains("拒绝"), "550 reported: {out}");
    assert!(out.contains("发送成功 3 封,失败 1 封"), "{out}");
    let mails = read_eml(&delivered(&s));
    assert_eq!(mails.len(), 3);
    let to: Vec<&str> = mails.iter().map(|m| m["to"].as_str().unwrap()).collect();
    assert!(to.iter().any(|t| t.contains("zhang@cd.example.cn")) && to.iter().any(|t| t.contains("retry@ab.example.cn")));
    for m in &mails {
        let att = &m["attachments"][0];
        let original = std::fs::read(d.join("tpl").join(att["name"].as_str().unwrap())).unwrap();
        assert_eq!(att["hex"], hex(&original).as_str());
    }
}

#[test]
fn smtp_over_starttls_and_implicit_tls_with_a_password_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, "市州,联系人,邮箱\n成都,张明,zhang@cd.example.cn\n");
    certificate(d);
    let run = |args: &[&str], password: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_taizhang"));
        c.args(["mail", "--attachments", "tpl", "--contacts", "contacts.csv", "--only", "成都", "--ca-cert", "ca.pem"]).args(args).current_dir(d).env_clear();
        if let Some(p) = password {
            c.env("TAIZHANG_SMTP_PASSWORD", p);
        }
        c.output().unwrap()
    };
    for (name, extra) in [("starttls", vec![]), ("implicit", vec!["--implicit"])] {
        let mut args = vec!["--cert", "cert.pem", "--key", "key.pem", "--auth", "office:s3cret"];
        args.extend(extra);
        let s = server(d, name, &args);
        let addr = format!("localhost:{}", s.port);
        let flag = if name == "implicit" { "--tls" } else { "--starttls" };
        let o = run(&["--smtp", &addr, flag, "--user", "office"], Some("s3cret"));
        assert_eq!(o.status.code(), Some(0), "{name}: {}{}", stdout(&o), stderr(&o));
        assert_eq!(delivered(&s).len(), 1, "{name}");
        let log = std::fs::read_to_string(s.maildir.join("envelopes.log")).unwrap();
        assert!(log.contains("tls=True auth=True"), "{name}: {log}");
        // Without the flag, credentials still force STARTTLS.
        if name == "starttls" {
            let o = run(&["--smtp", &addr, "--user", "office"], Some("s3cret"));
            assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
            assert_eq!(delivered(&s).len(), 2);
        }
    }
    // A user without a password in the environment: nothing is sent.
    let o = run(&["--smtp", "localhost:1", "--user", "office"], None);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("TAIZHANG_SMTP_PASSWORD"), "{}", stderr(&o));
    // A server without TLS never sees the password.
    let s = server(d, "cleartext", &[]);
    let o = run(&["--smtp", &format!("127.0.0.1:{}", s.port), "--user", "office"], Some("s3cret"));
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(delivered(&s).is_empty());
    assert!(!s.maildir.join("commands.log").exists(), "no AUTH was attempted in clear text");
}

fn cell(path: &Path, sheet: &str, row: u32, col: u32) -> String {
    let mut wb = open_workbook_auto(path).unwrap();
    let r = wb.worksheet_range(sheet).unwrap();
    match r.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Empty) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

/// Marked cells (fill colour) and their notes, as openpyxl sees them.
const MARKS: &str = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb[sys.argv[2]]
out = {}
for row in ws.iter_rows():
    for c in row:
        if c.comment is not None:
            out[c.coordinate] = {"note": c.comment.text, "fill": c.fill.fgColor.rgb}
print(json.dumps(out, ensure_ascii=False))
"#;

#[test]
fn feedback_marks_the_cells_and_mail_sends_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let leshan = samples().join("乐山市质量提升台账.xlsx");
    let chengdu = samples().join("2018Q3-成都市-质量提升台账.xlsx");
    let o = taizhang(d, &["feedback", leshan.to_str().unwrap(), chengdu.to_str().unwrap(), "--out", "fb"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let files: Vec<String> = std::fs::read_dir(d.join("fb")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| !n.starts_with('.')).collect();
    assert_eq!(files, ["2018Q3-乐山市-审核意见.xlsx"], "成都's return is clean: no corrections");
    let fb = d.join("fb/2018Q3-乐山市-审核意见.xlsx");
    let layout = &refdata().template.sheets;
    let wb = open_workbook_auto(&fb).unwrap();
    assert_eq!(wb.sheet_names()[..3], [layout.instructions.clone(), layout.feedback.clone(), layout.ledger.clone()]);
    // The rows as read, in the template; the bad credit code on its row, marked.
    let read = taizhang::import::batch::import_one(
        refdata(),
        &taizhang::inbox::Input::file(leshan.clone(), "乐山", true),
        &Default::default(),
    )
    .remove(0);
    let uscc_col = refdata().ledger.keys.uscc.unwrap() as u32;
    let bad = read.rows.iter().position(|r| r.text(uscc_col as usize) == "91511181MA63D1KW3A").unwrap();
    let r = 3 + bad as u32;
    assert_eq!(cell(&fb, &layout.ledger, r, uscc_col), "91511181MA63D1KW3A");
    assert_eq!(cell(&fb, &layout.ledger, r, 2), read.rows[bad].text(2));
    let marks: serde_json::Value = serde_json::from_str(&python(MARKS, &[fb.to_str().unwrap(), &layout.ledger])).unwrap();
    let a1 = taizhang::cell::CellRef::new(r, uscc_col).a1();
    let m = &marks[&a1];
    assert!(m["note"].as_str().unwrap().contains("末位校验码应为「3」"), "{marks}");
    assert_eq!(m["fill"], "FFFFC7CE", "errors in red");
    let empty_name = read.rows.iter().position(|r| r.text(2).is_empty()).unwrap();
    assert!(marks[taizhang::cell::CellRef::new(3 + empty_name as u32, 2).a1()]["note"].as_str().unwrap().contains("提升企业名称"));
    // The 问题清单 lists every error and warning, located in the workbook the prefecture receives.
    let mut book = open_workbook_auto(&fb).unwrap();
    let list = book.worksheet_range(&layout.feedback).unwrap();
    let v03 = list.rows().find(|r| r.get(2).map(|c| c.to_string()).as_deref() == Some("V03")).expect("V03 listed");
    assert_eq!((v03[3].to_string(), v03[4].to_string()), (layout.ledger.clone(), a1.clone()));
    let expected = read.findings.iter().filter(|f| f.severity != taizhang::Severity::Info).count();
    assert_eq!(list.rows().skip(2).filter(|r| r[0] != Data::Empty).count(), expected);
    // A corrected and returned workbook is recognised as taizhang's own.
    let back = taizhang::read::read_file(&fb, &taizhang::read::Limits::default()).unwrap();
    let s = taizhang::import::import_workbook(refdata(), &back, &fb, "fb.xlsx");
    assert_eq!(s.prefecture.as_deref(), Some("乐山市"));
    assert_eq!(s.rows.len(), read.rows.len());
    assert!(s.template.is_some());
    assert!(!s.findings.iter().any(|f| f.code == taizhang::Code::SheetIgnored), "{:?}", s.findings);
    // And `mail` sends it with the corrections wording.
    std::fs::write(d.join("contacts.csv"), "市州,联系人,邮箱\n乐山市,周敏,zhou@ls.example.cn\n").unwrap();
    let o = taizhang(d, &["mail", "--attachments", "fb", "--contacts", "contacts.csv", "--outbox", "out"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let mails = read_eml(&[d.join("out/2018Q3-乐山市-审核意见.eml")]);
    assert!(mails[0]["subject"].as_str().unwrap().contains("审核意见"), "{}", mails[0]["subject"]);
}

#[test]
fn next_quarter_is_prefilled_and_quarters_are_compared() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = samples().display().to_string();
    let o = taizhang(d, &["consolidate", &s, "--out", "q3.xlsx", "--period", "2018Q3"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = taizhang(d, &["template", "--period", "2018Q4", "--from", "q3.xlsx", "--out", "q4"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    // 成都's template holds its rows and its task statuses.
    let q3 = taizhang::rollup::readback::read_rollup(refdata(), &d.join("q3.xlsx")).unwrap();
    let tpl = d.join("q4/2018Q4-成都市-质量提升台账.xlsx");
    let wb = taizhang::read::read_file(&tpl, &taizhang::read::Limits::default()).unwrap();
    let s4 = taizhang::import::import_workbook(refdata(), &wb, &tpl, "q4");
    let expected: Vec<&Vec<String>> = q3.rows.iter().filter(|r| r.prefecture == "成都市").map(|r| &r.fields).collect();
    assert_eq!(s4.rows.len(), expected.len());
    for (got, want) in s4.rows.iter().zip(&expected) {
        for i in 1..want.len() {
            assert_eq!(got.text(i), want[i]);
        }
    }
    assert_eq!(s4.period.map(|p| p.code()).as_deref(), Some("2018Q4"));
    assert_eq!(s4.progress.len(), 36, "成都 reported all 36 tasks last quarter");

    // A quarter later: 成都 updates a row, drops one, adds one, and moves a task; compared with Q3.
    let inbox = d.join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    let updated = inbox.join("2018Q4-成都市-质量提升台账.xlsx");
    std::fs::copy(&tpl, &updated).unwrap();
    python(
        r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["附件2 质量提升台账"]
ws["H4"] = "已通过省级对标达标认定"
ws.delete_rows(5)
ws["B20"] = "茶叶"; ws["C20"] = "四川新增茶业有限公司"; ws["D20"] = "绿茶"
ps = wb["附件1 任务进展"]
ps["G4"] = "已完成"
wb.save(sys.argv[1])
"#,
        &[updated.to_str().unwrap()],
    );
    let o = taizhang(d, &["consolidate", "inbox", "--out", "q4.xlsx", "--previous", "q3.xlsx"]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let o = taizhang(d, &["diff", "q3.xlsx", "q4.xlsx", "--out", "diff.xlsx"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    use taizhang::rollup::layout::diff_sheets as sheets;
    for file in ["diff.xlsx", "q4.xlsx"] {
        let p = d.join(file);
        let mut wb = open_workbook_auto(&p).unwrap();
        let rows = |wb: &mut calamine::Sheets<_>, s: &str| -> Vec<Vec<String>> {
            wb.worksheet_range(s).unwrap().rows().skip(2).map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
        };
        let added = rows(&mut wb, sheets::ADDED);
        assert_eq!(added.len(), 1, "{file}");
        assert_eq!(added[0][1], "四川新增茶业有限公司");
        let removed = rows(&mut wb, sheets::REMOVED);
        // 成都's second row was deleted; the other prefectures have not reported for Q4 and lose nothing.
        let removed: Vec<(&str, &str)> = removed.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
        assert_eq!(removed, [("成都市", expected[1][2].as_str())], "{file}");
        let changed = rows(&mut wb, sheets::CHANGED);
        assert_eq!(changed.len(), 1, "{file}: {changed:?}");
        assert_eq!(changed[0][2], "进展情况及成效");
        assert_eq!(changed[0][3], expected[0][7]);
        assert_eq!(changed[0][4], "已通过省级对标达标认定");
        let moved = rows(&mut wb, sheets::MOVED);
        let task1: Vec<&Vec<String>> = moved.iter().filter(|r| r[1] == "成都市").collect();
        assert_eq!(task1.len(), 1, "{file}: {moved:?}");
        assert_eq!((task1[0][0].as_str(), task1[0][3].as_str()), ("1", "已完成"));
        let summary = rows(&mut wb, sheets::SUMMARY);
        let cd = summary.iter().find(|r| r[0] == "成都市").unwrap();
        assert_eq!((cd[1].as_str(), cd[4].as_str(), cd[5].as_str(), cd[6].as_str(), cd[7].as_str()), ("已对比", "1", "1", "1", "1"), "{file}: {cd:?}");
    }
}

/// Two rollups of the same quarter's collection, the later one with only two of the prefectures in: the
/// diff compares those two and lists every other as not reported, on stdout and in the workbook, instead
/// of counting their enterprises as removed.
#[test]
fn diff_compares_only_prefectures_reported_in_both() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = samples().display().to_string();
    let o = taizhang(d, &["consolidate", &s, "--out", "old.xlsx", "--period", "2018Q3"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // The new collection, two returns in so far: the same files of 成都 and 宜宾 that won in the old one.
    let inbox = d.join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    for f in ["2018Q3-成都市-质量提升台账.xlsx", "2018Q3-宜宾市-质量提升台账（修改）.xlsx"] {
        std::fs::copy(samples().join(f), inbox.join(f)).unwrap();
    }
    let o = taizhang(d, &["consolidate", "inbox", "--out", "new.xlsx", "--period", "2018Q3", "--previous", "old.xlsx"]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    assert!(stdout(&o).contains("新增企业 0 家,减少 0 家,内容更新 0 处,任务状态变化 0 项"), "{}", stdout(&o));
    let old = taizhang::rollup::readback::read_rollup(refdata(), &d.join("old.xlsx")).unwrap();
    let new = taizhang::rollup::readback::read_rollup(refdata(), &d.join("new.xlsx")).unwrap();
    assert_eq!(new.reported, ["成都市", "宜宾市"]);
    let others: Vec<&str> = old.reported.iter().map(String::as_str).filter(|p| !["成都市", "宜宾市"].contains(p)).collect();
    assert!(others.len() >= 5, "{:?}", old.reported);
    let gone: usize = old.rows.iter().filter(|r| others.contains(&r.prefecture.as_str())).count();
    assert!(gone > 10, "the other prefectures hold {gone} enterprises, none of which may count as removed");

    let o = taizhang(d, &["diff", "old.xlsx", "new.xlsx", "--out", "diff.xlsx"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("对比了两期都已报送的 2 个市州:新增企业 0 家,减少 0 家,内容更新 0 处,任务状态变化 0 项。"), "{out}");
    assert!(out.contains(&format!("未报送(未对比,其企业不计为减少)的 {} 个市州:{}。", others.len(), others.join("、"))), "{out}");

    // The workbook, read by openpyxl: nothing added or removed, every prefecture on the summary.
    let script = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {}
for name in ["变化汇总", "新增企业", "减少企业"]:
    out[name] = [[("" if v is None else str(v)) for v in r] for r in wb[name].iter_rows(min_row=3, values_only=True)]
print(json.dumps(out, ensure_ascii=False))
"#;
    let seen: serde_json::Value = serde_json::from_str(&python(script, &[d.join("diff.xlsx").to_str().unwrap()])).unwrap();
    assert_eq!(seen["新增企业"].as_array().unwrap().len(), 0, "{seen}");
    assert_eq!(seen["减少企业"].as_array().unwrap().len(), 0, "{seen}");
    let summary = seen["变化汇总"].as_array().unwrap();
    assert_eq!(summary.len(), 21);
    let count = |r: &taizhang::rollup::readback::Rollup, p: &str| r.rows.iter().filter(|x| x.prefecture == p).count().to_string();
    for row in summary {
        let cells: Vec<&str> = row.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let p = refdata().prefectures.lookup(cells[0]).unwrap().name.as_str();
        let (b, a) = (count(&old, p), count(&new, p));
        let want: Vec<&str> = if p == "成都市" || p == "宜宾市" {
            vec!["已对比", &b, &a, "0", "0", "0", "0"]
        } else if others.contains(&p) {
            vec!["本期未报送,未对比", &b, "未报送", "", "", "", ""]
        } else {
            vec!["两期均未报送", "未报送", "未报送", "", "", "", ""]
        };
        assert_eq!(cells[1..8], want[..], "{p}");
    }
    // The rollup built with --previous carries the same sheets.
    let summary = super::common::sheet_rows(&d.join("new.xlsx"), taizhang::rollup::layout::diff_sheets::SUMMARY);
    assert_eq!(summary.iter().filter(|r| r.get(1).map(String::as_str) == Some("本期未报送,未对比")).count(), others.len());
}

/// Two quarters' templates in one folder: `mail` sends none of a prefecture's files and says why and what
/// to do, rather than picking one.
#[test]
fn mail_names_the_periods_when_a_folder_mixes_two_quarters() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (period, deadline) in [("2018Q3", "2018-10-10"), ("2018Q4", "2019-01-10")] {
        let o = taizhang(d, &["template", "--period", period, "--deadline", deadline, "--out", "tpl", "--prefecture", "成都"]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    std::fs::write(d.join("contacts.csv"), "市州,联系人,邮箱\n成都,张明,zhang@cd.example.cn\n").unwrap();
    let o = taizhang(d, &["mail", "--attachments", "tpl", "--contacts", "contacts.csv", "--outbox", "out", "--from", "省质量提升办 <zltsb@sc.example.cn>"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("未生成 成都市:目录中有该市州不同期别(2018年第三季度、2018年第四季度)的文件(2018Q3-成都市-质量提升台账.xlsx、2018Q4-成都市-质量提升台账.xlsx),请每期的文件放在单独的文件夹中"),
        "{out}"
    );
    assert!(!d.join("out").exists() || std::fs::read_dir(d.join("out")).unwrap().count() == 0);
}

#[test]
fn an_unreachable_mail_server_is_said_once_and_nothing_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    setup(d, "市州,联系人,邮箱\n成都,张明,zhang@cd.example.cn\n阿坝州,李华,li@ab.example.cn\n");
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let o = taizhang(d, &["mail", "--attachments", "tpl", "--contacts", "contacts.csv", "--smtp", &format!("127.0.0.1:{port}"), "--from", "省质量提升办 <zltsb@sc.example.cn>"]);
    let (out, err) = (stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert_eq!(err.matches("无法连接邮件服务器").count(), 1, "one message, not one per prefecture: {err}");
    assert!(err.contains(&format!("127.0.0.1:{port}")) && err.contains("未发送任何邮件"), "{err}");
    assert!(!out.contains("发送失败"), "{out}");
}
