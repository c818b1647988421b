//! Reading a returned file into sheets of cells, whatever program wrote it.
//!
//! The format is taken from the content, never the extension: prefectures rename files, WPS saves xls
//! content as .xlsx, and mail gateways strip extensions. Every reader goes through one representation, a
//! sparse [`Grid`] of non-empty cells in which merged cells are filled with the value of their top-left cell
//! (remembering where the value came from), so that the importer handles every format the same way.
//!
//! Hostile input is bounded before memory is spent: file size, declared decompressed size of zip members,
//! and the number of cells of a sheet are checked against [`Limits`] while reading, not after; markup
//! (HTML, Word, Excel 2003 XML) has its cells, empty ones included, and its elements counted before a tree
//! is built or while it streams.
//!
//! The tree follows the formats: [`grid`] is the one representation, `ooxml`, `ods`, [`csv`] and
//! `xls` each turn one family of files into it, `cells` converts calamine's values, and [`error`] says
//! why a file could not be read. Beside the spreadsheets, what prefectures and other systems send in their
//! place is read too: `docx` (the table filled in Word), `html` and `mhtml` (pages saved as .xls),
//! `spreadsheetml` (Excel 2003 XML); `listobjects` finds the totals rows of Excel tables in an xlsx.

mod cells;
pub mod csv;
mod docx;
pub mod error;
pub mod grid;
mod html;
mod listobjects;
mod mhtml;
mod ods;
mod ooxml;
mod spreadsheetml;
mod xls;

use std::io::{Cursor, Read};
use std::path::Path;

pub use csv::decode_text;
pub use error::ReadError;
pub use grid::{Format, Grid, GridCell, Limits, Rect, Sheet, Value, Visibility, Workbook};

use error::corrupt;

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Zip,
    Cfb,
    /// Excel 2–4 worksheets and Excel 5 BIFF outside a compound file.
    OldBiff,
    Text,
    Other(String),
}

/// Tells the kind of file from its first bytes.
pub fn sniff(bytes: &[u8]) -> Kind {
    const CFB: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") || bytes.starts_with(b"PK\x07\x08") {
        return Kind::Zip;
    }
    if bytes.starts_with(CFB) {
        return Kind::Cfb;
    }
    // BIFF2–5 BOF records: 0x0009, 0x0209, 0x0409, 0x0809 followed by a small length.
    if bytes.len() >= 4 && bytes[0] == 0x09 && matches!(bytes[1], 0x00 | 0x02 | 0x04 | 0x08) && bytes[3] == 0 {
        return Kind::OldBiff;
    }
    let magic: &[(&[u8], &str)] = &[
        (b"%PDF", "PDF 文档"),
        (b"\x89PNG", "PNG 图片"),
        (b"\xFF\xD8\xFF", "JPEG 图片"),
        (b"GIF8", "GIF 图片"),
        (b"Rar!", "RAR 压缩包"),
        (b"7z\xBC\xAF", "7z 压缩包"),
        (b"\x1F\x8B", "gzip 压缩包"),
        (b"{\\rtf", "RTF 文档"),
    ];
    for (m, what) in magic {
        if bytes.starts_with(m) {
            return Kind::Other((*what).to_string());
        }
    }
    // UTF-16 text (Excel's "Unicode 文本", Excel 2003 XML saved as UTF-16) is half zero bytes.
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") || bytes.starts_with(b"<\0?\0") || bytes.starts_with(b"\0<\0?") {
        return Kind::Text;
    }
    let head = &bytes[..bytes.len().min(4096)];
    if head.iter().filter(|b| **b == 0).count() > head.len() / 100 + 1 {
        return Kind::Other("二进制文件".into());
    }
    Kind::Text
}

/// Reads a file.
///
/// # Errors
/// A [`ReadError`] saying why the file as a whole cannot be read. A sheet that cannot be read while the
/// others can is returned with [`Sheet::error`] set instead.
pub fn read_file(path: &Path, limits: &Limits) -> Result<Workbook, ReadError> {
    let meta = std::fs::metadata(path)?;
    if meta.len() > limits.max_file_bytes {
        return Err(ReadError::TooLarge(format!("文件大小 {} MB 超过上限 {} MB", meta.len() >> 20, limits.max_file_bytes >> 20)));
    }
    if meta.len() > limits.max_text_bytes {
        // Text is decoded whole: a large one is refused on its first bytes, before it is read.
        let mut head = [0u8; 8];
        let n = std::io::Read::read(&mut std::fs::File::open(path)?, &mut head)?;
        if sniff(&head[..n]) == Kind::Text {
            return Err(ReadError::TooLarge(format!("文本文件 {} MB,超过上限 {} MB", meta.len() >> 20, limits.max_text_bytes >> 20)));
        }
    }
    let bytes = std::fs::read(path)?;
    read_bytes(bytes, limits)
}

