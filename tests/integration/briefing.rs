//! `taizhang briefing`: the 简报 drafted from the rollup of `samples/`, read back with python-docx and every
//! figure in it set against the rollup as openpyxl reads it (an independent reader of both); converted to
//! PDF by LibreOffice with its pages rendered (set `TAIZHANG_PAGES=DIR` to keep the PNGs); the same inputs
//! give the same bytes.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::common::{python, samples, stderr, stdout, taizhang};

/// The rollup as openpyxl reads it: the 汇总 lines up to 合计, the main table of 指标完成情况, the status
/// counts of 附件1 and the ledger's (prefecture, enterprise, 进展情况及成效).
const READ_ROLLUP: &str = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], data_only=True)
def header(ws, row):
    return {str(c.value).replace("\n", ""): c.column for c in ws[row] if c.value is not None}
ws = wb["汇总"]
h = header(ws, 3)
lines, total = [], None
for r in range(4, ws.max_row + 1):
    if ws.cell(r, 1).value == "合计":
        total = {"enterprises": ws.cell(r, h["企业数"]).value, "returned": ws.cell(r, h["报送状态"]).value}
        break
    name = ws.cell(r, h["市州"]).value
    if not name:
        continue
    lines.append({k: ws.cell(r, h[k]).value for k in ["市州", "报送状态", "填报日期", "企业数", "任务进展项数", "错误数"]})
ws = wb["指标完成情况"]
h = header(ws, 3)
indicators = []
for r in range(4, ws.max_row + 1):
    name = ws.cell(r, h["指标"]).value
    if ws.cell(r, 1).value is None or not isinstance(ws.cell(r, 1).value, (int, float)) or name is None:
        break
    indicators.append({"name": name, "target": ws.cell(r, h["目标"]).value, "horizon": ws.cell(r, h["期限"]).value, "expected": ws.cell(r, h["序时进度"]).value,
                       "province": ws.cell(r, h["全省完成值"]).value, "total": ws.cell(r, h["各市州合计"]).value, "rate": ws.cell(r, h["完成率"]).value, "status": ws.cell(r, h["状态"]).value})
ws = wb["附件1 任务分解及进展"]
h = header(ws, 3)
tasks = {s: sum((ws.cell(r, h[s]).value or 0) for r in range(4, 40)) for s in ["已完成", "推进中", "未启动"]}
ws = wb["附件2 质量提升台账 (全省汇总)"]
h = header(ws, 3)
ledger = [{"prefecture": ws.cell(r, h["填报市州"]).value, "enterprise": ws.cell(r, h["提升企业名称"]).value, "progress": ws.cell(r, h["进展情况及成效"]).value}
          for r in range(4, ws.max_row + 1) if ws.cell(r, h["填报市州"]).value]
print(json.dumps({"lines": lines, "total": total, "indicators": indicators, "tasks": tasks, "ledger": ledger}, ensure_ascii=False, default=str))
"#;

/// The document as python-docx reads it: the body in order (paragraphs with their runs' East Asian
/// fonts, tables as rows of cell texts with their grid), the section's page and margins (twips), the
/// footer's text and fields, the core properties.
const READ_DOCX: &str = r#"
import json, sys, docx
from docx.oxml.ns import qn
d = docx.Document(sys.argv[1])
body = []
for el in d.element.body.iterchildren():
    if el.tag == qn("w:p"):
        p = docx.text.paragraph.Paragraph(el, d)
        fonts = sorted({r._element.rPr.rFonts.get(qn("w:eastAsia")) for r in p.runs if r._element.rPr is not None and r._element.rPr.rFonts is not None} - {None})
        body.append({"p": p.text, "fonts": fonts})
    elif el.tag == qn("w:tbl"):
        t = docx.table.Table(el, d)
        grid = [int(g.get(qn("w:w"))) for g in el.tblGrid.iterchildren(qn("w:gridCol"))]
        body.append({"table": [[c.text for c in row.cells] for row in t.rows], "grid": grid})
