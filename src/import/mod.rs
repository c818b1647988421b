//! From a workbook as read to a [`Submission`]: finding the ledger and the task progress in whatever layout
//! the prefecture left them, mapping columns by their headers, telling data rows from notes, and working
//! out which prefecture and period the file is for.
//!
//! The rule that shapes this module is conservation: every non-empty cell ends up in a field, in a kept
//! extra column, in the submission's labels and notes (recorded in [`Submission::layout`]), or in a
//! finding. Nothing is dropped silently and nothing is guessed.
//!
//! The stages, in order, are in this file ([`import_workbook_from`] and `Importer::run`); each has its own
//! module: `header` (finding the header), `notes` (labels and notes around a table), `ledger` (the
//! 附件2 rows), `progress` (the 附件1 tasks), `indicators` (the 指标完成情况 sheet), `identity`
//! (prefecture and period), then [`classify`] and [`validate`] on the rows; [`batch`] runs the whole over
//! many files, each in its own thread with a deadline.

pub mod batch;
pub mod classify;
mod header;
mod identity;
mod indicators;
mod ledger;
mod notes;
mod progress;
pub mod split;
pub mod validate;

use std::path::Path;

use crate::cell::CellRef;
use crate::finding::{Code, Finding, Severity};
use crate::period::Period;
use crate::read::{Visibility, Workbook};
use crate::refdata::RefData;
use crate::submission::{LayoutCell, Role, Submission};
use crate::text::parse_date;

use header::{Header, Matcher, detect_header, stacked_blocks};
use notes::Labels;

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
    /// Where the file came from, besides its own content: the prefecture of its sender's address, of the
    /// upload link it came through, and of the sheets it was split from.
    from: Provenance<'a>,
}

/// Where a return came from, when it tells the prefecture: the prefecture of the address it was sent
/// from, of the private upload link it came through, or of the sheets it was split from (a coordinator's
/// workbook, see [`split`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Provenance<'a> {
    pub sender: Option<&'a str>,
    pub link: Option<&'a str>,
    pub sheet: Option<&'a str>,
}

/// Whether any sheet has a header naming the ledger's enterprise column.
pub fn has_ledger_header(refdata: &RefData, sheets: &[crate::read::Sheet]) -> bool {
    let m = Matcher::new(&refdata.ledger.columns);
    sheets.iter().any(|s| header::holds_ledger(&s.grid, &m, refdata.ledger.keys.enterprise))
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
        from,
    };
    imp.run(wb);
    indicators::import(refdata, wb, &mut imp.sub);
    imp.sub
}

