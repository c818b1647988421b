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

/// Converts `file` with headless LibreOffice into `format` (xls, ods, xlsx, pdf, fods, xml for Excel 2003
/// XML; docx and doc with Writer) inside `out_dir`, the way a prefecture's "save as" does, and returns the
/// new file. Each call has its own LibreOffice profile so that tests can run in parallel.
pub fn libreoffice_convert(file: &Path, format: &str, out_dir: &Path) -> PathBuf {
    let profile = tempfile::tempdir().expect("profile dir");
    let filter = match format {
        "xls" => "xls:MS Excel 97",
        "ods" => "ods",
        "xlsx" => "xlsx:Calc MS Excel 2007 XML",
        "pdf" => "pdf",
        "xml" => "xml:MS Excel 2003 XML",
        "docx" => "docx:MS Word 2007 XML",
        "doc" => "doc:MS Word 97",
        other => other,
    };
    let o = Command::new("soffice")
        .arg(format!("-env:UserInstallation=file://{}", profile.path().display()))
        .args(["--headless", "--norestore", "--convert-to", filter, "--outdir"])
        .arg(out_dir)
        .arg(file)
        .output()
        .expect("LibreOffice (soffice) must be installed: .ci/run installs libreoffice-calc-nogui and libreoffice-writer-nogui");
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

/// The non-empty cells of a file as an independent reader (calamine, used directly) sees them.
pub fn cells_of(path: &Path) -> Vec<(String, u32, u32, String)> {
    use calamine::{Data, Reader};
    let mut wb = calamine::open_workbook_auto(path).unwrap();
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let Ok(range) = wb.worksheet_range(&name) else { continue };
        let start = range.start().unwrap_or((0, 0));
        for (r, c, v) in range.used_cells() {
            let text = match v {
                Data::String(s) => s.trim().to_string(),
                Data::Empty => String::new(),
                other => other.to_string(),
            };
            if !text.is_empty() {
                out.push((name.clone(), start.0 + r as u32, start.1 + c as u32, text));
            }
        }
    }
    out
}

/// Conservation: every non-empty cell of `path`, as calamine sees it, is a value of the submission (a
/// field, an extra column, a labelled value), a cell of its layout (title, header, note, total …), or named
/// by a finding.
pub fn assert_accounted(path: &Path, s: &taizhang::Submission) {
    assert_accounted_cells(&path.display().to_string(), cells_of(path), s);
}

/// [`assert_accounted`] for the cells (sheet, row, column, text) another reader found: python-docx for a
/// Word document, html.parser for a page.
pub fn assert_accounted_cells(what: &str, cells: impl IntoIterator<Item = (String, u32, u32, String)>, s: &taizhang::Submission) {
    use std::collections::HashSet;
    use taizhang::Code;
    let mut seen: HashSet<(String, u32, u32)> = HashSet::new();
    let mut add = |l: &taizhang::submission::Located| {
        seen.insert((l.sheet.clone(), l.cell.row, l.cell.col));
    };
    for row in &s.rows {
        row.fields.iter().chain(&row.extras).flatten().for_each(&mut add);
        row.prefecture.iter().for_each(&mut add);
    }
    for p in &s.progress {
        p.status.iter().chain(&p.narrative).chain(&p.value).chain(p.extras.iter().flatten()).for_each(&mut add);
    }
    for l in s.remarks.iter().chain(&s.filler).chain(&s.phone).chain(&s.reviewer).chain(&s.filled_date) {
        add(l);
    }
    for l in &s.layout {
        seen.insert((l.sheet.clone(), l.cell.row, l.cell.col));
    }
    let whole_sheets: HashSet<&str> = s
        .findings
        .iter()
        .filter(|f| f.cell.is_none() && matches!(f.code, Code::SheetIgnored | Code::HiddenSheet | Code::Unreadable | Code::TooLarge))
        .filter_map(|f| f.sheet.as_deref())
        .collect();
    let named: HashSet<(String, String)> = s.findings.iter().filter_map(|f| Some((f.sheet.clone()?, f.cell?.a1()))).collect();
    for (sheet, r, c, text) in cells {
        let cell = taizhang::cell::CellRef::new(r, c);
        let ok = seen.contains(&(sheet.clone(), r, c)) || whole_sheets.contains(sheet.as_str()) || named.contains(&(sheet.clone(), cell.a1()));
        assert!(ok, "{what}: {sheet}!{} 「{text}」 is neither data, nor layout, nor in a finding", cell.a1());
    }
}

/// Writes rows of text (an empty string is an empty cell) from row `first`, column A.
pub fn write_rows(ws: &mut rust_xlsxwriter::Worksheet, first: u32, rows: &[&[&str]]) {
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(first + r as u32, c as u16, *v).unwrap();
            }
        }
    }
}

/// A submission's findings as (code, location), sorted, to compare with an exact expectation.
pub fn located(s: &taizhang::Submission) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = s.findings.iter().map(|f| (f.code.as_str().to_string(), f.location())).collect();
    v.sort();
    v
}

/// An expectation for [`located`].
pub fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    v.sort();
    v
}

/// A zip of `members` (name, bytes), names flagged UTF-8 where they need it.
pub fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A zip whose member name is GBK without the UTF-8 flag, as Windows' "send to compressed folder" writes
/// it on a Chinese system: written under an ASCII name of the same length, then patched.
pub fn gbk_zip(name: &str, data: &[u8]) -> Vec<u8> {
    let gbk = encoding_rs::GBK.encode(name).0.into_owned();
    let placeholder = "A".repeat(gbk.len() - 5) + ".xlsx";
    assert_eq!(placeholder.len(), gbk.len());
    let mut bytes = zip_of(&[(&placeholder, data)]);
    let mut patched = 0;
    let mut i = 0;
    while i + gbk.len() <= bytes.len() {
        if &bytes[i..i + gbk.len()] == placeholder.as_bytes() {
            bytes[i..i + gbk.len()].copy_from_slice(&gbk);
            patched += 1;
        }
        i += 1;
    }
    assert_eq!(patched, 2, "local header and central directory");
    bytes
}

/// A zip bomb: one member `name` of 300 MB of zeros, in a few hundred kilobytes.
pub fn zip_bomb(name: &str) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(name, zip::write::SimpleFileOptions::default().large_file(true)).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..300 {
        w.write_all(&chunk).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// Reads a return as `check` does, checking first that every non-empty cell of it is accounted for.
pub fn import_checked(path: &Path) -> taizhang::Submission {
    let input = taizhang::inbox::Input::file(path, path.file_name().unwrap().to_string_lossy().into_owned(), true);
    let s = taizhang::import::batch::import_one(refdata(), &input, &taizhang::import::batch::BatchOptions::default()).remove(0);
    assert_accounted(path, &s);
    s
}
