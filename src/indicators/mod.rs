//! The plan's quantified targets (`indicators.toml`): how numbers are read as people type them, how far
//! the province is (the figures of the rollup), and the figures of an earlier rollup read back. The sheet
//! itself has one module per stage: [`crate::template`] writes it into the templates,
//! `import::indicators` reads it back from a return, [`crate::rollup::workbook`] writes the province's.
//!
//! The office is asked about these numbers every quarter; until now it added them up by hand from one
//! 量化完成值 cell per task, although several tasks carry two or three numbers. Here every number has its
//! own row, every value its own cell, and the province figure is formed the way the reference data says
//! (a sum, a count of prefectures meeting their target, or the province's own figure).
//!

use std::collections::BTreeMap;

use serde::Serialize;

use crate::history::schedule::{self, Pace};
use crate::read::Value;
use crate::refdata::{Aggregate, Comparison, Horizon, Indicator, RefData, Scope, Source};
use crate::submission::Reported;
use crate::text::{fold_key, format_number};

/// Headers of the template's sheet (and the words accepted for them when a prefecture renamed one).
pub mod headers {
    pub const NO: &str = "序号";
    pub const NAME: &str = "指标";
    pub const UNIT: &str = "单位";
    pub const TARGET: &str = "目标";
    pub const HORIZON: &str = "期限";
    pub const PREVIOUS: &str = "上期值";
    pub const VALUE: &str = "累计完成值";
    pub const NOTE: &str = "说明";
}

/// The line under the template's table saying which figure is not asked; read back as the template's own.
pub const LEDGER_NOTE: &str = "注:「精准帮扶中小微企业」数由「附件2 质量提升台账」中的企业数自动统计,无需填写。百分数填 91.5 或 91.5% 均可。";

/// A number read from a cell's text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parsed {
    pub value: f64,
    /// Written as an approximation ("约120家", "120余家", "120家左右").
    pub approximate: bool,
}

/// Words before a number that say nothing about it, or that it is approximate.
const PREFIXES: &[(&str, bool)] = &[
    ("大约", true),
    ("约", true),
    ("近", true),
    ("共计", false),
    ("合计", false),
    ("累计", false),
    ("共", false),
    ("计", false),
    ("达到", false),
    ("达", false),
    ("已", false),
];
/// Words after a number: the units, and words that make it approximate.
const SUFFIXES: &[(&str, bool)] = &[
    ("左右", true),
    ("以上", true),
    ("余", true),
    ("多", true),
    ("批次", false),
    ("家", false),
    ("个", false),
    ("名", false),
    ("人", false),
    ("次", false),
    ("种", false),
    ("批", false),
    ("项", false),
    ("户", false),
    ("所", false),
];

/// Reads a number as people type it in a cell: full-width digits, thousands separators, a unit after it,
/// 约 or 余 around it, 万 for ten thousand, and for a percentage 91.5, 0.915 or "91.5%". `None` when the
/// text is not one number (two numbers, words, a range).
///
/// ```
/// use taizhang::indicators::parse_value;
/// assert_eq!(parse_value("约120家", false).map(|p| (p.value, p.approximate)), Some((120.0, true)));
/// assert_eq!(parse_value("91.5%", true).map(|p| p.value), Some(91.5));
/// ```
pub fn parse_value(text: &str, percent: bool) -> Option<Parsed> {
    // NFKC folds full-width digits, ％ and the full-width point; white space goes.
    let mut s = fold_key(text);
    let mut approximate = false;
    loop {
        let before = s.len();
        for (p, approx) in PREFIXES {
            if let Some(rest) = s.strip_prefix(p) {
                s = rest.to_string();
                approximate |= *approx;
            }
        }
        if s.len() == before {
            break;
        }
    }
    let mut has_percent = false;
    loop {
        let before = s.len();
        if let Some(rest) = s.strip_suffix('%') {
            s = rest.to_string();
            has_percent = true;
        }
        for (w, approx) in SUFFIXES {
            if let Some(rest) = s.strip_suffix(w) {
                s = rest.to_string();
                approximate |= *approx;
            }
        }
        if s.len() == before {
            break;
        }
    }
    if has_percent && !percent {
        return None;
    }
    let mut factor = 1.0;
    if let Some(rest) = s.strip_suffix('万') {
        s = rest.to_string();
        factor = 10_000.0;
    }
    // Thousands separators, only where they separate groups of three digits.
    if s.contains(',') {
        let mut parts = s.split(',');
        let first = parts.next().unwrap_or("");
        let groups_ok = !first.is_empty()
            && first.len() <= 3
            && first.chars().all(|c| c.is_ascii_digit())
            && s.split(',').skip(1).all(|g| g.len() >= 3 && g[..3].chars().all(|c| c.is_ascii_digit()) && (g.len() == 3 || g[3..].starts_with('.')));
        if !groups_ok {
            return None;
        }
        s = s.replace(',', "");
    }
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-') || s.starts_with('.') {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    if !v.is_finite() {
        return None;
    }
    let mut value = v * factor;
    if percent && !has_percent && value.abs() <= 1.0 && value != 0.0 {
        // A rate written as a fraction (0.915), or stored so by a cell formatted as a percentage.
        value *= 100.0;
    }
    Some(Parsed { value: tidy(value), approximate })
}

