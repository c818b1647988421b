//! The workbook sent to each prefecture: instructions, the 附件2 ledger, the 附件1 task progress, a hidden
//! list sheet for the dropdowns and a very hidden sheet that lets the importer recognise its own files.
//!
//! A good template prevents most problems before they happen: the header is locked (so it cannot be
//! renamed), the data cells are unlocked, rows can still be inserted, deleted, sorted and filtered, and the
//! 行业 dropdown warns rather than forbids so that an industry missing from the list can still be written.

use std::fs;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{
    Color, DataValidation, DataValidationErrorStyle, DataValidationRule, DocProperties, ExcelDateTime, Format,
    FormatAlign, FormatBorder, Formula, ProtectionOptions, Workbook, Worksheet, XlsxError,
};

use crate::output::{self, OutputError};
use crate::period::Period;
use crate::refdata::{Prefecture, RefData};
use crate::text::chinese_date;

/// Identifies a workbook written by `taizhang template` (stored in the very hidden sheet).
pub const TEMPLATE_ID: &str = "taizhang-质量提升台账";

/// Row (zero-based) of the ledger sheet's header; data starts on the next row.
pub const LEDGER_HEADER_ROW: u32 = 2;
/// Row (zero-based) of the progress sheet's header; the 36 tasks follow.
pub const PROGRESS_HEADER_ROW: u32 = 2;
/// Row (zero-based) of the 指标完成情况 sheet's header; the indicators asked follow.
pub const INDICATORS_HEADER_ROW: u32 = 2;

/// A problem writing templates.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// rust_xlsxwriter refused something (a sheet name too long after an edit of template.toml, …).
    #[error("生成 {prefecture} 的模板失败: {source}")]
    Xlsx {
        prefecture: String,
        #[source]
        source: XlsxError,
    },
    /// The file could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A prefecture name that is not one of the 21.
    #[error("未知的市州「{name}」。可用的名称:{valid}")]
    UnknownPrefecture { name: String, valid: String },
}

/// Rows a prefecture reported last quarter, put into its next template so it updates them instead of
/// retyping (`template --from ROLLUP`).
#[derive(Debug, Clone, Default)]
pub struct Prefill {
    /// Ledger rows: one value per ledger column, in the order of `ledger.toml`.
    pub ledger: Vec<Vec<String>>,
    /// Task progress by task number: status, 推进情况, 量化完成值.
    pub progress: Vec<(u32, [String; 3])>,
    /// Headers of columns the prefecture added to its ledger (备注 …), written after the template's own
    /// so that corrections keep them.
    pub ledger_extra_headers: Vec<String>,
    /// The values of those columns, one vector per ledger row (same order as `ledger`).
    pub ledger_extras: Vec<Vec<String>>,
    /// The 指标完成情况 sheet's rows: last quarter's value and what to put in the cells.
    pub indicators: Vec<IndicatorPrefill>,
}

/// One row of the 指标完成情况 sheet to prefill.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndicatorPrefill {
    /// The indicator's id (`indicators.toml`).
    pub id: String,
    /// Last quarter's value, shown in 上期值 (and used to tell a value that went down).
    pub previous: Option<f64>,
    /// 累计完成值 as it is to be shown (last quarter's value, or the prefecture's text in corrections).
    pub value: String,
    /// 说明.
    pub note: String,
}

/// Which table of the template a mark is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// 附件2; the row is the index into [`Prefill::ledger`].
    Ledger,
    /// 附件1; the row is the task number.
    Progress,
    /// 指标完成情况; the row is the indicator's index among those asked, the column `value` or `note`.
    Indicators,
}

/// A cell to highlight and annotate (corrections sent back to a prefecture).
#[derive(Debug, Clone)]
pub struct Mark {
    pub table: Table,
    pub row: usize,
    /// The column's key (`enterprise`, `status` …), or `extra:N` for the N-th of
    /// [`Prefill::ledger_extra_headers`].
    pub column: String,
    pub severity: crate::Severity,
    pub message: String,
    /// The cell held a formula error (#N/A …): it is written back as a formula whose result is that
    /// error, so that it is still an error, and still flagged, when the workbook comes back.
    pub formula_error: bool,
}

/// Key of the `n`-th extra ledger column in a [`Mark`].
pub fn extra_key(n: usize) -> String {
    format!("extra:{n}")
}

/// Writes a marked cell's value: a formula error as a formula whose cached result is the error (Excel,
/// WPS and LibreOffice all show it as the error again), anything else as text.
fn write_value(ws: &mut Worksheet, r: u32, c: u16, v: &str, error: bool, fmt: &Format) -> Result<(), XlsxError> {
    const ERRORS: [&str; 7] = ["#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"];
    let upper = v.trim().to_ascii_uppercase();
    match ERRORS.iter().find(|e| **e == upper).filter(|_| error) {
        Some(&e) => {
            let formula = if e == "#N/A" { "=NA()".to_string() } else { format!("={e}") };
            ws.write_formula_with_format(r, c, Formula::new(formula).set_result(e), fmt)?;
        }
        None => {
            ws.write_string_with_format(r, c, v, fmt)?;
        }
    }
    Ok(())
}

