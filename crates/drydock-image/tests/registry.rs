//! The registry source against the rig's real registry: an engine-built
//! image read from the registry equals its `docker save`; images with plain,
//! gzip and zstd layers and a multi-platform index uploaded here with the
//! push API; a tampered layer in the registry's storage is caught by the
//! verified layer stream.

mod common;

use std::net::SocketAddr;

use common::{Comp, Spec, oci_manifest, sha, three_layers};
use drydock_image::*;
use drydock_rig::{BuildInput, BuildOpts, Rig, http};
use rayon::prelude::*;
use serde_json::json;

/// Every layer walked on rayon threads at once; the merged tree.
fn walk_parallel(src: &dyn ImageSource) -> (Vec<(String, Vec<Version>)>, Vec<u64>) {
    let listings: Vec<(LayerListing, u64)> = (0..src.image().layers.len())
        .into_par_iter()
        .map(|i| {
            let mut listing = LayerListing::new(i);
            let mut v = |e: &mut Entry<'_>| -> Result<()> {
                listing.record(&e.meta);
                Ok(())
            };
            let summary = src.walk_layer(i, &mut v).unwrap();
            (listing, summary.entries)
        })
        .collect();
    let mut tree = MergedTree::new();
    let mut entries = Vec::new();
    for (l, n) in &listings {
        tree.apply(l).unwrap();
        entries.push(*n);
    }
    let flat = tree
        .iter()
        .map(|(p, v)| (p.to_owned(), v.to_vec()))
        .collect();
    (flat, entries)
}

fn upload_blob(addr: SocketAddr, repo: &str, data: &[u8]) {
    let r = http::request(
        addr,
        "POST",
        &format!("/v2/{repo}/blobs/uploads/"),
        &[],
        &[],
    )
    .unwrap();
    assert_eq!(r.status, 202, "{}", r.text());
    let loc = r.header("location").unwrap();
    let loc = loc.strip_prefix(&format!("http://{addr}")).unwrap_or(loc);
    let sep = if loc.contains('?') { '&' } else { '?' };
    let put = format!("{loc}{sep}digest={}", sha(data));
    let r = http::request(
        addr,
        "PUT",
        &put,
        &[("Content-Type", "application/octet-stream")],
        data,
    )
    .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
}

fn upload_manifest(addr: SocketAddr, repo: &str, reference: &str, media_type: &str, data: &[u8]) {
    let r = http::request(
        addr,
        "PUT",
        &format!("/v2/{repo}/manifests/{reference}"),
        &[("Content-Type", media_type)],
        data,
    )
    .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
}

/// Uploads `spec` with layers compressed as `comps`; returns the manifest bytes.
fn upload_image(addr: SocketAddr, repo: &str, tag: &str, spec: &Spec, comps: &[Comp]) -> Vec<u8> {
    let (manifest, blobs) = oci_manifest(spec, comps);
    for (_, data) in &blobs {
        upload_blob(addr, repo, data);
    }
    upload_manifest(
        addr,
        repo,
        tag,
        "application/vnd.oci.image.manifest.v1+json",
        &manifest,
    );
    manifest
}

fn opts(platform: &str) -> OpenOptions {
    OpenOptions {
        platform: platform.parse().unwrap(),
        ..OpenOptions::default()
    }
}

