//! The plan's quantified targets: `indicators.toml` checked against the plan's text, and the 指标完成情况
//! sheet round-tripped: templates → every prefecture types its values (numbers, text, full width,
//! approximations, a percentage three ways, one missing, two unreadable) → consolidate → every province
//! figure, rate and status equal to what the test computes from what was typed, every unreadable value a
//! finding naming its cell, and every non-empty cell of the sheet accounted for.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};
use taizhang::refdata::{Aggregate, Scope};

use super::common::{python, refdata, repo, stderr, stdout, taizhang};

fn plan() -> String {
    std::fs::read_to_string(repo().join("tests/fixtures/plan_2018.txt")).unwrap()
}

/// The number as the plan writes it (500, 91.5).
fn plan_number(v: f64) -> String {
    taizhang::text::format_number(v)
}

#[test]
fn every_indicator_number_is_the_plans() {
    let plan = plan();
    let r = refdata();
    assert_eq!(r.indicators.indicators.len(), 24);
    for i in &r.indicators.indicators {
        for q in std::iter::once(&i.quote).chain(&i.also) {
            assert!(plan.contains(q.as_str()), "{}: 「{q}」 is not in the plan", i.id);
            assert!(q.contains(&format!("{}{}", plan_number(i.target), if i.target_high.is_some() { "-" } else { &i.unit })), "{}: 「{q}」 does not state {} {}", i.id, i.target, i.unit);
            if let Some(h) = i.target_high {
                assert!(q.contains(&format!("{}-{}{}", plan_number(i.target), plan_number(h), i.unit)), "{}: 「{q}」", i.id);
            }
        }
        assert!(r.tasks.get(i.task).is_some(), "{}: task {}", i.id, i.task);
        if i.scope == Scope::Prefecture && i.province_target.is_some() {
            // A target for every prefecture: the plan says so, and the province target is all of them.
            let sentence = std::iter::once(&i.quote).chain(&i.also).any(|q| {
                let at = plan.find(q.as_str()).unwrap();
                let start = plan[..at].rfind(['。', '\n']).map_or(0, |s| s + plan[s..].chars().next().map_or(1, char::len_utf8));
                plan[start..at + q.len()].contains("每个市州")
            });
            assert!(sentence, "{}: no 每个市州 in the plan's sentence", i.id);
            assert_eq!(i.province_target, Some(r.prefectures.all().len() as f64), "{}", i.id);
        }
    }
    // The other way round: every number with a unit in the plan is one of these targets (or the one
    // exception, the date of the meeting that adopted the plan).
    let quotes: Vec<(usize, usize)> = r
        .indicators
        .indicators
        .iter()
        .flat_map(|i| std::iter::once(&i.quote).chain(&i.also))
        .flat_map(|q| plan.match_indices(q.as_str()).map(|(a, s)| (a, a + s.len())).collect::<Vec<_>>())
        .collect();
    let chars: Vec<(usize, char)> = plan.char_indices().collect();
    let units = ["批次", "家", "个", "名", "种", "%", "次"];
    let mut uncovered = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        if !chars[k].1.is_ascii_digit() {
            k += 1;
            continue;
        }
        let start = chars[k].0;
        while k < chars.len() && (chars[k].1.is_ascii_digit() || chars[k].1 == '.' || chars[k].1 == '-') {
            k += 1;
        }
        let end = chars.get(k).map_or(plan.len(), |c| c.0);
        if let Some(u) = units.iter().find(|u| plan[end..].starts_with(**u)) {
            let e = end + u.len();
            if !quotes.iter().any(|(a, b)| *a <= start && e <= *b) {
                uncovered.push(plan[start..e].to_string());
            }
        }
    }
    assert_eq!(uncovered, ["4次"], "numbers of the plan that no indicator holds");
}

