//! What a row under the ledger's header is, and whether a value looks like what its column asks for.
//!
//! Hurried officials add totals ("合计 | 共3家企业"), sub-totals ("小计 | 2家") and section headings
//! ("一、食品行业") to the ledger, swap columns, shift a row by one cell and put two enterprises in one cell.
//! A row is classified from all its cells, never from one column, so that none of these becomes an
//! enterprise; the plausibility checks only report, they never move or change a value. The words they rely
//! on are reference data (`[rows]` of `ledger.toml`, `[status_words]` of `tasks.toml`).

use crate::refdata::{RowWords, StatusWords};
use crate::text::fold_key;

/// Which ledger column a cell of a row sits in, as far as classification cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Seq,
    Industry,
    Enterprise,
    Other,
}

/// What a row under the header is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    /// A row of the ledger: one enterprise.
    Enterprise,
    /// A section heading ("一、食品行业"), or a lone text in the 序号 or 行业 column.
    Heading,
    /// A total ("合计", "共3家企业") or, with `subtotal`, a sub-total of the section above; `count` is the
    /// number of enterprises it states, when it states one.
    Total { subtotal: bool, count: Option<u32> },
    /// A row that says nothing: only placeholders ("/", "—", "无") or an end marker ("以下空白"), with
    /// at most a number in the 序号 column.
    Placeholder,
}

/// Longest text a lone cell in the 序号 or 行业 column may have to be read as a heading; a longer one is a
/// remark written in the table.
const HEADING_MAX_CHARS: usize = 30;

/// Classifies a row from its own cells (each value once, merge copies from rows above left out), as
/// `(slot, text)` pairs with non-empty text.
pub fn classify_row(words: &RowWords, cells: &[(Slot, &str)]) -> RowKind {
    if is_placeholder_row(words, cells) {
        return RowKind::Placeholder;
    }
    // Nearly every row is an enterprise on two or more cells, none of which can be a total (every total
    // word has 计, a count opens with 共 or, where a name belongs, with a digit, and either is short):
    // settle it without folding.
    let maybe_total = |(slot, t): &(Slot, &str)| {
        may_be_total(t)
            && (t.contains(['计', '共']) || (matches!(slot, Slot::Industry | Slot::Enterprise) && t.trim_start().starts_with(|c: char| c.is_ascii_digit() || ('０'..='９').contains(&c))))
    };
    if cells.len() > 1 && !cells.iter().any(maybe_total) && words.totals.iter().all(|w| w.contains('计')) {
        return RowKind::Enterprise;
    }
    let markers: Vec<String> = cells.iter().filter(|(_, t)| may_be_total(t)).filter_map(|(slot, t)| total_marker(words, *slot, t)).collect();
    // A count alone ("2家") marks a total only where a name or a number belongs; elsewhere ("5个" as a
    // 提升目标) it needs its 共 or 合计.
    let counted = |slot: Slot, t: &str| match slot {
        _ if !may_be_total(t) => None,
        Slot::Other => count_phrase(words, t).filter(|_| starts_with_total_word(t)),
        _ => count_phrase(words, t),
    };
    if !markers.is_empty() || cells.iter().any(|(s, t)| counted(*s, t).is_some()) {
        let subtotal = markers.iter().any(|m| words.subtotals.contains(m));
        let count = cells.iter().find_map(|(s, t)| counted(*s, t)).or_else(|| {
            // "合计 | 3": a plain number beside the word, outside the 序号 column.
            cells.iter().filter(|(s, _)| *s != Slot::Seq).find_map(|(_, t)| t.trim().parse::<u32>().ok())
        });
        return RowKind::Total { subtotal, count };
    }
    if let [(slot, text)] = cells {
        if is_numbered_heading(text) {
            return RowKind::Heading;
        }
        if matches!(slot, Slot::Seq | Slot::Industry) && text.trim().parse::<f64>().is_err() && text.chars().count() <= HEADING_MAX_CHARS {
            return RowKind::Heading;
        }
    }
    RowKind::Enterprise
}

