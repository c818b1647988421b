//! The formats read besides spreadsheets — Word, HTML saved as .xls, Excel 2003 XML — and the two facts
//! the xlsx reader reports (formulas without value, totals rows of Excel tables), each checked on files
//! written by the programs that really write them and compared with an independent reader: python-docx,
//! Python's html.parser, calamine on the original, LibreOffice. The budgets are checked on the process's
//! own peak memory.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use taizhang::read::{Format, Limits, ReadError, Visibility, Workbook, read_file};

use super::common::{cells_of, libreoffice_convert, python, stderr, zip_of};

/// Every cell of a workbook as (sheet, row, column, text), merged copies included.
fn all_cells(wb: &Workbook) -> BTreeSet<(String, u32, u32, String)> {
    wb.sheets
        .iter()
        .flat_map(|s| s.grid.cells().iter().map(move |c| (s.name.clone(), c.pos.row, c.pos.col, c.value.to_text())))
        .collect()
}

/// Expected cells printed by a Python script, one JSON array `[sheet, row, col, text]` a line.
pub(crate) fn expected_cells(script: &str, args: &[&str]) -> BTreeSet<(String, u32, u32, String)> {
    python(script, args)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<(String, u32, u32, String)>(l).unwrap())
        .collect()
}

/// Fails naming the first cell that differs.
fn assert_same(ours: &BTreeSet<(String, u32, u32, String)>, theirs: &BTreeSet<(String, u32, u32, String)>, what: &str) {
    let a1 = |c: &(String, u32, u32, String)| format!("{}!{}", c.0, taizhang::cell::CellRef::new(c.1, c.2).a1());
    if let Some(c) = ours.difference(theirs).next() {
        panic!("{what}: taizhang has {} 「{}」, the other reader does not (it has {:?})", a1(c), c.3, theirs.iter().find(|t| (t.1, t.2) == (c.1, c.2)));
    }
    if let Some(c) = theirs.difference(ours).next() {
        panic!("{what}: the other reader has {} 「{}」, taizhang does not", a1(c), c.3);
    }
}

fn read(path: &Path) -> Workbook {
    read_file(path, &Limits::default()).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()))
}

// ---------------------------------------------------------------------------------------------------
// Word

/// Writes the 附件2 table as a prefecture fills it in Word: two title paragraphs, a 9-column table with a
/// header row, an industry heading merged across (gridSpan), an industry merged down (vMerge), a line break
/// in a cell, and a note under the table.
const WRITE_DOCX: &str = r#"
import sys, datetime, docx
from docx.enum.text import WD_BREAK
d = docx.Document()
cp = d.core_properties
cp.author = cp.last_modified_by = "taizhang"
cp.created = cp.modified = datetime.datetime(2018, 10, 1)
cp.revision = 1
d.add_paragraph("四川省重点消费品质量提升台账")
d.add_paragraph("填报单位:成都市市场监督管理局  2018年第三季度")
d.add_paragraph("")
headers = ["序号", "所属(产业)行业", "提升企业名称", "主导产品", "问题和短板", "提升目标", "提升措施", "进展情况及成效", "统一社会信用代码"]
rows = [
    ["一、食品行业"] + [""] * 8,
    ["1", "白酒", "四川甲酒业有限公司", "浓香型白酒", "包装落后", "提升包装", "引进生产线", "已完成", "91510100MA61234567"],
    ["2", "", "四川乙食品有限公司", "火锅底料", "标准缺失", "制定企业标准", "标准自我声明", "进行中", "91510100MA6123456X"],
    ["3", "茶叶", "雅安丙茶业有限公司", "藏茶", "品牌弱", "创建品牌", "参加展会", "已完成", "0012"],
]
t = d.add_table(rows=1 + len(rows), cols=9)
for c, h in enumerate(headers):
    t.cell(0, c).text = h
for r, row in enumerate(rows, start=1):
    for c, v in enumerate(row):
        if v:
            t.cell(r, c).text = v
