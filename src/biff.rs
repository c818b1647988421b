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
    /// An Excel workbook (BIFF5 or BIFF8), encrypted or not.
    Xls { encrypted: bool },
    /// An xlsx/xlsm protected by a password to open.
    EncryptedOoxml,
    /// Not a workbook: what it is, in words for the user.
    Other(String),
    /// The compound file structure itself is damaged.
    Broken(String),
}

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const FILEPASS: u16 = 0x002F;

/// Inspects a compound file.
pub fn inspect(bytes: &[u8]) -> CfbKind {
    let mut cfb = match cfb::CompoundFile::open(Cursor::new(bytes)) {
        Ok(c) => c,
        Err(e) => return CfbKind::Broken(format!("复合文档结构损坏: {e}")),
    };
    if cfb.exists("/EncryptedPackage") || cfb.exists("/EncryptionInfo") {
        return CfbKind::EncryptedOoxml;
    }
    for name in ["/Workbook", "/Book", "/WORKBOOK", "/BOOK"] {
        if !cfb.is_stream(name) {
            continue;
        }
        let mut head = Vec::new();
        // The globals substream comes first; 4 MiB is far more than any FILEPASS position.
        match cfb.open_stream(name) {
            Ok(s) => {
                if s.take(4 << 20).read_to_end(&mut head).is_err() {
                    return CfbKind::Broken("工作簿数据流无法读取".into());
                }
            }
            Err(e) => return CfbKind::Broken(format!("工作簿数据流无法读取: {e}")),
        }
        return CfbKind::Xls { encrypted: has_filepass(&head) };
    }
    if cfb.exists("/WordDocument") {
        return CfbKind::Other("Word 文档".into());
    }
    if cfb.exists("/PowerPoint Document") {
        return CfbKind::Other("PowerPoint 演示文稿".into());
    }
    CfbKind::Other("不含工作簿的复合文档".into())
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
