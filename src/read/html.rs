//! HTML tables saved under an .xls name: what other systems export as "Excel" (often with Excel's
//! `urn:schemas-microsoft-com:office:excel` namespaces and `mso-number-format` styles), and what Excel and
//! WPS save as "网页".
//!
//! Such pages are rarely well-formed (cells and rows left unclosed, no `tbody`), so they are parsed by
//! html5ever, which builds the tree a browser would, through scraper. Excel opens such a file as one
//! sheet, and so does taizhang: named after the page's `<title>`, text outside tables (headings,
//! paragraphs, captions) one row each in column A in document order, each table's rows below, one after
//! another, with colspan and rowspan as merged ranges placed as a browser lays them out. Every value is
//! text exactly as shown, so codes keep their leading zeros.
//!
//! The text is decoded as a browser would decode it: a BOM, else the `<meta>` charset within the first
//! 1024 bytes, else UTF-8 when valid, else GB18030. The tree is built only after a scan has counted the
//! page's elements, attributes and cells against [`Limits::max_markup_elements`] and
//! [`Limits::max_fields`], so that a page of millions of empty `<td></td>` is refused before it costs
//! memory.

use std::borrow::Cow;

use ego_tree::NodeRef;
use ego_tree::iter::Edge;
use scraper::{Html, Node};

use crate::cell::CellRef;

use super::error::ReadError;
use super::grid::{Format, Grid, Limits, Rect, Sheet, Value, Visibility, Workbook};

/// Excel's widest sheet: a cell placed further right is a hostile colspan, not a return.
const MAX_COLUMNS: u32 = 16_384;
/// The HTML standard's bounds on colspan and rowspan.
const MAX_COLSPAN: u32 = 1_000;
const MAX_ROWSPAN: u32 = 65_534;

/// Whether decoded text is an HTML page (or a fragment holding a table), looked for in its first bytes.
pub(super) fn is_html(head_lower: &str) -> bool {
    let t = head_lower.trim_start();
    t.starts_with("<html") || t.starts_with("<!doctype html") || head_lower.contains("<table") || head_lower.contains("<html")
}

/// Reads an HTML page as one sheet.
///
/// # Errors
/// [`ReadError::TooLarge`] past the limits; [`ReadError::NotSpreadsheet`] when the page shows no text.
pub(super) fn read(bytes: &[u8], limits: &Limits) -> Result<Workbook, ReadError> {
    let sheet = read_page(&decode_html(bytes), limits)?;
    Ok(Workbook { format: Format::Html, sheets: vec![sheet] })
}

/// One page as a sheet (also the sheets of a web archive).
pub(super) fn read_page(text: &str, limits: &Limits) -> Result<Sheet, ReadError> {
    check_budget(text.as_bytes(), limits)?;
    let page = Html::parse_document(text);
    let mut layout = Layout { budget: limits.max_fields, ..Layout::default() };
    layout.page(page.tree.root())?;
    if layout.cells.is_empty() {
        return Err(ReadError::NotSpreadsheet("不含表格内容的网页".into()));
    }
    if layout.cells.len() > limits.max_cells {
        return Err(limits.too_many_cells());
    }
    let name = title(page.tree.root()).unwrap_or_else(|| "Sheet1".to_string());
    Ok(Sheet::new(name, Visibility::Visible, Grid::new(layout.cells, layout.merges, limits), None))
}

/// Counts elements (with their attributes) and table cells, without building anything.
fn check_budget(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    let (mut elements, mut cells) = (0usize, 0usize);
    let mut i = 0;
    while let Some(at) = bytes[i..].iter().position(|b| *b == b'<') {
        i += at + 1;
        if !bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        elements += 1;
        let name_end = bytes[i..].iter().position(|b| !b.is_ascii_alphanumeric()).map_or(bytes.len(), |n| i + n);
        if name_end - i == 2 && matches!(&bytes[i..name_end].to_ascii_lowercase()[..], b"td" | b"th") {
            cells += 1;
        }
        let tag_end = bytes[name_end..].iter().position(|b| *b == b'>').map_or(bytes.len(), |n| name_end + n);
        elements += bytes[name_end..tag_end].iter().filter(|b| **b == b'=').count();
        if cells > limits.max_fields {
            return Err(limits.too_many_fields());
        }
        if elements > limits.max_markup_elements {
            return Err(limits.too_many_elements());
        }
        i = tag_end;
    }
    Ok(())
}

