//! Excel 2003 XML (SpreadsheetML): `<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">`, saved
//! by Excel 2003–2019 as "XML 电子表格 2003" and by systems that export "Excel" without a library, under an
//! .xml or .xls name.
//!
//! The file is streamed with quick-xml, never held as a tree: a `Worksheet` is a sheet, a `Row` and a `Cell`
//! advance the position unless `ss:Index` (1-based) places them, `ss:MergeAcross`/`ss:MergeDown` are merged
//! ranges, `Data ss:Type` gives the value (rich text `ss:Data` holds HTML tags, of which the text counts),
//! and `WorksheetOptions/Visible` hides a sheet. A cell with `ss:Formula` and no `Data` holds a formula
//! whose value the file does not hold. Every `Row` and `Cell`, empty ones included, counts against
//! [`Limits::max_fields`], so that millions of empty `<Cell/>` are refused before they cost time.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::cell::CellRef;

use super::error::{ReadError, corrupt};
use super::grid::{Format, Grid, Limits, Rect, Sheet, Value, Visibility, Workbook};

/// Excel's widest sheet: columns past it are not followed for merges.
const MAX_COLUMNS: usize = 16_384;

/// Whether decoded text is an Excel 2003 XML workbook (looked for in its first few kilobytes).
pub(super) fn is_spreadsheetml(head: &str) -> bool {
    head.contains("urn:schemas-microsoft-com:office:spreadsheet") || head.contains("progid=\"Excel.Sheet\"")
}

/// Reads an Excel 2003 XML workbook.
///
/// # Errors
/// [`ReadError::Corrupt`] when the XML is not well-formed, [`ReadError::TooLarge`] past the limits,
/// [`ReadError::NotSpreadsheet`] when it holds no worksheet.
pub(super) fn read(bytes: &[u8], limits: &Limits) -> Result<Workbook, ReadError> {
    let text = decode_xml(bytes);
    let mut reader = Reader::from_str(&text);
    let mut state = State::default();
    let mut events = 0u64;
    loop {
        events += 1;
        if events % 65_536 == 0 {
            limits.in_time()?;
        }
        match reader.read_event().map_err(|e| corrupt(format!("XML: {e}")))? {
            Event::Start(e) => state.start(&e, false, limits)?,
            Event::Empty(e) => state.start(&e, true, limits)?,
            Event::End(e) => state.end(e.local_name().as_ref(), limits)?,
            Event::Text(t) => state.text(&t.xml10_content()),
            Event::CData(t) => state.text(&t.xml10_content()),
            Event::GeneralRef(r) => {
                if let Some(c) = entity(&r) {
                    state.text(c.encode_utf8(&mut [0; 4]));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if state.sheets.is_empty() {
        return Err(ReadError::NotSpreadsheet("不含工作表的 XML 文件".into()));
    }
    Ok(Workbook { format: Format::Xml2003, sheets: state.sheets })
}

/// The character of an entity reference: a character reference or one of XML's five named entities.
fn entity(r: &quick_xml::events::BytesRef<'_>) -> Option<char> {
    if r.is_char_ref() {
        return r.resolve_char_ref().ok().flatten();
    }
    quick_xml::escape::resolve_predefined_entity(r).and_then(|s| s.chars().next())
}

/// The text of an XML file: a BOM says its encoding, else the declaration's `encoding="…"`, else UTF-8 when
/// it is valid UTF-8, else GB18030 (what Chinese Windows writes).
pub(super) fn decode_xml(bytes: &[u8]) -> Cow<'_, str> {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc.decode_without_bom_handling(&bytes[bom..]).0;
    }
    // UTF-16 without a BOM starts with "<" next to a zero byte.
    if bytes.starts_with(b"<\0") {
        return encoding_rs::UTF_16LE.decode_without_bom_handling(bytes).0;
    }
    if bytes.starts_with(b"\0<") {
        return encoding_rs::UTF_16BE.decode_without_bom_handling(bytes).0;
    }
    match declared_encoding(&bytes[..bytes.len().min(512)]) {
        // A declaration readable as ASCII cannot be UTF-16, whatever it says.
        Some(enc) if enc != encoding_rs::UTF_8 && enc != encoding_rs::UTF_16LE && enc != encoding_rs::UTF_16BE => {
            enc.decode_without_bom_handling(bytes).0
        }
        _ => match std::str::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => encoding_rs::GB18030.decode_without_bom_handling(bytes).0,
        },
    }
}

/// The encoding an XML declaration names: `<?xml version="1.0" encoding="gb2312"?>`.
fn declared_encoding(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = std::str::from_utf8(head).unwrap_or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default());
    let decl = head.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let at = decl.find("encoding")? + "encoding".len();
    let rest = decl[at..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let label = rest[1..].split(quote).next()?;
    encoding_rs::Encoding::for_label(label.trim().as_bytes())
}

/// An attribute's value by local name (`ss:Index` and `Index` alike), unescaped.
fn attr<'a>(e: &'a BytesStart<'_>, local: &str) -> Option<Cow<'a, str>> {
    e.attributes().flatten().find(|a| a.key.local_name().as_ref() == local).map(|a| match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
        Ok(v) => Cow::Owned(v.into_owned()),
        Err(_) => Cow::Owned(a.value.into_owned()),
    })
}

