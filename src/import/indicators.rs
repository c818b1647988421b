//! The 指标完成情况 sheet of a return: what a prefecture reports against the plan's quantified targets,
//! read back as tolerantly as the ledger (headers by meaning, numbers as people type them, notes kept),
//! into [`Submission::indicators`]. Conservation holds here as on the other sheets: every non-empty cell
//! is a value, a note, a layout cell of the template, or a finding.

use std::collections::BTreeMap;

use crate::cell::CellRef;
use crate::finding::{Code, Finding};
use crate::indicators::{LEDGER_NOTE, cell_value, headers};
use crate::read::{GridCell, Sheet, Value, Visibility, Workbook};
use crate::refdata::{Aggregate, Indicator, RefData, Scope};
use crate::submission::{Reported, LayoutCell, Located, Role, Submission};
use crate::text::{clean_text, fold_key, format_number, header_key};

/// What a column of the indicator sheet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    No,
    Name,
    Unit,
    Target,
    Horizon,
    Previous,
    Value,
    Note,
}

fn column_of(text: &str) -> Option<Col> {
    let k = header_key(text);
    let is = |words: &[&str]| words.iter().any(|w| header_key(w) == k);
    if is(&["序号", "编号", "序"]) {
        Some(Col::No)
    } else if is(&["指标", "指标名称", "量化指标", "指标项目", "目标指标"]) {
        Some(Col::Name)
    } else if is(&["单位", "计量单位"]) {
        Some(Col::Unit)
    } else if is(&["目标", "目标值", "计划目标", "全省目标", "目标任务"]) {
        Some(Col::Target)
    } else if is(&["期限", "考核期", "时限", "统计口径"]) {
        Some(Col::Horizon)
    } else if is(&["上期值", "上期累计完成值", "上期完成值", "上季度累计完成值"]) {
        Some(Col::Previous)
    } else if is(&["累计完成值", "完成值", "累计完成", "本期累计完成值", "实际完成值", "完成数", "完成情况", "累计完成数"]) {
        Some(Col::Value)
    } else if is(&["说明", "备注", "情况说明", "完成情况说明"]) {
        Some(Col::Note)
    } else {
        None
    }
}

/// The sheet holding the indicators: the one named as in the template, else one whose header has an
/// indicator column and a value column (a renamed sheet), never the ledger or the task progress.
fn find_sheet<'a>(refdata: &RefData, wb: &'a Workbook, sub: &Submission) -> Option<(&'a Sheet, u32, BTreeMap<u32, Col>)> {
    let used = |s: &Sheet| {
        sub.ledger_sheet.as_deref() == Some(s.name.as_str())
            || sub.progress_sheet.as_deref() == Some(s.name.as_str())
            || sub.sheet_columns.iter().any(|(n, _)| *n == s.name)
    };
    let candidates = wb.sheets.iter().filter(|s| s.error.is_none() && s.visibility == Visibility::Visible && !s.grid.is_empty() && !used(s));
    let named = fold_key(&refdata.indicators.sheet);
    let mut fallback = None;
    for s in candidates {
        let Some((row, cols)) = header(s) else { continue };
        if fold_key(&s.name) == named {
            return Some((s, row, cols));
        }
        if fallback.is_none() {
            fallback = Some((s, row, cols));
        }
    }
    fallback
}

/// The header row of an indicator sheet: the first of its first rows naming both the indicator and the
/// value column.
fn header(s: &Sheet) -> Option<(u32, BTreeMap<u32, Col>)> {
    for r in s.grid.row_numbers().take(15) {
        let cols: BTreeMap<u32, Col> = s
            .grid
            .row(r)
            .iter()
            .filter(|c| !c.is_merge_copy())
            .filter_map(|c| match &c.value {
                Value::Text(t) => column_of(t).map(|k| (c.pos.col, k)),
                _ => None,
            })
            .collect();
        let has = |k: Col| cols.values().any(|v| *v == k);
        if has(Col::Name) && has(Col::Value) {
            return Some((r, cols));
        }
    }
    None
}

fn text_of(c: &GridCell) -> String {
    c.value.to_text()
}