/// Rounds away the binary noise of a scaled value (0.915 × 100 = 91.50000000000001).
fn tidy(v: f64) -> f64 {
    let r = (v * 1e9).round() / 1e9;
    if r == 0.0 { 0.0 } else { r }
}

/// The value of a cell as an indicator value: a number cell as it is (a fraction for a percentage is
/// scaled), a text cell through [`parse_value`].
pub(crate) fn cell_value(v: &Value, percent: bool) -> Option<Parsed> {
    match v {
        Value::Number(n) => {
            let mut value = *n;
            if percent && value.abs() <= 1.0 && value != 0.0 {
                value *= 100.0;
            }
            Some(Parsed { value: tidy(value), approximate: false })
        }
        Value::Text(s) => parse_value(s, percent),
        _ => None,
    }
}

/// How a target is shown: ≥500, 每个市州≥50, ≥91.5%, 1-2.
pub fn target_text(i: &Indicator) -> String {
    let n = match i.target_high {
        Some(h) => format!("{}-{}", format_number(i.target), format_number(h)),
        None => format_number(i.target),
    };
    let op = match i.comparison {
        Comparison::AtMost => "≤",
        _ if i.target_high.is_some() => "",
        _ => "≥",
    };
    let pct = if i.is_percent() { "%" } else { "" };
    match (i.scope, &i.applies_to) {
        (Scope::Province, _) => format!("全省{op}{n}{pct}"),
        (Scope::Prefecture, Some(who)) => format!("{who}{op}{n}{pct}"),
        (Scope::Prefecture, None) => format!("每个市州{op}{n}{pct}"),
    }
}

/// The province figure as a sentence shows it: the number, or for a count of prefectures meeting a
/// per-prefecture target the count with the prefectures' total beside it (3个市州达到,合计145家), so that
/// neither is taken for the other.
pub fn province_text(i: &Indicator, province: Option<f64>, total: Option<f64>) -> String {
    match (i.aggregate, province, total) {
        (Aggregate::Count, Some(n), Some(t)) => format!("{}个市州达到,合计{}{}", format_number(n), format_number(t), i.unit),
        (Aggregate::Count, Some(n), None) => format!("{}个市州达到", format_number(n)),
        (_, Some(v), _) => format_number(v),
        (_, None, _) => String::new(),
    }
}

/// The period a target counts over, as printed.
pub fn horizon_text(i: &Indicator) -> &'static str {
    match i.horizon {
        Horizon::By2020 => "至2020年",
        Horizon::PerYear => "本年度",
    }
}

/// Whether `value` meets `target` the way the indicator compares.
pub fn meets(i: &Indicator, value: f64, target: f64) -> bool {
    match i.comparison {
        Comparison::AtMost => value <= target,
        Comparison::AtLeast | Comparison::Rate => value >= target,
    }
}

/// Where a figure stands against its target, as the rollup says it: against 序时进度 while the target is
/// not yet due (see [`crate::history::schedule`]), against the target itself when it is due, for a rate,
/// and for a collection whose period is not known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Status {
    Met,
    NotMet,
    /// 超进度.
    Ahead,
    /// 达进度.
    OnPace,
    /// 欠进度.
    Behind,
    NoData,
    /// A figure the province holds itself (`aggregate = "province"`) that the office has not entered.
    ProvinceToEnter,
    /// The plan sets no province-wide number (a target for the prefectures "where conditions allow").
    NoTarget,
}

