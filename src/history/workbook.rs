//! 历次: the history as a workbook the office prints — the indicators against 序时进度 by period (with a
//! chart of reported against due for each), each prefecture against its own 序时进度, the reporting record
//! per period and cumulative, the assessment with its ranking and the arithmetic of every point, and each
//! enterprise's progress by period.
//!
//! Every sheet prints like the rollup's: A4 landscape, one page wide, the header rows repeated, page
//! numbers. Nothing in it depends on when it is written (its creation time is the last period's end), so
//! the same dataset gives the same bytes.

use rust_xlsxwriter::{Chart, ChartType, DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet, XlsxError};

use crate::refdata::{Aggregate, RefData};
use crate::text::format_number;
use crate::xlsx::{fit_height, print_setup, style};

use super::History;
use super::schedule::{Pace, ScheduleLine};

/// Sheet names of the workbook.
pub mod sheets {
    pub const SCHEDULE: &str = "序时进度";
    pub const CHARTS: &str = "序时进度图表";
    pub const PREFECTURES: &str = "各市州序时进度";
    pub const RECORD: &str = "报送情况";
    pub const RECORD_TOTAL: &str = "报送情况(累计)";
    pub const SCORES: &str = "考核评分";
    pub const RANKING: &str = "考核排名(累计)";
    pub const TRACE: &str = "考核明细";
    pub const ENTERPRISES: &str = "企业历次状态";
}

/// Points per line of wrapped 10-point text.
const LINE: f64 = 13.0;
/// Excel's limit on the rows of a sheet.
const MAX_ROWS: usize = 1_048_576;

struct Styles {
    title: Format,
    subtitle: Format,
    header: Format,
    text: Format,
    center: Format,
    number: Format,
    decimal: Format,
    percent: Format,
    good: Format,
    behind: Format,
    absent: Format,
    bold: Format,
}

impl Styles {
    fn new() -> Self {
        let base = style::base(10.0);
        let cell = style::bordered(&base);
        Styles {
            title: style::title(&base, 16.0),
            subtitle: base.clone().set_font_size(10).set_align(FormatAlign::Center).set_text_wrap(),
            header: style::header(&cell),
            text: cell.clone().set_align(FormatAlign::Top),
            center: cell.clone().set_align(FormatAlign::Center),
            number: cell.clone().set_align(FormatAlign::Center).set_num_format("General"),
            decimal: cell.clone().set_align(FormatAlign::Center).set_num_format("0.00"),
            percent: cell.clone().set_align(FormatAlign::Center).set_num_format("0.0%"),
            good: cell.clone().set_align(FormatAlign::Center).set_background_color(style::DONE_FILL),
            behind: cell.clone().set_align(FormatAlign::Center).set_background_color(style::BELOW_TARGET_FILL),
            absent: cell.clone().set_align(FormatAlign::Center).set_background_color(style::MISSING_LIGHT_FILL),
            bold: cell.set_align(FormatAlign::Center).set_bold(),
        }
    }

    /// The fill of a pace: green met or ahead, plain on pace, yellow behind or not met.
    fn pace(&self, pace: Option<Pace>) -> &Format {
        match pace {
            Some(Pace::Met | Pace::Ahead) => &self.good,
            Some(Pace::OnPace) => &self.center,
            Some(Pace::Behind | Pace::NotMet) => &self.behind,
            None => &self.absent,
        }
    }
}

