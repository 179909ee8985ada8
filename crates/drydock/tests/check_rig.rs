//! `drydock check` and `drydock advisories` against real components: images
//! built by the rig's dockerd on its Debian base, pushed to its registry on
//! loopback. Each test uses its own repositories, so moving one test's base
//! tag does not disturb another.

use std::io::Write;
use std::path::Path;
use std::process::Output;
use std::time::Instant;

use assert_cmd::Command;
use drydock_rig::{BuildInput, BuildOpts, DebPackage, Rig};

const BASE_NAME: &str = "org.opencontainers.image.base.name";
const BASE_DIGEST: &str = "org.opencontainers.image.base.digest";

fn drydock(args: &[&str]) -> Output {
    let started = Instant::now();
    let out = Command::cargo_bin("drydock")
        .unwrap()
        .args(args)
        .output()
        .unwrap();
    eprintln!("drydock {} took {:.2?}", args.join(" "), started.elapsed());
    out
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn codes(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect()
}

fn notices(report: &serde_json::Value) -> Vec<String> {
    report["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect()
}

fn build(rig: &Rig, dockerfile: &str, tag: &str, labels: &[(&str, &str)]) {
    let opts = BuildOpts {
        extra_args: labels
            .iter()
            .flat_map(|(k, v)| ["--label".to_owned(), format!("{k}={v}")])
            .collect(),
        ..BuildOpts::default()
    };
    rig.build(&BuildInput::Dockerfile(dockerfile.to_owned()), tag, &opts)
        .unwrap();
}

/// The rig's Debian base under a repository of this test's own.
fn own_base(rig: &Rig, repo: &str) -> (String, String) {
    let base = rig.image_ref(repo, "12");
    rig.engine().tag(&rig.base_image().unwrap(), &base).unwrap();
    let digest = rig.push(&base).unwrap();
    (base, digest)
}

#[test]
fn a_moved_base_tag_is_reported_with_both_digests() {
    let rig = Rig::shared();
    let (base, built_on) = own_base(rig, "drydock/check-moving-base");
    let app = rig.image_ref("drydock/check-app", "1");
    build(
        rig,
        &format!("FROM {base}\nRUN echo app > /app.txt\nCMD [\"/bin/true\"]\n"),
        &app,
        &[(BASE_NAME, &base), (BASE_DIGEST, &built_on)],
    );
    rig.push(&app).unwrap();

    let out = drydock(&["--format", "json", "check", "--no-updates", &app]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert!(codes(&report).is_empty(), "{report}");
    let notes = notices(&report);
    assert!(notes[0].starts_with("verdict: up to date"), "{notes:?}");
    assert!(
        notes.contains(&format!(
            "base: {base} (image labels), unchanged at {built_on}"
        )),
        "{notes:?}"
    );

    // The publisher rebuilds the base and pushes it to the same tag.
    build(
        rig,
        &format!("FROM {base}\nRUN echo 2 > /etc/base-revision\n"),
        &base,
        &[],
    );
    let moved_to = rig.push(&base).unwrap();
    assert_ne!(moved_to, built_on);

    let out = drydock(&["--format", "json", "check", "--no-updates", &app]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(codes(&report), ["DD801"], "{report}");
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "built on {built_on}, the tag now points to {moved_to}"
        )),
        "{message}"
    );
    assert!(notices(&report)[0].starts_with("verdict: rebuild — the base image moved"));

    // The same verdict from a `docker save` archive of the image (labels travel in the config),
    // in the human format, with the age policy too.
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("app.tar");
    rig.save(&app, &archive).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let out = drydock(&[
        "--color",
        "never",
        "check",
        "--no-updates",
        "--max-age",
        "1s",
        &format!("docker-archive:{}", archive.display()),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("DD801") && text.contains("DD805"), "{text}");
    assert!(
        text.contains("verdict: rebuild — the base image moved; older than the age policy"),
        "{text}"
    );
    // --fail-on never keeps CI green while still reporting.
    let out = drydock(&["--fail-on", "never", "check", "--no-updates", &app]);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn the_base_is_found_among_candidates_by_layer_prefix() {
    let rig = Rig::shared();
    let (base, base_digest) = own_base(rig, "drydock/check-prefix-base");
    let other = rig.image_ref("drydock/check-other", "1");
    build(
        rig,
        &format!("FROM {base}\nRUN echo other > /other\n"),
        &other,
        &[],
    );
    rig.push(&other).unwrap();
    let app = rig.image_ref("drydock/check-unlabelled", "1");
    build(
        rig,
        &format!("FROM {base}\nRUN echo app > /app.txt\n"),
        &app,
        &[],
    );
    rig.push(&app).unwrap();

    // No labels, no candidates: the base is unknown (info: exit 0).
    let out = drydock(&["--format", "json", "check", "--no-updates", &app]);
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out);
    assert_eq!(codes(&report), ["DD803"], "{report}");

    let out = drydock(&[
        "--format",
        "json",
        "check",
        "--no-updates",
        "--base",
        &other,
        "--base",
        &base,
        &app,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert!(codes(&report).is_empty(), "{report}");
    let notes = notices(&report);
    assert!(
        notes.contains(&format!(
            "base: {base} (layer match: its 1 layer(s) are the image's first), unchanged at {base_digest}"
        )),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with(&format!("--base {other}: not the base"))),
        "{notes:?}"
    );

    // Labels naming a tag the registry does not have: the base is gone.
    let gone = rig.image_ref("drydock/check-deleted-base", "1");
    let orphan = rig.image_ref("drydock/check-orphan", "1");
    build(
        rig,
        &format!("FROM {base}\n"),
        &orphan,
        &[(BASE_NAME, &gone)],
    );
    rig.push(&orphan).unwrap();
    let out = drydock(&["--format", "json", "check", "--no-updates", &orphan]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(codes(&json(&out)), ["DD802"]);
}

fn write_osv_zip(path: &Path) {
    // Invented advisories for source packages of the Debian base image.
    let records = [
        (
            "DRYDOCK-RIG-1",
            r#"{"id":"DRYDOCK-RIG-1","aliases":["CVE-2099-1001"],"affected":[{"package":{"ecosystem":"Debian:12","name":"zlib"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:99.0-1"}]}]}]}"#,
        ),
        (
            "DRYDOCK-RIG-2",
            r#"{"id":"DRYDOCK-RIG-2","affected":[{"package":{"ecosystem":"Debian:12","name":"dash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#,
        ),
        (
            "DRYDOCK-RIG-3",
            r#"{"id":"DRYDOCK-RIG-3","affected":[{"package":{"ecosystem":"Debian:12","name":"base-files"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0"}]}]}]}"#,
        ),
        (
            "DRYDOCK-RIG-4",
            r#"{"id":"DRYDOCK-RIG-4","affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#,
        ),
    ];
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (id, json) in records {
        zip.start_file(
            format!("{id}.json"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(json.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn advisories_match_the_debian_base_by_source_package() {
    let rig = Rig::shared();
    let base = rig.base_image().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let osv = tmp.path().join("all.zip");
    write_osv_zip(&osv);
    let out = drydock(&[
        "--format",
        "json",
        "advisories",
        &base,
        "--osv",
        osv.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out);
    assert_eq!(codes(&report), ["DD701", "DD702"], "{report}");
    let fixable = report["findings"][0]["message"].as_str().unwrap();
    assert!(
        fixable.starts_with("zlib ")
            && fixable.contains("(installed as zlib1g)")
            && fixable.contains("DRYDOCK-RIG-1 (CVE-2099-1001), fixed in 1:99.0-1"),
        "{fixable}"
    );
    let unfixed = report["findings"][1]["message"].as_str().unwrap();
    assert!(unfixed.contains("no fix yet in Debian:12"), "{unfixed}");
    let notes = notices(&report);
    assert!(
        notes
            .iter()
            .any(|n| n.contains("ignored 1 records of ecosystems drydock does not match: npm (1)")),
        "{notes:?}"
    );

    // `check --osv` weighs the fixable advisory into the verdict.
    let out = drydock(&[
        "--format",
        "json",
        "check",
        "--no-updates",
        "--osv",
        osv.to_str().unwrap(),
        &base,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    let found = codes(&report);
    assert!(
        found.contains(&"DD701".to_owned()) && found.contains(&"DD803".to_owned()),
        "{found:?}"
    );
    assert!(
        notices(&report)[0].contains("vulnerable-package-fix-available (1)"),
        "{:?}",
        notices(&report)
    );

    // A broken record stops the run with its name and position (exit 2).
    let bad = tmp.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    std::fs::write(bad.join("X.json"), "{\"id\": 5}").unwrap();
    let out = drydock(&["advisories", &base, "--osv", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("X.json: line 1 column"), "{stderr}");
}

/// The suites the pending-updates test publishes to (not shared with other tests).
const UPDATES_SUITE: &str = "check-test";
const SECURITY_SUITE: &str = "check-test-security";
const KEYRING: &str = "/usr/share/keyrings/drydock-rig.gpg";

/// Builds `app` on `base` (labelled with it) with only the rig's two check suites as apt
/// sources and `drydock-demo` installed at whatever version they offer now.
fn build_with_demo(rig: &Rig, base: &str, base_digest: &str, app: &str, dir: &Path) {
    let apt = rig.apt();
    let context = dir.join("context");
    std::fs::create_dir_all(&context).unwrap();
    std::fs::write(context.join("drydock-rig.gpg"), apt.public_key()).unwrap();
    // Only the rig's repository: the base image's own Debian sources point at mirrors that tests
    // must not contact.
    let dockerfile = format!(
        "FROM {base}\n\
         COPY drydock-rig.gpg {KEYRING}\n\
         RUN rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* \
          && echo '{line}' > /etc/apt/sources.list.d/drydock.list \
          && echo '{security_line}' >> /etc/apt/sources.list.d/drydock.list \
          && apt-get update \
          && apt-get install -y --no-install-recommends drydock-demo \
          && rm -rf /var/lib/apt/lists/*\n",
        line = apt.signed_sources_line(UPDATES_SUITE, KEYRING),
        security_line = apt.signed_sources_line(SECURITY_SUITE, KEYRING),
    );
    let opts = BuildOpts {
        network_host: true,
        no_cache: true,
        extra_args: vec![
            "--label".into(),
            format!("{BASE_NAME}={base}"),
            "--label".into(),
            format!("{BASE_DIGEST}={base_digest}"),
        ],
        ..BuildOpts::default()
    };
    rig.build(
        &BuildInput::DirWithDockerfile(context, dockerfile),
        app,
        &opts,
    )
    .unwrap();
    rig.push(app).unwrap();
}

#[test]
fn pending_security_updates_fail_the_check_until_a_rebuild() {
    let rig = Rig::shared();
    let apt = rig.apt();
    let (base, base_digest) = own_base(rig, "drydock/check-updates-base");
    apt.publish_to(UPDATES_SUITE, &DebPackage::new("drydock-demo", "1.0-1"))
        .unwrap();
    apt.regenerate(SECURITY_SUITE).unwrap();
    let app = rig.image_ref("drydock/check-updates-app", "1");
    let dir = tempfile::tempdir().unwrap();
    build_with_demo(rig, &base, &base_digest, &app, dir.path());

    // Nothing published since the build: up to date, and the updates were really compared.
    let out = drydock(&["--format", "json", "check", &app]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert!(codes(&report).is_empty(), "{report}");
    let notes = notices(&report);
    assert_eq!(notes[0], "verdict: up to date", "{notes:?}");
    assert!(
        notes[1].starts_with("pending updates: 0 security, 0 other"),
        "{notes:?}"
    );

    // The distribution publishes a security fix: one pending security update, exit 1.
    apt.publish_to(
        SECURITY_SUITE,
        &DebPackage::new("drydock-demo", "1.0-1+deb12u1"),
    )
    .unwrap();
    let out = drydock(&["--format", "json", "check", &app]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(codes(&report), ["DD804"], "{report}");
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert_eq!(
        message,
        "drydock-demo 1.0-1 has a security update: 1.0-1+deb12u1"
    );
    assert_eq!(report["findings"][0]["location"]["layer"], 2, "{report}");
    let notes = notices(&report);
    assert_eq!(
        notes[0], "verdict: rebuild — 1 security update(s) pending",
        "{notes:?}"
    );
    assert!(
        notes[1].starts_with("pending updates: 1 security, 0 other"),
        "{notes:?}"
    );

    // The same in SARIF and in the human format.
    let out = drydock(&["--format", "sarif", "check", &app]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let sarif = json(&out);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{sarif}");
    assert_eq!(results[0]["ruleId"], "DD804", "{sarif}");
    let out = drydock(&["--color", "never", "check", &app]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("DD804") && text.contains("1 security update(s) pending"),
        "{text}"
    );

    // --no-updates skips them and says so.
    let out = drydock(&["--format", "json", "check", "--no-updates", &app]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let notes = notices(&json(&out));
    assert_eq!(
        notes[0], "verdict: up to date (pending security updates not checked)",
        "{notes:?}"
    );

    // An unreachable mirror is an error (exit 2), not "no updates".
    let out = drydock(&["check", "--mirror", "http://127.0.0.1:9", &app]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot list the pending updates")
            && stderr(&out).contains("cannot fetch http://127.0.0.1:9/dists/"),
        "{}",
        stderr(&out)
    );

    // A tampered InRelease (served through --mirror from a copy) is an error too.
    let copy = dir.path().join("mirror");
    copy_tree(&apt.root(), &copy);
    let in_release = copy.join(format!("dists/{SECURITY_SUITE}/InRelease"));
    let text = std::fs::read_to_string(&in_release).unwrap();
    assert!(text.contains("Label: drydock-rig"), "{text}");
    std::fs::write(
        &in_release,
        text.replace("Label: drydock-rig", "Label: drydock-riG"),
    )
    .unwrap();
    let mirror = format!("{}=file:{}", apt.url(), copy.display());
    let out = drydock(&["check", "--mirror", &mirror, &app]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("signature check failed"),
        "{}",
        stderr(&out)
    );

    // Rebuilt against the current indexes: the fix is installed and the check passes.
    build_with_demo(rig, &base, &base_digest, &app, dir.path());
    let out = drydock(&["--format", "json", "check", &app]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report = json(&out);
    assert!(codes(&report).is_empty(), "{report}");
    assert_eq!(notices(&report)[0], "verdict: up to date");
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
