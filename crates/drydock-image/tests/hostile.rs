//! Hostile input: each case is a clear error or a reported anomaly, never
//! a panic, never a write to disk.

mod common;

use std::io::{Read, Write};

use common::*;
use drydock_image::*;
use serde_json::json;

fn walk_collect(layer: &[u8]) -> (Vec<EntryMeta>, Vec<Anomaly>, Result<WalkSummary>) {
    struct V(Vec<EntryMeta>, Vec<Anomaly>);
    impl LayerVisitor for V {
        fn entry(&mut self, e: &mut Entry<'_>) -> Result<()> {
            self.0.push(e.meta.clone());
            Ok(())
        }
        fn anomaly(&mut self, a: Anomaly) {
            self.1.push(a);
        }
    }
    let mut v = V(Vec::new(), Vec::new());
    let r = walk_layer(layer, &mut v);
    (v.0, v.1, r)
}

fn kinds(a: &[Anomaly]) -> Vec<AnomalyKind> {
    a.iter().map(|a| a.kind).collect()
}

#[test]
fn dotdot_and_absolute_paths_are_normalised_and_reported() {
    let layer = LayerTar::new()
        .file("../../etc/passwd", b"x")
        .file("/etc/shadow", b"y")
        .file("a/../../b", b"z")
        .file("./ok/./c", b"w")
        .finish();
    let (metas, anomalies, r) = walk_collect(&layer);
    r.unwrap();
    let paths: Vec<&str> = metas.iter().map(|m| m.path.as_str()).collect();
    assert_eq!(paths, ["/etc/passwd", "/etc/shadow", "/b", "/ok/c"]);
    assert_eq!(
        kinds(&anomalies),
        [
            AnomalyKind::DotDot,
            AnomalyKind::AbsolutePath,
            AnomalyKind::DotDot
        ]
    );
    assert!(
        anomalies[0].detail.contains("climbs above the root"),
        "{:?}",
        anomalies[0]
    );
    assert_eq!(anomalies[0].path, "/etc/passwd");
}

#[test]
fn link_escapes_are_reported_not_followed() {
    let layer = LayerTar::new()
        .symlink("a/evil", "../../../../etc/shadow")
        .symlink("a/fine", "../usr/bin")
        .symlink("abs", "/etc/passwd")
        .hardlink("h", "../../etc/shadow")
        .finish();
    let (metas, anomalies, r) = walk_collect(&layer);
    r.unwrap();
    assert_eq!(
        kinds(&anomalies),
        [AnomalyKind::SymlinkEscape, AnomalyKind::HardlinkEscape]
    );
    assert_eq!(anomalies[0].path, "/a/evil");
    assert_eq!(
        metas[0].link_target.as_deref(),
        Some("../../../../etc/shadow")
    );
    assert_eq!(metas[3].link_target.as_deref(), Some("/etc/shadow"));
}

#[test]
fn duplicate_entries_are_reported_and_last_wins() {
    let layer = LayerTar::new()
        .file("x", b"first")
        .file("./x", b"second!")
        .finish();
    let (metas, anomalies, r) = walk_collect(&layer);
    r.unwrap();
    assert_eq!(metas.len(), 2);
    assert_eq!(kinds(&anomalies), [AnomalyKind::DuplicateEntry]);
    let mut listing = LayerListing::new(0);
    walk_layer(&layer[..], &mut listing).unwrap();
    let mut tree = MergedTree::new();
    tree.apply(&listing).unwrap();
    assert_eq!(tree.present("/x").map(|v| v.size), Some(7));
    assert_eq!(tree.hidden_bytes(), 5);

    // Duplicate archive members: noted, last used.
    let spec = Spec::new(vec![LayerTar::new().file("f", b"1").finish()]);
    let mut b = tar::Builder::new(Vec::new());
    let cfg = spec.config();
    let h = sha(&cfg)[7..].to_owned();
    member(&mut b, &format!("{h}.json"), b"{\"garbage\": true}");
    member(&mut b, &format!("{h}.json"), &cfg);
    member(&mut b, "l/layer.tar", &spec.layers[0]);
    member(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&json!([{"Config": format!("{h}.json"), "Layers": ["l/layer.tar"]}]))
            .unwrap(),
    );
    let src =
        DockerArchive::from_bytes(b.into_inner().unwrap(), None, &OpenOptions::default()).unwrap();
    assert_eq!(src.duplicate_members(), [format!("{h}.json")]);
    assert!(
        src.image()
            .notes
            .iter()
            .any(|n| n.contains("duplicate members")),
        "{:?}",
        src.image().notes
    );
}

