//! A look inside compound files (CFB) before handing them to calamine.
//!
//! Three things hide behind the same CFB signature: a BIFF8 `.xls` workbook, an encrypted xlsx (the OOXML
//! package wrapped in an `EncryptedPackage` stream), and Word or PowerPoint documents (a Word 97–2003
//! document gets an error of its own, which asks for the file again as .docx). An encrypted `.xls`
//! announces itself with a FILEPASS record in its globals; with XOR obfuscation calamine does not notice it
//! and fails later with a misleading code-page error, so taizhang looks for the record itself and tells
//! the prefecture the file is encrypted.

use std::io::Cursor;

/// What a compound file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CfbKind {
    /// An Excel workbook (BIFF5 or BIFF8), encrypted or not, with the memory calamine will take for it
    /// and the workbook stream.
    Xls { encrypted: bool, memory: XlsMemory, stream: Vec<u8> },
    /// An xlsx/xlsm protected by a password to open.
    EncryptedOoxml,
    /// A Word 97–2003 document (a `WordDocument` stream).
    Word,
    /// Not a workbook: what it is, in words for the user.
    Other(String),
    /// The compound file structure itself is damaged; calamine may still read it.
    Broken(String),
    /// Damaged in a way that would make calamine loop or allocate without bound.
    Unsafe(String),
}

use super::records::{BOF, EOF, headers, records};

const FILEPASS: u16 = 0x002F;

/// Inspects a compound file. For a workbook this reads its stream once; the caller may parse it.
///
/// The cfb crate tells what the file is; the workbook stream is then taken out the way calamine's own,
/// more lenient, compound-file reader will take it, since that is what calamine parses: the checks on
/// it (encryption, memory) must see what calamine will see.
pub fn inspect(bytes: &[u8]) -> CfbKind {
    // Only for a workbook: encrypted packages and Word or PowerPoint documents need no walk of the chains.
    let for_calamine = |broken: String| match calamine_stream(bytes) {
        Ok(Some(stream)) => workbook(stream),
        Ok(None) => CfbKind::Broken(broken),
        Err(why) => CfbKind::Unsafe(format!("复合文档结构损坏: {why}")),
    };
    let cfb = match cfb::CompoundFile::open(Cursor::new(bytes)) {
        Ok(c) => c,
        Err(e) => {
            // A damaged directory may still name the encrypted package in its entries (UTF-16 names).
            let needle: Vec<u8> = "EncryptedPackage".encode_utf16().flat_map(u16::to_le_bytes).collect();
            if bytes.windows(needle.len()).any(|w| w == needle) {
                return CfbKind::EncryptedOoxml;
            }
            return for_calamine(format!("复合文档结构损坏: {e}"));
        }
    };
    if cfb.exists("/EncryptedPackage") || cfb.exists("/EncryptionInfo") {
        return CfbKind::EncryptedOoxml;
    }
    if ["/Workbook", "/Book", "/WORKBOOK", "/BOOK"].iter().any(|n| cfb.is_stream(n)) {
        return for_calamine("工作簿数据流无法读取".into());
    }
    if cfb.exists("/WordDocument") {
        return CfbKind::Word;
    }
    if cfb.exists("/PowerPoint Document") {
        return CfbKind::Other("PowerPoint 演示文稿".into());
    }
    CfbKind::Other("不含工作簿的复合文档".into())
}

fn workbook(stream: Vec<u8>) -> CfbKind {
    let encrypted = has_filepass(&stream);
    let memory = if encrypted { XlsMemory::default() } else { calamine_memory(&stream) };
    CfbKind::Xls { encrypted, memory, stream }
}

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
const FIRST_RESERVED: u32 = 0xFFFF_FFFA;
const DIFSECT: u32 = 0xFFFF_FFFC;

fn le32(b: &[u8], i: usize) -> Option<u32> {
    b.get(i..i + 4).map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
}

