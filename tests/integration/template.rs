//! `taizhang template`: the workbooks read back by calamine and by openpyxl, converted by LibreOffice,
//! rendered to PDF, and the command's behaviour.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, SheetVisible, Xlsx};
use taizhang::Period;
use taizhang::cell::CellRef;
use taizhang::read::{Limits, Value, read_file};

use super::common::{libreoffice_convert, python, refdata, stdout, stderr, taizhang};

const PERIOD: Period = Period { year: 2018, quarter: 3 };

fn chengdu() -> Vec<u8> {
    let r = refdata();
    let p = r.prefectures.lookup("成都").unwrap();
    taizhang::template::build(r, p, PERIOD, chrono::NaiveDate::from_ymd_opt(2018, 10, 10), None).unwrap()
}

fn text(range: &calamine::Range<Data>, row: u32, col: u32) -> String {
    match range.get_value((row, col)) {
        Some(Data::String(s)) => s.clone(),
        Some(Data::Float(f)) => f.to_string(),
        Some(Data::Int(i)) => i.to_string(),
        Some(Data::Empty) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

#[test]
fn calamine_reads_headers_labels_lists_and_tasks() {
    let r = refdata();
    let layout = &r.template.sheets;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(chengdu())).unwrap();
    let names: Vec<String> = wb.sheet_names();
    assert_eq!(
        names,
        [layout.instructions.clone(), layout.ledger.clone(), layout.progress.clone(), r.indicators.sheet.clone(), layout.lists.clone(), layout.meta.clone()]
    );
    let vis: Vec<SheetVisible> = wb.sheets_metadata().iter().map(|s| s.visible).collect();
    assert_eq!(vis, [SheetVisible::Visible, SheetVisible::Visible, SheetVisible::Visible, SheetVisible::Visible, SheetVisible::Hidden, SheetVisible::VeryHidden]);

    let ledger = wb.worksheet_range(&layout.ledger).unwrap();
    assert_eq!(text(&ledger, 0, 0), "四川省重点消费品质量提升台账(2018年第三季度)");
    assert_eq!(text(&ledger, 1, 0), "填报市州:成都市");
    assert_eq!(text(&ledger, 1, 3), "填报日期:");
    assert_eq!(text(&ledger, 1, 5), "填报人:");
    assert_eq!(text(&ledger, 1, 7), "联系电话:");
    let headers: Vec<String> = (0..9).map(|c| text(&ledger, 2, c)).collect();
    let expected: Vec<String> = r.ledger.columns.iter().map(|c| c.name.clone()).collect();
    assert_eq!(headers, expected);
    assert_eq!(&headers[..8], ["序号", "所属(产业)行业", "提升企业名称", "主导产品", "问题和短板", "提升目标", "提升措施", "进展情况及成效"]);
    for (k, row) in (3..203).enumerate() {
        assert_eq!(text(&ledger, row, 0), (k + 1).to_string(), "序号 on row {}", row + 1);
    }

    let lists = wb.worksheet_range(&layout.lists).unwrap();
    let industries: Vec<String> = (1..=r.ledger.industries.len() as u32).map(|row| text(&lists, row, 0)).collect();
    assert_eq!(industries, r.ledger.industries);
    assert!(industries.len() >= 20 && industries.last().map(String::as_str) == Some("其他"));
    let statuses: Vec<String> = (1..=3).map(|row| text(&lists, row, 1)).collect();
    assert_eq!(statuses, ["未启动", "推进中", "已完成"]);

    let progress = wb.worksheet_range(&layout.progress).unwrap();
    let headers: Vec<String> = (0..9).map(|c| text(&progress, 2, c)).collect();
    assert_eq!(headers, ["序号", "类别", "内容", "指导单位", "责任单位", "配合单位", "完成状态", "推进情况", "量化完成值"]);
    let merges = wb.merge_cells_by_sheet_name(&layout.progress).unwrap();
    for t in &r.tasks.tasks {
        let row = 2 + t.no;
        assert_eq!(text(&progress, row, 0), t.no.to_string());
        assert_eq!(text(&progress, row, 2), t.content, "task {}", t.no);
        assert_eq!(text(&progress, row, 3), t.guiding, "task {}", t.no);
        let (resp, coop) = r.tasks.effective_units(t.no);
        if t.continues_above {
            // Covered by the merged cells of task 18, as in 附件1.
            assert!(merges.iter().any(|m| m.start.1 == 4 && m.start.0 < row && m.end.0 >= row), "task {} merged", t.no);
        } else {
            assert_eq!(text(&progress, row, 4), resp);
            assert_eq!(text(&progress, row, 5), coop);
        }
        for c in 6..9 {
            assert_eq!(text(&progress, row, c), "", "task {} starts unfilled", t.no);
        }
    }
    // The group column merged per group, like 附件1.
    for (name, first, last) in [("重点目标", 1, 12), ("主要工作", 13, 31), ("工作要求", 32, 36)] {
        assert!(merges.iter().any(|m| m.start == (2 + first, 1) && m.end == (2 + last, 1)), "{name} merged");
        assert_eq!(text(&progress, 2 + first, 1), name);
    }

    let meta = wb.worksheet_range(&layout.meta).unwrap();
    let kv: Vec<(String, String)> = (0..meta.height() as u32).map(|row| (text(&meta, row, 0), text(&meta, row, 1))).collect();
    for (k, v) in [("template", taizhang::template::TEMPLATE_ID), ("prefecture_code", "510100"), ("period", "2018Q3"), ("deadline", "2018-10-10")] {
        assert!(kv.contains(&(k.to_string(), v.to_string())), "meta {k}={v} in {kv:?}");
    }
}

const OPENPYXL_CHECK: &str = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
out = {}
for ws in wb.worksheets:
    d = {"state": ws.sheet_state, "protected": bool(ws.protection.sheet)}
    d["insertRows"] = ws.protection.insertRows
    d["deleteRows"] = ws.protection.deleteRows
    d["sort"] = ws.protection.sort
    d["autoFilter"] = ws.protection.autoFilter
    d["freeze"] = ws.freeze_panes
    d["orientation"] = ws.page_setup.orientation
    d["paper"] = str(ws.page_setup.paperSize)
    d["fitToWidth"] = ws.page_setup.fitToWidth
    d["fitToPage"] = ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else None
    d["titles"] = ws.print_title_rows
    d["footer"] = ws.oddFooter.center.text
    d["validations"] = [
        {"type": v.type, "formula": v.formula1, "style": v.errorStyle, "ranges": str(v.sqref)}
        for v in ws.data_validations.dataValidation
    ]
    d["locked"] = {ref: ws[ref].protection.locked for ref in ["A1", "A3", "B3", "A4", "B4", "C4", "G4", "E2", "G2", "I2"]}
    out[ws.title] = d
print(json.dumps(out, ensure_ascii=False))
"#;

#[test]
fn openpyxl_sees_protection_dropdowns_and_print_setup() {
    let r = refdata();
    let layout = &r.template.sheets;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.xlsx");
    std::fs::write(&path, chengdu()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&python(OPENPYXL_CHECK, &[path.to_str().unwrap()])).unwrap();

    assert_eq!(json[&layout.lists]["state"], "hidden");
    assert_eq!(json[&layout.meta]["state"], "veryHidden");
    let ledger = &json[&layout.ledger];
    assert_eq!(ledger["state"], "visible");
    assert_eq!(ledger["protected"], true);
    // In OOXML a protection flag of false means the action stays allowed on the protected sheet.
    for allowed in ["insertRows", "deleteRows", "sort", "autoFilter"] {
        assert_eq!(ledger[allowed], false, "{allowed} allowed");
    }
    assert_eq!(ledger["freeze"], "A4");
    assert_eq!(ledger["orientation"], "landscape");
    assert_eq!(ledger["paper"], "9");
    assert_eq!(ledger["fitToPage"], true);
    assert_eq!(ledger["titles"], "$3:$3");
    assert!(ledger["footer"].as_str().unwrap().contains("&P"));
    // Title and header locked, data and input cells unlocked.
    for (cell, locked) in [("A1", true), ("A3", true), ("B3", true), ("B4", false), ("C4", false), ("E2", false), ("G2", false), ("I2", false)] {
        assert_eq!(ledger["locked"][cell], locked, "{cell} locked={locked}");
    }
    let v = ledger["validations"].as_array().unwrap();
    let industry = v.iter().find(|v| v["type"] == "list").expect("industry dropdown");
    assert_eq!(industry["formula"], format!("'{}'!$A$2:$A${}", layout.lists, r.ledger.industries.len() + 1));
    assert_eq!(industry["style"], "warning", "warns rather than forbids");
    assert!(industry["ranges"].as_str().unwrap().starts_with("B4:B"));

    let progress = &json[&layout.progress];
    assert_eq!(progress["protected"], true);
    for (cell, locked) in [("A4", true), ("C4", true), ("G4", false)] {
        assert_eq!(progress["locked"][cell], locked, "progress {cell}");
    }
    let status = progress["validations"].as_array().unwrap().iter().find(|v| v["type"] == "list").expect("status dropdown");
    assert_eq!(status["formula"], format!("'{}'!$B$2:$B$4", layout.lists));
    assert!(status["ranges"].as_str().unwrap().starts_with("G4:G39"));
}

#[test]
fn same_inputs_give_identical_bytes() {
    assert_eq!(chengdu(), chengdu());
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for d in [&a, &b] {
        let o = taizhang(d.path(), &["template", "--period", "2018Q3", "--out", "out", "--deadline", "2018-10-10"]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let files: Vec<_> = std::fs::read_dir(a.path().join("out")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files.len(), 21);
    for f in files {
        let x = std::fs::read(a.path().join("out").join(&f)).unwrap();
        let y = std::fs::read(b.path().join("out").join(&f)).unwrap();
        assert!(x == y, "{f:?} differs between two runs");
    }
}

/// The ledger's header row and labels as taizhang's reader sees a file.
fn read_back(path: &Path) -> (Vec<String>, Vec<String>, Vec<String>) {
    let r = refdata();
    let wb = read_file(path, &Limits::default()).unwrap();
    let sheet = |name: &str| wb.sheets.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("sheet {name} in {}", path.display()));
    let ledger = &sheet(&r.template.sheets.ledger).grid;
    let cell = |g: &taizhang::read::Grid, row: u32, col: u32| g.get(CellRef::new(row, col)).map(|c| c.value.to_text()).unwrap_or_default();
    let headers = (0..9).map(|c| cell(ledger, 2, c)).chain([cell(ledger, 0, 0), cell(ledger, 1, 0)]).collect();
    let progress = &sheet(&r.template.sheets.progress).grid;
    let tasks = (3..39).map(|row| cell(progress, row, 2)).collect();
    let lists = &sheet(&r.template.sheets.lists).grid;
    let industries = (1..=r.ledger.industries.len() as u32).map(|row| cell(lists, row, 0)).collect();
    (headers, tasks, industries)
}

#[test]
fn libreoffice_converts_to_xls_and_ods_with_the_same_content() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("2018Q3-成都市-质量提升台账.xlsx");
    std::fs::write(&path, chengdu()).unwrap();
    let original = read_back(&path);
    assert_eq!(original.1.len(), 36);
    assert_eq!(original.1[0], refdata().tasks.tasks[0].content);
    for format in ["xls", "ods"] {
        let out = tempfile::tempdir().unwrap();
        let converted = libreoffice_convert(&path, format, out.path());
        let wb = read_file(&converted, &Limits::default()).unwrap();
        assert_eq!(wb.format.name(), format);
        assert_eq!(read_back(&converted), original, "content after LibreOffice saved it as {format}");
        // The merged cells of 附件1 survive the conversion.
        let progress = wb.sheets.iter().find(|s| s.name == refdata().template.sheets.progress).unwrap();
        let group = progress.grid.get(CellRef::new(20, 1)).expect("row 21 of the group column");
        assert_eq!(group.value, Value::Text("主要工作".into()), "{format}");
        assert!(group.is_merge_copy(), "{format}: the group cell is merged");
    }
}

#[test]
fn renders_to_pdf_with_every_sheet_printable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("成都.xlsx");
    std::fs::write(&path, chengdu()).unwrap();
    let pdf = libreoffice_convert(&path, "pdf", dir.path());
    let o = std::process::Command::new("pdftotext").arg("-layout").arg(&pdf).arg("-").output().expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("填报说明"), "instructions printed");
    assert!(text.contains("提升企业名称"), "ledger header printed");
    assert!(text.contains("研究制定并推广实施蜀绣"), "task 24 printed");
    let info = std::process::Command::new("pdfinfo").arg(&pdf).output().unwrap();
    let pages: u32 = String::from_utf8_lossy(&info.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:").map(|p| p.trim().parse().unwrap()))
        .unwrap();
    // Instructions (1), the ledger's 200 rows one page wide (about 4), the tasks (about 3): hidden sheets do
    // not print and no sheet spills into extra pages sideways.
    assert!((5..=10).contains(&pages), "{pages} pages");
}