#[test]
fn oversized_json_members_are_refused() {
    // Declared size above the limit: refused before reading.
    let spec = Spec::new(vec![LayerTar::new().file("f", b"1").finish()]);
    let big = vec![b' '; (16 << 20) + 1];
    let mut b = tar::Builder::new(Vec::new());
    member(&mut b, "manifest.json", &big);
    let err = DockerArchive::from_bytes(b.into_inner().unwrap(), None, &OpenOptions::default())
        .err()
        .unwrap();
    assert!(
        matches!(&err, Error::TooLarge { limit, size, .. } if *limit == 16 << 20 && *size == (16 << 20) + 1),
        "{err}"
    );
    assert!(err.to_string().contains("manifest.json"), "{err}");

    // A config blob in an OCI layout whose descriptor claims 1 TiB.
    let dir = tempfile::tempdir().unwrap();
    let mut desc = add_image(dir.path(), &spec, &[Comp::Plain]);
    let m = std::fs::read(dir.path().join(format!(
        "blobs/sha256/{}",
        &desc["digest"].as_str().unwrap()[7..]
    )))
    .unwrap();
    let mut mv: serde_json::Value = serde_json::from_slice(&m).unwrap();
    mv["config"]["size"] = json!(1u64 << 40);
    let m2 = serde_json::to_vec(&mv).unwrap();
    write_blob(dir.path(), &sha(&m2)[7..], &m2);
    desc["digest"] = json!(sha(&m2));
    desc["size"] = json!(m2.len());
    oci_dir(dir.path(), vec![desc]);
    let err = OciLayout::open(dir.path(), &Selector::Default, &OpenOptions::default())
        .err()
        .unwrap();
    assert!(
        matches!(&err, Error::TooLarge { size, .. } if *size == 1 << 40),
        "{err}"
    );
    assert!(err.to_string().contains("config"), "{err}");
}

#[test]
fn gzip_bomb_hits_the_decompression_cap() {
    // 64 MiB of zeros in one file, gzip'd (~64 KiB); cap 4 MiB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let size: u64 = 64 << 20;
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_path("zeros").unwrap();
    h.set_cksum();
    gz.write_all(h.as_bytes()).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..64 {
        gz.write_all(&chunk).unwrap();
    }
    gz.write_all(&[0u8; 1024]).unwrap();
    let blob = gz.finish().unwrap();
    assert!(blob.len() < 1 << 20);

    let dir = tempfile::tempdir().unwrap();
    // Build the spec with a fake layer whose diff_id we do not need (cap hits first).
    let spec = Spec::new(vec![b"placeholder".to_vec()]);
    let cfg = spec.config();
    write_blob(dir.path(), &sha(&cfg)[7..], &cfg);
    write_blob(dir.path(), &sha(&blob)[7..], &blob);
    let m = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&cfg), "size": cfg.len()},
        "layers": [{"mediaType": media_type(Comp::Gzip), "digest": sha(&blob), "size": blob.len()}],
    }))
    .unwrap();
    write_blob(dir.path(), &sha(&m)[7..], &m);
    oci_dir(
        dir.path(),
        vec![
            json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&m), "size": m.len()}),
        ],
    );
    let opts = OpenOptions {
        limits: Limits {
            max_layer_bytes: 4 << 20,
            ..Default::default()
        },
        ..Default::default()
    };
    let src = OciLayout::open(dir.path(), &Selector::Default, &opts).unwrap();
    let mut read_bytes = 0u64;
    let err = src
        .walk_layer(0, &mut |e: &mut Entry<'_>| {
            let mut buf = [0u8; 65536];
            loop {
                let n = e.read(&mut buf).map_err(|e| Error::from_io("test", e))?;
                if n == 0 {
                    return Ok(());
                }
                read_bytes += n as u64;
            }
        })
        .unwrap_err();
    assert!(
        matches!(&err, Error::DecompressionLimit { limit, .. } if *limit == 4 << 20),
        "{err}"
    );
    assert!(err.to_string().contains("layer 0"), "{err}");
    assert!(read_bytes <= 4 << 20);
    // Also when the visitor never reads the content (skipping still inflates).
    let err = src
        .walk_layer(0, &mut |_: &mut Entry<'_>| Ok(()))
        .unwrap_err();
    assert!(matches!(err, Error::DecompressionLimit { .. }), "{err}");
}

