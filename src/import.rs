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

    fn find(&self, text: &str) -> Option<usize> {
        let k = header_key(text);
        if k.is_empty() {
            return None;
        }
        if let Some(&i) = self.exact.get(&k) {
            return Some(i);
        }
        self.prefixes
            .iter()
            .find(|(p, _)| k.len() > p.len() && k.starts_with(p.as_str()) && k[p.len()..].starts_with('('))
            .map(|(_, i)| *i)
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

/// Finds the best header row (or pair of rows, for a group header above) in the first rows of a sheet.
fn detect_header(grid: &Grid, m: &Matcher) -> Option<Header> {
    let rows: Vec<u32> = grid.row_numbers().take(HEADER_SEARCH_ROWS).collect();
    let matches_of = |r: u32| -> BTreeMap<u32, usize> {
        grid.row(r).iter().filter_map(|c| m.find(&cell_text(c)).map(|f| (c.pos.col, f))).collect()
    };
    let distinct = |fields: &BTreeMap<u32, usize>| {
        let mut v: Vec<usize> = fields.values().copied().collect();
        v.sort_unstable();
        v.dedup();
        v.len()
    };
    let mut best: Option<Header> = None;
    for (i, &r) in rows.iter().enumerate() {
        let single = matches_of(r);
        let mut h = Header { first_row: r, last_row: r, score: distinct(&single), fields: single.clone() };
        // A second header row counts only under a row that is itself part of the header (fields merged down
        // over both rows, a group header over some): not under a title or a 填报市州 line.
        if let Some(&next) = rows.get(i + 1)
            && next == r + 1
            && h.score > 0
        {
            let mut double = single.clone();
            for (c, f) in matches_of(next) {
                double.entry(c).or_insert(f);
            }
            let s = distinct(&double);
            if s > h.score {
                h = Header { first_row: r, last_row: next, score: s, fields: double };
            }
        }
        if h.score > best.as_ref().map_or(0, |b| b.score) {
            best = Some(h);
        }
    }
    best
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
    let mut sub = Submission::new(file.to_path_buf(), name.to_string());
    sub.format = Some(wb.format);
    sub.readable = true;
    let mut imp = Importer { refdata, labels: Labels::new(refdata), sub, prefecture_sources: Vec::new(), titles: Vec::new() };
    imp.run(wb);
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

        // Score every readable visible sheet as a ledger and as a progress table.
        let mut ledger: Option<(usize, Header)> = None;
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
            if let Some(h) = detect_header(&s.grid, &ledger_m) {
                let has = |f: Option<usize>| f.is_some_and(|f| h.fields.values().any(|v| *v == f));
                if has(enterprise) && (has(industry) || h.score >= 3) && h.score > ledger.as_ref().map_or(0, |l| l.1.score) {
                    ledger = Some((i, h));
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
        if let (Some(l), Some(p)) = (&ledger, &progress)
            && l.0 == p.0
        {
            // One sheet cannot be both; the ledger wins, since it is what every return must have.
            progress = None;
        }

        if let Some((i, h)) = &ledger {
            let sheet = &wb.sheets[*i];
            self.sub.ledger_sheet = Some(sheet.name.clone());
            self.import_ledger(sheet, h);
        } else {
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
        } else if ours || ledger.is_some() {
            let f = self.finding(
                Code::NoProgress,
                "未找到「附件1 任务进展」表(含「完成状态」「推进情况」列),本次未报送36项重点工作的进展。如已填写,请使用省局下发的模板。",
            );
            self.sub.push(f);
        }

        // Sheets that were neither, and hidden sheets with content.
        let used: Vec<usize> = ledger.iter().chain(progress.iter()).map(|(i, _)| *i).collect();
        for (i, s) in wb.sheets.iter().enumerate() {
            if used.contains(&i) || s.grid.is_empty() || s.error.is_some() {
                continue;
            }
            if ours && [&layout.meta, &layout.lists, &layout.instructions, &layout.feedback].contains(&&s.name) {
                continue;
            }
            let f = if s.visibility == Visibility::Visible {
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

    /// Handles the rows above a header: titles and labelled values (填报市州:, 填报日期: …).
    fn import_preamble(&mut self, sheet: &Sheet, first_header_row: u32) {
        for r in sheet.grid.row_numbers().take_while(|r| *r < first_header_row) {
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
            let f = self
                .finding(Code::ExtraColumn, format!("「{name}」不是模板中的列,已作为附加列保留在汇总表中。"))
                .sheet(&sheet.name)
                .cell(*cell)
                .field(&name);
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

    fn import_ledger(&mut self, sheet: &Sheet, h: &Header) {
        self.import_preamble(sheet, h.first_row);
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
        self.sub.ledger_columns = (0..specs.len())
            .map(|i| roles.iter().find(|(_, r)| **r == ColRole::Field(i)).map(|(c, _)| *c))
            .collect();
        let seq = self.refdata.ledger.column_index("seq");
        let enterprise = self.refdata.ledger.column_index("enterprise");
        let mut in_footer = false;
        // Whether the last row with content was a note line.
        let mut after_note = false;
        let rows: Vec<u32> = sheet.grid.row_numbers().filter(|r| *r > h.last_row).collect();
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
            if only_seq {
                let s = seq.and_then(|s| row.fields[s].clone());
                match s {
                    // A numbered empty row of the template.
                    Some(l) if l.text.parse::<f64>().is_ok() => {
                        self.layout(&sheet.name, l.cell, Role::Reference);
                        continue;
                    }
                    Some(l) => {
                        // Text in the 序号 column alone: a note such as "合计" or a line of remarks.
                        self.layout(&sheet.name, CellRef::new(r, l.cell.col), Role::Note);
                        self.remark(&sheet.name, l.cell, l.text);
                        continue;
                    }
                    None => {}
                }
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
            after_note = false;
            self.sub.rows.push(row);
        }
        if self.sub.rows.is_empty() {
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

    fn import_progress(&mut self, sheet: &Sheet, h: &Header) {
        self.import_preamble(sheet, h.first_row);
        let specs = self.refdata.tasks.columns.clone();
        let mut extras = Vec::new();
        let mut roles = self.map_columns(sheet, h, &specs, &mut extras, false);
        let key_of = |i: usize| specs[i].key.as_str();
        let tasks = &self.refdata.tasks;
        let content_keys: Vec<(String, u32)> = tasks.tasks.iter().map(|t| (fold_key(&t.content), t.no)).collect();
        let mut seen: Vec<u32> = Vec::new();
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
    }

    fn resolve_prefecture(&mut self, _wb: &Workbook) {
        for t in &self.titles {
            if let Some(p) = self.refdata.prefectures.find_in(t) {
                self.prefecture_sources.push(("标题".into(), p.name.clone()));
            }
        }
        let stem = self.sub.file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some(p) = self.refdata.prefectures.find_in(&stem) {
            self.prefecture_sources.push(("文件名".into(), p.name.clone()));
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

    fn resolve_period(&mut self) {
        if self.sub.period.is_some() {
            return;
        }
        let stem = self.sub.file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        self.sub.period = self.titles.iter().find_map(|t| Period::find_in(t)).or_else(|| Period::find_in(&stem));
    }
}
