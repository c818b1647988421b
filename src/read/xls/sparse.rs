//! A sparse reader for BIFF8 workbooks, for the one case calamine cannot take within bounded memory.
//!
//! calamine holds every xls sheet as a dense rectangle spanning its outermost cells, so a workbook with a
//! stray value in IV65536 (a Ctrl+End accident) costs half a gigabyte a sheet. When `compound::inspect`
//! estimates more than the limit, this reader takes over: it walks the same records but keeps only the
//! cells that exist. It reads values (shared and inline strings, numbers, RK, booleans, errors, cached
//! formula results, dates by their number format) and merged ranges; everything else is calamine's job.

use std::collections::HashMap;

use crate::cell::CellRef;
use crate::read::error::ReadError;
use crate::read::grid::{Format, Grid, Limits, Rect, Sheet, Value, Visibility, Workbook};

use super::records::{BOF, EOF, records_with_continues as records};


fn u16_at(d: &[u8], i: usize) -> Option<u16> {
    d.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(d: &[u8], i: usize) -> Option<u32> {
    d.get(i..i + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Reads across a record and its CONTINUE records, as SST strings require.
struct Segments<'a> {
    parts: Vec<&'a [u8]>,
    part: usize,
    pos: usize,
}

impl<'a> Segments<'a> {
    fn new(first: &'a [u8], cont: &[&'a [u8]]) -> Self {
        Segments { parts: std::iter::once(first).chain(cont.iter().copied()).collect(), part: 0, pos: 0 }
    }

    fn at_boundary(&mut self) -> bool {
        if self.part < self.parts.len() && self.pos >= self.parts[self.part].len() {
            self.part += 1;
            self.pos = 0;
            return true;
        }
        false
    }

    fn byte(&mut self) -> Option<u8> {
        self.at_boundary();
        let b = *self.parts.get(self.part)?.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes([self.byte()?, self.byte()?]))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes([self.byte()?, self.byte()?, self.byte()?, self.byte()?]))
    }

    fn skip(&mut self, mut n: usize) -> Option<()> {
        while n > 0 {
            self.at_boundary();
            let part = self.parts.get(self.part)?;
            let take = n.min(part.len() - self.pos);
            if take == 0 {
                return None;
            }
            self.pos += take;
            n -= take;
        }
        Some(())
    }

    /// `cch` characters; at a record boundary inside the characters a new option byte says their width.
    fn chars(&mut self, cch: usize, mut high: bool) -> Option<String> {
        let mut units: Vec<u16> = Vec::with_capacity(cch.min(1 << 16));
        while units.len() < cch {
            if self.pos >= self.parts.get(self.part)?.len() {
                self.part += 1;
                self.pos = 0;
                high = self.byte()? & 0x01 != 0;
            }
            if high {
                units.push(self.u16()?);
            } else {
                units.push(u16::from(self.byte()?));
            }
        }
        Some(String::from_utf16_lossy(&units))
    }

    /// An XLUnicodeRichExtendedString (the SST's strings).
    fn rich_string(&mut self) -> Option<String> {
        let cch = usize::from(self.u16()?);
        let flags = self.byte()?;
        let runs = if flags & 0x08 != 0 { usize::from(self.u16()?) } else { 0 };
        let ext = if flags & 0x04 != 0 { self.u32()? as usize } else { 0 };
        let s = self.chars(cch, flags & 0x01 != 0)?;
        self.skip(runs * 4)?;
        self.skip(ext)?;
        Some(s)
    }
}

/// A short XLUnicodeString in one record (LABEL, STRING, FORMAT): 16-bit length, option byte, characters.
fn short_string(d: &[u8], cont: &[&[u8]]) -> Option<String> {
    let mut s = Segments::new(d, cont);
    let cch = usize::from(s.u16()?);
    let flags = s.byte()?;
    s.chars(cch, flags & 0x01 != 0)
}

