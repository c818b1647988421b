//! 指标完成情况 in a prefecture's template.

use rust_xlsxwriter::{DataValidation, DataValidationErrorStyle, DataValidationRule, Format, Workbook, Worksheet, XlsxError};

use super::{Extras, Formats, INDICATORS_HEADER_ROW, Table, marks_at, protect};
use crate::period::Period;
use crate::refdata::{Prefecture, RefData};
use crate::xlsx::{fit_height, print_setup};

/// 指标完成情况: one row per indicator the prefectures report (`indicators.toml`, `asked`), with the plan's
/// target, last quarter's value, and unlocked 累计完成值 and 说明 cells; 累计完成值 is validated as a number
/// (a percentage between 0 and 100 where the unit is one), as a warning so that a note typed there still
/// comes back and is reported rather than lost. The enterprises helped are counted from the ledger and not
/// asked here.
pub(super) fn write(
    wb: &mut Workbook,
    refdata: &RefData,
    prefecture: &Prefecture,
    period: Period,
    extras: &Extras<'_>,
    f: &Formats,
) -> Result<(), XlsxError> {
    use crate::indicators::{LEDGER_NOTE, headers};
    let ind = &refdata.indicators;
    let cols: [(&str, f64); 8] = [
        (headers::NO, 4.0),
        (headers::NAME, 36.0),
        (headers::UNIT, 4.0),
        (headers::TARGET, 12.0),
        (headers::HORIZON, 9.0),
        (headers::PREVIOUS, 8.0),
        (headers::VALUE, 10.0),
        (headers::NOTE, 14.0),
    ];
    let last_col = cols.len() as u16 - 1;
    let h = INDICATORS_HEADER_ROW;
    let ws = wb.add_worksheet();
    ws.set_name(&ind.sheet)?;
    for (i, (_, w)) in cols.iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    ws.merge_range(0, 0, 0, last_col, &format!("{}({})", ind.title, period.label()), &f.title.clone().set_font_size(16).set_text_wrap())?;
    ws.set_row_height(0, 44)?;
    let sub = format!("{}  {}  请填写截至本季度末的累计完成值:期限为「至2020年」的填2018年以来累计,「本年度」的填本年度累计", prefecture.name, period.label());
    ws.merge_range(1, 0, 1, last_col, &sub, &f.subtitle.clone().set_text_wrap())?;
    // 12-point text: a character unit of the 11-point columns holds less of it.
    let width: f64 = cols.iter().map(|c| c.1).sum::<f64>() * 11.0 / 12.0;
    ws.set_row_height(1, fit_height(&[(&sub, width)], 16.0))?;
    for (i, (name, _)) in cols.iter().enumerate() {
        ws.write_string_with_format(h, i as u16, *name, &f.header)?;
    }
    ws.set_row_height(h, 24)?;
    let rows: Vec<&crate::refdata::Indicator> = ind.asked().collect();
    for (k, i) in rows.iter().enumerate() {
        indicator_row(ws, h + 1 + k as u32, k, i, &cols, extras, f)?;
    }
    let note_row = h + 1 + rows.len() as u32;
    ws.merge_range(note_row, 0, note_row, last_col, LEDGER_NOTE, &f.instructions)?;
    ws.set_row_height(note_row, 30)?;
    ws.set_freeze_panes(h + 1, 0)?;
    print_setup(ws, h, h)?;
    // One page: the sheet is short, and a page that ends before the last indicators gets lost.
    ws.set_print_fit_to_pages(1, 1);
    ws.set_header(format!("&L{}&R{}", prefecture.name, period.label()));
    protect(ws);
    Ok(())
}

/// One indicator's row: its reference cells locked, 上期值, and 累计完成值 and 说明 to fill in (prefilled
/// and marked in corrections).
fn indicator_row(ws: &mut Worksheet, r: u32, k: usize, i: &crate::refdata::Indicator, cols: &[(&str, f64); 8], extras: &Extras<'_>, f: &Formats) -> Result<(), XlsxError> {
    use crate::indicators::{horizon_text, target_text};
    let number = f.locked_center.clone().set_num_format("General");
    let pre = extras.prefill.and_then(|p| p.indicators.iter().find(|x| x.id == i.id));
    let target = target_text(i);
    let height = fit_height(&[(&i.name, cols[1].1), (&target, cols[3].1), (horizon_text(i), cols[4].1), (pre.map_or("", |p| p.note.as_str()), cols[7].1)], 15.0);
    ws.set_row_height(r, height.max(20.0))?;
    ws.write_number_with_format(r, 0, (k + 1) as f64, &f.locked_center)?;
    ws.write_string_with_format(r, 1, &i.name, &f.locked_text)?;
    ws.write_string_with_format(r, 2, &i.unit, &f.locked_center)?;
    ws.write_string_with_format(r, 3, &target, &f.locked_center)?;
    ws.write_string_with_format(r, 4, horizon_text(i), &f.locked_center)?;
    match pre.and_then(|p| p.previous) {
        Some(v) => ws.write_number_with_format(r, 5, v, &number)?,
        None => ws.write_blank(r, 5, &number)?,
    };
    // Corrections: the cells a finding is about are coloured and carry its message.
    let marked = |column: &str, plain: &Format| -> (Format, Option<String>) {
        match marks_at(extras, Table::Indicators, k, column) {
            Some((crate::Severity::Error, m, _)) => (f.marked_error.clone(), Some(m)),
            Some((_, m, _)) => (f.marked_warning.clone(), Some(m)),
            None => (plain.clone(), None),
        }
    };
    let (vf, vnote) = marked("value", &f.data_number);
    match pre.map(|p| p.value.as_str()).filter(|v| !v.is_empty()) {
        Some(v) => match v.parse::<f64>() {
            Ok(n) => ws.write_number_with_format(r, 6, n, &vf)?,
            Err(_) => ws.write_string_with_format(r, 6, v, &vf)?,
        },
        None => ws.write_blank(r, 6, &vf)?,
    };
    let (nf, nnote) = marked("note", &f.data);
    match pre.map(|p| p.note.as_str()).filter(|v| !v.is_empty()) {
        Some(v) => ws.write_string_with_format(r, 7, v, &nf)?,
        None => ws.write_blank(r, 7, &nf)?,
    };
    for (c, message) in [(6u16, vnote), (7, nnote)] {
        if let Some(m) = message {
            ws.insert_note(r, c, &rust_xlsxwriter::Note::new(m).set_author("省质量提升办"))?;
        }
    }
    ws.add_data_validation(r, 6, r, 6, &value_validation(i)?.set_error_style(DataValidationErrorStyle::Warning))?;
    Ok(())
}

/// 累计完成值 as a number (a percentage between 0 and 100 where the unit is one).
fn value_validation(i: &crate::refdata::Indicator) -> Result<DataValidation, XlsxError> {
    Ok(if i.is_percent() {
        DataValidation::new()
            .allow_decimal_number(DataValidationRule::Between(0.0, 100.0))
            .set_error_title("请填写百分数")?
            .set_error_message("请填写0到100之间的百分数,如 91.5(表示91.5%)。")?
            .set_input_title("百分数")?
            .set_input_message("填写如 91.5,表示91.5%。")?
    } else {
        DataValidation::new()
            .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
            .set_error_title("请填写数字")?
            .set_error_message(format!("请只填写一个数字(单位:{}),文字说明请写在「说明」中。", i.unit))?
            .set_input_title(format!("单位:{}", i.unit))?
            .set_input_message("填写截至本季度末的累计数。")?
    })
}
