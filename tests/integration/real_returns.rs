//! Returns as provincial offices really receive them: first-round returns that state no period, periods
//! written the way officials write them, a coordinator's workbook holding several prefectures, an Excel
//! table with its 汇总 row, placeholder rows under the last enterprise, a text longer than a cell holds,
//! formulas without their values, and two quarters stacked in one sheet. Each is asserted exactly: the
//! ledger rows, the findings, and where every cell went.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::Workbook;
use taizhang::import::batch::{BatchOptions, import_one};
use taizhang::inbox::Input;
use taizhang::submission::Submission;
use taizhang::{Code, Period, Severity};

use super::common::{assert_accounted, located, pairs, refdata, sheet_rows, stdout, taizhang, write_rows};

const HEADER: [&str; 8] = ["序号", "所属(产业)行业", "提升企业名称", "主导产品", "问题和短板", "提升目标", "提升措施", "进展情况及成效"];

fn field(s: &Submission, key: &str) -> Vec<String> {
    let i = refdata().ledger.column_index(key).unwrap();
    s.rows.iter().map(|r| r.text(i).to_string()).collect()
}

/// An enterprise row of the ledger.
fn enterprise(n: usize, prefecture: &str) -> [String; 8] {
    [
        n.to_string(),
        "白酒".into(),
        format!("{prefecture}第{n}酒业有限公司"),
        "浓香型白酒".into(),
        format!("短板{n}"),
        format!("目标{n}"),
        format!("措施{n}"),
        format!("进展{n}"),
    ]
}

/// A return of `rows` enterprises under `titles` (one line each above the header).
fn ledger_sheet(ws: &mut rust_xlsxwriter::Worksheet, titles: &[&str], prefecture: &str, rows: usize) -> u32 {
    for (r, t) in titles.iter().enumerate() {
        ws.write_string(r as u32, 0, *t).unwrap();
    }
    let header = titles.len() as u32;
    write_rows(ws, header, &[&HEADER]);
    for n in 1..=rows {
        let row = enterprise(n, prefecture);
        let row: Vec<&str> = row.iter().map(String::as_str).collect();
        write_rows(ws, header + n as u32, &[&row]);
    }
    header + rows as u32 + 1
}

fn save(wb: &mut Workbook, dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    wb.save(&path).unwrap();
    path
}

/// A return of `prefecture` with `rows` enterprises, titled `title`, saved as `name`.
fn simple_return(dir: &Path, name: &str, title: &str, prefecture: &str, rows: usize) -> PathBuf {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("台账").unwrap();
    ledger_sheet(ws, &[title], prefecture, rows);
    save(&mut wb, dir, name)
}

/// A correction: `rows` enterprises and a 填报日期 under the table, no period anywhere.
fn dated_return(dir: &Path, name: &str, prefecture: &str, rows: usize) -> PathBuf {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let next = ledger_sheet(ws, &[&format!("{prefecture}质量提升台账(更正)")], prefecture, rows);
    ws.write_string(next + 1, 0, "填报日期:2018-10-12").unwrap();
    save(&mut wb, dir, name)
}

fn import_with(path: &Path, period: Option<Period>) -> Vec<Submission> {
    let input = Input::file(path, path.file_name().unwrap().to_string_lossy().into_owned(), true);
    import_one(refdata(), &input, &BatchOptions { period, ..BatchOptions::default() })
}

fn codes(s: &Submission) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = s.findings.iter().map(|f| f.code.as_str()).collect();
    v.sort_unstable();
    v
}

const Q3: Option<Period> = Some(Period { year: 2018, quarter: 3 });