/// How a number format shows its number: as a date, as elapsed time, or otherwise. The classification is
/// the one calamine applies to the same formats, so both xls paths read a cell alike: only the first
/// section counts; quoted text and characters escaped with \\, _ or * are skipped; d, m, h, y or s outside
/// brackets make a date (m also after an "a" of AM/PM); a bracketed [h], [m] or [s] makes elapsed time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Date,
    Elapsed,
    Number,
}

fn classify(code: &str) -> Shown {
    let mut skip_next = false;
    let mut quoted = false;
    let mut depth = 0u32;
    let mut elapsed = false;
    let mut after_a = false;
    let mut prev = ' ';
    for c in code.chars() {
        if skip_next {
            skip_next = false;
        } else if quoted {
            quoted = c != '"';
        } else {
            match c {
                '_' | '\\' | '*' => skip_next = true,
                '"' => quoted = true,
                ';' => return Shown::Number,
                '[' => depth += 1,
                ']' if depth == 1 && elapsed => return Shown::Elapsed,
                ']' => depth = depth.saturating_sub(1),
                'a' | 'A' if depth == 0 && !after_a => after_a = true,
                'p' | 'P' | 'm' | 'M' | '/' if depth == 0 && after_a => return Shown::Date,
                'd' | 'D' | 'm' | 'M' | 'h' | 'H' | 'y' | 'Y' | 's' | 'S' if depth == 0 && !after_a => return Shown::Date,
                _ => {
                    // Inside brackets, a run of h, m or s right after "[" is elapsed time.
                    if !(elapsed && c.eq_ignore_ascii_case(&prev)) {
                        elapsed = prev == '[' && matches!(c, 'h' | 'H' | 'm' | 'M' | 's' | 'S');
                    }
                }
            }
        }
        prev = c;
    }
    Shown::Number
}

fn builtin(ifmt: u16) -> Shown {
    match ifmt {
        14..=22 | 27..=36 | 45 | 47 | 50..=58 => Shown::Date,
        46 => Shown::Elapsed,
        _ => Shown::Number,
    }
}

fn rk(v: u32) -> f64 {
    let n = if v & 0x02 != 0 { f64::from((v as i32) >> 2) } else { f64::from_bits(u64::from(v & 0xFFFF_FFFC) << 32) };
    if v & 0x01 != 0 { n / 100.0 } else { n }
}

fn error_text(code: u8) -> &'static str {
    match code {
        0x00 => "#NULL!",
        0x07 => "#DIV/0!",
        0x0F => "#VALUE!",
        0x17 => "#REF!",
        0x1D => "#NAME?",
        0x24 => "#NUM!",
        0x2A => "#N/A",
        _ => "#ERROR!",
    }
}

struct Globals {
    sst: Vec<String>,
    /// For each XF index, how its number format shows numbers.
    xf_shown: Vec<Shown>,
    date1904: bool,
    /// (name, stream position, visibility) of each worksheet.
    sheets: Vec<(String, usize, Visibility)>,
}

fn globals(stream: &[u8]) -> Option<Globals> {
    let mut g = Globals { sst: Vec::new(), xf_shown: Vec::new(), date1904: false, sheets: Vec::new() };
    let mut formats: HashMap<u16, Shown> = HashMap::new();
    let mut xf_formats: Vec<u16> = Vec::new();
    let mut first = true;
    for (typ, d, cont) in records(stream, 0) {
        if first {
            // BIFF8 only: a BOF whose version is 0x0600.
            if typ != BOF || u16_at(d, 0) != Some(0x0600) {
                return None;
            }
            first = false;
            continue;
        }
        match typ {
            0x0022 => g.date1904 = u16_at(d, 0) == Some(1),
            0x041E => {
                if let (Some(id), Some(code)) = (u16_at(d, 0), short_string(&d[2.min(d.len())..], &cont)) {
                    formats.insert(id, classify(&code));
                }
            }
            0x00E0 => xf_formats.push(u16_at(d, 2).unwrap_or(0)),
            0x00FC => {
                let mut s = Segments::new(d, &cont);
                let _total = s.u32()?;
                let unique = s.u32()? as usize;
                for _ in 0..unique {
                    match s.rich_string() {
                        Some(x) => g.sst.push(x),
                        None => break,
                    }
                }
            }
            0x0085 => {
                let pos = u32_at(d, 0)? as usize;
                let visible = match d.get(4).map(|b| b & 0x03) {
                    Some(1) => Visibility::Hidden,
                    Some(2) => Visibility::VeryHidden,
                    _ => Visibility::Visible,
                };
                let kind = d.get(5).copied().unwrap_or(0);
                let name = short_name(d.get(6..).unwrap_or_default());
                if kind == 0 {
                    g.sheets.push((name, pos, visible));
                }
            }
            EOF => break,
            _ => {}
        }
    }
    g.xf_shown = xf_formats.iter().map(|f| formats.get(f).copied().unwrap_or_else(|| builtin(*f))).collect();
    Some(g)
}

