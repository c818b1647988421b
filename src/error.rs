//! The errors that stop a command, as opposed to findings, which are reported while the command goes on.
//!
//! One variant per module error, each keeping its source, so that nothing is turned into a string before
//! the binary prints it; only [`Error::Message`] carries bare text, and only text already worded for the
//! user (no input found, a missing option).

use std::path::PathBuf;

use crate::{output, period, refdata, template};

/// An error that stops a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The reference data (built in, or `--refdata`) could not be loaded.
    #[error(transparent)]
    RefData(#[from] refdata::RefDataError),
    /// A template could not be built.
    #[error(transparent)]
    Template(#[from] template::TemplateError),
    /// An output could not be written, or would overwrite an input.
    #[error(transparent)]
    Output(#[from] output::OutputError),
    /// A period that cannot be read.
    #[error(transparent)]
    Period(#[from] period::PeriodError),
    /// An earlier rollup (`--from`, `--previous`, `diff`) could not be read.
    #[cfg(feature = "rollup")]
    #[error(transparent)]
    Readback(#[from] crate::rollup::readback::ReadbackError),
    /// The returns could not be merged (a defect: polars rejecting the frames taizhang builds).
    #[cfg(feature = "rollup")]
    #[error(transparent)]
    Merge(#[from] crate::rollup::merge::MergeError),
    /// The rollup workbook could not be built.
    #[cfg(feature = "rollup")]
    #[error(transparent)]
    Rollup(#[from] crate::rollup::RollupError),
    /// A 简报 or 通报 could not be drafted.
    #[cfg(feature = "rollup")]
    #[error(transparent)]
    Briefing(#[from] crate::briefing::BriefingError),
    /// The comparison workbook of `diff` could not be built.
    #[cfg(feature = "rollup")]
    #[error("生成对比表失败: {0}")]
    Diff(#[source] rust_xlsxwriter::XlsxError),
    /// The CSV or Parquet export could not be built.
    #[cfg(feature = "rollup")]
    #[error("导出失败: {0}")]
    Export(#[source] polars::error::PolarsError),
    /// The dataset of every period could not be written or read.
    #[cfg(feature = "rollup")]
    #[error(transparent)]
    Dataset(#[from] crate::history::DatasetError),
    /// A rollup given to `history --from-rollups` could not be taken into the dataset.
    #[cfg(feature = "rollup")]
    #[error(transparent)]
    Rollups(#[from] crate::history::rollups::RollupsError),
    /// The history workbook could not be built.
    #[cfg(feature = "rollup")]
    #[error("生成历次汇总工作簿失败: {0}")]
    HistoryWorkbook(#[source] rust_xlsxwriter::XlsxError),
    /// Sending by mail, or reading the contacts or the folder to send, failed.
    #[cfg(feature = "mail")]
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    /// Collecting from the office mailbox failed.
    #[cfg(feature = "mail")]
    #[error(transparent)]
    Collect(#[from] crate::inbox::imap::CollectError),
    /// The JSON report of `check` could not be built.
    #[error("JSON 生成失败: {0}")]
    Json(#[from] serde_json::Error),
    /// The message body file given to `mail --body` could not be read.
    #[error("无法读取正文文件 {}: {source}", path.display())]
    BodyFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The console's workspace (its folders or its receipts) could not be used.
    #[cfg(feature = "serve")]
    #[error(transparent)]
    Workspace(#[from] crate::inbox::workspace::WorkspaceError),
    /// The web console could not start or stopped on an error.
    #[cfg(feature = "serve")]
    #[error(transparent)]
    Serve(#[from] crate::serve::ServeError),
    /// Writing to the terminal or a report failed.
    #[error("输出失败: {0}")]
    Io(#[from] std::io::Error),
    /// Anything else that stops a command, already worded for the user.
    #[error("{0}")]
    Message(String),
}
