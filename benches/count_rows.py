#!/usr/bin/env python3
"""Prints the sheets of a workbook with their number of non-empty rows, as `name=rows; ...` (a sanity
check that every tool wrote the same number of ledger rows).

    python3 benches/count_rows.py OUT.xlsx
"""
import sys

import fastexcel
import polars as pl

wb = fastexcel.read_excel(sys.argv[1])
parts = []
for name in wb.sheet_names:
    df = wb.load_sheet(name, header_row=None, dtypes="string").to_polars()
    n = 0 if df.width == 0 else df.height - int(df.select(pl.all_horizontal(pl.all().is_null())).to_series().sum())
    parts.append(f"{name}={n}")
print("; ".join(parts))