/// One-layer OCI layout with `blob` as the layer (descriptor matching the
/// blob) and `diff_source` hashed for the diff_id.
fn layout_with_layer(dir: &std::path::Path, blob: &[u8], diff_source: &[u8], mt: &str) {
    let spec = Spec::new(vec![diff_source.to_vec()]);
    let cfg = spec.config();
    write_blob(dir, &sha(&cfg)[7..], &cfg);
    write_blob(dir, &sha(blob)[7..], blob);
    let m = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&cfg), "size": cfg.len()},
        "layers": [{"mediaType": mt, "digest": sha(blob), "size": blob.len()}],
    }))
    .unwrap();
    write_blob(dir, &sha(&m)[7..], &m);
    oci_dir(
        dir,
        vec![
            json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&m), "size": m.len()}),
        ],
    );
}

#[test]
fn truncated_streams_are_errors() {
    let tar = LayerTar::new().file("big", &vec![7u8; 100_000]).finish();
    // A truncated gzip blob (whose descriptor matches the truncated bytes).
    let gz = compress(&tar, Comp::Gzip);
    let cut = &gz[..gz.len() / 2];
    let dir = tempfile::tempdir().unwrap();
    layout_with_layer(dir.path(), cut, &tar, media_type(Comp::Gzip));
    let src = OciLayout::open(dir.path(), &Selector::Default, &OpenOptions::default()).unwrap();
    let err = src.walk_layer(0, &mut LayerListing::new(0)).unwrap_err();
    assert!(err.to_string().contains("layer 0"), "{err}");
    assert!(
        matches!(
            err,
            Error::Truncated { .. } | Error::Io { .. } | Error::Tar { .. }
        ),
        "{err:?}"
    );

    // A truncated plain tar stream (cut inside the file data).
    let (_, _, r) = walk_collect(&tar[..50_000]);
    assert!(
        matches!(r, Err(Error::Truncated { .. } | Error::Tar { .. })),
        "{r:?}"
    );

    // A truncated archive: the layer member claims more than the file holds.
    let spec = Spec::new(vec![tar.clone()]);
    let full = legacy_archive(&spec, "t:1");
    let pos = full
        .windows(tar.len().min(4096))
        .position(|w| w == &tar[..4096])
        .unwrap();
    let short = full[..pos + 60_000].to_vec();
    match DockerArchive::from_bytes(short, None, &OpenOptions::default()) {
        Err(e) => assert!(
            matches!(
                e,
                Error::Truncated { .. } | Error::Tar { .. } | Error::NotFound { .. }
            ),
            "{e:?}"
        ),
        Ok(src) => {
            let e = src.walk_layer(0, &mut LayerListing::new(0)).unwrap_err();
            assert!(matches!(e, Error::Truncated { .. }), "{e:?}");
        }
    }
}