t.cell(1, 0).merge(t.cell(1, 8))
t.cell(2, 1).merge(t.cell(3, 1))
p = t.cell(4, 6).paragraphs[0]
p.add_run().add_break(WD_BREAK.LINE)
p.add_run("线上推广")
d.add_paragraph("备注:企业名称以营业执照为准。")
d.save(sys.argv[1])
"#;

/// python-docx's own reading, laid out by taizhang's rule: each top-level table a sheet 表格N, the
/// non-empty paragraphs above it a row each in column A, then a grid row per row (python-docx repeats a
/// merged cell at every grid position it covers, as the grid fills merged ranges), paragraphs after the
/// last table under it.
pub(crate) const READ_DOCX: &str = r#"
import sys, json, docx
from docx.table import Table
from docx.text.paragraph import Paragraph
def clean(s):
    lines = [l.strip() for l in s.replace("\t", " ").split("\n")]
    return "\n".join(lines).strip("\n")
d = docx.Document(sys.argv[1])
sheets, pending = [], []
for block in d.iter_inner_content():
    if isinstance(block, Paragraph):
        if block.text.strip():
            pending.append(clean(block.text))
    else:
        sheets.append((pending, block)); pending = []
if sheets:
    sheets[-1] = (sheets[-1][0], sheets[-1][1], pending)
for i, s in enumerate(sheets):
    name, row = "表格%d" % (i + 1), 0
    for l in s[0]:
        print(json.dumps([name, row, 0, l], ensure_ascii=False)); row += 1
    for r in s[1].rows:
        col = r.grid_cols_before
        for c in r.cells:
            text = clean(c.text)
            if text:
                print(json.dumps([name, row, col, text], ensure_ascii=False))
            col += 1
        row += 1
    for l in (s[2] if len(s) > 2 else []):
        print(json.dumps([name, row, 0, l], ensure_ascii=False)); row += 1
"#;

fn python_docx(dir: &Path) -> PathBuf {
    let path = dir.join("成都市台账.docx");
    python(WRITE_DOCX, &[path.to_str().unwrap()]);
    path
}

#[test]
fn docx_from_python_docx_reads_as_python_docx_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = python_docx(dir.path());
    let wb = read(&path);
    assert_eq!(wb.format, Format::Docx);
    assert_eq!(wb.format.name(), "docx");
    let theirs = expected_cells(READ_DOCX, &[path.to_str().unwrap()]);
    assert!(theirs.len() > 40, "{} cells", theirs.len());
    assert_same(&all_cells(&wb), &theirs, "python-docx");
    // The line break, the merges and the code with its leading zeros, as the importer will see them.
    let s = &wb.sheets[0];
    let at = |a1: &str| s.grid.get(taizhang::cell::parse_a1(a1).unwrap()).map(|c| c.value.to_text());
    assert_eq!(at("A1").as_deref(), Some("四川省重点消费品质量提升台账"));
    assert_eq!(at("G7").as_deref(), Some("参加展会\n线上推广"));
    assert_eq!(at("I7").as_deref(), Some("0012"));
    assert_eq!(at("A8").as_deref(), Some("备注:企业名称以营业执照为准。"));
    let merges: Vec<String> = s.grid.merges().iter().map(|m| format!("{}:{}", m.first.a1(), m.last.a1())).collect();
    assert_eq!(merges, ["A4:I4", "B5:B6"]);
}

#[test]
fn docx_saved_again_by_libreoffice_writer_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = python_docx(dir.path());
    let out = dir.path().join("writer");
    std::fs::create_dir(&out).unwrap();
    let again = libreoffice_convert(&path, "docx", &out);
    assert_same(&all_cells(&read(&again)), &all_cells(&read(&path)), "LibreOffice Writer's docx");
}

