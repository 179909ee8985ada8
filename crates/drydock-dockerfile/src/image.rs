//! Image references (`[registry/]repository[:tag][@digest]`) with Docker's
//! normalisation rules.

use std::ops::Range;

/// Registry used when a reference names no host.
pub const DEFAULT_REGISTRY: &str = "docker.io";

/// A parsed image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// Registry host (with port), `docker.io` when none is written.
    pub registry: String,
    /// Whether the registry was written explicitly.
    pub explicit_registry: bool,
    /// Repository path, `library/` added for official Docker Hub images.
    pub repository: String,
    /// Tag, if written.
    pub tag: Option<String>,
    /// Digest (`sha256:...`), if written.
    pub digest: Option<String>,
    /// Byte range of the tag in the parsed text (useful for fixes).
    pub tag_range: Option<Range<usize>>,
    /// Byte range of the digest in the parsed text.
    pub digest_range: Option<Range<usize>>,
}

impl ImageRef {
    /// Parses a reference, rejecting what Docker rejects (upper-case
    /// repositories, bad tags, malformed digests, empty components).
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("invalid reference format: empty".into());
        }
        let (name_and_tag, digest) = match text.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (text, None),
        };
        if let Some(digest) = digest {
            let (algorithm, hex) = digest
                .split_once(':')
                .ok_or_else(|| format!("invalid digest {digest:?}"))?;
            let algorithm_ok = !algorithm.is_empty()
                && algorithm
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+._-".contains(c));
            if !algorithm_ok || hex.len() < 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(format!("invalid digest {digest:?}"));
            }
        }
        // A ':' after the last '/' starts the tag.
        let last_slash = name_and_tag.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match name_and_tag[last_slash..].find(':') {
            Some(i) => (
                &name_and_tag[..last_slash + i],
                Some(&name_and_tag[last_slash + i + 1..]),
            ),
            None => (name_and_tag, None),
        };
        if let Some(tag) = tag {
            let valid = (1..=128).contains(&tag.len())
                && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                && tag
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
            if !valid {
                return Err(format!("invalid tag {tag:?}"));
            }
        }
        let (registry, explicit_registry, path) = match name.split_once('/') {
            Some((host, rest))
                if host.contains(['.', ':'])
                    || host == "localhost"
                    || host.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                (host.to_owned(), true, rest)
            }
            _ => (DEFAULT_REGISTRY.to_owned(), false, name),
        };
        if path.is_empty() || !path.split('/').all(valid_path_component) {
            return Err(format!(
                "invalid reference format: repository name {name:?} must be lowercase"
            ));
        }
        let registry = if registry == "index.docker.io" {
            DEFAULT_REGISTRY.to_owned()
        } else {
            registry
        };
        let repository = if registry == DEFAULT_REGISTRY && !path.contains('/') {
            format!("library/{path}")
        } else {
            path.to_owned()
        };
        let tag_range = tag.map(|t| name.len() + 1..name.len() + 1 + t.len());
        let digest_range = digest.map(|d| text.len() - d.len()..text.len());
        Ok(Self {
            registry,
            explicit_registry,
            repository,
            tag: tag.map(str::to_owned),
            digest: digest.map(str::to_owned),
            tag_range,
            digest_range,
        })
    }

    /// Whether the reference pins a digest.
    pub fn is_pinned(&self) -> bool {
        self.digest.is_some()
    }

    /// The tag, or `latest` when neither tag nor digest is written.
    pub fn effective_tag(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(tag), _) => Some(tag),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn valid_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !bytes.first().is_some_and(|&b| alnum(b)) || !bytes.last().is_some_and(|&b| alnum(b)) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let sep_start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &component[sep_start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-')) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_docker_hub_names() {
        let r = ImageRef::parse("alpine:3.20").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("docker.io", "library/alpine", Some("3.20"))
        );
        assert!(!r.explicit_registry);
        let r = ImageRef::parse("bitnami/redis").unwrap();
        assert_eq!(
            (r.repository.as_str(), r.effective_tag()),
            ("bitnami/redis", Some("latest"))
        );
    }

    #[test]
    fn hosts_ports_and_digests() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let text = format!("localhost:5000/team/app:v1@{digest}");
        let r = ImageRef::parse(&text).unwrap();
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.repository, "team/app");
        assert_eq!(&text[r.tag_range.clone().unwrap()], "v1");
        assert_eq!(&text[r.digest_range.clone().unwrap()], digest);
        assert!(r.is_pinned());
        let r = ImageRef::parse("ghcr.io/org/img").unwrap();
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str()),
            ("ghcr.io", "org/img")
        );
    }

    #[test]
    fn rejects_invalid_references() {
        for bad in [
            "",
            "Alpine",
            "alpine:",
            "alpine:-x",
            "a//b",
            "alpine@sha256:zz",
            "x/-y",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad}");
        }
    }
}
