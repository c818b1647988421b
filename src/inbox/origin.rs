//! Where a file came from, as taizhang recorded it (never as the file says): uploaded on the office's
//! page, collected from the mailbox with its sender, uploaded through a prefecture's private link, or found
//! in the inbox folder. One type from the upload or the mailbox to the import; stored as a stable code
//! with its detail, shown in Chinese.

use serde::Serialize;

/// Where a received file came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Origin {
    /// Uploaded on the office's own page.
    Office,
    /// Collected from the office mailbox: who sent it, as `张明 <zhang@cd.example.cn>`.
    Mail { sender: Option<String> },
    /// Uploaded through the private link of a prefecture (canonical name), which files it as that
    /// prefecture's whatever it says inside.
    Link { prefecture: String },
    /// Found in the inbox folder, copied there by hand.
    Folder,
}

impl Origin {
    /// The stable code it is stored under.
    pub fn code(&self) -> &'static str {
        match self {
            Origin::Office => "office",
            Origin::Mail { .. } => "mail",
            Origin::Link { .. } => "link",
            Origin::Folder => "folder",
        }
    }

    /// What is stored beside the code: the sender, the link's prefecture.
    pub fn detail(&self) -> Option<&str> {
        match self {
            Origin::Mail { sender } => sender.as_deref(),
            Origin::Link { prefecture } => Some(prefecture),
            Origin::Office | Origin::Folder => None,
        }
    }

    /// The origin stored as `code` and `detail`; `None` for a code this taizhang does not know.
    pub fn from_code(code: &str, detail: Option<String>) -> Option<Origin> {
        Some(match code {
            "office" => Origin::Office,
            "mail" => Origin::Mail { sender: detail },
            "link" => Origin::Link { prefecture: detail? },
            "folder" => Origin::Folder,
            _ => return None,
        })
    }

    /// The prefecture whose link the file came through.
    pub fn link(&self) -> Option<&str> {
        match self {
            Origin::Link { prefecture } => Some(prefecture),
            _ => None,
        }
    }

    /// As the office reads it: 网页上传, 邮件(张明 <…>), 宜宾市上传链接, 文件夹.
    pub fn label(&self) -> String {
        match self {
            Origin::Office => "网页上传".into(),
            Origin::Mail { sender: Some(s) } => format!("邮件({s})"),
            Origin::Mail { sender: None } => "邮件".into(),
            Origin::Link { prefecture } => format!("{prefecture}上传链接"),
            Origin::Folder => "文件夹".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_labels_are_chinese() {
        for o in [Origin::Office, Origin::Mail { sender: Some("张明 <z@cd.example.cn>".into()) }, Origin::Mail { sender: None }, Origin::Link { prefecture: "宜宾市".into() }, Origin::Folder] {
            assert_eq!(Origin::from_code(o.code(), o.detail().map(str::to_string)).as_ref(), Some(&o));
        }
        assert_eq!(Origin::Link { prefecture: "宜宾市".into() }.label(), "宜宾市上传链接");
        assert_eq!(Origin::from_code("link", None), None, "a link names its prefecture");
        assert_eq!(Origin::from_code("ftp", None), None);
    }
}
