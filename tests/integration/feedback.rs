//! `taizhang feedback` for every prefecture with an error (issue 15): a notice for the files that cannot be
//! annotated (encrypted, damaged, last quarter's), and in the annotated workbook findings that point at the
//! cell they are about, with the row numbers of their text agreeing, added columns kept, and formula errors
//! still formula errors. Read back with openpyxl and calamine.

use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};

use super::common::{libreoffice_convert, python, refdata, samples, stderr, stdout, taizhang};

/// Every cell of a sheet with openpyxl (formulas as written, not computed), with its note.
const CELLS: &str = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb[sys.argv[2]]
out = {}
for row in ws.iter_rows():
    for c in row:
        if c.value is not None or c.comment is not None:
            out[c.coordinate] = {"value": str(c.value) if c.value is not None else "", "type": c.data_type, "note": c.comment.text if c.comment else None}
print(json.dumps(out, ensure_ascii=False))
"#;

fn cells(path: &Path, sheet: &str) -> serde_json::Value {
    serde_json::from_str(&python(CELLS, &[path.to_str().unwrap(), sheet])).unwrap()
}

fn rows(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    let mut wb = open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range(sheet).unwrap();
    range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
}

fn run_feedback(d: &Path, files: &[&str]) -> Vec<String> {
    std::fs::create_dir_all(d.join("收件箱")).unwrap();
    for f in files {
        std::fs::copy(samples().join(f), d.join("收件箱").join(f)).unwrap();
    }
    let o = taizhang(d, &["feedback", "收件箱", "--period", "2018Q3", "--out", "审核意见"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    // The record of what feedback wrote (a hidden file) aside.
    let mut names: Vec<String> = std::fs::read_dir(d.join("审核意见")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| !n.starts_with('.')).collect();
    names.sort();
    names
}

#[test]
fn unusable_returns_get_a_notice_saying_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let names = run_feedback(
        d,
        &["2018Q3-成都市-质量提升台账.xlsx", "2018Q3-遂宁市-质量提升台账.xlsx", "2018Q3-广安市-质量提升台账.xlsx", "2018Q2-达州市-质量提升台账.xlsx"],
    );
    assert_eq!(names, ["2018Q3-广安市-审核意见.xlsx", "2018Q3-达州市-审核意见.xlsx", "2018Q3-遂宁市-审核意见.xlsx"], "成都 is clean; the others each get one");
    let sheet = &refdata().template.sheets.feedback;
    let notice = |p: &str| rows(&d.join("审核意见").join(format!("2018Q3-{p}-审核意见.xlsx")), sheet);

    let suining = notice("遂宁市");
    assert_eq!(suining[0][0], "遂宁市2018年第三季度质量提升台账审核意见");
    assert!(suining[1][0].starts_with("你单位报送的以下文件未能纳入2018年第三季度全省汇总"), "{:?}", suining[1]);
    assert_eq!(suining[2], ["序号", "收到的文件", "问题", "说明", "请这样处理"]);
    assert_eq!(suining[3][..3], ["1", "2018Q3-遂宁市-质量提升台账.xlsx", "文件已加密"]);
    assert_eq!(suining[3][3], "文件已加密,请去除密码后重新报送");
    assert!(suining[3][4].starts_with("请取消文件的打开密码"), "{:?}", suining[3]);
    assert!(suining[4].iter().all(String::is_empty), "one finding only: {suining:?}");

    let guangan = notice("广安市");
    assert_eq!(guangan[3][..3], ["1", "2018Q3-广安市-质量提升台账.xlsx", "文件无法读取"]);
    assert!(guangan[3][4].contains("另存为」xlsx"), "{:?}", guangan[3]);

    let dazhou = notice("达州市");
    assert_eq!(dazhou[3][..3], ["1", "2018Q2-达州市-质量提升台账.xlsx", "期别不符"]);
    assert!(dazhou[3][3].contains("本文件是2018年第二季度的台账(使用的是该期的模板),本次收集的是2018年第三季度"), "{:?}", dazhou[3]);
    assert_eq!(dazhou[3][4], "本次收集的是2018年第三季度(2018Q3)的台账,请使用2018年第三季度(2018Q3)的模板填写后重新报送。");
}

#[test]
fn findings_point_at_their_cells_and_the_workbook_keeps_columns_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let names = run_feedback(d, &["乐山市质量提升台账.xlsx"]);
    assert_eq!(names, ["2018Q3-乐山市-审核意见.xlsx"]);
    let fb = d.join("审核意见/2018Q3-乐山市-审核意见.xlsx");
    let layout = &refdata().template.sheets;
    let original = taizhang::import::batch::import_one(
        refdata(),
        &taizhang::inbox::Input::file(samples().join("乐山市质量提升台账.xlsx"), "乐山", true),
        &Default::default(),
    )
    .remove(0);
    let ledger = cells(&fb, &layout.ledger);
    let n_cols = refdata().ledger.columns.len() as u32;
    let a1 = |r: u32, c: u32| taizhang::cell::CellRef::new(r, c).a1();

    // The added columns follow the template's, with their headers and every value.
    assert_eq!(original.extra_columns, ["备注", "(无表头)K列"]);
    for (e, name) in original.extra_columns.iter().enumerate() {
        assert_eq!(ledger[a1(2, n_cols + e as u32)]["value"], name.as_str(), "header of {name}");
        for (k, row) in original.rows.iter().enumerate() {
            let got = ledger.get(a1(3 + k as u32, n_cols + e as u32)).map(|c| c["value"].as_str().unwrap().to_string()).unwrap_or_default();
            assert_eq!(got, row.extra(e), "row {} {name}", k + 1);
        }
    }

    // The 问题清单 of the workbook: each finding on the ledger names a cell whose note holds its message,
    // and every 第N行 of a message at a cell of row N is that row.
    let list = rows(&fb, &layout.feedback);
    let mut on_ledger = 0;
    for r in &list[2..] {
        if r[0].is_empty() || r[3] != layout.ledger {
            continue;
        }
        on_ledger += 1;
        let cell = taizhang::cell::parse_a1(&r[4]).unwrap_or_else(|| panic!("cell of {r:?}"));
        let note = ledger[&r[4]]["note"].as_str().unwrap_or_else(|| panic!("a note at {} for {r:?}", r[4]));
        assert!(note.contains(&r[7]), "{} note {note:?} holds {:?}", r[4], r[7]);
        if let Some(rest) = r[7].strip_prefix('第') {
            let n: u32 = rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap();
            assert_eq!(n, cell.row + 1, "message {:?} at {}", r[7], r[4]);
        }
        // The column is the one the finding is about.
        let header = ledger[a1(2, cell.col)]["value"].as_str().unwrap().to_string();
        match r[2].as_str() {
            "S04" => assert_eq!(header, "(无表头)K列", "{r:?}"),
            "V03" => assert_eq!(header, "统一社会信用代码", "{r:?}"),
            "V02" => assert_eq!(header, "所属(产业)行业", "{r:?}"),
            "V04" => {}
            _ => {}
        }
    }
    assert!(on_ledger >= 5, "{list:?}");
    let codes: Vec<&str> = list[2..].iter().filter(|r| r[3] == layout.ledger).map(|r| r[2].as_str()).collect();
    for c in ["S04", "V01", "V02", "V03", "V04", "V05", "V06"] {
        assert!(codes.contains(&c), "{c} located in the ledger sheet: {list:?}");
    }

    // The formula error is a formula whose value is the error, for openpyxl and for calamine.
    let v04 = list[2..].iter().find(|r| r[2] == "V04").unwrap();
    assert_eq!(ledger[&v04[4]]["type"], "f", "{v04:?}: {}", ledger[&v04[4]]);
    assert_eq!(ledger[&v04[4]]["value"], "=NA()");
    let cell = taizhang::cell::parse_a1(&v04[4]).unwrap();
    let mut wb = open_workbook_auto(&fb).unwrap();
    let range = wb.worksheet_range(&layout.ledger).unwrap();
    assert!(matches!(range.get_value((cell.row, cell.col)), Some(Data::Error(calamine::CellErrorType::NA))), "{:?}", range.get_value((cell.row, cell.col)));

    // Sent back unchanged, the workbook gives the same error findings again, now at its own cells.
    let back = taizhang::import::batch::import_one(refdata(), &taizhang::inbox::Input::file(fb.clone(), "back", true), &Default::default()).remove(0);
    let again: Vec<(String, String)> = back.findings.iter().filter(|f| f.code == taizhang::Code::FormulaError).map(|f| (f.cell.unwrap().a1(), f.value.clone().unwrap_or_default())).collect();
    assert_eq!(again, [(v04[4].clone(), "#N/A".to_string())], "{:?}", back.findings);
    assert_eq!(back.extra_columns, original.extra_columns, "added columns come back as added columns");
    assert_eq!(back.rows.len(), original.rows.len());

    // Opened and saved as xls by LibreOffice (which recalculates), the error is still an error.
    let xls = libreoffice_convert(&fb, "xls", d);
    let resaved = taizhang::import::batch::import_one(refdata(), &taizhang::inbox::Input::file(xls, "xls", true), &Default::default()).remove(0);
    let again: Vec<(String, String)> = resaved.findings.iter().filter(|f| f.code == taizhang::Code::FormulaError).map(|f| (f.cell.unwrap().a1(), f.value.clone().unwrap_or_default())).collect();
    assert_eq!(again, [(v04[4].clone(), "#N/A".to_string())], "{:?}", resaved.findings);
    assert_eq!(resaved.extra_columns, original.extra_columns);
}