#[test]
fn cli_accepts_period_forms_and_keeps_existing_files() {
    let dir = tempfile::tempdir().unwrap();
    for period in ["2018Q3", "2018-Q3", "2018年第三季度"] {
        let o = taizhang(dir.path(), &["template", "--period", period, "--out", "out", "--prefecture", "阿坝州", "--force"]);
        assert!(o.status.success(), "{period}: {}", stderr(&o));
        assert!(dir.path().join("out/2018Q3-阿坝藏族羌族自治州-质量提升台账.xlsx").is_file());
    }
    let before = std::fs::read(dir.path().join("out/2018Q3-阿坝藏族羌族自治州-质量提升台账.xlsx")).unwrap();
    let o = taizhang(dir.path(), &["template", "--period", "2018Q3", "--out", "out", "--prefecture", "阿坝", "--deadline", "2018-10-10"]);
    assert_eq!(o.status.code(), Some(2), "nothing written: {}", stdout(&o));
    assert!(stdout(&o).contains("已存在"));
    assert_eq!(std::fs::read(dir.path().join("out/2018Q3-阿坝藏族羌族自治州-质量提升台账.xlsx")).unwrap(), before, "kept");
    let o = taizhang(dir.path(), &["template", "--period", "2018Q3", "--out", "out", "--prefecture", "阿坝", "--deadline", "2018-10-10", "--force"]);
    assert_eq!(o.status.code(), Some(0));
    assert_ne!(std::fs::read(dir.path().join("out/2018Q3-阿坝藏族羌族自治州-质量提升台账.xlsx")).unwrap(), before, "overwritten");
}

#[test]
fn cli_rejects_unknown_prefectures_and_periods() {
    let dir = tempfile::tempdir().unwrap();
    let o = taizhang(dir.path(), &["template", "--period", "2018Q3", "--out", "out", "--prefecture", "重庆"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("重庆") && err.contains("成都市") && err.contains("凉山彝族自治州"), "{err}");
    assert!(!dir.path().join("out").exists() || std::fs::read_dir(dir.path().join("out")).unwrap().count() == 0);
    let o = taizhang(dir.path(), &["template", "--period", "2018Q5", "--out", "out"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("2018Q5"), "{}", stderr(&o));
}
