//! Names of received files: what a sender's name may become on the office's disk (no folders, no
//! characters Windows refuses or shows misleadingly), a free name beside the files already there, and the
//! content hash by which a file received twice is recognised.

/// The sha256 of a received file, as hex: how a file that arrives twice is recognised (`collect`, the
/// console's uploads).
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

/// `name` when `taken` says it is free, else `name (2)`, `name (3)` … before the extension, as Windows
/// names a second download: a received file never replaces another.
pub fn free_name(name: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(name) {
        return name.to_string();
    }
    let p = std::path::Path::new(name);
    let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = p.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    (2..).map(|i| format!("{stem} ({i}){ext}")).find(|n| !taken(n)).unwrap_or_else(|| name.to_string())
}

/// Unicode format characters (category Cf): bidirectional marks, embeddings, overrides and isolates,
/// zero-width characters, the BOM. Invisible, and some change how the rest of a name is shown.
fn is_format_char(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// What a received file may be, by the extension of its sanitised name: a spreadsheet, a Word document,
/// a web page or XML table saved by another system, an archive, a saved email. Anything else — a
/// program, a shortcut, a script, a picture — is refused before it is stored.
pub const RETURN_EXTENSIONS: &[&str] =
    &["xlsx", "xlsm", "xls", "xlsb", "et", "ods", "csv", "txt", "docx", "doc", "wps", "htm", "html", "xml", "mht", "mhtml", "zip", "7z", "rar", "eml"];

/// Why a file named `name` is not kept in an inbox, when it is not: its kind is none a return can be.
pub fn refused_kind(name: &str) -> Option<String> {
    let ext = std::path::Path::new(name).extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if RETURN_EXTENSIONS.contains(&ext.as_str()) {
        return None;
    }
    let what = if ext.is_empty() { "没有扩展名的文件".to_string() } else { format!(".{ext} 文件") };
    Some(format!("未保存:{what}不是台账。请报送 Excel(xlsx、xls)、WPS(et)、ods、csv 表格或填在表格中的 Word 文档(docx),也可以是装有这些文件的 zip、7z 压缩包。"))
}

/// A file name as it may be stored: no folders, no control characters, none of the characters Windows
/// refuses, not a device name Windows reserves, not hidden, not too long.
pub fn sanitize(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    // Bidirectional and other format characters go: a right-to-left override makes
    // "台账\u{202E}xslx.exe" show as "台账exe.xlsx" in Explorer.
    let mut s: String = base
        .chars()
        .filter(|c| !is_format_char(*c))
        .map(|c| if c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') { '_' } else { c })
        .collect();
    s = s.trim().trim_end_matches(['.', ' ']).to_string();
    while s.starts_with('.') {
        s.replace_range(0..1, "_");
    }
    let stem = s.split('.').next().unwrap_or("").trim().to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT")) && stem.len() == 4 && stem.as_bytes()[3].is_ascii_digit());
    if reserved || s.starts_with("~$") {
        s = format!("_{s}");
    }
    // Most file systems take 255 bytes: keep the extension, shorten the stem.
    if s.len() > 200 {
        let ext = std::path::Path::new(&s).extension().map(|e| format!(".{}", e.to_string_lossy())).filter(|e| e.len() <= 10).unwrap_or_default();
        let mut stem: String = String::new();
        for c in s.chars() {
            if stem.len() + c.len_utf8() + ext.len() > 200 {
                break;
            }
            stem.push(c);
        }
        s = format!("{stem}{ext}");
    }
    if s.is_empty() { "附件".to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe() {
        assert_eq!(sanitize("../../etc/passwd"), "passwd");
        assert_eq!(sanitize("C:\\Users\\x\\成都.xlsx"), "成都.xlsx");
        assert_eq!(sanitize("a\u{0}b\r\n.xlsx"), "a_b__.xlsx");
        assert_eq!(sanitize("CON.xlsx"), "_CON.xlsx");
        assert_eq!(sanitize("com3"), "_com3");
        assert_eq!(sanitize(".hidden.xlsx"), "_hidden.xlsx");
        assert_eq!(sanitize("台账.xlsx. "), "台账.xlsx");
        assert_eq!(sanitize("~$台账.xlsx"), "_~$台账.xlsx");
        assert_eq!(sanitize("a:b?.xlsx"), "a_b_.xlsx");
        assert_eq!(sanitize(""), "附件");
        assert_eq!(sanitize("成都市台账\u{202E}xslx.exe"), "成都市台账xslx.exe", "no right-to-left override");
        assert!(refused_kind(&sanitize("成都市台账\u{202E}xslx.exe")).is_some());
        for bad in ["a.exe", "a.lnk", "a.hta", "a.bat", "a.scr", "a.pdf", "a"] {
            assert!(refused_kind(bad).is_some(), "{bad}");
        }
        for good in ["a.xlsx", "a.XLS", "a.docx", "a.zip", "a.eml", "a.csv"] {
            assert_eq!(refused_kind(good), None, "{good}");
        }
        let long = format!("{}.xlsx", "长".repeat(100));
        let s = sanitize(&long);
        assert!(s.len() <= 200 && s.ends_with(".xlsx"), "{s}");
    }
}