s = d.sections[0]
tw = lambda v: int(round(v / 635))
footer = "".join(n.text or "" for n in s.footer._element.iter() if n.tag in (qn("w:t"), qn("w:instrText")))
cp = d.core_properties
print(json.dumps({"body": body, "page": [tw(s.page_width), tw(s.page_height)], "margins": [tw(s.top_margin), tw(s.bottom_margin), tw(s.left_margin), tw(s.right_margin)],
                  "footer": footer, "created": str(cp.created)}, ensure_ascii=False))
"#;

fn read_json(script: &str, path: &Path) -> Value {
    serde_json::from_str(&python(script, &[path.to_str().unwrap()])).unwrap()
}

/// A number as the documents print it: integral values without a point.
fn num(v: &Value) -> String {
    match v.as_f64() {
        Some(f) if f.fract() == 0.0 => format!("{}", f as i64),
        Some(f) => format!("{f}"),
        None => String::new(),
    }
}

fn texts(doc: &Value) -> Vec<String> {
    doc["body"].as_array().unwrap().iter().filter_map(|b| b["p"].as_str().map(str::to_string)).collect()
}

/// The paragraph that starts with `start`.
fn para<'a>(paras: &'a [String], start: &str) -> &'a str {
    paras.iter().find(|p| p.starts_with(start)).unwrap_or_else(|| panic!("no paragraph starting 「{start}」 in {paras:#?}"))
}

/// The rollup of samples/ (2018Q3), and one made without 成都 and with 宜宾's first return only, as the
/// "previous" rollup.
fn rollups(d: &Path) {
    let o = taizhang(d, &["consolidate", samples().to_str().unwrap(), "--period", "2018Q3", "--out", "rollup.xlsx"]);
    assert!(o.status.code() == Some(1) || o.status.success(), "{}", stderr(&o));
    let prev = d.join("prev");
    std::fs::create_dir(&prev).unwrap();
    for e in std::fs::read_dir(samples()).unwrap() {
        let p = e.unwrap().path();
        let n = p.file_name().unwrap().to_string_lossy().into_owned();
        if !n.contains("成都") && !n.contains("宜宾市-质量提升台账（修改）") {
            std::fs::copy(&p, prev.join(&n)).unwrap();
        }
    }
    let o = taizhang(d, &["consolidate", "prev", "--period", "2018Q3", "--out", "previous.xlsx"]);
    assert!(o.status.code() == Some(1) || o.status.success(), "{}", stderr(&o));
}

