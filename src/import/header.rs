//! Finding a table's header in whatever layout the prefecture left it: header texts matched to the
//! columns by name, alias and meaning, the header rows (one or two, with merged group headings), and the
//! tables stacked in one sheet (last quarter's kept above this quarter's).

use std::collections::{BTreeMap, HashMap};

use aho_corasick::{AhoCorasick, AhoCorasickKind};

use crate::cell::CellRef;
use crate::read::{Grid, GridCell, Value};
use crate::refdata::ColumnSpec;
use crate::text::header_key;

/// How many rows from the top of a sheet are searched for a header.
pub(super) const HEADER_SEARCH_ROWS: usize = 40;

/// Matches header texts to columns by their name and aliases.
pub(super) struct Matcher {
    pub(super) exact: HashMap<String, usize>,
    /// (alias key, column) longest first, for headers with names inside them.
    pub(super) prefixes: Vec<(String, usize)>,
    /// Characters of the longest name or alias key.
    pub(super) longest: usize,
    /// The keys of at least [`QUALIFIED_MIN_KEY_CHARS`] characters, found inside a header in one pass;
    /// `contained_of` gives each one's place in `prefixes`.
    contained: Option<AhoCorasick>,
    contained_of: Vec<usize>,
}

/// Texts longer than this (in characters) are matched from their first ones when those already fold to
/// more than any name and any qualified header.
const LONG_TEXT_HEAD_CHARS: usize = 48;

/// Shortest name or alias (in characters) that a header may contain with qualifiers around it
/// ("提升措施及计划"): shorter ones ("企业", "产品") are parts of too many other headers.
pub(super) const QUALIFIED_MIN_KEY_CHARS: usize = 4;
/// Longest header (in characters) read as a name with qualifiers; longer texts are sentences, not headers.
pub(super) const QUALIFIED_MAX_CHARS: usize = 24;

/// How a header text matched a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum HeaderMatch {
    /// The name or an alias.
    Exact(usize),
    /// A name or alias with a bracketed remark ("提升企业名称(全称)") or other words around it
    /// ("提升措施及计划"): the column and the name it contains.
    Qualified(usize, String),
    /// Names of several columns in one header ("问题和短板及提升目标"): not guessed.
    Ambiguous(Vec<usize>),
}

impl Matcher {
    pub(super) fn new(cols: &[ColumnSpec]) -> Self {
        let mut exact = HashMap::new();
        let mut prefixes = Vec::new();
        for (i, c) in cols.iter().enumerate() {
            for a in std::iter::once(&c.name).chain(&c.aliases) {
                let k = header_key(a);
                exact.entry(k.clone()).or_insert(i);
                prefixes.push((k, i));
            }
        }
        prefixes.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        let longest = prefixes.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
        let contained_of: Vec<usize> = (0..prefixes.len()).filter(|&n| prefixes[n].0.chars().count() >= QUALIFIED_MIN_KEY_CHARS).collect();
        // A matcher is made for every sheet read: an NFA is built in microseconds, a DFA would cost more to
        // build than it saves on a sheet's cells.
        let contained = AhoCorasick::builder().kind(Some(AhoCorasickKind::ContiguousNFA)).build(contained_of.iter().map(|&n| &prefixes[n].0)).ok();
        Matcher { exact, prefixes, longest, contained, contained_of }
    }

    /// The places in `prefixes` of the keys of at least [`QUALIFIED_MIN_KEY_CHARS`] characters that `k`
    /// contains, in any order. (The automaton is built from a few short names; were it refused, the keys
    /// are searched one by one.)
    fn contained_in(&self, k: &str) -> Vec<usize> {
        match &self.contained {
            Some(ac) => ac.find_overlapping_iter(k).map(|m| self.contained_of[m.pattern().as_usize()]).collect(),
            None => self.contained_of.iter().copied().filter(|&n| k.contains(self.prefixes[n].0.as_str())).collect(),
        }
    }

    /// A name or alias followed by a bracketed remark ("提升企业名称(全称)"), from the header's key.
    ///
    /// The longest such name is the one ending at the last bracket that ends a name, so the key is cut at
    /// its brackets, last first, and each head looked up (`exact` keeps the first column given a key, as
    /// the longest-first list would find it), instead of every name being compared with the key.
    fn qualified(&self, k: &str) -> Option<HeaderMatch> {
        let (head, i) = k.rmatch_indices('(').find_map(|(pos, _)| self.exact.get_key_value(&k[..pos]))?;
        Some(HeaderMatch::Qualified(*i, head.clone()))
    }

