//! Text folding and value normalization.
//!
//! Returns are typed by hand in Excel, WPS and LibreOffice on Chinese input methods, which produce
//! full-width letters and digits, ideographic spaces (U+3000), non-breaking spaces pasted from web pages and
//! zero-width characters pasted from chat tools. Two operations deal with that, and they must not be mixed up:
//! - [`clean_text`] normalizes a *value* the way a careful clerk would, without changing what it says;
//! - [`fold_key`] builds a *matching key* (headers, names, aliases), where anything that differs only in
//!   width, case or white space must compare equal.

use unicode_normalization::UnicodeNormalization;

/// Characters that are invisible and carry nothing: zero-width spaces and joiners, word joiner, BOM.
pub fn is_zero_width(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}' | '\u{00AD}')
}

/// Space characters other than the ASCII space that people produce by accident.
fn is_odd_space(c: char) -> bool {
    matches!(c, '\u{00A0}' | '\u{3000}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{1680}')
}

/// A key for matching: NFKC (full-width → half-width, compatibility forms folded), every kind of white
/// space and zero-width character removed, lower case.
///
/// ```
/// use taizhang::text::fold_key;
/// assert_eq!(fold_key("所属（产业）\n行业"), fold_key("所属(产业)行业"));
/// assert_eq!(fold_key("ＡＢＣ\u{3000}公司"), "abc公司");
/// ```
pub fn fold_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // Most keys are Chinese text with ASCII, full-width forms and CJK punctuation, which NFKC maps one
    // character at a time: one pass, unless a character outside them turns up. Then the quick check
    // settles most texts; either spares the decomposition and recomposition.
    for c in s.chars() {
        match c {
            // The bulk of Chinese text: no case, and NFKC leaves it alone.
            _ if is_cjk_ideograph(c) => out.push(c),
            _ if c.is_ascii() => {
                if !c.is_whitespace() {
                    out.push(c.to_ascii_lowercase());
                }
            }
            _ => match simple_nfkc(c) {
                Some(m) => push_folded(&mut out, m),
                None => {
                    out.clear();
                    if unicode_normalization::is_nfkc_quick(s.chars()) == unicode_normalization::IsNormalized::Yes {
                        s.chars().for_each(|c| push_folded(&mut out, c));
                    } else {
                        s.nfkc().for_each(|c| push_folded(&mut out, c));
                    }
                    return out;
                }
            },
        }
    }
    out
}

/// Adds a normalized character to a key: nothing for white space and zero-width characters, lower case
/// for the rest.
fn push_folded(out: &mut String, c: char) {
    if c.is_whitespace() || is_zero_width(c) {
    } else if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if is_cjk_ideograph(c) {
        out.push(c);
    } else {
        out.extend(c.to_lowercase());
    }
}

/// What NFKC makes of `c` in a text made only of such characters, for the characters of everyday Chinese
/// text: ASCII, CJK ideographs, CJK and general punctuation (unchanged), full-width ASCII (its half-width
/// form) and the ideographic space (a space). None of them combines with a neighbour under NFKC, so a
/// text of them normalizes character by character; `None` for any other character.
fn simple_nfkc(c: char) -> Option<char> {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0),
        '\u{3000}' => Some(' '),
        _ if c.is_ascii() || is_cjk_ideograph(c) => Some(c),
        '\u{3001}'..='\u{3029}' | '\u{2010}' | '\u{2012}'..='\u{2016}' | '\u{2018}'..='\u{2023}' | '\u{2030}' | '\u{203B}' | '\u{00B7}' | '\u{00D7}' | '\u{00F7}' => Some(c),
        _ => None,
    }
}

/// CJK Unified Ideographs (the basic block and extension A): no case, no decomposition.
pub fn is_cjk_ideograph(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// Whether [`clean_text`] would leave nothing of `s`: only white space and zero-width characters.
pub fn is_blank(s: &str) -> bool {
    s.chars().all(|c| c.is_whitespace() || is_zero_width(c))
}

/// A key for matching a header: [`fold_key`] without the decorations people add to headers — a trailing
/// colon and asterisks marking required columns.
pub fn header_key(s: &str) -> String {
    let mut k = fold_key(s);
    k.truncate(k.trim_end_matches([':', '：']).len());
    k.retain(|c| c != '*' && c != '※');
    k
}

/// The matching key of an enterprise name, for finding the same enterprise twice: NFKC, no white space,
/// case-folded. Brackets are folded by NFKC, so "四川（成都）某公司" and "四川(成都)某公司" match.
pub fn enterprise_key(s: &str) -> String {
    fold_key(s)
}

/// Normalizes a text value without changing what it says:
/// - line breaks: CRLF and CR become LF; line breaks inside the text are kept;
/// - ideographic spaces, NBSP and other odd spaces become plain spaces, zero-width characters go;
/// - full-width ASCII letters, digits and the full-width space become half-width (Chinese punctuation such
///   as ，。（） is part of the text and stays);
/// - leading and trailing white space of the value and of each line is removed.
///
/// ```
/// use taizhang::text::clean_text;
/// assert_eq!(clean_text("\u{3000}四川ＡＢＣ有限公司\u{00A0}\r\n"), "四川ABC有限公司");
/// assert_eq!(clean_text("第一行 \r\n第二行"), "第一行\n第二行");
/// ```
pub fn clean_text(s: &str) -> String {
    // Most values need nothing but trimming: one line, no odd characters.
    if !s.chars().any(|c| matches!(c, '\r' | '\n' | '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}') || is_zero_width(c) || is_odd_space(c)) {
        return s.trim().to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            c if is_zero_width(c) => {}
            c if is_odd_space(c) => out.push(' '),
            '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
                // Full-width forms sit at a fixed offset from ASCII.
                out.push(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c));
            }
            c => out.push(c),
        }
    }
    if !out.contains('\n') {
        return out.trim().to_string();
    }
    let lines: Vec<&str> = out.split('\n').map(str::trim).collect();
    lines.join("\n").trim_matches('\n').to_string()
}

