//! The golden test: every output of the pipeline for fixed inputs, kept as it is today, so that a change
//! made for the code's sake (a restructuring, a refactor) shows as a difference here instead of in an
//! office's workbook.
//!
//! The inputs are `samples/` (the returns) and the same folder without 宜宾's corrected file (an earlier
//! state of the collection). The run: the 21 templates, `check` (text and JSON), `consolidate` (workbook,
//! CSV, Parquet), `feedback`, next quarter's templates prefilled from the rollup, a rollup with
//! `--previous`, and `diff`. Every output is deterministic, so the comparison is byte for byte.
//!
//! Kept under `tests/fixtures/golden/`: the text outputs in full (what the command printed with its exit
//! code, CSV, JSON) and `MANIFEST.tsv`, the SHA-256 of every output file and of every part of every xlsx,
//! so that a failure names the workbook and the XML part that differ. The rollup workbooks themselves are
//! kept too (`rollup.xlsx`, `early.xlsx`, `rollup-previous.xlsx`): `golden_content` compares what two
//! independent readers find in them with what they find in today's, so that a change of compression or of
//! how formats are registered, which changes bytes, is told apart from a change of content. When an output
//! is meant to change,
//! refresh the fixtures and say why in the commit:
//!
//! ```text
//! TAIZHANG_BLESS=1 cargo test --locked --test integration golden
//! ```

use std::collections::BTreeMap;
use std::io::Read;

use sha2::{Digest, Sha256};

use super::common::{repo, samples, taizhang};

/// The file of 宜宾 that the earlier state of the collection lacks.
const CORRECTED: &str = "2018Q3-宜宾市-质量提升台账（修改）.xlsx";

/// The commands of the run, in order: (name of the printed output, arguments).
const RUN: &[(&str, &[&str])] = &[
    ("template.txt", &["template", "--period", "2018Q3", "--deadline", "2018-10-10", "--out", "templates"]),
    ("check.txt", &["check", "samples", "--period", "2018Q3", "--json", "check.json", "--jobs", "2"]),
    ("consolidate.txt", &["consolidate", "samples", "--period", "2018Q3", "--out", "rollup.xlsx", "--csv", "csv", "--parquet", "ledger.parquet", "--jobs", "2"]),
    ("feedback.txt", &["feedback", "samples", "--period", "2018Q3", "--out", "feedback", "--jobs", "2"]),
    ("template-q4.txt", &["template", "--period", "2018Q4", "--deadline", "2019-01-10", "--from", "rollup.xlsx", "--out", "templates-q4"]),
    ("consolidate-early.txt", &["consolidate", "early", "--period", "2018Q3", "--out", "early.xlsx", "--jobs", "2"]),
    ("consolidate-previous.txt", &["consolidate", "samples", "--period", "2018Q3", "--out", "rollup-previous.xlsx", "--previous", "early.xlsx", "--jobs", "2"]),
    ("diff.txt", &["diff", "early.xlsx", "rollup.xlsx", "--out", "diff.xlsx"]),
];

/// Outputs kept in full: what the commands printed, and the text files they wrote.
fn is_text(name: &str) -> bool {
    name.ends_with(".txt") || name.ends_with(".csv") || name.ends_with(".json")
}

/// The rollup workbooks kept whole, for the content comparison of `golden_content`.
pub(super) const KEPT_WORKBOOKS: &[&str] = &["rollup.xlsx", "early.xlsx", "rollup-previous.xlsx"];

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs the pipeline in a fresh directory and returns every output by its relative name.
pub(super) fn run_pipeline() -> BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (folder, skip) in [("samples", None), ("early", Some(CORRECTED))] {
        std::fs::create_dir(d.join(folder)).unwrap();
        for e in std::fs::read_dir(samples()).unwrap() {
            let e = e.unwrap();
            if Some(e.file_name().to_string_lossy().as_ref()) != skip {
                std::fs::copy(e.path(), d.join(folder).join(e.file_name())).unwrap();
            }
        }
    }
    let mut out = BTreeMap::new();
    for (name, args) in RUN {
        let o = taizhang(d, args);
        let mut text = format!("$ taizhang {}\nexit: {:?}\n", args.join(" "), o.status.code()).into_bytes();
        text.extend_from_slice(b"--- stdout\n");
        text.extend_from_slice(&o.stdout);
        text.extend_from_slice(b"--- stderr\n");
        text.extend_from_slice(&o.stderr);
        out.insert(name.to_string(), text);
    }
    for e in walkdir::WalkDir::new(d).sort_by_file_name() {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(d).unwrap().to_string_lossy().replace('\\', "/");
        if e.file_type().is_file() && !rel.starts_with("samples/") && !rel.starts_with("early/") {
            out.insert(rel, std::fs::read(e.path()).unwrap());
        }
    }
    out
}

