//! What the rollup says of each prefecture: one [`PrefectureSummary`] per prefecture with its
//! [`ReturnStatus`], computed once from the submissions of the period and the choice between
//! resubmissions, and read by the 汇总 sheet, the terminal report and the console alike.

use crate::finding::{Code, Counts, Finding, Severity};
use crate::refdata::RefData;
use crate::submission::Submission;

/// What the rollup says of a prefecture's return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReturnStatus {
    /// A return was read and is in the rollup.
    Returned,
    /// Nothing arrived.
    Missing,
    /// Something arrived but could not be read.
    Unreadable,
    /// Only files for another period arrived.
    WrongPeriod,
    /// Not a prefecture: the line counting findings that belong to none.
    Other,
}

impl ReturnStatus {
    pub fn label(&self) -> &'static str {
        match self {
            ReturnStatus::Returned => "已报送",
            ReturnStatus::Missing => "未报送",
            ReturnStatus::Unreadable => "无法读取",
            ReturnStatus::WrongPeriod => "期别不符",
            ReturnStatus::Other => "",
        }
    }

    /// The status a label of the 汇总 sheet stands for (read back from a rollup): the inverse of
    /// [`ReturnStatus::label`]; `Other` for any other text.
    /// What a status word of the 汇总 sheet says, read back ([`PrefectureSummary::status_label`]'s
    /// 有错误 is a return in the rollup).
    pub fn from_label(text: &str) -> ReturnStatus {
        if text.trim() == WITH_ERRORS {
            return ReturnStatus::Returned;
        }
        [ReturnStatus::Returned, ReturnStatus::Missing, ReturnStatus::Unreadable, ReturnStatus::WrongPeriod]
            .into_iter()
            .find(|s| s.label() == text.trim())
            .unwrap_or(ReturnStatus::Other)
    }
}

/// The status word of a return in the rollup whose adopted file has errors.
pub const WITH_ERRORS: &str = "有错误";

/// One line of the 汇总 sheet.
#[derive(Debug, Clone)]
pub struct PrefectureSummary {
    pub name: String,
    pub zone: String,
    pub status: ReturnStatus,
    /// What arrived when nothing is in the rollup: the file for another period, or why a file could not be
    /// read (加密, 损坏, 超时 …).
    pub reason: Option<String>,
    /// The file whose rows are in the rollup.
    pub file: Option<String>,
    pub filled_date: Option<String>,
    pub filler: Option<String>,
    pub phone: Option<String>,
    pub enterprises: usize,
    pub tasks_reported: usize,
    pub counts: Counts,
    /// Files of this prefecture not in the rollup (replaced, unreadable, another period …).
    pub superseded: Vec<String>,
    /// The same files, each with why it is not in the rollup.
    pub unused: Vec<(String, String)>,
}

impl PrefectureSummary {
    /// The one word said of the prefecture's return wherever it is shown — the board, its own page, the
    /// link's page, the 汇总 sheet, the terminal and the reminders: 有错误 for a return in the rollup whose
    /// adopted file has errors (a superseded file's findings are not counted), else the status's label.
    pub fn status_label(&self) -> &'static str {
        match self.status {
            ReturnStatus::Returned if self.counts.errors > 0 => WITH_ERRORS,
            s => s.label(),
        }
    }

    /// A line with nothing arrived yet.
    pub(super) fn new(name: String, zone: String, status: ReturnStatus) -> Self {
        PrefectureSummary {
            name,
            zone,
            status,
            reason: None,
            file: None,
            filled_date: None,
            filler: None,
            phone: None,
            enterprises: 0,
            tasks_reported: 0,
            counts: Counts::default(),
            superseded: Vec::new(),
            unused: Vec::new(),
        }
    }

    /// What the line says of the return in the rollup: its file, who filled it in, its rows and tasks.
    pub(super) fn take_return(&mut self, s: &Submission, enterprises: usize) {
        self.file = Some(s.file_name());
        self.filled_date = s.filled_date_text();
        self.filler = s.filler.as_ref().map(|l| l.text.clone());
        self.phone = s.phone.as_ref().map(|l| l.text.clone());
        self.enterprises = enterprises;
        self.tasks_reported = s.progress.len();
    }
}

