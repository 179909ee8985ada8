//! The one source trait, its options, the verified/decompressed layer
//! stream, and reference parsing.

use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use crate::digest::{Digest, Hasher, VerifyingReader};
use crate::error::{Error, Result};
use crate::gzip::GzipMembers;
use crate::model::{Compression, Image, Layer};
use crate::oci::{PlatformSpec, Selector};
use crate::walk::{LayerVisitor, WalkOptions, WalkSummary, walk_layer_with};

/// Resource limits for hostile input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Largest manifest / config / index / `manifest.json` (default 16 MiB).
    pub max_json_bytes: u64,
    /// Most decompressed bytes one layer may produce (default 64 GiB).
    pub max_layer_bytes: u64,
    /// Most members recorded from a `docker save` tar (default 1,000,000).
    pub max_archive_members: usize,
    /// Most entries in one layer (default 10,000,000).
    pub max_layer_entries: u64,
    /// Most distinct paths in a [`MergedTree`](crate::MergedTree) (default 20,000,000).
    pub max_tree_paths: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_json_bytes: 16 << 20,
            max_layer_bytes: 64 << 30,
            max_archive_members: 1_000_000,
            max_layer_entries: 10_000_000,
            max_tree_paths: 20_000_000,
        }
    }
}

/// Options for opening a source.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Limits.
    pub limits: Limits,
    /// Platform to pick from an image index (default `linux/amd64`).
    pub platform: PlatformSpec,
}

/// A place images come from: `docker save` archive, OCI layout, (later)
/// the engine and a registry. `Send + Sync` so layers can be opened and
/// walked on several threads at once; each [`ImageSource::open_layer`] is an
/// independent stream.
pub trait ImageSource: Send + Sync {
    /// The resolved image (config, layers, notes).
    fn image(&self) -> &Image;

    /// The limits in force.
    fn limits(&self) -> &Limits;

    /// Opens layer `index`'s blob exactly as stored (possibly compressed),
    /// unverified. Sources implement this; use [`ImageSource::open_layer`].
    fn open_raw_layer(&self, index: usize) -> Result<Box<dyn Read + Send>>;

    /// Opens layer `index` as a verified, decompressed tar stream.
    fn open_layer(&self, index: usize) -> Result<LayerStream> {
        let layer = self
            .image()
            .layers
            .get(index)
            .ok_or_else(|| Error::not_found(&self.image().source, format!("layer {index}")))?;
        let raw = self.open_raw_layer(index)?;
        LayerStream::new(layer, raw, self.limits())
    }

    /// Walks layer `index` (see [`walk_layer`](crate::walk_layer)), with
    /// errors naming the layer; digests are verified by the end of the walk.
    fn walk_layer(&self, index: usize, visitor: &mut dyn LayerVisitor) -> Result<WalkSummary> {
        let stream = self.open_layer(index)?;
        let label = stream.label().to_owned();
        let opts = WalkOptions {
            context: label,
            max_entries: self.limits().max_layer_entries,
        };
        walk_layer_with(stream, visitor, &opts)
    }
}

impl<T: ImageSource + ?Sized> ImageSource for Box<T> {
    fn image(&self) -> &Image {
        (**self).image()
    }
    fn limits(&self) -> &Limits {
        (**self).limits()
    }
    fn open_raw_layer(&self, index: usize) -> Result<Box<dyn Read + Send>> {
        (**self).open_raw_layer(index)
    }
}

/// The stored blob, read and hashed on a thread of its own (see
/// [`Pipelined`]); decoders read its chunks in place.
type Raw = Pipelined<VerifyingReader<Box<dyn Read + Send>>>;

enum Decoder {
    Plain(Raw),
    Gzip(Box<GzipMembers<Raw>>),
    Zstd(zstd::stream::read::Decoder<'static, Raw>),
}

impl Decoder {
    fn into_raw(self) -> Raw {
        match self {
            Self::Plain(r) => r,
            Self::Gzip(d) => (*d).into_inner(),
            Self::Zstd(d) => d.finish(),
        }
    }
}

impl Read for Decoder {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(r) => r.read(buf),
            Self::Gzip(d) => d.read(buf),
            Self::Zstd(d) => d.read(buf),
        }
    }
}