/// What a workbook holds besides the empty template: rows to update, the info line, marked cells and a
/// 问题清单 sheet.
#[derive(Debug, Clone, Default)]
pub struct Extras<'a> {
    pub prefill: Option<&'a Prefill>,
    /// 填报日期, 填报人 and 联系电话 as the prefecture gave them.
    pub info: [Option<String>; 3],
    pub marks: Vec<Mark>,
    /// When not empty, written as a 问题清单 sheet after the instructions.
    pub findings: &'a [crate::Finding],
}

/// What to write.
#[derive(Debug, Clone)]
pub struct TemplateOptions {
    pub period: Period,
    pub deadline: Option<chrono::NaiveDate>,
    /// Canonical prefecture names; empty means all 21.
    pub prefectures: Vec<String>,
    pub out_dir: PathBuf,
    pub force: bool,
    /// Each prefecture's current rows, to put into its template (`template --from ROLLUP`).
    pub prefill: Vec<(String, Prefill)>,
}

/// What was written.
#[derive(Debug, Default)]
pub struct TemplateReport {
    pub written: Vec<PathBuf>,
    /// Files that existed and were kept (no `--force`).
    pub kept: Vec<PathBuf>,
    /// Files that could not be written, with the reason.
    pub failed: Vec<(PathBuf, TemplateError)>,
}

impl TemplateOptions {
    fn prefill_for(&self, name: &str) -> Option<&Prefill> {
        self.prefill.iter().find(|(p, _)| p == name).map(|(_, f)| f)
    }
}

/// Canonical names for the prefectures named on the command line, in official order.
///
/// # Errors
/// [`TemplateError::UnknownPrefecture`] for a name that is none of the 21, listing the valid ones.
pub fn resolve_prefectures(refdata: &RefData, names: &[String]) -> Result<Vec<String>, TemplateError> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let p = refdata.prefectures.lookup(n).ok_or_else(|| TemplateError::UnknownPrefecture {
            name: n.clone(),
            valid: refdata.prefectures.names().join("、"),
        })?;
        if !out.contains(&p.name) {
            out.push(p.name.clone());
        }
    }
    out.sort_by_key(|n| refdata.prefectures.index_of(n));
    Ok(out)
}

/// The file name of a prefecture's template.
pub fn file_name(refdata: &RefData, prefecture: &Prefecture, period: Period) -> String {
    refdata
        .template
        .file_name
        .replace("{period_code}", &period.code())
        .replace("{period}", &period.label())
        .replace("{prefecture}", &prefecture.name)
}

/// Fills the placeholders of a template text.
pub fn fill(text: &str, prefecture: &Prefecture, period: Period, deadline: Option<chrono::NaiveDate>) -> String {
    text.replace("{period_code}", &period.code())
        .replace("{period}", &period.label())
        .replace("{prefecture}", &prefecture.name)
        .replace("{deadline}", &deadline.map(chrono_date).unwrap_or_else(|| "规定时间".into()))
}

fn chrono_date(d: chrono::NaiveDate) -> String {
    chinese_date(d)
}

/// Writes one template per prefecture into `opts.out_dir` (created when missing). Existing files are kept
/// unless `opts.force`; a file that cannot be written is reported and the others are still written.
///
/// # Errors
/// Only when the output directory cannot be created.
pub fn write_templates(refdata: &RefData, opts: &TemplateOptions) -> Result<TemplateReport, TemplateError> {
    fs::create_dir_all(&opts.out_dir)
        .map_err(|source| OutputError::Io { path: opts.out_dir.clone(), source })?;
    let mut report = TemplateReport::default();
    for p in refdata.prefectures.all() {
        if !opts.prefectures.is_empty() && !opts.prefectures.contains(&p.name) {
            continue;
        }
        let path = opts.out_dir.join(file_name(refdata, p, opts.period));
        if path.exists() && !opts.force {
            report.kept.push(path);
            continue;
        }
        match build(refdata, p, opts.period, opts.deadline, opts.prefill_for(&p.name))
            .and_then(|bytes| output::write_atomic(&path, &bytes).map_err(TemplateError::from))
        {
            Ok(()) => report.written.push(path),
            Err(e) => report.failed.push((path, e)),
        }
    }
    Ok(report)
}

/// Cell formats shared by the template's sheets.
struct Formats {
    title: Format,
    subtitle: Format,
    label: Format,
    label_right: Format,
    input: Format,
    input_date: Format,
    header: Format,
    locked_text: Format,
    locked_center: Format,
    data: Format,
    data_center: Format,
    data_number: Format,
    instructions: Format,
    marked_error: Format,
    marked_warning: Format,
}

