//! Acceptance test of the rig against real components. Needs root and the
//! Debian packages from `.ci/install-deps`; fails (never skips) without them.

use std::fs;
use std::io::Read;

use drydock_rig::{BuildInput, BuildOpts, Mount, Rig, RunOpts, SavedImage, verify_oci_layout};
use sha2::{Digest, Sha256};

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .expect("urandom");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn lap(t: &mut std::time::Instant, what: &str) {
    eprintln!("[{:6.1}s] {what}", t.elapsed().as_secs_f64());
    *t = std::time::Instant::now();
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn secret_mount_leaves_no_trace_and_pushed_digest_matches_registry() {
    let t = &mut std::time::Instant::now();
    let rig = Rig::shared();
    lap(t, "secret: rig");
    let base = rig.base_image().expect("base image");
    lap(t, "secret: base image");
    let tmp = tempfile::tempdir().unwrap();

    let token = format!("drydock-secret-{}", random_hex(24));
    let marker = format!("drydock-marker-{}", random_hex(24));
    let secret = tmp.path().join("token");
    fs::write(&secret, &token).unwrap();

    let dockerfile = format!(
        "FROM {base}\n\
         RUN printf '%s' '{marker}' > /marker.txt\n\
         RUN --mount=type=secret,id=tok,required=true sha256sum /run/secrets/tok | cut -d' ' -f1 > /secret.sha256\n\
         RUN --mount=type=cache,target=/var/cache/drydock-cache echo warm > /var/cache/drydock-cache/x \
             && ls /var/cache/drydock-cache > /cache-listing\n"
    );
    let tag = rig.image_ref("smoke/secret", "v1");
    let opts = BuildOpts {
        secrets: vec![("tok".into(), secret.clone())],
        ..Default::default()
    };
    let out = rig
        .build(&BuildInput::Dockerfile(dockerfile.clone()), &tag, &opts)
        .expect("build");
    assert!(out.image_id.starts_with("sha256:"), "{}", out.image_id);
    assert!(out.log.contains("--mount=type=secret"), "{}", out.log);
    lap(t, "secret: build");

    // The secret really was mounted during the build…
    let run = rig
        .run(
            &tag,
            &["cat", "/secret.sha256", "/cache-listing"],
            &RunOpts::default(),
        )
        .unwrap();
    assert!(run.success(), "{run:?}");
    let want = hex(&Sha256::digest(token.as_bytes()));
    assert_eq!(run.stdout.lines().next(), Some(want.as_str()), "{run:?}");
    assert_eq!(run.stdout.lines().nth(1), Some("x"), "{run:?}");

    // …but is in no layer, config or history of the saved image.
    let archive = tmp.path().join("image.tar");
    rig.save(&tag, &archive).expect("save");
    lap(t, "secret: run + save");
    let saved = SavedImage::read(&archive).unwrap();
    assert!(saved.layer_paths.len() >= 2, "{:?}", saved.layer_paths);
    let leaks = saved.find_bytes(token.as_bytes()).unwrap();
    assert!(leaks.is_empty(), "secret token found in image: {leaks:?}");
    // The search does find what is there: the marker file's contents…
    let hits = saved.find_bytes(marker.as_bytes()).unwrap();
    assert!(
        hits.iter().any(|h| h.ends_with("file marker.txt")),
        "marker not found in layers: {hits:?}"
    );
    // …and the config/history JSON (the RUN line quoting the marker).
    assert!(
        hits.iter().any(|h| h.starts_with("archive member ")),
        "marker not found in config: {hits:?}"
    );
    // The secret's hash is there too (so we are looking at the right image).
    assert!(!saved.find_bytes(want.as_bytes()).unwrap().is_empty());

    lap(t, "secret: search layers");
    // A rebuild is served from the BuildKit cache.
    let again = rig
        .build(&BuildInput::Dockerfile(dockerfile), &tag, &opts)
        .expect("rebuild");
    assert_eq!(again.image_id, out.image_id);
    assert!(
        again
            .cached_steps()
            .iter()
            .any(|s| s.contains("--mount=type=secret")),
        "{}",
        again.log
    );

    // (b) push and read the manifest digest back over HTTP.
    lap(t, "secret: rebuild");
    let pushed = rig.push(&tag).expect("push");
    assert!(pushed.starts_with("sha256:"), "{pushed}");
    let served = rig
        .manifest_digest("smoke/secret", "v1")
        .expect("manifest digest");
    assert_eq!(served, pushed);
    let by_digest = rig
        .manifest_digest("smoke/secret", &pushed)
        .expect("manifest by digest");
    assert_eq!(by_digest, pushed);
    assert!(rig.manifest_digest("smoke/secret", "no-such-tag").is_err());

    lap(t, "secret: push + manifest");
    // OCI layout conversion, digests verified.
    let layout = tmp.path().join("oci");
    let mdigest = rig.write_oci_layout(&tag, &layout).expect("oci layout");
    assert!(mdigest.starts_with("sha256:"));
    verify_oci_layout(&layout).expect("valid layout");
    lap(t, "secret: oci layout");
}

const APT_OPTS: &str = "-o Dir::Etc::SourceList=/etc/apt/sources.list.d/drydock.list \
                        -o Dir::Etc::SourceParts=- -o APT::Get::List-Cleanup=0";

#[test]
fn apt_repo_update_shows_up_as_upgradable() {
    let t = &mut std::time::Instant::now();
    let rig = Rig::shared();
    let base = rig.base_image().expect("base image");
    lap(t, "apt: rig + base image");
    let apt = rig.apt();
    apt.publish("drydock-demo", "1.0-1").expect("publish 1.0-1");

    // Install 1.0-1 from the repo over HTTP (build uses the host network to
    // reach 127.0.0.1; only the rig's repository is configured).
    let dockerfile = format!(
        "FROM {base}\n\
         RUN echo '{line}' > /etc/apt/sources.list.d/drydock.list \
          && apt-get {APT_OPTS} update \
          && apt-get {APT_OPTS} install -y --no-install-recommends drydock-demo=1.0-1 \
          && rm -rf /var/lib/apt/lists/*\n",
        line = apt.sources_line("drydock"),
    );
    let tag = rig.image_ref("smoke/apt", "v1");
    let opts = BuildOpts {
        network_host: true,
        ..Default::default()
    };
    rig.build(&BuildInput::Dockerfile(dockerfile), &tag, &opts)
        .expect("build with apt");
    lap(t, "apt: build");

    // Inside a --network=none container the repository is bind-mounted and
    // used as a file: source.
    let mount = "/srv/drydock-apt";
    let script = format!(
        "set -e; echo '{line}' > /etc/apt/sources.list.d/drydock.list; \
         cat /usr/share/drydock-demo/VERSION; \
         apt-get {APT_OPTS} update >/dev/null 2>&1; apt list --upgradable {APT_OPTS} 2>/dev/null",
        line = drydock_rig::AptRepo::file_sources_line(mount, "drydock"),
    );
    let opts = RunOpts {
        mounts: vec![Mount::ro(apt.root(), mount)],
        ..Default::default()
    };
    let upgradable = || {
        let out = rig.run(&tag, &["sh", "-c", &script], &opts).expect("run");
        assert!(out.success(), "{out:?}");
        assert_eq!(out.stdout.lines().next(), Some("1.0-1"), "{out:?}");
        out.stdout
    };

    let before = upgradable();
    assert!(
        !before.contains("drydock-demo/"),
        "listed before the update was published:\n{before}"
    );

    apt.publish("drydock-demo", "1.0-2").expect("publish 1.0-2");
    let after = upgradable();
    let line = after
        .lines()
        .find(|l| l.starts_with("drydock-demo/"))
        .unwrap_or_else(|| panic!("drydock-demo not upgradable after publishing 1.0-2:\n{after}"));
    assert!(
        line.contains(" 1.0-2 ") && line.ends_with("[upgradable from: 1.0-1]"),
        "{line}"
    );
    lap(t, "apt: publish + 2 runs");
}
