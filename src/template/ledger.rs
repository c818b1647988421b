//! 附件2 质量提升台账 in a prefecture's template: the info line, the locked header, numbered rows to fill
//! in (last quarter's rows when prefilled, with marked cells in corrections), and the 行业 and
//! 统一社会信用代码 checks.

use rust_xlsxwriter::{DataValidation, DataValidationErrorStyle, DataValidationRule, Formula, Workbook, Worksheet, XlsxError};

use super::{Ctx, LEDGER_HEADER_ROW, Table, extra_key, fill, marks_at, protect, write_value};
use crate::xlsx::{fit_height, print_setup};

/// Writes the sheet.
pub(super) fn write(wb: &mut Workbook, cx: &Ctx<'_>) -> Result<(), XlsxError> {
    let (refdata, prefecture, period, deadline, extras, f) = (cx.refdata, cx.prefecture, cx.period, cx.deadline, cx.extras, &cx.f);
    let layout = &refdata.template;
    let prefill = extras.prefill;
    let cols = &refdata.ledger.columns;
    let last_col = cols.len() as u16 - 1;
    let first_data = LEDGER_HEADER_ROW + 1;
    let last_data = first_data + layout.ledger.rows.max(1) - 1;
    let ws = wb.add_worksheet();
    ws.set_name(&layout.sheets.ledger)?;
    for (i, c) in cols.iter().enumerate() {
        ws.set_column_width(i as u16, c.width)?;
    }
    ws.merge_range(0, 0, 0, last_col, &fill(&layout.ledger.title, prefecture, period, deadline), &f.title)?;
    ws.set_row_height(0, 36)?;
    // The info line: 填报市州 printed; 填报日期, 填报人 and 联系电话 to fill in.
    ws.merge_range(1, 0, 1, 2, &format!("{}{}", layout.ledger.prefecture_label, prefecture.name), &f.label)?;
    info_line(ws, cx, last_col)?;
    ws.set_row_height(1, 24)?;
    for (i, c) in cols.iter().enumerate() {
        ws.write_string_with_format(LEDGER_HEADER_ROW, i as u16, &c.name, &f.header)?;
    }
    ws.set_row_height(LEDGER_HEADER_ROW, 36)?;
    let seq = Some(refdata.ledger.keys.seq);
    let prefilled = prefill.map(|p| p.ledger.as_slice()).unwrap_or_default();
    let last_data = last_data.max(first_data + prefilled.len() as u32 + 49);
    for r in first_data..=last_data {
        for (i, _) in cols.iter().enumerate() {
            let c = i as u16;
            let fmt = if Some(i) == seq { &f.data_center } else { &f.data };
            ws.write_blank(r, c, fmt)?;
        }
        if let Some(s) = seq {
            // Numbered rows, as in the printed 附件2; a row with only its number is read as empty.
            ws.write_number_with_format(r, s as u16, f64::from(r - first_data + 1), &f.data_center)?;
        }
    }
    let extra_headers = prefill.map(|p| p.ledger_extra_headers.as_slice()).unwrap_or_default();
    for (e, name) in extra_headers.iter().enumerate() {
        let c = cols.len() as u16 + e as u16;
        ws.set_column_width(c, 14)?;
        ws.write_string_with_format(LEDGER_HEADER_ROW, c, name, &f.header)?;
        for r in first_data..=last_data {
            ws.write_blank(r, c, &f.data)?;
        }
    }
    prefilled_rows(ws, cx, first_data, extra_headers)?;
    validations(ws, cx, first_data, last_data)?;
    ws.set_freeze_panes(first_data, 0)?;
    ws.autofilter(LEDGER_HEADER_ROW, 0, last_data, last_col + extra_headers.len() as u16)?;
    print_setup(ws, LEDGER_HEADER_ROW, LEDGER_HEADER_ROW)?;
    ws.set_header(format!("&L{}&R{}", prefecture.name, period.label()));
    protect(ws);
    if extras.findings.is_empty() {
        ws.set_active(true);
    }
    Ok(())
}