impl Formats {
    fn new() -> Self {
        let base = Format::new().set_font_name("宋体").set_font_size(11).set_align(FormatAlign::VerticalCenter);
        let bordered = base.clone().set_border(FormatBorder::Thin).set_text_wrap();
        let input_fill = Color::RGB(0xFFF8DC);
        Formats {
            title: base.clone().set_font_name("黑体").set_font_size(18).set_bold().set_align(FormatAlign::Center),
            subtitle: base.clone().set_font_size(12).set_align(FormatAlign::Center),
            label: base.clone().set_bold(),
            label_right: base.clone().set_bold().set_align(FormatAlign::Right),
            input: base
                .clone()
                .set_unlocked()
                .set_background_color(input_fill)
                .set_border_bottom(FormatBorder::Thin),
            input_date: base
                .clone()
                .set_unlocked()
                .set_background_color(input_fill)
                .set_border_bottom(FormatBorder::Thin)
                .set_num_format("yyyy-mm-dd")
                .set_align(FormatAlign::Left),
            header: bordered
                .clone()
                .set_font_name("黑体")
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_background_color(Color::RGB(0xD9E1F2)),
            locked_text: bordered.clone().set_align(FormatAlign::Top),
            locked_center: bordered.clone().set_align(FormatAlign::Center),
            data: bordered.clone().set_unlocked().set_align(FormatAlign::Top),
            data_center: bordered.clone().set_unlocked().set_align(FormatAlign::Center),
            data_number: bordered.clone().set_unlocked().set_align(FormatAlign::Center).set_num_format("General"),
            marked_error: bordered.clone().set_unlocked().set_align(FormatAlign::Top).set_background_color(Color::RGB(0xFFC7CE)),
            marked_warning: bordered.clone().set_unlocked().set_align(FormatAlign::Top).set_background_color(Color::RGB(0xFFEB9C)),
            instructions: base.set_text_wrap().set_align(FormatAlign::Top),
        }
    }
}

/// Print setup shared by every printable sheet: A4 landscape, one page wide, header row repeated, page
/// numbers in the footer.
pub fn print_setup(ws: &mut Worksheet, repeat_first: u32, repeat_last: u32) -> Result<(), XlsxError> {
    ws.set_paper_size(9);
    ws.set_landscape();
    ws.set_print_fit_to_pages(1, 0);
    ws.set_margins(0.4, 0.4, 0.6, 0.6, 0.3, 0.3);
    ws.set_print_center_horizontally(true);
    ws.set_repeat_rows(repeat_first, repeat_last)?;
    ws.set_footer("&C第 &P 页,共 &N 页");
    Ok(())
}

/// Display width of text in Excel character units: CJK and full-width characters take two.
pub fn display_width(s: &str) -> f64 {
    s.chars().map(|c| if (c as u32) < 0x1100 { 1.0 } else { 2.0 }).sum()
}

/// A row height (points) that shows every cell's wrapped text: the most lines any cell needs, each
/// `line` points high. Cells are (text, column width in character units).
pub fn fit_height(cells: &[(&str, f64)], line: f64) -> f64 {
    let lines = cells
        .iter()
        .map(|(text, width)| {
            let usable = (width - 1.0).max(1.0);
            text.split('\n').map(|l| (display_width(l) / usable).ceil().max(1.0)).sum::<f64>()
        })
        .fold(1.0, f64::max);
    (lines * line + 4.0).min(409.0)
}

/// Protection that keeps the header and reference cells fixed but lets people work with rows.
fn protect(ws: &mut Worksheet) {
    ws.protect_with_options(&ProtectionOptions {
        insert_rows: true,
        delete_rows: true,
        sort: true,
        use_autofilter: true,
        format_columns: true,
        format_rows: true,
        ..ProtectionOptions::new()
    });
}

/// Builds one prefecture's template in memory.
///
/// # Errors
/// [`TemplateError::Xlsx`] when rust_xlsxwriter rejects the layout (e.g. an edited sheet name too long).
pub fn build(
    refdata: &RefData,
    prefecture: &Prefecture,
    period: Period,
    deadline: Option<chrono::NaiveDate>,
    prefill: Option<&Prefill>,
) -> Result<Vec<u8>, TemplateError> {
    build_with(refdata, prefecture, period, deadline, &Extras { prefill, ..Extras::default() })
}

/// Builds a prefecture's workbook with rows, marks and findings (see [`Extras`]).
///
/// # Errors
/// As [`build`].
pub fn build_with(
    refdata: &RefData,
    prefecture: &Prefecture,
    period: Period,
    deadline: Option<chrono::NaiveDate>,
    extras: &Extras<'_>,
) -> Result<Vec<u8>, TemplateError> {
    build_workbook(refdata, prefecture, period, deadline, extras)
        .and_then(|mut wb| wb.save_to_buffer())
        .map_err(|source| TemplateError::Xlsx { prefecture: prefecture.name.clone(), source })
}

/// The messages of the marks on one cell, joined, and the highest severity among them.
fn marks_at<'a>(extras: &'a Extras<'_>, table: Table, row: usize, column: &str) -> Option<(crate::Severity, String, bool)> {
    let here: Vec<&'a Mark> = extras.marks.iter().filter(|m| m.table == table && m.row == row && m.column == column).collect();
    let severity = here.iter().map(|m| m.severity).min()?;
    let error = here.iter().any(|m| m.formula_error);
    Some((severity, here.iter().map(|m| m.message.as_str()).collect::<Vec<_>>().join("\n"), error))
}

