//! Manifests, indexes, descriptors and platforms (OCI image spec and Docker
//! schema 2), parsed leniently: unknown fields are ignored.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker manifest list.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// The `Accept` header for manifest requests: every type this client reads.
/// Without the index types, registries answer "OCI index found, but accept
/// header does not support OCI indexes" for multi-platform tags.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// A content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type (may be empty in sloppy manifests).
    #[serde(default)]
    pub media_type: String,
    /// Digest of the content.
    pub digest: Digest,
    /// Size in bytes.
    pub size: u64,
    /// Platform (index entries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An image manifest: config and layers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    pub schema_version: u32,
    /// Media type, when the document states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The image configuration blob.
    pub config: Descriptor,
    /// Layers, base first.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

/// An image index / manifest list: one manifest per platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageIndex {
    /// Always 2.
    pub schema_version: u32,
    /// Media type, when the document states it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The entries.
    pub manifests: Vec<Descriptor>,
}

/// A parsed manifest document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestDocument {
    /// An image manifest.
    Image(ImageManifest),
    /// An index of manifests.
    Index(ImageIndex),
}

/// Fields that tell manifests and indexes apart.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Probe {
    #[serde(default)]
    schema_version: Option<u32>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    config: Option<serde::de::IgnoredAny>,
}

/// Why a manifest document was not accepted.
pub(crate) enum ParseError {
    Json(serde_json::Error),
    Unsupported(String),
}

impl ManifestDocument {
    /// Parses `bytes`, told apart by `content_type` (the HTTP header), the
    /// document's own `mediaType`, or which of `manifests`/`config` it has.
    pub(crate) fn parse(bytes: &[u8], content_type: Option<&str>) -> Result<Self, ParseError> {
        let probe: Probe = serde_json::from_slice(bytes).map_err(ParseError::Json)?;
        if probe.schema_version == Some(1) {
            return Err(ParseError::Unsupported(
                "schema 1 manifests (deprecated by Docker in 2019)".into(),
            ));
        }
        let media_type = probe.media_type.as_deref().or(content_type);
        let is_index = match media_type {
            Some(OCI_INDEX | DOCKER_MANIFEST_LIST) => true,
            Some(OCI_MANIFEST | DOCKER_MANIFEST) => false,
            _ => probe.manifests.is_some() && probe.config.is_none(),
        };
        if is_index {
            serde_json::from_slice(bytes)
                .map(Self::Index)
                .map_err(ParseError::Json)
        } else if probe.config.is_some() {
            serde_json::from_slice(bytes)
                .map(Self::Image)
                .map_err(ParseError::Json)
        } else {
            Err(ParseError::Unsupported(format!(
                "manifest of media type {} has neither `config` nor `manifests`",
                media_type.unwrap_or("(none)")
            )))
        }
    }
}

/// A platform: `os/architecture[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    /// Architecture (`amd64`, `arm64`, `arm`).
    pub architecture: String,
    /// Operating system (`linux`).
    pub os: String,
    /// CPU variant (`v7`, `v8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// `linux/amd64`, the default when nothing is asked for.
    pub fn linux_amd64() -> Self {
        Self {
            architecture: "amd64".into(),
            os: "linux".into(),
            variant: None,
        }
    }

    /// Whether the index entry platform `offered` satisfies this (wanted)
    /// platform: same OS, same architecture (`x86_64` = `amd64`, `aarch64`
    /// = `arm64`), and the variant if one is wanted (`arm64` without a
    /// variant counts as `v8`).
    pub fn matches(&self, offered: &Platform) -> bool {
        if offered.os != self.os
            || normalise_arch(&offered.architecture) != normalise_arch(&self.architecture)
        {
            return false;
        }
        let Some(want) = &self.variant else {
            return true;
        };
        let have = offered
            .variant
            .as_deref()
            .or((normalise_arch(&offered.architecture) == "arm64").then_some("v8"));
        have == Some(want.as_str())
    }
}

fn normalise_arch(a: &str) -> &str {
    match a {
        "x86_64" | "x86-64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

impl FromStr for Platform {
    type Err = String;
    /// Parses `os/arch[/variant]`.
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('/').collect();
        if parts.iter().any(|p| p.is_empty()) || !(2..=3).contains(&parts.len()) {
            return Err(format!("platform {s:?}: expected os/arch[/variant]"));
        }
        Ok(Self {
            os: parts[0].to_owned(),
            architecture: normalise_arch(parts[1]).to_owned(),
            variant: parts.get(2).map(|v| (*v).to_owned()),
        })
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_matching() {
        let want: Platform = "linux/arm64/v8".parse().unwrap();
        let arm64 = Platform {
            architecture: "arm64".into(),
            os: "linux".into(),
            variant: None,
        };
        assert!(want.matches(&arm64));
        assert!(!Platform::linux_amd64().matches(&arm64));
        let v7: Platform = "linux/arm/v7".parse().unwrap();
        let v6 = Platform {
            architecture: "arm".into(),
            os: "linux".into(),
            variant: Some("v6".into()),
        };
        assert!(!v7.matches(&v6));
        assert!(
            "linux/x86_64"
                .parse::<Platform>()
                .unwrap()
                .matches(&Platform::linux_amd64())
        );
        assert!("linux".parse::<Platform>().is_err());
        assert!("linux//v7".parse::<Platform>().is_err());
    }

    #[test]
    fn tells_manifests_from_indexes() {
        let d = format!("sha256:{}", "0a".repeat(32));
        let image = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"x","digest":"{d}","size":1}},"layers":[]}}"#
        );
        let index = format!(r#"{{"schemaVersion":2,"manifests":[{{"digest":"{d}","size":1}}]}}"#);
        assert!(matches!(
            ManifestDocument::parse(image.as_bytes(), None),
            Ok(ManifestDocument::Image(_))
        ));
        assert!(matches!(
            ManifestDocument::parse(index.as_bytes(), Some(OCI_INDEX)),
            Ok(ManifestDocument::Index(_))
        ));
        assert!(matches!(
            ManifestDocument::parse(br#"{"schemaVersion":1}"#, None),
            Err(ParseError::Unsupported(_))
        ));
        assert!(matches!(
            ManifestDocument::parse(b"{", None),
            Err(ParseError::Json(_))
        ));
    }
}
