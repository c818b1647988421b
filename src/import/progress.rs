//! The 附件1 task progress: each of the 36 tasks' status, narrative and quantified value, matched to the
//! task by its number or its wording.

use std::collections::{BTreeMap, HashMap};

use crate::cell::CellRef;
use crate::finding::Code;
use crate::read::Sheet;
use crate::refdata::ColumnSpec;
use crate::submission::{Located, ProgressRow, Role};
use crate::text::fold_key;

use super::Importer;
use super::header::{ColRole, Header};

impl Importer<'_> {
    /// Imports the 附件1 task progress: each row matched to one of the 36 tasks, its status, narrative and
    /// value kept with their cells.
    pub(super) fn import_progress(&mut self, sheet: &Sheet, h: &Header) {
        self.import_preamble(sheet, 0, h.first_row);
        let specs = self.refdata.tasks.columns.clone();
        let mut extras = Vec::new();
        let mut roles = self.map_columns(sheet, h, &specs, &mut extras, false);
        let mut seen: Vec<u32> = Vec::new();
        let mut any_reported = false;
        let rows: Vec<u32> = sheet.grid.row_numbers().filter(|r| *r > h.last_row).collect();
        for r in rows {
            let cells = sheet.grid.row(r);
            let Some(first) = cells.iter().find(|c| !c.is_merge_copy() || c.origin.row == r) else { continue };
            if self.labels.opens_note(&first.value.to_text()) {
                self.import_note_row(sheet, cells);
                continue;
            }
            let row = self.progress_cells(sheet, r, &specs, &mut roles, &mut extras);
            any_reported |= self.progress_row(sheet, r, row, &mut seen);
        }
        for p in &mut self.sub.progress {
            p.extras.resize(extras.len(), None);
        }
        self.sub.progress_extra_columns = extras;
        let status_col = roles.iter().find(|(_, r)| matches!(r, ColRole::Field(f) if specs[*f].key == "status")).map_or(0, |(c, _)| *c);
        if !any_reported {
            let f = self
                .finding(
                    Code::EmptyProgress,
                    format!("任务进展表「{}」没有填写任何一项工作的完成状态或推进情况。请逐项填写本季度进展后重新报送。", sheet.name),
                )
                .sheet(&sheet.name)
                .cell(CellRef::new(h.last_row + 1, status_col))
                .field("完成状态");
            self.sub.push(f);
        }
    }

    /// The cells of one row by column key, its extra columns, and the cells that are reference text of the
    /// template (task number, content, units). A formula error where progress is reported is V04.
    fn progress_cells(&mut self, sheet: &Sheet, r: u32, specs: &[ColumnSpec], roles: &mut BTreeMap<u32, ColRole>, extras: &mut Vec<String>) -> ProgressCells {
        let mut row = ProgressCells::default();
        for c in sheet.grid.row(r) {
            let role = match roles.get(&c.pos.col) {
                Some(role) => role.clone(),
                None if !c.is_merge_copy() => self.headerless_column(sheet, c, extras, roles),
                None => {
                    row.reference.push(c.pos);
                    continue;
                }
            };
            let text = c.value.to_text();
            let loc = Located { text, sheet: sheet.name.clone(), cell: c.origin };
            match role {
                ColRole::Field(f) => {
                    let k = specs[f].key.clone();
                    if matches!(k.as_str(), "status" | "narrative" | "value") && !(c.is_merge_copy() && c.origin.row < r) {
                        if c.value.is_error() {
                            let f = self
                                .finding(Code::FormulaError, format!("单元格为公式错误值 {},请检查公式或直接填写内容。", loc.text))
                                .sheet(&sheet.name)
                                .cell(c.origin)
                                .field(&specs[f].name)
                                .value(&loc.text);
                            self.sub.push(f);
                        }
                    } else {
                        row.reference.push(c.pos);
                    }
                    row.fields.entry(k).or_insert(loc);
                }
                ColRole::Extra(e) => {
                    if row.extras.len() <= e {
                        row.extras.resize(e + 1, None);
                    }
                    row.extras[e] = Some(loc);
                }
                ColRole::Prefecture => row.reference.push(c.pos),
            }
        }
        row
    }

    /// A row of the progress table: its task found (V10 when none, V13 when reported twice), its status
    /// (V08) and value (V09) checked, and kept. True when the row reports anything.
    fn progress_row(&mut self, sheet: &Sheet, r: u32, row: ProgressCells, seen: &mut Vec<u32>) -> bool {
        let ProgressCells { fields, extras: row_extras, reference } = row;
        let tasks = &self.refdata.tasks;
        let reported = ["status", "narrative", "value"].iter().any(|k| fields.get(*k).is_some_and(|l| l.cell.row == r));
        let has_extras = row_extras.iter().any(Option::is_some);
        let task = task_of(tasks, &fields);
        for p in reference {
            self.layout(&sheet.name, p, Role::Reference);
        }
        if !reported && !has_extras {
            return false;
        }
        // What the row reports, for a finding about a row that cannot be used.
        let shown = ["status", "narrative", "value"].iter().filter_map(|k| fields.get(*k)).map(|l| l.text.clone()).collect::<Vec<_>>().join(" / ");
        let Some(task) = task else {
            let f = self
                .finding(Code::UnknownTask, format!("第{}行填写了进展,但无法对应到36项重点工作中的任何一项,请核对「序号」或「内容」。", r + 1))
                .sheet(&sheet.name)
                .cell(CellRef::new(r, 0))
                .value(shown);
            self.sub.push(f);
            return true;
        };
        if seen.contains(&task) {
            let f = self
                .finding(Code::DuplicateTask, format!("第{task}项工作重复填写,已采用先出现的一行;此行内容未导入,请合并为一行。"))
                .sheet(&sheet.name)
                .cell(CellRef::new(r, 0))
                .value(shown);
            self.sub.push(f);
            return true;
        }
        seen.push(task);
        let own = |k: &str| fields.get(k).filter(|l| l.cell.row == r).cloned();
        let status = own("status");
        let status_canonical = status.as_ref().and_then(|s| tasks.status(&s.text)).map(str::to_string);
        if let (Some(s), None) = (&status, &status_canonical) {
            let f = self
                .finding(Code::UnknownStatus, format!("第{task}项工作的「完成状态」应为 未启动、推进中 或 已完成 之一,已按原文保留。"))
                .sheet(&s.sheet)
                .cell(s.cell)
                .field("完成状态")
                .value(&s.text);
            self.sub.push(f);
        }
        let value = own("value");
        if let Some(v) = &value
            && v.text.replace([',', '，'], "").trim().parse::<f64>().is_err()
        {
            let f = self
                .finding(Code::NotANumber, format!("第{task}项工作的「量化完成值」应填写数字,文字说明请写在「推进情况」中;已按原文保留。"))
                .sheet(&v.sheet)
                .cell(v.cell)
                .field("量化完成值")
                .value(&v.text);
            self.sub.push(f);
        }
        let narrative = own("narrative");
        self.sub.progress.push(ProgressRow { task, sheet: sheet.name.clone(), row: r, status, status_canonical, narrative, value, extras: row_extras });
        true
    }
}

