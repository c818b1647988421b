//! Compound files: an xls workbook (BIFF8), or an encrypted OOXML workbook, or a Word or PowerPoint
//! document. [`compound`] looks inside before calamine does, [`records`] walks BIFF records for both it and
//! [`sparse`], the reader taizhang uses when calamine would hold a sheet densely.

mod compound;
mod records;
mod sparse;

use std::io::Cursor;

use calamine::Reader;

use super::cells::{range_cells, rect, visibility};
use super::error::{ReadError, corrupt};
use super::grid::{Format, Grid, Limits, Rect, Sheet, Workbook};

/// Compound files: xls (BIFF8), or an encrypted OOXML workbook, or a Word/PowerPoint document.
pub(super) fn read_cfb(bytes: Vec<u8>, limits: &Limits) -> Result<Workbook, ReadError> {
    match compound::inspect(&bytes) {
        compound::CfbKind::Xls { encrypted: true, .. } | compound::CfbKind::EncryptedOoxml => {
            return Err(ReadError::Encrypted);
        }
        compound::CfbKind::Xls { memory, stream, .. }
            if memory.dense > limits.max_xls_bytes || memory.reserved > limits.max_xls_reserve_bytes =>
        {
            // calamine would hold the sheets as dense rectangles, or ask for more memory up front than a
            // machine may grant; read the cells that exist instead.
            return sparse::read(&stream, limits);
        }
        compound::CfbKind::Xls { .. } => {}
        compound::CfbKind::Word => return Err(ReadError::LegacyWord),
        compound::CfbKind::Other(what) => return Err(ReadError::NotSpreadsheet(what)),
        // The cfb crate is stricter than calamine's own reader about damaged allocation tables: let
        // calamine try, and report the damage only if it fails too.
        compound::CfbKind::Broken(_) => {}
        compound::CfbKind::Unsafe(why) => return Err(ReadError::Corrupt(why)),
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
        // A BIFF FORMULA record always carries its last value: there is no formula without one to notice.
        sheets.push(Sheet::new(m.name, visibility(m.visible), grid, error));
    }
    Ok(Workbook { format: Format::Xls, sheets })
}
