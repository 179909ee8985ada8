//! Sources: legacy docker-save, Docker ≥25 OCI-in-tar, OCI layout dir with
//! a two-platform index, compression, history mapping, references, threads.

mod common;

use std::io::Read;

use common::*;
use drydock_image::*;
use serde_json::json;

/// Per layer: (path, contents) of each regular file.
type LayerFiles = Vec<Vec<(String, Vec<u8>)>>;

fn walk_all(src: &dyn ImageSource) -> (MergedTree, LayerFiles) {
    let mut tree = MergedTree::new();
    let mut contents = Vec::new();
    for i in 0..src.image().layers.len() {
        let mut listing = LayerListing::new(i);
        let mut files = Vec::new();
        let mut v = |e: &mut Entry<'_>| -> Result<()> {
            listing.record(&e.meta);
            if e.meta.kind == EntryKind::File {
                let mut buf = Vec::new();
                e.read_to_end(&mut buf).unwrap();
                files.push((e.meta.path.clone(), buf));
            }
            Ok(())
        };
        src.walk_layer(i, &mut v).unwrap();
        tree.apply(&listing).unwrap();
        contents.push(files);
    }
    (tree, contents)
}

fn check_three_layer_image(src: &dyn ImageSource) {
    let img = src.image();
    assert_eq!(img.layers.len(), 3);
    assert_eq!(img.config.architecture.as_deref(), Some("amd64"));
    assert_eq!(img.config.os.as_deref(), Some("linux"));
    let c = img.config.config.as_ref().unwrap();
    assert_eq!(c.user.as_deref(), Some("app"));
    assert_eq!(c.env, vec!["PATH=/usr/bin"]);
    assert_eq!(c.cmd.as_deref(), Some(&["/bin/sh".to_owned()][..]));
    assert_eq!(c.entrypoint, None);
    assert_eq!(c.labels.get("org.example").map(String::as_str), Some("x"));
    assert!(c.exposed_ports.contains_key("80/tcp"));
    assert!(c.volumes.contains_key("/data"));
    assert_eq!(c.working_dir.as_deref(), Some("/app"));
    let hc = c.healthcheck.as_ref().unwrap();
    assert_eq!(hc.test, vec!["CMD", "true"]);
    assert_eq!(hc.retries, Some(3));
    for (i, l) in img.layers.iter().enumerate() {
        assert_eq!(l.index, i);
        assert_eq!(l.created_by(), Some(format!("RUN step {i}").as_str()));
        assert!(l.diff_id.is_some());
    }
    let (tree, contents) = walk_all(src);
    assert_eq!(contents[1][0], ("/secret".to_owned(), vec![b's'; 875]));
    let s = tree.versions("/secret").unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].layer, 1);
    assert_eq!(
        s[0].fate,
        Fate::Deleted {
            by_layer: 2,
            opaque: false
        }
    );
    assert!(tree.present("/secret").is_none());
}

#[test]
fn legacy_docker_save_archive() {
    let spec = Spec::new(three_layers());
    let bytes = legacy_archive(&spec, "app:1");
    let src = DockerArchive::from_bytes(bytes.clone(), None, &OpenOptions::default()).unwrap();
    let img = src.image();
    assert_eq!(img.reference.as_deref(), Some("app:1"));
    assert_eq!(
        img.config_digest.as_ref().unwrap().to_string(),
        sha(&spec.config())
    );
    assert!(img.layers[0].location.ends_with("/layer.tar"));
    assert_eq!(
        img.layers[0].digest, None,
        "legacy layer.tar has no blob digest"
    );
    assert_eq!(img.layers[0].compression, Compression::Unknown);
    check_three_layer_image(&src);

    // Same through a file on disk and through a generic Read + Seek.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("img.tar");
    std::fs::write(&p, &bytes).unwrap();
    let from_file = open_str(
        &format!("docker-archive:{}", p.display()),
        &OpenOptions::default(),
    )
    .unwrap();
    check_three_layer_image(&*from_file);
    let bare = open_str(p.to_str().unwrap(), &OpenOptions::default()).unwrap();
    assert_eq!(bare.image().config, src.image().config);
    let cursor =
        DockerArchive::from_reader(std::io::Cursor::new(bytes), None, &OpenOptions::default())
            .unwrap();
    check_three_layer_image(&cursor);
}

