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

/// A file name as it may be stored: no folders, no control characters, none of the characters Windows
/// refuses, not a device name Windows reserves, not hidden, not too long.
pub fn sanitize(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let mut s: String = base
        .chars()
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
        let long = format!("{}.xlsx", "长".repeat(100));
        let s = sanitize(&long);
        assert!(s.len() <= 200 && s.ends_with(".xlsx"), "{s}");
    }
}
