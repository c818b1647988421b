//! The 附件2 ledger's rows: columns mapped by their headers, data rows told from totals, headings and
//! notes, an enterprise spread over merged rows joined into one, and each value kept with its cell.

use std::collections::BTreeMap;

use crate::cell::{CellRef, column_name};
use crate::import::classify::{RowKind, Slot, classify_row};
use crate::finding::{Code, Severity};
use crate::period::{Mention, mention_in, year_in};
use crate::read::{GridCell, Sheet};
use crate::refdata::ColumnSpec;
use crate::submission::{LedgerRow, Located, Role};
use crate::text::{clean_text, header_key};

use super::Importer;
use super::header::{Block, ColRole, Header, HeaderMatch, Matcher, origin_texts};
use super::notes::{Note, NoteKind, parse_notes};

impl Importer<'_> {
    /// Imports the tables of a ledger sheet. When they are for different periods (last quarter's table
    /// kept above this quarter's), only the tables of the period being collected are read — the one asked
    /// for, else the latest — and each other table is reported whole. A table's period is the one its
    /// title states ([`mention_in`]), else the one of the table above; a quarter without its year takes the
    /// year of the nearest table that states one.
    pub(super) fn import_blocks(&mut self, sheet: &Sheet, blocks: &[Block]) {
        let periods = block_periods(sheet, blocks);
        let mut known: Vec<Mention> = Vec::new();
        for m in periods.iter().flatten() {
            if !known.contains(m) {
                known.push(*m);
            }
        }
        if known.len() < 2 {
            for b in blocks {
                self.import_ledger(sheet, b);
            }
            return;
        }
        let is_wanted = |m: &Mention| self.wanted.is_some_and(|w| w.quarter == m.quarter && m.year.is_none_or(|y| y == w.year));
        let latest = known.iter().copied().max_by_key(|m| (m.year, m.quarter));
        let wanted = known.iter().copied().find(is_wanted).or(latest);
        self.block_period = wanted.and_then(|m| m.period().or_else(|| self.wanted.filter(|w| w.quarter == m.quarter)));
        if self.block_period.is_none() {
            self.sub.quarter_only = wanted.map(|m| m.quarter);
        }
        for (b, p) in blocks.iter().zip(&periods) {
            if *p == wanted || p.is_none() {
                self.import_ledger(sheet, b);
            } else {
                self.other_period_block(sheet, b, p.map(|m| m.label()).unwrap_or_default());
            }
        }
    }

    /// A table of another period than the one collected: every cell accounted for, one warning for all.
    pub(super) fn other_period_block(&mut self, sheet: &Sheet, b: &Block, period: String) {
        let rows: Vec<u32> = sheet.grid.row_numbers().filter(|r| *r >= b.preamble_start && b.end.is_none_or(|e| *r < e)).collect();
        for &r in &rows {
            for c in sheet.grid.row(r) {
                self.layout(&sheet.name, c.pos, Role::OtherPeriod);
            }
        }
        let (first, last) = (rows.first().copied().unwrap_or(b.header.first_row), rows.last().copied().unwrap_or(b.header.last_row));
        let wanted = match (self.block_period, self.sub.quarter_only) {
            (Some(p), _) => p.label(),
            (None, Some(q)) => Mention { year: None, quarter: q }.label(),
            (None, None) => String::new(),
        };
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
    pub(super) fn import_preamble(&mut self, sheet: &Sheet, from: u32, first_header_row: u32) {
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
    pub(super) fn apply_note(&mut self, sheet: &str, n: Note) {
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
                // "填报单位:成都市市场监督管理局  2018年第三季度": the quarter is often written beside the
                // prefecture, and is read there like a title's.
                self.titles.push(loc.text.clone());
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
    pub(super) fn import_note_row(&mut self, sheet: &Sheet, cells: &[GridCell]) {
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

    pub(super) fn remark(&mut self, sheet: &str, cell: CellRef, text: String) {
        let loc = Located { text: clean_text(&text), sheet: sheet.to_string(), cell };
        let f = self.finding(Code::Note, format!("表格备注:{}", loc.text)).sheet(sheet).cell(cell).value(&loc.text);
        self.sub.push(f);
        self.sub.remarks.push(loc);
    }

    /// S11 for a column whose header was read by a name inside it: says which column it was taken for.
    fn header_by_meaning(&mut self, sheet: &Sheet, cells: &[(CellRef, String, bool)], f: usize, specs: &[ColumnSpec], matcher: &Matcher) {
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
    }

    /// Maps the header's columns: recognised fields, the 填报市州 column, group headers and extra columns.
    pub(super) fn map_columns(
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
                    self.header_by_meaning(sheet, cells, f, specs, &matcher);
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
    pub(super) fn headerless_column(&mut self, sheet: &Sheet, c: &GridCell, extras: &mut Vec<String>, roles: &mut BTreeMap<u32, ColRole>) -> ColRole {
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

    /// Imports one table of the 附件2 ledger: its columns, then row by row (data rows, enterprises over
    /// merged rows, totals and headings, notes under the table), then what the rows say together.
    pub(super) fn import_ledger(&mut self, sheet: &Sheet, block: &Block) {
        let h = &block.header;
        self.import_preamble(sheet, block.preamble_start, h.first_row);
        let specs = self.refdata.ledger.columns.clone();
        let mut extras = std::mem::take(&mut self.sub.extra_columns);
        let mut roles = self.map_columns(sheet, h, &specs, &mut extras, true);
        self.record_columns(sheet, &specs, &roles);
        let mut t = TableState::new(self.sub.rows.len());
        let rows: Vec<u32> = sheet.grid.row_numbers().filter(|r| *r > h.last_row && block.end.is_none_or(|e| *r < e)).collect();
        for r in rows {
            self.ledger_row(sheet, r, &specs, &mut roles, &mut extras, &mut t);
        }
        self.report_joined(sheet, &specs, t.joined);
        let table_start = t.table_start;
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
        self.prefecture_column_sources();
    }

    /// Reports required columns the table lacks (S02), and records which sheet column holds each field.
    fn record_columns(&mut self, sheet: &Sheet, specs: &[ColumnSpec], roles: &BTreeMap<u32, ColRole>) {
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
    }

    /// One row under the header: a note line, more lines of the enterprise above, a numbered empty row, a
    /// total or heading, a remark, or an enterprise.
    fn ledger_row(&mut self, sheet: &Sheet, r: u32, specs: &[ColumnSpec], roles: &mut BTreeMap<u32, ColRole>, extras: &mut Vec<String>, t: &mut TableState) {
        let seq = Some(self.refdata.ledger.keys.seq);
        let enterprise = Some(self.refdata.ledger.keys.enterprise);
        let cells = sheet.grid.row(r);
        let first = cells.iter().find(|c| !c.is_merge_copy() || c.origin.row == r);
        let Some(first) = first else { return };
        let first_text = first.value.to_text();
        if self.labels.opens_note(&first_text) && !first.value.is_error() {
            t.in_footer = true;
            t.after_note = true;
            self.import_note_row(sheet, cells);
            return;
        }
        let Some(RowBuild { row, own, only_seq, errors, own_cells }) = self.build_row(sheet, r, specs, roles, extras) else {
            // Only values merged down from the rows above: not a row of its own.
            return;
        };
        // The enterprise's name merged down from the row above: this row holds more lines of the
        // same enterprise, not another one.
        let ent_cell = enterprise.and_then(|e| row.fields[e].as_ref()).filter(|l| l.cell.row < r).map(|l| l.cell);
        if let Some(ent_cell) = ent_cell
            && let Some(idx) = self.sub.rows.len().checked_sub(1).filter(|&i| {
                let prev = &self.sub.rows[i];
                prev.sheet == sheet.name && enterprise.and_then(|e| prev.fields[e].as_ref()).is_some_and(|l| l.cell == ent_cell)
            })
        {
            self.formula_errors(sheet, errors, specs, extras);
            self.continue_enterprise(sheet, idx, row, cells);
            t.joined.entry(idx).or_insert((ent_cell.row, r)).1 = r;
            return;
        }
        if only_seq
            && let Some(l) = seq.and_then(|s| row.fields[s].as_ref())
            && l.text.parse::<f64>().is_ok()
        {
            // A numbered empty row of the template.
            self.layout(&sheet.name, l.cell, Role::Reference);
            return;
        }
        // Under a note line, lone texts are the note's next lines (handled below); elsewhere a row is
        // classified from all its cells.
        let texts: Vec<(Slot, &str)> = own_cells.iter().map(|(_, s, t)| (*s, t.as_str())).collect();
        let kind = match classify_row(&self.refdata.ledger.rows, &texts) {
            // The totals row of an Excel table is one whatever its cells say (a SUBTOTAL count, a label).
            _ if sheet.total_rows.contains(&r) => RowKind::Total { subtotal: false, count: None },
            RowKind::Placeholder => RowKind::Placeholder,
            _ if t.in_footer && own_cells.len() == 1 => RowKind::Enterprise,
            kind => kind,
        };
        if kind != RowKind::Enterprise {
            self.non_enterprise_row(sheet, cells, kind, &own_cells, (t.table_start, &mut t.section_start));
            return;
        }
        if only_seq && let Some(l) = seq.and_then(|s| row.fields[s].clone()) {
            // A long text in the 序号 column alone: a line of remarks.
            self.layout(&sheet.name, CellRef::new(r, l.cell.col), Role::Note);
            self.remark(&sheet.name, l.cell, l.text);
            return;
        }
        // Under a note line, a row is data when it names an enterprise or fills two columns; a lone
        // text right under a note is the note's next line.
        let own_field = |f: usize| row.fields[f].as_ref().is_some_and(|l| l.cell.row == r);
        let own_fields = (0..row.fields.len()).filter(|&f| own_field(f)).count();
        let data_like = (enterprise.is_some_and(own_field) && !(t.after_note && own == 1)) || own_fields >= 2;
        if t.in_footer && !data_like {
            // Continuation lines of a remark under the table.
            self.import_note_row(sheet, cells);
            return;
        }
        self.formula_errors(sheet, errors, specs, extras);
        t.after_note = false;
        self.sub.rows.push(row);
    }

    /// The row's values by column role, with what classifying it needs. `None` when the row holds only
    /// values merged down from the rows above.
    fn build_row(&mut self, sheet: &Sheet, r: u32, specs: &[ColumnSpec], roles: &mut BTreeMap<u32, ColRole>, extras: &mut Vec<String>) -> Option<RowBuild> {
        let seq = Some(self.refdata.ledger.keys.seq);
        let enterprise = Some(self.refdata.ledger.keys.enterprise);
        let industry = Some(self.refdata.ledger.keys.industry);
        let cells = sheet.grid.row(r);
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
                None if !c.is_merge_copy() => self.headerless_column(sheet, c, extras, roles),
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
        (own > 0).then_some(RowBuild { row, own, only_seq, errors, own_cells })
    }

    /// V20 for each enterprise written over several rows (index into `sub.rows` → first and last row).
    fn report_joined(&mut self, sheet: &Sheet, specs: &[ColumnSpec], joined: BTreeMap<usize, (u32, u32)>) {
        let enterprise = Some(self.refdata.ledger.keys.enterprise);
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
    }

    /// A 填报市州 column is a source for the prefecture; a value there that is no prefecture is reported.
    fn prefecture_column_sources(&mut self) {
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
    pub(super) fn formula_errors(&mut self, sheet: &Sheet, errors: Vec<(CellRef, String, ColRole)>, specs: &[ColumnSpec], extras: &[String]) {
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
    pub(super) fn continue_enterprise(&mut self, sheet: &Sheet, idx: usize, row: LedgerRow, cells: &[GridCell]) {
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
    pub(super) fn non_enterprise_row(
        &mut self,
        sheet: &Sheet,
        cells: &[GridCell],
        kind: RowKind,
        own_cells: &[(CellRef, Slot, String)],
        (table_start, section_start): (usize, &mut usize),
    ) {
        let role = match kind {
            RowKind::Heading => Role::Heading,
            RowKind::Placeholder => Role::Placeholder,
            _ => Role::Total,
        };
        for c in cells {
            self.layout(&sheet.name, c.pos, role);
        }
        let Some((first, _, _)) = own_cells.first() else { return };
        let shown = own_cells.iter().map(|(_, _, t)| t.as_str()).collect::<Vec<_>>().join(" | ");
        let line = first.row + 1;
        let what = match kind {
            RowKind::Heading => "分类标题行",
            RowKind::Placeholder => "空行",
            RowKind::Total { subtotal: true, .. } => "小计行",
            _ => "合计行",
        };
        let message = match kind {
            RowKind::Placeholder => format!("第{line}行只有占位符或「以下空白」一类字样(「{shown}」),是空行,不是企业,未作为企业导入汇总。"),
            _ => format!("第{line}行是{what}(「{shown}」),不是企业,未作为企业导入汇总。"),
        };
        let f = self
            .finding(Code::NotEnterpriseRow, message)
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
}

/// Where a table's rows stand while it is read.
struct TableState {
    /// Where this table's rows begin in `sub.rows`, to check the counts of totals against.
    table_start: usize,
    /// Where the current section's rows (after a heading or a sub-total) begin.
    section_start: usize,
    /// Enterprises written over several rows (index into `sub.rows` → first and last row).
    joined: BTreeMap<usize, (u32, u32)>,
    /// Under a note line: the rest of the table is read as notes unless a row is clearly data.
    in_footer: bool,
    /// Whether the last row with content was a note line.
    after_note: bool,
}

impl TableState {
    fn new(table_start: usize) -> Self {
        TableState { table_start, section_start: table_start, joined: BTreeMap::new(), in_footer: false, after_note: false }
    }
}

/// A row built from its cells, before it is classified.
struct RowBuild {
    row: LedgerRow,
    /// Values written in this row (not copies of a merge from above).
    own: usize,
    /// Whether the only value of its own is in the 序号 column.
    only_seq: bool,
    /// Formula error values (#N/A …), reported once the row is known to be data.
    errors: Vec<(CellRef, String, ColRole)>,
    /// Each value written in this row once (a merge across columns counts once), for classifying it.
    own_cells: Vec<(CellRef, Slot, String)>,
}

/// The period each table of a sheet states: its title's, else the one of the table above; a quarter
/// without its year takes the year of the nearest table that has one.
fn block_periods(sheet: &Sheet, blocks: &[Block]) -> Vec<Option<Mention>> {
    let mut periods: Vec<Option<Mention>> = Vec::new();
    for b in blocks {
        let titles: Vec<String> = sheet
            .grid
            .row_numbers()
            .skip_while(|r| *r < b.preamble_start)
            .take_while(|r| *r < b.header.first_row)
            .flat_map(|r| origin_texts(sheet.grid.row(r)).into_iter().map(|(_, t)| t))
            .collect();
        let own = titles.iter().find_map(|t| mention_in(t)).map(|m| Mention { year: m.year.or_else(|| titles.iter().find_map(|t| year_in(t))), ..m });
        periods.push(own.or(periods.last().copied().flatten()));
    }
    for i in 0..periods.len() {
        if let Some(m) = periods[i].filter(|m| m.year.is_none()) {
            let above = periods[..i].iter().rev().flatten().find_map(|p| p.year);
            let below = periods[i + 1..].iter().flatten().find_map(|p| p.year);
            periods[i] = Some(Mention { year: above.or(below), ..m });
        }
    }
    periods
}

