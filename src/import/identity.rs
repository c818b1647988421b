//! Which prefecture and period a return is for: from its titles, its labelled values, its file name and
//! the archives or email it came in, with every disagreement reported.

use std::path::Path;

use crate::finding::Code;
use crate::period::Period;
use crate::read::Workbook;

use super::Importer;

impl Importer<'_> {
    pub(super) fn resolve_prefecture(&mut self, _wb: &Workbook) {
        for t in &self.titles {
            if let Some(p) = self.refdata.prefectures.find_in(t) {
                self.prefecture_sources.push(("标题".into(), p.name.clone()));
            }
        }
        for (source, stem) in self.name_stems() {
            if let Some(p) = self.refdata.prefectures.find_in(&stem) {
                self.prefecture_sources.push((source.into(), p.name.clone()));
            }
        }
        if let Some(p) = &self.from.0 {
            self.prefecture_sources.push(("发件人邮箱".into(), p.clone()));
        }
        if let Some(link) = self.from.1.clone() {
            self.link_prefecture(link);
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

    pub(super) fn resolve_period(&mut self) {
        if let Some(p) = self.block_period {
            // The tables read were chosen by their period: the return is for it, whatever the first title says.
            self.sub.period = Some(p);
            return;
        }
        if self.sub.period.is_some() {
            return;
        }
        self.sub.period = self
            .titles
            .iter()
            .find_map(|t| Period::find_in(t))
            .or_else(|| self.name_stems().iter().find_map(|(_, stem)| Period::find_in(stem)));
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
