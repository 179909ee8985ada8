//! Every fixture of `crates/drydock-lint/tests/fixes/` fixed by `drydock lint --fix` and then
//! built with the rig's BuildKit: a fix must never produce a Dockerfile BuildKit rejects.
//!
//! The fixtures say `FROM debian:bookworm`; here that becomes the rig's bookworm base image in
//! the rig's registry (so `--resolve-digests` looks its digest up there). For the build only, a
//! first `RUN` after each `FROM` points apt at the rig's apt repository (which serves
//! `drydock-demo`) and puts stand-ins for `apk`, `pip`, `pip3` and `npm` (which print their arguments)
//! on the PATH, so no build reaches past loopback.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use drydock_rig::{BuildInput, BuildOpts, Rig};
use serde_json::Value;

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../drydock-lint/tests/fixes");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "Dockerfile"))
        .collect();
    paths.sort();
    paths
}

fn drydock(dir: &Path) -> Command {
    let mut command = Command::cargo_bin("drydock").unwrap();
    command
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("DOCKER_CONFIG", dir.join(".docker"));
    command
}

/// The codes `drydock lint --select CODE` still reports for the file.
fn codes(dir: &Path, code: &str) -> Vec<String> {
    let output = drydock(dir)
        .args([
            "--format",
            "json",
            "lint",
            "--no-shellcheck",
            "--select",
            code,
        ])
        .arg("Dockerfile")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_fixed_fixture_builds_with_buildkit() {
    let rig = Rig::shared();
    let base = rig.base_image().unwrap();
    rig.apt().publish("drydock-demo", "1.0-1").unwrap();
    let setup = format!(
        "RUN rm -f /etc/apt/sources.list.d/* && echo '{line}' > /etc/apt/sources.list \
         && printf '#!/bin/sh\\necho \"$0 $*\"\\n' > /usr/local/bin/apk \
         && chmod +x /usr/local/bin/apk \
         && for tool in pip pip3 npm; do cp /usr/local/bin/apk /usr/local/bin/$tool; done",
        line = rig.apt().sources_line("drydock"),
    );
    let opts = BuildOpts {
        network_host: true,
        ..BuildOpts::default()
    };
    let mut failures = Vec::new();
    for path in fixtures() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let code = name.split('-').next().unwrap();
        let original = std::fs::read_to_string(&path)
            .unwrap()
            .replace("debian:bookworm", &base);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(dir.join("Dockerfile"), &original).unwrap();
        std::fs::write(dir.join("app.conf"), "debug = false\n").unwrap();
        std::fs::write(dir.join("requirements.txt"), "flask==3.0.0\n").unwrap();
        std::fs::write(dir.join("package.json"), "{\"name\": \"web\"}\n").unwrap();

        let mut fix = drydock(dir);
        fix.args(["lint", "--no-shellcheck", "--fix", "--select", code]);
        if original.starts_with("# fix: unsafe") {
            fix.arg("--unsafe-fixes");
        }
        if code == "DD205" {
            fix.arg("--resolve-digests");
        }
        let output = fix.arg("Dockerfile").output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("note: fixed"),
            "{name}: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let fixed = std::fs::read_to_string(dir.join("Dockerfile")).unwrap();
        assert_ne!(fixed, original, "{name}: --fix changed nothing");
        assert!(
            !codes(dir, code).contains(&code.to_string()),
            "{name}: {code} still fires after --fix:\n{fixed}"
        );
        // Fixing again changes nothing: `--diff` exits 0 and prints no diff.
        let again = drydock(dir)
            .args([
                "lint",
                "--no-shellcheck",
                "--diff",
                "--unsafe-fixes",
                "--select",
                code,
            ])
            .arg("Dockerfile")
            .output()
            .unwrap();
        assert_eq!(again.status.code(), Some(0), "{name}: not idempotent");
        assert!(
            again.stdout.is_empty(),
            "{name}: {}",
            String::from_utf8_lossy(&again.stdout)
        );
        if code == "DD205" {
            let digest = rig
                .registry()
                .manifest_digest(drydock_rig::BASE_REPO, drydock_rig::BASE_TAG)
                .unwrap();
            assert!(
                fixed.contains(&format!("{base}@{digest}")),
                "{name}: {fixed}"
            );
        }

        let mut build = String::new();
        for line in fixed.lines() {
            build.push_str(line);
            build.push('\n');
            if line.starts_with("FROM ") {
                build.push_str(&setup);
                build.push('\n');
            }
        }
        // A secret mount the fix added is given a value.
        let mut opts = opts.clone();
        for rest in fixed.split("type=secret,id=").skip(1) {
            let id: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let file = dir.join(format!("{id}.secret"));
            std::fs::write(&file, "not-a-real-token").unwrap();
            opts.secrets.push((id, file));
        }
        let tag = format!("drydock-fix-test:{}", name.to_lowercase().replace('.', "-"));
        if let Err(error) = rig.build(
            &BuildInput::DirWithDockerfile(dir.to_path_buf(), build.clone()),
            &tag,
            &opts,
        ) {
            failures.push(format!("{name}:\n{build}\n{error}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
