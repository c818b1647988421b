//! `taizhang history`: the dataset's periods as one history — the 历次 workbook, and on the terminal the
//! periods, the indicators behind 序时进度 and the cumulative ranking.

use std::io::Write;

use crate::history::run::{HistoryRequest, run as run_history};
use crate::refdata::RefData;
use crate::{Error, ExitStatus};

/// Arguments of `taizhang history`.
pub type HistoryConfig = HistoryRequest;

/// Runs `history`.
///
/// # Errors
/// As [`crate::history::run::run`].
pub fn run(refdata: &RefData, cfg: &HistoryConfig, out: &mut dyn Write) -> Result<ExitStatus, Error> {
    let r = run_history(refdata, cfg)?;
    for (p, path) in &r.imported {
        writeln!(out, "已将汇总表 {} 写入数据集:{}", path.display(), p.label())?;
    }
    let h = &r.history;
    let codes: Vec<String> = h.periods.iter().map(|p| p.period.code()).collect();
    writeln!(out, "数据集共 {} 期:{}", codes.len(), codes.join("、"))?;
    if let Some(last) = h.periods.last() {
        let behind: Vec<String> = h
            .schedule
            .iter()
            .filter(|l| l.period == last.period && l.prefecture.is_none() && l.judged.is_some() && !l.on_pace())
            .filter_map(|l| refdata.indicators.get(&l.indicator).map(|i| format!("{}({})", i.short(), l.label())))
            .collect();
        if behind.is_empty() {
            writeln!(out, "{}:有数据的量化指标均达到序时进度", last.period.label())?;
        } else {
            writeln!(out, "{}:未达到序时进度的量化指标 {} 项:{}", last.period.label(), behind.len(), behind.join("、"))?;
        }
    }
    writeln!(out, "考核累计排名:")?;
    for s in h.assessment.ranking(None) {
        writeln!(out, "{:>3}  {:<10} {:>6} 分  {}", s.rank, s.prefecture, crate::text::format_number(s.total), s.grade)?;
    }
    if let Some(p) = &r.workbook {
        writeln!(out, "历次汇总工作簿已写入 {}", p.display())?;
    }
    Ok(ExitStatus::Clean)
}
