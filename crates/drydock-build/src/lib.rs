//! `drydock build`: BuildKit builds that keep the cache yet are never stale.
//!
//! Before building, [`prepare`] finds out what upstream changed since the
//! image the tag points to was built — the digest each stage's base resolves
//! to now (registry `HEAD`), the context, and packages of the last image
//! with fixes available (given by the caller, from the updates engine) — and
//! [`decide`](decide::decide)s:
//!
//! * nothing changed: no build, the image is fresh;
//! * something changed: a cached build in which every base is pinned to the
//!   digest it resolves to now (a moved base rebuilds its stage, an unmoved
//!   one stays cached) and `ARG DRYDOCK_REFRESH=<token>` is declared just
//!   before the first step whose packages have fixes (BuildKit passes
//!   declared build arguments to every later `RUN` of the stage, so exactly
//!   that step and the ones after it rebuild);
//! * the backstop is due or `--no-cache` was asked for: `--pull --no-cache`.
//!
//! [`execute`] runs the build with the Docker client (buildx where present),
//! labels the image with its provenance (OCI `base.name`/`base.digest`,
//! `created`, `revision`, `source`) and the [`record`] the next build reads.

pub mod context;
pub mod decide;
pub mod docker;
pub mod record;
pub mod steps;

use std::path::{Path, PathBuf};
use std::time::Duration;

use drydock_dockerfile::{Base, Dockerfile, GraphOptions, StageGraph};
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::decide::{Action, Facts, PackageFix, Plan, StepFixes};
use crate::docker::{BuildCommand, Docker, LocalImage};
use crate::record::{BuildRecord, StageBase};
use crate::steps::Step;

/// OCI annotation/label keys drydock sets.
pub const LABEL_BASE_NAME: &str = "org.opencontainers.image.base.name";
/// See [`LABEL_BASE_NAME`].
pub const LABEL_BASE_DIGEST: &str = "org.opencontainers.image.base.digest";
const LABEL_CREATED: &str = "org.opencontainers.image.created";
const LABEL_REVISION: &str = "org.opencontainers.image.revision";
const LABEL_SOURCE: &str = "org.opencontainers.image.source";

/// Why a build could not be prepared or run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Dockerfile cannot be read or BuildKit would reject it.
    #[error("{path}: {message}")]
    Dockerfile {
        /// File (and line).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A context file or `.dockerignore` cannot be read.
    #[error("build context {path}: {message}")]
    Context {
        /// File (and line).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A stage's base cannot be resolved to a digest.
    #[error("stage {stage}: cannot resolve the base {base}: {message}")]
    Base {
        /// Stage (name or index).
        stage: String,
        /// The reference.
        base: String,
        /// Registry and engine answers.
        message: String,
    },
    /// Build arguments that carry secrets.
    #[error(
        "refusing to pass secrets as build arguments ({}): their values stay in the image history. \
         Pass them as BuildKit secrets instead: `--secret id=NAME,env=NAME` (or `src=FILE`) and \
         `RUN --mount=type=secret,id=NAME,env=NAME …` in the Dockerfile; or force with \
         --allow-secret-build-args",
        names.join(", ")
    )]
    SecretBuildArgs {
        /// `NAME (why)` for each.
        names: Vec<String>,
    },
    /// Pending updates of the last image cannot be computed.
    #[error("cannot tell which packages of the last image have fixes: {0}")]
    Fixes(String),
    /// The Docker client failed.
    #[error("{command}: {message}")]
    Docker {
        /// The command.
        command: String,
        /// Its error.
        message: String,
    },
    /// BuildKit reported a failure.
    #[error("the build failed (exit {status}):\n{tail}")]
    BuildFailed {
        /// Exit status of the client.
        status: i32,
        /// The last lines of BuildKit's output.
        tail: String,
    },
}

