//! 指标完成情况: the plan's quantified targets, the province figure and each prefecture's value.

use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, Worksheet, XlsxError};

use crate::refdata::RefData;
use crate::rollup::merge::{Merged, ReturnStatus};
use crate::xlsx::style;
use crate::xlsx::fit_height;

use super::{LINE, RollupError, Styles};

/// 指标完成情况: per indicator the target, the province figure, the rate of completion (with a data bar)
/// and the status, with `--previous` the change since the last rollup, then one column per prefecture;
/// under it the per-prefecture targets as a 21-row table with the prefectures behind highlighted, and a
/// chart of the rates. Printed at 100 % on A4 landscape: the summary on the first pages, the prefecture
/// columns on the following ones with the indicator's name repeated.
pub(super) fn write_indicators(wb: &mut Workbook, refdata: &RefData, m: &Merged, st: &Styles, period: &str) -> Result<(), RollupError> {
    let l = IndicatorLayout::new(refdata, m, st);
    let ws = wb.add_worksheet();
    ws.set_name(&refdata.indicators.sheet)?;
    l.titles(ws, period)?;
    let (first, last) = l.table(ws)?;
    let t0 = last + 3;
    let t_last = l.targets(ws, t0)?;
    let chart_row = t_last + 2;
    l.chart(ws, first, last, chart_row)?;
    let h = first - 1;
    ws.set_freeze_panes(h + 1, 2)?;
    // No repeated header rows: the indicator table fits one page, and the tables under it have their own
    // headers. The per-prefecture table and the chart each start a page; the prefecture columns print
    // after the summary, eleven at a time, each block with the indicators' names.
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_scale(100);
    ws.set_margins(0.3, 0.3, 0.35, 0.4, 0.15, 0.2);
    ws.set_print_center_horizontally(true);
    ws.set_footer("&C第 &P 页,共 &N 页");
    ws.set_page_breaks(&[t0, chart_row])?;
    ws.set_vertical_page_breaks(&l.name_copies.iter().map(|c| u32::from(*c)).collect::<Vec<_>>())?;
    Ok(())
}

/// The columns of 指标完成情况 in the rollup: the summary (序号 … 状态, 上期全省 and 较上期 with a previous
/// rollup), then the prefectures in two blocks, each led by a copy of the indicator's name.
struct IndicatorLayout<'a> {
    refdata: &'a RefData,
    m: &'a Merged,
    st: &'a Styles,
    headers: Vec<(String, f64)>,
    rate_col: u16,
    status_col: u16,
    name_col: u16,
    first_pref: u16,
    last_summary: u16,
    half: usize,
    name_w: f64,
    name_copies: Vec<u16>,
    pref_col: Vec<u16>,
    /// Whether each prefecture (official order) has a return in the rollup.
    returned: Vec<bool>,
    number: Format,
    below: Format,
    absent: Format,
}

fn fmt_n(v: f64) -> String {
    crate::text::format_number(crate::history::schedule::tidy(v))
}

/// Width of a prefecture's column of 指标完成情况.
const PREF_W: f64 = 5.2;

