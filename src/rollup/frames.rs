//! Each return as polars frames: its ledger rows with the rollup's column names and provenance (file,
//! cell, the matching key, the industry group), and its task progress. Built once per return, in the
//! reader thread where `consolidate` can, and stacked by [`super::merge`].

use polars::prelude::*;

use crate::refdata::RefData;
use crate::rollup::layout::cols;
use crate::submission::{LedgerRow, Submission};
use crate::text::enterprise_key;

pub(super) fn str_col<S: AsRef<str>>(name: &str, values: Vec<Option<S>>) -> Column {
    Column::new(name.into(), StringChunked::from_iter_options(name.into(), values.iter().map(|v| v.as_ref().map(AsRef::as_ref))).into_series())
}


/// A return's ledger as a frame, ready for the merge, built in the reader thread (see [`Frames::take`]).
#[derive(Debug, Clone)]
pub struct Frames {
    /// The rows with the ledger's columns, the extra columns (named for the rollup) and provenance; empty
    /// once spilled.
    pub ledger: DataFrame,
    /// Rows that are not exact repeats of an earlier row.
    pub distinct_rows: usize,
    /// Where the frame was written by [`Frames::spill`], to be read back when its rows are written.
    pub spilled: Option<std::path::PathBuf>,
}

impl Frames {
    /// A submission's ledger as a frame; the submission keeps its rows.
    ///
    /// # Errors
    /// Only if polars rejects the columns built here, which would be a defect.
    pub fn of(refdata: &RefData, sub: &Submission) -> PolarsResult<Frames> {
        Ok(Frames { ledger: ledger_frame(refdata, sub)?, distinct_rows: sub.distinct_rows().count(), spilled: None })
    }

    /// Writes the frame to `path` (Parquet, uncompressed: written once and read once, moments later) and
    /// lets go of its rows. `consolidate` spills each return as soon as it is read, so that memory holds
    /// the returns being read, not the province: a million rows of text would not fit in half a gigabyte.
    ///
    /// # Errors
    /// When the file cannot be written; the frame then keeps its rows in memory.
    pub fn spill(&mut self, path: &std::path::Path) -> PolarsResult<()> {
        let file = std::fs::File::create(path).map_err(|e| PolarsError::IO { error: e.into(), msg: None })?;
        ParquetWriter::new(std::io::BufWriter::new(file)).with_compression(ParquetCompression::Uncompressed).finish(&mut self.ledger)?;
        self.ledger = DataFrame::empty();
        self.spilled = Some(path.to_path_buf());
        Ok(())
    }

    /// The frame, read back from disk when it was spilled; only `columns` when given (every one of them
    /// is in every return's frame).
    ///
    /// # Errors
    /// When a spilled frame cannot be read back.
    pub fn load(&self, columns: Option<&[&str]>) -> PolarsResult<DataFrame> {
        let cols = columns.map(|c| c.iter().map(|s| s.to_string()).collect::<Vec<String>>());
        match &self.spilled {
            Some(path) => {
                let file = std::fs::File::open(path).map_err(|e| PolarsError::IO { error: e.into(), msg: None })?;
                ParquetReader::new(file).with_columns(cols).finish()
            }
            None => match cols {
                Some(c) => self.ledger.select(c),
                None => Ok(self.ledger.clone()),
            },
        }
    }

    /// Moves a submission's ledger rows into a frame: the rows are taken out of `sub` (which is left with
    /// none) and live on in the frame. `consolidate` does this in the reader threads, so that a large
    /// collection never holds every row twice; the frame goes to [`super::merge::merge_framed`] beside the
    /// submission. On an error the submission keeps its rows (columns whose names polars would refuse
    /// are found before any value is moved).
    ///
    /// # Errors
    /// As [`Frames::of`].
    pub fn take(refdata: &RefData, sub: &mut Submission) -> PolarsResult<Frames> {
        let distinct_rows = sub.distinct_rows().count();
        // Only a defect could make polars refuse the columns (their names are made unique on import, their
        // lengths are the rows'); were it ever so, the rows keep their values and the merge tries again.
        let names = frame_names(refdata, sub);
        if names.iter().enumerate().any(|(i, n)| names[..i].contains(n)) {
            return Frames::of(refdata, sub).inspect(|_| sub.rows = Vec::new());
        }
        let ledger = ledger_frame_taking(refdata, sub)?;
        sub.rows = Vec::new();
        Ok(Frames { ledger, distinct_rows, spilled: None })
    }
}

