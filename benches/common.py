"""Shared bits of the Python baselines: file discovery, prefecture order, header aliases.

Kept deliberately to what a pandas/polars user would write by hand; the per-library work (reading,
renaming, filling, concatenating, sorting, writing) lives in each script.
"""
import os
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "..", "templates")

with open(os.path.join(TEMPLATES, "prefectures.toml"), "rb") as f:
    PREFECTURES = [p["name"] for p in tomllib.load(f)["prefectures"]]
ORDER = {name: i for i, name in enumerate(PREFECTURES)}

OFFICIAL = ["序号", "所属(产业)行业", "提升企业名称", "主导产品", "问题和短板", "提升目标", "提升措施",
            "进展情况及成效", "统一社会信用代码"]
# The renamings a user learns after the first round of returns.
ALIASES = {"企业名称": "提升企业名称", "所属行业": "所属(产业)行业", "进展情况及成效": "进展情况及成效",
           "所属（产业）行业": "所属(产业)行业"}


def normalize_header(h):
    s = "" if h is None else str(h)
    s = s.replace("\n", "").replace("\r", "").replace(" ", "").strip()
    return ALIASES.get(s, s)


def is_header(values):
    return any(str(v).strip() in ("企业名称", "提升企业名称") for v in values if v is not None)


def prefecture_of(path):
    # 2018Q3-成都市-质量提升台账.xlsx
    parts = os.path.basename(path).split("-")
    return parts[1] if len(parts) >= 3 else os.path.basename(path)


def input_files(d):
    exts = (".xlsx", ".xlsm", ".xls", ".ods")
    files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.lower().endswith(exts))
    if not files:
        sys.exit(f"no workbooks in {d}")
    return files
