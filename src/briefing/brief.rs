//! The quarter's 质量提升工作简报, drafted from the figures: 报头, then one article in four parts — 工作概述,
//! 主要进展 (the indicators with their table, the tasks, the changes since last quarter, the 典型
//! enterprises quoted as written), 存在问题 and 下一步工作 — and the 版记. A sentence whose figures do not
//! apply is left out and the headings are numbered as they come, so no section is empty and the numbering
//! has no gap.

use crate::indicators::Status;
use crate::text::format_number;

use super::document::{Align, Block, Document, Masthead, Table};
use super::figures::{Figures, PrefectureFigures};
use super::wording::{Wording, fill};

/// The first-level heading numbers of a document (一、二、…).
pub(super) const CHINESE: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// Numbers first-level headings (一、) and second-level ones ((一)) as they are added.
#[derive(Default)]
pub(super) struct Numbering {
    first: usize,
    second: usize,
}

impl Numbering {
    pub(super) fn heading(&mut self, text: &str) -> Block {
        self.first += 1;
        self.second = 0;
        Block::Heading(format!("{}、{text}", CHINESE[(self.first - 1) % CHINESE.len()]))
    }

    pub(super) fn lead(&mut self, heading: &str, text: String) -> Block {
        self.second += 1;
        Block::Lead { heading: format!("({}){heading}", CHINESE[(self.second - 1) % CHINESE.len()]), text }
    }
}

/// Names joined as in Chinese prose: 成都市、自贡市.
pub(super) fn names<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items.into_iter().collect::<Vec<_>>().join("、")
}

/// The placeholders every sentence may use.
pub(super) fn common(f: &Figures, w: &Wording, number: u32, date: chrono::NaiveDate) -> Vec<(&'static str, String)> {
    use chrono::Datelike;
    vec![
        ("period", f.period.label()),
        ("period_code", f.period.code()),
        ("year", date.year().to_string()),
        ("number", number.to_string()),
        ("date", crate::text::chinese_date(date)),
        ("office", w.office.clone()),
        ("total", f.total.to_string()),
        ("returned", f.returned().count().to_string()),
        ("enterprises", f.enterprises.to_string()),
        ("tasks", f.tasks_reported.to_string()),
        ("target", f.target.to_string()),
    ]
}

/// A sentence with the common placeholders and `more`.
pub(super) fn say(template: &str, common: &[(&str, String)], more: &[(&str, String)]) -> String {
    fill(&fill(template, more), common)
}

/// A rate as the rollup formats it (0.0%).
pub(super) fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

/// The overview paragraph: who reported, on time and late (with the dataset), who did not, and how many
/// reached the target of enterprises. Shared by the 简报 and the 通报 (whose own first sentence differs).
pub(super) fn overview(f: &Figures, first: &str, w: &Wording, c: &[(&str, String)]) -> String {
    let b = &w.briefing;
    let mut s = say(first, c, &[]);
    let reporting: Vec<i64> = f.over_time.reporting.iter().filter_map(|r| r.days_late).collect();
    if !reporting.is_empty() {
        let late = reporting.iter().filter(|d| **d > 0).count();
        s.push_str(&say(&b.overview_timeliness, c, &[("on_time", (reporting.len() - late).to_string()), ("late", late.to_string())]));
    }
    let missing: Vec<&PrefectureFigures> = f.missing().collect();
    if !missing.is_empty() {
        s.push_str(&say(&b.overview_missing, c, &[("names", names(missing.iter().map(|p| p.name.as_str()))), ("count", missing.len().to_string())]));
    }
    let met = f.returned().count() - f.below_target().count();
    s.push_str(&say(&b.overview_target, c, &[("met", met.to_string())]));
    s
}

