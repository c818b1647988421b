//! The importer on small workbooks built for one rule each (written with rust_xlsxwriter, or not
//! spreadsheets at all).

use std::path::Path;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use taizhang::import::batch::{BatchOptions, import_one};
use taizhang::inbox::Input;
use taizhang::submission::Submission;
use taizhang::{Code, Severity};

use super::common::refdata;

const OFFICIAL: [&str; 8] = ["序号", "所属(产业)行业", "提升企业名称", "主导产品", "问题和短板", "提升目标", "提升措施", "进展情况及成效"];

/// Writes `rows` (strings; "" is an empty cell) to `dir/name` as sheet "台账".
fn xlsx(dir: &Path, name: &str, rows: &[Vec<&str>]) -> std::path::PathBuf {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("台账").unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
    }
    let path = dir.join(name);
    wb.save(&path).unwrap();
    path
}

fn import(path: &Path) -> Submission {
    let input = Input::file(path, path.file_name().unwrap().to_string_lossy().into_owned(), true);
    import_one(refdata(), &input, &BatchOptions::default()).remove(0)
}

fn codes(s: &Submission) -> Vec<&'static str> {
    s.findings.iter().map(|f| f.code.as_str()).collect()
}

fn row(values: &[&'static str]) -> Vec<&'static str> {
    values.to_vec()
}

#[test]
fn prefecture_sources_that_disagree_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let p = xlsx(
        dir.path(),
        "绵阳市台账.xlsx",
        &[row(&["填报市州：成都市"]), OFFICIAL.to_vec(), row(&["1", "白酒", "甲酒业有限公司", "白酒", "短板", "目标", "措施", "进展"])],
    );
    let s = import(&p);
    assert_eq!(s.prefecture.as_deref(), Some("成都市"), "the label inside the file wins over the file name");
    let f = s.findings.iter().find(|f| f.code == Code::PrefectureConflict).expect("P02");
    assert!(f.message.contains("成都市") && f.message.contains("绵阳市"), "{}", f.message);
    assert_eq!(f.severity, Severity::Warning);
}

#[test]
fn no_prefecture_anywhere_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = xlsx(dir.path(), "台账.xlsx", &[OFFICIAL.to_vec(), row(&["1", "白酒", "甲酒业有限公司", "白酒", "短板", "目标", "措施", "进展"])]);
    let s = import(&p);
    assert_eq!(s.prefecture, None);
    assert!(s.findings.iter().any(|f| f.code == Code::UnknownPrefecture && f.severity == Severity::Error));
    assert_eq!(s.rows.len(), 1, "the rows are still read");
}

#[test]
fn decorated_and_renamed_headers_are_matched() {
    let dir = tempfile::tempdir().unwrap();
    let p = xlsx(
        dir.path(),
        "凉山州.xlsx",
        &[
            row(&["编号", "*所属行业", "提升企业名称（全称）", "主要产品", "存在问题", "目标", "主要措施", "进展情况 \n及成效", "统一社会信用代码"]),
            row(&["1", "茶叶", "乙茶业有限公司", "绿茶", "加工粗放", "SC认证", "建设标准化车间", "已完成", "91350100M000100Y43"]),
        ],
    );
    let s = import(&p);
    assert!(s.extra_columns.is_empty(), "every header recognised: {:?}", s.extra_columns);
    assert!(!codes(&s).contains(&"S02"), "{:?}", codes(&s));
    let r = &s.rows[0];
    let ledger = &refdata().ledger;
    let get = |key: &str| r.text(ledger.column_index(key).unwrap()).to_string();
    assert_eq!(get("enterprise"), "乙茶业有限公司");
    assert_eq!(get("progress"), "已完成");
    assert_eq!(get("uscc"), "91350100M000100Y43");
    assert!(!codes(&s).contains(&"V03"), "a valid credit code is not reported");
}

#[test]
fn an_empty_ledger_and_a_missing_column_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = xlsx(dir.path(), "成都.xlsx", &[OFFICIAL[..7].to_vec()]);
    let s = import(&p);
    let c = codes(&s);
    assert!(c.contains(&"S09"), "{c:?}");
    let missing = s.findings.iter().find(|f| f.code == Code::MissingColumn).unwrap();
    assert_eq!(missing.field.as_deref(), Some("进展情况及成效"));
}