/// The info line: 填报市州 printed; 填报日期, 填报人 and 联系电话 to fill in.
fn info_line(ws: &mut Worksheet, cx: &Ctx<'_>, last_col: u16) -> Result<(), XlsxError> {
    let (layout, extras, f) = (&cx.refdata.template, cx.extras, &cx.f);
    let pairs = [
        (&layout.ledger.date_label, &f.input_date),
        (&layout.ledger.filler_label, &f.input),
        (&layout.ledger.phone_label, &f.input),
    ];
    for (i, (label, input)) in pairs.into_iter().enumerate() {
        let c = 3 + 2 * i as u16;
        if c + 1 > last_col {
            break;
        }
        ws.write_string_with_format(1, c, label.as_str(), &f.label_right)?;
        match &extras.info[i] {
            Some(v) => ws.write_string_with_format(1, c + 1, v, input)?,
            None => ws.write_blank(1, c + 1, input)?,
        };
    }
    Ok(())
}

/// Last quarter's rows (or the rows as read, in corrections), each marked cell coloured and annotated.
fn prefilled_rows(ws: &mut Worksheet, cx: &Ctx<'_>, first_data: u32, extra_headers: &[String]) -> Result<(), XlsxError> {
    let (refdata, extras, f) = (cx.refdata, cx.extras, &cx.f);
    let prefill = extras.prefill;
    let cols = &refdata.ledger.columns;
    let seq = Some(refdata.ledger.keys.seq);
    let prefilled = prefill.map(|p| p.ledger.as_slice()).unwrap_or_default();
    for (k, row) in prefilled.iter().enumerate() {
        let r = first_data + k as u32;
        let texts: Vec<(&str, f64)> = row.iter().zip(cols.iter()).map(|(v, c)| (v.as_str(), c.width)).collect();
        let h = fit_height(&texts, 15.0);
        if h > 19.0 {
            ws.set_row_height(r, h)?;
        }
        let row_extras = prefill.and_then(|p| p.ledger_extras.get(k));
        let cells = cols.iter().enumerate().map(|(i, c)| (i, c.key.clone(), row.get(i).map(String::as_str).unwrap_or(""))).chain(
            extra_headers
                .iter()
                .enumerate()
                .map(|(e, _)| (cols.len() + e, extra_key(e), row_extras.and_then(|x| x.get(e)).map(String::as_str).unwrap_or(""))),
        );
        for (i, key, v) in cells {
            let mark = marks_at(extras, Table::Ledger, k, &key);
            if Some(i) == seq && mark.is_none() {
                continue;
            }
            let fmt = match &mark {
                Some((crate::Severity::Error, ..)) => &f.marked_error,
                Some(_) => &f.marked_warning,
                None => &f.data,
            };
            if v.is_empty() {
                if mark.is_some() {
                    ws.write_blank(r, i as u16, fmt)?;
                }
            } else {
                write_value(ws, r, i as u16, v, mark.as_ref().is_some_and(|m| m.2), fmt)?;
            }
            if let Some((_, message, _)) = mark {
                ws.insert_note(r, i as u16, &rust_xlsxwriter::Note::new(message).set_author("省质量提升办"))?;
            }
        }
    }
    Ok(())
}

/// The 行业 dropdown (a warning, so that an industry missing from the list can still be written) and the
/// 18-character check of 统一社会信用代码.
fn validations(ws: &mut Worksheet, cx: &Ctx<'_>, first_data: u32, last_data: u32) -> Result<(), XlsxError> {
    let refdata = cx.refdata;
    let lists = &cx.lists;
    let n_industries = refdata.ledger.industries.len() as u32;
    let industry = Some(refdata.ledger.keys.industry);
    if let Some(ind) = industry {
        let dv = DataValidation::new()
            .allow_list_formula(Formula::new(format!("={lists}!$A$2:$A${}", n_industries + 1)))
            .set_error_style(DataValidationErrorStyle::Warning)
            .set_error_title("行业不在列表中")?
            .set_error_message("该行业不在下拉列表中。如确属列表以外的行业,请点击「是」保留;否则请点击「否」重新选择。")?
            .set_input_title("所属(产业)行业")?
            .set_input_message("请从下拉列表中选择;列表中没有的可直接填写。")?;
        ws.add_data_validation(first_data, ind as u16, last_data, ind as u16, &dv)?;
    }
    if let Some(uscc) = refdata.ledger.keys.uscc {
        let dv = DataValidation::new()
            .allow_text_length(DataValidationRule::EqualTo(18))
            .set_error_style(DataValidationErrorStyle::Warning)
            .set_error_title("统一社会信用代码应为18位")?
            .set_error_message("统一社会信用代码应为18位字母和数字,请核对。")?;
        ws.add_data_validation(first_data, uscc as u16, last_data, uscc as u16, &dv)?;
    }
    Ok(())
}