/// One row of the progress table, by column key.
#[derive(Default)]
struct ProgressCells {
    fields: HashMap<String, Located>,
    extras: Vec<Option<Located>>,
    /// Cells of the template's own text (task number, content, units).
    reference: Vec<CellRef>,
}

/// Which of the 36 tasks a row is: by its number, else by its content (the start of it is enough, and a
/// number typed before the text is passed over).
fn task_of(tasks: &crate::refdata::Tasks, fields: &HashMap<String, Located>) -> Option<u32> {
    let by_no = fields.get("no").and_then(|l| l.text.parse::<f64>().ok()).filter(|n| n.fract() == 0.0).map(|n| n as u32);
    by_no.filter(|n| tasks.get(*n).is_some()).or_else(|| {
        let k = fields.get("content").map(|l| fold_key(&l.text))?;
        let k = k.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '、').to_string();
        tasks
            .tasks
            .iter()
            .map(|t| (fold_key(&t.content), t.no))
            .find(|(ck, _)| *ck == k || (k.chars().count() >= 12 && ck.starts_with(&k.chars().take(12).collect::<String>())))
            .map(|(_, n)| n)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refdata::RefData;

    fn at(text: &str) -> Located {
        Located { text: text.into(), sheet: "附件1".into(), cell: CellRef::new(5, 0) }
    }

    #[test]
    fn a_task_is_found_by_number_then_by_its_content() {
        let r = RefData::embedded().unwrap();
        let t = &r.tasks;
        let by = |pairs: &[(&str, &str)]| task_of(t, &pairs.iter().map(|(k, v)| (k.to_string(), at(v))).collect());
        assert_eq!(by(&[("no", "7")]), Some(7));
        assert_eq!(by(&[("no", "7.0")]), Some(7));
        // A number that is no task, or not whole, falls back on the content.
        let third = t.tasks[2].content.clone();
        assert_eq!(by(&[("no", "99"), ("content", &third)]), Some(t.tasks[2].no));
        assert_eq!(by(&[("no", "2.5")]), None);
        // The content with a number typed before it, or only its first twelve characters.
        assert_eq!(by(&[("content", &format!("3、{third}"))]), Some(t.tasks[2].no));
        let start: String = third.chars().take(12).collect();
        assert_eq!(by(&[("content", &start)]), Some(t.tasks[2].no));
        assert_eq!(by(&[("content", "与任何任务都不相干的一段文字")]), None);
    }
}
