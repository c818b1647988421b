#!/usr/bin/env python3
"""Turns the raw timings of benches/run.sh into Markdown tables (medians, ratios to the floor and to
taizhang, peak memory).

    python3 benches/summarize.py benches/results/TAG-runs.tsv [benches/results/TAG-rows.tsv]
"""
import csv
import statistics
import sys
from collections import defaultdict

runs = defaultdict(list)        # (corpus, tool) -> [(wall, rss_kib, exit)]
estimates = {}                  # corpus -> estimated seconds of a skipped tool
with open(sys.argv[1], newline="") as f:
    for r in csv.DictReader(f, delimiter="\t"):
        if r["tool"].endswith("_estimate"):
            estimates[(r["corpus"], r["tool"][: -len("_estimate")])] = float(r["wall_s"])
            continue
        runs[(r["corpus"], r["tool"])].append(
            (float(r["wall_s"]), int(r["max_rss_kib"] or 0), int(r["exit"] or 0)))

CORPORA = [
    ("province-clean", "Province, clean (21 files × 2,000 rows = 42,000 rows)"),
    ("province-messy", "Province, messy layouts (21 files × 2,000 rows = 42,000 rows)"),
    ("province-sst", "Province, clean, shared-string table as Excel saves (21 × 2,000 rows)"),
    ("national-clean", "National, clean (21 files × 47,620 rows = 1,000,020 rows)"),
]
TOOLS = ["taizhang", "floor", "polars_python", "pandas_openpyxl"]


def ok(tool, ex):
    return ex == 0 or (tool == "taizhang" and ex == 1)


def med(xs):
    return statistics.median(xs) if xs else None


def stats(corpus, tool):
    rs = runs.get((corpus, tool), [])
    good = [r for r in rs if ok(tool, r[2])]
    if not good:
        return None
    return {
        "wall": med([r[0] for r in good]),
        "min": min(r[0] for r in good),
        "max": max(r[0] for r in good),
        "rss": med([r[1] for r in good]) / 1024,
        "n": len(good),
        "failed": len(rs) - len(good),
        "exits": sorted({r[2] for r in rs}),
    }


def fmt_s(x):
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"


out = []
for corpus, title in CORPORA:
    if not any(c == corpus for c, _ in runs) and not any(c == corpus for c, _ in estimates):
        continue
    out.append(f"### {title}\n")
    out.append("| tool | median wall (s) | min–max (s) | runs | peak RSS (MiB) | × floor | × taizhang |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    floor = stats(corpus, "floor")
    tz = stats(corpus, "taizhang")
    for tool in TOOLS:
        s = stats(corpus, tool)
        if s is None:
            if (corpus, tool) in estimates:
                e = estimates[(corpus, tool)]
                rf = f"~{e / floor['wall']:.0f}" if floor else ""
                rt = f"~{e / tz['wall']:.0f}" if tz else ""
                out.append(f"| {tool} | not run: ~{e:.0f} s extrapolated | | 0 | | {rf} | {rt} |")
            elif (corpus, tool) in runs:
                exits = sorted({r[2] for r in runs[(corpus, tool)]})
                out.append(f"| {tool} | **failed** (exit {exits}) | | 0 | | | |")
            continue
        rf = f"{s['wall'] / floor['wall']:.2f}" if floor else ""
        rt = f"{s['wall'] / tz['wall']:.2f}" if tz else ""
        note = f" ({s['failed']} failed)" if s["failed"] else ""
        out.append(f"| {tool} | {fmt_s(s['wall'])} | {fmt_s(s['min'])}–{fmt_s(s['max'])} | {s['n']}{note} | "
                   f"{s['rss']:.0f} | {rf} | {rt} |")
    out.append("")

t = stats("template", "taizhang_template")
if t:
    out.append(f"`taizhang template --period 2018Q3` (21 workbooks): median {t['wall']:.3f} s over {t['n']} runs "
               f"(min {t['min']:.3f}, max {t['max']:.3f}), peak RSS {t['rss']:.0f} MiB.\n")

gens = [(c, stats(c, "gen_ledgers")) for c, _ in CORPORA + [("scale-1k", ""), ("scale-10k", ""), ("scale-100k", ""), ("scale-250k", ""), ("scale-500k", "")]]
gens = [(c, s) for c, s in gens if s]
if gens:
    out.append("Corpus generation (`gen_ledgers`): " + ", ".join(
        f"{c} {s['wall']:.1f} s / {s['rss']:.0f} MiB" for c, s in gens) + ".\n")

scale = [("scale-1k", "1,008"), ("scale-10k", "9,996"), ("scale-100k", "100,002"), ("scale-250k", "250,005"),
         ("scale-500k", "500,010"), ("national-clean", "1,000,020")]
rows = []
for c, n in scale:
    a, b = stats(c, "taizhang"), stats(c, "floor")
    if a and b:
        rows.append(f"| {n} | {fmt_s(a['wall'])} | {fmt_s(b['wall'])} | {a['wall'] / b['wall']:.2f} | "
                    f"{a['rss']:.0f} | {b['rss']:.0f} |")
if rows:
    out.append("### Scaling (21 files, clean layout)\n")
    out.append("| total rows | taizhang (s) | floor (s) | taizhang ÷ floor | taizhang RSS (MiB) | floor RSS (MiB) |")
    out.append("|---:|---:|---:|---:|---:|---:|")
    out += rows
    out.append("")

if len(sys.argv) > 2:
    with open(sys.argv[2], newline="") as f:
        lines = [l.rstrip("\n").split("\t") for l in f][1:]
    if lines:
        out.append("### Rows written (non-empty rows per sheet, header rows included)\n")
        out.append("| corpus | tool | sheets |")
        out.append("|---|---|---|")
        for l in lines:
            if len(l) >= 3:
                out.append(f"| {l[0]} | {l[1]} | {l[2]} |")
        out.append("")

print("\n".join(out))
