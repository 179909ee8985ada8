//! Test helpers: compose images (gzip layers, configs, manifests, indexes)
//! and upload them to a real registry over the distribution push API, and
//! start a registry that requires HTTP Basic auth.

#![allow(dead_code)] // each test binary uses a subset

use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use drydock_registry::{Descriptor, Digest, Platform};
use drydock_rig::{Registry, RegistryConfig};

/// A layer: a tar with `files`, gzip-compressed. Returns (gzip blob, tar).
pub fn layer(files: &[(&str, &[u8])]) -> (Vec<u8>, Vec<u8>) {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        b.append_data(&mut h, path, *data).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    (gz.finish().unwrap(), tar)
}

/// A minimal image config for `platform` over layers with `diff_ids`.
pub fn config(platform: &Platform, diff_ids: &[Digest]) -> Vec<u8> {
    let mut v = serde_json::json!({
        "architecture": platform.architecture,
        "os": platform.os,
        "config": {"Env": ["PATH=/usr/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids.iter().map(ToString::to_string).collect::<Vec<_>>()},
        "history": diff_ids.iter().map(|_| serde_json::json!({"created_by": "test layer"})).collect::<Vec<_>>(),
    });
    if let Some(variant) = &platform.variant {
        v["variant"] = variant.clone().into();
    }
    serde_json::to_vec(&v).unwrap()
}

/// A descriptor of `bytes`.
pub fn descriptor(media_type: &str, bytes: &[u8]) -> Descriptor {
    Descriptor {
        media_type: media_type.into(),
        digest: Digest::sha256_of(bytes),
        size: bytes.len() as u64,
        platform: None,
        annotations: Default::default(),
    }
}

/// An OCI image manifest JSON over `config` and `layers`.
pub fn manifest(config: &Descriptor, layers: &[Descriptor]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": drydock_registry::OCI_MANIFEST,
        "config": config,
        "layers": layers,
    }))
    .unwrap()
}

/// Uploads blobs and manifests to `http://ADDR` with the distribution push
/// API (monolithic uploads), optionally with Basic auth.
pub struct Pusher {
    base: String,
    auth: Option<String>,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl Pusher {
    /// For the registry at `host` (`127.0.0.1:PORT`).
    pub fn new(host: &str, user_password: Option<(&str, &str)>) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let http = {
            let _g = rt.enter();
            reqwest::Client::new()
        };
        Self {
            base: format!("http://{host}"),
            auth: user_password.map(|(u, p)| {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
                )
            }),
            http,
            rt,
        }
    }

    fn req(&self, m: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(m, url);
        match &self.auth {
            Some(a) => r.header("Authorization", a),
            None => r,
        }
    }

    /// Uploads `bytes` to `repo`; returns its descriptor.
    pub fn blob(&self, repo: &str, media_type: &str, bytes: &[u8]) -> Descriptor {
        let desc = descriptor(media_type, bytes);
        self.rt.block_on(async {
            let url = format!("{}/v2/{repo}/blobs/uploads/", self.base);
            let r = self.req(reqwest::Method::POST, &url).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 202, "POST {url}");
            let loc = r.headers()["location"].to_str().unwrap().to_owned();
            let loc = if loc.starts_with('/') {
                format!("{}{loc}", self.base)
            } else {
                loc
            };
            let sep = if loc.contains('?') { '&' } else { '?' };
            let put = format!("{loc}{sep}digest={}", desc.digest);
            let r = self
                .req(reqwest::Method::PUT, &put)
                .header("Content-Type", "application/octet-stream")
                .body(bytes.to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status().as_u16(),
                201,
                "PUT blob: {}",
                r.text().await.unwrap()
            );
        });
        desc
    }

    /// Puts manifest `bytes` (of `media_type`) as `repo:reference`; returns its digest.
    pub fn manifest(&self, repo: &str, reference: &str, media_type: &str, bytes: &[u8]) -> Digest {
        self.rt.block_on(async {
            let url = format!("{}/v2/{repo}/manifests/{reference}", self.base);
            let r = self
                .req(reqwest::Method::PUT, &url)
                .header("Content-Type", media_type)
                .body(bytes.to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status().as_u16(),
                201,
                "PUT manifest: {}",
                r.text().await.unwrap()
            );
        });
        Digest::sha256_of(bytes)
    }

    /// Uploads a one-layer image for `platform` whose layer holds `files`;
    /// returns the manifest's descriptor (with `platform` set).
    pub fn image(
        &self,
        repo: &str,
        tag: &str,
        platform: &Platform,
        files: &[(&str, &[u8])],
    ) -> Descriptor {
        let (gz, tar) = layer(files);
        let l = self.blob(repo, "application/vnd.oci.image.layer.v1.tar+gzip", &gz);
        let cfg = config(platform, &[Digest::sha256_of(&tar)]);
        let c = self.blob(repo, "application/vnd.oci.image.config.v1+json", &cfg);
        let m = manifest(&c, &[l]);
        self.manifest(repo, tag, drydock_registry::OCI_MANIFEST, &m);
        Descriptor {
            platform: Some(platform.clone()),
            ..descriptor(drydock_registry::OCI_MANIFEST, &m)
        }
    }
}

/// Starts a registry that requires `user`/`password` (HTTP Basic, bcrypt htpasswd).
pub fn basic_auth_registry(dir: &Path, user: &str, password: &str) -> Registry {
    let htpasswd = dir.join("htpasswd");
    let hash = bcrypt::hash(password, 4).unwrap();
    std::fs::write(&htpasswd, format!("{user}:{hash}\n")).unwrap();
    Registry::start_with(&RegistryConfig::new().htpasswd(&htpasswd)).unwrap()
}

/// Writes `DIR/config.json` with `auths` for `host`.
pub fn docker_config_with_auths(dir: &Path, host: &str, user: &str, password: &str) {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    std::fs::write(
        dir.join("config.json"),
        serde_json::json!({"auths": {host: {"auth": auth}}}).to_string(),
    )
    .unwrap();
}

/// Path of the blob `digest` in a rig registry's filesystem storage.
pub fn stored_blob(registry: &Registry, digest: &Digest) -> std::path::PathBuf {
    let hex = digest.hex();
    registry
        .dir()
        .join("storage/docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data")
}
