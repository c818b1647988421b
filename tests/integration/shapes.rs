//! Returns shaped the way prefecture offices really send them: the ledger split into one sheet per county,
//! header wordings no alias list holds, one enterprise written over several merged rows. Each is asserted
//! exactly in the xlsx as written and in an xls re-saved by LibreOffice.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Format, Workbook};
use taizhang::import::batch::{BatchOptions, import_one};
use taizhang::inbox::Input;
use taizhang::submission::Submission;
use taizhang::{Code, Severity};

use super::common::{assert_accounted, import_checked, libreoffice_convert, located, pairs, refdata, write_rows};

const HEADER: [&str; 8] = ["序号", "所属(产业)行业", "提升企业名称", "主导产品", "问题和短板", "提升目标", "提升措施", "进展情况及成效"];

fn field(s: &Submission, key: &str) -> Vec<String> {
    let i = refdata().ledger.column_index(key).unwrap();
    s.rows.iter().map(|r| r.text(i).to_string()).collect()
}

/// Both the file as written and its xls re-saved by LibreOffice.
fn both(dir: &Path, path: PathBuf) -> [PathBuf; 2] {
    let out = dir.join("xls");
    std::fs::create_dir_all(&out).unwrap();
    let xls = libreoffice_convert(&path, "xls", &out);
    [path, xls]
}

fn county_sheets(dir: &Path) -> PathBuf {
    let mut wb = Workbook::new();
    for (county, rows) in [
        ("锦江区", vec![["1", "白酒", "成都甲酒业有限公司", "白酒", "短板一", "目标一", "措施一", "进展一"]]),
        (
            "青羊区",
            vec![
                ["1", "茶叶", "成都乙茶业有限公司", "绿茶", "短板二", "目标二", "措施二", "进展二"],
                ["2", "家具", "成都丙家具有限公司", "沙发", "短板三", "目标三", "措施三", "进展三"],
            ],
        ),
        ("金牛区", vec![["1", "电子信息", "成都丁电子有限公司", "模组", "短板四", "目标四", "措施四", "进展四"]]),
    ] {
        let ws = wb.add_worksheet();
        ws.set_name(county).unwrap();
        ws.write_string(0, 0, "成都市质量提升台账(2018年第三季度)").unwrap();
        write_rows(ws, 1, &[&HEADER]);
        for (r, row) in rows.iter().enumerate() {
            write_rows(ws, 2 + r as u32, &[&row[..]]);
        }
    }
    // A sheet that looks like a ledger but lacks its key columns: a warning, not a hint.
    let ws = wb.add_worksheet();
    ws.set_name("武侯区").unwrap();
    write_rows(ws, 0, &[&["序号", "主导产品", "问题和短板", "提升目标"], &["1", "火锅底料", "短板五", "目标五"]]);
    let path = dir.join("2018Q3-成都市-质量提升台账.xlsx");
    wb.save(&path).unwrap();
    path
}

#[test]
fn a_ledger_split_into_county_sheets_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    for path in both(dir.path(), county_sheets(dir.path())) {
        let s = import_checked(&path);
        assert_eq!(field(&s, "enterprise"), ["成都甲酒业有限公司", "成都乙茶业有限公司", "成都丙家具有限公司", "成都丁电子有限公司"], "{path:?}");
        let sheets: Vec<&str> = s.rows.iter().map(|r| r.sheet.as_str()).collect();
        assert_eq!(sheets, ["锦江区", "青羊区", "青羊区", "金牛区"], "each row keeps its sheet");
        assert_eq!(located(&s), pairs(&[("S13", ""), ("S03", "武侯区"), ("S05", "")]), "{:#?}", s.findings);
        let near = s.findings.iter().find(|f| f.code == Code::SheetIgnored).unwrap();
        assert_eq!(near.severity, Severity::Warning);
        assert!(near.message.contains("「主导产品」「问题和短板」「提升目标」"), "{}", near.message);
    }
}

fn unseen_wordings(dir: &Path) -> PathBuf {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("台账").unwrap();
    write_rows(
        ws,
        0,
        &[
            &["序号", "所属行业", "提升企业名称", "主导产品", "问题和短板及提升目标", "提升措施及计划", "进展情况（截至9月底）"],
            &["1", "白酒", "泸州甲酒业有限公司", "浓香型白酒", "勾调不稳定;建立追溯体系", "引进检测设备", "设备已到位"],
        ],
    );
    let path = dir.join("2018Q3-泸州市-台账.xlsx");
    wb.save(&path).unwrap();
    path
}