/// The text of an HTML page, decoded as a browser decodes it: BOM, then a `<meta>` charset in the first
/// 1024 bytes, then UTF-8 when the bytes are valid UTF-8, then GB18030.
pub(super) fn decode_html(bytes: &[u8]) -> Cow<'_, str> {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc.decode_without_bom_handling(&bytes[bom..]).0;
    }
    if let Some(enc) = meta_charset(&bytes[..bytes.len().min(1024)]) {
        return enc.decode_without_bom_handling(bytes).0;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => encoding_rs::GB18030.decode_without_bom_handling(bytes).0,
    }
}

/// The charset a `<meta charset=…>` or `<meta http-equiv="Content-Type" content="…; charset=…">` names.
/// UTF-16 named in a page readable as ASCII means UTF-8, as the HTML standard has it.
fn meta_charset(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(at) = find(&lower[from..], b"<meta") {
        let start = from + at + 5;
        let end = lower[start..].iter().position(|b| *b == b'>').map_or(lower.len(), |n| start + n);
        let tag = &lower[start..end];
        if let Some(c) = find(tag, b"charset") {
            let rest = &tag[c + 7..];
            let rest = rest.trim_ascii_start();
            if let Some(rest) = rest.strip_prefix(b"=") {
                let rest = rest.trim_ascii_start();
                let rest = rest.strip_prefix(b"\"").or_else(|| rest.strip_prefix(b"'")).unwrap_or(rest);
                let label_end = rest.iter().position(|b| matches!(b, b'"' | b'\'' | b';' | b' ' | b'/' | b'>')).unwrap_or(rest.len());
                if let Some(enc) = encoding_rs::Encoding::for_label(&rest[..label_end]) {
                    let utf16 = enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE;
                    return Some(if utf16 { encoding_rs::UTF_8 } else { enc.output_encoding() });
                }
            }
        }
        from = end;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The page's `<title>`, made a valid sheet name: no `[]:*?/\`, at most 31 characters.
fn title(root: NodeRef<'_, Node>) -> Option<String> {
    let node = root.descendants().find(|n| n.value().as_element().is_some_and(|e| e.name() == "title"))?;
    let mut text = Lines::default();
    for n in node.descendants() {
        if let Node::Text(t) = n.value() {
            text.push(&t.text);
        }
    }
    let name: String = text.finish().chars().filter(|c| !"[]:*?/\\\n".contains(*c)).collect();
    let name: String = name.trim().chars().take(31).collect();
    let name = name.trim().to_string();
    (!name.is_empty()).then_some(name)
}

fn element_name<'a>(n: &NodeRef<'a, Node>) -> Option<&'a str> {
    n.value().as_element().map(|e| e.name())
}

/// Elements whose text a browser shows on lines of its own.
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "caption" | "li" | "ul" | "ol" | "dl" | "dt" | "dd"
            | "blockquote" | "pre" | "center" | "address" | "section" | "article" | "header" | "footer" | "nav"
            | "form" | "fieldset" | "legend" | "hr" | "table" | "tr" | "body" | "main" | "figure" | "figcaption"
    )
}

/// Elements whose content a browser does not show.
fn is_hidden(name: &str) -> bool {
    matches!(name, "head" | "script" | "style" | "template" | "noscript" | "title" | "xml")
}

/// Text as a browser lays it out: runs of white space collapsed to one space, `<br>` and block boundaries
/// as line breaks, each line trimmed.
#[derive(Default)]
struct Lines {
    out: String,
    space: bool,
}