impl<'a> IndicatorLayout<'a> {
    fn new(refdata: &'a RefData, m: &'a Merged, st: &'a Styles) -> Self {
        use crate::rollup::layout::indicator_cols as rc;
        let prefs = refdata.prefectures.all();
        let figs = &m.indicators;
    let mut headers: Vec<(String, f64)> = vec![
        (rc::NO.into(), 4.0),
        (rc::NAME.into(), 35.5),
        (rc::TARGET.into(), 14.0),
        (rc::HORIZON.into(), 8.0),
        (rc::EXPECTED.into(), 7.0),
        (rc::PROVINCE.into(), 6.5),
        (rc::TOTAL.into(), 6.5),
        (rc::RATE.into(), 8.5),
        (rc::STATUS.into(), 9.0),
    ];
    let (rate_col, status_col, name_col) = (7u16, 8u16, 1u16);
    if figs.has_previous {
        headers.push((rc::PREVIOUS.into(), 6.0));
        headers.push((rc::CHANGE.into(), 6.0));
        // The same page width either way, so that the title fits: the names wrap a little more.
        headers[usize::from(name_col)].1 -= 7.0;
    } else {
        // The room goes to the data bars.
        headers[usize::from(rate_col)].1 += 3.0;
        headers[usize::from(status_col)].1 += 2.0;
    }
    // The prefectures in two blocks of columns, each led by a copy of the indicator's name, so that each
    // block prints as a page of its own beside the summary (repeating columns A:B instead would repeat
    // them beside the tables under the summary too).
    let first_pref = headers.len() as u16;
    let half = prefs.len().div_ceil(2);
    let name_w = headers[1].1;
    let mut name_copies: Vec<u16> = Vec::new();
    let mut pref_col: Vec<u16> = Vec::new();
    for (j, p) in prefs.iter().enumerate() {
        if j == 0 || j == half {
            name_copies.push(headers.len() as u16);
            headers.push((rc::NAME.into(), name_w));
        }
        pref_col.push(headers.len() as u16);
        headers.push((p.short.clone(), PREF_W));
    }
        let last_summary = first_pref - 1;
        let returned: Vec<bool> = prefs.iter().map(|p| m.prefectures.iter().any(|l| l.name == p.name && l.status == ReturnStatus::Returned)).collect();
        IndicatorLayout {
            refdata,
            m,
            st,
            headers,
            rate_col,
            status_col,
            name_col,
            first_pref,
            last_summary,
            half,
            name_w,
            name_copies,
            pref_col,
            returned,
            number: st.center.clone().set_num_format("General"),
            below: st.below_target.clone().set_num_format("General"),
            absent: st.missing_center.clone(),
        }
    }

    /// The titles and notes over the summary and over each block of prefectures.
    fn titles(&self, ws: &mut Worksheet, period: &str) -> Result<(), XlsxError> {
        let IndicatorLayout { refdata, m, st, headers, first_pref, last_summary, half, name_w, name_copies, returned, .. } = self;
        let (first_pref, last_summary, half, name_w) = (*first_pref, *last_summary, *half, *name_w);
        let ind = &refdata.indicators;
        let prefs = refdata.prefectures.all();
        let figs = &m.indicators;
    // The title spans the summary columns: the page the office reads first.
    let since = match (figs.has_previous, figs.previous_period) {
        (true, Some(p)) => format!(";「较上期」与{}汇总表相比", p.label()),
        (true, None) => ";「较上期」与上期汇总表相比".to_string(),
        _ => String::new(),
    };
    let (returned_n, total) = (returned.iter().filter(|r| **r).count(), prefs.len());
    let what = match ind.title.rsplit_once(')') {
        Some((_, b)) if !b.is_empty() => b.to_string(),
        _ => ind.title.clone(),
    };
    ws.merge_range(0, 0, 0, last_summary, &format!("{}({period})", ind.title), &st.title)?;
    ws.set_row_height(0, 24.0)?;
    let note = format!(
        "已报送 {returned_n}/{total} 个市州。全省完成值为各市州之和,「每个市州」的指标为达标市州数(各市州之和见「各市州合计」);完成率=全省完成值÷目标;序时进度=目标按已过季度分摊到本期的值,据此为超进度、达进度或欠进度(完成目标为达标,到期未完成为未达标){since}。"
    );
    let note_width: f64 = headers[..usize::from(first_pref)].iter().map(|h| h.1).sum();
    ws.merge_range(1, 0, 1, last_summary, &note, &st.subtitle)?;
    // Each block of prefecture columns prints as a page of its own, with its own title and legend.
    let legend = format!("已报送 {returned_n}/{total} 个市州。黄色:未达到每个市州的目标(或合格率低于目标);浅橙色:本期未报送;空白:未填报。");
    let blocks: Vec<(u16, u16)> = name_copies.iter().enumerate().map(|(k, a)| (*a, name_copies.get(k + 1).map_or(headers.len() as u16 - 1, |n| n - 1))).collect();
    for &(a, b) in &blocks {
        if a < b {
            ws.merge_range(0, a, 0, b, &format!("{what}({period}):各市州累计完成值"), &st.title)?;
            ws.merge_range(1, a, 1, b, &legend, &st.subtitle)?;
        }
    }
    ws.set_row_height(1, fit_height(&[(&note, note_width * 10.0 / 11.0), (&legend, (name_w + PREF_W * half as f64) * 10.0 / 11.0)], 14.0))?;
        Ok(())
    }

