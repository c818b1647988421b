//! Reading a returned file into sheets of cells, whatever program wrote it.
//!
//! The format is taken from the content, never the extension: prefectures rename files, WPS saves xls
//! content as .xlsx, and mail gateways strip extensions. Every reader goes through one representation, a
//! sparse [`Grid`] of non-empty cells in which merged cells are filled with the value of their top-left cell
//! (remembering where the value came from), so that the importer handles every format the same way.
//!
//! Hostile input is bounded before memory is spent: file size, declared decompressed size of zip members,
//! and the number of cells of a sheet are checked against [`Limits`] while reading, not after.

use std::io::{Cursor, Read};
use std::path::Path;

use calamine::{Data, DataRef, Reader, SheetVisible};

use crate::cell::CellRef;
use crate::text::{clean_text, format_datetime, format_number, is_blank};

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
        }
    }
}

/// Why a file could not be read. Each reason has its own finding code and a message a prefecture can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The workbook needs a password to open (agile, standard, RC4, CryptoAPI or XOR obfuscation).
    #[error("文件已加密,请去除密码后重新报送")]
    Encrypted,
    /// Not a spreadsheet: a Word document, a picture, a PDF, an archive.
    #[error("该文件不是电子表格({0}),请报送 xlsx、xls 或 ods 格式的台账")]
    NotSpreadsheet(String),
    /// A spreadsheet format taizhang does not read (Excel 2–5 BIFF, flat ODS, HTML saved as xls).
    #[error("不支持的表格格式({0}),请用 Excel 或 WPS 另存为 xlsx 后重新报送")]
    Unsupported(String),
    /// Damaged or truncated.
    #[error("文件已损坏或不完整,无法读取({0}),请重新保存后报送")]
    Corrupt(String),
    /// Larger than the limits.
    #[error("文件过大:{0},请删除多余的行列或工作表后重新报送")]
    TooLarge(String),
    /// The file could not be opened at all.
    #[error("无法打开文件:{0}")]
    Io(String),
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
}

/// A workbook as read.
#[derive(Debug, Clone)]
pub struct Workbook {
    pub format: Format,
    pub sheets: Vec<Sheet>,
}

/// What the first bytes of a file say it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Zip,
    Cfb,
    /// Excel 2–4 worksheets and Excel 5 BIFF outside a compound file.
    OldBiff,
    Text,
    Other(String),
}

/// Tells the kind of file from its first bytes.
pub fn sniff(bytes: &[u8]) -> Kind {
    const CFB: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") || bytes.starts_with(b"PK\x07\x08") {
        return Kind::Zip;
    }
    if bytes.starts_with(CFB) {
        return Kind::Cfb;
    }
    // BIFF2–5 BOF records: 0x0009, 0x0209, 0x0409, 0x0809 followed by a small length.
    if bytes.len() >= 4 && bytes[0] == 0x09 && matches!(bytes[1], 0x00 | 0x02 | 0x04 | 0x08) && bytes[3] == 0 {
        return Kind::OldBiff;
    }
    let magic: &[(&[u8], &str)] = &[
        (b"%PDF", "PDF 文档"),
        (b"\x89PNG", "PNG 图片"),
        (b"\xFF\xD8\xFF", "JPEG 图片"),
        (b"GIF8", "GIF 图片"),
        (b"Rar!", "RAR 压缩包"),
        (b"7z\xBC\xAF", "7z 压缩包"),
        (b"\x1F\x8B", "gzip 压缩包"),
        (b"{\\rtf", "RTF 文档"),
    ];
    for (m, what) in magic {
        if bytes.starts_with(m) {
            return Kind::Other((*what).to_string());
        }
    }
    let head = &bytes[..bytes.len().min(4096)];
    if head.iter().filter(|b| **b == 0).count() > head.len() / 100 + 1 {
        return Kind::Other("二进制文件".into());
    }
    Kind::Text
}

/// Reads a file.
///
/// # Errors
/// A [`ReadError`] saying why the file as a whole cannot be read. A sheet that cannot be read while the
/// others can is returned with [`Sheet::error`] set instead.
pub fn read_file(path: &Path, limits: &Limits) -> Result<Workbook, ReadError> {
    let meta = std::fs::metadata(path).map_err(|e| ReadError::Io(e.to_string()))?;
    if meta.len() > limits.max_file_bytes {
        return Err(ReadError::TooLarge(format!("文件大小 {} MB 超过上限 {} MB", meta.len() >> 20, limits.max_file_bytes >> 20)));
    }
    let bytes = std::fs::read(path).map_err(|e| ReadError::Io(e.to_string()))?;
    read_bytes(bytes, limits)
}

