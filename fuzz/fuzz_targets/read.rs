//! Arbitrary bytes through the whole reading path: format sniffing, archive expansion, every reader, the
//! importer and the validation. A panic in taizhang's own code is a crash. A panic inside a dependency (calamine, cfb, zip)
//! is what `batch` contains in production and reports as finding F06; here it is tolerated so the fuzzer
//! keeps looking for faults of ours, and such inputs belong in tests/fixtures/regressions/.
#![no_main]

use std::cell::RefCell;
use std::path::Path;
use std::sync::{Once, OnceLock};

use libfuzzer_sys::fuzz_target;
use taizhang::RefData;
use taizhang::read::{Limits, read_bytes};

fn refdata() -> &'static RefData {
    static R: OnceLock<RefData> = OnceLock::new();
    R.get_or_init(|| RefData::embedded().expect("embedded reference data"))
}

thread_local! {
    static PANIC_AT: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn read(data: &[u8]) {
    // Small limits keep each run fast and the fuzzer's memory bounded.
    let limits = Limits {
        max_cells: 200_000,
        max_unzipped_bytes: 16 << 20,
        max_xls_bytes: 64 << 20,
        max_xls_reserve_bytes: 256 << 20,
        ..Limits::default()
    };
    if taizhang::inbox::archive::archive_kind(data).is_some() {
        if let Ok(expanded) = taizhang::inbox::archive::expand(data, &limits) {
            for m in expanded.members {
                import(m.data, &limits);
            }
        }
        return;
    }
    import(data.to_vec(), &limits);
}

fn import(data: Vec<u8>, limits: &Limits) {
    if let Ok(wb) = read_bytes(data, limits) {
        let mut s = taizhang::import::import_workbook(refdata(), &wb, Path::new("fuzz.xlsx"), "fuzz.xlsx");
        taizhang::import::validate::validate(refdata(), &mut s);
    }
}

fuzz_target!(|data: &[u8]| {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let at = info.location().map(|l| format!("{}:{}", l.file(), l.line()));
            PANIC_AT.with(|p| *p.borrow_mut() = at);
        }));
    });
    if std::panic::catch_unwind(|| read(data)).is_err() {
        let at = PANIC_AT.with(|p| p.borrow_mut().take()).unwrap_or_default();
        // Dependencies live under the cargo registry; taizhang's own files are under src/.
        if !at.contains("/registry/") && !at.contains("/rustc/") {
            eprintln!("panic in taizhang at {at}");
            std::process::abort();
        }
    }
});
