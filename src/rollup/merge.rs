//! Merging the submissions of a period into one provincial ledger, with polars.
//!
//! Each accepted submission becomes a frame with provenance columns; returns whose columns differ (extra
//! columns, a 统一社会信用代码 column or not) are stacked with a diagonal concat, so no column is lost. The
//! choice between resubmissions, the dropping of exact duplicate rows, the official ordering and the search
//! for enterprises reported by two prefectures are steps of one lazy pipeline.

use std::collections::{BTreeMap, HashMap};
use std::time::UNIX_EPOCH;

use polars::prelude::*;

use crate::finding::{Code, Counts, Finding, Severity};
use crate::period::Period;
use crate::refdata::RefData;
use crate::submission::Submission;

pub use super::frames::Frames;
pub use super::status::{PrefectureSummary, ReturnStatus};
use super::status::summary_lines;
pub use super::ledger::StackedLedger;
use super::frames::{extra_name, ledger_frame, progress_frame};
use crate::rollup::layout::{OTHER_FINDINGS, UNKNOWN_PREFECTURE, cols};


/// Options of the merge.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// The period being rolled up; by default the period most returns are for.
    pub period: Option<Period>,
}

/// The merged province.
#[derive(Debug, Clone)]
pub struct Merged {
    pub period: Option<Period>,
    /// One row per enterprise: 序号, 填报市州, the ledger's columns, the extra columns, 来源文件, 来源单元格,
    /// 原序号, and 行业(统计口径) — kept return by return (see [`StackedLedger`]).
    pub ledger: StackedLedger,
    /// Names of the extra columns in `ledger`, in order.
    pub extra_columns: Vec<String>,
    /// One row per task reported: 任务序号, 填报市州, 完成状态, 推进情况, 量化完成值, extras, 来源文件, 来源单元格.
    pub progress: DataFrame,
    pub progress_extra_columns: Vec<String>,
    /// All 21 prefectures in official order, then a line for returns whose prefecture is unknown if any.
    pub prefectures: Vec<PrefectureSummary>,
    /// Every finding of every file, plus those of the merge, sorted by prefecture and severity.
    pub findings: Vec<Finding>,
    /// Enterprises per industry (rows) and prefecture (columns, official order).
    pub industry_counts: Vec<(String, Vec<u32>)>,
    /// The plan's quantified targets: each prefecture's value and the province figure, judged against
    /// 序时进度 at the period.
    pub indicators: crate::indicators::Figures,
    /// The submissions (indices into the merged slice) whose rows are in the rollup: each prefecture's
    /// chosen return, and returns whose prefecture is unknown.
    pub adopted: Vec<usize>,
    /// Each return passed over for a later one of its prefecture, with the one taken instead.
    pub superseded: Vec<(usize, usize)>,
}

/// A merge that could not be done.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("合并数据时出错: {0}")]
    Polars(#[from] PolarsError),
}


