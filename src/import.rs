//! From a workbook as read to a [`Submission`]: finding the ledger and the task progress in whatever layout
//! the prefecture left them, mapping columns by their headers, telling data rows from notes, and working
//! out which prefecture and period the file is for.
//!
//! The rule that shapes this module is conservation: every non-empty cell ends up in a field, in a kept
//! extra column, in the submission's labels and notes (recorded in [`Submission::layout`]), or in a
//! finding. Nothing is dropped silently and nothing is guessed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::cell::{CellRef, column_name};
use crate::classify::{RowKind, Slot, classify_row};
use crate::finding::{Code, Finding, Severity};
use crate::period::Period;
use crate::read::{Grid, GridCell, Sheet, Value, Visibility, Workbook};
use crate::refdata::{ColumnSpec, RefData};
use crate::submission::{LayoutCell, LedgerRow, Located, ProgressRow, Role, Submission, TemplateMeta};
use crate::template::TEMPLATE_ID;
use crate::text::{clean_text, fold_key, header_key, parse_date};

/// How many rows from the top of a sheet are searched for a header.
const HEADER_SEARCH_ROWS: usize = 40;

/// Matches header texts to columns by their name and aliases.
struct Matcher {
    exact: HashMap<String, usize>,
    /// (alias key, column) longest first, for headers with a bracketed remark after the alias.
    prefixes: Vec<(String, usize)>,
}

/// Shortest name or alias (in characters) that a header may contain with qualifiers around it
/// ("提升措施及计划"): shorter ones ("企业", "产品") are parts of too many other headers.
const QUALIFIED_MIN_KEY_CHARS: usize = 4;
/// Longest header (in characters) read as a name with qualifiers; longer texts are sentences, not headers.
const QUALIFIED_MAX_CHARS: usize = 24;

/// How a header text matched a column.
#[derive(Debug, Clone, PartialEq, Eq)]
enum HeaderMatch {
    /// The name or an alias.
    Exact(usize),
    /// A name or alias with a bracketed remark ("提升企业名称(全称)") or other words around it
    /// ("提升措施及计划"): the column and the name it contains.
    Qualified(usize, String),
    /// Names of several columns in one header ("问题和短板及提升目标"): not guessed.
    Ambiguous(Vec<usize>),
}

impl Matcher {
    fn new(cols: &[ColumnSpec]) -> Self {
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
        Matcher { exact, prefixes }
    }

    /// The column a header text stands for, when it stands for one.
    fn find(&self, text: &str) -> Option<usize> {
        match self.matches(text)? {
            HeaderMatch::Exact(i) | HeaderMatch::Qualified(i, _) => Some(i),
            HeaderMatch::Ambiguous(_) => None,
        }
    }