#[test]
fn a_folder_of_returns_that_state_no_period_is_counted_whole() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("收件箱");
    std::fs::create_dir(&inbox).unwrap();
    let r = refdata();
    for p in r.prefectures.all() {
        simple_return(&inbox, &format!("{}质量提升台账.xlsx", p.short), &format!("{}重点消费品质量提升台账", p.name), &p.short, 3);
    }
    // Three more: two corrections (a later 填报日期) and a return sent twice under another name.
    dated_return(&inbox, "成都市台账(修改).xlsx", "成都", 4);
    dated_return(&inbox, "德阳台账-更正.xlsx", "德阳", 5);
    simple_return(&inbox, "绵阳市台账(重发).xlsx", "绵阳市重点消费品质量提升台账", "绵阳", 3);

    let o = taizhang(dir.path(), &["consolidate", "收件箱", "--out", "r.xlsx"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains(&format!("{} 已报送 21/21 个市州,共 {} 家企业", taizhang::period::UNSTATED, 19 * 3 + 4 + 5)), "{out}");
    let summary = sheet_rows(&dir.path().join("r.xlsx"), "汇总");
    assert!(summary[0][0].contains("期别未注明"), "{:?}", summary[0]);
    let findings = sheet_rows(&dir.path().join("r.xlsx"), "问题清单");
    let p07 = findings.iter().filter(|row| row.iter().any(|c| c == "P07")).count();
    // The three files replaced by a later return say only that (F08).
    assert_eq!(p07, 21, "every adopted return is told once that no period was stated");
    let left_out: Vec<&Vec<String>> = findings.iter().filter(|row| row.iter().any(|c| c.contains("未纳入")) && !row.iter().any(|c| c == "F08")).collect();
    assert!(left_out.is_empty(), "nothing is left out for want of a period, only the superseded files: {left_out:?}");
    assert_eq!(findings.iter().filter(|row| row.iter().any(|c| c == "F08")).count(), 3, "each prefecture that sent twice has one file replaced");

    // `check` the same way: every file counts, none is left out, nothing of error level.
    let o = taizhang(dir.path(), &["check", "收件箱"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(!stdout(&o).contains("P03"), "{}", stdout(&o));

    // One return that states 2018Q3: the collection is 2018Q3, the others count for it with a warning.
    simple_return(&inbox, "2018Q3-乐山市-质量提升台账.xlsx", "乐山市2018年第三季度质量提升台账", "乐山", 6);
    let o = taizhang(dir.path(), &["consolidate", "收件箱", "--out", "r2.xlsx"]);
    let out = stdout(&o);
    assert!(out.contains("2018年第三季度 已报送 21/21 个市州"), "{out}");
    let findings = sheet_rows(&dir.path().join("r2.xlsx"), "问题清单");
    let p04: Vec<&Vec<String>> = findings.iter().filter(|row| row.iter().any(|c| c == "P04")).collect();
    // The adopted returns that state no period (20): the four replaced by a later return say only F08.
    assert_eq!(p04.len(), 20, "{findings:?}");
    assert!(p04.iter().all(|row| row.iter().any(|c| c == Severity::Warning.label())), "P04 is a warning");
}

#[test]
fn periods_written_the_way_officials_write_them() {
    let dir = tempfile::tempdir().unwrap();
    for (name, title, prefecture) in [
        ("成都市台账.xlsx", "成都市2018年7-9月质量提升台账", "成都"),
        ("自贡市台账.xlsx", "自贡市2018年第三季质量提升台账", "自贡"),
        ("泸州市台账.xlsx", "泸州市质量提升台账(截至2018年9月30日)", "泸州"),
        ("德阳市质量提升台账（9月）.xlsx", "德阳市质量提升台账", "德阳"),
        ("绵阳市台账.xlsx", "绵阳市2018年1-9月质量提升台账", "绵阳"),
    ] {
        let path = simple_return(dir.path(), name, title, prefecture, 2);
        let subs = import_with(&path, Q3);
        assert_eq!(subs.len(), 1);
        let s = &subs[0];
        assert_assumed_year_is_right(s, name);
        assert_eq!(codes(s), ["S05"], "{name}: {:#?}", s.findings);
        assert_accounted(&path, s);
    }
    // 三季度 with no year anywhere but a 填报日期 in October.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let next = ledger_sheet(ws, &["广元市三季度质量提升台账"], "广元", 2);
    ws.write_string(next + 1, 0, "填报日期:2018年10月9日").unwrap();
    let path = save(&mut wb, dir.path(), "广元市台账.xlsx");
    let s = import_with(&path, None).remove(0);
    assert_eq!(s.period, Q3, "{:#?}", s.findings);
    assert_eq!(s.period_from.as_deref(), Some("标题「广元市三季度质量提升台账」"));
    // The same without a date: the quarter takes the collection's year; in another quarter's collection
    // it is left out for the quarter it states, and the message quotes where it was read.
    let mut wb = Workbook::new();
    ledger_sheet(wb.add_worksheet(), &["遂宁市三季度质量提升台账"], "遂宁", 2);
    let path = save(&mut wb, dir.path(), "遂宁市台账.xlsx");
    assert_eq!(import_with(&path, Q3).remove(0).period, Q3);
    let s = import_with(&path, Period::new(2018, 4)).remove(0);
    assert_eq!(s.period, Q3);
    let p03 = s.findings.iter().find(|f| f.code == Code::PeriodMismatch).expect("P03");
    assert!(p03.message.contains("2018年第三季度的台账(标题「遂宁市三季度质量提升台账」)"), "{}", p03.message);
}

fn assert_assumed_year_is_right(s: &Submission, name: &str) {
    assert_eq!(s.period, Q3, "{name}: read as {:?} from {:?}", s.period, s.period_from);
    assert!(s.findings.iter().all(|f| !matches!(f.code, Code::PeriodMismatch | Code::PeriodAssumed | Code::PeriodUnknown)), "{name}");
}

/// 川南经济区's office sends its four prefectures' ledgers in one workbook, a sheet each, plus a sheet of
/// instructions; the file names none of them.
fn coordinator_workbook(dir: &Path) -> PathBuf {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("填表说明").unwrap();
    ws.write_string(0, 0, "本表由川南经济区协调办汇总各市台账").unwrap();
    for (sheet, prefecture, rows) in [("自贡", "自贡", 2), ("泸州市", "泸州", 3), ("内江", "内江", 1), ("宜宾市台账", "宜宾", 2)] {
        let ws = wb.add_worksheet();
        ws.set_name(sheet).unwrap();
        ledger_sheet(ws, &["2018年第三季度质量提升台账"], prefecture, rows);
    }
    save(&mut wb, dir, "川南经济区质量提升台账.xlsx")
}

#[test]
fn a_coordinators_workbook_is_each_prefectures_return() {
    let dir = tempfile::tempdir().unwrap();
    let original = coordinator_workbook(dir.path());
    // As written, and as a prefecture's office re-saves it in LibreOffice (xls, ods).
    let saved = dir.path().join("saved");
    std::fs::create_dir(&saved).unwrap();
    for format in ["xls", "ods"] {
        let copy = super::common::libreoffice_convert(&original, format, &saved);
        let subs = import_with(&copy, Q3);
        let got: Vec<(Option<&str>, usize)> = subs.iter().map(|s| (s.prefecture.as_deref(), s.rows.len())).collect();
        assert_eq!(got, vec![(Some("自贡市"), 2), (Some("泸州市"), 3), (Some("内江市"), 1), (Some("宜宾市"), 2)], "{format}");
    }
    let path = original;
    let subs = import_with(&path, Q3);
    let got: Vec<(Option<&str>, usize, Option<&str>)> = subs.iter().map(|s| (s.prefecture.as_deref(), s.rows.len(), s.part.as_deref())).collect();
    assert_eq!(
        got,
        vec![(Some("自贡市"), 2, Some("填表说明、自贡")), (Some("泸州市"), 3, Some("泸州市")), (Some("内江市"), 1, Some("内江")), (Some("宜宾市"), 2, Some("宜宾市台账"))]
    );
    for s in &subs {
        assert_eq!(field(s, "enterprise")[0], format!("{}第1酒业有限公司", &s.prefecture.as_deref().unwrap()[..6]));
        let split = s.findings.iter().filter(|f| f.code == Code::WorkbookSplit).collect::<Vec<_>>();
        assert_eq!(split.len(), 1, "{:#?}", s.findings);
        assert!(split[0].message.contains("拆分为4份报送"), "{}", split[0].message);
        assert!(s.findings.iter().all(|f| f.code != Code::PrefectureConflict), "{:#?}", s.findings);
        assert_eq!(s.period, Q3);
    }
    // Every cell of the workbook is in exactly one of the four returns, or in its findings.
    let mut all = subs[0].clone();
    for s in &subs[1..] {
        all.rows.extend(s.rows.iter().cloned());
        all.layout.extend(s.layout.iter().cloned());
        all.findings.extend(s.findings.iter().cloned());
    }
    assert_accounted(&path, &all);

    // Consolidated: four lines of 汇总 report, each with its rows.
    let o = taizhang(dir.path(), &["consolidate", ".", "--period", "2018Q3", "--out", "r.xlsx"]);
    let out = stdout(&o);
    for (p, n) in [("自贡市", 2), ("泸州市", 3), ("内江市", 1), ("宜宾市", 2)] {
        assert!(out.lines().any(|l| l.starts_with(p) && l.contains(&format!("已报送 企业 {n} 家"))), "{p}: {out}");
    }
    assert!(out.contains("已报送 4/21 个市州,共 8 家企业"), "{out}");
}

#[test]
fn a_coordinators_workbook_through_one_link_stays_that_prefectures() {
    let dir = tempfile::tempdir().unwrap();
    let path = coordinator_workbook(dir.path());
    let input = Input { origin: Some(taizhang::inbox::Origin::Link { prefecture: "自贡市".into() }), ..Input::file(&path, "川南.xlsx", true) };
    let subs = import_one(refdata(), &input, &BatchOptions { period: Q3, ..BatchOptions::default() });
    assert_eq!(subs.len(), 1, "a link files returns for its own prefecture only");
    assert_eq!((subs[0].prefecture.as_deref(), subs[0].rows.len()), (Some("自贡市"), 8));
    let p08 = subs[0].findings.iter().find(|f| f.code == Code::LinkPrefectureConflict).expect("P08");
    assert!(p08.message.contains("工作表「泸州市」为泸州市"), "{}", p08.message);
}

#[test]
fn an_excel_tables_total_row_and_placeholder_rows_are_not_enterprises() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("台账").unwrap();
    ws.write_string(0, 0, "雅安市2018年第三季度质量提升台账").unwrap();
    let rows: Vec<[String; 8]> = (1..=3).map(|n| enterprise(n, "雅安")).collect();
    // An Excel table over the header and three enterprises, with its totals row: 汇总 and a count.
    let columns: Vec<rust_xlsxwriter::TableColumn> = HEADER
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let c = rust_xlsxwriter::TableColumn::new().set_header(*h);
            match i {
                0 => c.set_total_label("汇总"),
                // As Excel saves it: the count with its value.
                2 => c.set_total_function(rust_xlsxwriter::TableFunction::Custom(rust_xlsxwriter::Formula::new("SUBTOTAL(103,[提升企业名称])").set_result("3"))),
                _ => c,
            }
        })
        .collect();
    for (r, row) in rows.iter().enumerate() {
        let row: Vec<&str> = row.iter().map(String::as_str).collect();
        write_rows(ws, 2 + r as u32, &[&row]);
    }
    let table = rust_xlsxwriter::Table::new().set_columns(&columns).set_total_row(true);
    ws.add_table(1, 0, 5, 7, &table).unwrap();
    // Under the table: a row of slashes with its number, a row of dashes, and 以下空白.
    write_rows(ws, 6, &[&["4", "/", "/", "/", "/", "/", "/", "/"], &["", "——", "——", "—"], &["以下空白"]]);
    let path = save(&mut wb, dir.path(), "雅安市台账.xlsx");
    let s = import_with(&path, Q3).remove(0);
    assert_eq!(field(&s, "enterprise"), ["雅安第1酒业有限公司", "雅安第2酒业有限公司", "雅安第3酒业有限公司"]);
    assert_eq!(
        located(&s),
        pairs(&[("V14", "台账!A6"), ("V14", "台账!A7"), ("V14", "台账!B8"), ("V14", "台账!A9"), ("S05", "")]),
        "{:#?}",
        s.findings
    );
    assert_accounted(&path, &s);
    // A placeholder inside a real enterprise's row is the prefecture's word and stays as typed.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    write_rows(ws, 0, &[&HEADER, &["1", "茶叶", "雅安甲茶业有限公司", "/", "无", "—", "/", "暂无"]]);
    let path = save(&mut wb, dir.path(), "雅安市台账2018Q3.xlsx");
    let s = import_with(&path, Q3).remove(0);
    assert_eq!((field(&s, "product"), field(&s, "problems"), field(&s, "progress")), (vec!["/".to_string()], vec!["无".to_string()], vec!["暂无".to_string()]));
}