impl Status {
    pub fn label(&self) -> &'static str {
        match self {
            Status::Met => "达标",
            Status::NotMet => "未达标",
            Status::Ahead => "超进度",
            Status::OnPace => "达进度",
            Status::Behind => "欠进度",
            Status::NoData => "无数据",
            Status::ProvinceToEnter => "待省局填报",
            Status::NoTarget => "不设全省目标",
        }
    }

    /// Met, ahead of or on 序时进度.
    pub fn is_good(&self) -> bool {
        matches!(self, Status::Met | Status::Ahead | Status::OnPace)
    }

    /// The status a label of the rollup stands for (read back from its 指标完成情况 sheet, the label of
    /// earlier rollups too); `NoData` for any other text.
    pub fn from_label(text: &str) -> Status {
        if text.trim() == "不设目标" {
            return Status::NoTarget;
        }
        [Status::Met, Status::NotMet, Status::Ahead, Status::OnPace, Status::Behind, Status::NoData, Status::ProvinceToEnter, Status::NoTarget]
            .into_iter()
            .find(|s| s.label() == text.trim())
            .unwrap_or(Status::NoData)
    }
}

impl From<Pace> for Status {
    fn from(p: Pace) -> Self {
        match p {
            Pace::Met => Status::Met,
            Pace::Ahead => Status::Ahead,
            Pace::OnPace => Status::OnPace,
            Pace::Behind => Status::Behind,
            Pace::NotMet => Status::NotMet,
        }
    }
}

/// One indicator across the province.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub id: String,
    /// Each prefecture's value, in official order (`None`: not reported, or not returned).
    pub values: Vec<Option<f64>>,
    /// The province figure, formed as the indicator's `aggregate` says.
    pub province: Option<f64>,
    /// For a count of prefectures meeting a per-prefecture target: the prefectures' values summed (the
    /// 145 enterprises helped across the province, beside the 3 prefectures that reached 50), so that the
    /// count is never read as the province's figure. None for the other aggregates.
    pub total: Option<f64>,
    /// The target the province figure is set against.
    pub province_target: Option<f64>,
    /// province ÷ target (1.0 = 100 %).
    pub rate: Option<f64>,
    pub status: Status,
    /// The previous rollup's province figure (`--previous`).
    pub previous: Option<f64>,
    /// The change since the previous rollup (较上期): for a figure summed from the prefectures, over the
    /// prefectures that reported it in both periods (as the ledger comparison compares), so that a
    /// prefecture reporting for the first time is not taken for progress; else the province figures'.
    pub change: Option<f64>,
    /// 序时进度 of the province figure: what is due at the period (for a sum; for a count of prefectures the
    /// province target itself, every prefecture being due to be on pace). None without a period.
    pub expected: Option<f64>,
    /// What is due of each prefecture at the period (its own target, or its share of the province's).
    pub expected_each: Option<f64>,
    /// For a count of prefectures: how many are at or ahead of their 序时进度.
    pub on_pace: Option<usize>,
}

impl Figure {
    /// The change since the previous rollup, as [`Figures::set_previous`] formed it.
    pub fn change(&self) -> Option<f64> {
        self.change
    }
}

/// The change of a province figure since the previous rollup's, as the rollup's 较上期 column shows it.
pub fn change(province: Option<f64>, previous: Option<f64>) -> Option<f64> {
    Some(tidy(province? - previous?))
}

/// Whether an indicator's figure of `period` can be compared with that of `previous`: not for a 本年度
/// target across the turn of a year (it starts again from nothing; the rollup shows 新年度).
pub fn comparable(i: &Indicator, previous: Option<crate::Period>, period: Option<crate::Period>) -> bool {
    !(i.horizon == Horizon::PerYear && previous.zip(period).is_some_and(|(a, b)| a.year != b.year))
}

/// Every indicator across the province, for the rollup and the exports.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub figures: Vec<Figure>,
    /// The period judged against 序时进度 ([`Figures::schedule`]); none judges against the whole target.
    pub period: Option<crate::Period>,
    /// The period of the rollup the `previous` figures come from.
    pub previous_period: Option<crate::Period>,
    /// Whether a previous rollup was read (so the rollup shows the change column).
    pub has_previous: bool,
}

/// One prefecture's input to [`aggregate`]: whether its return is in the rollup, what it reported, and the
/// number of enterprises in its ledger.
pub struct PrefectureInput<'a> {
    pub returned: bool,
    pub reported: &'a [Reported],
    pub enterprises: usize,
}

