//! The labelled values and notes around a table: 填报单位, 填报人, 联系电话, 填报日期, 审核人 and the
//! remarks under it, split from their labels however they are written (one cell, two cells, several in
//! one cell).


use crate::cell::CellRef;
use crate::refdata::RefData;
use crate::text::fold_key;

/// The kinds of labelled values found around a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NoteKind {
    Filler,
    Phone,
    Reviewer,
    Date,
    Remark,
    Prefecture,
}

/// A labelled value: the label's cell and the value with its cell.
#[derive(Debug, Clone)]
pub(super) struct Note {
    pub(super) kind: NoteKind,
    pub(super) label_cell: CellRef,
    pub(super) value: String,
    pub(super) value_cell: CellRef,
}

pub(super) struct Labels {
    /// (folded label, kind), longest first.
    pub(super) labels: Vec<(String, NoteKind)>,
}

impl Labels {
    pub(super) fn new(refdata: &RefData) -> Self {
        let n = &refdata.ledger.notes;
        let mut labels = Vec::new();
        for (list, kind) in [
            (&n.filler, NoteKind::Filler),
            (&n.phone, NoteKind::Phone),
            (&n.reviewer, NoteKind::Reviewer),
            (&n.date, NoteKind::Date),
            (&n.remark, NoteKind::Remark),
            (&n.prefecture, NoteKind::Prefecture),
        ] {
            for l in list {
                labels.push((fold_key(l), kind));
            }
        }
        labels.sort_by_key(|(l, _)| std::cmp::Reverse(l.chars().count()));
        Labels { labels }
    }

    /// If `token` opens with a label followed by a colon (or is a label alone), the kind and what follows.
    pub(super) fn split<'a>(&self, token: &'a str) -> Option<(NoteKind, &'a str)> {
        // Every cell of a sheet comes through here: a first character that starts no label, and that
        // folding cannot change, settles it without folding the whole text.
        let first = token.chars().find(|c| !c.is_whitespace() && !crate::text::is_zero_width(*c))?;
        if (first.is_ascii() || crate::text::is_cjk_ideograph(first))
            && !self.labels.iter().any(|(l, _)| l.starts_with(first.to_ascii_lowercase()))
        {
            return None;
        }
        let k = fold_key(token);
        for (l, kind) in &self.labels {
            let Some(rest) = k.strip_prefix(l.as_str()) else { continue };
            if !(rest.is_empty() || rest.starts_with(':')) {
                continue;
            }
            // Find the same position in the original token: skip as many non-space chars as the label has.
            let mut seen = 0;
            let label_len = l.chars().count();
            let mut byte = token.len();
            for (b, ch) in token.char_indices() {
                if seen == label_len {
                    byte = b;
                    break;
                }
                if !ch.is_whitespace() {
                    seen += 1;
                }
            }
            let rest = token[byte..].trim_start().trim_start_matches([':', '：']).trim();
            return Some((*kind, rest));
        }
        None
    }

    /// True when a row's first cell opens a note line.
    pub(super) fn opens_note(&self, text: &str) -> bool {
        let first = text.split_whitespace().next().unwrap_or("");
        self.split(text).is_some() || self.split(first).is_some()
    }
}

/// Splits the cells of a note line into labelled values. Text before the first label is returned apart.
pub(super) fn parse_notes(labels: &Labels, cells: &[(CellRef, String)]) -> (Vec<Note>, Vec<(CellRef, String)>) {
    let mut notes: Vec<Note> = Vec::new();
    let mut loose: Vec<(CellRef, String)> = Vec::new();
    for (cell, text) in cells {
        // Tokens with the white space before them, so that a value keeps its spaces and line breaks.
        let mut tokens: Vec<(&str, &str)> = Vec::new();
        let mut rest = text.as_str();
        while !rest.is_empty() {
            let token_start = rest.find(|c: char| !matches!(c, ' ' | '\n' | '\t')).unwrap_or(rest.len());
            let (sep, after) = rest.split_at(token_start);
            let token_end = after.find([' ', '\n', '\t']).unwrap_or(after.len());
            if token_end > 0 {
                tokens.push((sep, &after[..token_end]));
            }
            rest = &after[token_end..];
        }
        let mut first_in_cell = true;
        for (sep, token) in tokens {
            let sep = if first_in_cell { " " } else { sep };
            first_in_cell = false;
            if let Some((kind, rest)) = labels.split(token) {
                notes.push(Note { kind, label_cell: *cell, value: rest.to_string(), value_cell: *cell });
            } else if let Some(last) = notes.last_mut() {
                if last.value.is_empty() {
                    last.value_cell = *cell;
                } else {
                    last.value.push_str(sep);
                }
                last.value.push_str(token);
            } else {
                match loose.last_mut() {
                    Some((c, t)) if c == cell => {
                        t.push_str(sep);
                        t.push_str(token);
                    }
                    _ => loose.push((*cell, token.to_string())),
                }
            }
        }
    }
    (notes, loose)
}


#[cfg(test)]
mod tests {
    use super::*;

    fn labels() -> Labels {
        Labels::new(&RefData::embedded().unwrap())
    }

    #[test]
    fn a_label_is_split_from_its_value_however_it_is_written() {
        let l = labels();
        assert_eq!(l.split("填报人:张三"), Some((NoteKind::Filler, "张三")));
        assert_eq!(l.split("联系电话：028-86001234"), Some((NoteKind::Phone, "028-86001234")));
        // Spaces inside the label, as people align them, and a label alone (its value in the next cell).
        assert_eq!(l.split("填 报 人: 李四"), Some((NoteKind::Filler, "李四")));
        assert_eq!(l.split("审核人"), Some((NoteKind::Reviewer, "")));
        // The longest label wins: 填报单位 is the prefecture, not 填报 anything else.
        assert_eq!(l.split("填报单位:成都市市场监管局"), Some((NoteKind::Prefecture, "成都市市场监管局")));
        // A word that merely starts like a label is not one, nor is a value.
        assert_eq!(l.split("日期格式不对"), None);
        assert_eq!(l.split("四川甲食品有限公司"), None);
        assert!(l.opens_note("注:本表由各市州填写"));
        assert!(!l.opens_note("1"));
    }

    #[test]
    fn several_notes_in_one_cell_and_across_cells() {
        let l = labels();
        let a = CellRef::new(20, 0);
        let b = CellRef::new(20, 3);
        let (notes, loose) = parse_notes(&l, &[(a, "填报人:张三  联系电话:13800000000".into()), (b, "审核人:".into()), (CellRef::new(20, 4), "王五".into())]);
        let got: Vec<(NoteKind, &str, CellRef)> = notes.iter().map(|n| (n.kind, n.value.as_str(), n.value_cell)).collect();
        assert_eq!(got, vec![(NoteKind::Filler, "张三", a), (NoteKind::Phone, "13800000000", a), (NoteKind::Reviewer, "王五", CellRef::new(20, 4))]);
        assert!(loose.is_empty());
        // Text before the first label stays apart, and a note's value keeps its line breaks.
        let (notes, loose) = parse_notes(&l, &[(a, "以上数据已核实 备注:第一行\n第二行".into())]);
        assert_eq!(loose, vec![(a, "以上数据已核实".to_string())]);
        assert_eq!((notes[0].kind, notes[0].value.as_str()), (NoteKind::Remark, "第一行\n第二行"));
    }
}
