#!/usr/bin/env bash
# Reproducible benchmark of `taizhang consolidate` against a floor and the Python tools people use (issue 6).
#
#   bash benches/run.sh [options]
#
#   --rounds N            rounds per province-scale corpus (default 3)
#   --rounds-national N   rounds at national scale (default 1)
#   --rounds-scaling N    rounds per scaling corpus of 1k/10k/100k/250k/500k rows (default 3)
#   --pandas-national M   auto (default: run only if the province timing extrapolates to < PANDAS_LIMIT s),
#                         yes, or no
#   --no-national         skip the national-scale corpus (and the 1M point of the scaling table)
#   --no-scaling          skip the scaling run
#   --no-build            use the binaries already built
#   --regen               regenerate the corpora even if they exist
#   --tag NAME            name of this run's results (default: the date and time)
#
# Environment: CARGO_TARGET_DIR (default ~/.cache/taizhang/target-release), PYTHON (default python3),
# PANDAS_LIMIT (seconds, default 600), JOBS (taizhang --jobs; default: taizhang's own default).
#
# Corpora go to benches/corpora/ (gitignored, regenerated deterministically), outputs to benches/out/
# (gitignored), raw timings to benches/results/<tag>-runs.tsv and the Markdown tables to
# benches/results/<tag>.md (kept).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/benches
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/taizhang/target-release}
PYTHON=${PYTHON:-python3}
PANDAS_LIMIT=${PANDAS_LIMIT:-600}

ROUNDS=3
ROUNDS_NATIONAL=1
ROUNDS_SCALING=3
PANDAS_NATIONAL=auto
NATIONAL=1
SCALING=1
BUILD=1
REGEN=0
TAG=$(date +%Y%m%d-%H%M%S)
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) ROUNDS=$2; shift ;;
    --rounds-national) ROUNDS_NATIONAL=$2; shift ;;
    --rounds-scaling) ROUNDS_SCALING=$2; shift ;;
    --pandas-national) PANDAS_NATIONAL=$2; shift ;;
    --no-national) NATIONAL=0 ;;
    --no-scaling) SCALING=0 ;;
    --no-build) BUILD=0 ;;
    --regen) REGEN=1 ;;
    --tag) TAG=$2; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

REL=$CARGO_TARGET_DIR/release
TAIZHANG=$REL/taizhang
FLOOR=$REL/examples/floor
GEN=$REL/examples/gen_ledgers
CORPORA=$BENCH/corpora
OUT=$BENCH/out
RESULTS=$BENCH/results
TSV=$RESULTS/$TAG-runs.tsv
LOG=$RESULTS/$TAG.log
mkdir -p "$CORPORA" "$OUT" "$RESULTS"

# Paths of the machine are written relative to the repository (and the home folder as ~) in the log kept.
log() { echo "[$(date +%H:%M:%S)] $*" | sed -e "s#$ROOT/##g" -e "s#$HOME#~#g" | tee -a "$LOG" >&2; }

if [ "$BUILD" = 1 ]; then
  log "building (release) in $CARGO_TARGET_DIR"
  (cd "$ROOT" && cargo build --release --examples && cargo build --release) 2>&1 | tail -3 | sed -e "s#$ROOT#.#g" -e "s#$HOME#~#g" | tee -a "$LOG" >&2
fi
for b in "$TAIZHANG" "$FLOOR" "$GEN"; do
  [ -x "$b" ] || { echo "run.sh: $b missing (build first)" >&2; exit 2; }
done

# ---- corpora -----------------------------------------------------------------------------------------
# name → gen_ledgers arguments (21 files each; rows per file)
declare -A CORPUS_ARGS=(
  [province-clean]="--rows 2000"
  [province-messy]="--rows 2000 --messy"
  [province-sst]="--rows 2000 --shared-strings"
  [national-clean]="--rows 47620"
  [scale-1k]="--rows 48"
  [scale-10k]="--rows 476"
  [scale-100k]="--rows 4762"
  [scale-250k]="--rows 11905"
  [scale-500k]="--rows 23810"
)
declare -A CORPUS_ROWS=(
  [province-clean]=42000 [province-messy]=42000 [province-sst]=42000 [national-clean]=1000020
  [scale-1k]=1008 [scale-10k]=9996 [scale-100k]=100002 [scale-250k]=250005 [scale-500k]=500010
)

