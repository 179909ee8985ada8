//! rpm's NDB `Packages.db` (SUSE), read straight from its bytes.
//!
//! Layout as written by rpm's `lib/backend/ndb/rpmpkg.c` (all numbers
//! little-endian u32):
//!
//! * A 32-byte header: magic `RpmP`, version 0, generation, `slotnpages`
//!   (number of 4096-byte slot pages at the start of the file), next
//!   package index.
//! * Slots of 16 bytes fill the slot pages, after the header: magic `Slot`,
//!   package index, block offset, block count. A block is 16 bytes; block
//!   offset 0 marks a free slot.
//! * A blob at block offset × 16: magic `BlbS`, package index, generation,
//!   blob length, then the header blob, then a 12-byte tail (checksum,
//!   length, `BlbE`) — all within the slot's blocks.
//!
//! Every slot's blocks must lie within the file, and the blobs read may not
//! add up to more than the file's size.

use super::Blob;

const MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_MAGIC: &[u8; 4] = b"BlbS";
const HEADER_SIZE: usize = 32;
const SLOT_PAGE: usize = 4096;
const SLOT_SIZE: usize = 16;
const BLOCK: u64 = 16;
const BLOB_HEAD: u64 = 16;
const BLOB_TAIL: u64 = 12;

/// The header blobs of an NDB `Packages.db` file, in slot order.
pub(super) fn blobs(data: &[u8]) -> Result<Vec<Blob>, String> {
    if data.len() < HEADER_SIZE || &data[..4] != MAGIC {
        return Err("not an NDB file (no RpmP magic at byte 0)".into());
    }
    let version = le32(data, 4);
    if version != 0 {
        return Err(format!("byte 4: unknown NDB version {version}"));
    }
    let slot_pages = le32(data, 12) as usize;
    if slot_pages == 0 || slot_pages > data.len() / SLOT_PAGE {
        return Err(format!(
            "byte 12: {slot_pages} slot pages of {SLOT_PAGE} bytes do not fit in the {}-byte file",
            data.len()
        ));
    }
    let mut budget = data.len() as u64;
    let mut blobs = Vec::new();
    for at in (HEADER_SIZE..slot_pages * SLOT_PAGE).step_by(SLOT_SIZE) {
        let slot = &data[at..at + SLOT_SIZE];
        if &slot[..4] != SLOT_MAGIC {
            return Err(format!("slot at byte {at}: no Slot magic"));
        }
        let (package, offset, blocks) = (le32(slot, 4), le32(slot, 8), le32(slot, 12));
        if offset == 0 {
            continue;
        }
        let origin = format!("package {package} (slot at byte {at})");
        let start = u64::from(offset) * BLOCK;
        let end = start + u64::from(blocks) * BLOCK;
        if end > data.len() as u64 {
            return Err(format!(
                "{origin}: blocks {offset}..+{blocks} run past the end of the file"
            ));
        }
        // Within the file, so these fit in usize.
        let area = &data[start as usize..end as usize];
        if area.len() < (BLOB_HEAD + BLOB_TAIL) as usize || &area[..4] != BLOB_MAGIC {
            return Err(format!("{origin}: no BlbS blob header at byte {start}"));
        }
        if le32(area, 4) != package {
            return Err(format!(
                "{origin}: the blob at byte {start} belongs to package {}",
                le32(area, 4)
            ));
        }
        let length = u64::from(le32(area, 12));
        if BLOB_HEAD + length + BLOB_TAIL > area.len() as u64 {
            return Err(format!(
                "{origin}: blob of {length} bytes does not fit in its {blocks} blocks"
            ));
        }
        if length > budget {
            return Err(format!(
                "{origin}: blobs add up to more bytes than the file holds"
            ));
        }
        budget -= length;
        let bytes = area[BLOB_HEAD as usize..(BLOB_HEAD + length) as usize].to_vec();
        blobs.push(Blob { origin, bytes });
    }
    Ok(blobs)
}

/// The little-endian u32 at `at`, which must be within `bytes`.
fn le32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One slot page; slot 2 points at a blob of `blob` in blocks from 256
    /// (the byte after the slot page).
    fn ndb(package: u32, blob: &[u8]) -> Vec<u8> {
        let mut data = vec![0u8; SLOT_PAGE];
        data[..4].copy_from_slice(MAGIC);
        data[12..16].copy_from_slice(&1u32.to_le_bytes());
        for at in (HEADER_SIZE..SLOT_PAGE).step_by(SLOT_SIZE) {
            data[at..at + 4].copy_from_slice(SLOT_MAGIC);
        }
        let blocks = (16 + blob.len() as u32 + 12).div_ceil(16);
        for (i, n) in [package, 256, blocks].into_iter().enumerate() {
            data[36 + 4 * i..40 + 4 * i].copy_from_slice(&n.to_le_bytes());
        }
        data.extend(BLOB_MAGIC);
        for n in [package, 1, blob.len() as u32] {
            data.extend(n.to_le_bytes());
        }
        data.extend(blob);
        data.resize(SLOT_PAGE + blocks as usize * 16, 0);
        data
    }

    #[test]
    fn blobs_are_found_through_their_slots() {
        let blobs = blobs(&ndb(7, b"header")).unwrap();
        assert_eq!(blobs.len(), 1);
        assert_eq!(blobs[0].bytes, b"header");
        assert_eq!(blobs[0].origin, "package 7 (slot at byte 32)");
    }

    #[test]
    fn corrupt_files_are_errors() {
        let set = |mut data: Vec<u8>, at: usize, n: u32| {
            data[at..at + 4].copy_from_slice(&n.to_le_bytes());
            data
        };
        let good = ndb(7, b"header");
        let cases = [
            (b"RpmP".to_vec(), "not an NDB file"),
            (set(good.clone(), 4, 1), "byte 4: unknown NDB version 1"),
            (
                set(good.clone(), 12, u32::MAX),
                "byte 12: 4294967295 slot pages",
            ),
            (set(good.clone(), 12, 0), "byte 12: 0 slot pages"),
            (set(good.clone(), 48, 0), "slot at byte 48: no Slot magic"),
            (
                set(good.clone(), 40, u32::MAX),
                "run past the end of the file",
            ),
            (
                set(good.clone(), 44, u32::MAX),
                "run past the end of the file",
            ),
            (set(good.clone(), 40, 1), "no BlbS blob header at byte 16"),
            (set(good.clone(), SLOT_PAGE + 4, 8), "belongs to package 8"),
            (
                set(good.clone(), SLOT_PAGE + 12, u32::MAX),
                "does not fit in its 3 blocks",
            ),
        ];
        for (data, expected) in cases {
            let err = blobs(&data).unwrap_err();
            assert!(err.contains(expected), "{err:?} lacks {expected:?}");
        }
        // Every slot pointing at the same blob: stopped by the size budget.
        let good = ndb(7, &[b'h'; 200]);
        let mut data = good.clone();
        for at in (HEADER_SIZE..SLOT_PAGE).step_by(SLOT_SIZE) {
            data[at + 4..at + 16].copy_from_slice(&good[36..48]);
        }
        let err = blobs(&data).unwrap_err();
        assert!(err.contains("more bytes than the file holds"), "{err}");
    }
}
