//! The history (issue 25): three quarters consolidated into one dataset, read back by DuckDB (its Python
//! package) and by polars as they read any hive-partitioned Parquet, a period written again and a
//! consolidation killed while writing; 序时进度 and the assessment of a case computed by hand; the 历次
//! workbook read back by openpyxl and rendered by LibreOffice; the dataset built from rollup workbooks;
//! the console's 历次 page.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use taizhang::Period;
use taizhang::history::{Adoption, History, PeriodFacts, Received};

use super::common::{python, refdata, samples, sheet_rows, stderr, stdout, taizhang};

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

/// Sets a file's modification time: a return found in a folder arrived when it was last modified.
fn touch(path: &Path, when: &str) {
    let t = chrono::Local.from_local_datetime(&at(when)).single().unwrap();
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::from(t)).unwrap();
}

/// Enterprises per (period, prefecture) of a rollup's 汇总 sheet (the prefectures whose return is in the
/// rollup: 已报送, or 有错误 when the adopted file has errors).
fn rollup_counts(path: &Path, period: &str) -> BTreeMap<(String, String), i64> {
    let rows = sheet_rows(path, "汇总");
    let head = &rows[2];
    let col = |n: &str| head.iter().position(|h| h == n).unwrap();
    let (p, s, e) = (col("市州"), col("报送状态"), col("企业数"));
    rows[3..].iter().filter(|r| r.get(s).is_some_and(|v| v == "已报送" || v == "有错误")).map(|r| ((period.to_string(), r[p].clone()), r[e].parse().unwrap())).collect()
}

/// DuckDB's answer to the README's query: enterprises per prefecture per period.
const DUCKDB_COUNTS: &str = r#"
import duckdb, json, sys
con = duckdb.connect()
rows = con.execute(f"""
    SELECT period, "填报市州", count(*) AS n
    FROM read_parquet('{sys.argv[1]}/ledger/*/*.parquet', hive_partitioning = true)
    GROUP BY ALL ORDER BY ALL
""").fetchall()
print(json.dumps([[p, m, n] for p, m, n in rows], ensure_ascii=False))
"#;

fn duckdb_counts(ds: &Path) -> BTreeMap<(String, String), i64> {
    let out = python(DUCKDB_COUNTS, &[ds.to_str().unwrap()]);
    let rows: Vec<(String, String, i64)> = serde_json::from_str(&out).unwrap();
    rows.into_iter().map(|(p, m, n)| ((p, m), n)).collect()
}

/// polars' answer, scanning the same glob with hive partitioning.
fn polars_counts(ds: &Path) -> BTreeMap<(String, String), i64> {
    use taizhang::polars::prelude::*;
    let args = ScanArgsParquet { hive_options: HiveOptions::new_enabled(), ..ScanArgsParquet::default() };
    let glob = format!("{}/ledger/*/*.parquet", ds.display());
    let df = LazyFrame::scan_parquet(PlRefPath::new(glob.as_str()), args)
        .unwrap()
        .group_by([col("period"), col("填报市州")])
        .agg([len().alias("n")])
        .collect()
        .unwrap();
    let (p, m, n) = (df.column("period").unwrap().str().unwrap().clone(), df.column("填报市州").unwrap().str().unwrap().clone(), df.column("n").unwrap().cast(&DataType::Int64).unwrap());
    let n = n.i64().unwrap();
    (0..df.height()).map(|i| ((p.get(i).unwrap().to_string(), m.get(i).unwrap().to_string()), n.get(i).unwrap())).collect()
}

/// Three quarters in a fresh folder: 2018Q3 the samples; 2018Q4 four prefectures returning their
/// prefilled templates (乐山 first sending a damaged file, 宜宾 two days late); 2019Q1 two prefectures.
/// Each consolidated into `ds`, with the deadline. Returns the folder and the rollups.
struct Quarters {
    dir: tempfile::TempDir,
    rollups: Vec<(String, PathBuf)>,
}

impl Quarters {
    fn ds(&self) -> PathBuf {
        self.dir.path().join("ds")
    }
}

fn consolidate(d: &Path, inbox: &str, period: &str, deadline: &str) -> PathBuf {
    let out = format!("{period}全省汇总.xlsx");
    let o = taizhang(d, &["consolidate", inbox, "--period", period, "--out", &out, "--dataset", "ds", "--deadline", deadline, "--force", "--jobs", "2", "--timeout", "600"]);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}{}", stdout(&o), stderr(&o));
    d.join(out)
}