#[test]
fn wrong_digests_name_the_layer() {
    let tar = LayerTar::new().file("f", b"hello").finish();
    // Blob content does not match its descriptor digest.
    let dir = tempfile::tempdir().unwrap();
    let gz = compress(&tar, Comp::Gzip);
    layout_with_layer(dir.path(), &gz, &tar, media_type(Comp::Gzip));
    let blob_path = dir.path().join(format!("blobs/sha256/{}", &sha(&gz)[7..]));
    let other = compress(&LayerTar::new().file("f", b"HELLO").finish(), Comp::Gzip);
    assert_eq!(other.len(), gz.len());
    std::fs::write(&blob_path, &other).unwrap();
    let src = OciLayout::open(dir.path(), &Selector::Default, &OpenOptions::default()).unwrap();
    let err = src.walk_layer(0, &mut LayerListing::new(0)).unwrap_err();
    match &err {
        Error::DigestMismatch {
            context,
            expected,
            actual,
        } => {
            assert!(context.starts_with("layer 0 (blobs/sha256/"), "{context}");
            assert_eq!(expected, &sha(&gz));
            assert_eq!(actual, &sha(&other));
        }
        e => panic!("{e:?}"),
    }

    // diff_id mismatch (legacy archive, layer 1 of 2), even when the
    // visitor reads nothing.
    let mut spec = Spec::new(vec![tar.clone(), LayerTar::new().file("g", b"x").finish()]);
    let bytes = legacy_archive(&spec, "d:1");
    spec.layers[1] = LayerTar::new().file("g", b"y").finish(); // config diff_id of the wrong content
    let cfg = spec.config();
    let mut b = tar::Builder::new(Vec::new());
    let mut ar = tar::Archive::new(&bytes[..]);
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        e.read_to_end(&mut data).unwrap();
        if name.ends_with(".json") && name != "manifest.json" {
            member(&mut b, &format!("{}.json", &sha(&cfg)[7..]), &cfg);
        } else if name == "manifest.json" {
            let mut m: serde_json::Value = serde_json::from_slice(&data).unwrap();
            m[0]["Config"] = json!(format!("{}.json", &sha(&cfg)[7..]));
            member(&mut b, &name, &serde_json::to_vec(&m).unwrap());
        } else {
            member(&mut b, &name, &data);
        }
    }
    let src =
        DockerArchive::from_bytes(b.into_inner().unwrap(), None, &OpenOptions::default()).unwrap();
    src.walk_layer(0, &mut LayerListing::new(0)).unwrap();
    let err = src
        .walk_layer(1, &mut |_: &mut Entry<'_>| Ok(()))
        .unwrap_err();
    match &err {
        Error::DigestMismatch { context, .. } => assert!(
            context.contains("layer 1") && context.contains("diff_id"),
            "{context}"
        ),
        e => panic!("{e:?}"),
    }

    // Config whose name (digest) does not match its content.
    let spec = Spec::new(vec![tar]);
    let mut b = tar::Builder::new(Vec::new());
    let name = format!("{}.json", "0".repeat(64));
    member(&mut b, &name, &spec.config());
    member(&mut b, "l/layer.tar", &spec.layers[0]);
    member(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&json!([{"Config": name, "Layers": ["l/layer.tar"]}])).unwrap(),
    );
    let err = DockerArchive::from_bytes(b.into_inner().unwrap(), None, &OpenOptions::default())
        .err()
        .unwrap();
    assert!(
        matches!(&err, Error::DigestMismatch { context, .. } if context.contains(&name)),
        "{err}"
    );
}

#[test]
fn garbage_json_reports_member_line_and_column() {
    let mut b = tar::Builder::new(Vec::new());
    member(
        &mut b,
        "manifest.json",
        b"[\n  {\"Config\": \"x.json\",\n   \"Layers\": [1, }\n]",
    );
    let err = DockerArchive::from_bytes(b.into_inner().unwrap(), None, &OpenOptions::default())
        .err()
        .unwrap();
    match &err {
        Error::Json {
            context,
            line,
            column,
            ..
        } => {
            assert!(context.ends_with("member manifest.json"), "{context}");
            assert_eq!((*line, *column), (3, 15)); // the `1` (expected a string)
        }
        e => panic!("{e:?}"),
    }
    assert!(err.to_string().contains("line 3, column 15"), "{err}");

    // Garbage config in an OCI layout: named by its digest.
    let dir = tempfile::tempdir().unwrap();
    let cfg = b"{\"rootfs\": {\"diff_ids\": [\"md5:abc\"]}}".to_vec();
    write_blob(dir.path(), &sha(&cfg)[7..], &cfg);
    let m = serde_json::to_vec(&json!({"schemaVersion": 2, "config": {"digest": sha(&cfg), "size": cfg.len()}, "layers": []})).unwrap();
    write_blob(dir.path(), &sha(&m)[7..], &m);
    oci_dir(
        dir.path(),
        vec![json!({"digest": sha(&m), "size": m.len()})],
    );
    let err = OciLayout::open(dir.path(), &Selector::Default, &OpenOptions::default())
        .err()
        .unwrap();
    assert!(
        matches!(&err, Error::Json { context, .. } if context.contains(&sha(&cfg))),
        "{err}"
    );
    assert!(err.to_string().contains("unsupported algorithm"), "{err}");

    // Not a tar at all.
    let err =
        DockerArchive::from_bytes(b"hello, not a tar".to_vec(), None, &OpenOptions::default())
            .err()
            .unwrap();
    assert!(
        matches!(
            err,
            Error::NotFound { .. } | Error::Tar { .. } | Error::Truncated { .. }
        ),
        "{err:?}"
    );
}

