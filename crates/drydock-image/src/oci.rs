//! OCI / Docker distribution JSON (index, manifest, descriptor), platform
//! selection, and the resolution `index.json` → (index →) manifest → config
//! and layers over any [`BlobStore`] (a layout directory, a layout inside a
//! `docker save` tar, later a registry).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::digest::{Digest, VerifyingReader};
use crate::error::{Error, Result, parse_json, read_limited};
use crate::model::{Compression, Image, Layer};
use crate::source::Limits;

/// `org.opencontainers.image.ref.name`.
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// `io.containerd.image.name` (full reference; Docker ≥25 saves write it).
pub const ANNOTATION_CONTAINERD_NAME: &str = "io.containerd.image.name";

const MT_OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MT_DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const MT_OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const MT_DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// A content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type.
    #[serde(default)]
    pub media_type: Option<String>,
    /// Digest of the content.
    pub digest: Digest,
    /// Size of the content in bytes.
    pub size: u64,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Platform (index entries only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
}

/// A platform of an index entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// Architecture.
    pub architecture: String,
    /// OS.
    pub os: String,
    /// Variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// An index or a manifest (told apart by media type or by which fields are
/// present).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManifestOrIndex {
    #[serde(default)]
    schema_version: Option<u32>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
}

/// A platform to pick from an image index: `os/arch[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformSpec {
    /// OS (`linux`).
    pub os: String,
    /// Architecture (`amd64`).
    pub architecture: String,
    /// Variant (`v8`), if required.
    pub variant: Option<String>,
}

impl Default for PlatformSpec {
    /// `linux/amd64`.
    fn default() -> Self {
        Self {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        }
    }
}

impl fmt::Display for PlatformSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl FromStr for PlatformSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let parts: Vec<&str> = s.split('/').collect();
        let bad = || Error::invalid(format!("platform {s:?}"), "expected os/arch[/variant]");
        if parts.iter().any(|p| p.is_empty()) {
            return Err(bad());
        }
        match parts.as_slice() {
            [os, arch] => Ok(Self {
                os: (*os).into(),
                architecture: normalise_arch(arch).into(),
                variant: None,
            }),
            [os, arch, v] => Ok(Self {
                os: (*os).into(),
                architecture: normalise_arch(arch).into(),
                variant: Some((*v).into()),
            }),
            _ => Err(bad()),
        }
    }
}

