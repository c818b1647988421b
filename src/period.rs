//! Reporting periods. The plan asks for a report at the end of every quarter, so a period is a year and a
//! quarter, written 2018Q3 in file names and 2018年第三季度 in printed text.

use std::fmt;
use std::str::FromStr;

use crate::text::fold_key;

/// A reporting quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub year: u16,
    pub quarter: u8,
}

/// A period that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("无法识别的期别「{0}」,请写成 2018Q3、2018-Q3 或 2018年第三季度")]
pub struct PeriodError(pub String);

const QUARTER_WORDS: [&str; 4] = ["一", "二", "三", "四"];

impl Period {
    /// A period, if the quarter is 1–4 and the year plausible.
    pub fn new(year: u16, quarter: u8) -> Option<Self> {
        ((1..=4).contains(&quarter) && (2000..=2100).contains(&year)).then_some(Period { year, quarter })
    }

    /// The code used in file names and exports: 2018Q3.
    pub fn code(&self) -> String {
        format!("{}Q{}", self.year, self.quarter)
    }

    /// The period as printed: 2018年第三季度.
    pub fn label(&self) -> String {
        format!("{}年第{}季度", self.year, QUARTER_WORDS[usize::from(self.quarter - 1)])
    }

    /// The quarter after this one.
    pub fn next(&self) -> Period {
        if self.quarter == 4 { Period { year: self.year + 1, quarter: 1 } } else { Period { quarter: self.quarter + 1, ..*self } }
    }

    /// Quarters counted from year 0 (2018Q3 is 2018 × 4 + 2), so that the distance between two periods is a
    /// subtraction.
    pub fn ordinal(&self) -> i32 {
        i32::from(self.year) * 4 + i32::from(self.quarter) - 1
    }

    /// The period `ordinal` counts to.
    pub fn from_ordinal(ordinal: i32) -> Option<Period> {
        Period::new(u16::try_from(ordinal.div_euclid(4)).ok()?, (ordinal.rem_euclid(4) + 1) as u8)
    }

    /// The last day of the quarter.
    pub fn last_day(&self) -> chrono::NaiveDate {
        let (y, m) = if self.quarter == 4 { (i32::from(self.year) + 1, 1) } else { (i32::from(self.year), u32::from(self.quarter) * 3 + 1) };
        chrono::NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt()).unwrap_or_default()
    }

    /// Finds a period written anywhere inside `text` (a file name, a title) with its year, in any of the
    /// ways [`mention_in`] recognises.
    pub fn find_in(text: &str) -> Option<Period> {
        mention_in(text)?.period()
    }
}

/// How a collection whose returns state no period is named in print (a first collection has no quarter).
pub const UNSTATED: &str = "期别未注明";

/// A collection's period as printed: 2018年第三季度, or [`UNSTATED`].
pub fn label_of(period: Option<Period>) -> String {
    period.map_or_else(|| UNSTATED.to_string(), |p| p.label())
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

impl serde::Serialize for Period {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Period {
    /// As [`FromStr`]: 2018Q3 in reference data and datasets.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    /// Accepts 2018Q3, 2018-Q3, 2018 q3, 2018年第三季度, 2018年第3季度, 2018年三季度, 2018年3季度.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PeriodError(s.to_string());
        let k = fold_key(s);
        if k.len() < 5 || !k.is_char_boundary(4) {
            return Err(err());
        }
        let (y, rest) = k.split_at(4);
        let year: u16 = y.parse().map_err(|_| err())?;
        let rest = rest.trim_start_matches(['-', '_', '/', '.']);
        let q = if let Some(q) = rest.strip_prefix('q') {
            q.parse::<u8>().map_err(|_| err())?
        } else if let Some(r) = rest.strip_prefix('年') {
            let r = r.strip_prefix('第').unwrap_or(r);
            let r = r.strip_suffix("季度").ok_or_else(err)?;
            match QUARTER_WORDS.iter().position(|w| *w == r) {
                Some(i) => i as u8 + 1,
                None => r.parse::<u8>().map_err(|_| err())?,
            }
        } else {
            return Err(err());
        };
        Period::new(year, q).ok_or_else(err)
    }
}

/// A period as a text states it: the quarter, and its year when the text gives one ("三季度", "（9月）"
/// give none; the year then comes from elsewhere in the return, see [`Mention::with_year_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mention {
    pub year: Option<u16>,
    pub quarter: u8,
}