#[test]
fn headers_read_by_their_meaning() {
    let dir = tempfile::tempdir().unwrap();
    for path in both(dir.path(), unseen_wordings(dir.path())) {
        let s = import_checked(&path);
        assert_eq!(field(&s, "measures"), ["引进检测设备"]);
        assert_eq!(field(&s, "progress"), ["设备已到位"]);
        // Two columns' names in one header: kept whole as an extra column, nothing guessed.
        assert_eq!(field(&s, "problems"), [""]);
        assert_eq!(s.extra_columns, ["问题和短板及提升目标"]);
        assert_eq!(s.rows[0].extra(0), "勾调不稳定;建立追溯体系");
        assert_eq!(
            located(&s),
            pairs(&[("S11", "台账!F1"), ("S11", "台账!G1"), ("S12", "台账!E1"), ("S02", "台账"), ("S02", "台账"), ("S05", "")]),
            "{:#?}",
            s.findings
        );
        let hint = s.findings.iter().find(|f| f.code == Code::HeaderByMeaning && f.location() == "台账!F1").unwrap();
        assert_eq!(hint.message, "表头「提升措施及计划」不是模板中的列名,已按其含义作为「提升措施」列导入。如不是该列,请改用模板中的列名。");
        let missing: Vec<&str> = s.findings.iter().filter(|f| f.code == Code::MissingColumn).filter_map(|f| f.field.as_deref()).collect();
        assert_eq!(missing, ["问题和短板", "提升目标"]);
    }
}

fn merged_enterprise(dir: &Path) -> PathBuf {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("附件2").unwrap();
    ws.write_string(0, 0, "宜宾市质量提升台账(2018年第三季度)").unwrap();
    write_rows(ws, 1, &[&HEADER]);
    let m = Format::new();
    // One enterprise over rows 3–5: 序号, 行业, 名称, 产品, 短板 and 目标 merged down; 措施 and 进展 one line
    // per row, the last 进展 line left empty.
    for (c, v) in [(0, "1"), (1, "白酒"), (2, "宜宾甲酒业有限公司"), (3, "浓香型白酒"), (4, "品牌影响力弱"), (5, "创建省级品牌")] {
        ws.merge_range(2, c, 4, c, v, &m).unwrap();
    }
    write_rows(ws, 2, &[&["", "", "", "", "", "", "1.建立首席质量官制度", "已任命首席质量官"]]);
    write_rows(ws, 3, &[&["", "", "", "", "", "", "2.导入卓越绩效模式", "已开展培训2次"]]);
    write_rows(ws, 4, &[&["", "", "", "", "", "", "3.申报天府质量奖"]]);
    // The next enterprise on one row.
    write_rows(ws, 5, &[&["2", "茶叶", "宜宾乙茶业有限公司", "红茶", "加工粗放", "SC认证", "建设标准化车间", "推进中"]]);
    let path = dir.join("2018Q3-宜宾市-质量提升台账.xlsx");
    wb.save(&path).unwrap();
    path
}

#[test]
fn an_enterprise_over_merged_rows_is_one_row() {
    let dir = tempfile::tempdir().unwrap();
    for path in both(dir.path(), merged_enterprise(dir.path())) {
        let s = import_checked(&path);
        assert_eq!(field(&s, "enterprise"), ["宜宾甲酒业有限公司", "宜宾乙茶业有限公司"], "{path:?}: {:#?}", s.findings);
        assert_eq!(field(&s, "measures"), ["1.建立首席质量官制度\n2.导入卓越绩效模式\n3.申报天府质量奖", "建设标准化车间"]);
        assert_eq!(field(&s, "progress"), ["已任命首席质量官\n已开展培训2次", "推进中"]);
        assert_eq!(field(&s, "goal"), ["创建省级品牌", "SC认证"]);
        assert_eq!(located(&s), pairs(&[("V20", "附件2!C3"), ("S05", "")]), "{:#?}", s.findings);
        let hint = s.findings.iter().find(|f| f.code == Code::EnterpriseOverRows).unwrap();
        assert_eq!(hint.message, "企业「宜宾甲酒业有限公司」的名称合并了第3至5行,这几行是同一家企业,各列内容已按行的顺序换行合并为一行。");
    }
}