fn normalise_arch(a: &str) -> &str {
    match a {
        "x86_64" | "x86-64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

impl PlatformSpec {
    /// Whether `p` satisfies this spec (arm64 without a variant counts as `v8`).
    pub fn matches(&self, p: &Platform) -> bool {
        if p.os != self.os || normalise_arch(&p.architecture) != self.architecture {
            return false;
        }
        match &self.variant {
            None => true,
            Some(want) => {
                let have = p.variant.as_deref().or(match self.architecture.as_str() {
                    "arm64" => Some("v8"),
                    _ => None,
                });
                have == Some(want.as_str())
            }
        }
    }
}

/// Which image of a layout to take.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Selector {
    /// The only image (or the platform match of the only index).
    #[default]
    Default,
    /// By `org.opencontainers.image.ref.name` (or `io.containerd.image.name`).
    Tag(String),
    /// By manifest or index digest.
    Digest(Digest),
}

/// Read access to content-addressed blobs.
pub trait BlobStore {
    /// Human-readable name for errors (`oci:/dir`, `docker-archive:/x.tar`).
    fn describe(&self) -> String;
    /// Opens blob `digest` as stored (unverified); `None` size if unknown.
    fn open_blob(&self, digest: &Digest) -> Result<(Box<dyn Read + Send>, Option<u64>)>;
}

/// Reads a small JSON blob (manifest, index, config) fully, verifying digest
/// and size and enforcing `limit`.
pub(crate) fn read_json_blob(
    store: &dyn BlobStore,
    desc: &Descriptor,
    what: &str,
    limit: u64,
) -> Result<Vec<u8>> {
    let context = format!("{} {what} {}", store.describe(), desc.digest);
    if desc.size > limit {
        return Err(Error::TooLarge {
            context,
            size: desc.size,
            limit,
        });
    }
    let (r, _) = store.open_blob(&desc.digest)?;
    let v = VerifyingReader::new(
        r,
        Some(desc.digest.clone()),
        Some(desc.size),
        context.clone(),
    );
    read_limited(v, limit, &context)
}

/// The outcome of resolving a layout's `index.json`.
pub(crate) struct Resolved {
    pub image: Image,
}

fn descriptor_ref_name(d: &Descriptor) -> Option<&str> {
    d.annotations
        .get(ANNOTATION_REF_NAME)
        .or_else(|| d.annotations.get(ANNOTATION_CONTAINERD_NAME))
        .map(String::as_str)
}

fn is_index_type(mt: Option<&str>) -> bool {
    matches!(mt, Some(MT_OCI_INDEX | MT_DOCKER_LIST))
}

/// Resolves `index_bytes` (the layout's `index.json`) to one image.
pub(crate) fn resolve(
    store: &dyn BlobStore,
    index_bytes: &[u8],
    index_context: &str,
    selector: &Selector,
    platform: &PlatformSpec,
    limits: &Limits,
) -> Result<Resolved> {
    let index: ManifestOrIndex = parse_json(index_bytes, index_context)?;
    let entries = index.manifests.unwrap_or_default();
    if entries.is_empty() {
        return Err(Error::not_found(
            index_context,
            "any manifest (empty `manifests`)",
        ));
    }
    let mut notes = Vec::new();
    let mut reference = None;
    let chosen: Descriptor = match selector {
        Selector::Tag(tag) => {
            let hits: Vec<&Descriptor> = entries
                .iter()
                .filter(|d| {
                    d.annotations.get(ANNOTATION_REF_NAME) == Some(tag)
                        || d.annotations.get(ANNOTATION_CONTAINERD_NAME) == Some(tag)
                })
                .collect();
            match hits.as_slice() {
                [] => {
                    let names: Vec<&str> = entries.iter().filter_map(descriptor_ref_name).collect();
                    return Err(Error::not_found(
                        index_context,
                        format!("ref name {tag:?} (available: {names:?})"),
                    ));
                }
                [one] => (*one).clone(),
                many => {
                    // Several platforms under one name: pick by platform below.
                    pick_platform(many.iter().copied(), platform, index_context)?.clone()
                }
            }
        }
        Selector::Digest(d) => match entries.iter().find(|e| &e.digest == d) {
            Some(e) => e.clone(),
            None => {
                // Maybe the digest of a manifest inside a nested index.
                find_nested(store, &entries, d, limits, 0)?.ok_or_else(|| {
                    Error::not_found(index_context, format!("manifest or index {d}"))
                })?
            }
        },
        Selector::Default => {
            if entries.len() == 1 {
                entries[0].clone()
            } else if entries.iter().all(|e| e.platform.is_some()) {
                pick_platform(entries.iter(), platform, index_context)?.clone()
            } else {
                let names: Vec<String> = entries
                    .iter()
                    .map(|d| {
                        descriptor_ref_name(d).map_or_else(|| d.digest.to_string(), str::to_owned)
                    })
                    .collect();
                return Err(Error::invalid(
                    index_context,
                    format!(
                        "holds {} images; choose one with :TAG or @DIGEST (available: {names:?})",
                        entries.len()
                    ),
                ));
            }
        }
    };
    if let Some(n) = descriptor_ref_name(&chosen) {
        reference = Some(n.to_owned());
    }
    if let Selector::Tag(t) = selector {
        reference = Some(t.clone());
    }

    // Follow indexes (bounded depth) to a manifest.
    let mut desc = chosen;
    for depth in 0.. {
        if depth > 4 {
            return Err(Error::invalid(
                index_context,
                "image indexes nested deeper than 4",
            ));
        }
        let bytes = read_json_blob(store, &desc, "manifest", limits.max_json_bytes)?;
        let ctx = format!("{} manifest {}", store.describe(), desc.digest);
        let m: ManifestOrIndex = parse_json(&bytes, &ctx)?;
        let is_index = is_index_type(desc.media_type.as_deref())
            || is_index_type(m.media_type.as_deref())
            || (m.manifests.is_some() && m.config.is_none());
        if is_index {
            let list = m.manifests.unwrap_or_default();
            desc = pick_platform(list.iter(), platform, &ctx)?.clone();
            continue;
        }
        if m.schema_version == Some(1) {
            return Err(Error::Unsupported(format!("{ctx}: schema 1 manifests")));
        }
        if let Some(mt) = m.media_type.as_deref().or(desc.media_type.as_deref())
            && mt != MT_OCI_MANIFEST
            && mt != MT_DOCKER_MANIFEST
        {
            notes.push(format!(
                "manifest {} has unexpected media type {mt}",
                desc.digest
            ));
        }
        let config_desc = m
            .config
            .ok_or_else(|| Error::invalid(&ctx, "manifest has no config"))?;
        let raw_config = read_json_blob(store, &config_desc, "config", limits.max_json_bytes)?;
        let layers = m
            .layers
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                let mut layer = Layer::new(i, l.digest.blob_path());
                layer.compression = l
                    .media_type
                    .as_deref()
                    .map_or(Compression::Unknown, Compression::from_media_type);
                layer.media_type = l.media_type;
                layer.digest = Some(l.digest);
                layer.size = Some(l.size);
                layer
            })
            .collect();
        let config_ctx = format!("{} config {}", store.describe(), config_desc.digest);
        let mut image = Image::assemble(
            store.describe(),
            raw_config,
            &config_ctx,
            Some(config_desc.digest),
            layers,
        )?;
        image.reference = reference;
        image.manifest_digest = Some(desc.digest);
        image.raw_manifest = Some(bytes);
        image.notes.extend(notes);
        return Ok(Resolved { image });
    }
    Err(Error::invalid(index_context, "unreachable"))
}

