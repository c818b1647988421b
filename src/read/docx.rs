//! Word documents (.docx): prefectures fill the plan's 附件2 table in Word, with the title lines
//! (prefecture, quarter) as paragraphs above it.
//!
//! The document is read by docx-rs, which reads tables with their grid and each cell's `gridSpan` and
//! `vMerge`, and each row's `gridBefore` (and can write docx, which reports will need). Its Rust API keeps
//! those three properties private and shows them only through its serde representation (the JSON its
//! WebAssembly build hands to JavaScript), so this reader takes them from there, per row and per cell.
//!
//! Each top-level table is a sheet, `表格1`, `表格2`, … in document order: first the non-empty paragraphs
//! between the previous table (or the start) and this one, a row each in column A, then one grid row per
//! `w:tr`, one grid column per table-grid column; paragraphs after the last table go under it. A cell's
//! text is its paragraphs joined by line breaks, `w:br` a line break, a tab a space, deleted text left out,
//! inserted text kept, and a nested table's rows on lines of their own, its cells separated by spaces.
//!
//! docx-rs builds the whole document before the first cell can be read, reads nested tables by
//! recursion, and panics on a member it cannot inflate. So before it runs, every member of the package is
//! inflated once (the zip checks have bounded their sizes), and `document.xml` is scanned with quick-xml:
//! its elements, its paragraphs, runs, cells, rows and tables (the nodes docx-rs makes a struct of), its
//! cells and the depth of its nesting are held to [`Limits::max_markup_elements`],
//! [`Limits::max_word_nodes`], [`Limits::max_fields`] and [`Limits::max_markup_depth`].

use std::collections::HashMap;
use std::io::{Cursor, Read};

use docx_rs::{
    DeleteChild, DocumentChild, InsertChild, MoveToChild, Paragraph, ParagraphChild, Run, RunChild, StructuredDataTag,
    StructuredDataTagChild, Table, TableCell, TableCellContent, TableChild, TableRowChild,
};
use quick_xml::events::Event;

use crate::cell::CellRef;

use super::error::{ReadError, corrupt};
use super::grid::{Format, Grid, Limits, Rect, Sheet, Value, Visibility, Workbook};

/// Reads a Word document's tables as sheets.
///
/// # Errors
/// [`ReadError::NotSpreadsheet`] when the document has no table; [`ReadError::TooLarge`] past the limits;
/// [`ReadError::Corrupt`] when the package or its document cannot be read.
pub(super) fn read(bytes: &[u8], limits: &Limits) -> Result<Workbook, ReadError> {
    let document = inflate_all(bytes)?;
    if check_budget(&document, limits)? == 0 {
        // Nothing for docx-rs to find (and a document it cannot read is still named for what it is).
        return Err(no_table());
    }
    let docx = docx_rs::read_docx(bytes).map_err(corrupt)?;
    let mut blocks = Vec::new();
    for child in &docx.document.children {
        body_blocks(child, &mut blocks);
    }
    let sheets = lay_out(&blocks, limits)?;
    if sheets.is_empty() {
        return Err(no_table());
    }
    Ok(Workbook { format: Format::Docx, sheets })
}

fn no_table() -> ReadError {
    ReadError::NotSpreadsheet("Word 文档中没有表格".into())
}

/// Inflates every member of the package (docx-rs panics on one it cannot inflate) and returns the main
/// document part, found as docx-rs finds it.
fn inflate_all(bytes: &[u8]) -> Result<Vec<u8>, ReadError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(corrupt)?;
    let main = main_document(&mut zip);
    let mut document = None;
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(corrupt)?;
        let name = f.name().map(|n| n.into_owned()).unwrap_or_default();
        if name == main {
            let mut data = Vec::new();
            f.read_to_end(&mut data).map_err(corrupt)?;
            document = Some(data);
        } else {
            std::io::copy(&mut f, &mut std::io::sink()).map_err(corrupt)?;
        }
    }
    document.ok_or_else(|| ReadError::Corrupt("Word 文档缺少正文部分 (document.xml)".into()))
}

