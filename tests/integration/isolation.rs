//! The last line of defence: a panic or a stall while reading one file becomes a finding for that file
//! and the batch finishes. Plus the regression files that once crashed or exhausted a reader.

use std::sync::Arc;
use std::time::Duration;

use taizhang::import::batch::{BatchOptions, Worker, import_all, run_isolated};
use taizhang::inbox::Input;
use taizhang::submission::Submission;
use taizhang::{Code, Severity};

use super::common::{refdata, repo};

fn input(name: &str) -> Input {
    Input::file(name, name, true)
}

#[test]
fn a_panic_and_a_hang_become_findings_and_the_batch_finishes() {
    let inputs = [input("甲.xlsx"), input("panics.xlsx"), input("hangs.xlsx"), input("乙.xlsx")];
    let worker: Worker = Arc::new(|i: &Input| {
        match i.name.as_str() {
            "panics.xlsx" => panic!("index out of bounds in a dependency"),
            // A reader that ignores its deadline for a while (the real ones stop at it): abandoned by the
            // batch, it ends on its own later and gives its reading place back.
            "hangs.xlsx" => {
                std::thread::sleep(Duration::from_secs(5));
                Vec::new()
            }
            _ => {
                let mut s = Submission::new(i.path.clone(), i.name.clone());
                s.readable = true;
                vec![s]
            }
        }
    });
    let opts = BatchOptions { timeout: Duration::from_millis(500), jobs: 2, ..BatchOptions::default() };
    let mut seen = Vec::new();
    let subs = run_isolated(refdata(), &inputs, &opts, worker, &mut |done, total, name| seen.push((done, total, name.to_string())));
    assert_eq!(subs.len(), 4, "one result per input, in order");
    assert!(subs[0].readable && subs[3].readable);
    let panic = &subs[1].findings[0];
    assert_eq!((panic.code, panic.severity), (Code::ReaderFailure, Severity::Error));
    // The panic's own (English) words are the technical detail; the message stays forwardable.
    assert!(panic.detail.as_deref().is_some_and(|d| d.contains("index out of bounds")), "{panic:?}");
    assert!(!panic.message.contains("index out of bounds"), "{}", panic.message);
    let hang = &subs[2].findings[0];
    assert_eq!(hang.code, Code::Timeout);
    assert!(hang.message.contains("0.5"), "{}", hang.message);
    assert_eq!(seen.len(), 4, "progress reported for every file");
    assert!(seen.iter().all(|(_, total, _)| *total == 4));
}

/// Files that made a reader panic, allocate without bound or decompress without bound.
#[test]
fn regression_files_give_a_clear_outcome() {
    let dir = repo().join("tests/fixtures/regressions");
    let cases = [
        // calamine 0.37 panicked on these two (see the corpus README); 0.38 still panics on Simple.xlsb.
        ("Simple.xlsb", &[Code::ReaderFailure][..]),
        ("clusterfuzz-testcase-minimized-POIHSSFFuzzer-5816431116615680.xls", &[Code::Unreadable][..]),
        // Arithmetic overflow inside calamine (a panic in a build with overflow checks).
        ("clusterfuzz-testcase-minimized-POIXSSFFuzzer-5937385319563264.xlsx", &[Code::NoLedger][..]),
        // Found by the fuzzer: a compound file whose directory chain loops; calamine allocated without bound.
        ("fuzz-oom-cfb-chain.xls", &[Code::Unreadable][..]),
        // Found by the fuzzer: a merged range with reversed corners (an underflow in taizhang's own code).
        ("fuzz-reversed-merge.bin", &[Code::NoLedger][..]),
        // Found by the fuzzer: a compound file only calamine opens, with one stray cell far out; calamine
        // would have filled a 4.8 GB rectangle. The sparse reader reads it.
        ("fuzz-oom-xls-broken-cfb.xls", &[Code::NoLedger][..]),
        // Found by the fuzzer: a file the cfb crate opens, whose mini-stream chain loops; calamine followed
        // it up to the 2 GB length the root entry declares.
        ("fuzz-oom-ministream-loop.xls", &[Code::Unreadable][..]),
        // An ODS whose repeated rows and columns declare billions of cells.
        ("issue_594_dos.ods", &[Code::TooLarge][..]),
        // An xls with cells far apart: calamine would hold a 16-million-cell rectangle per sheet; the sparse
        // reader reads it instead.
        ("51535.xls", &[Code::NoLedger][..]),
    ];
    let inputs: Vec<Input> =
        cases.iter().map(|(n, _)| Input::file(dir.join(n), n.to_string(), true)).collect();
    let subs = import_all(refdata(), &inputs, &BatchOptions::default(), &mut |_, _, _| {});
    for ((name, allowed), s) in cases.iter().zip(&subs) {
        let codes: Vec<Code> = s.findings.iter().map(|f| f.code).collect();
        assert!(codes.iter().any(|c| allowed.contains(c)), "{name}: {codes:?}, expected one of {allowed:?}");
        assert!(!codes.contains(&Code::Timeout), "{name} read in time");
    }
    let wb = taizhang::read::read_file(&dir.join("51535.xls"), &taizhang::read::Limits::default()).unwrap();
    let cells: usize = wb.sheets.iter().map(|s| s.grid.cells().len()).sum();
    assert_eq!(cells, 4, "the four cells of 51535.xls, and no rectangle around them");
}