/// The table of the indicators as the rollup's 指标完成情况 shows them, with its 序时进度 when it has one.
fn indicator_table(f: &Figures) -> Table {
    let schedule = f.has_schedule();
    let mut headers: Vec<&str> = vec!["序号", "指标", "目标", "期限"];
    // Measured in 五号 characters: two digits, the longest names on two lines, 全省≥10000家, 至2020年.
    let mut widths = vec![8, 43, 25, 20];
    if schedule {
        headers.push("序时进度");
        widths.push(18);
        // The names take two lines more often, so that 期限 keeps 至2020年 on one.
        widths[1] = 36;
        widths[2] = 24;
        widths[3] = 22;
    }
    headers.extend(["全省完成值", "完成率", "状态"]);
    widths.extend([15, 14, 14]);
    let mut align = vec![Align::Center; headers.len()];
    align[1] = Align::Left;
    let rows = f
        .indicators
        .iter()
        .enumerate()
        .map(|(k, i)| {
            let mut row = vec![(k + 1).to_string(), i.name.clone(), i.target.clone(), i.horizon.to_string()];
            if schedule {
                row.push(i.expected.clone());
            }
            row.extend([i.province_shown.clone(), i.rate.map(percent).unwrap_or_default(), i.status.label().to_string()]);
            row
        })
        .collect();
    Table { headers: headers.into_iter().map(String::from).collect(), widths, align, rows }
}

/// The 主要进展 section.
fn progress(f: &Figures, w: &Wording, c: &[(&str, String)], n: &mut Numbering, blocks: &mut Vec<Block>) {
    let b = &w.briefing;
    blocks.push(n.heading(&b.progress_heading));
    let count = |s: Status| f.indicators.iter().filter(|i| i.status == s).count();
    let mut text = say(
        &b.indicators,
        c,
        &[
            ("count", f.indicators.len().to_string()),
            ("met", count(Status::Met).to_string()),
            ("not_met", count(Status::NotMet).to_string()),
            ("no_data", (count(Status::NoData) + count(Status::ProvinceToEnter)).to_string()),
        ],
    );
    if f.has_schedule() {
        text.push_str(&say(&b.indicators_schedule, c, &[("ahead", count(Status::Ahead).to_string()), ("on", count(Status::OnPace).to_string()), ("behind", count(Status::Behind).to_string())]));
    }
    blocks.push(n.lead(&b.indicators_heading, text));
    blocks.push(Block::Table(indicator_table(f)));
    if !f.tasks.is_empty() {
        blocks.push(n.lead(&b.tasks_heading, tasks(f, w, c)));
    }
    if let Some(ch) = &f.changes {
        let mut text = say(
            &b.changes,
            c,
            &[
                ("previous", ch.previous.map(|p| p.label()).unwrap_or_else(|| "上期".into())),
                ("compared", ch.compared.to_string()),
                ("added", ch.added.to_string()),
                ("removed", ch.removed.to_string()),
                ("changed", ch.changed.to_string()),
                ("moved", ch.moved.to_string()),
            ],
        );
        let moved: Vec<String> = f
            .indicators
            .iter()
            .filter_map(|i| {
                let d = i.change.filter(|d| *d != 0.0)?;
                let (what, unit) = match (i.counts_prefectures, i.unit.as_str()) {
                    (true, _) => ("达到目标的市州", "个"),
                    (false, "%") => ("", "个百分点"),
                    (false, u) => ("", u),
                };
                Some(format!("{}{what}{}{}{unit}", i.name, if d > 0.0 { "增加" } else { "减少" }, format_number(d.abs())))
            })
            .collect();
        if !moved.is_empty() {
            text.push_str(&say(&b.changes_indicators, c, &[("list", moved.join(","))]));
        }
        blocks.push(n.lead(&b.changes_heading, text));
    }
    if !f.typical.is_empty() {
        blocks.push(n.lead(&b.typical_heading, say(&b.typical, c, &[])));
        for t in &f.typical {
            let item = say(&b.typical_item, c, &[("prefecture", t.prefecture.clone()), ("enterprise", t.enterprise.clone()), ("industry", t.industry.clone()), ("text", t.text.clone())]);
            blocks.push(Block::Para(item));
        }
    }
}

