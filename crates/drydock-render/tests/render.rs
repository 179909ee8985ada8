//! Snapshot tests of the three renderers on a hand-made set of findings, and validation of the
//! machine-readable outputs against their JSON schemas (SARIF: the official 2.1.0 schema).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use drydock_findings::{
    Applicability, ConfigLocation, Edit, FileLocation, Finding, ImageLocation, LineIndex, Location,
    Report, RuleInfo, Severity, Span, TargetKind,
};
use drydock_render::{HumanOptions, Tool, render_human, render_json, render_sarif};

const TOOL: Tool = Tool {
    name: "drydock",
    version: "0.0.0-test",
};

const DOCKERFILE: &str = "FROM debian:bookworm\nRUN apt-get update && \\\n    apt-get install -y curl\nCMD curl https://example.com\n";

fn file_location(path: &str, text: &str, needle: &str) -> Location {
    let start = text.find(needle).expect("needle in text");
    let span = Span::new(start, start + needle.len());
    Location::File(FileLocation::new(path, span, text, &LineIndex::new(text)))
}

fn sample_report() -> Report {
    let mut report = Report {
        target_kind: TargetKind::File,
        targets: vec!["Dockerfile".into(), "app dir/Dockerfile".into()],
        ..Report::default()
    };
    report.sources.insert("Dockerfile", DOCKERFILE.to_string());
    let install = "apt-get install -y curl";
    let install_start = DOCKERFILE.find(install).unwrap();
    report.findings = vec![
        Finding::new(
            "DD3015",
            "apt-install-recommends",
            Severity::Info,
            "`apt-get install` pulls in recommended packages",
            file_location("Dockerfile", DOCKERFILE, install),
        )
        .with_hadolint("DL3015")
        .with_help("Add `--no-install-recommends` to install only what the image needs.")
        .with_fix(drydock_findings::Fix {
            message: "Add `--no-install-recommends`".into(),
            applicability: Applicability::Safe,
            edits: vec![Edit::insert(
                install_start + "apt-get install".len(),
                " --no-install-recommends",
            )],
        }),
        Finding::new(
            "DD3025",
            "shell-form-cmd",
            Severity::Warning,
            "CMD in shell form runs under `/bin/sh -c`, which does not forward signals",
            file_location("Dockerfile", DOCKERFILE, "CMD curl https://example.com"),
        )
        .with_hadolint("DL3025"),
        // A multi-line span: the whole RUN instruction.
        Finding::new(
            "DD104",
            "apt-update-separate",
            Severity::Error,
            "package lists are left in the layer",
            file_location(
                "Dockerfile",
                DOCKERFILE,
                "RUN apt-get update && \\\n    apt-get install -y curl",
            ),
        ),
        // A file whose source is not at hand: location only.
        Finding::new(
            "DD1",
            "no-user",
            Severity::Style,
            "the final stage runs as root",
            Location::File(FileLocation {
                path: "app dir/Dockerfile".into(),
                span: Span::new(0, 4),
                line: 7,
                column: 1,
                end_line: 7,
                end_column: 5,
            }),
        ),
        Finding::new(
            "DD501",
            "private-key",
            Severity::Error,
            "private key (fingerprint 1a2b3c4d5e6f) in a file deleted in layer 3 but still shipped",
            Location::Image(ImageLocation {
                layer: 2,
                diff_id: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                    .into(),
                created_by: Some("COPY id_rsa /root/.ssh/id_rsa # buildkit".into()),
                path: Some("/root/.ssh/id_rsa".into()),
            }),
        ),
        Finding::new(
            "DD502",
            "secret-in-env",
            Severity::Error,
            "AWS secret access key in the image environment (AKIA***)",
            Location::Config(ConfigLocation {
                field: "config.Env[2]".into(),
            }),
        ),
    ];
    report.rules = vec![RuleInfo {
        code: "DD3015".into(),
        name: "apt-install-recommends".into(),
        summary: "apt-get install without --no-install-recommends".into(),
        default_severity: Severity::Info,
        hadolint: Some("DL3015".into()),
        docs: Some(
            "## What it does\nChecks `apt-get install` for `--no-install-recommends`.".into(),
        ),
    }];
    report.notices = vec!["shellcheck is not installed: SC checks skipped".into()];
    report.sort();
    report
}

