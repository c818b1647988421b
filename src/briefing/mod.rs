//! The office's own documents, drafted from the data: the quarter's 质量提升工作简报 and the 通报 on the
//! prefectures. The plan asks the office to "定期刊发简报信息" and to 通报 and 考核 the prefectures; until
//! now an official copied every count from the rollup into Word by hand.
//!
//! The stages: [`figures`] gathers every number from the rollup (and from the dataset when given) into
//! one typed value, [`brief`] and [`notice`] word it with the sentences of [`wording`] into a
//! [`document::Document`], and [`docx`] lays that out as a 公文 with docx-rs. [`draft`] is the one
//! operation the command and the console call.

pub mod brief;
pub mod dataset;
pub mod docx;
pub mod document;
pub mod figures;
pub mod notice;
pub mod wording;

use std::path::PathBuf;

use chrono::NaiveDate;

use crate::output::OutputError;
use crate::period::Period;
use crate::refdata::RefData;
use crate::rollup::readback::{ReadbackError, read_rollup};

pub use figures::{Figures, FiguresError};
pub use wording::{Wording, WordingError};

/// Which document to draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 质量提升工作简报.
    Briefing,
    /// 通报 on the prefectures.
    Notice,
}

impl Kind {
    pub fn label(&self) -> &'static str {
        match self {
            Kind::Briefing => "简报",
            Kind::Notice => "通报",
        }
    }
}

/// The date a document carries: a given day, or today when asked for (never by default, so that the
/// same inputs give the same document).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateChoice {
    On(NaiveDate),
    Today,
}

/// What to draft, from what, into what.
#[derive(Debug, Clone)]
pub struct BriefingRequest {
    pub kind: Kind,
    /// The period's rollup, as `consolidate` wrote it.
    pub rollup: PathBuf,
    /// The previous period's rollup, for the changes since.
    pub previous: Option<PathBuf>,
    /// The dataset of every period, for on time and late and the assessment (the 通报 needs it).
    pub dataset: Option<PathBuf>,
    pub out: PathBuf,
    /// The issue number (第N期, the 通报's 文号); by default the period's place in the plan (2018Q3 is 1).
    pub number: Option<u32>,
    /// By default the rollup's own date ([`Figures::rollup_date`]).
    pub date: Option<DateChoice>,
    /// An edited copy of `templates/briefing.toml`.
    pub wording: Option<PathBuf>,
    pub force: bool,
}

/// A document drafted and written.
#[derive(Debug, Clone)]
pub struct Drafted {
    pub kind: Kind,
    pub out: PathBuf,
    pub period: Period,
    pub number: u32,
    pub date: NaiveDate,
    /// The figures it quotes, for the report printed or shown beside it.
    pub figures: Figures,
}

impl Drafted {
    /// The one-line account of what was written, as the command prints it and the console shows it.
    pub fn summary(&self) -> String {
        let f = &self.figures;
        let missing: Vec<&str> = f.missing().map(|p| p.name.as_str()).collect();
        let missing = if missing.is_empty() { String::new() } else { format!(",未报送:{}", missing.join("、")) };
        let number = match self.kind {
            Kind::Briefing => format!("第{}期", self.number),
            Kind::Notice => format!("{}号", self.number),
        };
        format!(
            "{}{}({number},{}):已报送 {}/{} 个市州,企业 {} 家{missing}。",
            self.period.label(),
            self.kind.label(),
            crate::text::chinese_date(self.date),
            f.returned().count(),
            f.total,
            f.enterprises
        )
    }
}

/// A document that could not be drafted.
#[derive(Debug, thiserror::Error)]
pub enum BriefingError {
    #[error(transparent)]
    Rollup(#[from] ReadbackError),
    #[error(transparent)]
    Figures(#[from] FiguresError),
    #[error(transparent)]
    Wording(#[from] WordingError),
    #[error(transparent)]
    Output(#[from] OutputError),
    /// The 通报 ranks the prefectures by the assessment, which only the dataset holds.
    #[error("通报按考核结果排名,需要历次数据集:请用 --dataset 指定数据集(由 taizhang consolidate --dataset 生成)")]
    NoAssessment,
    /// The dataset given cannot be read for the figures over time.
    #[error("无法从数据集 {path} 读取历次数据: {message}")]
    Dataset { path: String, message: String },
    /// docx-rs could not pack the document (a defect).
    #[error("生成 Word 文档失败: {0}")]
    Docx(#[source] std::io::Error),
}

/// The first period of the plan (2018-2020): 简报 and 通报 are numbered from it by default.
pub const PLAN_START: Period = Period { year: 2018, quarter: 3 };

/// The default issue number of `period`: its place among the plan's quarters (2018Q3 is 1, 2018Q4 is 2 …).
pub fn default_number(period: Period) -> u32 {
    let q = |p: Period| i64::from(p.year) * 4 + i64::from(p.quarter);
    (q(period) - q(PLAN_START) + 1).max(1) as u32
}

/// The document of `kind` for `figures` as .docx bytes.
///
/// # Errors
/// A 通报 without an assessment; docx-rs failing.
pub fn build(figures: &Figures, wording: &Wording, kind: Kind, number: u32, date: NaiveDate) -> Result<Vec<u8>, BriefingError> {
    let doc = match kind {
        Kind::Briefing => brief::draft(figures, wording, number, date),
        Kind::Notice => {
            let a = figures.over_time.assessment.as_ref().ok_or(BriefingError::NoAssessment)?;
            notice::draft(figures, a, wording, number, date)
        }
    };
    docx::render(&doc, &wording.fonts).map_err(BriefingError::Docx)
}

/// The wording to use: an edited copy when given, else the built-in one.
///
/// # Errors
/// When the copy cannot be read or parsed.
pub fn wording(path: Option<&std::path::Path>) -> Result<Wording, WordingError> {
    match path {
        Some(p) => Wording::load(p),
        None => Wording::embedded(),
    }
}

/// Reads the rollup (and the previous one and the dataset when given), drafts the document and writes it.
///
/// # Errors
/// When a rollup or the wording cannot be read, the rollup names no period, a 通报 has no assessment, or
/// the output would overwrite an input or an existing file (without `force`).
pub fn draft(refdata: &RefData, req: &BriefingRequest) -> Result<Drafted, BriefingError> {
    let inputs: Vec<PathBuf> = [Some(req.rollup.clone()), req.previous.clone()].into_iter().flatten().collect();
    crate::output::check_output(&req.out, &inputs, req.force)?;
    let wording = wording(req.wording.as_deref())?;
    let rollup = read_rollup(refdata, &req.rollup)?;
    let previous = req.previous.as_deref().map(|p| read_rollup(refdata, p)).transpose()?;
    let mut figures = Figures::of(refdata, &rollup, previous.as_ref(), &wording.typical)?;
    if let Some(dir) = &req.dataset {
        figures.over_time = dataset::over_time(refdata, dir, figures.period)?;
    }
    let number = req.number.unwrap_or_else(|| default_number(figures.period));
    let date = match req.date {
        Some(DateChoice::On(d)) => d,
        Some(DateChoice::Today) => chrono::Local::now().date_naive(),
        None => figures.rollup_date,
    };
    let bytes = build(&figures, &wording, req.kind, number, date)?;
    crate::output::write_atomic(&req.out, &bytes)?;
    Ok(Drafted { kind: req.kind, out: req.out.clone(), period: figures.period, number, date, figures })
}
