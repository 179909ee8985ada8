//! `docker save` archives (legacy `manifest.json` + `<id>/layer.tar`, and
//! the OCI layout Docker ≥25 writes inside the tar), read in place: one
//! indexing pass records member offsets, then each blob is read from its
//! offset. Nothing is extracted; memory is bounded by the member index.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::Deserialize;

use crate::digest::Digest;
use crate::error::{Error, Result, parse_json, read_limited};
use crate::model::{Compression, Image, Layer};
use crate::oci::{self, BlobStore, Selector};
use crate::source::{ImageSource, Limits, OpenOptions};
use crate::walk::normalise;

/// Positional reads over an archive, shareable across threads.
pub trait RandomAccess: Send + Sync {
    /// Reads at `offset`; `Ok(0)` only at end of data.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
    /// Total length.
    fn len(&self) -> io::Result<u64>;
    /// Whether the length is zero.
    fn is_empty(&self) -> io::Result<bool> {
        Ok(self.len()? == 0)
    }
}

/// A file read with `pread` (no shared cursor, so no locking).
#[cfg(unix)]
pub struct FileAccess(File);

#[cfg(unix)]
impl RandomAccess for FileAccess {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(&self.0, buf, offset)
    }
    fn len(&self) -> io::Result<u64> {
        Ok(self.0.metadata()?.len())
    }
}

/// An archive in memory.
pub struct BytesAccess(pub Arc<[u8]>);

impl RandomAccess for BytesAccess {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let data = &self.0[..];
        let Ok(start) = usize::try_from(offset) else {
            return Ok(0);
        };
        let Some(rest) = data.get(start..) else {
            return Ok(0);
        };
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }
    fn len(&self) -> io::Result<u64> {
        Ok(self.0.len() as u64)
    }
}

/// Any `Read + Seek`, shared behind a mutex (seek + read per call).
pub struct SeekAccess<R>(Mutex<R>);

impl<R: Read + Seek + Send> RandomAccess for SeekAccess<R> {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut r = self
            .0
            .lock()
            .map_err(|_| io::Error::other("archive reader lock poisoned"))?;
        r.seek(SeekFrom::Start(offset))?;
        r.read(buf)
    }
    fn len(&self) -> io::Result<u64> {
        let mut r = self
            .0
            .lock()
            .map_err(|_| io::Error::other("archive reader lock poisoned"))?;
        r.seek(SeekFrom::End(0))
    }
}

/// A byte range of a [`RandomAccess`] as `Read + Seek`. Ending early (the
/// archive is shorter than a member claims) is an `UnexpectedEof` error.
pub struct Section {
    src: Arc<dyn RandomAccess>,
    start: u64,
    pos: u64,
    end: u64,
}

impl Section {
    fn new(src: Arc<dyn RandomAccess>, start: u64, len: u64) -> Self {
        Self {
            src,
            start,
            pos: start,
            end: start.saturating_add(len),
        }
    }
}