impl Lines {
    fn at_line_start(&self) -> bool {
        self.out.is_empty() || self.out.ends_with('\n')
    }

    fn push(&mut self, text: &str) {
        for c in text.chars() {
            if matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{0C}') {
                self.space = true;
            } else {
                if self.space && !self.at_line_start() {
                    self.out.push(' ');
                }
                self.space = false;
                self.out.push(c);
            }
        }
    }

    /// A `<br>`: always a new line.
    fn hard_break(&mut self) {
        self.out.push('\n');
        self.space = false;
    }

    /// A block boundary: a new line unless one has just begun.
    fn soft_break(&mut self) {
        if !self.at_line_start() {
            self.out.push('\n');
        }
        self.space = false;
    }

    /// Between two cells of a nested table.
    fn soft_space(&mut self) {
        self.space = true;
    }

    fn finish(self) -> String {
        self.out.trim_matches('\n').to_string()
    }
}

/// The text of a table cell: its nested tables flattened, rows on lines, cells separated by spaces.
fn cell_text(cell: NodeRef<'_, Node>) -> String {
    let mut lines = Lines::default();
    let mut hidden: Option<ego_tree::NodeId> = None;
    for edge in cell.traverse() {
        match edge {
            Edge::Open(n) if n.id() == cell.id() => {}
            Edge::Close(n) if n.id() == cell.id() => {}
            Edge::Open(n) if hidden.is_none() => match n.value() {
                Node::Text(t) => lines.push(&t.text),
                Node::Element(e) => match e.name() {
                    "br" => lines.hard_break(),
                    "td" | "th" => lines.soft_space(),
                    name if is_hidden(name) => hidden = Some(n.id()),
                    name if is_block(name) => lines.soft_break(),
                    _ => {}
                },
                _ => {}
            },
            Edge::Close(n) => {
                if hidden == Some(n.id()) {
                    hidden = None;
                } else if hidden.is_none() && element_name(&n).is_some_and(is_block) {
                    lines.soft_break();
                }
            }
            Edge::Open(_) => {}
        }
    }
    lines.finish()
}

/// The sheet being laid out: text outside tables, then each table, row after row.
#[derive(Default)]
struct Layout {
    cells: Vec<(CellRef, Value)>,
    merges: Vec<Rect>,
    /// The next free row.
    row: u32,
    /// Text outside tables not yet written.
    text: Lines,
    /// Grid positions still to be spent: each column a cell spans and each one a rowspan above makes a
    /// cell pass over costs one, so that spans cannot make the layout's work unbounded.
    budget: usize,
}

impl Layout {
    fn page(&mut self, root: NodeRef<'_, Node>) -> Result<(), ReadError> {
        // A subtree the walk skips (a table, laid out on its own; something hidden) until it closes.
        let mut skip: Option<ego_tree::NodeId> = None;
        for edge in root.traverse() {
            match edge {
                Edge::Close(n) if skip == Some(n.id()) => skip = None,
                _ if skip.is_some() => {}
                Edge::Open(n) => match n.value() {
                    Node::Text(t) => self.text.push(&t.text),
                    Node::Element(e) => match e.name() {
                        "table" => {
                            self.flush_text();
                            self.table(n)?;
                            skip = Some(n.id());
                        }
                        "br" => self.text.hard_break(),
                        name if is_hidden(name) => skip = Some(n.id()),
                        name if is_block(name) => self.text.soft_break(),
                        _ => {}
                    },
                    _ => {}
                },
                Edge::Close(n) => {
                    if element_name(&n).is_some_and(is_block) {
                        self.text.soft_break();
                    }
                }
            }
        }
        self.flush_text();
        Ok(())
    }

    fn spend(&mut self, positions: usize) -> Result<(), ReadError> {
        self.budget = self.budget.checked_sub(positions).ok_or_else(|| ReadError::TooLarge("网页表格的合并单元格过多".into()))?;
        Ok(())
    }