/// A ShortXLUnicodeString (sheet names): 8-bit length, option byte, characters.
fn short_name(d: &[u8]) -> String {
    let Some(&cch) = d.first() else { return String::new() };
    let high = d.get(1).is_some_and(|f| f & 0x01 != 0);
    let body = d.get(2..).unwrap_or_default();
    if high {
        let units: Vec<u16> = body.chunks_exact(2).take(usize::from(cch)).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
        String::from_utf16_lossy(&units)
    } else {
        body.iter().take(usize::from(cch)).map(|b| char::from(*b)).collect()
    }
}

fn number(g: &Globals, xf: Option<u16>, v: f64) -> Value {
    let shown = xf.and_then(|x| g.xf_shown.get(usize::from(x))).copied().unwrap_or(Shown::Number);
    if shown == Shown::Date && v.is_finite() {
        let base = if g.date1904 {
            chrono::NaiveDate::from_ymd_opt(1904, 1, 1)
        } else {
            // Excel's serial 60 is the 29 February 1900 that never was.
            chrono::NaiveDate::from_ymd_opt(1899, 12, if v < 60.0 { 31 } else { 30 })
        };
        let ms = (v * 86_400_000.0).round() as i64;
        if let Some(dt) = base.and_then(|b| b.and_hms_opt(0, 0, 0)).and_then(|b| b.checked_add_signed(chrono::Duration::milliseconds(ms))) {
            return Value::DateTime(dt);
        }
    }
    Value::Number(v)
}