impl Importer<'_> {
    fn layout(&mut self, sheet: &str, cell: CellRef, role: Role) {
        self.sub.layout.push(LayoutCell { sheet: sheet.to_string(), cell, role });
    }

    fn finding(&self, code: Code, message: impl Into<String>) -> Finding {
        Finding::new(code, self.sub.name.clone(), message)
    }

    /// The stages of an import, in order.
    fn run(&mut self, wb: &Workbook) {
        let ours = self.recognise_template(wb);
        let tables = self.find_tables(wb, ours);
        self.report_formulas_without_value(wb, ours);
        for (i, h) in &tables.ledgers {
            let sheet = &wb.sheets[*i];
            if self.sub.ledger_sheet.is_none() {
                self.sub.ledger_sheet = Some(sheet.name.clone());
            }
            let enterprise = Some(self.refdata.ledger.keys.enterprise);
            let blocks = stacked_blocks(&sheet.grid, &Matcher::new(&self.refdata.ledger.columns), h.clone(), enterprise);
            self.import_blocks(sheet, &blocks);
        }
        self.report_ledger_sheets(wb, &tables.ledgers);
        if let Some((i, h)) = &tables.progress {
            let sheet = &wb.sheets[*i];
            self.sub.progress_sheet = Some(sheet.name.clone());
            self.import_progress(sheet, h);
        } else if ours || !tables.ledgers.is_empty() {
            let f = self.finding(
                Code::NoProgress,
                "未找到「附件1 任务进展」表(含「完成状态」「推进情况」列),本次未报送36项重点工作的进展。如已填写,请使用省局下发的模板。",
            );
            self.sub.push(f);
        }
        self.report_other_sheets(wb, &tables, ours);
        self.resolve_prefecture(wb);
        // The 填报日期 first: it gives the year of a quarter written without one.
        self.read_filled_date();
        self.resolve_period();
        // Stamp every finding with the prefecture, now that it is known.
        let p = self.sub.prefecture.clone();
        for f in &mut self.sub.findings {
            if f.prefecture.is_none() {
                f.prefecture.clone_from(&p);
            }
        }
    }

    /// Recognises one of taizhang's own templates by its hidden sheet: its prefecture and period are then
    /// the first sources, and the sheets taizhang added are layout. True for one of taizhang's files.
    fn recognise_template(&mut self, wb: &Workbook) -> bool {
        let layout = &self.refdata.template.sheets;
        let Some((m, meta_sheet)) = crate::xlsx::meta::read(wb, &layout.meta) else { return false };
        self.sub.template = Some(m.clone());
        if let Some(p) = self.refdata.prefectures.lookup(&m.prefecture_code) {
            self.prefecture_sources.push(("模板".into(), p.name.clone()));
        }
        self.sub.period = m.period;
        let names = [meta_sheet, layout.lists.clone(), layout.instructions.clone(), layout.feedback.clone()];
        for s in wb.sheets.iter().filter(|s| names.contains(&s.name)) {
            for c in s.grid.cells() {
                self.layout(&s.name, c.pos, Role::Reference);
            }
        }
        true
    }

    /// Whether a sheet is one taizhang itself adds to a template or a feedback workbook (the findings list
    /// names the ledger's columns in every row): never data.
    fn is_own_sheet(&self, ours: bool, name: &str) -> bool {
        let layout = &self.refdata.template.sheets;
        ours && [&layout.meta, &layout.lists, &layout.instructions, &layout.feedback].iter().any(|n| n.as_str() == name)
    }

    /// Scores every readable visible sheet as a ledger and as a progress table. Every sheet with a ledger
    /// header is read (a ledger split into one sheet per county); the best progress table is.
    fn find_tables(&mut self, wb: &Workbook, ours: bool) -> Tables {
        let ledger_m = Matcher::new(&self.refdata.ledger.columns);
        let progress_m = Matcher::new(&self.refdata.tasks.columns);
        let mut t = Tables::default();
        for (i, s) in wb.sheets.iter().enumerate() {
            if let Some(e) = &s.error {
                let f = self.finding(e.code(), format!("工作表「{}」无法读取:{e}", s.name)).sheet(&s.name).detail(e.detail());
                self.sub.push(f);
                continue;
            }
            if s.visibility != Visibility::Visible || s.grid.is_empty() || self.is_own_sheet(ours, &s.name) {
                continue;
            }
            if let Some(h) = detect_header(&s.grid, &ledger_m) {
                match self.ledger_fit(&h) {
                    Fit::Table => t.ledgers.push((i, h)),
                    Fit::Near => t.near_ledgers.push((i, h.named_fields())),
                    Fit::No => {}
                }
            }
            if let Some(h) = detect_header(&s.grid, &progress_m)
                && self.is_progress(&h)
                && h.score > t.progress.as_ref().map_or(0, |l| l.1.score)
            {
                t.progress = Some((i, h));
            }
        }
        // A further ledger sheet (one per county) has the header of the best one, give or take a column or
        // two; a sheet that merely names a few columns is not one.
        let best = t.ledgers.iter().map(|(_, h)| h.score).max().unwrap_or(0);
        for (i, h) in t.ledgers.iter().filter(|(_, h)| h.score + 2 < best) {
            t.near_ledgers.push((*i, h.named_fields()));
        }
        t.ledgers.retain(|(_, h)| h.score + 2 >= best);
        if let Some(p) = &t.progress
            && t.ledgers.iter().any(|l| l.0 == p.0)
        {
            // One sheet cannot be both; the ledger wins, since it is what every return must have.
            t.progress = None;
        }
        t
    }

    /// Whether a header found with the ledger's columns is a ledger's: the enterprise column and the
    /// industry (or three columns); a sheet naming two columns is near one.
    fn ledger_fit(&self, h: &Header) -> Fit {
        let col = |key: &str| self.refdata.ledger.column_index(key);
        let has = |f: Option<usize>| f.is_some_and(|f| h.fields.values().any(|v| *v == f));
        if has(col("enterprise")) && (has(col("industry")) || h.score >= 3) {
            Fit::Table
        } else if h.score >= 2 {
            Fit::Near
        } else {
            Fit::No
        }
    }

    /// Whether a header found with the progress table's columns is one: a status or narrative column, the
    /// task's number or content, three columns in all.
    fn is_progress(&self, h: &Header) -> bool {
        let t = &self.refdata.tasks.columns;
        let has = |key: &str| t.iter().position(|c| c.key == key).is_some_and(|f| h.fields.values().any(|v| *v == f));
        (has("status") || has("narrative")) && (has("no") || has("content")) && h.score >= 3
    }

    /// S13 for a ledger read from several sheets, S01 for none.
    fn report_ledger_sheets(&mut self, wb: &Workbook, ledgers: &[(usize, Header)]) {
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
    }

    /// Sheets that were neither a ledger nor the progress table, and hidden sheets with content.
    fn report_other_sheets(&mut self, wb: &Workbook, tables: &Tables, ours: bool) {
        let used: Vec<usize> = tables.ledgers.iter().chain(tables.progress.iter()).map(|(i, _)| *i).collect();
        for (i, s) in wb.sheets.iter().enumerate() {
            if used.contains(&i) || s.grid.is_empty() || s.error.is_some() || self.is_own_sheet(ours, &s.name) {
                continue;
            }
            let near = tables.near_ledgers.iter().find(|(n, _)| *n == i);
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
                self.finding(Code::HiddenSheet, format!("工作表「{}」已被隐藏,未读取。如其中有台账数据,请取消隐藏后重新报送。", s.name))
            };
            let f = f.sheet(&s.name);
            self.sub.push(f);
        }
    }

    /// V21 for each visible sheet with formulas whose value the file does not hold: those cells read as
    /// empty, and only the program that computes them can give their values.
    fn report_formulas_without_value(&mut self, wb: &Workbook, ours: bool) {
        const SHOWN: usize = 10;
        for s in wb.sheets.iter().filter(|s| s.visibility == Visibility::Visible && !s.formulas_without_value.is_empty()) {
            if self.is_own_sheet(ours, &s.name) {
                continue;
            }
            let cells = &s.formulas_without_value;
            let mut listed = cells.iter().take(SHOWN).map(CellRef::a1).collect::<Vec<_>>().join("、");
            if cells.len() > SHOWN {
                listed.push_str(&format!(" 等{}个单元格", cells.len()));
            }
            let f = self
                .finding(
                    Code::FormulaWithoutValue,
                    format!(
                        "工作表「{}」的 {listed} 是公式,但文件中没有保存公式的计算结果(常见于程序生成的表格),这些单元格按空白读取。请用 Excel 或 WPS 打开文件、保存一次后重新报送。",
                        s.name
                    ),
                )
                .sheet(&s.name)
                .cell(cells[0]);
            self.sub.push(f);
        }
    }

    /// 填报日期 as a date (V12 when it is not one).
    fn read_filled_date(&mut self) {
        let Some(d) = &self.sub.filled_date else { return };
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
}

/// The tables found in a workbook: (sheet index, header).
#[derive(Default)]
struct Tables {
    ledgers: Vec<(usize, Header)>,
    /// Sheets whose header names some ledger columns but not enough to be read: (sheet, fields named).
    near_ledgers: Vec<(usize, Vec<usize>)>,
    progress: Option<(usize, Header)>,
}

/// How well a header fits the ledger.
enum Fit {
    Table,
    Near,
    No,
}
