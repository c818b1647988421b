//! Reference data: the prefectures, the 36 tasks of 附件1, the columns of 附件2 and the template's wording.
//!
//! All of it lives as TOML under `templates/` so that next year's edits (a renamed column, a new alias, a
//! changed deadline text) are an edit of a data file, not a release. The files are embedded in the binary so
//! taizhang runs anywhere; `--refdata DIR` replaces any of them with the file of the same name in `DIR`.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::text::fold_key;

/// The embedded reference files, by file name.
const EMBEDDED: &[(&str, &str)] = &[
    ("prefectures.toml", include_str!("../templates/prefectures.toml")),
    ("tasks.toml", include_str!("../templates/tasks.toml")),
    ("ledger.toml", include_str!("../templates/ledger.toml")),
    ("template.toml", include_str!("../templates/template.toml")),
    ("mail.toml", include_str!("../templates/mail.toml")),
    ("indicators.toml", include_str!("../templates/indicators.toml")),
    ("assessment.toml", include_str!("../templates/assessment.toml")),
];

/// A reference file that could not be read or does not hold what taizhang needs.
#[derive(Debug, thiserror::Error)]
pub enum RefDataError {
    /// The override directory or one of its files could not be read.
    #[error("无法读取参考数据文件 {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file is not valid TOML or lacks a field.
    #[error("参考数据文件 {file} 格式错误: {message}")]
    Parse { file: String, message: String },
    /// The data parses but breaks a rule the rest of taizhang relies on.
    #[error("参考数据文件 {file} 内容有误: {message}")]
    Invalid { file: String, message: String },
}

/// One economic zone of the plan's "五区协同".
#[derive(Debug, Clone, Deserialize)]
pub struct Zone {
    pub key: String,
    pub name: String,
    pub short: String,
}

/// One of the 21 prefectures.
#[derive(Debug, Clone, Deserialize)]
pub struct Prefecture {
    /// Canonical name (成都市, 阿坝藏族羌族自治州).
    pub name: String,
    /// Short form (成都, 阿坝州).
    pub short: String,
    /// GB/T 2260 division code.
    pub code: String,
    /// Key of its economic zone.
    pub zone: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct PrefectureFile {
    zones: Vec<Zone>,
    prefectures: Vec<Prefecture>,
}

/// The prefectures in official order, with lookup by any accepted spelling.
#[derive(Debug, Clone)]
pub struct Prefectures {
    list: Vec<Prefecture>,
    zones: Vec<Zone>,
    /// Folded spelling → index into `list`.
    by_key: HashMap<String, usize>,
    /// Spellings long enough to be searched for inside free text (file names, labels), longest first.
    needles: Vec<(String, usize)>,
}

impl Prefectures {
    /// All prefectures in official order.
    pub fn all(&self) -> &[Prefecture] {
        &self.list
    }

    /// The economic zones in the order of the reference file.
    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// The zone a prefecture belongs to.
    pub fn zone_of(&self, p: &Prefecture) -> &Zone {
        // Validated at load: every prefecture's zone exists.
        self.zones.iter().find(|z| z.key == p.zone).unwrap_or(&self.zones[0])
    }

    /// Position of a prefecture in official order.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.list.iter().position(|p| p.name == name)
    }

    /// The prefecture written as `text` (any accepted spelling, width and white space ignored).
    pub fn lookup(&self, text: &str) -> Option<&Prefecture> {
        self.by_key.get(&fold_key(text)).map(|&i| &self.list[i])
    }

    /// The prefecture named somewhere inside `text` (a file name, a label), preferring the longest
    /// spelling found; `None` when two different prefectures are named.
    pub fn find_in(&self, text: &str) -> Option<&Prefecture> {
        let key = fold_key(text);
        let mut found: Option<usize> = None;
        let mut rest = key.clone();
        for (needle, i) in &self.needles {
            if rest.contains(needle.as_str()) {
                match found {
                    Some(j) if j != *i => return None,
                    _ => found = Some(*i),
                }
                // Remove the match so a shorter spelling of the same name inside it is not counted twice.
                rest = rest.replace(needle.as_str(), "\u{0}");
            }
        }
        found.map(|i| &self.list[i])
    }

