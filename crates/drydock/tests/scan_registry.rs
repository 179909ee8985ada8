//! `drydock scan` on registry images: the same findings as the `docker save`
//! archive of the same image; Basic auth with credentials from
//! `$DOCKER_CONFIG` (`auths` and a credential helper on `PATH`). One shared
//! rig (real dockerd and registry on loopback). Fake secrets are assembled
//! at run time.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;
use base64::Engine as _;
use drydock_rig::{BuildInput, BuildOpts, Registry, RegistryConfig, Rig};

fn private_key() -> String {
    let kind = ["OPENSSH", "PRIVATE", "KEY"].join(" ");
    let body = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACBx7Kq2Lm9Np4Rs8Tv1Wy5Za3Bc6De0Fg2Hj4Kl7Mn3QAAAAJhQ2rS5tU8v\n";
    format!("-----BEGIN {kind}-----\n{body}-----END {kind}-----\n")
}

fn aws_credentials() -> String {
    let id = format!("{}{}", "AKIA", "Z7RWX5NB2KD4MQ3T");
    let secret = format!("{}{}", "pT1nB6mZ0pYc", "3HsF7gE5uA2oR9iNkW8r2Jd9XqL4");
    format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n")
}

fn password() -> String {
    format!("{}{}", "c0rrect-h0rse", "-battery-st4ple")
}

/// Builds the planted image once per process: `(engine tag, archive path)`.
fn planted_image(rig: &Rig, dir: &Path) -> (String, std::path::PathBuf) {
    let base = rig.base_image().unwrap();
    let ctx = dir.join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("deploy_key"), private_key()).unwrap();
    std::fs::write(ctx.join("credentials"), aws_credentials()).unwrap();
    let dockerfile = format!(
        "FROM {base}\n\
         COPY deploy_key /root/.ssh/id_rsa\n\
         COPY credentials /app/.aws/credentials\n\
         RUN rm -f /root/.ssh/id_rsa\n\
         ENV DB_PASSWORD={pw}\n\
         CMD [\"/bin/true\"]\n",
        pw = password()
    );
    let tag = rig.image_ref("drydock/scan-registry", "secrets");
    rig.build(
        &BuildInput::DirWithDockerfile(ctx, dockerfile),
        &tag,
        &BuildOpts::default(),
    )
    .unwrap();
    let archive = dir.join("secrets.tar");
    rig.save(&tag, &archive).unwrap();
    (tag, archive)
}

fn drydock(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::cargo_bin("drydock").unwrap();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn findings(out: &Output) -> serde_json::Value {
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    json["findings"].clone()
}

#[test]
fn registry_scan_equals_archive_scan_and_honours_docker_credentials() {
    let rig = Rig::shared();
    let tmp = tempfile::tempdir().unwrap();
    let (tag, archive) = planted_image(rig, tmp.path());
    rig.push(&tag).unwrap();
    let empty_config = tmp.path().join("empty-docker-config");
    std::fs::create_dir(&empty_config).unwrap();
    let no_creds = [("DOCKER_CONFIG", empty_config.to_str().unwrap())];

    let from_archive = drydock(
        &[
            "--format",
            "json",
            "scan",
            &format!("docker-archive:{}", archive.display()),
        ],
        &no_creds,
    );
    assert_eq!(from_archive.status.code(), Some(1));
    let want = findings(&from_archive);
    let codes: Vec<&str> = want
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"DD501") && codes.contains(&"DD502"),
        "{codes:?}"
    );

    let from_registry = drydock(&["--format", "json", "scan", &tag], &no_creds);
    assert_eq!(
        from_registry.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&from_registry.stderr)
    );
    assert_eq!(findings(&from_registry), want);
    // Same with an explicit platform and the `registry:` prefix.
    let prefixed = drydock(
        &[
            "--format",
            "json",
            "scan",
            "--platform",
            "linux/amd64",
            &format!("registry:{tag}"),
        ],
        &no_creds,
    );
    assert_eq!(findings(&prefixed), want);
    let bad_platform = drydock(&["scan", "--platform", "linux", &tag], &no_creds);
    assert_eq!(bad_platform.status.code(), Some(2));

    // The same image in a registry that requires a password.
    let (user, pw) = ("scanner", format!("{}{}", "reg-pass-", "93d1a7"));
    let htpasswd = tmp.path().join("htpasswd");
    std::fs::write(
        &htpasswd,
        format!("{user}:{}\n", bcrypt::hash(&pw, 4).unwrap()),
    )
    .unwrap();
    let private = Registry::start_with(&RegistryConfig::new().htpasswd(&htpasswd)).unwrap();
    let host = private.host();
    rig.engine()
        .docker_ok(&["login", "-u", user, "-p", &pw, &host])
        .unwrap();
    let private_tag = format!("{host}/team/app:secrets");
    rig.engine().tag(&tag, &private_tag).unwrap();
    rig.push(&private_tag).unwrap();

    // No credentials: exit 2, a message that says what to do.
    let denied = drydock(&["scan", &private_tag], &no_creds);
    assert_eq!(denied.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&denied.stderr);
    assert!(stderr.contains(&format!("docker login {host}")), "{stderr}");

    // `auths` in $DOCKER_CONFIG/config.json.
    let auths = tmp.path().join("auths");
    std::fs::create_dir(&auths).unwrap();
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"));
    std::fs::write(
        auths.join("config.json"),
        serde_json::json!({"auths": {&host: {"auth": encoded}}}).to_string(),
    )
    .unwrap();
    let out = drydock(
        &["--format", "json", "-vv", "scan", &private_tag],
        &[("DOCKER_CONFIG", auths.to_str().unwrap())],
    );
    assert_eq!(findings(&out), want);
    for text in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(text);
        assert!(
            !text.contains(&pw) && !text.contains(&encoded),
            "credential leaked"
        );
    }

    // A credential helper (`credHelpers`), found on PATH.
    let helper_dir = tmp.path().join("bin");
    std::fs::create_dir(&helper_dir).unwrap();
    let helper = helper_dir.join("docker-credential-drytest");
    let log = tmp.path().join("helper.log");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread server\necho \"$server\" >> {log}\n\
             printf '{{\"ServerURL\":\"%s\",\"Username\":\"{user}\",\"Secret\":\"{pw}\"}}' \"$server\"\n",
            log = log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let helpers = tmp.path().join("helpers");
    std::fs::create_dir(&helpers).unwrap();
    std::fs::write(
        helpers.join("config.json"),
        serde_json::json!({"credHelpers": {&host: "drytest"}}).to_string(),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        helper_dir.display(),
        std::env::var("PATH").unwrap()
    );
    let out = drydock(
        &["--format", "json", "scan", &private_tag],
        &[
            ("DOCKER_CONFIG", helpers.to_str().unwrap()),
            ("PATH", &path),
        ],
    );
    assert_eq!(findings(&out), want);
    assert_eq!(std::fs::read_to_string(&log).unwrap(), format!("{host}\n"));
    // A failing helper: exit 2, the helper named, its output not echoed.
    std::fs::write(
        &helper,
        format!("#!/bin/sh\nread server\necho '{pw}'\nexit 1\n"),
    )
    .unwrap();
    let out = drydock(
        &["scan", &private_tag],
        &[
            ("DOCKER_CONFIG", helpers.to_str().unwrap()),
            ("PATH", &path),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("docker-credential-drytest") && !stderr.contains(&pw),
        "{stderr}"
    );
}
