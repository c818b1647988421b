//! The very hidden sheet that lets the importer recognise taizhang's own templates (and feedback
//! workbooks built from them): written and read back here, so that its keys are spelled once.

use crate::period::Period;
use crate::read::Workbook as ReadWorkbook;
use crate::submission::TemplateMeta;

/// Identifies a workbook written by `taizhang template` (stored in the very hidden sheet).
pub const TEMPLATE_ID: &str = "taizhang-质量提升台账";

/// The keys of the sheet, one a row in column A with its value in column B.
mod keys {
    pub const TEMPLATE: &str = "template";
    pub const VERSION: &str = "version";
    pub const PREFECTURE_CODE: &str = "prefecture_code";
    pub const PREFECTURE: &str = "prefecture";
    pub const PERIOD: &str = "period";
    pub const DEADLINE: &str = "deadline";
    pub const LEDGER_SHEET: &str = "ledger_sheet";
    pub const LEDGER_HEADER_ROW: &str = "ledger_header_row";
    pub const PROGRESS_SHEET: &str = "progress_sheet";
    pub const PROGRESS_HEADER_ROW: &str = "progress_header_row";
}

/// What the sheet records of a template.
#[derive(Debug, Clone)]
pub struct Meta {
    pub version: u32,
    pub prefecture_code: String,
    pub prefecture: String,
    pub period: Period,
    pub deadline: Option<chrono::NaiveDate>,
    pub ledger_sheet: String,
    /// Zero-based; written one-based, as people count rows.
    pub ledger_header_row: u32,
    pub progress_sheet: String,
    /// Zero-based; written one-based.
    pub progress_header_row: u32,
}

/// Writes the sheet, named `sheet`, very hidden and protected.
///
/// # Errors
/// When rust_xlsxwriter refuses the sheet name.
pub fn write(wb: &mut rust_xlsxwriter::Workbook, sheet: &str, m: &Meta) -> Result<(), rust_xlsxwriter::XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    let rows = [
        (keys::TEMPLATE, TEMPLATE_ID.to_string()),
        (keys::VERSION, m.version.to_string()),
        (keys::PREFECTURE_CODE, m.prefecture_code.clone()),
        (keys::PREFECTURE, m.prefecture.clone()),
        (keys::PERIOD, m.period.code()),
        (keys::DEADLINE, m.deadline.map(|d| d.to_string()).unwrap_or_default()),
        (keys::LEDGER_SHEET, m.ledger_sheet.clone()),
        (keys::LEDGER_HEADER_ROW, (m.ledger_header_row + 1).to_string()),
        (keys::PROGRESS_SHEET, m.progress_sheet.clone()),
        (keys::PROGRESS_HEADER_ROW, (m.progress_header_row + 1).to_string()),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        ws.write_string(i as u32, 0, *k)?;
        ws.write_string(i as u32, 1, v)?;
    }
    ws.protect();
    ws.set_very_hidden(true);
    Ok(())
}

/// Reads the sheet named `sheet` of a workbook as read: the template's version, prefecture and period,
/// and the sheet's name. `None` when there is no such sheet or it is not one of taizhang's.
pub fn read(wb: &ReadWorkbook, sheet: &str) -> Option<(TemplateMeta, String)> {
    let sheet = wb.sheets.iter().find(|s| s.name == sheet)?;
    let mut kv = std::collections::HashMap::new();
    for r in sheet.grid.row_numbers() {
        let row = sheet.grid.row(r);
        if let (Some(k), Some(v)) = (row.iter().find(|c| c.pos.col == 0), row.iter().find(|c| c.pos.col == 1)) {
            kv.insert(k.value.to_text(), v.value.to_text());
        }
    }
    if kv.get(keys::TEMPLATE).map(String::as_str) != Some(TEMPLATE_ID) {
        return None;
    }
    let meta = TemplateMeta {
        version: kv.get(keys::VERSION).and_then(|v| v.parse().ok()).unwrap_or(0),
        prefecture_code: kv.get(keys::PREFECTURE_CODE).cloned().unwrap_or_default(),
        period: kv.get(keys::PERIOD).and_then(|p| p.parse().ok()),
    };
    Some((meta, sheet.name.clone()))
}
