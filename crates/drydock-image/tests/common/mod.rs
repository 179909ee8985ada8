//! Builders for test images (layers, configs, archives, layouts).
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

pub fn sha(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

/// Builds one layer tar.
#[derive(Default)]
pub struct LayerTar {
    b: Vec<u8>,
}

fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h
}

impl LayerTar {
    pub fn new() -> Self {
        Self::default()
    }
    /// Appends with the raw name bytes (no validation: `..`, `/abs`, …).
    pub fn raw(
        mut self,
        name: &str,
        kind: tar::EntryType,
        data: &[u8],
        mode: u32,
        link: Option<&str>,
    ) -> Self {
        let mut h = header(kind, data.len() as u64, mode);
        {
            let bytes = h.as_mut_bytes();
            let n = name.as_bytes();
            assert!(n.len() < 100, "raw name too long for the test helper");
            bytes[..100].fill(0);
            bytes[..n.len()].copy_from_slice(n);
            if let Some(l) = link {
                bytes[157..257].fill(0);
                bytes[157..157 + l.len()].copy_from_slice(l.as_bytes());
            }
        }
        h.set_cksum();
        self.b.extend_from_slice(h.as_bytes());
        self.b.extend_from_slice(data);
        let pad = (512 - data.len() % 512) % 512;
        self.b.extend(std::iter::repeat_n(0u8, pad));
        self
    }
    pub fn file(self, name: &str, data: &[u8]) -> Self {
        self.raw(name, tar::EntryType::Regular, data, 0o644, None)
    }
    pub fn file_mode(self, name: &str, data: &[u8], mode: u32) -> Self {
        self.raw(name, tar::EntryType::Regular, data, mode, None)
    }
    pub fn dir(self, name: &str) -> Self {
        self.raw(name, tar::EntryType::Directory, b"", 0o755, None)
    }
    pub fn symlink(self, name: &str, target: &str) -> Self {
        self.raw(name, tar::EntryType::Symlink, b"", 0o777, Some(target))
    }
    pub fn hardlink(self, name: &str, target: &str) -> Self {
        self.raw(name, tar::EntryType::Link, b"", 0o644, Some(target))
    }
    pub fn whiteout(self, path: &str) -> Self {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let p = if dir.is_empty() {
            format!(".wh.{name}")
        } else {
            format!("{dir}/.wh.{name}")
        };
        self.raw(&p, tar::EntryType::Regular, b"", 0o644, None)
    }
    pub fn opaque(self, dir: &str) -> Self {
        self.raw(
            &format!("{dir}/.wh..wh..opq"),
            tar::EntryType::Regular,
            b"",
            0o644,
            None,
        )
    }
    pub fn finish(mut self) -> Vec<u8> {
        self.b.extend(std::iter::repeat_n(0u8, 1024));
        self.b
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Comp {
    Plain,
    Gzip,
    Zstd,
}

pub fn compress(tar: &[u8], c: Comp) -> Vec<u8> {
    match c {
        Comp::Plain => tar.to_vec(),
        Comp::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(tar).unwrap();
            e.finish().unwrap()
        }
        Comp::Zstd => zstd::encode_all(tar, 3).unwrap(),
    }
}

pub fn media_type(c: Comp) -> &'static str {
    match c {
        Comp::Plain => "application/vnd.oci.image.layer.v1.tar",
        Comp::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
        Comp::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
    }
}

/// A test image: layer tars (uncompressed), history, config extras.
#[derive(Clone)]
pub struct Spec {
    pub layers: Vec<Vec<u8>>,
    /// (created_by, empty_layer)
    pub history: Vec<(String, bool)>,
    pub arch: String,
    pub env: Vec<String>,
    pub user: Option<String>,
}

impl Spec {
    pub fn new(layers: Vec<Vec<u8>>) -> Self {
        let history = (0..layers.len())
            .map(|i| (format!("RUN step {i}"), false))
            .collect();
        Self {
            layers,
            history,
            arch: "amd64".into(),
            env: vec!["PATH=/usr/bin".into()],
            user: Some("app".into()),
        }
    }
    pub fn config(&self) -> Vec<u8> {
        let diff_ids: Vec<String> = self.layers.iter().map(|l| sha(l)).collect();
        let history: Vec<Value> = self
            .history
            .iter()
            .map(|(c, e)| {
                let mut h = json!({"created": "2026-01-01T00:00:00Z", "created_by": c});
                if *e {
                    h["empty_layer"] = json!(true);
                }
                h
            })
            .collect();
        serde_json::to_vec(&json!({
            "architecture": self.arch,
            "os": "linux",
            "created": "2026-01-01T00:00:00Z",
            "config": {
                "User": self.user,
                "Env": self.env,
                "Cmd": ["/bin/sh"],
                "Entrypoint": null,
                "Labels": {"org.example": "x"},
                "ExposedPorts": {"80/tcp": {}},
                "Volumes": {"/data": {}},
                "Healthcheck": {"Test": ["CMD", "true"], "Interval": 30000000000u64, "Retries": 3},
                "WorkingDir": "/app"
            },
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        }))
        .unwrap()
    }
}

