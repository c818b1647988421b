//! Conservation, as a property: random ledgers written in random messy layouts (moved header, renamed and
//! reordered columns, merged cells, blank and note rows, full-width text, extra columns) read back with
//! every generated value recovered exactly once and nothing else appearing.

use proptest::prelude::*;
use rust_xlsxwriter::{Format, Workbook};
use taizhang::read::{Limits, read_bytes};

use super::common::refdata;

/// Characters values are made of. Values start with a character that opens no note label (填报人,
/// 联系电话, 注 …) and are at least three characters long, so no value can be mistaken for a label or a
/// header.
const FIRST: &[char] = &['川', '蜀', '锦', '绵', '峨', '岷', '嘉', '蓉'];
const BODY: &[char] = &['酒', '茶', '电', '子', '机', '械', '品', '质', '量', '提', '升', '标', '准', '检', '测', '企', '业', '有', '限', '公', '司', 'A', 'b', '7', '0', ' ', '、', '，', '（', '）'];

fn value() -> impl Strategy<Value = String> {
    (prop::sample::select(FIRST), prop::collection::vec(prop::sample::select(BODY), 2..14), prop::bool::weighted(0.2)).prop_map(|(f, body, newline)| {
        let mut s: String = std::iter::once(f).chain(body).collect();
        if newline {
            s.push('\n');
            s.push('川');
        }
        // Values as normalized: no white space at either end of the value or of a line.
        s.split('\n').map(str::trim).collect::<Vec<_>>().join("\n")
    })
}

#[derive(Debug, Clone)]
struct Ledger {
    rows: Vec<[String; 7]>,
    remarks: Vec<String>,
    filler: String,
}

#[derive(Debug, Clone)]
struct Layout {
    header_row: u32,
    first_col: u16,
    /// Permutation of the 7 data columns (industry … progress), plus whether 序号 comes first.
    order: Vec<usize>,
    with_seq: bool,
    /// Which alias each column's header uses (index into name + aliases, modulo their count).
    alias: Vec<usize>,
    /// Rows after which a blank row is inserted.
    blanks: Vec<bool>,
    /// Whether runs of equal industries are merged down.
    merge_industry: bool,
    full_width: bool,
    extra_column: bool,
    /// Rows before which a section heading ("一、第1类") is inserted: not an enterprise.
    headings: Vec<bool>,
    /// Whether a 合计 row with the right count closes the table: not an enterprise.
    total: bool,
    /// Whether the rows left unused under the last enterprise hold placeholders: a numbered row of "/"
    /// and a row saying 以下空白. Neither is an enterprise.
    placeholders: bool,
}

fn ledger() -> impl Strategy<Value = Ledger> {
    let industry = prop::sample::select(vec!["白酒", "茶叶", "电子信息", "家具"]);
    let row = (industry, prop::array::uniform6(value()));
    (prop::collection::vec(row, 1..15), prop::collection::vec(value(), 0..3), value()).prop_map(|(rows, remarks, filler)| Ledger {
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(i, (ind, v))| {
                let [a, b, c, d, e, f] = v;
                // Enterprise names are unique so that no two rows are the same row.
                [ind.to_string(), format!("{a}{i}号"), b, c, d, e, f]
            })
            .collect(),
        remarks,
        filler,
    })
}

fn layout() -> impl Strategy<Value = Layout> {
    (
        0u32..5,
        0u16..3,
        Just((0..7).collect::<Vec<usize>>()).prop_shuffle(),
        any::<bool>(),
        prop::collection::vec(0usize..20, 7),
        prop::collection::vec(prop::bool::weighted(0.15), 15),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        (prop::collection::vec(prop::bool::weighted(0.15), 15), any::<bool>(), any::<bool>()),
    )
        .prop_map(|(header_row, first_col, order, with_seq, alias, blanks, merge_industry, full_width, extra_column, (headings, total, placeholders))| Layout {
            header_row,
            first_col,
            order,
            with_seq,
            alias,
            blanks,
            merge_industry,
            full_width,
            extra_column,
            headings,
            total,
            placeholders,
        })
}

