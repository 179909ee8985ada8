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
//!   after the header: keys at even positions, values at odd ones. A value
//!   too big for the page is an `HOFFPAGE` item (type 3): first overflow page
//!   number at item byte 4, total length at byte 8.
//! * Overflow pages (type 7) carry `hf_offset` bytes of the value from byte
//!   26, and chain on through `next_pgno` (0 ends the chain).
//!
//! rpm stores each package header under its 4-byte instance number; those
//! values are always off-page. The one small value stored in the page
//! itself is rpm's instance counter (key 0), which is skipped with every
//! other on-page item.
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
const ITEM_OFFPAGE: u8 = 3;
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
        for i in (1..entries).step_by(2) {
            let at = usize::from(db.u16(page, PAGE_HEADER + 2 * i));
            let past = || format!("page {pgno} entry {i}: item at offset {at} runs past the page");
            if *page.get(at).ok_or_else(past)? != ITEM_OFFPAGE {
                continue;
            }
            let item = page.get(at..at + OFFPAGE_SIZE).ok_or_else(past)?;
            let first = db.u32(item, 4);
            let length = db.u32(item, 8) as usize;
            let origin = format!("page {pgno} entry {i} (overflow page {first})");
            if length > budget {
                return Err(format!(
                    "{origin}: value of {length} bytes is more than the file holds"
                ));
            }
            let bytes = db
                .overflow(first, length)
                .map_err(|e| format!("{origin}: {e}"))?;
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
        item_past_page[PAGE + 510] = ITEM_OFFPAGE;
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![], "not a Berkeley DB file"),
            (vec![0xff; 4096], "not a Berkeley DB file"),
            (small_page, "byte 20: invalid page size 300"),
            (btree, "not a hash metadata page"),
            (past_end, "is past the end of the file"),
            (many_entries, "page 1: 65535 entries do not fit"),
            (
                item_past_page,
                "page 1 entry 1: item at offset 510 runs past the page",
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
                "more than the file holds",
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
