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
    /// A text member (CSV, HTML) past the readers' text limit, refused before it is taken out whole.
    #[error("压缩包中的文本文件超过 {0} MB 的上限,请只发送本期的台账文件")]
    TextTooLarge(u64),
    /// The decoder (third-party code on hostile input) panicked on it.
    #[error("解压压缩包时出现异常,已跳过该压缩包。请解压后直接发送其中的表格文件。")]
    Panicked,
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

/// Expands an archive within `limits.max_unzipped_bytes`, every member in memory at once: for an
/// archive already in memory (an email's attachment). One on disk is read member by member
/// ([`for_each_member`]).
///
/// # Errors
/// When the archive as a whole cannot be opened; a member that cannot be read is listed in
/// [`Expanded::problems`] instead.
pub fn expand(bytes: &[u8], limits: &Limits) -> Result<Expanded, ArchiveError> {
    collect(bytes, limits, true)
}

/// What [`expand`] finds, the members by name only (their bytes are dropped as soon as they are
/// counted): for an archive on disk, whose members are taken out again when read ([`take_member`]).
///
/// # Errors
/// As [`expand`].
pub fn list(bytes: &[u8], limits: &Limits) -> Result<Expanded, ArchiveError> {
    collect(bytes, limits, false)
}

fn collect(bytes: &[u8], limits: &Limits, keep: bool) -> Result<Expanded, ArchiveError> {
    let mut out = Expanded::default();
    for_each_member(bytes, limits, &mut |m| match m {
        Ok(m) => out.members.push(Member { data: if keep { m.data } else { Vec::new() }, name: m.name }),
        Err(p) => out.problems.push(p),
    })?;
    Ok(out)
}

/// What [`for_each_member`] hands on: a member taken out, or one that could not be, by name.
pub type Taken = Result<Member, (String, ArchiveError)>;

/// Takes the members of an archive out one at a time and hands each to `visit` before the next is
/// taken out, so that memory holds one member (and the nested archive it is in), not the archive
/// expanded. Decompressed bytes are counted over the whole archive, nested ones included, against
/// `limits.max_unzipped_bytes`.
///
/// # Errors
/// When the archive as a whole cannot be opened, or holds more members than a return could.
pub fn for_each_member(bytes: &[u8], limits: &Limits, visit: &mut dyn FnMut(Taken)) -> Result<(), ArchiveError> {
    walk(bytes, limits, None, visit)
}

/// Takes one member out again, by the name [`for_each_member`] gave it (nested archives' members after
/// theirs), without keeping the others: a zip's other members are not even decompressed. `Ok(None)` when
/// the archive holds no such member (it changed since).
///
/// # Errors
/// When the archive cannot be opened, or the member cannot be taken out.
pub fn take_member(bytes: &[u8], limits: &Limits, name: &str) -> Result<Option<Vec<u8>>, ArchiveError> {
    let mut found = None;
    walk(bytes, limits, Some(name), &mut |m| match m {
        Ok(m) if m.name == name => found = Some(Ok(m.data)),
        Err((n, e)) if n == name => found = Some(Err(e)),
        _ => {}
    })?;
    found.transpose()
}

fn walk(bytes: &[u8], limits: &Limits, want: Option<&str>, visit: &mut dyn FnMut(Taken)) -> Result<(), ArchiveError> {
    let mut budget = limits.max_unzipped_bytes;
    let kind = archive_kind(bytes).ok_or_else(|| ArchiveError::Corrupt("不是 zip 或 7z 压缩包".into()))?;
    let mut count = 0;
    visit_into(kind, bytes, "", 1, &mut Walk { budget: &mut budget, limits, count: &mut count, want }, visit)
}

/// The state of one walk through an archive and those nested in it.
struct Walk<'a> {
    budget: &'a mut u64,
    limits: &'a Limits,
    count: &'a mut usize,
    /// The one member sought, when only one is: the others are passed over.
    want: Option<&'a str>,
}

