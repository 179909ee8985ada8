//! `drydock build`: lint, decide what upstream changed, build only that, verify.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use drydock_build::decide::{Action, PackageFix, Reason};
use drydock_build::{LayerFix, Outcome, Prepared, PreviousImage, Request};
use drydock_findings::Severity;
use drydock_image::OpenOptions;
use drydock_updates::ImageFacts;

use crate::cli::{BuildArgs, Format, GlobalArgs, LintArgs, RefreshOn};

pub fn run(args: BuildArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let dockerfile = args
        .file
        .clone()
        .unwrap_or_else(|| args.context.join("Dockerfile"));
    if !args.no_lint && !lint_passes(&dockerfile, args.target.clone(), global)? {
        return Ok(ExitCode::from(1));
    }
    let build_args = args
        .build_arg
        .iter()
        .map(|a| match a.split_once('=') {
            Some((k, v)) => Ok((k.to_owned(), v.to_owned())),
            None => std::env::var(a)
                .map(|v| (a.clone(), v))
                .with_context(|| format!("--build-arg {a}: no value given and ${a} is not set")),
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let request = Request {
        context: args.context.clone(),
        dockerfile: args.file.clone(),
        tags: args.tags.clone(),
        build_args,
        allow_secret_build_args: args.allow_secret_build_args,
        secrets: args.secret.clone(),
        target: args.target.clone(),
        platform: args.platform.clone(),
        network: args.network.clone(),
        no_cache: args.no_cache,
        full_rebuild_every: args.full_rebuild_every,
        push: args.push,
        docker: args.docker.clone(),
    };
    let updates = UpdatesCheck {
        refresh_on: args.refresh_on,
        mirrors: args.mirror.clone(),
        cache_dir: args.cache_dir.clone().or_else(default_cache_dir),
        quiet: global.quiet,
    };
    let prepared = drydock_build::prepare(request, &|previous| updates.fixes(previous))?;
    tracing::debug!("generated Dockerfile:\n{}", prepared.generated_dockerfile());
    if global.format == Format::Human {
        print_plan(&prepared)?;
    }
    if args.dry_run {
        if global.format != Format::Human {
            print_json(&prepared, None, &[])?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let quiet = global.quiet;
    let mut stderr = std::io::stderr();
    let outcome = drydock_build::execute(&prepared, &mut |line| {
        if !quiet {
            let _ = writeln!(stderr, "{}", drydock_secrets::redact_text(line));
        }
    })?;
    let verified = verify(&prepared, &outcome, &updates, &args.tags[0])?;
    match global.format {
        Format::Human => print_outcome(&outcome, &verified)?,
        _ => print_json(&prepared, Some(&outcome), &verified)?,
    }
    Ok(if verified.iter().any(|v| v.still_pending.is_some()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Lints the Dockerfile with the project's configuration (ShellCheck off: it is slow and its
/// findings are never errors); prints findings to stderr; false when one is an error.
fn lint_passes(
    dockerfile: &std::path::Path,
    target: Option<String>,
    global: &GlobalArgs,
) -> anyhow::Result<bool> {
    let args = LintArgs {
        paths: vec![dockerfile.to_path_buf()],
        select: Vec::new(),
        extend_select: Vec::new(),
        ignore: Vec::new(),
        target,
        stdin_filename: "-".into(),
        disable_pragmas: false,
        no_hadolint_config: false,
        fix: false,
        diff: false,
        unsafe_fixes: false,
        resolve_digests: false,
        no_shellcheck: true,
    };
    let code = crate::lint::lint_with(args, global, |report, _| {
        let errors = report
            .findings
            .iter()
            .filter(|f| f.severity >= Severity::Error)
            .count();
        if errors > 0 || (!global.quiet && !report.findings.is_empty()) {
            let mut stderr = anstream::stderr();
            drydock_render::render_human(
                report,
                drydock_render::HumanOptions {
                    color: !matches!(
                        anstream::AutoStream::choice(&std::io::stderr()),
                        anstream::ColorChoice::Never
                    ),
                    quiet: global.quiet,
                },
                &mut stderr,
            )?;
        }
        if errors > 0 {
            eprintln!(
                "drydock: not building: {errors} lint error(s) in {} (fix them, or pass --no-lint)",
                dockerfile.display()
            );
            return Ok(ExitCode::from(1));
        }
        Ok(ExitCode::SUCCESS)
    })?;
    Ok(code == ExitCode::SUCCESS)
}

/// `$XDG_CACHE_HOME/drydock`, else `$HOME/.cache/drydock`.
fn default_cache_dir() -> Option<PathBuf> {
    let nonempty = |v: &str| std::env::var_os(v).filter(|p| !p.is_empty());
    nonempty("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| nonempty("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|d| d.join("drydock"))
}

/// Pending updates of an image, through the updates engine.
struct UpdatesCheck {
    refresh_on: RefreshOn,
    mirrors: Vec<drydock_updates::Mirror>,
    /// Package indexes and what was read of each image, by image id.
    cache_dir: Option<PathBuf>,
    quiet: bool,
}

impl UpdatesCheck {
    fn options(&self) -> drydock_updates::Options {
        let mut options = drydock_updates::Options {
            security_only: self.refresh_on == RefreshOn::Security,
            ..Default::default()
        };
        options.fetch.mirrors = self.mirrors.clone();
        options.fetch.cache_dir = self.cache_dir.clone();
        options
    }

    /// What the updates engine reads from the image: from the cache when this image id was
    /// read before, else from a `docker save` of it.
    fn facts(&self, previous: &PreviousImage<'_>) -> drydock_build::Result<ImageFacts> {
        let fixes_error = |e: &dyn std::fmt::Display| drydock_build::Error::Fixes(e.to_string());
        let read = || {
            let archive = tempfile::Builder::new()
                .prefix("drydock-build-previous-")
                .suffix(".tar")
                .tempfile()
                .map_err(|e| fixes_error(&format!("temporary file: {e}")))?;
            previous.docker.save(&previous.image.id, archive.path())?;
            let source = drydock_image::open_str(
                &format!("docker-archive:{}", archive.path().display()),
                &OpenOptions::default(),
            )
            .map_err(|e| fixes_error(&e))?;
            ImageFacts::read(&*source).map_err(|e| fixes_error(&e))
        };
        match &self.cache_dir {
            Some(dir) => ImageFacts::cached(dir, &previous.image.id, read),
            None => read(),
        }
    }

    /// The last image's packages with fixes, each with the history entry of its layer. An image
    /// whose packages cannot be checked (no package sources, unsupported distribution) gets a
    /// warning, not a failed build; an unreachable mirror or a bad signature fails.
    fn fixes(&self, previous: &PreviousImage<'_>) -> drydock_build::Result<Vec<LayerFix>> {
        if self.refresh_on == RefreshOn::None {
            return Ok(Vec::new());
        }
        let facts = self.facts(previous)?;
        let history = facts.layer_history().to_vec();
        let updates = match drydock_updates::pending_updates_in(facts, &self.options()) {
            Ok(u) => u,
            Err(drydock_updates::Error::Unsupported(why)) => {
                if !self.quiet {
                    eprintln!(
                        "drydock: warning: pending updates of {} not checked: {why}",
                        previous.tag
                    );
                }
                return Ok(Vec::new());
            }
            Err(e) => return Err(drydock_build::Error::Fixes(e.to_string())),
        };
        Ok(updates
            .updates
            .into_iter()
            .filter(|u| self.refresh_on == RefreshOn::All || u.security)
            .map(|u| LayerFix {
                created_by: history.get(u.layer).cloned().flatten(),
                package: PackageFix {
                    name: u.name,
                    installed: u.installed_version,
                    fixed: u.fixed_version,
                    security: u.security,
                },
            })
            .collect())
    }
}

/// After a build forced by fixes: are the fixed packages still pending in the new image?
#[derive(Debug, serde::Serialize)]
struct Verified {
    package: String,
    fixed: String,
    /// The version still pending, if the rebuild did not bring the fix in.
    still_pending: Option<String>,
}

fn verify(
    prepared: &Prepared,
    outcome: &Outcome,
    updates: &UpdatesCheck,
    tag: &str,
) -> anyhow::Result<Vec<Verified>> {
    let wanted: Vec<&PackageFix> = prepared
        .plan
        .reasons
        .iter()
        .filter_map(|r| match r {
            Reason::Fixes(f) => Some(f.packages.iter()),
            _ => None,
        })
        .flatten()
        .collect();
    if wanted.is_empty() || outcome.image_id.is_none() {
        return Ok(Vec::new());
    }
    let docker = drydock_build::docker::Docker::new(prepared.request().docker.clone());
    let image = docker
        .inspect(tag)?
        .with_context(|| format!("the engine has no image {tag} after the build"))?;
    let still = updates.fixes(&PreviousImage {
        tag,
        image: &image,
        docker: &docker,
    })?;
    Ok(wanted
        .into_iter()
        .map(|p| Verified {
            package: p.name.clone(),
            fixed: p.fixed.clone(),
            still_pending: still
                .iter()
                .find(|s| s.package.name == p.name)
                .map(|s| s.package.installed.clone()),
        })
        .collect())
}

fn print_plan(prepared: &Prepared) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let tag = prepared.request().tags.first().map_or("", String::as_str);
    writeln!(out, "drydock build {tag}")?;
    for base in &prepared.bases {
        let name = &prepared.stage_names[base.stage];
        let moved = prepared.plan.reasons.iter().find_map(|r| match r {
            Reason::BaseMoved { stage, from, .. } if *stage == base.stage => Some(from.clone()),
            _ => None,
        });
        let status = match moved {
            Some(Some(from)) => format!("moved {} → {}", short(&from), short(&base.digest)),
            Some(None) => format!("new base, {}", short(&base.digest)),
            None => format!("unchanged, {}", short(&base.digest)),
        };
        writeln!(out, "  stage {name}: FROM {}: {status}", base.base)?;
    }
    for reason in &prepared.plan.reasons {
        match reason {
            Reason::Fixes(f) => {
                let packages: Vec<String> = f
                    .packages
                    .iter()
                    .map(|p| {
                        format!(
                            "{} {} → {}{}",
                            p.name,
                            p.installed,
                            p.fixed,
                            if p.security { " (security)" } else { "" }
                        )
                    })
                    .collect();
                writeln!(
                    out,
                    "  stage {} line {} `{}`: fixes published for {}",
                    prepared.stage_names[f.stage],
                    f.line,
                    ellipsis(&drydock_secrets::redact_text(&f.step), 60),
                    packages.join(", ")
                )?;
            }
            Reason::ContextChanged => writeln!(out, "  context or Dockerfile changed")?,
            Reason::FirstBuild { detail } => writeln!(out, "  first build: {detail}")?,
            Reason::Backstop { since, every } => writeln!(
                out,
                "  backstop full rebuild due: last one {} ago, policy every {}",
                since.map_or("never".into(), |s| drydock_scan::human_duration(
                    s.max(0) as u64
                )),
                drydock_scan::human_duration(*every as u64)
            )?,
            Reason::Forced => writeln!(out, "  --no-cache")?,
            Reason::BaseMoved { .. } => {}
        }
    }
    for note in &prepared.notes {
        writeln!(out, "  note: {note}")?;
    }
    let decision = match prepared.plan.action {
        Action::Fresh => "fresh: nothing upstream changed, no build".to_owned(),
        Action::FullRebuild => "full rebuild (--pull --no-cache)".to_owned(),
        Action::Build => {
            let points: Vec<String> = prepared
                .plan
                .refresh
                .iter()
                .filter_map(|r| {
                    prepared
                        .steps
                        .iter()
                        .find(|s| s.stage == r.stage && s.text == r.step)
                        .map(|s| {
                            format!(
                                "stage {} from line {}",
                                prepared.stage_names[s.stage], s.line
                            )
                        })
                })
                .collect();
            if points.is_empty() {
                "cached build (moved bases and changed inputs rebuild their steps)".to_owned()
            } else {
                format!("cached build; forced rebuild of {}", points.join(", "))
            }
        }
    };
    writeln!(out, "decision: {decision}")?;
    out.flush()?;
    Ok(())
}

fn print_outcome(outcome: &Outcome, verified: &[Verified]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if let Some(id) = &outcome.image_id {
        writeln!(out, "image: {id}")?;
    }
    if let Some(d) = &outcome.pushed_digest {
        writeln!(out, "pushed: {d}")?;
    }
    if outcome.plan.action != Action::Fresh {
        writeln!(
            out,
            "steps: {} cached, {} ran",
            outcome.cached_steps.len(),
            outcome.executed_steps.len()
        )?;
        for step in &outcome.executed_steps {
            writeln!(out, "  ran {step}")?;
        }
    }
    for v in verified {
        match &v.still_pending {
            None => writeln!(
                out,
                "verified: {} {} is in the new image",
                v.package, v.fixed
            )?,
            Some(version) => writeln!(
                out,
                "NOT FIXED: {} is still {version} in the new image ({} was published); is a pin or \
                 another source holding it back?",
                v.package, v.fixed
            )?,
        }
    }
    Ok(())
}

fn print_json(
    prepared: &Prepared,
    outcome: Option<&Outcome>,
    verified: &[Verified],
) -> anyhow::Result<()> {
    let value = serde_json::json!({
        "plan": prepared.plan,
        "bases": prepared.bases.iter().map(|b| serde_json::json!({
            "stage": prepared.stage_names[b.stage],
            "base": b.base,
            "digest": b.digest,
        })).collect::<Vec<_>>(),
        "notes": prepared.notes,
        "outcome": outcome,
        "verified": verified,
    });
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &value)?;
    writeln!(out)?;
    Ok(())
}

fn short(digest: &str) -> &str {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    &digest[..digest.len() - hex.len() + hex.len().min(12)]
}

fn ellipsis(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}
