//! Text files: CSV in UTF-8 (with or without BOM) or GB18030, and the HTML and XML that systems export
//! under an xls name, which are named rather than misread.

use crate::cell::CellRef;

use super::error::{ReadError, corrupt};
use super::grid::{Format, Grid, Limits, Sheet, Value, Visibility, Workbook};

/// CSV in UTF-8 (with or without BOM) or GB18030, comma, tab or semicolon separated.
pub(super) fn read_text(bytes: &[u8], limits: &Limits) -> Result<Workbook, ReadError> {
    let text = decode_text(bytes);
    let trimmed = text.trim_start();
    let lower: String = trimmed.chars().take(200).collect::<String>().to_ascii_lowercase();
    if lower.starts_with("<?xml") && text.contains("office:document") {
        return Err(ReadError::Unsupported("OpenDocument 平面 XML(fods)".into()));
    }
    if lower.starts_with("<html") || lower.starts_with("<!doctype html") || lower.contains("<table") {
        return Err(ReadError::Unsupported("网页(HTML)格式,常见于系统导出的“xls”文件".into()));
    }
    if lower.starts_with("<?xml") {
        return Err(ReadError::Unsupported("XML 表格".into()));
    }
    let delimiter = sniff_delimiter(&text);
    let mut rdr = ::csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut cells = Vec::new();
    for (r, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(corrupt)?;
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
    Ok(Workbook { format: Format::Csv, sheets: vec![Sheet { name: "csv".into(), visibility: Visibility::Visible, grid, error: None, formulas_without_value: Vec::new(), total_rows: Vec::new() }] })
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
    fn html_disguised_as_xls_is_named() {
        let e = read_bytes(b"<html><table><tr><td>1</td></tr></table></html>".to_vec(), &Limits::default()).unwrap_err();
        assert!(matches!(e, ReadError::Unsupported(_)));
    }
}
