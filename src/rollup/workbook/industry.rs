//! 按行业统计: enterprises per industry and prefecture, with a chart.

use rust_xlsxwriter::{Chart, ChartType, Workbook, XlsxError};

use crate::refdata::RefData;
use crate::rollup::layout::sheets;
use crate::rollup::merge::Merged;

use super::{Styles, finish_table, header_row, titles};

pub(super) fn write_industry(wb: &mut Workbook, refdata: &RefData, m: &Merged, st: &Styles, period: &str) -> Result<(), XlsxError> {
    let prefs = refdata.prefectures.all();
    let zones = refdata.prefectures.zones();
    let ws = wb.add_worksheet();
    ws.set_name(sheets::INDUSTRY)?;
    let mut headers: Vec<(String, f64)> = vec![("行业".into(), 14.0)];
    for p in prefs {
        headers.push((p.short.clone(), 6.0));
    }
    headers.push(("合计".into(), 7.0));
    let width = headers.len() as u16;
    titles(ws, &format!("提升企业按行业、市州统计({period})"), "单位:家", width, st)?;
    let h = 2;
    header_row(ws, h, &headers, st)?;
    let mut r = h + 1;
    let mut col_totals = vec![0u32; prefs.len()];
    for (ind, counts) in &m.industry_counts {
        ws.write_string_with_format(r, 0, ind, &st.text)?;
        for (j, n) in counts.iter().enumerate() {
            col_totals[j] += n;
            if *n > 0 {
                ws.write_number_with_format(r, 1 + j as u16, f64::from(*n), &st.number)?;
            } else {
                ws.write_blank(r, 1 + j as u16, &st.number)?;
            }
        }
        ws.write_number_with_format(r, width - 1, f64::from(counts.iter().sum::<u32>()), &st.total_number)?;
        r += 1;
    }
    ws.write_string_with_format(r, 0, "合计", &st.total)?;
    for (j, n) in col_totals.iter().enumerate() {
        ws.write_number_with_format(r, 1 + j as u16, f64::from(*n), &st.total_number)?;
    }
    ws.write_number_with_format(r, width - 1, f64::from(col_totals.iter().sum::<u32>()), &st.total_number)?;
    let pref_last = r;
    finish_table(ws, h, r - 1, width)?;

    // By economic zone, with a chart.
    let zh = pref_last + 3;
    ws.write_string_with_format(zh - 1, 0, "按经济区统计(单位:家)", &st.label)?;
    ws.write_string_with_format(zh, 0, "行业", &st.header)?;
    for (k, z) in zones.iter().enumerate() {
        ws.write_string_with_format(zh, 1 + k as u16, &z.short, &st.header)?;
    }
    ws.write_string_with_format(zh, 1 + zones.len() as u16, "合计", &st.header)?;
    let zone_of: Vec<usize> = prefs.iter().map(|p| zones.iter().position(|z| z.key == p.zone).unwrap_or(0)).collect();
    let mut zr = zh + 1;
    for (ind, counts) in &m.industry_counts {
        ws.write_string_with_format(zr, 0, ind, &st.text)?;
        let mut by_zone = vec![0u32; zones.len()];
        for (j, n) in counts.iter().enumerate() {
            by_zone[zone_of[j]] += n;
        }
        for (k, n) in by_zone.iter().enumerate() {
            ws.write_number_with_format(zr, 1 + k as u16, f64::from(*n), &st.number)?;
        }
        ws.write_number_with_format(zr, 1 + zones.len() as u16, f64::from(by_zone.iter().sum::<u32>()), &st.total_number)?;
        zr += 1;
    }
    if !m.industry_counts.is_empty() {
        let mut chart = Chart::new(ChartType::ColumnStacked);
        let sheet = sheets::INDUSTRY;
        for k in 0..zones.len() {
            let c = 1 + k as u16;
            chart
                .add_series()
                .set_name((sheet, zh, c))
                .set_categories((sheet, zh + 1, 0, zr - 1, 0))
                .set_values((sheet, zh + 1, c, zr - 1, c));
        }
        chart.title().set_name("提升企业数:行业 × 经济区");
        chart.y_axis().set_name("企业数(家)");
        chart.x_axis().set_name("行业");
        chart.set_width(760).set_height(380);
        ws.insert_chart(zh, 2 + zones.len() as u16, &chart)?;
    }
    Ok(())
}
