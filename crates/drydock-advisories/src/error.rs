//! The crate's error type.

/// `Result<T, drydock_advisories::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while loading OSV records. Every variant
/// names the file (for a zip: `ARCHIVE:MEMBER`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or directory could not be read.
    #[error("{file}: {source}")]
    Io {
        /// The path.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A record is not valid OSV JSON.
    #[error("{file}: line {line} column {column}: {message}")]
    Json {
        /// The record's file.
        file: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What is wrong (serde_json's message).
        message: String,
    },
    /// A zip archive is malformed.
    #[error("{file}: not a readable zip archive: {message}")]
    Zip {
        /// The archive (and member).
        file: String,
        /// The zip reader's message.
        message: String,
    },
    /// A record is larger than allowed.
    #[error("{file}: {size} bytes exceeds the limit of {limit} bytes for one OSV record")]
    TooLarge {
        /// The record's file.
        file: String,
        /// Its size (at least; reading stops past the limit).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// More records than allowed.
    #[error("{file}: more than {limit} OSV records")]
    TooMany {
        /// The path given.
        file: String,
        /// The limit.
        limit: usize,
    },
    /// The path is neither a directory nor a zip archive.
    #[error("{file}: expected a directory of OSV JSON records or a zip archive of them")]
    NotOsv {
        /// The path given.
        file: String,
    },
}