/// Reads a file held in memory.
///
/// # Errors
/// As [`read_file`].
pub fn read_bytes(bytes: Vec<u8>, limits: &Limits) -> Result<Workbook, ReadError> {
    match sniff(&bytes) {
        Kind::Zip => read_zip(bytes, limits),
        Kind::Cfb => read_cfb(bytes, limits),
        Kind::OldBiff => Err(ReadError::Unsupported("Excel 2.0–5.0 旧格式".into())),
        Kind::Text => read_text(&bytes, limits),
        Kind::Other(what) => Err(ReadError::NotSpreadsheet(what)),
    }
}

fn corrupt(e: impl std::fmt::Display) -> ReadError {
    let mut s = e.to_string();
    if s.chars().count() > 120 {
        s = s.chars().take(120).collect::<String>() + "…";
    }
    ReadError::Corrupt(s)
}

/// Zip containers: xlsx, xlsm, xlsb, ods — or a Word document or an archive of files.
fn read_zip(bytes: Vec<u8>, limits: &Limits) -> Result<Workbook, ReadError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(&bytes)).map_err(corrupt)?;
    let mut total: u64 = 0;
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(corrupt)?;
        total = total.saturating_add(f.size());
        names.push(f.name().map(|n| n.to_string()).unwrap_or_default());
    }
    if total > limits.max_unzipped_bytes {
        return Err(ReadError::TooLarge(format!(
            "解压后 {} MB,超过上限 {} MB",
            total >> 20,
            limits.max_unzipped_bytes >> 20
        )));
    }
    let has = |n: &str| names.iter().any(|x| x.eq_ignore_ascii_case(n));
    let mimetype = if has("mimetype") {
        let mut s = String::new();
        if let Ok(f) = zip.by_name("mimetype") {
            let _ = f.take(200).read_to_string(&mut s);
        }
        s
    } else {
        String::new()
    };
    if mimetype.contains("opendocument.spreadsheet") || (has("content.xml") && !has("[Content_Types].xml")) {
        if !mimetype.is_empty() && !mimetype.contains("spreadsheet") {
            return Err(ReadError::NotSpreadsheet("OpenDocument 文本或演示文稿".into()));
        }
        // A password-protected OpenDocument file lists the encryption of its parts in the manifest.
        if let Ok(f) = zip.by_name("META-INF/manifest.xml") {
            let mut manifest = String::new();
            let _ = f.take(4 << 20).read_to_string(&mut manifest);
            if manifest.contains("encryption-data") {
                return Err(ReadError::Encrypted);
            }
        }
        let spans = crate::ods::scan(&mut zip, limits)?;
        drop(zip);
        return read_ods(bytes, spans, limits);
    }
    let lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    let any = |pred: &dyn Fn(&str) -> bool| lower.iter().any(|n| pred(n));
    if any(&|n| n.ends_with("workbook.bin")) {
        drop(zip);
        return read_xlsb(bytes, limits);
    }
    let spreadsheet_parts = any(&|n| n.starts_with("xl/"));
    if !spreadsheet_parts && any(&|n| n.starts_with("word/")) {
        return Err(ReadError::NotSpreadsheet("Word 文档".into()));
    }
    if !spreadsheet_parts && any(&|n| n.starts_with("ppt/")) {
        return Err(ReadError::NotSpreadsheet("PowerPoint 演示文稿".into()));
    }
    if !spreadsheet_parts && !has("[Content_Types].xml") {
        return Err(ReadError::NotSpreadsheet("zip 压缩包".into()));
    }
    // An OOXML package, where the workbook part may sit anywhere the relationships say: calamine decides.
    let macros = any(&|n| n.ends_with("vbaproject.bin"));
    drop(zip);
    let mut wb = read_xlsx(bytes, limits)?;
    if macros {
        wb.format = Format::Xlsm;
    }
    Ok(wb)
}

fn visibility(v: SheetVisible) -> Visibility {
    match v {
        SheetVisible::Visible => Visibility::Visible,
        SheetVisible::Hidden => Visibility::Hidden,
        SheetVisible::VeryHidden => Visibility::VeryHidden,
    }
}

