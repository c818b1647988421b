//! One count (issue 15): a batch mixing a clean return, one with errors, an encrypted and a damaged file, a
//! return for another quarter and one that names no quarter. The numbers of errors, warnings and hints
//! agree on the terminal of `check` and of `consolidate`, in the 汇总 sheet (each line and the 合计), in
//! the 问题清单 and in the exit code; every status that is not 已报送 says why. Also the period checks:
//! a file without a period, a rollup named for another quarter, a previous rollup that is not the quarter
//! before.

use std::path::Path;

use taizhang::rollup::sheets;

use super::common::{samples, sheet_rows, stderr, stdout, taizhang};

/// The mixed batch, copied from `samples/` into `dir/收件箱`.
const MIX: &[&str] = &[
    "2018Q3-成都市-质量提升台账.xlsx",    // clean
    "乐山市质量提升台账.xlsx",            // errors and warnings
    "2018Q3-遂宁市-质量提升台账.xlsx",    // encrypted
    "2018Q3-广安市-质量提升台账.xlsx",    // damaged
    "2018Q2-达州市-质量提升台账.xlsx",    // last quarter's
    "内江市台账.xlsx",                    // no period anywhere
];

fn inbox(dir: &Path, files: &[&str]) -> String {
    let inbox = dir.join("收件箱");
    std::fs::create_dir_all(&inbox).unwrap();
    for f in files {
        std::fs::copy(samples().join(f), inbox.join(f)).unwrap();
    }
    "收件箱".to_string()
}

/// (errors, warnings, hints) from a line "…错误 E 条,警告 W 条,提示 I 条…".
fn counts_in(line: &str) -> (usize, usize, usize) {
    let after = |word: &str| -> usize {
        let i = line.rfind(&format!("{word} ")).unwrap_or_else(|| panic!("{word} in {line}"));
        line[i + word.len() + 1..].chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap()
    };
    (after("错误"), after("警告"), after("提示"))
}

fn total_line<'a>(out: &'a str, marker: &str) -> &'a str {
    out.lines().rev().find(|l| l.contains(marker)).unwrap_or_else(|| panic!("no line with {marker} in {out}"))
}

/// Everything the rollup says about the numbers: the 汇总 合计 row, the sum of its lines, the 问题清单's
/// subtitle and its rows by severity; all must be equal, and are returned.
fn rollup_counts(rollup: &Path) -> (usize, usize, usize) {
    let summary = sheet_rows(rollup, sheets::SUMMARY);
    let h = &summary[2];
    let col = |n: &str| h.iter().position(|x| x == n).unwrap_or_else(|| panic!("{n} in {h:?}"));
    let (e, w, i) = (col("错误数"), col("警告数"), col("提示数"));
    let total_row = summary.iter().position(|r| r[0] == "合计").expect("合计");
    let n = |r: &Vec<String>, c: usize| r[c].parse::<usize>().unwrap_or(0);
    let total = (n(&summary[total_row], e), n(&summary[total_row], w), n(&summary[total_row], i));
    let lines = &summary[3..total_row];
    let summed = lines.iter().fold((0, 0, 0), |a, r| (a.0 + n(r, e), a.1 + n(r, w), a.2 + n(r, i)));
    assert_eq!(summed, total, "the lines of 汇总 add up to its 合计");

    let findings = sheet_rows(rollup, sheets::FINDINGS);
    let fh = &findings[2];
    let sev = fh.iter().position(|x| x == "严重程度").unwrap();
    let by = |s: &str| findings[3..].iter().filter(|r| r[sev] == s).count();
    let listed = (by("错误"), by("警告"), by("提示"));
    assert_eq!(listed, total, "问题清单 rows and 汇总 agree");
    assert_eq!(counts_in(&findings[1][0]), total, "问题清单 subtitle and 汇总 agree");
    total
}

fn status_of(rollup: &Path, prefecture: &str) -> Vec<String> {
    let summary = sheet_rows(rollup, sheets::SUMMARY);
    summary.iter().find(|r| r[1] == prefecture).unwrap_or_else(|| panic!("{prefecture} in 汇总")).clone()
}

