//! Why a file could not be read: one [`ReadError`] per reason, each with its own finding code
//! ([`ReadError::code`], the one mapping from a reason to a code) and a Chinese message a prefecture can
//! act on. What the reading library said, in its own words, is kept apart as the technical detail
//! ([`ReadError::detail`]), which goes to the finding's 技术细节 and never into its message.

use std::sync::Arc;

use crate::finding::Code;

/// Why a file could not be read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadError {
    /// The workbook needs a password to open (agile, standard, RC4, CryptoAPI or XOR obfuscation).
    #[error("文件已加密,请去除密码后重新报送")]
    Encrypted,
    /// Not a spreadsheet: a Word document, a picture, a PDF, an archive.
    #[error("该文件不是电子表格({0}),请报送 xlsx、xls 或 ods 格式的台账")]
    NotSpreadsheet(String),
    /// A legacy Word document (.doc, Word 97–2003): no Rust reader gets its tables out soundly, so the
    /// prefecture is asked to save it again as .docx (or copy the table into Excel).
    #[error("该文件是旧版 Word 文档(.doc),无法读取其中的表格。请在 Word 或 WPS 中另存为 .docx,或把表格复制到 Excel 另存为 .xlsx 后重新报送")]
    LegacyWord,
    /// A spreadsheet format taizhang does not read (Excel 2–5 BIFF, flat ODS).
    #[error("不支持的表格格式({0}),请用 Excel 或 WPS 另存为 xlsx 后重新报送")]
    Unsupported(String),
    /// Damaged or truncated. The text is what the reading library (or taizhang's own look inside the file)
    /// found, for the technical detail.
    #[error("文件已损坏或不完整,无法读取,请重新保存后报送")]
    Corrupt(String),
    /// Larger than the limits.
    #[error("文件过大:{0},请删除多余的行列或工作表后重新报送")]
    TooLarge(String),
    /// Reading took longer than the batch allows; the reader stopped.
    #[error("读取超时,已停止读取。文件可能过大或已损坏,请另存为 xlsx 后重新报送")]
    TimedOut,
    /// The file could not be opened at all.
    #[error("无法打开文件,请确认文件仍在原处并且可以读取")]
    Io(#[source] Arc<std::io::Error>),
}

impl ReadError {
    /// The finding code of a file (or sheet) that could not be read for this reason: F03 encrypted, F02 not
    /// a spreadsheet, F04 too large, F01 for everything else.
    pub fn code(&self) -> Code {
        match self {
            ReadError::Encrypted => Code::Encrypted,
            ReadError::NotSpreadsheet(_) | ReadError::LegacyWord => Code::NotSpreadsheet,
            ReadError::TooLarge(_) => Code::TooLarge,
            ReadError::TimedOut => Code::Timeout,
            ReadError::Unsupported(_) | ReadError::Corrupt(_) | ReadError::Io(_) => Code::Unreadable,
        }
    }

    /// What the reading library said, in its words (often English), for the people who look after the
    /// office's computers: the 技术细节 of the finding. `None` when the message says all there is.
    pub fn detail(&self) -> Option<String> {
        match self {
            ReadError::Corrupt(d) => Some(d.clone()),
            ReadError::Io(e) => Some(e.to_string()),
            _ => None,
        }
    }
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        ReadError::Io(Arc::new(e))
    }
}

/// A damaged file, with the library's words (shortened to 120 characters) as the detail.
pub(crate) fn corrupt(e: impl std::fmt::Display) -> ReadError {
    let mut s = e.to_string();
    if s.chars().count() > 120 {
        s = s.chars().take(120).collect::<String>() + "…";
    }
    ReadError::Corrupt(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_chinese_and_the_library_detail_is_apart() {
        let e = corrupt("invalid Zip archive: Could not find EOCD");
        assert_eq!(e.to_string(), "文件已损坏或不完整,无法读取,请重新保存后报送");
        assert_eq!(e.detail().as_deref(), Some("invalid Zip archive: Could not find EOCD"));
        assert_eq!(e.code(), Code::Unreadable);
        let io: ReadError = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory").into();
        assert!(!io.to_string().contains("No such file"));
        assert!(std::error::Error::source(&io).is_some(), "the io::Error is kept as the source");
        assert_eq!(ReadError::Encrypted.code(), Code::Encrypted);
        assert_eq!(ReadError::TooLarge("x".into()).code(), Code::TooLarge);
        assert_eq!(ReadError::NotSpreadsheet("PDF 文档".into()).code(), Code::NotSpreadsheet);
    }
}
