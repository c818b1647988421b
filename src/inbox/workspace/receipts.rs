//! The receipts of a period: one row per file received into its inbox, with where it came from. A
//! receipt is live while its file is in the inbox; a file removed by hand releases its receipt (kept as
//! removed), so that its name and its content are free for a later file.

use rusqlite::params;

use crate::inbox::origin::Origin;
use crate::period::Period;

use super::{INBOX, Workspace, WorkspaceError, hex_sha256, io, now};

/// One file received.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Receipt {
    pub id: i64,
    pub period: Period,
    /// Local time, `2018-10-09 14:03:12`.
    pub received_at: String,
    pub original_name: String,
    pub stored_name: String,
    pub sha256: String,
    pub size: i64,
    pub origin: Origin,
}

impl Workspace {
    /// Every live receipt of `period`, oldest first.
    ///
    /// # Errors
    /// A database error.
    pub fn receipts(&self, period: Period) -> Result<Vec<Receipt>, WorkspaceError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT id, received_at, original_name, stored_name, sha256, size, origin, origin_detail FROM receipts
             WHERE period = ?1 AND removed_at IS NULL ORDER BY id",
        )?;
        let rows = st.query_map([period.code()], |r| {
            let code: String = r.get(6)?;
            Ok(Receipt {
                id: r.get(0)?,
                period,
                received_at: r.get(1)?,
                original_name: r.get(2)?,
                stored_name: r.get(3)?,
                sha256: r.get(4)?,
                size: r.get(5)?,
                origin: Origin::from_code(&code, r.get(7)?).unwrap_or(Origin::Folder),
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Brings the receipts of `period` in line with its inbox: a receipt whose file is gone (or was
    /// replaced by a file of another size) is released, and a file no live receipt names — dropped there
    /// by hand, or stored by an upload killed before it was recorded — is recorded as arrived from the
    /// folder.
    ///
    /// # Errors
    /// A database or file error.
    pub fn reconcile(&self, period: Period) -> Result<Vec<Receipt>, WorkspaceError> {
        let _storing = self.storing();
        self.release_removed(period)?;
        self.pick_up(period)
    }

    /// Releases the receipts whose file is no longer in the inbox as it was received. Called with the
    /// storing lock held.
    pub(super) fn release_removed(&self, period: Period) -> Result<(), WorkspaceError> {
        let inbox = self.dir(period, INBOX);
        let gone: Vec<i64> = self
            .receipts(period)?
            .into_iter()
            .filter(|r| std::fs::metadata(inbox.join(&r.stored_name)).map_or(true, |m| m.len() as i64 != r.size))
            .map(|r| r.id)
            .collect();
        let at = now();
        for id in gone {
            self.conn().execute("UPDATE receipts SET removed_at = ?1 WHERE id = ?2", params![at, id])?;
        }
        Ok(())
    }

    /// Records the files of the inbox no live receipt names. Called with the storing lock held.
    fn pick_up(&self, period: Period) -> Result<Vec<Receipt>, WorkspaceError> {
        let inbox = self.dir(period, INBOX);
        let known: Vec<String> = self.receipts(period)?.into_iter().map(|r| r.stored_name).collect();
        let Ok(entries) = std::fs::read_dir(&inbox) else { return Ok(Vec::new()) };
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.') && !n.starts_with("~$") && !crate::inbox::record::is_record_name(n) && !known.contains(n))
            .collect();
        names.sort();
        let mut out = Vec::new();
        for n in names {
            let path = inbox.join(&n);
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            out.push(self.record(period, &n, &n, &hex_sha256(&bytes), bytes.len() as i64, &Origin::Folder)?);
        }
        Ok(out)
    }

    /// Adds a live receipt.
    pub(super) fn record(&self, period: Period, original: &str, stored: &str, sha: &str, size: i64, origin: &Origin) -> Result<Receipt, WorkspaceError> {
        let received_at = now();
        let conn = self.conn();
        conn.execute(
            "INSERT INTO receipts (period, received_at, original_name, stored_name, sha256, size, origin, origin_detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![period.code(), received_at, original, stored, sha, size, origin.code(), origin.detail()],
        )?;
        Ok(Receipt {
            id: conn.last_insert_rowid(),
            period,
            received_at,
            original_name: original.into(),
            stored_name: stored.into(),
            sha256: sha.into(),
            size,
            origin: origin.clone(),
        })
    }

    /// Removes a receipt whose file could not be kept.
    pub(super) fn forget(&self, id: i64) -> Result<(), WorkspaceError> {
        self.conn().execute("DELETE FROM receipts WHERE id = ?1", params![id])?;
        Ok(())
    }

    /// Records files another writer (`collect`) stored in the inbox, with where they came from: (stored
    /// name, original name, origin). A file the folder scan recorded first gets its origin corrected.
    ///
    /// # Errors
    /// A database or file error.
    pub fn record_arrived(&self, period: Period, files: &[(String, String, Origin)]) -> Result<(), WorkspaceError> {
        let _storing = self.storing();
        let inbox = self.dir(period, INBOX);
        for (stored, original, origin) in files {
            let path = inbox.join(stored);
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            let updated = self.conn().execute(
                "UPDATE receipts SET original_name = ?1, origin = ?2, origin_detail = ?3 WHERE period = ?4 AND stored_name = ?5 AND removed_at IS NULL",
                params![original, origin.code(), origin.detail(), period.code(), stored],
            )?;
            if updated == 0 {
                self.record(period, original, stored, &hex_sha256(&bytes), bytes.len() as i64, origin)?;
            }
        }
        Ok(())
    }

    /// How many files came through `prefecture`'s link in `period`, removed ones included: the quota
    /// bounds what a link brings onto the office's disk, not what stays there.
    pub fn link_uploads(&self, period: Period, prefecture: &str) -> usize {
        self.conn()
            .query_row("SELECT count(*) FROM receipts WHERE period = ?1 AND origin = 'link' AND origin_detail = ?2", params![period.code(), prefecture], |r| r.get::<_, i64>(0))
            .map_or(0, |n| n as usize)
    }
}
