//! The one representation every reader produces: a sparse [`Grid`] of the non-empty cells of each sheet,
//! merged ranges filled with the value of their top-left cell, and the [`Limits`] that bound it.

use crate::cell::CellRef;
use crate::text::{clean_text, format_datetime, format_number, is_blank};

use super::error::ReadError;

/// Bounds on what one file may make taizhang spend.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest file read, in bytes.
    pub max_file_bytes: u64,
    /// Largest total decompressed size of a zip-based workbook (xlsx, xlsb, ods), in bytes.
    pub max_unzipped_bytes: u64,
    /// Largest number of non-empty cells in one sheet.
    pub max_cells: usize,
    /// Largest area one merged range may fill (larger merges keep their value in the top-left cell only).
    pub max_merge_area: u64,
    /// Most memory calamine may take for an xls workbook (it holds sheets as dense rectangles); beyond it
    /// a sparse reader of taizhang's own reads the workbook.
    pub max_xls_bytes: u64,
    /// Most memory calamine may reserve for an xls workbook on the word of its DIMENSIONS records; beyond
    /// it the sparse reader reads the workbook. A reservation is not touched, so this can be larger than
    /// `max_xls_bytes`; what it prevents is an allocation the system refuses, which aborts the process.
    pub max_xls_reserve_bytes: u64,
    /// Most table cells a markup file (an HTML page, a Word document, an Excel 2003 XML workbook) may hold,
    /// empty ones included. An empty cell costs nothing in the grid but it is parsed, and in HTML and Word
    /// a tree node is made for it: a 200 KB zip can hold millions of `<td></td>`. Counted before any tree
    /// is built (HTML, Word) or while streaming (Excel 2003 XML). A million is twenty times the largest
    /// ledger the province has seen; an HTML page of a million cells peaks at 0.4 GB while read (measured),
    /// an Excel 2003 XML workbook at 0.15 GB.
    pub max_fields: usize,
    /// Most elements and attributes an HTML page, or elements a Word document, may hold. Their readers
    /// build the whole document tree before the first cell is read (HTML5 tree building needs it, and so
    /// does docx-rs), a few hundred bytes an element; a cheap scan counts them first.
    pub max_markup_elements: usize,
    /// Most paragraphs, runs, cells, rows and tables a Word document may hold. docx-rs makes a struct of
    /// nearly two kilobytes for each (their properties included), so these, not the elements, set the
    /// memory a document takes: 200,000 of them peak at about 0.35 GB (measured), and a 2,000-row 附件2 in
    /// Word has some 60,000.
    pub max_word_nodes: usize,
    pub max_markup_depth: usize,
    /// Largest text file (CSV, HTML, XML) read, in bytes: its text is decoded whole. Ten times a
    /// national return in CSV; what comes decompressed from an archive is held to it too.
    pub max_text_bytes: u64,
    /// Longest line of a CSV file, in bytes. The CSV reader builds a whole record before it hands it on,
    /// so a file of one endless line (a hostile one: 200 MB of commas) is refused by a scan first. A
    /// record of nine columns of long text is some hundred kilobytes.
    pub max_record_bytes: usize,
    /// When the reading must stop: past it every reader gives up at its next check
    /// ([`ReadError::TimedOut`]) instead of going on in a thread nobody waits for. Set by the batch from
    /// its time-out; `None` reads without one.
    pub deadline: Option<std::time::Instant>,
}

impl Limits {
    /// The error for a sheet with more non-empty cells than [`Limits::max_cells`].
    pub(crate) fn too_many_cells(&self) -> ReadError {
        ReadError::TooLarge(format!("工作表超过 {} 个非空单元格", self.max_cells))
    }

    /// The error for a markup file with more table cells, empty ones included, than [`Limits::max_fields`].
    pub(crate) fn too_many_fields(&self) -> ReadError {
        ReadError::TooLarge(format!("表格超过 {} 个单元格(含空白单元格)", self.max_fields))
    }

    /// [`ReadError::TimedOut`] once the deadline has passed: the readers call it in their loops.
    pub(crate) fn in_time(&self) -> Result<(), ReadError> {
        match self.deadline {
            Some(d) if std::time::Instant::now() >= d => Err(ReadError::TimedOut),
            _ => Ok(()),
        }
    }