/// `Result<T, drydock_build::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What to build and how.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Build context directory.
    pub context: PathBuf,
    /// Dockerfile (default `<context>/Dockerfile`).
    pub dockerfile: Option<PathBuf>,
    /// `-t`; the first is the image whose record is read.
    pub tags: Vec<String>,
    /// `--build-arg`.
    pub build_args: Vec<(String, String)>,
    /// Pass build arguments that look like secrets.
    pub allow_secret_build_args: bool,
    /// `--secret`, verbatim.
    pub secrets: Vec<String>,
    /// `--target`.
    pub target: Option<String>,
    /// `--platform`.
    pub platform: Option<String>,
    /// `--network`.
    pub network: Option<String>,
    /// `--no-cache`: a full rebuild now.
    pub no_cache: bool,
    /// The backstop: a full rebuild when the last one is older than this.
    pub full_rebuild_every: Option<Duration>,
    /// Push the first tag after building.
    pub push: bool,
    /// The Docker client (default `docker` on `PATH`).
    pub docker: Option<PathBuf>,
}

/// A package with a newer version, and the history entry of the layer that
/// installed it in the last image (what the updates engine reports).
#[derive(Debug, Clone)]
pub struct LayerFix {
    /// The package.
    pub package: PackageFix,
    /// `created_by` of its layer.
    pub created_by: Option<String>,
}

/// The last image built under the tag, as the fixes provider sees it.
#[derive(Debug, Clone)]
pub struct PreviousImage<'a> {
    /// The tag.
    pub tag: &'a str,
    /// Its engine image.
    pub image: &'a LocalImage,
    /// The Docker client (e.g. to `docker save` it).
    pub docker: &'a Docker,
}

/// Everything known before building.
#[derive(Debug)]
pub struct Prepared {
    request: Request,
    docker: Docker,
    file: Dockerfile,
    /// Bases as resolved now.
    pub bases: Vec<StageBase>,
    /// FROM instructions to pin, with the pinned reference.
    pins: Vec<(usize, String)>,
    /// Steps of the stages built.
    pub steps: Vec<Step>,
    /// Context digest now.
    pub context: String,
    /// The last image under the tag, if any.
    pub previous: Option<LocalImage>,
    /// The decision.
    pub plan: Plan,
    /// Fixes for packages that no step of this Dockerfile installed (they
    /// come with a base image, which must be rebuilt upstream).
    pub base_fixes: Vec<PackageFix>,
    /// Things the user should know.
    pub notes: Vec<String>,
    /// Stage names for display, by index.
    pub stage_names: Vec<String>,
    final_base: Option<StageBase>,
    full_rebuild: Option<String>,
}

/// The result of [`execute`].
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    /// The decision.
    pub plan: Plan,
    /// Image id of the result (the previous image when fresh).
    pub image_id: Option<String>,
    /// Manifest digest after `--push`.
    pub pushed_digest: Option<String>,
    /// Steps BuildKit took from its cache.
    pub cached_steps: Vec<String>,
    /// Steps that ran.
    pub executed_steps: Vec<String>,
    /// Labels set on the image.
    pub labels: Vec<(String, String)>,
}

