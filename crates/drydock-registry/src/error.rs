//! The crate's error type. Every variant names the image reference (or
//! registry) it concerns; none ever carries a credential or token.

use std::time::Duration;

/// `Result<T, drydock_registry::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to a registry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The reference string does not parse.
    #[error("invalid image reference {input:?}: {message}")]
    Reference {
        /// The text as given.
        input: String,
        /// What is wrong.
        message: String,
    },
    /// The registry answered with an unexpected HTTP status (after retries
    /// for 429 and 5xx).
    #[error("{reference}: {operation}: HTTP {status}{}", detail_suffix(.detail))]
    Status {
        /// The image reference.
        reference: String,
        /// What was asked (`GET manifest latest`, `GET blob sha256:…`).
        operation: String,
        /// The HTTP status code.
        status: u16,
        /// The registry's error codes/messages, if it sent any.
        detail: String,
    },
    /// Authentication was required and failed (no or wrong credentials, or
    /// a token endpoint that refused them).
    #[error("{reference}: authentication failed: {message}")]
    Auth {
        /// The image reference.
        reference: String,
        /// What went wrong (never the credential itself).
        message: String,
    },
    /// Reading the Docker client configuration or running a credential helper failed.
    #[error("credentials for {registry}: {message}")]
    Credentials {
        /// The registry host.
        registry: String,
        /// What went wrong (never the credential itself).
        message: String,
    },
    /// The connection failed or a request timed out (after retries).
    #[error("{reference}: {operation}: {message}")]
    Transport {
        /// The image reference.
        reference: String,
        /// What was asked.
        operation: String,
        /// The transport error, without URL query parameters.
        message: String,
        /// True when the failure was a timeout.
        timeout: bool,
    },
    /// Content did not hash to the digest it was requested by.
    #[error(
        "{reference}: {what}: digest mismatch: expected {expected}, content hashes to {actual}"
    )]
    DigestMismatch {
        /// The image reference.
        reference: String,
        /// Which content (`manifest`, `config`, `blob sha256:…`).
        what: String,
        /// The digest asked for.
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },
    /// Content length differs from its descriptor.
    #[error("{reference}: {what}: size mismatch: descriptor says {expected} bytes, got {actual}")]
    SizeMismatch {
        /// The image reference.
        reference: String,
        /// Which content.
        what: String,
        /// Declared size.
        expected: u64,
        /// Observed size (so far, if larger).
        actual: u64,
    },
    /// A JSON body is larger than allowed.
    #[error("{reference}: {what}: larger than the limit of {limit} bytes")]
    TooLarge {
        /// The image reference.
        reference: String,
        /// Which content.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// A manifest, index, config or token reply is not valid JSON of the expected shape.
    #[error("{reference}: {what}: invalid JSON at line {line}, column {column}: {message}")]
    Json {
        /// The image reference.
        reference: String,
        /// Which content.
        what: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// Valid content this client does not handle (schema 1, unknown media type,
    /// indexes nested too deep).
    #[error("{reference}: unsupported: {message}")]
    Unsupported {
        /// The image reference.
        reference: String,
        /// What is unsupported.
        message: String,
    },
    /// No index entry matches the requested platform.
    #[error(
        "{reference}: no image for platform {wanted} (available: {available:?}; choose with --platform)"
    )]
    PlatformNotFound {
        /// The image reference.
        reference: String,
        /// The requested platform.
        wanted: String,
        /// The platforms the index offers.
        available: Vec<String>,
    },
    /// The registry kept answering 429, or asked to wait longer than allowed.
    #[error("{reference}: {operation}: rate limited (HTTP 429){}", retry_suffix(.retry_after))]
    RateLimited {
        /// The image reference.
        reference: String,
        /// What was asked.
        operation: String,
        /// The last `Retry-After` the registry sent.
        retry_after: Option<Duration>,
    },
}

fn retry_suffix(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(d) => format!("; the registry asks to retry after {} s", d.as_secs()),
        None => String::new(),
    }
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

impl Error {
    /// The HTTP status, for [`Error::Status`] (and 429 for [`Error::RateLimited`]).
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// True for a 404 (unknown repository, tag, manifest or blob).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    pub(crate) fn json(reference: &str, what: &str, e: &serde_json::Error) -> Self {
        Self::Json {
            reference: reference.to_owned(),
            what: what.to_owned(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        }
    }
}
