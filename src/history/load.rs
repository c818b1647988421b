//! The dataset read back into the history's plain values: each period's [`PeriodFacts`] from its four
//! files (only the columns needed), and each enterprise's track across the periods.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::period::Period;
use crate::refdata::{Aggregate, RefData};
use crate::rollup::layout::cols as rc;

use super::dataset::{Dataset, DatasetError, cols, tables};
use super::facts::{Adoption, EnterpriseTrack, PeriodFacts, PrefectureFacts, Received};

fn strings(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<String>>> {
    Ok(df.column(name)?.cast(&DataType::String)?.str()?.iter().map(|v| v.map(str::to_string)).collect())
}

fn numbers(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
    Ok(df.column(name)?.cast(&DataType::Float64)?.f64()?.iter().collect())
}

fn counts(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<u32>>> {
    Ok(df.column(name)?.cast(&DataType::UInt32)?.u32()?.iter().collect())
}

fn pq(d: &Dataset, table: &str, period: Period) -> impl Fn(PolarsError) -> DatasetError + use<> {
    let path = d.partition(table, period);
    move |source| DatasetError::Parquet { path: path.clone(), source }
}

/// The facts of `period` as the dataset holds them.
///
/// # Errors
/// When a file cannot be read or lacks a column.
pub fn period_facts(refdata: &RefData, d: &Dataset, period: Period) -> Result<PeriodFacts, DatasetError> {
    let names: Vec<String> = refdata.prefectures.all().iter().map(|p| p.name.clone()).collect();
    let mut facts = PeriodFacts::empty(period, &names);
    // Submissions.
    let sub_cols = [rc::PREFECTURE, cols::FILE, cols::RECEIVED, cols::SHA256, cols::ADOPTION, cols::SUPERSEDED_BY, cols::WHY, cols::ERRORS, cols::WARNINGS, cols::INFOS, cols::ROUND, cols::DEADLINE];
    let df = d.read(tables::SUBMISSIONS, period, Some(&sub_cols))?;
    let e = pq(d, tables::SUBMISSIONS, period);
    let (pref, file, received, sha, adoption, by, why) = (
        strings(&df, rc::PREFECTURE).map_err(&e)?,
        strings(&df, cols::FILE).map_err(&e)?,
        strings(&df, cols::RECEIVED).map_err(&e)?,
        strings(&df, cols::SHA256).map_err(&e)?,
        strings(&df, cols::ADOPTION).map_err(&e)?,
        strings(&df, cols::SUPERSEDED_BY).map_err(&e)?,
        strings(&df, cols::WHY).map_err(&e)?,
    );
    let (errors, warnings, infos, round) = (counts(&df, cols::ERRORS).map_err(&e)?, counts(&df, cols::WARNINGS).map_err(&e)?, counts(&df, cols::INFOS).map_err(&e)?, counts(&df, cols::ROUND).map_err(&e)?);
    facts.deadline = strings(&df, cols::DEADLINE).map_err(&e)?.into_iter().flatten().find_map(|t| t.parse().ok());
    for i in 0..df.height() {
        let adoption = match adoption[i].as_deref() {
            Some("采用") => Adoption::Adopted,
            Some("被替代") => Adoption::Superseded { by: by[i].clone().unwrap_or_default() },
            _ => Adoption::NotUsed { why: why[i].clone().unwrap_or_default() },
        };
        facts.received.push(Received {
            prefecture: pref[i].clone(),
            file: file[i].clone().unwrap_or_default(),
            received: received[i].as_deref().and_then(|t| chrono::NaiveDateTime::parse_from_str(t, super::tables::TIME_FORMAT).ok()),
            sha256: sha[i].clone().unwrap_or_default(),
            adoption,
            errors: errors[i].unwrap_or(0),
            warnings: warnings[i].unwrap_or(0),
            infos: infos[i].unwrap_or(0),
            round: round[i],
        });
    }
    // Enterprises per prefecture.
    let df = d.read(tables::LEDGER, period, Some(&[rc::PREFECTURE]))?;
    let mut enterprises: BTreeMap<String, usize> = BTreeMap::new();
    for p in strings(&df, rc::PREFECTURE).map_err(pq(d, tables::LEDGER, period))?.into_iter().flatten() {
        *enterprises.entry(p).or_default() += 1;
    }
    // Tasks with progress filled, per prefecture.
    let df = d.read(tables::PROGRESS, period, Some(&[rc::PREFECTURE, rc::TASK]))?;
    let e = pq(d, tables::PROGRESS, period);
    let mut tasks: BTreeMap<String, std::collections::BTreeSet<u32>> = BTreeMap::new();
    for (p, t) in strings(&df, rc::PREFECTURE).map_err(&e)?.into_iter().zip(counts(&df, rc::TASK).map_err(&e)?) {
        if let (Some(p), Some(t)) = (p, t) {
            tasks.entry(p).or_default().insert(t);
        }
    }
    // Indicator values.
    let df = d.read(tables::INDICATORS, period, Some(&[cols::INDICATOR_ID, rc::PREFECTURE, cols::VALUE]))?;
    let e = pq(d, tables::INDICATORS, period);
    let mut values: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    for ((id, p), v) in strings(&df, cols::INDICATOR_ID).map_err(&e)?.into_iter().zip(strings(&df, rc::PREFECTURE).map_err(&e)?).zip(numbers(&df, cols::VALUE).map_err(&e)?) {
        let (Some(id), Some(p), Some(v)) = (id, p, v) else { continue };
        if p == cols::PROVINCE {
            if refdata.indicators.get(&id).is_some_and(|i| i.aggregate == Aggregate::Province) {
                facts.province_figures.insert(id, v);
            }
        } else {
            values.entry(p).or_default().insert(id, v);
        }
    }
    let adopted: Vec<&str> = facts.received.iter().filter(|r| r.adoption == Adoption::Adopted).filter_map(|r| r.prefecture.as_deref()).collect();
    let returned: Vec<bool> = facts.prefectures.iter().map(|p| adopted.contains(&p.name.as_str())).collect();
    for (p, returned) in facts.prefectures.iter_mut().zip(returned) {
        *p = PrefectureFacts {
            name: p.name.clone(),
            returned,
            enterprises: enterprises.get(&p.name).copied().unwrap_or(0),
            tasks_filled: tasks.get(&p.name).map_or(0, |t| t.len()),
            values: values.remove(&p.name).unwrap_or_default(),
        };
    }
    Ok(facts)
}

/// Every enterprise of the dataset's ledgers across `periods` (prefectures in official order, then the
/// name's key), identified by prefecture and the matching key of its name.
///
/// # Errors
/// When a ledger file cannot be read.
pub fn enterprise_tracks(refdata: &RefData, d: &Dataset, periods: &[Period]) -> Result<Vec<EnterpriseTrack>, DatasetError> {
    let name_col = refdata.ledger.column("enterprise").map(|c| c.name.clone()).unwrap_or_default();
    let progress_col = refdata.ledger.column("progress").map(|c| c.name.clone()).unwrap_or_default();
    let mut by: BTreeMap<(usize, String, String), EnterpriseTrack> = BTreeMap::new();
    for (k, &period) in periods.iter().enumerate() {
        let df = d.read(tables::LEDGER, period, Some(&[rc::PREFECTURE, name_col.as_str(), progress_col.as_str()]))?;
        let e = pq(d, tables::LEDGER, period);
        let (pref, name, progress) = (strings(&df, rc::PREFECTURE).map_err(&e)?, strings(&df, &name_col).map_err(&e)?, strings(&df, &progress_col).map_err(&e)?);
        for i in 0..df.height() {
            let (Some(p), Some(n)) = (&pref[i], &name[i]) else { continue };
            let key = crate::text::enterprise_key(n);
            if key.is_empty() {
                continue;
            }
            let order = refdata.prefectures.index_of(p).unwrap_or(usize::MAX);
            let t = by.entry((order, p.clone(), key.clone())).or_insert_with(|| EnterpriseTrack { prefecture: p.clone(), name: n.clone(), key, periods: vec![None; periods.len()] });
            t.name.clone_from(n);
            // The first row of an enterprise listed twice in one ledger speaks for it.
            if t.periods[k].is_none() {
                t.periods[k] = Some(progress[i].clone().unwrap_or_default());
            }
        }
    }
    Ok(by.into_values().collect())
}