#[test]
fn a_text_longer_than_a_cell_is_kept_whole() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("in");
    std::fs::create_dir(&inbox).unwrap();
    let long: String = "质量提升进展".repeat(7_000); // 42,000 characters
    let csv = format!("{}\r\n1,白酒,凉山甲酒业有限公司,白酒,短板,目标,措施,{long}\r\n", HEADER.join(","));
    std::fs::write(inbox.join("2018Q3-凉山州-质量提升台账.csv"), csv.as_bytes()).unwrap();
    let s = import_with(&inbox.join("2018Q3-凉山州-质量提升台账.csv"), Q3).remove(0);
    assert_eq!(field(&s, "progress"), [long.clone()], "read whole");
    let v22 = s.findings.iter().find(|f| f.code == Code::LongText).expect("V22");
    assert_eq!((v22.location().as_str(), v22.field.as_deref()), ("csv!H2", Some("进展情况及成效")));
    assert!(v22.message.contains("共42000字"), "{}", v22.message);

    let o = taizhang(dir.path(), &["consolidate", "in", "--period", "2018Q3", "--out", "r.xlsx", "--csv", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let rollup = dir.path().join("r.xlsx");
    let ledger = sheet_rows(&rollup, "附件2 质量提升台账 (全省汇总)");
    let cell = &ledger[3][8];
    assert!(cell.starts_with("质量提升进展质量提升进展") && cell.ends_with("全文见「长文本」工作表第4至5行)"), "{}", &cell[cell.len() - 120..]);
    let long_sheet = sheet_rows(&rollup, "长文本");
    assert_eq!(long_sheet[2], ["工作表", "单元格", "段", "内容"]);
    assert_eq!((long_sheet[3][0].as_str(), long_sheet[3][1].as_str(), long_sheet[3][2].as_str()), ("附件2 质量提升台账 (全省汇总)", "I4", "1"));
    assert_eq!(format!("{}{}", long_sheet[3][3], long_sheet[4][3]), long, "the segments in order are the whole text");
    // The export carries it whole, and the next quarter's comparison reads it back whole.
    let exported = std::fs::read_to_string(dir.path().join("csv/台账.csv")).unwrap();
    assert!(exported.contains(&long));
    let back = taizhang::rollup::readback::read_rollup(refdata(), &rollup).unwrap();
    assert_eq!(back.rows[0].fields[refdata().ledger.column_index("progress").unwrap()], long);
}

#[test]
fn two_quarters_stacked_in_one_sheet_are_each_read_by_its_own_period() {
    let dir = tempfile::tempdir().unwrap();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("台账").unwrap();
    // Last quarter's block, a blank row, then this quarter's under its own title and a 填报单位 line.
    let next = ledger_sheet(ws, &["眉山市2018年4-6月质量提升台账"], "眉山", 2);
    ws.write_string(next + 1, 0, "眉山市2018年7-9月质量提升台账").unwrap();
    ws.write_string(next + 2, 0, "填报单位:眉山市市场监督管理局").unwrap();
    write_rows(ws, next + 3, &[&HEADER]);
    for n in 1..=3 {
        let row = enterprise(n + 10, "眉山");
        let row: Vec<&str> = row.iter().map(String::as_str).collect();
        write_rows(ws, next + 3 + n as u32, &[&row]);
    }
    let path = save(&mut wb, dir.path(), "眉山市台账.xlsx");
    let saved = dir.path().join("saved");
    std::fs::create_dir(&saved).unwrap();
    let resaved = super::common::libreoffice_convert(&path, "ods", &saved);
    for (file, period) in [(&path, None), (&path, Q3), (&resaved, Q3)] {
        let s = import_with(file, period).remove(0);
        assert_eq!(s.period, Q3, "{:#?}", s.findings);
        assert_eq!(field(&s, "enterprise"), ["眉山第11酒业有限公司", "眉山第12酒业有限公司", "眉山第13酒业有限公司"]);
        let s14 = s.findings.iter().find(|f| f.code == Code::OtherPeriodBlock).expect("S14");
        assert!(s14.message.contains("第1至4行是2018年第二季度的台账"), "{}", s14.message);
        assert_accounted(file, &s);
    }
    // The first-quarter collection keeps that quarter's block instead.
    let s = import_with(&path, Period::new(2018, 2)).remove(0);
    assert_eq!(field(&s, "enterprise"), ["眉山第1酒业有限公司", "眉山第2酒业有限公司"]);
    assert_eq!(s.period, Period::new(2018, 2));
}

/// The fixture of a 附件2 filled in Word (python-docx, see `formats.rs`).
fn word_return() -> PathBuf {
    super::common::repo().join("tests/fixtures/formats/附件2.docx")
}

#[test]
fn a_return_filled_in_word_is_read_with_its_title() {
    let path = word_return();
    let s = import_with(&path, None).remove(0);
    assert_eq!((s.format.map(|f| f.name()), s.prefecture.as_deref(), s.period), (Some("docx"), Some("成都市"), Q3), "{:#?}", s.findings);
    assert_eq!(s.period_from.as_deref(), Some("标题「成都市市场监督管理局  2018年第三季度」"));
    assert_eq!(field(&s, "enterprise"), ["四川甲酒业有限公司", "四川乙食品有限公司", "雅安丙茶业有限公司"]);
    assert_eq!(field(&s, "industry"), ["白酒", "白酒", "茶叶"], "merged down with vMerge");
    assert_eq!(field(&s, "measures")[2], "参加展会\n线上推广");
    let mut got = located(&s);
    got.retain(|(c, _)| c != "V03");
    assert_eq!(got, pairs(&[("V14", "表格1!A4"), ("V11", "表格1!A8"), ("S05", "")]), "{:#?}", s.findings);
    // Every paragraph and cell python-docx reads is in the return, or named by a finding.
    let cells = super::formats::expected_cells(super::formats::READ_DOCX, &[path.to_str().unwrap()]);
    super::common::assert_accounted_cells("附件2.docx", origins(&path, cells), &s);
}

/// The cells another reader found, without the copies a merged range (gridSpan, vMerge, rowspan) puts
/// at every position it covers: each merged value is accounted for at the cell that holds it, as
/// calamine reports a spreadsheet's.
fn origins(path: &Path, cells: impl IntoIterator<Item = (String, u32, u32, String)>) -> Vec<(String, u32, u32, String)> {
    let wb = taizhang::read::read_file(path, &taizhang::read::Limits::default()).unwrap();
    let copy = |sheet: &str, r: u32, c: u32| {
        wb.sheets.iter().find(|s| s.name == sheet).and_then(|s| s.grid.get(taizhang::cell::CellRef::new(r, c))).is_some_and(|g| g.is_merge_copy())
    };
    cells.into_iter().filter(|(sheet, r, c, _)| !copy(sheet, *r, *c)).collect()
}

#[test]
fn an_old_word_document_in_a_folder_is_an_error_asking_for_docx() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("in");
    std::fs::create_dir(&inbox).unwrap();
    let docx = inbox.join("成都市台账.docx");
    std::fs::copy(word_return(), &docx).unwrap();
    super::common::libreoffice_convert(&docx, "doc", &inbox);
    std::fs::remove_file(&docx).unwrap();
    // A cover letter in Word beside it (no table) is passed over as a note; the .doc is a return that
    // cannot be read.
    let (subs, _) = taizhang::import::batch::read_paths(refdata(), &[inbox.clone()], &BatchOptions { period: Q3, ..BatchOptions::default() }, &mut |_, _, _| {});
    let doc = subs.iter().find(|s| s.name.ends_with(".doc")).unwrap();
    let f = &doc.findings[0];
    assert_eq!((f.code, f.severity, doc.prefecture.as_deref()), (Code::NotSpreadsheet, Severity::Error, Some("成都市")));
    assert!(f.message.contains(".docx"), "{}", f.message);
    let o = taizhang(dir.path(), &["consolidate", "in", "--period", "2018Q3", "--out", "r.xlsx"]);
    assert_eq!(o.status.code(), Some(1), "an error finding: {}", stdout(&o));
    assert!(stdout(&o).lines().any(|l| l.starts_with("成都市") && l.contains("无法读取")), "{}", stdout(&o));
}

