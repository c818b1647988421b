//! The golden rollups' content, read by two independent readers (openpyxl and calamine, through
//! `tests/fixtures/compare_workbooks.py`): today's rollup workbooks must hold what the kept ones hold —
//! every sheet's cells, styles, number formats, merges, column widths, row heights, print settings, data
//! validations. The byte-for-byte golden test says *that* a workbook changed; this one says whether what a
//! reader finds changed, which a change of compression or of format registration must never do.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use super::common::{repo, stderr, stdout};
use super::golden::{KEPT_WORKBOOKS, fixture_dir, run_pipeline};

/// Runs the comparison; gives its exit code and what it printed.
fn compare(before: &Path, after: &Path) -> (i32, String) {
    let o = Command::new("python3")
        .arg(repo().join("tests/fixtures/compare_workbooks.py"))
        .arg(before)
        .arg(after)
        .output()
        .expect("python3 with openpyxl and python-calamine (tests/requirements.txt)");
    (o.status.code().unwrap_or(-1), format!("{}{}", stdout(&o), stderr(&o)))
}

#[test]
fn todays_rollups_read_as_the_kept_ones() {
    let outputs = run_pipeline();
    let dir = tempfile::tempdir().unwrap();
    for name in KEPT_WORKBOOKS {
        let kept = fixture_dir().join(name);
        assert!(kept.is_file(), "tests/fixtures/golden/{name} is missing: refresh with TAIZHANG_BLESS=1 cargo test --locked --test integration golden");
        let now = dir.path().join(name);
        std::fs::write(&now, &outputs[*name]).unwrap();
        let (code, said) = compare(&kept, &now);
        assert_eq!(code, 0, "{name}: what openpyxl or calamine reads differs from tests/fixtures/golden/{name}:\n{said}");
        assert!(said.contains("0 differences") && !said.contains("(0 styled"), "{name}: the comparison read nothing: {said}");
    }
}

/// The kept rollup with one part's first `from` replaced by `to`, every other part as it is.
fn mutated(kept: &[u8], part: &str, from: &str, to: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(kept)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut replaced = false;
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if name == part {
            let text = String::from_utf8(bytes).unwrap();
            assert!(text.contains(from), "{part} has no {from:?}");
            bytes = text.replacen(from, to, 1).into_bytes();
            replaced = true;
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(&bytes).unwrap();
    }
    assert!(replaced, "the rollup has no part {part}");
    out.finish().unwrap().into_inner()
}

/// The comparison can fail: each change a reader would see — a value, a width, a number format, a merge,
/// the page orientation, a row height — is reported, while the same content in other bytes (every part
/// recompressed) is not.
#[test]
fn the_comparison_sees_each_kind_of_change() {
    let kept_path = fixture_dir().join("rollup.xlsx");
    let kept = std::fs::read(&kept_path).expect("tests/fixtures/golden/rollup.xlsx");
    let sheet = "xl/worksheets/sheet1.xml";
    let dir = tempfile::tempdir().unwrap();
    let same = dir.path().join("recompressed.xlsx");
    std::fs::write(&same, mutated(&kept, sheet, "<", "<")).unwrap();
    assert_ne!(std::fs::read(&same).unwrap(), kept, "the recompressed copy should differ in bytes");
    let (code, said) = compare(&kept_path, &same);
    assert_eq!(code, 0, "the same content recompressed should read the same: {said}");
    let changes: &[(&str, &str, &str, &str)] = &[
        ("a cell's text", "xl/sharedStrings.xml", "<t>", "<t>改"),
        ("a column width", sheet, "width=\"14.7109375\"", "width=\"15.7109375\""),
        ("a number format", "xl/styles.xml", "formatCode=\"0.0%\"", "formatCode=\"0.00%\""),
        ("a merge", sheet, "<mergeCell ref=\"A1:", "<mergeCell ref=\"B1:"),
        ("the orientation", sheet, "orientation=\"landscape\"", "orientation=\"portrait\""),
        ("a row height", sheet, "ht=\"30\"", "ht=\"31\""),
    ];
    for (what, part, from, to) in changes {
        let changed = dir.path().join("changed.xlsx");
        std::fs::write(&changed, mutated(&kept, part, from, to)).unwrap();
        let (code, said) = compare(&kept_path, &changed);
        assert_eq!(code, 1, "{what} changed ({part}: {from} → {to}) but the comparison did not say so: {said}");
    }
}
