//! Images from the local Docker engine (`docker:NAME`), read as one stream.
//!
//! The engine's export (`GET /images/{name}/get`, what `docker save` uses)
//! is a single tar stream whose member order is the engine's: Docker 20.10
//! writes the layer directories (named by v1 ids), the config and
//! `manifest.json` in lexical order, so the layer list arrives last; Docker
//! ≥25 writes an OCI layout (`blobs/sha256/…` first, `index.json` after).
//! Random access per layer would need the export on disk or in memory, so
//! this source is not an [`ImageSource`](crate::ImageSource); instead
//! [`read_export`] consumes the stream once:
//!
//! * each layer member, as it arrives, is decompressed (gzip / zstd / plain
//!   by magic bytes), capped ([`Limits::max_layer_bytes`]), handed to the
//!   caller's walk (the same per-layer scan the archive path uses) and
//!   hashed; the digest of its decompressed bytes is its `diff_id`;
//! * the config is the member named by the image id (`<hex>.json`, or
//!   `blobs/sha256/<hex>`), read (≤ [`Limits::max_json_bytes`]) and checked
//!   against that id;
//! * at the end, each `rootfs.diff_ids[i]` of the config is matched to the
//!   walked member with that `diff_id`, giving [`StreamedImage::layers`] in
//!   image order and an [`Image`] built like the archive sources build
//!   theirs ([`Image::assemble`]).
//!
//! Nothing is written to disk; memory is what the caller keeps per layer
//! plus one layer's decoder state. Errors: a layer missing from the stream,
//! a `layer.tar` whose content is no layer of the image, an OCI blob that
//! does not hash to its name, a member no `docker save` archive has, an
//! engine error (image not found names the image and the socket).
//!
//! The HTTP client is hand-written (HTTP/1.1 over
//! `std::os::unix::net::UnixStream`, `Content-Length` and chunked bodies)
//! rather than `bollard`: the crate and its callers are synchronous (`Read`
//! based walks on rayon), two GET requests are all this needs, and `bollard`
//! would bring tokio/hyper plus an async-to-sync bridge between the response
//! stream and the tar reader. Only unix sockets are supported (`DOCKER_HOST`
//! `unix://PATH`, default `/var/run/docker.sock`).

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use flate2::bufread::MultiGzDecoder;
use serde::Deserialize;

use crate::digest::{Algorithm, Digest, Hasher, VerifyingReader};
use crate::error::{Error, Result, parse_json, read_limited};
use crate::model::{Compression, Image, Layer};
use crate::source::Limits;
use crate::walk::normalise;

/// The socket used when `DOCKER_HOST` is not set.
pub const DEFAULT_DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// No byte from the engine for this long is an error.
const READ_TIMEOUT: Duration = Duration::from_secs(300);
/// Largest response head (status line + headers) accepted.
const MAX_HEAD_BYTES: u64 = 64 << 10;
/// Largest error body read from the engine.
const MAX_ERROR_BODY: u64 = 64 << 10;
const BUF: usize = 256 * 1024;

/// The Docker engine behind a unix socket.
#[derive(Debug, Clone)]
pub struct DockerEngine {
    socket: PathBuf,
}

/// What the engine says about an image (`GET /images/{name}/json`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EngineImage {
    /// The image id: the digest of its config.
    pub id: Digest,
    /// Its tags.
    #[serde(default)]
    pub repo_tags: Option<Vec<String>>,
}