#[test]
fn registry_and_docker_save_agree_on_an_engine_built_image() {
    let rig = Rig::shared();
    let base = rig.base_image().unwrap();
    let tag = rig.image_ref("drydock/image-source", "v1");
    rig.build(
        &BuildInput::Dockerfile(format!(
            "FROM {base}\nRUN echo one > /one && rm -rf /usr/share/doc\nRUN echo two > /two\n"
        )),
        &tag,
        &BuildOpts::default(),
    )
    .unwrap();
    let pushed = rig.push(&tag).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("saved.tar");
    rig.save(&tag, &archive).unwrap();

    let from_registry = open_str(&tag, &OpenOptions::default()).unwrap();
    let from_archive = open_str(
        &format!("docker-archive:{}", archive.display()),
        &OpenOptions::default(),
    )
    .unwrap();
    let (ri, ai) = (from_registry.image(), from_archive.image());
    assert_eq!(ri.manifest_digest.as_ref().unwrap().to_string(), pushed);
    assert_eq!(ri.raw_config, ai.raw_config);
    assert_eq!(ri.config_digest, ai.config_digest);
    assert_eq!(ri.layers.len(), 3);
    for (r, a) in ri.layers.iter().zip(&ai.layers) {
        assert_eq!(r.diff_id, a.diff_id);
        assert_eq!(r.history, a.history);
        assert_eq!(r.compression, Compression::Gzip);
    }
    assert_eq!(
        walk_parallel(&*from_registry),
        walk_parallel(&*from_archive)
    );
    // `registry:` prefix, by digest.
    let by_digest = open_str(
        &format!("registry:{}@{pushed}", tag.rsplit_once(':').unwrap().0),
        &OpenOptions::default(),
    )
    .unwrap();
    assert_eq!(by_digest.image().raw_manifest, ri.raw_manifest);
    // A missing tag: a clear error naming the reference and the status.
    let e = open_str(
        &rig.image_ref("drydock/image-source", "missing"),
        &OpenOptions::default(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        e.contains("drydock/image-source:missing") && e.contains("HTTP 404"),
        "{e}"
    );
}

#[test]
fn mixed_compression_and_platform_selection_from_an_index() {
    let rig = Rig::shared();
    let addr = rig.registry_addr();
    let repo = "drydock/image-multi";
    let amd = Spec::new(three_layers());
    let mut arm = Spec::new(three_layers()[..2].to_vec());
    arm.arch = "arm64".into();
    arm.history.truncate(2);
    let amd_m = upload_image(
        addr,
        repo,
        "amd",
        &amd,
        &[Comp::Plain, Comp::Gzip, Comp::Zstd],
    );
    let arm_m = upload_image(addr, repo, "arm", &arm, &[Comp::Zstd, Comp::Gzip]);
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&amd_m), "size": amd_m.len(),
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&arm_m), "size": arm_m.len(),
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ],
    }))
    .unwrap();
    upload_manifest(
        addr,
        repo,
        "multi",
        "application/vnd.oci.image.index.v1+json",
        &index,
    );
    let reference = format!("{addr}/{repo}:multi");

    let amd_src = open_str(&reference, &opts("linux/amd64")).unwrap();
    assert_eq!(
        amd_src
            .image()
            .manifest_digest
            .as_ref()
            .unwrap()
            .to_string(),
        sha(&amd_m)
    );
    assert_eq!(amd_src.image().layers.len(), 3);
    let compressions: Vec<_> = amd_src
        .image()
        .layers
        .iter()
        .map(|l| l.compression)
        .collect();
    assert_eq!(
        compressions,
        [Compression::None, Compression::Gzip, Compression::Zstd]
    );
    let (tree, entries) = walk_parallel(&*amd_src);
    assert!(tree.iter().any(|(p, _)| p == "/opt/d/z"));
    assert_eq!(entries.len(), 3);

    let arm_src = open_str(&reference, &opts("linux/arm64")).unwrap();
    assert_eq!(arm_src.image().platform(), "linux/arm64");
    assert_eq!(
        arm_src
            .image()
            .manifest_digest
            .as_ref()
            .unwrap()
            .to_string(),
        sha(&arm_m)
    );
    assert!(
        arm_src
            .image()
            .notes
            .iter()
            .any(|n| n.contains(&sha(&index))),
        "{:?}",
        arm_src.image().notes
    );
    walk_parallel(&*arm_src);

    let e = open_str(&reference, &opts("linux/riscv64"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("linux/riscv64") && e.contains("linux/arm64/v8"),
        "{e}"
    );
}

#[test]
fn tampered_layer_in_the_registry_is_caught_by_the_layer_stream() {
    let rig = Rig::shared();
    let addr = rig.registry_addr();
    let repo = "drydock/image-tampered";
    let layer = common::LayerTar::new()
        .file("etc/unique-7c1e", &[b'q'; 4000])
        .finish();
    let spec = Spec::new(vec![layer]);
    upload_image(addr, repo, "v1", &spec, &[Comp::Plain]);
    let reference = format!("{addr}/{repo}:v1");
    let src = open_str(&reference, &OpenOptions::default()).unwrap();
    walk_parallel(&*src);
    let digest = src.image().layers[0].digest.clone().unwrap();
    let stored = rig
        .registry()
        .dir()
        .join("storage/docker/registry/v2/blobs/sha256")
        .join(&digest.hex()[..2])
        .join(digest.hex())
        .join("data");
    let mut bytes = std::fs::read(&stored).unwrap();
    let at = bytes.windows(4).position(|w| w == b"qqqq").unwrap();
    bytes[at] = b'Q';
    std::fs::write(&stored, &bytes).unwrap();
    let mut v = |_: &mut Entry<'_>| -> Result<()> { Ok(()) };
    let e = src.walk_layer(0, &mut v).unwrap_err();
    assert!(matches!(e, Error::DigestMismatch { .. }), "{e}");
    assert!(e.to_string().contains(&digest.to_string()), "{e}");
}