fn templates(d: &Path, period: &str, from: &Path, prefectures: &[&str], out: &str) {
    let mut args = vec!["template", "--period", period, "--from", from.to_str().unwrap(), "--out", out];
    for p in prefectures {
        args.extend(["--prefecture", p]);
    }
    let o = taizhang(d, &args);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
}

fn file_of(dir: &Path, name: &str) -> PathBuf {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).find(|p| p.file_name().unwrap().to_string_lossy().contains(name)).unwrap_or_else(|| panic!("{name} in {}", dir.display()))
}

/// Fills 累计完成值 in a template's 指标完成情况 sheet, as a prefecture does (openpyxl saving it).
fn fill_indicators(path: &Path, values: &[(&str, f64)]) {
    let pairs: Vec<String> = values.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut args = vec![path.to_str().unwrap()];
    args.extend(pairs.iter().map(String::as_str));
    python(
        r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["指标完成情况"]
want = dict(a.split("=") for a in sys.argv[2:])
for row in ws.iter_rows(min_row=4):
    if row[1].value in want:
        row[6].value = float(want[row[1].value])
wb.save(sys.argv[1])
"#,
        &args,
    );
}

fn three_quarters() -> Quarters {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let q3 = d.join("q3");
    std::fs::create_dir(&q3).unwrap();
    for e in std::fs::read_dir(samples()).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if name.contains("2018Q2") || name.starts_with("~$") {
            continue;
        }
        std::fs::copy(e.path(), q3.join(&name)).unwrap();
        touch(&q3.join(&name), "2018-10-09 09:30");
    }
    let r3 = consolidate(d, "q3", "2018Q3", "2018-10-10");
    templates(d, "2018Q4", &r3, &["成都", "宜宾", "乐山", "眉山"], "q4");
    let q4 = d.join("q4");
    for (name, v) in [("成都", [120.0, 2.0, 120.0]), ("宜宾", [40.0, 1.0, 30.0]), ("乐山", [10.0, 0.0, 0.0]), ("眉山", [15.0, 1.0, 20.0])] {
        fill_indicators(&file_of(&q4, name), &[("企业标准自我声明公开", v[0]), ("培育打造质量提升标杆企业", v[1]), ("培训企业首席质量官", v[2])]);
    }
    for (name, when) in [("成都", "2019-01-08 10:00"), ("宜宾", "2019-01-12 16:20"), ("乐山", "2019-01-11 08:00"), ("眉山", "2019-01-10 17:59")] {
        touch(&file_of(&q4, name), when);
    }
    std::fs::write(q4.join("2018Q4-乐山市-质量提升台账(初稿).xlsx"), b"not really a workbook").unwrap();
    touch(&q4.join("2018Q4-乐山市-质量提升台账(初稿).xlsx"), "2019-01-09 11:00");
    let r4 = consolidate(d, "q4", "2018Q4", "2019-01-10");
    templates(d, "2019Q1", &r4, &["成都", "宜宾"], "q1");
    fill_indicators(&file_of(&d.join("q1"), "成都"), &[("企业标准自我声明公开", 200.0), ("培育打造质量提升标杆企业", 3.0), ("培训企业首席质量官", 30.0)]);
    fill_indicators(&file_of(&d.join("q1"), "宜宾"), &[("企业标准自我声明公开", 60.0), ("培育打造质量提升标杆企业", 1.0)]);
    for (name, when) in [("成都", "2019-04-09 10:00"), ("宜宾", "2019-04-10 12:00")] {
        touch(&file_of(&d.join("q1"), name), when);
    }
    let r1 = consolidate(d, "q1", "2019Q1", "2019-04-10");
    Quarters { dir, rollups: vec![("2018Q3".into(), r3), ("2018Q4".into(), r4), ("2019Q1".into(), r1)] }
}

fn expected_counts(q: &Quarters) -> BTreeMap<(String, String), i64> {
    q.rollups.iter().flat_map(|(p, r)| rollup_counts(r, p)).collect()
}

