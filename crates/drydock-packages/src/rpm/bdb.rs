//! rpm's Berkeley DB `Packages` file (RHEL/CentOS ≤ 8, Amazon Linux 2): a
//! Berkeley DB hash database, read straight from its bytes.
//!
//! The layout (Berkeley DB's `dbinc/db_page.h`), in the byte order of the
//! machine that wrote the file, told apart by the magic:
//!
//! * Page 0, the hash metadata page: `magic` (0x061561) at byte 12,
//!   `pagesize` at 20, page `type` (8, hash metadata) at 25, `last_pgno`
//!   at 32.
//! * Every page starts with a 26-byte header: `next_pgno` at 16, `entries`
//!   (u16) at 20, `hf_offset` (u16) at 22, `type` at 25.
//! * Hash pages (type 2 or 13) hold `entries` u16 offsets of items right
//!   after the header: keys at even positions, values at odd ones. Items are
//!   stored from the end of the page down, so item `i` ends where item
//!   `i - 1` starts. A small value is an `H_KEYDATA` item (type 1, then the
//!   bytes); a value too big for the page (over about a quarter of it) is an
//!   `HOFFPAGE` item (type 3): first overflow page number at item byte 4,
//!   total length at byte 8.
//! * Overflow pages (type 7) carry `hf_offset` bytes of the value from byte
//!   26, and chain on through `next_pgno` (0 ends the chain).
//!
//! rpm stores each package header under its 4-byte instance number, and
//! its instance counter under key 0, which is skipped.
//!
//! Every page number is checked against the file, a chain that revisits a
//! page is an error, and the values read may not add up to more than the
//! file's size: a corrupt file costs at most about twice its size in memory.

use std::collections::HashSet;

use super::Blob;

const MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const TYPE_HASH_UNSORTED: u8 = 2;
const TYPE_OVERFLOW: u8 = 7;
const TYPE_HASH_META: u8 = 8;
const TYPE_HASH: u8 = 13;
/// `H_KEYDATA`: a type byte, then the bytes themselves.
const ITEM_KEYDATA: u8 = 1;
const ITEM_OFFPAGE: u8 = 3;
const MORE_THAN_FILE: &str = "values add up to more bytes than the file holds";
/// `HOFFPAGE`: type, 3 unused bytes, page number, total length.
const OFFPAGE_SIZE: usize = 12;

/// The header blobs of a Berkeley DB hash `Packages` file.
pub(super) fn blobs(data: &[u8]) -> Result<Vec<Blob>, String> {
    let big_endian = if u32_at(data, 12, false) == Some(MAGIC) {
        false
    } else if u32_at(data, 12, true) == Some(MAGIC) {
        true
    } else {
        return Err("not a Berkeley DB file (no hash magic at byte 12)".into());
    };
    let db = Db::new(data, big_endian)?;
    let mut budget = data.len();
    let mut blobs = Vec::new();
    for pgno in 1..db.pages {
        let page = db.page(pgno);
        if ![TYPE_HASH, TYPE_HASH_UNSORTED].contains(&page[25]) {
            continue;
        }
        let entries = usize::from(db.u16(page, 20));
        if PAGE_HEADER + 2 * entries > page.len() {
            return Err(format!(
                "page {pgno}: {entries} entries do not fit in a {}-byte page",
                page.len()
            ));
        }
        // Item `i` ends where item `i - 1` starts (the first at the page end).
        let item = |i: usize| {
            let at = usize::from(db.u16(page, PAGE_HEADER + 2 * i));
            let end = match i {
                0 => page.len(),
                _ => usize::from(db.u16(page, PAGE_HEADER + 2 * (i - 1))),
            };
            page.get(at..end).filter(|b| !b.is_empty()).ok_or_else(|| {
                format!("page {pgno} entry {i}: item at bytes {at}..{end} is not within the page")
            })
        };
        for i in (1..entries).step_by(2) {
            let (key, value) = (item(i - 1)?, item(i)?);
            let (origin, bytes) = match value[0] {
                ITEM_KEYDATA if key == [ITEM_KEYDATA, 0, 0, 0, 0] => continue,
                ITEM_KEYDATA => {
                    let bytes = &value[1..];
                    if bytes.len() > budget {
                        return Err(format!("page {pgno} entry {i}: {MORE_THAN_FILE}"));
                    }
                    (format!("page {pgno} entry {i}"), bytes.to_vec())
                }
                ITEM_OFFPAGE if value.len() >= OFFPAGE_SIZE => {
                    let first = db.u32(value, 4);
                    let length = db.u32(value, 8) as usize;
                    let origin = format!("page {pgno} entry {i} (overflow page {first})");
                    if length > budget {
                        return Err(format!("{origin}: {MORE_THAN_FILE}"));
                    }
                    let bytes = db
                        .overflow(first, length)
                        .map_err(|e| format!("{origin}: {e}"))?;
                    (origin, bytes)
                }
                ITEM_OFFPAGE => {
                    return Err(format!(
                        "page {pgno} entry {i}: off-page item of {} bytes is truncated",
                        value.len()
                    ));
                }
                _ => continue,
            };
            budget -= bytes.len();
            blobs.push(Blob { origin, bytes });
        }
    }
    Ok(blobs)
}