/// A reader running on its own thread a few chunks ahead of the consumer,
/// so that their work overlaps instead of adding up: the stored blob's read
/// and digest on one thread, decompression (for compressed layers) on a
/// second, and the `diff_id` hash, tar walk and checks on the caller's.
/// Memory: at most [`AHEAD`] + 2 chunks.
struct Pipelined<R> {
    chunks: mpsc::Receiver<io::Result<Vec<u8>>>,
    /// Read chunks go back to the worker thread for reuse.
    spent: mpsc::Sender<Vec<u8>>,
    worker: Option<thread::JoinHandle<R>>,
    chunk: Vec<u8>,
    pos: usize,
}

/// How a layer's decoder runs: compressed layers on their own thread
/// (decompression is the largest cost), plain tars in the reader's thread
/// (their blob is already read and hashed on a thread of its own).
enum Stage {
    Inline(Box<Decoder>),
    Pipelined(Pipelined<Decoder>),
}

impl Stage {
    fn finish(self) -> io::Result<Decoder> {
        match self {
            Stage::Inline(d) => Ok(*d),
            Stage::Pipelined(p) => p.finish(),
        }
    }
}

impl Read for Stage {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stage::Inline(d) => d.read(buf),
            Stage::Pipelined(p) => p.read(buf),
        }
    }
}

/// Bytes per chunk handed from a worker thread to its reader.
const CHUNK: usize = 256 * 1024;
/// Chunks a worker thread may be ahead.
const AHEAD: usize = 4;

impl<R: Read + Send + 'static> Pipelined<R> {
    fn start(mut inner: R) -> Self {
        let (tx, chunks) = mpsc::sync_channel(AHEAD);
        let (spent, reuse) = mpsc::channel::<Vec<u8>>();
        let worker = thread::spawn(move || {
            loop {
                let mut chunk = reuse.try_recv().unwrap_or_default();
                chunk.resize(CHUNK, 0);
                let mut filled = 0;
                let mut error = None;
                while filled < CHUNK {
                    match inner.read(&mut chunk[filled..]) {
                        Ok(0) => break,
                        Ok(n) => filled += n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            error = Some(e);
                            break;
                        }
                    }
                }
                chunk.truncate(filled);
                let last = filled < CHUNK;
                if filled > 0 && tx.send(Ok(chunk)).is_err() {
                    break; // the reader is gone
                }
                if let Some(e) = error {
                    let _ = tx.send(Err(e));
                    break;
                }
                if last {
                    break; // EOF: dropping `tx` tells the reader
                }
            }
            inner
        });
        Self {
            chunks,
            spent,
            worker: Some(worker),
            chunk: Vec::new(),
            pos: 0,
        }
    }
}

impl<R> Pipelined<R> {
    /// The inner reader back, once the consumer has seen EOF (or stopped
    /// reading: the worker then ends at its next send).
    fn finish(mut self) -> io::Result<R> {
        self.stop()
            .expect("a pipeline is finished once")
            .map_err(|_| io::Error::other("a layer reader thread panicked"))
    }

    /// Ends the worker and waits for it: dropping the receiver first unblocks
    /// a worker waiting to send, so this waits at most for one read.
    fn stop(&mut self) -> Option<thread::Result<R>> {
        drop(std::mem::replace(&mut self.chunks, mpsc::sync_channel(0).1));
        self.worker.take().map(thread::JoinHandle::join)
    }
}

/// A layer abandoned half-read (an error, a limit) leaves no thread behind.
impl<R> Drop for Pipelined<R> {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// The worker's chunks are handed out in place, so a decoder reading them
/// needs no buffer (and no copy) of its own.
impl<R> BufRead for Pipelined<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos == self.chunk.len() {
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    let _ = self.spent.send(std::mem::replace(&mut self.chunk, chunk));
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => break,
            }
        }
        Ok(&self.chunk[self.pos..])
    }

    fn consume(&mut self, amount: usize) {
        self.pos = (self.pos + amount).min(self.chunk.len());
    }
}