/// The manifest lines of one output: its hash, and for a workbook the hash of each of its parts.
fn manifest_lines(name: &str, bytes: &[u8]) -> Vec<(String, String)> {
    let mut lines = vec![(name.to_string(), sha256(bytes))];
    if name.ends_with(".xlsx") {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).unwrap();
            let mut part = Vec::new();
            f.read_to_end(&mut part).unwrap();
            let member = f.name().map(|n| n.to_string()).unwrap_or_default();
            lines.push((format!("{name}!{member}"), sha256(&part)));
        }
    }
    lines
}

pub(super) fn fixture_dir() -> std::path::PathBuf {
    repo().join("tests/fixtures/golden")
}

/// The file name under which a text output is kept (folders flattened with `__`).
fn fixture_name(name: &str) -> String {
    name.replace('/', "__")
}

fn write_fixtures(outputs: &BTreeMap<String, Vec<u8>>) {
    let dir = fixture_dir();
    if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    let mut manifest = String::new();
    for (name, bytes) in outputs {
        for (k, v) in manifest_lines(name, bytes) {
            manifest.push_str(&format!("{k}\t{v}\n"));
        }
        if is_text(name) || KEPT_WORKBOOKS.contains(&name.as_str()) {
            std::fs::write(dir.join(fixture_name(name)), bytes).unwrap();
        }
    }
    std::fs::write(dir.join("MANIFEST.tsv"), manifest).unwrap();
}

/// The first line where two texts part, to show in a failure.
fn first_difference(want: &str, got: &str) -> String {
    for (i, (a, b)) in want.lines().zip(got.lines()).enumerate() {
        if a != b {
            return format!("line {}:\n  fixture: {a}\n  now:     {b}", i + 1);
        }
    }
    format!("one is longer ({} lines against {} now)", want.lines().count(), got.lines().count())
}

#[test]
fn outputs_are_unchanged() {
    let first = run_pipeline();
    if std::env::var_os("TAIZHANG_BLESS").is_some() {
        // Twice, to be sure that what is kept is deterministic.
        assert_eq!(first, run_pipeline(), "two runs differ: the outputs are not deterministic");
        write_fixtures(&first);
        return;
    }
    let dir = fixture_dir();
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).expect("tests/fixtures/golden/MANIFEST.tsv: refresh with TAIZHANG_BLESS=1");
    let want: BTreeMap<&str, &str> = manifest.lines().filter_map(|l| l.split_once('\t')).collect();
    let got: BTreeMap<String, String> = first.iter().flat_map(|(n, b)| manifest_lines(n, b)).collect();
    let mut problems = Vec::new();
    for (k, v) in &want {
        match got.get(*k) {
            None => problems.push(format!("{k}: no longer written")),
            Some(g) if g != v => {
                let detail = match (is_text(k), first.get(*k)) {
                    (true, Some(now)) => {
                        let kept = std::fs::read_to_string(dir.join(fixture_name(k))).unwrap_or_default();
                        format!(" — {}", first_difference(&kept, &String::from_utf8_lossy(now)))
                    }
                    _ => String::new(),
                };
                problems.push(format!("{k}: differs{detail}"));
            }
            Some(_) => {}
        }
    }
    for k in got.keys().filter(|k| !want.contains_key(k.as_str())) {
        problems.push(format!("{k}: new output"));
    }
    assert!(
        problems.is_empty(),
        "{} outputs differ from tests/fixtures/golden (if the change is meant, refresh with TAIZHANG_BLESS=1 cargo test --locked --test integration golden, and say why in the commit):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
