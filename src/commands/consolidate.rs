//! `taizhang consolidate`: read every return, merge, write the provincial rollup (and exports).

use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::import::batch::BatchOptions;
use crate::finding::{Code, Counts};
use crate::rollup::frames::Frames;
use crate::rollup::merge::{self, MergeOptions, Merged, ReturnStatus};
use crate::output::{AtomicError, check_output, write_atomic, write_atomic_with};
use crate::refdata::RefData;
use crate::{Error, ExitStatus};

/// Arguments of `taizhang consolidate`.
#[derive(Debug, Clone)]
pub struct ConsolidateConfig {
    pub paths: Vec<PathBuf>,
    pub out: PathBuf,
    pub csv: Option<PathBuf>,
    pub parquet: Option<PathBuf>,
    pub force: bool,
    pub batch: BatchOptions,
    /// The previous quarter's rollup, to add what changed since.
    pub previous: Option<PathBuf>,
    /// The figures the province reports itself (a sheet of 指标 and 完成值), for the 指标完成情况 sheet.
    pub province_figures: Option<PathBuf>,
    /// Returns taking more bytes than this in all have their rows spilled to disk while the rollup is
    /// made ([`SPILL_ABOVE_BYTES`] unless measuring or testing).
    pub spill_above: u64,
}

/// Above this many bytes of returns (some 90,000 rows of xlsx) each return's rows are spilled to disk as
/// it is read. Below it the frames stay in memory, tens of megabytes at most, and a province's rollup
/// spares the disk round trip.
pub const SPILL_ABOVE_BYTES: u64 = 8 << 20;

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
        Column::new(rc::PROVINCE.into(), num(&|f| f.province)),
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

fn write_exports(refdata: &RefData, m: &Merged, cfg: &ConsolidateConfig, inputs: &[PathBuf], out: &mut dyn Write) -> Result<(), Error> {
    let polars_err = Error::Export;
    if cfg.csv.is_none() && cfg.parquet.is_none() {
        return Ok(());
    }
    // The whole ledger as one frame: only for the exports, which ask for it.
    let ledger = merge::export_frame(refdata, m).map_err(polars_err)?;
    if let Some(dir) = &cfg.csv {
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
            writeln!(out, "已导出 {}", p.display())?;
        }
    }
    if let Some(p) = &cfg.parquet {
        check_output(p, inputs, cfg.force)?;
        let mut df = ledger;
        let mut buf = Vec::new();
        ParquetWriter::new(&mut buf).finish(&mut df).map_err(polars_err)?;
        write_atomic(p, &buf)?;
        writeln!(out, "已导出 {}", p.display())?;
        let ip = indicators_parquet_path(refdata, p);
        check_output(&ip, inputs, cfg.force)?;
        let mut df = indicators_frame(refdata, m).map_err(polars_err)?;
        let mut buf = Vec::new();
        ParquetWriter::new(&mut buf).finish(&mut df).map_err(polars_err)?;
        write_atomic(&ip, &buf)?;
        writeln!(out, "已导出 {}", ip.display())?;
    }
    Ok(())
}

/// Runs `consolidate`.
///
/// # Errors
/// When the output would overwrite an input or an existing file (without `--force`), or cannot be written.
pub fn run(refdata: &RefData, cfg: &ConsolidateConfig, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let (inputs, skipped) = crate::inbox::discover(&cfg.paths);
    let input_paths: Vec<PathBuf> = inputs.iter().map(|i| i.path.clone()).collect();
    check_output(&cfg.out, &input_paths, cfg.force)?;
    if inputs.is_empty() {
        for f in &skipped {
            writeln!(out, "{f}")?;
        }
        return Err(Error::Message("没有找到任何报送文件,未生成汇总表。".into()));
    }
    let mut progress = crate::commands::check::progress_printer();
    // Each reader thread also moves its ledger rows into a frame and, when the returns are large, writes
    // the frame to a folder beside the output (removed when done), so that memory holds the returns being
    // read, not the province.
    let size: u64 = inputs.iter().map(|i| i.contents.as_ref().map_or_else(|| std::fs::metadata(&i.path).map_or(0, |m| m.len()), |c| c.len() as u64)).sum();
    let spill = if size > cfg.spill_above { spill_dir(&cfg.out) } else { None };
    let shared = std::sync::Arc::new(refdata.clone());
    let opts = cfg.batch.clone();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let spill_path = spill.as_ref().map(|d| d.path().to_path_buf());
    let worker: crate::import::batch::WorkerWith<Option<Frames>> = std::sync::Arc::new(move |input: &crate::inbox::Input| {
        let subs = crate::import::batch::import_one(&shared, input, &opts);
        subs.into_iter()
            .map(|mut s| {
                // A failure here is left for the merge, which builds the frames of any return that has
                // none; a frame that cannot be spilled stays in memory.
                let mut frames = if s.readable { Frames::take(&shared, &mut s).ok() } else { None };
                if let (Some(f), Some(dir)) = (&mut frames, &spill_path) {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let _ = f.spill(&dir.join(format!("{n}.parquet")));
                }
                (s, frames)
            })
            .collect()
    });
    let (mut subs, frames): (Vec<_>, Vec<_>) =
        crate::import::batch::run_isolated_with(refdata, &inputs, &cfg.batch, worker, &mut progress).into_iter().flatten().map(|(s, f)| (s, f.flatten())).unzip();
    let mut merged = merge::merge_framed(refdata, &mut subs, frames, &MergeOptions { period: cfg.batch.period })?;
    let previous = match &cfg.previous {
        Some(prev) => Some(crate::rollup::history::read_rollup(refdata, prev)?),
        None => None,
    };
    if let Some(prev) = &previous {
        merged.indicators.set_previous(&prev.indicators);
    }
    if let Some(path) = &cfg.province_figures {
        let own = crate::indicators::read_province_figures(refdata, path).map_err(Error::Message)?;
        merged.indicators.set_province(refdata, &own);
    }
    let mut more = skipped;
    more.extend(period_checks(&merged, cfg, previous.as_ref()));
    let rollup_level: Vec<crate::Finding> = more.iter().filter(|f| matches!(f.code, Code::OutputPeriod | Code::PreviousPeriod)).cloned().collect();
    merged.add_findings(refdata, more);
    let diff = match previous {
        Some(old) => {
            // Compare the rollup as it will be written with the previous one, both read the same way.
            let bytes = crate::rollup::build(refdata, &merged, None)?;
            let new = crate::rollup::history::read_rollup_bytes(refdata, bytes, &cfg.out.display().to_string())?;
            let d = crate::rollup::diff::compare(refdata, &old, &new);
            writeln!(out, "与上期相比:{}", d.summary())?;
            Some(d)
        }
        None => None,
    };
    for f in &rollup_level {
        writeln!(out, "{f}")?;
    }
    // Streamed into the temporary file, so the finished workbook is never held in memory.
    write_atomic_with(&cfg.out, |f| crate::rollup::write_to(refdata, &merged, diff.as_ref(), std::io::BufWriter::new(f))).map_err(|e| match e {
        AtomicError::Output(o) => Error::from(o),
        AtomicError::Writer(w) => Error::from(w),
    })?;
    report(&merged, refdata.prefectures.all().len(), &cfg.out, out)?;
    write_exports(refdata, &merged, cfg, &input_paths, out)?;
    Ok(if merged.findings.iter().any(|f| f.severity == crate::Severity::Error) { ExitStatus::Findings } else { ExitStatus::Clean })
}