/// The summary line of each of the 21 prefectures: what arrived, what is in the rollup, and why the rest
/// is not. `distinct(i)` is the number of enterprises of `subs[i]`.
pub(super) fn summary_lines(refdata: &RefData, subs: &[Submission], winners: &[(usize, Vec<usize>)], distinct: &dyn Fn(usize) -> usize) -> Vec<PrefectureSummary> {
    let mut prefectures = Vec::new();
    for p in refdata.prefectures.all() {
        let zone = refdata.prefectures.zone_of(p).name.clone();
        let winner = winners.iter().find(|(w, _)| subs[*w].prefecture.as_deref() == Some(&p.name));
        let mut line = PrefectureSummary::new(p.name.clone(), zone, ReturnStatus::Missing);
        let mine: Vec<usize> = (0..subs.len()).filter(|&i| subs[i].prefecture.as_deref() == Some(&p.name) && !subs[i].skipped).collect();
        for &i in &mine {
            if winner.is_some_and(|(w, _)| *w == i) {
                continue;
            }
            let why = unused_reason(&subs[i]);
            line.superseded.push(subs[i].file_name());
            line.unused.push((subs[i].file_name(), why));
        }
        if let Some((w, _)) = winner {
            line.status = ReturnStatus::Returned;
            line.take_return(&subs[*w], distinct(*w));
        } else if let Some(&i) = mine.iter().find(|&&i| subs[i].readable && subs[i].period.is_some()) {
            line.status = ReturnStatus::WrongPeriod;
            line.reason = Some(format!("只收到{}的文件「{}」", subs[i].period.map(|p| p.label()).unwrap_or_default(), subs[i].file_name()));
        } else if let Some(&i) = mine.first() {
            line.status = ReturnStatus::Unreadable;
            line.reason = Some(format!("「{}」{}", subs[i].file_name(), unused_reason(&subs[i])));
        }
        prefectures.push(line);
    }
    prefectures
}

/// Why a file of a prefecture is not the one in the rollup, in a few words: the title of its most serious
/// finding about the whole file, with the reader's explanation for files that could not be read.
fn unused_reason(s: &Submission) -> String {
    let whole_file = |f: &&Finding| f.sheet.is_none() && f.cell.is_none();
    let pick = |codes: &[Code]| s.findings.iter().filter(whole_file).find(|f| codes.contains(&f.code));
    if let Some(f) = pick(&[Code::Superseded]) {
        return f.code.title().to_string();
    }
    if pick(&[Code::PeriodMismatch]).is_some() {
        return format!("期别不符:{}", s.period.map(|p| p.label()).unwrap_or_default());
    }
    match pick(&[Code::Encrypted, Code::Unreadable, Code::NotSpreadsheet, Code::TooLarge, Code::Timeout, Code::ReaderFailure]) {
        // The reader's message says why in words (加密, 损坏, 超时 …).
        Some(f) => f.message.clone(),
        None => s.findings.iter().find(|f| f.severity == Severity::Error).map_or_else(|| "未采用".to_string(), |f| f.code.title().to_string()),
    }
}

/// Tells each file passed over for a later return of its prefecture (F08) which file was taken instead.
pub(super) fn mark_superseded(subs: &mut [Submission], winners: &[(usize, Vec<usize>)]) {
    for (w, losers) in winners {
        for &l in losers {
            let date = subs[*w].filled_on.map(|d| format!("(填报日期 {d})")).unwrap_or_default();
            let f = Finding::new(
                Code::Superseded,
                &subs[l].name,
                format!("同一市州有更新的报送文件「{}」{date},本文件的数据未纳入汇总。", subs[*w].file_name()),
            );
            subs[l].push(f);
        }
    }
}

/// The findings the rollup lists and counts: every file's, but a file replaced by a later return of its
/// prefecture says only that (F08) — its own findings were about a file no longer in the rollup, so they
/// are neither listed nor counted, nor reminded of.
pub(super) fn rollup_findings(subs: &[Submission]) -> Vec<Finding> {
    subs.iter()
        .flat_map(|s| {
            let superseded = s.findings.iter().any(|f| f.code == Code::Superseded);
            s.findings.iter().filter(move |f| !superseded || f.code == Code::Superseded).cloned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::period::Period;

    fn sub(name: &str, prefecture: &str) -> Submission {
        let mut s = Submission::new(name.into(), name.into());
        s.readable = true;
        s.prefecture = Some(prefecture.into());
        s.period = Some(Period { year: 2018, quarter: 3 });
        s
    }

    #[test]
    fn each_prefecture_has_a_summary_line_saying_why_nothing_is_in() {
        let r = RefData::embedded().unwrap();
        let mut subs = vec![sub("成都.xlsx", "成都市"), sub("自贡.xlsx", "自贡市"), sub("攀枝花.xlsx", "攀枝花市")];
        // 自贡 sent last quarter's file; 攀枝花's could not be read.
        subs[1].period = Some(Period { year: 2018, quarter: 2 });
        subs[2].readable = false;
        subs[2].period = None;
        subs[2].push(Finding::new(Code::Encrypted, "攀枝花.xlsx", "文件已加密,请去除密码后重新报送"));
        let lines = summary_lines(&r, &subs, &[(0, vec![])], &|_| 12);
        assert_eq!(lines.len(), r.prefectures.all().len());
        let line = |name: &str| lines.iter().find(|l| l.name == name).unwrap();
        assert_eq!((line("成都市").status, line("成都市").enterprises), (ReturnStatus::Returned, 12));
        assert_eq!(line("自贡市").status, ReturnStatus::WrongPeriod);
        assert_eq!(line("自贡市").reason.as_deref(), Some("只收到2018年第二季度的文件「自贡.xlsx」"));
        assert_eq!(line("攀枝花市").status, ReturnStatus::Unreadable);
        assert_eq!(line("攀枝花市").reason.as_deref(), Some("「攀枝花.xlsx」文件已加密,请去除密码后重新报送"));
        assert_eq!(line("泸州市").status, ReturnStatus::Missing);
    }
}
