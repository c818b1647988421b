//! The log of what the office did in a period from the console — templates made, mail written or sent,
//! the rollup built — with when and how it ended, shown on the period's page.

use rusqlite::params;

use crate::period::Period;

use super::{Workspace, WorkspaceError, now};

/// One action taken in a period.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ActionLog {
    pub at: String,
    /// What was done, in the office's words: 生成模板, 发送催报邮件 …
    pub what: String,
    pub ok: bool,
    /// How it ended, in one line.
    pub summary: String,
}

impl Workspace {
    /// Logs an action of `period`.
    ///
    /// # Errors
    /// A database error.
    pub fn log_action(&self, period: Period, what: &str, ok: bool, summary: &str) -> Result<(), WorkspaceError> {
        self.conn().execute(
            "INSERT INTO actions (period, at, what, ok, summary) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![period.code(), now(), what, ok, summary],
        )?;
        Ok(())
    }

    /// The actions of `period`, newest first.
    ///
    /// # Errors
    /// A database error.
    pub fn actions(&self, period: Period) -> Result<Vec<ActionLog>, WorkspaceError> {
        let conn = self.conn();
        let mut st = conn.prepare("SELECT at, what, ok, summary FROM actions WHERE period = ?1 ORDER BY id DESC")?;
        let rows = st.query_map([period.code()], |r| Ok(ActionLog { at: r.get(0)?, what: r.get(1)?, ok: r.get(2)?, summary: r.get(3)? }))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}