    /// Every accepted spelling, for messages that list them.
    pub fn names(&self) -> Vec<&str> {
        self.list.iter().map(|p| p.name.as_str()).collect()
    }

    fn new(file: PrefectureFile) -> Result<Self, String> {
        let mut by_key: HashMap<String, usize> = HashMap::new();
        for (i, p) in file.prefectures.iter().enumerate() {
            if !file.zones.iter().any(|z| z.key == p.zone) {
                return Err(format!("{} 的经济区 {} 未定义", p.name, p.zone));
            }
            let stem = p.name.trim_end_matches('市').to_string();
            let spellings = [p.name.clone(), p.short.clone(), p.code.clone(), stem]
                .into_iter()
                .chain(p.aliases.iter().cloned());
            for s in spellings {
                let k = fold_key(&s);
                if k.is_empty() {
                    continue;
                }
                if let Some(&j) = by_key.get(&k)
                    && j != i
                {
                    return Err(format!("写法 {s} 同时指向 {} 和 {}", file.prefectures[j].name, p.name));
                }
                by_key.insert(k, i);
            }
        }
        if file.zones.is_empty() {
            return Err("没有定义经济区".into());
        }
        // Codes are not searched inside text: six digits occur in phone numbers and dates.
        let mut needles: Vec<(String, usize)> = by_key
            .iter()
            .filter(|(k, _)| k.chars().count() >= 2 && !k.chars().all(|c| c.is_ascii_digit()))
            .map(|(k, &i)| (k.clone(), i))
            .collect();
        needles.sort_by(|a, b| b.0.chars().count().cmp(&a.0.chars().count()).then(a.0.cmp(&b.0)));
        Ok(Prefectures { list: file.prefectures, zones: file.zones, by_key, needles })
    }
}

/// A section of 附件1.
#[derive(Debug, Clone, Deserialize)]
pub struct TaskGroup {
    pub name: String,
    pub first: u32,
    pub last: u32,
}

/// One of the 36 tasks of 附件1, as printed in the plan.
#[derive(Debug, Clone, Deserialize)]
pub struct Task {
    pub no: u32,
    pub group: String,
    pub content: String,
    pub guiding: String,
    pub responsible: String,
    pub cooperating: String,
    /// The 责任单位 and 配合单位 cells continue the merged cells of the task above.
    #[serde(default)]
    pub continues_above: bool,
}

/// A column of a table people fill in, with the headers accepted for it.
#[derive(Debug, Clone, Deserialize)]
pub struct ColumnSpec {
    pub key: String,
    pub name: String,
    #[serde(default = "yes")]
    pub official: bool,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub mandatory: bool,
    pub width: f64,
    #[serde(default)]
    pub aliases: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
struct TaskFile {
    title: String,
    statuses: Vec<String>,
    status_aliases: BTreeMap<String, Vec<String>>,
    progress_columns: Vec<ColumnSpec>,
    status_words: StatusWords,
    groups: Vec<TaskGroup>,
    tasks: Vec<Task>,
}

/// 附件1: the tasks, their groups, the statuses a prefecture reports and the progress sheet's columns.
#[derive(Debug, Clone)]
pub struct Tasks {
    pub title: String,
    pub statuses: Vec<String>,
    pub groups: Vec<TaskGroup>,
    pub tasks: Vec<Task>,
    pub columns: Vec<ColumnSpec>,
    pub status_words: StatusWords,
    status_by_key: HashMap<String, String>,
}

/// Words in a task's 推进情况 that say where it stands, to check its 完成状态 against.
#[derive(Debug, Clone, Deserialize)]
pub struct StatusWords {
    pub done: Vec<String>,
    pub not_started: Vec<String>,
    pub negations: Vec<String>,
}

impl StatusWords {
    /// The words as matching keys ([`fold_key`]), folded once when the reference data loads.
    fn folded(mut self) -> Self {
        for list in [&mut self.done, &mut self.not_started, &mut self.negations] {
            list.iter_mut().for_each(|w| *w = fold_key(w));
        }
        self
    }
}

/// Words that tell a ledger row that is not an enterprise (a total, a heading), and the endings of an
/// organisation's name, for the plausibility checks.
#[derive(Debug, Clone, Deserialize)]
pub struct RowWords {
    pub totals: Vec<String>,
    pub subtotals: Vec<String>,
    pub counters: Vec<String>,
    pub count_nouns: Vec<String>,
    pub organisation_suffixes: Vec<String>,
    pub name_separators: Vec<String>,
    pub placeholders: Vec<String>,
    pub end_markers: Vec<String>,
}

impl RowWords {
    /// Turns the words into matching keys ([`fold_key`]) once, when the reference data loads, since every
    /// cell of every row is compared with them. The separators are characters, not words, and stay.
    fn fold(&mut self) {
        for list in [
            &mut self.totals,
            &mut self.subtotals,
            &mut self.counters,
            &mut self.count_nouns,
            &mut self.organisation_suffixes,
            &mut self.placeholders,
            &mut self.end_markers,
        ] {
            list.iter_mut().for_each(|w| *w = fold_key(w));
        }
    }
}

impl Tasks {
    /// The task numbered `no`.
    pub fn get(&self, no: u32) -> Option<&Task> {
        self.tasks.iter().find(|t| t.no == no)
    }

