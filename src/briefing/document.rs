//! A document as the office reads it, before any Word markup: the 报头, the headings, the paragraphs, the
//! tables and the 版记. The 简报 and the 通报 are drafted into this ([`super::brief`], [`super::notice`]) and
//! [`super::docx`] lays it out on the page, so that what a document says can be tested without opening a
//! .docx, and the page layout is written once for both.

/// The head of the first page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Masthead {
    /// A 简报: the title in red, the issue number under it, then the office and the date on one line
    /// over a red rule.
    Briefing { title: String, number: String, office: String, date: String },
    /// A 通报 as a red-headed document: the office in red, the document number, a red rule.
    Notice { office: String, number: String },
}

/// How a column's cells are aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
}

/// A table: its column headers, the share of the text width each column takes, and its rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    /// Relative widths, scaled to the text width.
    pub widths: Vec<u32>,
    pub align: Vec<Align>,
    pub rows: Vec<Vec<String>>,
}

/// One block of the body, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A first-level heading (一、…) in 黑体.
    Heading(String),
    /// A paragraph led by a second-level heading ((一)…) in 楷体, the text following in the same line.
    Lead { heading: String, text: String },
    /// A body paragraph, indented by two characters.
    Para(String),
    /// A centred caption over a table, in 黑体.
    Caption(String),
    Table(Table),
}

/// A whole document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub masthead: Masthead,
    /// The title of the article or of the 通报, centred in 小标宋.
    pub title: String,
    /// The addressee line of a 通报 (各市(州)…:), flush left.
    pub addressee: Option<String>,
    pub blocks: Vec<Block>,
    /// The office and the date at the end of a 通报, right-aligned.
    pub signature: Option<(String, String)>,
    /// The 版记: 主送, 抄送, then the 印发 line, between rules.
    pub record: Vec<String>,
    /// The date of the document (its properties carry it, so the same inputs give the same bytes).
    pub date: chrono::NaiveDate,
    /// The document's title in its properties.
    pub property_title: String,
}

impl Document {
    /// Every text of the document in reading order, one entry per paragraph or table cell: for tests and
    /// for checking that no section is empty.
    pub fn texts(&self) -> Vec<String> {
        let mut out = Vec::new();
        match &self.masthead {
            Masthead::Briefing { title, number, office, date } => out.extend([title.clone(), number.clone(), office.clone(), date.clone()]),
            Masthead::Notice { office, number } => out.extend([office.clone(), number.clone()]),
        }
        out.push(self.title.clone());
        out.extend(self.addressee.clone());
        for b in &self.blocks {
            match b {
                Block::Heading(t) | Block::Para(t) | Block::Caption(t) => out.push(t.clone()),
                Block::Lead { heading, text } => out.push(format!("{heading}{text}")),
                Block::Table(t) => {
                    out.extend(t.headers.iter().cloned());
                    out.extend(t.rows.iter().flatten().cloned());
                }
            }
        }
        if let Some((o, d)) = &self.signature {
            out.extend([o.clone(), d.clone()]);
        }
        out.extend(self.record.iter().cloned());
        out
    }
}
