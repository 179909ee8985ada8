//! `drydock lint`: find Dockerfiles, lint them in parallel, report.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{Context, bail};
use drydock_config::Config;
use drydock_findings::{Applicability, Report, RuleInfo, Severity, TargetKind};
use drydock_lint::hadolint_config::HadolintConfig;
use drydock_lint::{
    FileResult, FixMode, Fixed, LintSettings, Linter, Selection, SelectionFlags, ShellCheck,
    is_known, is_shellcheck_code, unpinned_bases,
};
use rayon::prelude::*;

use crate::cli::{GlobalArgs, LintArgs};
use crate::output::Output;

/// A Dockerfile to lint.
enum Target {
    File(PathBuf),
    Stdin,
}

pub fn run(args: LintArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<ExitCode> {
    lint_with(args, global, |report, default_threshold| {
        output.report(report, default_threshold)
    })
}

/// Lints (and fixes, with `--fix`/`--diff`) `args`' files; `finish` gets the report and the
/// severity that fails the run by default (`.hadolint.yaml`'s `failure-threshold`/`no-fail`, else
/// warning) and decides the exit code.
pub fn lint_with(
    args: LintArgs,
    global: &GlobalArgs,
    finish: impl FnOnce(&Report, Option<Severity>) -> anyhow::Result<ExitCode>,
) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let config = Config::discover(global.config.as_deref(), &cwd)?;
    if let Some(path) = &config.path {
        tracing::info!("configuration: {}", path.display());
    }
    config.validate_rule_selectors(is_known)?;
    let mut ignore = args.ignore;
    if args.no_shellcheck {
        ignore.push("SC".to_string());
    }
    let flags = SelectionFlags {
        select: args.select,
        extend_select: args.extend_select,
        ignore,
    };
    for (flag, selectors) in [
        ("--select", &flags.select),
        ("--extend-select", &flags.extend_select),
        ("--ignore", &flags.ignore),
    ] {
        if let Some(unknown) = selectors.iter().find(|s| !is_known(s)) {
            bail!("unknown rule `{unknown}` in {flag} (see `drydock rules` for the list)");
        }
    }
    let hadolint = if args.no_hadolint_config {
        None
    } else {
        HadolintConfig::discover(&cwd).map_err(anyhow::Error::msg)?
    };
    if let Some((path, _)) = &hadolint {
        tracing::info!("hadolint configuration: {}", path.display());
    }
    let hadolint = hadolint.map(|(_, config)| config);
    let selection = Selection::resolve(hadolint.as_ref(), &config.rules, &flags);

    let targets = discover(&args.paths)?;
    let fixing = args.fix || args.diff;
    if args.fix && targets.iter().any(|t| matches!(t, Target::Stdin)) {
        bail!("--fix cannot write standard input back; use --diff to see the fixes");
    }
    tracing::info!("linting {} files", targets.len());
    let stdin_name = args.stdin_filename;
    let files = targets
        .par_iter()
        .map(|target| read(target, &stdin_name))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let mut notices = Vec::new();
    let digests = if args.resolve_digests {
        resolve_digests(&files, &mut notices)?
    } else {
        Default::default()
    };
    let settings = LintSettings {
        target: args.target,
        trusted_registries: hadolint
            .as_ref()
            .map(|h| h.trusted_registries.clone())
            .unwrap_or_default(),
        label_schema: hadolint
            .as_ref()
            .map(|h| h.label_schema.clone())
            .unwrap_or_default(),
        strict_labels: hadolint.as_ref().is_some_and(|h| h.strict_labels),
        digests,
    };
    let honour_pragmas =
        !args.disable_pragmas && !hadolint.as_ref().is_some_and(|h| h.disable_ignore_pragma);
    let mut linter = Linter::new(&selection, settings, honour_pragmas);
    if linter.shellcheck_selected() {
        match ShellCheck::find() {
            Some(shellcheck) => {
                tracing::info!("ShellCheck: {}", shellcheck.program().display());
                linter = linter.with_shellcheck(Some(shellcheck));
            }
            None => notices.push(
                "ShellCheck is not installed, so RUN scripts were not checked with it (SC codes); \
                 install `shellcheck`, or pass --no-shellcheck"
                    .to_string(),
            ),
        }
    }

    let mode = FixMode {
        unsafe_fixes: args.unsafe_fixes,
    };
    let results: Vec<Linted> = files
        .par_iter()
        .map(|(name, bytes)| {
            let fixed = match std::str::from_utf8(bytes) {
                Ok(text) if fixing => Some(linter.fix(name, text, mode)),
                _ => None,
            };
            let result = match &fixed {
                Some(fixed) => linter.lint(name, &fixed.source),
                None => linter.lint_bytes(name, bytes),
            };
            Linted {
                name: name.clone(),
                original: bytes,
                fixed,
                result,
            }
        })
        .collect();

    let changed: Vec<&Linted> = results
        .iter()
        .filter(|l| l.fixed.as_ref().is_some_and(Fixed::changed))
        .collect();
    let fixes: usize = changed
        .iter()
        .filter_map(|l| l.fixed.as_ref())
        .map(|f| f.applied.len())
        .sum();
    for linted in &results {
        for refused in linted.fixed.iter().flat_map(|f| &f.refused) {
            notices.push(format!(
                "{}: the fix \"{}\" ({}) was not applied: the result would not parse",
                linted.name, refused.message, refused.code
            ));
        }
    }
    let unsafe_left = results
        .iter()
        .flat_map(|l| &l.result.findings)
        .filter(|f| {
            f.fix
                .as_ref()
                .is_some_and(|fix| fix.applicability == Applicability::Unsafe)
        })
        .count();
    if args.diff {
        let mut out = std::io::stdout().lock();
        for linted in &changed {
            let fixed = &linted.fixed.as_ref().expect("changed").source;
            let original = String::from_utf8_lossy(linted.original);
            let diff = similar::TextDiff::from_lines(original.as_ref(), fixed.as_str());
            write!(
                out,
                "{}",
                diff.unified_diff()
                    .context_radius(3)
                    .header(&diff_path("a", &linted.name), &diff_path("b", &linted.name))
            )?;
        }
        out.flush()?;
        let mut summary = if fixes == 0 {
            "No fixes to apply".to_string()
        } else {
            format!(
                "Would fix {} in {}",
                plural(fixes, "problem"),
                plural(changed.len(), "file")
            )
        };
        if unsafe_left > 0 && !args.unsafe_fixes {
            summary.push_str(&format!(" ({unsafe_left} more with --unsafe-fixes)"));
        }
        for notice in &notices {
            eprintln!("note: {notice}");
        }
        eprintln!("{summary}.");
        return Ok(if changed.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }
    if args.fix {
        for linted in &changed {
            // Unsafe fixes want a review; some (secret mounts) say how to build now.
            for applied in linted.fixed.iter().flat_map(|f| &f.applied) {
                if applied.applicability == Applicability::Unsafe {
                    notices.push(format!(
                        "{}: {} ({})",
                        linted.name, applied.message, applied.code
                    ));
                }
            }
            let path = Path::new(&linted.name);
            let fixed = &linted.fixed.as_ref().expect("changed").source;
            std::fs::write(path, fixed)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        notices.push(format!(
            "fixed {} in {}",
            plural(fixes, "problem"),
            plural(changed.len(), "file")
        ));
    }

    let mut report = Report {
        target_kind: TargetKind::File,
        rules: linter.rule_infos(),
        notices,
        ..Report::default()
    };
    for linted in results {
        let result = linted.result;
        for finding in &result.findings {
            if is_shellcheck_code(&finding.code) && report.rule(&finding.code).is_none() {
                report.rules.push(shellcheck_rule_info(&finding.code));
            }
        }
        report.notices.extend(result.notices);
        report.findings.extend(result.findings);
        report.sources.insert_indexed(
            linted.name.clone(),
            result.display_source,
            result.line_index,
        );
        report.targets.push(linted.name);
    }
    report.sort();
    let default_threshold = match &hadolint {
        Some(h) if h.no_fail => None,
        Some(h) => Some(
            h.failure_threshold
                .map_or(Severity::Warning, |t| t.severity()),
        ),
        None => Some(Severity::Warning),
    };
    finish(&report, default_threshold)
}

/// One file's lint, and its fixes when `--fix` or `--diff` asked for them.
struct Linted<'a> {
    /// As reported (and, for `--fix`, the path written).
    name: String,
    original: &'a [u8],
    fixed: Option<Fixed>,
    /// The findings of the fixed text when fixing, else of the original.
    result: FileResult,
}

/// `a/Dockerfile` for a relative path, the path itself when absolute (as git and ruff write).
fn diff_path(side: &str, name: &str) -> String {
    if name.starts_with('/') {
        name.to_string()
    } else {
        format!("{side}/{name}")
    }
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Metadata of a ShellCheck code for renderers.
fn shellcheck_rule_info(code: &str) -> RuleInfo {
    RuleInfo {
        code: code.to_string().into(),
        name: "shellcheck".into(),
        summary: format!("ShellCheck {code} in a RUN script").into(),
        default_severity: Severity::Warning,
        hadolint: Some(code.to_string().into()),
        docs: Some(format!("See https://www.shellcheck.net/wiki/{code}").into()),
    }
}

/// The current digest of every base image that FROM names by tag, from its registry (one `HEAD`
/// per image). Images that cannot be looked up are left out with a notice.
fn resolve_digests(
    files: &[(String, Vec<u8>)],
    notices: &mut Vec<String>,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut names: Vec<String> = files
        .iter()
        .filter_map(|(_, bytes)| std::str::from_utf8(bytes).ok())
        .flat_map(unpinned_bases)
        .collect();
    names.sort();
    names.dedup();
    let mut digests = BTreeMap::new();
    if names.is_empty() {
        return Ok(digests);
    }
    let client = drydock_registry::BlockingClient::new(drydock_registry::ClientConfig::default())
        .context("cannot set up the registry client")?;
    for name in names {
        let head = drydock_registry::Reference::parse(&name)
            .map_err(anyhow::Error::from)
            .and_then(|reference| {
                client
                    .block_on(client.client().head_manifest(&reference))
                    .map_err(anyhow::Error::from)
            });
        match head {
            Ok(head) => {
                tracing::info!("{name}: {}", head.digest);
                digests.insert(name, head.digest.to_string());
            }
            Err(error) => notices.push(format!("cannot look up the digest of {name}: {error:#}")),
        }
    }
    Ok(digests)
}

fn read(target: &Target, stdin_name: &str) -> anyhow::Result<(String, Vec<u8>)> {
    match target {
        Target::Stdin => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("cannot read standard input")?;
            Ok((stdin_name.to_string(), bytes))
        }
        Target::File(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            // `drydock lint .` reports `Dockerfile`, not `./Dockerfile`.
            let shown = path.strip_prefix(".").unwrap_or(path);
            Ok((shown.display().to_string(), bytes))
        }
    }
}

/// Files named on the command line are linted whatever their name; directories are searched
/// (honouring .gitignore) for files named like Dockerfiles.
fn discover(paths: &[PathBuf]) -> anyhow::Result<Vec<Target>> {
    let mut targets = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            targets.push(Target::Stdin);
            continue;
        }
        let metadata =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if !metadata.is_dir() {
            targets.push(Target::File(path.clone()));
            continue;
        }
        let mut found = Vec::new();
        for entry in ignore::WalkBuilder::new(path).build() {
            let entry = entry.with_context(|| format!("cannot search {}", path.display()))?;
            if entry.file_type().is_some_and(|t| t.is_file()) && is_dockerfile_name(entry.path()) {
                found.push(entry.into_path());
            }
        }
        if found.is_empty() {
            bail!("no Dockerfiles found in {}", path.display());
        }
        found.sort();
        targets.extend(found.into_iter().map(Target::File));
    }
    Ok(targets)
}

/// `Dockerfile`, `Containerfile`, `*.Dockerfile`, `Dockerfile.*`, `Containerfile.*` (any case),
/// but not `Dockerfile.dockerignore`.
fn is_dockerfile_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".dockerignore") {
        return false;
    }
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.ends_with(".dockerfile")
        || lower.starts_with("dockerfile.")
        || lower.starts_with("containerfile.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_names() {
        for yes in [
            "Dockerfile",
            "dockerfile",
            "Containerfile",
            "app.Dockerfile",
            "Dockerfile.prod",
            "Containerfile.dev",
        ] {
            assert!(is_dockerfile_name(Path::new(yes)), "{yes}");
        }
        for no in [
            "Dockerfile.dockerignore",
            "README.md",
            "Makefile",
            "docker-compose.yml",
        ] {
            assert!(!is_dockerfile_name(Path::new(no)), "{no}");
        }
    }
}