    /// The canonical status written as `text`, if it is one of the statuses or their aliases.
    pub fn status(&self, text: &str) -> Option<&str> {
        self.status_by_key.get(&fold_key(text)).map(String::as_str)
    }

    /// The 责任单位 and 配合单位 that apply to a task, following merged cells upwards.
    pub fn effective_units(&self, no: u32) -> (&str, &str) {
        let mut i = self.tasks.iter().position(|t| t.no == no).unwrap_or(0);
        while i > 0 && self.tasks[i].continues_above {
            i -= 1;
        }
        let t = &self.tasks[i];
        (&t.responsible, &t.cooperating)
    }

    /// The column spec with `key`.
    pub fn column(&self, key: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.key == key)
    }

    fn new(file: TaskFile) -> Result<Self, String> {
        for (i, t) in file.tasks.iter().enumerate() {
            if t.no as usize != i + 1 {
                return Err(format!("任务应按 1、2、3… 连续编号,第 {} 项编号为 {}", i + 1, t.no));
            }
            if !file.groups.iter().any(|g| g.name == t.group && (g.first..=g.last).contains(&t.no)) {
                return Err(format!("任务 {} 的类别 {} 与 groups 不符", t.no, t.group));
            }
        }
        if file.tasks.first().is_some_and(|t| t.continues_above) {
            return Err("第一项任务不能 continues_above".into());
        }
        let mut status_by_key = HashMap::new();
        for s in &file.statuses {
            status_by_key.insert(fold_key(s), s.clone());
        }
        for (s, aliases) in &file.status_aliases {
            if !file.statuses.contains(s) {
                return Err(format!("status_aliases 中的 {s} 不在 statuses 中"));
            }
            for a in aliases {
                status_by_key.insert(fold_key(a), s.clone());
            }
        }
        for key in ["no", "content", "status", "narrative", "value"] {
            if !file.progress_columns.iter().any(|c| c.key == key) {
                return Err(format!("progress_columns 缺少 {key}"));
            }
        }
        Ok(Tasks {
            title: file.title,
            statuses: file.statuses,
            groups: file.groups,
            tasks: file.tasks,
            columns: file.progress_columns,
            status_words: file.status_words.folded(),
            status_by_key,
        })
    }
}

/// Labels of the note lines around a table, by the kind of value they carry.
#[derive(Debug, Clone, Deserialize)]
pub struct NoteLabels {
    pub filler: Vec<String>,
    pub phone: Vec<String>,
    pub reviewer: Vec<String>,
    pub date: Vec<String>,
    pub remark: Vec<String>,
    pub prefecture: Vec<String>,
}

/// 附件2: the ledger's columns, industries and the labels found around the table.
#[derive(Debug, Clone, Deserialize)]
pub struct Ledger {
    pub title: String,
    pub columns: Vec<ColumnSpec>,
    pub group_headers: Vec<String>,
    pub prefecture_headers: Vec<String>,
    pub industries: Vec<String>,
    pub industry_hints: BTreeMap<String, String>,
    pub notes: NoteLabels,
    pub rows: RowWords,
    /// The positions of the columns taizhang itself reads, resolved once when the data loads.
    #[serde(skip)]
    pub keys: LedgerKeys,
    /// Each industry's matching key ([`fold_key`]) and its place in `industries`, made once when the data
    /// loads: every row's industry, and every name the plausibility checks test, is looked up here.
    #[serde(skip)]
    industry_keys: HashMap<String, usize>,
}