#[test]
fn trailing_data_and_bad_whiteouts_are_anomalies() {
    let mut layer = LayerTar::new()
        .file(".wh.", b"")
        .file("x/.wh..wh.plnk", b"")
        .finish();
    layer.extend_from_slice(b"hidden after the end");
    let (metas, anomalies, r) = walk_collect(&layer);
    let s = r.unwrap();
    assert_eq!(
        metas.iter().map(|m| m.kind).collect::<Vec<_>>(),
        [EntryKind::Other, EntryKind::Other]
    );
    assert_eq!(
        kinds(&anomalies),
        [
            AnomalyKind::BadWhiteout,
            AnomalyKind::BadWhiteout,
            AnomalyKind::TrailingData
        ]
    );
    assert_eq!(s.trailing_bytes, 512 + 20);
}

#[test]
fn layout_blob_must_be_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let tar = LayerTar::new().file("f", b"x").finish();
    layout_with_layer(dir.path(), &tar, &tar, media_type(Comp::Plain));
    let p = dir.path().join(format!("blobs/sha256/{}", &sha(&tar)[7..]));
    std::fs::remove_file(&p).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &p).unwrap();
    let src = OciLayout::open(dir.path(), &Selector::Default, &OpenOptions::default()).unwrap();
    let err = src.open_layer(0).err().unwrap();
    assert!(err.to_string().contains("not a regular file"), "{err}");
}

#[test]
fn a_compressed_blob_is_checked_by_its_digest_and_a_digestless_one_by_its_diff_id() {
    let tar = LayerTar::new().file("f", b"published").finish();
    let gz = compress(&tar, Comp::Gzip);
    // OCI layout: the blob's digest matches, the config's diff_id is of other
    // content. The digest fixes the inflated bytes, so the layer is read.
    let dir = tempfile::tempdir().unwrap();
    let other = LayerTar::new().file("f", b"something else").finish();
    layout_with_layer(dir.path(), &gz, &other, media_type(Comp::Gzip));
    let src = OciLayout::open(dir.path(), &Selector::Default, &OpenOptions::default()).unwrap();
    let mut listing = LayerListing::new(0);
    src.walk_layer(0, &mut listing).unwrap();
    let mut stream = src.open_layer(0).unwrap();
    let mut inflated = Vec::new();
    stream.read_to_end(&mut inflated).unwrap();
    assert_eq!(inflated, tar);
    assert!(stream.verified());

    // Legacy archive: a gzip `layer.tar` has no digest of its own, so its
    // diff_id is checked (here it is the gzip's hash, not the tar's).
    let spec = Spec::new(vec![gz]);
    let src =
        DockerArchive::from_bytes(legacy_archive(&spec, "g:1"), None, &OpenOptions::default())
            .unwrap();
    match src.walk_layer(0, &mut LayerListing::new(0)).unwrap_err() {
        Error::DigestMismatch {
            context, actual, ..
        } => {
            assert!(context.contains("diff_id"), "{context}");
            assert_eq!(actual, sha(&tar));
        }
        e => panic!("{e:?}"),
    }
}