    /// Writes the text gathered outside tables, a row a line, in column A.
    fn flush_text(&mut self) {
        let text = std::mem::take(&mut self.text).finish();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            self.cells.push((CellRef::new(self.row, 0), Value::Text(line.to_string())));
            self.row = self.row.saturating_add(1);
        }
    }

    /// Lays out one table below what is already there: its caption, then its rows.
    fn table(&mut self, table: NodeRef<'_, Node>) -> Result<(), ReadError> {
        let mut rows = Vec::new();
        for child in table.children() {
            match element_name(&child) {
                Some("caption") => {
                    self.text.push(&cell_text(child));
                    self.flush_text();
                }
                Some("tr") => rows.push(child),
                Some("thead" | "tbody" | "tfoot") => rows.extend(child.children().filter(|r| element_name(r) == Some("tr"))),
                _ => {}
            }
        }
        let first = self.row;
        let last = first.saturating_add(u32::try_from(rows.len()).unwrap_or(u32::MAX)).saturating_sub(1);
        // For each column, the first table row at which a rowspan above no longer covers it.
        let mut busy: Vec<u32> = Vec::new();
        for (r, tr) in rows.into_iter().enumerate() {
            let r = u32::try_from(r).unwrap_or(u32::MAX);
            let mut col = 0u32;
            for cell in tr.children().filter(|c| matches!(element_name(c), Some("td" | "th"))) {
                let start = col;
                while busy.get(col as usize).is_some_and(|b| *b > r) {
                    col += 1;
                }
                let colspan = span(cell, "colspan", MAX_COLSPAN);
                self.spend((col - start + colspan) as usize)?;
                let rowspan = span(cell, "rowspan", MAX_ROWSPAN);
                if col.saturating_add(colspan) > MAX_COLUMNS {
                    return Err(ReadError::TooLarge(format!("网页表格超过 {MAX_COLUMNS} 列")));
                }
                let end = (col + colspan) as usize;
                if busy.len() < end {
                    busy.resize(end, 0);
                }
                busy[col as usize..end].fill(r.saturating_add(rowspan));
                let pos = CellRef::new(first.saturating_add(r), col);
                if colspan > 1 || rowspan > 1 {
                    let bottom = pos.row.saturating_add(rowspan - 1).min(last);
                    self.merges.push(Rect::new(pos, CellRef::new(bottom, col + colspan - 1)));
                }
                self.cells.push((pos, Value::Text(cell_text(cell))));
                col += colspan;
            }
        }
        self.row = if last >= first { last.saturating_add(1) } else { first };
        Ok(())
    }
}

