//! Getting index files: over HTTP(S), from a mirror, from a local index
//! folder, with an optional cache directory.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Largest compressed index or Release file fetched.
const MAX_FETCH_BYTES: u64 = 256 << 20;

/// Where indexes come from.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    /// URL rewrites, applied in order (first match wins).
    pub mirrors: Vec<Mirror>,
    /// Read indexes from this folder instead of the network: the URL
    /// `http://HOST[:PORT]/PATH` is the file `DIR/HOST[:PORT]/PATH` (the
    /// layout `wget -x` and apt-mirror produce), `file:/PATH` is `DIR/PATH`.
    pub index_dir: Option<PathBuf>,
    /// Keep fetched indexes here: `Release` files are revalidated with
    /// `If-None-Match`/`If-Modified-Since` (and re-verified on every use),
    /// package indexes are stored by the SHA-256 their signed Release lists,
    /// so a cached copy is used exactly as long as the Release still lists it.
    pub cache_dir: Option<PathBuf>,
    /// Per-request timeout (default 60 s).
    pub timeout: Option<Duration>,
}

/// `--mirror`: `FROM=TO` replaces the URL prefix `FROM` by `TO`; a bare `TO`
/// replaces every repository's base URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirror {
    /// Prefix to replace; `None`: every repository.
    pub from: Option<String>,
    /// Replacement.
    pub to: String,
}

impl std::str::FromStr for Mirror {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (from, to) = match s.split_once('=') {
            Some((from, to)) => (Some(from.trim_end_matches('/').to_owned()), to),
            None => (None, s),
        };
        let to = to.trim_end_matches('/').to_owned();
        let url_like = |u: &str| {
            u.starts_with("http://") || u.starts_with("https://") || u.starts_with("file:")
        };
        if !url_like(&to) || from.as_deref().is_some_and(|f| !url_like(f)) {
            return Err(format!(
                "{s:?}: expected URL or FROM_URL=TO_URL (http, https or file)"
            ));
        }
        Ok(Mirror { from, to })
    }
}

pub(crate) struct Fetcher {
    client: reqwest::blocking::Client,
    options: FetchOptions,
    /// Bytes received over the network (bodies).
    pub(crate) fetched_bytes: AtomicU64,
    /// Files served from the cache directory instead of the network.
    pub(crate) cache_hits: AtomicU64,
}