/// A ledger exported by another system as an HTML page saved as .xls, in GBK.
fn html_return(dir: &Path) -> PathBuf {
    let page = format!(
        "<html xmlns:x=\"urn:schemas-microsoft-com:office:excel\"><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">\
         <title>德阳市质量提升台账</title></head><body><h3>德阳市质量提升台账(2018年7-9月)</h3><table border=1>\
         <tr>{}\
         <tr><td>1<td rowspan=2>装备制造<td>德阳甲重工有限公司<td>汽轮机<td>短板一<td>目标一<td>措施一<td>进展一\
         <tr><td>2<td>德阳乙机械有限公司<td>阀门<td>短板二<td>目标二<td>措施二<td>进展二\
         <tr><td>3<td>白酒<td>德阳丙酒业有限公司<td>白酒<td>短板三<td>目标三<td>措施三<td>进展三<br>继续推进\
         </table><p>填报人:王五</p></body></html>",
        HEADER.iter().map(|h| format!("<th>{h}")).collect::<String>()
    );
    let path = dir.join("德阳市台账.xls");
    std::fs::write(&path, encoding_rs::GBK.encode(&page).0).unwrap();
    path
}

#[test]
fn a_system_export_saved_as_xls_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = html_return(dir.path());
    let s = import_with(&path, None).remove(0);
    assert_eq!((s.format.map(|f| f.name()), s.prefecture.as_deref(), s.period), (Some("html"), Some("德阳市"), Q3), "{:#?}", s.findings);
    assert_eq!(field(&s, "enterprise"), ["德阳甲重工有限公司", "德阳乙机械有限公司", "德阳丙酒业有限公司"]);
    assert_eq!(field(&s, "industry"), ["装备制造", "装备制造", "白酒"], "rowspan");
    assert_eq!(field(&s, "progress")[2], "进展三\n继续推进");
    assert_eq!(s.filler.as_ref().map(|l| l.text.as_str()), Some("王五"));
    assert_eq!(located(&s), pairs(&[("S05", "")]), "{:#?}", s.findings);
    // Every cell html.parser lays out is in the return, or named by a finding.
    let cells = super::formats::expected_cells(super::formats::READ_HTML, &[path.to_str().unwrap(), "gbk"]);
    let cells = cells.into_iter().map(|(_, r, c, t)| ("德阳市质量提升台账".to_string(), r, c, t));
    super::common::assert_accounted_cells("德阳市台账.xls", origins(&path, cells), &s);
}

