//! Every sample return against what it must read as (`tests/fixtures/samples/expected.json`), and the
//! conservation rule: every non-empty cell of a sample is accounted for.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value as Json;
use taizhang::import::batch::{BatchOptions, import_one};
use taizhang::inbox::{Input, discover};
use taizhang::submission::Submission;
use taizhang::{Code, Period, Severity};

use super::common::{assert_accounted, refdata, repo, samples};

fn expected() -> BTreeMap<String, Json> {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/samples/expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn options() -> BatchOptions {
    BatchOptions { period: Some(Period { year: 2018, quarter: 3 }), ..BatchOptions::default() }
}

fn import(name: &str) -> Submission {
    let path = samples().join(name);
    import_one(refdata(), &Input::file(path, name, true), &options()).remove(0)
}

fn opt(j: &Json) -> Option<String> {
    j.as_str().map(str::to_string)
}

fn codes(s: &Submission) -> HashSet<&'static str> {
    s.findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn every_sample_has_an_expectation() {
    let exp = expected();
    for e in std::fs::read_dir(samples()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name != "README.md" {
            assert!(exp.contains_key(&name), "samples/{name} has no entry in expected.json");
        }
    }
    for name in exp.keys() {
        assert!(samples().join(name).is_file(), "expected.json names samples/{name}, which is missing");
    }
}

#[test]
fn each_sample_reads_as_expected() {
    let r = refdata();
    let keys: Vec<&str> = r.ledger.columns.iter().map(|c| c.key.as_str()).collect();
    for (name, e) in expected() {
        if e["skipped"].as_bool() == Some(true) {
            let (inputs, notes) = discover(&[samples().join(&name)]);
            assert!(inputs.is_empty(), "{name} is not read");
            assert!(notes.iter().any(|f| f.code == Code::Skipped), "{name} is reported as skipped");
            continue;
        }
        let s = import(&name);
        let ctx = |what: &str| format!("{name}: {what}");
        assert_eq!(s.readable, e["readable"].as_bool().unwrap(), "{}", ctx("readable"));
        let have = codes(&s);
        for c in e["finding_codes"].as_array().unwrap() {
            assert!(have.contains(c.as_str().unwrap()), "{}: finding {c} expected, got {have:?}", name);
        }
        if e["no_errors"].as_bool() == Some(true) {
            let errors: Vec<String> = s.findings.iter().filter(|f| f.severity == Severity::Error).map(|f| f.to_string()).collect();
            assert!(errors.is_empty(), "{}: {errors:#?}", ctx("no errors"));
        }
        if !s.readable {
            continue;
        }
        assert_eq!(s.prefecture, opt(&e["prefecture"]), "{}", ctx("prefecture"));
        assert_eq!(s.period.map(|p| p.code()), opt(&e["period"]), "{}", ctx("period"));
        assert_eq!(s.filled_on.map(|d| d.to_string()), opt(&e["filled_date"]), "{}", ctx("填报日期"));
        assert_eq!(s.filler.as_ref().map(|l| l.text.clone()), opt(&e["filler"]), "{}", ctx("填报人"));
        assert_eq!(s.phone.as_ref().map(|l| l.text.clone()), opt(&e["phone"]), "{}", ctx("联系电话"));
        assert_eq!(s.reviewer.as_ref().map(|l| l.text.clone()), opt(&e["reviewer"]), "{}", ctx("审核人"));
        let extra: Vec<String> = e["extra_columns"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
        assert_eq!(s.extra_columns, extra, "{}", ctx("extra columns"));
        let rows = e["rows"].as_array().unwrap();
        assert_eq!(s.rows.len(), rows.len(), "{}", ctx("row count"));
        for (k, (got, want)) in s.rows.iter().zip(rows).enumerate() {
            for (i, key) in keys.iter().enumerate() {
                if *key == "seq" {
                    continue;
                }
                let want = want.get(*key).and_then(Json::as_str).unwrap_or("");
                assert_eq!(got.text(i), want, "{name} row {} ({}!{}) {key}", k + 1, got.sheet, got.row_number());
            }
            let empty = serde_json::Map::new();
            let want_extras = want.get("extras").and_then(Json::as_object).unwrap_or(&empty);
            for (i, col) in s.extra_columns.iter().enumerate() {
                let w = want_extras.get(col).and_then(Json::as_str).unwrap_or("");
                assert_eq!(got.extra(i), w, "{name} row {} extra {col}", k + 1);
            }
        }
        let progress = e["progress"].as_object().unwrap();
        assert_eq!(s.progress.len(), progress.len(), "{}", ctx("tasks reported"));
        for p in &s.progress {
            let want = &progress[&p.task.to_string()];
            let text = |l: &Option<taizhang::submission::Located>| l.as_ref().map(|l| l.text.clone()).unwrap_or_default();
            assert_eq!(p.status_canonical.clone().or_else(|| p.status.as_ref().map(|l| l.text.clone())).unwrap_or_default(), want.get("status").and_then(Json::as_str).unwrap_or(""), "{name} task {} status", p.task);
            assert_eq!(text(&p.narrative), want.get("narrative").and_then(Json::as_str).unwrap_or(""), "{name} task {} 推进情况", p.task);
            assert_eq!(text(&p.value), want.get("value").and_then(Json::as_str).unwrap_or(""), "{name} task {} 量化完成值", p.task);
        }
        let remarks: Vec<String> = s.remarks.iter().map(|l| l.text.clone()).collect();
        let want: Vec<String> = e["remarks"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
        assert_eq!(remarks, want, "{}", ctx("remarks"));
    }
}

#[test]
fn the_samples_together_show_resubmission_and_shared_enterprises() {
    let r = refdata();
    let (inputs, _) = discover(&[samples()]);
    let mut subs: Vec<Submission> = inputs.iter().flat_map(|i| import_one(r, i, &options())).collect();
    let merged = taizhang::rollup::merge::merge(r, &mut subs, &taizhang::rollup::merge::MergeOptions { period: Some(Period { year: 2018, quarter: 3 }) }).unwrap();
    for (name, e) in expected() {
        if let Some(winner) = e["superseded_by"].as_str() {
            let s = subs.iter().find(|s| s.file.ends_with(&name)).unwrap();
            let f = s.findings.iter().find(|f| f.code == Code::Superseded).unwrap_or_else(|| panic!("{name} superseded"));
            assert!(f.message.contains(winner), "{}", f.message);
        }
        if let Some(other) = e["also_reported_in"].as_object() {
            for (enterprise, _) in other {
                let s = subs.iter().find(|s| s.file.ends_with(&name)).unwrap();
                assert!(
                    s.findings.iter().any(|f| f.code == Code::CrossPrefecture && f.value.as_deref() == Some(enterprise)),
                    "{name}: {enterprise} reported as also in another prefecture"
                );
            }
        }
    }
    assert!(merged.findings.iter().any(|f| f.code == Code::PeriodMismatch && f.file.contains("达州")));
}

#[test]
fn every_non_empty_cell_is_accounted_for() {
    for (name, e) in expected() {
        if e["readable"].as_bool() != Some(true) || name.ends_with(".csv") {
            continue;
        }
        let s = import(&name);
        assert_accounted(&samples().join(&name), &s);
    }
}