#[test]
fn the_briefing_quotes_the_rollup_figure_for_figure() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    rollups(d);
    let o = taizhang(d, &["briefing", "rollup.xlsx", "--previous", "previous.xlsx", "--out", "简报.docx", "--issue-number", "7"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let r = read_json(READ_ROLLUP, &d.join("rollup.xlsx"));
    let doc = read_json(READ_DOCX, &d.join("简报.docx"));
    let paras = texts(&doc);
    let lines = r["lines"].as_array().unwrap();
    let prefs: Vec<&Value> = lines.iter().filter(|l| super::common::refdata().prefectures.lookup(l["市州"].as_str().unwrap()).is_some()).collect();
    // In the rollup: 已报送, or 有错误 when the adopted file has errors.
    let in_rollup = |l: &Value| l["报送状态"] == "已报送" || l["报送状态"] == "有错误";
    let returned: Vec<&&Value> = prefs.iter().filter(|l| in_rollup(l)).collect();
    // Named in the official order of the prefectures (汇总 groups them by zone).
    let official = |n: &str| super::common::refdata().prefectures.index_of(n).unwrap();
    let mut missing: Vec<&str> = prefs.iter().filter(|l| !in_rollup(l)).map(|l| l["市州"].as_str().unwrap()).collect();
    missing.sort_by_key(|n| official(n));
    let mut returned = returned;
    returned.sort_by_key(|l| official(l["市州"].as_str().unwrap()));
    assert!(!missing.is_empty() && returned.len() > 5, "samples have both: {lines:?}");

    // 报头: the title, the number asked for, the office, and the rollup's own date (the latest 填报日期).
    assert_eq!(paras[0], "质量提升工作简报");
    assert_eq!(paras[1], "第7期");
    let latest = returned.iter().filter_map(|l| taizhang::text::parse_date(l["填报日期"].as_str().unwrap_or(""))).max().unwrap();
    let date = taizhang::text::chinese_date(latest);
    assert!(paras[2].starts_with("四川省质量提升工作领导小组办公室") && paras[2].ends_with(&date), "{}", paras[2]);
    assert!(doc["created"].as_str().unwrap().starts_with(&latest.to_string()), "the core properties carry the document's date: {}", doc["created"]);

    // 工作概述: counts as the 汇总 sheet has them; the prefectures not in the rollup named, in order.
    let tasks_total: i64 = lines.iter().map(|l| l["任务进展项数"].as_i64().unwrap_or(0)).sum();
    let overview = para(&paras, "2018年第三季度质量提升台账报送工作");
    assert!(overview.contains(&format!("{}个市(州)报送了台账", returned.len())), "{overview}");
    assert_eq!(r["total"]["returned"].as_str().unwrap(), format!("{}/21", returned.len()));
    assert!(overview.contains(&format!("共纳入提升企业{}家", num(&r["total"]["enterprises"]))), "{overview}");
    assert!(overview.contains(&format!("填报重点任务进展{tasks_total}项次")), "{overview}");
    assert!(overview.contains(&format!("{}{}个市(州)未报送或报送的文件未能采用", missing.join("、"), missing.len())), "{overview}");
    let met = returned.iter().filter(|l| l["企业数"].as_i64().unwrap() >= 50).count();
    assert!(overview.contains(&format!("{met}个市(州)台账企业数达到")), "{overview}");

    // 主要进展: the indicator table is the rollup's 指标完成情况, row for row.
    let tables: Vec<&Value> = doc["body"].as_array().unwrap().iter().filter(|b| b.get("table").is_some()).collect();
    let table = tables[0]["table"].as_array().unwrap();
    assert_eq!(table[0], serde_json::json!(["序号", "指标", "目标", "期限", "序时进度", "全省完成值", "完成率", "状态"]));
    let inds = r["indicators"].as_array().unwrap();
    assert_eq!(table.len() - 1, inds.len());
    for (k, (row, ind)) in table[1..].iter().zip(inds).enumerate() {
        let rate = ind["rate"].as_f64().map(|v| format!("{:.1}%", v * 100.0)).unwrap_or_default();
        let expected = if ind["expected"].is_number() { num(&ind["expected"]) } else { ind["expected"].as_str().unwrap_or("").to_string() };
        // A count of prefectures is said with the prefectures' total beside it (合计, as the rollup's 各市州合计).
        let province = match ind["total"].as_f64() {
            Some(_) => {
                let unit = ind["target"].as_str().unwrap().chars().last().unwrap();
                format!("{}个市州达到,合计{}{unit}", num(&ind["province"]), num(&ind["total"]))
            }
            None => num(&ind["province"]),
        };
        let want = serde_json::json!([(k + 1).to_string(), ind["name"], ind["target"], ind["horizon"], expected, province, rate, ind["status"]]);
        assert_eq!(row, &want, "indicator {}", k + 1);
    }
    let count = |s: &str| inds.iter().filter(|i| i["status"] == s).count();
    let ind_para = para(&paras, "(一)量化指标完成情况");
    assert!(ind_para.contains(&format!("{}项量化指标,{}项已达到目标,{}项尚未达到,{}项暂无数据", inds.len(), count("达标"), count("未达标"), count("无数据") + count("待省局填报"))), "{ind_para}");
    assert!(ind_para.contains(&format!("按序时进度衡量,{}项超进度,{}项达进度,{}项欠进度", count("超进度"), count("达进度"), count("欠进度"))), "{ind_para}");
    let t = &r["tasks"];
    let task_para = para(&paras, "(二)重点任务推进情况");
    let lines_total = t["已完成"].as_i64().unwrap() + t["推进中"].as_i64().unwrap() + t["未启动"].as_i64().unwrap();
    assert!(
        task_para.contains(&format!("共{lines_total}项次,其中已完成{}项次、推进中{}项次、未启动{}项次", t["已完成"], t["推进中"], t["未启动"])),
        "{task_para}"
    );
    // The changes since the previous rollup, as `diff` counts them.
    let o = taizhang(d, &["diff", "previous.xlsx", "rollup.xlsx", "--out", "diff.xlsx"]);
    let said = stdout(&o);
    let n = |after: &str| said.split(after).nth(1).and_then(|s| s.trim_start().split(|c: char| !c.is_ascii_digit()).next()).unwrap().to_string();
    let changes = para(&paras, "(三)与上期相比");
    assert!(
        changes.contains(&format!("两期均已报送的{}个市(州)新增提升企业{}家,减少{}家,更新企业进展等内容{}处,{}项次", n("都已报送的"), n("新增企业"), n("减少"), n("内容更新"), n("任务状态变化"))),
        "{changes}\n{said}"
    );
    // 典型 enterprises: quoted word for word from the ledger, at most one per prefecture.
    let typical: Vec<&String> = paras.iter().skip_while(|p| !p.starts_with("(四)典型企业")).skip(1).take_while(|p| !p.starts_with("三、")).collect();
    assert!(!typical.is_empty() && typical.len() <= 3, "{paras:#?}");
    let ledger = r["ledger"].as_array().unwrap();
    let mut seen = Vec::new();
    for q in &typical {
        let hit = ledger.iter().find(|row| {
            let (p, e, t) = (row["prefecture"].as_str().unwrap_or(""), row["enterprise"].as_str().unwrap_or(""), row["progress"].as_str().unwrap_or(""));
            q.starts_with(&format!("{e}({p},")) && q.ends_with(&format!("“{t}”"))
        });
        let row = hit.unwrap_or_else(|| panic!("「{q}」 is not quoted from the ledger"));
        assert!(!seen.contains(&row["prefecture"]), "one per prefecture");
        seen.push(row["prefecture"].clone());
    }

    // 存在问题: the missing, the returns with errors (each with its count), those under the target.
    let problems: Vec<&String> = paras.iter().skip_while(|p| *p != "三、存在问题").skip(1).take_while(|p| !p.starts_with("四、")).collect();
    let all = problems.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n");
    assert!(all.contains(&format!("报送不到位。{}{}个市(州)", missing.join("、"), missing.len())), "{all}");
    let errors: Vec<String> = returned.iter().filter(|l| l["错误数"].as_i64().unwrap() > 0).map(|l| format!("{}错误{}条", l["市州"].as_str().unwrap(), l["错误数"])).collect();
    assert!(!errors.is_empty());
    assert!(all.contains(&format!("{}个市(州)报送的台账仍有错误未改正:{}。", errors.len(), errors.join("、"))), "{all}");
    let below: Vec<String> = returned.iter().filter(|l| l["企业数"].as_i64().unwrap() < 50).map(|l| format!("{}{}家", l["市州"].as_str().unwrap(), l["企业数"])).collect();
    assert!(all.contains(&format!("{}个市(州)台账企业数未达到50家:{}。", below.len(), below.join("、"))), "{all}");
    // 下一步工作 and the 版记, from the wording file.
    assert!(para(&paras, "一是").contains("问题整改"));
    assert!(paras.iter().any(|p| p.starts_with("主送:")) && paras.iter().any(|p| p.starts_with("抄送:")));
    assert!(paras.last().unwrap().ends_with(&format!("{date}印发")), "{:?}", paras.last());

    // No section is empty: every heading is followed by text or a table before the next heading.
    let body = doc["body"].as_array().unwrap();
    let heading = |b: &Value| b["p"].as_str().is_some_and(|p| ["一、", "二、", "三、", "四、"].iter().any(|h| p.starts_with(h)));
    for (k, b) in body.iter().enumerate() {
        if heading(b) {
            let next = body[k + 1..].iter().find(|n| n.get("table").is_some() || n["p"].as_str().is_some_and(|p| !p.is_empty()));
            assert!(next.is_some_and(|n| !heading(n)), "{} is followed by nothing", b["p"]);
        }
    }
    assert_layout(&doc);
    render_pages(&d.join("简报.docx"), &["质量提升工作简报", "工作概述", "存在问题"]);
}

/// A4, the margins of GB/T 9704, every table exactly inside them, East Asian fonts on the runs, and the
/// page number field in the footer.
fn assert_layout(doc: &Value) {
    assert_eq!(doc["page"], serde_json::json!([11906, 16838]), "A4");
    let m: Vec<i64> = doc["margins"].as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
    let mm = |t: i64| (t as f64 * 25.4 / 1440.0).round() as i64;
    assert_eq!(m.iter().map(|t| mm(*t)).collect::<Vec<_>>(), vec![37, 35, 28, 26], "top, bottom, left, right in mm");
    let text_width = 11906 - m[2] - m[3];
    for b in doc["body"].as_array().unwrap() {
        if let Some(grid) = b.get("grid") {
            let w: i64 = grid.as_array().unwrap().iter().map(|g| g.as_i64().unwrap()).sum();
            assert!(w <= text_width, "a table {w} twips wide on a text width of {text_width}");
        }
        for f in b["fonts"].as_array().into_iter().flatten() {
            assert!(["仿宋", "黑体", "楷体", "宋体"].contains(&f.as_str().unwrap()), "East Asian font {f}");
        }
    }
    assert!(doc["body"].as_array().unwrap().iter().any(|b| b["fonts"].as_array().is_some_and(|f| f.iter().any(|x| x == "黑体"))), "headings in 黑体");
    assert!(doc["footer"].as_str().unwrap().contains("PAGE"), "a page number in the footer: {}", doc["footer"]);
}

/// Converts the document to PDF with LibreOffice, checks its text holds `expect` (the Chinese fonts
/// embedded as text, not boxes), and renders its pages at 60 dpi; kept in `TAIZHANG_PAGES` when set.
fn render_pages(docx: &Path, expect: &[&str]) {
    let out = tempfile::tempdir().unwrap();
    let pdf = super::common::libreoffice_convert(docx, "pdf", out.path());
    let text = Command::new("pdftotext").arg(&pdf).arg("-").output().expect("pdftotext (poppler-utils)");
    let text = String::from_utf8_lossy(&text.stdout).replace([' ', '\u{3000}'], "");
    for e in expect {
        assert!(text.contains(e), "the PDF's text has 「{e}」: {text}");
    }
    let pages = std::env::var_os("TAIZHANG_PAGES").map(std::path::PathBuf::from).unwrap_or_else(|| out.path().to_path_buf());
    std::fs::create_dir_all(&pages).unwrap();
    let stem = docx.file_stem().unwrap().to_string_lossy().into_owned();
    let o = Command::new("pdftoppm").args(["-png", "-r", "60"]).arg(&pdf).arg(pages.join(&stem)).output().expect("pdftoppm");
    assert!(o.status.success(), "{}", stderr(&o));
    let n = std::fs::read_dir(&pages).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().starts_with(&stem)).count();
    assert!(n >= 1, "pages rendered");
}

