//! The resolved image: configuration plus layer descriptions.

use crate::config::ImageConfig;
use crate::digest::Digest;
use crate::error::{Error, Result, parse_json};

/// Layer compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip (`.tar.gzip`, `+gzip`, or `1f 8b` magic).
    Gzip,
    /// zstd (`+zstd`, or `28 b5 2f fd` magic).
    Zstd,
    /// Not declared (docker-save `layer.tar` members, unknown media types):
    /// decided by magic bytes when the layer is opened.
    Unknown,
}

impl Compression {
    /// From a layer media type (OCI or Docker).
    pub fn from_media_type(mt: &str) -> Self {
        let mt = mt.to_ascii_lowercase();
        if mt.ends_with("+gzip") || mt.ends_with(".tar.gzip") || mt.ends_with("tar.gz") {
            Self::Gzip
        } else if mt.ends_with("+zstd") || mt.ends_with(".tar.zstd") {
            Self::Zstd
        } else if mt.ends_with(".tar") || mt.ends_with("rootfs.diff.tar") {
            Self::None
        } else {
            Self::Unknown
        }
    }

    /// From the first bytes of a blob (gzip, zstd, or else plain).
    pub fn sniff(head: &[u8]) -> Self {
        if head.starts_with(&[0x1f, 0x8b]) {
            Self::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Self::Zstd
        } else {
            Self::None
        }
    }
}

/// The build step a layer came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerHistory {
    /// Index in the config's `history` array.
    pub index: usize,
    /// `created_by`.
    pub created_by: Option<String>,
    /// `created`.
    pub created: Option<String>,
    /// `comment`.
    pub comment: Option<String>,
}

/// One layer of an image, base first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Position, 0 = base.
    pub index: usize,
    /// Where the blob lives (archive member or layout path).
    pub location: String,
    /// Media type, when the source declares one.
    pub media_type: Option<String>,
    /// Declared compression (the actual one is sniffed on open).
    pub compression: Compression,
    /// Digest of the blob as stored (compressed), when known.
    pub digest: Option<Digest>,
    /// Size of the blob as stored, when known.
    pub size: Option<u64>,
    /// Digest of the uncompressed tar (`rootfs.diff_ids[index]`).
    pub diff_id: Option<Digest>,
    /// The non-empty history entry this layer came from.
    pub history: Option<LayerHistory>,
}

impl Layer {
    /// A layer with just a location; the rest filled by the source.
    pub fn new(index: usize, location: impl Into<String>) -> Self {
        Self {
            index,
            location: location.into(),
            media_type: None,
            compression: Compression::Unknown,
            digest: None,
            size: None,
            diff_id: None,
            history: None,
        }
    }

    /// `layer N (location)`, used in error messages.
    pub fn label(&self) -> String {
        format!("layer {} ({})", self.index, self.location)
    }

    /// `created_by` of the step that made it.
    pub fn created_by(&self) -> Option<&str> {
        self.history.as_ref()?.created_by.as_deref()
    }
}

/// An image as resolved from a source: everything but the layer contents.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    /// Human-readable source (`docker-archive:/x.tar`, `oci:/dir:tag`).
    pub source: String,
    /// Tag / ref name the image was selected by or carries, if any.
    pub reference: Option<String>,
    /// Digest of the manifest, when the source has one.
    pub manifest_digest: Option<Digest>,
    /// The manifest JSON as stored (OCI / Docker v2), when the source has one.
    pub raw_manifest: Option<Vec<u8>>,
    /// Digest of the config (verified), when known.
    pub config_digest: Option<Digest>,
    /// The config JSON as stored.
    pub raw_config: Vec<u8>,
    /// The parsed config.
    pub config: ImageConfig,
    /// The layers, base first.
    pub layers: Vec<Layer>,
    /// Things worth telling the user that are not errors (history/layer
    /// count mismatch, unverifiable config digest, duplicate members, …).
    pub notes: Vec<String>,
}

