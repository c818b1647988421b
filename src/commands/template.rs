//! `taizhang template`: one workbook per prefecture.

use std::io::Write;

use crate::refdata::RefData;
use crate::template::{TemplateRequest, write_period};
use crate::{Error, ExitStatus};

/// Arguments of `taizhang template`: the request itself.
pub type TemplateConfig = TemplateRequest;

/// Writes the templates and reports each file on `out`.
///
/// # Errors
/// An unknown prefecture name, or an output directory that cannot be created.
pub fn run(refdata: &RefData, cfg: &TemplateConfig, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let run = write_period(refdata, cfg)?;
    if let Some(p) = &run.prefilled {
        if let Some(period) = p.period
            && period >= cfg.period
        {
            writeln!(out, "提示:{} 是{}的汇总表,新模板的期别是{}。", p.from.display(), period.label(), cfg.period.label())?;
        }
        writeln!(out, "已读取 {}:{} 个市州的 {} 家企业将预填到新模板中。", p.from.display(), p.prefectures, p.rows)?;
        // A prefecture that did not report last quarter gets a blank template; say so, so that nobody
        // takes its empty ledger for a prefecture with no enterprises.
        if !p.blank.is_empty() {
            writeln!(out, "提示:{} 个市州在该汇总表中未报送,其模板不预填:{}。", p.blank.len(), p.blank.join("、"))?;
        }
    }
    let report = &run.report;
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