/// A 1-based index or a count from an attribute, when it is a number.
fn attr_u32(e: &BytesStart<'_>, local: &str) -> Option<u32> {
    attr(e, local).and_then(|v| v.trim().parse::<u32>().ok())
}

/// The cell being read.
struct OpenCell {
    pos: CellRef,
    formula: bool,
    /// `ss:Type` of its `Data`, once one has opened, and the text gathered inside it.
    data: Option<(String, String)>,
}

/// The sheet being read.
#[derive(Default)]
struct OpenSheet {
    name: String,
    visibility: Option<Visibility>,
    cells: Vec<(CellRef, Value)>,
    merges: Vec<Rect>,
    formulas_without_value: Vec<CellRef>,
    /// For each column, the first row no longer covered by a `MergeDown` above (Excel's 16,384 columns).
    covered: Vec<u32>,
}

#[derive(Default)]
struct State {
    sheets: Vec<Sheet>,
    sheet: Option<OpenSheet>,
    /// The next row's zero-based index, and the open row's.
    next_row: u32,
    row: u32,
    /// Rows the open row stands for beyond itself (`ss:Span`).
    row_span: u32,
    col: u32,
    cell: Option<OpenCell>,
    /// Depth inside the open cell's `Data` (its rich text may nest tags), 0 outside.
    data_depth: usize,
    in_comment: bool,
    /// Inside `WorksheetOptions/Visible`: its text is the sheet's visibility.
    visible_text: Option<String>,
    fields: usize,
}

impl State {
    fn start(&mut self, e: &BytesStart<'_>, empty: bool, limits: &Limits) -> Result<(), ReadError> {
        let name = e.local_name();
        let name = name.as_ref();
        if self.data_depth > 0 {
            // A tag of rich text inside Data: its text counts, the tag does not.
            if !empty {
                self.data_depth += 1;
            }
            return Ok(());
        }
        match name {
            "Worksheet" => {
                self.finish_sheet(limits);
                self.sheet = Some(OpenSheet { name: attr(e, "Name").map(|n| n.into_owned()).unwrap_or_default(), ..OpenSheet::default() });
                self.next_row = 0;
                if empty {
                    self.finish_sheet(limits);
                }
            }
            "Row" if self.sheet.is_some() => {
                self.count_field(limits)?;
                self.row = attr_u32(e, "Index").map_or(self.next_row, |i| i.saturating_sub(1));
                self.row_span = attr_u32(e, "Span").unwrap_or(0);
                self.col = 0;
                if empty {
                    self.end_row();
                }
            }
            "Cell" if self.sheet.is_some() => {
                self.count_field(limits)?;
                self.start_cell(e, empty, limits)?;
            }
            "Data" if self.cell.is_some() && !self.in_comment => {
                let typ = attr(e, "Type").map(|t| t.into_owned()).unwrap_or_default();
                if let Some(cell) = self.cell.as_mut() {
                    cell.data = Some((typ, String::new()));
                }
                if !empty {
                    self.data_depth = 1;
                }
            }
            "Comment" if !empty => self.in_comment = true,
            "Visible" if !empty && self.sheet.is_some() => self.visible_text = Some(String::new()),
            _ => {}
        }
        Ok(())
    }

