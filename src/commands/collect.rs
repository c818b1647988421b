//! `taizhang collect`: the office mailbox into the inbox folder, with a record of what came from whom.

use std::io::Write;
use std::path::Path;

use crate::finding::Severity;
use crate::inbox::imap::{CollectOptions, Outcome};
use crate::refdata::RefData;
use crate::{Error, ExitStatus};

/// What `taizhang collect` was asked.
#[derive(Debug, Clone)]
pub struct CollectConfig {
    pub options: CollectOptions,
    /// A console workspace and the period to file into, in place of `options.into`.
    pub workspace: Option<(std::path::PathBuf, crate::period::Period)>,
}

/// Runs `collect`: exit 0 when every new message gave what was expected, 1 when some could not be read
/// or carried an archive that cannot be opened, 2 when the mailbox could not be read at all (nothing is
/// written then).
///
/// # Errors
/// When the server cannot be reached, the login or the mailbox is refused, or the folder cannot be
/// written.
pub fn run(refdata: &RefData, cfg: &CollectConfig, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let mut shown = Vec::new();
    let (outcome, into) = match &cfg.workspace {
        Some((root, period)) => {
            let ws = crate::inbox::workspace::Workspace::open(root)?;
            let outcome = crate::inbox::imap::collect_into(refdata, &cfg.options, &ws, *period, &mut |m| shown.push(m.to_string()))?;
            (outcome, ws.dir(*period, crate::inbox::workspace::INBOX))
        }
        None => (crate::inbox::imap::collect(refdata, &cfg.options, &mut |m| shown.push(m.to_string()))?, cfg.options.into.clone()),
    };
    report(&outcome, &into, out)
}

/// Prints what was collected, message by message.
fn report(outcome: &Outcome, into: &Path, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let mut current = None;
    for r in &outcome.receipts {
        let label = r.message_label();
        if current.as_ref() != Some(&label) {
            writeln!(out, "收取 {label}")?;
            current = Some(label);
        }
        if let Some(f) = r.finding() {
            writeln!(out, "  {} {} {}", f.severity, f.code, f.message)?;
        } else if let (Some(a), Some(s)) = (&r.attachment, &r.stored) {
            if a.rsplit('/').next() == Some(s.as_str()) {
                writeln!(out, "  已保存 {s}")?;
            } else {
                writeln!(out, "  已保存 {a} → {s}")?;
            }
        }
    }
    let errors = outcome.findings.iter().filter(|f| f.severity == Severity::Error).count();
    let problems = outcome.findings.iter().filter(|f| f.severity != Severity::Info).count();
    writeln!(
        out,
        "共收取 {} 封新邮件,保存 {} 个附件到 {};需要处理的问题 {} 条。{}",
        outcome.messages,
        outcome.stored.len(),
        into.display(),
        problems,
        if outcome.messages == 0 { "没有新邮件。" } else { "" }
    )?;
    Ok(if errors > 0 { ExitStatus::Findings } else { ExitStatus::Clean })
}