    /// The column a header text stands for, when it stands for one.
    pub(super) fn find(&self, text: &str) -> Option<usize> {
        match self.matches(text)? {
            HeaderMatch::Exact(i) | HeaderMatch::Qualified(i, _) => Some(i),
            HeaderMatch::Ambiguous(_) => None,
        }
    }

    pub(super) fn matches(&self, text: &str) -> Option<HeaderMatch> {
        // Every cell of a sheet is tried as a header (tables stacked in one sheet have one each), and most
        // are long texts. A text folding to more characters than any name and than a qualified header can
        // only be a name followed by its bracketed remark: its first characters settle that.
        // (A text of no more bytes than that has no more characters: most cells are not scanned for it.)
        let head_end = if text.len() > LONG_TEXT_HEAD_CHARS { text.char_indices().nth(LONG_TEXT_HEAD_CHARS) } else { None };
        let k = match head_end {
            Some((end, _)) => {
                let k = header_key(&text[..end]);
                if k.chars().count() > self.longest.max(QUALIFIED_MAX_CHARS) + 1 {
                    return self.qualified(&k);
                }
                header_key(text)
            }
            None => header_key(text),
        };
        if k.is_empty() {
            return None;
        }
        if let Some(&i) = self.exact.get(&k) {
            return Some(HeaderMatch::Exact(i));
        }
        if let Some(q) = self.qualified(&k) {
            return Some(q);
        }
        // Sentences (a finding's message, a remark) are not headers.
        if k.chars().count() > QUALIFIED_MAX_CHARS || k.contains(['。', ',', '「', '」', ';', '!', '?']) {
            return None;
        }
        // Names contained in the header, longest first; a shorter one inside a longer one found already
        // ("进展情况" inside "进展情况及成效") adds nothing.
        let mut inside = self.contained_in(&k);
        if inside.is_empty() {
            return None;
        }
        inside.sort_unstable();
        inside.dedup();
        let mut found: Vec<(&str, usize)> = Vec::new();
        for (p, i) in inside.iter().map(|&n| &self.prefixes[n]) {
            if !found.iter().any(|(f, _)| f.contains(p.as_str())) {
                found.push((p, *i));
            }
        }
        let mut cols: Vec<usize> = found.iter().map(|(_, i)| *i).collect();
        cols.sort_unstable();
        cols.dedup();
        match (cols.len(), found.first()) {
            (0, _) | (_, None) => None,
            (1, Some((name, i))) => Some(HeaderMatch::Qualified(*i, (*name).to_string())),
            _ => Some(HeaderMatch::Ambiguous(cols)),
        }
    }
}

/// What a column of a table holds.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum ColRole {
    Field(usize),
    Prefecture,
    Extra(usize),
}

/// A header found in a sheet.
#[derive(Debug, Clone)]
pub(super) struct Header {
    pub(super) first_row: u32,
    pub(super) last_row: u32,
    /// Columns whose header matched a field, by column.
    pub(super) fields: BTreeMap<u32, usize>,
    pub(super) score: usize,
}

impl Header {
    /// The ledger fields the header names, each once, in column order of the reference data.
    pub(super) fn named_fields(&self) -> Vec<usize> {
        let mut named: Vec<usize> = self.fields.values().copied().collect();
        named.sort_unstable();
        named.dedup();
        named
    }
}

pub(super) fn cell_text(c: &GridCell) -> std::borrow::Cow<'_, str> {
    match &c.value {
        Value::Text(s) => std::borrow::Cow::Borrowed(s),
        v => std::borrow::Cow::Owned(v.to_text()),
    }
}

/// The columns whose header matched a field in row `r`.
pub(super) fn matches_of(grid: &Grid, m: &Matcher, r: u32) -> BTreeMap<u32, usize> {
    grid.row(r).iter().filter_map(|c| m.find(&cell_text(c)).map(|f| (c.pos.col, f))).collect()
}

pub(super) fn distinct_fields(fields: &BTreeMap<u32, usize>) -> usize {
    let mut v: Vec<usize> = fields.values().copied().collect();
    v.sort_unstable();
    v.dedup();
    v.len()
}

/// The header starting at row `r`, with the row below (`next`, when it is the very next row) when it adds
/// fields.
pub(super) fn header_at(grid: &Grid, m: &Matcher, r: u32, next: Option<u32>) -> Header {
    let single = matches_of(grid, m, r);
    let mut h = Header { first_row: r, last_row: r, score: distinct_fields(&single), fields: single };
    // A second header row counts only under a row that is itself part of the header (fields merged down
    // over both rows, a group header over some): not under a title or a 填报市州 line.
    if let Some(next) = next.filter(|n| *n == r + 1)
        && h.score > 0
    {
        let mut double = h.fields.clone();
        for (c, f) in matches_of(grid, m, next) {
            double.entry(c).or_insert(f);
        }
        let s = distinct_fields(&double);
        if s > h.score {
            h = Header { first_row: r, last_row: next, score: s, fields: double };
        }
    }
    h
}

