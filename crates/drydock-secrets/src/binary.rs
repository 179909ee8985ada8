//! Binary-content detection: a NUL byte in the first 8 KiB, or a known magic number.

use serde::Serialize;

/// How many leading bytes [`detect_binary`] looks at.
pub const BINARY_SNIFF_LEN: usize = 8 * 1024;

/// Why a buffer was classified as binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum BinaryKind {
    /// A NUL byte in the first 8 KiB (and no magic recognised).
    NulByte,
    Elf,
    MachO,
    /// Java class file or Mach-O universal binary (`CAFEBABE`).
    JavaClassOrFatMachO,
    Pe,
    Wasm,
    Gzip,
    Zstd,
    Xz,
    Bzip2,
    Zip,
    SevenZip,
    Rar,
    Png,
    Jpeg,
    Gif,
    Webp,
    Pdf,
    Sqlite,
}

const MAGIC: &[(&[u8], BinaryKind)] = &[
    (b"\x7fELF", BinaryKind::Elf),
    (b"\xfe\xed\xfa\xce", BinaryKind::MachO),
    (b"\xfe\xed\xfa\xcf", BinaryKind::MachO),
    (b"\xce\xfa\xed\xfe", BinaryKind::MachO),
    (b"\xcf\xfa\xed\xfe", BinaryKind::MachO),
    (b"\xca\xfe\xba\xbe", BinaryKind::JavaClassOrFatMachO),
    (b"\0asm", BinaryKind::Wasm),
    (b"\x1f\x8b", BinaryKind::Gzip),
    (b"\x28\xb5\x2f\xfd", BinaryKind::Zstd),
    (b"\xfd7zXZ\0", BinaryKind::Xz),
    (b"PK\x03\x04", BinaryKind::Zip),
    (b"PK\x05\x06", BinaryKind::Zip),
    (b"7z\xbc\xaf\x27\x1c", BinaryKind::SevenZip),
    (b"Rar!\x1a\x07", BinaryKind::Rar),
    (b"\x89PNG\r\n\x1a\n", BinaryKind::Png),
    (b"\xff\xd8\xff", BinaryKind::Jpeg),
    (b"GIF87a", BinaryKind::Gif),
    (b"GIF89a", BinaryKind::Gif),
    (b"%PDF-", BinaryKind::Pdf),
    (b"SQLite format 3\0", BinaryKind::Sqlite),
];

/// Classify the start of a file. `None` means text (scan it).
///
/// Pass at least the first [`BINARY_SNIFF_LEN`] bytes when available; more are ignored.
pub fn detect_binary(head: &[u8]) -> Option<BinaryKind> {
    for (magic, kind) in MAGIC {
        if head.starts_with(magic) {
            return Some(*kind);
        }
    }
    // bzip2: "BZh" + block size digit + block magic 0x314159265359
    if head.len() >= 10
        && head.starts_with(b"BZh")
        && head[3].is_ascii_digit()
        && head[4..10] == *b"1AY&SY"
    {
        return Some(BinaryKind::Bzip2);
    }
    if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        return Some(BinaryKind::Webp);
    }
    // PE: "MZ" header whose e_lfanew points at "PE\0\0".
    if head.len() >= 0x40 && head.starts_with(b"MZ") {
        let off = u32::from_le_bytes([head[0x3c], head[0x3d], head[0x3e], head[0x3f]]) as usize;
        if head.get(off..off + 4) == Some(b"PE\0\0") {
            return Some(BinaryKind::Pe);
        }
    }
    let sniff = &head[..head.len().min(BINARY_SNIFF_LEN)];
    memchr::memchr(0, sniff).map(|_| BinaryKind::NulByte)
}

/// `detect_binary(head).is_some()`.
pub fn is_binary(head: &[u8]) -> bool {
    detect_binary(head).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_not_binary() {
        assert_eq!(detect_binary(b""), None);
        assert_eq!(detect_binary(b"FROM alpine\nRUN echo hi\n"), None);
        assert_eq!(detect_binary("héllo wörld ✓".as_bytes()), None);
        assert_eq!(
            detect_binary(b"MZ is a text file that starts like a PE"),
            None
        );
        assert_eq!(detect_binary(b"BZh9 not bzip"), None);
    }

    #[test]
    fn binaries() {
        assert_eq!(detect_binary(b"\x7fELF\x02\x01\x01"), Some(BinaryKind::Elf));
        assert_eq!(detect_binary(b"\x1f\x8b\x08\x00"), Some(BinaryKind::Gzip));
        assert_eq!(
            detect_binary(b"\x89PNG\r\n\x1a\nxxxx"),
            Some(BinaryKind::Png)
        );
        assert_eq!(detect_binary(b"abc\0def"), Some(BinaryKind::NulByte));
        let mut pe = vec![0u8; 0x80];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c] = 0x40;
        pe[0x40..0x44].copy_from_slice(b"PE\0\0");
        assert_eq!(detect_binary(&pe), Some(BinaryKind::Pe));
        assert_eq!(detect_binary(b"BZh91AY&SYxxxx"), Some(BinaryKind::Bzip2));
    }

    #[test]
    fn nul_after_sniff_window_is_text() {
        let mut v = vec![b'a'; BINARY_SNIFF_LEN];
        v.push(0);
        assert_eq!(detect_binary(&v), None);
        v[BINARY_SNIFF_LEN - 1] = 0;
        assert_eq!(detect_binary(&v), Some(BinaryKind::NulByte));
    }
}