#[test]
fn legacy_doc_from_libreoffice_is_refused_asking_for_docx() {
    let dir = tempfile::tempdir().unwrap();
    let doc = libreoffice_convert(&python_docx(dir.path()), "doc", dir.path());
    let e = read_file(&doc, &Limits::default()).unwrap_err();
    assert!(matches!(e, ReadError::LegacyWord), "{e:?}");
    assert_eq!(e.code().as_str(), "F02");
    assert!(e.to_string().contains("旧版 Word 文档(.doc)") && e.to_string().contains(".docx"), "{e}");
}

// ---------------------------------------------------------------------------------------------------
// HTML saved as .xls

/// A page as other systems export it: Excel's namespaces, a number format style, unclosed cells and rows,
/// colspan and rowspan, a line break and entities in cells, text above and below the table.
const PAGE: &str = r#"<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">
<head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>绵阳市台账</title>
<style>.code{mso-number-format:"\@";}</style></head>
<body>
<h2>四川省重点消费品质量提升台账</h2>
<p>填报单位:绵阳市市场监督管理局  2018年第三季度</p>
<table border=1>
<tr><th>序号<th>所属(产业)行业<th>提升企业名称<th colspan=2>主导产品及问题
<tr><td>1<td rowspan=2>电子<td>四川甲电子有限公司<td>电视机<td>能耗高
<tr><td>2<td>四川乙科技有限公司<td>空调<td>噪声<br>偏大
<tr><td class=code>0012<td>食品<td>四川丙&amp;丁食品有限公司<td>&nbsp;<td>无
</table>
<p>备注:无</p>
</body></html>
"#;

