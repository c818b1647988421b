//! What one returned file says, once read: the prefecture and period it is for, who filled it in, the
//! ledger rows and task progress with the cell every value came from, the columns taizhang did not
//! recognise, and the findings.

use std::path::PathBuf;
use std::time::SystemTime;

use serde::Serialize;

use crate::cell::CellRef;
use crate::finding::{Counts, Finding};
use crate::period::Period;
use crate::read::Format;

/// The last component of a path as given, for display.
pub fn base_name(path: &str) -> String {
    std::path::Path::new(path).file_name().map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
}

/// A value with the cell it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Located {
    pub text: String,
    pub sheet: String,
    /// The cell holding the value (for a merged range, its top-left cell).
    pub cell: CellRef,
}

impl Located {
    /// `附件2!C7`
    pub fn location(&self) -> String {
        format!("{}!{}", self.sheet, self.cell.a1())
    }
}

/// One enterprise of the ledger (附件2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerRow {
    pub sheet: String,
    /// Zero-based row of the sheet.
    pub row: u32,
    /// One entry per ledger column (in the order of `ledger.toml`).
    pub fields: Vec<Option<Located>>,
    /// One entry per [`Submission::extra_columns`].
    pub extras: Vec<Option<Located>>,
    /// The value of a 填报市州 column, when the return has one.
    pub prefecture: Option<Located>,
    /// Set when this row repeats an earlier row of the same return exactly (index into `rows`).
    pub duplicate_of: Option<usize>,
}

impl LedgerRow {
    /// The text of field `i`, empty when absent.
    pub fn text(&self, i: usize) -> &str {
        self.fields.get(i).and_then(|f| f.as_ref()).map_or("", |l| l.text.as_str())
    }

    /// The text of extra column `i`, empty when absent.
    pub fn extra(&self, i: usize) -> &str {
        self.extras.get(i).and_then(|f| f.as_ref()).map_or("", |l| l.text.as_str())
    }

    /// Row number as people read it (1-based).
    pub fn row_number(&self) -> u32 {
        self.row + 1
    }
}

/// A prefecture's report on one task of 附件1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProgressRow {
    pub task: u32,
    pub sheet: String,
    pub row: u32,
    /// 完成状态 as written.
    pub status: Option<Located>,
    /// 完成状态 as one of the statuses of `tasks.toml`, when recognised.
    pub status_canonical: Option<String>,
    /// 推进情况.
    pub narrative: Option<Located>,
    /// 量化完成值.
    pub value: Option<Located>,
    /// One entry per [`Submission::progress_extra_columns`].
    pub extras: Vec<Option<Located>>,
}

/// What the very hidden sheet of one of taizhang's templates records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateMeta {
    pub version: u32,
    pub prefecture_code: String,
    pub period: Option<Period>,
}

/// A value a prefecture reported against one indicator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reported {
    /// The indicator's id (`indicators.toml`).
    pub id: String,
    /// The value as read (percentages in percent: 91.5), `None` when the cell is empty or unreadable.
    pub value: Option<f64>,
    /// The 累计完成值 cell as written.
    pub cell: Option<Located>,
    /// 说明.
    pub note: Option<Located>,
    /// The 上期值 the template showed, when it did.
    pub previous: Option<f64>,
}

/// Why a cell that is neither data nor in a finding was accounted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Role {
    /// A title above the table.
    Title,
    /// A label or a labelled value (填报市州:, 填报日期 …) whose value went to the submission.
    Label,
    /// A header cell.
    Header,
    /// A note line around the table whose value went to the submission.
    Note,
    /// Reference text printed by the template (the tasks of 附件1, the dropdown lists, the instructions).
    Reference,
    /// A section heading inside the ledger ("一、食品行业"), reported as a hint.
    Heading,
    /// A total or sub-total row inside the ledger ("合计 | 共3家企业"), reported as a hint.
    Total,
    /// A row of placeholders or an end marker under the ledger ("/ | /", "以下空白"), reported as a hint.
    Placeholder,
    /// A table of another period than the one collected, kept in the same sheet and reported whole.
    OtherPeriod,
    /// A further line of an enterprise written over several rows (its name merged down), joined into the
    /// enterprise's fields.
    Continuation,
}

/// A cell accounted for by its role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayoutCell {
    pub sheet: String,
    pub cell: CellRef,
    pub role: Role,
}

