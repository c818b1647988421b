//! Rules on the content of a return: mandatory fields, the industry list, the 统一社会信用代码 check digit,
//! and rows or enterprises entered twice. Each broken rule is a finding on the cell concerned; values are
//! never changed here.

use std::collections::{BTreeMap, HashMap};

use crate::import::classify::{Stated, joined_names, looks_like_organisation, stated_status};
use crate::finding::{Code, Finding};
use crate::refdata::RefData;
use crate::submission::{LedgerRow, Located, ProgressRow, Submission};
use crate::text::enterprise_key;

/// The 31 characters of GB 32100-2015 (no I, O, S, V, Z).
const USCC_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// Checks a 统一社会信用代码 (GB 32100-2015): 18 characters from the code's alphabet with a valid check
/// character. Returns the expected check character when only that is wrong.
pub fn check_credit_code(code: &str) -> Result<(), Option<char>> {
    let c: Vec<u8> = code.trim().to_ascii_uppercase().into_bytes();
    if c.len() != 18 {
        return Err(None);
    }
    let mut sum = 0u32;
    for (i, b) in c[..17].iter().enumerate() {
        let v = USCC_CHARS.iter().position(|x| x == b).ok_or(None)? as u32;
        sum += v * USCC_WEIGHTS[i];
    }
    let check = (31 - sum % 31) % 31;
    let expected = USCC_CHARS[check as usize];
    if c[17] == expected { Ok(()) } else { Err(Some(expected as char)) }
}

/// The key of an enterprise in a row: its name's matching key.
pub fn row_key(refdata: &RefData, row: &crate::submission::LedgerRow) -> String {
    enterprise_key(row.text(refdata.ledger.keys.enterprise))
}

/// V22 for each value of a row longer than an Excel cell holds: it is kept whole (the rollup's cell shows
/// its beginning, its long-text sheet the rest, the exports all of it), and the office should know.
fn long_texts(refdata: &RefData, sub: &Submission, row: &LedgerRow, out: &mut Vec<Finding>) {
    let named = row.fields.iter().zip(refdata.ledger.columns.iter().map(|c| c.name.as_str())).chain(row.extras.iter().zip(sub.extra_columns.iter().map(String::as_str)));
    for (value, field) in named {
        let Some(l) = value.as_ref().filter(|l| !crate::xlsx::fits_cell(&l.text)) else { continue };
        let head: String = l.text.chars().take(30).collect();
        out.push(
            Finding::new(
                Code::LongText,
                &sub.name,
                format!(
                    "「{field}」共{}字,超过 Excel 单元格上限({}字)。内容已完整保留:汇总表中该格显示前部分,全文分段保存在汇总表的「长文本」工作表中,导出的 CSV、Parquet 中为全文。如可精简,请精简后重新报送。",
                    l.text.chars().count(),
                    crate::xlsx::MAX_CELL_CHARS
                ),
            )
            .sheet(&l.sheet)
            .cell(l.cell)
            .field(field)
            .value(format!("{head}…")),
        );
    }
}

/// Applies the content rules to a submission, adding findings and marking exact duplicate rows.
pub fn validate(refdata: &RefData, sub: &mut Submission) {
    let mut findings = Vec::new();
    for row in &sub.rows {
        long_texts(refdata, sub, row, &mut findings);
        required_fields(refdata, sub, row, &mut findings);
        industry_in_list(refdata, sub, row, &mut findings);
        credit_code(refdata, sub, row, &mut findings);
    }
    for row in &sub.rows {
        plausibility(refdata, sub, row, &mut findings);
    }
    for p in &sub.progress {
        status_against_narrative(refdata, sub, p, &mut findings);
    }
    let dup_of = duplicates(refdata, sub, &mut findings);
    for (row, d) in sub.rows.iter_mut().zip(dup_of) {
        row.duplicate_of = d;
    }
    for f in findings {
        sub.push(f);
    }
}

/// V01: a mandatory field left empty.
fn required_fields(refdata: &RefData, sub: &Submission, row: &LedgerRow, findings: &mut Vec<Finding>) {
    let ledger = &refdata.ledger;
    for (i, spec) in ledger.columns.iter().enumerate() {
        if spec.mandatory && row.text(i).is_empty() {
            let col = sub.columns_in(&row.sheet).get(i).copied().flatten().unwrap_or(0);
            let cell = crate::cell::CellRef::new(row.row, col);
            let f = crate::Finding::new(
                Code::RequiredEmpty,
                &sub.name,
                format!("第{}行「{}」为空,请补填。", row.row_number(), spec.name),
            )
            .sheet(&row.sheet)
            .cell(cell)
            .field(&spec.name);
            findings.push(f);
        }
    }
}