gen() {
  local name=$1 dir=$CORPORA/$1
  if [ "$REGEN" = 1 ] || [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"
    # shellcheck disable=SC2086
    # The generator names the folder it wrote; the kept log names it from the repository's root.
    /usr/bin/time -f "%e %M" -o "$OUT/time.gen" "$GEN" --out "$dir" --files 21 ${CORPUS_ARGS[$name]} 2>&1 >/dev/null | sed -e "s#$ROOT/##g" >>"$LOG"
    read -r wall rss < "$OUT/time.gen"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n' "$name" gen_ledgers 1 "$wall" "$rss" 0 "${CORPUS_ROWS[$name]}" >> "$TSV"
    touch "$dir/.done"
    log "generated $name: $(du -sh "$dir" | cut -f1) in ${wall}s (peak RSS ${rss} KiB)"
  fi
}

# ---- tools -------------------------------------------------------------------------------------------
# cmd_for TOOL DIR OUT sets CMD to the command line. Each is timed directly by /usr/bin/time (no shell in
# between, so the peak RSS is the tool's own). A non-zero exit is recorded, not fatal; taizhang exits 1 when
# it wrote the rollup but some returns had error-level findings, which still counts as done.
cmd_for() {
  local tool=$1 dir=$2 out=$3
  case $tool in
    taizhang)
      CMD=("$TAIZHANG" consolidate "$dir" --out "$out" --period 2018Q3 ${JOBS:+--jobs "$JOBS"})
      # At national scale the period also goes into the dataset of every period (a fresh one each run),
      # which is counted in the time: the office keeps it quarter after quarter.
      if [ "$(basename "$dir")" = national-clean ]; then
        rm -rf "$OUT/dataset-national"
        CMD+=(--dataset "$OUT/dataset-national")
      fi ;;
    floor) CMD=("$FLOOR" "$dir" "$out") ;;
    pandas_openpyxl) CMD=("$PYTHON" "$BENCH/pandas_openpyxl.py" "$dir" "$out") ;;
    polars_python) CMD=("$PYTHON" "$BENCH/polars_python.py" "$dir" "$out") ;;
    *) echo "unknown tool $tool" >&2; exit 2 ;;
  esac
}

# measure CORPUS TOOL ROUND: one timed run, appended to the TSV.
measure() {
  local corpus=$1 tool=$2 round=$3
  local out=$OUT/$corpus-$tool.xlsx stdout=$OUT/$corpus-$tool.stdout stderr=$OUT/$corpus-$tool.stderr
  rm -f "$out"
  sync
  cmd_for "$tool" "$CORPORA/$corpus" "$out"
  local rc=0 load
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f "%e %M" -o "$OUT/time.tmp" "${CMD[@]}" >"$stdout" 2>"$stderr" || rc=$?
  local wall rss
  read -r wall rss < <(tail -1 "$OUT/time.tmp")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$corpus" "$tool" "$round" "$wall" "$rss" "$rc" "${CORPUS_ROWS[$corpus]:-}" "$load" >> "$TSV"
  log "$corpus $tool round $round: ${wall}s, peak RSS ${rss} KiB, exit $rc"
  if [ "$rc" -gt 1 ] || { [ "$rc" = 1 ] && [ "$tool" != taizhang ]; } || [ ! -s "$out" ]; then
    log "  $tool failed on $corpus (exit $rc); last lines of stderr:"
    tail -5 "$stderr" | sed 's/^/    /' | tee -a "$LOG" >&2
  fi
}

# bench CORPUS ROUNDS TOOL...: ROUNDS rounds, the tools' order rotated each round.
bench() {
  local corpus=$1 rounds=$2; shift 2
  local tools=("$@") n=$#
  for ((r = 1; r <= rounds; r++)); do
    for ((i = 0; i < n; i++)); do
      measure "$corpus" "${tools[$(((i + r - 1) % n))]}" "$r"
    done
  done
  # Row counts of what each tool wrote, once per corpus, as a check that they all did the same job.
  for t in "${tools[@]}"; do
    [ -f "$OUT/$corpus-$t.xlsx" ] || continue
    printf '%s\t%s\t' "$corpus" "$t" >> "$RESULTS/$TAG-rows.tsv"
    "$PYTHON" "$BENCH/count_rows.py" "$OUT/$corpus-$t.xlsx" >> "$RESULTS/$TAG-rows.tsv" 2>>"$LOG" || echo "?" >> "$RESULTS/$TAG-rows.tsv"
  done
}