    /// The header and one row per indicator, with a data bar on the rates. Returns the first and last
    /// rows of the indicators.
    fn table(&self, ws: &mut Worksheet) -> Result<(u32, u32), XlsxError> {
        let (ind, st, headers) = (&self.refdata.indicators, self.st, &self.headers);
        let rate_col = self.rate_col;
    let h = 2u32;
    for (i, (name, w)) in headers.iter().enumerate() {
        ws.write_string_with_format(h, i as u16, name, &st.header)?;
        ws.set_column_width(i as u16, *w)?;
    }
    ws.set_row_height(h, 2.0 * LINE + 4.0)?;
    let rate_fmt = st.center.clone().set_num_format("0.0%");
    let first = h + 1;
        for (k, i) in ind.indicators.iter().enumerate() {
            self.indicator_row(ws, first + k as u32, k, i, &rate_fmt)?;
        }
    let last = first + ind.indicators.len() as u32 - 1;
    ws.add_conditional_format(
        first,
        rate_col,
        last,
        rate_col,
        &rust_xlsxwriter::ConditionalFormatDataBar::new()
            .set_minimum(rust_xlsxwriter::ConditionalFormatType::Number, 0)
            .set_maximum(rust_xlsxwriter::ConditionalFormatType::Number, 1)
            .set_fill_color(style::RATE_BAR)
            .set_solid_fill(true),
    )?;

        Ok((first, last))
    }

