//! `taizhang consolidate`: read every return, merge, write the provincial rollup (and exports).

use std::io::Write;
use std::path::Path;

use crate::refdata::RefData;
use crate::rollup::consolidate::{Consolidated, ConsolidateOptions};
use crate::rollup::merge::ReturnStatus;
use crate::{Error, ExitStatus};

/// Arguments of `taizhang consolidate`: the options of the consolidation itself.
pub type ConsolidateConfig = ConsolidateOptions;

pub use crate::rollup::consolidate::SPILL_ABOVE_BYTES;

/// Runs `consolidate`: exit 1 when the rollup holds error findings.
///
/// # Errors
/// When the output would overwrite an input or an existing file (without `--force`), or cannot be written.
pub fn run(refdata: &RefData, cfg: &ConsolidateConfig, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let c = crate::rollup::consolidate::consolidate(refdata, cfg, &mut super::check::progress_printer())?;
    if let Some(d) = &c.diff {
        writeln!(out, "与上期相比:{}", d.summary())?;
    }
    for f in &c.rollup_findings {
        writeln!(out, "{f}")?;
    }
    report(&c, refdata.prefectures.all().len(), &cfg.out, out)?;
    for p in &c.exported {
        writeln!(out, "已导出 {}", p.display())?;
    }
    Ok(if c.counts.errors > 0 { ExitStatus::Findings } else { ExitStatus::Clean })
}

fn report(c: &Consolidated, total: usize, path: &Path, out: &mut dyn Write) -> Result<(), Error> {
    for p in &c.prefectures {
        let c = p.counts;
        match p.status {
            ReturnStatus::Returned => writeln!(
                out,
                "{:<10} {} 企业 {} 家,任务进展 {} 项,错误 {} 条,警告 {} 条,提示 {} 条  {}",
                p.name,
                p.status_label(),
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
    let t = c.counts;
    let returned = c.returned();
    writeln!(
        out,
        "{} 已报送 {returned}/{total} 个市州,共 {} 家企业;问题:错误 {} 条,警告 {} 条,提示 {} 条。汇总表已写入 {}",
        crate::period::label_of(c.period),
        c.enterprises,
        t.errors,
        t.warnings,
        t.infos,
        path.display()
    )?;
    Ok(())
}