/// A cell of a table row.
enum C<'a> {
    S(String, &'a Format),
    N(f64, &'a Format),
    O(Option<f64>, &'a Format),
}

/// A sheet laid out as a table: title, a line on its scope, the header on the third row.
struct Table<'a> {
    ws: &'a mut Worksheet,
    widths: Vec<f64>,
    next: u32,
}

const HEADER: u32 = 2;

impl<'a> Table<'a> {
    fn new(ws: &'a mut Worksheet, title: &str, subtitle: &str, headers: &[(&str, f64)], st: &Styles) -> Result<Self, XlsxError> {
        let last = headers.len().saturating_sub(1) as u16;
        ws.merge_range(0, 0, 0, last, title, &st.title)?;
        ws.merge_range(1, 0, 1, last, subtitle, &st.subtitle)?;
        ws.set_row_height(0, 28)?;
        let width: f64 = headers.iter().map(|h| h.1).sum();
        ws.set_row_height(1, fit_height(&[(subtitle, width)], 13.0).max(18.0))?;
        for (i, (h, w)) in headers.iter().enumerate() {
            ws.write_string_with_format(HEADER, i as u16, *h, &st.header)?;
            ws.set_column_width(i as u16, *w)?;
        }
        let lines = headers.iter().map(|(h, w)| fit_height(&[(h, *w)], LINE)).fold(LINE, f64::max);
        ws.set_row_height(HEADER, lines.max(2.0 * LINE + 4.0))?;
        Ok(Table { ws, widths: headers.iter().map(|h| h.1).collect(), next: HEADER + 1 })
    }

    fn row(&mut self, cells: &[C<'_>]) -> Result<(), XlsxError> {
        let r = self.next;
        let texts: Vec<(&str, f64)> = cells.iter().zip(&self.widths).filter_map(|(c, w)| if let C::S(s, _) = c { Some((s.as_str(), *w)) } else { None }).collect();
        // Always set: LibreOffice and WPS would size an unset row by their own fonts, unevenly.
        self.ws.set_row_height(r, fit_height(&texts, LINE).max(LINE + 4.0))?;
        for (i, c) in cells.iter().enumerate() {
            let col = i as u16;
            match c {
                C::S(s, f) => self.ws.write_string_with_format(r, col, crate::xlsx::cut_to_cell(s).as_ref(), f)?,
                C::N(n, f) => self.ws.write_number_with_format(r, col, *n, f)?,
                C::O(Some(n), f) => self.ws.write_number_with_format(r, col, *n, f)?,
                C::O(None, f) => self.ws.write_blank(r, col, f)?,
            };
        }
        self.next += 1;
        Ok(())
    }

    /// Freeze, filter and print setup; returns the row after the table.
    fn finish(self) -> Result<u32, XlsxError> {
        let last = (self.next - 1).max(HEADER);
        self.ws.set_freeze_panes(HEADER + 1, 0)?;
        self.ws.autofilter(HEADER, 0, last, self.widths.len().saturating_sub(1) as u16)?;
        print_setup(self.ws, HEADER, HEADER)?;
        Ok(self.next)
    }
}

/// Builds the workbook in memory.
///
/// # Errors
/// When rust_xlsxwriter refuses a sheet (a defect).
pub fn build(refdata: &RefData, h: &History) -> Result<Vec<u8>, XlsxError> {
    workbook(refdata, h)?.save_to_buffer()
}

/// Writes the workbook to `w`.
///
/// # Errors
/// As [`build`], and when `w` cannot be written.
pub fn write_to(refdata: &RefData, h: &History, w: impl std::io::Write + Send) -> Result<(), XlsxError> {
    workbook(refdata, h)?.save_to_writer(w)
}

fn span(h: &History) -> String {
    match (h.periods.first(), h.periods.last()) {
        (Some(a), Some(b)) if a.period != b.period => format!("{}至{},共{}期", a.period.label(), b.period.label(), h.periods.len()),
        (Some(a), _) => a.period.label(),
        _ => String::new(),
    }
}

fn workbook(refdata: &RefData, h: &History) -> Result<Workbook, XlsxError> {
    let st = Styles::new();
    let mut wb = Workbook::new();
    let created = match h.periods.last() {
        Some(p) => {
            use chrono::Datelike;
            let d = p.period.last_day();
            ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?
        }
        None => ExcelDateTime::from_ymd(2018, 7, 4)?,
    };
    wb.set_properties(&DocProperties::new().set_title(format!("四川省重点消费品质量提升历次汇总({})", span(h))).set_author("四川省质量提升办").set_creation_datetime(&created));
    let rows = schedule_sheet(&mut wb, refdata, h, &st)?;
    charts_sheet(&mut wb, refdata, h, &rows)?;
    prefectures_sheet(&mut wb, refdata, h, &st)?;
    record_sheet(&mut wb, h, &st)?;
    record_total_sheet(&mut wb, h, &st)?;
    scores_sheet(&mut wb, refdata, h, &st)?;
    ranking_sheet(&mut wb, refdata, h, &st)?;
    trace_sheet(&mut wb, h, &st)?;
    enterprises_sheet(&mut wb, h, &st)?;
    Ok(wb)
}

/// How the province's value of an indicator is formed, as the 口径 column says it.
fn basis(ind: &crate::refdata::Indicator) -> &'static str {
    match ind.aggregate {
        Aggregate::Sum => "各市州合计",
        Aggregate::Count => "达到序时进度的市州数",
        Aggregate::Province => "省局填报",
    }
}

/// 序时进度: one row per indicator and period. Returns, per indicator, the rows of its periods (for the
/// charts).
fn schedule_sheet(wb: &mut Workbook, refdata: &RefData, h: &History, st: &Styles) -> Result<Vec<(usize, u32, u32)>, XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheets::SCHEDULE)?;
    let rules = &refdata.indicators.schedule;
    let note = format!(
        "{}。序时进度:至2020年的目标按{}至{}共{}个季度平均分摊,本年度的目标按当年季度分摊;完成值不低于序时进度的{}倍为超进度,低于{}倍为欠进度;目标已完成为达标,到期未完成为未达标。按当前进度预计=完成值÷已过季度数×全部季度数。",
        span(h),
        rules.first.label(),
        rules.last.label(),
        rules.last.ordinal() - rules.first.ordinal() + 1,
        format_number(rules.ahead),
        format_number(rules.behind)
    );
    let headers = [
        ("序号", 4.5),
        ("指标", 26.0),
        ("目标", 12.0),
        ("期限", 7.0),
        ("口径", 11.0),
        ("期别", 9.0),
        ("已过季度", 7.0),
        ("序时进度", 8.0),
        ("全省完成值", 8.0),
        ("差距", 7.0),
        ("完成率", 8.0),
        ("按当前进度预计", 9.0),
        ("状态", 8.0),
    ];
    let mut t = Table::new(ws, "量化指标序时进度(历次)", &note, &headers, st)?;
    let mut spans = Vec::new();
    for (k, ind) in refdata.indicators.indicators.iter().enumerate() {
        let first = t.next;
        let target = if ind.is_percent() { crate::indicators::target_text(ind) } else { format!("{}{}", crate::indicators::target_text(ind), ind.unit) };
        for f in &h.periods {
            let Some(l) = h.line(f.period, &ind.id, None) else { continue };
            let j = l.judged;
            let rate = j.map(|j| if j.target > 0.0 { j.value / j.target } else { 0.0 });
            t.row(&[
                C::N((k + 1) as f64, &st.center),
                C::S(ind.name.clone(), &st.text),
                C::S(target.clone(), &st.center),
                C::S(crate::indicators::horizon_text(ind).into(), &st.center),
                C::S(basis(ind).into(), &st.center),
                C::S(f.period.code(), &st.center),
                C::S(format!("{}/{}", l.expectation.elapsed, l.expectation.quarters), &st.center),
                C::N(l.expected, &st.number),
                C::O(l.value, &st.number),
                C::O(j.map(|j| j.gap), &st.number),
                C::O(rate, &st.percent),
                // Shown to one decimal: a projection is no more precise than that.
                C::O(j.and_then(|j| j.projected).map(|p| (p * 10.0).round() / 10.0), &st.number),
                C::S(l.label().into(), st.pace(j.map(|j| j.pace))),
            ])?;
        }
        if t.next > first {
            spans.push((k, first, t.next - 1));
        }
    }
    t.finish()?;
    Ok(spans)
}

