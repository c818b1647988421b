//! `taizhang diff`: what changed between two rollups.

use std::io::Write;
use std::path::PathBuf;

use crate::refdata::RefData;
use crate::{Error, ExitStatus};

/// Arguments of `taizhang diff`.
#[derive(Debug, Clone)]
pub struct DiffConfig {
    pub old: PathBuf,
    pub new: PathBuf,
    pub out: PathBuf,
    pub force: bool,
}

/// Runs `diff`.
///
/// # Errors
/// When a rollup cannot be read or the output cannot be written.
pub fn run(refdata: &RefData, cfg: &DiffConfig, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let read = |p: &PathBuf| crate::rollup::readback::read_rollup(refdata, p).map_err(Error::from);
    let (old, new) = (read(&cfg.old)?, read(&cfg.new)?);
    crate::output::check_output(&cfg.out, &[cfg.old.clone(), cfg.new.clone()], cfg.force)?;
    let d = crate::rollup::diff::compare(refdata, &old, &new);
    // Two rollups given in the wrong order would turn every addition into a removal.
    if let (Some(o), Some(n)) = (old.period, new.period)
        && o >= n
    {
        writeln!(out, "提示:上期汇总表 {} 是{},不早于本期汇总表 {} 的{};请确认两个文件的先后顺序(先写上期,再写本期)。", cfg.old.display(), o.label(), cfg.new.display(), n.label())?;
    }
    let bytes = crate::rollup::diff::workbook(refdata, &d).map_err(Error::Diff)?;
    crate::output::write_atomic(&cfg.out, &bytes)?;
    writeln!(out, "{}", d.summary())?;
    writeln!(out, "对比表已写入 {}", cfg.out.display())?;
    Ok(ExitStatus::Clean)
}