/// V02: an industry not in the list, with the nearest one as a suggestion.
fn industry_in_list(refdata: &RefData, sub: &Submission, row: &LedgerRow, findings: &mut Vec<Finding>) {
    let ledger = &refdata.ledger;
    let industry = Some(ledger.keys.industry);
    if let Some(i) = industry
        && let Some(v) = &row.fields[i]
        && ledger.industry(&v.text).is_none()
    {
        let hint = match ledger.suggest_industry(&v.text) {
            Some(s) => format!("建议改为「{s}」;"),
            None => String::new(),
        };
        let f = crate::Finding::new(
            Code::UnknownIndustry,
            &sub.name,
            format!("「所属(产业)行业」填写的「{}」不在行业列表中,{hint}如确属列表以外的行业,可保留原文或填「其他」。", v.text),
        )
        .sheet(&v.sheet)
        .cell(v.cell)
        .field(&ledger.columns[i].name)
        .value(&v.text);
        findings.push(f);
    }
}

/// V03: a 统一社会信用代码 whose check character (or form) is wrong.
fn credit_code(refdata: &RefData, sub: &Submission, row: &LedgerRow, findings: &mut Vec<Finding>) {
    let ledger = &refdata.ledger;
    let uscc = ledger.keys.uscc;
    if let Some(i) = uscc
        && let Some(v) = &row.fields[i]
        && let Err(expected) = check_credit_code(&v.text)
    {
        let why = match expected {
            Some(c) => format!("末位校验码应为「{c}」"),
            None => "应为18位数字和大写字母(不含 I、O、S、V、Z)".to_string(),
        };
        let f = crate::Finding::new(
            Code::InvalidCreditCode,
            &sub.name,
            format!("统一社会信用代码「{}」有误:{why}。请对照营业执照核对。", v.text),
        )
        .sheet(&v.sheet)
        .cell(v.cell)
        .field(&ledger.columns[i].name)
        .value(&v.text);
        findings.push(f);
    }
}

/// V05 and V06: exact duplicates (every field and extra the same) are kept once; the same enterprise with
/// different content is kept twice and reported. Returns, for each row, the earlier row it repeats.
fn duplicates(refdata: &RefData, sub: &Submission, findings: &mut Vec<Finding>) -> Vec<Option<usize>> {
    let ledger = &refdata.ledger;
    let mut exact: HashMap<(Vec<&str>, Vec<&str>), usize> = HashMap::with_capacity(sub.rows.len());
    let mut by_key: HashMap<String, usize> = HashMap::with_capacity(sub.rows.len());
    let seq = Some(ledger.keys.seq);
    let mut dup_of = vec![None; sub.rows.len()];
    for (idx, row) in sub.rows.iter().enumerate() {
        let content: Vec<&str> = (0..ledger.columns.len()).filter(|i| Some(*i) != seq).map(|i| row.text(i)).collect();
        let extras: Vec<&str> = (0..sub.extra_columns.len()).map(|i| row.extra(i)).collect();
        // Each row's content hashed once: looked up and, when new, kept by the same entry.
        let first = match exact.entry((content, extras)) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(idx);
                None
            }
        };
        if let Some(first) = first {
            dup_of[idx] = Some(first);
            let f = crate::Finding::new(
                Code::DuplicateRow,
                &sub.name,
                format!("第{}行与第{}行内容完全相同,汇总时只计一次。如为误填请删除其中一行。", row.row_number(), sub.rows[first].row_number()),
            )
            .sheet(&row.sheet)
            .cell(crate::cell::CellRef::new(row.row, 0));
            findings.push(f);
            continue;
        }
        let key = row_key(refdata, row);
        if key.is_empty() {
            continue;
        }
        if let Some(&first) = by_key.get(&key) {
            let name = row.text(ledger.keys.enterprise);
            let f = crate::Finding::new(
                Code::DuplicateEnterprise,
                &sub.name,
                format!(
                    "企业「{name}」在第{}行和第{}行各填了一次且内容不同,两行都已保留。请核实后合并为一行。",
                    sub.rows[first].row_number(),
                    row.row_number()
                ),
            )
            .sheet(&row.sheet)
            .cell(crate::cell::CellRef::new(row.row, ledger.keys.enterprise as u32))
            .field("提升企业名称")
            .value(name);
            findings.push(f);
        } else {
            by_key.insert(key, idx);
        }
    }
    dup_of
}

