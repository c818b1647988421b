//! `taizhang briefing`: the quarter's 简报 (or, with `--kind 通报`, the 通报) drafted from a rollup as a
//! Word document the office edits and issues.

use std::io::Write;

use crate::briefing::{BriefingRequest, draft};
use crate::refdata::RefData;
use crate::{Error, ExitStatus};

/// Arguments of `taizhang briefing`: the request itself.
pub type BriefingConfig = BriefingRequest;

/// Runs `briefing`.
///
/// # Errors
/// When a rollup or the wording cannot be read, a 通报 has no assessment, or the output cannot be written.
pub fn run(refdata: &RefData, cfg: &BriefingConfig, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let d = draft(refdata, cfg)?;
    writeln!(out, "{}", d.summary())?;
    writeln!(out, "{}已写入 {}", d.kind.label(), d.out.display())?;
    Ok(ExitStatus::Clean)
}