/// Whether a row holds nothing but placeholders and end markers (a number in the 序号 column aside). A
/// placeholder in a row that also holds a real value is the prefecture's word and stays as typed.
fn is_placeholder_row(words: &RowWords, cells: &[(Slot, &str)]) -> bool {
    let says_nothing = |t: &str| {
        // Placeholders are short: a long text is never folded to be compared with them.
        t.chars().count() <= PLACEHOLDER_MAX_CHARS && {
            let k = fold_key(t);
            words.placeholders.contains(&k) || words.end_markers.iter().any(|m| strip_brackets(&k).trim_end_matches(['。', '.']) == m)
        }
    };
    let mut any = false;
    for (slot, t) in cells {
        if *slot == Slot::Seq && t.trim().parse::<f64>().is_ok() {
            continue;
        }
        if !says_nothing(t) {
            return false;
        }
        any = true;
    }
    any
}

/// Longest placeholder or end marker, in characters ("(以下空白)" and the like).
const PLACEHOLDER_MAX_CHARS: usize = 12;

/// Most characters, white space aside, of a text that can be a total or a count: the longest total word
/// with a count of ten digits, its counter and noun and a colon is under 25. A longer text — the problems,
/// targets and measures of every row — is never folded to be compared with the total words; were a
/// total ever written that long, its row would be kept as an enterprise, never dropped.
const TOTAL_MAX_CHARS: usize = 40;

fn may_be_total(t: &str) -> bool {
    t.len() <= TOTAL_MAX_CHARS || t.chars().filter(|c| !c.is_whitespace()).nth(TOTAL_MAX_CHARS).is_none()
}

fn starts_with_total_word(t: &str) -> bool {
    let k = fold_key(t);
    ["共", "合计", "小计", "总计"].iter().any(|w| k.starts_with(w))
}

/// The folded total word a cell stands for: the word alone ("合 计:"), the word and a count ("合计3家"),
/// or, where a name or a number belongs, a short text ending with it ("白酒行业小计").
fn total_marker(words: &RowWords, slot: Slot, text: &str) -> Option<String> {
    let k = fold_key(text);
    let k = k.trim_end_matches([':', '：']);
    let k = strip_brackets(k);
    for w in &words.totals {
        if k == w {
            return Some(w.clone());
        }
        if let Some(rest) = k.strip_prefix(w.as_str()) {
            let rest = rest.trim_start_matches([':', '：']);
            if rest.parse::<u32>().is_ok() || count_phrase(words, rest).is_some() {
                return Some(w.clone());
            }
        }
        if slot != Slot::Other && k.ends_with(w.as_str()) && k.chars().count() <= 12 {
            return Some(w.clone());
        }
    }
    None
}

/// Removes one pair of brackets around the whole text: "(合计)" → "合计".
fn strip_brackets(k: &str) -> &str {
    k.strip_prefix('(').and_then(|s| s.strip_suffix(')')).unwrap_or(k)
}

/// The number of a count such as "共3家企业", "合计:12家", "3户" or "共计5个"; `None` for anything else,
/// a plain number included (it may be a 序号).
pub fn count_phrase(words: &RowWords, text: &str) -> Option<u32> {
    let k = fold_key(text);
    let k = strip_brackets(k.trim_end_matches([':', '：', '。', '.']));
    let mut prefixed = false;
    let mut rest = k;
    for p in ["共计", "共有", "共", "合计", "小计", "总计"] {
        if let Some(r) = rest.strip_prefix(p) {
            rest = r.trim_start_matches([':', '：']);
            prefixed = true;
            break;
        }
    }
    let digits_end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    if digits_end == 0 {
        return None;
    }
    let n: u32 = rest[..digits_end].parse().ok()?;
    let tail = &rest[digits_end..];
    let counted = words.counters.iter().find(|c| tail.starts_with(c.as_str()));
    let tail = match &counted {
        Some(c) => &tail[c.len()..],
        None => tail,
    };
    let noun_ok = tail.is_empty() || words.count_nouns.iter().any(|n| n == tail);
    ((prefixed || counted.is_some()) && noun_ok && (counted.is_some() || tail.is_empty())).then_some(n)
}