impl Mention {
    /// As printed: 2018年第三季度, or 第三季度 when the year is not known.
    pub fn label(self) -> String {
        match self.period() {
            Some(p) => p.label(),
            None => format!("第{}季度", QUARTER_WORDS[usize::from(self.quarter.clamp(1, 4) - 1)]),
        }
    }

    /// The period, when the year is stated.
    pub fn period(self) -> Option<Period> {
        Period::new(self.year?, self.quarter)
    }

    /// The period, the year taken from the date the return was filled in when the text gave none: the
    /// year of that date, or the year before when the quarter had not yet begun on it (a fourth quarter
    /// reported in January).
    pub fn with_year_of(self, filled: chrono::NaiveDate) -> Option<Period> {
        use chrono::Datelike;
        if let Some(p) = self.period() {
            return Some(p);
        }
        let year = u16::try_from(filled.year()).ok()?;
        let first_month = u32::from(self.quarter) * 3 - 2;
        let year = if filled.month() < first_month { year.checked_sub(1)? } else { year };
        Period::new(year, self.quarter)
    }
}

/// Finds the period a text states, in any of the ways officials write one: 2018Q3, 2018年第三季度,
/// 2018年第三季, 2018年三季度, 三季度, 2018年7-9月, 1-9月, 截至2018年9月30日, 2018年9月底, （9月）, 上半年,
/// 前三季度. A month stands for a quarter only when it ends one (3, 6, 9, 12 月), and a date (2018年10月9日)
/// only after 截至 or 截止: a lone date is when the form was filled in, not what it reports. A year
/// written elsewhere in the same text completes a quarter stated without one ("2018年台账(三季度)").
pub fn mention_in(text: &str) -> Option<Mention> {
    let k: Vec<char> = fold_key(text).chars().collect();
    let found = (0..k.len()).find_map(|i| mention_at(&k, i))?;
    if found.year.is_some() {
        return Some(found);
    }
    Some(Mention { year: lone_year(&k), ..found })
}

const QUARTER_END_MONTHS: [u32; 4] = [3, 6, 9, 12];

