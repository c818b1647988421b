#!/usr/bin/env bash
# Runs the reader fuzz target for a bounded time, its corpus seeded from ../shared/corpus (small files),
# from samples/ and from tests/fixtures/formats/ (Word, HTML, web archive, Excel 2003 XML). Anything it
# finds is saved under fuzz/artifacts/read/; turn each into a fixture under tests/fixtures/regressions/ and
# a test. Usage: fuzz/run.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
mkdir -p corpus/read
for d in ../samples ../tests/fixtures/formats ../../shared/corpus; do
  [ -d "$d" ] || continue
  find "$d" -type f -size -200k ! -name '*.md' ! -name '*.tsv' -print0 | while IFS= read -r -d '' f; do
    cp -n "$f" "corpus/read/$(sha1sum "$f" | cut -c1-16)" 2>/dev/null || true
  done
done
# cargo-fuzz needs nightly flags; the machine's stable toolchain accepts them with RUSTC_BOOTSTRAP.
export RUSTC_BOOTSTRAP=1
cargo fuzz run read corpus/read -- -max_total_time="$seconds" -seed=1 -rss_limit_mb=2048 -timeout=20 -max_len=1048576