/// A hidden folder beside the output for the returns' frames while the rollup is made, removed when it is
/// dropped; none (the frames stay in memory) when it cannot be made.
fn spill_dir(out: &Path) -> Option<tempfile::TempDir> {
    let dir = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    tempfile::Builder::new().prefix(".taizhang-汇总中-").tempdir_in(dir).ok()
}

/// Warnings about the rollup itself: built for another period than its file name says (P05), or not for
/// the quarter after the previous rollup's (P06). Both happen when the returns of two quarters share a
/// folder, and a rollup of the wrong quarter must not pass unnoticed.
pub fn period_checks(m: &Merged, cfg: &ConsolidateConfig, previous: Option<&crate::rollup::history::Rollup>) -> Vec<crate::Finding> {
    let mut v = Vec::new();
    let Some(period) = m.period else { return v };
    let out_name = cfg.out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if let Some(named) = crate::Period::find_in(&out_name)
        && named != period
    {
        let how = if cfg.batch.period.is_some() { "按 --period 指定" } else { "按多数报送文件的期别" };
        v.push(crate::Finding::new(
            Code::OutputPeriod,
            cfg.out.display().to_string(),
            format!(
                "汇总表文件名写的是{},但汇总的是{}({how})。请确认收件文件夹中是否混入了其他季度的报送,或用 --period {} 指定期别后重新汇总。",
                named.label(),
                period.label(),
                named.code()
            ),
        ));
    }
    if let (Some(prev), Some(path)) = (previous.and_then(|r| r.period), &cfg.previous)
        && prev.next() != period
    {
        v.push(crate::Finding::new(
            Code::PreviousPeriod,
            path.display().to_string(),
            format!(
                "上期汇总表是{}的,本次汇总的是{},不是其下一季度({}),与上期的对比可能没有意义。请核对 --previous 指定的文件和本次汇总的期别。",
                prev.label(),
                period.label(),
                prev.next().label()
            ),
        ));
    }
    v
}

fn report(m: &Merged, total: usize, path: &Path, out: &mut dyn Write) -> Result<(), Error> {
    for p in &m.prefectures {
        let c = p.counts;
        match p.status {
            ReturnStatus::Returned => writeln!(
                out,
                "{:<10} {} 企业 {} 家,任务进展 {} 项,错误 {} 条,警告 {} 条,提示 {} 条  {}",
                p.name,
                p.status.label(),
                p.enterprises,
                p.tasks_reported,
                c.errors,
                c.warnings,
                c.infos,
                p.file.as_deref().unwrap_or("")
            )?,
            ReturnStatus::Missing => writeln!(out, "{:<10} {}", p.name, p.status.label())?,
            ReturnStatus::Other => writeln!(out, "{:<10} 错误 {} 条,警告 {} 条,提示 {} 条  {}", p.name, c.errors, c.warnings, c.infos, p.reason.as_deref().unwrap_or(""))?,
            _ => {
                let why = p.reason.as_deref().map(|r| format!(":{r}")).unwrap_or_default();
                writeln!(out, "{:<10} {}{why}  错误 {} 条,警告 {} 条,提示 {} 条", p.name, p.status.label(), c.errors, c.warnings, c.infos)?
            }
        }
    }
    let t = Counts::of(&m.findings);
    let returned = m.prefectures.iter().filter(|p| p.status == ReturnStatus::Returned && !p.zone.is_empty()).count();
    writeln!(
        out,
        "{} 已报送 {returned}/{total} 个市州,共 {} 家企业;问题:错误 {} 条,警告 {} 条,提示 {} 条。汇总表已写入 {}",
        crate::period::label_of(m.period),
        m.ledger.height(),
        t.errors,
        t.warnings,
        t.infos,
        path.display()
    )?;
    Ok(())
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
