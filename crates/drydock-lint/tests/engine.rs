//! The engine around the rules: pragmas in both dialects and all three scopes, configuration
//! layers, and masking of secrets in the displayed source.

use drydock_config::Config;
use drydock_lint::hadolint_config::HadolintConfig;
use drydock_lint::{LintSettings, Linter, Selection, SelectionFlags};

fn codes(source: &str, select: &[&str]) -> Vec<(String, usize)> {
    let selection = Selection::resolve(
        None,
        &Default::default(),
        &SelectionFlags {
            select: select.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        },
    );
    let linter = Linter::new(&selection, LintSettings::default(), true);
    let mut found: Vec<_> = linter
        .lint("Dockerfile", source)
        .findings
        .into_iter()
        .map(|finding| {
            let drydock_findings::Location::File(file) = finding.location else {
                panic!("not a file location")
            };
            (finding.code.into_owned(), file.line)
        })
        .collect();
    found.sort();
    found
}

const TWO_STAGES: &str =
    "FROM golang:latest AS build\nRUN go version\nFROM debian:latest\nCMD [\"true\"]\n";

#[test]
fn without_pragmas_both_stages_are_reported() {
    assert_eq!(
        codes(TWO_STAGES, &["DD3007"]),
        [("DD3007".into(), 1), ("DD3007".into(), 3)]
    );
}

#[test]
fn next_instruction_pragma_in_both_dialects() {
    for pragma in [
        "# drydock: ignore=DD3007",
        "# drydock: ignore=base-image-latest",
        "# drydock: ignore=DL3007",
        "# hadolint ignore=DL3007",
        "# hadolint ignore=DL3006,DL3007 # reason",
    ] {
        let source = format!("{pragma}\n{TWO_STAGES}");
        assert_eq!(
            codes(&source, &["DD3007"]),
            [("DD3007".into(), 4)],
            "{pragma}"
        );
    }
    // hadolint pragmas name hadolint codes only.
    let source = format!("# hadolint ignore=DD3007\n{TWO_STAGES}");
    assert_eq!(codes(&source, &["DD3007"]).len(), 2);
}

#[test]
fn stage_pragma_covers_only_the_following_stage() {
    let source = "FROM golang:latest AS build\n# drydock: stage ignore=DD3007\nFROM debian:latest\nRUN true\n";
    assert_eq!(codes(source, &["DD3007"]), [("DD3007".into(), 1)]);
    let source =
        "# hadolint stage ignore=DL3007\nFROM golang:latest AS build\nFROM debian:latest\n";
    assert_eq!(codes(source, &["DD3007"]), [("DD3007".into(), 3)]);
    // Not followed by FROM: no effect, as in hadolint.
    let source = "FROM golang:latest\n# drydock: stage ignore=DD3007\nRUN true\n";
    assert_eq!(codes(source, &["DD3007"]), [("DD3007".into(), 1)]);
}

#[test]
fn global_pragma_covers_the_file() {
    let source = format!("{TWO_STAGES}# hadolint global ignore=DL3007\n");
    assert!(codes(&source, &["DD3007"]).is_empty());
    let source = format!("# drydock: global ignore=DD001\n{TWO_STAGES}RUNN x\n");
    assert!(codes(&source, &["DD001"]).is_empty());
}

#[test]
fn pragma_for_a_broken_line_suppresses_its_syntax_error() {
    let source = "FROM a:1\n# drydock: ignore=DD001\nRUNN x\nRUNN y\n";
    assert_eq!(codes(source, &["DD001"]), [("DD001".into(), 4)]);
}

#[test]
fn disabled_pragmas_are_ignored() {
    let source = format!("# drydock: global ignore=DD3007\n{TWO_STAGES}");
    let selection = Selection::resolve(
        None,
        &Default::default(),
        &SelectionFlags {
            select: vec!["DD3007".into()],
            ..Default::default()
        },
    );
    let linter = Linter::new(&selection, LintSettings::default(), false);
    assert_eq!(linter.lint("Dockerfile", &source).findings.len(), 2);
}

#[test]
fn configuration_layers_apply_in_order() {
    let hadolint =
        HadolintConfig::parse("ignored: [DL3007]\noverride:\n  error: [DL3006]\n").unwrap();
    let config = Config::parse(
        std::path::Path::new("drydock.toml"),
        "[rules]\nextend-select = [\"DD3007\"]\n[rules.severity]\nDD3006 = \"info\"\n".into(),
    )
    .unwrap();
    let selection = Selection::resolve(Some(&hadolint), &config.rules, &SelectionFlags::default());
    let rules: Vec<_> = selection
        .rules()
        .map(|(rule, severity)| (rule.code, severity))
        .collect();
    // drydock.toml re-enables what .hadolint.yaml ignored, and its severity wins.
    assert!(rules.iter().any(|(code, _)| *code == "DD3007"));
    assert!(rules.contains(&("DD3006", drydock_findings::Severity::Info)));
    // Command-line flags win over both.
    let selection = Selection::resolve(
        Some(&hadolint),
        &config.rules,
        &SelectionFlags {
            ignore: vec!["DL3006".into()],
            ..Default::default()
        },
    );
    assert!(!selection.rules().any(|(rule, _)| rule.code == "DD3006"));
}

#[test]
fn secrets_are_masked_in_the_displayed_source_with_offsets_kept() {
    let token = ["ghp", "_", "0123456789abcdefghijABCDEFGHIJ012345"].concat();
    let source = format!("FROM a:1\nRUN git clone https://{token}@github.com/o/r.git\n");
    let selection = Selection::defaults();
    let linter = Linter::new(&selection, LintSettings::default(), true);
    let result = linter.lint("Dockerfile", &source);
    assert_eq!(result.display_source.len(), source.len());
    assert!(!result.display_source.contains(&token));
    assert!(result.display_source.contains("RUN git clone https://"));
    for finding in &result.findings {
        assert!(!finding.message.contains(&token), "{}", finding.message);
    }
}