impl DockerEngine {
    /// The engine at `socket`.
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        Self {
            socket: socket.into(),
        }
    }

    /// The engine `DOCKER_HOST` names (`unix://PATH`), else the default
    /// socket. Other schemes (`tcp://`, `ssh://`) are not supported.
    pub fn from_env() -> Result<Self> {
        match std::env::var("DOCKER_HOST") {
            Ok(host) if !host.is_empty() => Self::from_host(&host),
            _ => Ok(Self::new(DEFAULT_DOCKER_SOCKET)),
        }
    }

    /// Parses a `DOCKER_HOST` value.
    pub fn from_host(host: &str) -> Result<Self> {
        match host.strip_prefix("unix://") {
            Some(path) if !path.is_empty() => Ok(Self::new(path)),
            _ => Err(Error::Unsupported(format!(
                "DOCKER_HOST={host}: only unix sockets (unix:///path/to/docker.sock) are supported"
            ))),
        }
    }

    /// The socket path.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// `engine at unix:///…`, for error messages.
    fn describe(&self) -> String {
        format!("Docker engine at unix://{}", self.socket.display())
    }

    /// Inspects image `name` (a tag, id or digest reference).
    pub fn inspect(&self, name: &str) -> Result<EngineImage> {
        let ctx = format!("docker:{name} ({})", self.describe());
        let body = self.get(&format!("/images/{}/json", escape_path(name)), name)?;
        let bytes = read_limited(body, 16 << 20, &ctx)?;
        parse_json(&bytes, &ctx)
    }

    /// Streams the export (`docker save`) of image `name`.
    pub fn export(&self, name: &str) -> Result<Box<dyn Read + Send>> {
        self.get(&format!("/images/{}/get", escape_path(name)), name)
    }

    /// Inspects `name`, then streams its export (by image id, so a tag
    /// moved in between cannot mix two images) through [`read_export`].
    pub fn stream_image<T: Clone>(
        &self,
        name: &str,
        limits: &Limits,
        walk: impl FnMut(&mut MemberLayer<'_>) -> Result<T>,
    ) -> Result<StreamedImage<T>> {
        let info = self.inspect(name)?;
        let export = self.export(&info.id.to_string())?;
        let mut streamed = read_export(export, &format!("docker:{name}"), &info.id, limits, walk)?;
        streamed.image.reference = info
            .repo_tags
            .iter()
            .flatten()
            .find(|t| t.as_str() == name || t.strip_suffix(":latest") == Some(name))
            .or_else(|| info.repo_tags.iter().flatten().next())
            .cloned();
        Ok(streamed)
    }

    /// One `GET`; the body of a 2xx reply, else the engine's error.
    fn get(&self, path: &str, name: &str) -> Result<Box<dyn Read + Send>> {
        let ctx = format!("docker:{name} ({})", self.describe());
        let stream = UnixStream::connect(&self.socket).map_err(|e| Error::Io {
            context: format!("cannot connect to the {}", self.describe()),
            source: e,
        })?;
        stream
            .set_read_timeout(Some(READ_TIMEOUT))
            .map_err(|e| Error::from_io(&ctx, e))?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: drydock/{}\r\nConnection: close\r\n\r\n",
            env!("CARGO_PKG_VERSION")
        );
        (&stream)
            .write_all(request.as_bytes())
            .map_err(|e| Error::from_io(&ctx, e))?;
        let mut reader = BufReader::with_capacity(BUF, stream);
        let head = read_head(&mut reader).map_err(|e| Error::from_io(&ctx, e))?;
        let body: Box<dyn Read + Send> = if head.chunked {
            Box::new(ChunkedReader::new(reader))
        } else if let Some(n) = head.content_length {
            Box::new(ExactReader {
                inner: reader.take(n),
                left: n,
            })
        } else {
            Box::new(reader)
        };
        if (200..300).contains(&head.status) {
            return Ok(body);
        }
        let text =
            read_limited(body.take(MAX_ERROR_BODY), MAX_ERROR_BODY, &ctx).unwrap_or_default();
        #[derive(Deserialize)]
        struct Message {
            message: String,
        }
        let message = serde_json::from_slice::<Message>(&text)
            .map(|m| m.message)
            .unwrap_or_else(|_| String::from_utf8_lossy(&text).trim().to_owned());
        if head.status == 404 {
            return Err(Error::not_found(ctx, format!("image {name:?} ({message})")));
        }
        Err(Error::invalid(
            ctx,
            format!(
                "the engine replied {} to GET {path}: {message}",
                head.status
            ),
        ))
    }
}

/// Percent-encodes what is not safe in a URL path segment (a reference
/// keeps its `/`, `:` and `@`).
fn escape_path(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

struct Head {
    status: u16,
    chunked: bool,
    content_length: Option<u64>,
}

fn bad_data(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Reads the status line and headers (≤ [`MAX_HEAD_BYTES`]).
fn read_head(r: &mut impl BufRead) -> io::Result<Head> {
    let mut limited = r.take(MAX_HEAD_BYTES);
    let mut line = String::new();
    limited.read_line(&mut line)?;
    let status = line
        .strip_prefix("HTTP/1.")
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| {
            bad_data(format!(
                "not an HTTP/1.x status line: {:?}",
                line.trim_end()
            ))
        })?;
    let mut head = Head {
        status,
        chunked: false,
        content_length: None,
    };
    loop {
        line.clear();
        if limited.read_line(&mut line)? == 0 {
            return Err(bad_data("response headers too long or cut short"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            return Ok(head);
        }
        let Some((k, v)) = l.split_once(':') else {
            return Err(bad_data(format!("malformed header line {l:?}")));
        };
        let v = v.trim();
        if k.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = v.to_ascii_lowercase().ends_with("chunked");
        } else if k.eq_ignore_ascii_case("content-length") {
            let n = v
                .parse()
                .map_err(|_| bad_data(format!("bad Content-Length {v:?}")))?;
            head.content_length = Some(n);
        }
    }
}

/// A `Content-Length` body: ending early is an error.
struct ExactReader<R> {
    inner: io::Take<R>,
    left: u64,
}

impl<R: Read> Read for ExactReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.left > 0 && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("response body ended {} bytes early", self.left),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Decodes a chunked transfer-encoded body (RFC 9112 §7.1): size lines
/// (≤ 1 KiB, extensions ignored), data, trailers. A body cut short is an
/// `UnexpectedEof` error.
struct ChunkedReader<R> {
    inner: R,
    /// Bytes left in the current chunk.
    left: u64,
    done: bool,
}

impl<R: BufRead> ChunkedReader<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            left: 0,
            done: false,
        }
    }

    fn line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        (&mut self.inner).take(1024).read_line(&mut line)?;
        if !line.ends_with('\n') {
            return Err(if line.len() >= 1024 {
                bad_data("chunk size line too long")
            } else {
                io::Error::new(io::ErrorKind::UnexpectedEof, "response body cut short")
            });
        }
        Ok(line.trim_end().to_owned())
    }
}

