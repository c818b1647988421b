//! `taizhang check`: read returns and print what is wrong with them, file by file.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use serde::Serialize;

use crate::import::batch::BatchOptions;
use crate::finding::{Counts, Finding};
use crate::refdata::RefData;
use crate::{Error, ExitStatus};

/// Arguments of `taizhang check`.
#[derive(Debug, Clone)]
pub struct CheckConfig {
    pub paths: Vec<PathBuf>,
    /// Also write every submission's summary and findings as JSON.
    pub json: Option<PathBuf>,
    pub batch: BatchOptions,
}

/// One file in the JSON report.
#[derive(Debug, Serialize)]
struct FileReport<'a> {
    file: &'a str,
    format: Option<&'static str>,
    /// The sheets this return was taken from, when its file held several prefectures' returns.
    #[serde(skip_serializing_if = "Option::is_none")]
    part: Option<&'a str>,
    readable: bool,
    prefecture: Option<&'a str>,
    period: Option<String>,
    filled_date: Option<String>,
    filler: Option<&'a str>,
    /// Who sent the file, when it came by email.
    sender: Option<String>,
    phone: Option<&'a str>,
    ledger_sheet: Option<&'a str>,
    rows: usize,
    tasks_reported: usize,
    extra_columns: &'a [String],
    counts: Counts,
    findings: &'a [Finding],
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    files: Vec<FileReport<'a>>,
    skipped: &'a [Finding],
    counts: Counts,
}

/// Shows reading progress on stderr, only when it is a terminal.
pub fn progress_printer() -> impl FnMut(usize, usize, &str) {
    let tty = std::io::stderr().is_terminal();
    move |done, total, name| {
        if tty {
            let shown: String = name.chars().rev().take(50).collect::<Vec<_>>().into_iter().rev().collect();
            eprint!("\r\x1b[K[{done}/{total}] {shown}");
            if done == total {
                eprint!("\r\x1b[K");
            }
        }
    }
}

/// Runs `check`.
///
/// # Errors
/// Only when the JSON report cannot be written or stdout fails.
pub fn run(refdata: &RefData, cfg: &CheckConfig, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let read = crate::rollup::period::read_period(refdata, &cfg.paths, &cfg.batch, &mut progress_printer())?;
    // The counts of the rollup: a superseded file's own findings are listed with it but not counted.
    let all = Counts::of(&read.merged.findings);
    let (subs, skipped) = (read.subs, read.skipped);
    for f in &skipped {
        writeln!(out, "{f}")?;
    }
    for s in &subs {
        writeln!(out, "== {}", s.summary_line())?;
        if s.findings.iter().any(|f| f.code == crate::finding::Code::Superseded) {
            writeln!(out, "  (此文件已被同一市州更新的文件替代,以下问题不再计入,也不必修改)")?;
        }
        let mut fs: Vec<&Finding> = s.findings.iter().collect();
        fs.sort_by_key(|f| f.severity);
        for f in fs {
            writeln!(out, "  {f}")?;
        }
    }
    let unreadable = subs.iter().filter(|s| !s.readable && !s.skipped).count();
    // A workbook split into several prefectures' returns is still one file.
    let files: std::collections::BTreeSet<&str> = subs.iter().map(|s| s.name.as_str()).collect();
    writeln!(
        out,
        "共检查 {} 个文件(无法读取 {} 个,跳过 {} 个):错误 {} 条,警告 {} 条,提示 {} 条。",
        files.len(),
        unreadable,
        skipped.len() + subs.iter().filter(|s| s.skipped).count(),
        all.errors,
        all.warnings,
        all.infos
    )?;
    if let Some(path) = &cfg.json {
        let files = subs
            .iter()
            .map(|s| FileReport {
                file: &s.name,
                format: s.format.map(|f| f.name()),
                part: s.part.as_deref(),
                readable: s.readable,
                prefecture: s.prefecture.as_deref(),
                period: s.period.map(|p| p.code()),
                filled_date: s.filled_date_text(),
                filler: s.filler.as_ref().map(|l| l.text.as_str()),
                sender: s.sender.as_ref().map(crate::inbox::mime::Sender::display),
                phone: s.phone.as_ref().map(|l| l.text.as_str()),
                ledger_sheet: s.ledger_sheet.as_deref(),
                rows: s.rows.len(),
                tasks_reported: s.progress.len(),
                extra_columns: &s.extra_columns,
                counts: s.counts(),
                findings: &s.findings,
            })
            .collect();
        let report = Report { files, skipped: &skipped, counts: all };
        let bytes = serde_json::to_vec_pretty(&report)?;
        let inputs: Vec<PathBuf> = subs.iter().map(|s| s.file.clone()).collect();
        crate::output::check_output(path, &inputs, true)?;
        crate::output::write_atomic(path, &bytes)?;
    }
    // Nothing read and nothing wrong found: there was nothing to check. An inbox holding only a zip bomb
    // was checked, and its finding is an error like any other.
    Ok(if subs.is_empty() && all.errors == 0 {
        ExitStatus::Failure
    } else if all.errors > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    })
}