#[test]
fn docker25_oci_in_tar_archive() {
    let spec = Spec::new(three_layers());
    let bytes = docker25_archive(&spec, "app:2", true);
    let src = DockerArchive::from_bytes(bytes, None, &OpenOptions::default()).unwrap();
    let img = src.image();
    assert!(img.layers[0].location.starts_with("blobs/sha256/"));
    assert_eq!(
        img.layers[0].digest.as_ref(),
        img.layers[0].diff_id.as_ref(),
        "plain layers: digest = diff_id"
    );
    assert_eq!(
        img.layers[0].media_type.as_deref(),
        Some("application/vnd.oci.image.layer.v1.tar")
    );
    assert_eq!(img.layers[0].compression, Compression::None);
    assert_eq!(img.reference.as_deref(), Some("app:2"));
    check_three_layer_image(&src);

    // Without manifest.json the embedded OCI layout is used.
    let only_oci = docker25_archive(&spec, "app:2", false);
    let src2 = DockerArchive::from_bytes(only_oci, None, &OpenOptions::default()).unwrap();
    assert!(src2.image().manifest_digest.is_some());
    assert_eq!(src2.image().config, src.image().config);
    check_three_layer_image(&src2);
}

#[test]
fn oci_layout_with_two_platform_index_and_compressions() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("layout");
    let amd = Spec::new(three_layers());
    let mut arm = Spec::new(vec![LayerTar::new().file("arm", b"arm64!").finish()]);
    arm.arch = "arm64".into();
    let amd_desc = add_image(&d, &amd, &[Comp::Gzip, Comp::Zstd, Comp::Plain]);
    let arm_desc = add_image(&d, &arm, &[Comp::Zstd]);
    let mut entries = vec![];
    for (desc, arch) in [(amd_desc, "amd64"), (arm_desc, "arm64")] {
        let mut e = desc.clone();
        e["platform"] = json!({"os": "linux", "architecture": arch});
        entries.push(e);
    }
    let idx = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries})).unwrap();
    write_blob(&d, &sha(&idx)[7..], &idx);
    oci_dir(
        &d,
        vec![
            json!({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": sha(&idx), "size": idx.len(),
                     "annotations": {"org.opencontainers.image.ref.name": "v1"}}),
        ],
    );

    // Default platform linux/amd64, via tag and via bare dir.
    let src = open_str(&format!("oci:{}:v1", d.display()), &OpenOptions::default()).unwrap();
    let img = src.image();
    assert_eq!(img.reference.as_deref(), Some("v1"));
    let comps: Vec<Compression> = img.layers.iter().map(|l| l.compression).collect();
    assert_eq!(
        comps,
        [Compression::Gzip, Compression::Zstd, Compression::None]
    );
    for (i, want) in comps.iter().enumerate() {
        let mut s = src.open_layer(i).unwrap();
        std::io::copy(&mut s, &mut std::io::sink()).unwrap();
        assert_eq!(s.compression(), *want);
        assert!(s.verified(), "layer {i} verified");
        assert_eq!(s.decompressed_bytes(), amd.layers[i].len() as u64);
    }
    check_three_layer_image(&*src);
    let bare = open_str(d.to_str().unwrap(), &OpenOptions::default()).unwrap();
    assert_eq!(bare.image().config.architecture.as_deref(), Some("amd64"));

    // --platform linux/arm64 (and arm64/v8 matches a variant-less arm64).
    for p in ["linux/arm64", "linux/arm64/v8", "linux/aarch64"] {
        let opts = OpenOptions {
            platform: p.parse().unwrap(),
            ..Default::default()
        };
        let arm_src = open_str(&format!("oci:{}", d.display()), &opts).unwrap();
        assert_eq!(
            arm_src.image().config.architecture.as_deref(),
            Some("arm64"),
            "{p}"
        );
        let mut seen = Vec::new();
        arm_src
            .walk_layer(0, &mut |e: &mut Entry<'_>| {
                let mut s = String::new();
                e.read_to_string(&mut s).unwrap();
                seen.push((e.meta.path.clone(), s));
                Ok(())
            })
            .unwrap();
        assert_eq!(seen, [("/arm".to_owned(), "arm64!".to_owned())]);
    }
    // A platform that is not there.
    let opts = OpenOptions {
        platform: "linux/s390x".parse().unwrap(),
        ..Default::default()
    };
    let err = open_str(&format!("oci:{}", d.display()), &opts)
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("linux/s390x") && err.contains("linux/arm64"),
        "{err}"
    );
    // By digest of the nested amd64 manifest.
    let amd_digest = src.image().manifest_digest.clone().unwrap();
    let by_digest = open_str(
        &format!("oci:{}@{amd_digest}", d.display()),
        &OpenOptions::default(),
    )
    .unwrap();
    assert_eq!(by_digest.image().config, src.image().config);
    // Unknown tag.
    let err = open_str(
        &format!("oci:{}:nope", d.display()),
        &OpenOptions::default(),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(err.contains("\"nope\"") && err.contains("v1"), "{err}");
}

