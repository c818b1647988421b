//! The words of the office's documents (`templates/briefing.toml`): headings, the sentences around the
//! figures, the standing paragraphs, 主送 and 抄送. They are data so that the office rewords a heading or
//! next quarter's 下一步工作 by editing a file, and the code only decides which sentence applies.

use std::path::Path;

use serde::Deserialize;

/// The embedded wording, used unless an edited copy is given.
pub const EMBEDDED: &str = include_str!("../../templates/briefing.toml");

/// The file name of the wording, also looked for in a `--refdata` folder and in the console's workspace.
pub const FILE_NAME: &str = "briefing.toml";

/// A wording file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WordingError {
    #[error("无法读取文字模板 {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Not valid TOML, or a heading or sentence missing.
    #[error("文字模板 {path} 格式错误: {message}")]
    Parse { path: String, message: String },
}

/// The fonts of the documents (East Asian names, as Word and WPS list them).
#[derive(Debug, Clone, Deserialize)]
pub struct Fonts {
    pub title: String,
    pub heading: String,
    pub subheading: String,
    pub body: String,
}

/// The words of the 简报.
#[derive(Debug, Clone, Deserialize)]
pub struct BriefingWords {
    pub title: String,
    pub number: String,
    pub file_name: String,
    pub headline: String,
    pub overview_heading: String,
    pub overview: String,
    pub overview_timeliness: String,
    pub overview_missing: String,
    pub overview_target: String,
    pub progress_heading: String,
    pub indicators_heading: String,
    pub indicators: String,
    pub indicators_schedule: String,
    pub tasks_heading: String,
    pub tasks: String,
    pub tasks_top: String,
    pub changes_heading: String,
    pub changes: String,
    pub changes_indicators: String,
    pub typical_heading: String,
    pub typical: String,
    pub typical_item: String,
    pub problems_heading: String,
    pub problems_missing: String,
    pub problems_late: String,
    pub problems_errors: String,
    pub problems_below_target: String,
    pub problems_indicators: String,
    pub problems_none: String,
    pub next_heading: String,
    pub next_steps: Vec<String>,
    pub main_to: String,
    pub copy_to: String,
    pub printed: String,
}

/// The rule by which the 典型 enterprises are picked.
#[derive(Debug, Clone, Deserialize)]
pub struct TypicalRule {
    pub count: usize,
    pub per_prefecture: usize,
    pub min_chars: usize,
}

/// The words of the 通报.
#[derive(Debug, Clone, Deserialize)]
pub struct NoticeWords {
    pub title: String,
    pub number: String,
    pub file_name: String,
    pub addressee: String,
    pub opening: String,
    pub overview_heading: String,
    pub overview: String,
    pub ranking_heading: String,
    pub ranking: String,
    pub table_title: String,
    pub praise_heading: String,
    pub praise: String,
    pub praise_none: String,
    pub urge_heading: String,
    pub urge: String,
    pub urge_none: String,
    pub closing_heading: String,
    pub closing: Vec<String>,
    pub main_to: String,
    pub copy_to: String,
    pub printed: String,
}

/// Everything `briefing.toml` holds.
#[derive(Debug, Clone, Deserialize)]
pub struct Wording {
    pub office: String,
    pub fonts: Fonts,
    pub briefing: BriefingWords,
    pub typical: TypicalRule,
    pub notice: NoticeWords,
}

impl Wording {
    /// The wording built into the binary.
    ///
    /// # Errors
    /// Only if the embedded file is broken, which the test suite rules out.
    pub fn embedded() -> Result<Self, WordingError> {
        Self::parse(EMBEDDED, "briefing.toml")
    }

    /// The wording of an edited copy.
    ///
    /// # Errors
    /// When the file cannot be read, is not TOML, or lacks a heading or sentence.
    pub fn load(path: &Path) -> Result<Self, WordingError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| WordingError::Io { path: shown.clone(), source })?;
        Self::parse(&text, &shown)
    }

    fn parse(text: &str, path: &str) -> Result<Self, WordingError> {
        toml::from_str(text).map_err(|e| WordingError::Parse { path: path.into(), message: e.to_string() })
    }
}

/// Fills the placeholders of `template` (`{name}`) with `values`; a placeholder with no value stays as
/// written, so an edited sentence naming an unknown one shows it rather than losing words.
pub fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = template.to_string();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_wording_loads() {
        let w = Wording::embedded().unwrap();
        assert!(w.briefing.title.contains("简报"));
        assert!(!w.briefing.next_steps.is_empty());
        assert_eq!(fill("第{number}期{x}", &[("number", "3".into())]), "第3期{x}");
    }
}