/// The workbook stream as calamine's compound-file reader will assemble it: the FAT from the header's DIFAT entries and the DIFAT chain, the directory chain, the mini
/// stream, then the first entry named Workbook (or Book, any case), from the mini stream when it is
/// shorter than 4096 bytes. `Ok(None)` when calamine will find no workbook stream (it then fails on its
/// own). `Err` when calamine would loop or allocate without bound on it: it follows the directory chain
/// with no bound, and the other chains up to lengths read from the file, so a chain that loops back on
/// itself makes it allocate until the process dies (the fuzzer found such files); or when calamine
/// will refuse the file anyway.
fn calamine_stream(bytes: &[u8]) -> Result<Option<Vec<u8>>, String> {
    const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.len() < 512 || bytes[..8] != SIGNATURE {
        return Err("文件头无效".into());
    }
    let u16_le = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let size: usize = match u16_le(0x1E) {
        9 => 512,
        12 => 4096,
        _ => return Err("扇区大小无效".into()),
    };
    if u16_le(0x20) != 6 {
        return Err("微扇区大小无效".into());
    }
    let version = u16_le(0x1A);
    let max = (bytes.len() / size) as u32;
    // Sector `id` follows the header, which takes one whole sector; the last one may be cut short.
    let sector = |id: u32| -> Option<&[u8]> {
        if id > max {
            return None;
        }
        let start = (id as usize + 1) * size;
        bytes.get(start..(start + size).min(bytes.len())).filter(|s| !s.is_empty())
    };
    let words = |s: &[u8]| -> Vec<u32> { s.chunks_exact(4).map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]])).collect() };

    let mut difat: Vec<u32> = (0..109).filter_map(|k| le32(bytes, 0x4C + 4 * k)).collect();
    let mut next = le32(bytes, 0x44).unwrap_or(ENDOFCHAIN);
    let mut steps = 0;
    while next < FIRST_RESERVED {
        steps += 1;
        if steps > max + 1 {
            return Err("DIFAT 链循环".into());
        }
        let Some(s) = sector(next) else { return Err("DIFAT 链越界".into()) };
        difat.extend(words(s));
        next = difat.pop().unwrap_or(ENDOFCHAIN);
    }
    let mut fat: Vec<u32> = Vec::new();
    for id in difat.into_iter().filter(|id| *id < DIFSECT) {
        let Some(s) = sector(id) else { return Err("FAT 扇区越界".into()) };
        fat.extend(words(s));
    }
    // A chain of `unit`-sized pieces of `sectors`, up to `len` bytes. A chain longer than there are
    // sectors has come back on itself.
    fn chain<'a>(
        start: u32,
        len: usize,
        next: &[u32],
        sector: impl Fn(u32) -> Option<&'a [u8]>,
        sectors: u32,
        what: &str,
    ) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        let mut id = start;
        let mut steps = 0u32;
        while id != ENDOFCHAIN && out.len() < len {
            steps += 1;
            if steps > sectors.saturating_add(1) {
                return Err(format!("{what}扇区链循环"));
            }
            let s = sector(id).ok_or_else(|| format!("{what}扇区链越界"))?;
            out.extend_from_slice(&s[..s.len().min(len - out.len())]);
            id = *next.get(id as usize).ok_or_else(|| format!("{what}扇区链越界"))?;
        }
        Ok(out)
    }
    let dirs = chain(le32(bytes, 0x30).unwrap_or(ENDOFCHAIN), usize::MAX, &fat, sector, max, "目录")?;
    // (name, start, length) of each 128-byte directory entry.
    let entries: Vec<(String, u32, usize)> = dirs
        .chunks_exact(128)
        .map(|e| {
            let units: Vec<u16> = e[..64].chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
            let name: String = String::from_utf16_lossy(&units).split('\0').next().unwrap_or_default().to_string();
            let start = le32(e, 0x74).unwrap_or(ENDOFCHAIN);
            let len = if size == 512 {
                le32(e, 0x78).unwrap_or(0) as u64
            } else {
                u64::from(le32(e, 0x78).unwrap_or(0)) | u64::from(le32(e, 0x7C).unwrap_or(0)) << 32
            };
            (name, start, usize::try_from(len).unwrap_or(usize::MAX))
        })
        .collect();
    let Some(root) = entries.first() else { return Ok(None) };
    if version != 3 && root.1 == ENDOFCHAIN {
        return Ok(None);
    }
    // calamine reads the mini stream and the mini FAT when it opens the file, whatever it reads next.
    let mini_fat_len = le32(bytes, 0x40).unwrap_or(0) as usize;
    let (mini, mini_fat) = if mini_fat_len > 0 {
        (
            chain(root.1, root.2, &fat, sector, max, "微数据流")?,
            chain(le32(bytes, 0x3C).unwrap_or(ENDOFCHAIN), mini_fat_len.saturating_mul(size), &fat, sector, max, "MiniFAT ")?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let find = |n: &str| entries.iter().find(|e| e.0.eq_ignore_ascii_case(n));
    let Some((_, start, len)) = find("Workbook").or_else(|| find("Book")).cloned() else { return Ok(None) };
    if len >= 4096 {
        return chain(start, len, &fat, sector, max, "数据流").map(Some);
    }
    if mini_fat_len == 0 {
        return Ok(None);
    }
    let mini_sector = |id: u32| -> Option<&[u8]> {
        let start = id as usize * 64;
        mini.get(start..(start + 64).min(mini.len())).filter(|s| !s.is_empty())
    };
    chain(start, len, &words(&mini_fat), mini_sector, (mini.len() / 64) as u32, "微扇区").map(Some)
}

fn u16_at(d: &[u8], i: usize) -> Option<u32> {
    d.get(i..i + 2).map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
}

/// What calamine will do with memory on this workbook, computed from the records before it allocates
/// anything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct XlsMemory {
    /// Memory written: every sheet held as a dense rectangle spanning its outermost cells (32 bytes a
    /// cell, 24 for the rectangle of formulas), and one sheet cloned when it is asked for. One stray cell
    /// in IV65536 costs half a gigabyte.
    pub dense: u64,
    /// Memory asked for up front: calamine reserves room for the cells a DIMENSIONS record announces (40
    /// bytes a cell) without checking them against the cells that follow. Untouched, it costs nothing;
    /// too large, the allocation fails and the process aborts, which no panic guard catches.
    pub reserved: u64,
}

