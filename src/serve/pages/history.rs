//! 历次: the workspace's dataset as one page — each indicator's province value against 序时进度 period by
//! period, drawn as inline SVG (the console works offline and runs no chart script), the reporting record
//! and the assessment's ranking. The figures are [`crate::history::History`]'s, the same the `history`
//! command's workbook prints.

use axum::extract::{Extension, State};
use axum::response::Html;
use serde::Serialize;

use crate::history::{Dataset, History};
use crate::refdata::RefData;

use super::super::actions::blocking;
use super::super::error::WebResult;
use super::super::guard::office::OfficeSession;
use super::super::state::Shared;
use super::{PeriodLink, periods, render};

/// A point of a chart, in the SVG's coordinates.
#[derive(Debug, Serialize)]
struct Dot {
    x: f64,
    y: f64,
    /// What the point shows, for its tooltip.
    label: String,
}

/// A tick of an axis.
#[derive(Debug, Serialize)]
struct Tick {
    at: f64,
    text: String,
}

/// One indicator's chart: the province's value and what is due, period by period.
#[derive(Debug, Serialize)]
struct ChartView {
    name: String,
    unit: String,
    status: String,
    class: &'static str,
    reported: String,
    expected: String,
    dots: Vec<Dot>,
    due_dots: Vec<Dot>,
    x_ticks: Vec<Tick>,
    y_ticks: Vec<Tick>,
    /// Where the plot ends on the right (the grid lines run to it).
    right: f64,
}

/// A row of a table, its cells as text.
#[derive(Debug, Serialize)]
struct Row {
    cells: Vec<String>,
    class: &'static str,
}

#[derive(Debug, Serialize)]
struct HistoryPage {
    title: String,
    csrf: String,
    periods: Vec<PeriodLink>,
    span: String,
    empty: Option<String>,
    charts: Vec<ChartView>,
    latest: String,
    record_head: Vec<String>,
    record: Vec<Row>,
    ranking_head: Vec<String>,
    ranking: Vec<Row>,
    latest_ranking: Vec<Row>,
}

/// The chart's size and margins.
const W: f64 = 340.0;
const H: f64 = 170.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 24.0;

fn class_of(l: &crate::history::ScheduleLine) -> &'static str {
    match l.judged.map(|j| j.pace) {
        Some(p) if p.on_pace() => "ok",
        Some(_) => "behind",
        None => "none",
    }
}

fn charts(refdata: &RefData, h: &History) -> Vec<ChartView> {
    let n = h.periods.len();
    let x = |k: usize| if n <= 1 { LEFT + (W - LEFT - RIGHT) / 2.0 } else { LEFT + (W - LEFT - RIGHT) * k as f64 / (n - 1) as f64 };
    let fmt = crate::text::format_number;
    refdata
        .indicators
        .indicators
        .iter()
        .filter(|i| i.comparison == crate::refdata::Comparison::AtLeast)
        .filter_map(|ind| {
            let lines: Vec<_> = h.periods.iter().filter_map(|f| h.line(f.period, &ind.id, None)).collect();
            let last = lines.last()?;
            let top = lines.iter().flat_map(|l| [l.value.unwrap_or(0.0), l.expected]).fold(0.0, f64::max).max(1.0) * 1.1;
            let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - v / top);
            let dots: Vec<Dot> = lines.iter().enumerate().filter_map(|(k, l)| l.value.map(|v| Dot { x: x(k), y: y(v), label: format!("{} 完成值 {}", l.period.code(), fmt(v)) })).collect();
            let due_dots: Vec<Dot> = lines.iter().enumerate().map(|(k, l)| Dot { x: x(k), y: y(l.expected), label: format!("{} 序时进度 {}", l.period.code(), fmt(l.expected)) }).collect();
            let points = |d: &[Dot]| d.iter().map(|p| format!("{:.1},{:.1}", p.x, p.y)).collect::<Vec<_>>().join(" ");
            let step = n.div_ceil(5).max(1);
            let unit = if ind.aggregate == crate::refdata::Aggregate::Count { "个市州".to_string() } else { ind.unit.clone() };
            Some(ChartView {
                name: ind.name.clone(),
                unit,
                status: last.label().to_string(),
                class: class_of(last),
                reported: points(&dots),
                expected: points(&due_dots),
                x_ticks: lines.iter().enumerate().filter(|(k, _)| k % step == 0 || *k + 1 == n).map(|(k, l)| Tick { at: x(k), text: l.period.code() }).collect(),
                y_ticks: (0..=4).map(|t| top / 1.1 * f64::from(t) / 4.0).map(|v| Tick { at: y(v), text: fmt(crate::history::schedule::tidy((v * 10.0).round() / 10.0)) }).collect(),
                dots,
                due_dots,
                right: W - RIGHT,
            })
        })
        .collect()
}