impl<R> Read for Pipelined<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = buf.len().min(available.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// A layer as a decompressed tar stream, verified while read: the stored
/// blob against its digest and size, the tar against the layer's `diff_id`
/// when the blob is that tar or has no digest of its own (a compressed blob's
/// digest already fixes its decompressed bytes), and the decompressed size
/// against [`Limits::max_layer_bytes`]. Errors surface at EOF (mismatch) or as soon
/// as a limit is passed; [`Error::from_io`] recovers the typed [`Error`].
pub struct LayerStream {
    decoder: Option<Stage>,
    label: String,
    detected: Compression,
    declared: Compression,
    diff_hasher: Option<Hasher>,
    /// An uncompressed blob is its own tar: the blob's digest, computed
    /// anyway, is checked against the `diff_id` instead of hashing twice.
    diff_from_blob: bool,
    diff_id: Option<Digest>,
    produced: u64,
    cap: u64,
    failed: Option<String>,
    finished: bool,
    blob_verified: bool,
}

impl LayerStream {
    /// Wraps `raw` (the stored blob of `layer`).
    pub fn new(layer: &Layer, raw: Box<dyn Read + Send>, limits: &Limits) -> Result<Self> {
        let label = layer.label();
        let verifying = VerifyingReader::new(
            raw,
            layer.digest.clone(),
            layer.size,
            format!("{label} blob"),
        );
        let mut raw: Raw = Pipelined::start(verifying);
        // The worker hands over whole chunks (short only at the end), so the
        // first one holds the magic bytes.
        let head = raw
            .fill_buf()
            .map_err(|e| Error::from_io(format!("{label} blob"), e))?;
        let detected = Compression::sniff(&head[..head.len().min(4)]);
        let decoder = match detected {
            Compression::Gzip => Decoder::Gzip(Box::new(GzipMembers::new(raw))),
            Compression::Zstd => {
                let mut d = zstd::stream::read::Decoder::with_buffer(raw)
                    .map_err(|e| Error::from_io(format!("{label} zstd"), e))?;
                // 2^27 = 128 MiB window: libzstd's default cap, made explicit.
                d.window_log_max(27)
                    .map_err(|e| Error::from_io(format!("{label} zstd"), e))?;
                Decoder::Zstd(d)
            }
            Compression::None | Compression::Unknown => Decoder::Plain(raw),
        };
        let alg = layer
            .diff_id
            .as_ref()
            .map_or(crate::digest::Algorithm::Sha256, Digest::algorithm);
        // The blob is hashed with its digest's algorithm, sha256 without one.
        let blob_alg = layer
            .digest
            .as_ref()
            .map_or(crate::digest::Algorithm::Sha256, Digest::algorithm);
        let compressed = !matches!(decoder, Decoder::Plain(_));
        let diff_from_blob = !compressed && blob_alg == alg;
        // A compressed blob checked against its digest fixes the decompressed
        // bytes too (decompression is deterministic), so hashing them again
        // for the `diff_id` would only check that the config describes this
        // blob, not that the bytes are the ones published, at the price of
        // a sha256 over the whole decompressed layer. Without a blob digest,
        // the `diff_id` is the only check and is made.
        let blob_fixes_tar = compressed && layer.digest.is_some();
        let hash_diff = !(diff_from_blob || blob_fixes_tar);
        Ok(Self {
            decoder: Some(match decoder {
                Decoder::Plain(_) => Stage::Inline(Box::new(decoder)),
                _ => Stage::Pipelined(Pipelined::start(decoder)),
            }),
            label,
            detected,
            declared: layer.compression,
            diff_hasher: hash_diff.then(|| Hasher::new(alg)),
            diff_from_blob,
            diff_id: layer.diff_id.clone(),
            produced: 0,
            cap: limits.max_layer_bytes,
            failed: None,
            finished: false,
            blob_verified: false,
        })
    }

    /// `layer N (location)`.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Compression found by magic bytes.
    pub fn compression(&self) -> Compression {
        self.detected
    }

    /// A note if the declared compression (media type) disagrees with the
    /// content.
    pub fn compression_note(&self) -> Option<String> {
        match (self.declared, self.detected) {
            (Compression::Unknown, _) => None,
            (a, b) if a == b => None,
            (a, b) => Some(format!(
                "{}: media type says {a:?} but content is {b:?}; read as {b:?}",
                self.label
            )),
        }
    }

    /// Decompressed bytes produced so far.
    pub fn decompressed_bytes(&self) -> u64 {
        self.produced
    }

    /// True once EOF was reached and every known digest matched.
    pub fn verified(&self) -> bool {
        self.finished && self.failed.is_none() && self.blob_verified
    }

    fn fail(&mut self, e: Error) -> io::Error {
        self.failed = Some(e.to_string());
        e.into_io()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.finished = true;
        // Drain what the decoder left of the stored blob so its digest is
        // checked (normally nothing: decoders read to EOF).
        if let Some(stage) = self.decoder.take() {
            let dec = match stage.finish() {
                Ok(dec) => dec,
                Err(e) => return Err(self.fail(Error::from_io(self.label.clone(), e))),
            };
            let mut raw = dec.into_raw();
            let mut sink = io::sink();
            if let Err(e) = io::copy(&mut (&mut raw).take(self.cap), &mut sink) {
                return Err(self.fail(Error::from_io(format!("{} blob", self.label), e)));
            }
            let verifying = match raw.finish() {
                Ok(v) => v,
                Err(e) => return Err(self.fail(Error::from_io(format!("{} blob", self.label), e))),
            };
            self.blob_verified = verifying.verified();
            if self.diff_from_blob {
                self.diff_hasher = None;
                if let (Some(got), Some(want)) = (verifying.digest(), &self.diff_id)
                    && got != want
                {
                    return Err(self.fail(Error::DigestMismatch {
                        context: format!("{} (decompressed, diff_id)", self.label),
                        expected: want.to_string(),
                        actual: got.to_string(),
                    }));
                }
            }
        }
        if let (Some(h), Some(want)) = (self.diff_hasher.take(), self.diff_id.clone()) {
            let got = h.finish();
            if got != want {
                return Err(self.fail(Error::DigestMismatch {
                    context: format!("{} (decompressed, diff_id)", self.label),
                    expected: want.to_string(),
                    actual: got.to_string(),
                }));
            }
        }
        Ok(())
    }
}

impl Read for LayerStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(msg) = &self.failed {
            return Err(Error::invalid(self.label.clone(), msg.clone()).into_io());
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let Some(dec) = self.decoder.as_mut() else {
            return Ok(0);
        };
        let n = match dec.read(buf) {
            Ok(n) => n,
            Err(e) => {
                let context = format!("{} ({:?} stream)", self.label, self.detected);
                return Err(self.fail(Error::from_io(context, e)));
            }
        };
        if n == 0 {
            self.finish()?;
            return Ok(0);
        }
        self.produced += n as u64;
        if self.produced > self.cap {
            let e = Error::DecompressionLimit {
                context: self.label.clone(),
                limit: self.cap,
            };
            return Err(self.fail(e));
        }
        if let Some(h) = &mut self.diff_hasher {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    /// `docker-archive:PATH[:IMAGE]` or a bare path to a file.
    DockerArchive {
        /// The tar.
        path: PathBuf,
        /// `RepoTags` entry to pick in a multi-image archive.
        image: Option<String>,
    },
    /// `oci:DIR[:TAG|@DIGEST]` or a bare directory holding `oci-layout`.
    OciLayout {
        /// The layout directory.
        dir: PathBuf,
        /// Which image.
        selector: Selector,
    },
    /// `docker:NAME` / `docker-daemon:NAME`: an image of the local Docker
    /// engine, read as one stream ([`DockerEngine`](crate::DockerEngine)),
    /// not through [`open`].
    Daemon(String),
    /// `registry:NAME` / `docker://NAME`: `[HOST[:PORT]/]NAME[:TAG][@DIGEST]`.
    Registry(String),
    /// A bare name that is not an existing path; opened from the registry
    /// when it names one explicitly (a host part with a `.`, a `:PORT` or
    /// `localhost`, or an `@sha256:` digest).
    Name(String),
}

impl ImageRef {
    /// Parses a reference: explicit prefixes `docker-archive:`, `oci:`,
    /// `docker:`, `docker-daemon:`, `registry:`, `docker://`; otherwise an existing
    /// file is an archive, an existing directory must hold `oci-layout`.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = |m: &str| Error::Reference {
            reference: s.to_owned(),
            message: m.to_owned(),
        };
        if let Some(rest) = s.strip_prefix("docker-archive:") {
            if rest.is_empty() {
                return Err(bad("empty path"));
            }
            // PATH may itself contain ':'; take the shortest prefix that is
            // an existing file, else the whole string.
            for (i, _) in rest.match_indices(':') {
                let (p, tag) = (&rest[..i], &rest[i + 1..]);
                if !p.is_empty() && !tag.is_empty() && Path::new(p).is_file() {
                    return Ok(Self::DockerArchive {
                        path: p.into(),
                        image: Some(tag.to_owned()),
                    });
                }
            }
            return Ok(Self::DockerArchive {
                path: rest.into(),
                image: None,
            });
        }
        if let Some(rest) = s.strip_prefix("oci:") {
            if rest.is_empty() {
                return Err(bad("empty directory"));
            }
            return parse_oci(rest).map_err(|m| bad(&m));
        }
        for p in ["docker-daemon:", "daemon:", "docker:"] {
            if let Some(rest) = s.strip_prefix(p)
                && !s.starts_with("docker://")
            {
                if rest.is_empty() {
                    return Err(bad("empty image name"));
                }
                return Ok(Self::Daemon(rest.to_owned()));
            }
        }
        for p in ["registry:", "docker://"] {
            if let Some(rest) = s.strip_prefix(p) {
                return Ok(Self::Registry(rest.to_owned()));
            }
        }
        if s.is_empty() {
            return Err(bad("empty"));
        }
        let path = Path::new(s);
        if path.is_file() {
            return Ok(Self::DockerArchive {
                path: path.into(),
                image: None,
            });
        }
        if path.is_dir() {
            if path.join("oci-layout").is_file() {
                return Ok(Self::OciLayout {
                    dir: path.into(),
                    selector: Selector::Default,
                });
            }
            return Err(bad(
                "is a directory without an `oci-layout` file (not an OCI image layout)",
            ));
        }
        if s.starts_with('/') || s.starts_with("./") || s.starts_with("../") || s.ends_with(".tar")
        {
            return Err(bad("no such file or directory"));
        }
        Ok(Self::Name(s.to_owned()))
    }
}

