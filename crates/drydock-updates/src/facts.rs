//! What the updates engine reads from an image, separated from what it
//! fetches: an image id (config digest) never changes content, so these facts
//! can be kept per image id and reused, saving the walk over every layer.

use std::path::{Path, PathBuf};

use drydock_image::ImageSource;
use drydock_packages::Inventory;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::fetch::{cache_error, write_atomic};
use crate::files::{self, ImageFiles};

/// What [`pending_updates_in`](crate::pending_updates_in) needs from an
/// image: its installed packages (with the layer of each), its package
/// sources, keyrings and os-release, its architecture and layer history.
#[derive(Debug, Serialize, Deserialize)]
pub struct ImageFacts {
    /// What wrote this (crate version and the files read): a cached entry of
    /// another format is read again.
    format: String,
    /// `architecture` of the image configuration (`GOARCH`).
    pub(crate) architecture: Option<String>,
    /// The installed packages.
    pub(crate) inventory: Inventory,
    /// The package-manager configuration files.
    pub(crate) files: ImageFiles,
    /// `created_by` of the history entry of each layer, base first.
    layer_history: Vec<Option<String>>,
}

impl ImageFacts {
    /// Reads the facts from the image: every layer is walked twice in
    /// parallel (packages, configuration files).
    ///
    /// # Errors
    /// The image or its package database is unreadable.
    pub fn read(source: &dyn ImageSource) -> Result<Self> {
        let (inventory, files) = rayon::join(
            || drydock_packages::inventory(source),
            || ImageFiles::read(source),
        );
        let image = source.image();
        Ok(Self {
            format: format(),
            architecture: image.config.architecture.clone(),
            inventory: inventory?,
            files: files?,
            layer_history: image
                .layers
                .iter()
                .map(|l| l.created_by().map(str::to_owned))
                .collect(),
        })
    }

    /// The facts of the image with id (config digest) `image_id`, from
    /// `CACHE_DIR/images/<hex>.json` when a valid entry is there, else from
    /// `read` — then stored (atomically) for the next time. A corrupt entry
    /// or one of another format is read again and replaced; an id that is
    /// not `sha256:<64 hex>` is never cached.
    ///
    /// A cache that cannot be written is logged, not an error.
    ///
    /// # Errors
    /// Those of `read`.
    pub fn cached<E>(
        cache_dir: &Path,
        image_id: &str,
        read: impl FnOnce() -> Result<Self, E>,
    ) -> Result<Self, E> {
        let Some(path) = entry_path(cache_dir, image_id) else {
            return read();
        };
        if let Ok(data) = std::fs::read(&path) {
            match serde_json::from_slice::<Self>(&data) {
                Ok(facts) if facts.format == format() => return Ok(facts),
                Ok(_) => tracing::debug!("{}: older format, read again", path.display()),
                Err(e) => tracing::warn!("{}: ignored ({e}), read again", path.display()),
            }
        }
        let facts = read()?;
        if let Err(e) = store(&path, &facts) {
            tracing::warn!("{e}: image facts not cached");
        }
        Ok(facts)
    }

    /// `created_by` of the history entry of each layer, base first
    /// ([`PendingUpdate::layer`](crate::PendingUpdate::layer) indexes it).
    pub fn layer_history(&self) -> &[Option<String>] {
        &self.layer_history
    }
}

/// The crate version and the configuration files read: a new version, or one
/// that reads other files, never trusts entries of the old one.
fn format() -> String {
    format!(
        "drydock-updates {}; {}",
        env!("CARGO_PKG_VERSION"),
        files::watched_paths().join(" ")
    )
}

fn store(path: &Path, facts: &ImageFacts) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| cache_error(dir, e))?;
    }
    let data = serde_json::to_vec(facts).map_err(|e| cache_error(path, e.into()))?;
    write_atomic(path, &data)
}

fn entry_path(cache_dir: &Path, image_id: &str) -> Option<PathBuf> {
    let hex = image_id.strip_prefix("sha256:")?;
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| cache_dir.join("images").join(format!("{hex}.json")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Error;

    fn facts(arch: &str) -> ImageFacts {
        ImageFacts {
            format: format(),
            architecture: Some(arch.into()),
            inventory: Inventory::default(),
            files: ImageFiles::from_files(&[("/etc/apt/sources.list", b"deb http://x y z\n")]),
            layer_history: vec![Some("RUN true".into()), None],
        }
    }

    #[test]
    fn cached_per_image_id_and_corrupt_entries_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let id = format!("sha256:{}", "ab".repeat(32));
        let reads = std::cell::Cell::new(0);
        let get = |arch: &str| {
            ImageFacts::cached(dir.path(), &id, || {
                reads.set(reads.get() + 1);
                Ok::<_, Error>(facts(arch))
            })
            .unwrap()
        };
        assert_eq!(get("amd64").architecture.as_deref(), Some("amd64"));
        // The second call is served from the entry, not read again.
        let again = get("arm64");
        assert_eq!(again.architecture.as_deref(), Some("amd64"));
        assert_eq!(again.layer_history()[0].as_deref(), Some("RUN true"));
        assert_eq!(
            again.files.get("/etc/apt/sources.list"),
            Some(&b"deb http://x y z\n"[..])
        );
        let entry = dir
            .path()
            .join("images")
            .join(format!("{}.json", "ab".repeat(32)));
        std::fs::write(&entry, b"{not json").unwrap();
        assert_eq!(get("s390x").architecture.as_deref(), Some("s390x"));
        assert_eq!(get("riscv64").architecture.as_deref(), Some("s390x"));
        // An entry of another format is not trusted.
        let stale = std::fs::read_to_string(&entry)
            .unwrap()
            .replace("drydock-updates ", "drydock-updates 0.0.0-old ");
        std::fs::write(&entry, stale).unwrap();
        assert_eq!(get("ppc64le").architecture.as_deref(), Some("ppc64le"));
        assert_eq!(reads.get(), 3);
        // Ids that are not a sha256 digest are never cached (nor used as paths).
        for bad in ["sha256:../../etc", "latest", ""] {
            let mut n = 0;
            for _ in 0..2 {
                ImageFacts::cached(dir.path(), bad, || {
                    n += 1;
                    Ok::<_, Error>(facts("amd64"))
                })
                .unwrap();
            }
            assert_eq!(n, 2, "{bad}");
        }
    }
}
