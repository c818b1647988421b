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
}

/// Writes the templates and reports each file on `out`.
///
/// # Errors
/// An unknown prefecture name, or an output directory that cannot be created.
pub fn run(refdata: &RefData, cfg: &TemplateConfig, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let prefectures = template::resolve_prefectures(refdata, &cfg.prefectures)?;
    let opts = TemplateOptions {
        period: cfg.period,
        deadline: cfg.deadline,
        prefectures,
        out_dir: cfg.out.clone(),
        force: cfg.force,
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