#[test]
fn history_maps_to_layers_skipping_empty_layers() {
    let mut spec = Spec::new(three_layers());
    spec.history = vec![
        ("ADD rootfs".into(), false),
        ("ENV A=1".into(), true),
        ("RUN add secret".into(), false),
        ("USER app".into(), true),
        ("RUN rm secret".into(), false),
        ("CMD [\"sh\"]".into(), true),
    ];
    let src =
        DockerArchive::from_bytes(legacy_archive(&spec, "h:1"), None, &OpenOptions::default())
            .unwrap();
    let by: Vec<_> = src
        .image()
        .layers
        .iter()
        .map(|l| {
            (
                l.created_by().unwrap().to_owned(),
                l.history.as_ref().unwrap().index,
            )
        })
        .collect();
    assert_eq!(
        by,
        [
            ("ADD rootfs".to_owned(), 0),
            ("RUN add secret".to_owned(), 2),
            ("RUN rm secret".to_owned(), 4)
        ]
    );
    assert!(src.image().notes.is_empty(), "{:?}", src.image().notes);

    // Mismatch: two non-empty entries for three layers → noted, first two mapped.
    spec.history = vec![("A".into(), false), ("B".into(), true), ("C".into(), false)];
    let src =
        DockerArchive::from_bytes(legacy_archive(&spec, "h:2"), None, &OpenOptions::default())
            .unwrap();
    let l = &src.image().layers;
    assert_eq!(l[0].created_by(), Some("A"));
    assert_eq!(l[1].created_by(), Some("C"));
    assert_eq!(l[2].history, None);
    assert!(
        src.image()
            .notes
            .iter()
            .any(|n| n.contains("2 non-empty entries but the image has 3 layers")),
        "{:?}",
        src.image().notes
    );
}

#[test]
fn layers_walk_in_parallel_threads() {
    use rayon::prelude::*;
    let spec = Spec::new(three_layers());
    let src: Box<dyn ImageSource> = Box::new(
        DockerArchive::from_bytes(legacy_archive(&spec, "p:1"), None, &OpenOptions::default())
            .unwrap(),
    );
    let listings: Vec<LayerListing> = (0..3)
        .into_par_iter()
        .map(|i| {
            let mut l = LayerListing::new(i);
            src.walk_layer(i, &mut l).unwrap();
            l
        })
        .collect();
    let mut tree = MergedTree::new();
    for l in &listings {
        tree.apply(l).unwrap();
    }
    assert_eq!(tree.versions("/etc/a").unwrap().len(), 2);
    // Applying out of order is refused.
    let mut t2 = MergedTree::new();
    assert!(t2.apply(&listings[1]).is_err());
}

