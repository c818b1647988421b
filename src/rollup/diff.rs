//! What changed between two quarters: enterprises added and removed per prefecture, the 提升目标,
//! 提升措施 and 进展情况及成效 that were updated (old and new side by side), and tasks whose status moved.
//! Enterprises are matched within a prefecture by the matching key of their name, so a name retyped with
//! full-width letters or extra spaces is the same enterprise.
//!
//! Only prefectures whose return is in both rollups are compared. One that has not reported yet (in the
//! middle of a collection, two returns in and nineteen to come) is listed as 未报送; its enterprises are
//! neither removals nor additions, which would otherwise make the office read "减少 50 家".

use std::collections::HashMap;

use rust_xlsxwriter::{Format, FormatAlign, Workbook, Worksheet, XlsxError};

use crate::xlsx::style;
use crate::rollup::readback::{Progress, Rollup, Row};
use crate::refdata::RefData;
use crate::rollup::layout::diff_sheets as sheets;
use crate::xlsx::{fit_height, print_setup};

/// The fields compared between quarters.
pub const COMPARED: [&str; 3] = ["goal", "measures", "progress"];

/// One field that changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub prefecture: String,
    pub enterprise: String,
    pub field: String,
    pub old: String,
    pub new: String,
}

/// One task whose status moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub prefecture: String,
    pub task: u32,
    pub old: String,
    pub new: String,
    pub narrative: String,
}

/// The differences between two rollups.
#[derive(Debug, Clone, Default)]
pub struct Diff {
    pub old_period: Option<crate::Period>,
    pub new_period: Option<crate::Period>,
    pub added: Vec<Row>,
    pub removed: Vec<Row>,
    pub changed: Vec<Changed>,
    pub moved: Vec<Moved>,
    /// Per prefecture reported in both rollups (official order): enterprises before, after.
    pub counts: Vec<(String, usize, usize)>,
    /// Reported in the old rollup but not in the new one (official order), with its enterprises in the old
    /// one: not compared.
    pub missing_new: Vec<(String, usize)>,
    /// Reported in the new rollup but not in the old one (official order), with its enterprises in the new
    /// one: not compared.
    pub missing_old: Vec<(String, usize)>,
}

impl Diff {
    /// Whether the prefecture was compared (reported in both rollups).
    pub fn compared(&self, prefecture: &str) -> bool {
        self.counts.iter().any(|(p, _, _)| p == prefecture)
    }

    /// The one-paragraph account printed by `diff` (and `consolidate --previous`): what was compared, the
    /// counts, and who was left out because a return is missing.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "对比了两期都已报送的 {} 个市州:新增企业 {} 家,减少 {} 家,内容更新 {} 处,任务状态变化 {} 项。",
            self.counts.len(),
            self.added.len(),
            self.removed.len(),
            self.changed.len(),
            self.moved.len()
        );
        let names = |v: &[(String, usize)]| v.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>().join("、");
        let label = |p: Option<crate::Period>, other: &str| p.map(|p| p.label()).unwrap_or_else(|| other.into());
        if !self.missing_new.is_empty() {
            s.push_str(&format!(
                "\n{}未报送(未对比,其企业不计为减少)的 {} 个市州:{}。",
                label(self.new_period, "本期"),
                self.missing_new.len(),
                names(&self.missing_new)
            ));
        }
        if !self.missing_old.is_empty() {
            s.push_str(&format!(
                "\n{}未报送(未对比,其企业不计为新增)的 {} 个市州:{}。",
                label(self.old_period, "上期"),
                self.missing_old.len(),
                names(&self.missing_old)
            ));
        }
        s
    }
}

