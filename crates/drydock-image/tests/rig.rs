//! Real components: an image built by a real dockerd, `docker save`d, and
//! converted to an OCI layout; both sources must agree. One shared rig.
//!
//! Set `DRYDOCK_IMAGE_KEEP_SAVES=<dir>` to keep the saved archives
//! (`test.tar`, `base.tar`) for benchmarking.

use std::io::Read;
use std::path::Path;

use drydock_image::*;
use drydock_rig::{BuildInput, BuildOpts, Rig};

struct Walked {
    tree: MergedTree,
    key_contents: Option<Vec<u8>>,
    entries: Vec<u64>,
    anomalies: usize,
}

fn walk(src: &dyn ImageSource) -> Walked {
    let mut tree = MergedTree::new();
    let mut key_contents = None;
    let mut entries = Vec::new();
    let mut anomalies = 0;
    for i in 0..src.image().layers.len() {
        let mut listing = LayerListing::new(i);
        let mut v = |e: &mut Entry<'_>| -> Result<()> {
            listing.record(&e.meta);
            if e.meta.path == "/root/.key" && e.meta.kind == EntryKind::File {
                let mut b = Vec::new();
                e.read_to_end(&mut b)
                    .map_err(|x| Error::from_io("key", x))?;
                key_contents = Some(b);
            }
            Ok(())
        };
        let s = src.walk_layer(i, &mut v).unwrap();
        anomalies += s.anomalies as usize;
        entries.push(s.entries);
        tree.apply(&listing).unwrap();
    }
    Walked {
        tree,
        key_contents,
        entries,
        anomalies,
    }
}

fn flat(tree: &MergedTree) -> Vec<(String, Vec<Version>)> {
    tree.iter()
        .map(|(p, v)| (p.to_owned(), v.to_vec()))
        .collect()
}

#[test]
fn docker_save_and_oci_layout_agree_on_a_real_image() {
    let rig = Rig::shared();
    let base = rig.base_image().unwrap();
    let dockerfile = format!(
        "FROM {base}\n\
         RUN printf 'AKIA-not-a-real-key-0123456789' > /root/.key && mkdir -p /opt/x && head -c 100000 /dev/zero > /opt/x/blob\n\
         RUN rm /root/.key && rm -rf /opt/x\n\
         ENV A=1\n\
         USER nobody\n"
    );
    let tag = "drydock-image-test:1";
    rig.build(
        &BuildInput::Dockerfile(dockerfile),
        tag,
        &BuildOpts::default(),
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("test.tar");
    rig.save(tag, &archive).unwrap();
    let layout = tmp.path().join("layout");
    let mdigest = rig.write_oci_layout(tag, &layout).unwrap();

    let opts = OpenOptions::default();
    let a = open_str(&format!("docker-archive:{}", archive.display()), &opts).unwrap();
    let o = open_str(&format!("oci:{}:{tag}", layout.display()), &opts).unwrap();
    let (ai, oi) = (a.image(), o.image());
    assert_eq!(
        oi.manifest_digest.as_ref().map(ToString::to_string),
        Some(mdigest)
    );
    assert_eq!(ai.reference.as_deref(), Some(tag));
    assert_eq!(oi.reference.as_deref(), Some(tag));
    // Same config, byte for byte, and the same digest.
    assert_eq!(ai.raw_config, oi.raw_config);
    assert_eq!(ai.config_digest, oi.config_digest);
    assert_eq!(ai.config, oi.config);
    let c = ai.config.config.as_ref().unwrap();
    assert_eq!(c.user.as_deref(), Some("nobody"));
    assert!(c.env.iter().any(|e| e == "A=1"), "{:?}", c.env);
    assert_eq!(ai.config.os.as_deref(), Some("linux"));
    // Same layers: base + 2 RUNs; same diff_ids and history.
    assert_eq!(ai.layers.len(), 3);
    assert_eq!(oi.layers.len(), 3);
    for (la, lo) in ai.layers.iter().zip(&oi.layers) {
        assert_eq!(la.diff_id, lo.diff_id);
        assert_eq!(la.history, lo.history);
        assert_eq!(lo.digest, lo.diff_id, "rig writes uncompressed blobs");
    }
    assert!(ai.layers[1].created_by().unwrap().contains("/root/.key"));
    assert!(ai.layers[2].created_by().unwrap().contains("rm /root/.key"));
    assert!(ai.notes.is_empty(), "{:?}", ai.notes);

    let wa = walk(&*a);
    let wo = walk(&*o);
    assert_eq!(wa.entries, wo.entries);
    assert!(
        wa.entries[0] > 3000,
        "base layer has the Debian rootfs: {:?}",
        wa.entries
    );
    assert_eq!(wa.anomalies, 0);
    assert_eq!(flat(&wa.tree), flat(&wo.tree));
    // The deleted file: added in layer 1, deleted in layer 2, still shipped.
    for w in [&wa, &wo] {
        let key = w.tree.versions("/root/.key").unwrap();
        assert_eq!(key.len(), 1);
        assert_eq!(key[0].layer, 1);
        assert_eq!(key[0].kind, EntryKind::File);
        assert_eq!(key[0].size, 30);
        assert_eq!(
            key[0].fate,
            Fate::Deleted {
                by_layer: 2,
                opaque: false
            }
        );
        assert_eq!(
            w.key_contents.as_deref(),
            Some(&b"AKIA-not-a-real-key-0123456789"[..])
        );
        let blob = w.tree.versions("/opt/x/blob").unwrap();
        assert_eq!(
            (blob[0].layer, blob[0].size, blob[0].fate),
            (
                1,
                100_000,
                Fate::Deleted {
                    by_layer: 2,
                    opaque: false
                }
            )
        );
        assert!(w.tree.present("/etc/os-release").is_some());
        let hidden: Vec<&str> = w.tree.hidden_files().map(|(p, _)| p).collect();
        assert!(
            hidden.contains(&"/root/.key") && hidden.contains(&"/opt/x/blob"),
            "{hidden:?}"
        );
        assert!(w.tree.hidden_bytes() >= 100_030);
    }

    // The base image alone, saved: one layer, same through both sources.
    let base_tar = tmp.path().join("base.tar");
    rig.save(&base, &base_tar).unwrap();
    let b = DockerArchive::open(&base_tar, None, &opts).unwrap();
    assert_eq!(b.image().layers.len(), 1);
    assert_eq!(b.image().layers[0].diff_id, ai.layers[0].diff_id);

    if let Ok(keep) = std::env::var("DRYDOCK_IMAGE_KEEP_SAVES") {
        let keep = Path::new(&keep);
        std::fs::create_dir_all(keep).unwrap();
        std::fs::copy(&archive, keep.join("test.tar")).unwrap();
        std::fs::copy(&base_tar, keep.join("base.tar")).unwrap();
    }
}