impl<R: BufRead> Read for ChunkedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            let line = self.line()?;
            let size = line.split(';').next().unwrap_or("").trim();
            self.left = u64::from_str_radix(size, 16)
                .map_err(|_| bad_data(format!("bad chunk size {size:?}")))?;
            if self.left == 0 {
                // Trailers, up to the empty line.
                while !self.line()?.is_empty() {}
                self.done = true;
                return Ok(0);
            }
        }
        let want = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "response body cut short inside a chunk",
            ));
        }
        self.left -= n as u64;
        if self.left == 0 && !self.line()?.is_empty() {
            return Err(bad_data("chunk not followed by CRLF"));
        }
        Ok(n)
    }
}

/// An image read from an export stream: the image as the archive sources
/// resolve it, and the caller's per-layer results in image order
/// (`layers[i]` for `image.layers[i]`; a layer whose content appears at
/// several positions shares one walk).
#[derive(Debug, Clone)]
pub struct StreamedImage<T> {
    /// The image (config, layers with `diff_id`s and history).
    pub image: Image,
    /// The walk's result for each layer.
    pub layers: Vec<T>,
}

type Raw<'a> = BufReader<io::Chain<io::Cursor<Vec<u8>>, VerifyingReader<&'a mut dyn Read>>>;

enum Decoder<'a> {
    Plain(Raw<'a>),
    Gzip(Box<MultiGzDecoder<Raw<'a>>>),
    Zstd(zstd::stream::read::Decoder<'static, Raw<'a>>),
}

/// A layer member of an export as a decompressed tar stream, handed to the
/// walk of [`read_export`] before it is known which layer of the image it
/// is. Its `diff_id` (and, for OCI blobs, its stored digest) is checked
/// once it has been read to the end.
pub struct MemberLayer<'a> {
    decoder: Decoder<'a>,
    context: String,
    hasher: Hasher,
    produced: u64,
    cap: u64,
}

impl<'a> MemberLayer<'a> {
    fn new(
        head: Vec<u8>,
        raw: VerifyingReader<&'a mut dyn Read>,
        context: String,
        cap: u64,
    ) -> Result<Self> {
        let detected = Compression::sniff(&head);
        let raw: Raw<'a> = BufReader::with_capacity(BUF, io::Cursor::new(head).chain(raw));
        let decoder = match detected {
            Compression::Gzip => Decoder::Gzip(Box::new(MultiGzDecoder::new(raw))),
            Compression::Zstd => {
                let zstd_err = |e| Error::from_io(format!("{context} (zstd)"), e);
                let mut d = zstd::stream::read::Decoder::with_buffer(raw).map_err(zstd_err)?;
                // 2^27 = 128 MiB window, as for layers of the other sources.
                d.window_log_max(27).map_err(zstd_err)?;
                Decoder::Zstd(d)
            }
            Compression::None | Compression::Unknown => Decoder::Plain(raw),
        };
        Ok(Self {
            decoder,
            context,
            hasher: Hasher::new(Algorithm::Sha256),
            produced: 0,
            cap,
        })
    }

    /// `docker:NAME export member …`, for errors and walk contexts.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// Decompressed bytes produced so far.
    pub fn decompressed_bytes(&self) -> u64 {
        self.produced
    }

    /// Reads what the walk left, then checks the stored blob: its
    /// `diff_id` (digest of the decompressed tar) on success.
    fn finish(mut self) -> Result<Digest> {
        io::copy(&mut self, &mut io::sink()).map_err(|e| Error::from_io(&self.context, e))?;
        let mut raw = match self.decoder {
            Decoder::Plain(r) => r,
            Decoder::Gzip(d) => d.into_inner(),
            Decoder::Zstd(d) => d.finish(),
        };
        // Normally nothing is left: decoders read their input to EOF.
        io::copy(&mut raw, &mut io::sink())
            .map_err(|e| Error::from_io(format!("{} (stored blob)", self.context), e))?;
        Ok(self.hasher.finish())
    }
}

