//! `drydock_scan::scan` on small docker-save archives built in the test.
//! Fake secrets are assembled at run time; none is committed whole.

use std::time::{Duration, UNIX_EPOCH};

use drydock_findings::{Finding, Location, Report, Severity};
use drydock_scan::{RuleSelection, ScanOptions, SecretAllowList, SelectionLayer, scan};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

fn sha(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

/// One layer tar (uncompressed).
#[derive(Default)]
struct LayerTar {
    b: Vec<u8>,
}

impl LayerTar {
    fn new() -> Self {
        Self::default()
    }
    fn entry(mut self, name: &str, kind: tar::EntryType, data: &[u8], mode: u32) -> Self {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_path(name).unwrap();
        h.set_cksum();
        self.b.extend_from_slice(h.as_bytes());
        self.b.extend_from_slice(data);
        self.b
            .extend(std::iter::repeat_n(0u8, (512 - data.len() % 512) % 512));
        self
    }
    fn file(self, name: &str, data: &[u8]) -> Self {
        self.entry(name, tar::EntryType::Regular, data, 0o644)
    }
    fn file_mode(self, name: &str, data: &[u8], mode: u32) -> Self {
        self.entry(name, tar::EntryType::Regular, data, mode)
    }
    fn dir(self, name: &str) -> Self {
        self.entry(name, tar::EntryType::Directory, b"", 0o755)
    }
    fn whiteout(self, dir: &str, name: &str) -> Self {
        self.file(&format!("{dir}/.wh.{name}"), b"")
    }
    fn finish(mut self) -> Vec<u8> {
        self.b.extend(std::iter::repeat_n(0u8, 1024));
        self.b
    }
}

/// A test image: layers, history (created_by, empty_layer) and the `config` object.
struct Spec {
    layers: Vec<Vec<u8>>,
    history: Vec<(String, bool)>,
    config: Value,
    created: &'static str,
}

impl Spec {
    fn new(layers: Vec<Vec<u8>>) -> Self {
        let history = (0..layers.len())
            .map(|i| (format!("RUN /bin/sh -c step {i}"), false))
            .collect();
        Spec {
            layers,
            history,
            config: json!({
                "User": "app",
                "Env": ["PATH=/usr/bin"],
                "Cmd": ["/bin/app"],
                "Healthcheck": {"Test": ["CMD", "true"]},
                "ExposedPorts": {"80/tcp": {}},
            }),
            created: "2026-01-01T00:00:00Z",
        }
    }

    fn config_json(&self) -> Vec<u8> {
        let history: Vec<Value> = self
            .history
            .iter()
            .map(|(c, e)| json!({"created": self.created, "created_by": c, "empty_layer": e}))
            .collect();
        let diff_ids: Vec<String> = self.layers.iter().map(|l| sha(l)).collect();
        serde_json::to_vec(&json!({
            "architecture": "amd64",
            "os": "linux",
            "created": self.created,
            "config": self.config,
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        }))
        .unwrap()
    }

    /// Legacy `docker save` archive.
    fn archive(&self) -> Vec<u8> {
        fn member(b: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]) {
            let mut h = tar::Header::new_ustar();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, name, data).unwrap();
        }
        let mut b = tar::Builder::new(Vec::new());
        let config = self.config_json();
        let cfg = format!("{}.json", &sha(&config)[7..]);
        let mut paths = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            let p = format!("{:064x}/layer.tar", i + 1);
            member(&mut b, &p, l);
            paths.push(p);
        }
        member(&mut b, &cfg, &config);
        let manifest = json!([{"Config": cfg, "RepoTags": ["test:1"], "Layers": paths}]);
        member(
            &mut b,
            "manifest.json",
            &serde_json::to_vec(&manifest).unwrap(),
        );
        b.into_inner().unwrap()
    }

    fn scan_with(&self, opts: &ScanOptions) -> Report {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("image.tar");
        std::fs::write(&path, self.archive()).unwrap();
        scan(&format!("docker-archive:{}", path.display()), opts).unwrap()
    }

    fn scan(&self) -> Report {
        self.scan_with(&ScanOptions::default())
    }
}

