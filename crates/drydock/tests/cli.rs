//! The `drydock` binary end to end: exit codes, input errors, formats, colour, completions.

use assert_cmd::Command;
use predicates::prelude::*;

/// One syntax error, and nothing else any rule reports (the base is pinned by digest).
const BROKEN: &str = "FROM debian:bookworm@sha256:0f4b3c9c3f3c3ea6c0d4b3a1e9b0e6f0b8d7c6a5f4e3d2c1b0a9f8e7d6c5b4a3\nRUNN apt-get update\n";

fn drydock(dir: &std::path::Path) -> Command {
    let mut command = Command::cargo_bin("drydock").unwrap();
    command
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env("HOME", dir);
    command
}

fn workdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn findings_at_or_above_fail_on_exit_1_otherwise_0() {
    let dir = workdir();
    std::fs::write(dir.path().join("Dockerfile"), BROKEN).unwrap();
    drydock(dir.path())
        .arg("lint")
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "error[DD001]: unknown instruction: RUNN",
        ))
        .stdout(predicate::str::contains("--> Dockerfile:2:1"));
    drydock(dir.path())
        .args(["lint", "--fail-on", "never"])
        .assert()
        .code(0);
    drydock(dir.path())
        .args(["lint", "--ignore", "DD001"])
        .assert()
        .code(0)
        .stdout("No problems found in 1 file.\n");
}

#[test]
fn missing_file_is_a_one_line_error_with_exit_2() {
    let dir = workdir();
    drydock(dir.path())
        .args(["lint", "nope/Dockerfile"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::is_match("^drydock: error: cannot read nope/Dockerfile: .*\n$")
                .unwrap(),
        );
}

#[test]
fn directory_without_dockerfiles_is_an_error() {
    let dir = workdir();
    drydock(dir.path())
        .args(["lint", "."])
        .assert()
        .code(2)
        .stderr("drydock: error: no Dockerfiles found in .\n");
}

#[test]
fn malformed_config_is_a_one_line_error_with_place_and_exit_2() {
    let dir = workdir();
    std::fs::write(dir.path().join("Dockerfile"), "FROM a:1\n").unwrap();
    std::fs::write(
        dir.path().join("drydock.toml"),
        "[rules]\nselect = [\"DD\"]\nignored = []\n",
    )
    .unwrap();
    let assert = drydock(dir.path()).arg("lint").assert().code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("drydock: error: "), "{stderr}");
    assert!(
        stderr.contains("drydock.toml:3:1: unknown field `ignored`"),
        "{stderr}"
    );
}

#[test]
fn unknown_rule_in_config_points_at_it() {
    let dir = workdir();
    std::fs::write(dir.path().join("Dockerfile"), "FROM a:1\n").unwrap();
    std::fs::write(
        dir.path().join("drydock.toml"),
        "[rules]\nignore = [\"DD001\", \"XX9\"]\n",
    )
    .unwrap();
    drydock(dir.path())
        .arg("lint")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "drydock.toml:2:20: unknown rule `XX9`",
        ));
}

#[test]
fn config_given_with_flag_is_used() {
    let dir = workdir();
    std::fs::write(dir.path().join("Dockerfile"), BROKEN).unwrap();
    std::fs::write(
        dir.path().join("custom.toml"),
        "[rules.severity]\nDD001 = \"info\"\n",
    )
    .unwrap();
    drydock(dir.path())
        .args(["--config", "custom.toml", "lint"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("info[DD001]"));
}

#[test]
fn bad_cli_input_exits_2() {
    let dir = workdir();
    drydock(dir.path()).arg("--bogus").assert().code(2);
    drydock(dir.path())
        .args(["--format", "xml", "rules"])
        .assert()
        .code(2);
    drydock(dir.path())
        .args(["lint", "--select", "NOPE1"])
        .assert()
        .code(2)
        .stderr(
            "drydock: error: unknown rule `NOPE1` in --select (see `drydock rules` for the list)\n",
        );
}

#[test]
fn stdin_is_linted_under_its_name() {
    let dir = workdir();
    drydock(dir.path())
        .args(["lint", "--stdin-filename", "app/Dockerfile", "-"])
        .write_stdin(BROKEN)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("--> app/Dockerfile:2:1"));
}

#[test]
fn non_utf8_file_is_a_finding_not_a_crash() {
    let dir = workdir();
    std::fs::write(
        dir.path().join("Dockerfile"),
        b"FROM a:1\nRUN echo \xff\xfe\n",
    )
    .unwrap();
    drydock(dir.path())
        .arg("lint")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("not valid UTF-8 (at byte 18)"));
}

