//! `drydock scan docker:NAME`: images read from the rig's real dockerd
//! through its API (one streamed export), compared with the same image
//! `docker save`d and scanned as `docker-archive:`. Fake secrets are
//! assembled at run time; none is committed whole.

use std::path::Path;
use std::process::Command as StdCommand;

use assert_cmd::Command;
use drydock_rig::{BuildInput, BuildOpts, Rig};
use serde_json::Value;

fn private_key() -> String {
    let kind = ["OPENSSH", "PRIVATE", "KEY"].join(" ");
    let body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBx7Kq2Lm9Np4Rs8Tv1Wy5Za3Bc6De0Fg2Hj4Kl7Mn3QAAAAJhQ2rS5tU8v\nW1xY4zA7bC0dE3fG6hI9jK2lM5nO8pQ1rS4tU7vW0xY3zA6bC9dE2fG5hI8jK1lM4nO7pQ\n";
    format!("-----BEGIN {kind}-----\n{body}-----END {kind}-----\n")
}

fn github_token() -> String {
    format!("{}_{}", "ghp", "Zr5Tn8Wq1Lk4Hx7Cv2Bm9Jd6Fs3Gp0Ya5Ue8")
}

fn password() -> String {
    format!("{}{}", "C0rrect", "-horse-battery-staple-9")
}

