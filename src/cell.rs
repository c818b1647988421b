//! Cell positions. Positions are zero-based in code and shown to people in A1 form (`附件2!C7`), as every
//! spreadsheet program shows them.

use std::fmt;

/// A zero-based cell position. Serialized in A1 form (`"C7"`), as people read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellRef {
    pub row: u32,
    pub col: u32,
}

impl CellRef {
    pub fn new(row: u32, col: u32) -> Self {
        CellRef { row, col }
    }

    /// The A1 form: `C7`.
    pub fn a1(&self) -> String {
        format!("{}{}", column_name(self.col), u64::from(self.row) + 1)
    }
}

impl serde::Serialize for CellRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.a1())
    }
}

impl<'de> serde::Deserialize<'de> for CellRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        parse_a1(&s).ok_or_else(|| serde::de::Error::custom(format!("not a cell in A1 form: {s}")))
    }
}

impl fmt::Display for CellRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.a1())
    }
}

/// The letters of a zero-based column: 0 → A, 25 → Z, 26 → AA. (Not `rust_xlsxwriter::utility::
/// column_number_to_name`, which takes Excel's 16,384 columns as u16: a CSV return may be wider, and a
/// finding must still name its column.)
pub fn column_name(col: u32) -> String {
    let mut n = u64::from(col) + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = ((n - 1) % 26) as u8;
        s.push(b'A' + r);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// Parses an A1 reference (`C7`, `$C$7`) into a zero-based position.
pub fn parse_a1(s: &str) -> Option<CellRef> {
    let s = s.replace('$', "");
    let split = s.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = s.split_at(split);
    if letters.is_empty() || !letters.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut col: u64 = 0;
    for c in letters.chars() {
        col = col * 26 + u64::from(c.to_ascii_uppercase() as u8 - b'A' + 1);
        if col > u64::from(u32::MAX) {
            return None;
        }
    }
    let row: u64 = digits.parse().ok()?;
    if row == 0 || row > u64::from(u32::MAX) {
        return None;
    }
    Some(CellRef::new((row - 1) as u32, (col - 1) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a1_round_trip() {
        assert_eq!(CellRef::new(6, 2).a1(), "C7");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(16383), "XFD");
        for (r, c) in [(0, 0), (6, 2), (1_048_575, 16383), (99, 701)] {
            let cell = CellRef::new(r, c);
            assert_eq!(parse_a1(&cell.a1()), Some(cell));
        }
        assert_eq!(parse_a1("$B$3"), Some(CellRef::new(2, 1)));
        assert_eq!(parse_a1("B0"), None);
        assert_eq!(parse_a1("7"), None);
    }
}
