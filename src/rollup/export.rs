//! The rollup's data as files other programs read: CSV for Excel (UTF-8 with a BOM, formulas defused)
//! and Parquet for polars, DuckDB and Spark — the ledger, the task progress, the findings and the
//! indicator figures, column names as in the rollup.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::output::{check_output, write_atomic};
use crate::refdata::RefData;
use crate::Error;

use super::merge::{self, Merged};

/// Prefixes text that a spreadsheet program would run as a formula (= + - @ at the start), so a CSV
/// export opened in Excel shows the text. Numbers such as "-5" are left alone.
pub fn defuse_formula(s: &str) -> std::borrow::Cow<'_, str> {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.trim().parse::<f64>().is_err();
    if risky { std::borrow::Cow::Owned(format!("'{s}")) } else { std::borrow::Cow::Borrowed(s) }
}

fn defused(df: &DataFrame) -> PolarsResult<DataFrame> {
    let mut columns = Vec::with_capacity(df.width());
    for c in df.columns() {
        if c.dtype() == &DataType::String {
            let ca = c.str()?;
            let v: Vec<Option<String>> = ca.iter().map(|v| v.map(|s| defuse_formula(s).into_owned())).collect();
            columns.push(Column::new(c.name().clone(), v));
        } else {
            columns.push(c.clone());
        }
    }
    DataFrame::new(df.height(), columns)
}

fn csv_bytes(df: &DataFrame) -> PolarsResult<Vec<u8>> {
    let mut df = defused(df)?;
    // A UTF-8 BOM so that Excel on Chinese Windows opens the file as UTF-8.
    let mut buf = b"\xEF\xBB\xBF".to_vec();
    CsvWriter::new(&mut buf).include_header(true).finish(&mut df)?;
    Ok(buf)
}

fn findings_frame(m: &Merged) -> PolarsResult<DataFrame> {
    let rows: Vec<[String; 11]> = m.findings.iter().map(|f| f.table_row(&f.file)).collect();
    // An empty value is a null, as the export always wrote it.
    let columns = crate::finding::TABLE_COLUMNS
        .iter()
        .enumerate()
        .map(|(k, name)| Column::new((*name).into(), rows.iter().map(|r| Some(r[k].as_str()).filter(|v| !v.is_empty())).collect::<Vec<Option<&str>>>()))
        .collect();
    DataFrame::new(rows.len(), columns)
}

fn progress_export(m: &Merged) -> PolarsResult<DataFrame> {
    let keep: Vec<String> = m.progress.get_column_names().iter().filter(|n| !n.starts_with('_')).map(|n| n.to_string()).collect();
    m.progress.select(keep)
}

/// The indicator figures as a frame: one row per indicator, the province figure, rate and status, the
/// change since the previous rollup when there is one, then one column per prefecture (canonical names).
pub fn indicators_frame(refdata: &RefData, m: &Merged) -> PolarsResult<DataFrame> {
    use crate::indicators::{horizon_text, target_text};
    use crate::rollup::layout::indicator_cols as rc;
    let inds = &refdata.indicators.indicators;
    let figs = &m.indicators;
    let n = inds.len();
    let num = |g: &dyn Fn(&crate::indicators::Figure) -> Option<f64>| figs.figures.iter().map(g).collect::<Vec<Option<f64>>>();
    let mut columns = vec![
        Column::new(rc::NO.into(), (1..=n as u32).collect::<Vec<u32>>()),
        Column::new("指标代码".into(), inds.iter().map(|i| i.id.clone()).collect::<Vec<String>>()),
        Column::new(rc::NAME.into(), inds.iter().map(|i| i.name.clone()).collect::<Vec<String>>()),
        Column::new(rc::UNIT.into(), inds.iter().map(|i| i.unit.clone()).collect::<Vec<String>>()),
        Column::new(rc::TARGET.into(), inds.iter().map(target_text).collect::<Vec<String>>()),
        Column::new("目标值".into(), figs.figures.iter().map(|f| f.province_target).collect::<Vec<Option<f64>>>()),
        Column::new(rc::HORIZON.into(), inds.iter().map(|i| horizon_text(i).to_string()).collect::<Vec<String>>()),
        Column::new("附件1任务".into(), inds.iter().map(|i| i.task).collect::<Vec<u32>>()),
        Column::new(rc::EXPECTED.into(), num(&|f| f.expected)),
        Column::new(rc::PROVINCE.into(), num(&|f| f.province)),
        Column::new(rc::TOTAL.into(), num(&|f| f.total)),
        Column::new(rc::RATE.into(), num(&|f| f.rate)),
        Column::new(rc::STATUS.into(), figs.figures.iter().map(|f| f.status.label().to_string()).collect::<Vec<String>>()),
    ];
    if figs.has_previous {
        columns.push(Column::new(rc::PREVIOUS.into(), num(&|f| f.previous)));
        columns.push(Column::new(rc::CHANGE.into(), num(&|f| f.change())));
    }
    for (j, p) in refdata.prefectures.all().iter().enumerate() {
        columns.push(Column::new(p.name.as_str().into(), num(&|f| f.values.get(j).copied().flatten())));
    }
    DataFrame::new(n, columns)
}