    fn count_field(&mut self, limits: &Limits) -> Result<(), ReadError> {
        self.fields += 1;
        if self.fields > limits.max_fields { Err(limits.too_many_fields()) } else { Ok(()) }
    }

    fn start_cell(&mut self, e: &BytesStart<'_>, empty: bool, limits: &Limits) -> Result<(), ReadError> {
        if let Some(i) = attr_u32(e, "Index") {
            self.col = i.saturating_sub(1);
        } else {
            self.pass_covered(limits)?;
        }
        let pos = CellRef::new(self.row, self.col);
        let across = attr_u32(e, "MergeAcross").unwrap_or(0);
        let down = attr_u32(e, "MergeDown").unwrap_or(0);
        if (across > 0 || down > 0)
            && let Some(sheet) = self.sheet.as_mut()
        {
            let last = CellRef::new(self.row.saturating_add(down), self.col.saturating_add(across));
            sheet.merges.push(Rect::new(pos, last));
        }
        if down > 0 {
            self.cover(self.col, self.col.saturating_add(across), self.row.saturating_add(down).saturating_add(1), limits)?;
        }
        let formula = attr(e, "Formula").is_some();
        self.col = self.col.saturating_add(across).saturating_add(1);
        self.cell = Some(OpenCell { pos, formula, data: None });
        if empty {
            self.end_cell();
        }
        Ok(())
    }

    /// A cell without an index passes over the columns a MergeDown above covers: LibreOffice writes no
    /// index there (Excel writes one, which places the cell itself). Each column passed counts as a field.
    fn pass_covered(&mut self, limits: &Limits) -> Result<(), ReadError> {
        let Some(sheet) = self.sheet.as_ref() else { return Ok(()) };
        let mut passed = 0;
        while sheet.covered.get(self.col as usize).is_some_and(|until| *until > self.row) {
            self.col += 1;
            passed += 1;
        }
        self.fields += passed;
        if self.fields > limits.max_fields { Err(limits.too_many_fields()) } else { Ok(()) }
    }

    /// Notes columns `first..=last` (within Excel's 16,384) as covered up to row `until` (exclusive); each
    /// column noted counts as a field.
    fn cover(&mut self, first: u32, last: u32, until: u32, limits: &Limits) -> Result<(), ReadError> {
        let Some(sheet) = self.sheet.as_mut() else { return Ok(()) };
        let (first, end) = (first as usize, (last as usize).min(MAX_COLUMNS - 1) + 1);
        if first >= end {
            return Ok(());
        }
        if sheet.covered.len() < end {
            sheet.covered.resize(end, 0);
        }
        for c in &mut sheet.covered[first..end] {
            *c = (*c).max(until);
        }
        self.fields += end - first;
        if self.fields > limits.max_fields { Err(limits.too_many_fields()) } else { Ok(()) }
    }

    fn text(&mut self, t: &str) {
        if self.data_depth > 0
            && let Some((_, text)) = self.cell.as_mut().and_then(|c| c.data.as_mut())
        {
            text.push_str(t);
        } else if let Some(v) = self.visible_text.as_mut() {
            v.push_str(t);
        }
    }