#[test]
fn three_quarters_in_one_dataset_read_by_duckdb_and_polars_replaced_period_by_period() {
    let q = three_quarters();
    let ds = q.ds();
    let want = expected_counts(&q);
    assert_eq!(want.keys().filter(|(p, _)| p == "2018Q4").count(), 4, "{want:?}");
    assert_eq!(duckdb_counts(&ds), want, "DuckDB finds the rollups' enterprises per period and prefecture");
    assert_eq!(polars_counts(&ds), want, "and so does polars");
    for table in ["ledger", "progress", "indicators", "submissions"] {
        for p in ["2018Q3", "2018Q4", "2019Q1"] {
            let files: Vec<_> = std::fs::read_dir(ds.join(table).join(format!("period={p}"))).unwrap().map(|e| e.unwrap().file_name()).collect();
            assert_eq!(files, ["part-0.parquet"], "{table} {p}");
        }
    }
    // Every period's file of a table has the same columns: DuckDB stacks them without union_by_name.
    let schemas = python(
        r#"
import duckdb, sys
con = duckdb.connect()
for t in ["ledger", "progress", "indicators", "submissions"]:
    cols = {tuple(r[0] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{f}')").fetchall()) for f in __import__('glob').glob(f"{sys.argv[1]}/{t}/*/*.parquet")}
    print(t, len(cols))
"#,
        &[ds.to_str().unwrap()],
    );
    assert_eq!(schemas.trim(), "ledger 1\nprogress 1\nindicators 1\nsubmissions 1");
    // The submissions: every file, its hash, what became of it, its round.
    let subs = python(
        r#"
import duckdb, json, sys
con = duckdb.connect()
print(json.dumps(con.execute(f"""
    SELECT "文件", "采用情况", "替代文件", "轮次", "错误数" > 0, length("内容哈希"), "收到时间", "截止日期"
    FROM read_parquet('{sys.argv[1]}/submissions/*/*.parquet', hive_partitioning = true)
    WHERE period = '2018Q4' AND "填报市州" = '乐山市' ORDER BY "轮次"
""").fetchall(), ensure_ascii=False, default=str))
"#,
        &[ds.to_str().unwrap()],
    );
    let subs: Vec<serde_json::Value> = serde_json::from_str(&subs).unwrap();
    assert_eq!(subs.len(), 2, "{subs:?}");
    // The draft is read (as text, with errors) and replaced by the template the next round.
    assert!(subs[0][0].as_str().unwrap().contains("初稿") && subs[0][1] == "被替代" && subs[0][3] == 1 && subs[0][4] == true, "{subs:?}");
    assert_eq!(subs[0][2], subs[1][0], "replaced by the file taken");
    assert!(subs[1][1] == "采用" && subs[1][3] == 2 && subs[1][5] == 64 && subs[1][6] == "2019-01-11 08:00:00" && subs[1][7] == "2019-01-10", "{subs:?}");

    // Written again: the period is replaced, byte for byte the same, the others untouched.
    let before: Vec<Vec<u8>> = ["2018Q3", "2018Q4"].iter().map(|p| std::fs::read(ds.join(format!("ledger/period={p}/part-0.parquet"))).unwrap()).collect();
    consolidate(q.dir.path(), "q4", "2018Q4", "2019-01-10");
    let after: Vec<Vec<u8>> = ["2018Q3", "2018Q4"].iter().map(|p| std::fs::read(ds.join(format!("ledger/period={p}/part-0.parquet"))).unwrap()).collect();
    assert!(before == after, "re-consolidating writes the same bytes and leaves 2018Q3 as it was");
    assert_eq!(duckdb_counts(&ds), want, "counts unchanged");
    let leftovers: Vec<_> = std::fs::read_dir(&ds).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with(".taizhang-") && !n.ends_with(".lock")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // 2018Q4 with a fifth prefecture: its count replaces the old one.
    std::fs::copy(file_of(&q.dir.path().join("q3"), "遂宁"), q.dir.path().join("q4/2018Q4-遂宁市-质量提升台账.xlsx")).unwrap();
    let r4 = consolidate(q.dir.path(), "q4", "2018Q4", "2019-01-10");
    let _ = r4;
    let got = duckdb_counts(&ds);
    assert_eq!(got.keys().filter(|(p, _)| p == "2018Q4").count(), 4, "the 2018Q3 file of 遂宁 is not 2018Q4's: {got:?}");
}

/// A ledger of `rows` enterprises as a CSV return, big enough that writing it takes a moment.
fn big_csv(path: &Path, rows: usize) {
    let industry = &refdata().ledger.industries[0];
    let mut s = String::from("\u{feff}序号,所属(产业)行业,提升企业名称,主导产品,问题和短板,提升目标,提升措施,进展情况及成效\n");
    for i in 1..=rows {
        s.push_str(&format!("{i},{industry},测试企业{i}有限公司,产品{i},问题{i},目标{i},措施{i},进展{i}\n"));
    }
    std::fs::write(path, s).unwrap();
}

#[test]
fn a_consolidation_killed_while_writing_the_dataset_leaves_it_readable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("in")).unwrap();
    big_csv(&d.join("in/2018Q3-成都市-质量提升台账.csv"), 40_000);
    consolidate(d, "in", "2018Q3", "2018-10-10");
    let old = duckdb_counts(&d.join("ds"));
    assert_eq!(old.get(&("2018Q3".to_string(), "成都市".to_string())), Some(&40_000));
    big_csv(&d.join("in/2018Q3-成都市-质量提升台账.csv"), 60_000);
    // Killed as soon as it starts writing the dataset (its staging folder appears), a few times: each
    // time the dataset reads as the old period or the new one, never a mix.
    let mut seen_new = false;
    for attempt in 0..4 {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_taizhang"))
            .args(["consolidate", "in", "--period", "2018Q3", "--out", "r.xlsx", "--dataset", "ds", "--deadline", "2018-10-10", "--force", "--jobs", "1", "--timeout", "600"])
            .current_dir(d)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        loop {
            let staging = std::fs::read_dir(d.join("ds")).unwrap().flatten().any(|e| e.file_name().to_string_lossy().starts_with(".taizhang-写入中-"));
            if staging {
                std::thread::sleep(std::time::Duration::from_millis(attempt * 15));
                break;
            }
            if child.try_wait().unwrap().is_some() || started.elapsed().as_secs() > 120 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let _ = child.kill();
        let _ = child.wait();
        // Read as it lies on disk, before taizhang opens it again.
        let got = duckdb_counts(&d.join("ds"));
        let n = got.get(&("2018Q3".to_string(), "成都市".to_string())).copied();
        assert!(n == Some(40_000) || n == Some(60_000), "attempt {attempt}: {got:?}");
        seen_new |= n == Some(60_000);
        let tables = python(
            r#"
import duckdb, sys
con = duckdb.connect()
print(con.execute(f"SELECT max(\"企业数\") FROM read_parquet('{sys.argv[1]}/submissions/*/*.parquet')").fetchone()[0])
"#,
            &[d.join("ds").to_str().unwrap()],
        );
        if !seen_new {
            assert!(tables.trim() == "40000" || tables.trim() == "60000", "{tables}");
        }
    }
    // A staging folder left by a crash is never read, and the next write clears it and puts the new
    // period in place.
    let staging = d.join("ds/.taizhang-写入中-2018Q3-crash");
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(staging.join("ledger.parquet"), b"PAR1 half a file").unwrap();
    let got = duckdb_counts(&d.join("ds"));
    assert!(matches!(got.get(&("2018Q3".to_string(), "成都市".to_string())), Some(40_000 | 60_000)), "{got:?}");
    consolidate(d, "in", "2018Q3", "2018-10-10");
    assert!(!staging.exists(), "the next write removes what a crash left");
    assert_eq!(duckdb_counts(&d.join("ds")).get(&("2018Q3".to_string(), "成都市".to_string())), Some(&60_000));
}

/// The hand-computed case: two prefectures over two quarters (the other nineteen never report).
fn hand_facts() -> Vec<PeriodFacts> {
    let names: Vec<String> = refdata().prefectures.all().iter().map(|p| p.name.clone()).collect();
    let received = |p: &str, file: &str, when: &str, adoption: Adoption, errors: u32, round: u32| Received {
        prefecture: Some(p.to_string()),
        file: file.to_string(),
        received: Some(at(when)),
        sha256: "0".repeat(64),
        adoption,
        errors,
        warnings: 0,
        infos: 0,
        round: Some(round),
    };
    let set = |f: &mut PeriodFacts, p: &str, enterprises: usize, tasks: usize, values: &[(&str, f64)]| {
        let pf = f.prefectures.iter_mut().find(|x| x.name == p).unwrap();
        pf.returned = true;
        pf.enterprises = enterprises;
        pf.tasks_filled = tasks;
        pf.values = values.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    };
    let mut q3 = PeriodFacts::empty(Period { year: 2018, quarter: 3 }, &names);
    q3.deadline = Some(NaiveDate::from_ymd_opt(2018, 10, 10).unwrap());
    q3.received = vec![
        received("成都市", "成都.xlsx", "2018-10-09 09:00", Adoption::Adopted, 0, 1),
        received("自贡市", "自贡.xlsx", "2018-10-12 15:00", Adoption::Superseded { by: "自贡(改).xlsx".into() }, 2, 1),
        received("自贡市", "自贡(改).xlsx", "2018-10-13 09:00", Adoption::Adopted, 0, 2),
    ];
    set(&mut q3, "成都市", 60, 36, &[("self_declared_standards", 30.0), ("sme_helped", 60.0), ("benchmark_enterprises", 1.0)]);
    set(&mut q3, "自贡市", 12, 18, &[("self_declared_standards", 10.0), ("sme_helped", 12.0), ("benchmark_enterprises", 1.0)]);
    let mut q4 = PeriodFacts::empty(Period { year: 2018, quarter: 4 }, &names);
    q4.deadline = Some(NaiveDate::from_ymd_opt(2019, 1, 10).unwrap());
    q4.received = vec![received("成都市", "成都.xlsx", "2019-01-15 10:00", Adoption::Adopted, 1, 1)];
    set(&mut q4, "成都市", 55, 27, &[("self_declared_standards", 120.0), ("sme_helped", 55.0), ("benchmark_enterprises", 1.0)]);
    vec![q4, q3]
}

#[test]
fn schedule_and_assessment_of_a_case_computed_by_hand() {
    let r = refdata();
    let h = History::from_facts(r, hand_facts());
    let (q3, q4) = (Period { year: 2018, quarter: 3 }, Period { year: 2018, quarter: 4 });
    assert_eq!(h.period_list(), [q3, q4], "sorted");
    // 序时进度, province-wide: 500 by 2020 over ten quarters; 30 + 10 reported against 50 due.
    let l = h.line(q3, "self_declared_standards", None).unwrap();
    let j = l.judged.unwrap();
    assert_eq!((l.expectation.elapsed, l.expectation.quarters, l.expected, l.value), (1, 10, 50.0, Some(40.0)));
    assert_eq!((j.gap, j.projected, j.reaches, l.label()), (-10.0, Some(400.0), Some(false), "欠进度"));
    // At 2018Q4 120 against 100 due (1.2 × due: 超进度), projected 600.
    let l = h.line(q4, "self_declared_standards", None).unwrap();
    assert_eq!((l.expected, l.value, l.judged.unwrap().projected, l.label()), (100.0, Some(120.0), Some(600.0), "超进度"));
    // Per prefecture: 500 ÷ 21 each, a tenth due at 2018Q3.
    let l = h.line(q3, "self_declared_standards", Some("自贡市")).unwrap();
    assert_eq!((l.target, l.expected, l.label()), (23.80952381, 2.380952381, "超进度"));
    // 50 enterprises each by 2020: 自贡's 12 against 5 due is ahead; the province counts the prefectures
    // at or ahead of their own 序时进度 (2 of 21): behind.
    assert_eq!(h.line(q3, "sme_helped", Some("自贡市")).unwrap().label(), "超进度");
    assert_eq!(h.line(q3, "sme_helped", Some("成都市")).unwrap().label(), "达标");
    let l = h.line(q3, "sme_helped", None).unwrap();
    assert_eq!((l.value, l.expected, l.label()), (Some(2.0), 21.0, "欠进度"));
    // 5 benchmark enterprises each by 2020: 1 against 1.0 due at 2018Q4 is on pace, not ahead.
    assert_eq!(h.line(q4, "benchmark_enterprises", Some("成都市")).unwrap().label(), "达进度");

    // The reporting record.
    let rec = h.record(q3, "自贡市").unwrap();
    assert_eq!((rec.days_late, rec.rounds, rec.rounds_until_clean, rec.first_clean, rec.timeliness().as_str()), (Some(2), 2, Some(2), Some(false), "逾期2天"));
    let rec = h.record(q4, "成都市").unwrap();
    assert_eq!((rec.days_late, rec.rounds_until_clean, rec.first_clean), (Some(5), None, Some(false)));
    let cum = h.cumulative.iter().find(|c| c.prefecture == "成都市").unwrap();
    assert_eq!((cum.periods, cum.returned, cum.on_time, cum.late, cum.days_late, cum.first_clean, cum.mean_rounds_until_clean), (2, 2, 1, 1, 5, 1, Some(1.0)));

    // The assessment: every item as computed by hand from assessment.toml's weights.
    let points = |p: Option<Period>, who: &str| {
        let s = h.assessment.score(p, who).unwrap();
        (s.items.iter().map(|i| i.points).collect::<Vec<f64>>(), s.total, s.grade.clone(), s.rank)
    };
    // 成都 2018Q3: on time 20; first clean 15; clean at round 1: 15; 60 ≥ 50: 20; 36/36: 10; 3 of the 17
    // indicators every prefecture reports on pace (the spot-check rate is the province's, the 一站式 platform
    // is for some prefectures only): 20 × 3 ÷ 17 = 3.53. 83.53, B, first.
    assert_eq!(points(Some(q3), "成都市"), (vec![20.0, 15.0, 15.0, 20.0, 10.0, 3.53], 83.53, "B".into(), 1));
    // 自贡 2018Q3: 2 days late 20 − 2×2 = 16; first round had errors 0; clean at round 2: 15 − 5 = 10;
    // 20 × 12 ÷ 50 = 4.8; 10 × 18 ÷ 36 = 5; 3.53. 39.33, D, second.
    assert_eq!(points(Some(q3), "自贡市"), (vec![16.0, 0.0, 10.0, 4.8, 5.0, 3.53], 39.33, "D".into(), 2));
    // Nothing received: nothing earned, the nineteen tied third.
    assert_eq!(points(Some(q3), "泸州市"), (vec![0.0; 6], 0.0, "D".into(), 3));
    // 成都 2018Q4: 5 days late 20 − 10 = 10; its one file has an error: 0 and 0; 20; 10 × 27 ÷ 36 = 7.5;
    // 3.53. 41.03.
    assert_eq!(points(Some(q4), "成都市"), (vec![10.0, 0.0, 0.0, 20.0, 7.5, 3.53], 41.03, "D".into(), 1));
    // Cumulative: each item the mean of its periods. 成都 15 + 7.5 + 7.5 + 20 + 8.75 + 3.53 = 62.28, C;
    // 自贡 8 + 0 + 5 + 2.4 + 2.5 + 1.77 = 19.67 (the mean of 3.53 and 0, rounded).
    assert_eq!(points(None, "成都市"), (vec![15.0, 7.5, 7.5, 20.0, 8.75, 3.53], 62.28, "C".into(), 1));
    assert_eq!(points(None, "自贡市"), (vec![8.0, 0.0, 5.0, 2.4, 2.5, 1.77], 19.67, "D".into(), 2));
    // Every point is traceable.
    let s = h.assessment.score(Some(q3), "自贡市").unwrap();
    assert_eq!(s.items[0].trace, "逾期2天:20 − 2×2 = 16");
    assert_eq!(s.items[2].trace, "第2轮报送无错误:15 − 5×1 = 10");
    assert_eq!(s.items[3].trace, "20 × min(1, 12÷50) = 4.8");
    assert!(s.items[5].trace.starts_with("20 × 3÷17 = 3.53(达到或超过序时进度:"), "{}", s.items[5].trace);
    let c = h.assessment.score(None, "成都市").unwrap();
    assert_eq!(c.items[0].trace, "各期得分 20、10 的平均:(20 + 10)÷2 = 15");
    let ranking: Vec<&str> = h.assessment.ranking(None).iter().take(3).map(|s| s.prefecture.as_str()).collect();
    assert_eq!(ranking, ["成都市", "自贡市", "攀枝花市"]);
}

/// Reads the 历次 workbook with openpyxl: each sheet's name and its rows of values.
const READ_XLSX: &str = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], data_only=True)
out = {}
for ws in wb.worksheets:
    out[ws.title] = {
        "rows": [[("" if c is None else c) for c in row] for row in ws.iter_rows(values_only=True)],
        "repeat": ws.print_title_rows, "landscape": ws.page_setup.orientation, "paper": ws.page_setup.paperSize,
        "fit_width": ws.page_setup.fitToWidth, "fit_height": ws.page_setup.fitToHeight,
        "fit_page": ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else None, "charts": len(ws._charts),
    }