/// One submission's ledger as a frame with provenance columns (the prefecture and the ordering columns are
/// added by the merge, which knows them).
pub(super) fn ledger_frame(refdata: &RefData, sub: &Submission) -> PolarsResult<DataFrame> {
    build_ledger_frame(refdata, sub, Texts::Borrowed(&sub.rows))
}

/// Like [`ledger_frame`], moving each value out of the rows as its column is built: a return's texts are
/// then held once, not twice, while its frame is made (at a million rows, two returns of 47,620 rows
/// being read at once). The rows are left without their values.
fn ledger_frame_taking(refdata: &RefData, sub: &mut Submission) -> PolarsResult<DataFrame> {
    let mut rows = std::mem::take(&mut sub.rows);
    let frame = build_ledger_frame(refdata, sub, Texts::Taken(&mut rows));
    sub.rows = rows;
    frame
}

/// Where the values of the frame's text columns come from: borrowed from the rows, or taken out of them.
enum Texts<'a> {
    Borrowed(&'a [LedgerRow]),
    Taken(&'a mut [LedgerRow]),
}

impl<'a> Texts<'a> {
    fn rows(&self) -> &[LedgerRow] {
        match self {
            Texts::Borrowed(r) => r,
            Texts::Taken(r) => r,
        }
    }

    /// The text of ledger field `i` (or extra column `i` when `extra`) of row `k`.
    fn text(&mut self, k: usize, i: usize, extra: bool) -> Option<std::borrow::Cow<'a, str>> {
        match self {
            Texts::Borrowed(rows) => {
                let rows: &'a [LedgerRow] = rows;
                let r = &rows[k];
                let v = if extra { r.extras.get(i)?.as_ref() } else { r.fields[i].as_ref() };
                v.map(|l| std::borrow::Cow::Borrowed(l.text.as_str()))
            }
            Texts::Taken(rows) => {
                let r = &mut rows[k];
                let v = if extra { r.extras.get_mut(i)?.take() } else { r.fields[i].take() };
                v.map(|l| std::borrow::Cow::Owned(l.text))
            }
        }
    }
}

fn build_ledger_frame(refdata: &RefData, sub: &Submission, mut texts: Texts<'_>) -> PolarsResult<DataFrame> {
    // Exact repeats of an earlier row are reported by the validation and never reach the rollup. The rows
    // stay in sheet order, which the merge relies on to need no sort.
    let all = texts.rows();
    let mut order: Vec<usize> = (0..all.len()).filter(|&k| all[k].duplicate_of.is_none()).collect();
    // Sheet by sheet (a ledger split into county sheets), each in row order.
    let sheet_order = |r: &LedgerRow| sub.sheet_columns.iter().position(|(s, _)| *s == r.sheet).unwrap_or(0);
    if !order.is_sorted_by_key(|&k| (sheet_order(&all[k]), all[k].row)) {
        order.sort_by_key(|&k| (sheet_order(&all[k]), all[k].row));
    }
    let n = order.len();
    let ledger = &refdata.ledger;
    let (ent, ind) = (ledger.keys.enterprise, ledger.keys.industry);
    // The columns made from several fields first, while every field is still there.
    let rows = || order.iter().map(|&k| &all[k]);
    let row_numbers = Column::new(cols::ROW.into(), rows().map(|r| r.row).collect::<Vec<u32>>());
    // A ledger split into one sheet per county: the sheet names the county of each row.
    let county = (sub.sheet_columns.len() > 1).then(|| str_col(&county_name(refdata), rows().map(|r| Some(r.sheet.as_str())).collect()));
    let cell = str_col(cols::CELL, rows().map(|r| Some(r.fields[ent].as_ref().map(|l| l.location()).unwrap_or_else(|| format!("{}!第{}行", r.sheet, r.row_number())))).collect());
    let key = str_col(cols::KEY, rows().map(|r| Some(enterprise_key(r.text(ent)))).collect());
    let group = str_col(
        cols::INDUSTRY_GROUP,
        rows()
            .map(|r| {
                let v = r.text(ind);
                Some(if v.is_empty() { "(未填写)".to_string() } else { ledger.industry(v).unwrap_or(v).to_string() })
            })
            .collect(),
    );
    let mut columns = vec![row_numbers];
    let names = text_column_names(refdata, sub);
    let fields = ledger.columns.len();
    for (i, name) in names.iter().enumerate() {
        let (j, extra) = if i < fields { (i, false) } else { (i - fields, true) };
        columns.push(str_col(name, order.iter().map(|&k| texts.text(k, j, extra)).collect()));
    }
    columns.extend(county);
    columns.extend([cell, key, group]);
    DataFrame::new(n, columns)
}

