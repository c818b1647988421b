//! The page of a 公文 (GB/T 9704, as far as a word processor file can hold it), written with docx-rs: A4,
//! margins of 37 mm (top), 35 mm (bottom), 28 mm (left) and 26 mm (right), body in 仿宋 三号 on 22 lines a
//! page, headings in 黑体 and 楷体, the title in 小标宋 (the fonts of the wording file, set as East Asian
//! fonts so that Word and WPS use them for Chinese), the page number as "— 1 —" in the footer, tables
//! exactly as wide as the text, and the 版记 between rules at the end.
//!
//! The same document gives the same bytes: docx-rs writes its zip entries with a fixed time and the core
//! properties carry the document's own date; the paragraph ids docx-rs numbers per thread are started
//! afresh by building each document on a thread of its own.

use docx_rs::{
    AlignmentType, BorderType, Docx, Footer, LineSpacing, LineSpacingType, PageMargin, PageNum, Paragraph, ParagraphBorder, ParagraphBorderPosition, ParagraphBorders,
    Run, RunFonts, SpecialIndentType, Style, StyleType, Tab, TabValueType, Table, TableAlignmentType, TableCell, TableLayoutType, TableRow, VAlignType, WidthType,
};

use super::document::{Align, Block, Document, Masthead};
use super::wording::Fonts;

/// Millimetres in twips (1/1440 inch).
const fn mm(v: u32) -> u32 {
    (v * 14400 + 127) / 254
}

const PAGE_W: u32 = 11906;
const PAGE_H: u32 = 16838;
const TOP: u32 = mm(37);
const BOTTOM: u32 = mm(35);
const LEFT: u32 = mm(28);
const RIGHT: u32 = mm(26);
/// The width of the text: every table is exactly this wide.
pub const TEXT_W: u32 = PAGE_W - LEFT - RIGHT;

/// Font sizes in half-points, by their Chinese names.
const SIZE_1_SMALL: usize = 48; // 小一, 24 pt
const SIZE_2: usize = 44; // 二号, 22 pt
const SIZE_3: usize = 32; // 三号, 16 pt
const SIZE_4: usize = 28; // 四号, 14 pt
const SIZE_5: usize = 21; // 五号, 10.5 pt, for the dense tables
const SIZE_BIG: usize = 72; // 小初 … 初号 for a 简报's title, 36 pt

/// 22 lines in the 225 mm of text height.
const LINE: i32 = 579;
/// Two characters of 三号 (the first-line indent of a paragraph).
const INDENT: i32 = 640;
const RED: &str = "FF0000";

/// A run of `text` in `font` at `size`.
fn run(text: &str, font: &str, size: usize) -> Run {
    Run::new().add_text(text).fonts(fonts(font)).size(size)
}

/// East Asian text in `font`, Latin letters and digits in Times New Roman as 公文 set them.
fn fonts(east_asia: &str) -> RunFonts {
    RunFonts::new().east_asia(east_asia).ascii("Times New Roman").hi_ansi("Times New Roman").cs("Times New Roman")
}

fn exact(line: i32) -> LineSpacing {
    LineSpacing::new().line_rule(LineSpacingType::Exact).line(line)
}

fn border(position: ParagraphBorderPosition, size: usize, color: &str) -> ParagraphBorder {
    ParagraphBorder::new(position).val(BorderType::Single).size(size).space(1).color(color)
}

/// A body paragraph: justified, indented two characters, on the page's line grid.
fn body(text: &str, f: &Fonts) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, &f.body, SIZE_3))
        .align(AlignmentType::Both)
        .indent(None, Some(SpecialIndentType::FirstLine(INDENT)), None, None)
        .line_spacing(exact(LINE))
}

fn masthead(m: &Masthead, f: &Fonts) -> Vec<Paragraph> {
    match m {
        Masthead::Briefing { title, number, office, date } => vec![
            Paragraph::new().add_run(run(title, &f.title, SIZE_BIG).color(RED).bold()).align(AlignmentType::Center).line_spacing(LineSpacing::new().before(240).after(120)),
            Paragraph::new().add_run(run(number, &f.body, SIZE_3)).align(AlignmentType::Center).line_spacing(exact(LINE).after(120)),
            // The office at the left margin, the date at the right one, over the red rule.
            Paragraph::new()
                .add_run(run(office, &f.body, SIZE_3))
                .add_run(Run::new().add_tab())
                .add_run(run(date, &f.body, SIZE_3))
                .add_tab(Tab::new().val(TabValueType::Right).pos(TEXT_W as usize))
                .line_spacing(exact(LINE))
                .set_borders(ParagraphBorders::with_empty().set(border(ParagraphBorderPosition::Bottom, 18, RED))),
        ],
        Masthead::Notice { office, number } => vec![
            Paragraph::new().add_run(run(office, &f.title, SIZE_1_SMALL + 4).color(RED).bold()).align(AlignmentType::Center).line_spacing(LineSpacing::new().before(480).after(480)),
            Paragraph::new()
                .add_run(run(number, &f.body, SIZE_3))
                .align(AlignmentType::Center)
                .line_spacing(exact(LINE).after(120))
                .set_borders(ParagraphBorders::with_empty().set(border(ParagraphBorderPosition::Bottom, 18, RED))),
        ],
    }
}