/// A ledger in Excel 2003 XML as Excel writes it: a title merged across, an industry merged down, a
/// 填报日期 as a date.
fn spreadsheetml_return(dir: &Path) -> PathBuf {
    let cell = |v: &str| format!("<Cell><Data ss:Type=\"String\">{v}</Data></Cell>");
    let row = |cells: &[&str]| format!("<Row>{}</Row>", cells.iter().map(|v| cell(v)).collect::<String>());
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<?mso-application progid=\"Excel.Sheet\"?>\n\
         <Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\" xmlns:ss=\"urn:schemas-microsoft-com:office:spreadsheet\">\
         <Worksheet ss:Name=\"附件2\"><Table>\
         <Row><Cell ss:MergeAcross=\"7\"><Data ss:Type=\"String\">广元市2018年第三季度质量提升台账</Data></Cell></Row>\
         {}\
         <Row>{}<Cell ss:MergeDown=\"1\"><Data ss:Type=\"String\">茶叶</Data></Cell>{}</Row>\
         <Row ss:Index=\"4\">{}<Cell ss:Index=\"3\"><Data ss:Type=\"String\">广元乙茶业有限公司</Data></Cell>{}</Row>\
         <Row><Cell><Data ss:Type=\"String\">填报日期</Data></Cell><Cell><Data ss:Type=\"DateTime\">2018-10-09T00:00:00.000</Data></Cell></Row>\
         </Table></Worksheet></Workbook>",
        row(&HEADER),
        cell("1"),
        ["广元甲茶业有限公司", "绿茶", "短板一", "目标一", "措施一", "进展一"].iter().map(|v| cell(v)).collect::<String>(),
        cell("2"),
        ["红茶", "短板二", "目标二", "措施二", "进展二"].iter().map(|v| cell(v)).collect::<String>(),
    );
    let path = dir.join("广元市台账.xml");
    std::fs::write(&path, xml).unwrap();
    path
}

