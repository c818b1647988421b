//! Why a file could not be read: one [`ReadError`] per reason, each with its own finding code.

use super::grid::Limits;

/// Why a file could not be read. Each reason has its own finding code and a message a prefecture can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The workbook needs a password to open (agile, standard, RC4, CryptoAPI or XOR obfuscation).
    #[error("文件已加密,请去除密码后重新报送")]
    Encrypted,
    /// Not a spreadsheet: a Word document, a picture, a PDF, an archive.
    #[error("该文件不是电子表格({0}),请报送 xlsx、xls 或 ods 格式的台账")]
    NotSpreadsheet(String),
    /// A spreadsheet format taizhang does not read (Excel 2–5 BIFF, flat ODS, HTML saved as xls).
    #[error("不支持的表格格式({0}),请用 Excel 或 WPS 另存为 xlsx 后重新报送")]
    Unsupported(String),
    /// Damaged or truncated.
    #[error("文件已损坏或不完整,无法读取({0}),请重新保存后报送")]
    Corrupt(String),
    /// Larger than the limits.
    #[error("文件过大:{0},请删除多余的行列或工作表后重新报送")]
    TooLarge(String),
    /// The file could not be opened at all.
    #[error("无法打开文件:{0}")]
    Io(String),
}

pub(crate) fn corrupt(e: impl std::fmt::Display) -> ReadError {
    let mut s = e.to_string();
    if s.chars().count() > 120 {
        s = s.chars().take(120).collect::<String>() + "…";
    }
    ReadError::Corrupt(s)
}

pub(crate) fn too_many_cells(limits: &Limits) -> ReadError {
    ReadError::TooLarge(format!("工作表超过 {} 个非空单元格", limits.max_cells))
}
