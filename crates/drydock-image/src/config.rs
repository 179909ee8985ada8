//! The image configuration (`application/vnd.oci.image.config.v1+json`,
//! Docker's `container.v1+json`), typed for the fields drydock uses.
//! Unknown fields are ignored; `null` is accepted wherever Docker writes it.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::digest::Digest;

fn null_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The image configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// CPU architecture (`amd64`, `arm64`, …).
    #[serde(default)]
    pub architecture: Option<String>,
    /// Operating system (`linux`, …).
    #[serde(default)]
    pub os: Option<String>,
    /// CPU variant (`v8`, …).
    #[serde(default)]
    pub variant: Option<String>,
    /// RFC 3339 creation time, as written.
    #[serde(default)]
    pub created: Option<String>,
    /// Author.
    #[serde(default)]
    pub author: Option<String>,
    /// The runtime configuration.
    #[serde(default)]
    pub config: Option<ContainerConfig>,
    /// The layer diff IDs.
    #[serde(default)]
    pub rootfs: Option<RootFs>,
    /// Build history, oldest first.
    #[serde(default, deserialize_with = "null_default")]
    pub history: Vec<History>,
}

/// `config` of the image configuration (Docker's capitalised keys).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerConfig {
    /// `USER`.
    #[serde(default)]
    pub user: Option<String>,
    /// `ENV`, as `KEY=value`.
    #[serde(default, deserialize_with = "null_default")]
    pub env: Vec<String>,
    /// `CMD`.
    #[serde(default)]
    pub cmd: Option<Vec<String>>,
    /// `ENTRYPOINT`.
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    /// `LABEL`s.
    #[serde(default, deserialize_with = "null_default")]
    pub labels: BTreeMap<String, String>,
    /// `EXPOSE`d ports (`80/tcp`); the values are empty objects.
    #[serde(default, deserialize_with = "null_default")]
    pub exposed_ports: BTreeMap<String, serde_json::Value>,
    /// `VOLUME`s; the values are empty objects.
    #[serde(default, deserialize_with = "null_default")]
    pub volumes: BTreeMap<String, serde_json::Value>,
    /// `HEALTHCHECK`.
    #[serde(default)]
    pub healthcheck: Option<Healthcheck>,
    /// `WORKDIR`.
    #[serde(default)]
    pub working_dir: Option<String>,
    /// `STOPSIGNAL`.
    #[serde(default)]
    pub stop_signal: Option<String>,
    /// `SHELL`.
    #[serde(default)]
    pub shell: Option<Vec<String>>,
    /// `ONBUILD` triggers.
    #[serde(default, deserialize_with = "null_default")]
    pub on_build: Vec<String>,
}

/// `HEALTHCHECK` (durations in nanoseconds).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Healthcheck {
    /// `["NONE"]`, `["CMD", …]` or `["CMD-SHELL", …]`.
    #[serde(default, deserialize_with = "null_default")]
    pub test: Vec<String>,
    /// Interval.
    #[serde(default)]
    pub interval: Option<i64>,
    /// Timeout.
    #[serde(default)]
    pub timeout: Option<i64>,
    /// Start period.
    #[serde(default)]
    pub start_period: Option<i64>,
    /// Start interval.
    #[serde(default)]
    pub start_interval: Option<i64>,
    /// Retries.
    #[serde(default)]
    pub retries: Option<i64>,
}

/// `rootfs`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RootFs {
    /// `layers`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Digest of each uncompressed layer, base first.
    #[serde(default, deserialize_with = "null_default")]
    pub diff_ids: Vec<Digest>,
}

/// One `history` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// When.
    #[serde(default)]
    pub created: Option<String>,
    /// The instruction (`/bin/sh -c #(nop) …`, `RUN /bin/sh -c …`).
    #[serde(default)]
    pub created_by: Option<String>,
    /// Author.
    #[serde(default)]
    pub author: Option<String>,
    /// Comment.
    #[serde(default)]
    pub comment: Option<String>,
    /// True when the step produced no layer.
    #[serde(default, deserialize_with = "null_default")]
    pub empty_layer: bool,
}
