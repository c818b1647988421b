//! One workbook, several returns. An economic zone's office (川南经济区, say) collects its prefectures'
//! ledgers and sends them on in one workbook, one sheet per prefecture, each sheet named after it. Read as
//! one return, every row would count for the first prefecture and the others would stand 未报送; so the
//! workbook is split before it is imported: a sheet named after a prefecture (full or short name) is that
//! prefecture's return, and the sheets naming none follow the prefecture the file itself names.
//!
//! A split happens only when the sheets name at least two prefectures: one sheet named after one
//! prefecture is an ordinary return whose sheet name is one more source for its prefecture. A file that
//! came through a prefecture's private upload link is never split (a link files returns for its own
//! prefecture only); its importer reports the other prefectures it names.

use crate::read::{Visibility, Workbook};
use crate::refdata::RefData;

use super::header::{Matcher, holds_ledger};

/// One return taken out of a workbook: its sheets and the prefecture they name.
#[derive(Debug, Clone)]
pub struct PrefectureReturn {
    /// The prefecture the part's sheets are named after; `None` for the sheets that name none, which
    /// follow the file's own prefecture.
    pub prefecture: Option<String>,
    pub workbook: Workbook,
    /// How the workbook was split, said once on every part (the S15 finding).
    pub note: String,
}

/// The prefecture a sheet is named after.
pub fn sheet_prefecture(refdata: &RefData, name: &str) -> Option<String> {
    refdata.prefectures.find_in(name).map(|p| p.name.clone())
}

/// Splits `wb` into one part per prefecture its sheets are named after, when they name two or more;
/// `Err(wb)` gives the workbook back whole otherwise. `file_prefecture` is the prefecture the file's name
/// gives: the sheets naming no prefecture join its part, or, when the file names none of the split
/// prefectures, a part of their own if they hold a ledger, else the first part.
pub fn by_prefecture(refdata: &RefData, wb: Workbook, file_prefecture: Option<&str>) -> Result<Vec<PrefectureReturn>, Workbook> {
    let named: Vec<Option<String>> = wb
        .sheets
        .iter()
        .map(|s| (s.visibility == Visibility::Visible && !s.grid.is_empty()).then(|| sheet_prefecture(refdata, &s.name)).flatten())
        .collect();
    let mut prefectures: Vec<String> = Vec::new();
    for p in named.iter().flatten() {
        if !prefectures.contains(p) {
            prefectures.push(p.clone());
        }
    }
    if prefectures.len() < 2 {
        return Err(wb);
    }
    let ledger = Matcher::new(&refdata.ledger.columns);
    let holds_ledger = |i: usize| holds_ledger(&wb.sheets[i].grid, &ledger, refdata.ledger.keys.enterprise);
    let rest: Vec<usize> = (0..wb.sheets.len()).filter(|&i| named[i].is_none()).collect();
    let joins = file_prefecture.filter(|p| prefectures.iter().any(|q| q == p)).map(str::to_string);
    let rest_alone = joins.is_none() && rest.iter().any(|&i| holds_ledger(i));
    // Which part each sheet goes to: an index into `owners`.
    let mut owners: Vec<Option<String>> = prefectures.iter().cloned().map(Some).collect();
    if rest_alone {
        owners.push(file_prefecture.map(str::to_string));
    }
    let owner_of = |i: usize| -> usize {
        let p = named[i].as_ref().or(joins.as_ref());
        match p {
            Some(p) => owners.iter().position(|o| o.as_ref() == Some(p)).unwrap_or(0),
            None if rest_alone => owners.len() - 1,
            None => 0,
        }
    };
    let assignment: Vec<usize> = (0..wb.sheets.len()).map(owner_of).collect();
    let note = describe(&wb, &assignment, &owners);
    let format = wb.format;
    let mut parts: Vec<PrefectureReturn> = owners
        .into_iter()
        .map(|prefecture| PrefectureReturn { prefecture, workbook: Workbook { format, sheets: Vec::new() }, note: note.clone() })
        .collect();
    for (sheet, owner) in wb.sheets.into_iter().zip(assignment) {
        parts[owner].workbook.sheets.push(sheet);
    }
    Ok(parts)
}