printf 'corpus\ttool\tround\twall_s\tmax_rss_kib\texit\trows\tload1\n' > "$TSV"
# The machine, for the record; timings are only comparable on an otherwise idle machine.
{
  echo "nproc: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  free -g | sed -n 2p
  rustc --version
  "$PYTHON" -c 'import sys, pandas, openpyxl, polars, fastexcel, xlsxwriter; print("python", sys.version.split()[0],
    "pandas", pandas.__version__, "openpyxl", openpyxl.__version__, "polars", polars.__version__,
    "fastexcel", fastexcel.__version__, "xlsxwriter", xlsxwriter.__version__)'
  echo "taizhang $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)$(cd "$ROOT" && git diff --quiet -- src 2>/dev/null || echo ' (src modified)')"
} > "$RESULTS/$TAG-machine.txt" 2>&1
log "machine: $(tr '\n' ';' < "$RESULTS/$TAG-machine.txt")"
load=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$load" 'BEGIN {exit !(l > 0.5)}'; then
  log "warning: load average is $load before the run: other work on the machine will inflate the timings"
fi
printf 'corpus\ttool\tsheets (name=data rows)\n' > "$RESULTS/$TAG-rows.tsv"
log "results: $TSV"

# ---- template ----------------------------------------------------------------------------------------
for ((r = 1; r <= 5; r++)); do
  rm -rf "$OUT/templates"
  /usr/bin/time -f "%e %M" -o "$OUT/time.tmp" "$TAIZHANG" template --period 2018Q3 --out "$OUT/templates" \
    >/dev/null 2>>"$LOG" && rc=0 || rc=$?
  read -r wall rss < <(tail -1 "$OUT/time.tmp")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n' template taizhang_template "$r" "$wall" "$rss" "$rc" 21 >> "$TSV"
done
log "template: $(awk -F'\t' '$1=="template"{printf "%ss ", $4}' "$TSV")"

# ---- province scale ----------------------------------------------------------------------------------
TOOLS=(taizhang floor pandas_openpyxl polars_python)
for c in province-clean province-messy province-sst; do
  gen "$c"
  bench "$c" "$ROUNDS" "${TOOLS[@]}"
done

# ---- national scale ----------------------------------------------------------------------------------
if [ "$NATIONAL" = 1 ]; then
  gen national-clean
  NTOOLS=(taizhang floor polars_python)
  est=$(awk -F'\t' '$1=="province-clean" && $2=="pandas_openpyxl" && $6==0 {print $4}' "$TSV" | sort -n |
    awk '{a[NR]=$1} END {if (NR) printf "%.0f", a[int((NR+1)/2)] * 1000020 / 42000; else print 0}')
  case $PANDAS_NATIONAL in
    yes) NTOOLS+=(pandas_openpyxl) ;;
    no) log "pandas_openpyxl skipped at national scale (--pandas-national no)" ;;
    *)
      if [ "$est" -gt 0 ] && [ "$est" -le "$PANDAS_LIMIT" ]; then
        NTOOLS+=(pandas_openpyxl)
      else
        log "pandas_openpyxl skipped at national scale: province time × 23.8 rows = ~${est}s > ${PANDAS_LIMIT}s"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n' national-clean pandas_openpyxl_estimate 0 "$est" "" "" 1000020 >> "$TSV"
      fi ;;
  esac
  bench national-clean "$ROUNDS_NATIONAL" "${NTOOLS[@]}"
fi

# ---- scaling -----------------------------------------------------------------------------------------
if [ "$SCALING" = 1 ]; then
  # 250k and 500k complete the memory curve between 100k and the national 1M.
  for c in scale-1k scale-10k scale-100k scale-250k scale-500k; do
    gen "$c"
    bench "$c" "$ROUNDS_SCALING" taizhang floor
  done
fi

# ---- report ------------------------------------------------------------------------------------------
"$PYTHON" "$BENCH/summarize.py" "$TSV" "$RESULTS/$TAG-rows.tsv" | tee "$RESULTS/$TAG.md"
if [ "$SCALING" = 1 ]; then
  "$PYTHON" "$BENCH/plot_scaling.py" "$TSV" "$RESULTS/$TAG-scaling.svg" 2>>"$LOG" || true
fi
log "done: $RESULTS/$TAG.md (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