impl Read for MemberLayer<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match &mut self.decoder {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(d) => d.read(buf),
            Decoder::Zstd(d) => d.read(buf),
        }?;
        self.produced += n as u64;
        if self.produced > self.cap {
            return Err(Error::DecompressionLimit {
                context: self.context.clone(),
                limit: self.cap,
            }
            .into_io());
        }
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// What a member of an export is, by its name.
#[derive(Debug, PartialEq, Eq)]
enum Member {
    /// The image config (`<id hex>.json`, `blobs/sha256/<id hex>`).
    Config,
    /// A legacy `<v1 id>/layer.tar`.
    LegacyLayer,
    /// An OCI blob other than the config: a layer or a manifest/index
    /// (told apart by its first bytes).
    Blob(Digest),
    /// `manifest.json`, `repositories`, `index.json`, `oci-layout`,
    /// `<v1 id>/VERSION`, `<v1 id>/json`, directories: not needed.
    Skip,
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Classifies member `name` (normalised, no leading `/`); `None` for names
/// no `docker save` archive has.
fn classify(name: &str, is_dir: bool, config: &Digest) -> Option<Member> {
    let parts: Vec<&str> = name.split('/').collect();
    match parts.as_slice() {
        ["manifest.json" | "repositories" | "index.json" | "oci-layout"] if !is_dir => {
            Some(Member::Skip)
        }
        [file] if !is_dir => {
            let hex = file.strip_suffix(".json")?;
            (config.algorithm() == Algorithm::Sha256 && hex == config.hex())
                .then_some(Member::Config)
        }
        [dir] if is_dir && is_hex64(dir) => Some(Member::Skip),
        ["blobs"] | ["blobs", "sha256" | "sha512"] if is_dir => Some(Member::Skip),
        [dir, "VERSION" | "json"] if is_hex64(dir) && !is_dir => Some(Member::Skip),
        [dir, "layer.tar"] if is_hex64(dir) && !is_dir => Some(Member::LegacyLayer),
        ["blobs", alg, hex] if !is_dir => {
            let digest = Digest::parse(&format!("{alg}:{hex}")).ok()?;
            Some(if &digest == config {
                Member::Config
            } else {
                Member::Blob(digest)
            })
        }
        _ => None,
    }
}

/// Whether a blob starting with `head` is a layer: gzip or zstd, a tar
/// header (`ustar` magic), or the zero blocks of an empty tar.
fn looks_like_layer(head: &[u8]) -> bool {
    Compression::sniff(head) != Compression::None
        || head.get(257..262) == Some(b"ustar")
        || (head.len() == 512 && head.iter().all(|b| *b == 0))
}

/// Reads up to 512 bytes.
fn read_head_bytes(r: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(512);
    r.take(512).read_to_end(&mut head)?;
    Ok(head)
}

struct Walked<T> {
    member: String,
    digest: Option<Digest>,
    size: u64,
    result: T,
}

/// Consumes an export tar (`docker save` format, legacy or OCI-in-tar) of
/// the image whose config digest is `config` in one pass, calling `walk` on
/// each layer member as it arrives (see the module docs). `source` names
/// the image in errors and in [`Image::source`].
pub fn read_export<T: Clone>(
    export: impl Read,
    source: &str,
    config: &Digest,
    limits: &Limits,
    mut walk: impl FnMut(&mut MemberLayer<'_>) -> Result<T>,
) -> Result<StreamedImage<T>> {
    let ctx = format!("{source} export");
    let mut archive = tar::Archive::new(BufReader::with_capacity(BUF, export));
    let mut walked: HashMap<Digest, Walked<T>> = HashMap::new();
    let mut raw_config = None;
    let mut notes = Vec::new();
    let mut members = 0usize;
    let mut last = 0u64;
    let entries = archive.entries().map_err(|e| Error::from_tar(&ctx, 0, e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| Error::from_tar(&ctx, last, e))?;
        last = entry.raw_header_position();
        members += 1;
        if members > limits.max_archive_members {
            return Err(Error::TooLarge {
                context: format!("{ctx}: member count"),
                size: members as u64,
                limit: limits.max_archive_members as u64,
            });
        }
        let norm = normalise(&entry.path_bytes());
        let name = norm.path.trim_start_matches('/').to_owned();
        let kind = entry.header().entry_type();
        let member_ctx = format!("{ctx} member {name}");
        let unexpected = || {
            Error::invalid(
                &member_ctx,
                "unexpected member (not part of a `docker save` archive of this image)",
            )
        };
        if norm.dotdot || norm.non_utf8 {
            return Err(unexpected());
        }
        if kind.is_symlink() || kind.is_hard_link() {
            // Legacy exports link a layer seen twice to its first copy;
            // layers are matched by content, so links add nothing.
            classify(&name, false, config).ok_or_else(unexpected)?;
            continue;
        }
        if kind.is_pax_global_extensions() {
            continue;
        }
        let is_dir = kind.is_dir();
        if !is_dir && !kind.is_file() {
            return Err(unexpected());
        }
        let size = entry.size();
        let (digest, head, raw) = match classify(&name, is_dir, config).ok_or_else(unexpected)? {
            Member::Skip => continue,
            Member::Config => {
                let bytes = read_limited(&mut entry, limits.max_json_bytes, &member_ctx)?;
                config.verify(&bytes, &format!("{member_ctx} (config of image {config})"))?;
                raw_config = Some((name, bytes));
                continue;
            }
            Member::LegacyLayer => {
                let raw: &mut dyn Read = &mut entry;
                let mut raw = VerifyingReader::new(raw, None, None, &member_ctx);
                let head = read_head_bytes(&mut raw).map_err(|e| Error::from_io(&member_ctx, e))?;
                (None, head, raw)
            }
            Member::Blob(digest) => {
                let raw: &mut dyn Read = &mut entry;
                let mut raw = VerifyingReader::new(raw, Some(digest.clone()), None, &member_ctx);
                let head = read_head_bytes(&mut raw).map_err(|e| Error::from_io(&member_ctx, e))?;
                if !looks_like_layer(&head) {
                    // A manifest or index: only its digest is checked.
                    io::copy(&mut raw, &mut io::sink())
                        .map_err(|e| Error::from_io(&member_ctx, e))?;
                    continue;
                }
                (Some(digest), head, raw)
            }
        };
        let mut layer = MemberLayer::new(head, raw, member_ctx.clone(), limits.max_layer_bytes)?;
        let result = walk(&mut layer)?;
        let diff_id = layer.finish()?;
        if let Some(first) = walked.get(&diff_id) {
            notes.push(format!(
                "{member_ctx} repeats the content of {} (diff_id {diff_id}); the first is used",
                first.member
            ));
            continue;
        }
        walked.insert(
            diff_id,
            Walked {
                member: name,
                digest,
                size,
                result,
            },
        );
    }
    let Some((config_name, raw_config)) = raw_config else {
        return Err(Error::not_found(
            &ctx,
            format!("the image config (blob {config}); the export is incomplete"),
        ));
    };
    let config_ctx = format!("{ctx} member {config_name}");
    // The config's layer list decides which members are layers, and where.
    let parsed: crate::config::ImageConfig = parse_json(&raw_config, &config_ctx)?;
    let diff_ids = parsed.rootfs.map(|r| r.diff_ids).unwrap_or_default();
    let mut strangers: Vec<(&Digest, &Walked<T>)> = walked
        .iter()
        .filter(|(d, _)| !diff_ids.contains(d))
        .collect();
    strangers.sort_by(|a, b| a.1.member.cmp(&b.1.member));
    for (d, w) in strangers {
        if w.digest.is_none() {
            return Err(Error::invalid(
                format!("{ctx} member {}", w.member),
                format!("content has diff_id {d}, which is not a layer of image {config}"),
            ));
        }
        // An intact content-addressed blob of something else (another
        // platform of a multi-platform export): not this image's.
        notes.push(format!(
            "{ctx} member {}: not a layer of this image (diff_id {d}); ignored",
            w.member
        ));
    }
    let mut layers = Vec::with_capacity(diff_ids.len());
    let mut results = Vec::with_capacity(diff_ids.len());
    for (i, d) in diff_ids.iter().enumerate() {
        let w = walked.get(d).ok_or_else(|| {
            Error::not_found(
                &ctx,
                format!("a member with the content of layer {i} (diff_id {d})"),
            )
        })?;
        let mut layer = Layer::new(i, w.member.clone());
        layer.digest = w.digest.clone();
        layer.size = Some(w.size);
        layers.push(layer);
        results.push(w.result.clone());
    }
    let mut image = Image::assemble(
        source.to_owned(),
        raw_config,
        &config_ctx,
        Some(config.clone()),
        layers,
    )?;
    image.notes.extend(notes);
    Ok(StreamedImage {
        image,
        layers: results,
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    /// A layer tar holding `files` (path, content).
    fn layer(files: &[(&str, &str)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, data) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, path, data.as_bytes()).unwrap();
        }
        b.into_inner().unwrap()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn config(diff_ids: &[Digest]) -> Vec<u8> {
        let ids: Vec<String> = diff_ids.iter().map(ToString::to_string).collect();
        let history: Vec<serde_json::Value> = (0..ids.len())
            .map(|i| serde_json::json!({"created_by": format!("RUN step {i}")}))
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64", "os": "linux",
            "config": {"Env": ["PATH=/bin"]},
            "rootfs": {"type": "layers", "diff_ids": ids},
            "history": history,
        }))
        .unwrap()
    }

