//! taizhang (台账) runs the Sichuan provincial quality office's collection of the 质量提升台账 from the
//! province's 21 prefectures: it writes the templates, reads back what the prefectures return however they
//! have edited it, reports every problem in a form that can be forwarded, merges the returns with polars and
//! writes the provincial rollup laid out like the plan's 附件1 and 附件2.
//!
//! The binary is a thin layer over [`commands`]; everything it does is available here. The pipeline reads
//! from the tree: [`template`] writes what is sent out; [`inbox`] receives what comes back (mailbox,
//! upload links, folders, archives, saved emails); [`read`] turns any returned file into a grid of
//! cells; [`import`] turns the grid
//! into a [`Submission`] with its [`Finding`]s; [`rollup`] merges the submissions and writes the province's
//! workbook; [`feedback`] and [`mail`] send corrections back. [`refdata`] is the reference data every stage
//! reads, [`xlsx`] what every written workbook shares, [`error`](Error) what stops a command.

#[cfg(feature = "rollup")]
pub mod briefing;
pub mod cell;
#[cfg(all(feature = "rollup", feature = "mail", feature = "serve"))]
pub mod commands;
mod error;
pub mod feedback;
pub mod finding;
pub mod history;
pub mod inbox;
pub mod import;
pub mod indicators;
#[cfg(feature = "mail")]
pub mod mail;
pub mod output;
pub mod period;
pub mod read;
pub mod refdata;
#[cfg(feature = "rollup")]
pub mod rollup;
#[cfg(feature = "serve")]
pub mod serve;
pub mod submission;
pub mod template;
pub mod text;
pub mod xlsx;

pub use error::Error;
pub use finding::{Code, Finding, Severity};
pub use period::Period;
pub use refdata::RefData;
pub use submission::Submission;

/// The polars this crate merges with, for callers of [`rollup::merge`] who work with its frames.
#[cfg(feature = "rollup")]
pub use polars;

/// How a command ended, mapped to the process exit code by the binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done, and nothing of error level was found (exit 0).
    Clean,
    /// Done, output written, but some inputs had error-level findings (exit 1).
    Findings,
    /// The command could not do its job (exit 2).
    Failure,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Clean => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Failure => 2,
        }
    }
}
