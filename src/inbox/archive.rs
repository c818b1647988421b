//! Archives the returns arrive in: a prefecture zips its workbook (often with GBK member names, from the
//! Chinese edition of Windows, sometimes inside a folder or another zip) or packs it with 7-Zip. Each member
//! is then read as if it had been saved on its own, with the archive in its name.
//!
//! An archive is hostile input like any file: members are expanded in memory within the reader's limit on
//! decompressed bytes (counted over the whole archive, nested ones included, and checked while reading, not
//! only against the sizes the archive declares), nesting is bounded, and a member that cannot be expanded
//! is reported by name while the others are read.

use std::io::{Cursor, Read};

use crate::read::{Kind, Limits, sniff};

/// Deepest nesting of archives in archives that is opened.
const MAX_DEPTH: usize = 4;
/// Most members read from one archive, nested ones included.
const MAX_MEMBERS: usize = 1000;

/// The kinds of archive opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    Zip,
    SevenZip,
}

/// Why an archive, or one of its members, could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    /// Damaged, truncated, or a compression method the decoder lacks. The text is the decoder's, for the
    /// technical detail ([`ArchiveError::detail`]).
    #[error("压缩包已损坏或无法解压,请重新压缩后发送,或直接发送表格文件")]
    Corrupt(String),
    /// Needs a password.
    #[error("压缩包已加密,请去除密码后重新发送,或直接发送表格文件")]
    Encrypted,
    /// Expands past the reader's limit: a zip bomb, or simply too much.
    #[error("压缩包解压后超过 {0} MB 的上限,请只发送本期的台账文件")]
    TooLarge(u64),
    /// Archives nested too deep.
    #[error("压缩包嵌套超过 {MAX_DEPTH} 层,请解压后直接发送表格文件")]
    TooDeep,
    /// More members than a return could hold.
    #[error("压缩包中的文件超过 {MAX_MEMBERS} 个,请只发送本期的台账文件")]
    TooManyMembers,
}

impl ArchiveError {
    /// What the decoder said, in its words, for the finding's 技术细节.
    pub fn detail(&self) -> Option<String> {
        match self {
            ArchiveError::Corrupt(d) => Some(d.clone()),
            _ => None,
        }
    }
}

/// A file inside an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its path inside the archive, with the members of nested archives after theirs: `台账/成都.zip/成都.xlsx`.
    pub name: String,
    pub data: Vec<u8>,
}

/// What an archive held: the members read, and those that could not be, by name.
#[derive(Debug, Default)]
pub struct Expanded {
    pub members: Vec<Member>,
    pub problems: Vec<(String, ArchiveError)>,
}

/// The kind of archive `bytes` are, when they are one: a 7z file, or a zip that is not a workbook or an
/// office document (those are zips too, and go to the reader).
pub fn archive_kind(bytes: &[u8]) -> Option<ArchiveKind> {
    if bytes.starts_with(b"7z\xBC\xAF\x27\x1C") {
        return Some(ArchiveKind::SevenZip);
    }
    if sniff(bytes) != Kind::Zip {
        return None;
    }
    let zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    (!is_package(&zip)).then_some(ArchiveKind::Zip)
}

/// Whether a zip is a workbook or an office document (parts a reader knows), not an archive of files.
fn is_package<R: std::io::Read + std::io::Seek>(zip: &zip::ZipArchive<R>) -> bool {
    zip.file_names().any(|n| {
        let n = n.map(|n| n.to_ascii_lowercase()).unwrap_or_default();
        n == "[content_types].xml" || n == "mimetype" || n == "content.xml" || n.starts_with("xl/")
    })
}

/// [`archive_kind`] of a file on disk, reading only what it takes to tell: the first bytes, and for a zip
/// its central directory (a workbook is a zip too, and is mostly not read here).
pub fn archive_kind_of_file(path: &std::path::Path) -> Option<ArchiveKind> {
    let mut f = std::fs::File::open(path).ok()?;
    let mut head = [0u8; 8];
    let n = std::io::Read::read(&mut f, &mut head).ok()?;
    if head[..n].starts_with(b"7z\xBC\xAF\x27\x1C") {
        return Some(ArchiveKind::SevenZip);
    }
    if sniff(&head[..n]) != Kind::Zip {
        return None;
    }
    let zip = zip::ZipArchive::new(std::io::BufReader::new(f)).ok()?;
    (!is_package(&zip)).then_some(ArchiveKind::Zip)
}

