//! What an image itself says about its base: the OCI base labels and
//! annotations, and — short of a name — what its build history suggests.

use std::collections::BTreeMap;

use drydock_image::Image;

/// The OCI annotation (and label) naming the base image.
pub const BASE_NAME: &str = "org.opencontainers.image.base.name";
/// The OCI annotation (and label) with the base image's digest.
pub const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

/// How the base was identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// Labels of the image configuration.
    Labels,
    /// Annotations of the image manifest.
    Annotations,
    /// The candidate's layers are the first layers of the image.
    LayerPrefix,
}

impl Evidence {
    /// `labels`, `manifest annotations`, `layer match`.
    pub fn describe(&self) -> &'static str {
        match self {
            Evidence::Labels => "image labels",
            Evidence::Annotations => "manifest annotations",
            Evidence::LayerPrefix => "layer match",
        }
    }
}

/// The base as recorded in the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The reference the base was pulled by (`registry.example.test/debian:12`).
    pub name: String,
    /// The digest it had then, when recorded.
    pub digest: Option<String>,
    /// Where the name came from.
    pub evidence: Evidence,
}

/// The base the image names in its config labels, else in its manifest
/// annotations. A digest recorded in one and a name in the other are
/// combined (labels first).
pub fn recorded_base(image: &Image) -> Option<Recorded> {
    let empty = BTreeMap::new();
    let labels = image
        .config
        .config
        .as_ref()
        .map(|c| &c.labels)
        .unwrap_or(&empty);
    let annotations = manifest_annotations(image);
    let value = |map: &BTreeMap<String, String>, key: &str| {
        map.get(key)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let (name, evidence) = match (value(labels, BASE_NAME), value(&annotations, BASE_NAME)) {
        (Some(n), _) => (n, Evidence::Labels),
        (None, Some(n)) => (n, Evidence::Annotations),
        (None, None) => return None,
    };
    let digest = value(labels, BASE_DIGEST).or_else(|| value(&annotations, BASE_DIGEST));
    Some(Recorded {
        name,
        digest,
        evidence,
    })
}

/// `annotations` of the image manifest, when the source kept the manifest
/// (registries, OCI layouts, Docker ≥ 25 archives). Unreadable manifests
/// give none: they were verified when the image was opened.
fn manifest_annotations(image: &Image) -> BTreeMap<String, String> {
    #[derive(serde::Deserialize)]
    struct WithAnnotations {
        #[serde(default)]
        annotations: Option<BTreeMap<String, String>>,
    }
    image
        .raw_manifest
        .as_deref()
        .and_then(|raw| serde_json::from_slice::<WithAnnotations>(raw).ok())
        .and_then(|m| m.annotations)
        .unwrap_or_default()
}

/// What the build history suggests about the base, in one sentence, when it
/// suggests anything. A history records instructions, not the base's name
/// or digest, so this can only say how many layers probably came from a
/// base image and how the base's own history starts.
pub fn history_hint(image: &Image) -> Option<String> {
    let history = &image.config.history;
    let instruction = |i: usize| history[i].created_by.as_deref().unwrap_or("");
    // The base's configuration ends its history: the last CMD/ENTRYPOINT
    // without a layer that is followed by a step that made one.
    let last_layer = history.iter().rposition(|h| !h.empty_layer)?;
    let boundary = (0..last_layer).rev().find(|&i| {
        let text = instruction(i);
        history[i].empty_layer && (text.contains("CMD") || text.contains("ENTRYPOINT"))
    });
    let mut parts = Vec::new();
    if let Some(first) = history.first() {
        let text = first.created_by.as_deref().unwrap_or("");
        if text.contains("ADD file:") && text.trim_end().ends_with(" in /") {
            parts.push(
                "layer 0 is a root file system added with `ADD file:… in /`, as distribution \
                 base images start"
                    .to_owned(),
            );
        } else if first
            .comment
            .as_deref()
            .is_some_and(|c| c.starts_with("Imported from"))
        {
            parts.push("layer 0 was made by `docker import`".to_owned());
        }
    }
    if let Some(b) = boundary {
        let layers = history[..b].iter().filter(|h| !h.empty_layer).count();
        let shown: String = drydock_secrets::redact_text(instruction(b))
            .chars()
            .take(80)
            .collect();
        parts.push(format!(
            "the history suggests the first {layers} layer(s) come from a base image (its steps \
             end with `{shown}` at history entry {b})"
        ));
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use drydock_image::Layer;

    fn image(config: serde_json::Value, manifest: Option<serde_json::Value>) -> Image {
        let layers = config["rootfs"]["diff_ids"]
            .as_array()
            .map(|a| a.len())
            .unwrap_or(0);
        let mut image = Image::assemble(
            "test".into(),
            config.to_string().into_bytes(),
            "config",
            None,
            (0..layers)
                .map(|i| Layer::new(i, format!("l{i}")))
                .collect(),
        )
        .unwrap();
        image.raw_manifest = manifest.map(|m| m.to_string().into_bytes());
        image
    }

    const D0: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    const D1: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

    #[test]
    fn labels_come_before_annotations_and_combine() {
        let config = serde_json::json!({
            "config": {"Labels": {BASE_NAME: "registry.example.test/base:1"}},
            "rootfs": {"type": "layers", "diff_ids": []}
        });
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "annotations": {BASE_NAME: "other.example.test/x:2", BASE_DIGEST: D1}
        });
        let r = recorded_base(&image(config, Some(manifest.clone()))).unwrap();
        assert_eq!(r.name, "registry.example.test/base:1");
        assert_eq!(r.digest.as_deref(), Some(D1));
        assert_eq!(r.evidence, Evidence::Labels);
        let bare = serde_json::json!({"rootfs": {"type": "layers", "diff_ids": []}});
        let r = recorded_base(&image(bare.clone(), Some(manifest))).unwrap();
        assert_eq!(r.name, "other.example.test/x:2");
        assert_eq!(r.evidence, Evidence::Annotations);
        assert_eq!(recorded_base(&image(bare, None)), None);
    }

    #[test]
    fn history_suggests_base_layers_but_no_name() {
        let config = serde_json::json!({
            "rootfs": {"type": "layers", "diff_ids": [D0, D1, D0]},
            "history": [
                {"created_by": "/bin/sh -c #(nop) ADD file:abc123 in / "},
                {"created_by": "/bin/sh -c apt-get update", "empty_layer": false},
                {"created_by": "/bin/sh -c #(nop)  CMD [\"bash\"]", "empty_layer": true},
                {"created_by": "RUN /bin/sh -c make # buildkit", "comment": "buildkit.dockerfile.v0"},
                {"created_by": "CMD [\"/app\"]", "empty_layer": true}
            ]
        });
        let hint = history_hint(&image(config, None)).unwrap();
        assert!(hint.contains("`ADD file:… in /`"), "{hint}");
        assert!(hint.contains("first 2 layer(s)"), "{hint}");
        assert!(hint.contains("entry 2"), "{hint}");
        let plain = serde_json::json!({
            "rootfs": {"type": "layers", "diff_ids": [D0]},
            "history": [{"created_by": "COPY . /"}]
        });
        assert_eq!(history_hint(&image(plain, None)), None);
    }
}
