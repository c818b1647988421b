//! The reference data against the plan itself.

use super::common::{refdata, repo};

/// The cells of 附件1 as the published plan gives them: (number, content, 指导, 责任, 配合).
fn tasks_in_plan(text: &str) -> Vec<(u32, String, String, String, String)> {
    let start = text.find("附件1\n四川省重点消费品").expect("附件1 in the plan");
    let end = text.find("附件2\n四川省重点消费品质量提升台账").expect("附件2 in the plan");
    let cells: Vec<&str> = text[start..end].split('|').map(str::trim).collect();
    let mut out = Vec::new();
    for (i, c) in cells.iter().enumerate() {
        let Some((num, rest)) = c.split_once('.') else { continue };
        let Ok(n) = num.parse::<u32>() else { continue };
        out.push((n, rest.trim().to_string(), cells[i + 1].to_string(), cells[i + 2].to_string(), cells[i + 3].to_string()));
    }
    out
}

#[test]
fn the_fixture_is_the_plan_as_published() {
    let fixture = std::fs::read_to_string(repo().join("tests/fixtures/plan_2018.txt")).unwrap();
    let shared = repo().join("../shared/seeds/000_5b140c7314a9c593.txt");
    if let Ok(original) = std::fs::read_to_string(shared) {
        assert_eq!(fixture, original, "tests/fixtures/plan_2018.txt must be an unchanged copy of the plan");
    }
}

#[test]
fn every_task_matches_the_plan() {
    let plan = std::fs::read_to_string(repo().join("tests/fixtures/plan_2018.txt")).unwrap();
    let expected = tasks_in_plan(&plan);
    let r = refdata();
    assert_eq!(expected.len(), 36);
    assert_eq!(r.tasks.tasks.len(), 36);
    for ((n, content, guiding, responsible, cooperating), t) in expected.iter().zip(&r.tasks.tasks) {
        assert_eq!(t.no, *n);
        assert_eq!(&t.content, content, "内容 of task {n}");
        assert_eq!(&t.guiding, guiding, "指导单位 of task {n}");
        assert_eq!(&t.responsible, responsible, "责任单位 of task {n}");
        assert_eq!(&t.cooperating, cooperating, "配合单位 of task {n}");
        let group = match n {
            1..=12 => "重点目标",
            13..=31 => "主要工作",
            _ => "工作要求",
        };
        assert_eq!(t.group, group, "group of task {n}");
        // Only the cells the plan leaves empty because they are merged with the task above continue it.
        assert_eq!(t.continues_above, responsible.is_empty(), "continues_above of task {n}");
    }
}

#[test]
fn ledger_columns_are_those_of_annex_2() {
    let plan = std::fs::read_to_string(repo().join("tests/fixtures/plan_2018.txt")).unwrap();
    let annex = &plan[plan.find("附件2\n四川省重点消费品质量提升台账").unwrap()..];
    let headers: Vec<String> = annex.split('|').take(8).map(|h| h.lines().last().unwrap_or("").replace(' ', "")).collect();
    let official: Vec<&str> = refdata().ledger.columns.iter().filter(|c| c.official).map(|c| c.name.as_str()).collect();
    assert_eq!(official, headers.iter().map(String::as_str).collect::<Vec<_>>());
    let optional: Vec<&str> = refdata().ledger.columns.iter().filter(|c| !c.official).map(|c| c.name.as_str()).collect();
    assert_eq!(optional, ["统一社会信用代码"]);
}

#[test]
fn twenty_one_prefectures_with_codes_and_zones() {
    let p = &refdata().prefectures;
    let names: Vec<&str> = p.all().iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names.len(), 21);
    assert_eq!(names[0], "成都市");
    assert_eq!(&names[18..], ["阿坝藏族羌族自治州", "甘孜藏族自治州", "凉山彝族自治州"]);
    let codes: Vec<&str> = p.all().iter().map(|x| x.code.as_str()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted, "official order is code order");
    assert_eq!(codes.first(), Some(&"510100"));
    assert_eq!(codes.last(), Some(&"513400"));
    let zone_sizes: Vec<usize> = p.zones().iter().map(|z| p.all().iter().filter(|x| x.zone == z.key).count()).collect();
    assert_eq!(zone_sizes, [8, 4, 5, 2, 2]);
    for (alias, name) in [("阿坝州", "阿坝藏族羌族自治州"), ("甘孜", "甘孜藏族自治州"), ("凉山州", "凉山彝族自治州"), ("成都", "成都市"), ("攀枝花", "攀枝花市")] {
        assert_eq!(p.lookup(alias).map(|x| x.name.as_str()), Some(name), "{alias}");
    }
}

#[test]
fn templates_dir_overrides_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = std::fs::read_to_string(repo().join("templates/ledger.toml")).unwrap();
    std::fs::write(dir.path().join("ledger.toml"), ledger.replace("\"其他\",\n]", "\"航空航天\", \"其他\",\n]")).unwrap();
    let r = taizhang::RefData::load(Some(dir.path())).unwrap();
    assert!(r.ledger.industries.contains(&"航空航天".to_string()));
    assert_eq!(r.tasks.tasks.len(), 36, "files not in the directory stay embedded");
    std::fs::write(dir.path().join("tasks.toml"), "not = [toml").unwrap();
    let e = taizhang::RefData::load(Some(dir.path())).unwrap_err();
    assert!(e.to_string().contains("tasks.toml"), "{e}");
}

#[test]
fn the_readme_lists_every_finding_code() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    for code in taizhang::Code::ALL {
        let line = format!("| {} | {} |", code.as_str(), code.severity().label());
        assert!(readme.contains(&line), "README.md lists {} as {}", code.as_str(), code.severity().label());
    }
}