/// Reads a file held in memory.
///
/// # Errors
/// As [`read_file`].
pub fn read_bytes(bytes: Vec<u8>, limits: &Limits) -> Result<Workbook, ReadError> {
    match sniff(&bytes) {
        Kind::Zip => read_zip(bytes, limits),
        Kind::Cfb => xls::read_cfb(bytes, limits),
        Kind::OldBiff => Err(ReadError::Unsupported("Excel 2.0–5.0 旧格式".into())),
        Kind::Text => csv::read_text(&bytes, limits),
        Kind::Other(what) => Err(ReadError::NotSpreadsheet(what)),
    }
}

/// Zip containers: xlsx, xlsm, xlsb, ods, a Word document (docx) — or an archive of files.
fn read_zip(bytes: Vec<u8>, limits: &Limits) -> Result<Workbook, ReadError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(&bytes)).map_err(corrupt)?;
    let mut total: u64 = 0;
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(corrupt)?;
        total = total.saturating_add(f.size());
        names.push(f.name().map(|n| n.to_string()).unwrap_or_default());
    }
    if total > limits.max_unzipped_bytes {
        return Err(ReadError::TooLarge(format!(
            "解压后 {} MB,超过上限 {} MB",
            total >> 20,
            limits.max_unzipped_bytes >> 20
        )));
    }
    let has = |n: &str| names.iter().any(|x| x.eq_ignore_ascii_case(n));
    let mimetype = if has("mimetype") {
        let mut s = String::new();
        if let Ok(f) = zip.by_name("mimetype") {
            let _ = f.take(200).read_to_string(&mut s);
        }
        s
    } else {
        String::new()
    };
    if mimetype.contains("opendocument.spreadsheet") || (has("content.xml") && !has("[Content_Types].xml")) {
        if !mimetype.is_empty() && !mimetype.contains("spreadsheet") {
            return Err(ReadError::NotSpreadsheet("OpenDocument 文本或演示文稿".into()));
        }
        // A password-protected OpenDocument file lists the encryption of its parts in the manifest.
        if let Ok(f) = zip.by_name("META-INF/manifest.xml") {
            let mut manifest = String::new();
            let _ = f.take(4 << 20).read_to_string(&mut manifest);
            if manifest.contains("encryption-data") {
                return Err(ReadError::Encrypted);
            }
        }
        let spans = ods::scan(&mut zip, limits)?;
        drop(zip);
        return ods::read_ods(bytes, spans, limits);
    }
    let lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    let any = |pred: &dyn Fn(&str) -> bool| lower.iter().any(|n| pred(n));
    if any(&|n| n.ends_with("workbook.bin")) {
        drop(zip);
        return ooxml::read_xlsb(bytes, limits);
    }
    let spreadsheet_parts = any(&|n| n.starts_with("xl/"));
    if !spreadsheet_parts && any(&|n| n.starts_with("word/")) {
        return docx::read(&bytes, limits);
    }
    if !spreadsheet_parts && any(&|n| n.starts_with("ppt/")) {
        return Err(ReadError::NotSpreadsheet("PowerPoint 演示文稿".into()));
    }
    if !spreadsheet_parts && !has("[Content_Types].xml") {
        return Err(ReadError::NotSpreadsheet("zip 压缩包".into()));
    }
    // An OOXML package, where the workbook part may sit anywhere the relationships say: calamine decides.
    let macros = any(&|n| n.ends_with("vbaproject.bin"));
    drop(zip);
    let mut wb = ooxml::read_xlsx(bytes, limits)?;
    if macros {
        wb.format = Format::Xlsm;
    }
    Ok(wb)
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_content_not_extension() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Kind::Zip);
        assert_eq!(sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]), Kind::Cfb);
        assert_eq!(sniff(b"%PDF-1.4"), Kind::Other("PDF 文档".into()));
        assert_eq!(sniff("序号,企业名称\n1,甲".as_bytes()), Kind::Text);
        // UTF-16 text is half zero bytes, and still text: Excel 2003 XML, Excel's "Unicode 文本".
        assert_eq!(sniff(b"\xFF\xFE<\0?\0x\0m\0l\0"), Kind::Text);
        assert_eq!(sniff(b"<\0?\0x\0m\0l\0"), Kind::Text);
    }
}
