//! 问题清单: every finding of every return, sorted by prefecture and severity.

use rust_xlsxwriter::{Workbook, XlsxError};

use crate::finding::Severity;
use crate::refdata::RefData;
use crate::rollup::layout::sheets;
use crate::rollup::merge::Merged;

use super::{Cell, Styles, finish_table, header_row, put_row, titles};

pub(super) fn write_findings(wb: &mut Workbook, refdata: &RefData, m: &Merged, st: &Styles, period: &str) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheets::FINDINGS)?;
    let headers: Vec<(String, f64)> = [
        ("序号", 5.0),
    ]
    .into_iter()
    .chain(crate::finding::TABLE_COLUMNS.into_iter().zip([10.0, 7.0, 6.0, 16.0, 24.0, 14.0, 7.0, 12.0, 22.0, 60.0, 30.0]))
    .map(|(h, w)| (h.to_string(), w))
    .collect();
    let width = headers.len() as u16;
    let c = crate::finding::Counts::of(&m.findings);
    titles(ws, &format!("问题清单({period})"), &format!("错误 {} 条,警告 {} 条,提示 {} 条", c.errors, c.warnings, c.infos), width, st)?;
    let h = 2;
    header_row(ws, h, &headers, st)?;
    let _ = refdata;
    let widths: Vec<f64> = headers.iter().map(|(_, w)| *w).collect();
    let mut r = h + 1;
    for (i, f) in m.findings.iter().enumerate() {
        let sev = match f.severity {
            Severity::Error => &st.error,
            Severity::Warning => &st.warning,
            Severity::Info => &st.center,
        };
        let values = f.table_row(&crate::submission::base_name(&f.file));
        // 市州, 严重程度, 代码 and 单元格 centred, the severity in its colour, the rest as text.
        let fmts = [&st.center, sev, &st.center, &st.text, &st.text, &st.text, &st.center, &st.text, &st.text, &st.text, &st.text];
        let cells: Vec<Cell<'_>> =
            std::iter::once(Cell::N((i + 1) as f64, &st.center)).chain(values.iter().zip(fmts).map(|(v, fmt)| Cell::S(v, fmt))).collect();
        put_row(ws, r, &cells, &widths, st)?;
        r += 1;
    }
    finish_table(ws, h, r.saturating_sub(1), width)?;
    Ok(())
}