/// Expands an archive within `limits.max_unzipped_bytes`.
///
/// # Errors
/// When the archive as a whole cannot be opened; a member that cannot be read is listed in
/// [`Expanded::problems`] instead.
pub fn expand(bytes: &[u8], limits: &Limits) -> Result<Expanded, ArchiveError> {
    let mut out = Expanded::default();
    let mut budget = limits.max_unzipped_bytes;
    let kind = archive_kind(bytes).ok_or_else(|| ArchiveError::Corrupt("不是 zip 或 7z 压缩包".into()))?;
    expand_into(kind, bytes, "", 1, &mut budget, limits, &mut out)?;
    Ok(out)
}

fn expand_into(kind: ArchiveKind, bytes: &[u8], prefix: &str, depth: usize, budget: &mut u64, limits: &Limits, out: &mut Expanded) -> Result<(), ArchiveError> {
    let members = match kind {
        ArchiveKind::Zip => zip_members(bytes, budget, limits)?,
        ArchiveKind::SevenZip => seven_zip_members(bytes, budget, limits)?,
    };
    for m in members {
        let name = format!("{prefix}{}", m.0);
        match m.1 {
            Err(e) => out.problems.push((name, e)),
            Ok(data) => match archive_kind(&data) {
                Some(_) if depth >= MAX_DEPTH => out.problems.push((name, ArchiveError::TooDeep)),
                Some(inner) => {
                    if let Err(e) = expand_into(inner, &data, &format!("{name}/"), depth + 1, budget, limits, out) {
                        out.problems.push((name, e));
                    }
                }
                None if out.members.len() >= MAX_MEMBERS => return Err(ArchiveError::TooManyMembers),
                None => out.members.push(Member { name, data }),
            },
        }
    }
    Ok(())
}

/// A member's name as written: UTF-8, or GBK from the Chinese edition of Windows, which does not mark it.
fn decode_name(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GBK.decode(raw).0.into_owned(),
    }
}

/// Members that carry nothing: folders, and what macOS and Windows add to archives.
fn is_clutter(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    name.ends_with('/') || name.starts_with("__MACOSX/") || base.starts_with("._") || base.is_empty() || base.eq_ignore_ascii_case("thumbs.db") || base == ".DS_Store"
}

type Members = Vec<(String, Result<Vec<u8>, ArchiveError>)>;

/// Reads at most `budget` bytes of a member, failing past it whatever its declared size said.
fn read_capped(r: &mut dyn Read, declared: u64, budget: &mut u64, limits: &Limits) -> Result<Vec<u8>, ArchiveError> {
    let too_large = || ArchiveError::TooLarge(limits.max_unzipped_bytes >> 20);
    if declared > *budget {
        return Err(too_large());
    }
    let mut data = Vec::with_capacity(usize::try_from(declared).unwrap_or(0).min(1 << 20));
    r.take(budget.saturating_add(1)).read_to_end(&mut data).map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
    let n = data.len() as u64;
    if n > *budget {
        return Err(too_large());
    }
    *budget -= n;
    Ok(data)
}

fn zip_members(bytes: &[u8], budget: &mut u64, limits: &Limits) -> Result<Members, ArchiveError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let (name, encrypted, declared) = match zip.by_index_raw(i) {
            Ok(f) => (decode_name(f.name_raw()), f.encrypted(), f.size()),
            Err(e) => return Err(ArchiveError::Corrupt(e.to_string())),
        };
        if is_clutter(&name) {
            continue;
        }
        if encrypted {
            out.push((name, Err(ArchiveError::Encrypted)));
            continue;
        }
        let data = match zip.by_index(i) {
            Ok(mut f) => read_capped(&mut f, declared, budget, limits),
            Err(e) => Err(ArchiveError::Corrupt(e.to_string())),
        };
        out.push((name, data));
    }
    Ok(out)
}

