//! The rpm header blob, the value every rpm database backend stores per
//! installed package (rpm's `lib/header.c`, "on-disk format"):
//!
//! ```text
//! il: u32 BE   number of index entries
//! dl: u32 BE   number of data bytes
//! il × { tag: u32, type: u32, offset: u32, count: u32 }   (all BE)
//! dl bytes of data; each entry's value starts at its offset
//! ```
//!
//! Only the tags drydock reports are decoded. An installed header holds the
//! package's immutable region followed by entries rpm added at install;
//! when a tag occurs twice the later index entry wins. Every count and
//! offset is checked against the blob, so a corrupt blob is an error
//! (naming the entry and byte offset), never a panic or a large allocation.

/// rpm's own limits (`hdrchkTags`, `hdrchkData` in `lib/header.c`).
const MAX_ENTRIES: u32 = 0xffff;
const MAX_DATA: u32 = 0x0fff_ffff;
/// Bytes before the index: `il` and `dl`.
const PREAMBLE: usize = 8;
/// Bytes per index entry.
const ENTRY: usize = 16;

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_SIZE: u32 = 1009;
const TAG_VENDOR: u32 = 1011;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_SOURCERPM: u32 = 1044;
const TAG_BASENAMES: u32 = 1117;
const TAG_LONGSIZE: u32 = 5009;

const TYPE_INT32: u32 = 4;
const TYPE_INT64: u32 = 5;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// The fields of one package header that drydock uses. Missing tags stay
/// empty (or 0); `(none)` values of `SOURCERPM`, `LICENSE` and `VENDOR`
/// become empty.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) name: String,
    pub(crate) epoch: u32,
    pub(crate) version: String,
    pub(crate) release: String,
    pub(crate) arch: String,
    pub(crate) source_rpm: String,
    pub(crate) license: String,
    pub(crate) vendor: String,
    /// `LONGSIZE` if present, else `SIZE`: installed size in bytes.
    pub(crate) size: u64,
    pub(crate) basenames: Vec<String>,
}

/// Decodes a header blob. The error says which index entry or byte offset
/// (from the start of the blob) is wrong.
pub(crate) fn parse(blob: &[u8]) -> Result<Header, String> {
    let il = be32(blob, 0).ok_or("blob shorter than its 8-byte preamble")?;
    let dl = be32(blob, 4).ok_or("blob shorter than its 8-byte preamble")?;
    if il == 0 || il > MAX_ENTRIES {
        return Err(format!(
            "byte 0: {il} index entries (1 to {MAX_ENTRIES} allowed)"
        ));
    }
    if dl > MAX_DATA {
        return Err(format!(
            "byte 4: {dl} data bytes (at most {MAX_DATA} allowed)"
        ));
    }
    let data_start = PREAMBLE + il as usize * ENTRY;
    let data_end = data_start + dl as usize;
    if data_end > blob.len() {
        return Err(format!(
            "byte 0: {il} entries and {dl} data bytes need {data_end} bytes, the blob has {}",
            blob.len()
        ));
    }
    let data = &blob[data_start..data_end];
    let mut header = Header::default();
    let mut size32 = None;
    let mut size64 = None;
    for i in 0..il as usize {
        let at = PREAMBLE + i * ENTRY;
        let field = |n: usize| be32(blob, at + 4 * n).unwrap_or_default();
        let entry = Entry {
            index: i,
            at,
            tag: field(0),
            kind: field(1),
            offset: field(2),
            count: field(3),
        };
        let value = Value { entry, data };
        match entry.tag {
            TAG_NAME => header.name = value.string()?,
            TAG_VERSION => header.version = value.string()?,
            TAG_RELEASE => header.release = value.string()?,
            TAG_ARCH => header.arch = value.string()?,
            TAG_SOURCERPM => header.source_rpm = value.string()?,
            TAG_LICENSE => header.license = value.string()?,
            TAG_VENDOR => header.vendor = value.string()?,
            TAG_BASENAMES => header.basenames = value.string_array()?,
            TAG_EPOCH => header.epoch = value.int32()?,
            TAG_SIZE => size32 = Some(value.int32()?),
            TAG_LONGSIZE => size64 = Some(value.int64()?),
            _ => {}
        }
    }
    header.size = size64.or(size32.map(u64::from)).unwrap_or(0);
    for field in [
        &mut header.source_rpm,
        &mut header.license,
        &mut header.vendor,
    ] {
        if field == "(none)" {
            field.clear();
        }
    }
    Ok(header)
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// One index entry and where it sits in the blob.
#[derive(Debug, Clone, Copy)]
struct Entry {
    index: usize,
    /// Byte offset of the entry in the blob.
    at: usize,
    tag: u32,
    kind: u32,
    offset: u32,
    count: u32,
}

/// An entry's value in the data area.
struct Value<'a> {
    entry: Entry,
    data: &'a [u8],
}