/// A fake PEM private key (never committed whole).
fn private_key() -> String {
    let body = "MIIEowIBAAKCAQEA7bq9Xk3Lm2Pq8RtYvW1zN4cD6fH0jK5sUe9gT2hJ3kL8mN1pQ4rS7tU0vW3xY6zA9bC2dE5fG8hI1jK4lM7nO0pQ3rS6tU9vW2xY5zA8bC1dE4fG7hI0jK3lM6nO9pQ2rS5tU8vW1xY4zA7bC0dE3fG6hI9jK2lM5nO8pQ1rS4tU7vW0xY3zA6bC9dE2fG5hI8jK1lM4nO7pQ0rS3tU6vW9xY2zA5bC8dE1fG4hI7jK0lM3nO6pQ9rS2tU5vW8xY1zA4bC7dE0fG3hI6jK9lM2nO5pQ8rS1tU4vW7xY0zA3bC6dE9fG2hI5jK8lM1nO4pQ7rS0tU3vW6xY9zA2bC5dE8fG1hI4jK7lM0nO3pQ6rS9tU2vW5xY8zA1bC4dE7fG0hI3jK6lM9nO2pQ5rS8tU1vW4xY7zA0";
    let kind = ["RSA", "PRIVATE", "KEY"].join(" ");
    let mut s = format!("-----BEGIN {kind}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap());
        s.push('\n');
    }
    s.push_str(&format!("-----END {kind}-----\n"));
    s
}

/// A fake GitHub token.
fn github_token() -> String {
    format!("{}_{}", "ghp", "x7Kq2Lm9Np4Rs8Tv1Wy5Za3Bc6De0Fg2Hj4K")
}

fn by_code<'a>(report: &'a Report, code: &str) -> Vec<&'a Finding> {
    report.findings.iter().filter(|f| f.code == code).collect()
}

fn image_loc(f: &Finding) -> &drydock_findings::ImageLocation {
    match &f.location {
        Location::Image(l) => l,
        other => panic!("not an image location: {other:?}"),
    }
}

fn config_field(f: &Finding) -> &str {
    match &f.location {
        Location::Config(c) => &c.field,
        other => panic!("not a config location: {other:?}"),
    }
}

