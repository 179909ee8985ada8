//! The client against the rig's real registry (distribution 2.8 on
//! 127.0.0.1): images pushed by the rig's dockerd, images and indexes
//! composed here and uploaded with the push API, Basic auth from a Docker
//! config, tampered storage.

mod common;

use std::io::Read;

use common::{Pusher, basic_auth_registry, docker_config_with_auths, stored_blob};
use drydock_registry::{
    BlockingClient, ClientConfig, Credentials, Digest, Error, ImageIndex, ManifestDocument,
    OCI_INDEX, Platform, Reference,
};
use drydock_rig::{BuildInput, BuildOpts, Rig, SavedImage};

fn client(credentials: Credentials) -> BlockingClient {
    BlockingClient::new(ClientConfig {
        credentials,
        ..ClientConfig::default()
    })
    .unwrap()
}

fn anonymous() -> BlockingClient {
    client(Credentials::Anonymous)
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn read_blob(c: &BlockingClient, r: &Reference, d: &drydock_registry::Descriptor) -> Vec<u8> {
    let mut out = Vec::new();
    c.open_blob(r, d, true)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn pulls_exactly_what_the_engine_pushed_and_saved() {
    let rig = Rig::shared();
    let base = rig.base_image().unwrap();
    let tag = rig.image_ref("drydock/registry-client", "two-layers");
    rig.build(
        &BuildInput::Dockerfile(format!(
            "FROM {base}\nRUN echo registry-client-test > /marker && mkdir -p /opt/x && echo y > /opt/x/y\n"
        )),
        &tag,
        &BuildOpts::default(),
    )
    .unwrap();
    let pushed = rig.push(&tag).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("saved.tar");
    rig.save(&tag, &archive).unwrap();
    let saved = SavedImage::read(&archive).unwrap();

    let c = anonymous();
    let r = Reference::parse(&tag).unwrap();
    let head = c.block_on(c.client().head_manifest(&r)).unwrap();
    assert_eq!(head.digest.to_string(), pushed);
    assert_eq!(
        head.digest,
        rig.manifest_digest("drydock/registry-client", "two-layers")
            .unwrap()
            .parse()
            .unwrap()
    );

    let image = c
        .block_on(c.client().resolve_image(&r, &Platform::linux_amd64()))
        .unwrap();
    assert_eq!(image.manifest_digest.to_string(), pushed);
    assert_eq!(image.index_digest, None);
    assert_eq!(
        Digest::sha256_of(&image.manifest_bytes),
        image.manifest_digest
    );
    let config = c.block_on(c.client().get_config(&image)).unwrap();
    assert_eq!(config, saved.config().unwrap());

    let saved_layers = saved.layers().unwrap();
    assert_eq!(image.manifest.layers.len(), saved_layers.len());
    assert_eq!(saved_layers.len(), 2);
    for (desc, want) in image.manifest.layers.iter().zip(&saved_layers) {
        let blob = read_blob(&c, &image.pinned(), desc);
        assert_eq!(Digest::sha256_of(&blob), desc.digest);
        assert_eq!(&gunzip(&blob), want, "layer {}", desc.digest);
    }

    // By digest: the same manifest; a digest that is not there: 404.
    let pinned = r.with_digest(pushed.parse().unwrap());
    let m = c.block_on(c.client().get_manifest(&pinned)).unwrap();
    assert_eq!(m.bytes, image.manifest_bytes);
    let missing = r.with_digest(Digest::sha256_of(b"not there"));
    let e = c.block_on(c.client().get_manifest(&missing)).unwrap_err();
    assert!(e.is_not_found(), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("HTTP 404")
            && msg.contains("drydock/registry-client")
            && msg.contains("MANIFEST_UNKNOWN"),
        "{msg}"
    );
    let e = c
        .block_on(c.client().head_manifest(
            &Reference::parse(&rig.image_ref("drydock/registry-client", "no-such-tag")).unwrap(),
        ))
        .unwrap_err();
    assert_eq!(e.status(), Some(404), "{e}");
}

#[test]
fn index_gives_the_child_for_the_requested_platform() {
    let rig = Rig::shared();
    let host = rig.registry().host();
    let p = Pusher::new(&host, None);
    let repo = "drydock/multi-arch";
    let amd64 = Platform::linux_amd64();
    let arm64: Platform = "linux/arm64/v8".parse().unwrap();
    let armv7: Platform = "linux/arm/v7".parse().unwrap();
    let children: Vec<_> = [&amd64, &arm64, &armv7]
        .iter()
        .map(|pl| {
            let text = format!("built for {pl}\n");
            p.image(
                repo,
                &pl.to_string().replace('/', "-"),
                pl,
                &[("etc/arch", text.as_bytes())],
            )
        })
        .collect();
    let index = serde_json::to_vec(&ImageIndex {
        schema_version: 2,
        media_type: Some(OCI_INDEX.into()),
        manifests: children.clone(),
    })
    .unwrap();
    let index_digest = p.manifest(repo, "multi", OCI_INDEX, &index);

    let c = anonymous();
    let r = Reference::parse(&format!("{host}/{repo}:multi")).unwrap();
    assert_eq!(
        c.block_on(c.client().head_manifest(&r)).unwrap().digest,
        index_digest
    );
    let m = c.block_on(c.client().get_manifest(&r)).unwrap();
    assert!(matches!(m.document, ManifestDocument::Index(ref i) if i.manifests.len() == 3));
    for (want, child) in [
        (&arm64, &children[1]),
        (&amd64, &children[0]),
        (&armv7, &children[2]),
    ] {
        let image = c.block_on(c.client().resolve_image(&r, want)).unwrap();
        assert_eq!(image.index_digest.as_ref(), Some(&index_digest));
        assert_eq!(image.manifest_digest, child.digest, "{want}");
        assert_eq!(image.platform.as_ref(), Some(want));
        let config: serde_json::Value =
            serde_json::from_slice(&c.block_on(c.client().get_config(&image)).unwrap()).unwrap();
        assert_eq!(config["architecture"], want.architecture.as_str());
        let layer = read_blob(&c, &image.pinned(), &image.manifest.layers[0]);
        let text = String::from_utf8_lossy(&gunzip(&layer)).into_owned();
        assert!(text.contains(&format!("built for {want}")), "{want}");
    }
    let e = c
        .block_on(
            c.client()
                .resolve_image(&r, &"linux/s390x".parse().unwrap()),
        )
        .unwrap_err();
    assert!(matches!(e, Error::PlatformNotFound { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("linux/s390x") && msg.contains("linux/arm/v7") && msg.contains("--platform"),
        "{msg}"
    );
}

#[test]
fn tampered_storage_and_lying_descriptors_are_detected() {
    let rig = Rig::shared();
    let host = rig.registry().host();
    let p = Pusher::new(&host, None);
    let repo = "drydock/tampered";
    let c = anonymous();

    // A blob whose stored bytes are changed after upload (same length).
    let pl = Platform::linux_amd64();
    let child = p.image(
        repo,
        "v1",
        &pl,
        &[("etc/tamper-me", b"original content of a unique file 7f3a\n")],
    );
    let r = Reference::parse(&format!("{host}/{repo}:v1")).unwrap();
    let image = c.block_on(c.client().resolve_image(&r, &pl)).unwrap();
    let layer = &image.manifest.layers[0];
    // Intact first: the check passes.
    read_blob(&c, &image.pinned(), layer);
    let path = stored_blob(rig.registry(), &layer.digest);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 9; // inside the deflate stream, before the gzip trailer
    bytes[last] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let mut out = Vec::new();
    let e = c
        .open_blob(&image.pinned(), layer, true)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap_err();
    let inner = e.into_inner().unwrap().downcast::<Error>().unwrap();
    assert!(matches!(*inner, Error::DigestMismatch { .. }), "{inner}");
    assert!(
        inner.to_string().contains(&layer.digest.to_string()),
        "{inner}"
    );
    // Without the digest check the same bytes pass (the caller verifies).
    out.clear();
    c.open_blob(&image.pinned(), layer, false)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, bytes);

    // A stored manifest changed after upload: fetching it by digest fails.
    let path = stored_blob(rig.registry(), &child.digest);
    let mut m = std::fs::read(&path).unwrap();
    let i = m.iter().position(|b| *b == b'2').unwrap(); // schemaVersion 2 → 3
    m[i] = b'3';
    std::fs::write(&path, &m).unwrap();
    let e = c
        .block_on(
            c.client()
                .get_manifest(&r.with_digest(child.digest.clone())),
        )
        .unwrap_err();
    assert!(
        matches!(e, Error::DigestMismatch { ref what, .. } if what == "manifest"),
        "{e}"
    );

    // A layer descriptor that states the wrong size.
    let (gz, _) = common::layer(&[("etc/size", b"size lie 91c2\n")]);
    let mut l = p.blob(repo, "application/vnd.oci.image.layer.v1.tar+gzip", &gz);
    l.size += 10;
    let e = c.open_blob(&r, &l, true).unwrap_err();
    assert!(
        matches!(e, Error::SizeMismatch { expected, actual, .. } if expected == actual + 10),
        "{e}"
    );
}

#[test]
fn basic_auth_with_credentials_from_a_docker_config() {
    let tmp = tempfile::tempdir().unwrap();
    let (user, password) = ("drydock", "s3cret-pw-4711");
    let registry = basic_auth_registry(tmp.path(), user, password);
    let host = registry.host();
    let p = Pusher::new(&host, Some((user, password)));
    let pl = Platform::linux_amd64();
    let child = p.image("private/app", "v1", &pl, &[("etc/private", b"private\n")]);
    let r = Reference::parse(&format!("{host}/private/app:v1")).unwrap();

    // Anonymous: a clear error naming the registry and what to do.
    let c = anonymous();
    let e = c.block_on(c.client().head_manifest(&r)).unwrap_err();
    assert!(matches!(e, Error::Auth { .. }), "{e}");
    assert!(
        e.to_string().contains(&format!("docker login {host}")),
        "{e}"
    );

    // Credentials from `auths`.
    let good = tmp.path().join("good");
    std::fs::create_dir(&good).unwrap();
    docker_config_with_auths(&good, &host, user, password);
    let c = client(Credentials::DockerConfig(Some(good)));
    assert_eq!(
        c.block_on(c.client().head_manifest(&r)).unwrap().digest,
        child.digest
    );
    let image = c.block_on(c.client().resolve_image(&r, &pl)).unwrap();
    c.block_on(c.client().get_config(&image)).unwrap();
    read_blob(&c, &image.pinned(), &image.manifest.layers[0]);
    assert!(!format!("{c:?}").contains(password));

    // Wrong password: rejected, and the password is not in the message.
    let bad = tmp.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    docker_config_with_auths(&bad, &host, user, "wrong-pw-0815");
    let c = client(Credentials::DockerConfig(Some(bad)));
    let e = c.block_on(c.client().head_manifest(&r)).unwrap_err();
    let msg = format!("{e} {e:?}");
    assert!(msg.contains("rejected the configured credentials"), "{msg}");
    assert!(
        !msg.contains("wrong-pw-0815") && !msg.contains(user),
        "{msg}"
    );
}