fn seven_zip_members(bytes: &[u8], budget: &mut u64, limits: &Limits) -> Result<Members, ArchiveError> {
    use sevenz_rust2::{ArchiveReader, Error, Password};
    let mut reader = ArchiveReader::new(Cursor::new(bytes), Password::empty()).map_err(|e| match e {
        Error::PasswordRequired | Error::MaybeBadPassword(_) => ArchiveError::Encrypted,
        e => ArchiveError::Corrupt(e.to_string()),
    })?;
    let declared: u64 = reader.archive().files.iter().map(|f| f.size()).fold(0, u64::saturating_add);
    if declared > *budget {
        return Err(ArchiveError::TooLarge(limits.max_unzipped_bytes >> 20));
    }
    let mut out = Vec::new();
    let result = reader.for_each_entries(|entry, r| {
        let name = entry.name().replace('\\', "/");
        if entry.is_directory() || !entry.has_stream() || is_clutter(&name) {
            // A solid archive decodes through every entry: drain what is skipped.
            std::io::copy(r, &mut std::io::sink())?;
            return Ok(true);
        }
        let data = read_capped(r, entry.size(), budget, limits);
        let stop = matches!(data, Err(ArchiveError::TooLarge(_)));
        out.push((name, data));
        Ok(!stop)
    });
    match result {
        Ok(()) => Ok(out),
        Err(Error::PasswordRequired | Error::MaybeBadPassword(_)) => Err(ArchiveError::Encrypted),
        Err(e) if out.is_empty() => Err(ArchiveError::Corrupt(e.to_string())),
        Err(e) => {
            out.push(("(其余文件)".into(), Err(ArchiveError::Corrupt(e.to_string()))));
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        for (name, data) in members {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn gbk_names_are_decoded() {
        let gbk = encoding_rs::GBK.encode("成都市台账.xlsx").0.into_owned();
        assert!(std::str::from_utf8(&gbk).is_err());
        assert_eq!(decode_name(&gbk), "成都市台账.xlsx");
        assert_eq!(decode_name("成都市台账.xlsx".as_bytes()), "成都市台账.xlsx");
    }

    #[test]
    fn nested_zips_are_opened_and_clutter_left_out() {
        let inner = zip_of(&[("阿坝州.csv", "序号,提升企业名称\n".as_bytes())]);
        let outer = zip_of(&[("报送/", b""), ("报送/内层.zip", &inner), ("__MACOSX/._x", b"x")]);
        assert_eq!(archive_kind(&outer), Some(ArchiveKind::Zip));
        let e = expand(&outer, &Limits::default()).unwrap();
        let names: Vec<&str> = e.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["报送/内层.zip/阿坝州.csv"]);
        assert!(e.problems.is_empty());
    }

    #[test]
    fn a_zip_bomb_is_refused_before_it_is_expanded() {
        let zeros = vec![0u8; 4 << 20];
        let bomb = zip_of(&[("a.csv", &zeros), ("b.csv", b"ok")]);
        assert!(bomb.len() < 64 << 10, "deflate packs zeros tightly");
        let limits = Limits { max_unzipped_bytes: 1 << 20, ..Limits::default() };
        let e = expand(&bomb, &limits).unwrap();
        assert_eq!(e.problems, [("a.csv".to_string(), ArchiveError::TooLarge(1))]);
        assert_eq!(e.members.len(), 1);
    }

    #[test]
    fn workbooks_are_not_archives() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        wb.add_worksheet().write_string(0, 0, "x").unwrap();
        let xlsx = wb.save_to_buffer().unwrap();
        assert_eq!(archive_kind(&xlsx), None);
        assert_eq!(archive_kind(b"7z\xBC\xAF\x27\x1Crest"), Some(ArchiveKind::SevenZip));
        assert_eq!(archive_kind(b"plain text"), None);
    }
}
