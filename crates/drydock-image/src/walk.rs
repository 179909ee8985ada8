//! Streaming walk over the tar entries of one layer.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::io::{self, Read};

use crate::error::{Error, Result};

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// Regular file (also GNU sparse / contiguous).
    File,
    /// Directory.
    Dir,
    /// Symbolic link.
    Symlink,
    /// Hard link (to an earlier entry, see [`EntryMeta::link_target`]).
    Hardlink,
    /// `.wh.NAME`: deletes NAME (and below) from lower layers.
    Whiteout,
    /// `.wh..wh..opq`: hides all lower-layer contents of its directory.
    OpaqueWhiteout,
    /// Device, FIFO, or another tar type (see [`EntryMeta::tar_type`]).
    Other,
}

/// Metadata of one tar entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryMeta {
    /// Normalised absolute `/`-separated path (`/etc/passwd`; root is `/`).
    /// For whiteouts, the path of the `.wh.` entry itself.
    pub path: String,
    /// Kind.
    pub kind: EntryKind,
    /// Content size in bytes (files; 0 otherwise).
    pub size: u64,
    /// Permission and special bits (`0o4755`…).
    pub mode: u32,
    /// Owner.
    pub uid: u64,
    /// Group.
    pub gid: u64,
    /// Symlink target as written; hard-link target as a normalised absolute path.
    pub link_target: Option<String>,
    /// For whiteouts: the path deleted (`/a/b` for `/a/.wh.b`), or the
    /// directory made opaque (`/a` for `/a/.wh..wh..opq`).
    pub whiteout_target: Option<String>,
    /// Raw tar type flag.
    pub tar_type: u8,
    /// Offset of the entry's header in the (decompressed) tar stream.
    pub header_offset: u64,
}

impl EntryMeta {
    /// setuid bit.
    pub fn is_setuid(&self) -> bool {
        self.mode & 0o4000 != 0
    }
    /// setgid bit.
    pub fn is_setgid(&self) -> bool {
        self.mode & 0o2000 != 0
    }
    /// Whether the entry is a whiteout of either kind.
    pub fn is_whiteout(&self) -> bool {
        matches!(self.kind, EntryKind::Whiteout | EntryKind::OpaqueWhiteout)
    }
}

/// One entry during a walk: metadata plus its content as a stream. Reading
/// is optional; unread content is skipped (and still hashed).
pub struct Entry<'a> {
    /// Metadata.
    pub meta: EntryMeta,
    reader: &'a mut dyn Read,
}

impl Read for Entry<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reader.read(buf)
    }
}

/// Suspicious things in a layer, reported instead of failing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnomalyKind {
    /// Absolute path in the tar (`/etc/x`); normalised to the same.
    AbsolutePath,
    /// `..` component; normalised (clamped at `/`).
    DotDot,
    /// Path not UTF-8; replaced lossily.
    NonUtf8Path,
    /// Empty path (or only `.`/`/`) on a non-directory.
    EmptyPath,
    /// A path seen twice in one layer (the later one wins).
    DuplicateEntry,
    /// Relative symlink climbing above `/`.
    SymlinkEscape,
    /// Hard-link target absolute or with `..`.
    HardlinkEscape,
    /// `.wh.` entry that names nothing (`.wh.`), or an unknown `.wh..wh.` marker.
    BadWhiteout,
    /// Unparseable numeric header field (mode/uid/gid); 0 used.
    BadHeaderField,
    /// Non-zero bytes after the tar end-of-archive marker (not extracted by
    /// Docker, but part of the digest).
    TrailingData,
}

/// A suspicious entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    /// What.
    pub kind: AnomalyKind,
    /// Normalised path (or raw text) concerned.
    pub path: String,
    /// Details (raw path, link target…).
    pub detail: String,
    /// Header offset in the decompressed tar.
    pub offset: u64,
}