impl Fetcher {
    pub(crate) fn new(options: FetchOptions) -> Result<Self> {
        let client = reqwest::blocking::Client::builder()
            .timeout(options.timeout.unwrap_or(Duration::from_secs(60)))
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("drydock/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Fetch {
                url: String::new(),
                message: format!("cannot create the HTTP client: {e}"),
            })?;
        if let Some(dir) = &options.cache_dir {
            for sub in ["release", "by-hash"] {
                let d = dir.join(sub);
                std::fs::create_dir_all(&d).map_err(|e| cache_error(&d, e))?;
            }
        }
        Ok(Fetcher {
            client,
            options,
            fetched_bytes: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
        })
    }

    /// The base URI a repository is fetched from after `--mirror` rewrites.
    /// `file:` URIs of the image itself (paths inside the image) are refused
    /// unless rewritten or served by the index folder.
    pub(crate) fn base(&self, uri: &str) -> Result<String> {
        for m in &self.options.mirrors {
            match &m.from {
                None => return Ok(m.to.clone()),
                Some(from) => {
                    if let Some(rest) = uri.strip_prefix(from.as_str())
                        && (rest.is_empty() || rest.starts_with('/'))
                    {
                        return Ok(format!("{}{rest}", m.to));
                    }
                }
            }
        }
        let Some(path) = uri.strip_prefix("file:") else {
            return Ok(uri.to_owned());
        };
        let Some(dir) = &self.options.index_dir else {
            return Err(Error::Fetch {
                url: uri.to_owned(),
                message: "a file: repository is a path inside the image; give its contents \
                          with --mirror FILE_URI=URL or --index-dir"
                    .into(),
            });
        };
        let local = checked(uri, dir, dir.join(path.trim_start_matches('/')))?;
        Ok(format!("file:{}", local.display()))
    }

    /// GETs a Release-type file (small, changing): `None` when absent (404/410).
    pub(crate) fn get_release(&self, url: &str) -> Result<Option<Vec<u8>>> {
        if let Some(path) = self.local_path(url)? {
            return read_optional(url, &path);
        }
        let cached = self.options.cache_dir.as_ref().map(|d| {
            let key = hex::encode(Sha256::digest(url.as_bytes()));
            d.join("release").join(key)
        });
        let validators = cached
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p.with_extension("validators")).ok());
        let mut request = self.client.get(url);
        if let (Some(v), Some(p)) = (&validators, &cached)
            && p.exists()
        {
            let mut lines = v.lines();
            if let Some(etag) = lines.next().filter(|l| !l.is_empty()) {
                request = request.header("If-None-Match", etag);
            }
            if let Some(modified) = lines.next().filter(|l| !l.is_empty()) {
                request = request.header("If-Modified-Since", modified);
            }
        }
        let response = request.send().map_err(|e| fetch_error(url, &e))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_MODIFIED
            && let Some(p) = &cached
        {
            tracing::debug!("{url}: not modified, using the cache");
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
            return std::fs::read(p).map(Some).map_err(|e| cache_error(p, e));
        }
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Ok(None);
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let new_validators = format!("{}\n{}\n", header("etag"), header("last-modified"));
        let body = read_body(url, response)?;
        self.fetched_bytes
            .fetch_add(body.len() as u64, Ordering::Relaxed);
        if let Some(p) = &cached {
            write_atomic(p, &body)?;
            write_atomic(&p.with_extension("validators"), new_validators.as_bytes())?;
        }
        Ok(Some(body))
    }

    /// GETs an index whose SHA-256 and size a verified Release lists, and
    /// checks them. Served from the cache when a copy with that hash exists.
    pub(crate) fn get_verified(&self, url: &str, sha256: &str, size: u64) -> Result<Vec<u8>> {
        let cached = self
            .options
            .cache_dir
            .as_ref()
            .map(|d| d.join("by-hash").join(sha256));
        if let Some(p) = &cached
            && let Ok(data) = std::fs::read(p)
            && hex::encode(Sha256::digest(&data)) == sha256
        {
            tracing::debug!("{url}: from the cache");
            self.cache_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(data);
        }
        let data = match self.local_path(url)? {
            Some(path) => read_optional(url, &path)?,
            None => {
                let response = self
                    .client
                    .get(url)
                    .send()
                    .map_err(|e| fetch_error(url, &e))?;
                let body = read_body(url, response)?;
                self.fetched_bytes
                    .fetch_add(body.len() as u64, Ordering::Relaxed);
                Some(body)
            }
        };
        let Some(data) = data else {
            return Err(Error::Fetch {
                url: url.to_owned(),
                message: "not found (listed in the signed Release)".into(),
            });
        };
        let actual = hex::encode(Sha256::digest(&data));
        if actual != sha256 || data.len() as u64 != size {
            return Err(Error::Checksum {
                url: url.to_owned(),
                message: format!(
                    "does not match its signed Release: expected SHA-256 {sha256} ({size} bytes), \
                     got {actual} ({} bytes)",
                    data.len()
                ),
            });
        }
        if let Some(p) = &cached {
            write_atomic(p, &data)?;
        }
        Ok(data)
    }

    /// The file in the index folder that stands for `url`, or the path of a
    /// `file:` URL; `None` for network URLs.
    fn local_path(&self, url: &str) -> Result<Option<PathBuf>> {
        if let Some(path) = url
            .strip_prefix("file://")
            .or_else(|| url.strip_prefix("file:"))
        {
            return Ok(Some(PathBuf::from(path)));
        }
        match &self.options.index_dir {
            Some(dir) => {
                let rest = url.split_once("://").map_or(url, |(_, r)| r);
                checked(url, dir, dir.join(rest)).map(Some)
            }
            None => Ok(None),
        }
    }
}