/// `drydock --format json scan TARGET` against the rig's engine: (exit code, JSON, stderr).
fn scan_json(rig: &Rig, target: &str) -> (i32, Option<Value>, String) {
    let out = Command::cargo_bin("drydock")
        .unwrap()
        .env("DOCKER_HOST", rig.docker_host())
        .args(["--format", "json", "scan", target])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let json = serde_json::from_str(&stdout).ok();
    (
        out.status.code().unwrap_or(-1),
        json,
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn build_secrets_image(rig: &Rig, tag: &str, ctx: &Path) {
    let base = rig.base_image().unwrap();
    std::fs::create_dir_all(ctx).unwrap();
    std::fs::write(ctx.join("deploy_key"), private_key()).unwrap();
    let dockerfile = format!(
        "FROM {base}\n\
         COPY deploy_key /root/.ssh/id_rsa\n\
         RUN rm -f /root/.ssh/id_rsa && mkdir -p /app\n\
         ARG GH_TOKEN\n\
         RUN test -n \"$GH_TOKEN\" && echo ok > /app/fetched\n\
         ENV DB_PASSWORD={pw}\n\
         CMD [\"/bin/true\"]\n",
        pw = password()
    );
    rig.build(
        &BuildInput::DirWithDockerfile(ctx.to_owned(), dockerfile),
        tag,
        &BuildOpts {
            build_args: vec![("GH_TOKEN".into(), github_token())],
            ..BuildOpts::default()
        },
    )
    .unwrap();
}

#[test]
fn engine_image_scans_like_its_docker_save_archive() {
    let rig = Rig::shared();
    let tmp = tempfile::tempdir().unwrap();
    let tag = "drydock-scan-daemon:secrets";
    build_secrets_image(rig, tag, &tmp.path().join("ctx"));
    let archive = tmp.path().join("secrets.tar");
    rig.save(tag, &archive).unwrap();

    let (code, from_archive, err) =
        scan_json(rig, &format!("docker-archive:{}", archive.display()));
    assert_eq!(code, 1, "{err}");
    let from_archive = from_archive.unwrap();
    let image_id = rig.engine().image_id(tag).unwrap();
    for target in [
        format!("docker:{tag}"),
        format!("docker-daemon:{tag}"),
        format!("docker:{image_id}"),
    ] {
        let (code, from_engine, err) = scan_json(rig, &target);
        assert_eq!(code, 1, "{target}: {err}");
        let from_engine = from_engine.unwrap();
        let name = format!("docker:{}", target.split_once(':').unwrap().1);
        assert_eq!(from_engine["targets"], serde_json::json!([name]));
        // Same findings, same per-layer counts; only the summary line names
        // the target differently.
        assert_eq!(
            from_engine["findings"], from_archive["findings"],
            "{target}"
        );
        assert_eq!(from_engine["summary"], from_archive["summary"], "{target}");
        assert_eq!(
            from_engine["notices"].as_array().unwrap()[1..],
            from_archive["notices"].as_array().unwrap()[1..],
            "{target}"
        );
        let notice = from_engine["notices"][0].as_str().unwrap();
        assert!(
            notice.starts_with(&format!("image: {name}")) && notice.contains("4 layers"),
            "{notice}"
        );
    }

    // The planted secrets are all there: the deleted key, the build arg, the ENV password.
    let findings = from_archive["findings"].as_array().unwrap();
    let rule =
        |code: &str| -> Vec<&Value> { findings.iter().filter(|f| f["rule"] == code).collect() };
    let key = rule("DD501");
    assert_eq!(key.len(), 1, "{findings:#?}");
    assert_eq!(key[0]["location"]["path"], "/root/.ssh/id_rsa");
    assert_eq!(key[0]["location"]["layer"], 1);
    assert!(
        key[0]["message"]
            .as_str()
            .unwrap()
            .contains("deleted in layer 2"),
        "{:?}",
        key[0]
    );
    let history = rule("DD503");
    assert_eq!(history.len(), 1, "{findings:#?}");
    assert!(
        history[0]["location"]["created_by"]
            .as_str()
            .unwrap()
            .contains("GH_TOKEN=ghp_***")
    );
    let env = rule("DD502");
    assert_eq!(env.len(), 1, "{findings:#?}");
    assert!(
        env[0]["message"]
            .as_str()
            .unwrap()
            .contains("DB_PASSWORD=***")
    );

    // No raw secret in either output.
    let text = from_archive.to_string();
    for secret in [
        github_token(),
        password(),
        private_key().lines().nth(1).unwrap().to_owned(),
    ] {
        assert!(!text.contains(&secret), "leaked {secret:.6}…");
    }
}

#[test]
fn a_missing_image_or_engine_is_an_input_error() {
    let rig = Rig::shared();
    let (code, json, err) = scan_json(rig, "docker:drydock-no-such-image:1");
    assert_eq!(code, 2, "{err}");
    assert!(json.is_none());
    let socket = rig.engine().socket().display().to_string();
    assert!(
        err.starts_with("drydock: error: cannot scan docker:drydock-no-such-image:1")
            && err.contains("image \"drydock-no-such-image:1\"")
            && err.contains("not found")
            && err.contains(&socket),
        "{err}"
    );

    let out = Command::cargo_bin("drydock")
        .unwrap()
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .args(["scan", "docker:app"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8(out).unwrap();
    assert!(
        err.contains("cannot connect to the Docker engine at unix:///nonexistent/docker.sock"),
        "{err}"
    );
}

/// Peak RSS and time of `drydock scan` on a ~1 GB image, from the engine and
/// from its `docker save` archive. Run with
/// `cargo test -p drydock --test scan_daemon -- --ignored --nocapture`;
/// `DRYDOCK_BIN` picks the binary (e.g. a release build).
#[test]
#[ignore = "builds a 1 GB image; a measurement, run on demand"]
fn big_image_memory_stays_bounded() {
    let rig = Rig::shared();
    let base = rig.base_image().unwrap();
    let tag = "drydock-scan-daemon:big";
    // ~400 MB of binary files, ~400 MB of text files in 4,000 files, some
    // deleted again by the last layer.
    let dockerfile = format!(
        "FROM {base}\n\
         RUN mkdir /blobs && for i in 1 2 3 4; do head -c 100000000 /dev/urandom > /blobs/b$i; done\n\
         RUN mkdir /text && for d in $(seq 1 40); do mkdir /text/$d; \
             for f in $(seq 1 100); do head -c 75000 /dev/urandom | base64 > /text/$d/$f.txt; done; done\n\
         RUN rm -rf /blobs/b4 /text/40\n"
    );
    rig.build(
        &BuildInput::Dockerfile(dockerfile),
        tag,
        &BuildOpts::default(),
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("big.tar");
    rig.save(tag, &archive).unwrap();
    let size = std::fs::metadata(&archive).unwrap().len();
    eprintln!("archive: {size} bytes");
    let bin = std::env::var("DRYDOCK_BIN").unwrap_or_else(|_| {
        assert_cmd::cargo::cargo_bin("drydock")
            .display()
            .to_string()
    });
    let mut results = Vec::new();
    for target in [
        format!("docker:{tag}"),
        format!("docker-archive:{}", archive.display()),
    ] {
        let out = StdCommand::new("/usr/bin/time")
            .arg("-v")
            .arg(&bin)
            .args(["--format", "json", "scan", &target])
            .env("DOCKER_HOST", rig.docker_host())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let field = |name: &str| -> String {
            stderr
                .lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .unwrap_or("?")
                .trim()
                .to_owned()
        };
        let rss_kb: u64 = field("Maximum resident set size (kbytes):")
            .parse()
            .unwrap();
        eprintln!(
            "{target}: exit {:?}, peak RSS {} MB, wall {}, user {} s, sys {} s",
            out.status.code(),
            rss_kb / 1024,
            field("Elapsed (wall clock) time (h:mm:ss or m:ss):"),
            field("User time (seconds):"),
            field("System time (seconds):")
        );
        let json: Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{stderr}"));
        eprintln!("  {}", json["notices"][1]);
        results.push((rss_kb, json));
    }
    let started = std::time::Instant::now();
    let save = rig
        .engine()
        .docker()
        .args(["save", tag])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(save.success());
    eprintln!("docker save > /dev/null: {:.2?}", started.elapsed());
    assert_eq!(results[0].1["findings"], results[1].1["findings"]);
    assert!(
        results[0].0 <= 100 * 1024,
        "streamed scan peaked at {} kB",
        results[0].0
    );
}