/// Forms every indicator's province figure from the prefectures' returns (official order, one entry per
/// prefecture).
pub fn aggregate(refdata: &RefData, inputs: &[PrefectureInput<'_>]) -> Figures {
    let figures = refdata
        .indicators
        .indicators
        .iter()
        .map(|ind| {
            let values: Vec<Option<f64>> = inputs
                .iter()
                .map(|p| {
                    if !p.returned {
                        return None;
                    }
                    match ind.source {
                        Source::Ledger => Some(p.enterprises as f64),
                        _ => p.reported.iter().find(|r| r.id == ind.id).and_then(|r| r.value),
                    }
                })
                .collect();
            let any = values.iter().any(Option::is_some);
            let (province, province_target) = match ind.aggregate {
                Aggregate::Sum => (any.then(|| tidy(values.iter().flatten().sum())), Some(ind.target)),
                Aggregate::Count => {
                    (any.then(|| values.iter().flatten().filter(|v| meets(ind, **v, ind.target)).count() as f64), ind.province_target)
                }
                Aggregate::Province => (None, Some(ind.target)),
            };
            let (rate, status) = judge(ind, province, province_target);
            let total = count_total(ind, &values);
            Figure { id: ind.id.clone(), values, province, total, province_target, rate, status, previous: None, change: None, expected: None, expected_each: None, on_pace: None }
        })
        .collect();
    Figures { figures, period: None, previous_period: None, has_previous: false }
}

/// [`Figure::total`]: for a count of prefectures, what the prefectures reported, summed.
fn count_total(ind: &Indicator, values: &[Option<f64>]) -> Option<f64> {
    (ind.aggregate == Aggregate::Count && values.iter().any(Option::is_some)).then(|| tidy(values.iter().flatten().sum()))
}

/// How far a province figure is from its target: the rate (1.0 = 100 %) and the status.
fn judge(ind: &Indicator, province: Option<f64>, target: Option<f64>) -> (Option<f64>, Status) {
    let rate = match (province, target) {
        (Some(v), Some(t)) => Some(match ind.comparison {
            Comparison::AtMost if v > 0.0 => tidy(t / v),
            Comparison::AtMost => 1.0,
            _ => tidy(v / t),
        }),
        _ => None,
    };
    let status = match (province, target) {
        (None, _) if ind.aggregate == Aggregate::Province => Status::ProvinceToEnter,
        (None, _) => Status::NoData,
        (Some(_), None) => Status::NoTarget,
        (Some(v), Some(t)) if meets(ind, v, t) => Status::Met,
        _ => Status::NotMet,
    };
    (rate, status)
}

/// [`judge`] at `period` against 序时进度: a sum (or the province's own figure) against what is due of
/// the province's target; a count of prefectures by how many are at or ahead of their own 序时进度, all
/// being due to be.
fn judge_at(refdata: &RefData, ind: &Indicator, f: &mut Figure, period: crate::Period) {
    let rules = &refdata.indicators.schedule;
    let e = schedule::expectation(rules, ind.horizon, period);
    let each = schedule::prefecture_target(rules, ind, refdata.prefectures.all().len());
    f.expected_each = Some(schedule::judge(rules, ind, each, 0.0, &e).expected);
    (f.rate, f.status) = judge(ind, f.province, f.province_target);
    f.expected = None;
    f.on_pace = None;
    match ind.aggregate {
        Aggregate::Count => {
            let Some(t) = f.province_target else { return };
            f.expected = Some(t);
            let on = f.values.iter().flatten().filter(|v| schedule::judge(rules, ind, each, **v, &e).pace.on_pace()).count();
            if f.values.iter().any(Option::is_some) {
                f.on_pace = Some(on);
                if f.status == Status::NotMet {
                    f.status = if on as f64 >= t { Status::OnPace } else if e.is_due() { Status::NotMet } else { Status::Behind };
                }
            }
        }
        Aggregate::Sum | Aggregate::Province => {
            let Some(t) = f.province_target else { return };
            let j = schedule::judge(rules, ind, t, f.province.unwrap_or(0.0), &e);
            f.expected = Some(j.expected);
            if f.province.is_some() {
                f.status = j.pace.into();
            }
        }
    }
}

/// The figures the province reports itself (`aggregate = "province"`: the national spot-check pass rate,
/// the surveys …), as the office enters them, by indicator id.
pub type ProvinceFigures = BTreeMap<String, f64>;

/// Reads the office's own figures from a sheet (xlsx, xls, ods or csv) with an 指标 column (the indicator's
/// name or an alias) and a 完成值 column (全省完成值, 全省, 数值 also do). Rows without a value are passed
/// over.
///
/// # Errors
/// In Chinese, naming the cell: a file that cannot be read, no such columns, an indicator that is not
/// one the province reports itself, a value that is not one number.
pub fn read_province_figures(refdata: &RefData, path: &std::path::Path) -> Result<ProvinceFigures, String> {
    let wb = crate::read::read_file(path, &crate::read::Limits::default()).map_err(|e| format!("无法读取 {}:{e}", path.display()))?;
    let sheet = wb.sheets.iter().find(|s| s.visibility == crate::read::Visibility::Visible).ok_or_else(|| format!("{} 中没有工作表", path.display()))?;
    let is_name = |t: &str| fold_key(t) == "指标" || fold_key(t) == "指标名称";
    let is_value = |t: &str| ["完成值", "全省完成值", "全省", "数值", "全省数"].iter().any(|w| fold_key(t) == fold_key(w));
    let mut header = None;
    for r in sheet.grid.row_numbers().take(20) {
        let row = sheet.grid.row(r);
        let name = row.iter().find(|c| is_name(&c.value.to_text())).map(|c| c.pos.col);
        let value = row.iter().find(|c| is_value(&c.value.to_text())).map(|c| c.pos.col);
        if let (Some(n), Some(v)) = (name, value) {
            header = Some((r, n, v));
            break;
        }
    }
    let (h, name_col, value_col) = header.ok_or_else(|| format!("{}:未找到「指标」和「完成值」两列", path.display()))?;
    let mut out = ProvinceFigures::new();
    for r in sheet.grid.row_numbers().filter(|r| *r > h) {
        let row = sheet.grid.row(r);
        let at = |col: u32| row.iter().find(|c| c.pos.col == col);
        let Some(name_cell) = at(name_col).filter(|c| !c.value.to_text().is_empty()) else { continue };
        let Some(value_cell) = at(value_col).filter(|c| !c.value.to_text().is_empty()) else { continue };
        let name = name_cell.value.to_text();
        let cell = crate::cell::CellRef::new(r, value_col).to_string();
        let ind = refdata.indicators.lookup(&name).ok_or_else(|| format!("{} 第{}行:「{name}」不是行动计划的量化指标", sheet.name, r + 1))?;
        if ind.aggregate != Aggregate::Province {
            return Err(format!("{} 第{}行:「{}」由各市州填报,不由省局填写", sheet.name, r + 1, ind.name));
        }
        let v = cell_value(&value_cell.value, ind.unit == "%").ok_or_else(|| format!("{} {cell}:「{}」不是一个数值", sheet.name, value_cell.value.to_text()))?;
        out.insert(ind.id.clone(), v.value);
    }
    Ok(out)
}

/// The figures of an earlier rollup's 指标完成情况 sheet: province figure and each prefecture's value by
/// indicator id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Previous {
    pub period: Option<crate::Period>,
    pub province: BTreeMap<String, f64>,
    /// (indicator id, prefecture canonical name) → value.
    pub values: BTreeMap<(String, String), f64>,
}