/// Appends a regular member to an outer archive.
pub fn member(b: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]) {
    let mut h = tar::Header::new_ustar();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    b.append_data(&mut h, name, data).unwrap();
}

/// Legacy `docker save` (Docker < 25): `<id>/layer.tar`, `<cfg>.json`.
pub fn legacy_archive(spec: &Spec, tag: &str) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let config = spec.config();
    let cfg_hex = sha(&config)[7..].to_owned();
    let mut layer_paths = Vec::new();
    for (i, l) in spec.layers.iter().enumerate() {
        let id = format!("{:064x}", i + 1);
        let p = format!("{id}/layer.tar");
        member(&mut b, &format!("{id}/VERSION"), b"1.0");
        member(&mut b, &p, l);
        layer_paths.push(p);
    }
    member(&mut b, &format!("{cfg_hex}.json"), &config);
    let manifest =
        json!([{"Config": format!("{cfg_hex}.json"), "RepoTags": [tag], "Layers": layer_paths}]);
    member(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    member(&mut b, "repositories", b"{}");
    b.into_inner().unwrap()
}

/// Manifest JSON for `spec` with layers compressed as `comps`; returns
/// (manifest bytes, blobs to write (digest-hex, bytes)).
pub fn oci_manifest(spec: &Spec, comps: &[Comp]) -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
    let config = spec.config();
    let mut blobs = vec![(sha(&config)[7..].to_owned(), config.clone())];
    let mut layers = Vec::new();
    for (l, c) in spec.layers.iter().zip(comps) {
        let data = compress(l, *c);
        layers.push(json!({"mediaType": media_type(*c), "digest": sha(&data), "size": data.len()}));
        blobs.push((sha(&data)[7..].to_owned(), data));
    }
    let m = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len()},
        "layers": layers,
    }))
    .unwrap();
    (m, blobs)
}

/// Docker ≥25 `docker save`: OCI layout + manifest.json pointing at blobs.
pub fn docker25_archive(spec: &Spec, tag: &str, with_manifest_json: bool) -> Vec<u8> {
    let comps = vec![Comp::Plain; spec.layers.len()];
    let (m, blobs) = oci_manifest(spec, &comps);
    let mut b = tar::Builder::new(Vec::new());
    member(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    for (h, data) in &blobs {
        member(&mut b, &format!("blobs/sha256/{h}"), data);
    }
    member(&mut b, &format!("blobs/sha256/{}", &sha(&m)[7..]), &m);
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha(&m), "size": m.len(),
            "annotations": {"io.containerd.image.name": format!("docker.io/library/{tag}"), "org.opencontainers.image.ref.name": tag.rsplit(':').next().unwrap()}
        }]
    });
    member(&mut b, "index.json", &serde_json::to_vec(&index).unwrap());
    if with_manifest_json {
        let layer_paths: Vec<String> = blobs[1..]
            .iter()
            .map(|(h, _)| format!("blobs/sha256/{h}"))
            .collect();
        let manifest = json!([{"Config": format!("blobs/sha256/{}", blobs[0].0), "RepoTags": [tag], "Layers": layer_paths}]);
        member(
            &mut b,
            "manifest.json",
            &serde_json::to_vec(&manifest).unwrap(),
        );
    }
    b.into_inner().unwrap()
}

pub fn write_blob(dir: &Path, hex: &str, data: &[u8]) {
    let p = dir.join("blobs/sha256");
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(p.join(hex), data).unwrap();
}

/// OCI layout dir with `index.json` listing `entries` (descriptor JSON).
pub fn oci_dir(dir: &Path, entries: Vec<Value>) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

/// Writes `spec` into `dir` as blobs; returns the manifest descriptor.
pub fn add_image(dir: &Path, spec: &Spec, comps: &[Comp]) -> Value {
    let (m, blobs) = oci_manifest(spec, comps);
    for (h, d) in &blobs {
        write_blob(dir, h, d);
    }
    write_blob(dir, &sha(&m)[7..], &m);
    json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&m), "size": m.len()})
}

/// Three layers exercising whiteouts:
/// L0: /etc/a (100 B), /etc/b (200 B), /opt/d/x (300 B), /opt/d/y (50 B), /keep (10 B)
/// L1: /secret (875 B), /etc/a rewritten (120 B), /.wh. of /etc/b
/// L2: whiteout /secret, opaque /opt/d with new /opt/d/z (7 B)
pub fn three_layers() -> Vec<Vec<u8>> {
    let l0 = LayerTar::new()
        .dir("etc/")
        .file("etc/a", &[b'a'; 100])
        .file("etc/b", &[b'b'; 200])
        .dir("opt/")
        .dir("opt/d/")
        .file("opt/d/x", &[b'x'; 300])
        .file("opt/d/y", &[b'y'; 50])
        .file("keep", &[b'k'; 10])
        .finish();
    let l1 = LayerTar::new()
        .file("secret", &[b's'; 875])
        .dir("etc/")
        .file("etc/a", &[b'A'; 120])
        .whiteout("etc/b")
        .finish();
    let l2 = LayerTar::new()
        .whiteout("secret")
        .dir("opt/d/")
        .opaque("opt/d")
        .file("opt/d/z", &[b'z'; 7])
        .finish();
    vec![l0, l1, l2]
}