#[test]
fn files_that_are_not_spreadsheets_say_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("成都市台账.xlsx");
    std::fs::write(&pdf, b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj").unwrap();
    let s = import(&pdf);
    assert!(!s.readable);
    let f = &s.findings[0];
    assert_eq!(f.code, Code::NotSpreadsheet);
    assert!(f.message.contains("PDF"), "{}", f.message);
    assert_eq!(s.prefecture.as_deref(), Some("成都市"), "unreadable files still count for their prefecture");
    // A Word document is a zip too.
    let docx = dir.path().join("说明.xlsx");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&docx).unwrap());
    zip.start_file("[Content_Types].xml", zip::write::SimpleFileOptions::default()).unwrap();
    std::io::Write::write_all(&mut zip, b"<Types/>").unwrap();
    zip.start_file("word/document.xml", zip::write::SimpleFileOptions::default()).unwrap();
    std::io::Write::write_all(&mut zip, b"<w:document/>").unwrap();
    zip.finish().unwrap();
    let s = import(&docx);
    assert_eq!(s.findings[0].code, Code::NotSpreadsheet);
    assert!(s.findings[0].message.contains("Word"), "{}", s.findings[0].message);
}

#[test]
fn typed_cells_become_the_text_people_expect() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("德阳市.xlsx");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    for (c, h) in OFFICIAL.iter().chain(["统一社会信用代码"].iter()).enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    ws.write_number(1, 0, 1.0).unwrap();
    ws.write_string(1, 1, "装备制造").unwrap();
    ws.write_string(1, 2, "  丙机械ＡＢ有限公司\u{00A0}").unwrap();
    ws.write_number(1, 3, 95.0).unwrap();
    ws.write_number(1, 4, 0.1 + 0.2).unwrap();
    ws.write_datetime_with_format(1, 5, ExcelDateTime::from_ymd(2018, 9, 30).unwrap(), &date).unwrap();
    ws.write_datetime_with_format(1, 6, ExcelDateTime::from_ymd(2018, 9, 30).unwrap().and_hms(14, 30, 0).unwrap(), &datetime).unwrap();
    ws.write_string(1, 7, "第一行\r\n第二行 ").unwrap();
    ws.write_string(1, 8, "=1+1").unwrap();
    wb.save(&path).unwrap();
    let s = import(&path);
    let r = &s.rows[0];
    let t: Vec<&str> = (1..9).map(|i| r.text(i)).collect();
    assert_eq!(t, ["装备制造", "丙机械AB有限公司", "95", "0.3", "2018-09-30", "2018-09-30 14:30", "第一行\n第二行", "=1+1"]);
    // The provenance of a value is its cell.
    assert_eq!(r.fields[2].as_ref().unwrap().location(), "Sheet1!C2");
}

#[test]
fn progress_statuses_values_and_unknown_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("宜宾市.xlsx");
    // A ledger sheet and a progress sheet of the prefecture's own making.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("台账").unwrap();
    for (c, h) in OFFICIAL.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (c, v) in ["1", "白酒", "丁酒业有限公司", "白酒", "短板", "目标", "措施", "进展"].iter().enumerate() {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    let ps = wb.add_worksheet();
    ps.set_name("任务进展").unwrap();
    for (c, h) in ["序号", "内容", "完成状态", "推进情况", "量化完成值"].iter().enumerate() {
        ps.write_string(0, c as u16, *h).unwrap();
    }
    let lines: [(&str, &str, &str, &str, &str); 5] = [
        ("1", "", "进行中", "对标两家企业", "2"),
        ("2", "", "差不多了", "", ""),
        ("", "支持企业积极参与国际和国内标准制定。推动500家企业标准自我声明公开", "已完成", "按内容对应", "约30家"),
        ("99", "", "已完成", "不存在的任务", ""),
        ("1", "", "已完成", "重复的一行", ""),
    ];
    for (r, (no, content, status, narrative, value)) in lines.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, v) in [no, content, status, narrative, value].iter().enumerate() {
            if !v.is_empty() {
                ps.write_string(r, c as u16, **v).unwrap();
            }
        }
    }
    wb.save(&p).unwrap();
    let s = import(&p);
    let tasks: Vec<(u32, Option<String>)> = s.progress.iter().map(|p| (p.task, p.status_canonical.clone())).collect();
    assert_eq!(tasks, [(1, Some("推进中".into())), (2, None), (4, Some("已完成".into()))]);
    let c = codes(&s);
    for code in ["V08", "V09", "V10", "V13"] {
        assert!(c.contains(&code), "{code} in {c:?}");
    }
    let v09 = s.findings.iter().find(|f| f.code == Code::NotANumber).unwrap();
    assert_eq!(v09.value.as_deref(), Some("约30家"));
    assert_eq!(v09.cell.map(|c| c.a1()).as_deref(), Some("E4"));
}