fn calamine_memory(stream: &[u8]) -> XlsMemory {
    const BOUNDSHEET: u16 = 0x0085;
    const DIMENSIONS: u16 = 0x0200;
    let mut sheets = Vec::new();
    for (typ, d) in records(stream, 0) {
        match typ {
            BOUNDSHEET if d.len() >= 4 => sheets.push(u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize),
            EOF => break,
            _ => {}
        }
    }
    let mut mem = XlsMemory::default();
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
        // As calamine walks a sheet: the first BOF opens it, a later BOF opens an embedded substream
        // (a chart) whose records are skipped up to its EOF, and an EOF at the sheet's level ends it.
        // Cells before any BOF count, as they do for calamine.
        let mut seen_bof = false;
        let mut nested = 0usize;
        // A STRING record (a formula's text result) lands on the last formula's cell, A1 before any.
        let mut formula_at = (0u32, 0u32);
        for (typ, d) in records(stream, start) {
            if nested > 0 {
                match typ {
                    BOF => nested += 1,
                    EOF => nested -= 1,
                    _ => {}
                }
                continue;
            }
            match typ {
                BOF if seen_bof => nested += 1,
                BOF => seen_bof = true,
                EOF => break,
                DIMENSIONS => mem.reserved = mem.reserved.saturating_add(dimensions_reserve(d)),
                // NUMBER, LABEL, RSTRING, BOOLERR, RK, LABELSST, FORMULA: row, col first.
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                    if let (Some(r), Some(c)) = (u16_at(d, 0), u16_at(d, 2)) {
                        grow(&mut cells, r, c, c);
                        if typ == 0x0006 {
                            grow(&mut formulas, r, c, c);
                            formula_at = (r, c);
                        }
                    }
                }
                0x0207 => grow(&mut cells, formula_at.0, formula_at.1, formula_at.1),
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
        mem.dense += area(cells) * 32 + area(formulas) * 24;
        largest = largest.max(area(cells) * 32);
    }
    mem.dense += largest;
    mem
}

