//! Findings: every problem taizhang sees, in a form a person can act on.
//!
//! A finding is forwarded to a prefecture as it is, so it carries where (file, sheet, cell in A1 form,
//! field), what was there (the original value) and a complete Chinese sentence saying what to do. Codes are
//! stable across releases so that people can filter on them and tests can assert them.

use std::fmt;

use serde::Serialize;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Severity {
    /// The data is wrong or missing and must be corrected (错误). Any error makes `check` exit 1.
    Error,
    /// Probably wrong; someone should look (警告).
    Warning,
    /// For information: what taizhang did with something unusual (提示).
    Info,
}

impl Severity {
    /// The Chinese word shown to people.
    pub fn label(&self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
            Severity::Info => "提示",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

macro_rules! codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $sev:ident, $title:literal; )*) => {
        /// The kind of a finding. Each has a stable code, a default severity and a short Chinese title.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in order, for documentation and tests.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The stable code, e.g. `F03`.
            pub fn as_str(&self) -> &'static str {
                match self { $( Code::$variant => $code, )* }
            }

            /// The severity findings of this kind have.
            pub fn severity(&self) -> Severity {
                match self { $( Code::$variant => Severity::$sev, )* }
            }

            /// A short Chinese title.
            pub fn title(&self) -> &'static str {
                match self { $( Code::$variant => $title, )* }
            }
        }
    };
}

