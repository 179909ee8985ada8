//! Errors: every one names what it is about (file and line, URL, image).

/// `Result<T, drydock_updates::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why pending updates could not be determined. Never "no updates".
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The image could not be read.
    #[error(transparent)]
    Image(#[from] drydock_image::Error),
    /// The installed packages could not be listed.
    #[error(transparent)]
    Packages(#[from] drydock_packages::Error),
    /// The image's package manager or distribution is not supported, or none was found.
    #[error("{0}")]
    Unsupported(String),
    /// A sources file is malformed.
    #[error("{location}: {message}")]
    Sources {
        /// `file:line`.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// A keyring is missing or unreadable.
    #[error("keyring {keyring}: {message}")]
    Keyring {
        /// Path in the image, or `Signed-By of FILE:LINE`.
        keyring: String,
        /// What is wrong.
        message: String,
    },
    /// An index could not be fetched.
    #[error("cannot fetch {url}: {message}")]
    Fetch {
        /// What was requested.
        url: String,
        /// Why it failed.
        message: String,
    },
    /// A signature is missing or does not verify.
    #[error("{url}: signature check failed: {message}")]
    Signature {
        /// The signed file.
        url: String,
        /// Why it failed.
        message: String,
    },
    /// A downloaded index does not match the checksum its signed Release lists.
    #[error("{url}: {message}")]
    Checksum {
        /// The index.
        url: String,
        /// Expected versus actual.
        message: String,
    },
    /// An index is malformed, expired or too large.
    #[error("{url}: {message}")]
    Index {
        /// The index.
        url: String,
        /// What is wrong.
        message: String,
    },
    /// The cache directory could not be used.
    #[error("cache {path}: {message}")]
    Cache {
        /// File or directory.
        path: String,
        /// Why.
        message: String,
    },
}

impl Error {
    pub(crate) fn index(url: &str, message: impl Into<String>) -> Self {
        Error::Index {
            url: url.to_owned(),
            message: message.into(),
        }
    }
}