/// Which submission each prefecture's rows come from: the latest 填报日期, ties and missing dates broken by
/// the file's modification time (the later wins), then by the order of the inputs.
fn choose_winners(subs: &[Submission], usable: &[usize], order_of: &dyn Fn(&str) -> u32) -> PolarsResult<Vec<(usize, Vec<usize>)>> {
    let idx: Vec<u32> = usable.iter().map(|&i| i as u32).collect();
    let pref: Vec<String> = usable.iter().map(|&i| subs[i].prefecture.clone().unwrap_or_default()).collect();
    let order: Vec<u32> = pref.iter().map(|p| order_of(p)).collect();
    let date: Vec<Option<i32>> = usable
        .iter()
        .map(|&i| subs[i].filled_on.map(|d| (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32))
        .collect();
    let mtime: Vec<Option<i64>> = usable
        .iter()
        .map(|&i| subs[i].modified.and_then(|m| m.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_millis() as i64))
        .collect();
    let n = idx.len();
    let df = DataFrame::new(
        n,
        vec![
            Column::new("idx".into(), idx),
            Column::new("pref".into(), pref),
            Column::new("order".into(), order),
            Column::new("date".into(), date),
            Column::new("mtime".into(), mtime),
        ],
    )?;
    let sorted = df
        .lazy()
        .sort(
            ["order", "pref", "date", "mtime", "idx"],
            SortMultipleOptions::default()
                .with_order_descending_multi([false, false, true, true, false])
                .with_nulls_last(true)
                .with_maintain_order(true),
        )
        .collect()?;
    let idx = sorted.column("idx")?.u32()?.clone();
    let pref = sorted.column("pref")?.str()?.clone();
    let mut out: Vec<(usize, Vec<usize>)> = Vec::new();
    let mut last: Option<String> = None;
    for (i, p) in idx.iter().zip(pref.iter()) {
        let (Some(i), Some(p)) = (i, p) else { continue };
        if last.as_deref() == Some(p) {
            if let Some(w) = out.last_mut() {
                w.1.push(i as usize);
            }
        } else {
            out.push((i as usize, Vec::new()));
            last = Some(p.to_string());
        }
    }
    Ok(out)
}

/// Merges the submissions of a period, building the frames of each return here.
///
/// # Errors
/// Only when polars fails, which would be a defect (all frames are built here).
pub fn merge(refdata: &RefData, subs: &mut [Submission], opts: &MergeOptions) -> Result<Merged, MergeError> {
    let frames = (0..subs.len()).map(|_| None).collect();
    merge_framed(refdata, subs, frames, opts)
}

/// Merges the submissions of a period with the frames already built for some of them (`frames[i]` for
/// `subs[i]`, see [`Frames::take`]); the others are built here. The stages, in order: settle the period,
/// choose between resubmissions, stack the frames, look for enterprises in two prefectures, then the
/// summary lines, the plan's indicators and the industry counts.
///
/// # Errors
/// Only when polars fails, which would be a defect (all frames are built by taizhang).
pub fn merge_framed(refdata: &RefData, subs: &mut [Submission], mut frames: Vec<Option<Frames>>, opts: &MergeOptions) -> Result<Merged, MergeError> {
    frames.resize_with(subs.len(), || None);
    let order = Order::new(refdata);
    let period = crate::import::batch::settle_periods(subs, opts.period);
    // Returns for another period, or without one when none was given, are not rolled up (each has its
    // finding from `settle_periods`).
    let usable: Vec<usize> = (0..subs.len()).filter(|&i| !subs[i].skipped && crate::import::batch::counts_for(&subs[i], period)).collect();
    let (known, unknown): (Vec<usize>, Vec<usize>) = usable.iter().partition(|&&i| subs[i].prefecture.is_some());
    let winners = choose_winners(subs, &known, &|p| order.of(p))?;
    super::status::mark_superseded(subs, &winners);

    let mut accepted: Vec<usize> = winners.iter().map(|(w, _)| *w).chain(unknown.iter().copied()).collect();
    accepted.sort_by_key(|&i| (subs[i].prefecture.as_deref().map_or(order.unknown, |p| order.of(p)), i));
    for &i in &accepted {
        if frames[i].is_none() {
            frames[i] = Some(Frames::of(refdata, &subs[i])?);
        }
    }
    let distinct_rows: Vec<usize> = frames.iter().map(|f| f.as_ref().map_or(0, |f| f.distinct_rows)).collect();
    let stacked = stack(refdata, subs, &mut frames, &accepted, &order)?;
    report_cross_prefecture(refdata, subs, &stacked.ledger)?;

    let distinct = |i: usize| distinct_rows[i];
    let mut prefectures = summary_lines(refdata, subs, &winners, &distinct);
    for &i in &unknown {
        let mut line = PrefectureSummary::new(UNKNOWN_PREFECTURE.to_string(), String::new(), ReturnStatus::Returned);
        line.take_return(&subs[i], distinct(i));
        prefectures.push(line);
    }
    let mut indicators = indicator_figures(refdata, subs, &winners, &prefectures);
    if let Some(p) = period {
        indicators.schedule(refdata, p);
    }
    let superseded: Vec<(usize, usize)> = winners.iter().flat_map(|(w, losers)| losers.iter().map(move |l| (*l, *w))).collect();
    let industry_counts = industry_counts(refdata, &stacked.ledger)?;

    let findings = super::status::rollup_findings(subs);
    let Stacked { ledger, extra_columns, progress, progress_extra_columns } = stacked;
    let mut m = Merged { period, ledger, extra_columns, progress, progress_extra_columns, prefectures, findings, industry_counts, indicators, adopted: accepted, superseded };
    m.add_findings(refdata, Vec::new());
    Ok(m)
}

/// The official order of the prefectures, with returns of unknown prefecture after all of them.
struct Order<'a> {
    refdata: &'a RefData,
    unknown: u32,
}