    fn end(&mut self, name: &str, limits: &Limits) -> Result<(), ReadError> {
        if self.data_depth > 0 {
            self.data_depth -= 1;
            return Ok(());
        }
        match name {
            "Cell" => self.end_cell(),
            "Row" => self.end_row(),
            "Comment" => self.in_comment = false,
            "Visible" => {
                if let (Some(v), Some(sheet)) = (self.visible_text.take(), self.sheet.as_mut()) {
                    sheet.visibility = match v.trim() {
                        "SheetHidden" => Some(Visibility::Hidden),
                        "SheetVeryHidden" => Some(Visibility::VeryHidden),
                        _ => sheet.visibility,
                    };
                }
            }
            "Worksheet" => self.finish_sheet(limits),
            _ => {}
        }
        if self.sheet.as_ref().is_some_and(|s| s.cells.len() > limits.max_cells) {
            return Err(limits.too_many_cells());
        }
        Ok(())
    }

    fn end_row(&mut self) {
        self.next_row = self.row.saturating_add(self.row_span).saturating_add(1);
        self.col = 0;
    }

    fn end_cell(&mut self) {
        let (Some(cell), Some(sheet)) = (self.cell.take(), self.sheet.as_mut()) else { return };
        match cell.data {
            Some((typ, text)) => sheet.cells.push((cell.pos, value(&typ, text))),
            None if cell.formula => sheet.formulas_without_value.push(cell.pos),
            None => {}
        }
    }

    fn finish_sheet(&mut self, limits: &Limits) {
        let Some(s) = self.sheet.take() else { return };
        let name = if s.name.trim().is_empty() { format!("Sheet{}", self.sheets.len() + 1) } else { s.name };
        let mut formulas = s.formulas_without_value;
        formulas.sort_unstable();
        formulas.dedup();
        let mut sheet = Sheet::new(name, s.visibility.unwrap_or(Visibility::Visible), Grid::new(s.cells, s.merges, limits), None);
        sheet.formulas_without_value = formulas;
        self.sheets.push(sheet);
    }
}

