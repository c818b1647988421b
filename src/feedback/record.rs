//! The record of the workbooks `feedback` wrote into a folder (name and content hash), so that a later
//! round replaces or removes its own unchanged workbooks and nothing else: a workbook the office edited
//! by hand, or any file taizhang did not write, is left alone. Kept beside them as a hidden file.

use std::collections::BTreeMap;
use std::path::Path;

const FILE: &str = ".审核意见记录.json";

/// File name → SHA-256 of the bytes written.
#[derive(Debug, Default)]
pub(super) struct Record(BTreeMap<String, String>);

impl Record {
    /// The folder's record; empty when there is none (or it cannot be read: then nothing is taken as
    /// taizhang's own, and nothing is replaced without `--force`).
    pub(super) fn read(dir: &Path) -> Self {
        Record(std::fs::read(dir.join(FILE)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default())
    }

    /// Whether `path` is a workbook taizhang wrote there and nobody changed since.
    pub(super) fn is_own(&self, path: &Path) -> bool {
        self.0.get(&name(path)).is_some_and(|sha| std::fs::read(path).is_ok_and(|b| crate::inbox::names::sha256_hex(&b) == *sha))
    }

    pub(super) fn wrote(&mut self, name: &str, bytes: &[u8]) {
        self.0.insert(name.to_string(), crate::inbox::names::sha256_hex(bytes));
    }

    pub(super) fn forget(&mut self, path: &Path) {
        self.0.remove(&name(path));
    }

    pub(super) fn save(&self, dir: &Path) -> Result<(), crate::output::OutputError> {
        let bytes = serde_json::to_vec_pretty(&self.0).unwrap_or_default();
        crate::output::write_atomic(&dir.join(FILE), &bytes)
    }
}

fn name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}