/// The page laid out from Python's html.parser events by the rule a browser follows: a new cell or row
/// closes the open one, a rowspan occupies the positions below it (later cells shift right), white space
/// collapses, `<br>` breaks the line; text outside the table a row a line in column A.
pub(crate) const READ_HTML: &str = r#"
import sys, json, re
from html.parser import HTMLParser
BLOCK = {"h1","h2","h3","h4","h5","h6","p","div","caption"}
class P(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out, self.row, self.skip, self.text = [], 0, 0, ""
        self.table = None; self.cell = None; self.title = ""; self.in_title = False
    def flush(self):
        for line in self.text.split("\n"):
            line = re.sub(r"[ \t\r\n\f]+", " ", line).replace("\xa0", " ").strip()
            if line:
                self.out.append((self.row, 0, line)); self.row += 1
        self.text = ""
    def close_cell(self):
        if self.cell is not None:
            self.table[-1].append(self.cell); self.cell = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("head", "style", "script"): self.skip += 1
        elif tag == "title": self.in_title = True
        elif tag == "table": self.flush(); self.table = []
        elif tag == "tr" and self.table is not None: self.close_cell(); self.table.append([])
        elif tag in ("td", "th") and self.table is not None:
            self.close_cell()
            self.cell = ["", int(a.get("colspan") or 1), int(a.get("rowspan") or 1)]
        elif tag == "br":
            if self.cell is not None: self.cell[0] += "\n"
            else: self.text += "\n"
        elif tag in BLOCK: self.text += "\n"
    def handle_endtag(self, tag):
        if tag in ("head", "style", "script"): self.skip -= 1
        elif tag == "title": self.in_title = False
        elif tag in ("td", "th"): self.close_cell()
        elif tag == "table": self.close_cell(); self.lay_out(); self.table = None
        elif tag in BLOCK: self.text += "\n"
    def handle_data(self, data):
        if self.in_title: self.title += data
        elif self.skip: pass
        elif self.cell is not None: self.cell[0] += data
        elif self.table is None: self.text += data
    def lay_out(self):
        busy = {}
        for r, cells in enumerate(self.table):
            col = 0
            for text, colspan, rowspan in cells:
                while busy.get(col, 0) > r: col += 1
                for c in range(col, col + colspan): busy[c] = r + rowspan
                lines = [re.sub(r"[ \t\r\n\f]+", " ", l).replace("\xa0", " ").strip() for l in text.split("\n")]
                text = "\n".join(lines).strip("\n")
                for dr in range(min(rowspan, len(self.table) - r)):
                    for dc in range(colspan):
                        if text: self.out.append((self.row + r + dr, col + dc, text))
                col += colspan
        self.row += len(self.table)
p = P()
p.feed(open(sys.argv[1], "rb").read().decode(sys.argv[2]))
p.flush()
for r, c, t in p.out:
    print(json.dumps([p.title.strip(), r, c, t], ensure_ascii=False))
"#;

#[test]
fn html_in_gbk_and_in_utf8_with_bom_reads_as_html_parser_lays_it_out() {
    let dir = tempfile::tempdir().unwrap();
    let gbk = dir.path().join("绵阳市台账.xls");
    std::fs::write(&gbk, encoding_rs::GBK.encode(PAGE).0).unwrap();
    // The BOM wins over the gb2312 the page still declares.
    let bom = dir.path().join("绵阳市台账-utf8.xls");
    std::fs::write(&bom, [b"\xEF\xBB\xBF".as_slice(), PAGE.as_bytes()].concat()).unwrap();
    for (path, encoding) in [(&gbk, "gbk"), (&bom, "utf-8-sig")] {
        let wb = read(path);
        assert_eq!((wb.format, wb.sheets.len()), (Format::Html, 1));
        assert_eq!(wb.sheets[0].name, "绵阳市台账");
        let theirs = expected_cells(READ_HTML, &[path.to_str().unwrap(), encoding]);
        assert_same(&all_cells(&wb), &theirs, "html.parser");
        let merges: Vec<String> = wb.sheets[0].grid.merges().iter().map(|m| format!("{}:{}", m.first.a1(), m.last.a1())).collect();
        assert_eq!(merges, ["D3:E3", "B4:B5"]);
    }
}

/// LibreOffice Calc opens the same page (its HTML import) and saves it as xlsx; calamine reads that. The
/// texts stand in the same places, with two differences, both Calc's: it leaves an empty row after a table
/// (so the note is one row lower), and it turns texts that look like numbers into numbers (0012 becomes 12:
/// Calc ignores `mso-number-format:"\@"`, which Excel and taizhang honour by keeping the text).
#[test]
fn html_opened_by_libreoffice_calc_has_the_same_texts_in_the_same_places() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("绵阳市台账.html");
    std::fs::write(&page, encoding_rs::GBK.encode(PAGE).0).unwrap();
    let out = dir.path().join("calc");
    std::fs::create_dir(&out).unwrap();
    let xlsx = calc_from_html(&page, &out);
    let wb = read(&page);
    let table_last_row = 5;
    let calc: BTreeSet<(u32, u32, String)> = cells_of(&xlsx).into_iter().map(|(_, r, c, t)| (r, c, t)).collect();
    let mut compared = 0;
    for c in wb.sheets[0].grid.cells().iter().filter(|c| !c.is_merge_copy()) {
        let text = c.value.to_text();
        let row = if c.pos.row > table_last_row { c.pos.row + 1 } else { c.pos.row };
        let same = |t: &String| t.trim() == text || (text.parse::<f64>().ok().is_some() && t.parse::<f64>().ok() == text.parse::<f64>().ok());
        let found = calc.iter().find(|(r, col, _)| (*r, *col) == (row, c.pos.col));
        assert!(found.is_some_and(|(_, _, t)| same(t)), "{}: taizhang 「{text}」, Calc {found:?}", c.pos.a1());
        compared += 1;
    }
    assert_eq!(compared, calc.len(), "Calc has cells taizhang does not: {calc:?}");
}