impl<'a> Order<'a> {
    fn new(refdata: &'a RefData) -> Self {
        Order { refdata, unknown: refdata.prefectures.all().len() as u32 }
    }

    fn of(&self, name: &str) -> u32 {
        self.refdata.prefectures.index_of(name).map_or(self.unknown, |i| i as u32)
    }
}

/// The accepted returns stacked into the province's ledger and progress.
struct Stacked {
    ledger: StackedLedger,
    extra_columns: Vec<String>,
    progress: DataFrame,
    progress_extra_columns: Vec<String>,
}

/// Stacks the frames of the accepted returns (`accepted`, in official order). The frames come with their
/// rows in sheet order, so stacking them is the whole ordering: no sort, and no copy of the text — the
/// ledger keeps each return's frame as its part, in memory or where `consolidate` spilled it.
fn stack(refdata: &RefData, subs: &[Submission], frames: &mut [Option<Frames>], accepted: &[usize], order: &Order<'_>) -> PolarsResult<Stacked> {
    let empty = || Submission::new(Default::default(), String::new());
    let mut ledger = StackedLedger::new(
        ledger_frame(refdata, &empty())?
            .lazy()
            .with_columns([
                lit(0u32).cast(DataType::UInt32).alias(cols::P_ORDER),
                lit(0u32).cast(DataType::UInt32).alias(cols::SUB),
                lit("").alias(cols::PREFECTURE),
                lit("").alias(cols::FILE),
            ])
            .with_row_index(cols::SEQ, Some(1))
            .collect()?,
    );
    let mut progresses = Vec::new();
    let mut extra_columns: Vec<String> = Vec::new();
    let mut progress_extra_columns: Vec<String> = Vec::new();
    for &i in accepted {
        let s = &subs[i];
        let pref = s.prefecture.clone().unwrap_or_else(|| UNKNOWN_PREFECTURE.to_string());
        let pref_order = order.of(&pref);
        let county = (s.sheet_columns.len() > 1).then_some(cols::COUNTY_SHEET);
        for e in s.extra_columns.iter().map(String::as_str).chain(county) {
            let e = extra_name(refdata, e);
            if !extra_columns.contains(&e) {
                extra_columns.push(e);
            }
        }
        for e in &s.progress_extra_columns {
            if !progress_extra_columns.contains(e) {
                progress_extra_columns.push(e.clone());
            }
        }
        let frame = match frames[i].take() {
            Some(f) => f,
            None => Frames::of(refdata, s)?,
        };
        progresses.push(progress_frame(refdata, s, i as u32, &pref, pref_order)?.lazy());
        ledger.push(frame, pref_order, i as u32, pref, s.file_name());
    }
    let progress = if progresses.is_empty() {
        progress_frame(refdata, &empty(), 0, "", 0)?
    } else {
        concat_lf_diagonal(progresses, UnionArgs::default())?
            .sort([cols::P_ORDER, cols::TASK], SortMultipleOptions::default().with_maintain_order(true))
            .collect()?
    };
    Ok(Stacked { ledger, extra_columns, progress, progress_extra_columns })
}

