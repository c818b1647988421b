//! Returns filled the way a hurried prefecture official fills them: totals and sub-totals under the table,
//! section headings, a name swapped with the product, a row shifted by one column, two enterprises in one
//! cell, a status contradicting its progress text, an empty 附件1 sheet. Each case is asserted exactly, in
//! the xlsx as written and in an xls re-saved by LibreOffice, and the rollup holds no invented enterprise.

use std::path::{Path, PathBuf};

use calamine::Reader;
use rust_xlsxwriter::{Format, Workbook};
use taizhang::rollup::sheets;
use taizhang::submission::Submission;

use super::common::{import_checked as import, libreoffice_convert, located, pairs, refdata, sheet_rows, stderr, stdout, taizhang, write_rows};

const HEADER: [&str; 8] = ["序号", "所属(产业)行业", "提升企业名称", "主导产品", "问题和短板", "提升目标", "提升措施", "进展情况及成效"];
const PROGRESS_HEADER: [&str; 5] = ["序号", "内容", "完成状态", "推进情况", "量化完成值"];

/// 成都市's return: every careless case of the ledger in one sheet, and a progress sheet whose statuses
/// contradict their texts.
fn chengdu(dir: &Path) -> PathBuf {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("附件2").unwrap();
    ws.write_string(0, 0, "四川省重点消费品质量提升台账(2018年第三季度)").unwrap();
    ws.write_string(1, 0, "填报市州:成都市").unwrap();
    write_rows(ws, 2, &[&HEADER]);
    // Row 4: a section heading merged across the table.
    ws.merge_range(3, 0, 3, 7, "一、食品行业", &Format::new()).unwrap();
    write_rows(
        ws,
        4,
        &[
            &["1", "食品饮料", "四川甲食品有限公司", "火锅底料", "标准化程度低", "通过SC认证", "建设标准化车间", "推进中"],
            // Name and product swapped.
            &["2", "白酒", "浓香型白酒", "四川乙酒业有限公司", "勾调工艺不稳定", "建立质量追溯体系", "引进检测设备", "已完成"],
            // A sub-total that agrees with its section.
            &["小计", "", "2家"],
            // A heading typed in the 序号 column.
            &["二、茶叶和家具"],
            // Shifted one column to the right: 序号 empty, the number under 行业, the industry under 名称.
            &["", "3", "茶叶", "四川丙茶业有限公司", "绿茶", "加工粗放", "通过有机认证", "建设标准茶园", "推进中"],
            // Two enterprises in one cell.
            &["4", "家具", "四川丁家具有限公司、成都戊家居厂", "实木家具", "设计能力弱", "创建品牌", "引进设计人才", "推进中"],
            // A total that disagrees with the four enterprises above.
            &["合计", "", "共5家企业"],
        ],
    );
    let ws = wb.add_worksheet();
    ws.set_name("附件1").unwrap();
    write_rows(
        ws,
        0,
        &[
            &PROGRESS_HEADER,
            // Status blank while the text says it is done.
            &["1", "", "", "已完成全年培训任务,共培训120人次"],
            // Done while the text says not started.
            &["2", "", "已完成", "因机构改革尚未启动"],
            // Consistent.
            &["3", "", "推进中", "正在推进,尚未全面完成"],
        ],
    );
    let path = dir.join("2018Q3-成都市-质量提升台账.xlsx");
    wb.save(&path).unwrap();
    path
}

/// 绵阳市's return: a clean ledger, and the 附件1 sheet with its tasks but nothing reported.
fn mianyang(dir: &Path) -> PathBuf {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("附件2").unwrap();
    ws.write_string(0, 0, "四川省重点消费品质量提升台账(2018年第三季度)").unwrap();
    ws.write_string(1, 0, "填报市州:绵阳市").unwrap();
    write_rows(ws, 2, &[&HEADER, &["1", "电子信息", "绵阳己电子有限公司", "液晶模组", "良品率低", "良品率达到98%", "导入六西格玛", "推进中"]]);
    let ws = wb.add_worksheet();
    ws.set_name("附件1").unwrap();
    write_rows(ws, 0, &[&PROGRESS_HEADER]);
    for t in &refdata().tasks.tasks {
        ws.write_number(t.no, 0, f64::from(t.no)).unwrap();
        ws.write_string(t.no, 1, &t.content).unwrap();
    }
    let path = dir.join("2018Q3-绵阳市-质量提升台账.xlsx");
    wb.save(&path).unwrap();
    path
}

fn enterprises(s: &Submission) -> Vec<&str> {
    let e = refdata().ledger.keys.enterprise;
    s.rows.iter().map(|r| r.text(e)).collect()
}

