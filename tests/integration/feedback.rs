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
    let mut names: Vec<String> = std::fs::read_dir(d.join("审核意见")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
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
