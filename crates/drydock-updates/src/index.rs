//! Package indexes: apt `Packages` (plain, `.gz`, `.xz`) and apk `APKINDEX.tar.gz`.

use std::io::{BufRead, Read, Write};

use crate::error::{Error, Result};

/// Largest decompressed index accepted (Debian's main `Packages` is ~50 MB).
pub const MAX_INDEX_BYTES: u64 = 512 << 20;

/// One package version an index offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Available {
    /// Binary package name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Architecture (`amd64`, `all`, `x86_64`, `noarch`).
    pub architecture: String,
}

/// Decompresses an index by its file name: `.gz`, `.xz`, else as is,
/// refusing more than [`MAX_INDEX_BYTES`].
///
/// # Errors
/// Corrupt data or too large.
pub fn decompress(url: &str, path: &str, data: Vec<u8>) -> Result<Vec<u8>> {
    let too_large = || {
        Error::index(
            url,
            format!("decompresses to more than {MAX_INDEX_BYTES} bytes"),
        )
    };
    let mut out = Vec::new();
    if path.ends_with(".gz") {
        flate2::read::MultiGzDecoder::new(&data[..])
            .take(MAX_INDEX_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::index(url, format!("corrupt gzip data: {e}")))?;
    } else if path.ends_with(".xz") {
        let mut sink = Capped {
            out: &mut out,
            left: MAX_INDEX_BYTES,
        };
        lzma_rs::xz_decompress(&mut &data[..], &mut sink).map_err(|e| match e {
            lzma_rs::error::Error::IoError(io) if io.kind() == std::io::ErrorKind::FileTooLarge => {
                too_large()
            }
            e => Error::index(url, format!("corrupt xz data: {e}")),
        })?;
    } else {
        return Ok(data);
    }
    if out.len() as u64 > MAX_INDEX_BYTES {
        return Err(too_large());
    }
    Ok(out)
}

struct Capped<'a> {
    out: &'a mut Vec<u8>,
    left: u64,
}

impl Write for Capped<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() as u64 > self.left {
            return Err(std::io::ErrorKind::FileTooLarge.into());
        }
        self.left -= buf.len() as u64;
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Parses an apt `Packages` index, keeping only the stanzas whose
/// `Package` satisfies `wanted` (the installed names).
///
/// # Errors
/// A stanza without `Package`, `Version` or `Architecture`, or not deb822.
pub fn parse_packages(
    url: &str,
    data: impl BufRead,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Vec<Available>> {
    let mut out = Vec::new();
    for (n, paragraph) in deb822_fast::Deb822::iter_paragraphs_from_reader(data).enumerate() {
        let p = paragraph.map_err(|e| Error::index(url, format!("stanza {}: {e}", n + 1)))?;
        let field = |name: &str| {
            p.get(name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Error::index(url, format!("stanza {} has no {name}", n + 1)))
        };
        let name = field("Package")?;
        if !wanted(name) {
            continue;
        }
        out.push(Available {
            name: name.to_owned(),
            version: field("Version")?.to_owned(),
            architecture: field("Architecture")?.to_owned(),
        });
    }
    Ok(out)
}

/// The parts of an `APKINDEX.tar.gz`: the signature (if the file is signed),
/// the signed bytes (every gzip stream after the signature's), and the index text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApkIndexFile {
    /// `(key name, is SHA-256, signature bytes)` from `.SIGN.RSA[256].<key name>`.
    pub signature: Option<(String, bool, Vec<u8>)>,
    /// The compressed bytes the signature covers.
    pub signed: Vec<u8>,
    /// The `APKINDEX` member.
    pub index: String,
}

/// Splits an `APKINDEX.tar.gz`: a signature stream (a gzip-compressed tar
/// fragment holding `.SIGN.RSA…`) followed by the index stream.
///
/// # Errors
/// Not gzip/tar, no `APKINDEX` member, or too large.
pub fn read_apkindex(url: &str, data: &[u8]) -> Result<ApkIndexFile> {
    let corrupt = |e: std::io::Error| Error::index(url, format!("corrupt APKINDEX.tar.gz: {e}"));
    // The first gzip stream: how many compressed bytes does it take?
    let mut first = flate2::bufread::GzDecoder::new(data);
    let mut head = Vec::new();
    (&mut first)
        .take(MAX_INDEX_BYTES + 1)
        .read_to_end(&mut head)
        .map_err(corrupt)?;
    let rest = first.into_inner();
    let signed_from = data.len() - rest.len();
    let mut signature = None;
    let mut index = None;
    let mut all = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .take(MAX_INDEX_BYTES + 1)
        .read_to_end(&mut all)
        .map_err(corrupt)?;
    if all.len() as u64 > MAX_INDEX_BYTES {
        return Err(Error::index(url, "APKINDEX too large"));
    }
    let mut archive = tar::Archive::new(&all[..]);
    for entry in archive.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let path = entry
            .path()
            .map_err(corrupt)?
            .to_string_lossy()
            .into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(corrupt)?;
        if let Some(key) = path.strip_prefix(".SIGN.RSA256.") {
            signature = Some((key.to_owned(), true, bytes));
        } else if let Some(key) = path.strip_prefix(".SIGN.RSA.") {
            signature = Some((key.to_owned(), false, bytes));
        } else if path == "APKINDEX" {
            index = Some(
                String::from_utf8(bytes).map_err(|_| Error::index(url, "APKINDEX is not UTF-8"))?,
            );
        }
    }
    let Some(index) = index else {
        return Err(Error::index(url, "no APKINDEX member"));
    };
    let signed = if signature.is_some() {
        data[signed_from..].to_vec()
    } else {
        data.to_vec()
    };
    Ok(ApkIndexFile {
        signature,
        signed,
        index,
    })
}