fn check_chengdu(s: &Submission) {
    assert_eq!(s.prefecture.as_deref(), Some("成都市"));
    assert_eq!(
        enterprises(s),
        ["四川甲食品有限公司", "浓香型白酒", "茶叶", "四川丁家具有限公司、成都戊家居厂"],
        "headings and totals are not enterprises; careless rows are kept as written: {:#?}",
        s.findings
    );
    assert_eq!(
        located(s),
        pairs(&[
            ("V14", "附件2!A4"),  // 一、食品行业
            ("V16", "附件2!C6"),  // 浓香型白酒 | 四川乙酒业有限公司
            ("V14", "附件2!A7"),  // 小计 2家
            ("V14", "附件2!A8"),  // 二、茶叶和家具
            ("S04", "附件2!I9"),  // the shifted row's last value, in a column without header
            ("V02", "附件2!B9"),  // "3" is no industry
            ("V17", "附件2!C9"),  // shifted right
            ("V18", "附件2!C10"), // two enterprises
            ("V14", "附件2!A11"), // 合计 共5家企业
            ("V15", "附件2!A11"), // 5 stated, 4 counted
            ("V19", "附件1!D2"),  // blank status, text says done
            ("V19", "附件1!D3"),  // 已完成 while the text says not started
        ]),
        "{:#?}",
        s.findings
    );
    let f = |code: &str, loc: &str| s.findings.iter().find(|f| f.code.as_str() == code && f.location() == loc).unwrap();
    assert_eq!(f("V15", "附件2!A11").message, "第11行合计行写明共5家企业,但表中实际填报了4家。请核对企业是否漏填或多填,并更正合计行。");
    assert_eq!(f("V14", "附件2!A11").value.as_deref(), Some("合计 | 共5家企业"));
    assert_eq!(f("V14", "附件2!A4").value.as_deref(), Some("一、食品行业"));
    assert!(f("V16", "附件2!C6").message.contains("「主导产品」列填的「四川乙酒业有限公司」"), "{}", f("V16", "附件2!C6").message);
    assert!(f("V17", "附件2!C9").message.contains("向右错了一列"), "{}", f("V17", "附件2!C9").message);
    assert!(f("V18", "附件2!C10").message.contains("2家企业"), "{}", f("V18", "附件2!C10").message);
    assert!(f("V19", "附件1!D3").message.contains("「已完成」"), "{}", f("V19", "附件1!D3").message);
    // Every status has a severity a person can act on: all of these are warnings or hints, none silent.
    assert!(s.findings.iter().all(|f| f.severity != taizhang::Severity::Error), "{:#?}", s.findings);
    assert_eq!(s.progress.len(), 3);
}

fn check_mianyang(s: &Submission) {
    assert_eq!(enterprises(s), ["绵阳己电子有限公司"]);
    assert_eq!(located(s), pairs(&[("S10", "附件1!C2")]), "{:#?}", s.findings);
}

#[test]
fn careless_returns_in_xlsx() {
    let dir = tempfile::tempdir().unwrap();
    check_chengdu(&import(&chengdu(dir.path())));
    check_mianyang(&import(&mianyang(dir.path())));
}

#[test]
fn careless_returns_resaved_as_xls_by_libreoffice() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("xls");
    std::fs::create_dir(&out).unwrap();
    let cd = libreoffice_convert(&chengdu(dir.path()), "xls", &out);
    let my = libreoffice_convert(&mianyang(dir.path()), "xls", &out);
    check_chengdu(&import(&cd));
    check_mianyang(&import(&my));
}

#[test]
fn nothing_invented_in_the_rollup() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("收件箱");
    std::fs::create_dir(&inbox).unwrap();
    chengdu(&inbox);
    mianyang(&inbox);
    let o = taizhang(dir.path(), &["consolidate", "收件箱", "--out", "汇总.xlsx", "--period", "2018Q3"]);
    assert_eq!(o.status.code(), Some(0), "warnings only: {}{}", stdout(&o), stderr(&o));
    let rollup = dir.path().join("汇总.xlsx");
    let ledger = sheet_rows(&rollup, sheets::LEDGER);
    let header = ledger.iter().position(|r| r.iter().any(|c| c == "提升企业名称")).expect("header of 附件2");
    let col = ledger[header].iter().position(|c| c == "提升企业名称").unwrap();
    let names: Vec<&str> = ledger[header + 1..].iter().map(|r| r[col].as_str()).filter(|n| !n.is_empty()).collect();
    assert_eq!(names, ["四川甲食品有限公司", "浓香型白酒", "茶叶", "四川丁家具有限公司、成都戊家居厂", "绵阳己电子有限公司"]);
    // No total, count or heading anywhere in the rollup as an enterprise or an industry.
    let mut book = calamine::open_workbook_auto(&rollup).unwrap();
    for sheet in [sheets::LEDGER, sheets::INDUSTRY] {
        let range = book.worksheet_range(sheet).unwrap();
        for c in range.used_cells() {
            let t = c.2.to_string();
            assert!(!["共5家企业", "2家", "小计", "一、食品行业", "二、茶叶和家具"].contains(&t.as_str()), "{sheet} holds 「{t}」");
        }
    }
    // The findings list names every non-enterprise row, so that nothing is lost from sight.
    let findings = sheet_rows(&rollup, sheets::FINDINGS);
    let v14 = findings.iter().filter(|r| r.iter().any(|c| c == "V14")).count();
    assert_eq!(v14, 4, "{findings:?}");
}