impl Previous {
    /// The figures as a rollup of `period` states them, judged again by today's rules: the province
    /// figure and each prefecture's value as read, the rest formed as [`aggregate`] forms it.
    pub fn figures(&self, refdata: &RefData, period: crate::Period) -> Figures {
        let prefs = refdata.prefectures.all();
        let figures = refdata
            .indicators
            .indicators
            .iter()
            .map(|ind| {
                let values: Vec<Option<f64>> = prefs.iter().map(|p| self.values.get(&(ind.id.clone(), p.name.clone())).copied()).collect();
                let province_target = if ind.aggregate == Aggregate::Count { ind.province_target } else { Some(ind.target) };
                let province = self.province.get(&ind.id).copied();
                let (rate, status) = judge(ind, province, province_target);
                let total = count_total(ind, &values);
                Figure { id: ind.id.clone(), values, province, total, province_target, rate, status, previous: None, change: None, expected: None, expected_each: None, on_pace: None }
            })
            .collect();
        let mut f = Figures { figures, period: None, previous_period: None, has_previous: false };
        f.schedule(refdata, period);
        f
    }
}

impl Figures {
    /// Sets the figures the province reports itself; the others are formed from the returns and stay.
    pub fn set_province(&mut self, refdata: &RefData, own: &ProvinceFigures) {
        let period = self.period;
        for f in &mut self.figures {
            let Some(ind) = refdata.indicators.get(&f.id).filter(|i| i.aggregate == Aggregate::Province) else { continue };
            if let Some(v) = own.get(&f.id) {
                f.province = Some(*v);
                (f.rate, f.status) = judge(ind, f.province, f.province_target);
                if let Some(p) = period {
                    judge_at(refdata, ind, f, p);
                }
            }
        }
    }