/// The same enterprise in two prefectures: both rows stay; each is reported (V07) on its own return.
fn report_cross_prefecture(refdata: &RefData, subs: &mut [Submission], ledger: &StackedLedger) -> PolarsResult<()> {
    let ent_name = refdata.ledger.column("enterprise").map(|c| c.name.clone()).unwrap_or_default();
    // First the keys found in more than one prefecture, from two columns of every row; then the rows of
    // those keys only. A national ledger has a million rows and a handful of such keys.
    let shared_keys = ledger
        .select(&[cols::KEY, cols::PREFECTURE])?
        .lazy()
        .filter(col(cols::KEY).neq(lit("")))
        .group_by([col(cols::KEY)])
        .agg([col(cols::PREFECTURE).n_unique().alias("n")])
        .filter(col("n").gt(lit(1)))
        .select([col(cols::KEY)])
        .collect()?;
    let wanted: std::collections::HashSet<&str> = shared_keys.column(cols::KEY)?.str()?.iter().flatten().collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let cross = ledger.select_where(&[cols::KEY, cols::PREFECTURE, cols::SUB, cols::CELL, &ent_name], &|df| {
        Ok(df.column(cols::KEY)?.str()?.iter().map(|k| Some(k.is_some_and(|k| wanted.contains(k)))).collect())
    })?;
    let key = cross.column(cols::KEY)?.str()?;
    let pref = cross.column(cols::PREFECTURE)?.str()?;
    let sub = cross.column(cols::SUB)?.u32()?;
    let cell = cross.column(cols::CELL)?.str()?;
    let names = cross.column(&ent_name)?.str()?;
    let mut by_key: BTreeMap<&str, Vec<(&str, u32, &str, &str)>> = BTreeMap::new();
    for i in 0..cross.height() {
        if let (Some(k), Some(p), Some(s), Some(c)) = (key.get(i), pref.get(i), sub.get(i), cell.get(i)) {
            by_key.entry(k).or_default().push((p, s, c, names.get(i).unwrap_or_default()));
        }
    }
    for occurrences in by_key.values() {
        for (p, s, c, name) in occurrences {
            let others: Vec<&str> = occurrences.iter().map(|o| o.0).filter(|o| o != p).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
            let sub = &subs[*s as usize];
            let mut f = Finding::new(
                Code::CrossPrefecture,
                &sub.name,
                format!("企业「{name}」同时出现在{}的台账中,两条记录都已保留。请核实企业所在地,避免重复统计。", others.join("、")),
            )
            .field(&ent_name)
            .value(*name);
            if let Some((sheet, a1)) = c.split_once('!') {
                f.sheet = Some(sheet.to_string());
                f.cell = crate::cell::parse_a1(a1);
            }
            subs[*s as usize].push(f);
        }
    }
    Ok(())
}

/// The plan's indicators, from the returns in the rollup (and the ledger's enterprise counts).
fn indicator_figures(refdata: &RefData, subs: &[Submission], winners: &[(usize, Vec<usize>)], prefectures: &[PrefectureSummary]) -> crate::indicators::Figures {
    let inputs: Vec<crate::indicators::PrefectureInput<'_>> = refdata
        .prefectures
        .all()
        .iter()
        .zip(prefectures)
        .map(|(p, line)| {
            let w = winners.iter().find(|(w, _)| subs[*w].prefecture.as_deref() == Some(p.name.as_str()));
            crate::indicators::PrefectureInput {
                returned: line.status == ReturnStatus::Returned,
                reported: w.map_or(&[][..], |(w, _)| subs[*w].indicators.as_slice()),
                enterprises: line.enterprises,
            }
        })
        .collect();
    crate::indicators::aggregate(refdata, &inputs)
}