impl Walk<'_> {
    /// Whether the member (or nested archive) of this full name is to be taken out.
    fn wants(&self, name: &str) -> bool {
        self.want.is_none_or(|w| w == name || w.strip_prefix(name).is_some_and(|rest| rest.starts_with('/')))
    }
}

fn visit_into(kind: ArchiveKind, bytes: &[u8], prefix: &str, depth: usize, walk: &mut Walk<'_>, visit: &mut dyn FnMut(Taken)) -> Result<(), ArchiveError> {
    let mut too_many = false;
    let mut each = |name: String, data: Result<Vec<u8>, ArchiveError>, walk: &mut Walk<'_>| -> bool {
        let name = format!("{prefix}{name}");
        match data {
            Err(e) => visit(Err((name, e))),
            Ok(data) => match archive_kind(&data) {
                Some(_) if depth >= MAX_DEPTH => visit(Err((name, ArchiveError::TooDeep))),
                Some(inner) => {
                    if let Err(e) = visit_into(inner, &data, &format!("{name}/"), depth + 1, walk, &mut *visit) {
                        if e == ArchiveError::TooManyMembers {
                            too_many = true;
                            return false;
                        }
                        visit(Err((name, e)));
                    }
                }
                None if *walk.count >= MAX_MEMBERS => {
                    too_many = true;
                    return false;
                }
                None => {
                    *walk.count += 1;
                    visit(Ok(Member { name, data }));
                }
            },
        }
        true
    };
    match kind {
        ArchiveKind::Zip => zip_members(bytes, prefix, walk, &mut each)?,
        ArchiveKind::SevenZip => seven_zip_members(bytes, prefix, walk, &mut each)?,
    }
    if too_many { Err(ArchiveError::TooManyMembers) } else { Ok(()) }
}

/// Called with each member's name and bytes (or why they could not be taken out); `false` stops the walk.
type Each<'e> = dyn FnMut(String, Result<Vec<u8>, ArchiveError>, &mut Walk<'_>) -> bool + 'e;

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

/// Reads at most `budget` bytes of a member, failing past it whatever its declared size said.
fn read_capped(r: &mut dyn Read, declared: u64, budget: &mut u64, limits: &Limits) -> Result<Vec<u8>, ArchiveError> {
    let too_large = || ArchiveError::TooLarge(limits.max_unzipped_bytes >> 20);
    if declared > *budget {
        return Err(too_large());
    }
    // The declared size, one byte more to see the end without growing the buffer to twice the member
    // (what a read to the end does when it lands on its capacity); a false declaration only costs growth.
    let mut data = Vec::with_capacity(usize::try_from(declared.saturating_add(1)).unwrap_or(0).min(64 << 20));
    let mut member = r.take(budget.saturating_add(1));
    // A text member (CSV, HTML, XML) is decoded whole when read: one past the readers' text limit is
    // refused here, before the rest of it is taken out.
    let mut head = [0u8; 8];
    let n = read_head(&mut member, &mut head).map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
    data.extend_from_slice(&head[..n]);
    let cap = if is_binary(&head[..n]) { u64::MAX } else { limits.max_text_bytes.saturating_add(1) };
    member.by_ref().take(cap.saturating_sub(n as u64)).read_to_end(&mut data).map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
    let n = data.len() as u64;
    if n > *budget {
        return Err(too_large());
    }
    if n > limits.max_text_bytes && !is_binary(&data) {
        return Err(ArchiveError::TextTooLarge(limits.max_text_bytes >> 20));
    }
    data.shrink_to_fit();
    *budget -= n;
    Ok(data)
}

