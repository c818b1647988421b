//! A look inside compound files (CFB) before handing them to calamine.
//!
//! Three things hide behind the same CFB signature: a BIFF8 `.xls` workbook, an encrypted xlsx (the OOXML
//! package wrapped in an `EncryptedPackage` stream), and Word or PowerPoint documents. An encrypted `.xls`
//! announces itself with a FILEPASS record in its globals; with XOR obfuscation calamine does not notice it
//! and fails later with a misleading code-page error, so taizhang looks for the record itself and tells
//! the prefecture the file is encrypted.

use std::io::{Cursor, Read};

/// What a compound file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CfbKind {
    /// An Excel workbook (BIFF5 or BIFF8), encrypted or not, with the memory calamine will need for it and
    /// the workbook stream.
    Xls { encrypted: bool, dense_bytes: u64, stream: Vec<u8> },
    /// An xlsx/xlsm protected by a password to open.
    EncryptedOoxml,
    /// Not a workbook: what it is, in words for the user.
    Other(String),
    /// The compound file structure itself is damaged; calamine may still read it.
    Broken(String),
    /// Damaged in a way that would make calamine loop or allocate without bound.
    Unsafe(String),
}

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const FILEPASS: u16 = 0x002F;

/// Inspects a compound file. For a workbook this reads its stream once; the caller may parse it.
pub fn inspect(bytes: &[u8]) -> CfbKind {
    let mut cfb = match cfb::CompoundFile::open(Cursor::new(bytes)) {
        Ok(c) => c,
        Err(e) => {
            // A damaged directory may still name the encrypted package in its entries (UTF-16 names).
            let needle: Vec<u8> = "EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes).collect();
            if bytes.windows(needle.len()).any(|w| w == needle) {
                return CfbKind::EncryptedOoxml;
            }
            // calamine is more lenient than the cfb crate; let it try only if it cannot loop.
            if let Err(why) = chains_end(bytes) {
                return CfbKind::Unsafe(format!("复合文档结构损坏: {why}"));
            }
            return CfbKind::Broken(format!("复合文档结构损坏: {e}"));
        }
    };
    if cfb.exists("/EncryptedPackage") || cfb.exists("/EncryptionInfo") {
        return CfbKind::EncryptedOoxml;
    }
    for name in ["/Workbook", "/Book", "/WORKBOOK", "/BOOK"] {
        if !cfb.is_stream(name) {
            continue;
        }
        let mut stream = Vec::new();
        match cfb.open_stream(name) {
            Ok(s) => {
                // The stream cannot be larger than the file that holds it.
                if s.take(bytes.len() as u64).read_to_end(&mut stream).is_err() {
                    return CfbKind::Broken("工作簿数据流无法读取".into());
                }
            }
            Err(e) => return CfbKind::Broken(format!("工作簿数据流无法读取: {e}")),
        }
        let encrypted = has_filepass(&stream);
        let dense_bytes = if encrypted { 0 } else { dense_bytes(&stream) };
        return CfbKind::Xls { encrypted, dense_bytes, stream };
    }
    if cfb.exists("/WordDocument") {
        return CfbKind::Other("Word 文档".into());
    }
    if cfb.exists("/PowerPoint Document") {
        return CfbKind::Other("PowerPoint 演示文稿".into());
    }
    CfbKind::Other("不含工作簿的复合文档".into())
}

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const FIRST_RESERVED: u32 = 0xFFFF_FFFA;

fn le32(b: &[u8], i: usize) -> Option<u32> {
    b.get(i..i + 4).map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
}

/// Checks that every sector chain calamine follows when it opens a compound file ends. calamine follows
/// the directory chain without a bound and the mini-FAT and root chains up to sizes read from the file,
/// so a chain that loops back on itself makes it allocate until the process dies; the fuzzer found such
/// a file. The cfb crate rejects these files itself, so this runs only when it could not open the file.
pub fn chains_end(bytes: &[u8]) -> Result<(), String> {
    let shift = bytes.get(0x1E..0x20).map_or(9, |b| u16::from_le_bytes([b[0], b[1]]));
    if !(7..=16).contains(&shift) {
        return Err("扇区大小无效".into());
    }
    let size = 1usize << shift;
    let max = (bytes.len() / size) as u32;
    let sector = |id: u32| bytes.get((id as usize + 1) * size..(id as usize + 2) * size);
    // The FAT, from the header's DIFAT entries and the DIFAT chain, the way calamine assembles it.
    let mut difat: Vec<u32> = (0..109).filter_map(|k| le32(bytes, 0x4C + 4 * k)).collect();
    let mut next = le32(bytes, 0x44).unwrap_or(ENDOFCHAIN);
    let mut steps = 0;
    while next < FIRST_RESERVED {
        steps += 1;
        if steps > max + 1 {
            return Err("DIFAT 链循环".into());
        }
        let Some(s) = sector(next) else { return Err("DIFAT 链越界".into()) };
        difat.extend((0..size / 4).filter_map(|k| le32(s, 4 * k)));
        next = difat.pop().unwrap_or(ENDOFCHAIN);
    }
    let mut fat: Vec<u32> = Vec::new();
    for id in difat.into_iter().filter(|id| *id < 0xFFFF_FFFC) {
        let Some(s) = sector(id) else { return Err("FAT 扇区越界".into()) };
        fat.extend((0..size / 4).filter_map(|k| le32(s, 4 * k)));
    }
    let walk = |start: u32, what: &str| -> Result<Vec<u32>, String> {
        let mut chain = Vec::new();
        let mut id = start;
        while id != ENDOFCHAIN && id < FIRST_RESERVED {
            if chain.len() as u32 > max {
                return Err(format!("{what}扇区链循环"));
            }
            chain.push(id);
            id = *fat.get(id as usize).ok_or_else(|| format!("{what}扇区链越界"))?;
        }
        Ok(chain)
    };
    let dirs = walk(le32(bytes, 0x30).unwrap_or(ENDOFCHAIN), "目录")?;
    walk(le32(bytes, 0x3C).unwrap_or(ENDOFCHAIN), "MiniFAT ")?;
    // The root entry's chain (the mini stream), and each large stream's chain.
    for d in dirs {
        let Some(s) = sector(d) else { break };
        for e in s.chunks_exact(128) {
            if matches!(e[0x42], 2 | 5) {
                let start = le32(e, 0x74).unwrap_or(ENDOFCHAIN);
                let len = le32(e, 0x78).unwrap_or(0);
                if e[0x42] == 5 || len >= 4096 {
                    walk(start, "数据流")?;
                }
            }
        }
    }
    Ok(())
}

