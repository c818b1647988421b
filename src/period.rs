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

    /// The last day of the quarter.
    pub fn last_day(&self) -> chrono::NaiveDate {
        let (y, m) = if self.quarter == 4 { (i32::from(self.year) + 1, 1) } else { (i32::from(self.year), u32::from(self.quarter) * 3 + 1) };
        chrono::NaiveDate::from_ymd_opt(y, m, 1).and_then(|d| d.pred_opt()).unwrap_or_default()
    }

    /// Finds a period written anywhere inside `text` (a file name, a title), in any accepted form.
    pub fn find_in(text: &str) -> Option<Period> {
        let k = fold_key(text);
        let chars: Vec<char> = k.chars().collect();
        for i in 0..chars.len() {
            if i > 0 && chars[i - 1].is_ascii_digit() {
                continue;
            }
            if chars.len() - i < 4 || !chars[i..i + 4].iter().all(char::is_ascii_digit) {
                continue;
            }
            if chars.get(i + 4).is_some_and(char::is_ascii_digit) {
                continue;
            }
            let rest: String = chars[i..].iter().take(12).collect();
            for n in (6..=rest.chars().count()).rev() {
                let cand: String = rest.chars().take(n).collect();
                if let Ok(p) = cand.parse::<Period>() {
                    return Some(p);
                }
            }
        }
        None
    }
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
}
