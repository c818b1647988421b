//! Messages as `.eml` files in an outbox folder, opened and sent from the office's own mail program.

use std::path::{Path, PathBuf};

use super::{MailError, Outgoing};

/// Marks a message as a draft: Outlook opens an .eml with this header as a message to send (with a Send
/// button), not as one received.
const UNSENT: &[u8] = b"X-Unsent: 1\r\n";

/// Writes each message as `<prefecture>.eml` into `dir`, each marked as a draft.
///
/// # Errors
/// When a file cannot be written.
pub fn write_outbox(outgoing: &[Outgoing], dir: &Path) -> Result<Vec<PathBuf>, MailError> {
    std::fs::create_dir_all(dir).map_err(|source| MailError::Write { path: dir.into(), source })?;
    let mut written = Vec::new();
    for o in outgoing {
        if let Ok(m) = &o.message {
            let path = dir.join(eml_name(o));
            crate::output::write_atomic(&path, &[UNSENT, &m.formatted()].concat()).map_err(|e| MailError::Write { path: path.clone(), source: std::io::Error::other(e.to_string()) })?;
            written.push(path);
        }
    }
    Ok(written)
}

/// The file a message is written to: named after its attachment, or its prefecture.
pub(super) fn eml_name(o: &Outgoing) -> String {
    match &o.attachment {
        Some(a) => format!("{}.eml", a.file_stem().unwrap_or_default().to_string_lossy()),
        None => format!("{}.eml", o.prefecture),
    }
}