#[test]
fn the_same_inputs_give_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = taizhang(d, &["consolidate", samples().to_str().unwrap(), "--period", "2018Q3", "--out", "rollup.xlsx"]);
    assert!(o.status.code() == Some(1) || o.status.success(), "{}", stderr(&o));
    let o = taizhang(d, &["briefing", "rollup.xlsx", "--out", "a.docx"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Past the two seconds of a zip entry's time.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let o = taizhang(d, &["briefing", "rollup.xlsx", "--out", "b.docx"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::read(d.join("a.docx")).unwrap() == std::fs::read(d.join("b.docx")).unwrap(), "byte-identical");
    // The default number is the period's place in the plan: 2018Q3 is the first.
    let paras = texts(&read_json(READ_DOCX, &d.join("a.docx")));
    assert_eq!(paras[1], "第1期");
    // An existing output is not overwritten without --force; a date asked for is used.
    let o = taizhang(d, &["briefing", "rollup.xlsx", "--out", "a.docx", "--date", "2018-10-20"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let o = taizhang(d, &["briefing", "rollup.xlsx", "--out", "a.docx", "--date", "2018-10-20", "--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(texts(&read_json(READ_DOCX, &d.join("a.docx")))[2].ends_with("2018年10月20日"));
}

#[test]
fn an_edited_wording_file_rewords_the_briefing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = taizhang(d, &["consolidate", samples().to_str().unwrap(), "--period", "2018Q3", "--out", "rollup.xlsx"]);
    assert!(o.status.code() == Some(1) || o.status.success(), "{}", stderr(&o));
    let w = taizhang::briefing::wording::EMBEDDED.replace("质量提升工作简报\"", "质量提升工作动态\"").replace("主送:省质量提升工作领导小组各成员单位。", "主送:省政府办公厅。");
    std::fs::write(d.join("用语.toml"), w).unwrap();
    let o = taizhang(d, &["briefing", "rollup.xlsx", "--out", "a.docx", "--wording", "用语.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let paras = texts(&read_json(READ_DOCX, &d.join("a.docx")));
    assert_eq!(paras[0], "质量提升工作动态");
    assert!(paras.iter().any(|p| p == "主送:省政府办公厅。"));
    // A broken copy is refused with its name.
    std::fs::write(d.join("坏.toml"), "office = 1").unwrap();
    let o = taizhang(d, &["briefing", "rollup.xlsx", "--out", "b.docx", "--wording", "坏.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("坏.toml"), "{}", stderr(&o));
}

#[test]
fn the_console_drafts_the_same_briefing_as_the_command() {
    use super::serve::{Console, enc};
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("工作区");
    let c = Console::start(&ws, &[]);
    let csrf = c.csrf();
    let cookie = c.cookie();
    // A deadline, so that the 简报 says who reported on time (from the workspace's dataset).
    let r = c.post_form("/p/2018Q3/templates", "deadline=2018-10-10", &csrf);
    assert!(r.body.contains("\"ok\":true"), "{}", r.body);
    // Before the rollup there is nothing to draft from.
    let r = c.post_form("/p/2018Q3/briefing", &format!("kind={}", enc("简报")), &csrf);
    assert!(r.body.contains("\"ok\":false") && r.body.contains("请先生成本期全省汇总表"), "{}", r.body);
    // Uploaded from the page: each file's receipt says when it arrived.
    for n in ["2018Q3-成都市-质量提升台账.xlsx", "乐山市质量提升台账.xlsx", "2018Q3-眉山市-质量提升台账.xls"] {
        let r = c.upload(&[(n, &super::serve::sample(n))], Some(&csrf));
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let r = c.post_form("/p/2018Q3/rollup", "", &csrf);
    assert!(r.body.contains("\"ok\":true"), "{}", r.body);
    let r = c.post_form("/p/2018Q3/briefing", &format!("kind={}&number=&date=", enc("简报")), &csrf);
    let res: Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(res["ok"], true, "{}", r.body);
    assert!(res["lines"][0].as_str().unwrap().contains("已报送 3/21"), "{res}");
    let paras = texts(&read_json(READ_DOCX, &ws.join("2018Q3/汇总/2018Q3质量提升工作简报.docx")));
    assert!(para(&paras, "2018年第三季度质量提升台账报送工作").contains("其中按期报送0个,逾期报送3个。"), "the files arrived today, long after the deadline");
    let href = res["links"][0]["href"].as_str().unwrap().to_string();
    let got = c.get(&href, &[("Cookie", &cookie)]);
    assert_eq!(got.status, 200);
    // The command on the rollup the console wrote gives the same bytes (the workspace numbers its first
    // 简报 as the plan's place of the period, as the command does).
    let o = taizhang(dir.path(), &["briefing", "工作区/2018Q3/汇总/2018Q3全省汇总.xlsx", "--dataset", "工作区/数据集", "--out", "cli.docx"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(got.bytes == std::fs::read(dir.path().join("cli.docx")).unwrap(), "the console's 简报 is the command's");
    // A number typed is kept for the period: drafting again without one keeps it.
    let r = c.post_form("/p/2018Q3/briefing", &format!("kind={}&number=5", enc("简报")), &csrf);
    assert!(r.body.contains("第5期"), "{}", r.body);
    let r = c.post_form("/p/2018Q3/briefing", &format!("kind={}&number=", enc("简报")), &csrf);
    assert!(r.body.contains("第5期"), "{}", r.body);
    let page = c.get("/p/2018Q3", &[("Cookie", &cookie)]).body;
    assert!(page.contains("name=\"briefing_number\" min=\"1\" size=\"3\" value=\"5\"") && page.contains("/p/2018Q3/doc/briefing.docx"), "the page offers it");
    // The 通报 ranks by the assessment of the workspace's dataset, which the rollup made here wrote.
    let r = c.post_form("/p/2018Q3/briefing", &format!("kind={}", enc("通报")), &csrf);
    assert!(r.body.contains("\"ok\":true") && r.body.contains("/p/2018Q3/doc/notice.docx") && r.body.contains("1号"), "{}", r.body);
    let got = c.get("/p/2018Q3/doc/notice.docx", &[("Cookie", &cookie)]);
    assert_eq!(got.status, 200);
    let paras = texts(&read_json(READ_DOCX, &{
        let p = dir.path().join("n.docx");
        std::fs::write(&p, &got.bytes).unwrap();
        p
    }));
    assert!(paras.iter().any(|p| p == "川质提办〔2018〕1号"), "{paras:#?}");
}

/// The 考核评分 sheet of the history workbook as openpyxl reads it: (期别, 排名, 市州, 总分, 等级).
const READ_SCORES: &str = r#"
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1], data_only=True)["考核评分"]
h = {str(c.value).replace("\n", ""): c.column for c in ws[3] if c.value is not None}
rows = [[ws.cell(r, h[k]).value for k in ["期别", "排名", "市州", "总分", "等级"]] for r in range(4, ws.max_row + 1) if ws.cell(r, h["市州"]).value]
print(json.dumps(rows, ensure_ascii=False))
"#;

#[test]
fn the_notice_ranks_the_prefectures_as_the_assessment_does() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = taizhang(d, &["consolidate", samples().to_str().unwrap(), "--period", "2018Q3", "--out", "rollup.xlsx", "--dataset", "ds", "--deadline", "2018-10-10"]);
    assert!(o.status.code() == Some(1) || o.status.success(), "{}", stderr(&o));
    // Without the dataset the 通报 cannot rank anyone: said so.
    let o = taizhang(d, &["briefing", "rollup.xlsx", "--kind", "通报", "--out", "x.docx"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--dataset"), "{}", stderr(&o));
    let o = taizhang(d, &["briefing", "rollup.xlsx", "--kind", "通报", "--dataset", "ds", "--out", "通报.docx", "--issue-number", "3"]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let o = taizhang(d, &["history", "--dataset", "ds", "--out", "历次.xlsx"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let scores: Vec<Vec<Value>> = serde_json::from_str(&python(READ_SCORES, &[d.join("历次.xlsx").to_str().unwrap()])).unwrap();
    let scores: Vec<&Vec<Value>> = scores.iter().filter(|r| r[0] == "2018Q3").collect();
    assert_eq!(scores.len(), 21);
    let doc = read_json(READ_DOCX, &d.join("通报.docx"));
    let paras = texts(&doc);
    assert!(paras.iter().any(|p| p == "川质提办〔2018〕3号"), "{paras:#?}");
    assert!(paras.iter().any(|p| p.starts_with("关于2018年第三季度") && p.ends_with("的通报")));
    // The table: every prefecture in the order of the assessment, with its rank, score and grade.
    let table = doc["body"].as_array().unwrap().iter().find_map(|b| b["table"].as_array()).unwrap();
    assert_eq!(table[0][0], "排名");
    assert_eq!(table.len() - 1, 21);
    for (row, s) in table[1..].iter().zip(&scores) {
        let row = row.as_array().unwrap();
        assert_eq!((row[0].as_str().unwrap(), row[1].as_str().unwrap()), (num(&s[1]).as_str(), s[2].as_str().unwrap()), "rank and prefecture");
        assert_eq!(row[row.len() - 2].as_str().unwrap(), num(&s[3]), "score of {}", s[2]);
        assert_eq!(row[row.len() - 1], s[4], "grade of {}", s[2]);
    }
    // 表扬 and 督促 by the rules of assessment.toml: grade A (with a return), grade D or no return.
    let r = read_json(READ_ROLLUP, &d.join("rollup.xlsx"));
    let returned: Vec<&str> = r["lines"].as_array().unwrap().iter().filter(|l| l["报送状态"] == "已报送" || l["报送状态"] == "有错误").map(|l| l["市州"].as_str().unwrap()).collect();
    let praise: Vec<&str> = scores.iter().filter(|s| s[4] == "A" && returned.contains(&s[2].as_str().unwrap())).map(|s| s[2].as_str().unwrap()).collect();
    let urge: Vec<&str> = scores.iter().filter(|s| s[4] == "D" || !returned.contains(&s[2].as_str().unwrap())).map(|s| s[2].as_str().unwrap()).collect();
    let after = |h: &str| paras.iter().skip_while(|p| !p.ends_with(h)).nth(1).cloned().unwrap_or_default();
    let praised = after("通报表扬");
    if praise.is_empty() {
        assert_eq!(praised, "本期没有市(州)达到通报表扬的条件。");
    } else {
        assert!(praised.starts_with(&format!("{}{}个市(州)考核等级为A", praise.join("、"), praise.len())), "{praised}");
    }
    assert!(!urge.is_empty());
    assert!(after("督促整改").starts_with(&format!("{}{}个市(州)考核等级为D或未报送台账", urge.join("、"), urge.len())), "{}", after("督促整改"));
    // The overview quotes the rollup as the 简报 does.
    let overview = paras.iter().find(|p| p.starts_with("全省21个市(州)中")).unwrap();
    assert!(overview.contains(&format!("{}个市(州)报送了2018年第三季度台账", returned.len())) && overview.contains(&format!("共纳入提升企业{}家", num(&r["total"]["enterprises"]))), "{overview}");
    // The signature and the 版记 carry the date.
    assert!(paras.iter().any(|p| p == "四川省质量提升工作领导小组办公室"));
    assert_layout(&doc);
    render_pages(&d.join("通报.docx"), &["川质提办", "通报表扬", "督促整改"]);
    // The same inputs, the same bytes.
    let o = taizhang(d, &["briefing", "rollup.xlsx", "--kind", "通报", "--dataset", "ds", "--out", "again.docx", "--issue-number", "3"]);
    assert!(o.status.success());
    assert!(std::fs::read(d.join("通报.docx")).unwrap() == std::fs::read(d.join("again.docx")).unwrap(), "byte-identical");
}