#[test]
fn entry_metadata_setuid_links_owner() {
    let layer = LayerTar::new()
        .file_mode("usr/bin/su", b"#!", 0o4755)
        .file_mode("usr/bin/wall", b"#!", 0o2755)
        .symlink("bin", "usr/bin")
        .hardlink("usr/bin/su2", "usr/bin/su")
        .raw("dev/null", tar::EntryType::Char, b"", 0o666, None)
        .finish();
    let mut metas = Vec::new();
    walk_layer(&layer[..], &mut |e: &mut Entry<'_>| {
        metas.push(e.meta.clone());
        Ok(())
    })
    .unwrap();
    assert!(metas[0].is_setuid() && !metas[0].is_setgid());
    assert!(metas[1].is_setgid() && !metas[1].is_setuid());
    assert_eq!(metas[2].kind, EntryKind::Symlink);
    assert_eq!(metas[2].link_target.as_deref(), Some("usr/bin"));
    assert_eq!(metas[3].kind, EntryKind::Hardlink);
    assert_eq!(metas[3].link_target.as_deref(), Some("/usr/bin/su"));
    assert_eq!(metas[4].kind, EntryKind::Other);
    assert_eq!(metas[4].path, "/dev/null");
}

#[test]
fn reference_parsing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a:b.tar");
    std::fs::write(&file, b"x").unwrap();
    let f = file.display().to_string();
    assert_eq!(
        ImageRef::parse(&format!("docker-archive:{f}")).unwrap(),
        ImageRef::DockerArchive {
            path: file.clone(),
            image: None
        }
    );
    assert_eq!(
        ImageRef::parse(&format!("docker-archive:{f}:repo/x:1")).unwrap(),
        ImageRef::DockerArchive {
            path: file.clone(),
            image: Some("repo/x:1".into())
        }
    );
    assert_eq!(
        ImageRef::parse(&f).unwrap(),
        ImageRef::DockerArchive {
            path: file.clone(),
            image: None
        }
    );
    let d = dir.path().display().to_string();
    assert!(
        ImageRef::parse(&d)
            .unwrap_err()
            .to_string()
            .contains("oci-layout")
    );
    std::fs::write(dir.path().join("oci-layout"), b"{}").unwrap();
    assert_eq!(
        ImageRef::parse(&d).unwrap(),
        ImageRef::OciLayout {
            dir: dir.path().into(),
            selector: Selector::Default
        }
    );
    assert_eq!(
        ImageRef::parse(&format!("oci:{d}:latest")).unwrap(),
        ImageRef::OciLayout {
            dir: dir.path().into(),
            selector: Selector::Tag("latest".into())
        }
    );
    assert_eq!(
        ImageRef::parse(&format!("oci:{d}:repo/x:1")).unwrap(),
        ImageRef::OciLayout {
            dir: dir.path().into(),
            selector: Selector::Tag("repo/x:1".into())
        }
    );
    let dg = format!("sha256:{}", "ab".repeat(32));
    assert_eq!(
        ImageRef::parse(&format!("oci:{d}@{dg}")).unwrap(),
        ImageRef::OciLayout {
            dir: dir.path().into(),
            selector: Selector::Digest(dg.parse().unwrap())
        }
    );
    assert!(ImageRef::parse(&format!("oci:{d}@sha256:xyz")).is_err());
    assert!(ImageRef::parse("docker-archive:").is_err());
    assert!(ImageRef::parse("/no/such/file.tar").is_err());
    assert_eq!(
        ImageRef::parse("debian:12").unwrap(),
        ImageRef::Name("debian:12".into())
    );
    assert_eq!(
        ImageRef::parse("registry:x/y:1").unwrap(),
        ImageRef::Registry("x/y:1".into())
    );
    assert!(matches!(
        open_str("debian:12", &OpenOptions::default()),
        Err(Error::Unsupported(_))
    ));
    assert!("linux".parse::<PlatformSpec>().is_err());
    assert!("linux//v7".parse::<PlatformSpec>().is_err());
}

