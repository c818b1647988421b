//! The contacts sheet: each prefecture's contact and address, as the office keeps it (xlsx, xls, ods or
//! csv, 市州 and 邮箱 columns, 联系人 optional).

use std::path::Path;

use crate::cell::CellRef;
use crate::read::{Limits, read_file};
use crate::refdata::RefData;
use crate::text::fold_key;

use super::MailError;

/// One line of the contacts sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Canonical prefecture name.
    pub prefecture: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Where the line is in the contacts file (for messages about it).
    pub cell: CellRef,
}

/// Reads the contacts sheet (xlsx, xls, ods or csv): a header with 市州 and 邮箱 (联系人 optional), one
/// prefecture per row, by any accepted name.
///
/// # Errors
/// When the file cannot be read or has no such columns.
pub fn read_contacts(refdata: &RefData, path: &Path) -> Result<(Vec<Contact>, Vec<String>), MailError> {
    let wb = read_file(path, &Limits::default()).map_err(|e| MailError::Contacts { path: path.into(), why: e.to_string() })?;
    let is = |text: &str, names: &[&str]| names.iter().any(|n| fold_key(text).trim_end_matches(':') == fold_key(n));
    let mut problems = Vec::new();
    for sheet in &wb.sheets {
        let g = &sheet.grid;
        for r in g.row_numbers().take(20) {
            let row = g.row(r);
            let col = |names: &[&str]| row.iter().find(|c| is(&c.value.to_text(), names)).map(|c| c.pos.col);
            let (Some(pc), Some(ec)) = (col(&["市州", "填报市州", "地区", "单位", "市(州)"]), col(&["邮箱", "电子邮箱", "邮件地址", "email", "e-mail", "电子邮件"])) else {
                continue;
            };
            let nc = col(&["联系人", "姓名", "联系人姓名"]);
            let mut out: Vec<Contact> = Vec::new();
            for rr in g.row_numbers().filter(|x| *x > r) {
                let text = |c: Option<u32>| c.and_then(|c| g.get(CellRef::new(rr, c))).map(|x| x.value.to_text()).filter(|t| !t.is_empty());
                let Some(p) = text(Some(pc)) else { continue };
                let Some(pref) = refdata.prefectures.lookup(&p).or_else(|| refdata.prefectures.find_in(&p)) else {
                    problems.push(format!("联系人表 {}!{}:「{p}」不是四川省的市州名称,已忽略", sheet.name, CellRef::new(rr, pc)));
                    continue;
                };
                if out.iter().any(|c| c.prefecture == pref.name) {
                    problems.push(format!("联系人表 {}!{}:{} 重复,采用第一行", sheet.name, CellRef::new(rr, pc), pref.name));
                    continue;
                }
                out.push(Contact { prefecture: pref.name.clone(), name: text(nc), email: text(Some(ec)), cell: CellRef::new(rr, pc) });
            }
            return Ok((out, problems));
        }
    }
    Err(MailError::ContactColumns(path.into()))
}
