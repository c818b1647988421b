#!/usr/bin/env python3
"""Baseline: what users do today with pandas + openpyxl.

    python3 benches/pandas_openpyxl.py DIR OUT.xlsx

For each return: peek at the first rows to find the header (rows 0-5, the one with 企业名称 or
提升企业名称), read_excel(engine="openpyxl", header=k), rename aliases to the official headers, fill
merged 所属行业 cells down, drop blank and note rows, add 填报市州. Then concat, sort by prefecture order
then original row order, number 序号 1..N and write with to_excel(engine="openpyxl").
"""
import sys

import pandas as pd

from common import OFFICIAL, ORDER, input_files, is_header, normalize_header, prefecture_of


def read_one(path):
    peek = pd.read_excel(path, header=None, nrows=6, engine="openpyxl")
    k = next((i for i, row in enumerate(peek.itertuples(index=False)) if is_header(row)), None)
    if k is None:
        raise SystemExit(f"{path}: no header row in rows 1-6")
    df = pd.read_excel(path, header=k, engine="openpyxl", dtype=object)
    df.columns = [normalize_header(c) for c in df.columns]
    df = df[[c for c in OFFICIAL if c in df.columns]]
    df["所属(产业)行业"] = df["所属(产业)行业"].ffill()  # merged cells come back empty below the first
    df = df[df["提升企业名称"].notna()]
    df.insert(0, "填报市州", prefecture_of(path))
    df["_row"] = range(len(df))
    return df


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: pandas_openpyxl.py DIR OUT.xlsx")
    frames = [read_one(p) for p in input_files(sys.argv[1])]
    df = pd.concat(frames, ignore_index=True)
    df["_pref"] = df["填报市州"].map(ORDER)
    df = df.sort_values(["_pref", "_row"], kind="stable").drop(columns=["_pref", "_row"])
    df["序号"] = range(1, len(df) + 1)
    df = df[["填报市州"] + [c for c in OFFICIAL if c in df.columns]]
    df.to_excel(sys.argv[2], sheet_name="附件2 质量提升台账", index=False, engine="openpyxl")
    print(f"pandas_openpyxl: {len(frames)} files, {len(df)} rows -> {sys.argv[2]}", file=sys.stderr)


if __name__ == "__main__":
    main()