fn build_workbook(
    refdata: &RefData,
    prefecture: &Prefecture,
    period: Period,
    deadline: Option<chrono::NaiveDate>,
    extras: &Extras<'_>,
) -> Result<Workbook, XlsxError> {
    let prefill = extras.prefill;
    let layout = &refdata.template;
    let f = Formats::new();
    let mut wb = Workbook::new();
    // A fixed creation time makes the same inputs give byte-identical files.
    let d = period.last_day();
    use chrono::Datelike;
    let created = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
    wb.set_properties(
        &DocProperties::new()
            .set_title(format!("{}{}质量提升台账", prefecture.name, period.label()))
            .set_author("四川省质量提升办")
            .set_comment(format!("{TEMPLATE_ID} v{}", layout.version))
            .set_creation_datetime(&created),
    );

    let lists = quote_sheet(&layout.sheets.lists);
    let n_industries = refdata.ledger.industries.len() as u32;
    let n_status = refdata.tasks.statuses.len() as u32;

    // 填报说明
    {
        let ws = wb.add_worksheet();
        ws.set_name(&layout.sheets.instructions)?;
        ws.set_column_width(0, 72)?;
        ws.set_screen_gridlines(false);
        ws.write_string_with_format(0, 0, fill(&layout.instructions.title, prefecture, period, deadline), &f.title)?;
        ws.set_row_height(0, 36)?;
        for (i, line) in layout.instructions.lines.iter().enumerate() {
            let r = 2 + i as u32;
            let text = fill(line, prefecture, period, deadline);
            ws.set_row_height(r, fit_height(&[(&text, 72.0)], 16.0) + 8.0)?;
            ws.write_string_with_format(r, 0, text, &f.instructions)?;
        }
        ws.set_paper_size(9);
        ws.set_print_fit_to_pages(1, 0);
        ws.protect();
    }

    // 问题清单, for corrections.
    if !extras.findings.is_empty() {
        let ws = wb.add_worksheet();
        ws.set_name(&layout.sheets.feedback)?;
        let headers = [("序号", 5.0), ("严重程度", 8.0), ("代码", 6.0), ("工作表", 18.0), ("单元格", 7.0), ("字段", 14.0), ("原值", 24.0), ("修改意见", 58.0)];
        ws.merge_range(0, 0, 0, headers.len() as u16 - 1, &format!("{}{}质量提升台账审核意见", prefecture.name, period.label()), &f.title)?;
        ws.set_row_height(0, 36)?;
        for (c, (h, w)) in headers.iter().enumerate() {
            ws.write_string_with_format(1, c as u16, *h, &f.header)?;
            ws.set_column_width(c as u16, *w)?;
        }
        for (i, x) in extras.findings.iter().enumerate() {
            let r = 2 + i as u32;
            let cells = [
                (i + 1).to_string(),
                x.severity.label().to_string(),
                x.code.as_str().to_string(),
                x.sheet.clone().unwrap_or_default(),
                x.cell.clone().unwrap_or_default(),
                x.field.clone().unwrap_or_default(),
                x.value.clone().unwrap_or_default(),
                x.message.clone(),
            ];
            let texts: Vec<(&str, f64)> = cells.iter().zip(headers.iter()).map(|(t, (_, w))| (t.as_str(), *w)).collect();
            ws.set_row_height(r, fit_height(&texts, 15.0).max(20.0))?;
            for (c, t) in cells.iter().enumerate() {
                let fmt = if c == 1 && x.severity == crate::Severity::Error { &f.marked_error } else { &f.locked_text };
                ws.write_string_with_format(r, c as u16, t, fmt)?;
            }
        }
        ws.set_freeze_panes(2, 0)?;
        print_setup(ws, 1, 1)?;
        ws.set_active(true);
    }

    // 附件2 质量提升台账
    {
        let cols = &refdata.ledger.columns;
        let last_col = cols.len() as u16 - 1;
        let first_data = LEDGER_HEADER_ROW + 1;
        let last_data = first_data + layout.ledger.rows.max(1) - 1;
        let ws = wb.add_worksheet();
        ws.set_name(&layout.sheets.ledger)?;
        for (i, c) in cols.iter().enumerate() {
            ws.set_column_width(i as u16, c.width)?;
        }
        ws.merge_range(0, 0, 0, last_col, &fill(&layout.ledger.title, prefecture, period, deadline), &f.title)?;
        ws.set_row_height(0, 36)?;
        // The info line: 填报市州 printed; 填报日期, 填报人 and 联系电话 to fill in.
        ws.merge_range(1, 0, 1, 2, &format!("{}{}", layout.ledger.prefecture_label, prefecture.name), &f.label)?;
        let pairs = [
            (&layout.ledger.date_label, &f.input_date),
            (&layout.ledger.filler_label, &f.input),
            (&layout.ledger.phone_label, &f.input),
        ];
        for (i, (label, input)) in pairs.into_iter().enumerate() {
            let c = 3 + 2 * i as u16;
            if c + 1 > last_col {
                break;
            }
            ws.write_string_with_format(1, c, label.as_str(), &f.label_right)?;
            match &extras.info[i] {
                Some(v) => ws.write_string_with_format(1, c + 1, v, input)?,
                None => ws.write_blank(1, c + 1, input)?,
            };
        }
        ws.set_row_height(1, 24)?;
        for (i, c) in cols.iter().enumerate() {
            ws.write_string_with_format(LEDGER_HEADER_ROW, i as u16, &c.name, &f.header)?;
        }
        ws.set_row_height(LEDGER_HEADER_ROW, 36)?;
        let seq = refdata.ledger.column_index("seq");
        let industry = refdata.ledger.column_index("industry");
        let prefilled = prefill.map(|p| p.ledger.as_slice()).unwrap_or_default();
        let last_data = last_data.max(first_data + prefilled.len() as u32 + 49);
        for r in first_data..=last_data {
            for (i, _) in cols.iter().enumerate() {
                let c = i as u16;
                let fmt = if Some(i) == seq { &f.data_center } else { &f.data };
                ws.write_blank(r, c, fmt)?;
            }
            if let Some(s) = seq {
                // Numbered rows, as in the printed 附件2; a row with only its number is read as empty.
                ws.write_number_with_format(r, s as u16, f64::from(r - first_data + 1), &f.data_center)?;
            }
        }
        let extra_headers = prefill.map(|p| p.ledger_extra_headers.as_slice()).unwrap_or_default();
        for (e, name) in extra_headers.iter().enumerate() {
            let c = cols.len() as u16 + e as u16;
            ws.set_column_width(c, 14)?;
            ws.write_string_with_format(LEDGER_HEADER_ROW, c, name, &f.header)?;
            for r in first_data..=last_data {
                ws.write_blank(r, c, &f.data)?;
            }
        }
        for (k, row) in prefilled.iter().enumerate() {
            let r = first_data + k as u32;
            let texts: Vec<(&str, f64)> = row.iter().zip(cols.iter()).map(|(v, c)| (v.as_str(), c.width)).collect();
            let h = fit_height(&texts, 15.0);
            if h > 19.0 {
                ws.set_row_height(r, h)?;
            }
            let row_extras = prefill.and_then(|p| p.ledger_extras.get(k));
            let cells = cols.iter().enumerate().map(|(i, c)| (i, c.key.clone(), row.get(i).map(String::as_str).unwrap_or(""))).chain(
                extra_headers
                    .iter()
                    .enumerate()
                    .map(|(e, _)| (cols.len() + e, extra_key(e), row_extras.and_then(|x| x.get(e)).map(String::as_str).unwrap_or(""))),
            );
            for (i, key, v) in cells {
                let mark = marks_at(extras, Table::Ledger, k, &key);
                if Some(i) == seq && mark.is_none() {
                    continue;
                }
                let fmt = match &mark {
                    Some((crate::Severity::Error, ..)) => &f.marked_error,
                    Some(_) => &f.marked_warning,
                    None => &f.data,
                };
                if v.is_empty() {
                    if mark.is_some() {
                        ws.write_blank(r, i as u16, fmt)?;
                    }
                } else {
                    write_value(ws, r, i as u16, v, mark.as_ref().is_some_and(|m| m.2), fmt)?;
                }
                if let Some((_, message, _)) = mark {
                    ws.insert_note(r, i as u16, &rust_xlsxwriter::Note::new(message).set_author("省质量提升办"))?;
                }
            }
        }
        if let Some(ind) = industry {
            let dv = DataValidation::new()
                .allow_list_formula(Formula::new(format!("={lists}!$A$2:$A${}", n_industries + 1)))
                .set_error_style(DataValidationErrorStyle::Warning)
                .set_error_title("行业不在列表中")?
                .set_error_message("该行业不在下拉列表中。如确属列表以外的行业,请点击「是」保留;否则请点击「否」重新选择。")?
                .set_input_title("所属(产业)行业")?
                .set_input_message("请从下拉列表中选择;列表中没有的可直接填写。")?;
            ws.add_data_validation(first_data, ind as u16, last_data, ind as u16, &dv)?;
        }
        if let Some(uscc) = refdata.ledger.column_index("uscc") {
            let dv = DataValidation::new()
                .allow_text_length(DataValidationRule::EqualTo(18))
                .set_error_style(DataValidationErrorStyle::Warning)
                .set_error_title("统一社会信用代码应为18位")?
                .set_error_message("统一社会信用代码应为18位字母和数字,请核对。")?;
            ws.add_data_validation(first_data, uscc as u16, last_data, uscc as u16, &dv)?;
        }
        ws.set_freeze_panes(first_data, 0)?;
        ws.autofilter(LEDGER_HEADER_ROW, 0, last_data, last_col + extra_headers.len() as u16)?;
        print_setup(ws, LEDGER_HEADER_ROW, LEDGER_HEADER_ROW)?;
        ws.set_header(format!("&L{}&R{}", prefecture.name, period.label()));
        protect(ws);
        if extras.findings.is_empty() {
            ws.set_active(true);
        }
    }

    // 附件1 任务进展
    {
        let tasks = &refdata.tasks;
        let cols = &tasks.columns;
        let last_col = cols.len() as u16 - 1;
        let first = PROGRESS_HEADER_ROW + 1;
        let ws = wb.add_worksheet();
        ws.set_name(&layout.sheets.progress)?;
        for (i, c) in cols.iter().enumerate() {
            ws.set_column_width(i as u16, c.width)?;
        }
        ws.merge_range(0, 0, 0, last_col, &fill(&layout.progress.title, prefecture, period, deadline), &f.title)?;
        ws.set_row_height(0, 36)?;
        ws.merge_range(1, 0, 1, last_col, &fill(&layout.progress.subtitle, prefecture, period, deadline), &f.subtitle)?;
        for (i, c) in cols.iter().enumerate() {
            ws.write_string_with_format(PROGRESS_HEADER_ROW, i as u16, &c.name, &f.header)?;
        }
        ws.set_row_height(PROGRESS_HEADER_ROW, 30)?;
        let col = |key: &str| cols.iter().position(|c| c.key == key).map(|i| i as u16);
        let prefilled = |no: u32| prefill.and_then(|p| p.progress.iter().find(|(n, _)| *n == no)).map(|(_, v)| v);
        for (k, t) in tasks.tasks.iter().enumerate() {
            let r = first + k as u32;
            let width = |key: &str| cols.iter().find(|c| c.key == key).map_or(10.0, |c| c.width);
            let (resp, coop) = tasks.effective_units(t.no);
            let h = fit_height(
                &[
                    (&t.content, width("content")),
                    (&t.guiding, width("guiding")),
                    (if t.continues_above { "" } else { resp }, width("responsible")),
                    (if t.continues_above { "" } else { coop }, width("cooperating")),
                ],
                15.0,
            );
            ws.set_row_height(r, h.max(30.0))?;
            for (i, c) in cols.iter().enumerate() {
                let ci = i as u16;
                match c.key.as_str() {
                    "no" => ws.write_number_with_format(r, ci, f64::from(t.no), &f.locked_center).map(|_| ())?,
                    "group" => {}
                    "content" => ws.write_string_with_format(r, ci, &t.content, &f.locked_text).map(|_| ())?,
                    "guiding" => ws.write_string_with_format(r, ci, &t.guiding, &f.locked_center).map(|_| ())?,
                    "responsible" | "cooperating" => {
                        if !t.continues_above {
                            let v = if c.key == "responsible" { &t.responsible } else { &t.cooperating };
                            ws.write_string_with_format(r, ci, v, &f.locked_center)?;
                        }
                    }
                    "status" | "narrative" | "value" => {
                        let (j, fmt) = match c.key.as_str() {
                            "status" => (0, &f.data_center),
                            "narrative" => (1, &f.data),
                            _ => (2, &f.data_number),
                        };
                        let mark = marks_at(extras, Table::Progress, t.no as usize, &c.key);
                        let fmt = match &mark {
                            Some((crate::Severity::Error, ..)) => &f.marked_error,
                            Some(_) => &f.marked_warning,
                            None => fmt,
                        };
                        match prefilled(t.no).map(|v| &v[j]).filter(|v| !v.is_empty()) {
                            Some(v) if j == 2 && v.parse::<f64>().is_ok() => {
                                ws.write_number_with_format(r, ci, v.parse::<f64>().unwrap_or_default(), fmt)?;
                            }
                            Some(v) => {
                                write_value(ws, r, ci, v, mark.as_ref().is_some_and(|m| m.2), fmt)?;
                            }
                            None => {
                                ws.write_blank(r, ci, fmt)?;
                            }
                        }
                        if let Some((_, message, _)) = mark {
                            ws.insert_note(r, ci, &rust_xlsxwriter::Note::new(message).set_author("省质量提升办"))?;
                        }
                    }
                    _ => {
                        ws.write_blank(r, ci, &f.data)?;
                    }
                }
            }
        }
        merge_like_annex1(ws, tasks, first, col("group"), col("responsible").zip(col("cooperating")), &f.locked_center)?;
        let last = first + tasks.tasks.len() as u32 - 1;
        if let Some(sc) = col("status") {
            let dv = DataValidation::new()
                .allow_list_formula(Formula::new(format!("={lists}!$B$2:$B${}", n_status + 1)))
                .set_error_style(DataValidationErrorStyle::Warning)
                .set_error_title("完成状态")?
                .set_error_message("请选择 未启动、推进中 或 已完成。")?;
            ws.add_data_validation(first, sc, last, sc, &dv)?;
        }
        if let Some(vc) = col("value") {
            let dv = DataValidation::new()
                .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
                .set_error_style(DataValidationErrorStyle::Warning)
                .set_error_title("量化完成值应为数字")?
                .set_error_message("请填写数字(如 50),文字说明请写在「推进情况」中。")?;
            ws.add_data_validation(first, vc, last, vc, &dv)?;
        }
        ws.set_freeze_panes(first, 0)?;
        print_setup(ws, PROGRESS_HEADER_ROW, PROGRESS_HEADER_ROW)?;
        ws.set_header(format!("&L{}&R{}", prefecture.name, period.label()));
        protect(ws);
    }

    write_indicators(&mut wb, refdata, prefecture, period, extras, &f)?;

    // Hidden list sheet feeding the dropdowns (a range, so the 255-character limit of inline lists does not apply).
    {
        let ws = wb.add_worksheet();
        ws.set_name(&layout.sheets.lists)?;
        ws.write_string_with_format(0, 0, "行业", &f.label)?;
        ws.write_string_with_format(0, 1, "完成状态", &f.label)?;
        for (i, s) in refdata.ledger.industries.iter().enumerate() {
            ws.write_string(1 + i as u32, 0, s)?;
        }
        for (i, s) in refdata.tasks.statuses.iter().enumerate() {
            ws.write_string(1 + i as u32, 1, s)?;
        }
        ws.set_column_width(0, 16)?;
        ws.set_column_width(1, 12)?;
        ws.protect();
        ws.set_hidden(true);
    }

    // Very hidden sheet for the importer.
    {
        let ws = wb.add_worksheet();
        ws.set_name(&layout.sheets.meta)?;
        let rows = [
            ("template", TEMPLATE_ID.to_string()),
            ("version", layout.version.to_string()),
            ("prefecture_code", prefecture.code.clone()),
            ("prefecture", prefecture.name.clone()),
            ("period", period.code()),
            ("deadline", deadline.map(|d| d.to_string()).unwrap_or_default()),
            ("ledger_sheet", layout.sheets.ledger.clone()),
            ("ledger_header_row", (LEDGER_HEADER_ROW + 1).to_string()),
            ("progress_sheet", layout.sheets.progress.clone()),
            ("progress_header_row", (PROGRESS_HEADER_ROW + 1).to_string()),
        ];
        for (i, (k, v)) in rows.iter().enumerate() {
            ws.write_string(i as u32, 0, *k)?;
            ws.write_string(i as u32, 1, v)?;
        }
        ws.protect();
        ws.set_very_hidden(true);
    }
    Ok(wb)
}

