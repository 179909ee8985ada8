//! Chunked scanning of a `Read` through a bounded buffer.
//!
//! The buffer holds `chunk_size + 2 × overlap` bytes. Each round scans the
//! whole buffer but *commits* only matches starting in `[from, to)`:
//! `to = len − overlap` (the tail is re-scanned next round with more bytes
//! after it) and `from` is where the previous round stopped committing. The
//! next round keeps `overlap` bytes of look-behind context before `to`
//! (keywords like `aws_secret_access_key =` that precede the secret), so
//! every match shorter than `overlap` is found exactly once, with the same
//! context as in a whole-buffer scan. A match that runs into the end of the
//! buffer (a long PEM block) moves `to` back to its start so it is re-scanned
//! whole next round (bounded by half the buffer).

use std::io::{self, Read};

use serde::Serialize;

use crate::validate::Mode;
use crate::{BINARY_SNIFF_LEN, BinaryKind, LineTracker, Match, Raw, Scanner, detect_binary};

/// Knobs for [`Scanner::scan_reader_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderOptions {
    /// Bytes scanned per round (default 1 MiB).
    pub chunk_size: usize,
    /// Overlap between rounds; secrets up to this long are never split (default 4 KiB).
    pub overlap: usize,
    /// Stop reading when the first bytes look binary (default `true`).
    pub skip_binary: bool,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            chunk_size: 1 << 20,
            overlap: 4 << 10,
            skip_binary: true,
        }
    }
}

/// Outcome of [`Scanner::scan_reader_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReaderReport {
    pub matches: Vec<Match>,
    /// Bytes read from the reader (all of it unless skipped as binary).
    pub bytes_read: u64,
    /// Set when the first bytes look binary.
    pub binary: Option<BinaryKind>,
    /// `binary.is_some() && skip_binary`: the rest was not read or scanned.
    pub skipped: bool,
}

fn fill<R: Read>(r: &mut R, buf: &mut [u8], len: &mut usize) -> io::Result<bool> {
    while *len < buf.len() {
        match r.read(&mut buf[*len..]) {
            Ok(0) => return Ok(true),
            Ok(n) => *len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

impl Scanner {
    /// Stream `reader` through a bounded buffer (see [`ReaderOptions`]).
    /// Ranges in the returned matches are stream offsets.
    pub fn scan_reader_with<R: Read>(
        &self,
        mut reader: R,
        opts: &ReaderOptions,
    ) -> io::Result<ReaderReport> {
        let overlap = opts.overlap.max(64);
        let chunk = opts.chunk_size.max(4 * overlap);
        let cap = chunk + 2 * overlap;
        // Only the sniffed head is read before the binary check, so a binary
        // file costs one small buffer, not a chunk read and zeroed for nothing;
        // after it the buffer grows towards `cap` only while the stream lasts.
        let mut buf = vec![0u8; cap.min(BINARY_SNIFF_LEN)];
        let mut len = 0usize;
        let mut eof = fill(&mut reader, &mut buf, &mut len)?;
        let mut report = ReaderReport {
            binary: detect_binary(&buf[..len]),
            bytes_read: len as u64,
            ..ReaderReport::default()
        };
        if report.binary.is_some() && opts.skip_binary {
            report.skipped = true;
            return Ok(report);
        }
        let mut base = 0usize; // stream offset of buf[0]
        let mut from = 0usize;
        let mut lines = LineTracker::default(); // stream coordinates
        let mut raws: Vec<Raw> = Vec::new();
        loop {
            while !eof && buf.len() < cap {
                buf.resize((buf.len() * 4).min(cap), 0);
                eof = fill(&mut reader, &mut buf, &mut len)?;
            }
            report.bytes_read = (base + len) as u64;
            let data = &buf[..len];
            raws.clear();
            self.raw_matches(data, Mode::Scan, &mut raws);
            self.resolve(&mut raws);
            let mut to = if eof { len } else { len - overlap };
            if !eof {
                let floor = len - cap / 2;
                for r in &raws {
                    if r.start >= from && r.start < to && r.end + 2 >= len && r.start >= floor {
                        to = to.min(r.start);
                    }
                }
            }
            for r in raws.iter().filter(|r| r.start >= from && r.start < to) {
                let secret = &data[r.start..r.end];
                if self.is_allowed(secret) {
                    continue;
                }
                let at = base + r.start;
                lines.advance(&data[lines.pos - base..r.start]);
                debug_assert_eq!(lines.pos, at);
                report
                    .matches
                    .push(self.to_match(r, secret, base, lines.line, lines.column + 1));
            }
            if eof {
                return Ok(report);
            }
            let keep = to - overlap.min(to);
            if lines.pos < base + keep {
                lines.advance(&data[lines.pos - base..keep]);
            }
            buf.copy_within(keep..len, 0);
            len -= keep;
            base += keep;
            from = to - keep;
            eof = fill(&mut reader, &mut buf, &mut len)?;
        }
    }
}