/// 序时进度图表: for each indicator a line chart of the province's value against what is due, period by
/// period, two charts a row, four a page.
fn charts_sheet(wb: &mut Workbook, refdata: &RefData, h: &History, rows: &[(usize, u32, u32)]) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheets::CHARTS)?;
    let title = style::base(14.0).set_font_name(style::TITLE_FONT).set_bold();
    ws.write_string_with_format(0, 0, format!("量化指标完成值与序时进度对照({})", span(h)), &title)?;
    ws.set_column_range_width(0, 15, 8.43)?;
    let (per_row, chart_rows) = (2u32, 18u32);
    for (n, (k, a, b)) in rows.iter().enumerate() {
        let ind = &refdata.indicators.indicators[*k];
        let mut chart = Chart::new(ChartType::Line);
        let sheet = sheets::SCHEDULE;
        let mut marker = rust_xlsxwriter::ChartMarker::new();
        marker.set_type(rust_xlsxwriter::ChartMarkerType::Circle).set_size(5);
        chart.add_series().set_name("完成值").set_categories((sheet, *a, 5, *b, 5)).set_values((sheet, *a, 8, *b, 8)).set_marker(&marker);
        chart
            .add_series()
            .set_name("序时进度")
            .set_categories((sheet, *a, 5, *b, 5))
            .set_values((sheet, *a, 7, *b, 7))
            .set_marker(&marker)
            .set_format(rust_xlsxwriter::ChartFormat::new().set_line(rust_xlsxwriter::ChartLine::new().set_dash_type(rust_xlsxwriter::ChartLineDashType::Dash)));
        chart.title().set_name(&format!("{}({})", ind.short(), basis(ind))).set_font(rust_xlsxwriter::ChartFont::new().set_size(10));
        chart.y_axis().set_min(0.0).set_major_gridlines(true);
        chart.legend().set_position(rust_xlsxwriter::ChartLegendPosition::Bottom);
        chart.set_width(500).set_height(300);
        let row = 2 + (n as u32 / per_row) * chart_rows;
        let col = (n as u32 % per_row) as u16 * 8;
        ws.insert_chart(row, col, &chart)?;
    }
    let last_row = 2 + (rows.len() as u32).div_ceil(per_row) * chart_rows;
    // Every row of the grid the same height in every program, so that the charts' anchors fall where
    // the page breaks expect them.
    for r in 0..=last_row {
        ws.set_row_height(r, 15)?;
    }
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_margins(0.4, 0.4, 0.6, 0.6, 0.3, 0.3);
    ws.set_print_center_horizontally(true);
    ws.set_footer("&C第 &P 页,共 &N 页");
    ws.set_print_area(0, 0, last_row, 15)?;
    let breaks: Vec<u32> = (1..).map(|p| 1 + p * 2 * chart_rows).take_while(|r| *r < last_row).collect();
    ws.set_page_breaks(&breaks)?;
    Ok(())
}

