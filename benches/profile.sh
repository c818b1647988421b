#!/usr/bin/env bash
# Where `taizhang consolidate` spends its time: a perf profile of one run.
#
#   bash benches/profile.sh [CORPUS] [FREQ]
#
# CORPUS is a directory under benches/corpora/ made by run.sh (default national-clean; generated here
# if missing), FREQ the sampling frequency (default 499 Hz). Writes benches/results/profile-CORPUS.txt:
# the flat profile by shared object and by symbol, then the same folded by the taizhang/polars/calamine/
# rust_xlsxwriter/zip crate that the symbol belongs to, then a call-graph excerpt. Needs `perf`
# (linux-perf) and kernel.perf_event_paranoid <= 2.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/benches
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/taizhang/target-release}
REL=$CARGO_TARGET_DIR/release
CORPUS=${1:-national-clean}
FREQ=${2:-499}
DIR=$BENCH/corpora/$CORPUS
OUT=$BENCH/out
RES=$BENCH/results/profile-$CORPUS.txt
mkdir -p "$OUT" "$BENCH/results"
command -v perf >/dev/null || { echo "profile.sh: perf not installed (apt-get install linux-perf)" >&2; exit 2; }
if [ ! -f "$DIR/.done" ]; then
  case $CORPUS in
    national-clean) rows=47620 ;;
    province-*) rows=2000 ;;
    *) echo "profile.sh: unknown corpus $CORPUS; run benches/run.sh first" >&2; exit 2 ;;
  esac
  extra=(); [[ $CORPUS == *messy ]] && extra=(--messy)
  "$REL/examples/gen_ledgers" --out "$DIR" --files 21 --rows $rows "${extra[@]}"
  touch "$DIR/.done"
fi
DATA=$OUT/perf-$CORPUS.data
rm -f "$OUT/profile.xlsx"
# DWARF unwinding: the release build has line tables but no frame pointers.
perf record -F "$FREQ" --call-graph dwarf,16384 -o "$DATA" -- \
  "$REL/taizhang" consolidate "$DIR" --out "$OUT/profile.xlsx" --period 2018Q3 >/dev/null 2>&1 || true
# `head` closes the pipes early; that is not a failure of the report.
set +o pipefail
{
  echo "# perf profile of: taizhang consolidate $CORPUS (perf record -F $FREQ --call-graph dwarf)"
  echo
  echo "## By shared object"
  perf report -i "$DATA" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15
  echo
  echo "## Top symbols (self time)"
  perf report -i "$DATA" --no-children --sort symbol --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -60
  echo
  echo "## Self time folded by crate (first path segment of the Rust symbol)"
  perf report -i "$DATA" --no-children --sort symbol --stdio -g none 2>/dev/null | grep -v '^#' | grep '%' |
    "${PYTHON:-python3}" "$BENCH/fold_crates.py"
  echo
  echo "## Inclusive time of taizhang's own functions (children included)"
  perf report -i "$DATA" --children --sort symbol --stdio -g none 2>/dev/null | grep -v '^#' |
    grep -E 'taizhang::' | head -40
} > "$RES"
echo "profile.sh: wrote $RES" >&2
