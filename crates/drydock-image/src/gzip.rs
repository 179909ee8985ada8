//! gzip layers (RFC 1952, one or more members) inflated without their
//! CRC-32s. Every layer's content is already checked by a sha256 — the
//! blob's digest, or the `diff_id` when the blob has none — so the CRC
//! would find nothing new, and it costs about 5% of the inflating thread,
//! the slowest stage of a registry scan. The trailer's length is still
//! checked, and headers are read strictly.

use std::io::{self, BufRead, Read};

use flate2::bufread::DeflateDecoder;

/// gzip members read back to back; anything after a member must be another.
pub(crate) struct GzipMembers<R: BufRead> {
    inflater: DeflateDecoder<R>,
    in_member: bool,
    /// Compressed offset of the member being read, for errors.
    member_start: u64,
}

impl<R: BufRead> GzipMembers<R> {
    pub(crate) fn new(reader: R) -> Self {
        Self {
            inflater: DeflateDecoder::new(reader),
            in_member: false,
            member_start: 0,
        }
    }

    pub(crate) fn into_inner(self) -> R {
        self.inflater.into_inner()
    }

    /// Offset just past the compressed bytes read so far.
    fn offset(&self) -> u64 {
        self.member_start + self.inflater.total_in()
    }
}

fn invalid(offset: u64, message: impl std::fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("gzip at byte {offset}: {message}"),
    )
}

fn read_exact(r: &mut impl Read, buf: &mut [u8], offset: u64, what: &str) -> io::Result<()> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => invalid(offset, format!("stream ends inside the {what}")),
        _ => e,
    })
}

/// Reads one member header; returns its length in bytes.
fn skip_header(r: &mut impl BufRead, offset: u64) -> io::Result<u64> {
    let mut fixed = [0u8; 10];
    read_exact(r, &mut fixed[..2], offset, "member header")?;
    if fixed[..2] != [0x1f, 0x8b] {
        return Err(invalid(
            offset,
            "data after a member is not another gzip member (no 1f 8b magic)",
        ));
    }
    read_exact(r, &mut fixed[2..], offset, "member header")?;
    if fixed[2] != 8 {
        return Err(invalid(
            offset,
            format!("compression method {}, not deflate (8)", fixed[2]),
        ));
    }
    let flags = fixed[3];
    if flags & 0xe0 != 0 {
        return Err(invalid(
            offset,
            format!("reserved header flags set ({flags:#04x})"),
        ));
    }
    let mut len = fixed.len() as u64;
    if flags & 0x04 != 0 {
        let mut xlen = [0u8; 2];
        read_exact(r, &mut xlen, offset, "header's extra field")?;
        len += 2 + skip(
            r,
            u64::from(u16::from_le_bytes(xlen)),
            offset,
            "header's extra field",
        )?;
    }
    for (flag, what) in [(0x08, "header's file name"), (0x10, "header's comment")] {
        if flags & flag != 0 {
            len += skip_through_nul(r, offset, what)?;
        }
    }
    if flags & 0x02 != 0 {
        len += skip(r, 2, offset, "header's CRC-16")?;
    }
    Ok(len)
}

fn skip(r: &mut impl BufRead, n: u64, offset: u64, what: &str) -> io::Result<u64> {
    if io::copy(&mut r.take(n), &mut io::sink())? < n {
        return Err(invalid(offset, format!("stream ends inside the {what}")));
    }
    Ok(n)
}

fn skip_through_nul(r: &mut impl BufRead, offset: u64, what: &str) -> io::Result<u64> {
    let mut len = 0;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Err(invalid(offset, format!("stream ends inside the {what}")));
        }
        if let Some(i) = memchr::memchr(0, buf) {
            r.consume(i + 1);
            return Ok(len + i as u64 + 1);
        }
        let n = buf.len();
        r.consume(n);
        len += n as u64;
    }
}

impl<R: BufRead> Read for GzipMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if !self.in_member {
                let start = self.offset();
                let r = self.inflater.get_mut();
                if r.fill_buf()?.is_empty() {
                    return Ok(0); // the end, between members
                }
                let header = skip_header(r, start)?;
                self.inflater.reset_data();
                self.member_start = start + header;
                self.in_member = true;
            }
            // flate2 reports a deflate stream cut short as an error, so 0
            // bytes mean the member's stream ended.
            let n = self.inflater.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            let end = self.offset();
            let produced = self.inflater.total_out();
            let mut trailer = [0u8; 8];
            read_exact(self.inflater.get_mut(), &mut trailer, end, "member trailer")?;
            let declared = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
            // ISIZE is the length modulo 2^32.
            if u64::from(declared) != produced & 0xffff_ffff {
                return Err(invalid(
                    end,
                    format!(
                        "member inflated to {produced} bytes but its trailer says {declared} \
                         (mod 2^32)"
                    ),
                ));
            }
            self.member_start = end + 8;
            self.inflater.reset_data();
            self.in_member = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::{Compression, GzBuilder, write::GzEncoder};

    use super::*;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn inflate(bytes: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        GzipMembers::new(bytes).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn members_are_read_back_to_back() {
        let mut two = gz(b"hello, ");
        two.extend(gz(&vec![b'w'; 300_000]));
        let out = inflate(&two).unwrap();
        assert_eq!(&out[..7], b"hello, ");
        assert_eq!(out.len(), 7 + 300_000);
    }

    #[test]
    fn optional_header_fields_are_skipped() {
        let mut e = GzBuilder::new()
            .filename("layer.tar")
            .comment("made by a test")
            .extra(vec![1, 2, 3, 4])
            .write(Vec::new(), Compression::default());
        e.write_all(b"content").unwrap();
        let mut bytes = e.finish().unwrap();
        assert_eq!(inflate(&bytes).unwrap(), b"content");
        // The same with a header CRC-16 (FHCRC): set the flag, insert 2 bytes.
        bytes[3] |= 0x02;
        let end = 10 + 2 + 4 + b"layer.tar\0".len() + b"made by a test\0".len();
        bytes.splice(end..end, [0xab, 0xcd]);
        assert_eq!(inflate(&bytes).unwrap(), b"content");
    }

    #[test]
    fn a_corrupted_crc_is_not_checked_but_the_length_is() {
        let mut bytes = gz(b"content");
        let n = bytes.len();
        bytes[n - 8] ^= 0xff; // CRC-32
        assert_eq!(inflate(&bytes).unwrap(), b"content");
        bytes[n - 4] ^= 0x01; // ISIZE
        let err = inflate(&bytes).unwrap_err().to_string();
        assert!(
            err.contains("inflated to 7 bytes but its trailer says 6"),
            "{err}"
        );
    }

    #[test]
    fn bad_framing_is_an_error_with_its_offset() {
        let good = gz(b"content");
        let mut trailing = good.clone();
        trailing.extend(b"garbage");
        let err = inflate(&trailing).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "gzip at byte {}: data after a member is not another gzip member (no 1f 8b magic)",
                good.len()
            )
        );
        for cut in [5, 12, good.len() - 3] {
            let err = inflate(&good[..cut]).unwrap_err();
            assert!(
                err.kind() == io::ErrorKind::UnexpectedEof
                    || err.to_string().contains("stream ends inside"),
                "cut at {cut}: {err}"
            );
        }
        let mut method = good.clone();
        method[2] = 7;
        let err = inflate(&method).unwrap_err().to_string();
        assert!(err.contains("compression method 7"), "{err}");
        let mut reserved = good;
        reserved[3] = 0x20;
        let err = inflate(&reserved).unwrap_err().to_string();
        assert!(err.contains("reserved header flags"), "{err}");
    }
}