/// Compares two rollups.
pub fn compare(refdata: &RefData, old: &Rollup, new: &Rollup) -> Diff {
    let ent = refdata.ledger.keys.enterprise;
    let mut d = Diff { old_period: old.period, new_period: new.period, ..Diff::default() };
    for p in refdata.prefectures.all() {
        let n = |rows: &[Row]| rows.iter().filter(|r| r.prefecture == p.name).count();
        match (old.has_reported(&p.name), new.has_reported(&p.name)) {
            (true, true) => d.counts.push((p.name.clone(), n(&old.rows), n(&new.rows))),
            (true, false) => d.missing_new.push((p.name.clone(), n(&old.rows))),
            (false, true) => d.missing_old.push((p.name.clone(), n(&new.rows))),
            (false, false) => {}
        }
    }
    let both = |p: &str| old.has_reported(p) && new.has_reported(p);
    // Old rows by (prefecture, key), each usable once, in order.
    let mut pool: HashMap<(&str, &str), Vec<&Row>> = HashMap::new();
    for r in old.rows.iter().filter(|r| both(&r.prefecture)) {
        pool.entry((&r.prefecture, &r.key)).or_default().push(r);
    }
    for r in pool.values_mut() {
        r.reverse();
    }
    for r in new.rows.iter().filter(|r| both(&r.prefecture)) {
        match pool.get_mut(&(r.prefecture.as_str(), r.key.as_str())).and_then(Vec::pop) {
            Some(o) => {
                for key in COMPARED {
                    let Some(i) = refdata.ledger.column_index(key) else { continue };
                    if o.fields[i] != r.fields[i] {
                        d.changed.push(Changed {
                            prefecture: r.prefecture.clone(),
                            enterprise: r.fields[ent].clone(),
                            field: refdata.ledger.columns[i].name.clone(),
                            old: o.fields[i].clone(),
                            new: r.fields[i].clone(),
                        });
                    }
                }
            }
            None => d.added.push(r.clone()),
        }
    }
    let mut left: Vec<&Row> = pool.into_values().flatten().collect();
    left.sort_by_key(|r| (refdata.prefectures.index_of(&r.prefecture), old.rows.iter().position(|x| std::ptr::eq(x, *r))));
    d.removed = left.into_iter().cloned().collect();
    let old_status: HashMap<(&str, u32), &Progress> = old.progress.iter().map(|p| ((p.prefecture.as_str(), p.task), p)).collect();
    for p in new.progress.iter().filter(|p| both(&p.prefecture)) {
        let before = old_status.get(&(p.prefecture.as_str(), p.task)).map(|o| o.status.as_str()).unwrap_or("");
        if before != p.status {
            d.moved.push(Moved { prefecture: p.prefecture.clone(), task: p.task, old: before.into(), new: p.status.clone(), narrative: p.narrative.clone() });
        }
    }
    d.moved.sort_by_key(|m| (m.task, refdata.prefectures.index_of(&m.prefecture)));
    d
}


struct Styles {
    title: Format,
    header: Format,
    text: Format,
    center: Format,
    old: Format,
    new: Format,
}

fn styles() -> Styles {
    let base = style::base(10.0);
    let cell = style::bordered(&base).set_align(FormatAlign::Top);
    Styles {
        title: style::title(&base, 16.0),
        header: cell.clone().set_bold().set_align(FormatAlign::Center).set_background_color(style::HEADER_FILL),
        text: cell.clone(),
        center: cell.clone().set_align(FormatAlign::Center),
        old: cell.clone().set_background_color(style::OLD_FILL),
        new: cell.set_background_color(style::NEW_FILL),
    }
}

fn table(ws: &mut Worksheet, title: &str, headers: &[(&str, f64)], rows: &[Vec<(String, u8)>], st: &Styles) -> Result<(), XlsxError> {
    let last = headers.len() as u16 - 1;
    ws.merge_range(0, 0, 0, last, title, &st.title)?;
    ws.set_row_height(0, 28)?;
    for (c, (h, w)) in headers.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *h, &st.header)?;
        ws.set_column_width(c as u16, *w)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = 2 + i as u32;
        let texts: Vec<(&str, f64)> = row.iter().zip(headers).map(|((t, _), (_, w))| (t.as_str(), *w)).collect();
        let h = fit_height(&texts, 13.0);
        if h > 17.0 {
            ws.set_row_height(r, h)?;
        }
        for (c, (t, style)) in row.iter().enumerate() {
            let f = match style {
                1 => &st.center,
                2 => &st.old,
                3 => &st.new,
                _ => &st.text,
            };
            ws.write_string_with_format(r, c as u16, crate::xlsx::cut_to_cell(t).as_ref(), f)?;
        }
    }
    ws.set_freeze_panes(2, 0)?;
    ws.autofilter(1, 0, 1 + rows.len() as u32, last)?;
    print_setup(ws, 1, 1)?;
    Ok(())
}

