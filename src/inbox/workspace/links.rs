//! The prefectures' private upload link tokens: 32 random bytes each, looked up by their hash, kept
//! across restarts, regenerated on the office's word (the old one stops at once).

use rusqlite::{OptionalExtension, params};

use super::{Workspace, WorkspaceError, hex_sha256, now, random};

impl Workspace {
    /// The private upload link token of every prefecture in `codes`, created for those that have none.
    ///
    /// # Errors
    /// A database error, or no randomness.
    pub fn links(&self, codes: &[String]) -> Result<Vec<(String, String)>, WorkspaceError> {
        let mut out = Vec::new();
        for code in codes {
            let known: Option<String> = self.conn().query_row("SELECT token FROM links WHERE code = ?1", [code], |r| r.get(0)).optional()?;
            let token = match known {
                Some(t) => t,
                None => self.regenerate_link(code)?,
            };
            out.push((code.clone(), token));
        }
        Ok(out)
    }

    /// Gives `code` a new link token; the old one stops working at once.
    ///
    /// # Errors
    /// A database error, or no randomness.
    pub fn regenerate_link(&self, code: &str) -> Result<String, WorkspaceError> {
        let token = random(&self.root)?;
        self.conn().execute(
            "INSERT INTO links (code, token, token_sha256, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(code) DO UPDATE SET token = excluded.token, token_sha256 = excluded.token_sha256, created_at = excluded.created_at",
            params![code, token, hex_sha256(token.as_bytes()), now()],
        )?;
        Ok(token)
    }

    /// The prefecture code a link token opens. Looked up by the token's hash, so that the time a lookup
    /// takes tells nothing about how close a guess was.
    pub fn link_code(&self, token: &str) -> Option<String> {
        if !is_token_shaped(token) {
            return None;
        }
        self.conn().query_row("SELECT code FROM links WHERE token_sha256 = ?1", [hex_sha256(token.as_bytes())], |r| r.get(0)).optional().ok().flatten()
    }
}

/// Whether `token` is shaped like a link token: 64 hexadecimal digits.
pub fn is_token_shaped(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_tokens_are_per_prefecture_looked_up_by_hash_and_replaced_when_regenerated() {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::open(dir.path()).unwrap();
        let codes = vec!["510100".to_string(), "510700".to_string()];
        let first = ws.links(&codes).unwrap();
        assert_eq!(ws.links(&codes).unwrap(), first, "kept once made");
        let (cd, my) = (&first[0].1, &first[1].1);
        assert_ne!(cd, my);
        assert_eq!(ws.link_code(cd).as_deref(), Some("510100"));
        assert_eq!(ws.link_code(&cd.to_uppercase()), None, "exactly the token");
        assert_eq!(ws.link_code("510100"), None);
        assert_eq!(ws.link_code(&format!("{}'", &cd[..63])), None);
        let new = ws.regenerate_link("510100").unwrap();
        assert_eq!(ws.link_code(cd), None, "the old token stops at once");
        assert_eq!(ws.link_code(&new).as_deref(), Some("510100"));
        assert_eq!(ws.link_code(my).as_deref(), Some("510700"), "the others are untouched");
        // Only the hash is looked up; the token itself is kept to be shown to the office.
        let stored: String = ws.conn().query_row("SELECT token_sha256 FROM links WHERE code = '510100'", [], |r| r.get(0)).unwrap();
        assert_eq!(stored, hex_sha256(new.as_bytes()));
    }
}