/// The main document part named by the package relationships, `word/document.xml` when they name none.
fn main_document(zip: &mut zip::ZipArchive<Cursor<&[u8]>>) -> String {
    let mut rels = String::new();
    if let Ok(f) = zip.by_name("_rels/.rels") {
        let _ = f.take(1 << 20).read_to_string(&mut rels);
    }
    let mut reader = quick_xml::Reader::from_str(&rels);
    while let Ok(ev) = reader.read_event() {
        match ev {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                let get = |k: &str| e.attributes().flatten().find(|a| a.key.as_ref() == k).map(|a| a.value.to_string());
                if get("Type").is_some_and(|t| t.ends_with("/officeDocument"))
                    && let Some(t) = get("Target")
                {
                    return t.trim_start_matches('/').to_string();
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    "word/document.xml".to_string()
}

/// Holds `document.xml` to the limits before docx-rs builds its tree; the number of tables it holds.
fn check_budget(document: &[u8], limits: &Limits) -> Result<usize, ReadError> {
    let mut reader = quick_xml::Reader::from_reader(document);
    let mut buf = Vec::new();
    let (mut elements, mut nodes, mut cells, mut depth, mut tables) = (0usize, 0usize, 0usize, 0usize, 0usize);
    loop {
        let ev = reader.read_event_into(&mut buf).map_err(|e| corrupt(format!("document.xml: {e}")))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                elements += 1;
                match e.local_name().as_ref() {
                    "tc" => cells += 1,
                    "tbl" => tables += 1,
                    _ => {}
                }
                if matches!(e.local_name().as_ref(), "p" | "r" | "tc" | "tr" | "tbl") {
                    nodes += 1;
                }
                if matches!(ev, Event::Start(_)) {
                    depth += 1;
                }
                if depth > limits.max_markup_depth {
                    return Err(ReadError::TooLarge(format!("文档嵌套超过 {} 层", limits.max_markup_depth)));
                }
                if cells > limits.max_fields {
                    return Err(limits.too_many_fields());
                }
                if elements > limits.max_markup_elements {
                    return Err(limits.too_many_elements());
                }
                if nodes > limits.max_word_nodes {
                    return Err(ReadError::TooLarge(format!("Word 文档的段落、单元格等超过 {} 个", limits.max_word_nodes)));
                }
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => return Ok(tables),
            _ => {}
        }
        buf.clear();
    }
}

/// A paragraph's text or a table, in document order (content controls opened).
enum Block<'a> {
    Text(String),
    Table(&'a Table),
}

fn body_blocks<'a>(child: &'a DocumentChild, out: &mut Vec<Block<'a>>) {
    match child {
        DocumentChild::Paragraph(p) => out.push(Block::Text(paragraph_text(p))),
        DocumentChild::Table(t) => out.push(Block::Table(t)),
        DocumentChild::StructuredDataTag(sdt) => sdt_blocks(sdt, out),
        _ => {}
    }
}

fn sdt_blocks<'a>(sdt: &'a StructuredDataTag, out: &mut Vec<Block<'a>>) {
    let mut run_text = String::new();
    for c in &sdt.children {
        match c {
            StructuredDataTagChild::Run(r) => run_text.push_str(&run_text_of(r)),
            StructuredDataTagChild::Paragraph(p) => out.push(Block::Text(paragraph_text(p))),
            StructuredDataTagChild::Table(t) => out.push(Block::Table(t)),
            StructuredDataTagChild::StructuredDataTag(s) => sdt_blocks(s, out),
            _ => {}
        }
    }
    if !run_text.is_empty() {
        out.push(Block::Text(run_text));
    }
}

