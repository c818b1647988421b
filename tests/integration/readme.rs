//! The README's commands, run verbatim. The commands are read out of README.md's code blocks, so the README
//! and this test cannot drift apart: an official who types them in the same order gets what is asserted
//! here. Between the steps the test plays the prefectures: it puts returns into the inbox folder the
//! README names before the first command that reads it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::common::{python, refdata, repo, samples, sheet_rows, stderr, stdout};

/// The lines of the code blocks in the README section that starts with `heading` (up to the next heading of
/// the same or a higher level), comments and blank lines left out.
fn readme_commands(heading: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let level = heading.chars().take_while(|c| *c == '#').count();
    let mut lines = readme.lines().skip_while(|l| l.trim() != heading);
    assert!(lines.next().is_some(), "README has no section {heading}");
    let mut out = Vec::new();
    let mut in_block = false;
    for line in lines {
        let t = line.trim();
        if !in_block && t.starts_with('#') && t.chars().take_while(|c| *c == '#').count() <= level && t.contains(' ') {
            break;
        }
        if t.starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block && !t.is_empty() && !t.starts_with('#') {
            out.push(t.to_string());
        }
    }
    out
}

/// Runs one README line as a shell does, with the taizhang under test first on the PATH.
fn shell(dir: &Path, line: &str) -> Output {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_taizhang"));
    let path = format!("{}:{}", bin.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    Command::new("sh").arg("-c").arg(line).current_dir(dir).env_clear().env("PATH", path).output().expect("sh")
}

/// The contacts sheet the README asks for: 市州, 联系人, 邮箱, one line per prefecture, as an xlsx.
fn contacts(dir: &Path) -> Vec<(String, String)> {
    let people: Vec<(String, String)> =
        refdata().prefectures.all().iter().enumerate().map(|(i, p)| (p.name.clone(), format!("zltb{:02}@pref{:02}.example.cn", i + 1, i + 1))).collect();
    let rows: Vec<String> = people.iter().map(|(p, m)| format!("{p}\t联系人{}\t{m}", &p[..3])).collect();
    python(
        r#"
import sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.append(["市州", "联系人", "邮箱"])
for line in sys.argv[2].split("\n"):
    ws.append(line.split("\t"))
wb.save(sys.argv[1])
"#,
        &[dir.join("联系人.xlsx").to_str().unwrap(), &rows.join("\n")],
    );
    people
}

/// The 2018Q3 returns: every sample file, as the office saves what arrives (a lock file, Thumbs.db and the
/// samples' README included).
fn q3_returns(inbox: &Path) {
    std::fs::create_dir_all(inbox).unwrap();
    for e in std::fs::read_dir(samples()).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, inbox.join(p.file_name().unwrap())).unwrap();
    }
}

/// What the 2018Q4 returns change against the prefilled templates.
struct Q4 {
    /// 成都's second row, deleted.
    removed: String,
    /// 成都's first row, whose 进展情况及成效 is rewritten.
    updated: String,
}

/// The 2018Q4 returns: only 成都 and 乐山 have answered so far, each from its prefilled template. 成都
/// updates a row, deletes one, adds one and completes task 1; 乐山 adds one enterprise.
fn q4_returns(dir: &Path, inbox: &Path) -> Q4 {
    std::fs::create_dir_all(inbox).unwrap();
    let ledger = &refdata().template.sheets.ledger;
    let name = |pref: &str| format!("2018Q4-{pref}-质量提升台账.xlsx");
    let chengdu = inbox.join(name("成都市"));
    let leshan = inbox.join(name("乐山市"));
    std::fs::copy(dir.join("模板/2018Q4").join(name("成都市")), &chengdu).unwrap();
    std::fs::copy(dir.join("模板/2018Q4").join(name("乐山市")), &leshan).unwrap();
    let rows = sheet_rows(&chengdu, ledger);
    let q4 = Q4 { updated: rows[3][2].clone(), removed: rows[4][2].clone() };
    assert!(!q4.updated.is_empty() && !q4.removed.is_empty(), "成都's template is prefilled: {rows:?}");
    python(
        r#"
import sys, openpyxl
def last(ws):
    # The last row with anything besides the prefilled 序号 (a row may lack its enterprise name).
    return max(r[0].row for r in ws.iter_rows(min_row=4, min_col=2) if any(c.value not in (None, "") for c in r))
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb[sys.argv[3]]
ws["H4"] = "已通过省级对标达标认定"
ws.delete_rows(5)
r = last(ws) + 1
ws.cell(r, 2, "茶叶"); ws.cell(r, 3, "四川新增茶业有限公司"); ws.cell(r, 4, "绿茶")
wb["附件1 任务进展"]["G4"] = "已完成"
wb.save(sys.argv[1])
wb = openpyxl.load_workbook(sys.argv[2])
ws = wb[sys.argv[3]]
r = last(ws) + 1
ws.cell(r, 2, "白酒"); ws.cell(r, 3, "乐山新增酒业有限公司"); ws.cell(r, 4, "浓香型白酒")
wb.save(sys.argv[2])
"#,
        &[chengdu.to_str().unwrap(), leshan.to_str().unwrap(), ledger],
    );
    q4
}

