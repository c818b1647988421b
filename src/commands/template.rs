//! `taizhang template`: one workbook per prefecture.

use std::io::Write;
use std::path::PathBuf;

use crate::period::Period;
use crate::refdata::RefData;
use crate::template::{self, TemplateOptions};
use crate::{Error, ExitStatus};

/// Arguments of `taizhang template`.
#[derive(Debug, Clone)]
pub struct TemplateConfig {
    pub period: Period,
    pub out: PathBuf,
    /// Names as given on the command line (any accepted spelling); empty means all 21.
    pub prefectures: Vec<String>,
    pub deadline: Option<chrono::NaiveDate>,
    pub force: bool,
    /// Last quarter's rollup: each prefecture's rows go into its template.
    pub from: Option<PathBuf>,
}

/// Writes the templates and reports each file on `out`.
///
/// # Errors
/// An unknown prefecture name, or an output directory that cannot be created.
pub fn run(refdata: &RefData, cfg: &TemplateConfig, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let prefectures = template::resolve_prefectures(refdata, &cfg.prefectures)?;
    #[cfg_attr(not(feature = "rollup"), allow(unused_mut))]
    let mut prefill = Vec::new();
    if let Some(from) = &cfg.from {
        #[cfg(feature = "rollup")]
        {
            let rollup = crate::rollup::history::read_rollup(refdata, from)?;
            if let Some(p) = rollup.period
                && p >= cfg.period
            {
                writeln!(out, "提示:{} 是{}的汇总表,新模板的期别是{}。", from.display(), p.label(), cfg.period.label())?;
            }
            prefill = crate::rollup::history::prefill(&rollup);
            writeln!(out, "已读取 {}:{} 个市州的 {} 家企业将预填到新模板中。", from.display(), prefill.len(), rollup.rows.len())?;
            // A prefecture that did not report last quarter gets a blank template; say so, so that nobody
            // takes its empty ledger for a prefecture with no enterprises.
            let all: Vec<&str> = refdata.prefectures.all().iter().map(|p| p.name.as_str()).collect();
            let chosen: Vec<&str> = if prefectures.is_empty() { all } else { prefectures.iter().map(String::as_str).collect() };
            let blank: Vec<&str> = chosen.into_iter().filter(|p| !rollup.has_reported(p)).collect();
            if !blank.is_empty() {
                writeln!(out, "提示:{} 个市州在该汇总表中未报送,其模板不预填:{}。", blank.len(), blank.join("、"))?;
            }
            crate::template::add_indicator_prefill(refdata, &rollup.indicators, cfg.period, &mut prefill);
        }
        #[cfg(not(feature = "rollup"))]
        return Err(Error::Message(format!("此版本不支持 --from {}", from.display())));
    }
    let opts = TemplateOptions {
        period: cfg.period,
        deadline: cfg.deadline,
        prefectures,
        out_dir: cfg.out.clone(),
        force: cfg.force,
        prefill,
    };
    let report = template::write_templates(refdata, &opts)?;
    for p in &report.written {
        writeln!(out, "已生成 {}", p.display())?;
    }
    for p in &report.kept {
        writeln!(out, "已存在,未覆盖 {}(如需覆盖请加 --force)", p.display())?;
    }
    for (p, why) in &report.failed {
        writeln!(out, "生成失败 {}: {why}", p.display())?;
    }
    writeln!(
        out,
        "{} 模板:生成 {} 个,保留 {} 个,失败 {} 个,目录 {}",
        cfg.period.label(),
        report.written.len(),
        report.kept.len(),
        report.failed.len(),
        cfg.out.display()
    )?;
    Ok(if report.written.is_empty() {
        ExitStatus::Failure
    } else if report.failed.is_empty() {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    })
}