#[test]
fn an_excel_2003_xml_return_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = spreadsheetml_return(dir.path());
    let s = import_with(&path, None).remove(0);
    assert_eq!((s.format.map(|f| f.name()), s.prefecture.as_deref(), s.period), (Some("xml2003"), Some("广元市"), Q3), "{:#?}", s.findings);
    assert_eq!(field(&s, "enterprise"), ["广元甲茶业有限公司", "广元乙茶业有限公司"]);
    assert_eq!(field(&s, "industry"), ["茶叶", "茶叶"], "MergeDown");
    assert_eq!(s.filled_on, chrono::NaiveDate::from_ymd_opt(2018, 10, 9));
    // LibreOffice opens it as Excel does; every cell it sees is accounted for.
    let xlsx = super::common::libreoffice_convert(&path, "xlsx", dir.path());
    assert_accounted(&xlsx, &s);
}

#[test]
fn formulas_a_script_wrote_without_values_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("巴中市2018Q3台账.xlsx");
    super::common::python(
        r#"
import sys, openpyxl
wb = openpyxl.Workbook(); ws = wb.active; ws.title = "台账"
ws.append(["巴中市2018年第三季度质量提升台账"])
ws.append(["序号", "所属(产业)行业", "提升企业名称", "主导产品", "问题和短板", "提升目标", "提升措施", "进展情况及成效"])
ws.append(["=ROW()-2", "茶叶", "巴中甲茶业有限公司", "绿茶", "短板", "目标", "措施", "进展"])
ws.append(["=ROW()-2", "白酒", "巴中乙酒业有限公司", "白酒", "短板", "目标", "措施", '=CONCATENATE("进","展")'])
wb.save(sys.argv[1])
"#,
        &[path.to_str().unwrap()],
    );
    let s = import_with(&path, Q3).remove(0);
    assert_eq!(field(&s, "enterprise"), ["巴中甲茶业有限公司", "巴中乙酒业有限公司"]);
    let v21: Vec<&taizhang::Finding> = s.findings.iter().filter(|f| f.code == Code::FormulaWithoutValue).collect();
    assert_eq!(v21.len(), 1, "{:#?}", s.findings);
    assert_eq!((v21[0].severity, v21[0].location().as_str()), (Severity::Warning, "台账!A3"));
    assert!(v21[0].message.contains("A3、A4、H4") && v21[0].message.contains("保存一次"), "{}", v21[0].message);
}