    /// The error for a markup file with more elements than [`Limits::max_markup_elements`].
    pub(crate) fn too_many_elements(&self) -> ReadError {
        ReadError::TooLarge(format!("文档超过 {} 个元素", self.max_markup_elements))
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 256 << 20,
            max_unzipped_bytes: 256 << 20,
            max_cells: 4_000_000,
            max_merge_area: 100_000,
            max_xls_bytes: 320 << 20,
            max_xls_reserve_bytes: 1 << 30,
            max_fields: 1_000_000,
            max_markup_elements: 1_500_000,
            max_word_nodes: 200_000,
            max_markup_depth: 64,
            max_text_bytes: 64 << 20,
            max_record_bytes: 1 << 20,
            deadline: None,
        }
    }
}

/// The formats taizhang reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Format {
    Xlsx,
    Xlsm,
    Xlsb,
    Xls,
    Ods,
    Csv,
    /// A Word document holding the table (附件2 filled in Word).
    Docx,
    /// An HTML page holding a table, as other systems export it under an .xls name.
    Html,
    /// A web archive (.mht, "单个文件网页") saved by Excel or WPS: MIME parts, one HTML page a sheet.
    Mhtml,
    /// Excel 2003 XML (SpreadsheetML), saved as .xml or .xls.
    Xml2003,
}

impl Format {
    pub fn name(&self) -> &'static str {
        match self {
            Format::Xlsx => "xlsx",
            Format::Xlsm => "xlsm",
            Format::Xlsb => "xlsb",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Csv => "csv",
            Format::Docx => "docx",
            Format::Html => "html",
            Format::Mhtml => "mht",
            Format::Xml2003 => "xml2003",
        }
    }
}

/// A cell value as read, before it becomes text.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Bool(bool),
    DateTime(chrono::NaiveDateTime),
    /// A duration or time kept as the text the file held.
    Other(String),
    /// A formula error such as #N/A, as Excel shows it.
    Error(String),
}

impl Value {
    /// The value as normalized text (see `text`): numbers without a spurious ".0", dates as 2018-09-30.
    pub fn to_text(&self) -> String {
        match self {
            Value::Text(s) => clean_text(s),
            Value::Number(n) => format_number(*n),
            Value::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
            Value::DateTime(d) => format_datetime(*d),
            Value::Other(s) | Value::Error(s) => s.clone(),
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Value::Error(_))
    }
}

/// One non-empty cell.
#[derive(Debug, Clone, PartialEq)]
pub struct GridCell {
    pub pos: CellRef,
    pub value: Value,
    /// Where the value is written in the file: `pos` itself, or the top-left cell of the merged range that
    /// covers `pos`.
    pub origin: CellRef,
}

impl GridCell {
    /// True for a copy made by filling a merged range, false for the cell that holds the value.
    pub fn is_merge_copy(&self) -> bool {
        self.pos != self.origin
    }
}

/// A merged range, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub first: CellRef,
    pub last: CellRef,
}

impl Rect {
    /// The range between two corners given in any order (damaged files give them reversed).
    pub fn new(a: CellRef, b: CellRef) -> Rect {
        Rect { first: CellRef::new(a.row.min(b.row), a.col.min(b.col)), last: CellRef::new(a.row.max(b.row), a.col.max(b.col)) }
    }

    pub fn area(&self) -> u64 {
        (u64::from(self.last.row.abs_diff(self.first.row)) + 1) * (u64::from(self.last.col.abs_diff(self.first.col)) + 1)
    }

    pub fn contains(&self, c: CellRef) -> bool {
        (self.first.row..=self.last.row).contains(&c.row) && (self.first.col..=self.last.col).contains(&c.col)
    }
}

/// The non-empty cells of a sheet, sorted by row then column, with merged ranges filled.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    cells: Vec<GridCell>,
    /// (row, index of its first cell in `cells`, one past its last).
    rows: Vec<(u32, usize, usize)>,
    merges: Vec<Rect>,
}

impl Grid {
    /// Builds a grid from cells in any order (empty text is dropped) and the sheet's merged ranges.
    pub fn new(mut cells: Vec<(CellRef, Value)>, merges: Vec<Rect>, limits: &Limits) -> Grid {
        cells.retain(|(_, v)| !matches!(v, Value::Text(s) if is_blank(s)));
        cells.sort_by_key(|(p, _)| *p);
        cells.dedup_by_key(|(p, _)| *p);
        let mut out: Vec<GridCell> = cells.into_iter().map(|(pos, value)| GridCell { pos, value, origin: pos }).collect();
        let mut filled = Vec::new();
        let mut budget = limits.max_cells.saturating_sub(out.len());
        for m in &merges {
            if m.area() <= 1 || m.area() > limits.max_merge_area {
                continue;
            }
            let Ok(i) = out.binary_search_by_key(&m.first, |c| c.pos) else { continue };
            let value = out[i].value.clone();
            for r in m.first.row..=m.last.row {
                for c in m.first.col..=m.last.col {
                    let pos = CellRef::new(r, c);
                    if pos == m.first || budget == 0 {
                        continue;
                    }
                    budget -= 1;
                    filled.push(GridCell { pos, value: value.clone(), origin: m.first });
                }
            }
        }
        if !filled.is_empty() {
            // A covered cell that still holds a value of its own (possible in hand-edited files) keeps it.
            filled.retain(|f| out.binary_search_by_key(&f.pos, |c| c.pos).is_err());
            // Exactly: `out` is full, and growing it by doubling would hold a large sheet's cells twice.
            out.reserve_exact(filled.len());
            out.extend(filled);
            out.sort_by_key(|c| c.pos);
        }
        let mut rows = Vec::new();
        let mut i = 0;
        while i < out.len() {
            let r = out[i].pos.row;
            let start = i;
            while i < out.len() && out[i].pos.row == r {
                i += 1;
            }
            rows.push((r, start, i));
        }
        Grid { cells: out, rows, merges }
    }

