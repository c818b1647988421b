//! `taizhang feedback`: a corrections workbook for each prefecture whose return has problems.

use std::io::Write;
use std::path::PathBuf;

use crate::import::batch::BatchOptions;
use crate::refdata::RefData;
use crate::{Error, ExitStatus};

/// Arguments of `taizhang feedback`.
#[derive(Debug, Clone)]
pub struct FeedbackConfig {
    pub paths: Vec<PathBuf>,
    pub out: PathBuf,
    pub force: bool,
    pub batch: BatchOptions,
}

/// Runs `feedback`: exit 0 when every workbook was written (or nothing needed correcting), 1 when some
/// could not be written, 2 when nothing could be read.
///
/// # Errors
/// When the output folder cannot be created or a workbook cannot be built.
pub fn run(refdata: &RefData, cfg: &FeedbackConfig, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let (subs, _) = crate::commands::check::read_all(refdata, &cfg.paths, &cfg.batch);
    if subs.is_empty() {
        return Err(Error::Message("没有找到任何报送文件。".into()));
    }
    std::fs::create_dir_all(&cfg.out).map_err(|source| crate::output::OutputError::Io { path: cfg.out.clone(), source })?;
    let written = crate::feedback::write_all(refdata, &subs, cfg.batch.period, &cfg.out, cfg.force)?;
    let mut failed = 0;
    for w in &written {
        let prefecture = &w.prefecture;
        let what = if w.notice { "审核意见(文件无法使用的通知)" } else { "审核意见" };
        match &w.result {
            Ok(p) => writeln!(out, "已生成 {prefecture} 的{what} {}", p.display())?,
            Err(e) => {
                failed += 1;
                writeln!(out, "未生成 {prefecture}:{e}")?;
            }
        }
    }
    let unknown = subs.iter().filter(|s| s.prefecture.is_none() && !s.skipped).count();
    if unknown > 0 {
        writeln!(out, "另有 {unknown} 个文件无法确定市州,未生成审核意见(见 taizhang check 的结果)。")?;
    }
    writeln!(out, "共生成 {} 份审核意见,目录 {}。可用 taizhang mail --attachments {} 发送。", written.len() - failed, cfg.out.display(), cfg.out.display())?;
    Ok(if failed > 0 { ExitStatus::Findings } else { ExitStatus::Clean })
}