/// A heading numbered the way Chinese documents number sections: "一、", "（二）", "第三类".
pub fn is_numbered_heading(text: &str) -> bool {
    const NUMERALS: &str = "一二三四五六七八九十百";
    let t = text.trim();
    let numerals = |s: &str| -> usize { s.chars().take_while(|c| NUMERALS.contains(*c)).map(char::len_utf8).sum() };
    let n = numerals(t);
    if n > 0 && t[n..].starts_with(['、', '.', '．']) {
        return true;
    }
    for open in ['(', '（'] {
        if let Some(rest) = t.strip_prefix(open) {
            let n = numerals(rest);
            if n > 0 && rest[n..].starts_with([')', '）']) {
                return true;
            }
        }
    }
    if let Some(rest) = t.strip_prefix('第') {
        let n = numerals(rest);
        return n > 0 && rest[n..].starts_with(['类', '部', '节', '项']);
    }
    false
}

/// Whether `name` ends the way an organisation's name does ("…有限公司", "…酒厂(普通合伙)").
pub fn looks_like_organisation(words: &RowWords, name: &str) -> bool {
    let mut k = fold_key(name);
    // A bracketed remark at the end: "(普通合伙)", "(筹)".
    while k.ends_with(')') {
        match k.rfind('(') {
            Some(i) if i > 0 => k.truncate(i),
            _ => break,
        }
    }
    !k.is_empty() && words.organisation_suffixes.iter().any(|s| k.ends_with(s.as_str()) && k.chars().count() > s.chars().count())
}

/// The names of a cell that holds several enterprises ("甲公司、乙公司"): the parts between separators,
/// when at least two of them look like organisations; empty otherwise.
pub fn joined_names<'a>(words: &RowWords, text: &'a str) -> Vec<&'a str> {
    let parts: Vec<&str> = text
        .split(|c: char| words.name_separators.iter().any(|s| s.chars().eq(std::iter::once(c))))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let orgs = parts.iter().filter(|p| looks_like_organisation(words, p)).count();
    if parts.len() >= 2 && orgs >= 2 { parts } else { Vec::new() }
}

/// Where a task stands according to its 推进情况, when the text says so plainly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stated {
    Done,
    NotStarted,
}

