//! The floor of the benchmarks (issue 6): the least a program can do to turn the returns into one sheet.
//!
//! ```text
//! cargo run --release --example floor -- DIR OUT.xlsx
//! ```
//!
//! Reads every .xlsx/.xls/.ods file in DIR with calamine (`open_workbook_auto`, first sheet, used range),
//! finds the header row (the first row with a cell ending in 企业名称), keeps the non-empty rows after it,
//! and writes them all, as strings with no formatting, into one sheet with rust_xlsxwriter in its ordinary
//! (in-memory) mode, a column with the file name first. Files are read on one thread per core (std threads).
//! No validation, no header mapping, no merge handling, no rollup sheets: whatever taizhang does beyond
//! this is what its time above the floor buys.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use calamine::{Data, Reader, open_workbook_auto};
use rust_xlsxwriter::Workbook;

type Rows = Vec<Vec<String>>;

fn read_one(path: &Path) -> Result<(Vec<String>, Rows), String> {
    let mut wb = open_workbook_auto(path).map_err(|e| e.to_string())?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| "no sheet".to_string())?
        .map_err(|e| e.to_string())?;
    let mut rows = range.rows();
    let mut header = Vec::new();
    for row in rows.by_ref().take(20) {
        if row.iter().any(|c| matches!(c, Data::String(s) if s.trim().ends_with("企业名称"))) {
            header = row.iter().map(|c| c.to_string()).collect();
            break;
        }
    }
    if header.is_empty() {
        return Err("no header row (a cell ending in 企业名称) in the first 20 rows".into());
    }
    let mut out = Vec::new();
    for row in rows {
        if row.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        out.push(row.iter().map(|c| c.to_string()).collect());
    }
    Ok((header, out))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, out] = args.as_slice() else {
        eprintln!("usage: floor DIR OUT.xlsx");
        return ExitCode::from(2);
    };
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "xlsx" | "xlsm" | "xls" | "ods"))
            })
            .collect(),
        Err(e) => {
            eprintln!("floor: {dir}: {e}");
            return ExitCode::from(2);
        }
    };
    files.sort();

    // Read: one thread per core, each taking files round-robin.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(files.len().max(1));
    let mut results: Vec<Option<Result<(Vec<String>, Rows), String>>> = (0..files.len()).map(|_| None).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let files = &files;
                s.spawn(move || {
                    (t..files.len()).step_by(threads).map(|i| (i, read_one(&files[i]))).collect::<Vec<_>>()
                })
            })
            .collect();
        for h in handles {
            for (i, r) in h.join().expect("reader thread") {
                results[i] = Some(r);
            }
        }
    });

    // Write: one sheet, every cell a string.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let mut r: u32 = 0;
    let mut total = 0usize;
    let mut wrote_header = false;
    for (path, res) in files.iter().zip(results) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (header, rows) = match res.expect("every file read") {
            Ok(x) => x,
            Err(e) => {
                eprintln!("floor: {name}: {e}");
                continue;
            }
        };
        if !wrote_header {
            let _ = ws.write_string(r, 0, "文件");
            for (c, h) in header.iter().enumerate() {
                let _ = ws.write_string(r, c as u16 + 1, h);
            }
            r += 1;
            wrote_header = true;
        }
        for row in rows {
            if let Err(e) = ws.write_string(r, 0, &name) {
                eprintln!("floor: {e}");
                return ExitCode::from(1);
            }
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    let _ = ws.write_string(r, c as u16 + 1, v);
                }
            }
            r += 1;
            total += 1;
        }
    }
    if let Err(e) = wb.save(out) {
        eprintln!("floor: {out}: {e}");
        return ExitCode::from(1);
    }
    eprintln!("floor: {} files, {total} rows → {out}", files.len());
    ExitCode::SUCCESS
}
