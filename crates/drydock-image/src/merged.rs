//! Merged view across layers: which layer last wrote each path, and what
//! later layers deleted or overwrote (bytes still shipped in the image).
//! Stores paths and small metadata only, never contents.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::error::{Error, Result};
use crate::walk::{Anomaly, Entry, EntryKind, EntryMeta, LayerVisitor};

/// What happened to a version of a path after its layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fate {
    /// Visible in the final filesystem.
    Present,
    /// Replaced by a later write of the same path (or, for a non-directory
    /// ancestor, by a directory) in layer `by_layer`.
    Overwritten {
        /// The layer that replaced it.
        by_layer: usize,
    },
    /// Removed by a whiteout (or opaque whiteout, or replacement of a parent
    /// directory) in layer `by_layer`.
    Deleted {
        /// The layer that removed it.
        by_layer: usize,
        /// True if by an opaque whiteout of an ancestor directory.
        opaque: bool,
    },
}

/// One write of a path by one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// The layer that wrote it.
    pub layer: usize,
    /// Kind (never a whiteout).
    pub kind: EntryKind,
    /// Content size (files).
    pub size: u64,
    /// Mode bits.
    pub mode: u32,
    /// Its fate.
    pub fate: Fate,
}

/// A layer's entries (metadata only) in tar order, as a [`LayerVisitor`]
/// (or fed by [`LayerListing::record`] from another visitor).
#[derive(Debug, Clone, Default)]
pub struct LayerListing {
    /// The layer index.
    pub layer: usize,
    entries: Vec<Listed>,
    /// Anomalies seen.
    pub anomalies: Vec<Anomaly>,
}

#[derive(Debug, Clone)]
struct Listed {
    path: Box<str>,
    kind: EntryKind,
    size: u64,
    mode: u32,
    target: Option<Box<str>>,
}

impl LayerListing {
    /// Empty listing of `layer`.
    pub fn new(layer: usize) -> Self {
        Self {
            layer,
            ..Self::default()
        }
    }

    /// Records an entry.
    pub fn record(&mut self, meta: &EntryMeta) {
        self.entries.push(Listed {
            path: meta.path.as_str().into(),
            kind: meta.kind,
            size: meta.size,
            mode: meta.mode,
            target: meta.whiteout_target.as_deref().map(Into::into),
        });
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl LayerVisitor for LayerListing {
    fn entry(&mut self, entry: &mut Entry<'_>) -> Result<()> {
        self.record(&entry.meta);
        Ok(())
    }
    fn anomaly(&mut self, anomaly: Anomaly) {
        self.anomalies.push(anomaly);
    }
}

/// A whiteout applied by a layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhiteoutRecord {
    /// Layer holding the whiteout.
    pub layer: usize,
    /// Deleted path, or directory made opaque.
    pub target: String,
    /// Opaque whiteout.
    pub opaque: bool,
    /// How many lower-layer versions it removed.
    pub removed: u64,
}

/// Per-layer byte accounting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerBytes {
    /// Regular-file bytes the layer ships.
    pub file_bytes: u64,
    /// Of those, bytes deleted or overwritten by later layers (shipped but
    /// invisible: the surviving copy is not counted).
    pub hidden_bytes: u64,
    /// Files of the layer hidden later.
    pub hidden_files: u64,
}

/// The merged view. Apply layers in order with [`MergedTree::apply`]
/// (walk them in parallel into [`LayerListing`]s first if you like).
#[derive(Debug, Clone, Default)]
pub struct MergedTree {
    paths: BTreeMap<Box<str>, Vec<Version>>,
    applied: usize,
    max_paths: usize,
    whiteouts: Vec<WhiteoutRecord>,
}

fn is_dir(k: EntryKind) -> bool {
    k == EntryKind::Dir
}

impl MergedTree {
    /// Empty tree with the default path limit.
    pub fn new() -> Self {
        Self::with_max_paths(crate::Limits::default().max_tree_paths)
    }

    /// Empty tree holding at most `max_paths` distinct paths.
    pub fn with_max_paths(max_paths: usize) -> Self {
        Self {
            max_paths,
            ..Self::default()
        }
    }

    /// Layers applied so far.
    pub fn layers_applied(&self) -> usize {
        self.applied
    }