fn render_all(report: &Report) -> String {
    let tool = drydock_render::Tool {
        name: "drydock",
        version: "0",
    };
    let mut out = Vec::new();
    drydock_render::render_human(
        report,
        drydock_render::HumanOptions {
            color: false,
            quiet: false,
        },
        &mut out,
    )
    .unwrap();
    drydock_render::render_json(report, tool, &mut out).unwrap();
    drydock_render::render_sarif(report, tool, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn secret_image() -> (Spec, Vec<String>) {
    let key = private_key();
    let token = github_token();
    let l0 = LayerTar::new()
        .dir("etc")
        .file("etc/os-release", b"ID=test\n")
        .finish();
    let l1 = LayerTar::new()
        .dir("root")
        .file("root/id_rsa", key.as_bytes())
        .finish();
    let l2 = LayerTar::new().whiteout("root", "id_rsa").finish();
    let mut spec = Spec::new(vec![l0, l1, l2]);
    spec.history = vec![
        ("ADD rootfs.tar / # buildkit".into(), false),
        ("COPY id_rsa /root/id_rsa # buildkit".into(), false),
        ("ARG GH_TOKEN".into(), true),
        (
            format!("RUN |1 GH_TOKEN={token} /bin/sh -c rm /root/id_rsa # buildkit"),
            false,
        ),
    ];
    let password = format!("{}{}", "hunter", "2-Correct-Horse-77");
    spec.config["Env"] = json!([
        "PATH=/usr/bin",
        format!("DB_PASSWORD={password}"),
        format!("GITHUB_TOKEN={token}")
    ]);
    // raw secret strings that must never be printed (and their distinctive middles)
    let raw = vec![
        token.clone(),
        token[4..].to_owned(),
        password.clone(),
        key.lines().nth(1).unwrap().to_owned(),
    ];
    (spec, raw)
}

#[test]
fn deleted_private_key_is_found_in_the_layer_that_ships_it() {
    let (spec, _) = secret_image();
    let report = spec.scan();
    let files = by_code(&report, "DD501");
    assert_eq!(files.len(), 1, "{:#?}", report.findings);
    let f = files[0];
    assert_eq!(f.name, "secret-in-layer-file");
    assert_eq!(f.severity, Severity::Error);
    let loc = image_loc(f);
    assert_eq!(loc.layer, 1);
    assert_eq!(loc.path.as_deref(), Some("/root/id_rsa"));
    assert_eq!(loc.diff_id, sha(&spec.layers[1]));
    assert_eq!(
        loc.created_by.as_deref(),
        Some("COPY id_rsa /root/id_rsa # buildkit")
    );
    assert!(
        f.message
            .contains("deleted in layer 2 but still shipped in layer 1"),
        "{}",
        f.message
    );
    assert!(f.message.contains("fingerprint"), "{}", f.message);
    assert!(f.message.contains("***"), "{}", f.message);
}

#[test]
fn overwritten_secret_file_is_reported_with_the_overwriting_layer() {
    let token = github_token();
    let l0 = LayerTar::new()
        .file("app/.env", format!("GITHUB_TOKEN={token}\n").as_bytes())
        .finish();
    let l1 = LayerTar::new()
        .file("app/.env", b"GITHUB_TOKEN=\n")
        .finish();
    let report = Spec::new(vec![l0, l1]).scan();
    let files = by_code(&report, "DD501");
    assert_eq!(files.len(), 1, "{:#?}", report.findings);
    assert_eq!(image_loc(files[0]).layer, 0);
    assert!(files[0].message.contains("overwritten in layer 1"));
    assert!(files[0].message.contains("line 1"));
}

#[test]
fn secrets_in_env_and_history_are_config_and_history_findings() {
    let (spec, _) = secret_image();
    let report = spec.scan();
    let config = by_code(&report, "DD502");
    let fields: Vec<&str> = config.iter().map(|f| config_field(f)).collect();
    assert_eq!(fields, ["config.Env[1]", "config.Env[2]"], "{config:#?}");
    assert!(
        config[0].message.contains("DB_PASSWORD=***"),
        "{}",
        config[0].message
    );
    assert!(
        config[1].message.contains("GITHUB_TOKEN=ghp_***"),
        "{}",
        config[1].message
    );
    // The ARG used by RUN: found in the history of layer 2. The same token
    // is in Env, but the RUN line is its own leak (history ships the value).
    let history = by_code(&report, "DD503");
    assert_eq!(history.len(), 1, "{history:#?}");
    let loc = image_loc(history[0]);
    assert_eq!(loc.layer, 2);
    let created_by = loc.created_by.as_deref().unwrap();
    assert!(
        created_by.starts_with("RUN |1 GH_TOKEN=ghp_***"),
        "{created_by}"
    );
    assert!(
        history[0].message.contains("GH_TOKEN"),
        "{}",
        history[0].message
    );
}

#[test]
fn env_secret_repeated_in_history_env_step_is_reported_once() {
    let token = github_token();
    let l0 = LayerTar::new().file("a", b"x").finish();
    let mut spec = Spec::new(vec![l0]);
    spec.history = vec![
        ("RUN /bin/sh -c true".into(), false),
        (format!("ENV GITHUB_TOKEN={token}"), true),
    ];
    spec.config["Env"] = json!([format!("GITHUB_TOKEN={token}")]);
    let report = spec.scan();
    assert_eq!(by_code(&report, "DD502").len(), 1);
    assert!(
        by_code(&report, "DD503").is_empty(),
        "{:#?}",
        report.findings
    );
}

#[test]
fn secret_in_label_and_cmd() {
    let token = github_token();
    let mut spec = Spec::new(vec![LayerTar::new().file("a", b"x").finish()]);
    spec.config["Labels"] = json!({"ci.token": token});
    spec.config["Cmd"] = json!(["/bin/app", format!("--token={token}")]);
    let report = spec.scan();
    let fields: Vec<&str> = by_code(&report, "DD502")
        .iter()
        .map(|f| config_field(f))
        .collect();
    assert_eq!(fields, ["config.Cmd[1]", "config.Labels[\"ci.token\"]"]);
}

#[test]
fn redaction_holds_in_every_renderer() {
    let (spec, raw) = secret_image();
    let report = spec.scan();
    assert!(report.findings.len() >= 4);
    let text = render_all(&report);
    for secret in &raw {
        assert!(
            !text.contains(secret.as_str()),
            "leaked {secret:.6}… in output"
        );
    }
    // The renderers did print the findings.
    assert!(text.contains("DD501") && text.contains("DD502") && text.contains("DD503"));
    assert!(text.contains("ghp_***"));
}

#[test]
fn root_user_implicit_and_explicit() {
    let layer = || LayerTar::new().file("a", b"x").finish();
    let mut implicit = Spec::new(vec![layer()]);
    implicit.config["User"] = Value::Null;
    let r = implicit.scan();
    let root = by_code(&r, "DD511");
    assert_eq!(root.len(), 1);
    assert_eq!(root[0].severity, Severity::Warning);
    assert!(root[0].message.contains("no USER"), "{}", root[0].message);
    for user in ["root", "0", "0:0", "root:wheel"] {
        let mut explicit = Spec::new(vec![layer()]);
        explicit.config["User"] = json!(user);
        let r = explicit.scan();
        let root = by_code(&r, "DD511");
        assert_eq!(root.len(), 1, "{user}");
        assert!(root[0].message.contains(&format!("USER {user}")));
    }
    for user in ["app", "1000", "1000:1000", "rooty"] {
        let mut fine = Spec::new(vec![layer()]);
        fine.config["User"] = json!(user);
        assert!(by_code(&fine.scan(), "DD511").is_empty(), "{user}");
    }
}

#[test]
fn healthcheck_ssh_port_and_age() {
    let mut spec = Spec::new(vec![LayerTar::new().file("a", b"x").finish()]);
    spec.config["Healthcheck"] = Value::Null;
    spec.config["ExposedPorts"] = json!({"22/tcp": {}, "8022/tcp": {}});
    let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600 + 40 * 86_400);
    let old = spec.scan_with(&ScanOptions {
        max_age: Some(Duration::from_secs(30 * 86_400)),
        now: Some(now),
        ..ScanOptions::default()
    });
    assert_eq!(by_code(&old, "DD512").len(), 1);
    let ssh = by_code(&old, "DD513");
    assert_eq!(ssh.len(), 1);
    assert_eq!(config_field(ssh[0]), "config.ExposedPorts[\"22/tcp\"]");
    let age = by_code(&old, "DD514");
    assert_eq!(age.len(), 1);
    assert!(age[0].message.contains("40d 0h ago"), "{}", age[0].message);
    // Young enough, or no --max-age: no DD514.
    let young = spec.scan_with(&ScanOptions {
        max_age: Some(Duration::from_secs(50 * 86_400)),
        now: Some(now),
        ..ScanOptions::default()
    });
    assert!(by_code(&young, "DD514").is_empty());
    assert!(by_code(&spec.scan(), "DD514").is_empty());
    // HEALTHCHECK NONE counts as none; no Cmd/Entrypoint: nothing to check.
    spec.config["Healthcheck"] = json!({"Test": ["NONE"]});
    assert_eq!(by_code(&spec.scan(), "DD512").len(), 1);
    spec.config["Cmd"] = Value::Null;
    assert!(by_code(&spec.scan(), "DD512").is_empty());
}

#[test]
fn shadow_empty_password_uses_the_last_version() {
    let good = b"root:*:19000:0:99999:7:::\nbin:!:19000::::::\n";
    let bad = b"root::19000:0:99999:7:::\nbin:*:19000::::::\nguest::1::::::\n";
    let l0 = LayerTar::new().dir("etc").file("etc/shadow", good).finish();
    let l1 = LayerTar::new().file("etc/shadow", bad).finish();
    let report = Spec::new(vec![l0, l1]).scan();
    let empty = by_code(&report, "DD516");
    let users: Vec<&str> = empty
        .iter()
        .map(|f| f.message.split('`').nth(1).unwrap())
        .collect();
    assert_eq!(users, ["root", "guest"]);
    assert!(
        empty
            .iter()
            .all(|f| image_loc(f).layer == 1 && f.severity == Severity::Error)
    );
    // Fixed in a later layer: the final view is clean.
    let l0 = LayerTar::new().dir("etc").file("etc/shadow", bad).finish();
    let l1 = LayerTar::new().file("etc/shadow", good).finish();
    assert!(by_code(&Spec::new(vec![l0, l1]).scan(), "DD516").is_empty());
}

#[test]
fn setuid_files_in_the_final_view() {
    let l0 = LayerTar::new()
        .dir("usr/bin")
        .file_mode("usr/bin/su", b"\x7fELF", 0o4755)
        .file_mode("usr/bin/wall", b"\x7fELF", 0o2755)
        .file_mode("usr/bin/gone", b"\x7fELF", 0o4755)
        .file_mode("usr/bin/ls", b"\x7fELF", 0o755)
        .finish();
    let l1 = LayerTar::new().whiteout("usr/bin", "gone").finish();
    let report = Spec::new(vec![l0, l1]).scan();
    let paths: Vec<&str> = by_code(&report, "DD515")
        .iter()
        .map(|f| image_loc(f).path.as_deref().unwrap())
        .collect();
    assert_eq!(paths, ["/usr/bin/su", "/usr/bin/wall"]);
    let msgs: Vec<&str> = by_code(&report, "DD515")
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    assert!(msgs[0].contains("setuid (mode 4755)"), "{msgs:?}");
    assert!(msgs[1].contains("setgid (mode 2755)"), "{msgs:?}");
}

#[test]
fn setuid_findings_are_capped_with_a_notice() {
    let mut l = LayerTar::new().dir("bin");
    for i in 0..60 {
        l = l.file_mode(&format!("bin/s{i:02}"), b"x", 0o4755);
    }
    let report = Spec::new(vec![l.finish()]).scan();
    assert_eq!(by_code(&report, "DD515").len(), 50);
    assert!(
        report.notices.iter().any(|n| n.contains("10 more setuid")),
        "{:?}",
        report.notices
    );
}

#[test]
fn binary_files_are_skipped_and_counted() {
    let token = github_token();
    let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
    elf.extend_from_slice(format!("GITHUB_TOKEN={token}").as_bytes());
    elf.extend(std::iter::repeat_n(0u8, 4096));
    let l0 = LayerTar::new()
        .file("bin/tool", &elf)
        .file("etc/conf", b"name=value\n")
        .file("etc/empty", b"")
        .finish();
    let report = Spec::new(vec![l0]).scan();
    assert!(
        by_code(&report, "DD501").is_empty(),
        "{:#?}",
        report.findings
    );
    let notice = report
        .notices
        .iter()
        .find(|n| n.starts_with("secrets:"))
        .unwrap();
    assert!(
        notice.contains("scanned 1 file (")
            && notice.contains("skipped 1 binary file and 1 empty file"),
        "{notice}"
    );
}

#[test]
fn large_secret_file_is_streamed() {
    // 3 MiB of text with the token near the end: found past the first chunk.
    let token = github_token();
    let mut text = "lorem ipsum dolor sit amet\n"
        .repeat(3 << 20 >> 5)
        .into_bytes();
    text.extend_from_slice(format!("token: {token}\n").as_bytes());
    let l0 = LayerTar::new().file("srv/big.log", &text).finish();
    let report = Spec::new(vec![l0]).scan();
    let f = by_code(&report, "DD501");
    assert_eq!(f.len(), 1, "{:#?}", report.findings);
    assert!(f[0].message.contains("line 98305"), "{}", f[0].message);
}

#[test]
fn wasted_bytes_and_package_caches() {
    let big = vec![b'a'; (1 << 20) + 10];
    let l0 = LayerTar::new()
        .file("tmp/build.tar", &big)
        .file("var/lib/apt/lists/deb_dists_Packages", &[b'p'; 3000])
        .file("var/cache/apt/archives/x.deb", &[b'd'; 2000])
        .file("var/cache/apt/archives/lock", b"")
        .finish();
    let l1 = LayerTar::new()
        .whiteout("tmp", "build.tar")
        .file("root/.cache/pip/http/x", &[b'q'; 100])
        .finish();
    let report = Spec::new(vec![l0, l1]).scan();
    let waste = by_code(&report, "DD521");
    assert_eq!(waste.len(), 1, "{:#?}", report.findings);
    assert_eq!(image_loc(waste[0]).layer, 0);
    assert!(
        waste[0].message.contains("1.0 MiB in 1 file "),
        "{}",
        waste[0].message
    );
    assert!(waste[0].help.as_deref().unwrap().contains("multi-stage"));
    let caches: Vec<(usize, &str)> = by_code(&report, "DD522")
        .iter()
        .map(|f| (image_loc(f).layer, f.message.as_str()))
        .collect();
    assert_eq!(caches.len(), 3, "{caches:#?}");
    assert!(
        caches
            .iter()
            .any(|(l, m)| *l == 0 && m.contains("apt package lists") && m.contains("2.9 KiB"))
    );
    assert!(
        caches
            .iter()
            .any(|(l, m)| *l == 0 && m.contains("apt package cache") && m.contains("in 1 file"))
    );
    assert!(
        caches
            .iter()
            .any(|(l, m)| *l == 1 && m.contains("pip cache") && m.contains("100 B"))
    );
    // Below the threshold: nothing.
    let small = LayerTar::new().file("tmp/x", &[b'a'; 1000]).finish();
    let del = LayerTar::new().whiteout("tmp", "x").finish();
    assert!(by_code(&Spec::new(vec![small, del]).scan(), "DD521").is_empty());
}

#[test]
fn clean_image_has_only_the_summary() {
    let l0 = LayerTar::new()
        .dir("etc")
        .file("etc/os-release", b"ID=test\n")
        .file("etc/shadow", b"root:*:19000:0:99999:7:::\n")
        .finish();
    let report = Spec::new(vec![l0]).scan();
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    let summary = &report.notices[0];
    assert!(summary.starts_with("image: docker-archive:"), "{summary}");
    for part in [
        "(test:1)",
        "linux/amd64",
        "1 layer,",
        "user: app",
        "created 2026-01-01T00:00:00Z",
    ] {
        assert!(summary.contains(part), "{part} in {summary}");
    }
    assert_eq!(report.targets.len(), 1);
    assert_eq!(report.rules.len(), drydock_scan::RULES.len());
}

#[test]
fn missing_image_is_an_error() {
    let e = scan("docker-archive:/nonexistent/x.tar", &ScanOptions::default()).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/x.tar"), "{e}");
}

#[test]
fn sensitive_volumes_are_reported() {
    let mut spec = Spec::new(vec![LayerTar::new().file("a", b"x").finish()]);
    spec.config["Volumes"] = json!({"/root/.ssh": {}, "/var/run/docker.sock": {}, "/data": {}});
    let report = spec.scan();
    let volumes: Vec<(&str, &str)> = by_code(&report, "DD517")
        .iter()
        .map(|f| (config_field(f), f.message.as_str()))
        .collect();
    assert_eq!(volumes.len(), 2, "{volumes:#?}");
    assert_eq!(volumes[0].0, "config.Volumes[\"/root/.ssh\"]");
    assert!(
        volumes[0].1.contains("credentials directory"),
        "{volumes:?}"
    );
    assert!(volumes[1].1.contains("socket"), "{volumes:?}");
}

#[test]
fn duplicate_uids_and_gids_in_the_final_files() {
    let passwd = b"root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n";
    let group = b"root:x:0:\nwheel:x:10:\nstaff:x:10:\n";
    let l0 = LayerTar::new()
        .dir("etc")
        .file("etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n")
        .file("etc/group", group)
        .finish();
    let l1 = LayerTar::new().file("etc/passwd", passwd).finish();
    let report = Spec::new(vec![l0, l1]).scan();
    let dups: Vec<(usize, &str, &str)> = by_code(&report, "DD518")
        .iter()
        .map(|f| {
            let l = image_loc(f);
            (l.layer, l.path.as_deref().unwrap(), f.message.as_str())
        })
        .collect();
    assert_eq!(dups.len(), 2, "{dups:#?}");
    assert!(dups.contains(&(
        0,
        "/etc/group",
        "GID 10 is shared by `wheel`, `staff` in /etc/group"
    )));
    assert!(dups.contains(&(
        1,
        "/etc/passwd",
        "UID 0 (root) is shared by `root`, `toor` in /etc/passwd"
    )));
    // Fixed by a later layer: nothing.
    let l2 = LayerTar::new()
        .file("etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n")
        .file("etc/group", b"root:x:0:\n")
        .finish();
    let l0 = LayerTar::new()
        .dir("etc")
        .file("etc/passwd", passwd)
        .finish();
    assert!(by_code(&Spec::new(vec![l0, l2]).scan(), "DD518").is_empty());
}

fn dpkg_status(packages: &[(&str, &str)]) -> Vec<u8> {
    packages
        .iter()
        .map(|(name, version)| {
            format!(
                "Package: {name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {version}\n\n"
            )
        })
        .collect::<String>()
        .into_bytes()
}

#[test]
fn build_tools_by_the_layer_that_installed_them() {
    let l0 = LayerTar::new()
        .dir("var/lib/dpkg")
        .file(
            "var/lib/dpkg/status",
            &dpkg_status(&[
                ("libc6", "2.36-9"),
                ("gcc-12", "12.2.0-14"),
                ("libgcc-s1", "12.2.0-14"),
            ]),
        )
        .finish();
    let l1 = LayerTar::new()
        .file(
            "var/lib/dpkg/status",
            &dpkg_status(&[
                ("libc6", "2.36-9"),
                ("gcc-12", "12.2.0-14"),
                ("libgcc-s1", "12.2.0-14"),
                ("build-essential", "12.9"),
                ("libc6-dev", "2.36-9"),
            ]),
        )
        .dir("usr/bin")
        .file_mode("usr/bin/gcc-12", b"\x7fELF", 0o755)
        .dir("usr/local/go/bin")
        .file_mode("usr/local/go/bin/go", b"\x7fELF", 0o755)
        .finish();
    let report = Spec::new(vec![l0, l1]).scan();
    let tools: Vec<(usize, &str)> = by_code(&report, "DD523")
        .iter()
        .map(|f| (image_loc(f).layer, f.message.as_str()))
        .collect();
    assert_eq!(
        tools,
        [
            (
                0,
                "layer 0 ships build tools in the final image: compilers gcc-12"
            ),
            (
                1,
                "layer 1 ships build tools in the final image: compilers /usr/local/go/bin/go; \
                 build tools build-essential; development packages libc6-dev"
            ),
        ]
    );
    // Purged in a later layer: nothing.
    let l2 = LayerTar::new()
        .file("var/lib/dpkg/status", &dpkg_status(&[("libc6", "2.36-9")]))
        .finish();
    let l1 = LayerTar::new()
        .dir("var/lib/dpkg")
        .file(
            "var/lib/dpkg/status",
            &dpkg_status(&[("gcc-12", "12.2.0-14")]),
        )
        .finish();
    assert!(by_code(&Spec::new(vec![l1, l2]).scan(), "DD523").is_empty());
    // No package database: by path, anywhere.
    let l0 = LayerTar::new()
        .dir("usr/bin")
        .file_mode("usr/bin/gcc", b"\x7fELF", 0o755)
        .file_mode("usr/bin/ls", b"\x7fELF", 0o755)
        .finish();
    let report = Spec::new(vec![l0]).scan();
    let tools = by_code(&report, "DD523");
    assert_eq!(tools.len(), 1);
    assert!(
        tools[0].message.ends_with("compilers /usr/bin/gcc"),
        "{}",
        tools[0].message
    );
}

#[test]
fn summary_names_base_sizes_and_counts() {
    let l0 = LayerTar::new()
        .file("big", &[b'b'; 5000])
        .file("small", b"s")
        .finish();
    let l1 = LayerTar::new().file("mid", &[b'm'; 3000]).finish();
    let mut spec = Spec::new(vec![l0, l1]);
    spec.config["User"] = Value::Null;
    spec.config["Labels"] = json!({
        "org.opencontainers.image.base.name": "registry.example.test/debian:12",
        "org.opencontainers.image.base.digest": "sha256:abc",
    });
    let report = spec.scan();
    let n = &report.notices;
    assert!(
        n[0].contains("base: registry.example.test/debian:12@sha256:abc, 2 layers,"),
        "{}",
        n[0]
    );
    assert!(
        n[0].ends_with("; findings: 0 errors, 1 warning, 0 info"),
        "{}",
        n[0]
    );
    assert!(
        n[1].starts_with("largest layers: 0 (") && n[1].contains("), 1 ("),
        "{}",
        n[1]
    );
    assert_eq!(
        n[2],
        "largest files: /big (4.9 KiB, layer 0), /mid (2.9 KiB, layer 1), /small (1 B, layer 0)"
    );
    // Without the label: the layers below the history's last CMD that later steps build on.
    let mut spec = Spec::new(vec![
        LayerTar::new().file("a", b"x").finish(),
        LayerTar::new().file("b", b"y").finish(),
    ]);
    spec.history = vec![
        ("/bin/sh -c #(nop) ADD file:1 in / ".into(), false),
        ("/bin/sh -c #(nop)  CMD [\"bash\"]".into(), true),
        ("RUN /bin/sh -c echo b".into(), false),
        ("CMD [\"app\"]".into(), true),
    ];
    let report = spec.scan();
    assert!(
        report.notices[0]
            .contains("base: 1 layer (up to `/bin/sh -c #(nop)  CMD [\"bash\"]` in the history)"),
        "{}",
        report.notices[0]
    );
}

#[test]
fn rule_selection_and_severity_overrides() {
    let mut spec = Spec::new(vec![LayerTar::new().file("a", b"x").finish()]);
    spec.config["User"] = Value::Null;
    spec.config["Healthcheck"] = Value::Null;
    let all = spec.scan();
    assert!(!by_code(&all, "DD511").is_empty() && !by_code(&all, "DD512").is_empty());
    let rules = RuleSelection::resolve(&[SelectionLayer {
        ignore: vec!["missing-healthcheck"],
        severity: [("DD511", Severity::Error)].into_iter().collect(),
        ..SelectionLayer::default()
    }]);
    let report = spec.scan_with(&ScanOptions {
        rules,
        ..ScanOptions::default()
    });
    assert!(by_code(&report, "DD512").is_empty());
    assert_eq!(by_code(&report, "DD511")[0].severity, Severity::Error);
    assert!(report.rules.iter().all(|r| r.code != "DD512"));
    assert!(
        report
            .notices
            .iter()
            .any(|n| n == "rules not selected: DD512 missing-healthcheck"),
        "{:?}",
        report.notices
    );
}

#[test]
fn secret_allow_list_skips_and_counts() {
    let token = github_token();
    let l0 = LayerTar::new()
        .dir("usr/share/doc/x")
        .file(
            "usr/share/doc/x/README",
            format!("token = {token}\n").as_bytes(),
        )
        .file("usr/share/doc/x/NOTES", b"nothing here\n")
        .file("app/config", format!("token = {token}\n").as_bytes())
        .finish();
    let spec = Spec::new(vec![l0]);
    assert_eq!(by_code(&spec.scan(), "DD501").len(), 2);
    let allow =
        SecretAllowList::new(&["/usr/share/doc/**".to_owned(), "/opt/*".to_owned()]).unwrap();
    let report = spec.scan_with(&ScanOptions {
        secret_allow: allow,
        ..ScanOptions::default()
    });
    let found = by_code(&report, "DD501");
    assert_eq!(found.len(), 1);
    assert_eq!(image_loc(found[0]).path.as_deref(), Some("/app/config"));
    let notices = &report.notices;
    assert!(
        notices.contains(
            &"secrets: skipped 2 files (62 B) matching the allow-list pattern `/usr/share/doc/**`"
                .to_owned()
        ),
        "{notices:?}"
    );
    assert!(
        notices.contains(
            &"secrets: skipped 0 files (0 B) matching the allow-list pattern `/opt/*`".to_owned()
        ),
        "{notices:?}"
    );
    assert!(SecretAllowList::new(&["/a/[".to_owned()]).is_err());
    // DD501 not selected: files are not searched at all, and the report says so.
    let rules = RuleSelection::resolve(&[SelectionLayer {
        ignore: vec!["DD501"],
        ..SelectionLayer::default()
    }]);
    let report = spec.scan_with(&ScanOptions {
        rules,
        ..ScanOptions::default()
    });
    assert!(by_code(&report, "DD501").is_empty());
    assert!(
        report
            .notices
            .iter()
            .any(|n| n == "secrets: files not searched (DD501 is not selected)")
    );
}