/// Finds the best header row (or pair of rows, for a group header above) in the first rows of a sheet.
pub(super) fn detect_header(grid: &Grid, m: &Matcher) -> Option<Header> {
    let rows: Vec<u32> = grid.row_numbers().take(HEADER_SEARCH_ROWS).collect();
    let mut best: Option<Header> = None;
    for (i, &r) in rows.iter().enumerate() {
        let h = header_at(grid, m, r, rows.get(i + 1).copied());
        if h.score > best.as_ref().map_or(0, |b| b.score) {
            best = Some(h);
        }
    }
    best
}

/// Whether a sheet has a header that names the enterprise column (`enterprise`, the field's index).
pub(super) fn holds_ledger(grid: &Grid, m: &Matcher, enterprise: usize) -> bool {
    detect_header(grid, m).is_some_and(|h| h.fields.values().any(|f| *f == enterprise))
}

/// One table of a sheet: its header, where its title lines begin, and where the next table's title
/// begins (the end of this table's rows). A sheet may hold several: last quarter's table, a gap, then this
/// quarter's with its own title and header.
#[derive(Debug, Clone)]
pub(super) struct Block {
    pub(super) header: Header,
    pub(super) preamble_start: u32,
    pub(super) end: Option<u32>,
}

/// Most title lines read above a later table's header.
pub(super) const BLOCK_TITLE_ROWS: usize = 3;
/// Rows from one title line to the next (or to the header) that may lie between them: one more than the
/// blank rows people leave.
const BLOCK_TITLE_GAP: u32 = 3;

/// The tables of a sheet whose first header is `first`: every later row that reads as a header of the
/// same table (the enterprise column and at least as many fields, less two, as the first) starts another.
pub(super) fn stacked_blocks(grid: &Grid, m: &Matcher, first: Header, enterprise: Option<usize>) -> Vec<Block> {
    let rows: Vec<u32> = grid.row_numbers().collect();
    let min_score = first.score.saturating_sub(2).max(3);
    let mut blocks = vec![Block { preamble_start: 0, end: None, header: first }];
    let mut i = rows.iter().position(|r| *r > blocks[0].header.last_row).unwrap_or(rows.len());
    while i < rows.len() {
        let h = header_at(grid, m, rows[i], rows.get(i + 1).copied());
        if h.score < min_score || !enterprise.is_some_and(|e| h.fields.values().any(|f| *f == e)) {
            i += 1;
            continue;
        }
        // Its title: short lines right above it (a title, a 填报单位 line with the quarter beside it), a
        // blank row or two between them allowed; a line of three or more values is the table above.
        let mut start = h.first_row;
        let mut j = i;
        while j > 0
            && i - j < BLOCK_TITLE_ROWS
            && rows[j - 1] > blocks[blocks.len() - 1].header.last_row
            && rows[j - 1] + BLOCK_TITLE_GAP >= start
            && origin_texts(grid.row(rows[j - 1])).len() <= 2
        {
            j -= 1;
            start = rows[j];
        }
        let last = blocks.len() - 1;
        blocks[last].end = Some(start);
        let next = rows.iter().position(|r| *r > h.last_row).unwrap_or(rows.len());
        blocks.push(Block { preamble_start: start, end: None, header: h });
        i = next;
    }
    blocks
}

