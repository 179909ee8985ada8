//! Image references: `[host[:port]/]name[:tag][@digest]`, normalised the way
//! the Docker CLI does (no host → `docker.io`, one-component names on
//! `docker.io` → `library/NAME`, no tag and no digest → `latest`).

use std::fmt;
use std::str::FromStr;

use crate::digest::Digest;
use crate::error::{Error, Result};

/// The registry a reference without a host part points at.
pub const DEFAULT_REGISTRY: &str = "docker.io";
/// The API host of [`DEFAULT_REGISTRY`].
const DEFAULT_REGISTRY_API: &str = "registry-1.docker.io";

/// A parsed, normalised image reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

impl Reference {
    /// Parses and normalises `s`. A reference with a digest keeps its tag
    /// only for display; the digest is what is fetched.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = |m: String| Error::Reference {
            input: s.to_owned(),
            message: m,
        };
        if s.is_empty() {
            return Err(bad("empty".into()));
        }
        if s.len() > 4096 {
            return Err(bad("longer than 4096 bytes".into()));
        }
        let (rest, digest) = match s.split_once('@') {
            Some((rest, d)) => (rest, Some(d.parse::<Digest>().map_err(bad)?)),
            None => (s, None),
        };
        let (name, tag) = match rest.rfind(':') {
            Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(&rest[i + 1..])),
            _ => (rest, None),
        };
        if let Some(t) = tag
            && !valid_tag(t)
        {
            return Err(bad(format!(
                "invalid tag {t:?} (letters, digits, `_`, `.`, `-`; at most 128, not starting with `.` or `-`)"
            )));
        }
        let (mut registry, mut repository) = match name.split_once('/') {
            Some((first, path)) if has_host_part(first) => (first.to_owned(), path.to_owned()),
            _ => (DEFAULT_REGISTRY.to_owned(), name.to_owned()),
        };
        if !valid_host(&registry) {
            return Err(bad(format!("invalid registry host {registry:?}")));
        }
        if registry == "index.docker.io" {
            registry = DEFAULT_REGISTRY.to_owned();
        }
        if registry == DEFAULT_REGISTRY && !repository.contains('/') {
            repository = format!("library/{repository}");
        }
        if let Some(component) = repository.split('/').find(|c| !valid_component(c)) {
            return Err(bad(format!(
                "invalid repository name component {component:?} (lowercase letters, digits and \
                 single `.`, `_`, `__` or `-` separators)"
            )));
        }
        if repository.len() > 255 {
            return Err(bad("repository name longer than 255 bytes".into()));
        }
        let tag = match (tag, &digest) {
            (Some(t), _) => Some(t.to_owned()),
            (None, None) => Some("latest".to_owned()),
            (None, Some(_)) => None,
        };
        Ok(Self {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// The same reference pinned to `digest` (the tag is kept for display).
    pub fn with_digest(&self, digest: Digest) -> Self {
        Self {
            digest: Some(digest),
            ..self.clone()
        }
    }

    /// The registry as named (`docker.io`, `127.0.0.1:5000`, `ghcr.example.test`).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path (`library/debian`).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if any (`latest` when neither tag nor digest was given).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if the reference pins one.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// What goes in `/v2/<name>/manifests/<here>`: the digest if pinned, else the tag.
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".to_owned(),
        }
    }

    /// The host the HTTP API is served from (`registry-1.docker.io` for Docker Hub).
    pub fn api_host(&self) -> &str {
        if self.registry == DEFAULT_REGISTRY {
            DEFAULT_REGISTRY_API
        } else {
            &self.registry
        }
    }

    /// True for `localhost`, `127.0.0.0/8` and `[::1]` registries, which are
    /// spoken to over plain HTTP (Docker's insecure-registry default for loopback).
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.registry)
    }

    /// `http://HOST` for loopback registries, else `https://HOST`.
    pub fn base_url(&self) -> String {
        let scheme = if self.is_loopback() { "http" } else { "https" };
        format!("{scheme}://{}", self.api_host())
    }

    /// The key under which Docker stores credentials for this registry
    /// (`https://index.docker.io/v1/` for Docker Hub, else the host).
    pub fn credential_key(&self) -> &str {
        if self.registry == DEFAULT_REGISTRY {
            "https://index.docker.io/v1/"
        } else {
            &self.registry
        }
    }
}