/// 各市州序时进度: each prefecture's value of each indicator it reports, period by period, coloured by
/// where it stands against its own 序时进度.
fn prefectures_sheet(wb: &mut Workbook, refdata: &RefData, h: &History, st: &Styles) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheets::PREFECTURES)?;
    let inds: Vec<&crate::refdata::Indicator> = refdata.indicators.indicators.iter().filter(|i| super::schedule::reported_by_prefectures(i)).collect();
    let heads: Vec<String> = inds.iter().map(|i| format!("{}({})", i.short(), i.unit)).collect();
    let mut headers: Vec<(&str, f64)> = vec![("期别", 8.0), ("市州", 9.0)];
    headers.extend(heads.iter().map(|h| (h.as_str(), 7.0)));
    headers.push(("达到序时进度", 8.0));
    let note = "每格为该市州的累计完成值。绿色:达标或超进度;无底色:达进度;黄色:欠进度或未达标;浅橙色:未填报。省级目标按市州数平均分摊为各市州的目标。";
    let mut t = Table::new(ws, "各市州量化指标序时进度(历次)", note, &headers, st)?;
    for f in &h.periods {
        for p in &f.prefectures {
            let short = refdata.prefectures.lookup(&p.name).map_or(p.name.clone(), |x| x.short.clone());
            let mut cells = vec![C::S(f.period.code(), &st.center), C::S(short, &st.center)];
            let mut on = 0;
            for i in &inds {
                let l: Option<&ScheduleLine> = h.line(f.period, &i.id, Some(&p.name));
                on += usize::from(l.is_some_and(ScheduleLine::on_pace));
                cells.push(C::O(l.and_then(|l| l.value), st.pace(l.and_then(|l| l.judged).map(|j| j.pace))));
            }
            cells.push(C::S(format!("{on}/{}", inds.len()), &st.center));
            t.row(&cells)?;
        }
    }
    t.finish()?;
    Ok(())
}