impl Read for Section {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.end || buf.is_empty() {
            return Ok(0);
        }
        let want = usize::try_from(self.end - self.pos)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.src.read_at(self.pos, &mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "archive ends at offset {} but the member extends to {}",
                    self.pos, self.end
                ),
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Section {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let rel = self.pos - self.start;
        let new = match pos {
            SeekFrom::Start(o) => Some(o),
            SeekFrom::Current(d) => rel.checked_add_signed(d),
            SeekFrom::End(d) => (self.end - self.start).checked_add_signed(d),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before start"))?;
        // Seeking past the end is allowed; reads there return EOF.
        self.pos = self.start.saturating_add(new);
        Ok(new)
    }
}

#[derive(Debug, Clone)]
enum Member {
    File {
        offset: u64,
        size: u64,
    },
    /// Symlink target (already resolved against the member's directory) or
    /// hard-link target.
    Link(String),
}

/// Member name → location, from one pass over the tar headers.
struct TarIndex {
    members: HashMap<String, Member>,
    duplicates: Vec<String>,
}

fn member_name(raw: &[u8]) -> (String, bool) {
    let n = normalise(raw);
    let suspicious = n.absolute || n.dotdot || n.non_utf8;
    (n.path.trim_start_matches('/').to_owned(), suspicious)
}

impl TarIndex {
    fn build(
        src: &Arc<dyn RandomAccess>,
        len: u64,
        ctx: &str,
        limits: &Limits,
    ) -> Result<(Self, Vec<String>)> {
        let reader = BufReader::with_capacity(64 * 1024, Section::new(src.clone(), 0, len));
        let mut ar = tar::Archive::new(reader);
        let mut members = HashMap::new();
        let mut duplicates = Vec::new();
        let mut notes = Vec::new();
        let mut last = 0u64;
        let entries = ar
            .entries_with_seek()
            .map_err(|e| Error::from_tar(ctx, 0, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| Error::from_tar(ctx, last, e))?;
            last = entry.raw_header_position();
            if members.len() >= limits.max_archive_members {
                return Err(Error::TooLarge {
                    context: format!("{ctx}: member count"),
                    size: members.len() as u64 + 1,
                    limit: limits.max_archive_members as u64,
                });
            }
            let (name, suspicious) = member_name(&entry.path_bytes());
            if suspicious {
                notes.push(format!(
                    "archive member with suspicious path {name:?} (normalised)"
                ));
            }
            let et = entry.header().entry_type();
            let member = if et.is_file() || et.is_contiguous() {
                Member::File {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                }
            } else if et.is_symlink() || et.is_hard_link() {
                let Some(t) = entry.link_name_bytes() else {
                    continue;
                };
                let target = if et.is_symlink() && !t.starts_with(b"/") {
                    let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
                    let mut joined = dir.as_bytes().to_vec();
                    joined.push(b'/');
                    joined.extend_from_slice(&t);
                    member_name(&joined).0
                } else {
                    member_name(&t).0
                };
                Member::Link(target)
            } else {
                continue;
            };
            if members.insert(name.clone(), member).is_some() {
                duplicates.push(name);
            }
        }
        if !duplicates.is_empty() {
            notes.push(format!(
                "archive has duplicate members (the last one is used, as `docker load` does): {:?}",
                duplicates.iter().take(10).collect::<Vec<_>>()
            ));
        }
        Ok((
            Self {
                members,
                duplicates,
            },
            notes,
        ))
    }

    /// Offset and size of `name`, following links (≤ 16 hops).
    fn find(&self, name: &str, ctx: &str) -> Result<(u64, u64)> {
        let mut cur = name.trim_start_matches("./").to_owned();
        for _ in 0..16 {
            match self.members.get(&cur) {
                Some(Member::File { offset, size }) => return Ok((*offset, *size)),
                Some(Member::Link(t)) => cur = t.clone(),
                None => return Err(Error::not_found(ctx, format!("archive member {name:?}"))),
            }
        }
        Err(Error::invalid(
            ctx,
            format!("archive member {name:?}: link loop"),
        ))
    }
}

/// One image of `manifest.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SaveEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    #[serde(default)]
    layers: Vec<String>,
}

/// A `docker save` archive (file or in memory).
pub struct DockerArchive {
    src: Arc<dyn RandomAccess>,
    index: TarIndex,
    image: Image,
    limits: Limits,
    name: String,
}

impl DockerArchive {
    /// Opens the archive at `path`; `image` picks a `RepoTags` entry (or a
    /// ref name, for OCI-only archives) if the archive holds several.
    pub fn open(path: impl AsRef<Path>, image: Option<&str>, opts: &OpenOptions) -> Result<Self> {
        let path = path.as_ref();
        let name = format!("docker-archive:{}", path.display());
        let f = File::open(path).map_err(|e| Error::from_io(&name, e))?;
        if f.metadata().map_err(|e| Error::from_io(&name, e))?.is_dir() {
            return Err(Error::invalid(
                &name,
                "is a directory (use oci:DIR for an OCI layout)",
            ));
        }
        #[cfg(unix)]
        let src: Arc<dyn RandomAccess> = Arc::new(FileAccess(f));
        #[cfg(not(unix))]
        let src: Arc<dyn RandomAccess> = Arc::new(SeekAccess(Mutex::new(f)));
        Self::from_access(src, name, image, opts)
    }

