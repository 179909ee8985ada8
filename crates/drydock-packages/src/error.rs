//! The crate's error types.

use crate::Ecosystem;

/// `Result<T, drydock_packages::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while taking an inventory or writing an SBOM.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the image failed (see [`drydock_image::Error`]).
    #[error(transparent)]
    Image(#[from] drydock_image::Error),
    /// A package database is malformed.
    #[error("{file}:{line}: {message}")]
    Parse {
        /// The database file (`/var/lib/dpkg/status`, in the layer named by `context`).
        file: String,
        /// 1-based line of the problem.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A database of the final image, or of one layer, is unreadable.
    #[error("layer {layer}: {error}")]
    Layer {
        /// The layer (0 = base) holding the database version that failed.
        layer: usize,
        /// What failed.
        error: Box<Error>,
    },
    /// An rpm database could not be read.
    #[error("{file}: cannot read the rpm database: {message}")]
    Rpm {
        /// The database file.
        file: String,
        /// The reader's error.
        message: String,
    },
    /// A database file is larger than allowed.
    #[error("{file}: {size} bytes exceeds the limit of {limit} bytes for a package database")]
    TooLarge {
        /// The file (and layer).
        file: String,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A temporary file for the rpm reader could not be written.
    #[error("temporary copy of {file}: {source}")]
    TempFile {
        /// The database file.
        file: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The CycloneDX document could not be built or serialised.
    #[error("CycloneDX: {0}")]
    Sbom(String),
}

/// A version string that is not valid for its ecosystem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {ecosystem} version {version:?}: {message}")]
pub struct VersionError {
    /// Whose rules were applied.
    pub ecosystem: Ecosystem,
    /// The version as given.
    pub version: String,
    /// What is wrong.
    pub message: String,
}