/// Where the columns taizhang reads by meaning stand among [`Ledger::columns`]: resolved once when the
/// reference data loads (which refuses a `ledger.toml` without them), so that no caller looks a column
/// up by its key or guesses where it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LedgerKeys {
    /// 序号.
    pub seq: usize,
    /// 所属(产业)行业.
    pub industry: usize,
    /// 提升企业名称.
    pub enterprise: usize,
    /// 主导产品.
    pub product: usize,
    /// 统一社会信用代码, when the ledger has the column.
    pub uscc: Option<usize>,
}

impl Ledger {
    /// The column spec with `key`.
    pub fn column(&self, key: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.key == key)
    }

    /// Index of the column with `key`.
    pub fn column_index(&self, key: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.key == key)
    }

    /// The list entry an industry value stands for, when it is one (width and spaces ignored).
    pub fn industry(&self, text: &str) -> Option<&str> {
        // Most values are picked from the dropdown and match an entry exactly.
        if let Some(i) = self.industries.iter().find(|i| *i == text) {
            return Some(i);
        }
        self.industry_keys.get(&fold_key(text)).map(|&i| self.industries[i].as_str())
    }

    /// The list entry closest to an industry value that is not in the list, for a finding's suggestion.
    pub fn suggest_industry(&self, text: &str) -> Option<&str> {
        let k = fold_key(text);
        if k.is_empty() {
            return None;
        }
        // A list entry written inside the value ("白酒酿造"), the longest first.
        let longest = |pred: &dyn Fn(&str) -> bool| {
            self.industries.iter().filter(|i| pred(&fold_key(i))).max_by_key(|i| i.chars().count()).map(String::as_str)
        };
        if let Some(i) = longest(&|ik| k.contains(ik)) {
            return Some(i);
        }
        // A hint word inside the value ("家电" → 家用电器); the longest hint wins.
        let hint = self
            .industry_hints
            .iter()
            .filter(|(w, _)| k.contains(&fold_key(w)))
            .max_by_key(|(w, _)| w.chars().count());
        if let Some((_, target)) = hint {
            return self.industries.iter().find(|i| *i == target).map(String::as_str);
        }
        // The value inside an entry ("电线" → 电线电缆).
        if let Some(i) = longest(&|ik| ik.contains(k.as_str())) {
            return Some(i);
        }
        // Otherwise the most similar entry, if it is similar at all.
        self.industries
            .iter()
            .map(|i| (strsim::normalized_levenshtein(&fold_key(i), &k), i))
            .filter(|(s, _)| *s >= 0.5)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, i)| i.as_str())
    }

    /// Checks the rules the rest of taizhang relies on and resolves [`Ledger::keys`].
    fn validate(&mut self) -> Result<(), String> {
        for key in ["seq", "industry", "enterprise", "product", "problems", "goal", "measures", "progress"] {
            if self.column(key).is_none() {
                return Err(format!("columns 缺少 {key}"));
            }
        }
        let at = |key: &str| self.column_index(key).unwrap_or_default();
        self.keys = LedgerKeys { seq: at("seq"), industry: at("industry"), enterprise: at("enterprise"), product: at("product"), uscc: self.column_index("uscc") };
        // The first of two entries folding to one key wins, as the list's order did when it was searched.
        for (i, industry) in self.industries.iter().enumerate() {
            self.industry_keys.entry(fold_key(industry)).or_insert(i);
        }
        for (w, t) in &self.industry_hints {
            if !self.industries.contains(t) {
                return Err(format!("industry_hints 中 {w} 指向的 {t} 不在 industries 中"));
            }
        }
        Ok(())
    }
}

/// Sheet names of the template.
#[derive(Debug, Clone, Deserialize)]
pub struct SheetNames {
    pub instructions: String,
    pub ledger: String,
    pub progress: String,
    pub lists: String,
    pub meta: String,
    pub feedback: String,
}

/// Wording of the template's ledger sheet.
#[derive(Debug, Clone, Deserialize)]
pub struct LedgerLayout {
    pub rows: u32,
    pub title: String,
    pub prefecture_label: String,
    pub date_label: String,
    pub filler_label: String,
    pub phone_label: String,
}

