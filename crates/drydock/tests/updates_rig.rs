//! `drydock updates` on a real image: the rig's bookworm base with only the rig's signed apt
//! repository as a source and `drydock-demo 1.0-1` installed from it. After the repository
//! publishes 1.0-2, drydock must report exactly what `apt list --upgradable` reports inside a
//! container of the same image against the same repository — from a `docker save` archive and
//! from the registry — and must refuse tampered indexes, tampered signatures and unreachable
//! mirrors with exit status 2.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use assert_cmd::Command;
use drydock_rig::{BuildInput, BuildOpts, DebPackage, Mount, Rig, RunOpts};

/// The suites these tests publish to (not the rig's default, which other tests share).
const SUITE: &str = "updates-test";
const SECURITY_SUITE: &str = "updates-test-security";
const KEYRING: &str = "/usr/share/keyrings/drydock-rig.gpg";

/// The test image, saved: (docker-archive path, registry reference, tag in the engine).
struct TestImage {
    archive: PathBuf,
    reference: String,
    _dir: tempfile::TempDir,
}

/// Builds the image once (`drydock-demo` and `drydock-fixed` 1.0-1 installed), then publishes
/// `drydock-demo` 1.0-2 to the regular suite and `drydock-fixed` 1.0-1+deb12u1 to the security
/// suite.
fn image() -> &'static TestImage {
    static IMAGE: OnceLock<TestImage> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let rig = Rig::shared();
        let base = rig.base_image().unwrap();
        let apt = rig.apt();
        apt.publish_to(SUITE, &DebPackage::new("drydock-demo", "1.0-1"))
            .unwrap();
        apt.publish_to(SUITE, &DebPackage::new("drydock-fixed", "1.0-1"))
            .unwrap();
        apt.regenerate(SECURITY_SUITE).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let context = dir.path().join("context");
        std::fs::create_dir_all(&context).unwrap();
        std::fs::write(context.join("drydock-rig.gpg"), apt.public_key()).unwrap();
        // Only the rig's repository: the base image's own Debian sources point at mirrors that
        // tests must not contact.
        let dockerfile = format!(
            "FROM {base}\n\
             COPY drydock-rig.gpg {KEYRING}\n\
             RUN rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* \
              && echo '{line}' > /etc/apt/sources.list.d/drydock.list \
              && echo '{security_line}' >> /etc/apt/sources.list.d/drydock.list \
              && apt-get update \
              && apt-get install -y --no-install-recommends drydock-demo=1.0-1 drydock-fixed=1.0-1 \
              && rm -rf /var/lib/apt/lists/*\n",
            line = apt.signed_sources_line(SUITE, KEYRING),
            security_line = apt.signed_sources_line(SECURITY_SUITE, KEYRING),
        );
        let reference = rig.image_ref("drydock/updates-test", "demo");
        let opts = BuildOpts {
            network_host: true,
            ..BuildOpts::default()
        };
        rig.build(
            &BuildInput::DirWithDockerfile(context, dockerfile),
            &reference,
            &opts,
        )
        .unwrap();
        let archive = dir.path().join("demo.tar");
        rig.save(&reference, &archive).unwrap();
        rig.push(&reference).unwrap();
        apt.publish_to(SUITE, &DebPackage::new("drydock-demo", "1.0-2"))
            .unwrap();
        apt.publish_to(
            SECURITY_SUITE,
            &DebPackage::new("drydock-fixed", "1.0-1+deb12u1"),
        )
        .unwrap();
        TestImage {
            archive,
            reference,
            _dir: dir,
        }
    })
}