/// What a 推进情况 text states plainly: done ("已完成") or not started ("尚未启动"); a word right after a
/// negation ("尚未全面完成") does not count.
pub fn stated_status(words: &StatusWords, narrative: &str) -> Option<Stated> {
    let k = fold_key(narrative);
    let found = |list: &[String]| {
        list.iter().any(|w| {
            k.match_indices(w.as_str()).any(|(i, _)| {
                let before: String = k[..i].chars().rev().take(2).collect();
                !words.negations.iter().any(|n| before.contains(n.as_str()))
            })
        })
    };
    if found(&words.not_started) {
        Some(Stated::NotStarted)
    } else if found(&words.done) {
        Some(Stated::Done)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RefData;

    fn words() -> RowWords {
        RefData::embedded().unwrap().ledger.rows.clone()
    }

    #[test]
    fn totals_and_sub_totals_are_not_enterprises() {
        let w = words();
        use Slot::*;
        assert_eq!(classify_row(&w, &[(Seq, "合计"), (Enterprise, "共3家企业")]), RowKind::Total { subtotal: false, count: Some(3) });
        assert_eq!(classify_row(&w, &[(Industry, "小计"), (Enterprise, "2家")]), RowKind::Total { subtotal: true, count: Some(2) });
        assert_eq!(classify_row(&w, &[(Seq, "合 计:"), (Enterprise, "12")]), RowKind::Total { subtotal: false, count: Some(12) });
        assert_eq!(classify_row(&w, &[(Industry, "白酒行业小计")]), RowKind::Total { subtotal: true, count: None });
        assert_eq!(classify_row(&w, &[(Enterprise, "共计５家")]), RowKind::Total { subtotal: false, count: Some(5) });
        assert_eq!(classify_row(&w, &[(Seq, "（合计）"), (Enterprise, "合计：4家")]), RowKind::Total { subtotal: false, count: Some(4) });
    }

    #[test]
    fn rows_of_placeholders_are_not_enterprises() {
        let w = words();
        assert_eq!(classify_row(&w, &[(Slot::Industry, "/"), (Slot::Enterprise, "/"), (Slot::Other, "/")]), RowKind::Placeholder);
        assert_eq!(classify_row(&w, &[(Slot::Seq, "13"), (Slot::Enterprise, "——"), (Slot::Other, "—")]), RowKind::Placeholder);
        assert_eq!(classify_row(&w, &[(Slot::Industry, "以下空白")]), RowKind::Placeholder);
        assert_eq!(classify_row(&w, &[(Slot::Seq, "（以下无）")]), RowKind::Placeholder);
        assert_eq!(classify_row(&w, &[(Slot::Enterprise, "无"), (Slot::Other, "无")]), RowKind::Placeholder);
        // A placeholder beside a real value is the prefecture's word: the row is an enterprise.
        assert_eq!(classify_row(&w, &[(Slot::Industry, "白酒"), (Slot::Enterprise, "四川甲酒业有限公司"), (Slot::Other, "/")]), RowKind::Enterprise);
        assert_eq!(classify_row(&w, &[(Slot::Enterprise, "四川无名茶厂"), (Slot::Other, "无")]), RowKind::Enterprise);
    }

    #[test]
    fn headings_are_not_enterprises() {
        let w = words();
        use Slot::*;
        assert_eq!(classify_row(&w, &[(Seq, "一、食品行业")]), RowKind::Heading);
        assert_eq!(classify_row(&w, &[(Enterprise, "（二）白酒")]), RowKind::Heading);
        assert_eq!(classify_row(&w, &[(Industry, "白酒")]), RowKind::Heading);
        assert_eq!(classify_row(&w, &[(Other, "第三类 家具")]), RowKind::Heading);
    }

    #[test]
    fn enterprise_rows_stay_enterprises() {
        let w = words();
        use Slot::*;
        // Words of a total inside a longer text do not make a total.
        assert_eq!(
            classify_row(&w, &[(Seq, "1"), (Industry, "白酒"), (Enterprise, "甲酒业有限公司"), (Other, "合计投入资金500万元")]),
            RowKind::Enterprise
        );
        // An enterprise name alone is an enterprise with the rest missing, not a heading.
        assert_eq!(classify_row(&w, &[(Enterprise, "四川甲茶业有限公司")]), RowKind::Enterprise);
        // A long lone text in the 序号 column is a remark, not a heading.
        let long = "以上企业由市质量强市工作领导小组办公室会同有关部门共同研究确定并报市政府同意";
        assert_eq!(classify_row(&w, &[(Seq, long)]), RowKind::Enterprise);
        assert_eq!(count_phrase(&w, "3"), None, "a plain number may be a 序号");
        // A count as a goal ("5个") is not a total; "共5个" in the same place is.
        assert_eq!(classify_row(&w, &[(Enterprise, "甲公司"), (Other, "5个")]), RowKind::Enterprise);
        assert_eq!(classify_row(&w, &[(Seq, "合计"), (Other, "共5个")]), RowKind::Total { subtotal: false, count: Some(5) });
        assert_eq!(count_phrase(&w, "3家公司"), None);
    }

    #[test]
    fn organisation_names() {
        let w = words();
        assert!(looks_like_organisation(&w, "四川甲酒业有限公司"));
        assert!(looks_like_organisation(&w, "乙酒厂（普通合伙）"));
        assert!(looks_like_organisation(&w, "丙县茶叶专业合作社"));
        assert!(!looks_like_organisation(&w, "浓香型白酒"));
        assert!(!looks_like_organisation(&w, "茶叶"));
        assert!(!looks_like_organisation(&w, "公司"), "the suffix alone is no name");
    }

    #[test]
    fn several_names_in_one_cell() {
        let w = words();
        assert_eq!(joined_names(&w, "甲酒业有限公司、乙茶厂"), vec!["甲酒业有限公司", "乙茶厂"]);
        assert_eq!(joined_names(&w, "甲酒业有限公司\n乙食品有限公司"), vec!["甲酒业有限公司", "乙食品有限公司"]);
        assert!(joined_names(&w, "四川甲（成都）有限公司").is_empty());
        assert!(joined_names(&w, "白酒、茶叶").is_empty());
    }

    #[test]
    fn stated_status_in_narrative() {
        let s = RefData::embedded().unwrap().tasks.status_words.clone();
        assert_eq!(stated_status(&s, "该项工作已完成,验收合格。"), Some(Stated::Done));
        assert_eq!(stated_status(&s, "尚未全面完成,正在推进"), None);
        assert_eq!(stated_status(&s, "因机构改革尚未启动"), Some(Stated::NotStarted));
        assert_eq!(stated_status(&s, "正在推进"), None);
    }
}
