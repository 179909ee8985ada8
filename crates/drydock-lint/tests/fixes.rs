//! Every fix, on a fixture `tests/fixes/<CODE>-<what>.Dockerfile`: lint with the rule alone, fix,
//! snapshot the fixed file, check that the rule no longer fires and that no new error appeared
//! (with every rule on), and that fixing again changes nothing. A first line `# fix: unsafe`
//! also applies unsafe fixes. `crates/drydock/tests/fix_rig.rs` builds the fixed files with
//! BuildKit.

use std::path::Path;

use drydock_config::RulesConfig;
use drydock_findings::{Finding, Severity};
use drydock_lint::{FixMode, LintSettings, Linter, Selection, SelectionFlags};

/// `# fixture: digest=NAME=DIGEST` sets a resolved base image digest.
fn settings(source: &str) -> LintSettings {
    let mut settings = LintSettings::default();
    for line in source
        .lines()
        .filter_map(|l| l.strip_prefix("# fixture: digest="))
    {
        let (name, digest) = line.rsplit_once('=').expect("NAME=DIGEST");
        settings.digests.insert(name.into(), digest.into());
    }
    settings
}

fn linter(select: &[&str], source: &str) -> Linter {
    let selection = Selection::resolve(
        None,
        &RulesConfig::default(),
        &SelectionFlags {
            select: select.iter().map(|s| s.to_string()).collect(),
            ..SelectionFlags::default()
        },
    );
    Linter::new(&selection, settings(source), true)
}

fn errors(findings: &[Finding]) -> Vec<String> {
    let mut errors: Vec<String> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{}: {}", f.code, f.message))
        .collect();
    errors.sort();
    errors
}

#[test]
fn every_fix_fixes_once_and_for_all() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixes");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "Dockerfile"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 10, "fixtures missing in {}", dir.display());
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let code = name.split('-').next().unwrap();
        let source = std::fs::read_to_string(&path).unwrap();
        let mode = FixMode {
            unsafe_fixes: source.starts_with("# fix: unsafe"),
        };
        let rule = linter(&[code], &source);
        let before = rule.lint(&name, &source).findings;
        assert!(
            before.iter().any(|f| f.fix.is_some()),
            "{name}: {code} offers no fix"
        );
        let fixed = rule.fix(&name, &source, mode);
        assert!(fixed.changed(), "{name}: nothing was fixed");
        assert!(
            fixed.refused.is_empty(),
            "{name}: refused {:?}",
            fixed.refused
        );
        insta::assert_snapshot!(name.clone(), fixed.source);

        let after = rule.lint(&name, &fixed.source).findings;
        assert!(
            after.iter().all(|f| f.code != code),
            "{name}: {code} still fires after the fix: {after:#?}"
        );
        let all = linter(&[], &source);
        let new_errors: Vec<String> = errors(&all.lint(&name, &fixed.source).findings)
            .into_iter()
            .filter(|e| !errors(&all.lint(&name, &source).findings).contains(e))
            .collect();
        assert!(new_errors.is_empty(), "{name}: new errors {new_errors:?}");
        assert!(
            drydock_dockerfile::parse(&fixed.source).errors.is_empty(),
            "{name}: the fixed file does not parse"
        );
        let again = rule.fix(&name, &fixed.source, mode);
        assert!(
            !again.changed(),
            "{name}: fixing twice changed {:?}",
            again.applied
        );
    }
}