#[test]
fn check_consolidate_summary_and_findings_count_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let inbox = inbox(d, MIX);
    let check = taizhang(d, &["check", &inbox, "--period", "2018Q3"]);
    assert_eq!(check.status.code(), Some(1), "errors: exit 1. {}", stdout(&check));
    let check_counts = counts_in(total_line(&stdout(&check), "共检查"));
    let o = taizhang(d, &["consolidate", &inbox, "--period", "2018Q3", "--out", "2018Q3全省汇总.xlsx"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    let consolidate_counts = counts_in(total_line(&out, "已报送 "));
    let rollup = d.join("2018Q3全省汇总.xlsx");
    let in_rollup = rollup_counts(&rollup);
    assert_eq!(check_counts, consolidate_counts, "check and consolidate: {}\n{out}", stdout(&check));
    assert_eq!(consolidate_counts, in_rollup, "terminal and workbook");
    assert!(in_rollup.0 > 0 && in_rollup.1 > 0 && in_rollup.2 > 0, "{in_rollup:?}");

    // Every status says what arrived.
    let chengdu = status_of(&rollup, "成都市");
    assert_eq!((chengdu[2].as_str(), chengdu[9].as_str(), chengdu[10].as_str()), ("已报送", "0", "0"), "clean: {chengdu:?}");
    let suining = status_of(&rollup, "遂宁市");
    assert_eq!(suining[2], "无法读取");
    assert!(suining[12].contains("2018Q3-遂宁市-质量提升台账.xlsx(文件已加密"), "the reason is given: {suining:?}");
    assert_eq!(suining[9], "1", "its F03 is counted on its line");
    let guangan = status_of(&rollup, "广安市");
    assert_eq!(guangan[2], "无法读取");
    assert!(guangan[12].contains("2018Q3-广安市-质量提升台账.xlsx(文件已损坏或不完整"), "{guangan:?}");
    let dazhou = status_of(&rollup, "达州市");
    assert_eq!(dazhou[2], "期别不符", "not 未报送: something arrived");
    assert!(dazhou[12].contains("2018Q2-达州市-质量提升台账.xlsx(期别不符:2018年第二季度)"), "{dazhou:?}");
    assert_eq!(dazhou[10], "2", "its P03 warning, and the S10 of its empty 附件1, are counted on its line");
    let neijiang = status_of(&rollup, "内江市");
    assert_eq!(neijiang[2], "已报送", "no period, counted for the period given");
    assert_eq!(status_of(&rollup, "自贡市")[2], "未报送");
    // The terminal says the same, with the reasons.
    assert!(out.lines().any(|l| l.starts_with("遂宁市") && l.contains("无法读取:「2018Q3-遂宁市-质量提升台账.xlsx」文件已加密")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("达州市") && l.contains("期别不符:只收到2018年第二季度的文件「2018Q2-达州市-质量提升台账.xlsx」")), "{out}");
    assert!(stdout(&check).lines().any(|l| l.contains("2018Q3-遂宁市-质量提升台账.xlsx") && l.contains("无法读取(文件已加密)")), "{}", stdout(&check));
    // The period-less file is counted, and says so.
    let findings = sheet_rows(&rollup, sheets::FINDINGS);
    let p04: Vec<&Vec<String>> = findings.iter().filter(|r| r[3] == "P04").collect();
    assert_eq!(p04.len(), 1, "{p04:?}");
    assert_eq!((p04[0][1].as_str(), p04[0][2].as_str(), p04[0][5].as_str()), ("内江市", "警告", "内江市台账.xlsx"));
    assert!(p04[0][10].contains("已按本次收集(--period)的2018年第三季度计入"), "{:?}", p04[0]);
}

#[test]
fn without_a_period_a_file_that_names_none_counts_for_the_collection_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let inbox = inbox(d, MIX);
    let check = taizhang(d, &["check", &inbox]);
    assert_eq!(check.status.code(), Some(1));
    let o = taizhang(d, &["consolidate", &inbox, "--out", "汇总.xlsx"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let rollup = d.join("汇总.xlsx");
    let c = rollup_counts(&rollup);
    assert_eq!(counts_in(total_line(&stdout(&check), "共检查")), c, "{}", stdout(&check));
    assert_eq!(counts_in(total_line(&stdout(&o), "已报送 ")), c);
    // Left out only for what a file says, never for what it does not: 内江's return states no period and
    // counts for the one the other returns state.
    let neijiang = status_of(&rollup, "内江市");
    assert_eq!(neijiang[2], "已报送");
    let findings = sheet_rows(&rollup, sheets::FINDINGS);
    let p04: Vec<&Vec<String>> = findings.iter().filter(|r| r[3] == "P04").collect();
    assert_eq!(p04.len(), 1);
    assert_eq!(p04[0][2], "警告");
    assert!(p04[0][10].contains("已按本次收集的其他文件写明的2018年第三季度计入"), "{:?}", p04[0]);
    assert!(findings.iter().all(|r| r[3] != "P07"), "the collection has a period");
    let ledger = sheet_rows(&rollup, sheets::LEDGER);
    assert!(ledger[3..].iter().any(|r| r[1] == "内江市"));
    // The same in `check`.
    assert!(stdout(&check).contains("P04 收件箱/内江市台账.xlsx"), "{}", stdout(&check));
}

#[test]
fn a_clean_batch_exits_zero_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let inbox = inbox(d, &["2018Q3-成都市-质量提升台账.xlsx"]);
    let check = taizhang(d, &["check", &inbox]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    let o = taizhang(d, &["consolidate", &inbox, "--out", "2018Q3全省汇总.xlsx"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let c = rollup_counts(&d.join("2018Q3全省汇总.xlsx"));
    assert_eq!(c.0, 0);
    assert_eq!(counts_in(total_line(&stdout(&check), "共检查")), c);
    assert_eq!(counts_in(total_line(&stdout(&o), "已报送 ")), c);
}

#[test]
fn a_rollup_for_another_quarter_than_its_name_or_the_previous_one_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let inbox = inbox(d, &["2018Q3-成都市-质量提升台账.xlsx", "乐山市质量提升台账.xlsx"]);
    let o = taizhang(d, &["consolidate", &inbox, "--out", "2018Q3全省汇总.xlsx"]);
    assert!(!stdout(&o).contains("P05") && !stdout(&o).contains("P06"), "{}", stdout(&o));
    // The README's Q4 command run on a folder that still holds Q3's returns.
    let o = taizhang(d, &["consolidate", &inbox, "--out", "2018Q4全省汇总.xlsx", "--previous", "2018Q3全省汇总.xlsx"]);
    let out = stdout(&o);
    let p05 = out.lines().find(|l| l.contains("P05")).unwrap_or_else(|| panic!("P05 on the terminal: {out}"));
    assert!(p05.starts_with("警告 P05 2018Q4全省汇总.xlsx") && p05.contains("文件名写的是2018年第四季度,但汇总的是2018年第三季度"), "{p05}");
    let p06 = out.lines().find(|l| l.contains("P06")).unwrap_or_else(|| panic!("P06 on the terminal: {out}"));
    assert!(p06.starts_with("警告 P06 2018Q3全省汇总.xlsx") && p06.contains("上期汇总表是2018年第三季度的,本次汇总的是2018年第三季度"), "{p06}");
    let rollup = d.join("2018Q4全省汇总.xlsx");
    let findings = sheet_rows(&rollup, sheets::FINDINGS);
    let codes: Vec<&str> = findings[3..].iter().filter(|r| r[3] == "P05" || r[3] == "P06").map(|r| r[3].as_str()).collect();
    assert_eq!(codes.len(), 2, "both listed in 问题清单: {codes:?}");
    let c = rollup_counts(&rollup);
    assert_eq!(counts_in(total_line(&out, "已报送 ")), c, "and counted: {out}");
    let other = status_of(&rollup, "(其他)");
    assert_eq!(other[10], "2", "the rollup's own warnings have their line in 汇总: {other:?}");
}