/// Receives a layer's entries.
pub trait LayerVisitor {
    /// Called for every entry, in tar order.
    fn entry(&mut self, entry: &mut Entry<'_>) -> Result<()>;
    /// Called for each anomaly (before the entry it concerns).
    fn anomaly(&mut self, anomaly: Anomaly) {
        let _ = anomaly;
    }
}

impl<F: FnMut(&mut Entry<'_>) -> Result<()>> LayerVisitor for F {
    fn entry(&mut self, entry: &mut Entry<'_>) -> Result<()> {
        self(entry)
    }
}

/// Walk options.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Names the layer in errors (`layer 2 (…)`).
    pub context: String,
    /// Most entries accepted.
    pub max_entries: u64,
}

impl Default for WalkOptions {
    fn default() -> Self {
        Self {
            context: "layer".into(),
            max_entries: crate::Limits::default().max_layer_entries,
        }
    }
}

/// Counts from a walk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WalkSummary {
    /// Entries visited.
    pub entries: u64,
    /// Sum of regular-file sizes.
    pub file_bytes: u64,
    /// Anomalies reported.
    pub anomalies: u64,
    /// Bytes after the end-of-archive marker (padding and any trailing data).
    pub trailing_bytes: u64,
}

/// Walks a layer tar (already decompressed, e.g. a [`LayerStream`](crate::LayerStream)),
/// calling `visitor` per entry, then reads the stream to its end so that a
/// verifying stream checks its digests. Never touches the filesystem.
pub fn walk_layer<R: Read>(reader: R, visitor: &mut dyn LayerVisitor) -> Result<WalkSummary> {
    walk_layer_with(reader, visitor, &WalkOptions::default())
}

/// [`walk_layer`] with options.
pub fn walk_layer_with<R: Read>(
    reader: R,
    visitor: &mut dyn LayerVisitor,
    opts: &WalkOptions,
) -> Result<WalkSummary> {
    let ctx = opts.context.as_str();
    let mut archive = tar::Archive::new(reader);
    let mut summary = WalkSummary::default();
    let hasher = RandomState::new();
    let mut seen: HashSet<u64> = HashSet::new();
    let mut last_offset = 0u64;
    {
        let entries = archive.entries().map_err(|e| Error::from_tar(ctx, 0, e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| Error::from_tar(ctx, last_offset, e))?;
            last_offset = entry.raw_header_position();
            summary.entries += 1;
            if summary.entries > opts.max_entries {
                return Err(Error::TooLarge {
                    context: format!("{ctx}: entry count"),
                    size: summary.entries,
                    limit: opts.max_entries,
                });
            }
            let mut anomalies = Vec::new();
            let meta = entry_meta(&mut entry, &mut anomalies, ctx)?;
            if !seen.insert(hasher.hash_one(&meta.path)) {
                anomalies.push(anomaly(
                    AnomalyKind::DuplicateEntry,
                    &meta,
                    "later entry wins".into(),
                ));
            }
            summary.anomalies += anomalies.len() as u64;
            for a in anomalies {
                visitor.anomaly(a);
            }
            if meta.kind == EntryKind::File {
                summary.file_bytes += meta.size;
            }
            let path = meta.path.clone();
            let mut e = Entry {
                meta,
                reader: &mut entry,
            };
            visitor.entry(&mut e).map_err(|err| match err {
                Error::Visitor { context, source } => Error::Visitor {
                    context: format!("{ctx} {path}: {context}"),
                    source,
                },
                other => other,
            })?;
        }
    }
    // Read past the end-of-archive marker to EOF: verifies digests.
    let mut rest = archive.into_inner();
    let mut trailing = TrailingSink::default();
    io::copy(&mut rest, &mut trailing)
        .map_err(|e| Error::from_io(format!("{ctx} (after end of tar)"), e))?;
    summary.trailing_bytes = trailing.total;
    if trailing.nonzero > 0 {
        summary.anomalies += 1;
        visitor.anomaly(Anomaly {
            kind: AnomalyKind::TrailingData,
            path: String::new(),
            detail: format!(
                "{} non-zero bytes among {} after the end-of-archive marker",
                trailing.nonzero, trailing.total
            ),
            offset: last_offset,
        });
    }
    Ok(summary)
}