/// The lines of 变化汇总: every prefecture has one, compared ones with their counts, the others saying
/// which return is missing.
fn summary_rows(refdata: &RefData, d: &Diff) -> Vec<Vec<(String, u8)>> {
    let short = |p: &str| refdata.prefectures.lookup(p).map_or(p.to_string(), |x| x.name.clone());
    let mut rows: Vec<Vec<(String, u8)>> = Vec::new();
    let missing = || ("未报送".to_string(), 1u8);
    let blank = || (String::new(), 1u8);
    let n_text = |v: usize| (v.to_string(), 1u8);
    for p in refdata.prefectures.all() {
        let p = &p.name;
        let n = |v: usize| (v.to_string(), 1u8);
        if let Some((_, before, after)) = d.counts.iter().find(|(q, _, _)| q == p) {
            let added = d.added.iter().filter(|r| r.prefecture == *p).count();
            let removed = d.removed.iter().filter(|r| r.prefecture == *p).count();
            let changed = d.changed.iter().filter(|c| c.prefecture == *p).map(|c| &c.enterprise).collect::<std::collections::BTreeSet<_>>().len();
            let moved = d.moved.iter().filter(|m| m.prefecture == *p).count();
            rows.push(vec![(short(p), 0), ("已对比".into(), 1), n(*before), n(*after), n(added), n(removed), n(changed), n(moved)]);
            continue;
        }
        let old_only = d.missing_new.iter().find(|(q, _)| q == p).map(|(_, n)| *n);
        let new_only = d.missing_old.iter().find(|(q, _)| q == p).map(|(_, n)| *n);
        let status = match (old_only, new_only) {
            (Some(_), _) => "本期未报送,未对比",
            (_, Some(_)) => "上期未报送,未对比",
            _ => "两期均未报送",
        };
        let count = |n: Option<usize>| n.map_or_else(missing, n_text);
        rows.push(vec![
            (short(p), 0),
            (status.into(), 1),
            count(old_only),
            count(new_only),
            blank(),
            blank(),
            blank(),
            blank(),
        ]);
    }
    rows
}

/// Adds the comparison's sheets to a workbook (the `diff` command's workbook, or a rollup).
///
/// # Errors
/// When rust_xlsxwriter fails.
pub fn write_sheets(wb: &mut Workbook, refdata: &RefData, d: &Diff, prefix: &str) -> Result<(), XlsxError> {
    let st = styles();
    let label = |p: Option<crate::Period>| p.map(|p| p.label()).unwrap_or_else(|| "期别不明".into());
    let span = format!("{} → {}", label(d.old_period), label(d.new_period));
    let name = |s: &str| format!("{prefix}{s}");

    let rows = summary_rows(refdata, d);
    let ws = wb.add_worksheet();
    ws.set_name(name(sheets::SUMMARY))?;
    let headers = [
        ("市州", 18.0),
        ("对比情况", 20.0),
        ("上期企业数", 10.0),
        ("本期企业数", 10.0),
        ("新增", 8.0),
        ("减少", 8.0),
        ("内容有更新的企业", 12.0),
        ("任务状态变化", 10.0),
    ];
    table(ws, &format!("质量提升台账变化汇总({span})"), &headers, &rows, &st)?;

    let ent = refdata.ledger.keys.enterprise;
    let ind = refdata.ledger.keys.industry;
    let prod = refdata.ledger.keys.product;
    for (sheet, list) in [(sheets::ADDED, &d.added), (sheets::REMOVED, &d.removed)] {
        let rows: Vec<Vec<(String, u8)>> =
            list.iter().map(|r| vec![(r.prefecture.clone(), 1), (r.fields[ent].clone(), 0), (r.fields[ind].clone(), 0), (r.fields[prod].clone(), 0)]).collect();
        let ws = wb.add_worksheet();
        ws.set_name(name(sheet))?;
        table(ws, &format!("{sheet}({span})"), &[("填报市州", 18.0), ("提升企业名称", 32.0), ("所属(产业)行业", 16.0), ("主导产品", 20.0)], &rows, &st)?;
    }

    let rows: Vec<Vec<(String, u8)>> = d
        .changed
        .iter()
        .map(|c| vec![(c.prefecture.clone(), 1), (c.enterprise.clone(), 0), (c.field.clone(), 1), (c.old.clone(), 2), (c.new.clone(), 3)])
        .collect();
    let ws = wb.add_worksheet();
    ws.set_name(name(sheets::CHANGED))?;
    table(ws, &format!("提升目标、提升措施、进展情况及成效的变化({span})"), &[("填报市州", 14.0), ("提升企业名称", 26.0), ("字段", 12.0), ("上期", 45.0), ("本期", 45.0)], &rows, &st)?;

    let rows: Vec<Vec<(String, u8)>> = d
        .moved
        .iter()
        .map(|m| vec![(m.task.to_string(), 1), (m.prefecture.clone(), 1), (if m.old.is_empty() { "(未填报)".into() } else { m.old.clone() }, 2), (m.new.clone(), 3), (m.narrative.clone(), 0)])
        .collect();
    let ws = wb.add_worksheet();
    ws.set_name(name(sheets::MOVED))?;
    table(ws, &format!("重点工作任务完成状态的变化({span})"), &[("任务序号", 7.0), ("填报市州", 14.0), ("上期状态", 10.0), ("本期状态", 10.0), ("本期推进情况", 60.0)], &rows, &st)?;
    Ok(())
}

