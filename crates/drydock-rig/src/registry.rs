//! Debian's `docker-registry` (CNCF distribution 2.8) on 127.0.0.1.

use std::fmt::Write as _;
use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::http::{self, Response};
use crate::proc::{Supervisor, require, wait_until};
use crate::{Error, Result, hex};

const REGISTRY: &str = "/usr/bin/docker-registry";

/// Accept header covering Docker v2 and OCI manifests and indexes.
pub const MANIFEST_ACCEPT: &str = "application/vnd.docker.distribution.manifest.v2+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

/// One `notifications.endpoints` entry of the registry config.
#[derive(Debug, Clone)]
pub struct NotificationEndpoint {
    /// Endpoint name.
    pub name: String,
    /// Where events are POSTed (must be loopback, e.g. `http://127.0.0.1:PORT/events`).
    pub url: String,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Failures before backing off.
    pub threshold: u32,
    /// Back-off duration.
    pub backoff: Duration,
    /// Media types whose events are not sent.
    pub ignored_media_types: Vec<String>,
}

impl NotificationEndpoint {
    /// An endpoint with quick test-friendly timings (1s timeout, threshold 3,
    /// 200ms back-off).
    pub fn new(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            url: url.into(),
            headers: Vec::new(),
            timeout: Duration::from_secs(1),
            threshold: 3,
            backoff: Duration::from_millis(200),
            ignored_media_types: Vec::new(),
        }
    }

    /// Adds a request header (e.g. `Authorization`).
    pub fn header(mut self, k: impl Into<String>, v: impl Into<String>) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
}

/// Registry configuration beyond the rig's defaults (loopback listener,
/// filesystem storage in a private dir, deletes enabled).
#[derive(Debug, Clone, Default)]
pub struct RegistryConfig {
    /// Notification endpoints (rendered as a `notifications:` block).
    pub notifications: Vec<NotificationEndpoint>,
    /// `auth.htpasswd` file (bcrypt entries; `realm: drydock-rig`).
    pub htpasswd: Option<PathBuf>,
    /// Raw YAML appended at top level; must not repeat keys the rig writes
    /// (`version`, `log`, `storage`, `http`, and `notifications`/`auth` when
    /// set through the typed fields).
    pub extra_yaml: String,
}

impl RegistryConfig {
    /// Defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a notification endpoint.
    pub fn notify(mut self, endpoint: NotificationEndpoint) -> Self {
        self.notifications.push(endpoint);
        self
    }

    /// Requires basic auth from an htpasswd file.
    pub fn htpasswd(mut self, path: impl Into<PathBuf>) -> Self {
        self.htpasswd = Some(path.into());
        self
    }

    /// Appends raw top-level YAML.
    pub fn extra_yaml(mut self, yaml: impl Into<String>) -> Self {
        self.extra_yaml.push_str(&yaml.into());
        if !self.extra_yaml.ends_with('\n') {
            self.extra_yaml.push('\n');
        }
        self
    }

    /// Renders the full `config.yml`.
    pub fn render(&self, addr: SocketAddr, storage: &Path) -> String {
        let ms = |d: Duration| format!("{}ms", d.as_millis());
        let mut y = String::new();
        let _ = write!(
            y,
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n\
             storage:\n  filesystem:\n    rootdirectory: {storage:?}\n  delete:\n    enabled: true\n\
             \x20 maintenance:\n    uploadpurging:\n      enabled: false\n\
             http:\n  addr: {addr}\n  headers:\n    X-Content-Type-Options: [nosniff]\n",
            storage = storage.to_string_lossy()
        );
        if let Some(p) = &self.htpasswd {
            let _ = write!(
                y,
                "auth:\n  htpasswd:\n    realm: drydock-rig\n    path: {:?}\n",
                p.to_string_lossy()
            );
        }
        if !self.notifications.is_empty() {
            y.push_str("notifications:\n  events:\n    includereferences: true\n  endpoints:\n");
            for e in &self.notifications {
                let _ = write!(
                    y,
                    "    - name: {:?}\n      url: {:?}\n      timeout: {}\n      threshold: {}\n      backoff: {}\n",
                    e.name,
                    e.url,
                    ms(e.timeout),
                    e.threshold,
                    ms(e.backoff)
                );
                if !e.headers.is_empty() {
                    y.push_str("      headers:\n");
                    for (k, v) in &e.headers {
                        let _ = writeln!(y, "        {k:?}: [{v:?}]");
                    }
                }
                if !e.ignored_media_types.is_empty() {
                    y.push_str("      ignoredmediatypes:\n");
                    for m in &e.ignored_media_types {
                        let _ = writeln!(y, "        - {m:?}");
                    }
                }
            }
        }
        y.push_str(&self.extra_yaml);
        y
    }
}

