//! `taizhang collect`: the office mailbox into the inbox folder, with a record of what came from whom.

use std::io::Write;

use crate::inbox::imap::CollectOptions;
use crate::finding::Severity;
use crate::refdata::RefData;
use crate::{Error, ExitStatus};

/// Runs `collect`: exit 0 when every new message gave what was expected, 1 when some could not be read
/// or carried an archive that cannot be opened, 2 when the mailbox could not be read at all (nothing is
/// written then).
///
/// # Errors
/// When the server cannot be reached, the login or the mailbox is refused, or the folder cannot be
/// written.
pub fn run(refdata: &RefData, cfg: &CollectConfig, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    #[cfg(feature = "serve")]
    if let Some((root, period)) = &cfg.workspace {
        let ws = crate::inbox::workspace::Workspace::open(root)?;
        ws.ensure(*period)?;
        let opts = CollectOptions { into: ws.dir(*period, crate::inbox::workspace::INBOX), ..cfg.options.clone() };
        return run_in(refdata, &opts, Some((&ws, *period)), out);
    }
    run_in(refdata, &cfg.options, None, out)
}

/// What `taizhang collect` was asked.
#[derive(Debug, Clone)]
pub struct CollectConfig {
    pub options: CollectOptions,
    /// A console workspace and the period to file into, in place of `options.into`.
    pub workspace: Option<(std::path::PathBuf, crate::period::Period)>,
}

/// The console's workspace and the period whose inbox `collect` files into.
#[cfg(feature = "serve")]
pub type Workspace<'a> = Option<(&'a crate::inbox::workspace::Workspace, crate::period::Period)>;
#[cfg(not(feature = "serve"))]
pub type Workspace<'a> = Option<std::convert::Infallible>;

/// [`run`], filing into a workspace period's inbox (`opts.into`) and recording each stored attachment in
/// its receipts as received by mail from its sender, as the console shows them.
///
/// # Errors
/// As [`run`]; and when the receipts cannot be written.
pub fn run_in(refdata: &RefData, opts: &CollectOptions, workspace: Workspace<'_>, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let mut shown = Vec::new();
    let outcome = crate::inbox::imap::collect(refdata, opts, &mut |m| shown.push(m.to_string()))?;
    #[cfg(feature = "serve")]
    if let Some((ws, period)) = workspace {
        let arrived: Vec<(String, String, String)> = outcome
            .receipts
            .iter()
            .filter_map(|r| {
                // Stored now (a RAR is stored too, to be looked at), not recognised as stored before.
                let stored = r.stored.clone().filter(|s| outcome.stored.contains(s) && r.code.as_deref() != Some("C05"))?;
                let from = r.sender.as_ref().map_or_else(|| "邮件".to_string(), |s| format!("邮件({})", s.display()));
                Some((stored.clone(), r.attachment.clone().unwrap_or(stored), from))
            })
            .collect();
        ws.record_arrived(period, &arrived)?;
    }
    #[cfg(not(feature = "serve"))]
    let _ = workspace;
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
        opts.into.display(),
        problems,
        if outcome.messages == 0 { "没有新邮件。" } else { "" }
    )?;
    Ok(if errors > 0 { ExitStatus::Findings } else { ExitStatus::Clean })
}