/// 指标完成情况: one row per indicator the prefectures report (`indicators.toml`, `asked`), with the plan's
/// target, last quarter's value, and unlocked 累计完成值 and 说明 cells; 累计完成值 is validated as a number
/// (a percentage between 0 and 100 where the unit is one), as a warning so that a note typed there still
/// comes back and is reported rather than lost. The enterprises helped are counted from the ledger and not
/// asked here.
fn write_indicators(
    wb: &mut Workbook,
    refdata: &RefData,
    prefecture: &Prefecture,
    period: Period,
    extras: &Extras<'_>,
    f: &Formats,
) -> Result<(), XlsxError> {
    use crate::indicators::{LEDGER_NOTE, headers, horizon_text, target_text};
    let prefill = extras.prefill;
    let ind = &refdata.indicators;
    let cols: [(&str, f64); 8] = [
        (headers::NO, 4.0),
        (headers::NAME, 36.0),
        (headers::UNIT, 4.0),
        (headers::TARGET, 12.0),
        (headers::HORIZON, 9.0),
        (headers::PREVIOUS, 8.0),
        (headers::VALUE, 10.0),
        (headers::NOTE, 14.0),
    ];
    let last_col = cols.len() as u16 - 1;
    let h = INDICATORS_HEADER_ROW;
    let ws = wb.add_worksheet();
    ws.set_name(&ind.sheet)?;
    for (i, (_, w)) in cols.iter().enumerate() {
        ws.set_column_width(i as u16, *w)?;
    }
    ws.merge_range(0, 0, 0, last_col, &format!("{}({})", ind.title, period.label()), &f.title.clone().set_font_size(16).set_text_wrap())?;
    ws.set_row_height(0, 44)?;
    let sub = format!("{}  {}  请填写截至本季度末的累计完成值:期限为「至2020年」的填2018年以来累计,「本年度」的填本年度累计", prefecture.name, period.label());
    ws.merge_range(1, 0, 1, last_col, &sub, &f.subtitle.clone().set_text_wrap())?;
    // 12-point text: a character unit of the 11-point columns holds less of it.
    let width: f64 = cols.iter().map(|c| c.1).sum::<f64>() * 11.0 / 12.0;
    ws.set_row_height(1, fit_height(&[(&sub, width)], 16.0))?;
    for (i, (name, _)) in cols.iter().enumerate() {
        ws.write_string_with_format(h, i as u16, *name, &f.header)?;
    }
    ws.set_row_height(h, 24)?;
    let number = f.locked_center.clone().set_num_format("General");
    let rows: Vec<&crate::refdata::Indicator> = ind.asked().collect();
    for (k, i) in rows.iter().enumerate() {
        let r = h + 1 + k as u32;
        let pre = prefill.and_then(|p| p.indicators.iter().find(|x| x.id == i.id));
        let target = target_text(i);
        let height = fit_height(&[(&i.name, cols[1].1), (&target, cols[3].1), (horizon_text(i), cols[4].1), (pre.map_or("", |p| p.note.as_str()), cols[7].1)], 15.0);
        ws.set_row_height(r, height.max(20.0))?;
        ws.write_number_with_format(r, 0, (k + 1) as f64, &f.locked_center)?;
        ws.write_string_with_format(r, 1, &i.name, &f.locked_text)?;
        ws.write_string_with_format(r, 2, &i.unit, &f.locked_center)?;
        ws.write_string_with_format(r, 3, &target, &f.locked_center)?;
        ws.write_string_with_format(r, 4, horizon_text(i), &f.locked_center)?;
        match pre.and_then(|p| p.previous) {
            Some(v) => ws.write_number_with_format(r, 5, v, &number)?,
            None => ws.write_blank(r, 5, &number)?,
        };
        // Corrections: the cells a finding is about are coloured and carry its message.
        let marked = |column: &str, plain: &Format| -> (Format, Option<String>) {
            match marks_at(extras, Table::Indicators, k, column) {
                Some((crate::Severity::Error, m, _)) => (f.marked_error.clone(), Some(m)),
                Some((_, m, _)) => (f.marked_warning.clone(), Some(m)),
                None => (plain.clone(), None),
            }
        };
        let (vf, vnote) = marked("value", &f.data_number);
        match pre.map(|p| p.value.as_str()).filter(|v| !v.is_empty()) {
            Some(v) => match v.parse::<f64>() {
                Ok(n) => ws.write_number_with_format(r, 6, n, &vf)?,
                Err(_) => ws.write_string_with_format(r, 6, v, &vf)?,
            },
            None => ws.write_blank(r, 6, &vf)?,
        };
        let (nf, nnote) = marked("note", &f.data);
        match pre.map(|p| p.note.as_str()).filter(|v| !v.is_empty()) {
            Some(v) => ws.write_string_with_format(r, 7, v, &nf)?,
            None => ws.write_blank(r, 7, &nf)?,
        };
        for (c, message) in [(6u16, vnote), (7, nnote)] {
            if let Some(m) = message {
                ws.insert_note(r, c, &rust_xlsxwriter::Note::new(m).set_author("省质量提升办"))?;
            }
        }
        let dv = if i.is_percent() {
            DataValidation::new()
                .allow_decimal_number(DataValidationRule::Between(0.0, 100.0))
                .set_error_title("请填写百分数")?
                .set_error_message("请填写0到100之间的百分数,如 91.5(表示91.5%)。")?
                .set_input_title("百分数")?
                .set_input_message("填写如 91.5,表示91.5%。")?
        } else {
            DataValidation::new()
                .allow_decimal_number(DataValidationRule::GreaterThanOrEqualTo(0.0))
                .set_error_title("请填写数字")?
                .set_error_message(format!("请只填写一个数字(单位:{}),文字说明请写在「说明」中。", i.unit))?
                .set_input_title(format!("单位:{}", i.unit))?
                .set_input_message("填写截至本季度末的累计数。")?
        };
        ws.add_data_validation(r, 6, r, 6, &dv.set_error_style(DataValidationErrorStyle::Warning))?;
    }
    let note_row = h + 1 + rows.len() as u32;
    ws.merge_range(note_row, 0, note_row, last_col, LEDGER_NOTE, &f.instructions)?;
    ws.set_row_height(note_row, 30)?;
    ws.set_freeze_panes(h + 1, 0)?;
    print_setup(ws, h, h)?;
    // One page: the sheet is short, and a page that ends before the last indicators gets lost.
    ws.set_print_fit_to_pages(1, 1);
    ws.set_header(format!("&L{}&R{}", prefecture.name, period.label()));
    protect(ws);
    Ok(())
}