/// A `Data` element's value by its `ss:Type`: numbers and dates typed, everything else the text it holds.
fn value(typ: &str, text: String) -> Value {
    match typ {
        "Number" => text.trim().parse::<f64>().map_or(Value::Text(text), Value::Number),
        "DateTime" => {
            let t = text.trim();
            chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").map(|d| d.and_time(chrono::NaiveTime::MIN)))
                .map_or(Value::Text(text), Value::DateTime)
        }
        "Boolean" => match text.trim() {
            "1" | "true" | "TRUE" => Value::Bool(true),
            "0" | "false" | "FALSE" => Value::Bool(false),
            _ => Value::Text(text),
        },
        "Error" => Value::Error(text.trim().to_string()),
        _ => Value::Text(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"<?xml version="1.0"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet" xmlns:x="urn:schemas-microsoft-com:office:excel" xmlns:html="http://www.w3.org/TR/REC-html40">"#;

    fn text_at(s: &Sheet, r: u32, c: u32) -> Option<String> {
        s.grid.get(CellRef::new(r, c)).map(|c| c.value.to_text())
    }

    #[test]
    fn index_gaps_merges_types_and_rich_text() {
        let xml = format!(
            r#"{HEAD}<Worksheet ss:Name="附件2"><Table>
<Row><Cell ss:MergeAcross="2"><Data ss:Type="String">四川省重点消费品质量提升台账</Data></Cell></Row>
<Row ss:Index="3"><Cell><Data ss:Type="String">0012</Data></Cell><Cell ss:Index="3"><Data ss:Type="Number">95.5</Data></Cell>
<Cell ss:MergeDown="1"><ss:Data ss:Type="String" xmlns="http://www.w3.org/TR/REC-html40"><B>白</B><Font>酒</Font></ss:Data><Comment><Data>批注</Data></Comment></Cell></Row>
<Row><Cell><Data ss:Type="DateTime">2018-09-30T00:00:00.000</Data></Cell><Cell><Data ss:Type="Boolean">1</Data></Cell>
<Cell><Data ss:Type="Error">#N/A</Data></Cell><Cell ss:Formula="=SUM(R1C1:R2C1)"/></Row>
</Table></Worksheet></Workbook>"#
        );
        let wb = read(xml.as_bytes(), &Limits::default()).unwrap();
        let s = &wb.sheets[0];
        assert_eq!((wb.format, s.name.as_str()), (Format::Xml2003, "附件2"));
        assert_eq!(text_at(s, 0, 2).as_deref(), Some("四川省重点消费品质量提升台账"), "merged across");
        assert_eq!(text_at(s, 2, 0).as_deref(), Some("0012"), "strings keep leading zeros");
        assert_eq!(s.grid.get(CellRef::new(2, 2)).unwrap().value, Value::Number(95.5));
        assert_eq!(text_at(s, 2, 3).as_deref(), Some("白酒"), "rich text, comment left out");
        assert_eq!(text_at(s, 3, 3).as_deref(), Some("白酒"), "merged down");
        assert_eq!(text_at(s, 3, 0).as_deref(), Some("2018-09-30"));
        assert_eq!(s.grid.get(CellRef::new(3, 1)).unwrap().value, Value::Bool(true));
        assert_eq!(s.grid.get(CellRef::new(3, 2)).unwrap().value, Value::Error("#N/A".into()));
        // The formula cell has no index: it passes over D4, covered by the MergeDown above, as LibreOffice
        // means it to.
        assert_eq!(s.formulas_without_value, vec![CellRef::new(3, 4)]);
    }

    #[test]
    fn hidden_sheets_and_encodings() {
        let xml = format!(
            r#"{HEAD}<Worksheet ss:Name="甲"><Table><Row><Cell><Data ss:Type="String">成都</Data></Cell></Row></Table></Worksheet>
<Worksheet ss:Name="乙"><Table/><WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Visible>SheetHidden</Visible></WorksheetOptions></Worksheet>
<Worksheet ss:Name="丙"><WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Visible>SheetVeryHidden</Visible></WorksheetOptions></Worksheet></Workbook>"#
        );
        let gbk = xml.replace("<?xml version=\"1.0\"?>", "<?xml version=\"1.0\" encoding=\"gb2312\"?>");
        let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain(xml.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        for bytes in [xml.as_bytes().to_vec(), encoding_rs::GBK.encode(&gbk).0.into_owned(), utf16] {
            let wb = read(&bytes, &Limits::default()).unwrap();
            let v: Vec<_> = wb.sheets.iter().map(|s| (s.name.as_str(), s.visibility)).collect();
            assert_eq!(v, vec![("甲", Visibility::Visible), ("乙", Visibility::Hidden), ("丙", Visibility::VeryHidden)]);
            assert_eq!(text_at(&wb.sheets[0], 0, 0).as_deref(), Some("成都"));
        }
    }

    #[test]
    fn positions_passed_under_a_merge_count_against_the_field_budget() {
        // One merge covering every column of 100,001 rows, then rows whose cells pass over all of them.
        let rows = "<Row><Cell><Data ss:Type=\"String\">x</Data></Cell></Row>".repeat(100);
        let xml = format!("{HEAD}<Worksheet ss:Name=\"a\"><Table><Row><Cell ss:MergeAcross=\"16383\" ss:MergeDown=\"100000\"/></Row>{rows}</Table></Worksheet></Workbook>");
        assert!(matches!(read(xml.as_bytes(), &Limits::default()), Err(ReadError::TooLarge(_))));
        let xml = format!("{HEAD}<Worksheet><Table><Row><Cell ss:MergeAcross=\"4294967295\" ss:MergeDown=\"1\"/></Row><Row><Cell/></Row></Table></Worksheet></Workbook>");
        assert!(read(xml.as_bytes(), &Limits::default()).is_ok(), "a merge past the last column ends there");
    }

    #[test]
    fn empty_cells_count_against_the_field_budget() {
        let xml = format!("{HEAD}<Worksheet ss:Name=\"a\"><Table><Row>{}</Row></Table></Worksheet></Workbook>", "<Cell/>".repeat(1000));
        let limits = Limits { max_fields: 500, ..Limits::default() };
        assert!(matches!(read(xml.as_bytes(), &limits), Err(ReadError::TooLarge(_))));
        assert!(read(xml.as_bytes(), &Limits::default()).is_ok());
    }
}