/// Records of a BIFF stream from `pos`: (type, data). Stops at the end or at a record that does not fit.
fn records(stream: &[u8], mut pos: usize) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        if pos + 4 > stream.len() {
            return None;
        }
        let typ = u16::from_le_bytes([stream[pos], stream[pos + 1]]);
        let len = usize::from(u16::from_le_bytes([stream[pos + 2], stream[pos + 3]]));
        let data = stream.get(pos + 4..pos + 4 + len)?;
        pos += 4 + len;
        Some((typ, data))
    })
}

fn u16_at(d: &[u8], i: usize) -> Option<u32> {
    d.get(i..i + 2).map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
}

/// The memory calamine will spend on this workbook: it keeps every sheet as a dense rectangle spanning its
/// outermost cells (32 bytes a cell, 24 for the formula rectangle) and clones one sheet when it is asked
/// for, so one stray cell in IV65536 costs half a gigabyte. Computed from the cell records' positions,
/// before calamine allocates anything.
fn dense_bytes(stream: &[u8]) -> u64 {
    const BOUNDSHEET: u16 = 0x0085;
    let mut sheets = Vec::new();
    for (typ, d) in records(stream, 0) {
        match typ {
            BOUNDSHEET if d.len() >= 4 => sheets.push(u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize),
            EOF => break,
            _ => {}
        }
    }
    let mut total = 0u64;
    let mut largest = 0u64;
    for start in sheets {
        // (min row, max row, min col, max col) of values and of formulas.
        let mut cells: Option<(u32, u32, u32, u32)> = None;
        let mut formulas: Option<(u32, u32, u32, u32)> = None;
        let grow = |b: &mut Option<(u32, u32, u32, u32)>, r: u32, c1: u32, c2: u32| {
            *b = Some(match *b {
                None => (r, r, c1, c2),
                Some((r0, r1, a, z)) => (r0.min(r), r1.max(r), a.min(c1), z.max(c2)),
            });
        };
        let mut depth = 0usize;
        for (typ, d) in records(stream, start) {
            match typ {
                BOF => depth += 1,
                EOF => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                _ if depth != 1 => {}
                // NUMBER, LABEL, RSTRING, BOOLERR, RK, LABELSST, FORMULA: row, col first.
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                    if let (Some(r), Some(c)) = (u16_at(d, 0), u16_at(d, 2)) {
                        grow(&mut cells, r, c, c);
                        if typ == 0x0006 {
                            grow(&mut formulas, r, c, c);
                        }
                    }
                }
                // MULRK: row, first col, …, last col in the last two bytes.
                0x00BD if d.len() >= 6 => {
                    if let (Some(r), Some(c1), Some(c2)) = (u16_at(d, 0), u16_at(d, 2), u16_at(d, d.len() - 2)) {
                        grow(&mut cells, r, c1, c2.max(c1));
                    }
                }
                _ => {}
            }
        }
        let area = |b: Option<(u32, u32, u32, u32)>| b.map_or(0, |(r0, r1, c0, c1)| u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1));
        let sheet = area(cells) * 32 + area(formulas) * 24;
        total += sheet;
        largest = largest.max(area(cells) * 32);
    }
    total + largest
}

/// True when the workbook globals (BOF … EOF) hold a FILEPASS record.
fn has_filepass(stream: &[u8]) -> bool {
    let mut i = 0usize;
    let mut first = true;
    while i + 4 <= stream.len() {
        let typ = u16::from_le_bytes([stream[i], stream[i + 1]]);
        let len = usize::from(u16::from_le_bytes([stream[i + 2], stream[i + 3]]));
        if first && typ != BOF {
            return false;
        }
        first = false;
        match typ {
            FILEPASS => return true,
            EOF => return false,
            _ => {}
        }
        i += 4 + len;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut v = typ.to_le_bytes().to_vec();
        v.extend((data.len() as u16).to_le_bytes());
        v.extend(data);
        v
    }

    #[test]
    fn finds_filepass_in_globals_only() {
        let bof = record(BOF, &[0, 6, 5, 0]);
        let plain = [bof.clone(), record(0x0042, &[0xB0, 0x04]), record(EOF, &[])].concat();
        assert!(!has_filepass(&plain));
        let xor = [bof.clone(), record(FILEPASS, &[0, 0, 1, 2, 3, 4]), record(EOF, &[])].concat();
        assert!(has_filepass(&xor));
        let after_eof = [bof, record(EOF, &[]), record(FILEPASS, &[0, 0])].concat();
        assert!(!has_filepass(&after_eof));
        assert!(!has_filepass(b"garbage"));
    }
}
