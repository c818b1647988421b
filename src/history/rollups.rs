//! A period's tables from a rollup workbook the office already has (`history --from-rollups`), so that
//! the quarters collected before the dataset existed are not lost. A rollup keeps the ledger, the
//! progress, the indicator figures and the 汇总 lines, not the files' arrival times or hashes: those stay
//! empty, and the record says so.

use std::collections::BTreeMap;
use std::path::Path;

use polars::prelude::*;

use crate::refdata::RefData;
use crate::rollup::readback::{Rollup, read_rollup};
use crate::rollup::layout::cols as rc;

use super::dataset::{PeriodTables, Rows};
use super::tables::{self, SubmissionRow};

/// A rollup that cannot be turned into a period of the dataset.
#[derive(Debug, thiserror::Error)]
pub enum RollupsError {
    #[error(transparent)]
    Read(#[from] crate::rollup::readback::ReadbackError),
    #[error("汇总表 {0} 的标题中没有写明期别,无法确定它属于哪一期")]
    NoPeriod(String),
    #[error("整理汇总表 {file} 的数据时出错:{source}")]
    Polars { file: String, source: PolarsError },
}

/// Reads the rollup at `path` into its period's tables.
///
/// # Errors
/// When it cannot be read, is not a rollup, or states no period.
pub fn read(refdata: &RefData, path: &Path) -> Result<PeriodTables<'static>, RollupsError> {
    let file = path.display().to_string();
    let r = read_rollup(refdata, path)?;
    of_rollup(refdata, &r, &file)
}

/// The tables of a rollup read back.
///
/// # Errors
/// When the rollup states no period.
pub fn of_rollup(refdata: &RefData, r: &Rollup, file: &str) -> Result<PeriodTables<'static>, RollupsError> {
    let period = r.period.ok_or_else(|| RollupsError::NoPeriod(file.to_string()))?;
    let pe = |source| RollupsError::Polars { file: file.to_string(), source };
    let adopted: BTreeMap<&str, &str> = r.summary.iter().filter(|l| !l.file.is_empty()).map(|l| (l.prefecture.as_str(), l.file.as_str())).collect();
    let source_of = |p: &str| adopted.get(p).map(|f| f.to_string());
    // The ledger, with the same columns as a consolidation's.
    let names = tables::ledger_columns(refdata);
    let seq = refdata.ledger.keys.seq;
    let field_index = |name: &str| refdata.ledger.columns.iter().position(|c| c.name == name).filter(|i| *i != seq);
    let zones: BTreeMap<String, String> = refdata.prefectures.all().iter().map(|p| (p.name.clone(), refdata.prefectures.zone_of(p).name.clone())).collect();
    let mut columns = Vec::new();
    for name in &names {
        let c = match name.as_str() {
            rc::SEQ => Column::new(rc::SEQ.into(), (1..=r.rows.len() as u32).collect::<Vec<u32>>()),
            rc::PREFECTURE => Column::new(rc::PREFECTURE.into(), r.rows.iter().map(|x| Some(x.prefecture.clone())).collect::<Vec<Option<String>>>()),
            rc::ZONE => Column::new(rc::ZONE.into(), r.rows.iter().map(|x| zones.get(&x.prefecture).cloned()).collect::<Vec<Option<String>>>()),
            rc::FILE => Column::new(rc::FILE.into(), r.rows.iter().map(|x| source_of(&x.prefecture)).collect::<Vec<Option<String>>>()),
            other => match field_index(other) {
                Some(i) => Column::new(other.into(), r.rows.iter().map(|x| Some(x.fields[i].clone()).filter(|t| !t.is_empty())).collect::<Vec<Option<String>>>()),
                None => Column::new(other.into(), vec![None::<String>; r.rows.len()]),
            },
        };
        columns.push(c);
    }
    let ledger = DataFrame::new(r.rows.len(), columns).map_err(pe)?;
    // The progress, as the merge's frame names it.
    let n = r.progress.len();
    let progress = DataFrame::new(
        n,
        vec![
            Column::new(rc::TASK.into(), r.progress.iter().map(|p| p.task).collect::<Vec<u32>>()),
            Column::new(rc::PREFECTURE.into(), r.progress.iter().map(|p| p.prefecture.clone()).collect::<Vec<String>>()),
            Column::new(rc::STATUS.into(), r.progress.iter().map(|p| Some(p.status.clone()).filter(|t| !t.is_empty())).collect::<Vec<Option<String>>>()),
            Column::new(rc::NARRATIVE.into(), r.progress.iter().map(|p| Some(p.narrative.clone()).filter(|t| !t.is_empty())).collect::<Vec<Option<String>>>()),
            Column::new(rc::VALUE.into(), r.progress.iter().map(|p| Some(p.value.clone()).filter(|t| !t.is_empty())).collect::<Vec<Option<String>>>()),
            Column::new(rc::FILE.into(), r.progress.iter().map(|p| source_of(&p.prefecture)).collect::<Vec<Option<String>>>()),
        ],
    )
    .map_err(pe)?;
    let progress = tables::progress_table(&progress, &[]).map_err(pe)?;
    let figures = r.indicators.figures(refdata, period);
    let indicators = tables::indicators_table(refdata, &tables::indicator_rows(refdata, &figures)).map_err(pe)?;
    let submissions = tables::submissions_table(&submission_rows(r), None).map_err(pe)?;
    Ok(PeriodTables { period, ledger: Rows::Frame(ledger), progress, indicators, submissions })
}

/// The files a rollup's 汇总 names: each prefecture's adopted file with its counts, and the files not
/// taken with why (replaced by a later return, or not read).
fn submission_rows(r: &Rollup) -> Vec<SubmissionRow> {
    let replaced = crate::finding::Code::Superseded.title();
    let mut rows = Vec::new();
    for l in &r.summary {
        if !l.file.is_empty() {
            rows.push(SubmissionRow {
                prefecture: Some(l.prefecture.clone()),
                file: l.file.clone(),
                filled_date: Some(l.filled_date.clone()).filter(|d| !d.is_empty()),
                adoption: "采用".into(),
                errors: l.errors,
                warnings: l.warnings,
                infos: l.infos,
                enterprises: l.enterprises,
                tasks: l.tasks,
                stated_period: r.period.map(|p| p.code()),
                ..SubmissionRow::default()
            });
        }
        for (name, why) in &l.unused {
            let superseded = why == replaced;
            rows.push(SubmissionRow {
                prefecture: Some(l.prefecture.clone()),
                file: name.clone(),
                adoption: if superseded { "被替代".into() } else { "未采用".into() },
                superseded_by: superseded.then(|| l.file.clone()).filter(|f| !f.is_empty()),
                why: (!superseded).then(|| why.clone()),
                // Its findings are not kept in the rollup: its counts stay 0 and its round unknown.
                ..SubmissionRow::default()
            });
        }
    }
    rows
}
