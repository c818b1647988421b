//! 汇总: one line per prefecture, grouped by economic zone — what arrived, what is in the rollup, the
//! findings, and whether the prefecture reaches the target of enterprises helped.

use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};

use crate::refdata::RefData;
use crate::rollup::layout::{sheets, summary_cols};
use crate::rollup::merge::{Merged, ReturnStatus};

use super::{Cell, Styles, finish_table, header_row, put_row, titles};

pub(super) fn write_summary(wb: &mut Workbook, refdata: &RefData, m: &Merged, st: &Styles, period: &str, scope: &str) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheets::SUMMARY)?;
    let headers: Vec<(String, f64)> = [
        (summary_cols::ZONE, 14.0),
        (summary_cols::PREFECTURE, 16.0),
        (summary_cols::STATUS, 9.0),
        (summary_cols::FILE, 30.0),
        (summary_cols::FILLED_DATE, 11.0),
        (summary_cols::FILLER, 8.0),
        (summary_cols::PHONE, 13.0),
        (summary_cols::ENTERPRISES, 7.0),
        (summary_cols::TASKS, 8.0),
        (summary_cols::ERRORS, 7.0),
        (summary_cols::WARNINGS, 7.0),
        (summary_cols::INFOS, 7.0),
        (summary_cols::UNUSED, 34.0),
        (&format!("达到{}家目标", refdata.indicators.enterprises_target()), 9.0),
    ]
    .iter()
    .map(|(h, w)| (h.to_string(), *w))
    .collect();
    let width = headers.len() as u16;
    titles(ws, &format!("四川省重点消费品质量提升台账报送情况汇总({period})"), scope, width, st)?;
    let h = 2;
    header_row(ws, h, &headers, st)?;
    // Prefectures grouped by zone, official order within each.
    let mut order: Vec<&crate::rollup::merge::PrefectureSummary> = Vec::new();
    for z in refdata.prefectures.zones() {
        order.extend(m.prefectures.iter().filter(|p| p.zone == z.name));
    }
    order.extend(m.prefectures.iter().filter(|p| p.zone.is_empty()));
    let mut r = h + 1;
    let mut zone_start: Option<(u32, &str)> = None;
    let mut totals = (0usize, 0usize, 0usize, 0usize, 0usize, 0usize);
    let widths: Vec<f64> = headers.iter().map(|(_, w)| *w).collect();
    for p in &order {
        let below = summary_row(ws, r, p, st, &widths, refdata.indicators.enterprises_target())?;
        totals.0 += usize::from(p.status == ReturnStatus::Returned && !p.zone.is_empty());
        totals.1 += p.enterprises;
        totals.2 += p.counts.errors;
        totals.3 += p.counts.warnings;
        totals.5 += p.counts.infos;
        totals.4 += usize::from(!p.zone.is_empty() && !below);
        // The zone cell is merged over its prefectures.
        match zone_start {
            Some((_, z)) if z == p.zone => {}
            _ => {
                if let Some((start, z)) = zone_start {
                    write_zone(ws, start, r - 1, z, st)?;
                }
                zone_start = Some((r, p.zone.as_str()));
            }
        }
        r += 1;
    }
    if let Some((start, z)) = zone_start {
        write_zone(ws, start, r - 1, z, st)?;
    }
    summary_totals(ws, r, refdata.prefectures.all().len(), totals, st)?;
    finish_table(ws, h, r - 1, width)?;
    ws.set_active(true);
    Ok(())
}

/// One prefecture's line of 汇总. Returns whether it is below the target of enterprises helped.
fn summary_row(ws: &mut Worksheet, r: u32, p: &crate::rollup::merge::PrefectureSummary, st: &Styles, widths: &[f64], target: usize) -> Result<bool, XlsxError> {
    let missing = !matches!(p.status, ReturnStatus::Returned | ReturnStatus::Other);
    let (tf, cf) = if missing { (&st.missing, &st.missing_center) } else { (&st.text, &st.center) };
    let below = p.enterprises < target && !p.zone.is_empty();
    let ef = if missing { &st.missing_center } else if below { &st.below_target } else { &st.number };
    let mut unused: Vec<String> = p.unused.iter().map(|(f, why)| format!("{f}({why})")).collect();
    if p.status == ReturnStatus::Other {
        unused.extend(p.reason.clone());
    }
    let superseded = unused.join("\n");
    let target = if p.zone.is_empty() { "" } else if below { "否" } else { "是" };
    put_row(
        ws,
        r,
        &[
            Cell::B(&st.center),
            Cell::S(&p.name, tf),
            Cell::S(p.status_label(), cf),
            Cell::S(p.file.as_deref().unwrap_or(""), tf),
            Cell::S(p.filled_date.as_deref().unwrap_or(""), cf),
            Cell::S(p.filler.as_deref().unwrap_or(""), cf),
            Cell::S(p.phone.as_deref().unwrap_or(""), cf),
            Cell::N(p.enterprises as f64, ef),
            Cell::N(p.tasks_reported as f64, if missing { &st.missing_center } else { &st.number }),
            Cell::N(p.counts.errors as f64, if p.counts.errors > 0 { &st.error } else { cf }),
            Cell::N(p.counts.warnings as f64, if p.counts.warnings > 0 { &st.warning } else { cf }),
            Cell::N(p.counts.infos as f64, cf),
            Cell::S(&superseded, tf),
            Cell::S(target, if below { &st.below_target } else { cf }),
        ],
        &widths,
        st,
    )?;
    Ok(below)
}

/// The 合计 line of 汇总: prefectures returned, enterprises, findings, prefectures meeting the target.
fn summary_totals(ws: &mut Worksheet, r: u32, prefs: usize, totals: (usize, usize, usize, usize, usize, usize), st: &Styles) -> Result<(), XlsxError> {
    ws.merge_range(r, 0, r, 1, summary_cols::TOTAL, &st.total)?;
    ws.write_string_with_format(r, 2, &format!("{}/{prefs}", totals.0), &st.total)?;
    for c in [3u16, 4, 5, 6, 8, 12] {
        ws.write_blank(r, c, &st.total)?;
    }
    ws.write_number_with_format(r, 7, totals.1 as f64, &st.total_number)?;
    ws.write_number_with_format(r, 9, totals.2 as f64, &st.total_number)?;
    ws.write_number_with_format(r, 10, totals.3 as f64, &st.total_number)?;
    ws.write_number_with_format(r, 11, totals.5 as f64, &st.total_number)?;
    ws.write_string_with_format(r, 13, &format!("{}/{prefs}", totals.4), &st.total)?;
    Ok(())
}

pub(super) fn write_zone(ws: &mut Worksheet, first: u32, last: u32, zone: &str, st: &Styles) -> Result<(), XlsxError> {
    if first == last {
        ws.write_string_with_format(first, 0, zone, &st.center)?;
    } else {
        ws.merge_range(first, 0, last, 0, zone, &st.center)?;
    }
    Ok(())
}
