//! `taizhang consolidate` over `samples/`: every sheet of the rollup read back with calamine and checked
//! against the samples' expectations; exports, determinism and the safety of inputs.

use std::collections::BTreeMap;
use std::path::Path;

use calamine::{Reader, open_workbook_auto};
use serde_json::Value as Json;
use taizhang::rollup::sheets;

use super::common::{refdata, repo, samples, sheet_rows, stderr, stdout, taizhang};

fn expected() -> BTreeMap<String, Json> {
    serde_json::from_str(&std::fs::read_to_string(repo().join("tests/fixtures/samples/expected.json")).unwrap()).unwrap()
}


fn column<'a>(header: &'a [String], name: &str) -> usize {
    header.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name} in {header:?}"))
}

fn hash_dir(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap())
        })
        .collect();
    v.sort();
    v
}

/// The samples whose rows must be in the rollup: readable, for 2018Q3, not replaced by a resubmission.
fn accepted(exp: &BTreeMap<String, Json>) -> Vec<(&String, &Json)> {
    let mut v: Vec<(&String, &Json)> = exp
        .iter()
        .filter(|(_, e)| e["readable"] == true && e["period"].as_str().is_none_or(|p| p == "2018Q3") && e["superseded_by"].is_null())
        .collect();
    v.sort_by_key(|(_, e)| refdata().prefectures.index_of(e["prefecture"].as_str().unwrap()));
    v
}