/// A small 乐山 return; `broken` leaves the name of its second enterprise empty (an error to correct).
fn leshan_return(broken: bool) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("附件2").unwrap();
    let second = if broken { "" } else { "乐山乙茶业有限公司" };
    super::common::write_rows(
        ws,
        0,
        &[
            &["乐山市质量提升台账(2018年第三季度)"],
            &["序号", "所属(产业)行业", "提升企业名称", "主导产品", "问题和短板", "提升目标", "提升措施", "进展情况及成效"],
            &["1", "茶叶", "乐山甲茶业有限公司", "绿茶", "标准化不足", "建立标准体系", "对标达标", "已制定企业标准"],
            &["2", "茶叶", second, "红茶", "品牌影响力弱", "创建品牌", "品牌培育", "推进中"],
        ],
    );
    if !broken {
        // The corrected file reports a task too, so nothing is left to correct.
        let tasks = wb.add_worksheet();
        tasks.set_name("附件1").unwrap();
        super::common::write_rows(tasks, 0, &[&["序号", "重点工作", "完成状态", "推进情况"], &["1", "开展质量提升行动", "推进中", "已部署"]]);
    }
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_corrected_return_clears_the_corrections_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let inbox = d.join("收件箱");
    std::fs::create_dir(&inbox).unwrap();
    let first = inbox.join("乐山市台账.xlsx");
    std::fs::write(&first, leshan_return(true)).unwrap();
    let o = taizhang(d, &["feedback", "收件箱", "--period", "2018Q3", "--out", "审核意见"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let workbook = d.join("审核意见").join(taizhang::feedback::file_name("乐山市", Some(taizhang::Period::new(2018, 3).unwrap())));
    assert!(workbook.exists(), "the first round's corrections: {}", stdout(&o));

    // 乐山 sends the corrected file, later.
    let second = inbox.join("乐山市台账(修改).xlsx");
    std::fs::write(&second, leshan_return(false)).unwrap();
    let later = std::fs::metadata(&first).unwrap().modified().unwrap() + std::time::Duration::from_secs(60);
    std::fs::File::options().write(true).open(&second).unwrap().set_modified(later).unwrap();

    // check: the superseded file's error is shown with it, not counted.
    let check = taizhang(d, &["check", "收件箱", "--period", "2018Q3"]);
    let out = stdout(&check);
    assert_eq!(check.status.code(), Some(0), "only the adopted file counts: {out}");
    assert!(out.contains("已被同一市州更新的文件替代"), "{out}");

    // feedback: the earlier round's workbook is removed (nothing left to correct), and it says so.
    let o = taizhang(d, &["feedback", "收件箱", "--period", "2018Q3", "--out", "审核意见"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("已删除 乐山市 上一轮的审核意见"), "{}", stdout(&o));
    assert!(!workbook.exists(), "it would be mailed again");

    // The rollup: 乐山 已报送 with no errors; 问题清单 has only the F08 notice about the old file.
    let o = taizhang(d, &["consolidate", "收件箱", "--period", "2018Q3", "--out", "汇总.xlsx"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let rollup = d.join("汇总.xlsx");
    let summary = super::common::sheet_rows(&rollup, taizhang::rollup::sheets::SUMMARY);
    let leshan = summary.iter().find(|r| r.get(1).is_some_and(|c| c == "乐山市")).unwrap_or_else(|| panic!("{summary:?}"));
    assert_eq!(leshan[2], "已报送", "{leshan:?}");
    assert_eq!((leshan[9].as_str(), leshan[10].as_str()), ("0", "0"), "no error or warning counted: {leshan:?}");
    let findings = super::common::sheet_rows(&rollup, taizhang::rollup::sheets::FINDINGS);
    let mine: Vec<&Vec<String>> = findings.iter().filter(|r| r.iter().any(|c| c == "乐山市")).collect();
    assert!(mine.iter().any(|r| r[3] == "F08") && mine.iter().all(|r| r[2] == "提示" && r[3] != "V01"), "only hints, the old file's F08 among them: {mine:?}");

    // No reminder for 乐山.
    std::fs::write(d.join("联系人.csv"), "市州,联系人,邮箱\n乐山市,张三,ls@example.cn\n").unwrap();
    let o = taizhang(d, &["mail", "--remind", "--inbox", "收件箱", "--period", "2018Q3", "--contacts", "联系人.csv", "--outbox", "发件箱"]);
    let outbox: Vec<String> = std::fs::read_dir(d.join("发件箱")).map(|r| r.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect()).unwrap_or_default();
    assert!(!outbox.iter().any(|n| n.contains("乐山")), "{outbox:?} {}{}", stdout(&o), stderr(&o));
}

/// The first round's corrections replaced in the second, when the second file still has errors; a
/// workbook the office edited by hand is never replaced.
#[test]
fn feedback_replaces_only_its_own_unchanged_workbooks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("收件箱")).unwrap();
    std::fs::write(d.join("收件箱").join("乐山市台账.xlsx"), leshan_return(true)).unwrap();
    let run = || taizhang(d, &["feedback", "收件箱", "--period", "2018Q3", "--out", "审核意见"]);
    assert_eq!(run().status.code(), Some(0));
    let o = run();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("已更新 乐山市"), "its own workbook is replaced: {}", stdout(&o));
    let workbook = d.join("审核意见").join(taizhang::feedback::file_name("乐山市", Some(taizhang::Period::new(2018, 3).unwrap())));
    std::fs::write(&workbook, b"edited by hand").unwrap();
    let o = run();
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("未覆盖"), "{}", stdout(&o));
    assert_eq!(std::fs::read(&workbook).unwrap(), b"edited by hand");
}