/// A byte-order-aware view of the file.
struct Db<'a> {
    data: &'a [u8],
    big_endian: bool,
    page_size: usize,
    /// Pages that exist: `last_pgno + 1`, all within the file.
    pages: u32,
}

impl<'a> Db<'a> {
    fn new(data: &'a [u8], big_endian: bool) -> Result<Self, String> {
        let field = |at| u32_at(data, at, big_endian).ok_or("metadata page is truncated");
        let page_size = field(20)?;
        let last = field(32)?;
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(format!("byte 20: invalid page size {page_size}"));
        }
        if data[25] != TYPE_HASH_META {
            return Err(format!(
                "byte 25: page type {} is not a hash metadata page (not a hash database?)",
                data[25]
            ));
        }
        let in_file = data.len() / page_size as usize;
        if last as usize >= in_file {
            return Err(format!(
                "byte 32: last page {last} is past the end of the file ({in_file} pages of {page_size} bytes)"
            ));
        }
        Ok(Db {
            data,
            big_endian,
            page_size: page_size as usize,
            pages: last + 1,
        })
    }

    /// Page `pgno`, which must be below `self.pages`.
    fn page(&self, pgno: u32) -> &'a [u8] {
        let start = pgno as usize * self.page_size;
        &self.data[start..start + self.page_size]
    }

    fn u32(&self, bytes: &[u8], at: usize) -> u32 {
        u32_at(bytes, at, self.big_endian).unwrap_or_default()
    }

    /// The u16 at `at`, which must be within `bytes`.
    fn u16(&self, bytes: &[u8], at: usize) -> u16 {
        let b = [bytes[at], bytes[at + 1]];
        if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    }

    /// The `length` bytes of a value stored in the overflow chain starting
    /// at page `pgno`.
    fn overflow(&self, mut pgno: u32, length: usize) -> Result<Vec<u8>, String> {
        let mut value = Vec::with_capacity(length);
        let mut seen = HashSet::new();
        while pgno != 0 {
            if pgno >= self.pages {
                return Err(format!(
                    "overflow page {pgno} is past the last page {}",
                    self.pages - 1
                ));
            }
            if !seen.insert(pgno) {
                return Err(format!("overflow chain loops back to page {pgno}"));
            }
            let page = self.page(pgno);
            if page[25] != TYPE_OVERFLOW {
                return Err(format!(
                    "page {pgno}: type {} where an overflow page was expected",
                    page[25]
                ));
            }
            let len = usize::from(self.u16(page, 22));
            let bytes = page.get(PAGE_HEADER..PAGE_HEADER + len).ok_or_else(|| {
                format!("page {pgno}: {len} overflow bytes do not fit in the page")
            })?;
            if value.len() + bytes.len() > length {
                return Err(format!(
                    "page {pgno}: overflow chain is longer than the value's {length} bytes"
                ));
            }
            value.extend_from_slice(bytes);
            pgno = self.u32(page, 16);
        }
        if value.len() != length {
            return Err(format!(
                "overflow chain holds {} bytes, the value has {length}",
                value.len()
            ));
        }
        Ok(value)
    }
}