fn drydock(args: &[&str]) -> Output {
    let empty_config = tempfile::tempdir().unwrap();
    Command::cargo_bin("drydock")
        .unwrap()
        .args(args)
        .env("DOCKER_CONFIG", empty_config.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// (rule, name, installed, fixed) of every finding of a JSON report.
fn pending(out: &Output) -> BTreeSet<(String, String, String, String)> {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            // "drydock-demo:all 1.0-1 has a pending update: 1.0-2 (updates-test)"
            let message = f["message"].as_str().unwrap();
            let words: Vec<&str> = message.split_whitespace().collect();
            let name = words[0].split(':').next().unwrap();
            let fixed = message
                .split(": ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap();
            (
                f["rule"].as_str().unwrap().to_owned(),
                name.to_owned(),
                words[1].to_owned(),
                fixed.to_owned(),
            )
        })
        .collect()
}

/// `apt list --upgradable` in a container of the image (no network): the repository is
/// bind-mounted and used as a `file:` source, still checked against the image's key.
/// (suite, name, installed, candidate) per line.
fn apt_upgradable(reference: &str) -> BTreeSet<(String, String, String, String)> {
    let rig = Rig::shared();
    let script = format!(
        "echo 'deb [signed-by={KEYRING}] file:/repo {SUITE} main' \
           > /etc/apt/sources.list.d/drydock.list \
         && echo 'deb [signed-by={KEYRING}] file:/repo {SECURITY_SUITE} main' \
           >> /etc/apt/sources.list.d/drydock.list \
         && apt-get update -qq >&2 && apt list --upgradable"
    );
    let out = rig
        .run(
            reference,
            &["sh", "-c", &script],
            &RunOpts {
                mounts: vec![Mount::ro(rig.apt().root(), "/repo")],
                ..RunOpts::default()
            },
        )
        .unwrap();
    assert!(out.success(), "apt failed: {}\n{}", out.stdout, out.stderr);
    // "drydock-demo/updates-test 1.0-2 all [upgradable from: 1.0-1]"
    out.stdout
        .lines()
        .filter(|l| l.contains("[upgradable from: "))
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let (name, suite) = words[0].split_once('/').unwrap();
            let from = words.last().unwrap().trim_end_matches(']').to_owned();
            (suite.to_owned(), name.to_owned(), from, words[1].to_owned())
        })
        .collect()
}