fn too_many_cells(limits: &Limits) -> ReadError {
    ReadError::TooLarge(format!("工作表超过 {} 个非空单元格", limits.max_cells))
}

fn from_data_ref(d: DataRef<'_>) -> Option<Value> {
    Some(match d {
        DataRef::Empty => return None,
        DataRef::String(s) => Value::Text(s),
        DataRef::SharedString(s) => Value::Text(s.to_string()),
        DataRef::Int(i) => Value::Number(i as f64),
        DataRef::Float(f) => Value::Number(f),
        DataRef::Bool(b) => Value::Bool(b),
        DataRef::DateTime(dt) => excel_datetime(&dt),
        DataRef::DateTimeIso(s) => iso_datetime(&s),
        DataRef::DurationIso(s) => Value::Other(s),
        DataRef::Error(e) => Value::Error(e.to_string()),
    })
}

fn from_data(d: &Data) -> Option<Value> {
    Some(match d {
        Data::Empty => return None,
        Data::String(s) => Value::Text(s.clone()),
        Data::Int(i) => Value::Number(*i as f64),
        Data::Float(f) => Value::Number(*f),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(dt) => excel_datetime(dt),
        Data::DateTimeIso(s) => iso_datetime(s),
        Data::DurationIso(s) => Value::Other(s.clone()),
        Data::Error(e) => Value::Error(e.to_string()),
    })
}

fn excel_datetime(dt: &calamine::ExcelDateTime) -> Value {
    if dt.is_datetime()
        && let Some(d) = dt.as_datetime()
    {
        return Value::DateTime(d);
    }
    // Durations and dates outside chrono's range keep their serial number.
    Value::Number(dt.as_f64())
}

fn iso_datetime(s: &str) -> Value {
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Value::DateTime(d);
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Value::DateTime(d.and_time(chrono::NaiveTime::MIN));
    }
    Value::Other(s.to_string())
}

fn rect(d: &calamine::Dimensions) -> Rect {
    Rect::new(CellRef::new(d.start.0, d.start.1), CellRef::new(d.end.0, d.end.1))
}

/// Collects the cells a streaming reader (xlsx, xlsb) yields, stopping at the cell limit or an error, so
/// that a sheet is never held densely and never larger than allowed.
fn stream_cells<'d, E: std::fmt::Display>(
    mut next: impl FnMut() -> Result<Option<calamine::Cell<DataRef<'d>>>, E>,
    limits: &Limits,
) -> (Vec<(CellRef, Value)>, Option<ReadError>) {
    let mut cells = Vec::new();
    loop {
        match next() {
            Ok(Some(c)) => {
                let (r, col) = c.get_position();
                if let Some(v) = from_data_ref(c.get_value().clone()) {
                    if cells.len() >= limits.max_cells {
                        return (cells, Some(too_many_cells(limits)));
                    }
                    cells.push((CellRef::new(r, col), v));
                }
            }
            Ok(None) => return (cells, None),
            Err(e) => return (cells, Some(corrupt(e))),
        }
    }
}

fn read_xlsx(bytes: Vec<u8>, limits: &Limits) -> Result<Workbook, ReadError> {
    let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    let meta: Vec<_> = wb.sheets_metadata().to_vec();
    let mut sheets = Vec::new();
    for m in meta {
        if m.typ != calamine::SheetType::WorkSheet {
            continue;
        }
        let (cells, error) = match wb.worksheet_cells_reader(&m.name) {
            Ok(mut reader) => stream_cells(|| reader.next_cell(), limits),
            Err(e) => (Vec::new(), Some(corrupt(e))),
        };
        let merges = if error.is_none() {
            wb.merge_cells_by_sheet_name(&m.name).map(|v| v.iter().map(rect).collect()).unwrap_or_default()
        } else {
            Vec::new()
        };
        sheets.push(Sheet { name: m.name, visibility: visibility(m.visible), grid: Grid::new(cells, merges, limits), error });
    }
    Ok(Workbook { format: Format::Xlsx, sheets })
}

fn xlsx_error(e: calamine::XlsxError) -> ReadError {
    corrupt(e)
}