fn yes_no(b: Option<bool>) -> String {
    match b {
        Some(true) => "是".into(),
        Some(false) => "否".into(),
        None => String::new(),
    }
}

/// 报送情况: each prefecture's reporting in each period.
fn record_sheet(wb: &mut Workbook, h: &History, st: &Styles) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheets::RECORD)?;
    let target = h.records.first().map_or(50, |r| r.enterprises_target);
    let ent_head = format!("达到{target}家");
    let headers = [
        ("期别", 8.0),
        ("市州", 20.0),
        ("截止日期", 12.0),
        ("首份收到时间", 18.0),
        ("按时情况", 9.0),
        ("收到文件数", 6.5),
        ("报送轮次", 6.5),
        ("改至无错误的轮次", 8.5),
        ("首轮无错误", 7.0),
        ("企业数", 6.5),
        (ent_head.as_str(), 6.5),
        ("填报进展任务数", 8.0),
    ];
    let note = "按时:本期首份报送在截止日期当天或之前收到;同一时间收到的文件(一封邮件、一次上传)为一轮;「改至无错误的轮次」为首次收到没有错误的报送的轮次。";
    let mut t = Table::new(ws, "各市州报送情况(历次)", note, &headers, st)?;
    for r in &h.records {
        let late = r.days_late.is_some_and(|d| d > 0) || r.files == 0;
        t.row(&[
            C::S(r.period.code(), &st.center),
            C::S(r.prefecture.clone(), if r.files == 0 { &st.absent } else { &st.center }),
            C::S(r.deadline.map(|d| d.to_string()).unwrap_or_default(), &st.center),
            C::S(r.first_received.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default(), &st.center),
            C::S(r.timeliness(), if late { &st.behind } else { &st.center }),
            C::N(r.files as f64, &st.number),
            C::N(f64::from(r.rounds), &st.number),
            C::O(r.rounds_until_clean.map(f64::from), if r.files > 0 && r.rounds_until_clean.is_none() { &st.behind } else { &st.number }),
            C::S(yes_no(r.first_clean), if r.first_clean == Some(false) { &st.behind } else { &st.center }),
            C::N(r.enterprises as f64, if r.enterprises < r.enterprises_target { &st.behind } else { &st.number }),
            C::S(yes_no(Some(r.enterprises >= r.enterprises_target)), &st.center),
            C::S(format!("{}/{}", r.tasks_filled, r.tasks_total), &st.center),
        ])?;
    }
    t.finish()?;
    Ok(())
}