/// Cells of a row with merge copies removed (each value once, at its origin), as cleaned text.
pub(super) fn origin_texts(cells: &[GridCell]) -> Vec<(CellRef, String)> {
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for c in cells {
        if seen.contains(&c.origin) {
            continue;
        }
        seen.push(c.origin);
        let t = c.value.to_text();
        if !t.is_empty() {
            out.push((c.origin, t));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refdata::RefData;

    fn ledger_matcher() -> (Matcher, Vec<String>) {
        let r = RefData::embedded().unwrap();
        let keys = r.ledger.columns.iter().map(|c| c.key.clone()).collect();
        (Matcher::new(&r.ledger.columns), keys)
    }

    #[test]
    fn headers_by_name_alias_and_remark() {
        let (m, keys) = ledger_matcher();
        let key = |t: &str| m.find(t).map(|i| keys[i].as_str());
        assert_eq!(key("提升企业名称"), Some("enterprise"));
        assert_eq!(key("所属（产业）\n行业"), Some("industry"));
        assert_eq!(key("*主要产品"), Some("product"));
        assert_eq!(key("提升企业名称(全称)"), Some("enterprise"));
        assert_eq!(m.matches("提升企业名称"), Some(HeaderMatch::Exact(2)));
        assert_eq!(m.matches("提升企业名称(全称)"), Some(HeaderMatch::Qualified(2, "提升企业名称".into())));
        // A name with brackets of its own, then a remark: the whole name, not the shorter alias before them.
        let industry = header_key("所属(产业)行业");
        assert!(matches!(m.matches("所属（产业）行业（按国民经济行业分类填写）"), Some(HeaderMatch::Qualified(_, n)) if n == industry));
        assert_eq!(key("所属（产业）行业（按国民经济行业分类填写）"), Some("industry"));
        // A remark longer than any header, judged by its first characters.
        let long = format!("提升企业名称（全称，与营业执照一致{}）", "，不得使用简称或者品牌名称".repeat(4));
        assert!(long.chars().count() > LONG_TEXT_HEAD_CHARS);
        assert_eq!(key(&long), Some("enterprise"));
        // Brackets after no name are no remark.
        assert_eq!(key("联系人(手机)"), None);
    }

    #[test]
    fn headers_by_a_name_with_qualifiers() {
        let (m, keys) = ledger_matcher();
        let key = |t: &str| m.find(t).map(|i| keys[i].as_str());
        assert_eq!(key("提升措施及计划"), Some("measures"));
        assert_eq!(key("进展情况（截至9月底）"), Some("progress"));
        assert_eq!(key("本季度进展情况及成效"), Some("progress"));
        assert!(matches!(m.matches("提升措施及计划"), Some(HeaderMatch::Qualified(_, n)) if n == "提升措施"));
        // Short names inside other words are not read as the column.
        assert_eq!(key("企业联系人"), None);
        assert_eq!(key("产品质量标准号"), None);
        // Two columns' names in one header: not guessed.
        assert_eq!(key("问题和短板及提升目标"), None);
        assert!(matches!(m.matches("问题和短板及提升目标"), Some(HeaderMatch::Ambiguous(c)) if c.len() == 2));
        // A sentence is not a header.
        assert_eq!(key("本表由各市州质量监督部门填写提升措施应当具体可行并有时间节点"), None);
    }

    /// A grid of text cells, one row per slice, from row `first`.
    fn grid(first: u32, rows: &[&[&str]]) -> Grid {
        use crate::read::{Limits, Value};
        let mut cells = Vec::new();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
                cells.push((CellRef::new(first + r as u32, c as u32), Value::Text(v.to_string())));
            }
        }
        Grid::new(cells, Vec::new(), &Limits::default())
    }

    #[test]
    fn the_header_is_found_under_titles_and_over_the_data() {
        let (m, keys) = ledger_matcher();
        let g = grid(
            0,
            &[
                &["四川省重点消费品质量提升台账"],
                &["填报市州:成都市", "", "", "填报日期:2018-10-09"],
                &["序号", "所属（产业）行业", "提升企业名称", "主导产品"],
                &["1", "白酒", "四川甲酒业有限公司", "浓香型白酒"],
            ],
        );
        let h = detect_header(&g, &m).unwrap();
        assert_eq!((h.first_row, h.last_row), (2, 2));
        let named: Vec<&str> = h.named_fields().iter().map(|&f| keys[f].as_str()).collect();
        assert_eq!(named, ["seq", "industry", "enterprise", "product"]);
        // A sheet with no header at all has none.
        assert!(detect_header(&grid(0, &[&["会议纪要"], &["2018年10月"]]), &m).is_none());
    }

    #[test]
    fn a_table_kept_above_this_quarters_is_a_block_of_its_own() {
        let (m, _) = ledger_matcher();
        let header: &[&str] = &["序号", "所属（产业）行业", "提升企业名称", "主导产品"];
        let g = grid(
            0,
            &[
                &["2018年第二季度质量提升台账"],
                header,
                &["1", "白酒", "四川甲酒业有限公司", "浓香型白酒"],
                &[],
                &["2018年第三季度质量提升台账"],
                header,
                &["1", "茶叶", "四川乙茶业有限公司", "绿茶"],
            ],
        );
        let first = detect_header(&g, &m).unwrap();
        let enterprise = Some(RefData::embedded().unwrap().ledger.keys.enterprise);
        let blocks = stacked_blocks(&g, &m, first, enterprise);
        assert_eq!(blocks.len(), 2);
        assert_eq!((blocks[0].header.first_row, blocks[0].end), (1, Some(4)));
        assert_eq!((blocks[1].preamble_start, blocks[1].header.first_row, blocks[1].end), (4, 5, None));
    }
}