print(json.dumps(out, ensure_ascii=False, default=str))
"#;

#[test]
fn the_history_workbook_read_back_by_openpyxl_and_rendered_and_the_dataset_from_rollups() {
    let q = three_quarters();
    let d = q.dir.path();
    let o = taizhang(d, &["history", "--dataset", "ds", "--out", "历次.xlsx"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("数据集共 3 期:2018Q3、2018Q4、2019Q1") && out.contains("考核累计排名"), "{out}");
    // The same bytes from the same dataset.
    let first = std::fs::read(d.join("历次.xlsx")).unwrap();
    let o = taizhang(d, &["history", "--dataset", "ds", "--out", "历次.xlsx", "--force"]);
    assert!(o.status.success());
    assert!(first == std::fs::read(d.join("历次.xlsx")).unwrap(), "deterministic");

    let wb: serde_json::Value = serde_json::from_str(&python(READ_XLSX, &[d.join("历次.xlsx").to_str().unwrap()])).unwrap();
    let names: Vec<&str> = wb.as_object().unwrap().keys().map(String::as_str).collect();
    for s in ["序时进度", "序时进度图表", "各市州序时进度", "报送情况", "报送情况(累计)", "考核评分", "考核排名(累计)", "考核明细", "企业历次状态"] {
        assert!(names.contains(&s), "{s} in {names:?}");
    }
    for (name, sheet) in wb.as_object().unwrap() {
        // One page wide: fitToPage on, fitToHeight 0 (as many pages down as needed), fitToWidth its default 1.
        let fit = (sheet["fit_page"].as_bool(), sheet["fit_width"].as_i64().unwrap_or(1), sheet["fit_height"].as_i64());
        assert_eq!((sheet["landscape"].as_str(), sheet["paper"].as_i64(), fit), (Some("landscape"), Some(9), (Some(true), 1, Some(0))), "{name} prints A4 landscape, one page wide");
        if name != "序时进度图表" {
            assert_eq!(sheet["repeat"].as_str(), Some("$3:$3"), "{name} repeats its header");
        }
    }
    assert!(wb["序时进度图表"]["charts"].as_i64().unwrap() >= 15, "a chart per indicator");
    // The workbook shows the library's figures: the cumulative ranking as History computes it.
    let h = History::read(refdata(), &taizhang::history::Dataset::open_existing(d.join("ds")).unwrap(), &Default::default()).unwrap();
    let rows = wb["考核排名(累计)"]["rows"].as_array().unwrap();
    for (row, s) in rows[3..].iter().zip(h.assessment.ranking(None)) {
        assert_eq!(row[1].as_str(), Some(s.prefecture.as_str()));
        assert_eq!(row[0].as_f64(), Some(s.rank as f64));
        assert_eq!(row[row.as_array().unwrap().len() - 2].as_f64(), Some(s.total), "{row:?}");
    }
    // 序时进度 of 2018Q3 for 企业标准自我声明公开: 50 due of 500.
    let sched = wb["序时进度"]["rows"].as_array().unwrap();
    let row = sched.iter().find(|r| r[1] == "企业标准自我声明公开" && r[5] == "2018Q3").unwrap();
    assert_eq!((row[6].as_str(), row[7].as_f64()), (Some("1/10"), Some(50.0)), "{row:?}");
    // From the returns' own 指标完成情况: 185 of 500 at 2018Q4 against 100 due, 260 at 2019Q1 against 150.
    let row = sched.iter().find(|r| r[1] == "企业标准自我声明公开" && r[5] == "2018Q4").unwrap();
    assert_eq!((row[7].as_f64(), row[8].as_f64(), row[9].as_f64(), row[12].as_str()), (Some(100.0), Some(185.0), Some(85.0), Some("超进度")), "{row:?}");
    let row = sched.iter().find(|r| r[1] == "企业标准自我声明公开" && r[5] == "2019Q1").unwrap();
    assert_eq!((row[8].as_f64(), row[11].as_f64(), row[12].as_str()), (Some(260.0), Some(866.7), Some("超进度")), "{row:?}");
    // 200 trained a year: 2018's two quarters in the plan, due at 2018Q4 and short (170): 未达标.
    let row = sched.iter().find(|r| r[1] == "培训企业首席质量官" && r[5] == "2018Q4").unwrap();
    assert_eq!((row[6].as_str(), row[8].as_f64(), row[12].as_str()), (Some("2/2"), Some(170.0), Some("未达标")), "{row:?}");
    // 乐山 in 2018Q4: a damaged first file, the template the next day.
    let rec = wb["报送情况"]["rows"].as_array().unwrap();
    let row = rec.iter().find(|r| r[0] == "2018Q4" && r[1] == "乐山市").unwrap();
    assert_eq!((row[4].as_str(), row[5].as_f64(), row[6].as_f64(), row[8].as_str()), (Some("按时"), Some(2.0), Some(2.0), Some("否")), "{row:?}");
    let row = rec.iter().find(|r| r[0] == "2018Q4" && r[1] == "宜宾市").unwrap();
    assert_eq!(row[4].as_str(), Some("逾期2天"), "{row:?}");
    let row = rec.iter().find(|r| r[0] == "2018Q4" && r[1] == "眉山市").unwrap();
    assert_eq!(row[4].as_str(), Some("按时"), "the deadline day counts: {row:?}");
    // Each enterprise by period: 成都's listed in all three.
    let ents = wb["企业历次状态"]["rows"].as_array().unwrap();
    assert!(ents[3..].iter().any(|r| r[0] == "成都市" && r[2].as_f64() == Some(3.0)), "an enterprise of 成都 in three periods");
    assert!(ents[3..].iter().any(|r| r.as_array().unwrap().iter().any(|c| c == "未列入")), "and one missing from a period");

    // Rendered as the office prints it: LibreOffice to PDF, each page to PNG.
    let pdf = super::common::libreoffice_convert(&d.join("历次.xlsx"), "pdf", d);
    let pages = d.join("pages");
    std::fs::create_dir(&pages).unwrap();
    let o = std::process::Command::new("pdftoppm").args(["-png", "-r", "50"]).arg(&pdf).arg(pages.join("page")).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let n = std::fs::read_dir(&pages).unwrap().count();
    assert!(n >= 9, "one page or more per sheet: {n}");
    if let Some(keep) = std::env::var_os("TAIZHANG_HISTORY_PAGES") {
        std::fs::copy(&pdf, Path::new(&keep).join("历次.pdf")).unwrap();
        std::fs::copy(d.join("历次.xlsx"), Path::new(&keep).join("历次.xlsx")).unwrap();
        let to = Path::new(&keep).join("数据集");
        for e in walkdir::WalkDir::new(d.join("ds")) {
            let e = e.unwrap();
            let rel = e.path().strip_prefix(d.join("ds")).unwrap();
            if e.file_type().is_dir() {
                std::fs::create_dir_all(to.join(rel)).unwrap();
            } else {
                std::fs::copy(e.path(), to.join(rel)).unwrap();
            }
        }
        for e in std::fs::read_dir(&pages).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), Path::new(&keep).join(e.file_name())).unwrap();
        }
    }

    // The same periods from the rollup workbooks alone: the same enterprises per period and prefecture.
    let mut args: Vec<String> = vec!["history".into(), "--dataset".into(), "from-rollups".into(), "--from-rollups".into()];
    args.extend(q.rollups.iter().map(|(_, r)| r.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = taizhang(d, &args);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("已将汇总表"), "{}", stdout(&o));
    assert_eq!(duckdb_counts(&d.join("from-rollups")), expected_counts(&q));
}