/// Refuses paths that leave the index folder.
fn checked(url: &str, dir: &Path, path: PathBuf) -> Result<PathBuf> {
    if path.strip_prefix(dir).is_ok_and(|r| {
        r.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
    }) {
        Ok(path)
    } else {
        Err(Error::Fetch {
            url: url.to_owned(),
            message: "maps outside the index folder".into(),
        })
    }
}

fn read_optional(url: &str, path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Ok(m) if m.len() > MAX_FETCH_BYTES => {
            return Err(Error::index(
                url,
                format!("{} is larger than {MAX_FETCH_BYTES} bytes", path.display()),
            ));
        }
        _ => {}
    }
    std::fs::read(path).map(Some).map_err(|e| Error::Fetch {
        url: url.to_owned(),
        message: format!("{}: {e}", path.display()),
    })
}

fn read_body(url: &str, response: reqwest::blocking::Response) -> Result<Vec<u8>> {
    let status = response.status();
    if !status.is_success() {
        return Err(Error::Fetch {
            url: url.to_owned(),
            message: format!("HTTP {status}"),
        });
    }
    let mut body = Vec::new();
    response
        .take(MAX_FETCH_BYTES + 1)
        .read_to_end(&mut body)
        .map_err(|e| Error::Fetch {
            url: url.to_owned(),
            message: format!("reading the body: {e}"),
        })?;
    if body.len() as u64 > MAX_FETCH_BYTES {
        return Err(Error::index(
            url,
            format!("larger than {MAX_FETCH_BYTES} bytes"),
        ));
    }
    Ok(body)
}

fn fetch_error(url: &str, e: &reqwest::Error) -> Error {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Error::Fetch {
        url: url.to_owned(),
        message,
    }
}

pub(crate) fn cache_error(path: &Path, e: std::io::Error) -> Error {
    Error::Cache {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

pub(crate) fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, data)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| cache_error(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fetcher(mirrors: &[&str], index_dir: Option<&str>) -> Fetcher {
        Fetcher::new(FetchOptions {
            mirrors: mirrors.iter().map(|m| m.parse().unwrap()).collect(),
            index_dir: index_dir.map(PathBuf::from),
            ..FetchOptions::default()
        })
        .unwrap()
    }

    #[test]
    fn mirrors_rewrite_prefixes_or_everything() {
        let f = fetcher(
            &[
                "http://deb.example.test/debian=http://m.example.test/d/",
                "http://other.example.test=file:/srv/o",
            ],
            None,
        );
        assert_eq!(
            f.base("http://deb.example.test/debian").unwrap(),
            "http://m.example.test/d"
        );
        assert_eq!(
            f.base("http://deb.example.test/debian-security").unwrap(),
            "http://deb.example.test/debian-security"
        );
        assert_eq!(
            f.base("http://other.example.test/x").unwrap(),
            "file:/srv/o/x"
        );
        let all = fetcher(&["https://m.example.test/all"], None);
        assert_eq!(
            all.base("http://deb.example.test/debian").unwrap(),
            "https://m.example.test/all"
        );
        let e = fetcher(&[], None).base("file:/srv/repo").unwrap_err();
        assert!(e.to_string().contains("path inside the image"), "{e}");
        assert!("ftp://x".parse::<Mirror>().is_err());
        assert!("x=http://y".parse::<Mirror>().is_err());
    }

    #[test]
    fn index_dir_maps_urls_to_files_and_stays_inside() {
        let f = fetcher(&[], Some("/idx"));
        assert_eq!(
            f.local_path("http://h.example.test:8080/debian/dists/x/InRelease")
                .unwrap(),
            Some(PathBuf::from(
                "/idx/h.example.test:8080/debian/dists/x/InRelease"
            ))
        );
        assert_eq!(f.base("file:/srv/repo").unwrap(), "file:/idx/srv/repo");
        assert_eq!(
            f.local_path("file:/idx/srv/repo/x").unwrap(),
            Some(PathBuf::from("/idx/srv/repo/x"))
        );
        assert!(f.base("file:/srv/../../etc").is_err());
        assert!(
            f.local_path("http://h.example.test/../../etc/passwd")
                .is_err()
        );
        assert_eq!(
            fetcher(&[], None)
                .local_path("https://h.example.test/x")
                .unwrap(),
            None
        );
    }
}
