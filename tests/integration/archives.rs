//! Returns that arrive packed: a zip with a folder inside, a zip with GBK member names (Chinese Windows),
//! a zip inside a zip, a 7z, a zip bomb and a RAR. `check` and `consolidate` open them where they find
//! them; each member is a return named after its archive, and what cannot be opened is a finding that says
//! what to send instead.

use std::io::Cursor;
use std::path::Path;

use rust_xlsxwriter::Workbook;
use taizhang::rollup::sheets;

use super::common::{gbk_zip, sheet_rows, stderr, stdout, taizhang, zip_bomb, zip_of};

const HEADER: [&str; 8] = ["序号", "所属(产业)行业", "提升企业名称", "主导产品", "问题和短板", "提升目标", "提升措施", "进展情况及成效"];

/// A small return whose title names the period but not the prefecture: the name of the file (or of the
/// archive it came in) has to.
fn ledger(enterprise: &str) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("附件2").unwrap();
    ws.write_string(0, 0, "质量提升台账(2018年第三季度)").unwrap();
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(1, c as u16, *h).unwrap();
    }
    for (c, v) in ["1", "白酒", enterprise, "白酒", "短板", "目标", "措施", "进展"].iter().enumerate() {
        ws.write_string(2, c as u16, *v).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

fn seven_zip(name: &str, data: &[u8]) -> Vec<u8> {
    let mut w = sevenz_rust2::ArchiveWriter::new(Cursor::new(Vec::new())).unwrap();
    w.push_archive_entry(sevenz_rust2::ArchiveEntry::new_file(name), Some(data)).unwrap();
    w.finish().unwrap().into_inner()
}

fn inbox(dir: &Path) {
    let inbox = dir.join("收件箱");
    std::fs::create_dir(&inbox).unwrap();
    let write = |name: &str, bytes: Vec<u8>| std::fs::write(inbox.join(name), bytes).unwrap();
    // A folder inside, and a note that is not a return.
    write("成都市报送.zip", zip_of(&[("报送材料/", b""), ("报送材料/台账.xlsx", &ledger("成都甲酒业有限公司")), ("报送材料/说明.txt", "请查收".as_bytes())]));
    write("报送.zip", gbk_zip("德阳市台账.xlsx", &ledger("德阳乙酒业有限公司")));
    // A zip in a zip: only the outer archive names the prefecture.
    write("绵阳市.zip", zip_of(&[("内层.zip", &zip_of(&[("台账.xlsx", &ledger("绵阳丙酒业有限公司"))]))]));
    write("宜宾市.7z", seven_zip("台账.xlsx", &ledger("宜宾丁酒业有限公司")));
    write("泸州市.zip", zip_bomb("泸州市台账.xlsx"));
    write("乐山市.rar", b"Rar!\x1a\x07\x01\x00some compressed bytes".to_vec());
}

#[test]
fn archives_are_opened_wherever_returns_are_read() {
    let dir = tempfile::tempdir().unwrap();
    inbox(dir.path());
    let check = taizhang(dir.path(), &["check", "收件箱", "--period", "2018Q3"]);
    let out = stdout(&check);
    assert_eq!(check.status.code(), Some(1), "errors: the bomb and the RAR: {out}{}", stderr(&check));
    for member in ["收件箱/成都市报送.zip/报送材料/台账.xlsx", "收件箱/报送.zip/德阳市台账.xlsx", "收件箱/绵阳市.zip/内层.zip/台账.xlsx", "收件箱/宜宾市.7z/台账.xlsx"] {
        assert!(out.lines().any(|l| l.starts_with(&format!("== {member}")) && l.contains("台账 1 行")), "{member}: {out}");
    }
    assert!(out.contains("错误 F04 收件箱/泸州市.zip/泸州市台账.xlsx: 压缩包解压后超过 256 MB 的上限"), "{out}");
    assert!(out.contains("错误 F02 收件箱/乐山市.rar: RAR 压缩包无法读取。请直接发送填好的台账文件(xlsx、xls 或 ods),或改用 zip 格式压缩后发送。"), "{out}");
    assert!(!out.contains("P01"), "every member's prefecture is known, from its own name or its archive's: {out}");

    let o = taizhang(dir.path(), &["consolidate", "收件箱", "--period", "2018Q3", "--out", "汇总.xlsx"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let rollup = dir.path().join("汇总.xlsx");
    let ledger = sheet_rows(&rollup, sheets::LEDGER);
    let header = ledger.iter().position(|r| r.iter().any(|c| c == "提升企业名称")).unwrap();
    let col = |n: &str| ledger[header].iter().position(|c| c == n).unwrap();
    let (p, e) = (col("填报市州"), col("提升企业名称"));
    let got: Vec<(&str, &str)> = ledger[header + 1..].iter().filter(|r| !r[e].is_empty()).map(|r| (r[p].as_str(), r[e].as_str())).collect();
    assert_eq!(got, [("成都市", "成都甲酒业有限公司"), ("德阳市", "德阳乙酒业有限公司"), ("绵阳市", "绵阳丙酒业有限公司"), ("宜宾市", "宜宾丁酒业有限公司")]);
    let findings = sheet_rows(&rollup, sheets::FINDINGS);
    assert!(findings.iter().any(|r| r.iter().any(|c| c == "F04") && r.iter().any(|c| c.contains("泸州市台账.xlsx"))), "{findings:?}");
    assert!(findings.iter().any(|r| r.iter().any(|c| c == "F02") && r.iter().any(|c| c.contains("乐山市.rar"))), "{findings:?}");
}