    /// Judges every figure at `period` against 序时进度 (the rule of `indicators.toml` `[schedule]`), so
    /// that a target not yet due is said to be 超进度, 达进度 or 欠进度 rather than 未达标.
    pub fn schedule(&mut self, refdata: &RefData, period: crate::Period) {
        self.period = Some(period);
        for f in &mut self.figures {
            if let Some(ind) = refdata.indicators.get(&f.id) {
                judge_at(refdata, ind, f, period);
            }
        }
    }

    /// Adds the previous rollup's province figures, and the change since (see [`Figure::change`]).
    pub fn set_previous(&mut self, refdata: &RefData, previous: &Previous) {
        self.has_previous = true;
        self.previous_period = previous.period;
        let prefs = refdata.prefectures.all();
        for f in &mut self.figures {
            f.previous = previous.province.get(&f.id).copied();
            let summed = refdata.indicators.get(&f.id).is_some_and(|i| i.aggregate == Aggregate::Sum);
            f.change = if summed {
                let both: Vec<(f64, f64)> =
                    prefs.iter().zip(&f.values).filter_map(|(p, now)| Some((now.as_ref().copied()?, previous.values.get(&(f.id.clone(), p.name.clone())).copied()?))).collect();
                (!both.is_empty()).then(|| tidy(both.iter().map(|(now, before)| now - before).sum()))
            } else {
                change(f.province, f.previous)
            };
        }
    }

    pub fn get(&self, id: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.id == id)
    }
}