    /// One indicator's row: target, province figure, rate, status, the change, and each prefecture's value.
    fn indicator_row(&self, ws: &mut Worksheet, r: u32, k: usize, i: &crate::refdata::Indicator, rate_fmt: &Format) -> Result<(), XlsxError> {
        use crate::indicators::{Status, horizon_text, target_text};
        let IndicatorLayout { m, st, headers, rate_col, status_col, name_col, name_copies, pref_col, returned, number, below, absent, .. } = self;
        let (rate_col, status_col, name_col) = (*rate_col, *status_col, *name_col);
        let figs = &m.indicators;
        let f = &figs.figures[k];
        // The unit goes with the target: a column of its own would push the last indicators off the page.
        let target = if i.is_percent() { target_text(i) } else { format!("{}{}", target_text(i), i.unit) };
        // The targets (at most 14 units, ≥ counted wide) fit their column on one line.
        // A target worded for some prefectures (经济基础较好的市州≥1个) may wrap too; the others fit one line.
        let wrapped: &[(&str, f64)] = if i.applies_to.is_some() { &[(&i.name, headers[1].1), (&target, headers[2].1)] } else { &[(&i.name, headers[1].1)] };
        let hgt = fit_height(wrapped, LINE);
        ws.set_row_height(r, hgt.max(LINE + 0.5))?;
        ws.write_number_with_format(r, 0, (k + 1) as f64, &st.center)?;
        ws.write_string_with_format(r, name_col, &i.name, &st.text)?;
        ws.write_string_with_format(r, 2, &target, &st.center)?;
        ws.write_string_with_format(r, 3, horizon_text(i), &st.center)?;
        // 序时进度: what is due of the province's target; for a per-prefecture target, what is due of each.
        match (i.aggregate, f.expected, f.expected_each) {
            (crate::refdata::Aggregate::Count, _, Some(e)) => ws.write_string_with_format(r, 4, format!("≥{}", crate::text::format_number(e)), &st.center)?,
            (_, Some(e), _) => ws.write_number_with_format(r, 4, e, number)?,
            _ => ws.write_blank(r, 4, number)?,
        };
        match f.province {
            Some(v) => ws.write_number_with_format(r, 5, v, number)?,
            None => ws.write_blank(r, 5, number)?,
        };
        match f.total {
            Some(v) => ws.write_number_with_format(r, 6, v, number)?,
            None => ws.write_blank(r, 6, number)?,
        };
        match f.rate {
            Some(v) => ws.write_number_with_format(r, rate_col, v, rate_fmt)?,
            None => ws.write_blank(r, rate_col, rate_fmt)?,
        };
        let sf = match f.status {
            Status::Met | Status::Ahead => &st.done,
            Status::OnPace | Status::NoTarget => &st.center,
            Status::NotMet | Status::Behind => &st.ongoing,
            Status::NoData | Status::ProvinceToEnter => &st.not_started,
        };
        ws.write_string_with_format(r, status_col, f.status.label(), sf)?;
        if figs.has_previous {
            match f.previous {
                Some(v) => ws.write_number_with_format(r, status_col + 1, v, number)?,
                None => ws.write_blank(r, status_col + 1, number)?,
            };
            let new_year = !crate::indicators::comparable(i, figs.previous_period, m.period);
            match f.change() {
                _ if new_year => ws.write_string_with_format(r, status_col + 2, "新年度", &st.center)?,
                Some(v) => ws.write_number_with_format(r, status_col + 2, v, number)?,
                None => ws.write_blank(r, status_col + 2, number)?,
            };
        }
        // Per prefecture: the value, highlighted where a per-prefecture target is behind its 序时进度 (or the
        // rate below its target).
        // A target for some prefectures only (经济基础较好的市州) marks none as behind.
        let judged = i.binds_every_prefecture() || i.is_percent();
        for &c in name_copies {
            ws.write_string_with_format(r, c, &i.name, &st.text)?;
        }
        for (j, v) in f.values.iter().enumerate() {
            let c = pref_col[j];
            match v {
                Some(v) if judged && self.behind(i, *v) => ws.write_number_with_format(r, c, *v, below)?,
                Some(v) => ws.write_number_with_format(r, c, *v, number)?,
                None if returned[j] => ws.write_blank(r, c, number)?,
                None => ws.write_blank(r, c, absent)?,
            };
        }
            Ok(())
    }

    /// Where a prefecture's value of a per-prefecture target stands, and what is due of it (the whole
    /// target without a period).
    fn pace(&self, i: &crate::refdata::Indicator, v: f64) -> (crate::history::schedule::Pace, f64) {
        use crate::history::schedule::{Pace, expectation, judge};
        match self.m.period {
            Some(p) => {
                let rules = &self.refdata.indicators.schedule;
                let j = judge(rules, i, i.target, v, &expectation(rules, i.horizon, p));
                (j.pace, j.expected)
            }
            None if crate::indicators::meets(i, v, i.target) => (Pace::Met, i.target),
            None => (Pace::NotMet, i.target),
        }
    }

    /// Whether a prefecture's value of a per-prefecture target (or a rate) is behind: against its
    /// 序时进度 at the rollup's period, against the whole target without a period.
    fn behind(&self, i: &crate::refdata::Indicator, v: f64) -> bool {
        use crate::history::schedule::{Pace, expectation, judge};
        match self.m.period {
            Some(p) => {
                let rules = &self.refdata.indicators.schedule;
                matches!(judge(rules, i, i.target, v, &expectation(rules, i.horizon, p)).pace, Pace::Behind | Pace::NotMet)
            }
            None => !crate::indicators::meets(i, v, i.target),
        }
    }