/// Wording of the template's progress sheet.
#[derive(Debug, Clone, Deserialize)]
pub struct ProgressLayout {
    pub title: String,
    pub subtitle: String,
}

/// Wording of the template's instructions sheet.
#[derive(Debug, Clone, Deserialize)]
pub struct Instructions {
    pub title: String,
    pub lines: Vec<String>,
}

/// Layout and wording of the workbook sent to each prefecture.
#[derive(Debug, Clone, Deserialize)]
pub struct TemplateLayout {
    pub version: u32,
    pub file_name: String,
    pub sheets: SheetNames,
    pub ledger: LedgerLayout,
    pub progress: ProgressLayout,
    pub instructions: Instructions,
}

/// Wording of the messages `taizhang mail` sends.
#[derive(Debug, Clone, Deserialize)]
pub struct MailText {
    pub subject: String,
    pub body: String,
    pub feedback_subject: String,
    pub feedback_body: String,
    /// Filled in for `{link_paragraph}` when a prefecture has an upload link; none in an older copy.
    #[serde(default)]
    pub link_paragraph: String,
}

/// How an indicator's value is compared with its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    AtLeast,
    AtMost,
    /// A percentage to be kept at or above the target.
    Rate,
}

/// Whether a target is for the province as a whole or for every prefecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Province,
    Prefecture,
}

/// The period a target counts over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Horizon {
    /// Cumulative over the plan (2018–2020).
    #[serde(rename = "by_2020")]
    By2020,
    /// Each calendar year, counted from January.
    PerYear,
}

/// How the province figure is formed from what the prefectures report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// The sum of the prefectures' values.
    Sum,
    /// The number of prefectures meeting the per-prefecture target.
    Count,
    /// Reported by the province itself.
    Province,
}

/// Where a prefecture's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Typed in the template's indicator sheet.
    Return,
    /// Counted from the 附件2 ledger (enterprises helped): never asked again.
    Ledger,
    /// Not reported by prefectures.
    Province,
}

/// One quantified target of the plan.
#[derive(Debug, Clone, Deserialize)]
pub struct Indicator {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub unit: String,
    pub target: f64,
    #[serde(default)]
    pub target_high: Option<f64>,
    pub comparison: Comparison,
    pub scope: Scope,
    pub horizon: Horizon,
    pub task: u32,
    pub aggregate: Aggregate,
    pub source: Source,
    pub asked: bool,
    #[serde(default)]
    pub province_target: Option<f64>,
    pub quote: String,
    /// Other wordings of the same target in the plan (附件1 restates most of them).
    #[serde(default)]
    pub also: Vec<String>,
    /// A short name for tight places (the rollup's per-prefecture table); the name when absent.
    #[serde(default)]
    pub short: Option<String>,
    /// For a per-prefecture target the plan sets only for some prefectures ("经济基础较好的市州"): who it
    /// is for, shown instead of 每个市州. A prefecture below it is then not marked as behind.
    #[serde(default)]
    pub applies_to: Option<String>,
}

impl Indicator {
    /// The short name, or the name.
    pub fn short(&self) -> &str {
        self.short.as_deref().unwrap_or(&self.name)
    }

    /// Whether the unit is a percentage.
    pub fn is_percent(&self) -> bool {
        self.unit == "%"
    }

    /// Whether every prefecture is held to the target (a 每个市州 target, not one for some of them).
    pub fn binds_every_prefecture(&self) -> bool {
        self.scope == Scope::Prefecture && self.applies_to.is_none()
    }
}

/// The plan's quantified targets (`indicators.toml`).
#[derive(Debug, Clone, Deserialize)]
pub struct Indicators {
    /// Name of the sheet in the template and the rollup.
    pub sheet: String,
    pub title: String,
    /// How each target is spread over the quarters before it is due (序时进度).
    #[serde(default)]
    pub schedule: ScheduleRules,
    pub indicators: Vec<Indicator>,
}

/// The quarters a per-year target is spread over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum YearQuarters {
    /// The year's quarters within the plan (2018: Q3 and Q4).
    Plan,
    /// Always Q1 to Q4.
    Calendar,
}

