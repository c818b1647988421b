//! Text files: CSV in UTF-8 (with or without BOM) or GB18030, and the HTML, web archives and Excel 2003
//! XML that systems export under an xls name, handed to their own readers rather than misread as CSV.

use crate::cell::CellRef;

use super::error::{ReadError, corrupt};
use super::{html, mhtml, spreadsheetml};
use super::grid::{Format, Grid, Limits, Sheet, Value, Visibility, Workbook};

/// Text: HTML, a web archive or Excel 2003 XML to their readers, else CSV in UTF-8 (with or without
/// BOM), UTF-16 (with BOM) or GB18030, comma, tab or semicolon separated.
pub(super) fn read_text(bytes: &[u8], limits: &Limits) -> Result<Workbook, ReadError> {
    if bytes.len() as u64 > limits.max_text_bytes {
        return Err(ReadError::TooLarge(format!("文本文件 {} MB,超过上限 {} MB", bytes.len() >> 20, limits.max_text_bytes >> 20)));
    }
    // What the text is, from its first few kilobytes (decoded enough to look).
    let head = spreadsheetml::decode_xml(&bytes[..bytes.len().min(4096)]);
    let head = head.trim_start_matches('\u{FEFF}').trim_start();
    let lower: String = head.chars().take(4096).collect::<String>().to_ascii_lowercase();
    if mhtml::is_mhtml(&lower) {
        return mhtml::read(bytes, limits);
    }
    if lower.starts_with("<?xml") && lower.contains("office:document") {
        return Err(ReadError::Unsupported("OpenDocument 平面 XML(fods)".into()));
    }
    if lower.starts_with("<?xml") && spreadsheetml::is_spreadsheetml(head) {
        return spreadsheetml::read(bytes, limits);
    }
    if html::is_html(&lower) {
        return html::read(bytes, limits);
    }
    if lower.starts_with("<?xml") {
        return Err(ReadError::Unsupported("XML 表格".into()));
    }
    within_line_limit(bytes, limits)?;
    let text = decode_text(bytes);
    let delimiter = sniff_delimiter(&text);
    if count_fields(text.as_bytes(), delimiter, limits.max_fields) > limits.max_fields {
        return Err(limits.too_many_fields());
    }
    let mut rdr = ::csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut cells = Vec::new();
    // Every field counts, empty ones included: a file of commas holds no value and still costs its fields.
    let mut fields = 0usize;
    for (r, rec) in rdr.records().enumerate() {
        if r % 4096 == 0 {
            limits.in_time()?;
        }
        let rec = rec.map_err(corrupt)?;
        fields += rec.len();
        if fields > limits.max_fields {
            return Err(limits.too_many_fields());
        }
        for (c, field) in rec.iter().enumerate() {
            if field.trim().is_empty() {
                continue;
            }
            if cells.len() >= limits.max_cells {
                return Err(limits.too_many_cells());
            }
            cells.push((CellRef::new(r as u32, c as u32), Value::Text(field.to_string())));
        }
    }
    if cells.is_empty() {
        return Err(ReadError::NotSpreadsheet("空白文本文件".into()));
    }
    let grid = Grid::new(cells, Vec::new(), limits);
    Ok(Workbook { format: Format::Csv, sheets: vec![Sheet::new("csv", Visibility::Visible, grid, None)] })
}

/// The fields of a CSV text, empty ones included, counted up to one past `max` without building a
/// record: a line of a million commas is a million fields, and a record of them costs memory to build.
/// 0 when its delimiters and line ends alone are fewer than `max` (nothing to count).
fn count_fields(text: &[u8], delimiter: u8, max: usize) -> usize {
    // An upper bound first (quoted delimiters count too): most files stop here.
    if text.iter().filter(|b| **b == delimiter || **b == b'\n').count() < max {
        return 0;
    }
    let mut rdr = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut out = [0u8; 4096];
    let (mut input, mut n) = (text, 0usize);
    loop {
        let (result, read, _) = rdr.read_field(input, &mut out);
        input = &input[read..];
        match result {
            csv_core::ReadFieldResult::Field { .. } => n += 1,
            csv_core::ReadFieldResult::End => return n,
            csv_core::ReadFieldResult::InputEmpty | csv_core::ReadFieldResult::OutputFull => {}
        }
        if n > max {
            return n;
        }
    }
}

/// A CSV file without a line longer than [`Limits::max_record_bytes`]: found by one scan for line ends
/// before anything is decoded or parsed.
fn within_line_limit(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    let longest = bytes.split(|b| *b == b'\n').map(<[u8]>::len).max().unwrap_or(0);
    if longest > limits.max_record_bytes {
        return Err(ReadError::TooLarge(format!("一行超过 {} KB", limits.max_record_bytes >> 10)));
    }
    Ok(())
}

/// UTF-8 when the bytes are valid UTF-8 (BOM removed), GB18030 otherwise — what Excel and WPS write on
/// Chinese Windows.
pub fn decode_text(bytes: &[u8]) -> String {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => {
            if b.starts_with(b"\xFF\xFE") || b.starts_with(b"\xFE\xFF") {
                let enc = if b[0] == 0xFF { encoding_rs::UTF_16LE } else { encoding_rs::UTF_16BE };
                return enc.decode_with_bom_removal(b).0.into_owned();
            }
            encoding_rs::GB18030.decode_without_bom_handling(b).0.into_owned()
        }
    }
}

fn sniff_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text.lines().take(20).collect();
    let mut best = (b',', 0usize);
    for d in [b',', b'\t', b';', b'|'] {
        let n: usize = lines.iter().map(|l| l.bytes().filter(|b| *b == d).count()).sum();
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::read_bytes;

    #[test]
    fn csv_in_gb18030_and_utf8() {
        let text = "序号,提升企业名称\r\n1,四川甲公司\r\n";
        let (gbk, _, _) = encoding_rs::GB18030.encode(text);
        for bytes in [text.as_bytes().to_vec(), gbk.into_owned(), [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat()] {
            let wb = read_bytes(bytes, &Limits::default()).unwrap();
            assert_eq!(wb.format, Format::Csv);
            let g = &wb.sheets[0].grid;
            assert_eq!(g.get(CellRef::new(1, 1)).unwrap().value, Value::Text("四川甲公司".into()));
        }
    }

    #[test]
    fn html_and_xml_disguised_as_xls_go_to_their_readers() {
        let wb = read_bytes(b"<html><table><tr><td>1</td></tr></table></html>".to_vec(), &Limits::default()).unwrap();
        assert_eq!(wb.format, Format::Html);
        let xml = b"<?xml version=\"1.0\"?><Workbook xmlns=\"urn:schemas-microsoft-com:office:spreadsheet\"><Worksheet/></Workbook>";
        assert_eq!(read_bytes(xml.to_vec(), &Limits::default()).unwrap().format, Format::Xml2003);
        let fods = b"<?xml version=\"1.0\"?><office:document xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\"/>";
        assert!(matches!(read_bytes(fods.to_vec(), &Limits::default()), Err(ReadError::Unsupported(_))));
    }
}
