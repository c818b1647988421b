//! calamine's values and positions as the grid's: shared by the xlsx, xlsb, ods and xls readers.

use calamine::{Data, DataRef, SheetVisible};

use crate::cell::CellRef;

use super::error::{ReadError, corrupt};
use super::grid::{Limits, Rect, Value, Visibility};

/// What one sheet's cells came to.
pub(super) struct SheetCells {
    pub cells: Vec<(CellRef, Value)>,
    pub formulas_without_value: Vec<CellRef>,
    pub error: Option<ReadError>,
}

/// A cell as the streaming readers give it: position, value, and whether it holds a formula.
pub(super) type StreamedCell<'d> = ((u32, u32), DataRef<'d>, bool);

pub(super) fn visibility(v: SheetVisible) -> Visibility {
    match v {
        SheetVisible::Visible => Visibility::Visible,
        SheetVisible::Hidden => Visibility::Hidden,
        SheetVisible::VeryHidden => Visibility::VeryHidden,
    }
}

pub(super) fn from_data_ref(d: DataRef<'_>) -> Option<Value> {
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

pub(super) fn from_data(d: &Data) -> Option<Value> {
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

pub(super) fn rect(d: &calamine::Dimensions) -> Rect {
    Rect::new(CellRef::new(d.start.0, d.start.1), CellRef::new(d.end.0, d.end.1))
}

/// Collects the cells a streaming reader (xlsx, xlsb) yields, stopping at the cell limit or an error, so
/// that a sheet is never held densely and never larger than allowed. A cell that holds a formula but no
/// value is noted; such cells count against the same limit.
pub(super) fn stream_cells<'d, E: std::fmt::Display>(
    mut next: impl FnMut() -> Result<Option<StreamedCell<'d>>, E>,
    limits: &Limits,
) -> SheetCells {
    let mut out = SheetCells { cells: Vec::new(), formulas_without_value: Vec::new(), error: None };
    let mut seen = 0u64;
    loop {
        seen += 1;
        if seen % 65_536 == 0
            && let Err(e) = limits.in_time()
        {
            out.error = Some(e);
            return out;
        }
        match next() {
            Ok(Some(((r, col), value, formula))) => {
                let value = from_data_ref(value);
                if value.is_none() && !formula {
                    continue;
                }
                if out.cells.len() + out.formulas_without_value.len() >= limits.max_cells {
                    out.error = Some(limits.too_many_cells());
                    return out;
                }
                match value {
                    Some(v) => out.cells.push((CellRef::new(r, col), v)),
                    None => out.formulas_without_value.push(CellRef::new(r, col)),
                }
            }
            Ok(None) => {
                out.formulas_without_value.sort_unstable();
                return out;
            }
            Err(e) => {
                out.error = Some(corrupt(e));
                return out;
            }
        }
    }
}

pub(super) fn range_cells(range: &calamine::Range<Data>, limits: &Limits) -> Result<Vec<(CellRef, Value)>, ReadError> {
    let mut cells = Vec::new();
    for (r, c, d) in range.used_cells() {
        if let Some(v) = from_data(d) {
            if cells.len() >= limits.max_cells {
                return Err(limits.too_many_cells());
            }
            let start = range.start().unwrap_or((0, 0));
            cells.push((CellRef::new(start.0 + r as u32, start.1 + c as u32), v));
        }
    }
    Ok(cells)
}