/// What a careless hand does to a row and no single rule catches: a row shifted by one column, the name
/// swapped with the product or the industry, two enterprises in one cell. Each is a warning on the cell
/// concerned; nothing is moved.
fn plausibility(refdata: &RefData, sub: &Submission, row: &LedgerRow, findings: &mut Vec<Finding>) {
    let ledger = &refdata.ledger;
    let words = &ledger.rows;
    let (ei, ii) = (ledger.keys.enterprise, ledger.keys.industry);
    let Some(ent) = row.fields[ei].as_ref() else { return };
    let columns = sub.columns_in(&row.sheet);
    let col_of = |i: usize| columns.get(i).copied().flatten();
    // The row's values by the sheet column they stand in, with the header of that column.
    let mut by_col: BTreeMap<u32, (&str, &str)> = BTreeMap::new();
    for (i, f) in row.fields.iter().enumerate() {
        if let (Some(l), Some(c)) = (f, col_of(i)) {
            by_col.insert(c, (l.text.as_str(), ledger.columns[i].name.as_str()));
        }
    }
    for (i, e) in row.extras.iter().enumerate() {
        if let Some(l) = e {
            by_col.entry(l.cell.col).or_insert((l.text.as_str(), sub.extra_columns.get(i).map_or("", String::as_str)));
        }
    }
    let text_at = |c: Option<u32>| c.and_then(|c| by_col.get(&c)).map(|(t, _)| *t);
    let is_industry = |t: Option<&str>| t.is_some_and(|t| ledger.industry(t).is_some());
    let is_org = |t: Option<&str>| t.is_some_and(|t| looks_like_organisation(words, t));
    let (ic, ec) = (col_of(ii), Some(ent.cell.col));
    let line = row.row_number();
    let located = |code: Code, msg: String, at: &Located, field: &str| {
        Finding::new(code, &sub.name, msg).sheet(&at.sheet).cell(at.cell).field(field).value(&at.text)
    };
    // Shifted right: the industry stands under 提升企业名称 and the name one column further.
    let right = is_industry(text_at(ec)) && is_org(text_at(ec.map(|c| c + 1))) && !is_industry(text_at(ic));
    // Shifted left: the name stands under 所属行业 and the industry one column before it.
    let left = ic.is_some_and(|c| c > 0) && is_org(text_at(ic)) && is_industry(text_at(ic.map(|c| c - 1))) && !is_org(text_at(ec));
    if right || left {
        let (dir, name, industry) = if right {
            ("右", text_at(ec.map(|c| c + 1)), text_at(ec))
        } else {
            ("左", text_at(ic), text_at(ic.map(|c| c - 1)))
        };
        let msg = format!(
            "第{line}行的内容似乎整体向{dir}错了一列:行业「{}」和企业名称「{}」都不在各自的列中。请把这一行与表头对齐后重新报送。",
            industry.unwrap_or_default(),
            name.unwrap_or_default()
        );
        findings.push(located(Code::ShiftedRow, msg, ent, &ledger.columns[ei].name));
        return;
    }
    if !is_org(Some(&ent.text)) {
        let neighbour = [ent.cell.col.checked_sub(1), Some(ent.cell.col + 1)]
            .into_iter()
            .flatten()
            .find_map(|c| by_col.get(&c).filter(|(t, _)| looks_like_organisation(words, t)));
        if let Some((name, header)) = neighbour {
            let looks = if ledger.industry(&ent.text).is_some() { "行业" } else { "产品" };
            let msg = format!(
                "第{line}行「提升企业名称」填的「{}」像是{looks},而「{header}」列填的「{name}」像是企业名称,两列可能填反了。请核对后更正。",
                ent.text
            );
            findings.push(located(Code::NameInWrongColumn, msg, ent, &ledger.columns[ei].name));
        }
    }
    let names = joined_names(words, &ent.text);
    if !names.is_empty() {
        let msg = format!(
            "第{line}行「提升企业名称」中填了{}家企业(「{}」)。请每家企业单独填一行,并分别填写其产品、问题、目标、措施和进展。",
            names.len(),
            names.join("」「")
        );
        findings.push(located(Code::SeveralEnterprises, msg, ent, &ledger.columns[ei].name));
    }
}

/// A 完成状态 that contradicts what the 推进情况 plainly says, or is blank while it says it.
fn status_against_narrative(refdata: &RefData, sub: &Submission, p: &ProgressRow, findings: &mut Vec<Finding>) {
    let tasks = &refdata.tasks;
    let Some(n) = &p.narrative else { return };
    let Some(stated) = stated_status(&tasks.status_words, &n.text) else { return };
    let (word, canonical) = match stated {
        Stated::Done => ("已完成", "已完成"),
        Stated::NotStarted => ("尚未启动", "未启动"),
    };
    // Only the two ends contradict each other: 推进中 with "……征求意见稿已完成" or "部分工作尚未启动" is how
    // progress is usually written.
    let msg = match (&p.status, p.status_canonical.as_deref(), stated) {
        (None, _, _) => format!("第{}项工作的「完成状态」未填写,而「推进情况」写明{word}。请在「完成状态」中选择「{canonical}」或核实推进情况。", p.task),
        (Some(_), Some(c @ "未启动"), Stated::Done) | (Some(_), Some(c @ "已完成"), Stated::NotStarted) => {
            format!("第{}项工作的「完成状态」为「{c}」,而「推进情况」写明{word},两者不符。请核实后更正其中之一。", p.task)
        }
        _ => return,
    };
    let f = Finding::new(Code::StatusContradiction, &sub.name, msg).sheet(&n.sheet).cell(n.cell).field("推进情况").value(&n.text);
    findings.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_code_check_digit() {
        // Published example codes with valid check characters.
        assert!(check_credit_code("91350100M000100Y43").is_ok());
        assert!(check_credit_code("91350100m000100y43").is_ok());
        assert_eq!(check_credit_code("91350100M000100Y44"), Err(Some('3')));
        assert_eq!(check_credit_code("9135010"), Err(None));
        assert_eq!(check_credit_code("91350100M000100I43"), Err(None));
    }
}
