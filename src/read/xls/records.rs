//! The one walker over BIFF records, shared by the look inside a compound file ([`super::compound`]) and
//! the sparse reader ([`super::sparse`]): a record is a 2-byte type, a 2-byte length and its data.

/// Beginning of a substream (the workbook globals, a sheet, an embedded chart).
pub const BOF: u16 = 0x0809;
/// End of a substream.
pub const EOF: u16 = 0x000A;
/// The continuation of the previous record's data (long strings, the shared string table).
pub const CONTINUE: u16 = 0x003C;

/// The record at `pos`: its type, its data (cut short when the stream ends inside it), whether the data is
/// whole, and where the next record starts. `None` when not even the 4-byte header fits.
fn at(stream: &[u8], pos: usize) -> Option<(u16, &[u8], bool, usize)> {
    let head = stream.get(pos..pos.checked_add(4)?)?;
    let typ = u16::from_le_bytes([head[0], head[1]]);
    let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
    let end = pos + 4 + len;
    let data = &stream[pos + 4..end.min(stream.len())];
    Some((typ, data, end <= stream.len(), end))
}

/// Every record from `pos` whose header fits, the last one's data possibly cut short: for looks that need
/// only the types (is there a FILEPASS record before the globals end?).
pub fn headers(stream: &[u8], mut pos: usize) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let (typ, data, _, next) = at(stream, pos)?;
        pos = next;
        Some((typ, data))
    })
}

/// Records of a BIFF stream from `pos`: (type, data). Stops at the end or at a record that does not fit.
pub fn records(stream: &[u8], mut pos: usize) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let (typ, data, true, next) = at(stream, pos)? else { return None };
        pos = next;
        Some((typ, data))
    })
}

/// Records from `pos` with their CONTINUE records kept apart: (type, data, continuations).
pub fn records_with_continues(stream: &[u8], pos: usize) -> impl Iterator<Item = (u16, &[u8], Vec<&[u8]>)> {
    let mut inner = records(stream, pos).peekable();
    std::iter::from_fn(move || {
        let (typ, data) = inner.next()?;
        let mut cont = Vec::new();
        while let Some((_, d)) = inner.next_if(|(t, _)| *t == CONTINUE) {
            cont.push(d);
        }
        Some((typ, data, cont))
    })
}

/// A BIFF record as a file holds it (type, length, data), for tests that build streams.
#[cfg(test)]
pub(crate) fn record(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut v = typ.to_le_bytes().to_vec();
    v.extend((data.len() as u16).to_le_bytes());
    v.extend(data);
    v
}

#[cfg(test)]
mod tests {
    use super::*;


    #[test]
    fn continuations_are_kept_with_their_record_and_a_cut_record_ends_the_walk() {
        let stream = [record(BOF, &[0, 6]), record(0x00FC, &[1, 2]), record(CONTINUE, &[3]), record(CONTINUE, &[4]), record(EOF, &[])].concat();
        let walked: Vec<(u16, Vec<u8>, usize)> = records_with_continues(&stream, 0).map(|(t, d, c)| (t, d.to_vec(), c.len())).collect();
        assert_eq!(walked, vec![(BOF, vec![0, 6], 0), (0x00FC, vec![1, 2], 2), (EOF, vec![], 0)]);
        // The last record announces 8 bytes and holds 2: `records` stops before it, `headers` yields it.
        let cut = [record(BOF, &[0, 6]), vec![0x2F, 0x00, 8, 0, 1, 2]].concat();
        assert_eq!(records(&cut, 0).map(|(t, _)| t).collect::<Vec<_>>(), vec![BOF]);
        assert_eq!(headers(&cut, 0).map(|(t, d)| (t, d.len())).collect::<Vec<_>>(), vec![(BOF, 2), (0x002F, 2)]);
    }
}