fn stacked_tables(dir: &Path) -> PathBuf {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("台账").unwrap();
    write_rows(
        ws,
        0,
        &[
            &["成都市质量提升台账(2018年第二季度)"],
            &HEADER,
            &["1", "白酒", "成都甲酒业有限公司", "白酒", "短板一", "目标一", "措施一", "二季度进展"],
            &["2", "茶叶", "成都乙茶业有限公司", "绿茶", "短板二", "目标二", "措施二", "二季度进展"],
        ],
    );
    // A gap, then this quarter's table with its own title and header.
    write_rows(
        ws,
        6,
        &[
            &["成都市质量提升台账(2018年第三季度)"],
            &["填报市州:成都市"],
            &HEADER,
            &["1", "白酒", "成都甲酒业有限公司", "白酒", "短板一", "目标一", "措施一", "三季度进展"],
            &["2", "茶叶", "成都乙茶业有限公司", "绿茶", "短板二", "目标二", "措施二", "三季度进展"],
            &["3", "家具", "成都丙家具有限公司", "沙发", "短板三", "目标三", "措施三", "三季度进展"],
        ],
    );
    let path = dir.join("成都市-质量提升台账.xlsx");
    wb.save(&path).unwrap();
    path
}

#[test]
fn stacked_tables_are_read_by_their_own_period() {
    let dir = tempfile::tempdir().unwrap();
    for path in both(dir.path(), stacked_tables(dir.path())) {
        // Without a period asked for: the latest table, and the return is for its period.
        let s = import_checked(&path);
        assert_eq!(s.period.map(|p| p.code()).as_deref(), Some("2018Q3"), "{path:?}");
        assert_eq!(field(&s, "enterprise"), ["成都甲酒业有限公司", "成都乙茶业有限公司", "成都丙家具有限公司"]);
        assert_eq!(field(&s, "progress"), ["三季度进展"; 3]);
        assert_eq!(located(&s), pairs(&[("S14", "台账!A2"), ("S05", "")]), "{:#?}", s.findings);
        let f = s.findings.iter().find(|f| f.code == Code::OtherPeriodBlock).unwrap();
        assert!(f.message.contains("第1至4行是2018年第二季度的台账"), "{}", f.message);
        // Asked for the second quarter: that table.
        let input = Input::file(path.clone(), path.file_name().unwrap().to_string_lossy().into_owned(), true);
        let opts = BatchOptions { period: taizhang::Period::new(2018, 2), ..BatchOptions::default() };
        let q2 = import_one(refdata(), &input, &opts).remove(0);
        assert_accounted(&path, &q2);
        assert_eq!(q2.period.map(|p| p.code()).as_deref(), Some("2018Q2"));
        assert_eq!(field(&q2, "progress"), ["二季度进展"; 2]);
        assert_eq!(located(&q2), pairs(&[("S14", "台账!A9"), ("S05", "")]), "{:#?}", q2.findings);
    }
}

#[test]
fn county_sheets_in_the_rollup() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("收件箱");
    std::fs::create_dir(&inbox).unwrap();
    county_sheets(&inbox);
    let o = super::common::taizhang(dir.path(), &["consolidate", "收件箱", "--out", "汇总.xlsx", "--period", "2018Q3"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", super::common::stdout(&o), super::common::stderr(&o));
    let ledger = super::common::sheet_rows(&dir.path().join("汇总.xlsx"), taizhang::rollup::sheets::LEDGER);
    let header = ledger.iter().position(|r| r.iter().any(|c| c == "提升企业名称")).unwrap();
    let col = |name: &str| ledger[header].iter().position(|c| c == name).unwrap_or_else(|| panic!("{name} in {:?}", ledger[header]));
    let (e, county) = (col("提升企业名称"), col("区县(工作表)"));
    let got: Vec<(&str, &str)> = ledger[header + 1..].iter().filter(|r| !r[e].is_empty()).map(|r| (r[e].as_str(), r[county].as_str())).collect();
    assert_eq!(
        got,
        [("成都甲酒业有限公司", "锦江区"), ("成都乙茶业有限公司", "青羊区"), ("成都丙家具有限公司", "青羊区"), ("成都丁电子有限公司", "金牛区")]
    );
}
