//! What goes into next quarter's templates from the last rollup (`template --from ROLLUP`): each
//! prefecture's rows, task progress and indicator values, so that it updates them instead of retyping.

use crate::indicators::Previous;
use crate::refdata::RefData;
use crate::text::format_number;

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

/// Adds each prefecture's previous indicator values to its template prefill (`template --from`).
pub fn add_indicator_prefill(refdata: &RefData, previous: &Previous, period: crate::Period, prefill: &mut Vec<(String, Prefill)>) {
    for p in refdata.prefectures.all() {
        let values = crate::indicators::prefill_for(refdata, previous, &p.name, period);
        if values.is_empty() {
            continue;
        }
        let rows = values
            .into_iter()
            .map(|(id, v)| IndicatorPrefill { id, previous: Some(v), value: format_number(v), note: String::new() })
            .collect();
        match prefill.iter_mut().find(|(n, _)| *n == p.name) {
            Some((_, f)) => f.indicators = rows,
            None => prefill.push((p.name.clone(), Prefill { indicators: rows, ..Default::default() })),
        }
    }
}
