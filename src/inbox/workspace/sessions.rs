//! The office's sessions, kept in the workspace so that a restart of the console does not log the
//! office out: an open tab keeps working. A session is a random id (only its hash is stored) with its
//! own CSRF token and an expiry; an expired session is refused with a page saying how to get back in.

use rusqlite::{OptionalExtension, params};

use super::{Workspace, WorkspaceError, hex_sha256, random};

/// How long a session lasts from when it was opened.
pub const SESSION_DAYS: i64 = 7;

/// One of the office's sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub csrf: String,
    pub expires_at: chrono::NaiveDateTime,
}

impl Session {
    pub fn expired(&self) -> bool {
        chrono::Local::now().naive_local() >= self.expires_at
    }
}

const TIME: &str = "%Y-%m-%d %H:%M:%S";

impl Workspace {
    /// Opens a session: its id (for the cookie) and the session.
    ///
    /// # Errors
    /// A database error, or no randomness.
    pub fn open_session(&self) -> Result<(String, Session), WorkspaceError> {
        let id = random(&self.root)?;
        let csrf = random(&self.root)?;
        use chrono::Timelike;
        // Kept to the second, as the database stores it.
        let now = chrono::Local::now().naive_local().with_nanosecond(0).unwrap_or_default();
        let expires_at = now + chrono::Duration::days(SESSION_DAYS);
        let conn = self.conn();
        // Sessions long expired are removed as new ones are opened: the table stays small.
        conn.execute("DELETE FROM sessions WHERE expires_at < ?1", [(now - chrono::Duration::days(SESSION_DAYS)).format(TIME).to_string()])?;
        conn.execute(
            "INSERT INTO sessions (id_sha256, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
            params![hex_sha256(id.as_bytes()), csrf, now.format(TIME).to_string(), expires_at.format(TIME).to_string()],
        )?;
        Ok((id, Session { csrf, expires_at }))
    }

    /// The session of the id a cookie carries, expired or not; `None` for an id never given out.
    pub fn session(&self, id: &str) -> Option<Session> {
        if !super::links::is_token_shaped(id) {
            return None;
        }
        let row: Option<(String, String)> = self
            .conn()
            .query_row("SELECT csrf, expires_at FROM sessions WHERE id_sha256 = ?1", [hex_sha256(id.as_bytes())], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .ok()
            .flatten();
        let (csrf, expires) = row?;
        Some(Session { csrf, expires_at: chrono::NaiveDateTime::parse_from_str(&expires, TIME).ok()? })
    }

    /// The token in the console's printed address, kept in the workspace so that the address stays the
    /// same across restarts (a bookmark keeps working); made on first use.
    ///
    /// # Errors
    /// A database error, or no randomness.
    pub fn login_token(&self) -> Result<String, WorkspaceError> {
        if let Some(t) = self.setting(LOGIN) {
            return Ok(t);
        }
        let t = random(&self.root)?;
        self.set_setting(LOGIN, &t)?;
        Ok(t)
    }
}

/// The setting holding the login token.
const LOGIN: &str = "console.login";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_survive_a_reopen_and_are_known_only_by_their_id() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let (id, s) = ws.open_session().unwrap();
        assert!(!s.expired());
        let token = ws.login_token().unwrap();
        drop(ws);
        let ws = Workspace::open(dir.path()).unwrap();
        assert_eq!(ws.session(&id), Some(s.clone()), "kept across a restart");
        assert_eq!(ws.login_token().unwrap(), token, "the printed address stays the same");
        assert_eq!(ws.session(&s.csrf), None, "the CSRF token is no session id");
        assert_eq!(ws.session("x"), None);
        // An expired session is known as expired.
        ws.conn().execute("UPDATE sessions SET expires_at = '2000-01-01 00:00:00'", []).unwrap();
        assert!(ws.session(&id).unwrap().expired());
    }
}