fn render(f: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    f(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn human_output() {
    let report = sample_report();
    let text = render(|out| render_human(&report, HumanOptions::default(), out));
    insta::assert_snapshot!(text);
}

#[test]
fn human_output_with_color_has_ansi_and_same_text() {
    let report = sample_report();
    let plain = render(|out| render_human(&report, HumanOptions::default(), out));
    let colored = render(|out| {
        render_human(
            &report,
            HumanOptions {
                color: true,
                quiet: false,
            },
            out,
        )
    });
    assert!(
        colored.contains("\x1b["),
        "no ANSI escapes in colored output"
    );
    assert_eq!(strip_ansi(&colored), plain);
}

#[test]
fn human_output_quiet_is_summary_only() {
    let report = sample_report();
    let text = render(|out| {
        render_human(
            &report,
            HumanOptions {
                color: false,
                quiet: true,
            },
            out,
        )
    });
    insta::assert_snapshot!(text, @r"
    note: shellcheck is not installed: SC checks skipped
    Found 6 problems in 2 files: 3 errors, 1 warning, 1 info, 1 style. 1 fixable with --fix.
    ");
}

#[test]
fn human_output_without_findings() {
    let report = Report {
        targets: vec!["Dockerfile".into()],
        ..Report::default()
    };
    let text = render(|out| render_human(&report, HumanOptions::default(), out));
    assert_eq!(text, "No problems found in 1 file.\n");
}

#[test]
fn human_output_clamps_spans_past_the_end() {
    let mut report = sample_report();
    let text = "FROM x";
    report.sources.insert("short", text.into());
    report.findings = vec![Finding::new(
        "DD1",
        "x",
        Severity::Error,
        "m",
        Location::File(FileLocation {
            path: "short".into(),
            span: Span::new(3, 400),
            line: 1,
            column: 4,
            end_line: 1,
            end_column: 400,
        }),
    )];
    let rendered = render(|out| render_human(&report, HumanOptions::default(), out));
    assert!(rendered.contains("FROM x"), "{rendered}");
}

#[test]
fn json_output() {
    let report = sample_report();
    let text = render(|out| render_json(&report, TOOL, out));
    insta::assert_snapshot!(text);
    validate(&text, &repo_root().join("docs/json-output.schema.json"));
}

#[test]
fn sarif_output() {
    let report = sample_report();
    let text = render(|out| render_sarif(&report, TOOL, out));
    insta::assert_snapshot!(text);
    validate(&text, &sarif_schema());
}

#[test]
fn sarif_validation_rejects_a_broken_log() {
    // The validator must be able to fail: a level SARIF does not define and a line 0.
    let report = sample_report();
    let text = render(|out| render_sarif(&report, TOOL, out)).replacen(
        "\"level\": \"error\"",
        "\"level\": \"fatal\"",
        1,
    );
    let errors = schema_errors(&text, &sarif_schema());
    assert!(errors.contains("'fatal' is not one of"), "{errors}");
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The official SARIF 2.1.0 schema, as shipped by Microsoft's SARIF Multitool npm package, which
/// `.ci/install-deps` installs. `DRYDOCK_SARIF_SCHEMA` points elsewhere.
fn sarif_schema() -> PathBuf {
    let path = std::env::var_os("DRYDOCK_SARIF_SCHEMA").map_or_else(
        || {
            PathBuf::from(
                "/opt/drydock-ci/node_modules/@microsoft/sarif-multitool-linux/sarif-2.1.0.json",
            )
        },
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "the SARIF 2.1.0 schema is missing at {}: run .ci/install-deps (npm package @microsoft/sarif-multitool) or set DRYDOCK_SARIF_SCHEMA",
        path.display()
    );
    path
}

fn validate(document: &str, schema: &Path) {
    let errors = schema_errors(document, schema);
    assert!(errors.is_empty(), "schema violations:\n{errors}");
}

/// Validation errors of `document` against `schema`, one per line (python3-jsonschema).
fn schema_errors(document: &str, schema: &Path) -> String {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(document.as_bytes()).unwrap();
    let output = Command::new("python3")
        .arg("-c")
        .arg(
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             document = json.load(open(sys.argv[2]))\n\
             cls = jsonschema.validators.validator_for(schema)\n\
             cls.check_schema(schema)\n\
             for error in cls(schema).iter_errors(document):\n\
             \x20   print(error.message, 'at', list(error.absolute_path))\n",
        )
        .arg(schema)
        .arg(file.path())
        .output()
        .expect("python3 runs (apt-get install python3-jsonschema)");
    assert!(
        output.status.success(),
        "validator failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}