/// The short name of a task in prose: its first sentence, or its first clause when that is long.
fn task_name(content: &str) -> String {
    let first = content.split('。').next().unwrap_or(content);
    if first.chars().count() <= 40 {
        return first.to_string();
    }
    first.split([',', ',', ';', ';']).next().unwrap_or(first).to_string()
}

/// The tasks paragraph: lines reported by status (项次), and the tasks most prefectures completed.
fn tasks(f: &Figures, w: &Wording, c: &[(&str, String)]) -> String {
    let b = &w.briefing;
    let statuses: Vec<String> = f.tasks.first().map(|t| t.by_status.iter().map(|(s, _)| s.clone()).collect()).unwrap_or_default();
    // In the order of tasks.toml: 未启动, 推进中, 已完成.
    let at = |k: usize| statuses.get(k).map_or(0, |s| f.task_lines(s));
    let reported = f.returned().filter(|p| p.tasks_reported > 0).count();
    let lines: usize = (0..statuses.len()).map(at).sum();
    let mut text = say(
        &b.tasks,
        c,
        &[("reported", reported.to_string()), ("lines", lines.to_string()), ("done", at(2).to_string()), ("ongoing", at(1).to_string()), ("not_started", at(0).to_string())],
    );
    if let Some(done) = statuses.get(2) {
        let mut top: Vec<(&super::figures::TaskFigures, usize)> = f.tasks.iter().map(|t| (t, t.by_status.iter().find(|(s, _)| s == done).map_or(0, |(_, n)| *n))).filter(|(_, n)| *n > 0).collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.no.cmp(&b.0.no)));
        let list: Vec<String> = top.iter().take(3).map(|(t, n)| format!("第{}项「{}」({n}个市(州))", t.no, task_name(&t.content))).collect();
        if !list.is_empty() {
            text.push_str(&say(&b.tasks_top, c, &[("list", list.join(";"))]));
        }
    }
    text
}

/// The 存在问题 section: one paragraph per kind of problem found, or the line saying none was.
fn problems(f: &Figures, w: &Wording, c: &[(&str, String)]) -> Vec<Block> {
    let b = &w.briefing;
    let mut out = Vec::new();
    let missing: Vec<&PrefectureFigures> = f.missing().collect();
    if !missing.is_empty() {
        out.push(say(&b.problems_missing, c, &[("names", names(missing.iter().map(|p| p.name.as_str()))), ("count", missing.len().to_string())]));
    }
    let late: Vec<String> = f.over_time.reporting.iter().filter_map(|r| r.days_late.filter(|d| *d > 0).map(|d| format!("{}逾期{d}天", r.prefecture))).collect();
    if !late.is_empty() {
        out.push(say(&b.problems_late, c, &[("list", late.join("、"))]));
    }
    let errors: Vec<String> = f.with_errors().map(|p| format!("{}错误{}条", p.name, p.errors)).collect();
    if !errors.is_empty() {
        out.push(say(&b.problems_errors, c, &[("count", errors.len().to_string()), ("list", errors.join("、"))]));
    }
    let below: Vec<String> = f.below_target().map(|p| format!("{}{}家", p.name, p.enterprises)).collect();
    if !below.is_empty() {
        out.push(say(&b.problems_below_target, c, &[("count", below.len().to_string()), ("list", below.join("、"))]));
    }
    // Behind 序时进度, or due and not met, as the rollup judged them.
    let behind: Vec<String> = f
        .indicators
        .iter()
        .filter(|i| matches!(i.status, Status::Behind | Status::NotMet))
        .map(|i| format!("{}({}{})", i.name, i.status.label(), i.rate.map(|r| format!(",完成{}", percent(r))).unwrap_or_default()))
        .collect();
    if !behind.is_empty() {
        out.push(say(&b.problems_indicators, c, &[("count", behind.len().to_string()), ("list", behind.join("、"))]));
    }
    if out.is_empty() {
        out.push(say(&b.problems_none, c, &[]));
    }
    out.into_iter().map(Block::Para).collect()
}

