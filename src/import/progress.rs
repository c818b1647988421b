//! The 附件1 task progress: each of the 36 tasks' status, narrative and quantified value, matched to the
//! task by its number or its wording.

use std::collections::HashMap;

use crate::cell::CellRef;
use crate::finding::Code;
use crate::read::Sheet;
use crate::submission::{Located, ProgressRow, Role};
use crate::text::fold_key;

use super::Importer;
use super::header::*;

impl Importer<'_> {
    pub(super) fn import_progress(&mut self, sheet: &Sheet, h: &Header) {
        self.import_preamble(sheet, 0, h.first_row);
        let specs = self.refdata.tasks.columns.clone();
        let mut extras = Vec::new();
        let mut roles = self.map_columns(sheet, h, &specs, &mut extras, false);
        let key_of = |i: usize| specs[i].key.as_str();
        let tasks = &self.refdata.tasks;
        let content_keys: Vec<(String, u32)> = tasks.tasks.iter().map(|t| (fold_key(&t.content), t.no)).collect();
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
            let mut fields: HashMap<&str, Located> = HashMap::new();
            let mut row_extras: Vec<Option<Located>> = Vec::new();
            let mut reference = Vec::new();
            for c in cells {
                let role = match roles.get(&c.pos.col) {
                    Some(role) => role.clone(),
                    None if !c.is_merge_copy() => self.headerless_column(sheet, c, &mut extras, &mut roles),
                    None => {
                        reference.push(c.pos);
                        continue;
                    }
                };
                let text = c.value.to_text();
                let loc = Located { text, sheet: sheet.name.clone(), cell: c.origin };
                match role {
                    ColRole::Field(f) => {
                        let k = key_of(f);
                        if matches!(k, "status" | "narrative" | "value") && !(c.is_merge_copy() && c.origin.row < r) {
                            if c.value.is_error() {
                                let f = self
                                    .finding(Code::FormulaError, format!("单元格为公式错误值 {},请检查公式或直接填写内容。", loc.text))
                                    .sheet(&sheet.name)
                                    .cell(c.origin)
                                    .field(&specs[f].name)
                                    .value(&loc.text);
                                self.sub.push(f);
                            }
                            fields.entry(k).or_insert(loc);
                        } else {
                            reference.push(c.pos);
                            fields.entry(k).or_insert(loc);
                        }
                    }
                    ColRole::Extra(e) => {
                        if row_extras.len() <= e {
                            row_extras.resize(e + 1, None);
                        }
                        row_extras[e] = Some(loc);
                    }
                    ColRole::Prefecture => reference.push(c.pos),
                }
            }
            let reported = ["status", "narrative", "value"].iter().any(|k| fields.get(k).is_some_and(|l| l.cell.row == r));
            let has_extras = row_extras.iter().any(Option::is_some);
            // Which task is it: by number, else by its text.
            let by_no = fields.get("no").and_then(|l| l.text.parse::<f64>().ok()).filter(|n| n.fract() == 0.0).map(|n| n as u32);
            let task = by_no.filter(|n| tasks.get(*n).is_some()).or_else(|| {
                let k = fields.get("content").map(|l| fold_key(&l.text))?;
                let k = k.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '、').to_string();
                content_keys
                    .iter()
                    .find(|(ck, _)| *ck == k || (k.chars().count() >= 12 && ck.starts_with(&k.chars().take(12).collect::<String>())))
                    .map(|(_, n)| *n)
            });
            for p in reference {
                self.layout(&sheet.name, p, Role::Reference);
            }
            if !reported && !has_extras {
                continue;
            }
            any_reported = true;
            // What the row reports, for a finding about a row that cannot be used.
            let shown = ["status", "narrative", "value"].iter().filter_map(|k| fields.get(k)).map(|l| l.text.clone()).collect::<Vec<_>>().join(" / ");
            let Some(task) = task else {
                let f = self
                    .finding(Code::UnknownTask, format!("第{}行填写了进展,但无法对应到36项重点工作中的任何一项,请核对「序号」或「内容」。", r + 1))
                    .sheet(&sheet.name)
                    .cell(CellRef::new(r, 0))
                    .value(shown);
                self.sub.push(f);
                continue;
            };
            if seen.contains(&task) {
                let f = self
                    .finding(Code::DuplicateTask, format!("第{task}项工作重复填写,已采用先出现的一行;此行内容未导入,请合并为一行。"))
                    .sheet(&sheet.name)
                    .cell(CellRef::new(r, 0))
                    .value(shown);
                self.sub.push(f);
                continue;
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
            self.sub.progress.push(ProgressRow {
                task,
                sheet: sheet.name.clone(),
                row: r,
                status,
                status_canonical,
                narrative: own("narrative"),
                value,
                extras: row_extras,
            });
        }
        for p in &mut self.sub.progress {
            p.extras.resize(extras.len(), None);
        }
        self.sub.progress_extra_columns = extras;
        let status_col = roles.iter().find(|(_, r)| matches!(r, ColRole::Field(f) if key_of(*f) == "status")).map_or(0, |(c, _)| *c);
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
}