/// The comparison as its own workbook.
///
/// # Errors
/// When rust_xlsxwriter fails.
pub fn workbook(refdata: &RefData, d: &Diff) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    use rust_xlsxwriter::{DocProperties, ExcelDateTime};
    wb.set_properties(&DocProperties::new().set_title("质量提升台账变化").set_creation_datetime(&ExcelDateTime::from_ymd(2018, 7, 4)?));
    write_sheets(&mut wb, refdata, d, "")?;
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollup::readback::{Progress, Rollup, Row};

    fn row(refdata: &RefData, prefecture: &str, enterprise: &str) -> Row {
        let mut fields = vec![String::new(); refdata.ledger.columns.len()];
        fields[refdata.ledger.keys.enterprise] = enterprise.into();
        Row { prefecture: prefecture.into(), fields, key: crate::text::enterprise_key(enterprise) }
    }

    fn rollup(refdata: &RefData, reported: &[&str], rows: &[(&str, &str)]) -> Rollup {
        Rollup {
            period: None,
            rows: rows.iter().map(|(p, e)| row(refdata, p, e)).collect(),
            progress: reported.iter().map(|p| Progress { prefecture: (*p).into(), task: 1, status: "已完成".into(), narrative: String::new(), value: String::new() }).collect(),
            reported: reported.iter().map(|p| (*p).to_string()).collect(),
            ..Rollup::default()
        }
    }

    #[test]
    fn prefectures_missing_from_either_rollup_are_listed_not_counted() {
        let r = RefData::embedded().unwrap();
        let old = rollup(&r, &["成都市", "自贡市", "泸州市"], &[("成都市", "甲公司"), ("成都市", "乙公司"), ("自贡市", "丙公司"), ("泸州市", "丁公司")]);
        let mut new = rollup(&r, &["成都市", "德阳市"], &[("成都市", "甲公司"), ("成都市", "戊公司"), ("德阳市", "己公司")]);
        new.progress[0].status = "推进中".into();
        let d = compare(&r, &old, &new);
        let names = |v: &[Row]| v.iter().map(|x| (x.prefecture.clone(), x.fields[2].clone())).collect::<Vec<_>>();
        assert_eq!(names(&d.added), [("成都市".to_string(), "戊公司".to_string())]);
        assert_eq!(names(&d.removed), [("成都市".to_string(), "乙公司".to_string())]);
        assert_eq!(d.counts, [("成都市".to_string(), 2, 2)]);
        assert_eq!(d.missing_new, [("自贡市".to_string(), 1), ("泸州市".to_string(), 1)]);
        assert_eq!(d.missing_old, [("德阳市".to_string(), 1)]);
        assert_eq!(d.moved.len(), 1, "only 成都's task 1 is compared: {:?}", d.moved);
        assert_eq!(d.moved[0].prefecture, "成都市");
        let s = d.summary();
        assert!(s.starts_with("对比了两期都已报送的 1 个市州:新增企业 1 家,减少 1 家,内容更新 0 处,任务状态变化 1 项。"), "{s}");
        assert!(s.contains("本期未报送(未对比,其企业不计为减少)的 2 个市州:自贡市、泸州市。"), "{s}");
        assert!(s.contains("上期未报送(未对比,其企业不计为新增)的 1 个市州:德阳市。"), "{s}");
    }
}