codes! {
    /// The file could not be read: damaged, truncated, or a format taizhang does not read.
    Unreadable = "F01", Error, "文件无法读取";
    /// The file is not a spreadsheet at all (a Word document, a picture, an archive).
    NotSpreadsheet = "F02", Error, "不是电子表格";
    /// The workbook is protected by a password to open.
    Encrypted = "F03", Error, "文件已加密";
    /// The file or one of its sheets is larger than the configured limits.
    TooLarge = "F04", Error, "文件过大";
    /// Reading took longer than the deadline; the file was abandoned.
    Timeout = "F05", Error, "读取超时";
    /// The reader failed unexpectedly on this file (a defect in a library, caught and contained).
    ReaderFailure = "F06", Error, "读取异常";
    /// A file that is not a return (lock file, Thumbs.db, hidden file) was passed over.
    Skipped = "F07", Info, "已跳过的文件";
    /// A resubmission replaced this file; its rows are not in the rollup.
    Superseded = "F08", Info, "已被新版本替代";
    /// No sheet of the file holds the ledger (附件2).
    NoLedger = "S01", Error, "未找到台账";
    /// A required column of the ledger is missing.
    MissingColumn = "S02", Error, "缺少必填列";
    /// A sheet was not recognised as the ledger or the task progress and was not imported (a warning when
    /// its header names some ledger columns: it looks like a ledger that could not be read).
    SheetIgnored = "S03", Info, "工作表未导入";
    /// Values stand in a column that has no header.
    ValueWithoutHeader = "S04", Warning, "列无表头";
    /// The task progress sheet (附件1) is missing.
    NoProgress = "S05", Warning, "未找到任务进展表";
    /// A column that is not part of the template was kept as an extra column.
    ExtraColumn = "S06", Info, "增加的列";
    /// Two columns have headers for the same field; the first is used.
    DuplicateColumn = "S07", Warning, "表头重复";
    /// A sheet of the file was hidden by the prefecture and not read.
    HiddenSheet = "S08", Info, "隐藏的工作表";
    /// The ledger has a header but not a single enterprise under it.
    EmptyLedger = "S09", Error, "台账为空";
    /// The task progress sheet (附件1) is there but not one task is reported on it.
    EmptyProgress = "S10", Warning, "任务进展表未填写";
    /// A header that is not a template name but contains one ("提升措施及计划") was taken for that column.
    HeaderByMeaning = "S11", Info, "表头按含义对应";
    /// A header that contains the names of several columns; kept as an extra column, not guessed.
    AmbiguousHeader = "S12", Warning, "表头无法确定对应列";
    /// The ledger is split over several sheets (one per county); every one was read.
    SeveralLedgerSheets = "S13", Info, "台账分在多个工作表";
    /// A sheet holds a table of another period besides this period's; that table was not read.
    OtherPeriodBlock = "S14", Warning, "表中另有其他期别的台账";
    /// A workbook's sheets are named after several prefectures (a coordinator sent them together): each
    /// prefecture's sheets were read as its own return.
    WorkbookSplit = "S15", Info, "一个文件含多个市州的台账";
    /// The prefecture could not be determined.
    UnknownPrefecture = "P01", Error, "无法确定填报市州";
    /// Different places in the file name different prefectures.
    PrefectureConflict = "P02", Warning, "填报市州不一致";
    /// The file is for another period than the one being collected.
    PeriodMismatch = "P03", Warning, "期别不符";
    /// The file states no period and was counted for the collection's period (given with `--period`, or
    /// the one the other returns state): a return is never left out for what it does not say.
    PeriodAssumed = "P04", Warning, "未写明期别,按本次收集计入";
    /// The rollup's period differs from the period its output file name names.
    OutputPeriod = "P05", Warning, "汇总表文件名期别不符";
    /// The rollup is not for the quarter after the one `--previous` is for.
    PreviousPeriod = "P06", Warning, "上期汇总表期别不符";
    /// The file states no period, and neither does any other return of the collection (a first
    /// collection has no quarter): all are rolled up as one collection with its period unstated.
    PeriodUnknown = "P07", Info, "未写明期别(一并汇总)";
    /// A file uploaded through one prefecture's private link names another prefecture. It counts for
    /// the link's prefecture: a link never files a return as another prefecture's.
    LinkPrefectureConflict = "P08", Error, "上传链接与填报市州不符";
    /// A mandatory field of a ledger row is empty.
    RequiredEmpty = "V01", Error, "必填项为空";
    /// An industry not in the list.
    UnknownIndustry = "V02", Warning, "行业不在列表中";
    /// A 统一社会信用代码 that fails the GB 32100 check.
    InvalidCreditCode = "V03", Error, "统一社会信用代码有误";
    /// A cell holds a formula error value (#N/A, #REF!, #DIV/0! …).
    FormulaError = "V04", Error, "公式错误值";
    /// The same row appears twice; it is kept once.
    DuplicateRow = "V05", Warning, "重复的行";
    /// The same enterprise appears twice in one return with different content; both rows are kept.
    DuplicateEnterprise = "V06", Warning, "企业重复填报";
    /// The same enterprise appears in two prefectures' returns; both rows are kept.
    CrossPrefecture = "V07", Info, "企业在多个市州出现";
    /// A task status that is not 未启动 / 推进中 / 已完成.
    UnknownStatus = "V08", Warning, "完成状态无法识别";
    /// A 量化完成值 that is not a number.
    NotANumber = "V09", Warning, "量化完成值不是数字";
    /// A row of the progress sheet that matches none of the 36 tasks.
    UnknownTask = "V10", Warning, "无法对应任务";
    /// A note written around the table (备注, 注: …), reported so it is read.
    Note = "V11", Info, "表格备注";
    /// The 填报日期 could not be read as a date.
    BadDate = "V12", Warning, "填报日期无法识别";
    /// A task appears twice in the progress sheet; the first is used.
    DuplicateTask = "V13", Warning, "任务重复填报";
    /// A row of the ledger that is a heading or a total, not an enterprise; it is not imported.
    NotEnterpriseRow = "V14", Info, "非企业行";
    /// A total row states another number of enterprises than the rows it totals.
    TotalMismatch = "V15", Warning, "合计数与企业数不符";
    /// The 提升企业名称 looks like a product or an industry while a neighbouring column holds a name.
    NameInWrongColumn = "V16", Warning, "企业名称疑似填错列";
    /// A row's values stand one column off from their headers.
    ShiftedRow = "V17", Warning, "整行错位";
    /// Several enterprises written in one 提升企业名称 cell.
    SeveralEnterprises = "V18", Warning, "一格填了多家企业";
    /// A task's 完成状态 contradicts its 推进情况 (or is blank while 推进情况 says where it stands).
    StatusContradiction = "V19", Warning, "完成状态与推进情况不符";
    /// One enterprise written over several rows (its name merged down); the rows were joined into one.
    EnterpriseOverRows = "V20", Info, "一家企业占多行";
    /// Cells holding a formula whose value the file does not hold (written by a script): they read as
    /// empty until the file is saved once in Excel or WPS.
    FormulaWithoutValue = "V21", Warning, "公式没有计算结果";
    /// A text longer than an Excel cell holds (32,767 characters): kept whole, the rollup's cell shows its
    /// beginning and its long-text sheet the rest.
    LongText = "V22", Warning, "单元格内容超过 Excel 上限";
    /// A value of the 指标完成情况 sheet that is not one number; it is not in the province figure.
    IndicatorUnreadable = "I01", Warning, "指标完成值无法识别";
    /// A cumulative indicator value lower than last quarter's.
    IndicatorDecreased = "I02", Warning, "指标完成值比上期减少";
    /// An indicator value that cannot be right: negative, a rate over 100 %, one prefecture over the
    /// province's target.
    IndicatorImplausible = "I03", Warning, "指标完成值不合理";
    /// An indicator value written as an approximation ("约120家"), counted as its number.
    IndicatorApproximate = "I04", Info, "指标完成值为约数";
    /// A row or column of the 指标完成情况 sheet that is no indicator of the template (or one twice).
    IndicatorUnmatched = "I05", Warning, "指标行或列无法对应";
    /// A message carries an archive taizhang cannot open (RAR, gzip) in place of a return.
    MailRar = "C01", Error, "邮件附件为无法读取的压缩包";
    /// A message links to a cloud drive instead of attaching the return.
    MailLink = "C02", Warning, "网盘链接而非附件";
    /// A message with no spreadsheet attached (and no other sign of a return).
    MailNoSpreadsheet = "C03", Warning, "邮件中没有表格";
    /// A message that could not be fetched or parsed.
    MailUnreadable = "C04", Error, "邮件无法读取";
    /// An attachment whose content was collected before; it is not stored twice.
    MailDuplicate = "C05", Info, "附件已收取过";
    /// The sender's address is not in the contacts sheet, so it does not tell the prefecture.
    UnknownSender = "C06", Info, "发件人不在联系人表中";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One problem, located and explained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: Code,
    /// The file as the user named it (relative paths stay relative).
    pub file: String,
    /// The prefecture the file belongs to, once known (used to sort and group).
    pub prefecture: Option<String>,
    pub sheet: Option<String>,
    /// The cell (shown, and serialized, in A1 form).
    pub cell: Option<crate::cell::CellRef>,
    /// The field (column header) concerned.
    pub field: Option<String>,
    /// The value as found in the file.
    pub value: Option<String>,
    /// A complete Chinese sentence that can be forwarded to the prefecture.
    pub message: String,
    /// 技术细节: what a library said about the problem, in its own words (often English, e.g. "invalid Zip
    /// archive: Could not find EOCD"), for the people who look after the office's computers. Shown apart
    /// from the message, which stays forwardable as it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Finding {
    /// A finding of kind `code` about `file`, with the code's default severity.
    pub fn new(code: Code, file: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            severity: code.severity(),
            code,
            file: file.into(),
            prefecture: None,
            sheet: None,
            cell: None,
            field: None,
            value: None,
            message: message.into(),
            detail: None,
        }
    }

    pub fn sheet(mut self, sheet: impl Into<String>) -> Self {
        self.sheet = Some(sheet.into());
        self
    }

    pub fn cell(mut self, cell: crate::cell::CellRef) -> Self {
        self.cell = Some(cell);
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn value(mut self, value: impl Into<String>) -> Self {
        let v = value.into();
        self.value = (!v.is_empty()).then_some(v);
        self
    }

    /// The technical detail (see [`Finding::detail`]), when there is one.
    pub fn detail(mut self, detail: Option<String>) -> Self {
        self.detail = detail.filter(|d| !d.is_empty());
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Where the finding is, as people read it: `附件2!C7`, or the sheet alone, or nothing.
    pub fn location(&self) -> String {
        match (&self.sheet, &self.cell) {
            (Some(s), Some(c)) => format!("{s}!{c}"),
            (Some(s), None) => s.clone(),
            (None, Some(c)) => c.a1(),
            (None, None) => String::new(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.severity, self.code, self.file)?;
        let loc = self.location();
        if !loc.is_empty() {
            write!(f, " {loc}")?;
        }
        if let Some(field) = &self.field {
            write!(f, " [{field}]")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(v) = &self.value {
            let shown: String = v.chars().take(60).collect();
            let more = if v.chars().count() > 60 { "…" } else { "" };
            write!(f, " (原值:「{}{more}」)", shown.replace('\n', "⏎"))?;
        }
        if let Some(d) = &self.detail {
            write!(f, " [技术细节:{d}]")?;
        }
        Ok(())
    }
}

/// The columns of a table of findings (问题清单 in the rollup, and its CSV export), in order: the headers
/// here and the values of [`Finding::table_row`] are spelled once for both.
pub const TABLE_COLUMNS: [&str; 11] = ["市州", "严重程度", "代码", "问题类型", "文件", "工作表", "单元格", "字段", "原值", "说明", "技术细节"];

impl Finding {
    /// The finding's values under [`TABLE_COLUMNS`], with its file shown as `file` (the rollup shows the
    /// file name alone, the export the path as given); empty where there is nothing to say.
    pub fn table_row(&self, file: &str) -> [String; 11] {
        let or_empty = |v: &Option<String>| v.clone().unwrap_or_default();
        [
            or_empty(&self.prefecture),
            self.severity.label().to_string(),
            self.code.as_str().to_string(),
            self.code.title().to_string(),
            file.to_string(),
            or_empty(&self.sheet),
            self.cell.map(|c| c.a1()).unwrap_or_default(),
            or_empty(&self.field),
            or_empty(&self.value),
            self.message.clone(),
            or_empty(&self.detail),
        ]
    }
}

/// Counts of findings by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Counts {
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut c = Counts::default();
        for f in findings {
            match f.severity {
                Severity::Error => c.errors += 1,
                Severity::Warning => c.warnings += 1,
                Severity::Info => c.infos += 1,
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate code {}", c.as_str());
        }
    }

    #[test]
    fn displays_location_and_value() {
        let f = Finding::new(Code::RequiredEmpty, "成都.xlsx", "「提升企业名称」不能为空,请补填。")
            .sheet("附件2")
            .cell(crate::cell::CellRef::new(6, 2))
            .field("提升企业名称");
        assert_eq!(f.to_string(), "错误 V01 成都.xlsx 附件2!C7 [提升企业名称]: 「提升企业名称」不能为空,请补填。");
    }
}
