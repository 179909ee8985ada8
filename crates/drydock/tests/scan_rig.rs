//! `drydock scan` on real images: built by a real dockerd on the rig's Debian
//! base, `docker save`d and written as an OCI layout. One shared rig for the
//! whole file (starting it costs ~15–20 s). Fake secrets are assembled at run
//! time; none is committed whole.

use std::time::Instant;

use assert_cmd::Command;
use drydock_findings::{Finding, Location, Report};
use drydock_rig::{BuildInput, BuildOpts, Rig};
use drydock_scan::{ScanOptions, scan};

fn private_key() -> String {
    let kind = ["OPENSSH", "PRIVATE", "KEY"].join(" ");
    let body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBx7Kq2Lm9Np4Rs8Tv1Wy5Za3Bc6De0Fg2Hj4Kl7Mn3QAAAAJhQ2rS5tU8v\nW1xY4zA7bC0dE3fG6hI9jK2lM5nO8pQ1rS4tU7vW0xY3zA6bC9dE2fG5hI8jK1lM4nO7pQ\n";
    format!("-----BEGIN {kind}-----\n{body}-----END {kind}-----\n")
}

fn aws_credentials() -> (String, Vec<String>) {
    let id = format!("{}{}", "AKIA", "Q3ZT7RWX5NB2KD4M");
    let secret = format!("{}{}", "kW8r2Jd9XqL4", "vT1nB6mZ0pYc3HsF7gE5uA2oR9iN");
    (
        format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n"),
        vec![id, secret],
    )
}

fn github_token() -> String {
    format!("{}_{}", "ghp", "x7Kq2Lm9Np4Rs8Tv1Wy5Za3Bc6De0Fg2Hj4K")
}

fn password() -> String {
    format!("{}{}", "Tr0ub4dor", "-and-3-horses-staple")
}

fn codes(report: &Report) -> Vec<&str> {
    report.findings.iter().map(|f| f.code.as_ref()).collect()
}

fn image_loc(f: &Finding) -> (usize, Option<&str>, &str) {
    match &f.location {
        Location::Image(l) => (
            l.layer,
            l.path.as_deref(),
            l.created_by.as_deref().unwrap_or(""),
        ),
        other => panic!("not an image location: {other:?}"),
    }
}

fn scan_timed(reference: &str) -> Report {
    let t = Instant::now();
    let report = scan(reference, &ScanOptions::default()).unwrap();
    eprintln!("scanned {reference} in {:.2?}", t.elapsed());
    report
}

fn check_secrets(report: &Report) {
    let f = |code: &str| -> Vec<&Finding> {
        report.findings.iter().filter(|f| f.code == code).collect()
    };
    // The deploy key: COPY'd in layer 1, deleted by the RUN of layer 3.
    let files = f("DD501");
    let key = files
        .iter()
        .find(|f| image_loc(f).1 == Some("/root/.ssh/id_rsa"))
        .unwrap_or_else(|| panic!("no deploy key finding: {files:#?}"));
    let (layer, _, created_by) = image_loc(key);
    assert_eq!(layer, 1);
    assert!(created_by.contains("COPY deploy_key"), "{created_by}");
    assert!(
        key.message
            .contains("deleted in layer 3 but still shipped in layer 1"),
        "{}",
        key.message
    );
    // The cloud key in a copied file, present in the final image.
    let aws: Vec<_> = files
        .iter()
        .filter(|f| image_loc(f).1 == Some("/app/.aws/credentials"))
        .collect();
    assert!(!aws.is_empty(), "{files:#?}");
    for a in &aws {
        let (layer, _, created_by) = image_loc(a);
        assert_eq!(layer, 2);
        assert!(created_by.contains("COPY credentials"), "{created_by}");
        assert!(!a.message.contains("deleted"), "{}", a.message);
    }
    assert_eq!(files.len(), 1 + aws.len(), "{files:#?}");
    // The build ARG used by RUN: in the history of layer 4, redacted.
    let history = f("DD503");
    assert_eq!(history.len(), 1, "{history:#?}");
    let (layer, path, created_by) = image_loc(history[0]);
    assert_eq!((layer, path), (4, None));
    assert!(created_by.contains("GH_TOKEN=ghp_***"), "{created_by}");
    assert!(created_by.contains("/app/fetched"), "{created_by}");
    // The password in ENV.
    let config = f("DD502");
    assert_eq!(config.len(), 1, "{config:#?}");
    match &config[0].location {
        Location::Config(c) => assert!(c.field.starts_with("config.Env["), "{}", c.field),
        other => panic!("{other:?}"),
    }
    assert!(config[0].message.contains("DB_PASSWORD=***"));
}

