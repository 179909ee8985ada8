//! The crate's one error type.

use std::io;

/// `Result<T, drydock_image::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while reading an image. Every variant names
/// what it was reading (`context`: an archive member, a blob, `layer 3
/// (blobs/sha256/…)`) and, where it applies, the byte offset.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An I/O error while reading `context`.
    #[error("{context}: {source}")]
    Io {
        /// What was being read.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A stream ended before its declared end.
    #[error("{context}: truncated: {detail}")]
    Truncated {
        /// What was being read.
        context: String,
        /// What was missing.
        detail: String,
    },
    /// A JSON document (manifest, config, index) did not parse.
    #[error("{context}: invalid JSON at line {line}, column {column}: {source}")]
    Json {
        /// The member or blob.
        context: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },
    /// A member/blob is larger than the configured limit.
    #[error("{context}: {size} bytes exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The member or blob.
        context: String,
        /// Its (declared or observed) size; for streams, the limit + 1.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A layer decompressed to more bytes than allowed (decompression bomb).
    #[error(
        "{context}: decompressed data exceeds the limit of {limit} bytes \
         (decompression bomb? raise Limits::max_layer_bytes if genuine)"
    )]
    DecompressionLimit {
        /// The layer.
        context: String,
        /// The limit.
        limit: u64,
    },
    /// Content did not hash to its digest.
    #[error("{context}: digest mismatch: expected {expected}, content hashes to {actual}")]
    DigestMismatch {
        /// The layer or blob.
        context: String,
        /// The digest it should have.
        expected: String,
        /// The digest it has.
        actual: String,
    },
    /// Content length differs from its descriptor.
    #[error("{context}: size mismatch: descriptor says {expected} bytes, content has {actual}")]
    SizeMismatch {
        /// The blob.
        context: String,
        /// Declared size.
        expected: u64,
        /// Observed size (so far, if larger).
        actual: u64,
    },
    /// A member, blob, image, tag or platform that is not there.
    #[error("{context}: {what} not found")]
    NotFound {
        /// Where it was looked up.
        context: String,
        /// What was missing.
        what: String,
    },
    /// Structurally invalid input (bad digest string, counts that disagree…).
    #[error("{context}: {message}")]
    Invalid {
        /// The member, blob or layer.
        context: String,
        /// What is wrong.
        message: String,
    },
    /// The tar stream of an archive or layer is malformed.
    #[error("{context}: malformed tar at offset {offset}: {source}")]
    Tar {
        /// The archive or layer.
        context: String,
        /// Offset (in the tar stream) of the last good header, or of the failure.
        offset: u64,
        /// The tar crate's error.
        #[source]
        source: io::Error,
    },
    /// A reference syntax error.
    #[error("invalid image reference {reference:?}: {message}")]
    Reference {
        /// The reference as given.
        reference: String,
        /// What is wrong.
        message: String,
    },
    /// Something valid that this crate does not (yet) handle.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A registry request failed (see [`drydock_registry::Error`]).
    #[error(transparent)]
    Registry(#[from] drydock_registry::Error),
    /// An error raised by a [`LayerVisitor`](crate::LayerVisitor).
    #[error("{context}: {source}")]
    Visitor {
        /// Layer and entry path.
        context: String,
        /// The visitor's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    /// An [`Error::Invalid`].
    pub fn invalid(context: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            context: context.into(),
            message: message.into(),
        }
    }

    /// An [`Error::NotFound`].
    pub fn not_found(context: impl Into<String>, what: impl Into<String>) -> Self {
        Self::NotFound {
            context: context.into(),
            what: what.into(),
        }
    }

    /// Maps an I/O error met while reading `context`. An [`Error`] smuggled
    /// through `io::Error` (by [`VerifyingReader`](crate::VerifyingReader) or
    /// [`LayerStream`](crate::LayerStream)) is unwrapped unchanged; an
    /// unexpected EOF becomes [`Error::Truncated`].
    pub fn from_io(context: impl Into<String>, e: io::Error) -> Self {
        let e = match unwrap_io(e) {
            Ok(inner) => return inner,
            Err(e) => e,
        };
        if e.kind() == io::ErrorKind::UnexpectedEof {
            return Self::Truncated {
                context: context.into(),
                detail: e.to_string(),
            };
        }
        Self::Io {
            context: context.into(),
            source: e,
        }
    }

    /// Like [`Error::from_io`] but for errors of a tar parser at `offset`.
    pub(crate) fn from_tar(context: impl Into<String>, offset: u64, e: io::Error) -> Self {
        match unwrap_io(e) {
            Ok(inner) => inner,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Self::Truncated {
                context: context.into(),
                detail: format!("at offset {offset}: {e}"),
            },
            Err(e) => Self::Tar {
                context: context.into(),
                offset,
                source: e,
            },
        }
    }

    /// Wraps `self` in an `io::Error` (for `Read` impls); [`Error::from_io`]
    /// unwraps it again.
    pub(crate) fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }
}

/// `Ok(inner)` if `e` carries one of our errors (possibly nested inside
/// another `io::Error`, as tar and flate2 do).
fn unwrap_io(e: io::Error) -> std::result::Result<Error, io::Error> {
    let is_ours = e
        .get_ref()
        .is_some_and(|inner| inner.is::<Error>() || inner.is::<io::Error>());
    if !is_ours {
        return Err(e);
    }
    let kind = e.kind();
    let Some(inner) = e.into_inner() else {
        // unreachable: get_ref() was Some
        return Err(io::Error::from(kind));
    };
    match inner.downcast::<Error>() {
        Ok(ours) => Ok(*ours),
        Err(other) => match other.downcast::<io::Error>() {
            Ok(nested) => unwrap_io(*nested),
            Err(other) => Err(io::Error::new(kind, other)),
        },
    }
}

/// Reads all of `r` into memory, failing with [`Error::TooLarge`] beyond
/// `limit` bytes (reads at most `limit + 1`).
pub(crate) fn read_limited(r: impl io::Read, limit: u64, context: &str) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut take = r.take(limit.saturating_add(1));
    io::Read::read_to_end(&mut take, &mut buf).map_err(|e| Error::from_io(context, e))?;
    if buf.len() as u64 > limit {
        return Err(Error::TooLarge {
            context: context.to_owned(),
            size: buf.len() as u64,
            limit,
        });
    }
    // Drain to EOF so that a verifying reader below checks its digest
    // (`take` stops after exactly `limit + 1` bytes or at EOF).
    let mut inner = take.into_inner();
    let mut probe = [0u8; 1];
    match io::Read::read(&mut inner, &mut probe) {
        Ok(0) => Ok(buf),
        Ok(_) => Err(Error::TooLarge {
            context: context.to_owned(),
            size: limit.saturating_add(1),
            limit,
        }),
        Err(e) => Err(Error::from_io(context, e)),
    }
}

/// Parses JSON, reporting line/column and `context` on error.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8], context: &str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Json {
        context: context.to_owned(),
        line: e.line(),
        column: e.column(),
        source: e,
    })
}