/// Parses the `APKINDEX` text: blank-line-separated records of `K:value`
/// lines (`P` name, `V` version, `A` architecture).
///
/// # Errors
/// A record without `P` or `V`, or a line that is not `K:value`.
pub fn parse_apkindex(
    url: &str,
    text: &str,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Vec<Available>> {
    let mut out = Vec::new();
    let mut record: Vec<(char, &str)> = Vec::new();
    let mut start = 1;
    let lines = text.lines().chain(std::iter::once(""));
    for (i, line) in lines.enumerate() {
        if !line.is_empty() {
            let mut chars = line.chars();
            let (Some(key), Some(':')) = (chars.next(), chars.next()) else {
                return Err(Error::index(
                    url,
                    format!("APKINDEX line {}: expected `K:value`", i + 1),
                ));
            };
            if record.is_empty() {
                start = i + 1;
            }
            record.push((key, &line[key.len_utf8() + 1..]));
            continue;
        }
        if record.is_empty() {
            continue;
        }
        let get = |k: char| record.iter().find(|(key, _)| *key == k).map(|(_, v)| *v);
        let (Some(name), Some(version)) = (get('P'), get('V')) else {
            return Err(Error::index(
                url,
                format!("APKINDEX record at line {start} has no P: or V:"),
            ));
        };
        if wanted(name) {
            out.push(Available {
                name: name.to_owned(),
                version: version.to_owned(),
                architecture: get('A').unwrap_or_default().to_owned(),
            });
        }
        record.clear();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACKAGES: &str = "Package: libssl3\nSource: openssl (3.0.15-1~deb12u1)\nVersion: 3.0.15-1~deb12u1\n\
        Architecture: amd64\nDescription: x\n multi\n .\n line\n\n\
        Package: other\nVersion: 1\nArchitecture: all\n\n\
        Package: openssl\nSource: openssl\nVersion: 3.0.15-1~deb12u1\nArchitecture: amd64\n";

    #[test]
    fn packages_keeps_wanted_stanzas() {
        let all = parse_packages("u", PACKAGES.as_bytes(), &|_| true).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].version, "3.0.15-1~deb12u1");
        let some = parse_packages("u", PACKAGES.as_bytes(), &|n| n == "other").unwrap();
        assert_eq!(some.len(), 1);
        assert_eq!(some[0].architecture, "all");
        let e = parse_packages(
            "http://r.example.test/P",
            "Package: x\nArchitecture: all\n".as_bytes(),
            &|_| true,
        )
        .unwrap_err();
        assert!(e.to_string().contains("stanza 1 has no Version"), "{e}");
    }

    #[test]
    fn compressed_indexes_round_trip_and_corruption_is_an_error() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(PACKAGES.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(
            decompress("u", "Packages.gz", gz.clone()).unwrap(),
            PACKAGES.as_bytes()
        );
        let mut xz = Vec::new();
        lzma_rs::xz_compress(&mut PACKAGES.as_bytes(), &mut xz).unwrap();
        assert_eq!(
            decompress("u", "Packages.xz", xz.clone()).unwrap(),
            PACKAGES.as_bytes()
        );
        assert_eq!(decompress("u", "Packages", b"x".to_vec()).unwrap(), b"x");
        // (Integrity is the Release checksum's job; these are just not valid streams.)
        assert!(decompress("u", "Packages.xz", xz[..xz.len() / 2].to_vec()).is_err());
        assert!(decompress("u", "Packages.xz", b"\xfd7zXZ\0garbage".to_vec()).is_err());
        assert!(decompress("u", "Packages.gz", gz[..gz.len() / 2].to_vec()).is_err());
    }

    const APKINDEX: &str = "C:Q1abc=\nP:musl\nV:1.2.4-r3\nA:x86_64\nS:1\no:musl\n\n\
        C:Q1def=\nP:libcrypto3\nV:3.1.4-r5\nA:x86_64\no:openssl\n\n";

    fn tar_gz(members: &[(&str, &[u8])], end: bool) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, data) in members {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            builder.append_data(&mut h, name, *data).unwrap();
        }
        let mut tar = builder.into_inner().unwrap();
        if !end {
            // apk signature streams are tar fragments without the end blocks.
            tar.truncate(tar.len() - 1024);
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn apkindex_records_and_signature_split() {
        let index = tar_gz(
            &[("DESCRIPTION", b"v3.19"), ("APKINDEX", APKINDEX.as_bytes())],
            true,
        );
        let sign = tar_gz(
            &[(".SIGN.RSA256.alpine@example.test-1.rsa.pub", b"sig")],
            false,
        );
        let file = [sign.clone(), index.clone()].concat();
        let parsed = read_apkindex("u", &file).unwrap();
        assert_eq!(parsed.signed, index);
        assert_eq!(
            parsed.signature,
            Some((
                "alpine@example.test-1.rsa.pub".into(),
                true,
                b"sig".to_vec()
            ))
        );
        let packages = parse_apkindex("u", &parsed.index, &|_| true).unwrap();
        assert_eq!(packages.len(), 2);
        assert_eq!(packages[1].name, "libcrypto3");
        let unsigned = read_apkindex("u", &index).unwrap();
        assert_eq!(unsigned.signature, None);
        assert!(read_apkindex("u", b"not gzip").is_err());
        let e = parse_apkindex("u", "P:x\n\nV:1\n", &|_| true).unwrap_err();
        assert!(
            e.to_string().contains("line 1 has no P: or V:") || e.to_string().contains("line 3"),
            "{e}"
        );
        assert!(parse_apkindex("u", "garbage\n", &|_| true).is_err());
    }
}
