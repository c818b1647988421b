#!/usr/bin/env bash
# The dataset's cost (issue 25), outside the tests:
#   1. `consolidate` of the national corpus (21 files × 47,620 rows = 1,000,020 rows) with and without
#      `--dataset`, alternating, ROUNDS times each: what writing the period into the dataset adds;
#   2. DuckDB's "enterprises per prefecture per period" (the README's query) over ten periods of that
#      ledger (10 × 1,000,020 rows: the period's partition copied under the plan's ten period keys).
#
#   bash benches/dataset.sh [--rounds N] [--no-build] [--dev] [--tag NAME]
#
# --dev measures the dev profile's binaries (dependencies optimised, taizhang's own code not) where no
# release build can be afforded; the results say which profile they are.
#
# Every file is given an hour to read (--timeout), so that a slow build measures the work, not the
# per-file deadline.
# Environment: CARGO_TARGET_DIR (default ~/.cache/taizhang/target-release), PYTHON (default python3, with
# duckdb installed: tests/requirements.txt). Corpora are shared with run.sh (benches/corpora/, generated
# deterministically); results go to benches/results/<tag>-dataset.md and -dataset.tsv.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/benches
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/taizhang/target-release}
PYTHON=${PYTHON:-python3}
ROUNDS=3
BUILD=1
PROFILE=release
TAG=$(date +%Y%m%d-%H%M%S)
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) ROUNDS=$2; shift ;;
    --no-build) BUILD=0 ;;
    --dev) PROFILE=debug ;;
    --tag) TAG=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "dataset.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

REL=$CARGO_TARGET_DIR/$PROFILE
TAIZHANG=$REL/taizhang
GEN=$REL/examples/gen_ledgers
CORPUS=$BENCH/corpora/national-clean
OUT=$BENCH/out/dataset
RESULTS=$BENCH/results
TSV=$RESULTS/$TAG-dataset.tsv
MD=$RESULTS/$TAG-dataset.md
mkdir -p "$OUT" "$RESULTS"
log() { echo "[$(date +%H:%M:%S)] $*" | sed -e "s#$ROOT/##g" -e "s#$HOME#~#g" >&2; }

if [ "$BUILD" = 1 ]; then
  flag=$([ "$PROFILE" = release ] && echo --release || true)
  # shellcheck disable=SC2086
  (cd "$ROOT" && cargo build --locked $flag --example gen_ledgers && cargo build --locked $flag) 2>&1 | tail -2 >&2
fi
if [ ! -f "$CORPUS/.done" ]; then
  rm -rf "$CORPUS"
  "$GEN" --out "$CORPUS" --files 21 --rows 47620
  touch "$CORPUS/.done"
fi

printf 'what\tround\twall_s\tpeak_rss_kib\n' > "$TSV"
timed() { # timed WHAT ROUND CMD…
  local what=$1 round=$2; shift 2
  sync
  /usr/bin/time -f "%e %M" -o "$OUT/time.tmp" "$@" >/dev/null 2>"$OUT/stderr" || { [ $? = 1 ] || { cat "$OUT/stderr" >&2; exit 2; }; }
  read -r wall rss < <(tail -1 "$OUT/time.tmp")
  printf '%s\t%s\t%s\t%s\n' "$what" "$round" "$wall" "$rss" >> "$TSV"
  log "$what round $round: ${wall}s, peak RSS ${rss} KiB"
}

for r in $(seq 1 "$ROUNDS"); do
  rm -rf "$OUT/ds" "$OUT/rollup.xlsx"
  timed consolidate "$r" "$TAIZHANG" consolidate "$CORPUS" --out "$OUT/rollup.xlsx" --period 2018Q3 --force --timeout 3600
  timed consolidate+dataset "$r" "$TAIZHANG" consolidate "$CORPUS" --out "$OUT/rollup.xlsx" --period 2018Q3 --force --timeout 3600 --dataset "$OUT/ds" --deadline 2018-10-10
  # The dataset phase alone: from the rollup written (the dataset is written after it and the exports) to
  # the period's last file in place. Whole runs differ by more than this from one round to the next.
  phase=$("$PYTHON" -c "import os,sys; r=os.stat(sys.argv[1]).st_mtime_ns; print(round((max(os.stat(f'{sys.argv[2]}/{t}/period=2018Q3/part-0.parquet').st_mtime_ns for t in ['ledger','progress','indicators','submissions'])-r)/1e9, 3))" "$OUT/rollup.xlsx" "$OUT/ds")
  printf 'dataset-phase\t%s\t%s\t\n' "$r" "$phase" >> "$TSV"
  log "dataset phase round $r: ${phase}s"
done

# Ten periods of a million rows each: the partition written above under the plan's ten keys.
rm -rf "$OUT/ds10"
for t in ledger progress indicators submissions; do
  for p in 2018Q3 2018Q4 2019Q1 2019Q2 2019Q3 2019Q4 2020Q1 2020Q2 2020Q3 2020Q4; do
    mkdir -p "$OUT/ds10/$t/period=$p"
    cp "$OUT/ds/$t/period=2018Q3/part-0.parquet" "$OUT/ds10/$t/period=$p/"
  done
done
du -sh "$OUT/ds/ledger" "$OUT/ds10/ledger" | sed -e "s#$ROOT/##g" >&2
cat > "$OUT/query.py" <<'PY'
import sys, time, duckdb
con = duckdb.connect()
t = time.perf_counter()
rows = con.execute(f"""
    SELECT period, "填报市州", count(*) AS "企业数"
    FROM read_parquet('{sys.argv[1]}/ledger/*/*.parquet', hive_partitioning = true)
    GROUP BY ALL ORDER BY ALL
""").fetchall()
print(f"{time.perf_counter() - t:.3f} {len(rows)} {sum(r[2] for r in rows)}")
PY
for r in $(seq 1 "$ROUNDS"); do
  read -r secs groups total < <("$PYTHON" "$OUT/query.py" "$OUT/ds10")
  printf 'duckdb-query\t%s\t%s\t\n' "$r" "$secs" >> "$TSV"
  log "duckdb query round $r: ${secs}s, $groups groups, $total rows"
done

"$PYTHON" - "$TSV" "$MD" "$PROFILE" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
by = {}
for r in rows:
    by.setdefault(r["what"], []).append(r)
med = lambda w: statistics.median(float(r["wall_s"]) for r in by[w])
rss = lambda w: max(int(r["peak_rss_kib"] or 0) for r in by[w]) // 1024
base, ds, q, phase = med("consolidate"), med("consolidate+dataset"), med("duckdb-query"), med("dataset-phase")
with open(sys.argv[2], "w") as f:
    f.write(f"Profile: {sys.argv[3]}.\n\n| run (1,000,020 rows) | median wall (s) | runs | peak RSS (MiB) |\n|---|---:|---:|---:|\n")
    f.write(f"| consolidate | {base:.2f} | {len(by['consolidate'])} | {rss('consolidate')} |\n")
    f.write(f"| consolidate --dataset | {ds:.2f} | {len(by['consolidate+dataset'])} | {rss('consolidate+dataset')} |\n")
    f.write(f"\nWhole runs: the dataset adds {ds - base:.2f} s, {100 * (ds - base) / base:.1f} % of `consolidate`. The dataset phase alone (rollup written → the period's files in place): median {phase:.2f} s, {100 * phase / base:.1f} % of `consolidate`.\n\n")
    f.write(f"DuckDB, enterprises per prefecture per period over 10 periods × 1,000,020 rows: median {q:.3f} s over {len(by['duckdb-query'])} runs.\n")
print(open(sys.argv[2]).read())
PY
