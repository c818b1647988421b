//! The real-world corpus (`../shared/corpus`, 1,776 spreadsheets from Excel, WPS, LibreOffice, POI,
//! fuzzers …): every file gives a submission or a clear error naming it, nothing panics, memory stays
//! bounded, and every file calamine can open is opened. The outcome of each file is kept in
//! `tests/fixtures/corpus_outcomes.tsv`, so that a change in behaviour shows as a diff; run with
//! `TAIZHANG_UPDATE_CORPUS=1` to accept the new outcomes after reading the diff.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value as Json;

use super::common::repo;

fn corpus() -> Option<PathBuf> {
    let dir = repo().join("../shared/corpus");
    dir.join("MANIFEST.tsv").is_file().then(|| dir.canonicalize().unwrap())
}

/// `path → (python-calamine 0.9.1's result, features found)` from the corpus manifest.
fn manifest(dir: &std::path::Path) -> BTreeMap<String, (String, String)> {
    let text = std::fs::read_to_string(dir.join("MANIFEST.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|h| h.starts_with(name)).unwrap();
    let (result, features) = (col("python_calamine"), col("features"));
    lines.map(|l| l.split('\t').collect::<Vec<_>>()).map(|f| (f[0].to_string(), (f[result].to_string(), f[features].to_string()))).collect()
}

/// One line of outcome per file: `ok`, `ok rows=N` when a ledger was found, or the file-level codes.
fn outcome(file: &Json) -> String {
    if file["readable"] == true {
        let rows = file["rows"].as_u64().unwrap();
        return if rows > 0 { format!("ok rows={rows}") } else { "ok".into() };
    }
    let mut codes: Vec<&str> = file["findings"].as_array().unwrap().iter().filter_map(|f| f["code"].as_str()).filter(|c| c.starts_with('F')).collect();
    codes.sort();
    codes.dedup();
    codes.join(",")
}

#[test]
fn every_corpus_file_gives_a_result_or_a_clear_error() {
    let Some(dir) = corpus() else {
        eprintln!("../shared/corpus is not here; corpus test skipped");
        return;
    };
    let out = tempfile::tempdir().unwrap();
    let json = out.path().join("corpus.json");
    let rss = out.path().join("rss");
    // GNU time reports the peak resident memory of the whole run (installed by .ci/run).
    let status = Command::new("/usr/bin/time")
        .arg("-o")
        .arg(&rss)
        .arg("-f")
        .arg("%M")
        .arg(env!("CARGO_BIN_EXE_taizhang"))
        .args(["check", "--json"])
        .arg(&json)
        .arg(&dir)
        .output()
        .expect("/usr/bin/time (Debian package `time`)");
    let code = status.status.code();
    assert!(matches!(code, Some(0 | 1)), "check ran to the end: exit {code:?}\n{}", String::from_utf8_lossy(&status.stderr));
    let peak_kib: u64 = std::fs::read_to_string(&rss).unwrap().trim().lines().last().unwrap().parse().unwrap();
    assert!(peak_kib < 1 << 20, "peak memory {} MiB over the corpus must stay under 1 GiB", peak_kib >> 10);

    let report: Json = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let manifest = manifest(&dir);
    let prefix = format!("{}/", dir.display());
    let mut outcomes: BTreeMap<String, String> = BTreeMap::new();
    for f in report["files"].as_array().unwrap().iter().chain(report["skipped"].as_array().unwrap()) {
        let name = f["file"].as_str().unwrap();
        let rel = name.strip_prefix(&prefix).unwrap_or(name).to_string();
        let o = if f.get("readable").is_some() { outcome(f) } else { f["code"].as_str().unwrap().to_string() };
        // A file that could not be read says why, in Chinese, naming the file.
        if f.get("readable") == Some(&Json::Bool(false)) {
            let first = &f["findings"][0];
            assert_eq!(first["file"], name, "{rel}: the finding names the file");
            assert!(first["message"].as_str().unwrap().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{rel}: message in Chinese");
        }
        outcomes.insert(rel, o);
    }
    for (path, (calamine, features)) in &manifest {
        let ours = outcomes.get(path).unwrap_or_else(|| panic!("{path} has no outcome"));
        if calamine == "ok" {
            assert!(ours.starts_with("ok"), "{path}: calamine opens it, taizhang says {ours}");
        }
        // Encrypted workbooks say so, including XOR-obfuscated ones that calamine reports as a code-page error.
        if features.contains("encrypted") && (calamine.contains("Password") || calamine.contains("Codepage")) {
            assert_eq!(ours, "F03", "{path}: encrypted");
        }
    }
    assert_eq!(outcomes.len(), manifest.len() + 2, "every file of the corpus (and its README and MANIFEST) has an outcome");

    let text: String = outcomes.iter().map(|(p, o)| format!("{p}\t{o}\n")).collect();
    let known_path = repo().join("tests/fixtures/corpus_outcomes.tsv");
    if std::env::var_os("TAIZHANG_UPDATE_CORPUS").is_some() {
        std::fs::write(&known_path, &text).unwrap();
        return;
    }
    let known = std::fs::read_to_string(&known_path).unwrap_or_default();
    if known != text {
        let old: BTreeMap<&str, &str> = known.lines().filter_map(|l| l.split_once('\t')).collect();
        let diff: Vec<String> = outcomes
            .iter()
            .filter(|(p, o)| old.get(p.as_str()) != Some(&o.as_str()))
            .map(|(p, o)| format!("{p}: {} -> {o}", old.get(p.as_str()).unwrap_or(&"(new)")))
            .take(60)
            .collect();
        panic!("corpus outcomes changed (TAIZHANG_UPDATE_CORPUS=1 accepts them):\n{}", diff.join("\n"));
    }
}

/// Files on which calamine reads a cell wrongly and the sparse reader right, checked by hand.
const KNOWN_CALAMINE_DEFECTS: &[(&str, &str)] = &[
    ("poi/test-data/spreadsheet/StringContinueRecords.xls", "calamine drops part of a LABEL string continued over CONTINUE records"),
    ("poi/test-data/spreadsheet/WrongFormulaRecordType.xls", "calamine misses the custom date format 59 (mmm d, yyyy) and shows the serial 38352"),
];

/// taizhang's sparse xls reader (used when calamine would need too much memory) against calamine on every
/// xls of the corpus: the same cells with the same values.
#[test]
fn the_sparse_xls_reader_agrees_with_calamine() {
    use taizhang::read::{Limits, read_bytes};
    let Some(dir) = corpus() else {
        eprintln!("../shared/corpus is not here; skipped");
        return;
    };
    let sparse_limits = Limits { max_xls_bytes: 0, ..Limits::default() };
    let (mut compared, mut differing) = (0, Vec::new());
    for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path();
        if !path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xls")) {
            continue;
        }
        let bytes = std::fs::read(path).unwrap();
        let (Ok(a), Ok(b)) = (read_bytes(bytes.clone(), &Limits::default()), read_bytes(bytes, &sparse_limits)) else { continue };
        if a.format.name() != "xls" {
            continue;
        }
        compared += 1;
        let cells = |wb: &taizhang::read::Workbook| -> Vec<(String, u32, u32, String)> {
            wb.sheets
                .iter()
                .flat_map(|s| s.grid.cells().iter().filter(|c| !c.is_merge_copy()).map(move |c| (s.name.clone(), c.pos.row, c.pos.col, c.value.to_text())))
                .collect()
        };
        let (ca, cb) = (cells(&a), cells(&b));
        // Where calamine is known to be wrong the sparse reader may differ: calamine reads some UTF-16
        // LABEL strings as bytes (NULs between the letters).
        let calamine_wrong = |x: &(String, u32, u32, String), y: &(String, u32, u32, String)| {
            (x.0.as_str(), x.1, x.2) == (y.0.as_str(), y.1, y.2) && x.3.contains('\0')
        };
        let rel = path.strip_prefix(&dir).unwrap().to_string_lossy().into_owned();
        if KNOWN_CALAMINE_DEFECTS.iter().any(|(f, _)| *f == rel) {
            continue;
        }
        if ca.len() == cb.len() && ca.iter().zip(&cb).all(|(x, y)| x == y || calamine_wrong(x, y)) {
            continue;
        }
        if ca != cb {
            let first = ca.iter().zip(&cb).find(|(x, y)| x != y).map(|(x, y)| format!("{x:?} vs {y:?}")).unwrap_or_else(|| format!("{} vs {} cells", ca.len(), cb.len()));
            differing.push(format!("{}: {first}", path.strip_prefix(&dir).unwrap().display()));
        }
    }
    assert!(compared > 300, "compared {compared} xls files");
    assert!(differing.is_empty(), "{} of {compared} differ:\n{}", differing.len(), differing.join("\n"));
}