/// The digits 0–9 as they appear in a folded key, and the Chinese numerals of a quarter.
fn digit_run(k: &[char], i: usize) -> Option<(u32, usize)> {
    if i > 0 && k[i - 1].is_ascii_digit() {
        return None;
    }
    let len = k[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    if len == 0 || len > 4 {
        return None;
    }
    let n: u32 = k[i..i + len].iter().collect::<String>().parse().ok()?;
    Some((n, i + len))
}

fn quarter_number(k: &[char], i: usize) -> Option<(u8, usize)> {
    match k.get(i)? {
        '一' => Some((1, i + 1)),
        '二' => Some((2, i + 1)),
        '三' => Some((3, i + 1)),
        '四' => Some((4, i + 1)),
        c if c.is_ascii_digit() => {
            let (n, end) = digit_run(k, i)?;
            (1..=4).contains(&n).then_some((n as u8, end))
        }
        _ => None,
    }
}

fn starts(k: &[char], i: usize, word: &str) -> Option<usize> {
    let mut j = i;
    for w in word.chars() {
        if k.get(j) != Some(&w) {
            return None;
        }
        j += 1;
    }
    Some(j)
}

/// A year of the plan's century: four digits not part of a longer number.
fn year_at(k: &[char], i: usize) -> Option<(u16, usize)> {
    let (n, end) = digit_run(k, i)?;
    if end - i != 4 || !(2000..=2100).contains(&n) {
        return None;
    }
    Some((n as u16, end))
}

/// A four-digit year standing alone in the text (not part of a longer number).
fn lone_year(k: &[char]) -> Option<u16> {
    (0..k.len()).find_map(|i| year_at(k, i).map(|(y, _)| y))
}

/// The first year of the plan's century a text names ("2018年质量提升台账"), for a quarter stated
/// elsewhere without one.
pub fn year_in(text: &str) -> Option<u16> {
    lone_year(&fold_key(text).chars().collect::<Vec<char>>())
}

/// `第N季[度]` or `N季度` from `i` (without 第 the 度 is needed: 四季 is also a word, 四季青 a brand).
fn quarter_phrase(k: &[char], i: usize) -> Option<(u8, usize)> {
    let ordinal = starts(k, i, "第");
    let (q, j) = quarter_number(k, ordinal.unwrap_or(i))?;
    let j = starts(k, j, "季")?;
    match starts(k, j, "度") {
        Some(e) => Some((q, e)),
        None => ordinal.map(|_| (q, j)),
    }
}

/// `qN` from `i`, not inside a word.
fn q_phrase(k: &[char], i: usize) -> Option<(u8, usize)> {
    if k.get(i) != Some(&'q') || (i > 0 && k[i - 1].is_ascii_alphabetic()) {
        return None;
    }
    let (q, j) = quarter_number(k, i + 1)?;
    (!k.get(j).is_some_and(char::is_ascii_alphanumeric)).then_some((q, j))
}

fn is_range_separator(c: char) -> bool {
    matches!(c, '-' | '~' | '—' | '–' | '―' | '至' | '到' | '－')
}

/// A month number 1–12 from `i`, with an optional 月 after it.
fn month_at(k: &[char], i: usize) -> Option<(u32, usize, bool)> {
    let (m, j) = digit_run(k, i)?;
    if !(1..=12).contains(&m) || j - i > 2 {
        return None;
    }
    match starts(k, j, "月") {
        Some(e) => Some((m, starts(k, e, "份").unwrap_or(e), true)),
        None => Some((m, j, false)),
    }
}

/// The quarter a month range ends: `7-9月`, `7月至9月`, `1-9月`, `2018.7-2018.9`.
fn month_range(k: &[char], i: usize) -> Option<(u8, usize)> {
    let (from, j, _) = month_at(k, i)?;
    let sep = *k.get(j)?;
    if !is_range_separator(sep) {
        return None;
    }
    let mut j = j + 1;
    // A second year before the second month: 2018.7-2018.9, 2018年7月-2018年9月.
    let mut second_year = false;
    if let Some((_, e)) = year_at(k, j) {
        j = e;
        j = starts(k, j, "年").or_else(|| matches!(k.get(j), Some('.' | '/' | '-')).then_some(j + 1))?;
        second_year = true;
    }
    let (to, end, with_month) = month_at(k, j)?;
    if !(with_month || second_year) || from > to || !QUARTER_END_MONTHS.contains(&to) {
        return None;
    }
    Some(((to / 3) as u8, end))
}

/// A month that ends a quarter, not followed by a day (`2018年9月`, `9月份`, `9月底`), or, with a day,
/// only when `dated` (after 截至).
fn quarter_month(k: &[char], i: usize, dated: bool) -> Option<(u8, usize)> {
    let (m, j, with_month) = month_at(k, i)?;
    let j = if with_month {
        j
    } else if dated && matches!(k.get(j), Some('.' | '/' | '-')) {
        j + 1
    } else {
        return None;
    };
    let day = digit_run(k, j).filter(|(d, _)| (1..=31).contains(d));
    let end = match day {
        Some((_, e)) if dated => starts(k, e, "日").or_else(|| starts(k, e, "号")).unwrap_or(e),
        Some(_) => return None,
        None if !with_month => return None,
        None => starts(k, j, "底").or_else(|| starts(k, j, "末")).unwrap_or(j),
    };
    QUARTER_END_MONTHS.contains(&m).then_some(((m / 3) as u8, end))
}

/// Words that stand for a quarter's cumulative report.
const CUMULATIVE_WORDS: [(&str, u8); 4] = [("上半年", 2), ("前三季度", 3), ("前3季度", 3), ("全年", 4)];

fn cumulative_word(k: &[char], i: usize) -> Option<(u8, usize)> {
    CUMULATIVE_WORDS.iter().find_map(|(w, q)| starts(k, i, w).map(|e| (*q, e)))
}

/// What follows a year: `Q3`, `年第三季度`, `年7-9月`, `.9`, `年上半年`.
fn after_year(k: &[char], j: usize) -> Option<u8> {
    let sep = match k.get(j) {
        Some('年') => starts(k, j + 1, "度").unwrap_or(j + 1),
        Some('-' | '_' | '/' | '.') => j + 1,
        _ => j,
    };
    let year_word = k.get(j) == Some(&'年');
    q_phrase(k, sep)
        .or_else(|| quarter_phrase(k, sep).filter(|_| year_word || sep == j))
        .or_else(|| month_range(k, sep))
        .or_else(|| quarter_month(k, sep, false).filter(|_| year_word))
        .or_else(|| cumulative_word(k, sep).filter(|_| year_word))
        .map(|(q, _)| q)
}

/// A mention starting at `i`, if one does.
fn mention_at(k: &[char], i: usize) -> Option<Mention> {
    if let Some((year, j)) = year_at(k, i) {
        return after_year(k, j).map(|quarter| Mention { year: Some(year), quarter });
    }
    if let Some(j) = starts(k, i, "截至").or_else(|| starts(k, i, "截止")) {
        let j = starts(k, j, "到").unwrap_or(j);
        let (year, j) = match year_at(k, j) {
            Some((y, e)) => (Some(y), starts(k, e, "年").or_else(|| matches!(k.get(e), Some('.' | '/' | '-')).then_some(e + 1))?),
            None => (None, j),
        };
        return quarter_month(k, j, true).map(|(quarter, _)| Mention { year, quarter });
    }
    let quarter = quarter_phrase(k, i)
        .or_else(|| q_phrase(k, i))
        .or_else(|| month_range(k, i))
        .or_else(|| quarter_month(k, i, false))
        .or_else(|| cumulative_word(k, i))?
        .0;
    Some(Mention { year: None, quarter })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_accepted_form() {
        let p = Period { year: 2018, quarter: 3 };
        for s in ["2018Q3", "2018-Q3", "2018q3", "2018 Q3", "2018年第三季度", "2018年第3季度", "2018年三季度", "２０１８Ｑ３"] {
            assert_eq!(s.parse::<Period>(), Ok(p), "{s}");
        }
        for s in ["2018Q5", "2018", "Q3", "2018年第五季度", "18Q3", "2018-09"] {
            assert!(s.parse::<Period>().is_err(), "{s}");
        }
        assert_eq!(p.label(), "2018年第三季度");
        assert_eq!(p.code(), "2018Q3");
        assert_eq!(p.next(), Period { year: 2018, quarter: 4 });
        assert_eq!(Period { year: 2018, quarter: 4 }.next(), Period { year: 2019, quarter: 1 });
        assert_eq!(p.last_day(), chrono::NaiveDate::from_ymd_opt(2018, 9, 30).unwrap());
    }

    #[test]
    fn finds_periods_in_file_names() {
        let p = Some(Period { year: 2018, quarter: 3 });
        assert_eq!(Period::find_in("2018Q3-成都市-质量提升台账.xlsx"), p);
        assert_eq!(Period::find_in("成都市2018年第三季度台账"), p);
        assert_eq!(Period::find_in("成都市台账(20181009)"), None);
        assert_eq!(Period::find_in("台账"), None);
    }

    #[test]
    fn finds_periods_as_officials_write_them() {
        let q3 = |year| Some(Mention { year, quarter: 3 });
        for t in [
            "2018年7-9月质量提升台账",
            "2018年7月-9月",
            "2018年07月至09月",
            "2018年第三季",
            "2018年三季度",
            "2018 年 第 3 季度",
            "2018年1-9月",
            "截至2018年9月30日",
            "截止到2018年9月底",
            "截至2018.9.30",
            "2018年9月底",
            "2018年前三季度",
            "2018.7-2018.9",
            "成都市2018年台账(三季度)",
            "Q3-2018",
        ] {
            assert_eq!(mention_in(t), q3(Some(2018)), "{t}");
        }
        for t in ["三季度", "第三季", "成都市质量提升台账（9月）", "7-9月", "截至9月底", "第3季度进展", "9月份"] {
            assert_eq!(mention_in(t), q3(None), "{t}");
        }
        assert_eq!(mention_in("2018年上半年"), Some(Mention { year: Some(2018), quarter: 2 }));
        assert_eq!(mention_in("2018年全年"), Some(Mention { year: Some(2018), quarter: 4 }));
        assert_eq!(mention_in("2018年12月"), Some(Mention { year: Some(2018), quarter: 4 }));
        // Dates are when the form was filled in, months inside a quarter say nothing, and words that
        // merely contain a quarter's characters are not one.
        for t in [
            "填报于2018年10月9日",
            "2018年9月28日",
            "2018-07-09",
            "2018年10月",
            "8月",
            "四季青茶叶有限公司",
            "一季",
            "2018年度",
            "台账(20181009)",
            "请于12月25日前报送",
            "本季度",
        ] {
            assert_eq!(mention_in(t), None, "{t}");
        }
    }

    #[test]
    fn a_quarter_without_its_year_takes_the_year_it_was_filled_in() {
        let d = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let m = |quarter| Mention { year: None, quarter };
        assert_eq!(m(3).with_year_of(d(2018, 10, 9)), Period::new(2018, 3));
        assert_eq!(m(3).with_year_of(d(2018, 9, 25)), Period::new(2018, 3));
        // A fourth quarter reported in January is last year's.
        assert_eq!(m(4).with_year_of(d(2019, 1, 8)), Period::new(2018, 4));
        assert_eq!(Mention { year: Some(2019), quarter: 1 }.with_year_of(d(2018, 10, 9)), Period::new(2019, 1));
    }
}