/// Fills each prefecture's 指标完成情况 sheet (and a ledger of 40 + n enterprises) and prints as JSON what
/// was typed and what it means.
const FILL: &str = r#"
import json, re, sys, openpyxl
FW = str.maketrans("0123456789.%", "０１２３４５６７８９．％")
out = {}
for n, path in enumerate(sys.argv[1:]):
    wb = openpyxl.load_workbook(path)
    ws = wb["附件2 质量提升台账"]
    count = 40 + n
    for i in range(count):
        r = 4 + i
        for c, v in zip("BC", ["白酒", "指标测试%d号企业%d有限公司" % (n, i)]):
            ws["%s%d" % (c, r)].value = v
    s = wb["指标完成情况"]
    typed = {}
    k = 0
    while s["B%d" % (4 + k)].value and not str(s["B%d" % (4 + k)].value).startswith("注"):
        r = 4 + k
        name, unit = s["B%d" % r].value, s["C%d" % r].value
        cell = s["G%d" % r]
        if unit == "%":
            meant = [91.5, 91.5, 91.5][n] if n < 3 else 88 + n % 7
            form = n % 3
            if form == 0:
                cell.value = meant
            elif form == 1:
                cell.value = round(meant / 100, 4)
            else:
                cell.value = "%s%%" % meant
                cell.data_type = "s"
        else:
            meant = (k * 7 + n * 3) % 5
            if name == "培育打造质量提升标杆企业":
                meant = n % 8
            target = float(re.sub(r"[^0-9.]", "", str(s["D%d" % r].value)))
            if "全省" in s["D%d" % r].value and meant > target:
                meant = int(target)
            if name == "企业标准自我声明公开" and n == 9:
                meant = 600
            form = (n + k) % 5
            if form == 0:
                cell.value = meant
            elif form == 1:
                cell.value = str(meant)
                cell.data_type = "s"
            elif form == 2:
                cell.value = str(meant).translate(FW)
                cell.data_type = "s"
            elif form == 3:
                cell.value = "约%d%s" % (meant, unit)
            else:
                cell.value = float(meant)
        if n == 5 and k == 2:
            cell.value = None
            meant = None
        if n == 7 and k == 0:
            cell.value = "待统计"
            meant = None
        if n == 8 and k == 1:
            cell.value = "120家,其中30家新增"
            meant = None
        if n == 4 and k == 3:
            s["H%d" % r] = "含市级培训班两期"
        typed[name] = {"typed": None if cell.value is None else str(cell.value), "meant": meant, "cell": "G%d" % r}
        k += 1
    wb.save(path)
    out[path] = {"enterprises": count, "indicators": typed}
print(json.dumps(out, ensure_ascii=False))
"#;

/// The 指标完成情况 sheet of a rollup: the header and rows as calamine reads them.
fn rollup_sheet(path: &Path) -> Vec<Vec<Data>> {
    let mut wb = open_workbook_auto(path).unwrap();
    let range = wb.worksheet_range(&refdata().indicators.sheet).unwrap();
    range.rows().map(|r| r.to_vec()).collect()
}

fn num(d: &Data) -> Option<f64> {
    match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    }
}