#[test]
fn the_console_writes_its_dataset_and_shows_the_history_page() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("工作区");
    let c = super::serve::Console::start(&ws, &[]);
    let csrf = c.csrf();
    let cookie = c.cookie();
    let empty = c.get("/history", &[("Cookie", &cookie)]);
    assert_eq!(empty.status, 200);
    assert!(empty.body.contains("还没有历次数据"), "{}", empty.body);
    let bytes = std::fs::read(samples().join("2018Q3-成都市-质量提升台账.xlsx")).unwrap();
    c.upload(&[("2018Q3-成都市-质量提升台账.xlsx", &bytes)], Some(&csrf));
    let r = c.post_form("/p/2018Q3/rollup", "", &csrf);
    assert!(r.body.contains("\"ok\":true"), "{}", r.body);
    assert!(ws.join("数据集/ledger/period=2018Q3/part-0.parquet").is_file());
    let page = c.get("/history", &[("Cookie", &cookie)]);
    assert_eq!(page.status, 200);
    let body = &page.body;
    assert!(body.contains("<svg") && body.contains("<polyline") && !body.contains("<script src=\"http"), "charts drawn in the page");
    assert!(body.contains("考核排名(累计)") && body.contains("成都市") && body.contains("企业标准自我声明公开"), "{body}");
    // The board judges against 序时进度 too.
    let board = c.get("/p/2018Q3/board", &[("Cookie", &cookie)]).body;
    assert!(board.contains("序时进度"), "{board}");
    if let Some(keep) = std::env::var_os("TAIZHANG_HISTORY_PAGES") {
        std::fs::write(Path::new(&keep).join("console-history.html"), body).unwrap();
    }
}