    fn matches(&self, text: &str) -> Option<HeaderMatch> {
        let k = header_key(text);
        if k.is_empty() {
            return None;
        }
        if let Some(&i) = self.exact.get(&k) {
            return Some(HeaderMatch::Exact(i));
        }
        if let Some((p, i)) = self.prefixes.iter().find(|(p, _)| k.len() > p.len() && k.starts_with(p.as_str()) && k[p.len()..].starts_with('(')) {
            return Some(HeaderMatch::Qualified(*i, p.clone()));
        }
        // Sentences (a finding's message, a remark) are not headers.
        if k.chars().count() > QUALIFIED_MAX_CHARS || k.contains(['。', ',', '「', '」', ';', '!', '?']) {
            return None;
        }
        // Names contained in the header, longest first; a shorter one inside a longer one found already
        // ("进展情况" inside "进展情况及成效") adds nothing.
        let mut found: Vec<(&str, usize)> = Vec::new();
        for (p, i) in &self.prefixes {
            if p.chars().count() >= QUALIFIED_MIN_KEY_CHARS && k.contains(p.as_str()) && !found.iter().any(|(f, _)| f.contains(p.as_str())) {
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
enum ColRole {
    Field(usize),
    Prefecture,
    Extra(usize),
}

/// A header found in a sheet.
#[derive(Debug, Clone)]
struct Header {
    first_row: u32,
    last_row: u32,
    /// Columns whose header matched a field, by column.
    fields: BTreeMap<u32, usize>,
    score: usize,
}

fn cell_text(c: &GridCell) -> String {
    match &c.value {
        Value::Text(s) => s.clone(),
        v => v.to_text(),
    }
}

/// The columns whose header matched a field in row `r`.
fn matches_of(grid: &Grid, m: &Matcher, r: u32) -> BTreeMap<u32, usize> {
    grid.row(r).iter().filter_map(|c| m.find(&cell_text(c)).map(|f| (c.pos.col, f))).collect()
}

fn distinct_fields(fields: &BTreeMap<u32, usize>) -> usize {
    let mut v: Vec<usize> = fields.values().copied().collect();
    v.sort_unstable();
    v.dedup();
    v.len()
}

/// The header starting at row `r`, with the row below (`next`, when it is the very next row) when it adds
/// fields.
fn header_at(grid: &Grid, m: &Matcher, r: u32, next: Option<u32>) -> Header {
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
fn detect_header(grid: &Grid, m: &Matcher) -> Option<Header> {
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

/// One table of a sheet: its header, where its title lines begin, and where the next table's title
/// begins (the end of this table's rows). A sheet may hold several: last quarter's table, a gap, then this
/// quarter's with its own title and header.
#[derive(Debug, Clone)]
struct Block {
    header: Header,
    preamble_start: u32,
    end: Option<u32>,
}

/// Most title lines read above a later table's header.
const BLOCK_TITLE_ROWS: usize = 3;

/// The tables of a sheet whose first header is `first`: every later row that reads as a header of the
/// same table (the enterprise column and at least as many fields, less two, as the first) starts another.
fn stacked_blocks(grid: &Grid, m: &Matcher, first: Header, enterprise: Option<usize>) -> Vec<Block> {
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
        // Its title: lone texts right above it, with no gap.
        let mut start = h.first_row;
        let mut j = i;
        while j > 0 && i - j < BLOCK_TITLE_ROWS && rows[j - 1] + 1 == start && origin_texts(grid.row(rows[j - 1])).len() == 1 {
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

/// The kinds of labelled values found around a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoteKind {
    Filler,
    Phone,
    Reviewer,
    Date,
    Remark,
    Prefecture,
}

/// A labelled value: the label's cell and the value with its cell.
#[derive(Debug, Clone)]
struct Note {
    kind: NoteKind,
    label_cell: CellRef,
    value: String,
    value_cell: CellRef,
}

struct Labels {
    /// (folded label, kind), longest first.
    labels: Vec<(String, NoteKind)>,
}

impl Labels {
    fn new(refdata: &RefData) -> Self {
        let n = &refdata.ledger.notes;
        let mut labels = Vec::new();
        for (list, kind) in [
            (&n.filler, NoteKind::Filler),
            (&n.phone, NoteKind::Phone),
            (&n.reviewer, NoteKind::Reviewer),
            (&n.date, NoteKind::Date),
            (&n.remark, NoteKind::Remark),
            (&n.prefecture, NoteKind::Prefecture),
        ] {
            for l in list {
                labels.push((fold_key(l), kind));
            }
        }
        labels.sort_by_key(|(l, _)| std::cmp::Reverse(l.chars().count()));
        Labels { labels }
    }

    /// If `token` opens with a label followed by a colon (or is a label alone), the kind and what follows.
    fn split<'a>(&self, token: &'a str) -> Option<(NoteKind, &'a str)> {
        // Every cell of a sheet comes through here: a first character that starts no label, and that
        // folding cannot change, settles it without folding the whole text.
        let first = token.chars().find(|c| !c.is_whitespace() && !crate::text::is_zero_width(*c))?;
        if (first.is_ascii() || crate::text::is_cjk_ideograph(first))
            && !self.labels.iter().any(|(l, _)| l.starts_with(first.to_ascii_lowercase()))
        {
            return None;
        }
        let k = fold_key(token);
        for (l, kind) in &self.labels {
            let Some(rest) = k.strip_prefix(l.as_str()) else { continue };
            if !(rest.is_empty() || rest.starts_with(':')) {
                continue;
            }
            // Find the same position in the original token: skip as many non-space chars as the label has.
            let mut seen = 0;
            let label_len = l.chars().count();
            let mut byte = token.len();
            for (b, ch) in token.char_indices() {
                if seen == label_len {
                    byte = b;
                    break;
                }
                if !ch.is_whitespace() {
                    seen += 1;
                }
            }
            let rest = token[byte..].trim_start().trim_start_matches([':', '：']).trim();
            return Some((*kind, rest));
        }
        None
    }

    /// True when a row's first cell opens a note line.
    fn opens_note(&self, text: &str) -> bool {
        let first = text.split_whitespace().next().unwrap_or("");
        self.split(text).is_some() || self.split(first).is_some()
    }
}

/// Splits the cells of a note line into labelled values. Text before the first label is returned apart.
fn parse_notes(labels: &Labels, cells: &[(CellRef, String)]) -> (Vec<Note>, Vec<(CellRef, String)>) {
    let mut notes: Vec<Note> = Vec::new();
    let mut loose: Vec<(CellRef, String)> = Vec::new();
    for (cell, text) in cells {
        // Tokens with the white space before them, so that a value keeps its spaces and line breaks.
        let mut tokens: Vec<(&str, &str)> = Vec::new();
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let token_start = rest.find(|c: char| !matches!(c, ' ' | '\n' | '\t')).unwrap_or(rest.len());
            let (sep, after) = rest.split_at(token_start);
            let token_end = after.find([' ', '\n', '\t']).unwrap_or(after.len());
            if token_end > 0 {
                tokens.push((sep, &after[..token_end]));
            }
            rest = &after[token_end..];
        }
        let mut first_in_cell = true;
        for (sep, token) in tokens {
            let sep = if first_in_cell { " " } else { sep };
            first_in_cell = false;
            if let Some((kind, rest)) = labels.split(token) {
                notes.push(Note { kind, label_cell: *cell, value: rest.to_string(), value_cell: *cell });
            } else if let Some(last) = notes.last_mut() {
                if last.value.is_empty() {
                    last.value_cell = *cell;
                } else {
                    last.value.push_str(sep);
                }
                last.value.push_str(token);
            } else {
                match loose.last_mut() {
                    Some((c, t)) if c == cell => {
                        t.push_str(sep);
                        t.push_str(token);
                    }
                    _ => loose.push((*cell, token.to_string())),
                }
            }
        }
    }
    (notes, loose)
}

/// Cells of a row with merge copies removed (each value once, at its origin), as cleaned text.
fn origin_texts(cells: &[GridCell]) -> Vec<(CellRef, String)> {
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

/// The working state of one import.
struct Importer<'a> {
    refdata: &'a RefData,
    labels: Labels,
    sub: Submission,
    /// Prefecture candidates: (where, canonical name).
    prefecture_sources: Vec<(String, String)>,
    titles: Vec<String>,
    /// The period being collected, when the caller knows it.
    wanted: Option<Period>,
    /// The period of the tables read, when a sheet held tables of several periods.
    block_period: Option<Period>,
    /// Where the file came from, besides its own content.
    from: (Option<String>, Option<String>),
}

/// Where a return came from, when it tells the prefecture: the prefecture of the address it was sent
/// from, or of the private upload link it came through.
#[derive(Debug, Clone, Copy, Default)]
pub struct Provenance<'a> {
    pub sender: Option<&'a str>,
    pub link: Option<&'a str>,
}

/// Reads the hidden sheet of one of taizhang's templates.
fn template_meta(refdata: &RefData, wb: &Workbook) -> Option<(TemplateMeta, String)> {
    let sheet = wb.sheets.iter().find(|s| s.name == refdata.template.sheets.meta)?;
    let mut kv = HashMap::new();
    for r in sheet.grid.row_numbers() {
        let row = sheet.grid.row(r);
        if let (Some(k), Some(v)) = (row.iter().find(|c| c.pos.col == 0), row.iter().find(|c| c.pos.col == 1)) {
            kv.insert(k.value.to_text(), v.value.to_text());
        }
    }
    if kv.get("template").map(String::as_str) != Some(TEMPLATE_ID) {
        return None;
    }
    let meta = TemplateMeta {
        version: kv.get("version").and_then(|v| v.parse().ok()).unwrap_or(0),
        prefecture_code: kv.get("prefecture_code").cloned().unwrap_or_default(),
        period: kv.get("period").and_then(|p| p.parse().ok()),
    };
    Some((meta, sheet.name.clone()))
}

/// Turns a workbook into a submission. `name` is the file as shown to people.
pub fn import_workbook(refdata: &RefData, wb: &Workbook, file: &Path, name: &str) -> Submission {
    import_workbook_for(refdata, wb, file, name, None)
}

/// [`import_workbook`] for a collection of `period`: where a sheet holds tables of several periods, that
/// period's tables are read (without it, the latest).
pub fn import_workbook_for(refdata: &RefData, wb: &Workbook, file: &Path, name: &str, period: Option<Period>) -> Submission {
    import_workbook_from(refdata, wb, file, name, period, Provenance::default())
}

/// [`import_workbook_for`] for a file that came by email or through an upload link. The sender is the
/// last source for the prefecture, so a return that names another one gets P02 like any disagreement;
/// the link is the first and decides, and a return that names another prefecture gets P08.
pub fn import_workbook_from(refdata: &RefData, wb: &Workbook, file: &Path, name: &str, period: Option<Period>, from: Provenance<'_>) -> Submission {
    let mut sub = Submission::new(file.to_path_buf(), name.to_string());
    sub.format = Some(wb.format);
    sub.readable = true;
    let mut imp = Importer {
        refdata,
        labels: Labels::new(refdata),
        sub,
        prefecture_sources: Vec::new(),
        titles: Vec::new(),
        wanted: period,
        block_period: None,
        from: (from.sender.map(str::to_string), from.link.map(str::to_string)),
    };
    imp.run(wb);
    crate::indicators::import(refdata, wb, &mut imp.sub);
    imp.sub
}

impl Importer<'_> {
    fn layout(&mut self, sheet: &str, cell: CellRef, role: Role) {
        self.sub.layout.push(LayoutCell { sheet: sheet.to_string(), cell, role });
    }

    fn finding(&self, code: Code, message: impl Into<String>) -> Finding {
        Finding::new(code, self.sub.name.clone(), message)
    }

    fn run(&mut self, wb: &Workbook) {
        let layout = &self.refdata.template.sheets;
        let meta = template_meta(self.refdata, wb);
        let ours = meta.is_some();
        if let Some((m, meta_sheet)) = &meta {
            self.sub.template = Some(m.clone());
            if let Some(p) = self.refdata.prefectures.lookup(&m.prefecture_code) {
                self.prefecture_sources.push(("模板".into(), p.name.clone()));
            }
            self.sub.period = m.period;
            let names = [meta_sheet.clone(), layout.lists.clone(), layout.instructions.clone(), layout.feedback.clone()];
            for s in wb.sheets.iter().filter(|s| names.contains(&s.name)) {
                for c in s.grid.cells() {
                    self.layout(&s.name, c.pos, Role::Reference);
                }
            }
        }
        let ledger_m = Matcher::new(&self.refdata.ledger.columns);
        let progress_m = Matcher::new(&self.refdata.tasks.columns);
        let col = |key: &str| self.refdata.ledger.column_index(key);
        let (enterprise, industry) = (col("enterprise"), col("industry"));
        let t = &self.refdata.tasks.columns;
        let tcol = |key: &str| t.iter().position(|c| c.key == key);
        let (status, narrative, no, content) = (tcol("status"), tcol("narrative"), tcol("no"), tcol("content"));

        // Score every readable visible sheet as a ledger and as a progress table. Every sheet with a ledger
        // header is read (a ledger split into one sheet per county); the best progress table is.
        let mut ledgers: Vec<(usize, Header)> = Vec::new();
        // Sheets whose header names some ledger columns but not enough to be read: (sheet, fields named).
        let mut near_ledgers: Vec<(usize, Vec<usize>)> = Vec::new();
        let mut progress: Option<(usize, Header)> = None;
        for (i, s) in wb.sheets.iter().enumerate() {
            if let Some(e) = &s.error {
                let code = match e {
                    crate::read::ReadError::TooLarge(_) => Code::TooLarge,
                    crate::read::ReadError::Encrypted => Code::Encrypted,
                    _ => Code::Unreadable,
                };
                let f = self.finding(code, format!("工作表「{}」无法读取:{e}", s.name)).sheet(&s.name);
                self.sub.push(f);
                continue;
            }
            if s.visibility != Visibility::Visible || s.grid.is_empty() {
                continue;
            }
            // The sheets taizhang itself adds to a template or a feedback workbook (the findings list names
            // the ledger's columns in every row) are never data.
            if ours && [&layout.meta, &layout.lists, &layout.instructions, &layout.feedback].contains(&&s.name) {
                continue;
            }
            if let Some(h) = detect_header(&s.grid, &ledger_m) {
                let has = |f: Option<usize>| f.is_some_and(|f| h.fields.values().any(|v| *v == f));
                if has(enterprise) && (has(industry) || h.score >= 3) {
                    ledgers.push((i, h));
                } else if h.score >= 2 {
                    let mut named: Vec<usize> = h.fields.values().copied().collect();
                    named.sort_unstable();
                    named.dedup();
                    near_ledgers.push((i, named));
                }
            }
            if let Some(h) = detect_header(&s.grid, &progress_m) {
                let has = |f: Option<usize>| f.is_some_and(|f| h.fields.values().any(|v| *v == f));
                if (has(status) || has(narrative))
                    && (has(no) || has(content))
                    && h.score >= 3
                    && h.score > progress.as_ref().map_or(0, |l| l.1.score)
                {
                    progress = Some((i, h));
                }
            }
        }
        // A further ledger sheet (one per county) has the header of the best one, give or take a column or
        // two; a sheet that merely names a few columns is not one.
        let best = ledgers.iter().map(|(_, h)| h.score).max().unwrap_or(0);
        for (i, h) in ledgers.iter().filter(|(_, h)| h.score + 2 < best) {
            let mut named: Vec<usize> = h.fields.values().copied().collect();
            named.sort_unstable();
            named.dedup();
            near_ledgers.push((*i, named));
        }
        ledgers.retain(|(_, h)| h.score + 2 >= best);
        if let Some(p) = &progress
            && ledgers.iter().any(|l| l.0 == p.0)
        {
            // One sheet cannot be both; the ledger wins, since it is what every return must have.
            progress = None;
        }

        for (i, h) in &ledgers {
            let sheet = &wb.sheets[*i];
            if self.sub.ledger_sheet.is_none() {
                self.sub.ledger_sheet = Some(sheet.name.clone());
            }
            let blocks = stacked_blocks(&sheet.grid, &ledger_m, h.clone(), enterprise);
            self.import_blocks(sheet, &blocks);
        }
        if ledgers.len() > 1 {
            let names = ledgers.iter().map(|(i, _)| wb.sheets[*i].name.as_str()).collect::<Vec<_>>().join("」「");
            let f = self.finding(
                Code::SeveralLedgerSheets,
                format!("台账分在{}个工作表中(「{names}」),已全部导入,每家企业的来源单元格注明了所在工作表。", ledgers.len()),
            );
            self.sub.push(f);
        }
        if ledgers.is_empty() {
            let f = self.finding(
                Code::NoLedger,
                "未找到质量提升台账:没有一个工作表的表头含有「提升企业名称」「所属(产业)行业」等列。请使用省局下发的模板填报,不要修改表头。",
            );
            self.sub.push(f);
        }
        if let Some((i, h)) = &progress {
            let sheet = &wb.sheets[*i];
            self.sub.progress_sheet = Some(sheet.name.clone());
            self.import_progress(sheet, h);
        } else if ours || !ledgers.is_empty() {
            let f = self.finding(
                Code::NoProgress,
                "未找到「附件1 任务进展」表(含「完成状态」「推进情况」列),本次未报送36项重点工作的进展。如已填写,请使用省局下发的模板。",
            );
            self.sub.push(f);
        }

        // Sheets that were neither, and hidden sheets with content.
        let used: Vec<usize> = ledgers.iter().chain(progress.iter()).map(|(i, _)| *i).collect();
        for (i, s) in wb.sheets.iter().enumerate() {
            if used.contains(&i) || s.grid.is_empty() || s.error.is_some() {
                continue;
            }
            if ours && [&layout.meta, &layout.lists, &layout.instructions, &layout.feedback].contains(&&s.name) {
                continue;
            }
            let near = near_ledgers.iter().find(|(n, _)| *n == i);
            let f = if let Some((_, named)) = near.filter(|_| s.visibility == Visibility::Visible) {
                let names = named.iter().map(|&f| self.refdata.ledger.columns[f].name.as_str()).collect::<Vec<_>>().join("」「");
                self.finding(
                    Code::SheetIgnored,
                    format!("工作表「{}」的表头有「{names}」等台账列,但缺少「提升企业名称」或「所属(产业)行业」列,未能作为台账导入。如其中是台账数据,请按模板补齐表头后重新报送。", s.name),
                )
                .severity(Severity::Warning)
            } else if s.visibility == Visibility::Visible {
                self.finding(
                    Code::SheetIgnored,
                    format!("工作表「{}」不是台账或任务进展表,其内容未导入汇总。如其中有需要汇总的数据,请填入模板相应工作表。", s.name),
                )
            } else {
                self.finding(
                    Code::HiddenSheet,
                    format!("工作表「{}」已被隐藏,未读取。如其中有台账数据,请取消隐藏后重新报送。", s.name),
                )
            };
            let f = f.sheet(&s.name);
            self.sub.push(f);
        }

        self.resolve_prefecture(wb);
        self.resolve_period();
        if let Some(d) = &self.sub.filled_date {
            self.sub.filled_on = parse_date(&d.text);
            if self.sub.filled_on.is_none() {
                let f = self
                    .finding(Code::BadDate, "「填报日期」无法识别为日期,请写成 2018-10-09 的形式。")
                    .sheet(&d.sheet)
                    .cell(d.cell)
                    .field("填报日期")
                    .value(&d.text);
                self.sub.push(f);
            }
        }
        // Stamp every finding with the prefecture, now that it is known.
        let p = self.sub.prefecture.clone();
        for f in &mut self.sub.findings {
            if f.prefecture.is_none() {
                f.prefecture.clone_from(&p);
            }
        }
    }

    /// Imports the tables of a ledger sheet. When they are for different periods (last quarter's table
    /// kept above this quarter's), only the tables of the period being collected are read — the one asked
    /// for, else the latest — and each other table is reported whole.
    fn import_blocks(&mut self, sheet: &Sheet, blocks: &[Block]) {
        // A table's period: the one its title names, else the one of the table above.
        let mut periods: Vec<Option<Period>> = Vec::new();
        for b in blocks {
            let titles: Vec<String> = sheet
                .grid
                .row_numbers()
                .skip_while(|r| *r < b.preamble_start)
                .take_while(|r| *r < b.header.first_row)
                .flat_map(|r| origin_texts(sheet.grid.row(r)).into_iter().map(|(_, t)| t))
                .collect();
            let own = titles.iter().find_map(|t| Period::find_in(t));
            periods.push(own.or(periods.last().copied().flatten()));
        }
        let mut known: Vec<Period> = periods.iter().flatten().copied().collect();
        known.sort_unstable();
        known.dedup();
        if known.len() < 2 {
            for b in blocks {
                self.import_ledger(sheet, b);
            }
            return;
        }
        let wanted = self.wanted.filter(|w| known.contains(w)).or(known.last().copied());
        self.block_period = wanted;
        for (b, p) in blocks.iter().zip(&periods) {
            if *p == wanted || p.is_none() {
                self.import_ledger(sheet, b);
            } else {
                self.other_period_block(sheet, b, p.map(|p| p.label()).unwrap_or_default());
            }
        }
    }

    /// A table of another period than the one collected: every cell accounted for, one warning for all.
    fn other_period_block(&mut self, sheet: &Sheet, b: &Block, period: String) {
        let rows: Vec<u32> = sheet.grid.row_numbers().filter(|r| *r >= b.preamble_start && b.end.is_none_or(|e| *r < e)).collect();
        for &r in &rows {
            for c in sheet.grid.row(r) {
                self.layout(&sheet.name, c.pos, Role::OtherPeriod);
            }
        }
        let (first, last) = (rows.first().copied().unwrap_or(b.header.first_row), rows.last().copied().unwrap_or(b.header.last_row));
        let wanted = self.block_period.map(|p| p.label()).unwrap_or_default();
        let f = self
            .finding(
                Code::OtherPeriodBlock,
                format!(
                    "工作表「{}」第{}至{}行是{period}的台账,不是本期({wanted})的,未导入汇总。本期台账已从同一工作表的其他表格读取;如无需报送,请删除这部分内容。",
                    sheet.name,
                    first + 1,
                    last + 1
                ),
            )
            .sheet(&sheet.name)
            .cell(CellRef::new(b.header.first_row, b.header.fields.keys().next().copied().unwrap_or(0)));
        self.sub.push(f);
    }

    /// Handles the rows above a header: titles and labelled values (填报市州:, 填报日期: …).
    fn import_preamble(&mut self, sheet: &Sheet, from: u32, first_header_row: u32) {
        for r in sheet.grid.row_numbers().skip_while(|r| *r < from).take_while(|r| *r < first_header_row) {
            let cells = origin_texts(sheet.grid.row(r));
            let (notes, loose) = parse_notes(&self.labels, &cells);
            for c in sheet.grid.row(r) {
                let role = if notes.iter().any(|n| n.label_cell == c.origin || n.value_cell == c.origin) { Role::Label } else { Role::Title };
                self.layout(&sheet.name, c.pos, role);
            }
            for (_, t) in loose {
                self.titles.push(t);
            }
            for n in notes {
                self.apply_note(&sheet.name, n);
            }
        }
    }

    /// Records a labelled value on the submission. Remarks also become a finding, so that they are read.
    fn apply_note(&mut self, sheet: &str, n: Note) {
        if n.value.is_empty() {
            return;
        }
        let loc = Located { text: clean_text(&n.value), sheet: sheet.to_string(), cell: n.value_cell };
        let slot = match n.kind {
            NoteKind::Filler => &mut self.sub.filler,
            NoteKind::Phone => &mut self.sub.phone,
            NoteKind::Reviewer => &mut self.sub.reviewer,
            NoteKind::Date => &mut self.sub.filled_date,
            NoteKind::Prefecture => {
                match self.refdata.prefectures.lookup(&loc.text).or_else(|| self.refdata.prefectures.find_in(&loc.text)) {
                    Some(p) => self.prefecture_sources.push(("填报市州栏".into(), p.name.clone())),
                    None => {
                        let f = self
                            .finding(Code::PrefectureConflict, format!("「填报市州」填写的「{}」不是四川省的市州名称,请填写如「成都市」「阿坝州」。", loc.text))
                            .severity(Severity::Warning)
                            .sheet(sheet)
                            .cell(loc.cell)
                            .field("填报市州")
                            .value(&loc.text);
                        self.sub.push(f);
                    }
                }
                return;
            }
            NoteKind::Remark => {
                let f = self
                    .finding(Code::Note, format!("表格备注:{}", loc.text))
                    .sheet(sheet)
                    .cell(loc.cell)
                    .value(&loc.text);
                self.sub.push(f);
                self.sub.remarks.push(loc);
                return;
            }
        };
        if slot.is_none() {
            *slot = Some(loc);
        } else {
            // A second value for the same label: keep the first, and report the second so it is not lost.
            let f = self
                .finding(Code::Note, format!("同一项重复填写,已采用先出现的值,此处为:{}", loc.text))
                .sheet(sheet)
                .cell(loc.cell)
                .value(&loc.text);
            self.sub.push(f);
        }
    }

    /// Handles a note line below (or inside) a table.
    fn import_note_row(&mut self, sheet: &Sheet, cells: &[GridCell]) {
        let texts = origin_texts(cells);
        let (notes, loose) = parse_notes(&self.labels, &texts);
        for c in cells {
            self.layout(&sheet.name, c.pos, Role::Note);
        }
        for (cell, t) in loose {
            self.remark(&sheet.name, cell, t);
        }
        for n in notes {
            self.apply_note(&sheet.name, n);
        }
    }

    fn remark(&mut self, sheet: &str, cell: CellRef, text: String) {
        let loc = Located { text: clean_text(&text), sheet: sheet.to_string(), cell };
        let f = self.finding(Code::Note, format!("表格备注:{}", loc.text)).sheet(sheet).cell(cell).value(&loc.text);
        self.sub.push(f);
        self.sub.remarks.push(loc);
    }

    /// Maps the header's columns: recognised fields, the 填报市州 column, group headers and extra columns.
    fn map_columns(
        &mut self,
        sheet: &Sheet,
        h: &Header,
        specs: &[ColumnSpec],
        extras: &mut Vec<String>,
        with_prefecture: bool,
    ) -> BTreeMap<u32, ColRole> {
        let pref_keys: Vec<String> = self.refdata.ledger.prefecture_headers.iter().map(|s| header_key(s)).collect();
        let group_keys: Vec<String> = self.refdata.ledger.group_headers.iter().map(|s| header_key(s)).collect();
        let mut roles = BTreeMap::new();
        let mut taken: Vec<usize> = Vec::new();
        let matcher = Matcher::new(specs);
        // Header texts per column, top row first.
        let mut texts: BTreeMap<u32, Vec<(CellRef, String, bool)>> = BTreeMap::new();
        for r in h.first_row..=h.last_row {
            for c in sheet.grid.row(r) {
                self.layout(&sheet.name, c.pos, Role::Header);
                texts.entry(c.pos.col).or_default().push((c.origin, c.value.to_text(), c.is_merge_copy()));
            }
        }
        for (&col, cells) in &texts {
            if let Some(&f) = h.fields.get(&col) {
                if !taken.contains(&f) {
                    taken.push(f);
                    roles.insert(col, ColRole::Field(f));
                    // A header read by a name inside it: say which column it was taken for.
                    let qualified = cells.iter().filter(|(_, _, copy)| !copy).find_map(|(cell, text, _)| match matcher.matches(text) {
                        Some(HeaderMatch::Qualified(g, name)) if g == f => Some((*cell, text.clone(), name)),
                        _ => None,
                    });
                    if let Some((cell, text, _)) = qualified {
                        let shown = clean_text(&text).replace('\n', "");
                        let hint = self
                            .finding(
                                Code::HeaderByMeaning,
                                format!("表头「{shown}」不是模板中的列名,已按其含义作为「{}」列导入。如不是该列,请改用模板中的列名。", specs[f].name),
                            )
                            .sheet(&sheet.name)
                            .cell(cell)
                            .field(&specs[f].name)
                            .value(&text);
                        self.sub.push(hint);
                    }
                    continue;
                }
                let (cell, text, _) = &cells[cells.len() - 1];
                let f2 = self
                    .finding(
                        Code::DuplicateColumn,
                        format!("「{}」列重复出现,已按第一列导入,本列作为附加列保留。请删除多余的一列。", specs[f].name),
                    )
                    .sheet(&sheet.name)
                    .cell(*cell)
                    .field(&specs[f].name)
                    .value(text);
                self.sub.push(f2);
            }
            let lowest = cells.iter().rev().find(|(_, t, _)| !t.is_empty());
            let Some((cell, text, _)) = lowest else { continue };
            let key = header_key(text);
            if with_prefecture && pref_keys.contains(&key) {
                roles.insert(col, ColRole::Prefecture);
                continue;
            }
            // A group header (提升情况 over three columns) with nothing of its own below it carries no data.
            if h.first_row != h.last_row && group_keys.contains(&key) && cells.len() == 1 {
                continue;
            }
            let name = clean_text(text).replace('\n', "");
            extras.push(name.clone());
            roles.insert(col, ColRole::Extra(extras.len() - 1));
            let f = match matcher.matches(text) {
                Some(HeaderMatch::Ambiguous(cols)) => {
                    let names = cols.iter().map(|&i| specs[i].name.as_str()).collect::<Vec<_>>().join("」「");
                    self.finding(
                        Code::AmbiguousHeader,
                        format!("表头「{name}」同时含有「{names}」的列名,无法确定是哪一列,已作为附加列保留。请改用模板中的列名,每列只写一项。"),
                    )
                    .value(text)
                }
                _ => self.finding(Code::ExtraColumn, format!("「{name}」不是模板中的列,已作为附加列保留在汇总表中。")),
            };
            let f = f.sheet(&sheet.name).cell(*cell).field(&name);
            self.sub.push(f);
        }
        roles
    }

    /// A column with values but no header: kept as an extra column, reported once.
    fn headerless_column(&mut self, sheet: &Sheet, c: &GridCell, extras: &mut Vec<String>, roles: &mut BTreeMap<u32, ColRole>) -> ColRole {
        let name = format!("(无表头){}列", column_name(c.pos.col));
        extras.push(name.clone());
        let role = ColRole::Extra(extras.len() - 1);
        roles.insert(c.pos.col, role.clone());
        let f = self
            .finding(
                Code::ValueWithoutHeader,
                format!("{}列有内容但没有表头,已作为附加列「{name}」保留。请补上表头,或把内容移到相应的列。", column_name(c.pos.col)),
            )
            .sheet(&sheet.name)
            .cell(c.origin)
            .value(c.value.to_text());
        self.sub.push(f);
        role
    }

    fn import_ledger(&mut self, sheet: &Sheet, block: &Block) {
        let h = &block.header;
        self.import_preamble(sheet, block.preamble_start, h.first_row);
        let specs = self.refdata.ledger.columns.clone();
        let mut extras = std::mem::take(&mut self.sub.extra_columns);
        let mut roles = self.map_columns(sheet, h, &specs, &mut extras, true);
        for (i, spec) in specs.iter().enumerate() {
            if spec.required && !roles.values().any(|r| *r == ColRole::Field(i)) {
                let f = self
                    .finding(Code::MissingColumn, format!("台账缺少「{}」列,请按模板补齐该列后重新报送。", spec.name))
                    .sheet(&sheet.name)
                    .field(&spec.name);
                self.sub.push(f);
            }
        }
        let columns: Vec<Option<u32>> = (0..specs.len())
            .map(|i| roles.iter().find(|(_, r)| **r == ColRole::Field(i)).map(|(c, _)| *c))
            .collect();
        if self.sub.ledger_columns.is_empty() {
            self.sub.ledger_columns.clone_from(&columns);
        }
        self.sub.sheet_columns.push((sheet.name.clone(), columns));
        let seq = self.refdata.ledger.column_index("seq");
        let enterprise = self.refdata.ledger.column_index("enterprise");
        let industry = self.refdata.ledger.column_index("industry");
        // Where this table's rows, and the current section's (after a heading or a sub-total), begin in
        // `sub.rows`, to check the counts of totals against.
        let table_start = self.sub.rows.len();
        // Enterprises written over several rows (index into `sub.rows` → first and last row).
        let mut joined: BTreeMap<usize, (u32, u32)> = BTreeMap::new();
        let mut section_start = table_start;
        let mut in_footer = false;
        // Whether the last row with content was a note line.
        let mut after_note = false;
        let rows: Vec<u32> = sheet.grid.row_numbers().filter(|r| *r > h.last_row && block.end.is_none_or(|e| *r < e)).collect();
        for r in rows {
            let cells = sheet.grid.row(r);
            let first = cells.iter().find(|c| !c.is_merge_copy() || c.origin.row == r);
            let Some(first) = first else { continue };
            let first_text = first.value.to_text();
            if self.labels.opens_note(&first_text) && !first.value.is_error() {
                in_footer = true;
                after_note = true;
                self.import_note_row(sheet, cells);
                continue;
            }
            // Build the row.
            let mut row = LedgerRow {
                sheet: sheet.name.clone(),
                row: r,
                fields: vec![None; specs.len()],
                extras: Vec::new(),
                prefecture: None,
                duplicate_of: None,
            };
            let mut own = 0usize; // values written in this row (not copies of a merge from above)
            let mut only_seq = true;
            let mut errors = Vec::new();
            // Each value written in this row once (a merge across columns counts once), for classifying it.
            let mut own_cells: Vec<(CellRef, Slot, String)> = Vec::new();
            for c in cells {
                let role = match roles.get(&c.pos.col) {
                    Some(role) => role.clone(),
                    None if !c.is_merge_copy() => self.headerless_column(sheet, c, &mut extras, &mut roles),
                    None => continue,
                };
                let text = c.value.to_text();
                if text.is_empty() {
                    continue;
                }
                let loc = Located { text, sheet: sheet.name.clone(), cell: c.origin };
                let from_above = c.is_merge_copy() && c.origin.row < r;
                if !from_above {
                    own += 1;
                    if !matches!(role, ColRole::Field(f) if Some(f) == seq) {
                        only_seq = false;
                    }
                    if !own_cells.iter().any(|(o, _, _)| *o == c.origin) {
                        let slot = match role {
                            ColRole::Field(f) if Some(f) == seq => Slot::Seq,
                            ColRole::Field(f) if Some(f) == industry => Slot::Industry,
                            ColRole::Field(f) if Some(f) == enterprise => Slot::Enterprise,
                            _ => Slot::Other,
                        };
                        own_cells.push((c.origin, slot, loc.text.clone()));
                    }
                }
                if c.value.is_error() && !c.is_merge_copy() {
                    errors.push((c.origin, loc.text.clone(), role.clone()));
                }
                match role {
                    ColRole::Field(f) => {
                        if row.fields[f].is_none() {
                            row.fields[f] = Some(loc);
                        }
                    }
                    ColRole::Prefecture => row.prefecture = Some(loc),
                    ColRole::Extra(e) => {
                        if row.extras.len() <= e {
                            row.extras.resize(e + 1, None);
                        }
                        if row.extras[e].is_none() {
                            row.extras[e] = Some(loc);
                        }
                    }
                }
            }
            if own == 0 {
                // Only values merged down from the rows above: not a row of its own.
                continue;
            }
            // The enterprise's name merged down from the row above: this row holds more lines of the
            // same enterprise, not another one.
            let ent_cell = enterprise.and_then(|e| row.fields[e].as_ref()).filter(|l| l.cell.row < r).map(|l| l.cell);
            if let Some(ent_cell) = ent_cell
                && let Some(idx) = self.sub.rows.len().checked_sub(1).filter(|&i| {
                    let prev = &self.sub.rows[i];
                    prev.sheet == sheet.name && enterprise.and_then(|e| prev.fields[e].as_ref()).is_some_and(|l| l.cell == ent_cell)
                })
            {
                self.formula_errors(sheet, errors, &specs, &extras);
                self.continue_enterprise(sheet, idx, row, cells);
                joined.entry(idx).or_insert((ent_cell.row, r)).1 = r;
                continue;
            }
            if only_seq
                && let Some(l) = seq.and_then(|s| row.fields[s].as_ref())
                && l.text.parse::<f64>().is_ok()
            {
                // A numbered empty row of the template.
                self.layout(&sheet.name, l.cell, Role::Reference);
                continue;
            }
            // Under a note line, lone texts are the note's next lines (handled below); elsewhere a row is
            // classified from all its cells.
            let kind = if in_footer && own_cells.len() == 1 {
                RowKind::Enterprise
            } else {
                let texts: Vec<(Slot, &str)> = own_cells.iter().map(|(_, s, t)| (*s, t.as_str())).collect();
                classify_row(&self.refdata.ledger.rows, &texts)
            };
            if kind != RowKind::Enterprise {
                self.non_enterprise_row(sheet, cells, kind, &own_cells, (table_start, &mut section_start));
                continue;
            }
            if only_seq && let Some(l) = seq.and_then(|s| row.fields[s].clone()) {
                // A long text in the 序号 column alone: a line of remarks.
                self.layout(&sheet.name, CellRef::new(r, l.cell.col), Role::Note);
                self.remark(&sheet.name, l.cell, l.text);
                continue;
            }
            // Under a note line, a row is data when it names an enterprise or fills two columns; a lone
            // text right under a note is the note's next line.
            let own_field = |f: usize| row.fields[f].as_ref().is_some_and(|l| l.cell.row == r);
            let own_fields = (0..row.fields.len()).filter(|&f| own_field(f)).count();
            let data_like = (enterprise.is_some_and(own_field) && !(after_note && own == 1)) || own_fields >= 2;
            if in_footer && !data_like {
                // Continuation lines of a remark under the table.
                self.import_note_row(sheet, cells);
                continue;
            }
            self.formula_errors(sheet, errors, &specs, &extras);
            after_note = false;
            self.sub.rows.push(row);
        }
        for (idx, (first, last)) in joined {
            let Some(l) = enterprise.and_then(|e| self.sub.rows[idx].fields[e].clone()) else { continue };
            let f = self
                .finding(
                    Code::EnterpriseOverRows,
                    format!("企业「{}」的名称合并了第{}至{}行,这几行是同一家企业,各列内容已按行的顺序换行合并为一行。", l.text, first + 1, last + 1),
                )
                .sheet(&sheet.name)
                .cell(l.cell)
                .field(&specs[enterprise.unwrap_or(0)].name)
                .value(&l.text);
            self.sub.push(f);
        }
        if self.sub.rows.len() == table_start {
            let f = self
                .finding(Code::EmptyLedger, "台账表头下没有填写任何企业。请逐家填写提升企业后重新报送。")
                .sheet(&sheet.name)
                .cell(CellRef::new(h.last_row + 1, 0));
            self.sub.push(f);
        }
        for row in &mut self.sub.rows {
            row.extras.resize(extras.len(), None);
        }
        self.sub.extra_columns = extras;
        // A 填报市州 column is a source for the prefecture.
        let mut named: Vec<String> = Vec::new();
        for row in &self.sub.rows {
            if let Some(l) = &row.prefecture {
                let p = self.refdata.prefectures.lookup(&l.text).or_else(|| self.refdata.prefectures.find_in(&l.text));
                match p {
                    Some(p) if !named.contains(&p.name) => named.push(p.name.clone()),
                    Some(_) => {}
                    None => {
                        let f = self
                            .finding(Code::PrefectureConflict, format!("「填报市州」列的「{}」不是四川省的市州名称。", l.text))
                            .sheet(&l.sheet)
                            .cell(l.cell)
                            .field("填报市州")
                            .value(&l.text);
                        self.sub.findings.push(f);
                    }
                }
            }
        }
        for n in named {
            self.prefecture_sources.push(("填报市州列".into(), n));
        }
    }

    /// Reports the formula error values (#N/A …) of a ledger row, each on its cell.
    fn formula_errors(&mut self, sheet: &Sheet, errors: Vec<(CellRef, String, ColRole)>, specs: &[ColumnSpec], extras: &[String]) {
        for (cell, text, role) in errors {
            let field = match role {
                ColRole::Field(f) => specs[f].name.clone(),
                ColRole::Prefecture => "填报市州".into(),
                ColRole::Extra(e) => extras[e].clone(),
            };
            let f = self
                .finding(Code::FormulaError, format!("单元格为公式错误值 {text},请检查公式或直接填写内容。"))
                .sheet(&sheet.name)
                .cell(cell)
                .field(field)
                .value(text);
            self.sub.push(f);
        }
    }

    /// Adds the values a row holds of its own to the enterprise above it (row `idx`), one line each, in
    /// the order of the rows; the cells are accounted for as part of that enterprise.
    fn continue_enterprise(&mut self, sheet: &Sheet, idx: usize, row: LedgerRow, cells: &[GridCell]) {
        let r = row.row;
        let append = |slot: &mut Option<Located>, add: Located| match slot {
            Some(l) => {
                l.text.push('\n');
                l.text.push_str(&add.text);
            }
            None => *slot = Some(add),
        };
        let prev = &mut self.sub.rows[idx];
        for (i, f) in row.fields.into_iter().enumerate() {
            if let Some(l) = f.filter(|l| l.cell.row == r) {
                append(&mut prev.fields[i], l);
            }
        }
        if prev.extras.len() < row.extras.len() {
            prev.extras.resize(row.extras.len(), None);
        }
        for (i, e) in row.extras.into_iter().enumerate() {
            if let Some(l) = e.filter(|l| l.cell.row == r) {
                append(&mut prev.extras[i], l);
            }
        }
        for c in cells.iter().filter(|c| c.origin.row == r) {
            self.layout(&sheet.name, c.pos, Role::Continuation);
        }
    }

    /// A heading or a total inside the ledger: not an enterprise, so not a ledger row. Every cell of it is
    /// accounted for, the row is reported as a hint, and a count that disagrees with the rows it totals is
    /// a warning.
    fn non_enterprise_row(
        &mut self,
        sheet: &Sheet,
        cells: &[GridCell],
        kind: RowKind,
        own_cells: &[(CellRef, Slot, String)],
        (table_start, section_start): (usize, &mut usize),
    ) {
        let role = if kind == RowKind::Heading { Role::Heading } else { Role::Total };
        for c in cells {
            self.layout(&sheet.name, c.pos, role);
        }
        let Some((first, _, _)) = own_cells.first() else { return };
        let shown = own_cells.iter().map(|(_, _, t)| t.as_str()).collect::<Vec<_>>().join(" | ");
        let line = first.row + 1;
        let what = match kind {
            RowKind::Heading => "分类标题行",
            RowKind::Total { subtotal: true, .. } => "小计行",
            _ => "合计行",
        };
        let f = self
            .finding(Code::NotEnterpriseRow, format!("第{line}行是{what}(「{shown}」),不是企业,未作为企业导入汇总。"))
            .sheet(&sheet.name)
            .cell(*first)
            .value(&shown);
        self.sub.push(f);
        if let RowKind::Total { subtotal, count } = kind {
            let from = if subtotal { *section_start } else { table_start };
            let counted = self.sub.rows.len() - from;
            if let Some(n) = count
                && n as usize != counted
            {
                let scope = if subtotal { "本小节" } else { "表中" };
                let f = self
                    .finding(
                        Code::TotalMismatch,
                        format!("第{line}行{what}写明共{n}家企业,但{scope}实际填报了{counted}家。请核对企业是否漏填或多填,并更正{what}。"),
                    )
                    .sheet(&sheet.name)
                    .cell(*first)
                    .value(&shown);
                self.sub.push(f);
            }
        }
        *section_start = self.sub.rows.len();
    }

    fn import_progress(&mut self, sheet: &Sheet, h: &Header) {
        self.import_preamble(sheet, 0, h.first_row);
        let specs = self.refdata.tasks.columns.clone();
        let mut extras = Vec::new();
        let mut roles = self.map_columns(sheet, h, &specs, &mut extras, false);
        let key_of = |i: usize| specs[i].key.as_str();
        let tasks = &self.refdata.tasks;
        let content_keys: Vec<(String, u32)> = tasks.tasks.iter().map(|t| (fold_key(&t.content), t.no)).collect();
        let mut seen: Vec<u32> = Vec::new();
        let mut any_reported = false;
        let rows: Vec<u32> = sheet.grid.row_numbers().filter(|r| *r > h.last_row).collect();
        for r in rows {
            let cells = sheet.grid.row(r);
            let Some(first) = cells.iter().find(|c| !c.is_merge_copy() || c.origin.row == r) else { continue };
            if self.labels.opens_note(&first.value.to_text()) {
                self.import_note_row(sheet, cells);
                continue;
            }
            let mut fields: HashMap<&str, Located> = HashMap::new();
            let mut row_extras: Vec<Option<Located>> = Vec::new();
            let mut reference = Vec::new();
            for c in cells {
                let role = match roles.get(&c.pos.col) {
                    Some(role) => role.clone(),
                    None if !c.is_merge_copy() => self.headerless_column(sheet, c, &mut extras, &mut roles),
                    None => {
                        reference.push(c.pos);
                        continue;
                    }
                };
                let text = c.value.to_text();
                let loc = Located { text, sheet: sheet.name.clone(), cell: c.origin };
                match role {
                    ColRole::Field(f) => {
                        let k = key_of(f);
                        if matches!(k, "status" | "narrative" | "value") && !(c.is_merge_copy() && c.origin.row < r) {
                            if c.value.is_error() {
                                let f = self
                                    .finding(Code::FormulaError, format!("单元格为公式错误值 {},请检查公式或直接填写内容。", loc.text))
                                    .sheet(&sheet.name)
                                    .cell(c.origin)
                                    .field(&specs[f].name)
                                    .value(&loc.text);
                                self.sub.push(f);
                            }
                            fields.entry(k).or_insert(loc);
                        } else {
                            reference.push(c.pos);
                            fields.entry(k).or_insert(loc);
                        }
                    }
                    ColRole::Extra(e) => {
                        if row_extras.len() <= e {
                            row_extras.resize(e + 1, None);
                        }
                        row_extras[e] = Some(loc);
                    }
                    ColRole::Prefecture => reference.push(c.pos),
                }
            }
            let reported = ["status", "narrative", "value"].iter().any(|k| fields.get(k).is_some_and(|l| l.cell.row == r));
            let has_extras = row_extras.iter().any(Option::is_some);
            // Which task is it: by number, else by its text.
            let by_no = fields.get("no").and_then(|l| l.text.parse::<f64>().ok()).filter(|n| n.fract() == 0.0).map(|n| n as u32);
            let task = by_no.filter(|n| tasks.get(*n).is_some()).or_else(|| {
                let k = fields.get("content").map(|l| fold_key(&l.text))?;
                let k = k.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '、').to_string();
                content_keys
                    .iter()
                    .find(|(ck, _)| *ck == k || (k.chars().count() >= 12 && ck.starts_with(&k.chars().take(12).collect::<String>())))
                    .map(|(_, n)| *n)
            });
            for p in reference {
                self.layout(&sheet.name, p, Role::Reference);
            }
            if !reported && !has_extras {
                continue;
            }
            any_reported = true;
            // What the row reports, for a finding about a row that cannot be used.
            let shown = ["status", "narrative", "value"].iter().filter_map(|k| fields.get(k)).map(|l| l.text.clone()).collect::<Vec<_>>().join(" / ");
            let Some(task) = task else {
                let f = self
                    .finding(Code::UnknownTask, format!("第{}行填写了进展,但无法对应到36项重点工作中的任何一项,请核对「序号」或「内容」。", r + 1))
                    .sheet(&sheet.name)
                    .cell(CellRef::new(r, 0))
                    .value(shown);
                self.sub.push(f);
                continue;
            };
            if seen.contains(&task) {
                let f = self
                    .finding(Code::DuplicateTask, format!("第{task}项工作重复填写,已采用先出现的一行;此行内容未导入,请合并为一行。"))
                    .sheet(&sheet.name)
                    .cell(CellRef::new(r, 0))
                    .value(shown);
                self.sub.push(f);
                continue;
            }
            seen.push(task);
            let own = |k: &str| fields.get(k).filter(|l| l.cell.row == r).cloned();
            let status = own("status");
            let status_canonical = status.as_ref().and_then(|s| tasks.status(&s.text)).map(str::to_string);
            if let (Some(s), None) = (&status, &status_canonical) {
                let f = self
                    .finding(Code::UnknownStatus, format!("第{task}项工作的「完成状态」应为 未启动、推进中 或 已完成 之一,已按原文保留。"))
                    .sheet(&s.sheet)
                    .cell(s.cell)
                    .field("完成状态")
                    .value(&s.text);
                self.sub.push(f);
            }
            let value = own("value");
            if let Some(v) = &value
                && v.text.replace([',', '，'], "").trim().parse::<f64>().is_err()
            {
                let f = self
                    .finding(Code::NotANumber, format!("第{task}项工作的「量化完成值」应填写数字,文字说明请写在「推进情况」中;已按原文保留。"))
                    .sheet(&v.sheet)
                    .cell(v.cell)
                    .field("量化完成值")
                    .value(&v.text);
                self.sub.push(f);
            }
            self.sub.progress.push(ProgressRow {
                task,
                sheet: sheet.name.clone(),
                row: r,
                status,
                status_canonical,
                narrative: own("narrative"),
                value,
                extras: row_extras,
            });
        }
        for p in &mut self.sub.progress {
            p.extras.resize(extras.len(), None);
        }
        self.sub.progress_extra_columns = extras;
        let status_col = roles.iter().find(|(_, r)| matches!(r, ColRole::Field(f) if key_of(*f) == "status")).map_or(0, |(c, _)| *c);
        if !any_reported {
            let f = self
                .finding(
                    Code::EmptyProgress,
                    format!("任务进展表「{}」没有填写任何一项工作的完成状态或推进情况。请逐项填写本季度进展后重新报送。", sheet.name),
                )
                .sheet(&sheet.name)
                .cell(CellRef::new(h.last_row + 1, status_col))
                .field("完成状态");
            self.sub.push(f);
        }
    }

    fn resolve_prefecture(&mut self, _wb: &Workbook) {
        for t in &self.titles {
            if let Some(p) = self.refdata.prefectures.find_in(t) {
                self.prefecture_sources.push(("标题".into(), p.name.clone()));
            }
        }
        for (source, stem) in self.name_stems() {
            if let Some(p) = self.refdata.prefectures.find_in(&stem) {
                self.prefecture_sources.push((source.into(), p.name.clone()));
            }
        }
        if let Some(p) = &self.from.0 {
            self.prefecture_sources.push(("发件人邮箱".into(), p.clone()));
        }
        if let Some(link) = self.from.1.clone() {
            self.link_prefecture(link);
            return;
        }
        let Some((_, chosen)) = self.prefecture_sources.first().cloned() else {
            let f = self.finding(
                Code::UnknownPrefecture,
                "无法确定填报市州:表内「填报市州」未填写,文件名中也没有市州名称。请在表头上方填写「填报市州」后重新报送。",
            );
            self.sub.push(f);
            return;
        };
        let mut others: Vec<String> = Vec::new();
        for (src, name) in &self.prefecture_sources {
            if *name != chosen {
                others.push(format!("{src}为{name}"));
            }
        }
        if !others.is_empty() {
            let (src, _) = &self.prefecture_sources[0];
            let f = self.finding(
                Code::PrefectureConflict,
                format!("文件中的填报市州不一致:{src}为{chosen},{}。已按{chosen}处理,请核实。", others.join(",")),
            );
            self.sub.prefecture = Some(chosen);
            self.sub.push(f);
        } else {
            self.sub.prefecture = Some(chosen);
        }
    }

    /// A return uploaded through `link`'s private link is `link`'s, whatever it says: anything in the
    /// file that names another prefecture is an error the prefecture fixes, never a reason to file the
    /// return as another prefecture's.
    fn link_prefecture(&mut self, link: String) {
        let others: Vec<String> = self.prefecture_sources.iter().filter(|(_, name)| *name != link).map(|(src, name)| format!("{src}为{name}")).collect();
        self.sub.prefecture = Some(link.clone());
        if !others.is_empty() {
            let f = self.finding(
                Code::LinkPrefectureConflict,
                format!(
                    "本文件通过{link}的专用上传链接上传,但{}。已按{link}的报送处理。如填错了市州,请改正后重新上传;如是代其他市州报送,请由该市州通过自己的上传链接上传。",
                    others.join(",")
                ),
            )
            .value(others.join(","));
            self.sub.push(f);
        }
    }

    fn resolve_period(&mut self) {
        if let Some(p) = self.block_period {
            // The tables read were chosen by their period: the return is for it, whatever the first title says.
            self.sub.period = Some(p);
            return;
        }
        if self.sub.period.is_some() {
            return;
        }
        self.sub.period = self
            .titles
            .iter()
            .find_map(|t| Period::find_in(t))
            .or_else(|| self.name_stems().iter().find_map(|(_, stem)| Period::find_in(stem)));
    }

    /// The file's name without extension, then the names of the archives it was taken out of (a member
    /// of `成都市.zip` is named `成都市.zip/台账.xlsx`), innermost first.
    fn name_stems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let stem = |p: &Path| p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        out.push(("文件名", stem(&self.sub.file)));
        for dir in self.sub.file.ancestors().skip(1) {
            let ext = dir.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
            if ext == "zip" || ext == "7z" {
                out.push(("压缩包名", stem(dir)));
            } else if ext == "eml" {
                out.push(("邮件文件名", stem(dir)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