/// Parses .eml files as a mail reader does: From, To and the attachments' names.
fn mails(dir: &Path) -> Vec<serde_json::Value> {
    let mut files: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path().display().to_string()).collect();
    files.sort();
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let script = r#"
import json, sys
from email import policy
from email.parser import BytesParser
out = []
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        m = BytesParser(policy=policy.default).parse(f)
    out.append({"file": path, "from": str(m["From"]), "to": str(m["To"]), "attachments": [a.get_filename() for a in m.iter_attachments()]})
print(json.dumps(out, ensure_ascii=False))
"#;
    serde_json::from_str(&python(script, &args)).unwrap()
}

fn files(dir: &Path) -> Vec<String> {
    // Hidden files (feedback's record of the workbooks it wrote) are not the official's.
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| !n.starts_with('.')).collect();
    v.sort();
    v
}

/// The exit codes a step may end with: the checks find errors in the sample returns (1), every other step
/// must succeed outright.
fn expected_codes(line: &str) -> &'static [i32] {
    if [" check ", " feedback ", " consolidate "].iter().any(|c| line.contains(c)) { &[0, 1] } else { &[0] }
}

/// Runs the lines in order, filling each inbox the first time a line names it.
fn run_lines(dir: &Path, lines: &[String], mut fill: impl FnMut(&str, &Path)) -> Vec<(String, Output)> {
    let mut filled = BTreeSet::new();
    let mut outputs = Vec::new();
    for line in lines {
        // Sending through a real mail server needs one; the .eml outbox line before it is the same message.
        if line.contains("--smtp") {
            assert!(line.contains("--from"), "{line}");
            continue;
        }
        // Collecting from the office mailbox needs one too (tests/integration/collect.rs runs it against a
        // real IMAP server): here the test plays the mailbox, filling the inbox the line names.
        if line.contains(" collect --imap ") {
            assert!(line.contains("--into 收件箱/") && line.starts_with("TAIZHANG_IMAP_PASSWORD="), "{line}");
            continue;
        }
        for word in line.split_whitespace() {
            if let Some(period) = word.strip_prefix("收件箱/")
                && filled.insert(period.to_string())
            {
                fill(period, &dir.join(word));
            }
        }
        let o = shell(dir, line);
        let code = o.status.code().unwrap_or(-1);
        assert!(expected_codes(line).contains(&code), "{line}\nexit {code}\n{}{}", stdout(&o), stderr(&o));
        outputs.push((line.clone(), o));
    }
    outputs
}

fn output_of<'a>(outputs: &'a [(String, Output)], start: &str) -> String {
    let (_, o) = outputs.iter().find(|(l, _)| l.starts_with(start)).unwrap_or_else(|| panic!("no README line starts with {start}"));
    stdout(o)
}

