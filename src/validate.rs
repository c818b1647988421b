//! Rules on the content of a return: mandatory fields, the industry list, the 统一社会信用代码 check digit,
//! and rows or enterprises entered twice. Each broken rule is a finding on the cell concerned; values are
//! never changed here.

use std::collections::HashMap;

use crate::finding::Code;
use crate::refdata::RefData;
use crate::submission::Submission;
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
    refdata.ledger.column_index("enterprise").map(|i| enterprise_key(row.text(i))).unwrap_or_default()
}

/// Applies the content rules to a submission, adding findings and marking exact duplicate rows.
pub fn validate(refdata: &RefData, sub: &mut Submission) {
    let ledger = &refdata.ledger;
    let mut findings = Vec::new();
    let industry = ledger.column_index("industry");
    let uscc = ledger.column_index("uscc");
    for row in &sub.rows {
        for (i, spec) in ledger.columns.iter().enumerate() {
            if spec.mandatory && row.text(i).is_empty() {
                let col = sub.ledger_columns.get(i).copied().flatten().unwrap_or(0);
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

    // Exact duplicates (every field and extra the same) are kept once; the same enterprise with different
    // content is kept twice and reported.
    let mut exact: HashMap<(Vec<&str>, Vec<&str>), usize> = HashMap::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let seq = ledger.column_index("seq");
    let mut dup_of = vec![None; sub.rows.len()];
    for (idx, row) in sub.rows.iter().enumerate() {
        let content: Vec<&str> = (0..ledger.columns.len()).filter(|i| Some(*i) != seq).map(|i| row.text(i)).collect();
        let extras: Vec<&str> = (0..sub.extra_columns.len()).map(|i| row.extra(i)).collect();
        if let Some(&first) = exact.get(&(content.clone(), extras.clone())) {
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
        exact.insert((content, extras), idx);
        let key = row_key(refdata, row);
        if key.is_empty() {
            continue;
        }
        if let Some(&first) = by_key.get(&key) {
            let name = ledger.column_index("enterprise").map(|i| row.text(i)).unwrap_or_default();
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
            .cell(crate::cell::CellRef::new(row.row, ledger.column_index("enterprise").unwrap_or(0) as u32))
            .field("提升企业名称")
            .value(name);
            findings.push(f);
        } else {
            by_key.insert(key, idx);
        }
    }
    for (row, d) in sub.rows.iter_mut().zip(dup_of) {
        row.duplicate_of = d;
    }
    for f in findings {
        sub.push(f);
    }
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