fn ranking_rows(refdata: &RefData, h: &History, period: Option<crate::Period>) -> Vec<Row> {
    let last = refdata.assessment.grades.last().map(|g| g.grade.clone());
    h.assessment
        .ranking(period)
        .into_iter()
        .map(|s| {
            let mut cells = vec![s.rank.to_string(), s.prefecture.clone()];
            cells.extend(s.items.iter().map(|i| crate::text::format_number(i.points)));
            cells.extend([crate::text::format_number(s.total), s.grade.clone()]);
            Row { cells, class: if Some(&s.grade) == last.as_ref() { "behind" } else { "" } }
        })
        .collect()
}

fn view(refdata: &RefData, h: &History) -> (String, Vec<ChartView>, Vec<Row>, Vec<Row>, Vec<Row>) {
    let latest = h.periods.last().map(|p| p.period);
    let record = h
        .records
        .iter()
        .filter(|r| Some(r.period) == latest)
        .map(|r| {
            let c = h.cumulative.iter().find(|c| c.prefecture == r.prefecture);
            Row {
                cells: vec![
                    r.prefecture.clone(),
                    r.timeliness(),
                    r.rounds.to_string(),
                    r.rounds_until_clean.map(|k| k.to_string()).unwrap_or_else(|| "—".into()),
                    match r.first_clean {
                        Some(true) => "是".into(),
                        Some(false) => "否".into(),
                        None => "—".into(),
                    },
                    format!("{}/{}", r.enterprises, r.enterprises_target),
                    format!("{}/{}", r.tasks_filled, r.tasks_total),
                    c.map(|c| format!("{}/{}", c.on_time, c.periods)).unwrap_or_default(),
                    c.map(|c| format!("{}/{}", c.first_clean, c.periods)).unwrap_or_default(),
                ],
                class: if r.files == 0 || r.days_late.is_some_and(|d| d > 0) { "behind" } else { "" },
            }
        })
        .collect();
    let span = match (h.periods.first(), h.periods.last()) {
        (Some(a), Some(b)) => format!("{}至{},共{}期", a.period.label(), b.period.label(), h.periods.len()),
        _ => String::new(),
    };
    (span, charts(refdata, h), record, ranking_rows(refdata, h, None), ranking_rows(refdata, h, latest))
}

/// `/history`: the workspace's dataset as one page; a workspace whose dataset is still empty says how it
/// fills (each rollup writes its period).
pub async fn page(State(app): State<Shared>, Extension(s): Extension<OfficeSession>) -> WebResult<Html<String>> {
    let read = blocking(&app, |a| Dataset::open_existing(a.dataset_dir()).and_then(|d| History::read(&a.refdata, &d, &Default::default()))).await?;
    let refdata = &app.refdata;
    let items: Vec<String> = refdata.assessment.items.iter().map(|i| format!("{}({})", i.name, crate::text::format_number(i.weight))).collect();
    let mut ranking_head = vec!["排名".to_string(), "市州".to_string()];
    ranking_head.extend(items);
    ranking_head.extend(["总分".to_string(), "等级".to_string()]);
    let record_head = ["市州", "本期按时情况", "报送轮次", "改至无错误的轮次", "首轮无错误", "企业数", "填报进展任务", "累计按时", "累计首轮无错误"].map(String::from).to_vec();
    let mut v = HistoryPage {
        title: "历次汇总".into(),
        csrf: s.csrf.clone(),
        periods: periods(&app, None),
        span: String::new(),
        empty: None,
        charts: Vec::new(),
        latest: String::new(),
        record_head,
        record: Vec::new(),
        ranking_head,
        ranking: Vec::new(),
        latest_ranking: Vec::new(),
    };
    match read {
        Ok(h) => {
            v.latest = h.periods.last().map(|p| p.period.label()).unwrap_or_default();
            (v.span, v.charts, v.record, v.ranking, v.latest_ranking) = view(refdata, &h);
        }
        Err(e) => v.empty = Some(format!("还没有历次数据:每生成一期的全省汇总表,该期即写入工作区的「数据集」文件夹。({e})")),
    }
    render(&app, "history.html", &v)
}