    enum Item {
        File(String, Vec<u8>),
        Dir(String),
        Symlink(String, String),
    }

    fn export(items: &[Item]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for item in items {
            let mut h = tar::Header::new_ustar();
            h.set_mode(0o644);
            match item {
                Item::File(name, data) => {
                    // Raw name bytes: hostile names (`..`) included.
                    h.as_mut_bytes()[..name.len()].copy_from_slice(name.as_bytes());
                    h.set_size(data.len() as u64);
                    h.set_cksum();
                    b.append(&h, &data[..]).unwrap();
                }
                Item::Dir(name) => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_size(0);
                    h.set_cksum();
                    b.append_data(&mut h, name, io::empty()).unwrap();
                }
                Item::Symlink(name, target) => {
                    h.set_entry_type(tar::EntryType::Symlink);
                    h.set_size(0);
                    b.append_link(&mut h, name, target).unwrap();
                }
            }
        }
        b.into_inner().unwrap()
    }

    /// Three layers and a legacy export of them (`<v1 id>/layer.tar`,
    /// v1 ids unrelated to the layer order, as Docker's are).
    struct Legacy {
        layers: Vec<Vec<u8>>,
        diff_ids: Vec<Digest>,
        config: Vec<u8>,
        id: Digest,
    }

    fn legacy() -> Legacy {
        let layers = vec![
            layer(&[("etc/os-release", "ID=test\n"), ("bin/sh", "#!")]),
            layer(&[("root/.ssh/id_rsa", "KEY")]),
            layer(&[("root/.ssh/.wh.id_rsa", ""), ("app/run", "x")]),
        ];
        let diff_ids: Vec<Digest> = layers.iter().map(|l| Digest::sha256_of(l)).collect();
        let config = config(&diff_ids);
        let id = Digest::sha256_of(&config);
        Legacy {
            layers,
            diff_ids,
            config,
            id,
        }
    }

    fn v1(i: usize) -> String {
        // Descending with the layer index: the stream order is not the image order.
        format!("{}", (b'f' - i as u8) as char).repeat(64)
    }

    fn legacy_items(l: &Legacy, layer_order: &[usize]) -> Vec<Item> {
        let mut items = vec![Item::File(format!("{}.json", l.id.hex()), l.config.clone())];
        for &i in layer_order {
            items.push(Item::Dir(format!("{}/", v1(i))));
            items.push(Item::File(format!("{}/VERSION", v1(i)), b"1.0".to_vec()));
            items.push(Item::File(format!("{}/json", v1(i)), b"{}".to_vec()));
            items.push(Item::File(
                format!("{}/layer.tar", v1(i)),
                l.layers[i].clone(),
            ));
        }
        let manifest = serde_json::json!([{
            "Config": format!("{}.json", l.id.hex()),
            "RepoTags": ["app:1"],
            "Layers": (0..l.layers.len()).map(|i| format!("{}/layer.tar", v1(i))).collect::<Vec<_>>(),
        }]);
        items.push(Item::File(
            "manifest.json".into(),
            manifest.to_string().into_bytes(),
        ));
        items.push(Item::File("repositories".into(), b"{}".to_vec()));
        items
    }

    /// The walk used by the tests: the paths of the layer's entries.
    fn read(bytes: &[u8], id: &Digest, limits: &Limits) -> Result<StreamedImage<Vec<String>>> {
        read_export(bytes, "docker:app", id, limits, |layer| {
            let mut paths = Vec::new();
            let opts = crate::WalkOptions {
                context: layer.context().to_owned(),
                max_entries: 100,
            };
            crate::walk_layer_with(
                layer,
                &mut |e: &mut crate::Entry<'_>| {
                    paths.push(e.meta.path.clone());
                    Ok(())
                },
                &opts,
            )?;
            Ok(paths)
        })
    }

    fn expected_paths() -> Vec<Vec<String>> {
        vec![
            vec!["/etc/os-release".into(), "/bin/sh".into()],
            vec!["/root/.ssh/id_rsa".into()],
            vec!["/root/.ssh/.wh.id_rsa".into(), "/app/run".into()],
        ]
    }

    #[test]
    fn legacy_export_in_any_member_order_gives_layers_in_image_order() {
        let l = legacy();
        for order in [[0, 1, 2], [2, 1, 0], [1, 2, 0]] {
            let mut items = legacy_items(&l, &order);
            // The config last, as Docker 20.10 may write it.
            items.rotate_left(1);
            let s = read(&export(&items), &l.id, &Limits::default()).unwrap();
            assert_eq!(s.layers, expected_paths(), "{order:?}");
            let diff_ids: Vec<_> = s
                .image
                .layers
                .iter()
                .map(|x| x.diff_id.clone().unwrap())
                .collect();
            assert_eq!(diff_ids, l.diff_ids);
            assert_eq!(s.image.layers[1].location, format!("{}/layer.tar", v1(1)));
            assert_eq!(s.image.layers[2].created_by(), Some("RUN step 2"));
            assert_eq!(s.image.config_digest.as_ref(), Some(&l.id));
            assert_eq!(s.image.source, "docker:app");
            assert!(s.image.notes.is_empty(), "{:?}", s.image.notes);
        }
    }

    #[test]
    fn a_layer_repeated_through_a_symlink_is_walked_once_and_used_twice() {
        let base = layer(&[("a", "1")]);
        let mid = layer(&[("b", "2")]);
        let diff_ids = vec![
            Digest::sha256_of(&base),
            Digest::sha256_of(&mid),
            Digest::sha256_of(&base),
        ];
        let cfg = config(&diff_ids);
        let id = Digest::sha256_of(&cfg);
        let items = vec![
            Item::File(format!("{}/layer.tar", v1(0)), base),
            Item::File(format!("{}/layer.tar", v1(1)), mid),
            Item::Symlink(
                format!("{}/layer.tar", v1(2)),
                format!("../{}/layer.tar", v1(0)),
            ),
            Item::File(format!("{}.json", id.hex()), cfg),
        ];
        let s = read(&export(&items), &id, &Limits::default()).unwrap();
        assert_eq!(
            s.layers,
            vec![vec!["/a".to_owned()], vec!["/b".into()], vec!["/a".into()]]
        );
    }

    #[test]
    fn a_layer_missing_from_the_stream_is_an_error() {
        let l = legacy();
        let e = read(
            &export(&legacy_items(&l, &[0, 2])),
            &l.id,
            &Limits::default(),
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
        assert!(
            msg.contains("docker:app export")
                && msg.contains(&format!(
                    "a member with the content of layer 1 (diff_id {}) not found",
                    l.diff_ids[1]
                )),
            "{msg}"
        );
    }

    #[test]
    fn a_layer_tar_that_is_no_layer_of_the_image_is_an_error() {
        let l = legacy();
        let mut items = legacy_items(&l, &[0, 1, 2]);
        let stranger = layer(&[("etc/passwd", "root:x:0:0::/root:/bin/sh\n")]);
        items.insert(
            1,
            Item::File(format!("{}/layer.tar", "a".repeat(64)), stranger.clone()),
        );
        let e = read(&export(&items), &l.id, &Limits::default()).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("member {}/layer.tar", "a".repeat(64)))
                && msg.contains(&format!(
                    "content has diff_id {}",
                    Digest::sha256_of(&stranger)
                ))
                && msg.contains("not a layer of image"),
            "{msg}"
        );
        // A layer whose bytes were altered: its own diff_id is then missing.
        let mut items = legacy_items(&l, &[0, 1, 2]);
        let mut altered = l.layers[1].clone();
        let at = altered.windows(3).position(|w| w == b"KEY").unwrap();
        altered[at] = b'k';
        items[8] = Item::File(format!("{}/layer.tar", v1(1)), altered);
        let msg = read(&export(&items), &l.id, &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("not a layer of image"), "{msg}");
    }

    #[test]
    fn unexpected_members_and_a_bad_config_are_errors() {
        let l = legacy();
        for bad in [
            "etc/passwd",
            "../manifest.json",
            &format!("{}/other", v1(0)),
        ] {
            let mut items = legacy_items(&l, &[0, 1, 2]);
            items.push(Item::File(bad.to_owned(), b"x".to_vec()));
            let msg = match read(&export(&items), &l.id, &Limits::default()) {
                Err(e) => e.to_string(),
                Ok(_) => panic!("{bad} accepted"),
            };
            assert!(msg.contains("unexpected member"), "{bad}: {msg}");
        }
        // No config.
        let mut items = legacy_items(&l, &[0, 1, 2]);
        items.remove(0);
        let msg = read(&export(&items), &l.id, &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("the image config") && msg.contains("not found"),
            "{msg}"
        );
        // A config that is not the one the id names.
        let mut items = legacy_items(&l, &[0, 1, 2]);
        let mut other = l.config.clone();
        other.push(b' ');
        items[0] = Item::File(format!("{}.json", l.id.hex()), other);
        let e = read(&export(&items), &l.id, &Limits::default()).unwrap_err();
        assert!(matches!(e, Error::DigestMismatch { .. }), "{e:?}");
    }

    #[test]
    fn oci_in_tar_export_with_compressed_and_plain_blobs() {
        let l = legacy();
        // Layer 0 gzip-compressed (containerd store), the others plain (classic store).
        let blob0 = gzip(&l.layers[0]);
        let blobs = [blob0, l.layers[1].clone(), l.layers[2].clone()];
        let digests: Vec<Digest> = blobs.iter().map(|b| Digest::sha256_of(b)).collect();
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": l.id, "size": l.config.len()},
            "layers": digests.iter().zip(&blobs).map(|(d, b)| serde_json::json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": b.len()})).collect::<Vec<_>>(),
        })
        .to_string()
        .into_bytes();
        let other_platform = gzip(&layer(&[("lib/arm64", "z")]));
        let mut named: Vec<(Digest, Vec<u8>)> = vec![
            (l.id.clone(), l.config.clone()),
            (Digest::sha256_of(&manifest), manifest),
            (Digest::sha256_of(&other_platform), other_platform),
        ];
        named.extend(digests.iter().cloned().zip(blobs.iter().cloned()));
        named.sort();
        let mut items = vec![
            Item::Dir("blobs/".into()),
            Item::Dir("blobs/sha256/".into()),
        ];
        items.extend(
            named
                .iter()
                .map(|(d, b)| Item::File(d.blob_path(), b.clone())),
        );
        items.push(Item::File("index.json".into(), b"{}".to_vec()));
        items.push(Item::File("manifest.json".into(), b"[]".to_vec()));
        items.push(Item::File("oci-layout".into(), b"{}".to_vec()));
        let s = read(&export(&items), &l.id, &Limits::default()).unwrap();
        assert_eq!(s.layers, expected_paths());
        assert_eq!(s.image.layers[0].digest.as_ref(), Some(&digests[0]));
        assert_eq!(s.image.layers[0].diff_id.as_ref(), Some(&l.diff_ids[0]));
        assert_eq!(s.image.notes.len(), 1, "{:?}", s.image.notes);
        assert!(
            s.image.notes[0].contains("not a layer of this image"),
            "{:?}",
            s.image.notes
        );

        // A blob that does not hash to its name.
        let mut tampered = items;
        let pos = tampered
            .iter()
            .position(|i| matches!(i, Item::File(n, _) if *n == digests[1].blob_path()))
            .unwrap();
        tampered[pos] = Item::File(digests[1].blob_path(), l.layers[0].clone());
        let e = read(&export(&tampered), &l.id, &Limits::default()).unwrap_err();
        assert!(matches!(e, Error::DigestMismatch { .. }), "{e:?}");
        assert!(e.to_string().contains(&digests[1].blob_path()), "{e}");
    }

    #[test]
    fn decompressed_size_is_capped() {
        let l = legacy();
        let limits = Limits {
            max_layer_bytes: 1024,
            ..Limits::default()
        };
        let e = read(&export(&legacy_items(&l, &[0, 1, 2])), &l.id, &limits).unwrap_err();
        assert!(matches!(e, Error::DecompressionLimit { .. }), "{e:?}");
    }

    #[test]
    fn a_truncated_export_is_an_error() {
        let l = legacy();
        let bytes = export(&legacy_items(&l, &[0, 1, 2]));
        let e = read(&bytes[..bytes.len() / 2], &l.id, &Limits::default()).unwrap_err();
        assert!(e.to_string().contains("docker:app export"), "{e}");
    }

    fn dechunk(body: &[u8]) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        ChunkedReader::new(body).read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn chunked_bodies_are_decoded() {
        assert_eq!(
            dechunk(b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nTrailer: x\r\n\r\n").unwrap(),
            b"hello, world"
        );
        assert_eq!(
            dechunk(b"A\r\n0123456789\r\n0\r\n\r\n").unwrap(),
            b"0123456789"
        );
        let cut = dechunk(b"5\r\nhel").unwrap_err();
        assert_eq!(cut.kind(), io::ErrorKind::UnexpectedEof);
        let no_end = dechunk(b"5\r\nhello\r\n").unwrap_err();
        assert_eq!(no_end.kind(), io::ErrorKind::UnexpectedEof);
        assert!(
            dechunk(b"zz\r\nhello\r\n")
                .unwrap_err()
                .to_string()
                .contains("bad chunk size")
        );
        assert!(
            dechunk(b"2\r\nhello\r\n")
                .unwrap_err()
                .to_string()
                .contains("CRLF")
        );
        let long = format!("{}\r\n", "1".repeat(2000));
        assert!(
            dechunk(long.as_bytes())
                .unwrap_err()
                .to_string()
                .contains("too long")
        );
    }

    #[test]
    fn response_heads_are_parsed() {
        let mut r = &b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n"[..];
        let h = read_head(&mut r).unwrap();
        assert_eq!(
            (h.status, h.chunked, h.content_length),
            (404, false, Some(12))
        );
        let mut r = &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"[..];
        assert!(read_head(&mut r).unwrap().chunked);
        for bad in [
            &b"SSH-2.0\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n",
        ] {
            assert!(
                read_head(&mut &bad[..]).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn hosts_and_paths() {
        assert_eq!(
            DockerEngine::from_host("unix:///run/x.sock")
                .unwrap()
                .socket(),
            Path::new("/run/x.sock")
        );
        let e = DockerEngine::from_host("tcp://127.0.0.1:2375").unwrap_err();
        assert!(e.to_string().contains("only unix sockets"), "{e}");
        assert_eq!(
            escape_path("reg.example.test:5000/a/b:1@sha256:ab"),
            "reg.example.test:5000/a/b:1@sha256:ab"
        );
        assert_eq!(escape_path("a b?c#"), "a%20b%3Fc%23");
    }

    #[test]
    fn docker_prefix_names_an_engine_image() {
        use crate::ImageRef;
        for (s, name) in [
            ("docker:app:1", "app:1"),
            ("docker-daemon:app", "app"),
            ("docker:sha256:ab", "sha256:ab"),
        ] {
            assert_eq!(
                ImageRef::parse(s).unwrap(),
                ImageRef::Daemon(name.into()),
                "{s}"
            );
        }
        assert_eq!(
            ImageRef::parse("docker://reg.example.test/app").unwrap(),
            ImageRef::Registry("reg.example.test/app".into())
        );
        assert!(ImageRef::parse("docker:").is_err());
    }

    #[test]
    fn an_absent_engine_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("none.sock");
        let e = DockerEngine::new(&sock).inspect("app").unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("cannot connect to the Docker engine at unix://")
                && msg.contains("none.sock"),
            "{msg}"
        );
    }
}