/// A table exactly as wide as the text: the relative widths scaled to it, fixed layout, 五号 on single
/// lines, the header in 黑体 kept with the first row (docx-rs has no repeated header row).
fn table(t: &super::document::Table, f: &Fonts) -> Table {
    let total: u32 = t.widths.iter().sum::<u32>().max(1);
    let mut widths: Vec<usize> = t.widths.iter().map(|w| (TEXT_W * w / total) as usize).collect();
    let used: usize = widths.iter().sum();
    if let Some(last) = widths.last_mut() {
        *last += TEXT_W as usize - used;
    }
    let cell = |text: &str, font: &str, w: usize, align: Align, keep: bool| {
        let a = match align {
            Align::Left => AlignmentType::Left,
            Align::Center => AlignmentType::Center,
        };
        let mut p = Paragraph::new().align(a).line_spacing(LineSpacing::new().line_rule(LineSpacingType::Auto).line(240)).keep_next(keep);
        // A line break in a cell is a line of its own.
        for (k, line) in text.split('\n').enumerate() {
            let mut r = run(line, font, SIZE_5);
            if k > 0 {
                r = Run::new().add_break(docx_rs::BreakType::TextWrapping).add_text(line).fonts(fonts(font)).size(SIZE_5);
            }
            p = p.add_run(r);
        }
        TableCell::new().add_paragraph(p).width(w, WidthType::Dxa).vertical_align(VAlignType::Center)
    };
    let head = TableRow::new(t.headers.iter().zip(&widths).map(|(h, w)| cell(h, &f.heading, *w, Align::Center, true)).collect()).cant_split();
    let mut rows = vec![head];
    for r in &t.rows {
        let cells = r.iter().zip(&widths).enumerate().map(|(i, (v, w))| cell(v, &f.body, *w, t.align.get(i).copied().unwrap_or(Align::Center), false)).collect();
        rows.push(TableRow::new(cells).cant_split());
    }
    // One millimetre of padding at the sides, so that two digits and 至2020年 fit their narrow columns.
    Table::new(rows)
        .set_grid(widths)
        .layout(TableLayoutType::Fixed)
        .width(TEXT_W as usize, WidthType::Dxa)
        .align(TableAlignmentType::Center)
        .margins(docx_rs::TableCellMargins::new().margin(28, 57, 28, 57))
}

fn blocks(doc: Docx, d: &Document, f: &Fonts) -> Docx {
    let mut doc = doc;
    for b in &d.blocks {
        doc = match b {
            Block::Heading(t) => doc.add_paragraph(
                Paragraph::new().add_run(run(t, &f.heading, SIZE_3)).indent(None, Some(SpecialIndentType::FirstLine(INDENT)), None, None).line_spacing(exact(LINE)).keep_next(true),
            ),
            Block::Lead { heading, text } => doc.add_paragraph(
                Paragraph::new()
                    .add_run(run(heading, &f.subheading, SIZE_3))
                    .add_run(run(text, &f.body, SIZE_3))
                    .align(AlignmentType::Both)
                    .indent(None, Some(SpecialIndentType::FirstLine(INDENT)), None, None)
                    .line_spacing(exact(LINE)),
            ),
            Block::Para(t) => doc.add_paragraph(body(t, f)),
            Block::Caption(t) => doc.add_paragraph(Paragraph::new().add_run(run(t, &f.heading, SIZE_4)).align(AlignmentType::Center).line_spacing(exact(LINE).before(120)).keep_next(true)),
            // A table is followed by an empty line, so the next paragraph does not touch its rule.
            Block::Table(t) => doc.add_table(table(t, f)).add_paragraph(Paragraph::new().line_spacing(exact(LINE / 2))),
        };
    }
    doc
}

