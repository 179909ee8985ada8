//! `docker save` archives: conversion to an OCI image layout, and a
//! byte-level search through every layer (for secret-leak assertions).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::{Error, Result, hex};

/// The contents of a `docker save` archive, read into memory.
#[derive(Debug, Clone)]
pub struct SavedImage {
    /// Every regular file of the outer archive by path (`manifest.json`,
    /// `<config>.json`, `<id>/layer.tar`, …).
    pub entries: BTreeMap<String, Vec<u8>>,
    /// The first `manifest.json` entry: config path.
    pub config_path: String,
    /// Layer paths, base first.
    pub layer_paths: Vec<String>,
    /// `RepoTags` of the first image.
    pub repo_tags: Vec<String>,
}

impl SavedImage {
    /// Reads a `docker save` archive.
    pub fn read(archive: &Path) -> Result<Self> {
        let f = File::open(archive).map_err(|e| Error::io(archive, e))?;
        let mut entries = BTreeMap::new();
        let mut ar = tar::Archive::new(f);
        for e in ar.entries().map_err(|e| Error::io(archive, e))? {
            let mut e = e.map_err(|e| Error::io(archive, e))?;
            if !e.header().entry_type().is_file() {
                continue;
            }
            let path = e
                .path()
                .map_err(|e| Error::io(archive, e))?
                .to_string_lossy()
                .into_owned();
            let mut buf = Vec::new();
            e.read_to_end(&mut buf).map_err(|e| Error::io(archive, e))?;
            entries.insert(path.trim_start_matches("./").to_owned(), buf);
        }
        let manifest: Value = serde_json::from_slice(
            entries
                .get("manifest.json")
                .ok_or_else(|| Error::new(format!("{}: no manifest.json", archive.display())))?,
        )
        .map_err(|e| Error::new(format!("manifest.json: {e}")))?;
        let m0 = manifest
            .get(0)
            .ok_or_else(|| Error::new("manifest.json: empty"))?;
        let config_path = m0["Config"]
            .as_str()
            .ok_or_else(|| Error::new("manifest.json: no Config"))?
            .to_owned();
        let layer_paths = m0["Layers"]
            .as_array()
            .ok_or_else(|| Error::new("manifest.json: no Layers"))?
            .iter()
            .filter_map(|l| l.as_str().map(str::to_owned))
            .collect();
        let repo_tags = m0["RepoTags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            entries,
            config_path,
            layer_paths,
            repo_tags,
        })
    }

    /// The image config JSON bytes.
    pub fn config(&self) -> Result<&[u8]> {
        self.entry(&self.config_path)
    }

    fn entry(&self, p: &str) -> Result<&[u8]> {
        self.entries
            .get(p)
            .map(Vec::as_slice)
            .ok_or_else(|| Error::new(format!("archive has no {p}")))
    }

    /// Uncompressed layer tar bytes, base first (gzip layers are inflated).
    pub fn layers(&self) -> Result<Vec<Vec<u8>>> {
        self.layer_paths
            .iter()
            .map(|p| decompress(self.entry(p)?))
            .collect()
    }

    /// Finds every place `needle` occurs: in any file (or symlink target,
    /// or path) of any layer, in the config/history JSON, and in any other
    /// archive member. Returns human-readable locations.
    pub fn find_bytes(&self, needle: &[u8]) -> Result<Vec<String>> {
        let mut hits = Vec::new();
        for (path, data) in &self.entries {
            if self.layer_paths.contains(path) {
                let layer = decompress(data)?;
                let mut ar = tar::Archive::new(layer.as_slice());
                for e in ar
                    .entries()
                    .map_err(|e| Error::new(format!("{path}: {e}")))?
                {
                    let mut e = e.map_err(|e| Error::new(format!("{path}: {e}")))?;
                    let name = e.path_bytes().into_owned();
                    let link = e
                        .link_name_bytes()
                        .map(|l| l.into_owned())
                        .unwrap_or_default();
                    let mut buf = Vec::new();
                    e.read_to_end(&mut buf)
                        .map_err(|e| Error::new(format!("{path}: {e}")))?;
                    let shown = String::from_utf8_lossy(&name).into_owned();
                    if contains(&buf, needle) {
                        hits.push(format!("{path}: file {shown}"));
                    }
                    if contains(&name, needle) || contains(&link, needle) {
                        hits.push(format!("{path}: name/link of {shown}"));
                    }
                    if let Ok(Some(pax)) = e.pax_extensions() {
                        for x in pax.flatten() {
                            if contains(x.value_bytes(), needle) {
                                hits.push(format!("{path}: pax header of {shown}"));
                            }
                        }
                    }
                }
                // Also the raw bytes (tar headers, xattrs) — belt and braces.
                if contains(&layer, needle)
                    && !hits.iter().any(|h| h.starts_with(&format!("{path}:")))
                {
                    hits.push(format!("{path}: raw layer bytes"));
                }
            } else if contains(data, needle) {
                hits.push(format!("archive member {path}"));
            }
        }
        Ok(hits)
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(hay, needle).is_some()
}

fn decompress(data: &[u8]) -> Result<Vec<u8>> {
    if data.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(data)
            .read_to_end(&mut out)
            .map_err(|e| Error::new(format!("gunzip layer: {e}")))?;
        Ok(out)
    } else {
        Ok(data.to_vec())
    }
}

fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(data)))
}

fn write_blob(dir: &Path, data: &[u8]) -> Result<(String, usize)> {
    let digest = sha256(data);
    let blobs = dir.join("blobs").join("sha256");
    fs::create_dir_all(&blobs).map_err(|e| Error::io(&blobs, e))?;
    let p = blobs.join(digest.trim_start_matches("sha256:"));
    if !p.exists() {
        let mut f = File::create(&p).map_err(|e| Error::io(&p, e))?;
        f.write_all(data).map_err(|e| Error::io(&p, e))?;
    }
    Ok((digest, data.len()))
}

/// Converts a `docker save` archive into an OCI image layout in `dir`
/// (`oci-layout`, `index.json`, `blobs/sha256/…`), with uncompressed layers.
///
/// Verified: each layer's sha256 must equal the config's `rootfs.diff_ids`
/// entry, and the config's sha256 must match its file name in the archive.
/// `ref_name` becomes the `org.opencontainers.image.ref.name` annotation.
/// Returns the manifest digest.
pub fn docker_archive_to_oci(archive: &Path, dir: &Path, ref_name: Option<&str>) -> Result<String> {
    let img = SavedImage::read(archive)?;
    let config = img.config()?;
    let config_digest = sha256(config);
    let expected = img
        .config_path
        .trim_end_matches(".json")
        .rsplit('/')
        .next()
        .unwrap_or("");
    if !config_digest.ends_with(expected) || expected.len() != 64 {
        return Err(Error::new(format!(
            "config {} hashes to {config_digest}",
            img.config_path
        )));
    }
    let cfg: Value =
        serde_json::from_slice(config).map_err(|e| Error::new(format!("config: {e}")))?;
    let diff_ids: Vec<&str> = cfg["rootfs"]["diff_ids"]
        .as_array()
        .ok_or_else(|| Error::new("config: no rootfs.diff_ids"))?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let layers = img.layers()?;
    if layers.len() != diff_ids.len() {
        return Err(Error::new(format!(
            "{} layers but {} diff_ids",
            layers.len(),
            diff_ids.len()
        )));
    }
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut layer_descs = Vec::new();
    for (i, (layer, diff_id)) in layers.iter().zip(&diff_ids).enumerate() {
        let (digest, size) = write_blob(dir, layer)?;
        if digest != *diff_id {
            return Err(Error::new(format!(
                "layer {i}: sha256 {digest} != diff_id {diff_id}"
            )));
        }
        layer_descs.push(json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": digest,
            "size": size,
        }));
    }
    let (cdigest, csize) = write_blob(dir, config)?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": cdigest,
            "size": csize,
        },
        "layers": layer_descs,
    });
    let mbytes = serde_json::to_vec(&manifest).map_err(|e| Error::new(e.to_string()))?;
    let (mdigest, msize) = write_blob(dir, &mbytes)?;
    let mut desc = json!({
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": mdigest,
        "size": msize,
    });
    let name = ref_name
        .map(str::to_owned)
        .or_else(|| img.repo_tags.first().cloned());
    if let Some(n) = name {
        desc["annotations"] = json!({ "org.opencontainers.image.ref.name": n });
    }
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [desc],
    });
    let w = |p: &str, v: &Value| -> Result<()> {
        let path = dir.join(p);
        fs::write(
            &path,
            serde_json::to_vec_pretty(v).map_err(|e| Error::new(e.to_string()))?,
        )
        .map_err(|e| Error::io(&path, e))
    };
    w("oci-layout", &json!({ "imageLayoutVersion": "1.0.0" }))?;
    w("index.json", &index)?;
    Ok(mdigest)
}

/// Checks an OCI layout: every blob's name is its sha256 and every
/// descriptor reachable from `index.json` exists with the declared size.
pub fn verify_oci_layout(dir: &Path) -> Result<()> {
    let read = |p: &Path| fs::read(p).map_err(|e| Error::io(p, e));
    let blob = |d: &str, size: u64| -> Result<Vec<u8>> {
        let p = dir
            .join("blobs")
            .join("sha256")
            .join(d.trim_start_matches("sha256:"));
        let b = read(&p)?;
        if sha256(&b) != d || b.len() as u64 != size {
            return Err(Error::new(format!("blob {d}: content/size mismatch")));
        }
        Ok(b)
    };
    let index: Value = serde_json::from_slice(&read(&dir.join("index.json"))?)
        .map_err(|e| Error::new(format!("index.json: {e}")))?;
    for m in index["manifests"].as_array().into_iter().flatten() {
        let mb = blob(
            m["digest"].as_str().unwrap_or(""),
            m["size"].as_u64().unwrap_or(0),
        )?;
        let man: Value =
            serde_json::from_slice(&mb).map_err(|e| Error::new(format!("manifest: {e}")))?;
        let c = &man["config"];
        blob(
            c["digest"].as_str().unwrap_or(""),
            c["size"].as_u64().unwrap_or(0),
        )?;
        for l in man["layers"].as_array().into_iter().flatten() {
            blob(
                l["digest"].as_str().unwrap_or(""),
                l["size"].as_u64().unwrap_or(0),
            )?;
        }
    }
    Ok(())
}