/// Fills `head` as far as the member goes.
fn read_head(r: &mut dyn Read, head: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < head.len() {
        match r.read(&mut head[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A member that is a container (zip, OLE compound file, 7z) and not text: its size is bounded by the
/// archive's budget alone.
fn is_binary(head: &[u8]) -> bool {
    head.starts_with(b"PK") || head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) || head.starts_with(b"7z\xBC\xAF")
}

fn zip_members(bytes: &[u8], prefix: &str, walk: &mut Walk<'_>, each: &mut Each<'_>) -> Result<(), ArchiveError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ArchiveError::Corrupt(e.to_string()))?;
    for i in 0..zip.len() {
        let (name, encrypted, declared) = match zip.by_index_raw(i) {
            Ok(f) => (decode_name(f.name_raw()), f.encrypted(), f.size()),
            Err(e) => return Err(ArchiveError::Corrupt(e.to_string())),
        };
        if is_clutter(&name) || !walk.wants(&format!("{prefix}{name}")) {
            continue;
        }
        let data = if encrypted {
            Err(ArchiveError::Encrypted)
        } else {
            match zip.by_index(i) {
                Ok(mut f) => read_capped(&mut f, declared, walk.budget, walk.limits),
                Err(e) => Err(ArchiveError::Corrupt(e.to_string())),
            }
        };
        if !each(name, data, walk) {
            break;
        }
    }
    Ok(())
}

fn seven_zip_members(bytes: &[u8], prefix: &str, walk: &mut Walk<'_>, each: &mut Each<'_>) -> Result<(), ArchiveError> {
    use sevenz_rust2::{ArchiveReader, Error, Password};
    let mut reader = ArchiveReader::new(Cursor::new(bytes), Password::empty()).map_err(|e| match e {
        Error::PasswordRequired | Error::MaybeBadPassword(_) => ArchiveError::Encrypted,
        e => ArchiveError::Corrupt(e.to_string()),
    })?;
    let declared: u64 = reader.archive().files.iter().map(|f| f.size()).fold(0, u64::saturating_add);
    if declared > *walk.budget {
        return Err(ArchiveError::TooLarge(walk.limits.max_unzipped_bytes >> 20));
    }
    let mut handed = 0usize;
    let result = reader.for_each_entries(|entry, r| {
        let name = entry.name().replace('\\', "/");
        if entry.is_directory() || !entry.has_stream() || is_clutter(&name) || !walk.wants(&format!("{prefix}{name}")) {
            // A solid archive decodes through every entry: drain what is skipped.
            std::io::copy(r, &mut std::io::sink())?;
            return Ok(true);
        }
        let data = read_capped(r, entry.size(), walk.budget, walk.limits);
        if matches!(data, Err(ArchiveError::TextTooLarge(_))) {
            std::io::copy(r, &mut std::io::sink())?;
        }
        let stop = matches!(data, Err(ArchiveError::TooLarge(_)));
        handed += 1;
        Ok(each(name, data, walk) && !stop)
    });
    match result {
        Ok(()) => Ok(()),
        Err(Error::PasswordRequired | Error::MaybeBadPassword(_)) => Err(ArchiveError::Encrypted),
        Err(e) if handed == 0 => Err(ArchiveError::Corrupt(e.to_string())),
        Err(e) => {
            each("(其余文件)".into(), Err(ArchiveError::Corrupt(e.to_string())), walk);
            Ok(())
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
    fn one_member_is_taken_out_without_the_others() {
        let inner = zip_of(&[("台账.csv", b"a,b\n")]);
        let zeros = vec![0u8; 4 << 20];
        let outer = zip_of(&[("大.csv", &zeros), ("内层.zip", &inner)]);
        let limits = Limits { max_unzipped_bytes: 1 << 20, ..Limits::default() };
        // The member beside it would pass the budget: it is not even decompressed.
        assert_eq!(take_member(&outer, &limits, "内层.zip/台账.csv").unwrap(), Some(b"a,b\n".to_vec()));
        assert_eq!(take_member(&outer, &limits, "内层.zip/别的.csv").unwrap(), None);
        assert_eq!(take_member(&outer, &limits, "大.csv"), Err(ArchiveError::TooLarge(1)));
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