fn parse_oci(rest: &str) -> std::result::Result<ImageRef, String> {
    if let Some((dir, d)) = rest.rsplit_once('@')
        && d.contains(':')
    {
        let digest = Digest::parse(d).map_err(|e| e.to_string())?;
        return Ok(ImageRef::OciLayout {
            dir: dir.into(),
            selector: Selector::Digest(digest),
        });
    }
    if Path::new(rest).is_dir() {
        return Ok(ImageRef::OciLayout {
            dir: rest.into(),
            selector: Selector::Default,
        });
    }
    // The ref name may itself contain ':' (`repo:tag`): take the shortest
    // prefix that is a layout directory.
    for (i, _) in rest.match_indices(':') {
        let (dir, tag) = (&rest[..i], &rest[i + 1..]);
        if !dir.is_empty() && !tag.is_empty() && Path::new(dir).join("oci-layout").is_file() {
            return Ok(ImageRef::OciLayout {
                dir: dir.into(),
                selector: Selector::Tag(tag.to_owned()),
            });
        }
    }
    if let Some((dir, tag)) = rest.rsplit_once(':')
        && !tag.is_empty()
        && !tag.contains('/')
        && !dir.is_empty()
    {
        return Ok(ImageRef::OciLayout {
            dir: dir.into(),
            selector: Selector::Tag(tag.to_owned()),
        });
    }
    Ok(ImageRef::OciLayout {
        dir: rest.into(),
        selector: Selector::Default,
    })
}