/// The bytes calamine reserves for one DIMENSIONS record: its rows times its columns, computed in the
/// 32-bit arithmetic calamine uses, so that reversed bounds wrap around as they do there.
fn dimensions_reserve(d: &[u8]) -> u64 {
    let u32_at = |i: usize| d.get(i..i + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let (first_row, last_row, mut first_col, last_col) = match d.len() {
        10 => (u16_at(d, 0).unwrap_or(0), u16_at(d, 2).unwrap_or(0), u16_at(d, 4).unwrap_or(0), u16_at(d, 6).unwrap_or(0)),
        14 | 16 => (u32_at(0), u32_at(4), u16_at(d, 8).unwrap_or(0), u16_at(d, 10).unwrap_or(0)),
        _ => return 0,
    };
    if first_col > 0xFF || last_col < first_col {
        first_col = 0;
    }
    let (rows, cols) = if last_row >= 1 && last_col >= 1 {
        (
            (last_row - 1).wrapping_sub(first_row).wrapping_add(1),
            (last_col - 1).wrapping_sub(first_col).wrapping_add(1),
        )
    } else {
        (1, 1)
    };
    u64::from(rows).saturating_mul(u64::from(cols)).saturating_mul(40)
}

/// True when the workbook globals (BOF … EOF) hold a FILEPASS record.
fn has_filepass(stream: &[u8]) -> bool {
    for (i, (typ, _)) in headers(stream, 0).enumerate() {
        match typ {
            _ if i == 0 && typ != BOF => return false,
            FILEPASS => return true,
            EOF => return false,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::records::record;

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

    #[test]
    fn dimensions_reserve_as_calamine_computes_it() {
        let biff8 = |rf: u32, rl: u32, cf: u16, cl: u16| {
            [&rf.to_le_bytes()[..], &rl.to_le_bytes(), &cf.to_le_bytes(), &cl.to_le_bytes(), &[0, 0]].concat()
        };
        // Rows 0..100, columns 0..10 (last row and column are one past the end).
        assert_eq!(dimensions_reserve(&biff8(0, 100, 0, 10)), 100 * 10 * 40);
        // An empty sheet announces one cell.
        assert_eq!(dimensions_reserve(&biff8(0, 0, 0, 0)), 40);
        // Reversed rows wrap around in calamine's 32-bit arithmetic: billions of cells.
        assert!(dimensions_reserve(&biff8(10, 5, 0, 10)) > 1 << 40);
        // A record of the wrong length is an error for calamine, which then reserves nothing.
        assert_eq!(dimensions_reserve(&[0; 12]), 0);
    }

    #[test]
    fn sees_through_a_compound_file_only_calamine_opens() {
        // Found by the fuzzer: the cfb crate refuses the directory, calamine reads it and would fill a
        // 12,807 × 11,831 rectangle (4.8 GB) for one stray cell.
        let bytes = include_bytes!("../../../tests/fixtures/regressions/fuzz-oom-xls-broken-cfb.xls");
        assert!(cfb::CompoundFile::open(Cursor::new(&bytes[..])).is_err());
        match inspect(bytes) {
            CfbKind::Xls { encrypted: false, memory, .. } => {
                assert_eq!(memory.dense, 12_807 * 11_831 * 32 * 2, "{memory:?}");
            }
            other => panic!("{other:?}"),
        }
    }
}
