//! Every rule has documentation with the required sections and a fixture folder
//! `tests/fixtures/<CODE>/` of Dockerfiles; each fixture is linted with that rule alone and the
//! findings are snapshotted (negative fixtures snapshot "No problems found").

use std::path::Path;

use drydock_config::RulesConfig;
use drydock_findings::{Report, TargetKind};
use drydock_lint::hadolint_config::HadolintConfig;
use drydock_lint::rules::ALL;
use drydock_lint::{LintSettings, Linter, Selection, SelectionFlags};
use drydock_render::{HumanOptions, render_human};

/// Settings a fixture asks for in its leading comments:
/// `# fixture: trusted-registries=a.example.test,*.example.test`,
/// `# fixture: label-schema=org.opencontainers.image.source:url,…`, `# fixture: strict-labels`.
fn fixture_settings(source: &str) -> LintSettings {
    let mut settings = LintSettings::default();
    for line in source
        .lines()
        .map_while(|line| line.strip_prefix("# fixture: "))
    {
        let (name, value) = line.split_once('=').unwrap_or((line, ""));
        match name {
            "trusted-registries" => {
                settings.trusted_registries = value.split(',').map(str::to_string).collect();
            }
            "label-schema" => {
                for entry in value.split(',') {
                    let (key, kind) = entry.split_once(':').expect("label:type");
                    let kind = HadolintConfig::parse(&format!("label-schema: {{x: {kind}}}"))
                        .expect("a label type")
                        .label_schema["x"];
                    settings.label_schema.insert(key.to_string(), kind);
                }
            }
            "strict-labels" => settings.strict_labels = true,
            other => panic!("unknown fixture setting {other}"),
        }
    }
    settings
}

fn lint_with(code: &str, path: &Path) -> String {
    let source = std::fs::read_to_string(path).unwrap();
    let selection = Selection::resolve(
        None,
        &RulesConfig::default(),
        &SelectionFlags {
            select: vec![code.to_string()],
            ..SelectionFlags::default()
        },
    );
    let settings = fixture_settings(&source);
    let linter = Linter::new(&selection, settings, true);
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let result = linter.lint(&name, &source);
    let mut report = Report {
        target_kind: TargetKind::File,
        targets: vec![name.clone()],
        findings: result.findings.clone(),
        ..Report::default()
    };
    report.sources.insert(name, result.display_source);
    report.sort();
    let mut out = Vec::new();
    render_human(&report, HumanOptions::default(), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn every_rule_has_fixtures_and_matching_snapshots() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for rule in ALL {
        let dir = fixtures.join(rule.code);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("{} has no fixture folder {}", rule.code, dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "Dockerfile"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{} has no fixtures", rule.code);
        let mut fired = false;
        for file in files {
            let output = lint_with(rule.code, &file);
            fired |= output.contains(&format!("[{}]", rule.code));
            let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
            insta::assert_snapshot!(format!("{}__{}", rule.code, stem), output);
        }
        assert!(fired, "{}: no fixture makes the rule fire", rule.code);
    }
}

#[test]
fn every_rule_is_documented() {
    for rule in ALL {
        for section in ["## What it does", "## Why", "## Example", "## How to fix"] {
            assert!(
                rule.docs.contains(section),
                "{} docs lack `{section}`",
                rule.code
            );
        }
        assert!(
            rule.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{} name is not kebab-case",
            rule.code
        );
    }
}

#[test]
fn codes_and_names_are_unique_and_sorted() {
    for pair in ALL.windows(2) {
        assert!(
            pair[0].code < pair[1].code,
            "{} before {}",
            pair[0].code,
            pair[1].code
        );
    }
    let mut names: Vec<_> = ALL.iter().map(|rule| rule.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), ALL.len(), "duplicate rule names");
}
