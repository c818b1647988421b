//! Process-wide memory settings.
//!
//! `consolidate` reads returns on several threads and then merges and writes on one. glibc gives every
//! thread an arena of its own (up to eight per core), and memory freed in a reader's arena is not reused
//! by the thread that merges: a national collection peaked at 790 MB where the work needs under 500. Two
//! arenas — one per core of the machines the office uses — keep the peak to what is in flight (measured
//! in BENCHMARKS.md), at no cost in speed on two cores.
//!
//! The `taizhang` binary allocates through mimalloc (see Cargo.toml), so this now bounds what C code in
//! the process (SQLite, the console) and programs embedding the library with the system allocator take.

/// Limits glibc to two malloc arenas; elsewhere (musl, Windows, macOS) there is nothing to do.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; called once at start, before any thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}