/// One returned file, read.
#[derive(Debug, Clone, Serialize)]
pub struct Submission {
    pub file: PathBuf,
    /// The file as shown to people (the path as given on the command line).
    pub name: String,
    pub format: Option<Format>,
    #[serde(skip)]
    pub modified: Option<SystemTime>,
    /// Whether the file could be read at all.
    pub readable: bool,
    /// Passed over: not a return (a note or script travelling with the returns).
    pub skipped: bool,
    /// The sheets this return was taken from, when its file held the returns of several prefectures (a
    /// coordinator's workbook, split by sheet).
    pub part: Option<String>,
    pub template: Option<TemplateMeta>,
    /// Canonical name of the prefecture.
    pub prefecture: Option<String>,
    pub period: Option<Period>,
    /// Where the period was read, for the messages that cite it: 使用的是该期的模板, 标题「…」, 文件名「…」.
    pub period_from: Option<String>,
    /// A quarter the return states without a year that nothing else in it gives; the batch completes it
    /// with the collection's year.
    pub quarter_only: Option<u8>,
    pub filled_date: Option<Located>,
    pub filled_on: Option<chrono::NaiveDate>,
    pub filler: Option<Located>,
    pub phone: Option<Located>,
    pub reviewer: Option<Located>,
    pub remarks: Vec<Located>,
    pub ledger_sheet: Option<String>,
    pub progress_sheet: Option<String>,
    /// Column (zero-based) of each ledger field in the ledger sheet, in the order of `ledger.toml`.
    pub ledger_columns: Vec<Option<u32>>,
    /// The same for every ledger sheet, when the ledger is split over several (one per county).
    pub sheet_columns: Vec<(String, Vec<Option<u32>>)>,
    /// Headers of the columns taizhang did not recognise, in the order met.
    pub extra_columns: Vec<String>,
    pub rows: Vec<LedgerRow>,
    pub progress_extra_columns: Vec<String>,
    pub progress: Vec<ProgressRow>,
    pub findings: Vec<Finding>,
    /// What the 指标完成情况 sheet reports, one entry per indicator row read.
    pub indicators: Vec<Reported>,
    /// Who sent the file, when it came by email: provenance, and with a contacts sheet one more source
    /// for the prefecture.
    pub sender: Option<crate::inbox::mime::Sender>,
    /// Cells that were recognised as titles, labels, headers, notes or reference text.
    #[serde(skip)]
    pub layout: Vec<LayoutCell>,
}

impl Submission {
    /// An empty submission for `file`.
    pub fn new(file: PathBuf, name: String) -> Self {
        Submission {
            file,
            name,
            format: None,
            modified: None,
            readable: false,
            skipped: false,
            part: None,
            template: None,
            prefecture: None,
            period: None,
            period_from: None,
            quarter_only: None,
            filled_date: None,
            filled_on: None,
            filler: None,
            phone: None,
            reviewer: None,
            remarks: Vec::new(),
            ledger_sheet: None,
            progress_sheet: None,
            ledger_columns: Vec::new(),
            sheet_columns: Vec::new(),
            extra_columns: Vec::new(),
            rows: Vec::new(),
            progress_extra_columns: Vec::new(),
            progress: Vec::new(),
            findings: Vec::new(),
            indicators: Vec::new(),
            sender: None,
            layout: Vec::new(),
        }
    }

    /// Adds a finding, stamped with this submission's prefecture when known.
    pub fn push(&mut self, mut f: Finding) {
        if f.prefecture.is_none() {
            f.prefecture.clone_from(&self.prefecture);
        }
        self.findings.push(f);
    }

    /// Counts of findings by severity.
    pub fn counts(&self) -> Counts {
        Counts::of(&self.findings)
    }

    /// The 填报日期 as shown: 2018-10-09 when it reads as a date, else as written.
    pub fn filled_date_text(&self) -> Option<String> {
        self.filled_on.map(|d| d.to_string()).or_else(|| self.filled_date.as_ref().map(|l| l.text.clone()))
    }

    /// The file's name without its folder, as the rollup shows it.
    pub fn file_name(&self) -> String {
        base_name(&self.name)
    }

    /// Column (zero-based) of each ledger field in `sheet`.
    pub fn columns_in(&self, sheet: &str) -> &[Option<u32>] {
        self.sheet_columns.iter().find(|(s, _)| s == sheet).map_or(&self.ledger_columns, |(_, c)| c)
    }

    /// One line summarising the submission: its file, format, prefecture, period, rows and findings.
    pub fn summary_line(&self) -> String {
        let s = self;
        let c = s.counts();
        let what = if s.skipped {
            "已跳过".to_string()
        } else if s.readable {
            format!(
                "{} {},台账 {} 行,任务进展 {} 项",
                s.prefecture.as_deref().unwrap_or("市州不明"),
                s.period.map(|p| p.label()).unwrap_or_else(|| "期别不明".into()),
                s.rows.len(),
                s.progress.len()
            )
        } else {
            // The reason is always said: 加密, 损坏, 超时 …
            let why = s.findings.iter().find(|f| f.severity == crate::Severity::Error).map(|f| f.code.title()).unwrap_or("原因不明");
            format!("无法读取({why})")
        };
        let part = s.part.as_ref().map(|p| format!("(工作表「{p}」)")).unwrap_or_default();
        format!("{}{part}  [{}] {what};错误 {} 条,警告 {} 条,提示 {} 条", s.name, s.format.map_or("?", |f| f.name()), c.errors, c.warnings, c.infos)
    }

    /// Ledger rows that are not exact repeats of an earlier row.
    pub fn distinct_rows(&self) -> impl Iterator<Item = &LedgerRow> {
        self.rows.iter().filter(|r| r.duplicate_of.is_none())
    }
}