/// The names of a return frame's text columns: the ledger's columns (序号 as the original 序号), then the
/// extra columns.
fn text_column_names(refdata: &RefData, sub: &Submission) -> Vec<String> {
    let seq = Some(refdata.ledger.keys.seq);
    let ledger = refdata.ledger.columns.iter().enumerate().map(|(i, spec)| if Some(i) == seq { cols::ORIGINAL_SEQ.to_string() } else { spec.name.clone() });
    ledger.chain(sub.extra_columns.iter().map(|name| extra_name(refdata, name))).collect()
}

fn county_name(refdata: &RefData) -> String {
    extra_name(refdata, cols::COUNTY_SHEET)
}

/// Every column name of a return's frame, in order.
fn frame_names(refdata: &RefData, sub: &Submission) -> Vec<String> {
    let mut names = vec![cols::ROW.to_string()];
    names.extend(text_column_names(refdata, sub));
    if sub.sheet_columns.len() > 1 {
        names.push(county_name(refdata));
    }
    names.extend([cols::CELL, cols::KEY, cols::INDUSTRY_GROUP].map(String::from));
    names
}

/// The name of an extra column in the rollup; a header that collides with one of the rollup's own columns
/// is prefixed so both survive.
pub(super) fn extra_name(refdata: &RefData, name: &str) -> String {
    let reserved = [cols::SEQ, cols::PREFECTURE, cols::ZONE, cols::FILE, cols::CELL, cols::ORIGINAL_SEQ, cols::INDUSTRY_GROUP];
    if reserved.contains(&name) || refdata.ledger.columns.iter().any(|c| c.name == name) || name.starts_with('_') {
        format!("附加:{name}")
    } else {
        name.to_string()
    }
}

pub(super) fn progress_frame(refdata: &RefData, sub: &Submission, idx: u32, pref: &str, pref_order: u32) -> PolarsResult<DataFrame> {
    let n = sub.progress.len();
    let mut columns = vec![
        Column::new(cols::P_ORDER.into(), vec![pref_order; n]),
        Column::new(cols::SUB.into(), vec![idx; n]),
        Column::new(cols::TASK.into(), sub.progress.iter().map(|p| p.task).collect::<Vec<u32>>()),
        str_col(cols::PREFECTURE, vec![Some(pref.to_string()); n]),
        str_col(
            cols::STATUS,
            sub.progress.iter().map(|p| p.status_canonical.clone().or_else(|| p.status.as_ref().map(|s| s.text.clone()))).collect(),
        ),
        str_col(cols::NARRATIVE, sub.progress.iter().map(|p| p.narrative.as_ref().map(|l| l.text.clone())).collect()),
        str_col(cols::VALUE, sub.progress.iter().map(|p| p.value.as_ref().map(|l| l.text.clone())).collect()),
    ];
    for (e, name) in sub.progress_extra_columns.iter().enumerate() {
        let name = if [cols::TASK, cols::PREFECTURE, cols::STATUS, cols::NARRATIVE, cols::VALUE, cols::FILE, cols::CELL].contains(&name.as_str()) {
            format!("附加:{name}")
        } else {
            name.clone()
        };
        let _ = refdata;
        columns.push(str_col(&name, sub.progress.iter().map(|p| p.extras.get(e).cloned().flatten().map(|l| l.text)).collect()));
    }
    columns.push(str_col(cols::FILE, vec![Some(sub.file_name()); n]));
    columns.push(str_col(cols::CELL, sub.progress.iter().map(|p| Some(format!("{}!第{}行", p.sheet, p.row + 1))).collect()));
    DataFrame::new(n, columns)
}