    /// The cell at `pos`, if it is not empty.
    pub fn get(&self, pos: CellRef) -> Option<&GridCell> {
        let row = self.row(pos.row);
        row.binary_search_by_key(&pos.col, |c| c.pos.col).ok().map(|i| &row[i])
    }

    /// The non-empty cells of row `r`, left to right.
    pub fn row(&self, r: u32) -> &[GridCell] {
        match self.rows.binary_search_by_key(&r, |(row, _, _)| *row) {
            Ok(i) => &self.cells[self.rows[i].1..self.rows[i].2],
            Err(_) => &[],
        }
    }

    /// The numbers of the rows that have content, top to bottom.
    pub fn row_numbers(&self) -> impl Iterator<Item = u32> + '_ {
        self.rows.iter().map(|(r, _, _)| *r)
    }

    /// Every non-empty cell, row by row.
    pub fn cells(&self) -> &[GridCell] {
        &self.cells
    }

    pub fn merges(&self) -> &[Rect] {
        &self.merges
    }

    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// The merged range whose top-left cell is `pos`.
    pub fn merge_at(&self, pos: CellRef) -> Option<&Rect> {
        self.merges.iter().find(|m| m.first == pos)
    }
}

/// Whether people can see a sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Visible,
    Hidden,
    VeryHidden,
}

/// One sheet as read.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub visibility: Visibility,
    pub grid: Grid,
    /// Why the sheet could not be read, when the rest of the workbook could.
    pub error: Option<ReadError>,
    /// Cells holding a formula whose value the file does not hold: files written by scripts (openpyxl)
    /// carry the formula and leave computing it to Excel, so the cell comes through empty. Sorted.
    pub formulas_without_value: Vec<CellRef>,
    /// Zero-based rows that are the totals row of an Excel table (ListObject) shown with its totals row,
    /// which Chinese Excel labels 汇总: a sum, not an enterprise. Sorted.
    pub total_rows: Vec<u32>,
}

impl Sheet {
    /// A sheet with neither formulas without value nor totals rows (formats that cannot say so).
    pub fn new(name: impl Into<String>, visibility: Visibility, grid: Grid, error: Option<ReadError>) -> Sheet {
        Sheet { name: name.into(), visibility, grid, error, formulas_without_value: Vec::new(), total_rows: Vec::new() }
    }
}

/// A workbook as read.
#[derive(Debug, Clone)]
pub struct Workbook {
    pub format: Format,
    pub sheets: Vec<Sheet>,
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merged_ranges_fill_with_origin() {
        let cells = vec![(CellRef::new(0, 0), Value::Text("白酒".into())), (CellRef::new(0, 1), Value::Text("甲".into()))];
        let merges = vec![Rect { first: CellRef::new(0, 0), last: CellRef::new(2, 0) }];
        let g = Grid::new(cells, merges, &Limits::default());
        let c = g.get(CellRef::new(2, 0)).unwrap();
        assert_eq!(c.value, Value::Text("白酒".into()));
        assert_eq!(c.origin, CellRef::new(0, 0));
        assert!(c.is_merge_copy());
        assert_eq!(g.row(1).len(), 1);
        assert_eq!(g.row_numbers().collect::<Vec<_>>(), vec![0, 1, 2]);
    }

    #[test]
    fn reversed_merges_are_normalized() {
        // Found by the fuzzer: a merged range whose corners came reversed made the area underflow.
        let r = Rect::new(CellRef::new(5, 3), CellRef::new(2, 1));
        assert_eq!((r.first, r.last), (CellRef::new(2, 1), CellRef::new(5, 3)));
        assert_eq!(r.area(), 12);
    }
}
