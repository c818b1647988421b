//! Returns collected where they arrive: a real IMAP server (Debian's dovecot, started on 127.0.0.1 with a
//! throwaway configuration, a certificate from a private CA and a passwd-file user) holds the messages the
//! prefectures send — xlsx, xls and ods attachments, a zip with GBK names, a nested zip, a forwarded
//! message, RFC 2047 and RFC 2231 file names, a message without attachment, a RAR, a zip bomb, a cloud
//! link — and `collect` then `consolidate` gives exactly the expected rows and findings. Saved .eml files
//! are read by `check` directly.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use rust_xlsxwriter::Workbook;
use taizhang::rollup::sheets;

use super::common::{gbk_zip, libreoffice_convert, sheet_rows, stderr, stdout, taizhang, zip_bomb, zip_of};

const HEADER: [&str; 8] = ["序号", "所属(产业)行业", "提升企业名称", "主导产品", "问题和短板", "提升目标", "提升措施", "进展情况及成效"];

/// A small return for 2018Q3 whose title names no prefecture: its file name, its archive's name or its
/// sender has to.
fn ledger(enterprise: &str) -> Vec<u8> {
    let mut wb = Workbook::new();
    // A fixed creation time, so that the same return is the same bytes.
    let when = rust_xlsxwriter::ExcelDateTime::from_ymd(2018, 10, 8).unwrap();
    wb.set_properties(&rust_xlsxwriter::DocProperties::new().set_creation_datetime(&when));
    let ws = wb.add_worksheet();
    ws.set_name("附件2").unwrap();
    ws.write_string(0, 0, "质量提升台账(2018年第三季度)").unwrap();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    for (c, v) in ["1", "白酒", enterprise, "白酒", "短板", "目标", "措施", "进展"].iter().enumerate() {
        ws.write_string(2, c as u16, *v).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// The same return converted by LibreOffice into `format` (xls, ods), as a prefecture's "save as" does.
fn converted(enterprise: &str, format: &str, work: &Path) -> Vec<u8> {
    let src = work.join(format!("{enterprise}.xlsx"));
    std::fs::write(&src, ledger(enterprise)).unwrap();
    let out = work.join(format!("out-{format}"));
    std::fs::create_dir_all(&out).unwrap();
    std::fs::read(libreoffice_convert(&src, format, &out)).unwrap()
}

fn base64(b: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, c) in b.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push_str("\r\n");
        }
        let n = (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            out.push(if k <= c.len() { T[((n >> (18 - 6 * k)) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

/// An encoded word (RFC 2047) in `charset`.
fn word(text: &str, charset: &str) -> String {
    let bytes = if charset == "GBK" { encoding_rs::GBK.encode(text).0.into_owned() } else { text.as_bytes().to_vec() };
    format!("=?{charset}?B?{}?=", base64(&bytes))
}

/// A file name in RFC 2231 form, split over two continuations as Outlook and Thunderbird write long names.
fn rfc2231(name: &str) -> String {
    let enc: String = name.bytes().map(|b| if b.is_ascii_alphanumeric() || b == b'.' { (b as char).to_string() } else { format!("%{b:02X}") }).collect();
    let (a, b) = enc.split_at(enc.len() / 2);
    // Never split inside a %XX escape.
    let cut = a.rfind('%').filter(|&i| i + 3 > a.len()).unwrap_or(a.len());
    let (a, b) = (&enc[..cut], format!("{}{b}", &a[cut..]));
    format!("filename*0*=UTF-8''{a};\r\n filename*1*={b}")
}

enum Part {
    /// The disposition's file-name parameter as written, and the bytes.
    File(String, Vec<u8>),
    /// A forwarded message.
    Message(Vec<u8>),
}

fn message(from: &str, subject: &str, id: &str, body: &str, parts: Vec<Part>) -> Vec<u8> {
    let mut m = format!(
        "From: {from}\r\nTo: 省质量提升办 <zltsb@sc.example.cn>\r\nSubject: {}\r\nDate: Mon, 8 Oct 2018 10:00:00 +0800\r\nMessage-ID: <{id}@example.cn>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b-{id}\"\r\n\r\n--b-{id}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        word(subject, "UTF-8"),
        base64(body.as_bytes())
    );
    for p in parts {
        match p {
            Part::File(name, data) => m.push_str(&format!(
                "--b-{id}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; {name}\r\n\r\n{}\r\n",
                base64(&data)
            )),
            Part::Message(inner) => {
                m.push_str(&format!("--b-{id}\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n"));
                m.push_str(&String::from_utf8(inner).unwrap());
                m.push_str("\r\n");
            }
        }
    }
    m.push_str(&format!("--b-{id}--\r\n"));
    m.into_bytes()
}

fn named(name: &str) -> String {
    format!("filename=\"{}\"", word(name, "UTF-8"))
}

/// The messages of the quarter, by sender.
fn messages(work: &Path) -> Vec<Vec<u8>> {
    let xlsx = ledger("成都甲酒业有限公司");
    vec![
        // xlsx, the name GBK-encoded (RFC 2047), as Foxmail on Chinese Windows writes it.
        message("张明 <zhang@cd.example.cn>", "成都市2018年三季度台账", "m1", "请查收。", vec![Part::File(format!("filename=\"{}\"", word("成都市台账.xlsx", "GBK")), xlsx.clone())]),
        // xls, the name in RFC 2231 form.
        message("dy@dy.example.cn", "德阳台账", "m2", "附件", vec![Part::File(rfc2231("德阳市台账.xls"), converted("德阳乙酒业有限公司", "xls", work))]),
        // ods with a name that says nothing: the sender tells the prefecture.
        message("my@my.example.cn", "return", "m3", "", vec![Part::File("filename=\"return.ods\"".into(), converted("绵阳丙酒业有限公司", "ods", work))]),
        // A zip with a GBK member name; a nested zip.
        message("yb@yb.example.cn", "宜宾", "m4", "", vec![Part::File(named("报送.zip"), gbk_zip("宜宾市台账.xlsx", &ledger("宜宾丁酒业有限公司")))]),
        message("lz@lz.example.cn", "泸州", "m5", "", vec![Part::File(named("泸州市.zip"), zip_of(&[("内层.zip", &zip_of(&[("台账.xlsx", &ledger("泸州戊酒业有限公司"))]))]))]),
        // A colleague forwards 乐山's message as an attachment.
        message(
            "同事 <colleague@sc.example.cn>",
            "转发:乐山台账",
            "m6",
            "转给你",
            vec![Part::Message(message("ls@ls.example.cn", "乐山台账", "m6i", "见附件", vec![Part::File(named("乐山市台账.xlsx"), ledger("乐山己酒业有限公司"))]))],
        ),
        // No attachment; a RAR; a zip bomb; a cloud-drive link.
        message("nc@nc.example.cn", "南充台账", "m7", "台账随后发送。", vec![]),
        message("ms@ms.example.cn", "眉山台账", "m8", "", vec![Part::File(named("眉山市.rar"), b"Rar!\x1a\x07\x01\x00some compressed bytes".to_vec())]),
        message("ga@ga.example.cn", "广安台账", "m9", "", vec![Part::File(named("广安市.zip"), zip_bomb("广安市台账.xlsx"))]),
        message("dz@dz.example.cn", "达州台账", "m10", "台账见 https://pan.baidu.com/s/1AbCdEf 提取码 x1y2", vec![]),
        // From 雅安's address, a return that says it is 巴中's.
        message("ya@ya.example.cn", "台账", "m11", "", vec![Part::File(named("巴中市台账.xlsx"), ledger("巴中庚酒业有限公司"))]),
        // 成都 sends the same file again; two prefectures send different files under one name.
        message("张明 <zhang@cd.example.cn>", "重发", "m12", "", vec![Part::File(named("成都市台账.xlsx"), xlsx)]),
        message("zg@zg.example.cn", "自贡", "m13", "", vec![Part::File(named("台账.xlsx"), ledger("自贡辛酒业有限公司"))]),
        message("pzh@pzh.example.cn", "攀枝花", "m14", "", vec![Part::File(named("台账.xlsx"), ledger("攀枝花壬酒业有限公司"))]),
    ]
}

const CONTACTS: &str = "市州,联系人,邮箱\n成都,张明,zhang@cd.example.cn\n自贡,,zg@zg.example.cn\n攀枝花,,pzh@pzh.example.cn\n泸州,,lz@lz.example.cn\n德阳,,dy@dy.example.cn\n绵阳,,my@my.example.cn\n乐山,,ls@ls.example.cn\n南充,,nc@nc.example.cn\n眉山,,ms@ms.example.cn\n宜宾,,yb@yb.example.cn\n广安,,ga@ga.example.cn\n达州,,dz@dz.example.cn\n雅安,,ya@ya.example.cn\n";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn run(d: &Path, cmd: &str, args: &[&str]) -> Output {
    let o = Command::new(cmd).args(args).current_dir(d).output().unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(o.status.success(), "{cmd} {args:?}: {}", stderr(&o));
    o
}

/// A private certificate authority (ca.pem) and a certificate for localhost signed by it.
fn certificate(d: &Path) {
    std::fs::write(d.join("ext.cnf"), "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n").unwrap();
    run(d, "openssl", &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=taizhang test CA"]);
    run(d, "openssl", &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "server.csr", "-subj", "/CN=localhost"]);
    run(d, "openssl", &["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "cert.pem", "-days", "2", "-extfile", "ext.cnf"]);
}

/// A running dovecot, stopped when dropped.
struct Dovecot {
    child: Child,
    /// STARTTLS port and implicit-TLS port.
    imap: u16,
    imaps: u16,
    maildir: PathBuf,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn id(args: &[&str]) -> String {
    String::from_utf8(Command::new("id").args(args).output().unwrap().stdout).unwrap().trim().to_string()
}

/// Starts dovecot in `d` with the user `office` (password `s3cret`) and `messages` in its inbox.
fn dovecot(d: &Path, messages: &[Vec<u8>]) -> Dovecot {
    certificate(d);
    // Dovecot refuses mail access as root: as root, mail is the dovecot user's; otherwise everything
    // runs as the user running the tests.
    let root = id(&["-u"]) == "0";
    let (user, group) = if root { ("dovecot".to_string(), "dovecot".to_string()) } else { (id(&["-un"]), id(&["-gn"])) };
    let (uid, gid) = (id(&["-u", &user]), id(&["-g", &user]));
    let maildir = d.join("mail/office");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    for (i, m) in messages.iter().enumerate() {
        std::fs::write(maildir.join("new").join(format!("15389640{i:02}.M{i}P1.taizhang-test")), m).unwrap();
    }
    std::fs::write(d.join("passwd"), format!("office:{{PLAIN}}s3cret:{uid}:{gid}::{}::\n", maildir.display())).unwrap();
    let (imap, imaps) = (free_port(), free_port());
    let login_user = if root { "dovenull" } else { user.as_str() };
    let conf = format!(
        r#"base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = 1
mail_location = maildir:{maildir}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/passwd
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"#,
        d = d.display(),
        maildir = maildir.display(),
    );
    std::fs::write(d.join("dovecot.conf"), conf).unwrap();
    if root {
        // The mail user reaches its maildir through the temporary directory.
        run(d, "chmod", &["755", &d.display().to_string()]);
        run(d, "chown", &["-R", &format!("{user}:{group}"), &d.join("mail").display().to_string()]);
    }
    let child = Command::new("dovecot")
        .args(["-F", "-c"])
        .arg(d.join("dovecot.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("dovecot (Debian's dovecot-imapd, installed by .ci/run)");
    let server = Dovecot { child, imap, imaps, maildir };
    // Started when it answers on both ports (dovecot takes a moment to bind).
    for port in [imap, imaps] {
        let mut up = false;
        for _ in 0..200 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                up = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(up, "dovecot did not start: {}", std::fs::read_to_string(d.join("dovecot.log")).unwrap_or_default());
    }
    server
}

fn collect(d: &Path, password: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_taizhang"))
        .arg("collect")
        .args(args)
        .current_dir(d)
        .env_clear()
        .env("TAIZHANG_IMAP_PASSWORD", password)
        .output()
        .unwrap()
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()).unwrap_or_default();
    v.sort();
    v
}

/// The flags of every message in the maildir (the part after `:2,`), which `collect` must leave alone.
fn flags(maildir: &Path) -> Vec<String> {
    let mut v = Vec::new();
    for sub in ["new", "cur"] {
        for e in std::fs::read_dir(maildir.join(sub)).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            v.push(name.split_once(":2,").map(|(_, f)| f.to_string()).unwrap_or_default());
        }
    }
    v
}

#[test]
fn collect_then_consolidate_from_a_real_imap_server() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let work = d.join("work");
    std::fs::create_dir(&work).unwrap();
    let server = dovecot(d, &messages(&work));
    std::fs::write(d.join("contacts.csv"), CONTACTS).unwrap();
    let imaps = format!("localhost:{}", server.imaps);
    let imap = format!("localhost:{}", server.imap);

    // A wrong password: exit 2, a Chinese message, nothing written.
    let o = collect(d, "wrong", &["--imap", &imaps, "--tls", "--ca-cert", "ca.pem", "--user", "office", "--into", "收件箱"]);
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("登录失败:用户名或密码不正确"), "{}", stderr(&o));
    assert!(!d.join("收件箱").exists(), "nothing written");
    // A certificate nobody vouches for is refused before the password is sent.
    let o = collect(d, "s3cret", &["--imap", &imaps, "--tls", "--user", "office", "--into", "收件箱"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("加密连接失败"), "{}", stderr(&o));
    assert!(!d.join("收件箱").exists());

    // Over STARTTLS (the default without --tls).
    let o = collect(d, "s3cret", &["--imap", &imap, "--ca-cert", "ca.pem", "--user", "office", "--contacts", "contacts.csv", "--into", "收件箱"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "the RAR is an error: {out}{}", stderr(&o));
    let inbox = d.join("收件箱");
    assert_eq!(
        files(&inbox),
        ["return.ods", "台账 (2).xlsx", "台账.xlsx", "巴中市台账.xlsx", "广安市.zip", "德阳市台账.xls", "成都市台账.xlsx", "报送.zip", "收取记录.jsonl", "泸州市.zip", "眉山市.rar", "乐山市台账.xlsx"]
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>()
    );
    assert!(std::fs::read(inbox.join("成都市台账.xlsx")).unwrap() == ledger("成都甲酒业有限公司"), "stored unchanged");
    assert!(out.contains("共收取 14 封新邮件,保存 11 个附件"), "{out}");
    assert!(out.contains("错误 C01 邮件(发件人 ms@ms.example.cn)的附件「眉山市.rar」是RAR 压缩包,无法读取"), "{out}");
    assert!(out.contains("警告 C02 邮件(发件人 dz@dz.example.cn)正文中是百度网盘链接"), "{out}");
    assert!(out.contains("警告 C03 邮件(发件人 nc@nc.example.cn)没有附件"), "{out}");
    assert!(out.contains("提示 C05 附件「成都市台账.xlsx」与已收取的「成都市台账.xlsx」内容相同,未重复保存"), "{out}");
    assert!(out.contains("提示 C06 发件人 同事 <colleague@sc.example.cn> 不在联系人表中"), "{out}");
    // The record: one line per attachment or finding, with who sent it and the content hash.
    let record: Vec<serde_json::Value> = std::fs::read_to_string(inbox.join("收取记录.jsonl")).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let line = record.iter().find(|r| r["stored"] == "return.ods").unwrap();
    assert_eq!(line["sender"]["address"], "my@my.example.cn");
    assert_eq!(line["sender"]["prefecture"], "绵阳市");
    assert_eq!(line["message_id"], "m3@example.cn");
    assert_eq!(line["subject"], "return");
    assert_eq!(line["attachment"], "return.ods");
    assert_eq!(line["sha256"].as_str().unwrap().len(), 64);
    let fwd = record.iter().find(|r| r["stored"] == "乐山市台账.xlsx").unwrap();
    assert_eq!(fwd["attachment"], "乐山台账.eml/乐山市台账.xlsx", "the forwarded message's attachment, by path");
    // Nothing marked on the server.
    assert!(flags(&server.maildir).iter().all(|f| !f.contains('S')), "{:?}", flags(&server.maildir));

    // Again: nothing fetched twice, nothing stored twice.
    let before = std::fs::read(inbox.join("收取记录.jsonl")).unwrap();
    let o = collect(d, "s3cret", &["--imap", &imaps, "--tls", "--ca-cert", "ca.pem", "--user", "office", "--contacts", "contacts.csv", "--into", "收件箱"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("共收取 0 封新邮件,保存 0 个附件"), "{}", stdout(&o));
    assert_eq!(std::fs::read(inbox.join("收取记录.jsonl")).unwrap(), before);

    // Consolidate reads what was collected.
    let o = taizhang(d, &["consolidate", "收件箱", "--period", "2018Q3", "--out", "汇总.xlsx"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let rollup = d.join("汇总.xlsx");
    let rows = sheet_rows(&rollup, sheets::LEDGER);
    let header = rows.iter().position(|r| r.iter().any(|c| c == "提升企业名称")).unwrap();
    let col = |n: &str| rows[header].iter().position(|c| c == n).unwrap();
    let (p, e) = (col("填报市州"), col("提升企业名称"));
    let got: Vec<(&str, &str)> = rows[header + 1..].iter().filter(|r| !r[e].is_empty()).map(|r| (r[p].as_str(), r[e].as_str())).collect();
    assert_eq!(
        got,
        [
            ("成都市", "成都甲酒业有限公司"),
            ("自贡市", "自贡辛酒业有限公司"),
            ("攀枝花市", "攀枝花壬酒业有限公司"),
            ("泸州市", "泸州戊酒业有限公司"),
            ("德阳市", "德阳乙酒业有限公司"),
            ("绵阳市", "绵阳丙酒业有限公司"),
            ("乐山市", "乐山己酒业有限公司"),
            ("宜宾市", "宜宾丁酒业有限公司"),
            ("巴中市", "巴中庚酒业有限公司"),
        ]
    );
    let findings = sheet_rows(&rollup, sheets::FINDINGS);
    let fh = findings.iter().position(|r| r.iter().any(|c| c == "代码")).unwrap();
    let fc = |n: &str| findings[fh].iter().position(|c| c == n).unwrap();
    let (fp, fcode, ffile) = (fc("市州"), fc("代码"), fc("文件"));
    let mut got: Vec<(String, String, String)> = findings[fh + 1..]
        .iter()
        .filter(|r| r[fcode].starts_with(['F', 'C', 'P']))
        .map(|r| (r[fcode].clone(), r[fp].clone(), taizhang::submission::base_name(&r[ffile])))
        .collect();
    got.sort();
    let want = [
        ("C02", "达州市", "邮件「达州台账」(dz@dz.example.cn,2018-10-08T10:00:00+08:00)"),
        ("C03", "南充市", "邮件「南充台账」(nc@nc.example.cn,2018-10-08T10:00:00+08:00)"),
        ("F02", "眉山市", "眉山市.rar"),
        ("F04", "广安市", "广安市台账.xlsx"),
        ("P02", "巴中市", "巴中市台账.xlsx"),
    ];
    let want: Vec<(String, String, String)> = want.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
    assert_eq!(got, want, "{findings:?}");
    let p02 = findings[fh + 1..].iter().find(|r| r[fcode] == "P02").unwrap();
    assert!(p02.iter().any(|c| c.contains("发件人邮箱为雅安市")), "{p02:?}");

    // Reminders to every prefecture still without a usable return, naming what is missing.
    let o = taizhang(
        d,
        &["mail", "--remind", "--period", "2018Q3", "--deadline", "2018-10-15", "--inbox", "收件箱", "--contacts", "contacts.csv", "--outbox", "提醒", "--from", "省质量提升办 <zltsb@sc.example.cn>"],
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "prefectures without a contact cannot be reminded: {out}{}", stderr(&o));
    assert_eq!(files(&d.join("提醒")), ["南充市.eml", "广安市.eml", "眉山市.eml", "达州市.eml", "雅安市.eml"], "{out}");
    for p in ["遂宁市", "内江市", "广元市", "资阳市"] {
        assert!(out.contains(&format!("未生成 {p}:联系人表中没有该市州")), "{out}");
    }
    let read = r#"
import sys
from email import policy
from email.parser import BytesParser
m = BytesParser(policy=policy.default).parse(open(sys.argv[1], "rb"))
print(m["To"]); print(m["Subject"]); print(m.get_body(preferencelist=("plain",)).get_content())
"#;
    let mail = |name: &str| super::common::python(read, &[&d.join("提醒").join(name).display().to_string()]);
    let dz = mail("达州市.eml");
    assert!(dz.contains("dz@dz.example.cn") && dz.contains("【提醒】2018年第三季度质量提升台账:达州市未报送"), "{dz}");
    assert!(dz.contains("1. 尚未收到本期的台账文件。") && dz.contains("百度网盘链接") && dz.contains("2018年10月15日前"), "{dz}");
    let ms = mail("眉山市.eml");
    assert!(ms.contains("眉山市无法读取") && ms.contains("眉山市.rar:RAR 压缩包无法读取"), "{ms}");
    let ga = mail("广安市.eml");
    assert!(ga.contains("广安市台账.xlsx:压缩包解压后超过 256 MB 的上限"), "{ga}");
}

/// A server that offers no STARTTLS never sees the password.
#[test]
fn no_password_over_a_plain_connection() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.write_all(b"* OK IMAP4rev1 ready\r\n").unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 512];
        loop {
            let n = s.read(&mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            if got.ends_with(b"t1 CAPABILITY\r\n") {
                s.write_all(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN LOGIN\r\nt1 OK done\r\n").unwrap();
            }
        }
        String::from_utf8_lossy(&got).into_owned()
    });
    let dir = tempfile::tempdir().unwrap();
    let o = collect(dir.path(), "s3cret", &["--imap", &format!("127.0.0.1:{port}"), "--user", "office", "--into", "收件箱"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("不支持 STARTTLS 加密。为避免密码以明文发送,未登录"), "{}", stderr(&o));
    let sent = seen.join().unwrap();
    assert_eq!(sent, "t1 CAPABILITY\r\n", "no LOGIN, no password");
    assert!(!dir.path().join("收件箱").exists());
}

/// Saved emails in the inbox are read where they are, with their attachments named after them.
#[test]
fn saved_emails_are_read_by_check() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let inbox = d.join("收件箱");
    std::fs::create_dir(&inbox).unwrap();
    let all = messages(d);
    std::fs::write(inbox.join("成都报送.eml"), &all[0]).unwrap();
    std::fs::write(inbox.join("转发.eml"), &all[5]).unwrap();
    std::fs::write(inbox.join("宜宾.eml"), &all[3]).unwrap();
    std::fs::write(inbox.join("达州.eml"), &all[9]).unwrap();
    let o = taizhang(d, &["check", "收件箱", "--period", "2018Q3", "--json", "check.json"]);
    let out = stdout(&o);
    for member in ["收件箱/成都报送.eml/成都市台账.xlsx", "收件箱/转发.eml/乐山台账.eml/乐山市台账.xlsx", "收件箱/宜宾.eml/报送.zip/宜宾市台账.xlsx"] {
        assert!(out.lines().any(|l| l.starts_with(&format!("== {member}")) && l.contains("台账 1 行")), "{member}: {out}");
    }
    assert!(out.contains("警告 C02 收件箱/达州.eml: 邮件(发件人 dz@dz.example.cn)正文中是百度网盘链接"), "{out}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("check.json")).unwrap()).unwrap();
    let cd = report["files"].as_array().unwrap().iter().find(|f| f["file"] == "收件箱/成都报送.eml/成都市台账.xlsx").unwrap();
    assert_eq!(cd["sender"], "张明 <zhang@cd.example.cn>", "the sender is kept as provenance");
    assert_eq!(cd["prefecture"], "成都市");
}

/// The console's workspace: `collect --workspace` and the page's 收取邮件 action file into the period's
/// inbox and its receipts, as received by mail from their senders, and the board counts them at once.
#[test]
fn collect_into_the_console_workspace_from_the_command_line_and_the_page() {
    use super::serve::{Console, enc};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let work = d.join("work");
    std::fs::create_dir(&work).unwrap();
    let all = messages(&work);
    // At first only 成都's and 德阳's messages have arrived.
    let server = dovecot(d, &all[..2]);
    let ws = d.join("工作区");
    std::fs::create_dir_all(&ws).unwrap();
    std::fs::write(ws.join("联系人.csv"), CONTACTS).unwrap();
    let imaps = format!("localhost:{}", server.imaps);
    let o = collect(d, "s3cret", &["--imap", &imaps, "--tls", "--ca-cert", "ca.pem", "--user", "office", "--contacts", "工作区/联系人.csv", "--workspace", "工作区", "--period", "2018Q3"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let inbox = ws.join("2018Q3/收件箱");
    assert_eq!(files(&inbox), ["德阳市台账.xls", "成都市台账.xlsx", "收取记录.jsonl"]);

    // The console shows them as received by mail, from whom, and counts them.
    let ca = d.join("ca.pem").display().to_string();
    let c = Console::start(&ws, &["--ca-cert", &ca]);
    let cookie = c.cookie();
    let cd = c.get("/p/2018Q3/prefecture/510100", &[("Cookie", &cookie)]);
    assert!(cd.body.contains("邮件(张明 &lt;zhang@cd.example.cn&gt;)"), "{}", cd.body);
    assert!(c.get("/p/2018Q3/board", &[("Cookie", &cookie)]).body.contains("已报送 2/21"));

    // A wrong password from the page: said in Chinese, nothing collected.
    let csrf = c.csrf();
    let form = |password: &str| format!("server={}&user=office&password={}&security=starttls", enc(&format!("localhost:{}", server.imap)), enc(password));
    let r = c.post_form("/p/2018Q3/collect", &form("wrong"), &csrf);
    let res: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(res["ok"], false, "{}", r.body);
    assert!(res["lines"][0].as_str().unwrap().contains("登录失败"), "{}", r.body);
    // The action is guarded like every other.
    assert_eq!(c.post_form("/p/2018Q3/collect", &form("s3cret"), "0000").status, 403);

    // 绵阳's message arrives; the button collects it, and only it.
    std::fs::write(server.maildir.join("new").join("1538964099.M99P1.taizhang-test"), &all[2]).unwrap();
    if id(&["-u"]) == "0" {
        run(d, "chown", &["-R", "dovecot:dovecot", &server.maildir.display().to_string()]);
    }
    let r = c.post_form("/p/2018Q3/collect", &form("s3cret"), &csrf);
    let res: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(res["ok"], true, "{}", r.body);
    assert!(res["lines"][0].as_str().unwrap().contains("共收取 1 封新邮件,保存 1 个附件"), "{}", r.body);
    assert_eq!(files(&inbox), ["return.ods", "德阳市台账.xls", "成都市台账.xlsx", "收取记录.jsonl"]);
    assert!(c.get("/p/2018Q3/board", &[("Cookie", &cookie)]).body.contains("已报送 3/21"));
    let my = c.get("/p/2018Q3/prefecture/510700", &[("Cookie", &cookie)]);
    assert!(my.body.contains("邮件(my@my.example.cn)") && my.body.contains("return.ods"), "{}", my.body);
    // The server and account are kept for next time; the password is not.
    let page = c.get("/p/2018Q3", &[("Cookie", &cookie)]);
    assert!(page.body.replace("&#x2f;", "/").contains(&format!("value=\"localhost:{}\"", server.imap)), "{}", page.body);
    assert!(!page.body.contains("s3cret"));
    for f in ["台账收件记录.sqlite", "台账收件记录.sqlite-wal"] {
        let db = std::fs::read(ws.join(f)).unwrap_or_default();
        assert!(!db.windows(6).any(|w| w == b"s3cret"), "the password is never stored ({f})");
    }
}