impl Value<'_> {
    fn error(&self, what: &str) -> String {
        let e = &self.entry;
        format!(
            "index entry {} (tag {}, type {}) at byte {}: {what}",
            e.index, e.tag, e.kind, e.at
        )
    }

    /// The data from the entry's offset on.
    fn bytes(&self) -> Result<&[u8], String> {
        let offset = self.entry.offset as usize;
        self.data.get(offset..).ok_or_else(|| {
            self.error(&format!(
                "data offset {offset} is past the {} data bytes",
                self.data.len()
            ))
        })
    }

    fn expect(&self, kinds: &[u32]) -> Result<(), String> {
        if kinds.contains(&self.entry.kind) {
            Ok(())
        } else {
            Err(self.error(&format!("expected type {kinds:?}")))
        }
    }

    /// A STRING, or the first string of an I18NSTRING.
    fn string(&self) -> Result<String, String> {
        self.expect(&[TYPE_STRING, TYPE_I18NSTRING])?;
        let bytes = self.bytes()?;
        Ok(self.strings(bytes, 1)?.pop().unwrap_or_default())
    }

    fn string_array(&self) -> Result<Vec<String>, String> {
        self.expect(&[TYPE_STRING_ARRAY])?;
        let bytes = self.bytes()?;
        // Each string takes at least its NUL byte: a count above the bytes
        // left is corrupt, and checking first bounds the allocation.
        if self.entry.count as usize > bytes.len() {
            return Err(self.error(&format!(
                "{} strings cannot fit in the {} data bytes left",
                self.entry.count,
                bytes.len()
            )));
        }
        self.strings(bytes, self.entry.count as usize)
    }

    /// `n` NUL-terminated strings from the start of `bytes`.
    fn strings(&self, mut bytes: &[u8], n: usize) -> Result<Vec<String>, String> {
        let mut strings = Vec::with_capacity(n);
        for _ in 0..n {
            let end = bytes
                .iter()
                .position(|&b| b == 0)
                .ok_or_else(|| self.error("string runs past the end of the data (no NUL byte)"))?;
            strings.push(String::from_utf8_lossy(&bytes[..end]).into_owned());
            bytes = &bytes[end + 1..];
        }
        Ok(strings)
    }

    /// The first element of an INT32 entry.
    fn int32(&self) -> Result<u32, String> {
        self.expect(&[TYPE_INT32])?;
        let b = self.number(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The first element of an INT64 entry.
    fn int64(&self) -> Result<u64, String> {
        self.expect(&[TYPE_INT64])?;
        let b = self.number(8)?;
        Ok(u64::from_be_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ]))
    }

    fn number(&self, width: usize) -> Result<&[u8], String> {
        if self.entry.count == 0 {
            return Err(self.error("count is 0"));
        }
        self.bytes()?
            .get(..width)
            .ok_or_else(|| self.error(&format!("{width}-byte number runs past the data")))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A header value for [`blob`].
    pub(crate) enum V<'a> {
        Str(&'a str),
        Array(&'a [&'a str]),
        I32(u32),
        I64(u64),
    }

    /// A header blob with the given entries, laid out as rpm does.
    pub(crate) fn blob(entries: &[(u32, V<'_>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data = Vec::new();
        for (tag, value) in entries {
            let (kind, count, bytes): (u32, usize, Vec<u8>) = match value {
                V::Str(s) => (TYPE_STRING, 1, [s.as_bytes(), b"\0"].concat()),
                V::Array(a) => (
                    TYPE_STRING_ARRAY,
                    a.len(),
                    a.iter()
                        .flat_map(|s| [s.as_bytes(), b"\0"].concat())
                        .collect(),
                ),
                V::I32(n) => (TYPE_INT32, 1, n.to_be_bytes().to_vec()),
                V::I64(n) => (TYPE_INT64, 1, n.to_be_bytes().to_vec()),
            };
            let align = match kind {
                TYPE_INT32 => 4,
                TYPE_INT64 => 8,
                _ => 1,
            };
            while data.len() % align != 0 {
                data.push(0);
            }
            for n in [*tag, kind, data.len() as u32, count as u32] {
                index.extend(n.to_be_bytes());
            }
            data.extend(bytes);
        }
        let mut blob = Vec::new();
        blob.extend((entries.len() as u32).to_be_bytes());
        blob.extend((data.len() as u32).to_be_bytes());
        blob.extend(index);
        blob.extend(data);
        blob
    }

    fn sample() -> Vec<u8> {
        blob(&[
            (TAG_NAME, V::Str("bash")),
            (TAG_VERSION, V::Str("5.2.26")),
            (TAG_RELEASE, V::Str("3.fc40")),
            (TAG_EPOCH, V::I32(1)),
            (TAG_SIZE, V::I32(8_000_000)),
            (TAG_VENDOR, V::Str("(none)")),
            (TAG_LICENSE, V::Str("GPL-3.0-or-later")),
            (TAG_ARCH, V::Str("x86_64")),
            (TAG_SOURCERPM, V::Str("bash-5.2.26-3.fc40.src.rpm")),
            (TAG_BASENAMES, V::Array(&["bash", "", "sh"])),
        ])
    }

    #[test]
    fn decodes_the_reported_tags() {
        let h = parse(&sample()).unwrap();
        assert_eq!(
            h,
            Header {
                name: "bash".into(),
                epoch: 1,
                version: "5.2.26".into(),
                release: "3.fc40".into(),
                arch: "x86_64".into(),
                source_rpm: "bash-5.2.26-3.fc40.src.rpm".into(),
                license: "GPL-3.0-or-later".into(),
                vendor: String::new(),
                size: 8_000_000,
                basenames: vec!["bash".into(), String::new(), "sh".into()],
            }
        );
    }

    #[test]
    fn longsize_wins_over_size_and_later_entries_win() {
        let h = parse(&blob(&[
            (TAG_LONGSIZE, V::I64(5_000_000_000)),
            (TAG_SIZE, V::I32(7)),
            (TAG_NAME, V::Str("old")),
            (TAG_NAME, V::Str("new")),
        ]))
        .unwrap();
        assert_eq!((h.size, h.name.as_str()), (5_000_000_000, "new"));
    }

    #[test]
    fn i18n_strings_give_their_first_string() {
        let mut b = blob(&[(TAG_LICENSE, V::Array(&["MIT", "MIT (de)"]))]);
        b[8 + 7] = TYPE_I18NSTRING as u8;
        assert_eq!(parse(&b).unwrap().license, "MIT");
    }

    /// Overwrites field `n` (0 tag, 1 type, 2 offset, 3 count) of entry `i`.
    fn patch(mut b: Vec<u8>, i: usize, n: usize, value: u32) -> Vec<u8> {
        let at = PREAMBLE + i * ENTRY + 4 * n;
        b[at..at + 4].copy_from_slice(&value.to_be_bytes());
        b
    }

    #[test]
    fn corrupt_blobs_are_errors_with_a_location() {
        let good = sample();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![], "preamble"),
            (vec![0, 0, 0, 0, 0, 0, 0, 0], "byte 0: 0 index entries"),
            (good[..good.len() - 1].to_vec(), "the blob has"),
            (
                [&0xffff_u32.to_be_bytes()[..], &good[4..]].concat(),
                "byte 0: 65535 entries",
            ),
            (
                [&good[..4], &0x0fff_ffff_u32.to_be_bytes()[..], &good[8..]].concat(),
                "the blob has",
            ),
            (
                [&good[..4], &u32::MAX.to_be_bytes()[..], &good[8..]].concat(),
                "byte 4:",
            ),
            (
                [&u32::MAX.to_be_bytes()[..], &good[4..]].concat(),
                "index entries (1 to 65535 allowed)",
            ),
            (
                patch(good.clone(), 0, 2, 1_000_000),
                "index entry 0 (tag 1000, type 6) at byte 8: data offset 1000000 is past",
            ),
            (
                patch(good.clone(), 3, 2, u32::MAX),
                "index entry 3 (tag 1003, type 4) at byte 56: data offset",
            ),
            (
                patch(good.clone(), 0, 1, TYPE_INT32),
                "expected type [6, 9]",
            ),
            (patch(good.clone(), 9, 3, u32::MAX), "strings cannot fit"),
            (patch(good.clone(), 3, 3, 0), "count is 0"),
        ];
        for (blob, expected) in cases {
            let err = parse(&blob).unwrap_err();
            assert!(err.contains(expected), "{err:?} lacks {expected:?}");
        }
        // The last string without its NUL: data ends inside it.
        let mut b = blob(&[(TAG_NAME, V::Str("bash"))]);
        b.pop();
        let dl = be32(&b, 4).unwrap() - 1;
        b[4..8].copy_from_slice(&dl.to_be_bytes());
        assert!(parse(&b).unwrap_err().contains("no NUL byte"));
        // An INT64 whose 8 bytes are cut off by the data end.
        let mut b = blob(&[(TAG_LONGSIZE, V::I64(1))]);
        b.truncate(b.len() - 3);
        b[4..8].copy_from_slice(&5u32.to_be_bytes());
        assert!(parse(&b).unwrap_err().contains("8-byte number runs past"));
    }
}