/// Calc's HTML import, then xlsx: the page is opened as a spreadsheet, not as a Writer web page.
fn calc_from_html(page: &Path, out: &Path) -> PathBuf {
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new("soffice")
        .arg(format!("-env:UserInstallation=file://{}", profile.path().display()))
        .args(["--headless", "--norestore", "--infilter=HTML (StarCalc)", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir"])
        .arg(out)
        .arg(page)
        .output()
        .expect("soffice");
    let xlsx = out.join(format!("{}.xlsx", page.file_stem().unwrap().to_string_lossy()));
    assert!(xlsx.is_file(), "Calc wrote no xlsx: {}", stderr(&o));
    xlsx
}

// ---------------------------------------------------------------------------------------------------
// Excel 2003 XML

/// An xlsx made with rust_xlsxwriter, with merged cells and a hidden sheet.
fn xlsx_with_merges_and_a_hidden_sheet(path: &Path) {
    use rust_xlsxwriter::{Format as XFormat, Workbook as XWorkbook};
    let mut wb = XWorkbook::new();
    let ws = wb.add_worksheet().set_name("附件2").unwrap();
    ws.merge_range(0, 0, 0, 8, "四川省重点消费品质量提升台账", &XFormat::new()).unwrap();
    for (c, h) in ["序号", "所属(产业)行业", "提升企业名称", "主导产品", "统一社会信用代码"].iter().enumerate() {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    ws.write_number(3, 0, 1).unwrap();
    ws.merge_range(3, 1, 4, 1, "白酒", &XFormat::new()).unwrap();
    ws.write_string(3, 2, "四川甲酒业有限公司").unwrap();
    ws.write_number(3, 3, 95.5).unwrap();
    ws.write_string(3, 4, "0012").unwrap();
    ws.write_number(4, 0, 2).unwrap();
    ws.write_string(4, 2, "四川乙食品有限公司").unwrap();
    let hidden = wb.add_worksheet().set_name("上期").unwrap();
    hidden.write_string(0, 0, "上一季度的台账").unwrap();
    hidden.set_hidden(true);
    wb.save(path).unwrap();
}

/// LibreOffice's Excel 2003 XML export of an xlsx. Its export stylesheet recurses once per repeated empty
/// column (LibreOffice 7.4 gives up on a sheet's 16,384 columns), so the xlsx goes through LibreOffice's
/// flat ODS first, the repetition of the empty columns and rows past the content is cut to one, and
/// LibreOffice writes the Excel 2003 XML from that.
fn libreoffice_spreadsheetml(xlsx: &Path, dir: &Path) -> PathBuf {
    let fods = libreoffice_convert(xlsx, "fods", dir);
    let text = std::fs::read_to_string(&fods).unwrap();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("-repeated=\"") {
        let (head, tail) = rest.split_at(at + "-repeated=\"".len());
        out.push_str(head);
        let end = tail.find('"').unwrap();
        let n: u64 = tail[..end].parse().unwrap_or(1);
        out.push_str(if n >= 1000 { "1" } else { &tail[..end] });
        rest = &tail[end..];
    }
    out.push_str(rest);
    let trimmed = dir.join("trimmed.fods");
    std::fs::write(&trimmed, out).unwrap();
    let xml_dir = dir.join("xml");
    std::fs::create_dir(&xml_dir).unwrap();
    libreoffice_convert(&trimmed, "xml", &xml_dir)
}

#[test]
fn spreadsheetml_from_libreoffice_reads_as_calamine_reads_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("original.xlsx");
    xlsx_with_merges_and_a_hidden_sheet(&xlsx);
    let xml = libreoffice_spreadsheetml(&xlsx, dir.path());
    assert!(std::fs::read_to_string(&xml).unwrap().contains("urn:schemas-microsoft-com:office:spreadsheet"));
    let wb = read(&xml);
    assert_eq!(wb.format, Format::Xml2003);
    let ours: BTreeSet<(String, u32, u32, String)> = wb
        .sheets
        .iter()
        .flat_map(|s| s.grid.cells().iter().filter(|c| !c.is_merge_copy()).map(move |c| (s.name.clone(), c.pos.row, c.pos.col, c.value.to_text())))
        .collect();
    assert_same(&ours, &cells_of(&xlsx).into_iter().collect(), "calamine on the original xlsx");
    let merges: Vec<String> = wb.sheets[0].grid.merges().iter().map(|m| format!("{}:{}", m.first.a1(), m.last.a1())).collect();
    assert_eq!(merges, ["A1:I1", "B4:B5"]);
    // LibreOffice's export writes no sheet visibility (its stylesheet leaves WorksheetOptions empty), so
    // the hidden sheet comes back visible; Excel's own `<Visible>SheetHidden</Visible>` is read (unit test).
    assert_eq!(wb.sheets.iter().map(|s| (s.name.as_str(), s.visibility)).collect::<Vec<_>>(), [("附件2", Visibility::Visible), ("上期", Visibility::Visible)]);
}

// ---------------------------------------------------------------------------------------------------
// Formulas without value, totals rows

const OPENPYXL_FORMULAS: &str = r#"
import sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "附件2"
ws.append(["序号", "提升企业名称", "投入(万元)"])
ws.append([1, "四川甲公司", 10])
ws.append([2, "四川乙公司", 20])
ws["C4"] = "=SUM(C2:C3)"
ws["B4"] = '="合计"&COUNTA(B2:B3)'
ws["A5"] = "=A3+1"
wb.save(sys.argv[1])
"#;

#[test]
fn openpyxl_formulas_have_no_value_until_libreoffice_computes_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("formulas.xlsx");
    python(OPENPYXL_FORMULAS, &[path.to_str().unwrap()]);
    let wb = read(&path);
    let cells: Vec<String> = wb.sheets[0].formulas_without_value.iter().map(|c| c.a1()).collect();
    assert_eq!(cells, ["B4", "C4", "A5"]);
    let out = dir.path().join("lo");
    std::fs::create_dir(&out).unwrap();
    let computed = read(&libreoffice_convert(&path, "xlsx", &out));
    assert!(computed.sheets[0].formulas_without_value.is_empty(), "{:?}", computed.sheets[0].formulas_without_value);
    let c4 = computed.sheets[0].grid.get(taizhang::cell::parse_a1("C4").unwrap()).unwrap();
    assert_eq!(c4.value.to_text(), "30");
}

#[test]
fn an_excel_table_with_its_totals_row_names_that_row() {
    use rust_xlsxwriter::{Table, TableColumn, TableFunction, Workbook as XWorkbook};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("table.xlsx");
    let mut wb = XWorkbook::new();
    let ws = wb.add_worksheet().set_name("附件2").unwrap();
    ws.write_string(0, 0, "四川省重点消费品质量提升台账").unwrap();
    let rows = [("四川甲公司", 10.0), ("四川乙公司", 20.0), ("四川丙公司", 5.0)];
    for (i, (name, n)) in rows.iter().enumerate() {
        ws.write_string(3 + i as u32, 0, *name).unwrap();
        ws.write_number(3 + i as u32, 1, *n).unwrap();
    }
    let columns = vec![
        TableColumn::new().set_header("提升企业名称").set_total_label("汇总"),
        TableColumn::new().set_header("投入(万元)").set_total_function(TableFunction::Sum),
    ];
    let table = Table::new().set_columns(&columns).set_total_row(true);
    // Header on row 3 (index 2), three rows, the totals row on row 7 (index 6).
    ws.add_table(2, 0, 6, 1, &table).unwrap();
    let other = wb.add_worksheet().set_name("说明").unwrap();
    other.write_string(0, 0, "无表格").unwrap();
    wb.save(&path).unwrap();
    let read = read(&path);
    assert_eq!(read.sheets[0].total_rows, [6]);
    assert_eq!(read.sheets[0].grid.get(taizhang::cell::CellRef::new(6, 0)).map(|c| c.value.to_text()).as_deref(), Some("汇总"));
    assert!(read.sheets[1].total_rows.is_empty());
}

// ---------------------------------------------------------------------------------------------------
// Budgets

/// Runs `taizhang check --json` on `file` under GNU time: the file-level finding codes and the peak
/// resident memory in KiB.
fn check_peak(file: &Path) -> (Vec<String>, u64) {
    let dir = file.parent().unwrap();
    let json = dir.join("report.json");
    let rss = dir.join("rss");
    let o = Command::new("/usr/bin/time")
        .arg("-o")
        .arg(&rss)
        .args(["-f", "%M"])
        .arg(env!("CARGO_BIN_EXE_taizhang"))
        .args(["check", "--json"])
        .arg(&json)
        .arg(file)
        .output()
        .expect("/usr/bin/time (Debian package `time`)");
    assert!(matches!(o.status.code(), Some(0 | 1)), "check ran to the end: {}", stderr(&o));
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let mut codes: Vec<String> = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().unwrap().iter())
        .filter_map(|f| f["code"].as_str().filter(|c| c.starts_with('F')).map(str::to_string))
        .collect();
    codes.dedup();
    let kib = std::fs::read_to_string(&rss).unwrap().trim().lines().last().unwrap().parse().unwrap();
    (codes, kib)
}

