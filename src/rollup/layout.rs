//! The rollup's layout: every sheet and column name the rollup and the comparison are written with, in
//! one place, so that the writer ([`super::workbook`], [`super::diff`]) and the reader of an earlier rollup
//! ([`super::readback`]) cannot drift apart. A wording change here changes both; there is no second
//! spelling for `diff`, `template --from` or `--previous` to miss.

/// Sheet names of the rollup.
pub mod sheets {
    pub const SUMMARY: &str = "汇总";
    pub const LEDGER: &str = "附件2 质量提升台账 (全省汇总)";
    /// The start of the name of each continuation of 附件2 when the ledger outgrows one sheet.
    pub const LEDGER_CONTINUED: &str = "附件2 全省汇总(续";
    pub const TASKS: &str = "附件1 任务分解及进展";
    pub const PROGRESS: &str = "附件1 进展明细";
    pub const INDUSTRY: &str = "按行业统计";
    pub const FINDINGS: &str = "问题清单";
    /// Texts longer than an Excel cell holds, whole, in segments (see `long_cols`).
    pub const LONG_TEXT: &str = "长文本";

    /// The name of the `part`-th continuation of 附件2 (1, 2 …).
    pub fn ledger_continued(part: usize) -> String {
        format!("{LEDGER_CONTINUED}{part})")
    }

    /// Whether a sheet holds rows of 附件2: the sheet itself or one of its continuations.
    pub fn is_ledger(name: &str) -> bool {
        name == LEDGER || name.starts_with(LEDGER_CONTINUED)
    }
}

/// Sheet names of the comparison of two quarters (the `diff` workbook, and the rollup with `--previous`).
pub mod diff_sheets {
    pub const SUMMARY: &str = "变化汇总";
    pub const ADDED: &str = "新增企业";
    pub const REMOVED: &str = "减少企业";
    pub const CHANGED: &str = "内容变化";
    pub const MOVED: &str = "任务状态变化";
}

/// Headers of the 汇总 sheet that are read back (by `template --from`, `diff` and the office's documents).
pub mod summary_cols {
    pub const ZONE: &str = "经济区";
    pub const PREFECTURE: &str = "市州";
    pub const STATUS: &str = "报送状态";
    pub const FILE: &str = "采用文件";
    pub const FILLED_DATE: &str = "填报日期";
    pub const FILLER: &str = "填报人";
    pub const PHONE: &str = "联系电话";
    pub const ENTERPRISES: &str = "企业数";
    pub const TASKS: &str = "任务进展项数";
    pub const ERRORS: &str = "错误数";
    pub const WARNINGS: &str = "警告数";
    pub const INFOS: &str = "提示数";
    pub const UNUSED: &str = "未采用的文件及原因";
    /// The label of the line under the prefectures that adds them up.
    pub const TOTAL: &str = "合计";
}

/// Headers of the 指标完成情况 sheet that are read back (and written).
pub mod indicator_cols {
    pub const NO: &str = "序号";
    pub const NAME: &str = "指标";
    pub const UNIT: &str = "单位";
    pub const TARGET: &str = "目标";
    pub const HORIZON: &str = "期限";
    /// What is due at the period (see `history::schedule`).
    pub const EXPECTED: &str = "序时进度";
    pub const PROVINCE: &str = "全省完成值";
    /// For a count of prefectures meeting their target: the prefectures' values summed.
    pub const TOTAL: &str = "各市州合计";
    pub const RATE: &str = "完成率";
    pub const STATUS: &str = "状态";
    pub const PREVIOUS: &str = "上期全省";
    pub const CHANGE: &str = "较上期";
}

/// Headers of the long-text sheet: the sheet and cell a text continues, the segment's number, the segment.
pub mod long_cols {
    pub const SHEET: &str = "工作表";
    pub const CELL: &str = "单元格";
    pub const PART: &str = "段";
    pub const TEXT: &str = "内容";
}

/// The row (zero-based) of the header of every rollup sheet that lists rows: a title, a line on the
/// scope, then the header.
pub const HEADER_ROW: u32 = 2;

/// Names of the columns the merge adds around the ledger's own, and of the progress frame.
pub mod cols {
    pub const SEQ: &str = "序号";
    pub const PREFECTURE: &str = "填报市州";
    pub const ZONE: &str = "经济区";
    pub const FILE: &str = "来源文件";
    pub const CELL: &str = "来源单元格";
    pub const ORIGINAL_SEQ: &str = "原序号";
    pub const INDUSTRY_GROUP: &str = "行业(统计口径)";
    pub const TASK: &str = "任务序号";
    pub const STATUS: &str = "完成状态";
    pub const NARRATIVE: &str = "推进情况";
    pub const VALUE: &str = "量化完成值";
    /// The sheet of a row, when a return splits its ledger into one sheet per county (区县).
    pub const COUNTY_SHEET: &str = "区县(工作表)";
    // Internal columns, dropped before export.
    pub const P_ORDER: &str = "_pref_order";
    pub const SUB: &str = "_sub";
    pub const ROW: &str = "_row";
    pub const KEY: &str = "_key";
}

/// The label used for rows whose prefecture could not be determined.
pub const UNKNOWN_PREFECTURE: &str = "(市州不明)";

/// The summary line that counts findings belonging to no prefecture's line.
pub const OTHER_FINDINGS: &str = "(其他)";

/// What 附件1 进展明细 showed, up to issue 15, in the status of a task a prefecture did not report on
/// (rollups of earlier quarters still have such rows; `history` passes over them).
pub const NOT_REPORTED: &str = "(未填报)";

/// The start of the line under a task of 附件1 进展明细 naming the returned prefectures that did not
/// report on it.
pub const NOT_REPORTED_LINE: &str = "未填报本项的市州:";