#[derive(Default)]
struct TrailingSink {
    total: u64,
    nonzero: u64,
}

impl io::Write for TrailingSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.total += buf.len() as u64;
        self.nonzero += buf.iter().filter(|b| **b != 0).count() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn anomaly(kind: AnomalyKind, meta: &EntryMeta, detail: String) -> Anomaly {
    Anomaly {
        kind,
        path: meta.path.clone(),
        detail,
        offset: meta.header_offset,
    }
}

/// Result of normalising a tar path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NormPath {
    pub path: String,
    pub absolute: bool,
    pub dotdot: bool,
    pub escaped: bool,
    pub non_utf8: bool,
}

/// Normalises a tar path to `/a/b` form: drops empty and `.` components,
/// applies `..` (clamped at the root).
pub(crate) fn normalise(raw: &[u8]) -> NormPath {
    let text = String::from_utf8_lossy(raw);
    let non_utf8 = matches!(text, std::borrow::Cow::Owned(_));
    let absolute = raw.first() == Some(&b'/');
    let mut parts: Vec<&str> = Vec::new();
    let mut dotdot = false;
    let mut escaped = false;
    for c in text.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                dotdot = true;
                if parts.pop().is_none() {
                    escaped = true;
                }
            }
            c => parts.push(c),
        }
    }
    let mut path = String::with_capacity(raw.len() + 1);
    for p in &parts {
        path.push('/');
        path.push_str(p);
    }
    if path.is_empty() {
        path.push('/');
    }
    NormPath {
        path,
        absolute,
        dotdot,
        escaped,
        non_utf8,
    }
}

fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// Joins `name` to `dir` (both normalised absolute).
fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