    /// 各市州目标完成情况 from row `t0`: each prefecture against the per-prefecture targets. Returns the last
    /// row.
    fn targets(&self, ws: &mut Worksheet, t0: u32) -> Result<u32, XlsxError> {
        use crate::rollup::layout::indicator_cols as rc;
        use crate::refdata::Scope;
        let IndicatorLayout { refdata, st, last_summary, .. } = self;
        let last_summary = *last_summary;
        let ind = &refdata.indicators;
        let prefs = refdata.prefectures.all();
    // The per-prefecture targets, one row per prefecture.
    let per: Vec<(usize, &crate::refdata::Indicator)> =
        ind.indicators.iter().enumerate().filter(|(_, i)| i.scope == Scope::Prefecture && i.province_target.is_some()).collect();
    let names: Vec<String> = per.iter().map(|(_, i)| format!("{}≥{}{}", i.name, crate::text::format_number(i.target), i.unit)).collect();
    let due: Vec<String> = match self.m.period {
        Some(p) => per
            .iter()
            .map(|(_, i)| {
                let rules = &refdata.indicators.schedule;
                let e = crate::history::schedule::expectation(rules, i.horizon, p);
                format!("{}≥{}{}", i.short(), fmt_n(crate::history::schedule::judge(rules, i, i.target, 0.0, &e).expected), i.unit)
            })
            .collect(),
        None => Vec::new(),
    };
    let due = if due.is_empty() { String::new() } else { format!(";本期序时进度:{}", due.join(";")) };
    ws.merge_range(t0, 0, t0, last_summary, &format!("各市州目标完成情况(每个市州:{}{due})", names.join(";")), &st.label)?;
    ws.set_row_height(t0, 20.0)?;
    let th = t0 + 1;
    // One column per target under the summary table's columns, then what is behind across the rest.
    let spans: Vec<(u16, u16)> = (0..per.len()).map(|k| (2 + k as u16, 2 + k as u16)).collect();
    let status_span = (2 + per.len() as u16, last_summary);
    ws.write_string_with_format(th, 0, rc::NO, &st.header)?;
    ws.write_string_with_format(th, 1, "市州", &st.header)?;
    for ((_, i), (a, b)) in per.iter().zip(&spans) {
        let head = format!("{}\n({})", i.short(), i.unit);
        if a == b {
            ws.write_string_with_format(th, *a, &head, &st.header)?;
        } else {
            ws.merge_range(th, *a, th, *b, &head, &st.header)?;
        }
    }
    if status_span.0 <= status_span.1 {
        ws.merge_range(th, status_span.0, th, status_span.1, "完成情况", &st.header)?;
    }
    ws.set_row_height(th, 2.0 * LINE + 6.0)?;
        for (j, p) in prefs.iter().enumerate() {
            self.target_row(ws, th + 1 + j as u32, j, p, &per, &spans, status_span)?;
        }
        Ok(th + prefs.len() as u32)
    }