/// Enterprises per industry (in the order of the list, then others by name) and prefecture.
fn industry_counts(refdata: &RefData, ledger: &StackedLedger) -> PolarsResult<Vec<(String, Vec<u32>)>> {
    let prefs = refdata.prefectures.all();
    let counts = ledger
        .select(&[cols::INDUSTRY_GROUP, cols::PREFECTURE])?
        .lazy()
        .group_by([col(cols::INDUSTRY_GROUP), col(cols::PREFECTURE)])
        .agg([len().alias("n")])
        .collect()?;
    let mut by_industry: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let ind = counts.column(cols::INDUSTRY_GROUP)?.str()?;
    let pref = counts.column(cols::PREFECTURE)?.str()?;
    let n = counts.column("n")?.cast(&DataType::UInt32)?;
    let n = n.u32()?;
    for i in 0..counts.height() {
        if let (Some(ind), Some(p), Some(n)) = (ind.get(i), pref.get(i), n.get(i))
            && let Some(pi) = refdata.prefectures.index_of(p)
        {
            by_industry.entry(ind.to_string()).or_insert_with(|| vec![0; prefs.len()])[pi] += n;
        }
    }
    let mut out: Vec<(String, Vec<u32>)> = by_industry.into_iter().collect();
    let list_pos = |s: &str| refdata.ledger.industries.iter().position(|i| i == s).unwrap_or(usize::MAX);
    out.sort_by(|a, b| list_pos(&a.0).cmp(&list_pos(&b.0)).then(a.0.cmp(&b.0)));
    Ok(out)
}

impl Merged {
    /// Adds findings made after the merge (files passed over, the rollup's own period checks), sorts all
    /// findings, and recounts each line of the summary, so that the 汇总 sheet, the 问题清单 and the
    /// terminal show the same numbers: every finding is counted on exactly one line (its prefecture's, the
    /// line of its file whose prefecture is unknown, or the line for everything else).
    pub fn add_findings(&mut self, refdata: &RefData, more: Vec<Finding>) {
        self.findings.extend(more);
        sort_findings(refdata, &mut self.findings);
        self.prefectures.retain(|p| p.name != OTHER_FINDINGS);
        for line in &mut self.prefectures {
            line.counts = Counts::default();
        }
        let mut other = Counts::default();
        for f in &self.findings {
            let file = crate::submission::base_name(&f.file);
            let line = match &f.prefecture {
                Some(p) => self.prefectures.iter_mut().find(|l| &l.name == p),
                None => self.prefectures.iter_mut().find(|l| l.name == UNKNOWN_PREFECTURE && l.file.as_deref() == Some(file.as_str())),
            };
            let c = match line {
                Some(l) => &mut l.counts,
                None => &mut other,
            };
            match f.severity {
                Severity::Error => c.errors += 1,
                Severity::Warning => c.warnings += 1,
                Severity::Info => c.infos += 1,
            }
        }
        if other != Counts::default() {
            self.prefectures.push(PrefectureSummary {
                reason: Some("市州不明的文件、跳过的文件和汇总表本身的问题".into()),
                counts: other,
                ..PrefectureSummary::new(OTHER_FINDINGS.to_string(), String::new(), ReturnStatus::Other)
            });
        }
    }
}


/// Sorts findings by prefecture (official order, unknown last), severity, file, sheet and cell.
pub fn sort_findings(refdata: &RefData, findings: &mut [Finding]) {
    let order = |f: &Finding| f.prefecture.as_deref().and_then(|p| refdata.prefectures.index_of(p)).unwrap_or(usize::MAX);
    let cell_key = |f: &Finding| f.cell.map(|c| (c.row, c.col));
    findings.sort_by(|a, b| {
        order(a)
            .cmp(&order(b))
            .then(a.severity.cmp(&b.severity))
            .then(a.file.cmp(&b.file))
            .then(a.sheet.cmp(&b.sheet))
            .then(cell_key(a).cmp(&cell_key(b)))
            .then(a.code.cmp(&b.code))
    });
}