/// 报送情况(累计): each prefecture over all periods.
fn record_total_sheet(wb: &mut Workbook, h: &History, st: &Styles) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheets::RECORD_TOTAL)?;
    let headers = [
        ("市州", 16.0),
        ("期数", 6.0),
        ("已报送期数", 8.0),
        ("按时期数", 7.0),
        ("逾期期数", 7.0),
        ("累计逾期天数", 8.0),
        ("首轮无错误期数", 8.0),
        ("平均改至无错误的轮次", 10.0),
        ("最近一期企业数", 8.0),
        ("最近一期填报进展任务数", 10.0),
    ];
    let mut t = Table::new(ws, "各市州报送情况(累计)", &span(h), &headers, st)?;
    for c in &h.cumulative {
        t.row(&[
            C::S(c.prefecture.clone(), &st.center),
            C::N(c.periods as f64, &st.number),
            C::N(c.returned as f64, if c.returned < c.periods { &st.behind } else { &st.number }),
            C::N(c.on_time as f64, &st.number),
            C::N(c.late as f64, if c.late > 0 { &st.behind } else { &st.number }),
            C::N(c.days_late as f64, &st.number),
            C::N(c.first_clean as f64, &st.number),
            C::O(c.mean_rounds_until_clean, &st.decimal),
            C::N(c.enterprises as f64, if c.enterprises < c.enterprises_target { &st.behind } else { &st.number }),
            C::N(c.tasks_filled as f64, &st.number),
        ])?;
    }
    t.finish()?;
    Ok(())
}

fn grade_style<'a>(st: &'a Styles, refdata: &RefData, grade: &str) -> &'a Format {
    match refdata.assessment.grades.iter().position(|g| g.grade == grade) {
        Some(0) => &st.good,
        Some(i) if i + 1 == refdata.assessment.grades.len() => &st.behind,
        _ => &st.center,
    }
}

fn rules_note(refdata: &RefData) -> String {
    let a = &refdata.assessment;
    let items: Vec<String> = a.items.iter().map(|i| format!("{}({}分):{}", i.name, format_number(i.weight), i.rule)).collect();
    let grades: Vec<String> = a.grades.iter().map(|g| format!("{} ≥ {}", g.grade, format_number(g.min))).collect();
    format!("{}。等级:{}。", items.join(";"), grades.join(","))
}

/// 考核评分: each period's scores by rank, item by item.
fn scores_sheet(wb: &mut Workbook, refdata: &RefData, h: &History, st: &Styles) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheets::SCORES)?;
    let heads: Vec<String> = refdata.assessment.items.iter().map(|i| format!("{}\n({}分)", i.name, format_number(i.weight))).collect();
    let mut headers: Vec<(&str, f64)> = vec![("期别", 8.0), ("排名", 5.0), ("市州", 20.0)];
    headers.extend(heads.iter().map(|h| (h.as_str(), 9.0)));
    headers.extend([("总分", 7.0), ("等级", 5.0)]);
    let mut t = Table::new(ws, &format!("{}(各期)", refdata.assessment.title), &rules_note(refdata), &headers, st)?;
    for &p in &h.assessment.periods {
        for s in h.assessment.ranking(Some(p)) {
            let mut cells = vec![C::S(p.code(), &st.center), C::N(s.rank as f64, &st.number), C::S(s.prefecture.clone(), &st.center)];
            cells.extend(s.items.iter().map(|i| C::N(i.points, &st.number)));
            cells.extend([C::N(s.total, &st.bold), C::S(s.grade.clone(), grade_style(st, refdata, &s.grade))]);
            t.row(&cells)?;
        }
    }
    t.finish()?;
    Ok(())
}

