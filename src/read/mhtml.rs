//! Web archives (.mht, "单个文件网页") saved by Excel or WPS, sometimes renamed .xls: a MIME message
//! (`multipart/related`) whose HTML parts are the sheets, each read as [`super::html`] reads a page.
//!
//! Excel writes one part a sheet (`sheet001.htm`, …) beside a frameset page whose
//! `<x:ExcelWorksheet>` entries name each sheet and its part; a one-sheet workbook is a single page with
//! the table in it. Parts without a table (the frameset, the sheet tabs) are not sheets. mail-parser, the
//! project's MIME reader, decodes the parts and their charsets.

use std::collections::{HashMap, HashSet};

use mail_parser::{MessageParser, MimeHeaders, PartType};

use super::error::ReadError;
use super::grid::{Format, Limits, Workbook};
use super::html;

/// Whether a text's first kilobytes (lowercased) are the headers of a web archive.
pub(super) fn is_mhtml(head_lower: &str) -> bool {
    let header_like = head_lower.starts_with("mime-version:") || head_lower.starts_with("from:") || head_lower.starts_with("x-");
    header_like && head_lower.contains("multipart/related")
}

/// Reads a web archive's HTML parts as sheets.
///
/// # Errors
/// [`ReadError::NotSpreadsheet`] when no part holds a table; the errors of [`html::read_page`].
pub(super) fn read(bytes: &[u8], limits: &Limits) -> Result<Workbook, ReadError> {
    let message = MessageParser::default().parse(bytes).ok_or_else(|| ReadError::Corrupt("网页存档 (MHTML) 无法解析".into()))?;
    let pages: Vec<(Option<&str>, &str)> = message
        .parts
        .iter()
        .filter_map(|p| match &p.body {
            PartType::Html(h) => Some((p.content_location(), h.as_ref())),
            _ => None,
        })
        .collect();
    let names = sheet_names(pages.iter().map(|(_, h)| *h));
    let mut sheets = Vec::new();
    let mut used = HashSet::new();
    for (location, page) in pages {
        if !page.to_ascii_lowercase().contains("<table") {
            continue;
        }
        let mut sheet = html::read_page(page, limits)?;
        let file = location.map(|l| l.rsplit(['/', '\\', ':']).next().unwrap_or(l).to_ascii_lowercase());
        let named = file.and_then(|f| names.by_file.get(&f).cloned()).or_else(|| (names.all.len() == 1).then(|| names.all[0].clone()));
        if let Some(n) = named {
            sheet.name = n;
        }
        if !used.insert(sheet.name.clone()) {
            sheet.name = format!("{}({})", sheet.name, sheets.len() + 1);
        }
        sheets.push(sheet);
    }
    if sheets.is_empty() {
        return Err(ReadError::NotSpreadsheet("不含表格的网页存档".into()));
    }
    Ok(Workbook { format: Format::Mhtml, sheets })
}

/// The sheet names Excel lists in `<x:ExcelWorksheet>` entries: by the file name of each sheet's part,
/// and all of them in order.
#[derive(Default)]
struct Names {
    by_file: HashMap<String, String>,
    all: Vec<String>,
}

fn sheet_names<'a>(pages: impl Iterator<Item = &'a str>) -> Names {
    let mut names = Names::default();
    for page in pages {
        for entry in page.split("<x:ExcelWorksheet>").skip(1) {
            let entry = entry.split("</x:ExcelWorksheet>").next().unwrap_or(entry);
            let Some(name) = between(entry, "<x:Name>", "</x:Name>") else { continue };
            let name = quick_xml::escape::unescape(name.trim()).map_or_else(|_| name.trim().to_string(), |s| s.into_owned());
            if let Some(href) = between(entry, "HRef=\"", "\"") {
                let file = href.rsplit(['/', '\\', ':']).next().unwrap_or(href).to_ascii_lowercase();
                names.by_file.insert(file, name.clone());
            }
            names.all.push(name);
        }
    }
    names
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = s.find(open)? + open.len();
    let len = s[start..].find(close)?;
    Some(&s[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::CellRef;

    #[test]
    fn each_html_part_with_a_table_is_a_sheet_named_as_excel_lists_it() {
        let frameset = "<html xmlns:x=\"urn:schemas-microsoft-com:office:excel\"><head><!--[if gte mso 9]><xml><x:ExcelWorkbook><x:ExcelWorksheets>\
            <x:ExcelWorksheet><x:Name>附件2</x:Name><x:WorksheetSource HRef=\"file:///C:/x.files/sheet001.htm\"/></x:ExcelWorksheet>\
            <x:ExcelWorksheet><x:Name>附件1</x:Name><x:WorksheetSource HRef=\"file:///C:/x.files/sheet002.htm\"/></x:ExcelWorksheet>\
            </x:ExcelWorksheets></x:ExcelWorkbook></xml><![endif]--></head><frameset><frame src=\"x.files/sheet001.htm\"></frameset></html>";
        let sheet1 = "<html><body><table><tr><td>成都</td></tr></table></body></html>";
        let sheet2 = "<html><body><table><tr><td>任务</td></tr></table></body></html>";
        let mht = format!(
            "MIME-Version: 1.0\r\nX-Document-Type: Workbook\r\nContent-Type: multipart/related; boundary=\"----=_NextPart_01\"\r\n\r\n\
            ------=_NextPart_01\r\nContent-Location: file:///C:/x.htm\r\nContent-Type: text/html; charset=\"utf-8\"\r\n\r\n{frameset}\r\n\
            ------=_NextPart_01\r\nContent-Location: file:///C:/x.files/sheet002.htm\r\nContent-Type: text/html; charset=\"utf-8\"\r\n\r\n{sheet2}\r\n\
            ------=_NextPart_01\r\nContent-Location: file:///C:/x.files/sheet001.htm\r\nContent-Transfer-Encoding: base64\r\nContent-Type: text/html; charset=\"gb2312\"\r\n\r\n{}\r\n\
            ------=_NextPart_01--\r\n",
            base64_of(&encoding_rs::GBK.encode(sheet1).0)
        );
        let wb = super::super::read_bytes(mht.into_bytes(), &Limits::default()).unwrap();
        assert_eq!(wb.format, Format::Mhtml);
        let got: Vec<(&str, String)> =
            wb.sheets.iter().map(|s| (s.name.as_str(), s.grid.get(CellRef::new(0, 0)).unwrap().value.to_text())).collect();
        assert_eq!(got, vec![("附件1", "任务".to_string()), ("附件2", "成都".to_string())]);
    }

    fn base64_of(data: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in data.chunks(3) {
            let n = (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
            for k in 0..4 {
                if k <= c.len() {
                    out.push(A[(n >> (18 - 6 * k)) as usize & 63] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
