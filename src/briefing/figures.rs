//! The figures the office's documents quote, gathered once into one typed value before a word is written.
//!
//! Every number here is read from the rollup as `consolidate` wrote it (its 汇总, 指标完成情况 and 附件1
//! sheets, through the reader of [`crate::rollup::readback`] and the layout of [`crate::rollup::layout`]),
//! or computed by the code that the rollup itself uses ([`crate::rollup::diff::compare`] for the changes
//! since the previous quarter). Nothing is counted a second way: a count the rollup does not show (the
//! prefectures still missing) is a filter over the rollup's own lines. What only the periods over time can
//! say (on time or late, 序时进度, the assessment) comes in [`OverTime`], filled from the dataset.

use chrono::NaiveDate;

use crate::import::classify::{Stated, stated_status};
use crate::indicators::Status;
use crate::period::Period;
use crate::refdata::RefData;
use crate::rollup::readback::Rollup;
use crate::rollup::status::ReturnStatus;

use super::wording::TypicalRule;

/// One prefecture as the rollup's 汇总 line has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefectureFigures {
    pub name: String,
    pub status: ReturnStatus,
    pub enterprises: usize,
    pub tasks_reported: usize,
    pub errors: usize,
    pub warnings: usize,
    /// The 填报日期 of the return in the rollup, when it is a date.
    pub filled: Option<NaiveDate>,
}

impl PrefectureFigures {
    /// Whether its return is in the rollup.
    pub fn returned(&self) -> bool {
        self.status == ReturnStatus::Returned
    }
}

/// One of the plan's quantified targets as the rollup's 指标完成情况 has it.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorFigures {
    pub id: String,
    pub name: String,
    pub unit: String,
    /// As the rollup prints it: 全省≥500家, 每个市州≥50家 …
    pub target: String,
    pub horizon: &'static str,
    /// 序时进度 as the rollup prints it (a number, or 每个市州≥N); empty for a rollup made before it.
    pub expected: String,
    pub province: Option<f64>,
    /// The province figure as the document prints it ([`crate::indicators::province_text`]: a count of
    /// prefectures with the prefectures' total beside it).
    pub province_shown: String,
    /// Whether the province figure counts prefectures meeting a per-prefecture target (its change is in
    /// prefectures, not in the indicator's unit).
    pub counts_prefectures: bool,
    pub rate: Option<f64>,
    pub status: Status,
    /// The change of the province figure since the previous rollup (none in a new year for a 本年度
    /// target, as the rollup shows 新年度).
    pub change: Option<f64>,
}

/// One task of 附件1 with the number of prefectures in each status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFigures {
    pub no: u32,
    pub content: String,
    pub by_status: Vec<(String, usize)>,
}

/// What changed since the previous quarter, as `diff` and `consolidate --previous` count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    pub previous: Option<Period>,
    pub compared: usize,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub moved: usize,
}

/// An enterprise quoted as 典型, with its 进展情况及成效 as the prefecture wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typical {
    pub prefecture: String,
    pub enterprise: String,
    pub industry: String,
    pub text: String,
}

/// How a prefecture reported in the period: what the dataset's reporting record says.
#[derive(Debug, Clone, PartialEq)]
pub struct Reporting {
    pub prefecture: String,
    /// Days after the deadline its first file arrived (0 or less: on time); none when nothing arrived or
    /// the deadline or the arrival is not known.
    pub days_late: Option<i64>,
    /// As the record words it: 按时, 逾期3天, 未报送 …
    pub timeliness: String,
}

/// One prefecture's assessment: its figures, score, grade and rank.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessed {
    pub prefecture: String,
    pub rank: usize,
    pub score: f64,
    pub grade: String,
    /// 报送及时: on time, or the days late, as the assessment words it.
    pub timeliness: String,
    /// 整改轮次: rounds until clean.
    pub rounds: String,
    pub enterprises: usize,
    /// Indicators met out of those judged per prefecture (达标/应达标).
    pub indicators: String,
}

/// The assessment of a period: every prefecture ranked, with those to praise and to urge by the rules of
/// `templates/assessment.toml`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Assessment {
    /// The items and their weights, as one phrase (报送及时(20分)、…).
    pub items: String,
    pub ranked: Vec<Assessed>,
    pub praise: Vec<String>,
    /// The rule that names them, as one phrase (考核等级为A).
    pub praise_rule: String,
    pub urge: Vec<String>,
    pub urge_rule: String,
}

/// What only the periods over time can say (the dataset's reporting record and assessment): filled from
/// the dataset by [`super::dataset`], empty from a rollup alone. 序时进度 is not here: the rollup's own
/// 指标完成情况 judges each indicator against it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OverTime {
    pub reporting: Vec<Reporting>,
    pub assessment: Option<Assessment>,
}