/// Reads the Dockerfile, resolves bases, reads the last image's record,
/// asks `fixes` (unless there is no last image) which of its packages have
/// fixes, and decides.
///
/// # Errors
/// See [`Error`].
pub fn prepare(
    request: Request,
    fixes: &dyn Fn(&PreviousImage<'_>) -> Result<Vec<LayerFix>>,
) -> Result<Prepared> {
    refuse_secret_build_args(&request)?;
    let dockerfile_path = request
        .dockerfile
        .clone()
        .unwrap_or_else(|| request.context.join("Dockerfile"));
    let bytes = std::fs::read(&dockerfile_path).map_err(|e| Error::Dockerfile {
        path: dockerfile_path.display().to_string(),
        message: e.to_string(),
    })?;
    let file = drydock_dockerfile::parse_bytes(&bytes).map_err(|e| Error::Dockerfile {
        path: dockerfile_path.display().to_string(),
        message: e.message,
    })?;
    if let Some(error) = file.errors.first() {
        let at = file.line_column(error.span.start);
        return Err(Error::Dockerfile {
            path: format!("{}:{}:{}", dockerfile_path.display(), at.line, at.column),
            message: error.message.clone(),
        });
    }
    let graph = file.stage_graph(&GraphOptions {
        target: request.target.clone(),
        build_args: request.build_args.clone(),
    });
    let Some(final_stage) = graph.final_stage else {
        return Err(Error::Dockerfile {
            path: dockerfile_path.display().to_string(),
            message: match &request.target {
                Some(t) => format!("no stage named {t:?}"),
                None => "no FROM instruction".into(),
            },
        });
    };
    let mut built = graph.dependencies(final_stage);
    built.push(final_stage);
    let stage_names: Vec<String> = graph
        .stages
        .iter()
        .map(|s| s.name.clone().unwrap_or_else(|| s.index.to_string()))
        .collect();
    let docker = Docker::new(request.docker.clone());
    let (bases, pins, mut notes) = resolve_bases(&graph, &built, &stage_names, &docker)?;
    let final_base =
        root_base(&graph, final_stage).and_then(|s| bases.iter().find(|b| b.stage == s).cloned());
    let steps = steps::steps(&file, &graph, &built);
    let context = context::digest(
        &request.context,
        &context::Inputs {
            dockerfile: &bytes,
            build_args: &request.build_args,
            target: request.target.as_deref(),
            platform: request.platform.as_deref(),
        },
    )?;
    let tag = request.tags.first().cloned().unwrap_or_default();
    let previous = if tag.is_empty() {
        None
    } else {
        docker.inspect(&tag)?
    };
    let record = previous
        .as_ref()
        .and_then(|p| p.labels.get(record::LABEL))
        .and_then(|l| BuildRecord::from_label(l));
    let now = OffsetDateTime::now_utc();
    let since_full_rebuild = record
        .as_ref()
        .and_then(|r| r.full_rebuild.as_deref())
        .and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
        .map(|t| (now - t).whole_seconds());
    let (step_fixes, base_fixes) = match (&previous, &record) {
        (Some(image), Some(_)) if !request.no_cache => {
            let found = fixes(&PreviousImage {
                tag: &tag,
                image,
                docker: &docker,
            })?;
            attribute_fixes(&steps, final_stage, found)
        }
        _ => (Vec::new(), Vec::new()),
    };
    if !base_fixes.is_empty() {
        notes.push(format!(
            "{} package(s) with fixes came with the base image, not from a step of this Dockerfile: \
             {}; the base must be rebuilt upstream (drydock watch tells when it moves)",
            base_fixes.len(),
            base_fixes
                .iter()
                .map(|f| format!("{} {} → {}", f.name, f.installed, f.fixed))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let previous_record = match (&previous, &record) {
        (Some(_), Some(r)) => Ok(r),
        (None, _) if tag.is_empty() => Err("no tag given (-t), so no previous image".to_owned()),
        (None, _) => Err(format!("the engine has no image {tag}")),
        (Some(_), None) => Err(format!(
            "{tag} was not built by drydock build (no {} label)",
            record::LABEL
        )),
    };
    let plan = decide::decide(&Facts {
        previous: previous_record,
        context: &context,
        bases: &bases,
        steps: &steps,
        fixes: &step_fixes,
        since_full_rebuild,
        full_rebuild_every: request.full_rebuild_every.map(|d| d.as_secs() as i64),
        force_full: request.no_cache,
    });
    let full_rebuild = match plan.action {
        Action::FullRebuild => Some(now.format(&Rfc3339).unwrap_or_default()),
        _ => record.and_then(|r| r.full_rebuild),
    };
    Ok(Prepared {
        request,
        docker,
        file,
        bases,
        pins,
        steps,
        context,
        previous,
        plan,
        base_fixes,
        notes,
        stage_names,
        final_base,
        full_rebuild,
    })
}

impl Prepared {
    /// The Dockerfile BuildKit gets: bases pinned, refresh points declared.
    pub fn generated_dockerfile(&self) -> String {
        let refresh: Vec<(usize, String)> = self
            .plan
            .refresh
            .iter()
            .filter_map(|r| {
                self.steps
                    .iter()
                    .find(|s| s.stage == r.stage && s.text == r.step)
                    .map(|s| (s.instruction, r.token.clone()))
            })
            .collect();
        steps::generate(&self.file, &self.pins, &refresh)
    }

    /// The request.
    pub fn request(&self) -> &Request {
        &self.request
    }

    fn labels(&self) -> Vec<(String, String)> {
        let mut labels = Vec::new();
        if let Some(base) = &self.final_base {
            labels.push((LABEL_BASE_NAME.to_owned(), base.base.clone()));
            labels.push((LABEL_BASE_DIGEST.to_owned(), base.digest.clone()));
        }
        labels.push((
            LABEL_CREATED.to_owned(),
            OffsetDateTime::now_utc()
                .format(&Rfc3339)
                .unwrap_or_default(),
        ));
        if let Some(revision) = git(&self.request.context, &["rev-parse", "HEAD"]) {
            labels.push((LABEL_REVISION.to_owned(), revision));
        }
        if let Some(url) = git(&self.request.context, &["remote", "get-url", "origin"]) {
            labels.push((LABEL_SOURCE.to_owned(), without_credentials(&url)));
        }
        let record = BuildRecord {
            version: record::VERSION,
            context: self.context.clone(),
            stages: self.bases.clone(),
            refresh: self.plan.refresh.clone(),
            full_rebuild: self.full_rebuild.clone(),
        };
        labels.push((record::LABEL.to_owned(), record.to_label()));
        labels
    }
}

/// Runs the build decided by [`prepare`] (nothing when the image is fresh),
/// then pushes the first tag if asked. `progress` gets BuildKit's lines.
///
/// # Errors
/// See [`Error`].
pub fn execute(prepared: &Prepared, progress: &mut dyn FnMut(&str)) -> Result<Outcome> {
    let request = &prepared.request;
    let tag = request.tags.first();
    if prepared.plan.action == Action::Fresh {
        let previous = prepared.previous.as_ref();
        let pushed_digest = match (request.push, tag, previous) {
            (true, Some(tag), Some(image)) => Some(pushed_or_push(&prepared.docker, tag, image)?),
            _ => None,
        };
        return Ok(Outcome {
            plan: prepared.plan.clone(),
            image_id: previous.map(|p| p.id.clone()),
            pushed_digest,
            cached_steps: Vec::new(),
            executed_steps: Vec::new(),
            labels: Vec::new(),
        });
    }
    let dir = tempfile::Builder::new()
        .prefix("drydock-build-")
        .tempdir()
        .map_err(|e| Error::Context {
            path: std::env::temp_dir().display().to_string(),
            message: e.to_string(),
        })?;
    let dockerfile = dir.path().join("Dockerfile");
    std::fs::write(&dockerfile, prepared.generated_dockerfile()).map_err(|e| Error::Context {
        path: dockerfile.display().to_string(),
        message: e.to_string(),
    })?;
    let labels = prepared.labels();
    let result = prepared.docker.build(
        &BuildCommand {
            context: request.context.clone(),
            dockerfile,
            tags: request.tags.clone(),
            build_args: request.build_args.clone(),
            secrets: request.secrets.clone(),
            labels: labels.clone(),
            target: request.target.clone(),
            platform: request.platform.clone(),
            network: request.network.clone(),
            full: prepared.plan.action == Action::FullRebuild,
        },
        progress,
    )?;
    let pushed_digest = match (request.push, tag) {
        (true, Some(tag)) => Some(prepared.docker.push(tag)?),
        _ => None,
    };
    Ok(Outcome {
        plan: prepared.plan.clone(),
        cached_steps: result.cached_steps(),
        executed_steps: result.executed_steps(),
        image_id: Some(result.image_id),
        pushed_digest,
        labels,
    })
}

/// The registry digest of an unchanged image: from its repo digests when
/// it was pushed under the tag's repository already, else by pushing.
fn pushed_or_push(docker: &Docker, tag: &str, image: &LocalImage) -> Result<String> {
    let repository = tag
        .rsplit_once(':')
        .filter(|(_, t)| !t.contains('/'))
        .map_or(tag, |(r, _)| r);
    match image
        .repo_digests
        .iter()
        .find_map(|d| d.strip_prefix(repository).and_then(|d| d.strip_prefix('@')))
    {
        Some(digest) => Ok(digest.to_owned()),
        None => docker.push(tag),
    }
}

fn refuse_secret_build_args(request: &Request) -> Result<()> {
    if request.allow_secret_build_args {
        return Ok(());
    }
    let scanner = drydock_secrets::Scanner::global();
    let names: Vec<String> = request
        .build_args
        .iter()
        .filter_map(|(k, v)| {
            scanner
                .check_assignment(k, v)
                .map(|verdict| format!("{k}: {verdict}"))
        })
        .collect();
    if names.is_empty() {
        Ok(())
    } else {
        Err(Error::SecretBuildArgs { names })
    }
}

/// The external image a stage is ultimately built on (following `FROM <stage>`).
fn root_base(graph: &StageGraph, stage: usize) -> Option<usize> {
    graph
        .ancestry(stage)
        .into_iter()
        .find(|&s| matches!(graph.stages[s].base, Base::Image(_)))
}

/// Resolves each built stage's external base to a digest: the registry's
/// answer to `HEAD` (what the tag points at, an index for multi-platform
/// images), pinned into the generated Dockerfile; for an image only the
/// engine has, its image id (not pinned).
#[allow(clippy::type_complexity)]
fn resolve_bases(
    graph: &StageGraph,
    built: &[usize],
    names: &[String],
    docker: &Docker,
) -> Result<(Vec<StageBase>, Vec<(usize, String)>, Vec<String>)> {
    let mut bases = Vec::new();
    let mut pins = Vec::new();
    let mut notes = Vec::new();
    let mut client: Option<drydock_registry::BlockingClient> = None;
    for &s in built {
        let stage = &graph.stages[s];
        let base = stage.base_name.clone();
        let failed = |message: String| Error::Base {
            stage: names[s].clone(),
            base: base.clone(),
            message,
        };
        match &stage.base {
            Base::Scratch | Base::Stage(_) => continue,
            Base::Invalid { error } => return Err(failed(error.clone())),
            Base::Image(_) => {}
        }
        let reference =
            drydock_registry::Reference::parse(&base).map_err(|e| failed(e.to_string()))?;
        let (name, digest) = match reference.digest() {
            Some(d) => (
                base.split('@').next().unwrap_or(&base).to_owned(),
                d.to_string(),
            ),
            None => {
                if client.is_none() {
                    client = Some(
                        drydock_registry::BlockingClient::new(Default::default())
                            .map_err(|e| failed(e.to_string()))?,
                    );
                }
                let c = client.as_ref().expect("set above");
                match c.block_on(c.client().head_manifest(&reference)) {
                    Ok(head) => {
                        let digest = head.digest.to_string();
                        pins.push((stage.instructions.start, format!("{base}@{digest}")));
                        (base.clone(), digest)
                    }
                    Err(registry_error) => match docker.inspect(&base)? {
                        Some(local) => {
                            notes.push(format!(
                                "stage {}: the registry does not answer for {base} ({registry_error}); \
                                 using the engine's local image {} unpinned",
                                names[s], local.id
                            ));
                            (base.clone(), local.id)
                        }
                        None => return Err(failed(registry_error.to_string())),
                    },
                }
            }
        };
        bases.push(StageBase {
            stage: s,
            name: stage.name.clone(),
            base: name,
            digest,
        });
    }
    Ok((bases, pins, notes))
}

/// Splits fixes into those of packages a RUN step of the final stage
/// installed (grouped per step) and the rest.
fn attribute_fixes(
    steps: &[Step],
    final_stage: usize,
    fixes: Vec<LayerFix>,
) -> (Vec<StepFixes>, Vec<PackageFix>) {
    let final_steps: Vec<Step> = steps
        .iter()
        .filter(|s| s.stage == final_stage)
        .cloned()
        .collect();
    let mut by_step: Vec<StepFixes> = Vec::new();
    let mut rest = Vec::new();
    for fix in fixes {
        let step = fix
            .created_by
            .as_deref()
            .and_then(|c| steps::step_of_history(&final_steps, c));
        match step {
            Some(step) => match by_step
                .iter_mut()
                .find(|f| f.instruction == step.instruction)
            {
                Some(f) => f.packages.push(fix.package),
                None => by_step.push(StepFixes {
                    stage: step.stage,
                    instruction: step.instruction,
                    line: step.line,
                    step: step.text.clone(),
                    packages: vec![fix.package],
                }),
            },
            None => rest.push(fix.package),
        }
    }
    by_step.sort_by_key(|f| f.instruction);
    (by_step, rest)
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}

/// `https://user:token@host/x` → `https://host/x`.
fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            if path.is_empty() && !rest.contains('/') {
                format!("{scheme}://{host}")
            } else {
                format!("{scheme}://{host}/{path}")
            }
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_urls_lose_their_credentials() {
        assert_eq!(
            without_credentials("https://ci:tok3n@git.example.test/org/app.git"),
            "https://git.example.test/org/app.git"
        );
        assert_eq!(
            without_credentials("https://git.example.test"),
            "https://git.example.test"
        );
        assert_eq!(
            without_credentials("git@git.example.test:org/app.git"),
            "git@git.example.test:org/app.git"
        );
    }

    #[test]
    fn secret_build_args_are_refused_with_the_secret_mount_advice() {
        let request = Request {
            build_args: vec![
                ("VERSION".into(), "1.2".into()),
                (
                    "NPM_TOKEN".into(),
                    "npm_0123456789abcdefghijABCDEFGHIJ012345".into(),
                ),
            ],
            ..Request::default()
        };
        let error = refuse_secret_build_args(&request).unwrap_err().to_string();
        assert!(error.contains("NPM_TOKEN"), "{error}");
        assert!(!error.contains("VERSION"), "{error}");
        assert!(
            !error.contains("npm_0123456789"),
            "the value is never echoed: {error}"
        );
        assert!(error.contains("--mount=type=secret"), "{error}");
        let forced = Request {
            allow_secret_build_args: true,
            ..request
        };
        assert!(refuse_secret_build_args(&forced).is_ok());
    }

    #[test]
    fn fixes_are_attributed_to_the_step_that_installed_them() {
        let file = drydock_dockerfile::parse(
            "FROM 127.0.0.1:5000/a:1 AS build\nRUN make\nFROM 127.0.0.1:5000/b:1\nRUN apt-get install -y demo\n",
        );
        let graph = file.stage_graph(&GraphOptions::default());
        let all = steps::steps(&file, &graph, &[0, 1]);
        let fix = |name: &str, created_by: &str| LayerFix {
            package: PackageFix {
                name: name.into(),
                installed: "1".into(),
                fixed: "2".into(),
                security: true,
            },
            created_by: Some(created_by.into()),
        };
        let (by_step, rest) = attribute_fixes(
            &all,
            1,
            vec![
                fix("demo", "RUN /bin/sh -c apt-get install -y demo # buildkit"),
                fix("libc6", "ADD file:abc in / "),
                fix("make", "RUN /bin/sh -c make # buildkit"),
            ],
        );
        assert_eq!(by_step.len(), 1);
        assert_eq!(by_step[0].line, 4);
        assert_eq!(by_step[0].packages[0].name, "demo");
        let rest: Vec<&str> = rest.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            rest,
            ["libc6", "make"],
            "only final-stage steps are in the image"
        );
    }
}