/// A running registry on `127.0.0.1:PORT`. Stopped on drop.
pub struct Registry {
    sup: Supervisor,
    addr: SocketAddr,
}

impl Registry {
    /// Starts a registry with default config.
    pub fn start() -> Result<Self> {
        Self::start_with(&RegistryConfig::default())
    }

    /// Starts a registry with `config` on a free loopback port and waits until
    /// `GET /v2/` answers (200, or 401 with auth).
    pub fn start_with(config: &RegistryConfig) -> Result<Self> {
        let bin = require(REGISTRY, "docker-registry")?;
        let sup = Supervisor::new("registry")?;
        let storage = sup.dir().join("storage");
        fs::create_dir_all(&storage).map_err(|e| Error::io(&storage, e))?;
        let mut last_err = None;
        // The port is picked by binding :0 and releasing it; retry if another
        // process grabs it in between.
        for attempt in 0..5 {
            let addr = free_port()?;
            let cfg_path = sup.dir().join(format!("config-{attempt}.yml"));
            fs::write(&cfg_path, config.render(addr, &storage))
                .map_err(|e| Error::io(&cfg_path, e))?;
            let name = format!("registry-{attempt}");
            let mut cmd = Command::new(&bin);
            cmd.arg("serve").arg(&cfg_path);
            sup.spawn(&name, cmd)?;
            let ready = wait_until("registry /v2/", Duration::from_secs(30), || {
                sup.check_alive(&name)?;
                Ok(http::get(addr, "/v2/", &[])
                    .ok()
                    .filter(|r| r.status == 200 || r.status == 401)
                    .map(|_| ()))
            });
            match ready {
                Ok(()) => return Ok(Self { sup, addr }),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| Error::new("registry did not start")))
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `127.0.0.1:PORT` as a string, the prefix for image references.
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// The registry's private directory (`storage/`, config, `registry-*.log`).
    pub fn dir(&self) -> &Path {
        self.sup.dir()
    }

    /// `GET <path>` on the registry with extra headers.
    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Result<Response> {
        http::get(self.addr, path, headers)
    }

    /// Fetches `/v2/<repo>/manifests/<reference>` and returns its
    /// `Docker-Content-Digest`, after checking it equals the sha256 of the
    /// returned bytes.
    pub fn manifest_digest(&self, repo: &str, reference: &str) -> Result<String> {
        let (digest, _) = self.manifest(repo, reference)?;
        Ok(digest)
    }

    /// Fetches a manifest: `(digest, raw bytes)`; the digest is verified.
    pub fn manifest(&self, repo: &str, reference: &str) -> Result<(String, Vec<u8>)> {
        let path = format!("/v2/{repo}/manifests/{reference}");
        let r = self.get(&path, &[("Accept", MANIFEST_ACCEPT)])?;
        if r.status != 200 {
            return Err(Error::new(format!(
                "GET {path}: HTTP {}: {}",
                r.status,
                r.text()
            )));
        }
        let header = r
            .header("docker-content-digest")
            .ok_or_else(|| Error::new(format!("GET {path}: no Docker-Content-Digest")))?
            .to_owned();
        let computed = format!("sha256:{}", hex(&Sha256::digest(&r.body)));
        if header != computed {
            return Err(Error::new(format!(
                "GET {path}: Docker-Content-Digest {header} but body hashes to {computed}"
            )));
        }
        Ok((header, r.body))
    }

    /// Stops the registry and removes its storage. Also done on drop.
    pub fn stop(&self) {
        self.sup.shutdown();
    }
}

/// A currently free `127.0.0.1` port.
pub fn free_port() -> Result<SocketAddr> {
    let l = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| Error::new(format!("bind 127.0.0.1:0: {e}")))?;
    l.local_addr().map_err(|e| Error::new(e.to_string()))
}