fn u32_at(bytes: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let b = [
        *bytes.get(at)?,
        *bytes.get(at + 1)?,
        *bytes.get(at + 2)?,
        *bytes.get(at + 3)?,
    ];
    Some(if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: usize = 512;

    /// A one-value hash database: metadata page, hash page 1 whose only
    /// pair's value is off-page starting at `first`, then `overflow` pages
    /// (next page number, bytes) from page 2 on. `be` writes big-endian.
    fn db(be: bool, first: u32, length: u32, overflow: &[(u32, &[u8])]) -> Vec<u8> {
        let n32 = |n: u32| if be { n.to_be_bytes() } else { n.to_le_bytes() };
        let n16 = |n: u16| if be { n.to_be_bytes() } else { n.to_le_bytes() };
        let pages = 2 + overflow.len();
        let mut data = vec![0u8; pages * PAGE];
        data[12..16].copy_from_slice(&n32(MAGIC));
        data[20..24].copy_from_slice(&n32(PAGE as u32));
        data[25] = TYPE_HASH_META;
        data[32..36].copy_from_slice(&n32(pages as u32 - 1));
        let hash = &mut data[PAGE..2 * PAGE];
        hash[25] = TYPE_HASH;
        hash[20..22].copy_from_slice(&n16(2));
        // Key item (on-page, 4-byte instance number) and the value item.
        hash[26..28].copy_from_slice(&n16(500));
        hash[28..30].copy_from_slice(&n16(480));
        hash[500] = 1;
        hash[480] = ITEM_OFFPAGE;
        hash[484..488].copy_from_slice(&n32(first));
        hash[488..492].copy_from_slice(&n32(length));
        for (i, (next, bytes)) in overflow.iter().enumerate() {
            let page = &mut data[(2 + i) * PAGE..(3 + i) * PAGE];
            page[25] = TYPE_OVERFLOW;
            page[16..20].copy_from_slice(&n32(*next));
            page[22..24].copy_from_slice(&n16(bytes.len() as u16));
            page[26..26 + bytes.len()].copy_from_slice(bytes);
        }
        data
    }

    #[test]
    fn values_are_read_from_overflow_chains_in_either_byte_order() {
        for be in [false, true] {
            let data = db(be, 2, 9, &[(3, b"head"), (0, b"er123")]);
            let blobs = blobs(&data).unwrap();
            assert_eq!(blobs.len(), 1);
            assert_eq!(blobs[0].bytes, b"header123");
            assert_eq!(blobs[0].origin, "page 1 entry 1 (overflow page 2)");
        }
    }

    #[test]
    fn small_values_are_read_from_the_page_and_the_counter_is_skipped() {
        let mut data = db(false, 2, 4, &[(0, b"abcd")]);
        let hash = &mut data[PAGE..2 * PAGE];
        hash[20..22].copy_from_slice(&4u16.to_le_bytes());
        // Key 0 → counter 5, then key 1 → "hello", from the page end down.
        let items: [&[u8]; 4] = [
            &[1, 0, 0, 0, 0],
            &[1, 5, 0, 0, 0],
            &[1, 1, 0, 0, 0],
            b"\x01hello",
        ];
        let mut end = PAGE;
        for (i, item) in items.iter().enumerate() {
            end -= item.len();
            hash[end..end + item.len()].copy_from_slice(item);
            hash[26 + 2 * i..28 + 2 * i].copy_from_slice(&(end as u16).to_le_bytes());
        }
        let blobs = blobs(&data).unwrap();
        assert_eq!(blobs.len(), 1);
        assert_eq!(
            (blobs[0].origin.as_str(), &blobs[0].bytes[..]),
            ("page 1 entry 3", &b"hello"[..])
        );
    }

    #[test]
    fn corrupt_files_are_errors() {
        let mut small_page = db(false, 2, 4, &[(0, b"abcd")]);
        small_page[20..24].copy_from_slice(&300u32.to_le_bytes());
        let mut btree = db(false, 2, 4, &[(0, b"abcd")]);
        btree[25] = 9;
        let mut past_end = db(false, 2, 4, &[(0, b"abcd")]);
        past_end[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut many_entries = db(false, 2, 4, &[(0, b"abcd")]);
        many_entries[PAGE + 20..PAGE + 22].copy_from_slice(&u16::MAX.to_le_bytes());
        let mut item_past_page = db(false, 2, 4, &[(0, b"abcd")]);
        item_past_page[PAGE + 28..PAGE + 30].copy_from_slice(&510u16.to_le_bytes());
        let mut short_item = db(false, 2, 4, &[(0, b"abcd")]);
        short_item[PAGE + 28..PAGE + 30].copy_from_slice(&495u16.to_le_bytes());
        short_item[PAGE + 495] = ITEM_OFFPAGE;
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (short_item, "off-page item of 5 bytes is truncated"),
            (vec![], "not a Berkeley DB file"),
            (vec![0xff; 4096], "not a Berkeley DB file"),
            (small_page, "byte 20: invalid page size 300"),
            (btree, "not a hash metadata page"),
            (past_end, "is past the end of the file"),
            (many_entries, "page 1: 65535 entries do not fit"),
            (
                item_past_page,
                "page 1 entry 1: item at bytes 510..500 is not within",
            ),
            // Self-referencing page, and a two-page cycle.
            (db(false, 2, 100, &[(2, b"abcd")]), "loops back to page 2"),
            (
                db(false, 2, 100, &[(3, b"ab"), (2, b"cd")]),
                "loops back to page 2",
            ),
            // A cycle whose declared length is huge: stopped by the file size.
            (
                db(false, 2, u32::MAX, &[(2, b"abcd")]),
                "more bytes than the file holds",
            ),
            (
                db(false, 9, 4, &[(0, b"abcd")]),
                "overflow page 9 is past the last page 2",
            ),
            (
                db(false, 1, 4, &[(0, b"abcd")]),
                "page 1: type 13 where an overflow",
            ),
            (
                db(false, 2, 3, &[(0, b"abcd")]),
                "longer than the value's 3 bytes",
            ),
            (
                db(false, 2, 5, &[(0, b"abcd")]),
                "holds 4 bytes, the value has 5",
            ),
        ];
        for (data, expected) in cases {
            let err = blobs(&data).unwrap_err();
            assert!(err.contains(expected), "{err:?} lacks {expected:?}");
        }
        // An overflow page claiming more bytes than a page has.
        let mut data = db(false, 2, 4, &[(0, b"abcd")]);
        data[2 * PAGE + 22..2 * PAGE + 24].copy_from_slice(&600u16.to_le_bytes());
        assert!(blobs(&data).unwrap_err().contains("do not fit in the page"));
    }
}
