//! The province's ledger as the merge leaves it: the accepted returns' frames in official order, each a
//! part that is in memory or spilled to disk, numbered 序号 1, 2, … across all of them.
//!
//! The rows are never stacked into one frame: the 附件2 sheet is written part by part, and what needs
//! every row (enterprises in two prefectures, the industry counts) reads only the few columns it needs.
//! So `consolidate`, which spills each return as it is read, holds a million rows' text nowhere at once.

use polars::prelude::*;

use super::frames::Frames;
use super::layout::cols;

/// One accepted return's rows.
#[derive(Debug, Clone)]
struct ReturnRows {
    frames: Frames,
    /// The prefecture's place in the official order, and the submission's index.
    p_order: u32,
    sub: u32,
    prefecture: String,
    file: String,
    /// 序号 of its first row.
    first_seq: u32,
}

/// Columns a part gets from the merge rather than from its frame.
const DERIVED: [&str; 5] = [cols::SEQ, cols::P_ORDER, cols::SUB, cols::PREFECTURE, cols::FILE];

impl ReturnRows {
    fn height(&self) -> usize {
        self.frames.distinct_rows
    }

    /// The part's rows with its provenance columns; only `columns` when given.
    fn frame(&self, columns: Option<&[&str]>) -> PolarsResult<DataFrame> {
        let stored: Option<Vec<&str>> = columns.map(|c| c.iter().copied().filter(|n| !DERIVED.contains(n)).collect());
        let df = self.frames.load(stored.as_deref())?;
        let mut lf = df
            .lazy()
            .with_columns([
                lit(self.p_order).cast(DataType::UInt32).alias(cols::P_ORDER),
                lit(self.sub).cast(DataType::UInt32).alias(cols::SUB),
                lit(self.prefecture.clone()).alias(cols::PREFECTURE),
                lit(self.file.clone()).alias(cols::FILE),
            ])
            .with_row_index(cols::SEQ, Some(self.first_seq));
        if let Some(c) = columns {
            lf = lf.select(c.iter().map(|n| col(*n)).collect::<Vec<_>>());
        }
        lf.collect()
    }
}

/// The merged ledger, part by part.
#[derive(Debug, Clone, Default)]
pub struct StackedLedger {
    parts: Vec<ReturnRows>,
    height: usize,
    /// The columns of a ledger without rows, so that an empty rollup still has its headers.
    empty: DataFrame,
}

impl StackedLedger {
    pub(super) fn new(empty: DataFrame) -> Self {
        StackedLedger { parts: Vec::new(), height: 0, empty }
    }

    /// Adds the next return in official order.
    pub(super) fn push(&mut self, frames: Frames, p_order: u32, sub: u32, prefecture: String, file: String) {
        let first_seq = self.height as u32 + 1;
        let part = ReturnRows { frames, p_order, sub, prefecture, file, first_seq };
        self.height += part.height();
        self.parts.push(part);
    }

    /// Rows in all.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Each return's rows in official order, with 序号, 填报市州 and 来源文件, read back one at a time.
    pub fn parts(&self) -> impl Iterator<Item = PolarsResult<DataFrame>> + '_ {
        self.parts.iter().map(|p| p.frame(None))
    }

    /// Some columns of every row, stacked (each must be in every return's frame, or one the merge adds).
    ///
    /// # Errors
    /// When a spilled part cannot be read back.
    pub fn select(&self, columns: &[&str]) -> PolarsResult<DataFrame> {
        if self.parts.is_empty() {
            return self.empty.select(columns.iter().copied());
        }
        let frames: Vec<LazyFrame> = self.parts.iter().map(|p| p.frame(Some(columns)).map(IntoLazy::lazy)).collect::<PolarsResult<_>>()?;
        concat(frames, UnionArgs { rechunk: false, ..UnionArgs::default() })?.collect()
    }

    /// Some columns of the rows `keep` chooses, return by return, stacked: only the chosen rows are ever
    /// held together.
    ///
    /// # Errors
    /// When a spilled part cannot be read back, or `keep` fails.
    pub fn select_where(&self, columns: &[&str], keep: &dyn Fn(&DataFrame) -> PolarsResult<BooleanChunked>) -> PolarsResult<DataFrame> {
        let mut out: Option<DataFrame> = None;
        for p in &self.parts {
            let df = p.frame(Some(columns))?;
            let df = df.filter(&keep(&df)?)?;
            match &mut out {
                Some(o) => {
                    o.vstack_mut(&df)?;
                }
                None => out = Some(df),
            }
        }
        match out {
            Some(o) => Ok(o),
            None => self.empty.select(columns.iter().copied()),
        }
    }

    /// Every row and column as one frame (the exports); returns that lack an extra column have it empty.
    ///
    /// # Errors
    /// When a spilled part cannot be read back.
    pub fn to_frame(&self) -> PolarsResult<DataFrame> {
        if self.parts.is_empty() {
            return Ok(self.empty.clone());
        }
        let frames: Vec<LazyFrame> = self.parts().map(|f| f.map(IntoLazy::lazy)).collect::<PolarsResult<_>>()?;
        concat_lf_diagonal(frames, UnionArgs { rechunk: false, ..UnionArgs::default() })?.collect()
    }
}
