//! Helpers shared by the integration tests: temporary directories, the CLI, LibreOffice and Python.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use taizhang::RefData;

pub fn refdata() -> &'static RefData {
    static R: OnceLock<RefData> = OnceLock::new();
    R.get_or_init(|| RefData::embedded().expect("embedded reference data"))
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn samples() -> PathBuf {
    repo().join("samples")
}

/// Runs the taizhang binary with a cleared environment in `dir`.
pub fn taizhang(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_taizhang"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .expect("run taizhang")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Converts `file` with headless LibreOffice into `format` (xls, ods, xlsx, pdf) inside `out_dir`, the way
/// a prefecture's "save as" does, and returns the new file. Each call has its own LibreOffice profile so
/// that tests can run in parallel.
pub fn libreoffice_convert(file: &Path, format: &str, out_dir: &Path) -> PathBuf {
    let profile = tempfile::tempdir().expect("profile dir");
    let filter = match format {
        "xls" => "xls:MS Excel 97",
        "ods" => "ods",
        "xlsx" => "xlsx:Calc MS Excel 2007 XML",
        "pdf" => "pdf",
        other => other,
    };
    let o = Command::new("soffice")
        .arg(format!("-env:UserInstallation=file://{}", profile.path().display()))
        .args(["--headless", "--norestore", "--convert-to", filter, "--outdir"])
        .arg(out_dir)
        .arg(file)
        .output()
        .expect("LibreOffice (soffice) must be installed: .ci/run installs libreoffice-calc-nogui");
    let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
    let out = out_dir.join(format!("{stem}.{format}"));
    assert!(out.is_file(), "LibreOffice did not write {}: {}{}", out.display(), stdout(&o), stderr(&o));
    out
}

/// Runs a Python snippet (the independent reader, openpyxl) with `args`, returning stdout.
pub fn python(script: &str, args: &[&str]) -> String {
    let o = Command::new("python3").arg("-c").arg(script).args(args).output().expect("python3");
    assert!(o.status.success(), "python failed: {}", stderr(&o));
    stdout(&o)
}

/// A sheet read with calamine as rows of text (integral numbers without ".0"), starting at A1.
pub fn sheet_rows(path: &Path, sheet: &str) -> Vec<Vec<String>> {
    use calamine::{Data, Reader};
    let mut wb = calamine::open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range(sheet).unwrap_or_else(|e| panic!("sheet {sheet}: {e}"));
    assert_eq!(range.start().unwrap_or((0, 0)), (0, 0), "{sheet} starts at A1");
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    Data::Float(f) if f.fract() == 0.0 => format!("{}", *f as i64),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}