/// The ledger as it is exported and shown: the rollup's columns in order, internal columns dropped.
pub fn export_frame(refdata: &RefData, m: &Merged) -> PolarsResult<DataFrame> {
    let mut names: Vec<String> = vec![cols::SEQ.into(), cols::PREFECTURE.into(), cols::ZONE.into()];
    let seq = Some(refdata.ledger.keys.seq);
    for (i, c) in refdata.ledger.columns.iter().enumerate() {
        if Some(i) != seq {
            names.push(c.name.clone());
        }
    }
    names.extend(m.extra_columns.iter().cloned());
    names.extend([cols::FILE.to_string(), cols::CELL.to_string(), cols::ORIGINAL_SEQ.to_string()]);
    let zones: HashMap<String, String> =
        refdata.prefectures.all().iter().map(|p| (p.name.clone(), refdata.prefectures.zone_of(p).name.clone())).collect();
    let mut df = m.ledger.to_frame()?;
    let zone: Vec<Option<String>> = df.column(cols::PREFECTURE)?.str()?.iter().map(|p| p.and_then(|p| zones.get(p).cloned())).collect();
    df.with_column(Column::new(cols::ZONE.into(), zone))?;
    let present: Vec<String> = names.into_iter().filter(|n| df.column(n).is_ok()).collect();
    df.select(present)
}

/// Severity counts of the merge's findings.
pub fn totals(m: &Merged) -> Counts {
    Counts::of(&m.findings)
}

/// True when any finding is an error.
pub fn has_errors(m: &Merged) -> bool {
    m.findings.iter().any(|f| f.severity == Severity::Error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn sub(name: &str, prefecture: &str, filled: Option<(i32, u32, u32)>, modified_secs: Option<u64>) -> Submission {
        let mut s = Submission::new(name.into(), name.into());
        s.readable = true;
        s.prefecture = Some(prefecture.into());
        s.period = Some(Period { year: 2018, quarter: 3 });
        s.filled_on = filled.and_then(|(y, m, d)| chrono::NaiveDate::from_ymd_opt(y, m, d));
        s.modified = modified_secs.map(|t| SystemTime::UNIX_EPOCH + Duration::from_secs(t));
        s
    }

    #[test]
    fn the_latest_filled_date_wins_then_the_latest_file_then_the_first_input() {
        let r = RefData::embedded().unwrap();
        let order = Order::new(&r);
        let subs = vec![
            sub("a.xlsx", "成都市", Some((2018, 10, 9)), Some(300)),
            sub("b.xlsx", "成都市", Some((2018, 10, 12)), Some(100)),
            sub("c.xlsx", "自贡市", None, Some(100)),
            sub("d.xlsx", "自贡市", None, Some(200)),
            sub("e.xlsx", "泸州市", None, None),
            sub("f.xlsx", "泸州市", None, None),
        ];
        let winners = choose_winners(&subs, &[0, 1, 2, 3, 4, 5], &|p| order.of(p)).unwrap();
        // In official order: 成都 (the later 填报日期), 自贡 (the later file), 泸州 (the first input).
        assert_eq!(winners, vec![(1, vec![0]), (3, vec![2]), (4, vec![5])]);
    }

    #[test]
    fn a_passed_over_file_is_told_which_file_was_taken() {
        let mut subs = vec![sub("旧.xlsx", "成都市", None, None), sub("新.xlsx", "成都市", Some((2018, 10, 12)), None)];
        crate::rollup::status::mark_superseded(&mut subs, &[(1, vec![0])]);
        assert_eq!(subs[0].findings.len(), 1);
        assert_eq!(subs[0].findings[0].code, Code::Superseded);
        assert_eq!(subs[0].findings[0].message, "同一市州有更新的报送文件「新.xlsx」(填报日期 2018-10-12),本文件的数据未纳入汇总。");
        assert!(subs[1].findings.is_empty());
    }
}