/// The merged cells of 附件1, wherever its tasks are laid out from row `first`: the group down its tasks,
/// and the 责任单位 / 配合单位 cells that consecutive tasks share (tasks 18–20).
pub fn merge_like_annex1(
    ws: &mut Worksheet,
    tasks: &crate::refdata::Tasks,
    first: u32,
    group_col: Option<u16>,
    unit_cols: Option<(u16, u16)>,
    fmt: &Format,
) -> Result<(), XlsxError> {
    if let Some(gc) = group_col {
        for g in &tasks.groups {
            let rows: Vec<u32> = tasks.tasks.iter().enumerate().filter(|(_, t)| t.group == g.name).map(|(k, _)| first + k as u32).collect();
            if let (Some(&a), Some(&b)) = (rows.first(), rows.last()) {
                if a == b {
                    ws.write_string_with_format(a, gc, &g.name, fmt)?;
                } else {
                    ws.merge_range(a, gc, b, gc, &g.name, fmt)?;
                }
            }
        }
    }
    if let Some((rc, cc)) = unit_cols {
        for (k, t) in tasks.tasks.iter().enumerate() {
            if t.continues_above || !tasks.tasks.get(k + 1).is_some_and(|n| n.continues_above) {
                continue;
            }
            let span = tasks.tasks[k + 1..].iter().take_while(|n| n.continues_above).count() as u32;
            let r = first + k as u32;
            ws.merge_range(r, rc, r + span, rc, &t.responsible, fmt)?;
            ws.merge_range(r, cc, r + span, cc, &t.cooperating, fmt)?;
        }
    }
    Ok(())
}

/// Quotes a sheet name for use in a formula.
pub fn quote_sheet(name: &str) -> String {
    format!("'{}'", name.replace('\'', "''"))
}

/// The prefecture's template path inside `dir`.
pub fn path_in(dir: &Path, refdata: &RefData, prefecture: &Prefecture, period: Period) -> PathBuf {
    dir.join(file_name(refdata, prefecture, period))
}