/// Everything the documents say about a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub period: Period,
    /// The prefectures of the reference data (21).
    pub total: usize,
    /// Each prefecture's line of 汇总, in official order.
    pub prefectures: Vec<PrefectureFigures>,
    /// Enterprises in the ledger: the rows of the rollup's 附件2, which its 汇总 adds up in 合计.
    pub enterprises: usize,
    /// Task progress lines: the prefectures' 任务进展项数 of 汇总 added up.
    pub tasks_reported: usize,
    /// The number of enterprises each prefecture is to help.
    pub target: usize,
    pub indicators: Vec<IndicatorFigures>,
    pub tasks: Vec<TaskFigures>,
    pub changes: Option<Changes>,
    pub typical: Vec<Typical>,
    pub over_time: OverTime,
    /// The rollup's own date: the latest 填报日期 of the returns in it, else the period's last day (the
    /// date the rollup's document properties carry).
    pub rollup_date: NaiveDate,
}

/// A rollup the documents cannot be drafted from.
#[derive(Debug, thiserror::Error)]
pub enum FiguresError {
    /// The rollup names no period (a collection whose returns stated none).
    #[error("汇总表没有写明期别,无法生成简报或通报;请用 --period 汇总后重新生成")]
    NoPeriod,
    /// The rollup has no 汇总 sheet (cut down by hand, or not written by taizhang).
    #[error("汇总表中没有「{0}」工作表,无法生成简报或通报")]
    NoSummary(String),
}

impl Figures {
    /// The figures of `rollup`, with the changes since `previous` when it is given.
    ///
    /// # Errors
    /// When the rollup names no period or has no 汇总 sheet.
    pub fn of(refdata: &RefData, rollup: &Rollup, previous: Option<&Rollup>, rule: &TypicalRule) -> Result<Self, FiguresError> {
        let period = rollup.period.ok_or(FiguresError::NoPeriod)?;
        if rollup.summary.is_empty() {
            return Err(FiguresError::NoSummary(crate::rollup::sheets::SUMMARY.into()));
        }
        let prefectures: Vec<PrefectureFigures> = refdata
            .prefectures
            .all()
            .iter()
            .map(|p| match rollup.summary.iter().find(|l| l.prefecture == p.name) {
                Some(l) => PrefectureFigures {
                    name: p.name.clone(),
                    status: ReturnStatus::from_label(&l.status),
                    enterprises: l.enterprises as usize,
                    tasks_reported: l.tasks as usize,
                    errors: l.errors as usize,
                    warnings: l.warnings as usize,
                    filled: crate::text::parse_date(&l.filled_date),
                },
                None => PrefectureFigures { name: p.name.clone(), status: ReturnStatus::Missing, enterprises: 0, tasks_reported: 0, errors: 0, warnings: 0, filled: None },
            })
            .collect();
        let rollup_date = prefectures.iter().filter(|p| p.returned()).filter_map(|p| p.filled).max().unwrap_or_else(|| period.last_day());
        Ok(Figures {
            period,
            total: refdata.prefectures.all().len(),
            // Every row of 附件2, those of returns whose prefecture is unknown too, as 汇总's 合计 counts them.
            enterprises: rollup.rows.len(),
            tasks_reported: prefectures.iter().map(|p| p.tasks_reported).sum(),
            target: refdata.indicators.enterprises_target(),
            indicators: indicators(refdata, rollup, previous),
            tasks: tasks(refdata, rollup),
            changes: previous.map(|old| changes(refdata, old, rollup)),
            typical: typical(refdata, rollup, rule),
            prefectures,
            over_time: OverTime::default(),
            rollup_date,
        })
    }

    /// The prefectures whose return is in the rollup.
    pub fn returned(&self) -> impl Iterator<Item = &PrefectureFigures> {
        self.prefectures.iter().filter(|p| p.returned())
    }

    /// The prefectures with no return in the rollup (未报送, 无法读取, 期别不符).
    pub fn missing(&self) -> impl Iterator<Item = &PrefectureFigures> {
        self.prefectures.iter().filter(|p| !p.returned())
    }

    /// The returned prefectures whose return still has errors.
    pub fn with_errors(&self) -> impl Iterator<Item = &PrefectureFigures> {
        self.returned().filter(|p| p.errors > 0)
    }

    /// The returned prefectures below the target of enterprises (the 汇总 sheet's 达到N家目标 否).
    pub fn below_target(&self) -> impl Iterator<Item = &PrefectureFigures> {
        self.returned().filter(|p| p.enterprises < self.target)
    }

    /// Whether the rollup judged its indicators against 序时进度 (超/达/欠进度).
    pub fn has_schedule(&self) -> bool {
        self.indicators.iter().any(|i| !i.expected.is_empty())
    }

    /// The number of prefectures reporting `status` on tasks, summed over the 36 tasks (项次).
    pub fn task_lines(&self, status: &str) -> usize {
        self.tasks.iter().flat_map(|t| &t.by_status).filter(|(s, _)| s == status).map(|(_, n)| n).sum()
    }
}

