#!/usr/bin/env python3
"""Folds `perf report --sort symbol --stdio -g none` lines (on stdin) by the crate of each Rust symbol:
`  12.34%  [.] polars_core::frame::...` → polars_core 12.34%. Non-Rust symbols are grouped by their name."""
import re
import sys
from collections import defaultdict

tot = defaultdict(float)
for line in sys.stdin:
    m = re.match(r"\s*([\d.]+)%\s+\[[.k]\]\s+(.*)", line)
    if not m:
        continue
    pct, sym = float(m.group(1)), m.group(2).strip()
    sym = re.sub(r"^<", "", sym)
    sym = re.sub(r"^(core::ptr::drop_in_place<|alloc::|core::|std::)", lambda x: x.group(0), sym)
    if "::" in sym:
        crate = sym.split("::")[0].lstrip("<&*( ")
        if crate in ("core", "alloc", "std"):
            # drop_in_place<polars_core::...> etc. → the crate inside the generic.
            inner = re.search(r"<&?(?:mut )?([a-z_][a-z0-9_]*)::", sym)
            crate = f"{crate} ({inner.group(1)})" if inner and inner.group(1) not in ("core", "alloc", "std") else crate
    else:
        crate = sym if len(sym) < 40 else sym[:40]
    tot[crate] += pct
for crate, pct in sorted(tot.items(), key=lambda x: -x[1])[:30]:
    print(f"{pct:6.2f}%  {crate}")