#[test]
fn updates_match_apt_list_upgradable_from_archive_and_registry() {
    let image = image();
    let oracle = apt_upgradable(&image.reference);
    assert_eq!(
        oracle,
        BTreeSet::from([
            (
                SUITE.into(),
                "drydock-demo".into(),
                "1.0-1".into(),
                "1.0-2".into()
            ),
            (
                SECURITY_SUITE.into(),
                "drydock-fixed".into(),
                "1.0-1".into(),
                "1.0-1+deb12u1".into()
            ),
        ]),
        "the oracle itself must see both updates"
    );
    let want: BTreeSet<_> = oracle
        .into_iter()
        .map(|(suite, name, from, to)| {
            let rule = if suite.ends_with("-security") {
                "DD601"
            } else {
                "DD602"
            };
            (rule.to_owned(), name, from, to)
        })
        .collect();

    let archive = format!("docker-archive:{}", image.archive.display());
    let started = std::time::Instant::now();
    let out = drydock(&["--format", "json", "updates", &archive]);
    eprintln!(
        "drydock updates (docker-archive): {:.2?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(pending(&out), want);

    let started = std::time::Instant::now();
    let out = drydock(&["--format", "json", "updates", &image.reference]);
    eprintln!("drydock updates (registry): {:.2?}", started.elapsed());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(pending(&out), want);

    let out = drydock(&["--format", "sarif", "updates", &archive]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let sarif: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let mut rules: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    rules.sort();
    assert_eq!(rules, ["DD601", "DD602"], "{sarif}");

    let out = drydock(&["--format", "json", "updates", "--security-only", &archive]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let security: BTreeSet<_> = want.iter().filter(|w| w.0 == "DD601").cloned().collect();
    assert_eq!(pending(&out), security);
    let out = drydock(&[
        "--format",
        "json",
        "--fail-on",
        "error",
        "updates",
        "--security-only",
        &archive,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));

    // Human output names package, versions, suite and layer.
    let out = drydock(&["updates", &archive]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("DD602")
            && text.contains("drydock-demo:all 1.0-1 has a pending update: 1.0-2 (updates-test)"),
        "{text}"
    );
    assert!(
        text.contains("DD601")
            && text.contains(
                "drydock-fixed:all 1.0-1 has a pending security update: 1.0-1+deb12u1 \
                 (updates-test-security)"
            ),
        "{text}"
    );
    // Layers: 0 the base, 1 the COPY of the key, 2 the RUN that installed the package.
    assert!(text.contains("layer 2 ("), "{text}");
}

#[test]
fn cache_dir_reuses_verified_indexes() {
    let image = image();
    let archive = format!("docker-archive:{}", image.archive.display());
    let cache = tempfile::tempdir().unwrap();
    let cache_arg = cache.path().to_str().unwrap();
    let notices = |out: &Output| -> String {
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report["notices"][0].as_str().unwrap().to_owned()
    };
    let first = drydock(&[
        "--format",
        "json",
        "updates",
        "--cache-dir",
        cache_arg,
        &archive,
    ]);
    assert_eq!(first.status.code(), Some(1), "{}", stderr(&first));
    let second = drydock(&[
        "--format",
        "json",
        "updates",
        "--cache-dir",
        cache_arg,
        &archive,
    ]);
    assert_eq!(second.status.code(), Some(1), "{}", stderr(&second));
    assert_eq!(pending(&first), pending(&second));
    eprintln!(
        "first run: {}\nsecond run: {}",
        notices(&first),
        notices(&second)
    );
    let fetched = |out: &Output| -> u64 {
        let notice = notices(out);
        let (before, _) = notice.split_once(" index bytes fetched").unwrap();
        before.rsplit(['(', ' ']).next().unwrap().parse().unwrap()
    };
    // The second run fetches only the InRelease files; the Packages files come from the cache.
    assert!(
        fetched(&second) < fetched(&first),
        "{} vs {}",
        notices(&second),
        notices(&first)
    );
    assert!(
        notices(&first).contains("0 index files from the cache"),
        "{}",
        notices(&first)
    );
    assert!(
        notices(&second).contains("2 index files from the cache"),
        "{}",
        notices(&second)
    );
    // A tampered cache entry is not trusted: it no longer matches its signed checksum.
    for entry in std::fs::read_dir(cache.path().join("by-hash")).unwrap() {
        std::fs::write(entry.unwrap().path(), b"tampered").unwrap();
    }
    let third = drydock(&[
        "--format",
        "json",
        "updates",
        "--cache-dir",
        cache_arg,
        &archive,
    ]);
    assert_eq!(third.status.code(), Some(1), "{}", stderr(&third));
    assert_eq!(pending(&third), pending(&first));
    assert!(
        notices(&third).contains("0 index files from the cache"),
        "{}",
        notices(&third)
    );
}

/// A copy of the rig's repository in `DIR/127.0.0.1:PORT/` (the `--index-dir` layout).
fn index_dir_copy() -> (tempfile::TempDir, PathBuf) {
    let rig = Rig::shared();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join(rig.apt().addr().to_string());
    copy_tree(&rig.apt().root().join("dists"), &repo.join("dists"));
    (dir, repo)
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

#[test]
fn tampered_indexes_and_signatures_are_errors_naming_the_file() {
    let image = image();
    let archive = format!("docker-archive:{}", image.archive.display());

    // The untouched copy gives the same answer as the network.
    let (dir, repo) = index_dir_copy();
    let dir_arg = dir.path().to_str().unwrap();
    let out = drydock(&[
        "--format",
        "json",
        "updates",
        "--index-dir",
        dir_arg,
        &archive,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(pending(&out).len(), 2);

    // A Packages file that differs from the checksum in the signed InRelease.
    let packages = repo.join(format!("dists/{SUITE}/main/binary-amd64/Packages.gz"));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(
        &mut gz,
        b"Package: drydock-demo\nVersion: 9.9-9\nArchitecture: all\n",
    )
    .unwrap();
    std::fs::write(&packages, gz.finish().unwrap()).unwrap();
    let out = drydock(&["updates", "--index-dir", dir_arg, &archive]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Packages.gz")
            && stderr(&out).contains("does not match its signed Release"),
        "{}",
        stderr(&out)
    );

    // An InRelease whose signed text was changed (the signature no longer verifies), served
    // through --mirror as a file: tree.
    let (dir, repo) = index_dir_copy();
    let in_release = repo.join(format!("dists/{SUITE}/InRelease"));
    let text = std::fs::read_to_string(&in_release).unwrap();
    assert!(text.contains("Label: drydock-rig"), "{text}");
    std::fs::write(
        &in_release,
        text.replace("Label: drydock-rig", "Label: drydock-riG"),
    )
    .unwrap();
    let mirror = format!("{}=file:{}", Rig::shared().apt().url(), repo.display());
    let out = drydock(&["updates", "--mirror", &mirror, &archive]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("InRelease") && stderr(&out).contains("signature check failed"),
        "{}",
        stderr(&out)
    );
    drop(dir);

    // An unreachable mirror is an error, not "no updates".
    let out = drydock(&["updates", "--mirror", "http://127.0.0.1:9", &archive]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot fetch http://127.0.0.1:9/dists/"),
        "{}",
        stderr(&out)
    );
}