#[test]
fn readme_quarterly_loop_runs_verbatim_q3_then_q4() {
    let lines = readme_commands("### 每季度的工作流程");
    let commands: Vec<&str> = lines.iter().map(|l| l.split_whitespace().find(|w| !w.contains('=')).unwrap_or("")).collect();
    assert!(commands.iter().all(|c| *c == "taizhang"), "only taizhang commands: {lines:?}");
    assert_eq!(lines.iter().filter(|l| l.contains(" template ")).count(), 2, "a Q3 and a Q4 template step: {lines:?}");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let people = contacts(d);
    let mut q4 = None;
    let outputs = run_lines(d, &lines, |period, inbox| match period {
        "2018Q3" => q3_returns(inbox),
        "2018Q4" => q4 = Some(q4_returns(d, inbox)),
        other => panic!("the README names an inbox for {other}"),
    });
    let q4 = q4.expect("the README's Q4 steps read 收件箱/2018Q4");

    // Templates for both periods, each in its own folder.
    let all: Vec<&str> = refdata().prefectures.all().iter().map(|p| p.name.as_str()).collect();
    for period in ["2018Q3", "2018Q4"] {
        let want: Vec<String> = {
            let mut v: Vec<String> = all.iter().map(|p| format!("{period}-{p}-质量提升台账.xlsx")).collect();
            v.sort();
            v
        };
        assert_eq!(files(&d.join("模板").join(period)), want);
    }

    // The outboxes: every prefecture's template, then the corrections, all from the office's own address.
    for period in ["2018Q3", "2018Q4"] {
        let sent = mails(&d.join("发件箱").join(period));
        let templates: Vec<&serde_json::Value> = sent.iter().filter(|m| m["attachments"][0].as_str().unwrap().ends_with("质量提升台账.xlsx")).collect();
        assert_eq!(templates.len(), 21, "{period}: {sent:?}");
        for (p, address) in &people {
            let m = templates.iter().find(|m| m["to"].as_str().unwrap().contains(address.as_str())).unwrap_or_else(|| panic!("{period}: no mail to {p}"));
            assert_eq!(m["attachments"][0], format!("{period}-{p}-质量提升台账.xlsx").as_str());
        }
        let corrections: Vec<&serde_json::Value> = sent.iter().filter(|m| m["attachments"][0].as_str().unwrap().contains("审核意见")).collect();
        assert!(!corrections.is_empty(), "{period}: corrections were mailed: {sent:?}");
        assert_eq!(corrections.len(), files(&d.join("审核意见").join(period)).len());
        for m in &sent {
            assert_eq!(m["from"], "省质量提升办 <zltsb@example.gov.cn>", "{m}");
        }
    }
    let mail_out = output_of(&outputs, "taizhang mail --attachments 模板/2018Q3");
    assert!(!mail_out.contains("localhost"), "{mail_out}");

    // The rollups: Q3 from the samples, Q4 from the two returns so far.
    let q3 = taizhang::rollup::readback::read_rollup(refdata(), &d.join("2018Q3全省汇总.xlsx")).unwrap();
    let q4r = taizhang::rollup::readback::read_rollup(refdata(), &d.join("2018Q4全省汇总.xlsx")).unwrap();
    assert_eq!(q3.period.map(|p| p.code()).as_deref(), Some("2018Q3"));
    assert_eq!(q4r.period.map(|p| p.code()).as_deref(), Some("2018Q4"));
    assert_eq!(q4r.reported, ["成都市", "乐山市"]);
    assert!(q3.reported.len() > 2 && q3.reported.contains(&"成都市".to_string()) && q3.reported.contains(&"乐山市".to_string()), "{:?}", q3.reported);
    let count = |r: &taizhang::rollup::readback::Rollup, p: &str| r.rows.iter().filter(|x| x.prefecture == p).count();
    assert_eq!(count(&q4r, "成都市"), count(&q3, "成都市"), "成都: one row deleted, one added");
    assert_eq!(count(&q4r, "乐山市"), count(&q3, "乐山市") + 1);

    // Q4's templates are prefilled from Q3's rollup; the prefectures missing from it are named.
    let template_out = output_of(&outputs, "taizhang template --period 2018Q4");
    let blank: Vec<&str> = all.iter().copied().filter(|p| !q3.reported.iter().any(|r| r == p)).collect();
    assert!(template_out.contains(&format!("提示:{} 个市州在该汇总表中未报送,其模板不预填:{}。", blank.len(), blank.join("、"))), "{template_out}");

    // The comparison: only 成都 and 乐山, the others listed as not reported, nothing counted as lost.
    let not_reported: Vec<&str> = q3.reported.iter().map(String::as_str).filter(|p| !["成都市", "乐山市"].contains(p)).collect();
    let diff_out = output_of(&outputs, "taizhang diff");
    assert!(diff_out.contains("对比了两期都已报送的 2 个市州:新增企业 2 家,减少 1 家,内容更新 1 处,任务状态变化 1 项。"), "{diff_out}");
    assert!(diff_out.contains(&format!("2018年第四季度未报送(未对比,其企业不计为减少)的 {} 个市州:{}。", not_reported.len(), not_reported.join("、"))), "{diff_out}");
    let consolidate_out = output_of(&outputs, "taizhang consolidate 收件箱/2018Q4");
    assert!(consolidate_out.contains("新增企业 2 家,减少 1 家,内容更新 1 处,任务状态变化 1 项"), "{consolidate_out}");

    use taizhang::rollup::layout::diff_sheets as sheets;
    // The diff's own workbook, and the same sheets in the Q4 rollup written with --previous.
    for file in ["2018Q4与2018Q3对比.xlsx", "2018Q4全省汇总.xlsx"] {
        let p = d.join(file);
        let rows = |s: &str| -> Vec<Vec<String>> { sheet_rows(&p, s).into_iter().skip(2).collect() };
        let added = rows(sheets::ADDED);
        let names: Vec<(&str, &str)> = added.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
        assert_eq!(names, [("成都市", "四川新增茶业有限公司"), ("乐山市", "乐山新增酒业有限公司")], "{file}");
        let removed = rows(sheets::REMOVED);
        let names: Vec<(&str, &str)> = removed.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
        assert_eq!(names, [("成都市", q4.removed.as_str())], "{file}");
        let changed = rows(sheets::CHANGED);
        assert_eq!(changed.len(), 1, "{file}: {changed:?}");
        assert_eq!((changed[0][1].as_str(), changed[0][4].as_str()), (q4.updated.as_str(), "已通过省级对标达标认定"));
        let moved = rows(sheets::MOVED);
        let moved: Vec<(&str, &str, &str)> = moved.iter().map(|r| (r[0].as_str(), r[1].as_str(), r[3].as_str())).collect();
        assert_eq!(moved, [("1", "成都市", "已完成")], "{file}");
        let summary = rows(sheets::SUMMARY);
        assert_eq!(summary.len(), 21, "{file}: every prefecture has a line");
        for r in &summary {
            let p = refdata().prefectures.lookup(&r[0]).unwrap().name.as_str();
            let (b, a) = (count(&q3, p).to_string(), count(&q4r, p).to_string());
            let want: Vec<&str> = match p {
                "成都市" => vec!["已对比", &b, &a, "1", "1", "1", "1"],
                "乐山市" => vec!["已对比", &b, &a, "1", "0", "0", "0"],
                _ if not_reported.contains(&p) => vec!["本期未报送,未对比", &b, "未报送", "", "", "", ""],
                _ => vec!["两期均未报送", "未报送", "未报送", "", "", "", ""],
            };
            assert_eq!(r[1..8].iter().map(String::as_str).collect::<Vec<_>>(), want, "{file}: {p}");
        }
    }
    // And the independent reader sees the same summary.
    let script = r#"
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1])["变化汇总"]
print("\n".join(f"{r[0]}|{r[1]}" for r in ws.iter_rows(min_row=3, values_only=True)))
"#;
    let seen = python(script, &[d.join("2018Q4与2018Q3对比.xlsx").to_str().unwrap()]);
    assert_eq!(seen.lines().filter(|l| l.ends_with("|本期未报送,未对比")).count(), not_reported.len(), "{seen}");
    assert_eq!(seen.lines().filter(|l| l.ends_with("|已对比")).count(), 2, "{seen}");
}

#[test]
fn readme_quick_start_runs_verbatim() {
    let lines = readme_commands("### 一次报送的三步(命令行)");
    assert_eq!(lines.len(), 3, "{lines:?}");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let outputs = run_lines(d, &lines, |_, inbox| q3_returns(inbox));
    assert_eq!(files(&d.join("模板/2018Q3")).len(), 21);
    assert!(output_of(&outputs, "taizhang check").contains("乐山"), "the checks list the sample returns");
    let rollup = taizhang::rollup::readback::read_rollup(refdata(), &d.join("2018Q3全省汇总.xlsx")).unwrap();
    assert!(rollup.reported.contains(&"成都市".to_string()));
    // The install instructions name the command that builds the binary.
    let install = readme_commands("### 安装");
    assert_eq!(install, ["cargo install --locked --path ."]);
    // The console is started by the one command its section gives (its tests are in serve.rs).
    assert_eq!(readme_commands("### 网页工作台(推荐)"), ["taizhang serve"]);
}