/// The S15 message: which sheets became whose return.
fn describe(wb: &Workbook, assignment: &[usize], owners: &[Option<String>]) -> String {
    let mut lines = Vec::new();
    for (o, owner) in owners.iter().enumerate() {
        let sheets: Vec<&str> = wb.sheets.iter().zip(assignment).filter(|(_, a)| **a == o).map(|(s, _)| s.name.as_str()).collect();
        let whose = owner.as_deref().unwrap_or("文件名所指的市州");
        lines.push(format!("「{}」→{whose}", sheets.join("」「")));
    }
    format!(
        "本文件的工作表分别以{}个市州命名,已按工作表拆分为{}份报送,各自计入相应市州:{}。未以市州命名的工作表随文件名所指的市州(或第一份)读取。",
        owners.iter().flatten().count(),
        owners.len(),
        lines.join(";")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cell::CellRef;
    use crate::read::{Format, Grid, Limits, Sheet, Value};

    fn sheet(name: &str, header: bool) -> Sheet {
        let mut cells = vec![(CellRef::new(0, 0), Value::Text("说明".into()))];
        if header {
            cells = ["序号", "所属(产业)行业", "提升企业名称", "主导产品"]
                .iter()
                .enumerate()
                .map(|(c, t)| (CellRef::new(0, c as u32), Value::Text(t.to_string())))
                .collect();
        }
        Sheet {
            name: name.into(),
            visibility: Visibility::Visible,
            grid: Grid::new(cells, Vec::new(), &Limits::default()),
            error: None,
            formulas_without_value: Vec::new(),
            total_rows: Vec::new(),
        }
    }

    fn wb(sheets: Vec<Sheet>) -> Workbook {
        Workbook { format: Format::Xlsx, sheets }
    }

    fn names(p: &PrefectureReturn) -> Vec<&str> {
        p.workbook.sheets.iter().map(|s| s.name.as_str()).collect()
    }

    #[test]
    fn sheets_named_after_prefectures_are_their_returns() {
        let r = RefData::embedded().unwrap();
        let parts = by_prefecture(&r, wb(vec![sheet("填表说明", false), sheet("自贡", true), sheet("泸州市", true), sheet("内江", true)]), None).unwrap();
        let got: Vec<(Option<&str>, Vec<&str>)> = parts.iter().map(|p| (p.prefecture.as_deref(), names(p))).collect();
        assert_eq!(
            got,
            vec![(Some("自贡市"), vec!["填表说明", "自贡"]), (Some("泸州市"), vec!["泸州市"]), (Some("内江市"), vec!["内江"])]
        );
        assert!(parts[0].note.contains("「泸州市」→泸州市"), "{}", parts[0].note);
    }

    #[test]
    fn sheets_naming_none_follow_the_file() {
        let r = RefData::embedded().unwrap();
        let parts = by_prefecture(&r, wb(vec![sheet("自贡", true), sheet("台账", true), sheet("泸州", true)]), Some("泸州市")).unwrap();
        assert_eq!(names(&parts[1]), ["台账", "泸州"]);
        // The file names none of them, and the unnamed sheet holds a ledger: a part of its own.
        let parts = by_prefecture(&r, wb(vec![sheet("自贡", true), sheet("台账", true), sheet("泸州", true)]), None).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!((parts[2].prefecture.as_deref(), names(&parts[2])), (None, vec!["台账"]));
    }

    #[test]
    fn one_prefecture_is_no_split() {
        let r = RefData::embedded().unwrap();
        assert!(by_prefecture(&r, wb(vec![sheet("成都市台账", true), sheet("成都任务进展", true)]), None).is_err());
        assert!(by_prefecture(&r, wb(vec![sheet("锦江区", true), sheet("青羊区", true)]), Some("成都市")).is_err());
    }
}