/// Reads the 指标完成情况 sheet of a return into `sub.indicators`, with a finding for every value that
/// cannot be read, went down since the 上期值 the template showed, or is implausible. A return without
/// the sheet (an older template) simply reports no indicators.
pub(super) fn import(refdata: &RefData, wb: &Workbook, sub: &mut Submission) {
    let Some((sheet, header_row, cols)) = find_sheet(refdata, wb, sub) else { return };
    let name = sheet.name.clone();
    // The importer passed over the sheet as not a table it knows; it is read here.
    sub.findings.retain(|f| !(f.code == Code::SheetIgnored && f.cell.is_none() && f.sheet.as_deref() == Some(name.as_str())));
    let mut s = IndicatorSheet {
        refdata,
        asked: refdata.indicators.asked().collect(),
        file: sub.name.clone(),
        name,
        cols,
        findings: Vec::new(),
        layout: Vec::new(),
        reported: Vec::new(),
        remarks: Vec::new(),
    };
    for r in sheet.grid.row_numbers() {
        let cells: Vec<&GridCell> = sheet.grid.row(r).iter().filter(|c| !c.is_merge_copy()).collect();
        if cells.is_empty() {
            continue;
        }
        if r < header_row {
            s.layout.extend(cells.iter().map(|c| (c.pos, Role::Title)));
        } else if r == header_row {
            s.header(&cells);
        } else {
            s.row(r, &cells);
        }
    }
    let name = s.name.clone();
    sub.layout.extend(s.layout.into_iter().map(|(cell, role)| LayoutCell { sheet: name.clone(), cell, role }));
    sub.remarks.extend(s.remarks);
    sub.indicators = s.reported;
    for f in s.findings {
        sub.push(f);
    }
}

/// The state of reading one 指标完成情况 sheet.
struct IndicatorSheet<'a> {
    refdata: &'a RefData,
    /// The indicators the template asks, in order (a row may name its indicator by number).
    asked: Vec<&'a Indicator>,
    file: String,
    name: String,
    cols: BTreeMap<u32, Col>,
    findings: Vec<Finding>,
    layout: Vec<(CellRef, Role)>,
    reported: Vec<Reported>,
    remarks: Vec<Located>,
}

