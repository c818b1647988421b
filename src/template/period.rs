//! A period's templates as one operation: the prefectures chosen, each template prefilled from last
//! quarter's rollup when one is given (its enterprises, its task progress, its indicator values), and
//! what the prefill found said back. The command prints it; the console shows it.

use std::path::PathBuf;

use crate::period::Period;
use crate::refdata::RefData;

use super::{TemplateOptions, TemplateReport, resolve_prefectures, write_templates};

/// The templates of a period to write.
#[derive(Debug, Clone)]
pub struct TemplateRequest {
    pub period: Period,
    pub out: PathBuf,
    /// Names as the office wrote them (any accepted spelling); empty means all 21.
    pub prefectures: Vec<String>,
    pub deadline: Option<chrono::NaiveDate>,
    pub force: bool,
    /// Last quarter's rollup: each prefecture's rows go into its template.
    pub from: Option<PathBuf>,
}

/// What the prefill from last quarter's rollup found.
#[derive(Debug, Clone)]
pub struct Prefilled {
    pub from: PathBuf,
    /// The period of that rollup, when it says.
    pub period: Option<Period>,
    /// Prefectures whose rows go into their template, and the rows.
    pub prefectures: usize,
    pub rows: usize,
    /// Prefectures chosen that had not reported in that rollup: their template stays blank.
    pub blank: Vec<String>,
}

/// The templates written, and the prefill.
#[derive(Debug)]
pub struct TemplateRun {
    pub report: TemplateReport,
    pub prefilled: Option<Prefilled>,
}

/// Writes the period's templates.
///
/// # Errors
/// An unknown prefecture name, a rollup that cannot be read, or an output folder that cannot be created.
pub fn write_period(refdata: &RefData, req: &TemplateRequest) -> Result<TemplateRun, crate::Error> {
    let prefectures = resolve_prefectures(refdata, &req.prefectures)?;
    let mut prefill = Vec::new();
    let mut prefilled = None;
    if let Some(from) = &req.from {
        let rollup = crate::rollup::readback::read_rollup(refdata, from)?;
        prefill = crate::rollup::readback::prefill(&rollup);
        let all: Vec<&str> = refdata.prefectures.all().iter().map(|p| p.name.as_str()).collect();
        let chosen: Vec<&str> = if prefectures.is_empty() { all } else { prefectures.iter().map(String::as_str).collect() };
        let blank = chosen.into_iter().filter(|p| !rollup.has_reported(p)).map(str::to_string).collect();
        prefilled = Some(Prefilled { from: from.clone(), period: rollup.period, prefectures: prefill.len(), rows: rollup.rows.len(), blank });
        super::add_indicator_prefill(refdata, &rollup.indicators, req.period, &mut prefill);
    }
    let opts = TemplateOptions { period: req.period, deadline: req.deadline, prefectures, out_dir: req.out.clone(), force: req.force, prefill };
    let report = write_templates(refdata, &opts)?;
    Ok(TemplateRun { report, prefilled })
}