#[test]
fn consolidate_samples_into_every_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let before = hash_dir(&samples());
    let s = samples().display().to_string();
    let o = taizhang(dir.path(), &["consolidate", &s, "--out", "rollup.xlsx", "--period", "2018Q3", "--csv", "csv", "--parquet", "ledger.parquet"]);
    assert_eq!(o.status.code(), Some(1), "written, with error findings: {}{}", stdout(&o), stderr(&o));
    assert_eq!(hash_dir(&samples()), before, "inputs are never modified");
    let rollup = dir.path().join("rollup.xlsx");
    let wb = open_workbook_auto(&rollup).unwrap();
    let indicators = refdata().indicators.sheet.as_str();
    assert_eq!(wb.sheet_names(), [sheets::SUMMARY, sheets::LEDGER, sheets::TASKS, sheets::PROGRESS, indicators, sheets::INDUSTRY, sheets::FINDINGS]);
    let exp = expected();
    let keys: Vec<(&str, &str)> = refdata().ledger.columns.iter().filter(|c| c.key != "seq").map(|c| (c.key.as_str(), c.name.as_str())).collect();

    // 附件2: every accepted sample row once, in official prefecture order, numbered 1..N.
    let ledger = sheet_rows(&rollup, sheets::LEDGER);
    assert!(ledger[0][0].contains("2018年第三季度"), "title {:?}", ledger[0][0]);
    assert!(ledger[1][0].contains("已报送 10/21"), "scope line {:?}", ledger[1][0]);
    let header = &ledger[2];
    assert_eq!(&header[..10], ["序号", "填报市州", "所属(产业)行业", "提升企业名称", "主导产品", "问题和短板", "提升目标", "提升措施", "进展情况及成效", "统一社会信用代码"]);
    let data = &ledger[3..];
    let mut i = 0;
    let mut distinct: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, e) in accepted(&exp) {
        let mut seen_exact: Vec<Json> = Vec::new();
        for row in e["rows"].as_array().unwrap() {
            // An exact duplicate row (every column the same) is kept once.
            let key = Json::Array(keys.iter().map(|(k, _)| row[*k].clone()).chain([row["extras"].clone()]).collect());
            if seen_exact.contains(&key) {
                continue;
            }
            seen_exact.push(key);
            *distinct.entry(e["prefecture"].as_str().unwrap()).or_default() += 1;
            let got = &data[i];
            assert_eq!(got[0], (i + 1).to_string(), "序号");
            assert_eq!(got[1], e["prefecture"].as_str().unwrap(), "{name} row {}", i + 1);
            for (k, h) in &keys {
                assert_eq!(got[column(header, h)], row[*k].as_str().unwrap_or(""), "{name}: rollup row {} {h}", i + 1);
            }
            if let Some(extras) = row["extras"].as_object() {
                for (col, v) in extras {
                    assert_eq!(&got[column(header, col)], v.as_str().unwrap(), "{name}: extra {col}");
                }
            }
            assert_eq!(got[column(header, "来源文件")], *name);
            i += 1;
        }
    }
    assert_eq!(i, data.len(), "no row twice, none from superseded or other-period files");
    for extra in ["联系人", "备注", "(无表头)K列"] {
        assert!(header.contains(&extra.to_string()), "extra column {extra} kept");
    }

    // 汇总: status of each prefecture.
    let summary = sheet_rows(&rollup, sheets::SUMMARY);
    let status = |p: &str| summary.iter().find(|r| r.get(1).map(String::as_str) == Some(p)).unwrap_or_else(|| panic!("{p} in 汇总")).clone();
    for (p, n) in &distinct {
        let line = status(p);
        // A return whose adopted file has errors (乐山's) says so: one status word, on the board and here.
        assert_eq!(line[2], if line[9] == "0" { "已报送" } else { "有错误" }, "{p}: {line:?}");
        assert_eq!(line[7], n.to_string(), "企业数 of {p}");
    }
    assert_eq!(distinct.len(), 10);
    assert_eq!(status("广安市")[2], "无法读取");
    assert_eq!(status("遂宁市")[2], "无法读取");
    assert_eq!(status("自贡市")[2], "未报送");
    let dazhou = status("达州市");
    assert_eq!(dazhou[2], "期别不符", "a return for the wrong period is not in the rollup, and says why");
    assert!(dazhou[12].contains("2018Q2-达州市-质量提升台账.xlsx(期别不符:2018年第二季度)"), "the wrong-period file is listed: {dazhou:?}");
    let yibin = status("宜宾市");
    assert!(yibin[3].contains("修改"), "the resubmission is used");
    assert!(yibin[12].contains("2018Q3-宜宾市-质量提升台账.xlsx(已被新版本替代)"), "the first return is listed as replaced");
    let missing = summary.iter().filter(|r| r.get(2).map(String::as_str) == Some("未报送")).count();
    assert_eq!(missing, 8);
    let total = summary.iter().find(|r| r.first().map(String::as_str) == Some("合计")).expect("totals row");
    assert_eq!(total[2], "10/21");
    assert_eq!(total[7], data.len().to_string());

    // 附件1 任务分解及进展: 36 tasks, one narrow column of status marks per prefecture (its short name
    // one character per line), counts per task.
    let tasks = sheet_rows(&rollup, sheets::TASKS);
    let th: Vec<String> = tasks[2].iter().map(|h| h.replace('\n', "")).collect();
    assert_eq!(th[..2], ["序号", "内容"]);
    assert_eq!(tasks[2][2], "成\n都");
    assert!(tasks[1][0].contains(taizhang::rollup::workbook::MATRIX_LEGEND), "the legend: {:?}", tasks[1][0]);
    assert_eq!(tasks.len(), 3 + 36);
    let chengdu = exp["2018Q3-成都市-质量提升台账.xlsx"]["progress"].as_object().unwrap();
    let mark = |s: &str| match s {
        "已完成" => "完",
        "推进中" => "进",
        "未启动" => "未",
        _ => "?",
    };
    for row in &tasks[3..] {
        let no = &row[0];
        assert_eq!(row[column(&th, "成都")], mark(chengdu[no]["status"].as_str().unwrap()), "成都 task {no}");
        let counted: usize = ["已完成", "推进中", "未启动"].iter().map(|s| row[column(&th, s)].parse::<usize>().unwrap()).sum();
        let shown = (2..2 + 21).filter(|&c| !row[c].is_empty()).count();
        assert_eq!(counted, shown, "task {no} counts");
    }

    // 附件1 进展明细: each task's text once, then one row per prefecture that reported on it, then the
    // returned prefectures that did not, in one line.
    let detail = sheet_rows(&rollup, sheets::PROGRESS);
    let reported: usize = accepted(&exp).iter().map(|(_, e)| e["progress"].as_object().unwrap().len()).sum();
    assert_eq!(detail[3..].iter().filter(|r| r[0].parse::<u32>().is_ok()).count(), reported, "reported rows only");
    let headings: Vec<&Vec<String>> = detail[3..].iter().filter(|r| r[0].starts_with('第')).collect();
    assert_eq!(headings.len(), 36);
    assert!(headings[0][0].starts_with("第1项 ") && headings[0][0].contains(&refdata().tasks.tasks[0].content), "{:?}", headings[0]);
    assert!(detail.iter().flatten().all(|c| c != taizhang::rollup::NOT_REPORTED), "no (未填报) rows");
    let lines = detail[3..].iter().filter(|r| r[0].starts_with(taizhang::rollup::NOT_REPORTED_LINE)).count();
    let not_reported = (1..=36u32).filter(|t| accepted(&exp).iter().any(|(_, e)| e["progress"].get(t.to_string()).is_none())).count();
    assert_eq!(lines, not_reported, "one 未填报 line under each task some returned prefecture left out");
    assert_eq!(detail.len(), 3 + 36 + reported + not_reported, "nothing else");

    // 按行业统计: the totals add up to the ledger.
    let industry = sheet_rows(&rollup, sheets::INDUSTRY);
    let total = industry.iter().find(|r| r.first().map(String::as_str) == Some("合计")).unwrap();
    assert_eq!(total.last().unwrap(), &data.len().to_string());

    // 问题清单: findings of every file, unreadable files by name.
    let findings = sheet_rows(&rollup, sheets::FINDINGS);
    let fh = &findings[2];
    let has = |code: &str, file: &str, cell: &str| {
        findings.iter().any(|r| r[column(fh, "代码")] == code && r[column(fh, "文件")].contains(file) && r[column(fh, "单元格")] == cell)
    };
    assert!(has("F03", "遂宁", ""), "encrypted file listed");
    assert!(has("F01", "广安", ""), "corrupt file listed");
    assert!(has("F08", "2018Q3-宜宾市-质量提升台账.xlsx", ""), "superseded listed");
    assert!(has("P03", "达州", ""), "wrong period listed");
    assert!(has("V03", "乐山", "I5"), "bad credit code with its cell");
    assert!(has("V04", "乐山", "D4"), "formula error with its cell");
    assert!(has("F07", "Thumbs.db", ""), "skipped files listed");
    assert!(has("V07", "眉山", "C4"), "enterprise in two prefectures");

    // Exports.
    let csv = std::fs::read(dir.path().join("csv/台账.csv")).unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"), "BOM for Excel");
    let mut rdr = csv::Reader::from_reader(&csv[3..]);
    assert_eq!(rdr.records().count(), data.len());
    for f in ["任务进展.csv", "问题清单.csv"] {
        assert!(dir.path().join("csv").join(f).is_file(), "{f}");
    }
    let parquet = std::fs::File::open(dir.path().join("ledger.parquet")).unwrap();
    use polars::prelude::SerReader;
    let df = polars::prelude::ParquetReader::new(parquet).finish().unwrap();
    assert_eq!(df.height(), data.len());
    assert!(df.column("来源单元格").is_ok() && df.column("提升企业名称").is_ok());
}

