//! The whole loop with real components: templates generated, filled by openpyxl as a prefecture's Excel
//! would, some re-saved by LibreOffice as xls and ods, consolidated, and every typed value found again in
//! the rollup by calamine.

use std::collections::HashMap;
use std::path::Path;

use calamine::{Reader, open_workbook_auto};

use super::common::{libreoffice_convert, python, sheet_rows, stderr, stdout, taizhang};

/// Fills templates the way a prefecture does, and prints as JSON what it typed.
const FILL: &str = r#"
import json, sys, datetime, openpyxl
out = {}
industries = ["白酒", "茶叶", "电子信息", "家具", "农资", "装备制造", "其他"]
for n, path in enumerate(sys.argv[1:]):
    wb = openpyxl.load_workbook(path)
    ws = wb["附件2 质量提升台账"]
    ws["E2"] = datetime.date(2018, 10, 8 + n)
    ws["E2"].number_format = "yyyy-mm-dd"
    ws["G2"] = "填报人%d" % n
    ws["I2"] = "028-8600%04d" % n
    rows = []
    count = 5 + 3 * n
    for i in range(count):
        r = 4 + i
        row = {
            "industry": industries[(i + n) % len(industries)],
            "enterprise": "测试%d号企业%d有限公司" % (n, i),
            "product": "产品%d" % i,
            "problems": "问题一:检测能力不足;\n问题二:标准老旧 %d" % i,
            "goal": "=目标以等号开头%d" % i if i == 1 else "合格率提升到 9%d%%" % i,
            "measures": "措施:对标国家标准,开展培训 %d 次" % (i + 2),
            "progress": "已完成第%d阶段" % (i + 1),
        }
        for c, key in zip("BCDEFGH", ["industry", "enterprise", "product", "problems", "goal", "measures", "progress"]):
            cell = ws["%s%d" % (c, r)]
            cell.value = row[key]
            cell.data_type = "s"
        rows.append(row)
    ps = wb["附件1 任务进展"]
    progress = {}
    statuses = ["未启动", "推进中", "已完成"]
    for t in range(1, 37):
        if (t + n) % 4 == 0:
            continue
        r = 3 + t
        status = statuses[(t + n) % 3]
        ps["G%d" % r] = status
        ps["H%d" % r] = "第%d项工作推进情况,市州%d" % (t, n)
        entry = {"status": status, "narrative": "第%d项工作推进情况,市州%d" % (t, n)}
        if t % 5 == 0:
            ps["I%d" % r] = t * 10
            entry["value"] = str(t * 10)
        progress[str(t)] = entry
    wb.save(path)
    out[path] = {"rows": rows, "progress": progress, "filler": "填报人%d" % n}
print(json.dumps(out, ensure_ascii=False))
"#;