/// Reads a BIFF8 workbook stream keeping only the cells that exist.
///
/// # Errors
/// [`ReadError::Corrupt`] when the stream is not BIFF8, [`ReadError::TooLarge`] past `limits.max_cells`.
pub fn read(stream: &[u8], limits: &Limits) -> Result<Workbook, ReadError> {
    let g = globals(stream).ok_or_else(|| ReadError::Corrupt("不是 BIFF8 格式的 xls".into()))?;
    let mut sheets = Vec::new();
    for (name, start, visibility) in &g.sheets {
        let mut cells: Vec<(CellRef, Value)> = Vec::new();
        let mut merges = Vec::new();
        let mut pending_formula: Option<CellRef> = None;
        let mut depth = 0usize;
        let mut error = None;
        for (typ, d, cont) in records(stream, *start) {
            match typ {
                BOF => {
                    depth += 1;
                    continue;
                }
                EOF => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                    continue;
                }
                _ if depth != 1 => continue,
                _ => {}
            }
            let pos = || Some(CellRef::new(u32::from(u16_at(d, 0)?), u32::from(u16_at(d, 2)?)));
            let xf = u16_at(d, 4);
            let mut push = |p: CellRef, v: Value| cells.push((p, v));
            match typ {
                0x00FD => {
                    if let (Some(p), Some(i)) = (pos(), u32_at(d, 6)) {
                        push(p, Value::Text(g.sst.get(i as usize).cloned().unwrap_or_default()));
                    }
                }
                0x0203 => {
                    if let (Some(p), Some(b)) = (pos(), d.get(6..14)) {
                        let v = f64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
                        push(p, number(&g, xf, v));
                    }
                }
                0x027E => {
                    if let (Some(p), Some(v)) = (pos(), u32_at(d, 6)) {
                        push(p, number(&g, xf, rk(v)));
                    }
                }
                0x00BD => {
                    if let (Some(row), Some(first)) = (u16_at(d, 0), u16_at(d, 2)) {
                        let mut i = 4;
                        let mut col = first;
                        while i + 6 <= d.len().saturating_sub(2) {
                            let xf = u16_at(d, i);
                            if let Some(v) = u32_at(d, i + 2) {
                                push(CellRef::new(u32::from(row), u32::from(col)), number(&g, xf, rk(v)));
                            }
                            i += 6;
                            col = col.saturating_add(1);
                        }
                    }
                }
                0x0204 | 0x00D6 => {
                    if let (Some(p), Some(s)) = (pos(), short_string(d.get(6..).unwrap_or_default(), &cont)) {
                        push(p, Value::Text(s));
                    }
                }
                0x0205 => {
                    if let (Some(p), Some(&v), Some(&is_error)) = (pos(), d.get(6), d.get(7)) {
                        push(p, if is_error != 0 { Value::Error(error_text(v).into()) } else { Value::Bool(v != 0) });
                    }
                }
                0x0006 => {
                    let (Some(p), Some(b)) = (pos(), d.get(6..14)) else { continue };
                    if b[6] == 0xFF && b[7] == 0xFF {
                        match b[0] {
                            0 => pending_formula = Some(p),
                            1 => push(p, Value::Bool(b[2] != 0)),
                            2 => push(p, Value::Error(error_text(b[2]).into())),
                            _ => {}
                        }
                    } else {
                        push(p, number(&g, xf, f64::from_le_bytes(b.try_into().unwrap_or([0; 8]))));
                    }
                }
                0x0207 => {
                    if let (Some(p), Some(s)) = (pending_formula.take(), short_string(d, &cont)) {
                        push(p, Value::Text(s));
                    }
                }
                0x00E5 => {
                    let n = usize::from(u16_at(d, 0).unwrap_or(0));
                    for k in 0..n {
                        let o = 2 + 8 * k;
                        if let (Some(r0), Some(r1), Some(c0), Some(c1)) = (u16_at(d, o), u16_at(d, o + 2), u16_at(d, o + 4), u16_at(d, o + 6)) {
                            merges.push(Rect::new(CellRef::new(u32::from(r0), u32::from(c0)), CellRef::new(u32::from(r1), u32::from(c1))));
                        }
                    }
                }
                _ => {}
            }
            if cells.len() > limits.max_cells {
                error = Some(ReadError::TooLarge(format!("工作表超过 {} 个非空单元格", limits.max_cells)));
                cells.clear();
                break;
            }
        }
        sheets.push(Sheet::new(name.clone(), *visibility, Grid::new(cells, merges, limits), error));
    }
    Ok(Workbook { format: Format::Xls, sheets })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rk_numbers() {
        // Integer 5 (shifted, flag 0x02), and 1.23 stored as 123 with the ÷100 flag.
        assert_eq!(rk((5 << 2) | 0x02), 5.0);
        assert_eq!(rk((123 << 2) | 0x03), 1.23);
        assert_eq!(rk((1.5f64.to_bits() >> 32) as u32), 1.5);
    }

    #[test]
    fn number_formats() {
        assert_eq!(classify("yyyy-mm-dd"), Shown::Date);
        assert_eq!(classify("[$-804]yyyy\"年\"m\"月\"d\"日\""), Shown::Date);
        assert_eq!(classify("0.00"), Shown::Number);
        assert_eq!(classify("\"dd\"0"), Shown::Number);
        assert_eq!(classify("[Red]0"), Shown::Number);
        assert_eq!(classify("General"), Shown::Number);
        assert_eq!(classify("[h]:mm:ss"), Shown::Elapsed);
        assert_eq!(classify("0;[Red]d"), Shown::Number);
        assert_eq!(builtin(14), Shown::Date);
        assert_eq!(builtin(46), Shown::Elapsed);
    }
}