fn read_xlsb(bytes: Vec<u8>, limits: &Limits) -> Result<Workbook, ReadError> {
    let mut wb: calamine::Xlsb<_> = calamine::Xlsb::new(Cursor::new(bytes)).map_err(corrupt)?;
    let meta: Vec<_> = wb.sheets_metadata().to_vec();
    let mut sheets = Vec::new();
    for m in meta {
        if m.typ != calamine::SheetType::WorkSheet {
            continue;
        }
        let (cells, error) = match wb.worksheet_cells_reader(&m.name) {
            Ok(mut reader) => stream_cells(|| reader.next_cell(), limits),
            Err(e) => (Vec::new(), Some(corrupt(e))),
        };
        // calamine does not expose xlsb merged ranges; values stay in the top-left cell.
        sheets.push(Sheet { name: m.name, visibility: visibility(m.visible), grid: Grid::new(cells, Vec::new(), limits), error });
    }
    Ok(Workbook { format: Format::Xlsb, sheets })
}

fn range_cells(range: &calamine::Range<Data>, limits: &Limits) -> Result<Vec<(CellRef, Value)>, ReadError> {
    let mut cells = Vec::new();
    for (r, c, d) in range.used_cells() {
        if let Some(v) = from_data(d) {
            if cells.len() >= limits.max_cells {
                return Err(too_many_cells(limits));
            }
            let start = range.start().unwrap_or((0, 0));
            cells.push((CellRef::new(start.0 + r as u32, start.1 + c as u32), v));
        }
    }
    Ok(cells)
}

fn read_ods(bytes: Vec<u8>, spans: crate::ods::Spans, limits: &Limits) -> Result<Workbook, ReadError> {
    let mut wb: calamine::Ods<_> = calamine::Ods::new(Cursor::new(bytes)).map_err(corrupt)?;
    let meta: Vec<_> = wb.sheets_metadata().to_vec();
    let mut sheets = Vec::new();
    for (i, m) in meta.into_iter().enumerate() {
        let merges = spans.by_sheet.get(i).cloned().unwrap_or_default();
        let (grid, error) = match wb.worksheet_range(&m.name).map_err(corrupt).and_then(|r| range_cells(&r, limits)) {
            Ok(cells) => (Grid::new(cells, merges, limits), None),
            Err(e) => (Grid::default(), Some(e)),
        };
        sheets.push(Sheet { name: m.name, visibility: visibility(m.visible), grid, error });
    }
    Ok(Workbook { format: Format::Ods, sheets })
}

/// Compound files: xls (BIFF8), or an encrypted OOXML workbook, or a Word/PowerPoint document.
fn read_cfb(bytes: Vec<u8>, limits: &Limits) -> Result<Workbook, ReadError> {
    match crate::biff::inspect(&bytes) {
        crate::biff::CfbKind::Xls { encrypted: true, .. } | crate::biff::CfbKind::EncryptedOoxml => {
            return Err(ReadError::Encrypted);
        }
        crate::biff::CfbKind::Xls { memory, stream, .. }
            if memory.dense > limits.max_xls_bytes || memory.reserved > limits.max_xls_reserve_bytes =>
        {
            // calamine would hold the sheets as dense rectangles, or ask for more memory up front than a
            // machine may grant; read the cells that exist instead.
            return crate::biff_sparse::read(&stream, limits);
        }
        crate::biff::CfbKind::Xls { .. } => {}
        crate::biff::CfbKind::Other(what) => return Err(ReadError::NotSpreadsheet(what)),
        // The cfb crate is stricter than calamine's own reader about damaged allocation tables: let
        // calamine try, and report the damage only if it fails too.
        crate::biff::CfbKind::Broken(_) => {}
        crate::biff::CfbKind::Unsafe(why) => return Err(ReadError::Corrupt(why)),
    }
    let mut wb: calamine::Xls<_> = calamine::Xls::new(Cursor::new(bytes)).map_err(|e| match e {
        calamine::XlsError::Password => ReadError::Encrypted,
        e => corrupt(e),
    })?;
    let meta: Vec<_> = wb.sheets_metadata().to_vec();
    let mut sheets = Vec::new();
    for m in meta {
        if m.typ != calamine::SheetType::WorkSheet {
            continue;
        }
        let merges: Vec<Rect> = wb.merge_cells_by_sheet_name(&m.name).unwrap_or_default().iter().map(rect).collect();
        let (grid, error) = match wb.worksheet_range(&m.name).map_err(corrupt).and_then(|r| range_cells(&r, limits)) {
            Ok(cells) => (Grid::new(cells, merges, limits), None),
            Err(e) => (Grid::default(), Some(e)),
        };
        sheets.push(Sheet { name: m.name, visibility: visibility(m.visible), grid, error });
    }
    Ok(Workbook { format: Format::Xls, sheets })
}