#[test]
fn scan_finds_planted_secrets_in_a_real_image_from_both_sources() {
    let rig = Rig::shared();
    let base = rig.base_image().unwrap();
    let tmp = tempfile::tempdir().unwrap();

    // Figure: the bare base image.
    let base_tar = tmp.path().join("base.tar");
    rig.save(&base, &base_tar).unwrap();
    let base_report = scan_timed(&format!("docker-archive:{}", base_tar.display()));
    eprintln!("base image: {:?}", base_report.notices);
    assert!(
        !codes(&base_report).iter().any(|c| c.starts_with("DD50")),
        "secrets in the base image: {:#?}",
        base_report.findings
    );

    // The planted image.
    let ctx = tmp.path().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("deploy_key"), private_key()).unwrap();
    let (creds, aws_raw) = aws_credentials();
    std::fs::write(ctx.join("credentials"), &creds).unwrap();
    let dockerfile = format!(
        "FROM {base}\n\
         COPY deploy_key /root/.ssh/id_rsa\n\
         COPY credentials /app/.aws/credentials\n\
         RUN rm -f /root/.ssh/id_rsa\n\
         ARG GH_TOKEN\n\
         RUN test -n \"$GH_TOKEN\" && echo ok > /app/fetched\n\
         ENV DB_PASSWORD={pw}\n\
         USER nobody\n\
         CMD [\"/bin/true\"]\n",
        pw = password()
    );
    let tag = "drydock-scan-test:secrets";
    let token = github_token();
    rig.build(
        &BuildInput::DirWithDockerfile(ctx, dockerfile),
        tag,
        &BuildOpts {
            build_args: vec![("GH_TOKEN".into(), token.clone())],
            ..BuildOpts::default()
        },
    )
    .unwrap();
    let archive = tmp.path().join("secrets.tar");
    rig.save(tag, &archive).unwrap();
    let layout = tmp.path().join("layout");
    rig.write_oci_layout(tag, &layout).unwrap();

    let from_archive = scan_timed(&format!("docker-archive:{}", archive.display()));
    let from_layout = scan_timed(&format!("oci:{}:{tag}", layout.display()));
    check_secrets(&from_archive);
    check_secrets(&from_layout);
    assert_eq!(from_archive.findings, from_layout.findings);
    // USER nobody: not root.
    assert!(!codes(&from_archive).contains(&"DD511"));

    // The CLI on the archive: exit 1, JSON with the same findings, no raw secret.
    let out = Command::cargo_bin("drydock")
        .unwrap()
        .args(["--format", "json", "scan"])
        .arg(format!("docker-archive:{}", archive.display()))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let mut raw = vec![token.clone(), token[4..].to_owned(), password()];
    raw.extend(aws_raw);
    raw.extend(private_key().lines().skip(1).take(3).map(str::to_owned));
    for secret in &raw {
        assert!(!text.contains(secret.as_str()), "leaked {secret:.6}…");
    }
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let cli_codes: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(cli_codes, codes(&from_archive));
    // Human output too.
    let human = Command::cargo_bin("drydock")
        .unwrap()
        .args(["--color", "never", "scan"])
        .arg(&archive)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let human = String::from_utf8(human).unwrap();
    assert!(
        human.contains("DD501") && human.contains("note: image:"),
        "{human}"
    );
    for secret in &raw {
        assert!(!human.contains(secret.as_str()), "leaked {secret:.6}…");
    }
}

#[test]
fn clean_image_has_no_secret_findings() {
    let rig = Rig::shared();
    let base = rig.base_image().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let tag = "drydock-scan-test:clean";
    rig.build(
        &BuildInput::Dockerfile(format!(
            "FROM {base}\nRUN echo hello > /hello && useradd -r app\nUSER app\n"
        )),
        tag,
        &BuildOpts::default(),
    )
    .unwrap();
    let archive = tmp.path().join("clean.tar");
    rig.save(tag, &archive).unwrap();
    let report = scan_timed(&format!("docker-archive:{}", archive.display()));
    assert!(
        !codes(&report).iter().any(|c| c.starts_with("DD50")),
        "{:#?}",
        report.findings
    );
    assert!(!codes(&report).contains(&"DD511"));
    assert!(
        report.notices[0].contains("user: app") && report.notices[0].contains("2 layers"),
        "{:?}",
        report.notices
    );
    // Exit status: only info findings at most → 0 with the default threshold.
    let worst = report.worst();
    let code = if worst >= Some(drydock_findings::Severity::Warning) {
        1
    } else {
        0
    };
    Command::cargo_bin("drydock")
        .unwrap()
        .args(["--quiet", "scan"])
        .arg(format!("docker-archive:{}", archive.display()))
        .assert()
        .code(code);
}