impl IndicatorSheet<'_> {
    fn finding(&self, code: Code, cell: CellRef, field: &str, value: &str, message: String) -> Finding {
        Finding::new(code, self.file.clone(), message).sheet(self.name.clone()).cell(cell).field(field).value(value)
    }

    fn col_of(&self, c: u32) -> Option<Col> {
        self.cols.get(&c).copied()
    }

    fn located(&self, text: String, cell: CellRef) -> Located {
        Located { text, sheet: self.name.clone(), cell }
    }

    /// The header row: the template's columns are layout, any other column is I05.
    fn header(&mut self, cells: &[&GridCell]) {
        for c in cells {
            match self.col_of(c.pos.col) {
                Some(_) => self.layout.push((c.pos, Role::Header)),
                None => {
                    let f = self.finding(
                        Code::IndicatorUnmatched,
                        c.pos,
                        &text_of(c),
                        &text_of(c),
                        format!("「{}」不是指标完成情况表的列,该列内容未汇总。请使用模板的列,说明写在「说明」列。", text_of(c)),
                    );
                    self.findings.push(f);
                }
            }
        }
    }

    /// A row under the header: an indicator (by its name, else its number), a duplicate of one, or a row
    /// that is none.
    fn row(&mut self, r: u32, cells: &[&GridCell]) {
        let at = |k: Col| cells.iter().find(|c| self.col_of(c.pos.col) == Some(k)).copied();
        let name_cell = at(Col::Name);
        let value_cell = at(Col::Value);
        let indicator = match name_cell {
            Some(c) => self.refdata.indicators.lookup(&text_of(c)),
            None => at(Col::No)
                .and_then(|c| match &c.value {
                    Value::Number(n) if n.fract() == 0.0 && *n >= 1.0 => Some(*n as usize),
                    v => v.to_text().trim().parse::<usize>().ok(),
                })
                .and_then(|n| self.asked.get(n.wrapping_sub(1)).copied()),
        };
        let Some(ind) = indicator else {
            self.no_indicator(r, cells, name_cell, value_cell);
            return;
        };
        if self.reported.iter().any(|x| x.id == ind.id) {
            let first = value_cell.or(name_cell).unwrap_or(cells[0]);
            let f = self.finding(
                Code::IndicatorUnmatched,
                first.pos,
                &ind.name,
                &cells.iter().map(|c| text_of(c)).collect::<Vec<_>>().join(" | "),
                format!("指标「{}」填了两次(第{}行重复),以第一次为准,本行未汇总。请删除重复的行。", ind.name, r + 1),
            );
            self.findings.push(f);
            self.layout.extend(cells.iter().filter(|c| c.pos != first.pos).map(|c| (c.pos, Role::Note)));
            return;
        }
        let mut rep = Reported { id: ind.id.clone(), value: None, cell: None, note: None, previous: None };
        self.other_cells(ind, cells, &mut rep);
        if let Some(c) = value_cell {
            self.value(ind, c, &mut rep);
        }
        self.reported.push(rep);
    }

    /// A row that is no indicator: the template's own note, a remark, or something typed that cannot be
    /// put anywhere (I05).
    fn no_indicator(&mut self, r: u32, cells: &[&GridCell], name_cell: Option<&GridCell>, value_cell: Option<&GridCell>) {
        let texts: Vec<String> = cells.iter().map(|c| text_of(c)).collect();
        if cells.len() == 1 && clean_text(&texts[0]) == clean_text(LEDGER_NOTE) {
            self.layout.push((cells[0].pos, Role::Reference));
            return;
        }
        if value_cell.is_none() && cells.len() == 1 {
            let c = cells[0];
            let loc = self.located(clean_text(&texts[0]), c.pos);
            let f = self.finding(Code::Note, c.pos, "", &loc.text, format!("表格备注:{}", loc.text));
            self.findings.push(f);
            self.remarks.push(loc);
            return;
        }
        let first = value_cell.or(name_cell).unwrap_or(cells[0]);
        let shown = name_cell.map(text_of).unwrap_or_default();
        let f = self.finding(
            Code::IndicatorUnmatched,
            first.pos,
            headers::NAME,
            &texts.join(" | "),
            format!(
                "第{}行{}不是模板中的指标,本行未汇总。请按模板的指标名称填写,不要改动或增加指标行;其他情况请写在「说明」中。",
                r + 1,
                if shown.is_empty() { String::new() } else { format!("「{shown}」") }
            ),
        );
        self.findings.push(f);
        self.layout.extend(cells.iter().filter(|c| c.pos != first.pos).map(|c| (c.pos, Role::Note)));
    }

    /// The cells of an indicator's row other than its value: 说明, 上期值, the template's reference text,
    /// and anything outside the table (I05).
    fn other_cells(&mut self, ind: &Indicator, cells: &[&GridCell], rep: &mut Reported) {
        for c in cells {
            match self.col_of(c.pos.col) {
                Some(Col::Value) => {}
                Some(Col::Note) => rep.note = Some(self.located(text_of(c), c.pos)),
                Some(Col::Previous) => {
                    rep.previous = cell_value(&c.value, ind.is_percent()).map(|p| p.value);
                    self.layout.push((c.pos, Role::Reference));
                }
                Some(_) => self.layout.push((c.pos, Role::Reference)),
                None => {
                    let f = self.finding(
                        Code::IndicatorUnmatched,
                        c.pos,
                        &ind.name,
                        &text_of(c),
                        format!("指标「{}」一行在表格以外的列中写有内容,未汇总。如需说明,请写在「说明」列。", ind.name),
                    );
                    self.findings.push(f);
                }
            }
        }
    }

    /// The 累计完成值: read as a number (I01 when it is not one), with I04 for an approximation, I02 when it
    /// went down since 上期值 and I03 when it cannot be right.
    fn value(&mut self, ind: &Indicator, c: &GridCell, rep: &mut Reported) {
        let text = text_of(c);
        rep.cell = Some(self.located(text.clone(), c.pos));
        let unit = if ind.is_percent() { "百分数(如 91.5)".to_string() } else { format!("数字(单位:{})", ind.unit) };
        let Some(p) = cell_value(&c.value, ind.is_percent()) else {
            let f = self.finding(
                Code::IndicatorUnreadable,
                c.pos,
                &ind.name,
                &text,
                format!("指标「{}」的累计完成值「{text}」无法识别为一个数,未计入全省合计。请只填写一个{unit},文字写在「说明」中。", ind.name),
            );
            self.findings.push(f);
            return;
        };
        rep.value = Some(p.value);
        let v = format_number(p.value);
        if p.approximate {
            let f = self.finding(
                Code::IndicatorApproximate,
                c.pos,
                &ind.name,
                &text,
                format!("指标「{}」的累计完成值写的是约数「{text}」,已按 {v} 计入。如有准确数,请填写准确数。", ind.name),
            );
            self.findings.push(f);
        }
        if let Some(prev) = rep.previous
            && p.value < prev
        {
            let f = self.finding(
                Code::IndicatorDecreased,
                c.pos,
                &ind.name,
                &text,
                format!("指标「{}」的累计完成值 {v} 比上期的 {} 少。累计值一般不会减少,请核实;如确有调整,请在「说明」中写明原因。", ind.name, format_number(prev)),
            );
            self.findings.push(f);
        }
        if let Some(why) = implausible(ind, p.value) {
            let f = self.finding(Code::IndicatorImplausible, c.pos, &ind.name, &text, why);
            self.findings.push(f);
        }
    }
}

/// Why a value read cleanly cannot be right: negative, a rate over 100 %, or one prefecture alone over the
/// province's target.
fn implausible(ind: &Indicator, v: f64) -> Option<String> {
    if v < 0.0 {
        return Some(format!("指标「{}」的累计完成值是负数({}),请核实。", ind.name, format_number(v)));
    }
    if ind.is_percent() && v > 100.0 {
        return Some(format!("指标「{}」是百分数,{}% 超过了100%,请核实。", ind.name, format_number(v)));
    }
    if ind.scope == Scope::Province && ind.aggregate == Aggregate::Sum && v > ind.target {
        return Some(format!(
            "指标「{}」的累计完成值 {} 单个市州就超过了全省目标 {}{},请核实是否多填了位数或填成了全省数。",
            ind.name,
            format_number(v),
            format_number(ind.target),
            ind.unit
        ));
    }
    None
}