/// The 简报 of `f`, issue `number`, dated `date`.
pub fn draft(f: &Figures, w: &Wording, number: u32, date: chrono::NaiveDate) -> Document {
    let b = &w.briefing;
    let c = common(f, w, number, date);
    let mut n = Numbering::default();
    let mut blocks = vec![n.heading(&b.overview_heading), Block::Para(overview(f, &b.overview, w, &c))];
    progress(f, w, &c, &mut n, &mut blocks);
    blocks.push(n.heading(&b.problems_heading));
    blocks.extend(problems(f, w, &c));
    blocks.push(n.heading(&b.next_heading));
    blocks.extend(b.next_steps.iter().map(|s| Block::Para(say(s, &c, &[]))));
    Document {
        masthead: Masthead::Briefing { title: say(&b.title, &c, &[]), number: say(&b.number, &c, &[]), office: w.office.clone(), date: crate::text::chinese_date(date) },
        title: say(&b.headline, &c, &[]),
        addressee: None,
        blocks,
        signature: None,
        record: [&b.main_to, &b.copy_to, &b.printed].iter().map(|t| say(t, &c, &[])).filter(|t| !t.is_empty()).collect(),
        date,
        property_title: format!("{}{}", say(&b.title, &c, &[]), say(&b.number, &c, &[])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_numbered_as_they_come_and_none_is_empty() {
        let f = crate::briefing::figures::sample();
        let w = Wording::embedded().unwrap();
        let d = draft(&f, &w, 3, f.rollup_date);
        let headings: Vec<&str> = d.blocks.iter().filter_map(|b| if let Block::Heading(h) = b { Some(h.as_str()) } else { None }).collect();
        assert_eq!(headings, ["一、工作概述", "二、主要进展", "三、存在问题", "四、下一步工作"]);
        // Without a previous rollup, no 与上期相比: the 典型 enterprises are (三).
        let leads: Vec<&str> = d.blocks.iter().filter_map(|b| if let Block::Lead { heading, .. } = b { Some(heading.as_str()) } else { None }).collect();
        assert_eq!(leads, ["(一)量化指标完成情况。", "(二)重点任务推进情况。", "(三)典型企业。"]);
        let texts = d.texts();
        assert_eq!(&texts[..2], ["质量提升工作简报", "第3期"]);
        let all = texts.join("\n");
        assert!(all.contains("阿坝藏族羌族自治州、甘孜藏族自治州、凉山彝族自治州3个市(州)未报送"), "{all}");
        assert!(all.contains("1个市(州)报送的台账仍有错误未改正:泸州市错误2条。"), "{all}");
        assert!(all.contains("第4项「推动500家企业标准自我声明公开」") || all.contains("第4项「支持企业积极参与国际和国内标准制定」"), "{all}");
        assert!(all.contains("四川某食品有限公司(成都市,食品):“已完成生产线改造,产品合格率提升到99%。”"), "{all}");
        assert!(all.ends_with("2018年10月18日印发"), "{all}");
    }

    #[test]
    fn a_quarter_without_problems_says_so() {
        let mut f = crate::briefing::figures::sample();
        for p in &mut f.prefectures {
            p.status = crate::rollup::status::ReturnStatus::Returned;
            p.errors = 0;
            p.enterprises = 60;
        }
        for i in &mut f.indicators {
            i.status = crate::indicators::Status::Met;
        }
        let d = draft(&f, &Wording::embedded().unwrap(), 1, f.rollup_date);
        let all = d.texts().join("\n");
        assert!(all.contains("三、存在问题\n本期各市(州)均按要求报送,台账未发现错误。"), "{all}");
        assert!(!all.contains("未报送或"), "{all}");
    }

    #[test]
    fn the_plan_numbers_its_quarters() {
        use crate::briefing::default_number;
        use crate::period::Period;
        assert_eq!(default_number(Period { year: 2018, quarter: 3 }), 1);
        assert_eq!(default_number(Period { year: 2019, quarter: 1 }), 3);
        assert_eq!(default_number(Period { year: 2020, quarter: 4 }), 10);
    }
}