/// Where the indicator figures go next to the ledger's Parquet file: `台账.parquet` → `台账-指标完成情况.parquet`.
pub fn indicators_parquet_path(refdata: &RefData, ledger: &Path) -> PathBuf {
    let stem = ledger.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    ledger.with_file_name(format!("{stem}-{}.parquet", refdata.indicators.sheet))
}

/// Where the exports go: a folder of CSV files and a Parquet file (with the indicators' beside it), each
/// when asked for; `force` lets the Parquet files replace files that are there.
#[derive(Debug, Clone, Copy)]
pub(super) struct Targets<'a> {
    pub csv: Option<&'a std::path::Path>,
    pub parquet: Option<&'a std::path::Path>,
    pub force: bool,
}

pub(super) fn write_exports(refdata: &RefData, m: &Merged, cfg: Targets<'_>, inputs: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let polars_err = Error::Export;
    let mut written = Vec::new();
    if cfg.csv.is_none() && cfg.parquet.is_none() {
        return Ok(written);
    }
    // The whole ledger as one frame: only for the exports, which ask for it.
    let ledger = merge::export_frame(refdata, m).map_err(polars_err)?;
    if let Some(dir) = cfg.csv {
        let files = [
            ("台账.csv", csv_bytes(&ledger).map_err(polars_err)?),
            ("任务进展.csv", csv_bytes(&progress_export(m).map_err(polars_err)?).map_err(polars_err)?),
            ("问题清单.csv", csv_bytes(&findings_frame(m).map_err(polars_err)?).map_err(polars_err)?),
            ("指标完成情况.csv", csv_bytes(&indicators_frame(refdata, m).map_err(polars_err)?).map_err(polars_err)?),
        ];
        for (name, bytes) in files {
            let p = dir.join(name);
            check_output(&p, inputs, true)?;
            write_atomic(&p, &bytes)?;
            written.push(p);
        }
    }
    if let Some(p) = cfg.parquet {
        check_output(p, inputs, cfg.force)?;
        let mut df = ledger;
        let mut buf = Vec::new();
        ParquetWriter::new(&mut buf).finish(&mut df).map_err(polars_err)?;
        write_atomic(p, &buf)?;
        written.push(p.to_path_buf());
        let ip = indicators_parquet_path(refdata, p);
        check_output(&ip, inputs, cfg.force)?;
        let mut df = indicators_frame(refdata, m).map_err(polars_err)?;
        let mut buf = Vec::new();
        ParquetWriter::new(&mut buf).finish(&mut df).map_err(polars_err)?;
        write_atomic(&ip, &buf)?;
        written.push(ip);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_numbers_are_not() {
        assert_eq!(defuse_formula("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse_formula("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse_formula("+86 028"), "'+86 028");
        assert_eq!(defuse_formula("-5"), "-5");
        assert_eq!(defuse_formula("四川"), "四川");
    }
}