/// How a province-wide target is shared among the prefectures for their own 序时进度.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Share {
    /// The target divided by the number of prefectures.
    Equal,
}

/// 序时进度 as `indicators.toml` `[schedule]` writes it: the plan's quarters, the spread of a per-year
/// target, and the bands of 超进度 / 达进度 / 欠进度 (see `history::schedule`, which applies it).
#[derive(Debug, Clone, Deserialize)]
pub struct ScheduleRules {
    /// The plan's first collected quarter.
    pub first: crate::Period,
    /// The plan's last collected quarter: a by_2020 target is due then.
    pub last: crate::Period,
    pub per_year: YearQuarters,
    /// 超进度 at or above this multiple of what is due.
    pub ahead: f64,
    /// 欠进度 below this multiple of what is due.
    pub behind: f64,
    pub prefecture_share: Share,
}

impl Default for ScheduleRules {
    /// The plan's own: 2018Q3 to 2020Q4, per-year targets over the year's quarters within the plan.
    fn default() -> Self {
        ScheduleRules {
            first: crate::Period { year: 2018, quarter: 3 },
            last: crate::Period { year: 2020, quarter: 4 },
            per_year: YearQuarters::Plan,
            ahead: 1.1,
            behind: 1.0,
            prefecture_share: Share::Equal,
        }
    }
}

impl ScheduleRules {
    fn validate(&self) -> Result<(), String> {
        if self.first > self.last {
            return Err(format!("[schedule] first ({}) 晚于 last ({})", self.first, self.last));
        }
        if !(self.behind.is_finite() && self.ahead.is_finite() && self.behind > 0.0 && self.ahead >= self.behind) {
            return Err(format!("[schedule] 应有 0 < behind ≤ ahead(现为 behind = {},ahead = {})", self.behind, self.ahead));
        }
        Ok(())
    }
}

/// What an item of the assessment measures (`assessment.toml`, `measure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    OnTime,
    FirstClean,
    RoundsUntilClean,
    Enterprises,
    TasksFilled,
    IndicatorsOnPace,
}

/// One item of the assessment.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct AssessmentItem {
    pub id: String,
    pub name: String,
    /// Full points.
    pub weight: f64,
    pub measure: Measure,
    /// Points taken per day late or per further round.
    #[serde(default)]
    pub deduct: Option<f64>,
    /// The rule as printed.
    pub rule: String,
}

/// A grade band: a score at or above `min` gets `grade`.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct GradeBand {
    pub grade: String,
    pub min: f64,
}

/// How the cumulative score is formed from the period scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cumulative {
    /// The average of the period scores.
    Mean,
}

/// Whom the period's 通报 names under 表扬 and 督促, by grade (`assessment.toml`, `[notice]`).
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct NoticeRules {
    #[serde(default)]
    pub praise_grades: Vec<String>,
    #[serde(default)]
    pub praise_rule: String,
    #[serde(default)]
    pub urge_grades: Vec<String>,
    /// Whether a prefecture with no return in the period is urged too.
    #[serde(default)]
    pub urge_missing: bool,
    #[serde(default)]
    pub urge_rule: String,
}

/// The assessment's rules (`assessment.toml`): items with their weights, grade bands, the cumulative score.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct AssessmentRules {
    pub title: String,
    pub cumulative: Cumulative,
    /// Whom the 通报 names (none in an older copy of the file).
    #[serde(default)]
    pub notice: NoticeRules,
    pub grades: Vec<GradeBand>,
    pub items: Vec<AssessmentItem>,
}

impl AssessmentRules {
    fn validate(&self) -> Result<(), String> {
        let total: f64 = self.items.iter().map(|i| i.weight).sum();
        if (total - 100.0).abs() > 1e-9 {
            return Err(format!("各项权重之和应为 100,现为 {total}"));
        }
        if self.grades.is_empty() || self.grades.windows(2).any(|w| w[0].min <= w[1].min) {
            return Err("grades 应从高到低排列,min 逐项递减".into());
        }
        if self.grades.last().is_some_and(|g| g.min > 0.0) {
            return Err("最低一档的 min 应为 0".into());
        }
        for i in &self.items {
            if !(i.weight.is_finite() && i.weight > 0.0) {
                return Err(format!("考核项 {} 的权重应为正数", i.id));
            }
            let needs = matches!(i.measure, Measure::OnTime | Measure::RoundsUntilClean);
            if needs && i.deduct.is_none_or(|d| !(d.is_finite() && d >= 0.0)) {
                return Err(format!("考核项 {} 须写明 deduct(每天或每轮扣的分)", i.id));
            }
        }
        Ok(())
    }