/// Opens the source `reference` names.
pub fn open(reference: &ImageRef, opts: &OpenOptions) -> Result<Box<dyn ImageSource>> {
    match reference {
        ImageRef::DockerArchive { path, image } => Ok(Box::new(
            crate::archive::DockerArchive::open(path, image.as_deref(), opts)?,
        )),
        ImageRef::OciLayout { dir, selector } => Ok(Box::new(crate::layout::OciLayout::open(
            dir, selector, opts,
        )?)),
        ImageRef::Registry(n) => Ok(Box::new(crate::registry::RegistrySource::open(n, opts)?)),
        ImageRef::Name(n) if drydock_registry::is_registry_reference(n) => {
            Ok(Box::new(crate::registry::RegistrySource::open(n, opts)?))
        }
        ImageRef::Daemon(n) => Err(Error::Unsupported(format!(
            "docker:{n}: the engine exports an image as one stream, without random access to \
             layers; read it with DockerEngine::stream_image (as `drydock scan` does)"
        ))),
        ImageRef::Name(n) => Err(Error::Unsupported(format!(
            "{n}: engine and registry sources are not implemented yet; use docker-archive: or oci:"
        ))),
    }
}

/// [`ImageRef::parse`] then [`open`].
pub fn open_str(reference: &str, opts: &OpenOptions) -> Result<Box<dyn ImageSource>> {
    open(&ImageRef::parse(reference)?, opts)
}