fn entry_meta<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    anomalies: &mut Vec<Anomaly>,
    ctx: &str,
) -> Result<EntryMeta> {
    let header_offset = entry.raw_header_position();
    let raw_path = entry.path_bytes().into_owned();
    let norm = normalise(&raw_path);
    let tar_type = entry.header().entry_type().as_byte();
    let et = entry.header().entry_type();
    let mut kind = if et.is_file() || et.is_contiguous() || et.is_gnu_sparse() {
        EntryKind::File
    } else if et.is_dir() {
        EntryKind::Dir
    } else if et.is_symlink() {
        EntryKind::Symlink
    } else if et.is_hard_link() {
        EntryKind::Hardlink
    } else {
        EntryKind::Other
    };
    let mut bad_fields = Vec::new();
    let mode = entry.header().mode().unwrap_or_else(|e| {
        bad_fields.push(format!("mode: {e}"));
        0
    });
    let mut uid = entry.header().uid().unwrap_or_else(|e| {
        bad_fields.push(format!("uid: {e}"));
        0
    });
    let mut gid = entry.header().gid().unwrap_or_else(|e| {
        bad_fields.push(format!("gid: {e}"));
        0
    });
    // PAX uid/gid override the header (large ids).
    if let Ok(Some(pax)) = entry.pax_extensions() {
        for ext in pax.flatten() {
            let parse =
                |v: std::result::Result<&str, _>| v.ok().and_then(|s: &str| s.parse::<u64>().ok());
            match ext.key() {
                Ok("uid") => uid = parse(ext.value()).unwrap_or(uid),
                Ok("gid") => gid = parse(ext.value()).unwrap_or(gid),
                _ => {}
            }
        }
    }
    let size = if kind == EntryKind::File {
        entry.size()
    } else {
        0
    };
    let link_raw = entry.link_name_bytes().map(|b| b.into_owned());
    let mut meta = EntryMeta {
        path: norm.path.clone(),
        kind,
        size,
        mode: mode & 0o7777,
        uid,
        gid,
        link_target: None,
        whiteout_target: None,
        tar_type,
        header_offset,
    };
    let raw_text = String::from_utf8_lossy(&raw_path).into_owned();
    if norm.absolute {
        anomalies.push(anomaly(
            AnomalyKind::AbsolutePath,
            &meta,
            format!("raw path {raw_text:?}"),
        ));
    }
    if norm.dotdot {
        let how = if norm.escaped {
            "climbs above the root"
        } else {
            "contains `..`"
        };
        anomalies.push(anomaly(
            AnomalyKind::DotDot,
            &meta,
            format!("raw path {raw_text:?} {how}"),
        ));
    }
    if norm.non_utf8 {
        anomalies.push(anomaly(
            AnomalyKind::NonUtf8Path,
            &meta,
            format!("raw bytes {raw_path:?}"),
        ));
    }
    if meta.path == "/" && kind != EntryKind::Dir {
        anomalies.push(anomaly(
            AnomalyKind::EmptyPath,
            &meta,
            format!("raw path {raw_text:?}"),
        ));
    }
    for f in bad_fields {
        anomalies.push(anomaly(AnomalyKind::BadHeaderField, &meta, f));
    }
    // Whiteouts.
    let name = meta.path.rsplit('/').next().unwrap_or("");
    if let Some(rest) = name.strip_prefix(".wh.") {
        let parent = parent_of(&meta.path).to_owned();
        if rest == ".wh..opq" {
            kind = EntryKind::OpaqueWhiteout;
            meta.whiteout_target = Some(parent);
        } else if rest.starts_with(".wh.") || rest.is_empty() {
            // `.wh..wh.plnk` and friends (aufs metadata) or a bare `.wh.`.
            kind = EntryKind::Other;
            anomalies.push(anomaly(
                AnomalyKind::BadWhiteout,
                &meta,
                format!("whiteout marker {name:?}"),
            ));
        } else {
            kind = EntryKind::Whiteout;
            meta.whiteout_target = Some(join(&parent, rest));
        }
        meta.kind = kind;
        meta.size = 0;
    }
    match (kind, link_raw) {
        (EntryKind::Symlink, Some(t)) => {
            let target = String::from_utf8_lossy(&t).into_owned();
            if !target.starts_with('/') {
                let joined = format!("{}/{}", parent_of(&meta.path), target);
                if normalise(joined.as_bytes()).escaped {
                    anomalies.push(anomaly(
                        AnomalyKind::SymlinkEscape,
                        &meta,
                        format!("target {target:?} climbs above the root"),
                    ));
                }
            }
            meta.link_target = Some(target);
        }
        (EntryKind::Hardlink, Some(t)) => {
            let n = normalise(&t);
            if n.absolute || n.dotdot {
                anomalies.push(anomaly(
                    AnomalyKind::HardlinkEscape,
                    &meta,
                    format!("target {:?}", String::from_utf8_lossy(&t)),
                ));
            }
            meta.link_target = Some(n.path);
        }
        _ => {}
    }
    let _ = ctx;
    Ok(meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_paths() {
        let n = |s: &str| normalise(s.as_bytes());
        assert_eq!(n("etc/passwd").path, "/etc/passwd");
        assert_eq!(n("./etc//x/./").path, "/etc/x");
        assert_eq!(n("./").path, "/");
        assert_eq!(n("").path, "/");
        let a = n("/abs/x");
        assert!(a.absolute && !a.dotdot);
        assert_eq!(a.path, "/abs/x");
        let e = n("a/../../../b");
        assert!(e.dotdot && e.escaped && !e.absolute);
        assert_eq!(e.path, "/b");
        let i = n("a/b/../c");
        assert!(i.dotdot && !i.escaped);
        assert_eq!(i.path, "/a/c");
        let u = normalise(b"caf\xe9");
        assert!(u.non_utf8);
        assert_eq!(u.path, "/caf\u{fffd}");
    }

    #[test]
    fn parents_and_joins() {
        assert_eq!(parent_of("/a"), "/");
        assert_eq!(parent_of("/a/b"), "/a");
        assert_eq!(join("/", "x"), "/x");
        assert_eq!(join("/a", "x"), "/a/x");
    }
}