impl FromStr for Reference {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for Reference {
    /// `registry/repository[:tag][@digest]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// Whether `s` names a registry image explicitly: its first path component
/// is a host (has a `.` or a `:port`, or is `localhost`), or it pins a
/// digest (`name@sha256:…`). Bare names like `debian:12` are not: they may
/// mean a local engine image.
pub fn is_registry_reference(s: &str) -> bool {
    let explicit_host = s
        .split_once('/')
        .is_some_and(|(first, _)| has_host_part(first));
    explicit_host || s.contains("@sha256:") || s.contains("@sha512:")
}

fn has_host_part(first: &str) -> bool {
    (first.contains('.') || first.contains(':') || first == "localhost") && !first.starts_with('.')
}

fn is_loopback_host(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(h, _)| h)
    } else {
        registry.split(':').next().unwrap_or(registry)
    };
    host == "localhost"
        || host == "::1"
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn valid_host(h: &str) -> bool {
    let (host, port) = if let Some(rest) = h.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ip, port)) => (ip, port.strip_prefix(':')),
            None => return false,
        }
    } else {
        match h.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (h, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'));
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Reference {
        Reference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn docker_hub_normalisation() {
        let x = r("debian");
        assert_eq!(
            (x.registry(), x.repository(), x.tag()),
            ("docker.io", "library/debian", Some("latest"))
        );
        assert_eq!(x.to_string(), "docker.io/library/debian:latest");
        assert_eq!(x.api_host(), "registry-1.docker.io");
        assert_eq!(x.base_url(), "https://registry-1.docker.io");
        assert_eq!(x.credential_key(), "https://index.docker.io/v1/");
        assert_eq!(r("debian:12").tag(), Some("12"));
        assert_eq!(r("user/app:v1").repository(), "user/app");
        assert_eq!(
            r("index.docker.io/debian").to_string(),
            "docker.io/library/debian:latest"
        );
        assert_eq!(r("docker.io/user/app").repository(), "user/app");
    }

    #[test]
    fn hosts_ports_tags_digests() {
        let d = format!("sha256:{}", "0a".repeat(32));
        let x = r(&format!("127.0.0.1:5000/drydock/app:v1@{d}"));
        assert_eq!(x.registry(), "127.0.0.1:5000");
        assert_eq!(x.repository(), "drydock/app");
        assert_eq!(x.tag(), Some("v1"));
        assert_eq!(x.manifest_reference(), d);
        assert!(x.is_loopback());
        assert_eq!(x.base_url(), "http://127.0.0.1:5000");
        let y = r(&format!("localhost:5000/app@{d}"));
        assert_eq!((y.tag(), y.is_loopback()), (None, true));
        assert_eq!(y.to_string(), format!("localhost:5000/app@{d}"));
        let z = r("registry.example.test/team/app");
        assert_eq!(z.base_url(), "https://registry.example.test");
        assert!(!z.is_loopback());
        assert_eq!(z.credential_key(), "registry.example.test");
        assert!(r("[::1]:5000/app").is_loopback());
        assert!(r("localhost/app").is_loopback());
        // `localhost` without a slash is a repository, not a host.
        assert_eq!(r("localhost").repository(), "library/localhost");
    }

    #[test]
    fn rejects_bad_references() {
        for bad in [
            "",
            "UPPER/case",
            "app:",
            "app:-x",
            "a//b",
            "app@sha256:short",
            "app@md5:0000",
            "host:port/app",
            "reg.example.test/a..b",
            "reg.example.test/",
            ":tag",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad:?} parsed");
        }
        let e = Reference::parse("app:-x").unwrap_err().to_string();
        assert!(e.contains("\"app:-x\"") && e.contains("invalid tag"), "{e}");
    }

    #[test]
    fn explicit_registry_detection() {
        for yes in [
            "127.0.0.1:5000/app:v1",
            "localhost/app",
            "reg.example.test/a/b",
            &format!("app@sha256:{}", "0a".repeat(32)),
        ] {
            assert!(is_registry_reference(yes), "{yes}");
        }
        for no in ["debian", "debian:12", "user/app:v1", "./dir", "image.tar"] {
            assert!(!is_registry_reference(no), "{no}");
        }
    }
}