    /// The grade of a score.
    pub fn grade(&self, score: f64) -> &str {
        self.grades.iter().find(|g| score >= g.min - 1e-9).or(self.grades.last()).map_or("", |g| g.grade.as_str())
    }
}

impl Indicators {
    /// The indicator with `id`.
    pub fn get(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    /// The indicators the template asks prefectures for, in order.
    pub fn asked(&self) -> impl Iterator<Item = &Indicator> {
        self.indicators.iter().filter(|i| i.asked)
    }

    /// The indicator a name written in a sheet stands for (its name or an alias; width and spaces ignored).
    pub fn lookup(&self, text: &str) -> Option<&Indicator> {
        let k = fold_key(text);
        if k.is_empty() {
            return None;
        }
        self.indicators.iter().find(|i| std::iter::once(&i.name).chain(&i.aliases).any(|n| fold_key(n) == k))
    }

    fn validate(&self, tasks: &Tasks) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for i in &self.indicators {
            if !seen.insert(i.id.as_str()) {
                return Err(format!("指标 {} 重复", i.id));
            }
            if tasks.get(i.task).is_none() {
                return Err(format!("指标 {} 的任务 {} 不存在", i.id, i.task));
            }
            if i.aggregate == Aggregate::Count && i.scope != Scope::Prefecture {
                return Err(format!("指标 {} 按达标市州数汇总,scope 应为 prefecture", i.id));
            }
            if i.source == Source::Ledger && i.id != "sme_helped" {
                return Err(format!("指标 {}:只有 sme_helped 可以由台账统计", i.id));
            }
            if i.asked && i.aggregate == Aggregate::Province {
                return Err(format!("指标 {} 由省局填报,不应在模板中向市州询问", i.id));
            }
            if i.applies_to.is_some() && i.scope != Scope::Prefecture {
                return Err(format!("指标 {}:applies_to 只用于 scope = prefecture 的指标", i.id));
            }
            if i.asked && i.source == Source::Ledger {
                return Err(format!("指标 {} 由台账统计,不应再在模板中填写", i.id));
            }
            if !(i.target.is_finite() && i.target > 0.0) {
                return Err(format!("指标 {} 的目标值应为正数", i.id));
            }
        }
        if self.sheet.chars().count() > 31 {
            return Err("sheet 名称超过31个字符".into());
        }
        if !self.indicators.iter().any(|i| i.source == Source::Ledger && i.scope == Scope::Prefecture) {
            return Err("缺少由台账统计的每个市州帮扶企业数指标(sme_helped)".into());
        }
        Ok(())
    }

    /// The number of enterprises every prefecture is to help (每个市州精准帮扶至少50家): the target of the
    /// indicator counted from the ledger, which loading makes sure exists.
    pub fn enterprises_target(&self) -> usize {
        self.indicators.iter().find(|i| i.source == Source::Ledger && i.scope == Scope::Prefecture).map_or(0, |i| i.target.round() as usize)
    }
}

/// Everything taizhang knows about the collection, loaded once and passed by reference.
#[derive(Debug, Clone)]
pub struct RefData {
    pub prefectures: Prefectures,
    pub tasks: Tasks,
    pub ledger: Ledger,
    pub template: TemplateLayout,
    pub mail: MailText,
    pub indicators: Indicators,
    /// How each prefecture's reporting is scored (`assessment.toml`).
    pub assessment: AssessmentRules,
}

impl RefData {
    /// The reference data built into the binary.
    ///
    /// # Errors
    /// Only if the embedded files are inconsistent, which the test suite rules out.
    pub fn embedded() -> Result<Self, RefDataError> {
        Self::load(None)
    }