/// CSV in UTF-8 (with or without BOM) or GB18030, comma, tab or semicolon separated.
fn read_text(bytes: &[u8], limits: &Limits) -> Result<Workbook, ReadError> {
    let text = decode_text(bytes);
    let trimmed = text.trim_start();
    let lower: String = trimmed.chars().take(200).collect::<String>().to_ascii_lowercase();
    if lower.starts_with("<?xml") && text.contains("office:document") {
        return Err(ReadError::Unsupported("OpenDocument 平面 XML(fods)".into()));
    }
    if lower.starts_with("<html") || lower.starts_with("<!doctype html") || lower.contains("<table") {
        return Err(ReadError::Unsupported("网页(HTML)格式,常见于系统导出的“xls”文件".into()));
    }
    if lower.starts_with("<?xml") {
        return Err(ReadError::Unsupported("XML 表格".into()));
    }
    let delimiter = sniff_delimiter(&text);
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut cells = Vec::new();
    for (r, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(corrupt)?;
        for (c, field) in rec.iter().enumerate() {
            if field.trim().is_empty() {
                continue;
            }
            if cells.len() >= limits.max_cells {
                return Err(too_many_cells(limits));
            }
            cells.push((CellRef::new(r as u32, c as u32), Value::Text(field.to_string())));
        }
    }
    if cells.is_empty() {
        return Err(ReadError::NotSpreadsheet("空白文本文件".into()));
    }
    let grid = Grid::new(cells, Vec::new(), limits);
    Ok(Workbook { format: Format::Csv, sheets: vec![Sheet { name: "csv".into(), visibility: Visibility::Visible, grid, error: None }] })
}

/// UTF-8 when the bytes are valid UTF-8 (BOM removed), GB18030 otherwise — what Excel and WPS write on
/// Chinese Windows.
pub fn decode_text(bytes: &[u8]) -> String {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => {
            if b.starts_with(b"\xFF\xFE") || b.starts_with(b"\xFE\xFF") {
                let enc = if b[0] == 0xFF { encoding_rs::UTF_16LE } else { encoding_rs::UTF_16BE };
                return enc.decode_with_bom_removal(b).0.into_owned();
            }
            encoding_rs::GB18030.decode_without_bom_handling(b).0.into_owned()
        }
    }
}

fn sniff_delimiter(text: &str) -> u8 {
    let lines: Vec<&str> = text.lines().take(20).collect();
    let mut best = (b',', 0usize);
    for d in [b',', b'\t', b';', b'|'] {
        let n: usize = lines.iter().map(|l| l.bytes().filter(|b| *b == d).count()).sum();
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
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

    #[test]
    fn sniffs_content_not_extension() {
        assert_eq!(sniff(b"PK\x03\x04rest"), Kind::Zip);
        assert_eq!(sniff(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]), Kind::Cfb);
        assert_eq!(sniff(b"%PDF-1.4"), Kind::Other("PDF 文档".into()));
        assert_eq!(sniff("序号,企业名称\n1,甲".as_bytes()), Kind::Text);
    }

    #[test]
    fn csv_in_gb18030_and_utf8() {
        let text = "序号,提升企业名称\r\n1,四川甲公司\r\n";
        let (gbk, _, _) = encoding_rs::GB18030.encode(text);
        for bytes in [text.as_bytes().to_vec(), gbk.into_owned(), [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat()] {
            let wb = read_bytes(bytes, &Limits::default()).unwrap();
            assert_eq!(wb.format, Format::Csv);
            let g = &wb.sheets[0].grid;
            assert_eq!(g.get(CellRef::new(1, 1)).unwrap().value, Value::Text("四川甲公司".into()));
        }
    }

    #[test]
    fn html_disguised_as_xls_is_named() {
        let e = read_bytes(b"<html><table><tr><td>1</td></tr></table></html>".to_vec(), &Limits::default()).unwrap_err();
        assert!(matches!(e, ReadError::Unsupported(_)));
    }
}
