//! Writing output files safely: an interrupted run never leaves half a workbook behind, and taizhang never
//! writes over one of its inputs.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A problem writing an output file.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The file or a temporary file next to it could not be written.
    #[error("无法写入 {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The output path is one of the inputs.
    #[error("输出文件 {0} 也是输入文件,为免覆盖原始报送文件,请换一个输出文件名")]
    WouldOverwriteInput(PathBuf),
    /// The output exists and `--force` was not given.
    #[error("输出文件 {0} 已存在;如需覆盖请加 --force")]
    Exists(PathBuf),
}

/// Writes `bytes` to `path` atomically: into a temporary file in the same directory, flushed to disk, then
/// renamed over `path`. Readers see either the old file or the complete new one.
///
/// # Errors
/// [`OutputError::Io`] when the directory is not writable or the disk is full.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    write_atomic_with(path, |f| f.write_all(bytes)).map_err(|e| match e {
        AtomicError::Output(o) => o,
        AtomicError::Writer(source) => OutputError::Io { path: path.to_path_buf(), source },
    })
}

/// Why [`write_atomic_with`] failed: the file system, or the writer given to it.
#[derive(Debug)]
pub enum AtomicError<E> {
    Output(OutputError),
    Writer(E),
}

/// Like [`write_atomic`], for output written piece by piece (a workbook streamed to disk rather than held
/// in memory): `write` fills the temporary file, which is renamed over `path` only when it succeeds. On
/// any failure the temporary file is removed and `path` is untouched.
///
/// # Errors
/// [`AtomicError::Output`] for the file system, [`AtomicError::Writer`] for an error of `write`.
pub fn write_atomic_with<E>(path: &Path, write: impl FnOnce(&mut fs::File) -> Result<(), E>) -> Result<(), AtomicError<E>> {
    let io = |source| AtomicError::Output(OutputError::Io { path: path.to_path_buf(), source });
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir).map_err(io)?;
    let mut tmp = tempfile::Builder::new().prefix(".taizhang-").suffix(".tmp").tempfile_in(dir).map_err(io)?;
    write(tmp.as_file_mut()).map_err(AtomicError::Writer)?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Refuses an output path that is one of the inputs (compared after resolving links and `..`), or that
/// exists when `force` is false.
///
/// # Errors
/// [`OutputError::WouldOverwriteInput`] or [`OutputError::Exists`].
pub fn check_output(path: &Path, inputs: &[PathBuf], force: bool) -> Result<(), OutputError> {
    if let Ok(out) = fs::canonicalize(path) {
        for i in inputs {
            if fs::canonicalize(i).is_ok_and(|i| i == out) {
                return Err(OutputError::WouldOverwriteInput(path.to_path_buf()));
            }
        }
        if !force {
            return Err(OutputError::Exists(path.to_path_buf()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.xlsx");
        write_atomic(&p, b"first").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"second");
        // No temporary files are left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn refuses_to_overwrite_an_input() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.xlsx");
        fs::write(&input, b"x").unwrap();
        let via_dots = dir.path().join("sub/../in.xlsx");
        fs::create_dir(dir.path().join("sub")).unwrap();
        assert!(matches!(check_output(&via_dots, &[input.clone()], true), Err(OutputError::WouldOverwriteInput(_))));
        assert!(matches!(check_output(&input, &[], false), Err(OutputError::Exists(_))));
        assert!(check_output(&dir.path().join("new.xlsx"), &[input], false).is_ok());
    }
}
