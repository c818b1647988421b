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
    let report = crate::feedback::write_for(refdata, &cfg.paths, &cfg.batch, &cfg.out, cfg.force, &mut super::check::progress_printer())?;
    let mut failed = 0;
    for w in &report.written {
        let prefecture = &w.prefecture;
        let what = if w.notice { "审核意见(文件无法使用的通知)" } else { "审核意见" };
        match (&w.result, w.earlier) {
            (Ok(p), crate::feedback::Earlier::Removed) => writeln!(out, "已删除 {prefecture} 上一轮的审核意见 {}:现在采用的文件没有需要改正的问题", p.display())?,
            (Ok(p), crate::feedback::Earlier::Replaced) => writeln!(out, "已更新 {prefecture} 的{what} {}(替换上一轮为已被替代的文件生成的审核意见)", p.display())?,
            (Ok(p), crate::feedback::Earlier::None) => writeln!(out, "已生成 {prefecture} 的{what} {}", p.display())?,
            (Err(e), _) => {
                failed += 1;
                writeln!(out, "未生成 {prefecture}:{e}")?;
            }
        }
    }
    if report.unknown > 0 {
        writeln!(out, "另有 {} 个文件无法确定市州,未生成审核意见(见 taizhang check 的结果)。", report.unknown)?;
    }
    writeln!(
        out,
        "共生成 {} 份审核意见,目录 {}。可用 taizhang mail --attachments {} 发送。",
        report.written.iter().filter(|w| w.result.is_ok() && w.earlier != crate::feedback::Earlier::Removed).count(),
        cfg.out.display(),
        cfg.out.display()
    )?;
    Ok(if failed > 0 { ExitStatus::Findings } else { ExitStatus::Clean })
}