/// The indicators in the order of `indicators.toml`, with the rollup's figures; the change since the
/// previous rollup from the rollup's own 较上期 column, or, for a rollup made without `--previous`, as that
/// column is formed ([`crate::indicators::change`]).
fn indicators(refdata: &RefData, rollup: &Rollup, previous: Option<&Rollup>) -> Vec<IndicatorFigures> {
    refdata
        .indicators
        .indicators
        .iter()
        .map(|i| {
            let line = rollup.indicator_lines.iter().find(|l| l.id == i.id);
            let province = line.and_then(|l| l.province);
            // The rollup's 较上期 shows 新年度 (no number) where a 本年度 target starts again.
            let change = match (line.and_then(|l| l.change), previous) {
                (Some(c), _) => Some(c),
                (None, Some(old)) if crate::indicators::comparable(i, old.period, rollup.period) => {
                    crate::indicators::change(province, old.indicators.province.get(&i.id).copied())
                }
                _ => None,
            };
            let target = if i.is_percent() { crate::indicators::target_text(i) } else { format!("{}{}", crate::indicators::target_text(i), i.unit) };
            IndicatorFigures {
                id: i.id.clone(),
                name: i.name.clone(),
                unit: i.unit.clone(),
                target,
                horizon: crate::indicators::horizon_text(i),
                expected: line.map(|l| l.expected.clone()).unwrap_or_default(),
                province,
                province_shown: crate::indicators::province_text(i, province, line.and_then(|l| l.total)),
                counts_prefectures: i.aggregate == crate::refdata::Aggregate::Count,
                rate: line.and_then(|l| l.rate),
                status: line.map_or(Status::NoData, |l| l.status),
                change,
            }
        })
        .collect()
}

fn tasks(refdata: &RefData, rollup: &Rollup) -> Vec<TaskFigures> {
    rollup
        .task_counts
        .iter()
        .map(|t| TaskFigures { no: t.task, content: refdata.tasks.get(t.task).map(|x| x.content.clone()).unwrap_or_default(), by_status: t.by_status.clone() })
        .collect()
}

fn changes(refdata: &RefData, old: &Rollup, new: &Rollup) -> Changes {
    let d = crate::rollup::diff::compare(refdata, old, new);
    Changes { previous: old.period, compared: d.counts.len(), added: d.added.len(), removed: d.removed.len(), changed: d.changed.len(), moved: d.moved.len() }
}

/// The 典型 enterprises by the rule of the wording file: a 进展情况及成效 that states the work done (read
/// as the check reads a task's 推进情况), at least `min_chars` long, the longest first (ties in the
/// rollup's order), at most `per_prefecture` from one prefecture and `count` in all.
fn typical(refdata: &RefData, rollup: &Rollup, rule: &TypicalRule) -> Vec<Typical> {
    let keys = &refdata.ledger.keys;
    let Some(progress) = refdata.ledger.column_index("progress") else { return Vec::new() };
    let mut candidates: Vec<(usize, &crate::rollup::readback::Row)> = rollup
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            let t = &r.fields[progress];
            t.chars().count() >= rule.min_chars && stated_status(&refdata.tasks.status_words, t) == Some(Stated::Done)
        })
        .collect();
    candidates.sort_by(|(i, a), (j, b)| b.fields[progress].chars().count().cmp(&a.fields[progress].chars().count()).then(i.cmp(j)));
    let mut out: Vec<Typical> = Vec::new();
    for (_, r) in candidates {
        if out.len() >= rule.count {
            break;
        }
        if out.iter().filter(|t| t.prefecture == r.prefecture).count() >= rule.per_prefecture {
            continue;
        }
        out.push(Typical {
            prefecture: r.prefecture.clone(),
            enterprise: r.fields[keys.enterprise].clone(),
            industry: r.fields[keys.industry].clone(),
            text: r.fields[progress].clone(),
        });
    }
    out
}

/// Figures made by hand, for the tests of the drafting.
#[cfg(test)]
pub(crate) fn sample() -> Figures {
    let r = RefData::embedded().unwrap();
    let prefectures: Vec<PrefectureFigures> = r
        .prefectures
        .all()
        .iter()
        .enumerate()
        .map(|(i, p)| PrefectureFigures {
            name: p.name.clone(),
            status: if i < 18 { ReturnStatus::Returned } else { ReturnStatus::Missing },
            enterprises: if i < 18 { 40 + i } else { 0 },
            tasks_reported: if i < 18 { 36 } else { 0 },
            errors: usize::from(i == 3) * 2,
            warnings: 0,
            filled: NaiveDate::from_ymd_opt(2018, 10, 1 + i as u32),
        })
        .collect();
    Figures {
        period: Period { year: 2018, quarter: 3 },
        total: 21,
        enterprises: prefectures.iter().map(|p| p.enterprises).sum(),
        tasks_reported: 18 * 36,
        target: 50,
        indicators: indicators(&r, &Rollup::default(), None),
        tasks: vec![TaskFigures { no: 4, content: r.tasks.get(4).unwrap().content.clone(), by_status: vec![("未启动".into(), 1), ("推进中".into(), 9), ("已完成".into(), 8)] }],
        changes: None,
        typical: vec![Typical { prefecture: "成都市".into(), enterprise: "四川某食品有限公司".into(), industry: "食品".into(), text: "已完成生产线改造,产品合格率提升到99%。".into() }],
        prefectures,
        over_time: OverTime::default(),
        rollup_date: NaiveDate::from_ymd_opt(2018, 10, 18).unwrap(),
    }
}