/// Zipped markup of empty cells, a few hundred kilobytes holding millions of them, is refused as too large
/// (F04) before any tree is built: the peak memory of the whole check stays within what the process
/// needs for the decompressed text (twice: the bytes and their decoding) over a small file's check.
#[test]
fn markup_of_millions_of_empty_cells_is_refused_within_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits::default();
    let n = limits.max_fields + 1;
    let html = format!("<html><body><table><tr>{}</tr></table></body></html>", "<td></td>".repeat(n));
    let xml = format!(
        "<?xml version=\"1.0\"?><Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\"><Worksheet><Table><Row>{}</Row></Table></Worksheet></Workbook>",
        "<Cell/>".repeat(n)
    );
    let word_body = format!("<w:tbl><w:tr>{}</w:tr></w:tbl>", "<w:tc></w:tc>".repeat(n));
    let small = dir.path().join("small");
    std::fs::create_dir(&small).unwrap();
    std::fs::write(small.join("small.html"), "<table><tr><td>成都</td></tr></table>").unwrap();
    let (_, baseline) = check_peak(&small.join("small.html"));
    for (name, data) in [("空单元格.html", zip_of(&[("空单元格.xls", html.as_bytes())])), ("空单元格.xml", zip_of(&[("空单元格.xml", xml.as_bytes())])), ("空单元格.docx", docx_package(&word_body))] {
        let sub = dir.path().join(name.replace('.', "_"));
        std::fs::create_dir(&sub).unwrap();
        let file = sub.join(if name.ends_with("docx") { name.to_string() } else { format!("{name}.zip") });
        std::fs::write(&file, &data).unwrap();
        assert!(data.len() < 1 << 20, "{name}: {} bytes zipped", data.len());
        let (codes, peak) = check_peak(&file);
        assert!(codes.contains(&"F04".to_string()), "{name}: {codes:?}");
        let text = html.len().max(xml.len()).max(word_body.len()) as u64;
        let bound = baseline + 3 * (text >> 10) + (32 << 10);
        assert!(peak <= bound, "{name}: peak {} MiB over the bound {} MiB (small file: {} MiB)", peak >> 10, bound >> 10, baseline >> 10);
    }
}

/// A minimal docx package around a `w:body`.
fn docx_package(body: &str) -> Vec<u8> {
    let doc = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>"#
    );
    let types = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;
    let rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;
    let doc_rels = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>"#;
    zip_of(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", rels.as_bytes()),
        ("word/_rels/document.xml.rels", doc_rels.as_bytes()),
        ("word/document.xml", doc.as_bytes()),
    ])
}