    /// Applies the next layer. Whiteouts affect only lower layers (files the
    /// same layer adds next to an opaque whiteout stay), as in the OCI spec.
    pub fn apply(&mut self, listing: &LayerListing) -> Result<()> {
        let n = listing.layer;
        if n != self.applied {
            return Err(Error::invalid(
                "merged tree",
                format!("layer {n} applied but layer {} expected next", self.applied),
            ));
        }
        for e in &listing.entries {
            let (Some(target), opaque) = (e.target.as_deref(), e.kind == EntryKind::OpaqueWhiteout)
            else {
                continue;
            };
            if !matches!(e.kind, EntryKind::Whiteout | EntryKind::OpaqueWhiteout) {
                continue;
            }
            let mut removed = 0;
            let fate = Fate::Deleted {
                by_layer: n,
                opaque,
            };
            if !opaque && let Some(vs) = self.paths.get_mut(target) {
                removed += kill(vs, n, fate);
            }
            removed += self.kill_below(target, n, fate);
            self.whiteouts.push(WhiteoutRecord {
                layer: n,
                target: target.to_owned(),
                opaque,
                removed,
            });
        }
        let mut last_dir_ok: Option<Box<str>> = None;
        for e in &listing.entries {
            if matches!(e.kind, EntryKind::Whiteout | EntryKind::OpaqueWhiteout) {
                continue;
            }
            // Non-directory ancestors are replaced by (implicit) directories.
            let parent = match e.path.rfind('/') {
                Some(0) | None => "/",
                Some(i) => &e.path[..i],
            };
            if last_dir_ok.as_deref() != Some(parent) {
                let ends = parent
                    .match_indices('/')
                    .map(|(i, _)| i)
                    .filter(|&i| i > 0)
                    .chain((parent != "/").then_some(parent.len()));
                for i in ends {
                    let anc = &parent[..i];
                    if let Some(vs) = self.paths.get_mut(anc)
                        && let Some(live) = vs.last_mut()
                        && live.fate == Fate::Present
                        && !is_dir(live.kind)
                    {
                        live.fate = Fate::Overwritten { by_layer: n };
                    }
                }
                last_dir_ok = Some(parent.into());
            }
            match self.paths.get_mut(&*e.path) {
                Some(vs) => {
                    if let Some(live) = vs.last_mut()
                        && live.fate == Fate::Present
                    {
                        live.fate = Fate::Overwritten { by_layer: n };
                    }
                    vs.push(Version {
                        layer: n,
                        kind: e.kind,
                        size: e.size,
                        mode: e.mode,
                        fate: Fate::Present,
                    });
                }
                None => {
                    if self.paths.len() >= self.max_paths {
                        return Err(Error::TooLarge {
                            context: "merged tree: distinct paths".into(),
                            size: self.paths.len() as u64 + 1,
                            limit: self.max_paths as u64,
                        });
                    }
                    self.paths.insert(
                        e.path.clone(),
                        vec![Version {
                            layer: n,
                            kind: e.kind,
                            size: e.size,
                            mode: e.mode,
                            fate: Fate::Present,
                        }],
                    );
                }
            }
            if !is_dir(e.kind) {
                // A non-directory replaces whatever directory (explicit or
                // implied by deeper paths) was there: everything below goes.
                self.kill_below(
                    &e.path,
                    n + 1,
                    Fate::Deleted {
                        by_layer: n,
                        opaque: false,
                    },
                );
            }
        }
        self.applied += 1;
        Ok(())
    }

    /// Marks live versions strictly below `dir` from layers `< before` as `fate`.
    fn kill_below(&mut self, dir: &str, before: usize, fate: Fate) -> u64 {
        let prefix = if dir == "/" {
            "/".to_owned()
        } else {
            format!("{dir}/")
        };
        let mut removed = 0;
        let range = self
            .paths
            .range_mut::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded));
        for (k, vs) in range {
            if !k.starts_with(&prefix) {
                break;
            }
            if &**k == dir {
                continue;
            }
            removed += kill(vs, before, fate);
        }
        removed
    }

    /// Every version of `path`, oldest first.
    pub fn versions(&self, path: &str) -> Option<&[Version]> {
        self.paths.get(path).map(Vec::as_slice)
    }

    /// The visible version of `path`, if any.
    pub fn present(&self, path: &str) -> Option<&Version> {
        self.paths
            .get(path)?
            .last()
            .filter(|v| v.fate == Fate::Present)
    }

    /// All paths with their versions, sorted by path.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[Version])> {
        self.paths.iter().map(|(k, v)| (&**k, v.as_slice()))
    }

    /// Number of distinct paths.
    pub fn len(&self) -> usize {
        self.paths.len()
    }

    /// Whether no path was recorded.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Regular-file versions that are shipped in some layer but hidden in
    /// the final filesystem (deleted or overwritten later), sorted by path.
    pub fn hidden_files(&self) -> impl Iterator<Item = (&str, &Version)> {
        self.iter().flat_map(|(p, vs)| {
            vs.iter()
                .filter(|v| v.kind == EntryKind::File && v.fate != Fate::Present)
                .map(move |v| (p, v))
        })
    }

    /// Sum of sizes of [`MergedTree::hidden_files`]: bytes shipped that no
    /// container sees (the surviving copy of a path is not counted).
    pub fn hidden_bytes(&self) -> u64 {
        self.hidden_files().map(|(_, v)| v.size).sum()
    }

    /// Per-layer accounting, index = layer.
    pub fn layer_bytes(&self) -> Vec<LayerBytes> {
        let mut out = vec![LayerBytes::default(); self.applied];
        for (_, vs) in self.iter() {
            for v in vs.iter().filter(|v| v.kind == EntryKind::File) {
                if let Some(b) = out.get_mut(v.layer) {
                    b.file_bytes += v.size;
                    if v.fate != Fate::Present {
                        b.hidden_bytes += v.size;
                        b.hidden_files += 1;
                    }
                }
            }
        }
        out
    }

    /// Whiteouts applied, in order.
    pub fn whiteouts(&self) -> &[WhiteoutRecord] {
        &self.whiteouts
    }
}

/// Marks every live version in `vs` from a layer `< before` as `fate`.
fn kill(vs: &mut [Version], before: usize, fate: Fate) -> u64 {
    let mut n = 0;
    for v in vs.iter_mut() {
        if v.layer < before && v.fate == Fate::Present {
            v.fate = fate;
            n += 1;
        }
    }
    n
}
