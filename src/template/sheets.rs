//! The template's smaller sheets: 填报说明, the 问题清单 of corrections, and the hidden list sheet that
//! feeds the dropdowns.

use rust_xlsxwriter::{Workbook, XlsxError};

use super::{Ctx, fill};
use crate::xlsx::{fit_height, print_setup};

/// 填报说明.
pub(super) fn instructions(wb: &mut Workbook, cx: &Ctx<'_>) -> Result<(), XlsxError> {
    let (prefecture, period, deadline, f) = (cx.prefecture, cx.period, cx.deadline, &cx.f);
    let layout = &cx.refdata.template;
    let ws = wb.add_worksheet();
    ws.set_name(&layout.sheets.instructions)?;
    ws.set_column_width(0, 72)?;
    ws.set_screen_gridlines(false);
    ws.write_string_with_format(0, 0, fill(&layout.instructions.title, prefecture, period, deadline), &f.title)?;
    ws.set_row_height(0, 36)?;
    for (i, line) in layout.instructions.lines.iter().enumerate() {
        let r = 2 + i as u32;
        let text = fill(line, prefecture, period, deadline);
        ws.set_row_height(r, fit_height(&[(&text, 72.0)], 16.0) + 8.0)?;
        ws.write_string_with_format(r, 0, text, &f.instructions)?;
    }
    ws.set_paper_size(9);
    ws.set_print_fit_to_pages(1, 0);
    ws.protect();
    Ok(())
}

/// 问题清单, for corrections: every finding of the return, with what to do.
pub(super) fn findings(wb: &mut Workbook, cx: &Ctx<'_>) -> Result<(), XlsxError> {
    let (prefecture, period, extras, f) = (cx.prefecture, cx.period, cx.extras, &cx.f);
    let layout = &cx.refdata.template;
    let ws = wb.add_worksheet();
    ws.set_name(&layout.sheets.feedback)?;
    let headers = [("序号", 5.0), ("严重程度", 8.0), ("代码", 6.0), ("工作表", 18.0), ("单元格", 7.0), ("字段", 14.0), ("原值", 24.0), ("修改意见", 58.0)];
    ws.merge_range(0, 0, 0, headers.len() as u16 - 1, &format!("{}{}质量提升台账审核意见", prefecture.name, period.label()), &f.title)?;
    ws.set_row_height(0, 36)?;
    for (c, (h, w)) in headers.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *h, &f.header)?;
        ws.set_column_width(c as u16, *w)?;
    }
    for (i, x) in extras.findings.iter().enumerate() {
        let r = 2 + i as u32;
        let cells = [
            (i + 1).to_string(),
            x.severity.label().to_string(),
            x.code.as_str().to_string(),
            x.sheet.clone().unwrap_or_default(),
            x.cell.map(|c| c.a1()).unwrap_or_default(),
            x.field.clone().unwrap_or_default(),
            x.value.clone().unwrap_or_default(),
            x.message.clone(),
        ];
        let texts: Vec<(&str, f64)> = cells.iter().zip(headers.iter()).map(|(t, (_, w))| (t.as_str(), *w)).collect();
        ws.set_row_height(r, fit_height(&texts, 15.0).max(20.0))?;
        for (c, t) in cells.iter().enumerate() {
            let fmt = if c == 1 && x.severity == crate::Severity::Error { &f.marked_error } else { &f.locked_text };
            ws.write_string_with_format(r, c as u16, t, fmt)?;
        }
    }
    ws.set_freeze_panes(2, 0)?;
    print_setup(ws, 1, 1)?;
    ws.set_active(true);
    Ok(())
}

/// The hidden list sheet feeding the dropdowns (a range, so the 255-character limit of inline lists does
/// not apply).
pub(super) fn lists(wb: &mut Workbook, cx: &Ctx<'_>) -> Result<(), XlsxError> {
    let (refdata, f) = (cx.refdata, &cx.f);
    let layout = &refdata.template;
    let ws = wb.add_worksheet();
    ws.set_name(&layout.sheets.lists)?;
    ws.write_string_with_format(0, 0, "行业", &f.label)?;
    ws.write_string_with_format(0, 1, "完成状态", &f.label)?;
    for (i, s) in refdata.ledger.industries.iter().enumerate() {
        ws.write_string(1 + i as u32, 0, s)?;
    }
    for (i, s) in refdata.tasks.statuses.iter().enumerate() {
        ws.write_string(1 + i as u32, 1, s)?;
    }
    ws.set_column_width(0, 16)?;
    ws.set_column_width(1, 12)?;
    ws.protect();
    ws.set_hidden(true);
    Ok(())
}