/// Sheets from the blocks: each table with the paragraphs above it, the last one with those below too.
fn lay_out(blocks: &[Block<'_>], limits: &Limits) -> Result<Vec<Sheet>, ReadError> {
    let mut pending: Vec<&str> = Vec::new();
    let mut sheets: Vec<TableCells> = Vec::new();
    for b in blocks {
        match b {
            Block::Text(t) if !t.trim().is_empty() => pending.push(t),
            Block::Text(_) => {}
            Block::Table(t) => {
                let mut s = TableCells::default();
                s.lines(&std::mem::take(&mut pending));
                s.table(t);
                sheets.push(s);
            }
        }
    }
    if let Some(last) = sheets.last_mut() {
        last.lines(&pending);
    }
    let mut out = Vec::new();
    for (i, s) in sheets.into_iter().enumerate() {
        if s.cells.len() > limits.max_cells {
            return Err(limits.too_many_cells());
        }
        out.push(Sheet::new(format!("表格{}", i + 1), Visibility::Visible, Grid::new(s.cells, s.merges, limits), None));
    }
    Ok(out)
}

/// One sheet being laid out.
#[derive(Default)]
struct TableCells {
    cells: Vec<(CellRef, Value)>,
    merges: Vec<Rect>,
    row: u32,
}

/// A vertical merge still open at a grid column: its first row and its width in grid columns.
#[derive(Clone, Copy)]
struct OpenMerge {
    first_row: u32,
    span: u32,
}

impl TableCells {
    fn lines(&mut self, lines: &[&str]) {
        for l in lines {
            self.cells.push((CellRef::new(self.row, 0), Value::Text((*l).to_string())));
            self.row += 1;
        }
    }

    fn table(&mut self, table: &Table) {
        let mut open: HashMap<u32, OpenMerge> = HashMap::new();
        for TableChild::TableRow(row) in &table.rows {
            let mut col = u32_prop(&row.property, "gridBefore").unwrap_or(0);
            let mut continued = Vec::new();
            for TableRowChild::TableCell(cell) in &row.cells {
                let props = serde_json::to_value(&cell.property).unwrap_or_default();
                let span = props.get("gridSpan").and_then(serde_json::Value::as_u64).map_or(1, |s| s.clamp(1, 1000) as u32);
                let vmerge = props.get("verticalMerge").and_then(serde_json::Value::as_str).unwrap_or("");
                if vmerge == "continue" && open.contains_key(&col) {
                    continued.push(col);
                } else {
                    if vmerge == "restart" {
                        if let Some(m) = open.remove(&col) {
                            self.close(col, m, self.row.saturating_sub(1));
                        }
                        open.insert(col, OpenMerge { first_row: self.row, span });
                    } else if span > 1 {
                        self.merges.push(Rect::new(CellRef::new(self.row, col), CellRef::new(self.row, col + span - 1)));
                    }
                    self.cells.push((CellRef::new(self.row, col), Value::Text(cell_text(cell))));
                }
                col = col.saturating_add(span);
            }
            // A vertical merge ends at the last row that continued it.
            let ended: Vec<u32> =
                open.iter().filter(|(c, m)| !continued.contains(*c) && m.first_row != self.row).map(|(c, _)| *c).collect();
            for c in ended {
                if let Some(m) = open.remove(&c) {
                    self.close(c, m, self.row.saturating_sub(1));
                }
            }
            self.row += 1;
        }
        let last = self.row.saturating_sub(1);
        for (c, m) in open {
            self.close(c, m, last);
        }
    }

    fn close(&mut self, col: u32, m: OpenMerge, last_row: u32) {
        if last_row > m.first_row || m.span > 1 {
            self.merges.push(Rect::new(CellRef::new(m.first_row, col), CellRef::new(last_row, col + m.span - 1)));
        }
    }
}

/// A number property of a row (`gridBefore`), which docx-rs shows only through serde.
fn u32_prop(props: &impl serde::Serialize, key: &str) -> Option<u32> {
    let v = serde_json::to_value(props).ok()?;
    v.get(key)?.as_u64().map(|n| n.min(1000) as u32)
}

/// A cell's text: paragraphs on lines, a nested table's rows on lines and its cells separated by spaces.
fn cell_text(cell: &TableCell) -> String {
    let mut lines: Vec<String> = Vec::new();
    for c in &cell.children {
        match c {
            TableCellContent::Paragraph(p) => lines.push(paragraph_text(p)),
            TableCellContent::Table(t) => lines.extend(nested_table_lines(t)),
            TableCellContent::StructuredDataTag(sdt) => {
                let mut blocks = Vec::new();
                sdt_blocks(sdt, &mut blocks);
                for b in blocks {
                    match b {
                        Block::Text(t) => lines.push(t),
                        Block::Table(t) => lines.extend(nested_table_lines(t)),
                    }
                }
            }
            TableCellContent::TableOfContents(_) => {}
        }
    }
    lines.join("\n")
}

fn nested_table_lines(table: &Table) -> Vec<String> {
    table
        .rows
        .iter()
        .map(|TableChild::TableRow(row)| {
            row.cells.iter().map(|TableRowChild::TableCell(c)| cell_text(c).replace('\n', " ")).filter(|t| !t.trim().is_empty()).collect::<Vec<_>>().join(" ")
        })
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// A paragraph's text as Word shows it with changes accepted: deleted and moved-away text left out.
fn paragraph_text(p: &Paragraph) -> String {
    let mut out = String::new();
    paragraph_children(&p.children, &mut out);
    out
}

fn paragraph_children(children: &[ParagraphChild], out: &mut String) {
    for c in children {
        match c {
            ParagraphChild::Run(r) => out.push_str(&run_text_of(r)),
            ParagraphChild::Insert(ins) => {
                for c in &ins.children {
                    if let InsertChild::Run(r) = c {
                        out.push_str(&run_text_of(r));
                    }
                }
            }
            ParagraphChild::MoveTo(m) => {
                for c in &m.children {
                    if let MoveToChild::Run(r) = c {
                        out.push_str(&run_text_of(r));
                    }
                }
            }
            ParagraphChild::Hyperlink(h) => paragraph_children(&h.children, out),
            ParagraphChild::StructuredDataTag(sdt) => {
                for c in &sdt.children {
                    match c {
                        StructuredDataTagChild::Run(r) => out.push_str(&run_text_of(r)),
                        StructuredDataTagChild::Paragraph(p) => out.push_str(&paragraph_text(p)),
                        _ => {}
                    }
                }
            }
            ParagraphChild::Delete(d) => {
                // Deleted runs are not shown; nothing of them counts.
                let _: &[DeleteChild] = &d.children;
            }
            _ => {}
        }
    }
}

/// A run's text: `w:t`, a tab as a space, `w:br` and `w:cr` as line breaks; deleted text and field codes
/// left out.
fn run_text_of(r: &Run) -> String {
    let mut out = String::new();
    for c in &r.children {
        match c {
            RunChild::Text(t) => out.push_str(&t.text),
            RunChild::Tab(_) | RunChild::PTab(_) => out.push(' '),
            RunChild::Break(_) | RunChild::CarriageReturn(_) => out.push('\n'),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";

    /// A docx package around a `w:body`.
    pub(crate) fn docx(body: &str) -> Vec<u8> {
        use std::io::Write;
        let doc = format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>"#);
        let parts: [(&str, String); 4] = [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#.into(),
            ),
            (
                "_rels/.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#.into(),
            ),
            ("word/_rels/document.xml.rels", r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>"#.into()),
            ("word/document.xml", doc),
        ];
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in parts {
            w.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
            w.write_all(data.as_bytes()).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn p(text: &str) -> String {
        format!("<w:p><w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>")
    }

    fn tc(props: &str, content: &str) -> String {
        format!("<w:tc><w:tcPr>{props}</w:tcPr>{content}</w:tc>")
    }

    fn texts(s: &Sheet) -> Vec<(String, String)> {
        s.grid.cells().iter().map(|c| (c.pos.a1(), c.value.to_text())).collect()
    }

    #[test]
    fn title_paragraphs_merges_and_notes_after_the_table() {
        let grid = "<w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>";
        let body = format!(
            "{}{}<w:tbl>{grid}<w:tr>{}{}</w:tr><w:tr>{}{}{}</w:tr><w:tr><w:trPr><w:gridBefore w:val=\"1\"/></w:trPr>{}{}</w:tr></w:tbl>{}{}",
            p("四川省重点消费品质量提升台账"),
            p("填报单位:成都市市场监督管理局  2018年第三季度"),
            tc("<w:gridSpan w:val=\"2\"/>", &p("企业名称")),
            tc("<w:vMerge w:val=\"restart\"/>", &p("所属行业")),
            tc("", &p("甲")),
            tc("", "<w:p><w:r><w:t>四川</w:t><w:br/><w:t>甲公司</w:t><w:tab/><w:t>x</w:t></w:r><w:del><w:r><w:delText>删去</w:delText></w:r></w:del><w:ins><w:r><w:t>新增</w:t></w:r></w:ins></w:p>"),
            tc("<w:vMerge/>", "<w:p/>"),
            tc("", &p("乙")),
            tc("<w:vMerge/>", "<w:p/>"),
            "<w:p/>",
            p("备注:无"),
        );
        let wb = read(&docx(&body), &Limits::default()).unwrap();
        assert_eq!(wb.format, Format::Docx);
        assert_eq!(wb.sheets[0].name, "表格1");
        let got = texts(&wb.sheets[0]);
        let want: Vec<(String, String)> = [
            ("A1", "四川省重点消费品质量提升台账"),
            ("A2", "填报单位:成都市市场监督管理局  2018年第三季度"),
            ("A3", "企业名称"),
            ("B3", "企业名称"),
            ("C3", "所属行业"),
            ("A4", "甲"),
            ("B4", "四川\n甲公司 x新增"),
            ("C4", "所属行业"),
            ("B5", "乙"),
            ("C5", "所属行业"),
            ("A6", "备注:无"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn each_table_is_a_sheet_and_nested_tables_flatten() {
        let inner = format!("<w:tbl><w:tr>{}{}</w:tr><w:tr>{}</w:tr></w:tbl>", tc("", &p("a")), tc("", &p("b")), tc("", &p("c")));
        let body = format!(
            "{}<w:tbl><w:tr>{}</w:tr></w:tbl>{}<w:tbl><w:tr>{}</w:tr></w:tbl>",
            p("一"),
            tc("", &format!("{}{inner}", p("外"))),
            p("二"),
            tc("", &p("x"))
        );
        let wb = read(&docx(&body), &Limits::default()).unwrap();
        let names: Vec<&str> = wb.sheets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["表格1", "表格2"]);
        assert_eq!(texts(&wb.sheets[0]), vec![("A1".into(), "一".into()), ("A2".into(), "外\na b\nc".into())]);
        assert_eq!(texts(&wb.sheets[1]), vec![("A1".into(), "二".into()), ("A2".into(), "x".into())]);
    }

    #[test]
    fn a_document_without_a_table_is_named() {
        let e = read(&docx(&p("只有文字")), &Limits::default()).unwrap_err();
        assert!(matches!(&e, ReadError::NotSpreadsheet(w) if w.contains("没有表格")), "{e:?}");
    }

    #[test]
    fn budgets_refuse_before_the_tree_is_built() {
        let row = format!("<w:tbl><w:tr>{}</w:tr></w:tbl>", "<w:tc><w:p/></w:tc>".repeat(1000));
        let bytes = docx(&row);
        assert!(matches!(read(&bytes, &Limits { max_fields: 999, ..Limits::default() }), Err(ReadError::TooLarge(_))));
        assert!(matches!(read(&bytes, &Limits { max_markup_elements: 1999, ..Limits::default() }), Err(ReadError::TooLarge(_))));
        assert!(matches!(read(&bytes, &Limits { max_word_nodes: 1999, ..Limits::default() }), Err(ReadError::TooLarge(_))));
        let deep = format!("{}{}", "<w:tbl><w:tr><w:tc>".repeat(40), "</w:tc></w:tr></w:tbl>".repeat(40));
        assert!(matches!(read(&docx(&deep), &Limits::default()), Err(ReadError::TooLarge(_))));
    }
}