#[test]
fn same_inputs_give_the_same_rollup_and_inputs_are_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let s = samples().display().to_string();
    for out in ["a.xlsx", "b.xlsx"] {
        let o = taizhang(dir.path(), &["consolidate", &s, "--out", out]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    }
    assert!(std::fs::read(dir.path().join("a.xlsx")).unwrap() == std::fs::read(dir.path().join("b.xlsx")).unwrap(), "byte-identical");
    // Existing output kept without --force; an input is never an output.
    let o = taizhang(dir.path(), &["consolidate", &s, "--out", "a.xlsx"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    let input = samples().join("乐山市质量提升台账.xlsx");
    let before = std::fs::read(&input).unwrap();
    let o = taizhang(dir.path(), &["consolidate", &s, "--out", input.to_str().unwrap(), "--force"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("输入文件"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&input).unwrap(), before);
    // Nothing to read: nothing written.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let o = taizhang(dir.path(), &["consolidate", "empty", "--out", "c.xlsx"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.path().join("c.xlsx").exists());
}

/// `consolidate` spills each return's rows to a hidden folder beside the output while it works when the
/// returns are large, so that a national collection fits in memory (the samples are made to spill here);
/// the folder is gone when it is done, the workbook is byte for byte the one made in memory, and its rows
/// are those of an unspilled merge, 序号 running on across the returns.
#[test]
fn the_spill_folder_is_removed_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let samples = super::common::samples();
    let args = ["consolidate", samples.to_str().unwrap(), "--period", "2018Q3"];
    let o = super::common::taizhang(dir.path(), &[&args[..], &["--out", "out/汇总.xlsx", "--spill-above", "0"]].concat());
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", super::common::stderr(&o));
    let left: Vec<String> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(left, ["汇总.xlsx"], "nothing but the rollup is left");
    let o = super::common::taizhang(dir.path(), &[&args[..], &["--out", "in-memory.xlsx"]].concat());
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", super::common::stderr(&o));
    assert!(std::fs::read(out.join("汇总.xlsx")).unwrap() == std::fs::read(dir.path().join("in-memory.xlsx")).unwrap(), "spilled or not, the same workbook");
    // The same merge in memory (as the console does it) gives the same rows, numbered 1..n across returns.
    let r = super::common::refdata();
    let (inputs, _) = taizhang::inbox::discover(&[super::common::samples()]);
    let opts = taizhang::import::batch::BatchOptions { period: Some("2018Q3".parse().unwrap()), ..Default::default() };
    let mut subs: Vec<taizhang::Submission> = inputs.iter().flat_map(|i| taizhang::import::batch::import_one(r, i, &opts)).collect();
    let m = taizhang::rollup::merge::merge(r, &mut subs, &taizhang::rollup::merge::MergeOptions { period: opts.period }).unwrap();
    let whole = m.ledger.to_frame().unwrap();
    let seq: Vec<u32> = whole.column("序号").unwrap().cast(&taizhang::polars::prelude::DataType::UInt32).unwrap().u32().unwrap().into_no_null_iter().collect();
    assert_eq!(seq, (1..=whole.height() as u32).collect::<Vec<_>>());
    let rows = super::common::sheet_rows(&out.join("汇总.xlsx"), taizhang::rollup::sheets::LEDGER);
    let written = rows.iter().filter(|row| row.first().is_some_and(|c| c.parse::<u32>().is_ok())).count();
    assert_eq!(written, whole.height(), "every row of the merge is in 附件2");
}

/// `Frames::take` moves each value out of the rows as its column is built (so that a large return's texts
/// are not held twice); its frame is the one `Frames::of` builds by borrowing, for every sample — extra
/// columns and repeated rows included — and it leaves the submission without rows.
#[test]
fn taking_the_rows_builds_the_same_frame_as_borrowing_them() {
    let r = super::common::refdata();
    let (inputs, _) = taizhang::inbox::discover(&[super::common::samples()]);
    let opts = taizhang::import::batch::BatchOptions { period: Some("2018Q3".parse().unwrap()), ..Default::default() };
    let (mut compared, mut with_extras, mut with_repeats) = (0, 0, 0);
    for input in &inputs {
        let mut sub = taizhang::import::batch::import_one(r, input, &opts).remove(0);
        if !sub.readable || sub.rows.is_empty() {
            continue;
        }
        with_extras += usize::from(!sub.extra_columns.is_empty());
        with_repeats += usize::from(sub.rows.iter().any(|row| row.duplicate_of.is_some()));
        let borrowed = taizhang::rollup::frames::Frames::of(r, &sub).unwrap();
        let taken = taizhang::rollup::frames::Frames::take(r, &mut sub).unwrap();
        assert!(borrowed.ledger.equals_missing(&taken.ledger), "{}", input.name);
        assert_eq!(borrowed.distinct_rows, taken.distinct_rows);
        assert!(sub.rows.is_empty());
        compared += 1;
    }
    assert!(compared >= 10 && with_extras > 0 && with_repeats > 0, "{compared} samples with rows, {with_extras} with extra columns, {with_repeats} with repeated rows");
}
