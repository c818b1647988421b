//! The 通报 on the prefectures: the assessment of the period (score, grade, rank, computed by the dataset's
//! assessment from the rules of `templates/assessment.toml`, never here), a table of every prefecture's
//! figures, and the prefectures named under 表扬 and 督促 by the same rules.

use super::brief::{Numbering, common, names, overview, say};
use super::document::{Align, Block, Document, Masthead, Table};
use super::figures::{Assessment, Figures};
use super::wording::Wording;

/// The table of the assessment: one row per prefecture, in the order of its rank.
fn table(f: &Figures, a: &Assessment) -> Table {
    let headers: Vec<String> =
        ["排名", "市(州)", "报送及时", "整改轮次", &format!("企业数(目标{})", f.target), "指标达标", "得分", "等级"].iter().map(|s| s.to_string()).collect();
    let rows = a
        .ranked
        .iter()
        .map(|r| {
            vec![
                r.rank.to_string(),
                r.prefecture.clone(),
                r.timeliness.clone(),
                r.rounds.clone(),
                r.enterprises.to_string(),
                r.indicators.clone(),
                // As the assessment shows it (points to the hundredth).
                crate::text::format_number(r.score),
                r.grade.clone(),
            ]
        })
        .collect();
    Table {
        headers,
        // In millimetres of the 156 mm text width, measured in 五号: 逾期12天, 第2轮无错误, 45.85.
        widths: vec![10, 40, 23, 25, 15, 18, 15, 10],
        align: vec![Align::Center, Align::Left, Align::Center, Align::Center, Align::Center, Align::Center, Align::Center, Align::Center],
        rows,
    }
}

/// The 通报 of `f` with its assessment `a`, number `number`, dated `date`.
pub fn draft(f: &Figures, a: &Assessment, w: &Wording, number: u32, date: chrono::NaiveDate) -> Document {
    let t = &w.notice;
    let c = common(f, w, number, date);
    let mut n = Numbering::default();
    let mut blocks = vec![Block::Para(say(&t.opening, &c, &[])), n.heading(&t.overview_heading), Block::Para(overview(f, &t.overview, w, &c))];
    blocks.push(n.heading(&t.ranking_heading));
    blocks.push(Block::Para(say(&t.ranking, &c, &[("items", a.items.clone())])));
    blocks.push(Block::Caption(say(&t.table_title, &c, &[])));
    blocks.push(Block::Table(table(f, a)));
    blocks.push(n.heading(&t.praise_heading));
    blocks.push(Block::Para(if a.praise.is_empty() {
        say(&t.praise_none, &c, &[])
    } else {
        say(&t.praise, &c, &[("names", names(a.praise.iter().map(String::as_str))), ("count", a.praise.len().to_string()), ("rule", a.praise_rule.clone())])
    }));
    blocks.push(n.heading(&t.urge_heading));
    blocks.push(Block::Para(if a.urge.is_empty() {
        say(&t.urge_none, &c, &[])
    } else {
        say(&t.urge, &c, &[("names", names(a.urge.iter().map(String::as_str))), ("count", a.urge.len().to_string()), ("rule", a.urge_rule.clone())])
    }));
    if !t.closing.is_empty() {
        blocks.push(n.heading(&t.closing_heading));
        blocks.extend(t.closing.iter().map(|s| Block::Para(say(s, &c, &[]))));
    }
    Document {
        masthead: Masthead::Notice { office: w.office.clone(), number: say(&t.number, &c, &[]) },
        title: say(&t.title, &c, &[]),
        addressee: Some(say(&t.addressee, &c, &[])).filter(|s| !s.is_empty()),
        blocks,
        signature: Some((w.office.clone(), crate::text::chinese_date(date))),
        record: [&t.main_to, &t.copy_to, &t.printed].iter().map(|x| say(x, &c, &[])).filter(|x| !x.is_empty()).collect(),
        date,
        property_title: say(&t.title, &c, &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::briefing::figures::{Assessed, sample};

    #[test]
    fn the_notice_ranks_and_names_by_the_assessment_it_is_given() {
        let f = sample();
        let ranked: Vec<Assessed> = f
            .prefectures
            .iter()
            .enumerate()
            .map(|(i, p)| Assessed {
                prefecture: p.name.clone(),
                rank: i + 1,
                score: 95.0 - i as f64 * 2.5,
                grade: if i < 3 { "A".into() } else { "B".into() },
                timeliness: "按期".into(),
                rounds: "1".into(),
                enterprises: p.enterprises,
                indicators: "3/4".into(),
            })
            .collect();
        let a = Assessment {
            items: "报送及时(20分)、数据质量(30分)".into(),
            ranked,
            praise: vec!["成都市".into(), "自贡市".into()],
            praise_rule: "考核等级为A".into(),
            urge: vec![],
            urge_rule: "考核等级为D".into(),
        };
        let d = draft(&f, &a, &Wording::embedded().unwrap(), 4, f.rollup_date);
        let all = d.texts().join("\n");
        assert!(all.contains("川质提办〔2018〕4号"), "{all}");
        assert!(all.contains("成都市、自贡市2个市(州)考核等级为A,予以通报表扬。"), "{all}");
        assert!(all.contains("本期没有需要督促整改的市(州)。"), "{all}");
        let table = d.blocks.iter().find_map(|b| if let Block::Table(t) = b { Some(t) } else { None }).unwrap();
        assert_eq!(table.rows.len(), 21);
        assert_eq!(table.rows[0][..2], ["1".to_string(), "成都市".to_string()]);
        assert_eq!(table.headers[4], "企业数(目标50)");
    }
}