#[test]
fn multi_image_archive_picks_by_tag() {
    // Two images in one legacy manifest.json.
    let a = Spec::new(vec![LayerTar::new().file("a", b"A").finish()]);
    let mut bspec = Spec::new(vec![LayerTar::new().file("b", b"B").finish()]);
    bspec.user = Some("bee".into());
    let mut b = tar::Builder::new(Vec::new());
    let mut man = Vec::new();
    for (s, tag, id) in [(&a, "a:1", 1), (&bspec, "b:1", 2)] {
        let cfg = s.config();
        let h = sha(&cfg)[7..].to_owned();
        member(&mut b, &format!("{h}.json"), &cfg);
        let lp = format!("{id:064x}/layer.tar");
        member(&mut b, &lp, &s.layers[0]);
        man.push(json!({"Config": format!("{h}.json"), "RepoTags": [tag], "Layers": [lp]}));
    }
    member(&mut b, "manifest.json", &serde_json::to_vec(&man).unwrap());
    let bytes = b.into_inner().unwrap();
    let first = DockerArchive::from_bytes(bytes.clone(), None, &OpenOptions::default()).unwrap();
    assert_eq!(first.image().reference.as_deref(), Some("a:1"));
    assert!(
        first
            .image()
            .notes
            .iter()
            .any(|n| n.contains("holds 2 images"))
    );
    let second =
        DockerArchive::from_bytes(bytes.clone(), Some("b:1"), &OpenOptions::default()).unwrap();
    assert_eq!(
        second
            .image()
            .config
            .config
            .as_ref()
            .unwrap()
            .user
            .as_deref(),
        Some("bee")
    );
    let err = DockerArchive::from_bytes(bytes, Some("c:1"), &OpenOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("\"c:1\"") && err.contains("b:1"), "{err}");
}

#[test]
fn legacy_archive_layer_symlink_member_is_followed() {
    // docker save writes `<id2>/layer.tar -> ../<id1>/layer.tar` for a layer
    // that appears twice.
    let l = LayerTar::new().file("same", b"x").finish();
    let spec = Spec::new(vec![l.clone(), l.clone()]);
    let cfg = spec.config();
    let h = sha(&cfg)[7..].to_owned();
    let mut b = tar::Builder::new(Vec::new());
    member(&mut b, &format!("{h}.json"), &cfg);
    let id1 = format!("{:064x}", 1);
    let id2 = format!("{:064x}", 2);
    member(&mut b, &format!("{id1}/layer.tar"), &l);
    let mut hd = tar::Header::new_ustar();
    hd.set_entry_type(tar::EntryType::Symlink);
    hd.set_size(0);
    b.append_link(
        &mut hd,
        format!("{id2}/layer.tar"),
        format!("../{id1}/layer.tar"),
    )
    .unwrap();
    let man = json!([{"Config": format!("{h}.json"), "RepoTags": null, "Layers": [format!("{id1}/layer.tar"), format!("{id2}/layer.tar")]}]);
    member(&mut b, "manifest.json", &serde_json::to_vec(&man).unwrap());
    let src =
        DockerArchive::from_bytes(b.into_inner().unwrap(), None, &OpenOptions::default()).unwrap();
    let (tree, _) = walk_all(&src);
    let v = tree.versions("/same").unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].fate, Fate::Overwritten { by_layer: 1 });
}