    /// The embedded reference data, with any file present in `dir` used instead of the embedded one.
    ///
    /// # Errors
    /// When a file in `dir` cannot be read, is not valid TOML, or breaks a rule (see [`RefDataError`]).
    pub fn load(dir: Option<&Path>) -> Result<Self, RefDataError> {
        if let Some(d) = dir
            && !d.is_dir()
        {
            return Err(RefDataError::Io {
                path: d.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "目录不存在"),
            });
        }
        let text = |name: &str| -> Result<String, RefDataError> {
            if let Some(d) = dir {
                let p = d.join(name);
                if p.is_file() {
                    return fs::read_to_string(&p).map_err(|source| RefDataError::Io { path: p, source });
                }
            }
            Ok(EMBEDDED.iter().find(|(n, _)| *n == name).map(|(_, t)| t.to_string()).unwrap_or_default())
        };
        fn parse<T: serde::de::DeserializeOwned>(name: &str, text: &str) -> Result<T, RefDataError> {
            toml::from_str(text).map_err(|e| RefDataError::Parse { file: name.into(), message: e.to_string() })
        }
        fn invalid(file: &'static str) -> impl Fn(String) -> RefDataError {
            move |message| RefDataError::Invalid { file: file.into(), message }
        }

        let prefectures = Prefectures::new(parse("prefectures.toml", &text("prefectures.toml")?)?)
            .map_err(invalid("prefectures.toml"))?;
        let tasks = Tasks::new(parse("tasks.toml", &text("tasks.toml")?)?).map_err(invalid("tasks.toml"))?;
        let mut ledger: Ledger = parse("ledger.toml", &text("ledger.toml")?)?;
        ledger.validate().map_err(invalid("ledger.toml"))?;
        ledger.rows.fold();
        let template: TemplateLayout = parse("template.toml", &text("template.toml")?)?;
        let mail: MailText = parse("mail.toml", &text("mail.toml")?)?;
        let indicators: Indicators = parse("indicators.toml", &text("indicators.toml")?)?;
        indicators.validate(&tasks).map_err(invalid("indicators.toml"))?;
        indicators.schedule.validate().map_err(invalid("indicators.toml"))?;
        let assessment: AssessmentRules = parse("assessment.toml", &text("assessment.toml")?)?;
        assessment.validate().map_err(invalid("assessment.toml"))?;
        Ok(RefData { prefectures, tasks, ledger, template, mail, indicators, assessment })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_data_loads() {
        let r = RefData::embedded().unwrap();
        assert_eq!(r.prefectures.all().len(), 21);
        assert_eq!(r.tasks.tasks.len(), 36);
        assert_eq!(r.ledger.columns.len(), 9);
    }

    #[test]
    fn prefecture_spellings() {
        let r = RefData::embedded().unwrap();
        let p = &r.prefectures;
        assert_eq!(p.lookup("阿坝州").unwrap().name, "阿坝藏族羌族自治州");
        assert_eq!(p.lookup(" 凉山 ").unwrap().name, "凉山彝族自治州");
        assert_eq!(p.lookup("510100").unwrap().name, "成都市");
        assert_eq!(p.lookup("成 都").unwrap().name, "成都市");
        assert!(p.lookup("重庆市").is_none());
        assert_eq!(p.find_in("2018Q3-阿坝州质量提升台账(修改)").unwrap().name, "阿坝藏族羌族自治州");
        assert_eq!(p.find_in("绵阳市台账").unwrap().name, "绵阳市");
        assert!(p.find_in("成都市和绵阳市").is_none());
        assert!(p.find_in("台账").is_none());
    }

    #[test]
    fn industry_suggestions() {
        let r = RefData::embedded().unwrap();
        let l = &r.ledger;
        assert_eq!(l.industry("白 酒"), Some("白酒"));
        assert_eq!(l.suggest_industry("白酒酿造"), Some("白酒"));
        assert_eq!(l.suggest_industry("家电"), Some("家用电器"));
        assert_eq!(l.suggest_industry("化肥生产"), Some("农资"));
        assert_eq!(l.suggest_industry("航天航空"), None);
    }

    #[test]
    fn merged_units_follow_the_task_above() {
        let r = RefData::embedded().unwrap();
        assert_eq!(r.tasks.effective_units(19), ("市州质量监督部门", "省质检院"));
        assert_eq!(r.tasks.effective_units(1).0, "市州质量监督部门");
        assert_eq!(r.tasks.status("进行中"), Some("推进中"));
        assert_eq!(r.tasks.status("已完成"), Some("已完成"));
    }
}
