//! Two quarters in the console in a real browser, end to end (tests/e2e/quarters.py drives it): links that
//! collect for the office's period, a corrected resubmission that is clean everywhere, mail sent from the
//! page through a real SMTP server, the next period started from the page, a late return filed into its
//! own period, and a restart that the office's open tab survives.

use std::path::PathBuf;
use std::process::Command;

use super::common::refdata;

#[test]
fn two_quarters_in_the_console_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("工作区");
    let smtp = super::quarterly::server(dir.path(), "smtp", &[]);
    let emails: Vec<(String, String)> = refdata().prefectures.all().iter().enumerate().map(|(i, p)| (p.name.clone(), format!("zl{i:02}@pref.example.cn"))).collect();
    let contacts = dir.path().join("联系人.csv");
    let table: Vec<String> = std::iter::once("市州,联系人,邮箱".to_string()).chain(emails.iter().map(|(n, e)| format!("{n},联系人,{e}"))).collect();
    std::fs::write(&contacts, table.join("\n")).unwrap();
    let shots = std::env::var_os("TAIZHANG_SCREENSHOTS").map_or_else(|| dir.path().join("shots"), PathBuf::from);
    let script = super::common::repo().join("tests/e2e/quarters.py");
    let o = Command::new("python3")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_taizhang"))
        .arg(&ws)
        .arg(smtp.port.to_string())
        .arg(&contacts)
        .arg(&shots)
        .output()
        .expect("python3");
    assert!(o.status.success(), "browser test failed (chromium and playwright are installed by .ci/run):\n{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value = serde_json::from_str(String::from_utf8_lossy(&o.stdout).lines().last().unwrap()).unwrap();
    let s = |k: &str| r[k].as_str().unwrap_or_else(|| panic!("{k} missing: {r}")).to_string();

    // An empty workspace asks which period to start and makes nothing before it is asked to.
    assert_eq!(r["empty_workspace_folders"], serde_json::json!([]), "{r}");
    assert!(s("q3_board_header").contains("2018年第三季度"), "{r}");
    assert!(s("q3_start_result").contains("已生成 21 个模板"), "{r}");
    assert!(s("contacts").contains("共 21 个市州有邮箱"), "{r}");
    // The links collect for the period the office started, and say so.
    assert!(s("links_page_q3").contains("2018年第三季度"), "{r}");
    assert!(s("guangyuan_link_q3").contains("2018年第三季度"), "{r}");
    assert!(s("guangyuan_template").contains("2018Q3-广元市"), "{r}");

    // 广元: an error, then the correction; everything shows the adopted file only.
    assert!(s("guangyuan_first_upload").contains("错误"), "{r}");
    assert!(s("guangyuan_second_upload").contains("错误 0 条"), "{r}");
    let board = s("board_guangyuan");
    assert!(board.contains("已报送") && !board.contains("有错误"), "the board: {board}");
    assert!(s("guangyuan_counting").contains("修改"), "the corrected file counts: {r}");
    let summary = r["summary_guangyuan"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert!(summary.iter().any(|c| c == "已报送"), "汇总: {summary:?}");
    assert!(!summary.iter().any(|c| c == "有错误"), "汇总: {summary:?}");
    let issues = r["issues_guangyuan"].as_array().unwrap();
    assert!(!issues.iter().any(|row| row.to_string().contains("V01")), "问题清单 keeps no finding of the superseded file: {issues:?}");
    assert!(s("rollup_result").contains("已报送 2/21"), "{r}");

    // Mail from the page: reminders to the 19 that have not reported, none to 广元 or 雅安; corrections to
    // nobody with something to correct, 广元 told it has nothing to correct.
    let remind = r["remind_rows"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(remind.iter().filter(|l| l.contains("已发送")).count(), 19, "{remind:?}");
    assert!(!remind.iter().any(|l| (l.contains("广元市") || l.contains("雅安市")) && l.contains("已发送")), "{remind:?}");
    // Corrections: only for the adopted files (广元's corrected one, 雅安's), never the superseded file's error.
    let feedback = r["feedback_rows"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect::<Vec<_>>();
    let sent: Vec<&String> = feedback.iter().filter(|l| l.contains("已发送")).collect();
    assert!(sent.iter().all(|l| l.contains("广元市") || l.contains("雅安市")), "{feedback:?}");
    let delivered = super::quarterly::delivered(&smtp);
    assert_eq!(delivered.len(), 19 + sent.len(), "what the server received");
    let guangyuan = &emails.iter().find(|(n, _)| n == "广元市").unwrap().1;
    let mut reminders = 0;
    for m in &delivered {
        let raw = std::fs::read(m).unwrap();
        let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let to = String::from_utf8_lossy(&raw).lines().find(|l| l.starts_with("To:")).unwrap_or_default().to_string();
        let text = message.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
        if to.contains(guangyuan.as_str()) {
            assert!(!text.contains("不能为空") && !text.contains("V01"), "no word of the superseded file's error to 广元:\n{text}");
        } else if !to.contains("zl15@") {
            reminders += 1;
            assert!(text.contains("2018年10月10日") || text.contains("2018-10-10"), "the reminder states the deadline:\n{text}");
        }
    }
    assert_eq!(reminders, 19, "广元 and 雅安 are not reminded");
    assert!(s("schedule_result").contains("定时催报"), "{r}");

    // 2018Q4 started from the page; the links follow it.
    assert!(s("q4_board_header").contains("2018年第四季度"), "{r}");
    assert!(s("links_page_q4").contains("2018年第四季度"), "{r}");
    assert!(s("meishan_link_q4").contains("2018年第四季度"), "{r}");
    assert!(ws.join("2018Q4").is_dir());
    // Its templates prefilled from the Q3 rollup built from the page (广元's two enterprises, 雅安's one), the
    // result still on the page the start led to.
    let started = s("q4_start_result");
    assert!(started.contains("已生成 21 个模板") && started.contains("已按上期汇总表预填 2 个市州的 3 家企业"), "{started}");
    assert!(s("q4_log").contains("开始2018年第四季度"), "the action log: {r}");
    // 眉山's late Q3 return, sent through the link that collects Q4, is filed into Q3 and 眉山 is told.
    assert!(s("meishan_late_upload").contains("2018年第三季度"), "{r}");
    assert!(s("q3_board_meishan").contains("已报送"), "{r}");
    assert_eq!(r["q4_returned"], "0/21", "{r}");
    let q3_inbox: Vec<String> = std::fs::read_dir(ws.join("2018Q3").join("收件箱")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert!(q3_inbox.iter().any(|n| n.contains("眉山")), "{q3_inbox:?}");

    // After the restart, the same tab built the rollup again.
    assert!(s("rollup_after_restart").contains("已报送 3/21"), "{r}");
}
