#!/usr/bin/env python3
"""Baseline: the same job with polars' Python API (calamine engine via fastexcel, xlsxwriter to write).

    python3 benches/polars_python.py DIR OUT.xlsx

For each return: pl.read_excel(engine="calamine") once, every column as text, the header row found in
rows 0-5 (the one with 企业名称 or 提升企业名称) promoted to column names, aliases renamed, merged 所属行业
filled down, blank and note rows dropped, 填报市州 added. Then concat, sort by prefecture order then
original row order, number 序号 1..N and DataFrame.write_excel.
"""
import sys

import polars as pl

from common import OFFICIAL, ORDER, input_files, is_header, normalize_header, prefecture_of


def read_one(path):
    # One parse per file: calamine reads the whole sheet whatever n_rows says, so peeking at the first rows
    # and then reading again with read_options={"header_row": k} would parse every sheet twice. Read without
    # a header instead and promote the header row found in the first six rows.
    raw = pl.read_excel(path, engine="calamine", has_header=False, infer_schema_length=0, drop_empty_rows=False)
    k = next((i for i, row in enumerate(raw.head(6).iter_rows()) if is_header(row)), None)
    if k is None:
        raise SystemExit(f"{path}: no header row in rows 1-6")
    names, seen = [], set()
    for i, v in enumerate(raw.row(k)):
        n = normalize_header(v) or f"_c{i}"
        n = n if n not in seen else f"{n}_{i}"
        seen.add(n)
        names.append(n)
    df = raw.slice(k + 1)
    df.columns = names
    df = df.select([c for c in OFFICIAL if c in df.columns])
    return (
        df.with_columns(pl.col("所属(产业)行业").forward_fill())  # merged cells come back empty below the first
        .filter(pl.col("提升企业名称").is_not_null())
        .with_row_index("_row")
        .with_columns(pl.lit(prefecture_of(path)).alias("填报市州"))
    )


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: polars_python.py DIR OUT.xlsx")
    frames = [read_one(p) for p in input_files(sys.argv[1])]
    df = (
        pl.concat(frames, how="diagonal")
        .with_columns(pl.col("填报市州").replace_strict(ORDER, return_dtype=pl.Int32).alias("_pref"))
        .sort(["_pref", "_row"], maintain_order=True)
        .drop(["_pref", "_row"])
        .with_columns(pl.int_range(1, pl.len() + 1).alias("序号"))
    )
    df = df.select(["填报市州"] + [c for c in OFFICIAL if c in df.columns])
    df.write_excel(sys.argv[2], worksheet="附件2 质量提升台账")
    print(f"polars_python: {len(frames)} files, {df.height} rows -> {sys.argv[2]}", file=sys.stderr)


if __name__ == "__main__":
    main()