/// The 版记: each line between rules, the first and last thicker.
fn record(lines: &[String], f: &Fonts) -> Vec<Paragraph> {
    let n = lines.len();
    lines
        .iter()
        .enumerate()
        .map(|(k, l)| {
            let mut b = ParagraphBorders::with_empty().set(border(ParagraphBorderPosition::Bottom, if k + 1 == n { 8 } else { 4 }, "000000"));
            if k == 0 {
                b = b.set(border(ParagraphBorderPosition::Top, 8, "000000"));
            }
            Paragraph::new().add_run(run(l, &f.body, SIZE_4)).indent(Some(280), None, Some(280), None).line_spacing(exact(LINE)).set_borders(b).keep_next(k + 1 < n)
        })
        .collect()
}

fn build(d: &Document, f: &Fonts) -> Result<Vec<u8>, String> {
    let date = format!("{}T00:00:00Z", d.date.format("%Y-%m-%d"));
    let footer_style = Style::new("Footer", StyleType::Paragraph).name("footer").size(SIZE_4).fonts(fonts("宋体"));
    let footer = Footer::new().add_paragraph(
        Paragraph::new().style("Footer").align(AlignmentType::Center).add_run(run("— ", "宋体", SIZE_4)).add_page_num(PageNum::new()).add_run(run(" —", "宋体", SIZE_4)),
    );
    let mut doc = Docx::new()
        .page_size(PAGE_W, PAGE_H)
        .page_margin(PageMargin::new().top(TOP as i32).bottom(BOTTOM as i32).left(LEFT as i32).right(RIGHT as i32).header(mm(15) as i32).footer(mm(20) as i32).gutter(0))
        .default_fonts(fonts(&f.body))
        .default_size(SIZE_3)
        .add_style(footer_style)
        .footer(footer)
        .created_at(&date)
        .updated_at(&date)
        .custom_property("title", d.property_title.clone());
    for p in masthead(&d.masthead, f) {
        doc = doc.add_paragraph(p);
    }
    doc = doc.add_paragraph(Paragraph::new().add_run(run(&d.title, &f.title, SIZE_2)).align(AlignmentType::Center).line_spacing(LineSpacing::new().before(480).after(240)));
    if let Some(a) = &d.addressee {
        doc = doc.add_paragraph(Paragraph::new().add_run(run(a, &f.body, SIZE_3)).line_spacing(exact(LINE)));
    }
    doc = blocks(doc, d, f);
    if let Some((office, date)) = &d.signature {
        doc = doc.add_paragraph(Paragraph::new().line_spacing(exact(LINE)));
        for t in [office, date] {
            doc = doc.add_paragraph(Paragraph::new().add_run(run(t, &f.body, SIZE_3)).align(AlignmentType::Right).indent(None, None, Some(INDENT * 2), None).line_spacing(exact(LINE)));
        }
    }
    doc = doc.add_paragraph(Paragraph::new().line_spacing(exact(LINE)));
    for p in record(&d.record, f) {
        doc = doc.add_paragraph(p);
    }
    let mut out = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(|e| e.to_string())?;
    Ok(out.into_inner())
}

/// The document as .docx bytes.
///
/// # Errors
/// When docx-rs fails to pack the document, which would be a defect.
pub fn render(d: &Document, f: &Fonts) -> Result<Vec<u8>, std::io::Error> {
    // docx-rs numbers paragraphs with a counter of the thread that makes them: a thread of its own starts
    // it from one, so a long-running console gives the same bytes as a fresh command.
    std::thread::scope(|s| s.spawn(|| build(d, f)).join())
        .map_err(|_| std::io::Error::other("docx-rs panicked"))?
        .map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::briefing::{brief, figures, wording::Wording};

    #[test]
    fn the_same_document_gives_the_same_bytes_on_any_thread() {
        let w = Wording::embedded().unwrap();
        let f = figures::sample();
        let d = brief::draft(&f, &w, 2, f.rollup_date);
        // Paragraphs made on this thread first (docx-rs counts them per thread), then the document twice.
        let _ = docx_rs::Paragraph::new();
        let a = render(&d, &w.fonts).unwrap();
        let b = render(&d, &w.fonts).unwrap();
        let c = std::thread::spawn({
            let (d, fonts) = (d.clone(), w.fonts.clone());
            move || render(&d, &fonts).unwrap()
        })
        .join()
        .unwrap();
        assert!(a == b && b == c);
        // The core properties carry the document's date, not the time it was made.
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(a)).unwrap();
        let mut core = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("docProps/core.xml").unwrap(), &mut core).unwrap();
        assert!(core.contains("2018-10-18T00:00:00Z"), "{core}");
    }

    #[test]
    fn the_margins_are_those_of_gb_t_9704() {
        assert_eq!([TOP, BOTTOM, LEFT, RIGHT], [mm(37), mm(35), mm(28), mm(26)]);
        assert_eq!(TEXT_W, 8845, "156 mm of text on A4");
    }
}
