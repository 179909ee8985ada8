//! The package-manager configuration files of an image's final filesystem:
//! apt sources and keyrings, apk repositories and keys, dpkg architectures,
//! dnf/yum configuration, `.repo` files and `/etc/pki/rpm-gpg` keys.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

use drydock_image::{EntryKind, ImageSource};
use rayon::prelude::*;

use crate::error::{Error, Result};

/// Directories (and files) read from the image.
const WATCHED: [&str; 12] = [
    "/etc/apt/",
    "/usr/share/keyrings/",
    "/etc/apk/",
    "/etc/yum.repos.d/",
    "/etc/yum/",
    "/etc/distro.repos.d/",
    "/etc/dnf/",
    "/etc/yum.conf",
    "/etc/pki/rpm-gpg/",
    "/var/lib/dpkg/arch",
    "/etc/os-release",
    "/usr/lib/os-release",
];
/// Largest single configuration file read.
const MAX_FILE_BYTES: u64 = 8 << 20;
/// Most bytes of configuration files held across all layers.
const MAX_TOTAL_BYTES: u64 = 128 << 20;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
enum Node {
    File(#[serde(with = "hex::serde")] Vec<u8>),
    Symlink(String),
}

/// The watched files of the final image (whiteouts applied).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct ImageFiles(BTreeMap<String, Node>);

enum Change {
    Remove(String),
    Opaque(String),
    Put(String, Node),
}

fn watched(path: &str) -> bool {
    WATCHED
        .iter()
        .any(|w| path.starts_with(w) || w.strip_suffix('/') == Some(path))
}

impl ImageFiles {
    /// Walks every layer (in parallel) and applies them in order.
    pub(crate) fn read(source: &dyn ImageSource) -> Result<Self> {
        let budget = AtomicU64::new(0);
        let layers = (0..source.image().layers.len())
            .into_par_iter()
            .map(|i| layer_changes(source, i, &budget))
            .collect::<Result<Vec<_>>>()?;
        let mut files = ImageFiles::default();
        for changes in layers {
            let (puts, removals): (Vec<_>, Vec<_>) = changes
                .into_iter()
                .partition(|c| matches!(c, Change::Put(..)));
            for change in removals.into_iter().chain(puts) {
                match change {
                    Change::Remove(path) => {
                        let below = format!("{path}/");
                        files.0.retain(|k, _| k != &path && !k.starts_with(&below));
                    }
                    Change::Opaque(dir) => {
                        let below = format!("{}/", dir.trim_end_matches('/'));
                        files.0.retain(|k, _| !k.starts_with(&below));
                    }
                    Change::Put(path, node) => {
                        files.0.insert(path, node);
                    }
                }
            }
        }
        Ok(files)
    }

    /// The contents of `path`, following symbolic links among the watched files.
    pub(crate) fn get(&self, path: &str) -> Option<&[u8]> {
        let mut path = normalize(path);
        for _ in 0..8 {
            match self.0.get(&path)? {
                Node::File(data) => return Some(data),
                Node::Symlink(target) => {
                    path = if target.starts_with('/') {
                        normalize(target)
                    } else {
                        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                        normalize(&format!("{dir}/{target}"))
                    };
                }
            }
        }
        None
    }

    /// Paths directly in `dir` (sorted), files or links.
    pub(crate) fn list(&self, dir: &str) -> Vec<String> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        self.0
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k[prefix.len()..].contains('/'))
            .map(|(k, _)| k.clone())
            .collect()
    }

    #[cfg(test)]
    pub(crate) fn from_files(files: &[(&str, &[u8])]) -> Self {
        ImageFiles(
            files
                .iter()
                .map(|(p, d)| ((*p).to_owned(), Node::File(d.to_vec())))
                .collect(),
        )
    }
}

/// The directories and files read from images.
pub(crate) fn watched_paths() -> &'static [&'static str] {
    &WATCHED
}

/// Resolves `.` and `..` of an absolute path.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn layer_changes(
    source: &dyn ImageSource,
    index: usize,
    budget: &AtomicU64,
) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    let mut visit = |entry: &mut drydock_image::Entry<'_>| -> drydock_image::Result<()> {
        let meta = &entry.meta;
        match meta.kind {
            EntryKind::Whiteout => {
                if let Some(t) = meta.whiteout_target.as_deref().filter(|t| {
                    watched(t) || WATCHED.iter().any(|w| w.starts_with(&format!("{t}/")))
                }) {
                    changes.push(Change::Remove(t.to_owned()));
                }
            }
            EntryKind::OpaqueWhiteout => {
                if let Some(t) = &meta.whiteout_target {
                    changes.push(Change::Opaque(t.clone()));
                }
            }
            EntryKind::Dir => {}
            _ if !watched(&meta.path) => {}
            EntryKind::File => {
                let path = meta.path.clone();
                let too_large = |path: &str| {
                    drydock_image::Error::invalid(
                        path,
                        format!("package configuration file larger than {MAX_FILE_BYTES} bytes"),
                    )
                };
                if meta.size > MAX_FILE_BYTES {
                    return Err(too_large(&path));
                }
                let mut data = Vec::new();
                entry
                    .take(MAX_FILE_BYTES + 1)
                    .read_to_end(&mut data)
                    .map_err(|e| drydock_image::Error::from_io(path.clone(), e))?;
                if data.len() as u64 > MAX_FILE_BYTES {
                    return Err(too_large(&path));
                }
                let total =
                    budget.fetch_add(data.len() as u64, Ordering::Relaxed) + data.len() as u64;
                if total > MAX_TOTAL_BYTES {
                    return Err(drydock_image::Error::invalid(
                        path,
                        format!(
                            "package configuration files exceed {MAX_TOTAL_BYTES} bytes in total"
                        ),
                    ));
                }
                changes.push(Change::Put(path, Node::File(data)));
            }
            EntryKind::Symlink | EntryKind::Hardlink => {
                let target = meta.link_target.clone().unwrap_or_default();
                changes.push(Change::Put(meta.path.clone(), Node::Symlink(target)));
            }
            _ => changes.push(Change::Remove(meta.path.clone())),
        }
        Ok(())
    };
    source.walk_layer(index, &mut visit).map_err(Error::Image)?;
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_follows_links_and_lists_directories() {
        let mut f = ImageFiles::from_files(&[
            ("/usr/lib/os-release", b"ID=debian\n"),
            ("/etc/apt/sources.list.d/a.list", b"a"),
            ("/etc/apt/sources.list.d/sub/b.list", b"b"),
        ]);
        f.0.insert(
            "/etc/os-release".into(),
            Node::Symlink("../usr/lib/os-release".into()),
        );
        f.0.insert("/etc/apt/loop".into(), Node::Symlink("loop".into()));
        assert_eq!(f.get("/etc/os-release"), Some(&b"ID=debian\n"[..]));
        assert_eq!(f.get("/etc/apt/loop"), None);
        assert_eq!(
            f.list("/etc/apt/sources.list.d"),
            ["/etc/apt/sources.list.d/a.list"]
        );
        assert!(watched("/etc/apt") && watched("/etc/apt/x") && !watched("/etc/aptx"));
    }
}