/// 考核排名(累计): the cumulative scores by rank.
fn ranking_sheet(wb: &mut Workbook, refdata: &RefData, h: &History, st: &Styles) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheets::RANKING)?;
    let heads: Vec<String> = refdata.assessment.items.iter().map(|i| format!("{}\n({}分)", i.name, format_number(i.weight))).collect();
    let mut headers: Vec<(&str, f64)> = vec![("排名", 5.0), ("市州", 20.0)];
    headers.extend(heads.iter().map(|h| (h.as_str(), 9.0)));
    headers.extend([("总分", 7.0), ("等级", 5.0)]);
    let note = format!("{};各项得分为各期得分的平均,总分为各项之和。", span(h));
    let mut t = Table::new(ws, &format!("{}(累计排名)", refdata.assessment.title), &note, &headers, st)?;
    for s in h.assessment.ranking(None) {
        let mut cells = vec![C::N(s.rank as f64, &st.number), C::S(s.prefecture.clone(), &st.center)];
        cells.extend(s.items.iter().map(|i| C::N(i.points, &st.number)));
        cells.extend([C::N(s.total, &st.bold), C::S(s.grade.clone(), grade_style(st, refdata, &s.grade))]);
        t.row(&cells)?;
    }
    t.finish()?;
    Ok(())
}

/// 考核明细: every item of every score with the figure it measured and its arithmetic.
fn trace_sheet(wb: &mut Workbook, h: &History, st: &Styles) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheets::TRACE)?;
    let headers = [("期别", 8.0), ("市州", 20.0), ("考核项", 16.0), ("满分", 5.0), ("计量", 12.0), ("得分", 6.0), ("计算过程", 60.0)];
    let mut t = Table::new(ws, "考核得分明细", "每一项得分的依据:计量的数字和计算过程。「累计」为各期得分的平均。", &headers, st)?;
    for s in h.assessment.scores.iter().chain(&h.assessment.cumulative) {
        let period = s.period.map_or_else(|| "累计".to_string(), |p| p.code());
        for i in &s.items {
            t.row(&[
                C::S(period.clone(), &st.center),
                C::S(s.prefecture.clone(), &st.center),
                C::S(i.name.clone(), &st.center),
                C::N(i.weight, &st.number),
                C::S(i.figure.clone(), &st.center),
                C::N(i.points, &st.number),
                C::S(i.trace.clone(), &st.text),
            ])?;
        }
    }
    t.finish()?;
    Ok(())
}

/// The beginning of a long progress text, so that a row stays a few lines high.
fn brief(t: &str) -> String {
    const CHARS: usize = 120;
    if t.chars().count() <= CHARS { t.to_string() } else { format!("{}…", t.chars().take(CHARS).collect::<String>()) }
}

/// 企业历次状态: each enterprise, the periods it was listed in, and its 进展情况及成效 in each.
fn enterprises_sheet(wb: &mut Workbook, h: &History, st: &Styles) -> Result<(), XlsxError> {
    let ws = wb.add_worksheet();
    ws.set_name(sheets::ENTERPRISES)?;
    let codes: Vec<String> = h.periods.iter().map(|p| p.period.code()).collect();
    let w = (110.0 / codes.len().max(1) as f64).clamp(12.0, 30.0);
    let mut headers: Vec<(&str, f64)> = vec![("市州", 10.0), ("提升企业名称", 22.0), ("列入期数", 6.0)];
    headers.extend(codes.iter().map(|c| (c.as_str(), w)));
    let note = "每期一列:该期台账中的「进展情况及成效」;「未列入」表示该期台账中没有这家企业(按市州和企业名称识别)。";
    let mut t = Table::new(ws, "提升企业历次进展", note, &headers, st)?;
    let room = MAX_ROWS - HEADER as usize - 2;
    for e in h.enterprises.iter().take(room) {
        let listed = e.periods.iter().filter(|p| p.is_some()).count();
        let mut cells = vec![C::S(e.prefecture.clone(), &st.center), C::S(e.name.clone(), &st.text), C::N(listed as f64, &st.number)];
        for p in &e.periods {
            cells.push(match p {
                Some(t) => C::S(brief(t), &st.text),
                None => C::S("未列入".into(), &st.absent),
            });
        }
        t.row(&cells)?;
    }
    t.finish()?;
    Ok(())
}
