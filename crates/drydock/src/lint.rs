//! `drydock lint`: find Dockerfiles, lint them in parallel, report.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use drydock_config::Config;
use drydock_findings::{Report, Severity, TargetKind};
use drydock_lint::hadolint_config::HadolintConfig;
use drydock_lint::{LintSettings, Linter, Selection, SelectionFlags, is_known};
use rayon::prelude::*;

use crate::cli::{GlobalArgs, LintArgs};
use crate::output::Output;

/// A Dockerfile to lint.
enum Target {
    File(PathBuf),
    Stdin,
}

pub fn run(args: LintArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<ExitCode> {
    let (report, default_threshold) = lint(args, global)?;
    output.report(&report, default_threshold)
}

/// The lint report of `args`' files and the severity that fails the run by default (from
/// `.hadolint.yaml`'s `failure-threshold`/`no-fail`, else warning).
pub fn lint(args: LintArgs, global: &GlobalArgs) -> anyhow::Result<(Report, Option<Severity>)> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let config = Config::discover(global.config.as_deref(), &cwd)?;
    if let Some(path) = &config.path {
        tracing::info!("configuration: {}", path.display());
    }
    config.validate_rule_selectors(is_known)?;
    let flags = SelectionFlags {
        select: args.select,
        extend_select: args.extend_select,
        ignore: args.ignore,
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
    };
    let honour_pragmas =
        !args.disable_pragmas && !hadolint.as_ref().is_some_and(|h| h.disable_ignore_pragma);
    let linter = Linter::new(&selection, settings, honour_pragmas);

    let targets = discover(&args.paths)?;
    tracing::info!("linting {} files", targets.len());
    let stdin_name = args.stdin_filename;
    let results = targets
        .par_iter()
        .map(|target| {
            let (name, bytes) = read(target, &stdin_name)?;
            Ok((name.clone(), linter.lint_bytes(&name, &bytes)))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;

    let mut report = Report {
        target_kind: TargetKind::File,
        rules: linter.rule_infos(),
        ..Report::default()
    };
    for (name, result) in results {
        report.findings.extend(result.findings);
        report
            .sources
            .insert_indexed(name.clone(), result.display_source, result.line_index);
        report.targets.push(name);
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
    Ok((report, default_threshold))
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