/// A cell's colspan or rowspan as a browser reads it: a number from 1 to `max`, 1 when absent or not a
/// number; a rowspan of 0 reaches the end of the table.
fn span(cell: NodeRef<'_, Node>, attr: &str, max: u32) -> u32 {
    let raw = cell.value().as_element().and_then(|e| e.attr(attr)).unwrap_or("");
    let digits: String = raw.trim().chars().take_while(char::is_ascii_digit).collect();
    match digits.parse::<u32>() {
        Ok(0) if attr == "rowspan" => max,
        Ok(n) => n.clamp(1, max),
        Err(_) => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid_text(wb: &Workbook) -> Vec<(u32, u32, String)> {
        wb.sheets[0].grid.cells().iter().map(|c| (c.pos.row, c.pos.col, c.value.to_text())).collect()
    }

    #[test]
    fn unclosed_cells_rowspan_shifting_and_text_outside_tables() {
        let page = "<html><head><title>成都市 [台账]</title><style>td{mso-number-format:\\@}</style></head><body>\
            <h1>四川省重点消费品质量提升台账</h1><p>填报单位:成都市  2018年第三季度</p>\
            <table><caption>附件2</caption><tr><th rowspan=2>序号<th colspan=2>企业\n  名称\
            <tr><td>甲<td>乙\
            <tr><td>0012<td>四川<br>甲公司<td>&amp;&nbsp;x</table><div>备注:无</div></body></html>";
        let wb = read(page.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(wb.format, Format::Html);
        assert_eq!(wb.sheets[0].name, "成都市 台账");
        let t = |r, c| wb.sheets[0].grid.get(CellRef::new(r, c)).map(|x| x.value.to_text());
        assert_eq!(t(0, 0).as_deref(), Some("四川省重点消费品质量提升台账"));
        assert_eq!(t(1, 0).as_deref(), Some("填报单位:成都市 2018年第三季度"));
        assert_eq!(t(2, 0).as_deref(), Some("附件2"));
        assert_eq!(t(3, 1).as_deref(), Some("企业 名称"));
        assert_eq!(t(3, 2).as_deref(), Some("企业 名称"), "colspan is a merged range");
        assert_eq!(t(4, 0).as_deref(), Some("序号"), "rowspan is a merged range");
        assert_eq!(t(4, 1).as_deref(), Some("甲"), "the cells of a row under a rowspan shift right");
        assert_eq!(t(4, 2).as_deref(), Some("乙"));
        assert_eq!(t(5, 0).as_deref(), Some("0012"), "codes keep their leading zeros");
        assert_eq!(t(5, 1).as_deref(), Some("四川\n甲公司"));
        assert_eq!(t(5, 2).as_deref(), Some("& x"));
        assert_eq!(t(6, 0).as_deref(), Some("备注:无"));
    }

    #[test]
    fn encodings_bom_meta_and_fallback() {
        let page = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"></head><body><table><tr><td>绵阳市</td></tr></table></body></html>";
        let gbk = encoding_rs::GBK.encode(page).0.into_owned();
        let bom = [b"\xEF\xBB\xBF".as_slice(), page.replace("gb2312", "gbk").as_bytes()].concat();
        let meta5 = encoding_rs::GBK.encode(&page.replace("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">", "<meta charset=gb2312>")).0.into_owned();
        let unlabelled = encoding_rs::GBK.encode(&page.replace("charset=gb2312", "")).0.into_owned();
        let utf8 = page.replace("charset=gb2312", "").into_bytes();
        for bytes in [gbk, bom, meta5, unlabelled, utf8] {
            let wb = read(&bytes, &Limits::default()).unwrap();
            assert_eq!(grid_text(&wb), vec![(0, 0, "绵阳市".to_string())]);
        }
    }

    #[test]
    fn nested_tables_flatten_into_their_cell() {
        let page = "<table><tr><td>外<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table></td><td>右</td></tr></table>";
        let wb = read(page.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(grid_text(&wb), vec![(0, 0, "外\na b\nc".to_string()), (0, 1, "右".to_string())]);
    }

    #[test]
    fn empty_cells_and_elements_count_against_the_budgets() {
        let page = format!("<table><tr>{}</tr></table>", "<td></td>".repeat(1000));
        assert!(matches!(read(page.as_bytes(), &Limits { max_fields: 999, ..Limits::default() }), Err(ReadError::TooLarge(_))));
        assert!(matches!(read(page.as_bytes(), &Limits { max_markup_elements: 999, ..Limits::default() }), Err(ReadError::TooLarge(_))));
        let wide = "<table><tr><td colspan=1000>a</td></tr></table>";
        assert!(read(wide.as_bytes(), &Limits::default()).is_ok());
        let covering = format!(
            "<table><tr>{}</tr>{}</table>",
            "<td colspan=1000 rowspan=65534></td>".repeat(16),
            "<tr><td>x</td></tr>".repeat(100)
        );
        assert!(matches!(read(covering.as_bytes(), &Limits::default()), Err(ReadError::TooLarge(_))), "positions passed under rowspans are spent");
        let too_wide = format!("<table><tr>{}</tr></table>", "<td colspan=1000>a</td>".repeat(17));
        assert!(matches!(read(too_wide.as_bytes(), &Limits::default()), Err(ReadError::TooLarge(_))));
    }
}