/// ASCII letters and digits in full width, and an ideographic space at each end: what a Chinese input
/// method produces.
fn widen(s: &str) -> String {
    let body: String = s.chars().map(|c| if c.is_ascii_alphanumeric() { char::from_u32(c as u32 + 0xFEE0).unwrap() } else { c }).collect();
    format!("\u{3000}{body}\u{00A0}")
}

/// Writes the return; also gives the rows (zero-based) that are headings or totals.
fn write(ledger: &Ledger, l: &Layout) -> (Vec<u8>, Vec<u32>) {
    let r = refdata();
    // ledger.toml order: seq, industry, enterprise, product, problems, goal, measures, progress.
    let specs = &r.ledger.columns[1..8];
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let wrap = Format::new().set_text_wrap();
    if l.header_row > 0 {
        ws.write_string(0, l.first_col, "四川省重点消费品质量提升台账").unwrap();
    }
    if l.header_row > 1 {
        ws.write_string(1, l.first_col, "填报市州:成都市").unwrap();
    }
    let mut cols: Vec<(u16, Option<usize>)> = Vec::new();
    let mut c = l.first_col;
    if l.with_seq {
        ws.write_string(l.header_row, c, "序号").unwrap();
        cols.push((c, None));
        c += 1;
    }
    for (k, &field) in l.order.iter().enumerate() {
        let spec = &specs[field];
        let names: Vec<&String> = std::iter::once(&spec.name).chain(&spec.aliases).collect();
        ws.write_string(l.header_row, c, names[l.alias[k] % names.len()].as_str()).unwrap();
        cols.push((c, Some(field)));
        c += 1;
    }
    let extra_col = c;
    if l.extra_column {
        ws.write_string(l.header_row, extra_col, "联络员").unwrap();
    }
    let mut row = l.header_row + 1;
    let mut placed: Vec<u32> = Vec::new();
    let mut not_enterprises: Vec<u32> = Vec::new();
    for (i, data) in ledger.rows.iter().enumerate() {
        if l.headings.get(i).copied().unwrap_or(false) {
            ws.write_string(row, l.first_col, format!("{}、第{}类", ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"][i % 10], i + 1)).unwrap();
            not_enterprises.push(row);
            row += 1;
        }
        for (c, field) in &cols {
            match field {
                None => ws.write_number(row, *c, (i + 1) as f64).unwrap(),
                Some(f) => {
                    let v = if l.full_width { widen(&data[*f]) } else { data[*f].clone() };
                    ws.write_string_with_format(row, *c, &v, &wrap).unwrap()
                }
            };
        }
        if l.extra_column {
            ws.write_string(row, extra_col, format!("蓉{i}联络")).unwrap();
        }
        placed.push(row);
        row += 1;
        if l.blanks.get(i).copied().unwrap_or(false) {
            row += 1;
        }
    }
    if l.merge_industry {
        // Merge runs of equal industries over consecutive rows (no blank row inside a run).
        let industry_col = cols.iter().find(|(_, f)| *f == Some(0)).map(|(c, _)| *c).unwrap();
        let mut i = 0;
        while i < placed.len() {
            let mut j = i;
            while j + 1 < placed.len() && ledger.rows[j + 1][0] == ledger.rows[i][0] && placed[j + 1] == placed[j] + 1 {
                j += 1;
            }
            if j > i {
                let v = if l.full_width { widen(&ledger.rows[i][0]) } else { ledger.rows[i][0].clone() };
                ws.merge_range(placed[i], industry_col, placed[j], industry_col, &v, &Format::new()).unwrap();
            }
            i = j + 1;
        }
    }
    if l.placeholders {
        for (c, field) in &cols {
            match field {
                None => ws.write_number(row, *c, (ledger.rows.len() + 1) as f64).unwrap(),
                Some(_) => ws.write_string(row, *c, "/").unwrap(),
            };
        }
        ws.write_string(row + 1, l.first_col, "以下空白").unwrap();
        not_enterprises.extend([row, row + 1]);
        row += 2;
    }
    if l.total {
        ws.write_string(row, l.first_col, "合计").unwrap();
        ws.write_string(row, l.first_col + 1, format!("共{}家企业", ledger.rows.len())).unwrap();
        not_enterprises.push(row);
        row += 1;
    }
    row += 1;
    ws.write_string(row, l.first_col, format!("填报人:{}", ledger.filler)).unwrap();
    for (k, remark) in ledger.remarks.iter().enumerate() {
        let label = if k == 0 { "注:" } else { "" };
        ws.write_string(row + 1 + k as u32, l.first_col, format!("{label}{remark}")).unwrap();
    }
    (wb.save_to_buffer().unwrap(), not_enterprises)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn every_value_comes_back_once_and_nothing_else(ledger in ledger(), layout in layout()) {
        let r = refdata();
        let (bytes, not_enterprises) = write(&ledger, &layout);
        let wb = read_bytes(bytes, &Limits::default()).unwrap();
        let s = taizhang::import::import_workbook(r, &wb, std::path::Path::new("成都市.xlsx"), "成都市.xlsx");
        prop_assert_eq!(s.rows.len(), ledger.rows.len(), "findings: {:#?}", s.findings);
        for (i, (got, want)) in s.rows.iter().zip(&ledger.rows).enumerate() {
            for (f, w) in want.iter().enumerate() {
                prop_assert_eq!(got.text(f + 1), w.as_str());
            }
            let seq = if layout.with_seq { (i + 1).to_string() } else { String::new() };
            prop_assert_eq!(got.text(0), seq.as_str());
        }
        let extras: Vec<String> = s.rows.iter().map(|row| row.extra(0).to_string()).collect();
        if layout.extra_column {
            prop_assert_eq!(&s.extra_columns, &vec!["联络员".to_string()]);
            let want: Vec<String> = (0..ledger.rows.len()).map(|i| format!("蓉{i}联络")).collect();
            prop_assert_eq!(extras, want);
        } else {
            prop_assert!(s.extra_columns.is_empty(), "{:?}", s.extra_columns);
        }
        prop_assert_eq!(s.filler.as_ref().map(|l| l.text.as_str()), Some(ledger.filler.as_str()));
        let remarks: Vec<&str> = s.remarks.iter().map(|l| l.text.as_str()).collect();
        let want: Vec<&str> = ledger.remarks.iter().map(String::as_str).collect();
        prop_assert_eq!(remarks, want);
        // Nothing else: every value in the submission is one of the generated ones.
        let values = s.rows.iter().flat_map(|r| r.fields.iter().chain(&r.extras)).flatten().count();
        let expected = ledger.rows.len() * 7 + if layout.extra_column { ledger.rows.len() } else { 0 } + if layout.with_seq { ledger.rows.len() } else { 0 };
        prop_assert_eq!(values, expected);
        // Headings and totals are accounted for, each by a hint on its first cell, and the total agrees.
        let hints: Vec<String> = s.findings.iter().filter(|f| f.code == taizhang::Code::NotEnterpriseRow).map(|f| f.location()).collect();
        let want: Vec<String> = not_enterprises.iter().map(|r| format!("Sheet1!{}", taizhang::cell::CellRef::new(*r, u32::from(layout.first_col)).a1())).collect();
        prop_assert_eq!(hints, want);
        prop_assert!(!s.findings.iter().any(|f| matches!(f.code, taizhang::Code::TotalMismatch | taizhang::Code::ValueWithoutHeader | taizhang::Code::MissingColumn | taizhang::Code::RequiredEmpty)), "{:#?}", s.findings);
    }
}