impl Image {
    /// Builds an image from its config bytes and layer list (filled with
    /// location/media type/digest/size by the source): parses the config,
    /// assigns `diff_id`s (their count must equal the layer count) and maps
    /// non-empty history entries to layers in order (a count mismatch is
    /// tolerated and noted). For use by every [`ImageSource`](crate::ImageSource).
    pub fn assemble(
        source: String,
        raw_config: Vec<u8>,
        config_context: &str,
        config_digest: Option<Digest>,
        mut layers: Vec<Layer>,
    ) -> Result<Self> {
        let config: ImageConfig = parse_json(&raw_config, config_context)?;
        let mut notes = Vec::new();
        let diff_ids = config
            .rootfs
            .as_ref()
            .map(|r| r.diff_ids.as_slice())
            .unwrap_or(&[]);
        if diff_ids.len() != layers.len() {
            return Err(Error::invalid(
                config_context,
                format!(
                    "rootfs.diff_ids lists {} layers but the manifest has {}",
                    diff_ids.len(),
                    layers.len()
                ),
            ));
        }
        for (i, (layer, d)) in layers.iter_mut().zip(diff_ids).enumerate() {
            layer.index = i;
            layer.diff_id = Some(d.clone());
        }
        let non_empty: Vec<(usize, &crate::config::History)> = config
            .history
            .iter()
            .enumerate()
            .filter(|(_, h)| !h.empty_layer)
            .collect();
        if !config.history.is_empty() && non_empty.len() != layers.len() {
            notes.push(format!(
                "history has {} non-empty entries but the image has {} layers; \
                 mapped the first {} in order, the rest have no history",
                non_empty.len(),
                layers.len(),
                non_empty.len().min(layers.len())
            ));
        }
        for (layer, (hi, h)) in layers.iter_mut().zip(non_empty) {
            layer.history = Some(LayerHistory {
                index: hi,
                created_by: h.created_by.clone(),
                created: h.created.clone(),
                comment: h.comment.clone(),
            });
        }
        Ok(Self {
            source,
            reference: None,
            manifest_digest: None,
            raw_manifest: None,
            config_digest,
            raw_config,
            config,
            layers,
            notes,
        })
    }

    /// `os/architecture[/variant]` from the config.
    pub fn platform(&self) -> String {
        let mut s = format!(
            "{}/{}",
            self.config.os.as_deref().unwrap_or("?"),
            self.config.architecture.as_deref().unwrap_or("?")
        );
        if let Some(v) = &self.config.variant {
            s.push('/');
            s.push_str(v);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_by_media_type_and_magic() {
        use Compression::*;
        for (mt, c) in [
            ("application/vnd.oci.image.layer.v1.tar", None),
            ("application/vnd.oci.image.layer.v1.tar+gzip", Gzip),
            ("application/vnd.oci.image.layer.v1.tar+zstd", Zstd),
            ("application/vnd.docker.image.rootfs.diff.tar.gzip", Gzip),
            (
                "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                Gzip,
            ),
            (
                "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                Gzip,
            ),
            ("application/octet-stream", Unknown),
        ] {
            assert_eq!(Compression::from_media_type(mt), c, "{mt}");
        }
        assert_eq!(Compression::sniff(&[0x1f, 0x8b, 8, 0]), Gzip);
        assert_eq!(Compression::sniff(&[0x28, 0xb5, 0x2f, 0xfd]), Zstd);
        assert_eq!(Compression::sniff(b"etc/"), None);
        assert_eq!(Compression::sniff(&[0x1f]), None);
    }

    #[test]
    fn assemble_rejects_diff_id_count_mismatch() {
        let cfg = br#"{"rootfs": {"type": "layers", "diff_ids": []}}"#.to_vec();
        let e = Image::assemble(
            "s".into(),
            cfg,
            "cfg",
            Option::None,
            vec![Layer::new(0, "l")],
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("0 layers but the manifest has 1"),
            "{e}"
        );
    }

    #[test]
    fn config_accepts_docker_nulls() {
        let cfg = br#"{"config": {"Env": null, "Labels": null, "Cmd": null, "ExposedPorts": null,
            "Volumes": null, "OnBuild": null}, "history": null, "rootfs": {"type": "layers", "diff_ids": null}}"#;
        let c: crate::ImageConfig = serde_json::from_slice(cfg).unwrap();
        assert!(c.history.is_empty());
        assert!(c.config.unwrap().env.is_empty());
    }
}