/// The previous values of one prefecture, for its next template (`template --from`): (indicator id, value).
/// A per-year indicator starts again in the first quarter, so it is not carried into a new year.
pub fn prefill_for(refdata: &RefData, previous: &Previous, prefecture: &str, period: crate::Period) -> Vec<(String, f64)> {
    refdata
        .indicators
        .asked()
        .filter(|i| !(i.horizon == Horizon::PerYear && previous.period.is_some_and(|p| p.year != period.year)))
        .filter_map(|i| previous.values.get(&(i.id.clone(), prefecture.to_string())).map(|v| (i.id.clone(), *v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str, pct: bool) -> Option<(f64, bool)> {
        parse_value(s, pct).map(|p| (p.value, p.approximate))
    }

    #[test]
    fn numbers_as_people_type_them() {
        assert_eq!(v("约120家", false), Some((120.0, true)));
        assert_eq!(v("１２０", false), Some((120.0, false)));
        assert_eq!(v("１２０家", false), Some((120.0, false)));
        assert_eq!(v(" 120 ", false), Some((120.0, false)));
        assert_eq!(v("120余家", false), Some((120.0, true)));
        assert_eq!(v("共计1,200家", false), Some((1200.0, false)));
        assert_eq!(v("1.2万", false), Some((12000.0, false)));
        assert_eq!(v("10000", false), Some((10000.0, false)));
        assert_eq!(v("0", false), Some((0.0, false)));
        assert_eq!(v("-3", false), Some((-3.0, false)));
        assert_eq!(v("一百二十", false), None);
        assert_eq!(v("120家,其中30家已完成", false), None);
        assert_eq!(v("1,20", false), None);
        assert_eq!(v("待统计", false), None);
        assert_eq!(v("", false), None);
        assert_eq!(v("50%", false), None, "a percentage is not a count");
    }

    #[test]
    fn percentages_three_ways() {
        assert_eq!(v("91.5", true), Some((91.5, false)));
        assert_eq!(v("0.915", true), Some((91.5, false)));
        assert_eq!(v("91.5%", true), Some((91.5, false)));
        assert_eq!(v("９１．５％", true), Some((91.5, false)));
        assert_eq!(v("约92%", true), Some((92.0, true)));
        assert_eq!(cell_value(&Value::Number(0.915), true).map(|p| p.value), Some(91.5));
        assert_eq!(cell_value(&Value::Number(91.5), true).map(|p| p.value), Some(91.5));
        assert_eq!(cell_value(&Value::Number(120.0), false).map(|p| p.value), Some(120.0));
        assert_eq!(cell_value(&Value::Text("120".into()), false).map(|p| p.value), Some(120.0));
        assert_eq!(cell_value(&Value::Error("#N/A".into()), false), None);
    }

    #[test]
    fn targets_as_shown() {
        let r = RefData::embedded().unwrap();
        let t = |id: &str| target_text(r.indicators.get(id).unwrap());
        assert_eq!(t("self_declared_standards"), "全省≥500");
        assert_eq!(t("sme_helped"), "每个市州≥50");
        assert_eq!(t("spot_check_pass_rate"), "全省≥91.5%");
        assert_eq!(t("quality_surveys"), "全省1-2");
    }

    #[test]
    fn province_figures_by_sum_and_count() {
        let r = RefData::embedded().unwrap();
        let rep = |id: &str, v: f64| Reported { id: id.into(), value: Some(v), cell: None, note: None, previous: None };
        let a = [rep("iso_upgrades", 3000.0), rep("benchmark_enterprises", 5.0)];
        let b = [rep("iso_upgrades", 1500.5), rep("benchmark_enterprises", 4.0)];
        let mut inputs: Vec<PrefectureInput<'_>> = (0..21).map(|_| PrefectureInput { returned: false, reported: &[], enterprises: 0 }).collect();
        inputs[0] = PrefectureInput { returned: true, reported: &a, enterprises: 60 };
        inputs[1] = PrefectureInput { returned: true, reported: &b, enterprises: 10 };
        let f = aggregate(&r, &inputs);
        let iso = f.get("iso_upgrades").unwrap();
        assert_eq!(iso.province, Some(4500.5));
        assert_eq!(iso.rate, Some(0.45005));
        assert_eq!(iso.status, Status::NotMet);
        let bench = f.get("benchmark_enterprises").unwrap();
        assert_eq!((bench.province, bench.province_target), (Some(1.0), Some(21.0)));
        let sme = f.get("sme_helped").unwrap();
        assert_eq!(sme.values[..3], [Some(60.0), Some(10.0), None]);
        assert_eq!(sme.province, Some(1.0));
        // The count of prefectures reaching 50, and beside it the 70 enterprises they helped.
        assert_eq!(sme.total, Some(70.0));
        assert_eq!(province_text(r.indicators.get("sme_helped").unwrap(), sme.province, sme.total), "1个市州达到,合计70家");
        assert_eq!(iso.total, None);
        assert_eq!(f.get("gi_products").unwrap().status, Status::NoData);
        assert_eq!(f.get("spot_check_pass_rate").unwrap().status, Status::ProvinceToEnter);
        assert_eq!(Status::from_label("不设目标"), Status::NoTarget, "the label of earlier rollups");
    }

    #[test]
    fn the_change_since_last_quarter_counts_the_prefectures_reported_in_both() {
        let r = RefData::embedded().unwrap();
        let rep = |v: f64| [Reported { id: "iso_upgrades".into(), value: Some(v), cell: None, note: None, previous: None }];
        let (a, b) = (rep(3000.0), rep(1500.0));
        let mut inputs: Vec<PrefectureInput<'_>> = (0..21).map(|_| PrefectureInput { returned: false, reported: &[], enterprises: 0 }).collect();
        inputs[0] = PrefectureInput { returned: true, reported: &a, enterprises: 0 };
        inputs[1] = PrefectureInput { returned: true, reported: &b, enterprises: 0 };
        let mut f = aggregate(&r, &inputs);
        // Last quarter only the first prefecture reported it, 2,800; the second reports for the first time.
        let first = r.prefectures.all()[0].name.clone();
        let previous = Previous { period: crate::Period::new(2018, 3), province: [("iso_upgrades".to_string(), 2800.0)].into(), values: [(("iso_upgrades".to_string(), first), 2800.0)].into() };
        f.set_previous(&r, &previous);
        let iso = f.get("iso_upgrades").unwrap();
        assert_eq!((iso.province, iso.previous), (Some(4500.0), Some(2800.0)));
        assert_eq!(iso.change(), Some(200.0), "the first prefecture's 200, not the second's first report");
    }
}
