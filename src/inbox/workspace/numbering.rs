//! The issue numbers of the office's documents (简报 第N期, the 通报's 文号), numbered per workspace: a
//! period keeps the number it was first given (drafting it again does not renumber it), a new period
//! takes the next one, and the office may set any number, which is then kept. Kept as settings
//! (`issue.简报.2018Q3` → 3), so the schema does not change.

use crate::period::Period;

use super::{Workspace, WorkspaceError};

fn key(kind: &str, period: Period) -> String {
    format!("issue.{kind}.{}", period.code())
}

impl Workspace {
    /// The number of the document of `kind` (简报, 通报) for `period`: the one it was given, else one past
    /// the highest given in this workspace, else `first` (for a workspace that has numbered none).
    pub fn issue_number(&self, kind: &str, period: Period, first: u32) -> u32 {
        if let Some(n) = self.setting(&key(kind, period)).and_then(|v| v.parse().ok()) {
            return n;
        }
        let prefix = format!("issue.{kind}.");
        let conn = self.conn();
        let highest: Option<u32> = conn
            .prepare("SELECT value FROM settings WHERE key LIKE ?1 || '%'")
            .and_then(|mut st| st.query_map([&prefix], |r| r.get::<_, String>(0)).map(|rows| rows.flatten().filter_map(|v| v.parse().ok()).max()))
            .ok()
            .flatten();
        highest.map_or(first, |h| h + 1)
    }

    /// Records the number given to the document of `kind` for `period`.
    ///
    /// # Errors
    /// A database error.
    pub fn set_issue_number(&self, kind: &str, period: Period, number: u32) -> Result<(), WorkspaceError> {
        self.set_setting(&key(kind, period), &number.to_string())
    }
}