#[test]
fn json_and_sarif_formats() {
    let dir = workdir();
    std::fs::write(dir.path().join("Dockerfile"), BROKEN).unwrap();
    let output = drydock(dir.path())
        .args(["--format", "json", "lint"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&output).unwrap();
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["findings"][0]["rule"], "DD001");
    assert_eq!(json["findings"][0]["hadolint"], "DL1000");
    assert_eq!(json["findings"][0]["location"]["line"], 2);
    let output = drydock(dir.path())
        .args(["--format", "sarif", "lint"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let sarif: serde_json::Value = serde_json::from_slice(&output).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "DD001");
}

#[test]
fn colour_follows_flag_and_no_color() {
    let dir = workdir();
    std::fs::write(dir.path().join("Dockerfile"), BROKEN).unwrap();
    let colored = drydock(dir.path())
        .args(["--color", "always", "lint"])
        .assert()
        .get_output()
        .stdout
        .clone();
    assert!(
        colored.contains(&0x1b),
        "--color always gave no ANSI escapes"
    );
    let plain = drydock(dir.path())
        .arg("lint")
        .env("NO_COLOR", "1")
        .env("CLICOLOR_FORCE", "1")
        .assert()
        .get_output()
        .stdout
        .clone();
    assert!(!plain.contains(&0x1b), "NO_COLOR was not honoured");
}

#[test]
fn quiet_prints_only_the_summary() {
    let dir = workdir();
    std::fs::write(dir.path().join("Dockerfile"), BROKEN).unwrap();
    drydock(dir.path())
        .args(["-q", "lint"])
        .assert()
        .code(1)
        .stdout("Found 1 problem in 1 file: 1 error.\n");
}

#[test]
fn hadolint_config_and_pragmas_are_honoured() {
    let dir = workdir();
    std::fs::write(dir.path().join("Dockerfile"), BROKEN).unwrap();
    std::fs::write(dir.path().join(".hadolint.yaml"), "ignored:\n  - DL1000\n").unwrap();
    drydock(dir.path()).arg("lint").assert().code(0);
    drydock(dir.path())
        .args(["lint", "--no-hadolint-config"])
        .assert()
        .code(1);
    std::fs::write(
        dir.path().join(".hadolint.yaml"),
        "failure-threshold: error\noverride:\n  warning: [DL1000]\n",
    )
    .unwrap();
    drydock(dir.path())
        .arg("lint")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("warning[DD001]"));
    std::fs::remove_file(dir.path().join(".hadolint.yaml")).unwrap();
    std::fs::write(
        dir.path().join("Dockerfile"),
        BROKEN.replace("RUNN", "# hadolint ignore=DL1000\nRUNN"),
    )
    .unwrap();
    drydock(dir.path()).arg("lint").assert().code(0);
    drydock(dir.path())
        .args(["lint", "--disable-pragmas"])
        .assert()
        .code(1);
}

#[test]
fn completions_and_man_page_are_generated() {
    let dir = workdir();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        drydock(dir.path())
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("lint"));
    }
    drydock(dir.path())
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH drydock"));
}

#[test]
fn rule_docs_are_printed() {
    let dir = workdir();
    drydock(dir.path())
        .args(["rule", "DL1000"])
        .assert()
        .success()
        .stdout(predicate::str::contains("# DD001 invalid-syntax"))
        .stdout(predicate::str::contains("## How to fix"));
    drydock(dir.path()).args(["rule", "ZZ1"]).assert().code(2);
}

#[test]
fn scan_config_errors_point_at_their_place() {
    let dir = workdir();
    for (toml, expected) in [
        (
            "[scan]\nignore = [\"DD512\", \"DD101\"]\n",
            "drydock.toml:2:20: unknown rule `DD101`",
        ),
        (
            "[scan]\nmax-age = \"30 days\"\n",
            "drydock.toml:2:11: invalid age `30 days`",
        ),
        (
            "[scan]\nsecret-allow-paths = [\"/ok/**\", \"/bad/[\"]\n",
            "drydock.toml:2:33: bad secret allow-list pattern `/bad/[`",
        ),
        (
            "[scan]\nallow = []\n",
            "drydock.toml:2:1: unknown field `allow`",
        ),
    ] {
        std::fs::write(dir.path().join("drydock.toml"), toml).unwrap();
        drydock(dir.path())
            .args(["scan", "image.tar"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(expected));
    }
    std::fs::remove_file(dir.path().join("drydock.toml")).unwrap();
    drydock(dir.path())
        .args(["scan", "--select", "DD50,DD3008", "image.tar"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown scan rule `DD3008` in --select",
        ));
}