#[test]
fn scan_usage_and_input_errors_exit_2() {
    let missing = Command::cargo_bin("drydock")
        .unwrap()
        .args(["scan", "docker-archive:/nonexistent/image.tar"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let missing = String::from_utf8(missing).unwrap();
    assert!(
        missing.starts_with("drydock: error: cannot scan docker-archive:/nonexistent/image.tar"),
        "{missing}"
    );
    Command::cargo_bin("drydock")
        .unwrap()
        .args(["scan", "--max-age", "30x", "x.tar"])
        .assert()
        .code(2);
    let rules = Command::cargo_bin("drydock")
        .unwrap()
        .arg("rules")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rules = String::from_utf8(rules).unwrap();
    for rule in drydock_scan::RULES {
        assert!(rules.contains(rule.name.as_ref()), "{}", rule.code);
    }
}

#[test]
fn selection_severity_and_secret_allow_list_from_config_and_flags() {
    let rig = Rig::shared();
    let base = rig.base_image().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let token = github_token();
    let tag = "drydock-scan-test:allow";
    rig.build(
        &BuildInput::Dockerfile(format!(
            "FROM {base}\n\
             RUN mkdir -p /opt/vendor/lib /app \\\n\
              && echo 'token = {token}' > /opt/vendor/lib/fixture.txt \\\n\
              && echo 'token = {token}' > /app/config\n\
             CMD [\"/bin/true\"]\n"
        )),
        tag,
        &BuildOpts::default(),
    )
    .unwrap();
    let archive = tmp.path().join("allow.tar");
    rig.save(tag, &archive).unwrap();
    let target = format!("docker-archive:{}", archive.display());
    let json = |args: &[&str]| -> serde_json::Value {
        let out = Command::cargo_bin("drydock")
            .unwrap()
            .current_dir(tmp.path())
            .args(["--format", "json", "scan"])
            .args(args)
            .arg(&target)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
    };
    let rules = |report: &serde_json::Value| -> Vec<(String, String)> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let what = f["location"]["path"]
                    .as_str()
                    .or(f["location"]["config_field"].as_str())
                    .unwrap_or("")
                    .to_owned();
                (
                    format!(
                        "{} {}",
                        f["rule"].as_str().unwrap(),
                        f["severity"].as_str().unwrap()
                    ),
                    what,
                )
            })
            .collect()
    };
    // No configuration: both secrets, root and healthcheck findings.
    let all = rules(&json(&[]));
    for want in [
        ("DD501 error", "/opt/vendor/lib/fixture.txt"),
        ("DD501 error", "/app/config"),
        ("DD511 warning", "config.User"),
        ("DD512 info", "config.Healthcheck"),
    ] {
        assert!(
            all.contains(&(want.0.to_owned(), want.1.to_owned())),
            "{want:?} in {all:?}"
        );
    }
    std::fs::write(
        tmp.path().join("drydock.toml"),
        "[scan]\nselect = [\"DD50\", \"DD511\", \"DD512\"]\nignore = [\"missing-healthcheck\"]\n\
         secret-allow-paths = [\"/opt/vendor/**\"]\n\
         [scan.severity]\nDD501 = \"warning\"\n",
    )
    .unwrap();
    let configured = json(&[]);
    let mut got = rules(&configured);
    got.sort();
    assert_eq!(
        got,
        [
            ("DD501 warning".to_owned(), "/app/config".to_owned()),
            // The RUN that wrote the token is in the history.
            ("DD503 error".to_owned(), String::new()),
            ("DD511 warning".to_owned(), "config.User".to_owned()),
        ]
    );
    let notices: Vec<&str> = configured["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notices.contains(
            &"secrets: skipped 1 file (49 B) matching the allow-list pattern `/opt/vendor/**`"
        ),
        "{notices:?}"
    );
    assert!(
        notices
            .iter()
            .any(|n| n.starts_with("rules not selected: ")
                && n.contains("DD512 missing-healthcheck")),
        "{notices:?}"
    );
    // --select replaces the configured selection, its ignore list included (as for lint);
    // --ignore still drops rules from it.
    let mut flagged = rules(&json(&[
        "--select",
        "DD50,DD512",
        "--ignore",
        "secret-in-history",
    ]));
    flagged.sort();
    assert_eq!(
        flagged,
        [
            ("DD501 warning".to_owned(), "/app/config".to_owned()),
            ("DD512 info".to_owned(), "config.Healthcheck".to_owned()),
        ]
    );
}