/// Formats a number the way people expect to see it: integral values without a decimal point ("95", never
/// "95.0"), others in the shortest form that reads back to the same value, limited to the 15 significant
/// digits Excel keeps (so 0.1+0.2 reads "0.3", as Excel shows it).
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let shortest = format!("{v}");
    let digits = shortest.chars().filter(char::is_ascii_digit).count();
    if digits <= 15 {
        return shortest;
    }
    // Round to 15 significant digits, then print the shortest form of the rounded value.
    let rounded: f64 = format!("{v:.14e}").parse().unwrap_or(v);
    let s = format!("{rounded}");
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 { format!("{}", rounded as i64) } else { s }
}

/// Parses the dates people write: 2018-10-09, 2018/10/9, 2018.10.9, 2018年10月9日, 20181009, with an
/// optional time after them.
pub fn parse_date(s: &str) -> Option<chrono::NaiveDate> {
    let n: String = s.nfkc().collect();
    let n = n.trim();
    let k = n.split(|c: char| c == 'T' || c.is_whitespace()).next().unwrap_or("");
    let digits_only: String = k.chars().take_while(|c| !matches!(c, ':')).collect();
    let parts: Vec<&str> = digits_only
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .collect();
    let (y, m, d) = match parts.as_slice() {
        [ymd] if ymd.len() == 8 => (ymd[0..4].parse().ok()?, ymd[4..6].parse().ok()?, ymd[6..8].parse().ok()?),
        [y, m, d, ..] if y.len() == 4 => (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?),
        _ => return None,
    };
    chrono::NaiveDate::from_ymd_opt(y, m, d)
}

/// Formats a date as 2018-09-30, and a date with a time of day as 2018-09-30 14:30 (seconds when present).
pub fn format_datetime(dt: chrono::NaiveDateTime) -> String {
    use chrono::Timelike;
    if dt.time() == chrono::NaiveTime::MIN {
        dt.format("%Y-%m-%d").to_string()
    } else if dt.second() == 0 && dt.nanosecond() == 0 {
        dt.format("%Y-%m-%d %H:%M").to_string()
    } else {
        dt.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// A Chinese rendering of a date for printed text: 2018年10月10日.
pub fn chinese_date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_nfkc_is_nfkc() {
        let simple: Vec<char> = (0..=0x10FFFF).filter_map(char::from_u32).filter(|c| simple_nfkc(*c).is_some()).collect();
        assert!(simple.len() > 21_000);
        for &c in &simple {
            assert_eq!(simple_nfkc(c).map(String::from), Some(c.to_string().nfkc().collect::<String>()), "U+{:04X}", c as u32);
        }
        // Text made of them, characters that would compose with a neighbour among them: NFKC as a whole.
        let text: String = simple.iter().step_by(7).chain(simple.iter().rev().step_by(5)).collect();
        assert_eq!(text.chars().filter_map(simple_nfkc).collect::<String>(), text.nfkc().collect::<String>());
        assert_eq!(fold_key("Ｅ\u{0301}（产业）"), fold_key("é(产业)"));
    }

    #[test]
    fn cleans_values() {
        assert_eq!(clean_text("  成都\u{200B}市  "), "成都市");
        assert_eq!(clean_text("ＸＹＺ１２３"), "XYZ123");
        assert_eq!(clean_text("甲，乙（丙）"), "甲，乙（丙）");
        assert_eq!(clean_text("a\r\n\r\nb\rc"), "a\n\nb\nc");
        assert_eq!(clean_text("\u{00A0}\u{3000}"), "");
        assert_eq!(clean_text("中间\u{3000}空格"), "中间 空格");
    }

    #[test]
    fn folds_keys() {
        assert_eq!(header_key("*提升企业名称："), "提升企业名称");
        assert_eq!(header_key("进展情况\n及成效"), "进展情况及成效");
        assert_eq!(enterprise_key("四川ＡＢＣ 有限公司"), enterprise_key("四川abc有限公司"));
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(format_number(95.0), "95");
        assert_eq!(format_number(-3.0), "-3");
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(91.5), "91.5");
        assert_eq!(format_number(1.0 / 3.0), "0.333333333333333");
        assert_eq!(format_number(1e20), "100000000000000000000");
    }

    #[test]
    fn parses_dates() {
        let d = chrono::NaiveDate::from_ymd_opt(2018, 10, 9).unwrap();
        for s in ["2018-10-09", "2018/10/9", "2018.10.9", "2018年10月9日", "20181009", "２０１８年１０月９日", "2018-10-09 08:00"] {
            assert_eq!(parse_date(s), Some(d), "{s}");
        }
        assert_eq!(parse_date("十月"), None);
        assert_eq!(parse_date("2018-13-01"), None);
    }
}
