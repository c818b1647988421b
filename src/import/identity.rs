//! Which prefecture and period a return is for: from its titles, its labelled values, its file name and
//! the archives or email it came in, with every disagreement reported.

use std::path::Path;

use crate::finding::Code;
use crate::period::{Mention, mention_in, year_in};
use crate::read::{Visibility, Workbook};

use super::Importer;

impl Importer<'_> {
    pub(super) fn resolve_prefecture(&mut self, wb: &Workbook) {
        if let Some(part) = self.from.sheet {
            // Split from a workbook of several prefectures: its sheets' names decide; the file's name and
            // its sender name the coordinator who sent them all.
            self.prefecture_sources.insert(0, ("工作表名".into(), part.to_string()));
        }
        for t in &self.titles {
            if let Some(p) = self.refdata.prefectures.find_in(t) {
                self.prefecture_sources.push(("标题".into(), p.name.clone()));
            }
        }
        for s in wb.sheets.iter().filter(|s| s.visibility == Visibility::Visible && !s.grid.is_empty()) {
            if let Some(p) = super::split::sheet_prefecture(self.refdata, &s.name) {
                self.prefecture_sources.push((format!("工作表「{}」", s.name), p));
            }
        }
        if self.from.sheet.is_none() {
            for (source, stem) in self.name_stems() {
                if let Some(p) = self.refdata.prefectures.find_in(&stem) {
                    self.prefecture_sources.push((source.into(), p.name.clone()));
                }
            }
            if let Some(p) = self.from.sender {
                self.prefecture_sources.push(("发件人邮箱".into(), p.to_string()));
            }
        }
        if let Some(link) = self.from.link {
            self.link_prefecture(link.to_string());
            return;
        }
        let Some((_, chosen)) = self.prefecture_sources.first().cloned() else {
            let f = self.finding(
                Code::UnknownPrefecture,
                "无法确定填报市州:表内「填报市州」未填写,文件名中也没有市州名称。请在表头上方填写「填报市州」后重新报送。",
            );
            self.sub.push(f);
            return;
        };
        let mut others: Vec<String> = Vec::new();
        for (src, name) in &self.prefecture_sources {
            if *name != chosen {
                others.push(format!("{src}为{name}"));
            }
        }
        if !others.is_empty() {
            let (src, _) = &self.prefecture_sources[0];
            let f = self.finding(
                Code::PrefectureConflict,
                format!("文件中的填报市州不一致:{src}为{chosen},{}。已按{chosen}处理,请核实。", others.join(",")),
            );
            self.sub.prefecture = Some(chosen);
            self.sub.push(f);
        } else {
            self.sub.prefecture = Some(chosen);
        }
    }

    /// A return uploaded through `link`'s private link is `link`'s, whatever it says: anything in the
    /// file that names another prefecture is an error the prefecture fixes, never a reason to file the
    /// return as another prefecture's.
    fn link_prefecture(&mut self, link: String) {
        let others: Vec<String> = self.prefecture_sources.iter().filter(|(_, name)| *name != link).map(|(src, name)| format!("{src}为{name}")).collect();
        self.sub.prefecture = Some(link.clone());
        if !others.is_empty() {
            let f = self
                .finding(
                    Code::LinkPrefectureConflict,
                    format!(
                        "本文件通过{link}的专用上传链接上传,但{}。已按{link}的报送处理。如填错了市州,请改正后重新上传;如是代其他市州报送,请由该市州通过自己的上传链接上传。",
                        others.join(",")
                    ),
                )
                .value(others.join(","));
            self.sub.push(f);
        }
    }

    /// The period the return states: the period of the tables read (when a sheet held several), else the
    /// template's, else the first title or file name that states one, in any of the ways officials write
    /// it ([`mention_in`]). A quarter written without its year takes the year written elsewhere in the
    /// return, else the year of its 填报日期; failing both it is kept as a quarter alone, and the batch
    /// gives it the collection's year (see `batch::settle_periods`). Where the period was read is kept for
    /// the messages that cite it.
    pub(super) fn resolve_period(&mut self) {
        if let Some(p) = self.block_period {
            // The tables read were chosen by their period: the return is for it, whatever the first title says.
            self.sub.period = Some(p);
            self.sub.period_from = Some("见表格标题".into());
            return;
        }
        if self.sub.period.is_some() {
            self.sub.period_from = Some("使用的是该期的模板".into());
            return;
        }
        let stems = self.name_stems();
        let texts: Vec<(&str, &str)> = self.titles.iter().map(|t| ("标题", t.as_str())).chain(stems.iter().map(|(src, stem)| (*src, stem.as_str()))).collect();
        let Some((source, text, mention)) = texts.iter().find_map(|(src, t)| mention_in(t).map(|m| (*src, *t, m))) else { return };
        self.sub.period_from = Some(format!("{source}「{}」", shorten(text)));
        let year = mention.year.or_else(|| texts.iter().find_map(|(_, t)| year_in(t)));
        let mention = Mention { year, ..mention };
        self.sub.period = match (mention.period(), self.sub.filled_on) {
            (Some(p), _) => Some(p),
            (None, Some(filled)) => mention.with_year_of(filled),
            (None, None) => {
                self.sub.quarter_only = Some(mention.quarter);
                None
            }
        };
    }

    /// The file's name without extension, then the names of the archives it was taken out of (a member
    /// of `成都市.zip` is named `成都市.zip/台账.xlsx`), innermost first.
    pub(super) fn name_stems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let stem = |p: &Path| p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        out.push(("文件名", stem(&self.sub.file)));
        for dir in self.sub.file.ancestors().skip(1) {
            let ext = dir.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
            if ext == "zip" || ext == "7z" {
                out.push(("压缩包名", stem(dir)));
            } else if ext == "eml" {
                out.push(("邮件文件名", stem(dir)));
            }
        }
        out
    }
}

/// A text cut to 40 characters for a message that quotes it.
fn shorten(text: &str) -> String {
    let t = text.replace('\n', " ");
    if t.chars().count() > 40 { t.chars().take(40).collect::<String>() + "…" } else { t }
}