    /// One prefecture's row of 各市州目标完成情况.
    #[allow(clippy::too_many_arguments)]
    fn target_row(
        &self,
        ws: &mut Worksheet,
        r: u32,
        j: usize,
        p: &crate::refdata::Prefecture,
        per: &[(usize, &crate::refdata::Indicator)],
        spans: &[(u16, u16)],
        status_span: (u16, u16),
    ) -> Result<(), XlsxError> {
        let IndicatorLayout { m, st, headers, returned, number, below, absent, .. } = self;
        let figs = &m.indicators;
        use crate::history::schedule::Pace;
        let mut behind: Vec<String> = Vec::new();
        let mut any = false;
        let (mut all_met, mut due) = (true, false);
        for ((k, i), (a, b)) in per.iter().zip(spans) {
            let v = figs.figures[*k].values[j];
            let fmt = match v.map(|v| (v, self.pace(i, v))) {
                Some((v, (Pace::Behind, expected))) => {
                    all_met = false;
                    behind.push(format!("{}低于序时进度{}{},差{}{}", i.short(), fmt_n(expected), i.unit, fmt_n(expected - v), i.unit));
                    below
                }
                Some((v, (Pace::NotMet, _))) => {
                    (all_met, due) = (false, true);
                    behind.push(format!("{}差{}{}", i.short(), fmt_n(i.target - v), i.unit));
                    below
                }
                Some((_, (pace, _))) => {
                    all_met &= pace == Pace::Met;
                    number
                }
                None if returned[j] => {
                    behind.push(format!("{}未填报", i.short()));
                    below
                }
                None => absent,
            };
            any |= v.is_some();
            if a != b {
                ws.merge_range(r, *a, r, *b, "", fmt)?;
            }
            match v {
                Some(v) => ws.write_number_with_format(r, *a, v, fmt)?,
                None => ws.write_blank(r, *a, fmt)?,
            };
        }
        let (text, fmt) = if !returned[j] {
            ("本期未报送".to_string(), absent)
        } else if behind.is_empty() && any && all_met {
            ("达标".to_string(), &st.done)
        } else if behind.is_empty() && any {
            ("达进度".to_string(), &st.center)
        } else if due {
            (format!("未达标:{}", behind.join(";")), below)
        } else {
            (format!("欠进度:{}", behind.join(";")), below)
        };
        let name_fmt = if returned[j] && !(behind.is_empty() && any) { below } else if returned[j] { &st.center } else { absent };
        ws.write_number_with_format(r, 0, (j + 1) as f64, &st.center)?;
        ws.write_string_with_format(r, 1, &p.name, name_fmt)?;
        if status_span.0 <= status_span.1 {
            ws.merge_range(r, status_span.0, r, status_span.1, &text, fmt)?;
        }
        let span_w: f64 = headers[status_span.0 as usize..=status_span.1 as usize].iter().map(|h| h.1).sum();
        ws.set_row_height(r, fit_height(&[(&text, span_w)], LINE).max(LINE + 4.0))?;
            Ok(())
    }

    /// The rates as a bar chart, in the order of the table, at `chart_row`.
    fn chart(&self, ws: &mut Worksheet, first: u32, last: u32, chart_row: u32) -> Result<(), XlsxError> {
        let (ind, headers, first_pref, name_col, rate_col) = (&self.refdata.indicators, &self.headers, self.first_pref, self.name_col, self.rate_col);
    // The rates as a chart, in the order of the table.
    let mut chart = Chart::new(ChartType::Bar);
    let sheet = ind.sheet.as_str();
    chart
        .add_series()
        .set_name("完成率")
        .set_categories((sheet, first, name_col, last, name_col))
        .set_values((sheet, first, rate_col, last, rate_col))
        .set_format(rust_xlsxwriter::ChartFormat::new().set_solid_fill(rust_xlsxwriter::ChartSolidFill::new().set_color(style::RATE_BAR)));
    chart.title().set_name("各指标完成率(全省完成值÷目标)");
    // The indicators top to bottom as in the table, the rate axis at the bottom.
    // In a bar chart the category axis is the vertical one (y), the values run along x.
    chart
        .y_axis()
        .set_reverse()
        .set_crossing(rust_xlsxwriter::ChartAxisCrossing::Max)
        .set_label_interval(1)
        .set_font(rust_xlsxwriter::ChartFont::new().set_size(8));
    chart.x_axis().set_min(0.0).set_num_format("0%").set_major_gridlines(true);
    chart.legend().set_hidden();
    // As wide as the summary columns (Excel's pixels: 7 per character unit and 5 of padding), so that
    // it prints on the summary's page rather than in pieces beside it.
    let summary_px: f64 = headers[..usize::from(first_pref)].iter().map(|h| (h.1 * 7.0 + 5.0).trunc()).sum();
    chart.set_width((summary_px - 12.0) as u32).set_height(660);
    ws.insert_chart(chart_row, 0, &chart)?;

        Ok(())
    }
}