fn text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn indicators_typed_in_every_prefecture_add_up_in_the_rollup() {
    let r = refdata();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = taizhang(d, &["template", "--period", "2018Q3", "--out", "inbox"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let prefs: Vec<String> = r.prefectures.all().iter().map(|p| p.name.clone()).collect();
    let paths: Vec<String> = prefs.iter().map(|n| d.join(format!("inbox/2018Q3-{n}-质量提升台账.xlsx")).display().to_string()).collect();
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    let typed: HashMap<String, serde_json::Value> = serde_json::from_str(&python(FILL, &args)).unwrap();
    let by_pref: Vec<&serde_json::Value> = paths.iter().map(|p| &typed[p]).collect();

    let o = taizhang(d, &["consolidate", "inbox", "--period", "2018Q3", "--out", "rollup.xlsx", "--csv", "csv", "--parquet", "台账.parquet"]);
    assert!(o.status.code() == Some(0) || o.status.code() == Some(1), "{}{}", stdout(&o), stderr(&o));
    let rows = rollup_sheet(&d.join("rollup.xlsx"));
    let header: Vec<String> = rows[2].iter().map(|c| text(c).replace('\n', "")).collect();
    let col = |h: &str| header.iter().position(|x| x == h).unwrap_or_else(|| panic!("no column {h}: {header:?}"));
    let (c_prov, c_rate, c_status) = (col("全省完成值"), col("完成率"), col("状态"));
    let pref_cols: Vec<usize> = r.prefectures.all().iter().map(|p| col(&p.short)).collect();
    assert!(!header.contains(&"较上期".to_string()), "no change column without --previous");

    for (k, ind) in r.indicators.indicators.iter().enumerate() {
        let row = &rows[3 + k];
        assert_eq!(text(&row[1]), ind.name);
        // What each prefecture meant, computed here from what was typed.
        let meant: Vec<Option<f64>> = by_pref
            .iter()
            .map(|p| {
                if ind.id == "sme_helped" {
                    return p["enterprises"].as_f64();
                }
                p["indicators"].get(&ind.name).and_then(|x| x["meant"].as_f64())
            })
            .collect();
        for (j, m) in meant.iter().enumerate() {
            let got = num(&row[pref_cols[j]]);
            match (got, m) {
                (Some(g), Some(m)) => assert!(close(g, *m), "{} {}: {g} ≠ {m}", ind.id, prefs[j]),
                (None, None) => {}
                _ => panic!("{} {}: rollup {got:?}, typed {m:?}", ind.id, prefs[j]),
            }
        }
        let values: Vec<f64> = meant.iter().flatten().copied().collect();
        let (province, target) = match ind.aggregate {
            Aggregate::Sum => (Some(values.iter().sum::<f64>()), Some(ind.target)),
            Aggregate::Count => (Some(values.iter().filter(|v| **v >= ind.target).count() as f64), ind.province_target),
            Aggregate::Province => (None, Some(ind.target)),
        };
        let got = num(&row[c_prov]);
        match (got, province) {
            (Some(g), Some(p)) => assert!(close(g, p), "{}: province {g} ≠ {p}", ind.id),
            (None, None) => {}
            _ => panic!("{}: province {got:?}, expected {province:?}", ind.id),
        }
        let rate = province.zip(target).map(|(p, t)| p / t);
        match (num(&row[c_rate]), rate) {
            (Some(g), Some(e)) => assert!(close(g, e), "{}: rate {g} ≠ {e}", ind.id),
            (None, None) => {}
            (g, e) => panic!("{}: rate {g:?}, expected {e:?}", ind.id),
        }
        // 序时进度 at 2018Q3, the plan's first quarter: a tenth of a 2020 target is due, half of a yearly one
        // (2018 has two quarters in the plan); a rate is judged against its target. 超进度 from 1.1 times
        // what is due; a per-prefecture target by how many prefectures are at or ahead of their own.
        let fraction = if ind.horizon == taizhang::refdata::Horizon::By2020 { 0.1 } else { 0.5 };
        // A count of prefectures has the prefectures' own total beside it, so that 11 prefectures are not
        // read as 11 enterprises.
        let c_total = header.iter().position(|h| h == "各市州合计").expect("各市州合计");
        match ind.aggregate {
            Aggregate::Count if !values.is_empty() => assert!(close(num(&row[c_total]).unwrap(), values.iter().sum::<f64>()), "{}: total", ind.id),
            _ => assert_eq!(num(&row[c_total]), None, "{}: no total beside a sum", ind.id),
        }
        let status = match (province, target) {
            (None, _) if ind.aggregate == Aggregate::Province => "待省局填报",
            (None, _) => "无数据",
            (Some(_), None) => "不设全省目标",
            (Some(p), Some(t)) if p >= t => "达标",
            _ if ind.comparison == taizhang::refdata::Comparison::Rate => "未达标",
            (Some(_), Some(t)) if ind.aggregate == Aggregate::Count => {
                let on = values.iter().filter(|v| **v >= ind.target * fraction).count() as f64;
                if on >= t { "达进度" } else { "欠进度" }
            }
            (Some(p), Some(t)) if p >= 1.1 * t * fraction => "超进度",
            (Some(p), Some(t)) if p >= t * fraction => "达进度",
            _ => "欠进度",
        };
        assert_eq!(text(&row[c_status]), status, "{}", ind.id);
    }
    // The numbers the test relies on are not all zero or all met: the sums and counts were really checked.
    let sum_row = &rows[3 + r.indicators.indicators.iter().position(|i| i.id == "iso_upgrades").unwrap()];
    assert!(num(&sum_row[c_prov]).unwrap() > 10.0);
    let sme = &rows[3 + r.indicators.indicators.iter().position(|i| i.id == "sme_helped").unwrap()];
    assert_eq!(num(&sme[c_prov]), Some(11.0), "prefectures with 50 or more enterprises: n = 10..20");

    // The 21-row table of per-prefecture targets: the prefectures behind say by how much.
    let table = rows.iter().position(|row| text(&row[1]) == "市州").expect("per-prefecture table");
    for (j, p) in prefs.iter().enumerate() {
        let row = &rows[table + 1 + j];
        assert_eq!(&text(&row[1]), p);
        let status = row.iter().skip(2).map(text).find(|t| !t.is_empty() && t.parse::<f64>().is_err()).unwrap_or_default();
        // Against 序时进度 at 2018Q3: 5 enterprises and 0.5 benchmark enterprises due of each prefecture, so
        // only a prefecture without a benchmark enterprise (or without the figure) is behind.
        let bench = by_pref[j]["indicators"]["培育打造质量提升标杆企业"]["meant"].as_f64();
        let behind = bench.is_none_or(|b| b < 0.5);
        let met = 40 + j >= 50 && bench.is_some_and(|b| b >= 5.0);
        let want = if behind { "欠进度" } else if met { "达标" } else { "达进度" };
        assert!(status.starts_with(want), "{p}: {status}, expected {want}");
        if bench == Some(0.0) {
            assert!(status.contains("标杆企业低于序时进度0.5个,差0.5个"), "{p}: {status}");
        }
    }

    // Every unreadable value is a finding naming its cell; the approximations are hints; the value over
    // the province target on its own is reported.
    let mut wb = open_workbook_auto(d.join("rollup.xlsx")).unwrap();
    let findings = wb.worksheet_range("问题清单").unwrap();
    let fh: Vec<String> = findings.rows().nth(2).unwrap().iter().map(text).collect();
    let fc = |h: &str| fh.iter().position(|x| x == h).unwrap();
    let mut by_code: BTreeMap<String, BTreeSet<(String, String, String)>> = BTreeMap::new();
    for row in findings.rows().skip(3) {
        if text(&row[fc("工作表")]) == r.indicators.sheet {
            by_code.entry(text(&row[fc("代码")])).or_default().insert((text(&row[fc("市州")]), text(&row[fc("单元格")]), text(&row[fc("原值")])));
        }
    }
    let i01: BTreeSet<(String, String, String)> = [(7, "G4", "待统计"), (8, "G5", "120家,其中30家新增")]
        .iter()
        .map(|(n, c, v)| (prefs[*n].clone(), c.to_string(), v.to_string()))
        .collect();
    assert_eq!(by_code.get("I01"), Some(&i01));
    let prefs_ref = &prefs;
    let approximations: BTreeSet<(String, String, String)> = by_pref
        .iter()
        .enumerate()
        .flat_map(|(j, p)| {
            p["indicators"].as_object().unwrap().values().filter_map(move |x| {
                let t = x["typed"].as_str()?;
                (t.starts_with('约') && x["meant"].is_number()).then(|| (prefs_ref[j].clone(), x["cell"].as_str().unwrap().to_string(), t.to_string()))
            })
        })
        .collect();
    assert!(approximations.len() > 10);
    assert_eq!(by_code.get("I04"), Some(&approximations));
    assert_eq!(by_code.get("I03").map(|s| s.iter().map(|x| (x.0.clone(), x.1.clone())).collect::<Vec<_>>()), Some(vec![(prefs[9].clone(), "G4".to_string())]));
    assert_eq!(by_code.keys().map(String::as_str).collect::<Vec<_>>(), ["I01", "I03", "I04"]);

    // Conservation on the sheet: every non-empty cell is a value, a note, a layout cell or a finding.
    for p in &paths {
        let wb = taizhang::read::read_file(Path::new(p), &taizhang::read::Limits::default()).unwrap();
        let s = taizhang::import::import_workbook(r, &wb, Path::new(p), p);
        let sheet = &r.indicators.sheet;
        assert!(!s.findings.iter().any(|f| f.sheet.as_deref() == Some(sheet.as_str()) && f.code == taizhang::Code::SheetIgnored));
        let mut seen: HashSet<String> = HashSet::new();
        for x in &s.indicators {
            seen.extend(x.cell.iter().chain(&x.note).map(|l| l.cell.a1()));
        }
        seen.extend(s.layout.iter().filter(|l| &l.sheet == sheet).map(|l| l.cell.a1()));
        seen.extend(s.findings.iter().filter(|f| f.sheet.as_deref() == Some(sheet.as_str())).filter_map(|f| f.cell.map(|c| c.a1())));
        let mut cal = open_workbook_auto(p).unwrap();
        let range = cal.worksheet_range(sheet).unwrap();
        for (row, c, v) in range.used_cells() {
            if !text(v).trim().is_empty() {
                let a1 = taizhang::cell::CellRef::new(row as u32, c as u32).a1();
                assert!(seen.contains(&a1), "{p}: {sheet}!{a1} 「{}」 is not accounted for", text(v));
            }
        }
        if p.contains(&prefs[7]) {
            // The corrections sent back keep every value as typed, the unreadable one included.
            let bytes = taizhang::feedback::build(r, &s, None).unwrap().expect("corrections for an I01");
            let back = d.join("corrections.xlsx");
            std::fs::write(&back, bytes).unwrap();
            let shown = python(
                "import sys, openpyxl\ns = openpyxl.load_workbook(sys.argv[1])['指标完成情况']\nfor r in range(4, 22): print('%s\\t%s' % (s['B%d' % r].value, s['G%d' % r].value))",
                &[&back.display().to_string()],
            );
            let note = python(
                "import sys, openpyxl\ns = openpyxl.load_workbook(sys.argv[1])['指标完成情况']\nprint(s['G4'].comment.text if s['G4'].comment else None)\nprint(s['G6'].comment)",
                &[&back.display().to_string()],
            );
            assert!(note.contains("\n指标「企业标准自我声明公开」的累计完成值「待统计」无法识别为一个数"), "{note}");
            assert!(note.trim_end().ends_with("None"), "only the cells of findings carry a note: {note}");
            let typed = &by_pref[7]["indicators"];
            for line in shown.lines() {
                let (name, value) = line.split_once('\t').unwrap();
                // As read: full-width digits come back half-width (the text's normal form), nothing else changes.
                let t = typed[name]["typed"].as_str().map(taizhang::text::clean_text).map(|t| t.parse::<f64>().map(|v| v.to_string()).unwrap_or_else(|_| t.clone()));
                let v = Some(value.parse::<f64>().map(|v| v.to_string()).unwrap_or_else(|_| value.to_string())).filter(|v| v != "None");
                assert_eq!(v, t, "{name}");
            }
        }
        if p.contains(&prefs[4]) {
            let note = s.indicators.iter().find(|x| x.id == "cqo_trained").and_then(|x| x.note.as_ref()).map(|l| l.text.as_str());
            assert_eq!(note, Some("含市级培训班两期"));
        }
    }

    // Saved again by LibreOffice as xls and ods (old Excel, WPS, LibreOffice), the sheet reads the same.
    for n in [1usize, 2, 7] {
        let read = |path: &Path| {
            let wb = taizhang::read::read_file(path, &taizhang::read::Limits::default()).unwrap();
            let s = taizhang::import::import_workbook(r, &wb, path, "x");
            let values: Vec<(String, Option<f64>, Option<String>)> =
                s.indicators.iter().map(|x| (x.id.clone(), x.value, x.cell.as_ref().map(|l| l.cell.a1()))).collect();
            let codes: Vec<(String, Option<String>)> = s
                .findings
                .iter()
                .filter(|f| f.sheet.as_deref() == Some(r.indicators.sheet.as_str()))
                .map(|f| (f.code.as_str().to_string(), f.cell.map(|c| c.a1())))
                .collect();
            (values, codes)
        };
        let original = read(Path::new(&paths[n]));
        assert_eq!(original.0.len(), r.indicators.asked().count());
        for format in ["xls", "ods"] {
            let out = d.join(format!("resaved-{format}"));
            std::fs::create_dir_all(&out).unwrap();
            let converted = super::common::libreoffice_convert(Path::new(&paths[n]), format, &out);
            assert_eq!(read(&converted), original, "{} as {format}", prefs[n]);
        }
    }

    // The exports hold the same figures.
    let csv = std::fs::read_to_string(d.join("csv/指标完成情况.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let h = reader.headers().unwrap().clone();
    let ci = |name: &str| h.iter().position(|x| x == name).unwrap();
    for (k, rec) in reader.records().enumerate() {
        let rec = rec.unwrap();
        assert_eq!(&rec[ci("指标代码")], r.indicators.indicators[k].id);
        let expected = num(&rows[3 + k][c_prov]).map(|v| v.to_string()).unwrap_or_default();
        assert_eq!(rec[ci("全省完成值")].parse::<f64>().ok().map(|v| v.to_string()).unwrap_or_default(), expected, "{}", r.indicators.indicators[k].id);
    }
    assert!(d.join("台账-指标完成情况.parquet").is_file());

    // The same returns give the same rollup, byte for byte.
    let o = taizhang(d, &["consolidate", "inbox", "--period", "2018Q3", "--out", "again.xlsx"]);
    assert!(o.status.code() == Some(0) || o.status.code() == Some(1), "{}", stderr(&o));
    assert_eq!(std::fs::read(d.join("rollup.xlsx")).unwrap(), std::fs::read(d.join("again.xlsx")).unwrap());

    // Next quarter: the templates show last quarter's values; the rollup with --previous the change.
    let o = taizhang(d, &["template", "--period", "2018Q4", "--out", "q4", "--from", "rollup.xlsx"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let q4 = d.join(format!("q4/2018Q4-{}-质量提升台账.xlsx", prefs[6]));
    let shown = python(
        r#"
import sys, openpyxl
s = openpyxl.load_workbook(sys.argv[1])["指标完成情况"]
for r in range(4, 22):
    print("%s\t%s\t%s" % (s["B%d" % r].value, s["F%d" % r].value, s["G%d" % r].value))
"#,
        &[&q4.display().to_string()],
    );
    for line in shown.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let m = by_pref[6]["indicators"][f[0]]["meant"].as_f64();
        let shown = f[1].parse::<f64>().ok();
        assert_eq!(shown, m, "{}: 上期值", f[0]);
        assert_eq!(f[2].parse::<f64>().ok(), m, "{}: 累计完成值 prefilled", f[0]);
    }
    // A value typed lower than last quarter's is reported.
    python(
        r#"
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
s = wb["指标完成情况"]
for r in range(4, 22):
    if s["B%d" % r].value == "ISO获证企业升级换版":
        s["G%d" % r] = -1 + (s["F%d" % r].value or 0)
wb.save(sys.argv[1])
"#,
        &[&q4.display().to_string()],
    );
    let wb = taizhang::read::read_file(&q4, &taizhang::read::Limits::default()).unwrap();
    let s = taizhang::import::import_workbook(r, &wb, &q4, "q4.xlsx");
    let codes: Vec<&str> = s.findings.iter().filter(|f| f.sheet.as_deref() == Some(r.indicators.sheet.as_str())).map(|f| f.code.as_str()).collect();
    let before = by_pref[6]["indicators"]["ISO获证企业升级换版"]["meant"].as_f64().unwrap();
    assert!(before >= 1.0);
    assert_eq!(codes, ["I02"], "{:?}", s.findings);

    let o = taizhang(d, &["consolidate", "inbox", "--period", "2018Q3", "--out", "again2.xlsx", "--previous", "rollup.xlsx", "--force"]);
    assert!(o.status.code() == Some(0) || o.status.code() == Some(1), "{}", stderr(&o));
    let again = rollup_sheet(&d.join("again2.xlsx"));
    let header: Vec<String> = again[2].iter().map(|c| text(c).replace('\n', "")).collect();
    let c_change = header.iter().position(|x| x == "较上期").expect("change column");
    let c_prev = header.iter().position(|x| x == "上期全省").expect("previous column");
    for (k, ind) in r.indicators.indicators.iter().enumerate() {
        let row = &again[3 + k];
        assert_eq!(num(&row[c_prev]), num(&rows[3 + k][c_prov]), "{}", ind.id);
        assert_eq!(num(&row[c_change]), num(&rows[3 + k][c_prov]).map(|_| 0.0), "{}", ind.id);
    }
}

#[test]
fn template_sheet_is_unlocked_only_where_prefectures_type() {
    let r = refdata();
    let dir = tempfile::tempdir().unwrap();
    let o = taizhang(dir.path(), &["template", "--period", "2018Q3", "--out", "tpl", "--prefecture", "成都"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let path = dir.path().join("tpl/2018Q3-成都市-质量提升台账.xlsx");
    let out = python(
        r#"
import sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1])["指标完成情况"]
print("protected", ws.protection.sheet)
print("header", "|".join(str(c.value) for c in ws[3]))
unlocked = sorted({c.column_letter for row in ws.iter_rows(min_row=4, max_row=ws.max_row) for c in row if not c.protection.locked})
print("unlocked", "".join(unlocked))
for dv in ws.data_validations.dataValidation:
    print("dv", str(dv.sqref), dv.type, dv.operator, dv.formula1, dv.formula2, dv.errorStyle)
for r in range(4, ws.max_row + 1):
    print("row", ws["B%d" % r].value, ws["C%d" % r].value)
"#,
        &[&path.display().to_string()],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "protected True");
    assert_eq!(lines[1], "header 序号|指标|单位|目标|期限|上期值|累计完成值|说明");
    assert_eq!(lines[2], "unlocked GH");
    let asked: Vec<&taizhang::refdata::Indicator> = r.indicators.asked().collect();
    let dvs: Vec<&str> = lines.iter().filter(|l| l.starts_with("dv ")).copied().collect();
    assert_eq!(dvs.len(), asked.len());
    for (k, i) in asked.iter().enumerate() {
        let cell = format!("G{}", 4 + k);
        let dv = dvs.iter().find(|d| d.split(' ').nth(1) == Some(cell.as_str())).unwrap_or_else(|| panic!("no validation on {cell}"));
        // openpyxl shows the default operator, between, as None.
        let expected = if i.is_percent() { format!("dv {cell} decimal None 0 100 warning") } else { format!("dv {cell} decimal greaterThanOrEqual 0 None warning") };
        assert_eq!(*dv, expected, "{}", i.id);
    }
    let rows: Vec<&str> = lines.iter().filter(|l| l.starts_with("row ")).copied().collect();
    for (k, i) in asked.iter().enumerate() {
        assert_eq!(rows[k], format!("row {} {}", i.name, i.unit));
    }
    assert!(!rows.iter().any(|l| l.contains("精准帮扶中小微企业 ")), "the ledger's count is not asked again");
    assert_eq!(rows.len(), asked.len() + 1, "the indicators and the note under them");
}

/// The figures only the province has (the national spot-check pass rate, the surveys …): entered by the
/// office in a sheet of 指标 and 完成值, they stand in the rollup with their rate and status; a figure that
/// is the prefectures' to report, or not a number, is refused with the cell named.
#[test]
fn the_provinces_own_figures_are_entered_by_the_office() {
    let r = refdata();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // As Excel saves a CSV: a byte-order mark; the rate written as a percentage, a count with its unit.
    std::fs::write(d.join("省局.csv"), "\u{feff}指标,完成值,备注\n重点消费品国家监督抽查合格率,90.2%,国家局通报\n“川字号”产品开展绿色产品认证,13种,\n产品质量满意度调查,,未开展\n").unwrap();
    let samples = super::common::samples();
    let o = taizhang(d, &["consolidate", samples.to_str().unwrap(), "--period", "2018Q3", "--out", "rollup.xlsx", "--province-figures", "省局.csv"]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}{}", stdout(&o), stderr(&o));
    let rows = rollup_sheet(&d.join("rollup.xlsx"));
    let header: Vec<String> = rows[2].iter().map(|c| text(c).replace('\n', "")).collect();
    let col = |h: &str| header.iter().position(|x| x == h).unwrap();
    let row_of = |id: &str| &rows[3 + r.indicators.indicators.iter().position(|i| i.id == id).unwrap()];
    let rate = row_of("spot_check_pass_rate");
    assert_eq!(num(&rate[col("全省完成值")]), Some(90.2));
    assert_eq!(text(&rate[col("状态")]), "未达标", "90.2% is under the plan's 91.5%");
    assert!(close(num(&rate[col("完成率")]).unwrap(), 90.2 / 91.5));
    let green = row_of("green_products");
    assert_eq!(num(&green[col("全省完成值")]), Some(13.0));
    assert_eq!(text(&green[col("状态")]), "达标");
    assert_eq!(text(&row_of("satisfaction_surveys")[col("状态")]), "待省局填报", "left empty: still the office's to enter, not zero");

    // Without the sheet these wait for the office: 待省局填报, not a 无数据 that blames no one.
    let o = taizhang(d, &["consolidate", samples.to_str().unwrap(), "--period", "2018Q3", "--out", "plain.xlsx"]);
    assert!(matches!(o.status.code(), Some(0 | 1)));
    let plain = rollup_sheet(&d.join("plain.xlsx"));
    assert_eq!(text(&plain[3 + r.indicators.indicators.iter().position(|i| i.id == "spot_check_pass_rate").unwrap()][col("状态")]), "待省局填报");

    // A figure the prefectures report, and a value that is no number: refused, nothing written.
    for (content, said) in [
        ("指标,完成值\n企业标准自我声明公开,300\n", "「企业标准自我声明公开」由各市州填报"),
        ("指标,完成值\n重点消费品国家监督抽查合格率,较高\n", "B2:「较高」不是一个数值"),
    ] {
        std::fs::write(d.join("bad.csv"), content).unwrap();
        let o = taizhang(d, &["consolidate", samples.to_str().unwrap(), "--period", "2018Q3", "--out", "bad.xlsx", "--province-figures", "bad.csv"]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(said), "{}", stderr(&o));
        assert!(!d.join("bad.xlsx").exists());
    }
}
