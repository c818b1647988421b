#!/usr/bin/env python3
"""Writes the scaling run as a small log-log SVG (no matplotlib needed).

    python3 benches/plot_scaling.py benches/results/TAG-runs.tsv OUT.svg
"""
import csv
import math
import statistics
import sys
from collections import defaultdict

POINTS = {"scale-1k": 1008, "scale-10k": 9996, "scale-100k": 100002, "scale-250k": 250005, "scale-500k": 500010,
          "national-clean": 1000020}
walls = defaultdict(list)
with open(sys.argv[1], newline="") as f:
    for r in csv.DictReader(f, delimiter="\t"):
        if r["corpus"] in POINTS and r["tool"] in ("taizhang", "floor") and r["exit"] in ("0", "1"):
            walls[(r["tool"], POINTS[r["corpus"]])].append(float(r["wall_s"]))
series = {t: sorted((n, statistics.median(v)) for (tt, n), v in walls.items() if tt == t) for t in ("taizhang", "floor")}
if not any(series.values()):
    sys.exit("no scaling data")

W, H, L, B, T, R = 560, 360, 70, 50, 20, 120
xs = [math.log10(n) for s in series.values() for n, _ in s]
ys = [math.log10(max(w, 1e-3)) for s in series.values() for _, w in s]
x0, x1 = math.floor(min(xs)), math.ceil(max(xs))
y0, y1 = math.floor(min(ys)), math.ceil(max(ys))
px = lambda x: L + (x - x0) / max(x1 - x0, 1) * (W - L - R)
py = lambda y: H - B - (y - y0) / max(y1 - y0, 1) * (H - B - T)
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
       f'<rect width="{W}" height="{H}" fill="white"/>']
for e in range(x0, x1 + 1):
    svg.append(f'<line x1="{px(e)}" y1="{T}" x2="{px(e)}" y2="{H - B}" stroke="#ddd"/>')
    svg.append(f'<text x="{px(e)}" y="{H - B + 16}" text-anchor="middle">{10 ** e:,}</text>')
for e in range(y0, y1 + 1):
    svg.append(f'<line x1="{L}" y1="{py(e)}" x2="{W - R}" y2="{py(e)}" stroke="#ddd"/>')
    svg.append(f'<text x="{L - 6}" y="{py(e) + 4}" text-anchor="end">{10.0 ** e:g} s</text>')
svg.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">total rows (21 files)</text>')
for (tool, color), k in zip((("taizhang", "#c0392b"), ("floor", "#2c3e50")), range(2)):
    pts = [(px(math.log10(n)), py(math.log10(max(w, 1e-3)))) for n, w in series[tool]]
    if not pts:
        continue
    svg.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
               + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts) + '"/>')
    for x, y in pts:
        svg.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')
    svg.append(f'<text x="{W - R + 10}" y="{T + 20 + 18 * k}" fill="{color}">{tool}</text>')
svg.append("</svg>")
with open(sys.argv[2], "w") as f:
    f.write("\n".join(svg))
