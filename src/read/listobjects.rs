//! The totals rows of Excel tables (ListObjects, 插入 → 表格 → 汇总行) in an xlsx package.
//!
//! calamine reads table parts but keeps their totals row count to itself (and gets the data range wrong
//! when there is one), so taizhang reads the few small parts it needs: the package relationships to find
//! the workbook, the workbook and its relationships to map sheet names to sheet parts, each sheet's
//! relationships to its tables, and each table's `ref` and `totalsRowCount`. Nothing is read unless the
//! package has a table part, and no part is read past [`PART_LIMIT`] bytes.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::cell::parse_a1;

/// The most read of one relationships, workbook or table part: real ones are a few kilobytes.
const PART_LIMIT: u64 = 4 << 20;

const TABLE_REL: &str = "/relationships/table";
const WORKSHEET_REL: &str = "/relationships/worksheet";
const DOCUMENT_REL: &str = "/relationships/officeDocument";

type Zip<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// The totals rows of each sheet that has an Excel table with its totals row shown, by sheet name.
/// Empty when the package has no table, or when its parts cannot be read (the sheets are still read).
pub(super) fn total_rows(bytes: &[u8]) -> HashMap<String, Vec<u32>> {
    let mut out = HashMap::new();
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(bytes)) else { return out };
    if !zip.file_names().flatten().any(|n| n.to_ascii_lowercase().contains("tables/")) {
        return out;
    }
    let workbook = relationships(&mut zip, "_rels/.rels")
        .into_iter()
        .find(|r| r.typ.ends_with(DOCUMENT_REL))
        .map_or_else(|| "xl/workbook.xml".to_string(), |r| resolve("", &r.target));
    let by_id: HashMap<String, String> = relationships(&mut zip, &rels_of(&workbook))
        .into_iter()
        .filter(|r| r.typ.ends_with(WORKSHEET_REL))
        .map(|r| (r.id, resolve(dir_of(&workbook), &r.target)))
        .collect();
    for (name, rid) in sheets(&mut zip, &workbook) {
        let Some(path) = by_id.get(&rid) else { continue };
        let mut rows: Vec<u32> = Vec::new();
        for r in relationships(&mut zip, &rels_of(path)) {
            if r.typ.ends_with(TABLE_REL) {
                rows.extend(table_totals(&mut zip, &resolve(dir_of(path), &r.target)));
            }
        }
        if !rows.is_empty() {
            rows.sort_unstable();
            rows.dedup();
            out.insert(name, rows);
        }
    }
    out
}

/// A part's text, at most [`PART_LIMIT`] bytes; `None` when it is missing or unreadable.
fn part(zip: &mut Zip<'_>, name: &str) -> Option<Vec<u8>> {
    let index = zip.index_for_name(name).or_else(|| {
        let lower = name.to_ascii_lowercase();
        zip.file_names().position(|n| n.is_ok_and(|n| n.to_ascii_lowercase() == lower))
    })?;
    let f = zip.by_index(index).ok()?;
    let mut data = Vec::new();
    f.take(PART_LIMIT).read_to_end(&mut data).ok()?;
    Some(data)
}

/// Calls `each` with every start (or empty) element of a part, until the part ends or is damaged.
fn elements(zip: &mut Zip<'_>, name: &str, mut each: impl FnMut(&BytesStart<'_>)) {
    let Some(data) = part(zip, name) else { return };
    let mut reader = Reader::from_reader(data.as_slice());
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(ref e) | Event::Empty(ref e)) => each(e),
            Ok(Event::Eof) | Err(_) => return,
            _ => {}
        }
        buf.clear();
    }
}

/// An attribute's value, unescaped, by its local name (`r:id` and `id` both match `id`).
fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .map(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_or_else(|_| a.value.to_string(), |v| v.into_owned()))
}

/// One relationship of a relationships part.
struct Relationship {
    id: String,
    typ: String,
    target: String,
}

/// The relationships of a relationships part.
fn relationships(zip: &mut Zip<'_>, name: &str) -> Vec<Relationship> {
    let mut out = Vec::new();
    elements(zip, name, |e| {
        if e.local_name().as_ref() == "Relationship"
            && let (Some(typ), Some(target)) = (attr(e, "Type"), attr(e, "Target"))
        {
            out.push(Relationship { id: attr(e, "Id").unwrap_or_default(), typ, target });
        }
    });
    out
}

/// (name, relationship id) of each sheet of the workbook part.
fn sheets(zip: &mut Zip<'_>, workbook: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    elements(zip, workbook, |e| {
        if e.local_name().as_ref() == "sheet"
            && let (Some(name), Some(id)) = (attr(e, "name"), attr(e, "id"))
        {
            out.push((name, id));
        }
    });
    out
}

/// The totals rows of one table part: the last `totalsRowCount` rows of its `ref`.
fn table_totals(zip: &mut Zip<'_>, name: &str) -> Vec<u32> {
    let mut out = Vec::new();
    elements(zip, name, |e| {
        if e.local_name().as_ref() != "table" {
            return;
        }
        let count: u32 = attr(e, "totalsRowCount").and_then(|c| c.trim().parse().ok()).unwrap_or(0);
        let Some((first, last)) = attr(e, "ref").and_then(|r| {
            let (a, b) = r.split_once(':')?;
            Some((parse_a1(a)?.row, parse_a1(b)?.row))
        }) else {
            return;
        };
        let (first, last) = (first.min(last), first.max(last));
        let count = count.min(last - first + 1);
        out.extend((last + 1 - count)..=last);
    });
    out
}

/// The relationships part of a part: `xl/worksheets/sheet1.xml` → `xl/worksheets/_rels/sheet1.xml.rels`.
fn rels_of(path: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{path}.rels"),
    }
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// A relationship target resolved against the folder of its source part: absolute targets start at the
/// package root, `..` goes up a folder.
fn resolve(dir: &str, target: &str) -> String {
    let mut parts: Vec<&str> = if target.starts_with('/') { Vec::new() } else { dir.split('/').filter(|p| !p.is_empty()).collect() };
    for p in target.split(['/', '\\']) {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve_against_their_part() {
        assert_eq!(resolve("xl", "worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve("xl/worksheets", "../tables/table1.xml"), "xl/tables/table1.xml");
        assert_eq!(resolve("xl/worksheets", "/xl/tables/table2.xml"), "xl/tables/table2.xml");
        assert_eq!(rels_of("xl/workbook.xml"), "xl/_rels/workbook.xml.rels");
    }

    #[test]
    fn a_table_with_a_totals_row_names_its_last_row() {
        use std::io::Write;
        let table = br#"<table xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" id="1" name="T" ref="B3:D9" totalsRowCount="1"><tableColumns count="3"/></table>"#;
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("xl/tables/table1.xml", zip::write::SimpleFileOptions::default()).unwrap();
        w.write_all(table).unwrap();
        let bytes = w.finish().unwrap().into_inner();
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes.as_slice())).unwrap();
        assert_eq!(table_totals(&mut zip, "xl/tables/table1.xml"), vec![8]);
    }
}
