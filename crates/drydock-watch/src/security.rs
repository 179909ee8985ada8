//! The seam for pending security updates: drydock's updates engine plugs in
//! here; without one, images simply report no pending fixes.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

/// A package in an image that has a security fix it does not have yet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PackageFix {
    /// Package name.
    pub package: String,
    /// Installed version.
    pub installed: String,
    /// Version with the fix.
    pub fixed: String,
    /// Advisory ids (CVE, DSA…).
    #[serde(default)]
    pub advisories: Vec<String>,
}

/// The future [`SecurityUpdates::pending`] returns.
pub type PendingFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<PackageFix>, String>> + Send + 'a>>;

/// Answers "which security fixes is this image missing?".
pub trait SecurityUpdates: Send + Sync + 'static {
    /// The pending fixes of the image `reference` at `digest` (the platform
    /// image manifest). An error is reported and retried next time.
    fn pending<'a>(&'a self, reference: &'a str, digest: &'a str) -> PendingFuture<'a>;
}
