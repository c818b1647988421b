//! The workbook sent to each prefecture: instructions, the 附件2 ledger, the 附件1 task progress, a hidden
//! list sheet for the dropdowns and a very hidden sheet that lets the importer recognise its own files.
//!
//! A good template prevents most problems before they happen: the header is locked (so it cannot be
//! renamed), the data cells are unlocked, rows can still be inserted, deleted, sorted and filtered, and the
//! 行业 dropdown warns rather than forbids so that an industry missing from the list can still be written.
//!
//! [`build_with`] writes the workbook one sheet after the other, one function per sheet: `sheets`
//! (填报说明, the 问题清单 of corrections, the hidden lists), `ledger` (附件2), `progress` (附件1),
//! `indicators` (指标完成情况), then the hidden sheet of [`crate::xlsx::meta`]. `prefill` is what a
//! template takes over from last quarter's rollup.

use std::fs;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format,
    FormatAlign, FormatBorder, Formula, ProtectionOptions, Workbook, Worksheet, XlsxError,
};

mod indicators;
mod ledger;
#[cfg(feature = "rollup")]
mod period;
mod prefill;
mod progress;
mod sheets;

#[cfg(feature = "rollup")]
pub use period::{Prefilled, TemplateRequest, TemplateRun, write_period};
pub use prefill::{IndicatorPrefill, Prefill, add_indicator_prefill};

use crate::xlsx::style;
use crate::output::{self, OutputError};
use crate::period::Period;
use crate::refdata::{Prefecture, RefData};
use crate::text::chinese_date;

pub use crate::xlsx::meta::TEMPLATE_ID;

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
pub(crate) fn write_value(ws: &mut Worksheet, r: u32, c: u16, v: &str, error: bool, fmt: &Format) -> Result<(), XlsxError> {
    const ERRORS: [&str; 7] = ["#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"];
    let upper = v.trim().to_ascii_uppercase();
    match ERRORS.iter().find(|e| **e == upper).filter(|_| error) {
        Some(&e) => {
            let formula = if e == "#N/A" { "=NA()".to_string() } else { format!("={e}") };
            ws.write_formula_with_format(r, c, Formula::new(formula).set_result(e), fmt)?;
        }
        None => {
            ws.write_string_with_format(r, c, crate::xlsx::cut_to_cell(v).as_ref(), fmt)?;
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
    fill_names(&refdata.template.file_name, prefecture, period)
}

/// Fills the placeholders of a template text: {period_code}, {period}, {prefecture} and {deadline}.
pub fn fill(text: &str, prefecture: &Prefecture, period: Period, deadline: Option<chrono::NaiveDate>) -> String {
    fill_names(text, prefecture, period).replace("{deadline}", &deadline.map(chinese_date).unwrap_or_else(|| "规定时间".into()))
}

/// The placeholders a file name may hold too: {period_code}, {period} and {prefecture}.
fn fill_names(text: &str, prefecture: &Prefecture, period: Period) -> String {
    text.replace("{period_code}", &period.code()).replace("{period}", &period.label()).replace("{prefecture}", &prefecture.name)
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
        let base = style::base(11.0);
        let bordered = style::bordered(&base);
        let input_fill = style::INPUT_FILL;
        Formats {
            title: style::title(&base, 18.0),
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
                .set_font_name(style::TITLE_FONT)
                .set_bold()
                .set_align(FormatAlign::Center)
                .set_background_color(style::HEADER_FILL),
            locked_text: bordered.clone().set_align(FormatAlign::Top),
            locked_center: bordered.clone().set_align(FormatAlign::Center),
            data: bordered.clone().set_unlocked().set_align(FormatAlign::Top),
            data_center: bordered.clone().set_unlocked().set_align(FormatAlign::Center),
            data_number: bordered.clone().set_unlocked().set_align(FormatAlign::Center).set_num_format("General"),
            marked_error: bordered.clone().set_unlocked().set_align(FormatAlign::Top).set_background_color(style::ERROR_FILL),
            marked_warning: bordered.clone().set_unlocked().set_align(FormatAlign::Top).set_background_color(style::WARNING_FILL),
            instructions: base.set_text_wrap().set_align(FormatAlign::Top),
        }
    }
}

/// Protection that keeps the header and reference cells fixed but lets people work with rows.
pub(crate) fn protect(ws: &mut Worksheet) {
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
pub(crate) fn marks_at<'a>(extras: &'a Extras<'_>, table: Table, row: usize, column: &str) -> Option<(crate::Severity, String, bool)> {
    let here: Vec<&'a Mark> = extras.marks.iter().filter(|m| m.table == table && m.row == row && m.column == column).collect();
    let severity = here.iter().map(|m| m.severity).min()?;
    let error = here.iter().any(|m| m.formula_error);
    Some((severity, here.iter().map(|m| m.message.as_str()).collect::<Vec<_>>().join("\n"), error))
}

/// What every sheet of one prefecture's workbook is written from.
pub(crate) struct Ctx<'a> {
    refdata: &'a RefData,
    prefecture: &'a Prefecture,
    period: Period,
    deadline: Option<chrono::NaiveDate>,
    extras: &'a Extras<'a>,
    f: Formats,
    /// The list sheet's name, quoted for the dropdowns' formulas.
    lists: String,
}

/// The workbook, one sheet after the other: 填报说明, the 问题清单 of corrections, 附件2, 附件1,
/// 指标完成情况, the hidden list sheet and the very hidden sheet that marks the file as taizhang's.
fn build_workbook(
    refdata: &RefData,
    prefecture: &Prefecture,
    period: Period,
    deadline: Option<chrono::NaiveDate>,
    extras: &Extras<'_>,
) -> Result<Workbook, XlsxError> {
    let layout = &refdata.template;
    let cx = Ctx { refdata, prefecture, period, deadline, extras, f: Formats::new(), lists: crate::xlsx::quote_sheet(&layout.sheets.lists) };
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
    sheets::instructions(&mut wb, &cx)?;
    if !extras.findings.is_empty() {
        sheets::findings(&mut wb, &cx)?;
    }
    ledger::write(&mut wb, &cx)?;
    progress::write(&mut wb, &cx)?;
    indicators::write(&mut wb, refdata, prefecture, period, extras, &cx.f)?;
    sheets::lists(&mut wb, &cx)?;
    let meta = crate::xlsx::meta::Meta {
        version: layout.version,
        prefecture_code: prefecture.code.clone(),
        prefecture: prefecture.name.clone(),
        period,
        deadline,
        ledger_sheet: layout.sheets.ledger.clone(),
        ledger_header_row: LEDGER_HEADER_ROW,
        progress_sheet: layout.sheets.progress.clone(),
        progress_header_row: PROGRESS_HEADER_ROW,
    };
    crate::xlsx::meta::write(&mut wb, &layout.sheets.meta, &meta)?;
    Ok(wb)
}

/// The prefecture's template path inside `dir`.
pub fn path_in(dir: &Path, refdata: &RefData, prefecture: &Prefecture, period: Period) -> PathBuf {
    dir.join(file_name(refdata, prefecture, period))
}