#[test]
fn filled_templates_come_back_through_libreoffice_into_the_rollup() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = taizhang(
        d,
        &["template", "--period", "2018Q3", "--out", "tpl", "--prefecture", "成都", "--prefecture", "绵阳", "--prefecture", "阿坝州", "--prefecture", "凉山"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let names = ["成都市", "绵阳市", "阿坝藏族羌族自治州", "凉山彝族自治州"];
    let paths: Vec<String> = names.iter().map(|n| d.join(format!("tpl/2018Q3-{n}-质量提升台账.xlsx")).display().to_string()).collect();
    let args: Vec<&str> = paths.iter().map(String::as_str).collect();
    let typed: HashMap<String, serde_json::Value> = serde_json::from_str(&python(FILL, &args)).unwrap();

    // 绵阳 saves as xls (old Excel / WPS), 阿坝 as ods (LibreOffice); the others return the xlsx.
    let inbox = d.join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    std::fs::copy(&paths[0], inbox.join("2018Q3-成都市-质量提升台账.xlsx")).unwrap();
    libreoffice_convert(Path::new(&paths[1]), "xls", &inbox);
    libreoffice_convert(Path::new(&paths[2]), "ods", &inbox);
    std::fs::copy(&paths[3], inbox.join("凉山州台账.xlsx")).unwrap();

    let o = taizhang(d, &["consolidate", "inbox", "--out", "rollup.xlsx", "--csv", "csv"]);
    assert_eq!(o.status.code(), Some(0), "clean returns: {}{}", stdout(&o), stderr(&o));
    let rollup = d.join("rollup.xlsx");
    let ledger = sheet_rows(&rollup, taizhang::rollup::sheets::LEDGER);
    let header = &ledger[2];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("column {name}"));
    let data = &ledger[3..];
    let mut i = 0;
    for (n, name) in names.iter().enumerate() {
        let t = &typed[&paths[n]];
        for row in t["rows"].as_array().unwrap() {
            let got = &data[i];
            assert_eq!(got[col("序号")], (i + 1).to_string(), "序号 1..N");
            assert_eq!(got[col("填报市州")], *name);
            for (key, header) in [
                ("industry", "所属(产业)行业"),
                ("enterprise", "提升企业名称"),
                ("product", "主导产品"),
                ("problems", "问题和短板"),
                ("goal", "提升目标"),
                ("measures", "提升措施"),
                ("progress", "进展情况及成效"),
            ] {
                assert_eq!(got[col(header)], row[key].as_str().unwrap(), "{name} row {} {header}", i + 1);
            }
            i += 1;
        }
    }
    assert_eq!(i, data.len(), "no other rows");
    // Text that starts with "=" stays text: no formula anywhere in the rollup, and defused in the CSV.
    let mut wb = open_workbook_auto(&rollup).unwrap();
    for sheet in wb.sheet_names() {
        let formulas = wb.worksheet_formula(&sheet).unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formula in {sheet}");
    }
    assert!(data.iter().any(|r| r[col("提升目标")] == "=目标以等号开头1"), "the text is kept as typed");
    let csv = std::fs::read_to_string(d.join("csv/台账.csv")).unwrap();
    assert!(csv.contains("'=目标以等号开头1"), "a spreadsheet opening the CSV shows the text, not a formula");

    let progress = sheet_rows(&rollup, taizhang::rollup::sheets::PROGRESS);
    let header = &progress[2];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    // The 未填报 line under each task's rows, by task.
    let mut absent: HashMap<u32, String> = HashMap::new();
    let mut current = 0u32;
    for r in &progress[3..] {
        if let Some(rest) = r[0].strip_prefix('第') {
            current = rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap();
        } else if r[0].starts_with(taizhang::rollup::NOT_REPORTED_LINE) {
            absent.insert(current, r[0].clone());
        }
    }
    for (n, name) in names.iter().enumerate() {
        let t = &typed[&paths[n]]["progress"];
        for task in 1..=36u32 {
            let line = progress[3..].iter().find(|r| r[col("任务序号")] == task.to_string() && r[col("填报市州")] == *name);
            match t.get(task.to_string()) {
                Some(e) => {
                    let line = line.unwrap_or_else(|| panic!("{name} task {task} in 进展明细"));
                    assert_eq!(line[col("完成状态")], e["status"].as_str().unwrap(), "{name} task {task}");
                    assert_eq!(line[col("推进情况")], e["narrative"].as_str().unwrap());
                    assert_eq!(line[col("量化完成值")], e.get("value").and_then(|v| v.as_str()).unwrap_or(""));
                }
                None => {
                    assert!(line.is_none(), "{name} task {task}: no row for a task not reported");
                    assert!(absent.get(&task).is_some_and(|l| l.contains(name)), "{name} named under task {task}: {:?}", absent.get(&task));
                }
            }
        }
    }

    let summary = sheet_rows(&rollup, taizhang::rollup::sheets::SUMMARY);
    for (n, name) in names.iter().enumerate() {
        let line = summary.iter().find(|r| r.get(1) == Some(&name.to_string())).unwrap();
        assert_eq!(line[2], "已报送");
        assert_eq!(line[5], typed[&paths[n]]["filler"].as_str().unwrap());
        assert_eq!(line[4], format!("2018-10-{:02}", 8 + n));
    }
    let missing = summary.iter().filter(|r| r.get(2).map(String::as_str) == Some("未报送")).count();
    assert_eq!(missing, 17);
}