    /// An archive held in memory.
    pub fn from_bytes(
        bytes: impl Into<Arc<[u8]>>,
        image: Option<&str>,
        opts: &OpenOptions,
    ) -> Result<Self> {
        Self::from_access(
            Arc::new(BytesAccess(bytes.into())),
            "docker-archive:<memory>".into(),
            image,
            opts,
        )
    }

    /// An archive behind any `Read + Seek` (e.g. `Cursor<Vec<u8>>`); layer
    /// streams share it through a mutex.
    pub fn from_reader<R: Read + Seek + Send + 'static>(
        reader: R,
        image: Option<&str>,
        opts: &OpenOptions,
    ) -> Result<Self> {
        Self::from_access(
            Arc::new(SeekAccess(Mutex::new(reader))),
            "docker-archive:<reader>".into(),
            image,
            opts,
        )
    }

    /// Over a custom [`RandomAccess`].
    pub fn from_access(
        src: Arc<dyn RandomAccess>,
        name: String,
        image: Option<&str>,
        opts: &OpenOptions,
    ) -> Result<Self> {
        let len = src.len().map_err(|e| Error::from_io(&name, e))?;
        let (index, mut notes) = TarIndex::build(&src, len, &name, &opts.limits)?;
        let mut this = Self {
            src,
            index,
            image: Image::assemble(name.clone(), b"{}".to_vec(), "", None, Vec::new())?,
            limits: opts.limits.clone(),
            name,
        };
        let mut image = if this.index.members.contains_key("manifest.json") {
            this.resolve_save_manifest(image, opts)?
        } else if this.index.members.contains_key("index.json") {
            let selector = image.map_or(Selector::Default, |t| Selector::Tag(t.to_owned()));
            let index = this.read_member("index.json")?;
            oci::resolve(
                &this,
                &index,
                &format!("{} index.json", this.name),
                &selector,
                &opts.platform,
                &opts.limits,
            )?
            .image
        } else {
            return Err(Error::not_found(
                &this.name,
                "manifest.json or index.json (not a `docker save` archive)",
            ));
        };
        image.notes.append(&mut notes);
        this.image = image;
        Ok(this)
    }

    /// Reads a small member fully (≤ `max_json_bytes`).
    fn read_member(&self, name: &str) -> Result<Vec<u8>> {
        let ctx = format!("{} member {name}", self.name);
        let (offset, size) = self.index.find(name, &self.name)?;
        if size > self.limits.max_json_bytes {
            return Err(Error::TooLarge {
                context: ctx,
                size,
                limit: self.limits.max_json_bytes,
            });
        }
        read_limited(
            Section::new(self.src.clone(), offset, size),
            self.limits.max_json_bytes,
            &ctx,
        )
    }

    fn resolve_save_manifest(&self, want: Option<&str>, opts: &OpenOptions) -> Result<Image> {
        let ctx = format!("{} member manifest.json", self.name);
        let bytes = self.read_member("manifest.json")?;
        let entries: Vec<SaveEntry> = parse_json(&bytes, &ctx)?;
        let mut notes = Vec::new();
        let entry = match want {
            Some(tag) => entries
                .iter()
                .find(|e| e.repo_tags.iter().flatten().any(|t| t == tag))
                .ok_or_else(|| {
                    let all: Vec<&String> = entries
                        .iter()
                        .flat_map(|e| e.repo_tags.iter().flatten())
                        .collect();
                    Error::not_found(&ctx, format!("image {tag:?} (RepoTags: {all:?})"))
                })?,
            None => {
                let first = entries
                    .first()
                    .ok_or_else(|| Error::not_found(&ctx, "any image (empty list)"))?;
                if entries.len() > 1 {
                    notes.push(format!(
                        "archive holds {} images; using the first ({:?}); pick one with docker-archive:PATH:TAG",
                        entries.len(),
                        first.repo_tags.iter().flatten().next()
                    ));
                }
                first
            }
        };
        let config_name = entry.config.trim_start_matches("./");
        let config_ctx = format!("{} member {config_name}", self.name);
        let raw_config = self.read_member(config_name)?;
        // Legacy `<hex>.json`, Docker ≥25 `blobs/sha256/<hex>`.
        let stem = config_name
            .rsplit('/')
            .next()
            .unwrap_or("")
            .trim_end_matches(".json");
        let config_digest = Digest::sha256_hex(stem);
        match &config_digest {
            Some(d) => d.verify(&raw_config, &config_ctx)?,
            None => notes.push(format!(
                "config {config_name}: digest unknown, not verified"
            )),
        }
        // Media types from the embedded OCI layout, if any (Docker ≥25).
        let oci_layers = self.embedded_oci_layers(config_digest.as_ref(), opts);
        let mut layers = Vec::with_capacity(entry.layers.len());
        for (i, l) in entry.layers.iter().enumerate() {
            let name = l.trim_start_matches("./");
            let (_, size) = self.index.find(name, &self.name)?;
            let mut layer = Layer::new(i, name);
            layer.size = Some(size);
            if let Some(hex) = name.strip_prefix("blobs/sha256/") {
                layer.digest = Digest::sha256_hex(hex);
            }
            if let Some(d) = &layer.digest
                && let Some(desc) = oci_layers.iter().find(|x| &x.digest == d)
                && let Some(mt) = &desc.media_type
            {
                layer.compression = Compression::from_media_type(mt);
                layer.media_type = Some(mt.clone());
            }
            layers.push(layer);
        }
        let mut image = Image::assemble(
            self.name.clone(),
            raw_config,
            &config_ctx,
            config_digest,
            layers,
        )?;
        image.reference = want
            .map(str::to_owned)
            .or_else(|| entry.repo_tags.iter().flatten().next().cloned());
        image.notes.extend(notes);
        Ok(image)
    }

    /// Layer descriptors of the embedded OCI manifest whose config is
    /// `config` (best effort: any failure just means no media types).
    fn embedded_oci_layers(
        &self,
        config: Option<&Digest>,
        opts: &OpenOptions,
    ) -> Vec<oci::Descriptor> {
        let Some(config) = config else {
            return Vec::new();
        };
        let Ok(index) = self.read_member("index.json") else {
            return Vec::new();
        };
        #[derive(Deserialize)]
        struct Idx {
            #[serde(default)]
            manifests: Vec<oci::Descriptor>,
        }
        #[derive(Deserialize)]
        struct Man {
            config: oci::Descriptor,
            #[serde(default)]
            layers: Vec<oci::Descriptor>,
        }
        let Ok(idx) = serde_json::from_slice::<Idx>(&index) else {
            return Vec::new();
        };
        for d in idx.manifests.iter().take(64) {
            let Ok(bytes) = oci::read_json_blob(self, d, "manifest", opts.limits.max_json_bytes)
            else {
                continue;
            };
            if let Ok(m) = serde_json::from_slice::<Man>(&bytes)
                && &m.config.digest == config
            {
                return m.layers;
            }
        }
        Vec::new()
    }

    /// Names of duplicate members (last one used).
    pub fn duplicate_members(&self) -> &[String] {
        &self.index.duplicates
    }
}

impl BlobStore for DockerArchive {
    fn describe(&self) -> String {
        self.name.clone()
    }
    fn open_blob(&self, digest: &Digest) -> Result<(Box<dyn Read + Send>, Option<u64>)> {
        let (offset, size) = self.index.find(&digest.blob_path(), &self.name)?;
        Ok((
            Box::new(Section::new(self.src.clone(), offset, size)),
            Some(size),
        ))
    }
}

impl ImageSource for DockerArchive {
    fn image(&self) -> &Image {
        &self.image
    }
    fn limits(&self) -> &Limits {
        &self.limits
    }
    fn open_raw_layer(&self, index: usize) -> Result<Box<dyn Read + Send>> {
        let layer = self
            .image
            .layers
            .get(index)
            .ok_or_else(|| Error::not_found(&self.name, format!("layer {index}")))?;
        let (offset, size) = self.index.find(&layer.location, &self.name)?;
        Ok(Box::new(Section::new(self.src.clone(), offset, size)))
    }
}
