//! Content digests and a verifying `Read` wrapper.

use std::fmt;
use std::io::{self, Read};
use std::str::FromStr;

use sha2::{Digest as _, Sha256, Sha512};

use crate::error::{Error, Result};

/// Digest algorithms this crate can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// `sha256` (64 hex digits).
    Sha256,
    /// `sha512` (128 hex digits).
    Sha512,
}

impl Algorithm {
    /// `sha256` / `sha512`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }
}

/// A validated content digest `algorithm:hex` (lower-case hex of the right
/// length, so it is safe to use as a path component).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

impl Digest {
    /// Parses `sha256:<64 hex>` or `sha512:<128 hex>`.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = |m: &str| Error::invalid(format!("digest {s:?}"), m.to_owned());
        let (alg, hex) = s.split_once(':').ok_or_else(|| bad("no ':'"))?;
        let algorithm = match alg {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            _ => return Err(bad("unsupported algorithm (sha256 and sha512 are)")),
        };
        if hex.len() != algorithm.hex_len()
            || !hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(bad(&format!(
                "expected {} lower-case hex digits",
                algorithm.hex_len()
            )));
        }
        Ok(Self {
            algorithm,
            hex: hex.to_owned(),
        })
    }

    /// `sha256:` + `hex`, if `hex` is 64 lower-case hex digits.
    pub fn sha256_hex(hex: &str) -> Option<Self> {
        Self::parse(&format!("sha256:{hex}")).ok()
    }

    /// The sha256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Self {
        Self {
            algorithm: Algorithm::Sha256,
            hex: hex::encode(Sha256::digest(bytes)),
        }
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The hex part.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// Relative path of the blob in an OCI layout: `blobs/<alg>/<hex>`.
    pub fn blob_path(&self) -> String {
        format!("blobs/{}/{}", self.algorithm.as_str(), self.hex)
    }

    /// Checks `bytes` against this digest.
    pub fn verify(&self, bytes: &[u8], context: &str) -> Result<()> {
        let mut h = Hasher::new(self.algorithm);
        h.update(bytes);
        let actual = h.finish();
        if actual != *self {
            return Err(Error::DigestMismatch {
                context: context.to_owned(),
                expected: self.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(())
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.as_str(), self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl FromStr for Digest {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Incremental hasher for either algorithm.
#[derive(Clone)]
pub(crate) enum Hasher {
    Sha256(Sha256),
    Sha512(Box<Sha512>),
}

impl Hasher {
    pub(crate) fn new(alg: Algorithm) -> Self {
        match alg {
            Algorithm::Sha256 => Self::Sha256(Sha256::new()),
            Algorithm::Sha512 => Self::Sha512(Box::new(Sha512::new())),
        }
    }

    pub(crate) fn update(&mut self, b: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(b),
            Self::Sha512(h) => h.update(b),
        }
    }

    pub(crate) fn finish(self) -> Digest {
        match self {
            Self::Sha256(h) => Digest {
                algorithm: Algorithm::Sha256,
                hex: hex::encode(h.finalize()),
            },
            Self::Sha512(h) => Digest {
                algorithm: Algorithm::Sha512,
                hex: hex::encode(h.finalize()),
            },
        }
    }
}

/// A `Read` wrapper that hashes everything read through it and, at EOF,
/// returns an error ([`Error::DigestMismatch`] / [`Error::SizeMismatch`]
/// inside an `io::Error`; [`Error::from_io`] unwraps it) if the content does
/// not match the expected digest or size. Reading past an expected size
/// fails immediately, so an over-long stream is never read to its end.
///
/// With no expected digest it still hashes (see [`VerifyingReader::digest`]).
pub struct VerifyingReader<R> {
    inner: R,
    hasher: Option<Hasher>,
    expected: Option<Digest>,
    expected_size: Option<u64>,
    count: u64,
    context: String,
    outcome: Option<std::result::Result<Digest, String>>,
}

impl<R: Read> VerifyingReader<R> {
    /// Verifies `inner` against `expected` (hashing with sha256 if `None`)
    /// and `expected_size`; `context` names it in errors.
    pub fn new(
        inner: R,
        expected: Option<Digest>,
        expected_size: Option<u64>,
        context: impl Into<String>,
    ) -> Self {
        let alg = expected
            .as_ref()
            .map_or(Algorithm::Sha256, Digest::algorithm);
        Self {
            inner,
            hasher: Some(Hasher::new(alg)),
            expected,
            expected_size,
            count: 0,
            context: context.into(),
            outcome: None,
        }
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.count
    }

    /// The digest of the content, once EOF was reached.
    pub fn digest(&self) -> Option<&Digest> {
        match &self.outcome {
            Some(Ok(d)) => Some(d),
            _ => None,
        }
    }

    /// Whether EOF was reached and the content matched (true also when no
    /// digest was expected).
    pub fn verified(&self) -> bool {
        matches!(self.outcome, Some(Ok(_)))
    }

    /// The wrapped reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn size_error(&self, actual: u64) -> io::Error {
        Error::SizeMismatch {
            context: self.context.clone(),
            expected: self.expected_size.unwrap_or(0),
            actual,
        }
        .into_io()
    }

    fn finish(&mut self) -> io::Result<()> {
        if let Some(size) = self.expected_size
            && size != self.count
        {
            self.outcome = Some(Err(format!("size {}", self.count)));
            return Err(self.size_error(self.count));
        }
        let Some(h) = self.hasher.take() else {
            return Ok(());
        };
        let actual = h.finish();
        match &self.expected {
            Some(exp) if *exp != actual => {
                let e = Error::DigestMismatch {
                    context: self.context.clone(),
                    expected: exp.to_string(),
                    actual: actual.to_string(),
                };
                self.outcome = Some(Err(e.to_string()));
                Err(e.into_io())
            }
            _ => {
                self.outcome = Some(Ok(actual));
                Ok(())
            }
        }
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &self.outcome {
            Some(Ok(_)) => return Ok(0),
            Some(Err(msg)) => {
                return Err(Error::invalid(self.context.clone(), msg.clone()).into_io());
            }
            None => {}
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            self.finish()?;
            return Ok(0);
        }
        self.count += n as u64;
        if let Some(size) = self.expected_size
            && self.count > size
        {
            self.outcome = Some(Err(format!("longer than its declared {size} bytes")));
            return Err(self.size_error(self.count));
        }
        if let Some(h) = &mut self.hasher {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn parse_validates() {
        assert_eq!(Digest::parse(EMPTY).unwrap().to_string(), EMPTY);
        assert_eq!(Digest::sha256_of(b""), Digest::parse(EMPTY).unwrap());
        for bad in [
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "sha256:../../etc/passwd",
            "sha256:abc",
            "md5:d41d8cd98f00b204e9800998ecf8427e",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ] {
            assert!(Digest::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Digest::parse(EMPTY).unwrap().blob_path(),
            format!("blobs/sha256/{}", &EMPTY[7..])
        );
    }

    fn read_all(r: &mut impl Read) -> io::Result<Vec<u8>> {
        let mut v = Vec::new();
        r.read_to_end(&mut v).map(|_| v)
    }

    #[test]
    fn verifying_reader_checks_at_eof() {
        let d = Digest::sha256_of(b"hello");
        let mut ok = VerifyingReader::new(&b"hello"[..], Some(d.clone()), Some(5), "blob");
        assert_eq!(read_all(&mut ok).unwrap(), b"hello");
        assert!(ok.verified());

        let mut bad = VerifyingReader::new(&b"hellO"[..], Some(d.clone()), Some(5), "blob x");
        let e = Error::from_io("outer", read_all(&mut bad).unwrap_err());
        assert!(
            matches!(&e, Error::DigestMismatch { context, .. } if context == "blob x"),
            "{e}"
        );
        // Keeps failing afterwards.
        assert!(bad.read(&mut [0u8; 4]).is_err());

        let mut long = VerifyingReader::new(&b"hello world"[..], Some(d.clone()), Some(5), "b");
        let e = Error::from_io("outer", read_all(&mut long).unwrap_err());
        assert!(matches!(e, Error::SizeMismatch { expected: 5, .. }), "{e}");

        let mut short = VerifyingReader::new(&b"hell"[..], Some(d), Some(5), "b");
        let e = Error::from_io("outer", read_all(&mut short).unwrap_err());
        assert!(
            matches!(
                e,
                Error::SizeMismatch {
                    expected: 5,
                    actual: 4,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn sha512_is_supported() {
        let mut h = Hasher::new(Algorithm::Sha512);
        h.update(b"abc");
        let d = h.finish();
        assert!(d.to_string().starts_with("sha512:ddaf35a1"));
        assert_eq!(Digest::parse(&d.to_string()).unwrap(), d);
        d.verify(b"abc", "x").unwrap();
        assert!(d.verify(b"abd", "x").is_err());
    }
}