fn find_nested(
    store: &dyn BlobStore,
    entries: &[Descriptor],
    want: &Digest,
    limits: &Limits,
    depth: usize,
) -> Result<Option<Descriptor>> {
    if depth > 4 {
        return Ok(None);
    }
    for e in entries
        .iter()
        .filter(|e| is_index_type(e.media_type.as_deref()))
    {
        let bytes = read_json_blob(store, e, "index", limits.max_json_bytes)?;
        let ctx = format!("{} index {}", store.describe(), e.digest);
        let m: ManifestOrIndex = parse_json(&bytes, &ctx)?;
        let list = m.manifests.unwrap_or_default();
        if let Some(hit) = list.iter().find(|d| &d.digest == want) {
            return Ok(Some(hit.clone()));
        }
        if let Some(hit) = find_nested(store, &list, want, limits, depth + 1)? {
            return Ok(Some(hit));
        }
    }
    Ok(None)
}

fn pick_platform<'a>(
    mut list: impl Iterator<Item = &'a Descriptor> + Clone,
    want: &PlatformSpec,
    context: &str,
) -> Result<&'a Descriptor> {
    if let Some(d) = list
        .clone()
        .find(|d| d.platform.as_ref().is_some_and(|p| want.matches(p)))
    {
        return Ok(d);
    }
    let available: Vec<String> = list
        .by_ref()
        .filter_map(|d| d.platform.as_ref())
        .map(|p| match &p.variant {
            Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
            None => format!("{}/{}", p.os, p.architecture),
        })
        .collect();
    Err(Error::not_found(
        context,
        format!("platform {want} (available: {available:?}; choose with --platform)"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(os: &str, arch: &str, v: Option<&str>) -> Platform {
        Platform {
            os: os.into(),
            architecture: arch.into(),
            variant: v.map(Into::into),
        }
    }

    #[test]
    fn platform_matching() {
        let amd: PlatformSpec = "linux/amd64".parse().unwrap();
        assert_eq!(amd, PlatformSpec::default());
        assert!(amd.matches(&p("linux", "amd64", None)));
        assert!(amd.matches(&p("linux", "x86_64", None)));
        assert!(!amd.matches(&p("linux", "arm64", None)));
        assert!(!amd.matches(&p("unknown", "unknown", None)));
        let v7: PlatformSpec = "linux/arm/v7".parse().unwrap();
        assert!(v7.matches(&p("linux", "arm", Some("v7"))));
        assert!(!v7.matches(&p("linux", "arm", Some("v6"))));
        assert!(!v7.matches(&p("linux", "arm", None)));
        let v8: PlatformSpec = "linux/arm64/v8".parse().unwrap();
        assert!(v8.matches(&p("linux", "arm64", None)));
        assert_eq!(v8.to_string(), "linux/arm64/v8");
    }
}
