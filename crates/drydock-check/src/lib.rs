//! `drydock check`: does an image need a rebuild?
//!
//! [`check`] takes a resolved [`Image`] and returns a [`Report`] whose
//! findings are the reasons to rebuild, plus an [`Outcome`] saying what the
//! base is and whether it moved:
//!
//! * **The base** is identified by the OCI `org.opencontainers.image.base.name`
//!   and `.base.digest` config labels (or the same manifest annotations);
//!   else by the candidates of [`CheckOptions::candidates`] (`--base`): the
//!   candidate whose current layers (`rootfs.diff_ids`, for the image's
//!   platform) are the longest prefix of the image's layers; else it stays
//!   unknown (`DD803`), with what the build history suggests — a history
//!   never records the base's name or digest.
//! * **Has it moved** (`DD801`): one `HEAD` on the base's tag in its registry
//!   ([`drydock_registry`]); a different digest is then resolved for the
//!   image's platform (an index's child is compared too). Without a recorded
//!   digest, the base's current layers must still be the image's first
//!   layers. A deleted tag is `DD802`.
//! * **Pending security updates** (`DD804`): the caller passes them (see
//!   [`SecurityUpdate`]): they come from the updates engine, which reads the
//!   distribution's security repositories.
//! * **Age** (`DD805`): creation time against [`CheckOptions::max_age`].
//!
//! The verdict — rebuild or not, and why — is the first notice of the
//! report; the findings carry the details and decide the exit status.

mod base;
mod rules;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use drydock_findings::{
    ConfigLocation, Finding, ImageLocation, Location, Report, Severity, TargetKind,
};
use drydock_image::{Image, ImageConfig};
use drydock_registry::{BlockingClient, ClientConfig, Digest, Platform, Reference};

pub use base::{BASE_DIGEST, BASE_NAME, Evidence, Recorded, history_hint, recorded_base};
pub use rules::{BASE_GONE, BASE_MOVED, BASE_UNKNOWN, REBUILD_OVERDUE, RULES, SECURITY_UPDATE};

/// `Result<T, drydock_check::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What stops a check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The base's registry could not be asked (other than "not found").
    #[error(transparent)]
    Registry(#[from] drydock_registry::Error),
    /// A candidate's configuration is unreadable.
    #[error("{reference}: configuration: {message}")]
    Config {
        /// The candidate.
        reference: String,
        /// What is wrong.
        message: String,
    },
}

/// Settings of a check.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Images that may be the base (`--base`), tried when the image does
    /// not name its base.
    pub candidates: Vec<String>,
    /// `DD805` fires when the image is older than this.
    pub max_age: Option<Duration>,
    /// "Now" for the age check (tests); `None` is the system clock.
    pub now: Option<SystemTime>,
    /// Registry client settings (timeouts, retries, credentials).
    pub registry: ClientConfig,
}

/// A security update pending for an installed package. Produced by the
/// updates engine (`drydock updates`): its pending updates that come from
/// the distribution's security repositories, mapped field by field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityUpdate {
    /// Binary package name.
    pub name: String,
    /// Version in the image.
    pub installed_version: String,
    /// Version the security repository offers.
    pub fixed_version: String,
    /// Layer that installed the package (0 = base).
    pub layer: usize,
}

/// The base image as identified, and what its registry says now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseImage {
    /// The reference followed (`registry.example.test/debian:12`).
    pub name: String,
    /// How it was identified.
    pub evidence: Evidence,
    /// The digest recorded at build time, when recorded.
    pub recorded_digest: Option<String>,
    /// What the registry says now.
    pub status: BaseStatus,
}

/// The base's state in its registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseStatus {
    /// The tag still points to the image's base (`digest`: what it points to).
    Unchanged {
        /// Current digest (of the platform's image manifest).
        digest: String,
    },
    /// The tag points elsewhere now.
    Moved {
        /// The recorded digest, if recorded.
        from: Option<String>,
        /// The current digest (of the platform's image manifest).
        to: String,
    },
    /// The registry does not know the tag any more.
    Gone,
    /// Not asked, and why.
    NotChecked(String),
}

/// Everything a check found.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The base, when identified.
    pub base: Option<BaseImage>,
    /// Whether the image should be rebuilt (a finding of warning or above).
    pub rebuild: bool,
    /// Findings, with the verdict as the first notice.
    pub report: Report,
}

/// What other engines found about the image, to weigh into the verdict.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'a> {
    /// Pending security updates: `None` when they were not computed
    /// (the verdict says so), `Some(&[])` when there are none.
    pub pending_security: Option<&'a [SecurityUpdate]>,
    /// The `drydock advisories` report (`--osv`), when advisories were matched:
    /// its findings, rules and notices join the check's.
    pub advisories: Option<&'a Report>,
}

/// Checks `image` (see the crate documentation).
///
/// # Errors
/// A registry (of the base or a candidate) fails for another reason than
/// "not found", or a candidate's configuration is malformed.
pub fn check(image: &Image, opts: &CheckOptions, inputs: Inputs<'_>) -> Result<Outcome> {
    let pending_security = inputs.pending_security;
    let mut findings = Vec::new();
    let mut notices = Vec::new();
    let mut registry = Registry::new(&opts.registry, platform_of(image));
    let base = identify_and_follow(image, opts, &mut registry, &mut findings, &mut notices)?;

    if let Some(updates) = pending_security {
        for u in updates {
            findings.push(
                Finding::new(
                    SECURITY_UPDATE.0,
                    SECURITY_UPDATE.1,
                    Severity::Warning,
                    format!(
                        "{} {} has a security update: {}",
                        u.name, u.installed_version, u.fixed_version
                    ),
                    image_location(image, u.layer),
                )
                .with_help("rebuild with `docker build --pull`, without reusing the cached layer that installs the package"),
            );
        }
    }
    age(image, opts, &mut findings, &mut notices);

    let mut rules = RULES.to_vec();
    if let Some(advisories) = inputs.advisories {
        findings.extend(advisories.findings.iter().cloned());
        rules.extend(advisories.rules.iter().cloned());
        notices.extend(advisories.notices.iter().cloned());
    }
    let rebuild = findings.iter().any(|f| f.severity >= Severity::Warning);
    let mut verdict = if rebuild {
        format!("verdict: rebuild — {}", reasons(&findings).join("; "))
    } else {
        "verdict: up to date".to_owned()
    };
    if pending_security.is_none() {
        verdict.push_str(" (pending security updates not checked)");
    }
    notices.insert(0, verdict);
    let mut report = Report {
        target_kind: TargetKind::Image,
        targets: vec![image.source.clone()],
        findings,
        rules,
        notices,
        ..Report::default()
    };
    report.sort();
    Ok(Outcome {
        base,
        rebuild,
        report,
    })
}

/// Why to rebuild, one phrase per rule with findings of warning or above, in
/// order of first appearance.
fn reasons(findings: &[Finding]) -> Vec<String> {
    let mut counts: Vec<(&str, &str, usize)> = Vec::new();
    for f in findings.iter().filter(|f| f.severity >= Severity::Warning) {
        match counts.iter_mut().find(|(code, _, _)| *code == f.code) {
            Some(entry) => entry.2 += 1,
            None => counts.push((&f.code, &f.name, 1)),
        }
    }
    counts
        .into_iter()
        .map(|(code, name, n)| match code {
            c if c == BASE_MOVED.0 => "the base image moved".to_owned(),
            c if c == BASE_GONE.0 => "the base image's tag is gone".to_owned(),
            c if c == SECURITY_UPDATE.0 => format!("{n} security update(s) pending"),
            c if c == REBUILD_OVERDUE.0 => "older than the age policy".to_owned(),
            _ => format!("{name} ({n})"),
        })
        .collect()
}

fn platform_of(image: &Image) -> Platform {
    let mut platform = Platform::linux_amd64();
    if let Some(os) = &image.config.os {
        platform.os.clone_from(os);
    }
    if let Some(arch) = &image.config.architecture {
        platform.architecture.clone_from(arch);
    }
    platform.variant.clone_from(&image.config.variant);
    platform
}

fn config_location(field: &str) -> Location {
    Location::Config(ConfigLocation {
        field: field.to_owned(),
    })
}

fn image_location(image: &Image, layer: usize) -> Location {
    let l = image.layers.get(layer);
    Location::Image(ImageLocation {
        layer,
        diff_id: l
            .and_then(|l| l.diff_id.as_ref())
            .map(ToString::to_string)
            .unwrap_or_default(),
        created_by: l
            .and_then(|l| l.created_by())
            .map(|c| drydock_secrets::redact_text(c).into_owned()),
        path: None,
    })
}

fn identify_and_follow(
    image: &Image,
    opts: &CheckOptions,
    registry: &mut Registry,
    findings: &mut Vec<Finding>,
    notices: &mut Vec<String>,
) -> Result<Option<BaseImage>> {
    let diff_ids: Vec<String> = image
        .layers
        .iter()
        .filter_map(|l| l.diff_id.as_ref().map(ToString::to_string))
        .collect();
    if let Some(recorded) = recorded_base(image) {
        let field = match recorded.evidence {
            Evidence::Annotations => format!("manifest.annotations[{BASE_NAME:?}]"),
            _ => format!("config.Labels[{BASE_NAME:?}]"),
        };
        if !opts.candidates.is_empty() {
            notices.push(format!(
                "--base candidates were not tried: the image names its base ({})",
                recorded.evidence.describe()
            ));
        }
        let status = follow(&recorded, &diff_ids, registry)?;
        let base = BaseImage {
            name: recorded.name.clone(),
            evidence: recorded.evidence.clone(),
            recorded_digest: recorded.digest.clone(),
            status,
        };
        report_status(&base, &field, findings, notices);
        return Ok(Some(base));
    }
    let mut best: Option<(usize, String, String)> = None;
    for candidate in &opts.candidates {
        let current = match registry.current(candidate) {
            Ok(c) => c,
            Err(Error::Registry(e)) if e.is_not_found() => {
                notices.push(format!("--base {candidate}: not found in its registry"));
                continue;
            }
            Err(e) => return Err(e),
        };
        let shared = current
            .diff_ids
            .iter()
            .zip(&diff_ids)
            .take_while(|(a, b)| a == b)
            .count();
        if shared == current.diff_ids.len() && shared > 0 && shared <= diff_ids.len() {
            if best.as_ref().is_none_or(|(n, _, _)| shared > *n) {
                best = Some((shared, candidate.clone(), current.digest.clone()));
            }
        } else {
            notices.push(format!(
                "--base {candidate}: not the base (its {} layer(s) are not the image's first \
                 layers; {shared} shared){}",
                current.diff_ids.len(),
                if shared > 0 {
                    " — the image may be built on an older version of it"
                } else {
                    ""
                }
            ));
        }
    }
    if let Some((layers, name, digest)) = best {
        notices.push(format!(
            "base: {name} (layer match: its {layers} layer(s) are the image's first), \
             unchanged at {digest}"
        ));
        return Ok(Some(BaseImage {
            name,
            evidence: Evidence::LayerPrefix,
            recorded_digest: None,
            status: BaseStatus::Unchanged { digest },
        }));
    }
    let mut message = "the base image is not identified: no base labels or annotations".to_owned();
    if !opts.candidates.is_empty() {
        message.push_str(", and no --base candidate's layers begin the image");
    }
    if let Some(hint) = history_hint(image) {
        message.push_str(&format!("; {hint}, but a history does not name the base"));
    }
    findings.push(
        Finding::new(
            BASE_UNKNOWN.0,
            BASE_UNKNOWN.1,
            Severity::Info,
            message,
            config_location("config.Labels"),
        )
        .with_help(format!(
            "build with `--label {BASE_NAME}=IMAGE --label {BASE_DIGEST}=DIGEST`, or pass \
             `--base IMAGE` for each image that may be the base"
        )),
    );
    Ok(None)
}

/// Asks the registry where the recorded base's tag points now.
fn follow(recorded: &Recorded, diff_ids: &[String], registry: &mut Registry) -> Result<BaseStatus> {
    let reference = match Reference::parse(&recorded.name) {
        Ok(r) => r,
        Err(e) => {
            return Ok(BaseStatus::NotChecked(format!(
                "the recorded base name is not an image reference: {e}"
            )));
        }
    };
    if reference.tag().is_none() {
        return Ok(BaseStatus::NotChecked(
            "the base is named by digest only, so there is no tag to follow".into(),
        ));
    }
    // Follow the tag even when the name also pins a digest.
    let tag_ref = match recorded.name.split_once('@') {
        Some((tagged, _)) => Reference::parse(tagged)?,
        None => reference,
    };
    let shown = tag_ref.to_string();
    let Some(recorded_digest) = &recorded.digest else {
        // Only a name: the base's current layers must begin the image.
        let current = match registry.current(&shown) {
            Ok(c) => c,
            Err(Error::Registry(e)) if e.is_not_found() => return Ok(BaseStatus::Gone),
            Err(e) => return Err(e),
        };
        let prefix = current.diff_ids.len() <= diff_ids.len()
            && current.diff_ids.iter().zip(diff_ids).all(|(a, b)| a == b);
        return Ok(if prefix {
            BaseStatus::Unchanged {
                digest: current.digest,
            }
        } else {
            BaseStatus::Moved {
                from: None,
                to: current.digest,
            }
        });
    };
    let client = registry.client()?;
    let head = match client.block_on(client.client().head_manifest(&tag_ref)) {
        Ok(h) => h,
        Err(e) if e.is_not_found() => return Ok(BaseStatus::Gone),
        Err(e) => return Err(e.into()),
    };
    if same_digest(&head.digest.to_string(), recorded_digest) {
        return Ok(BaseStatus::Unchanged {
            digest: head.digest.to_string(),
        });
    }
    // The tag may name an index whose child for this platform is the recorded one.
    let platform = registry.platform.clone();
    let client = registry.client()?;
    let resolved = client.block_on(client.client().resolve_image(&tag_ref, &platform))?;
    let child = resolved.manifest_digest.to_string();
    if same_digest(&child, recorded_digest) {
        return Ok(BaseStatus::Unchanged { digest: child });
    }
    Ok(BaseStatus::Moved {
        from: Some(recorded_digest.clone()),
        to: child,
    })
}

fn report_status(
    base: &BaseImage,
    field: &str,
    findings: &mut Vec<Finding>,
    notices: &mut Vec<String>,
) {
    let name = &base.name;
    let how = base.evidence.describe();
    match &base.status {
        BaseStatus::Unchanged { digest } => {
            notices.push(format!("base: {name} ({how}), unchanged at {digest}"));
        }
        BaseStatus::Moved { from, to } => {
            let message = match from {
                Some(from) => format!(
                    "the base image {name} moved: built on {from}, the tag now points to {to}"
                ),
                None => format!(
                    "the base image {name} moved: its layers at {to} are no longer the first \
                     layers of this image"
                ),
            };
            findings.push(
                Finding::new(
                    BASE_MOVED.0,
                    BASE_MOVED.1,
                    Severity::Warning,
                    message,
                    config_location(field),
                )
                .with_help("rebuild with `docker build --pull` to pick up the new base"),
            );
        }
        BaseStatus::Gone => findings.push(
            Finding::new(
                BASE_GONE.0,
                BASE_GONE.1,
                Severity::Warning,
                format!("the base image {name} no longer exists in its registry"),
                config_location(field),
            )
            .with_help("move to a maintained base image tag and rebuild"),
        ),
        BaseStatus::NotChecked(why) => {
            notices.push(format!("base: {name} ({how}), not followed: {why}"));
        }
    }
}

fn age(image: &Image, opts: &CheckOptions, findings: &mut Vec<Finding>, notices: &mut Vec<String>) {
    let Some(max) = opts.max_age else {
        return;
    };
    let Some(created) = image.config.created.as_deref() else {
        notices.push("age check skipped: the image has no creation time".into());
        return;
    };
    let Some(created_secs) = drydock_scan::parse_rfc3339(created) else {
        notices.push(format!(
            "age check skipped: cannot parse the creation time `{created}`"
        ));
        return;
    };
    let now = opts.now.unwrap_or_else(SystemTime::now);
    let now = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let age = now - created_secs;
    if age > max.as_secs() as i64 {
        findings.push(
            Finding::new(
                REBUILD_OVERDUE.0,
                REBUILD_OVERDUE.1,
                Severity::Warning,
                format!(
                    "the image was built {} ago ({created}), more than the maximum age of {}",
                    drydock_scan::human_duration(age as u64),
                    drydock_scan::human_duration(max.as_secs())
                ),
                config_location("created"),
            )
            .with_help("rebuild regularly with `docker build --pull`"),
        );
    }
}

/// A candidate or base as its registry has it now.
struct Current {
    /// Digest of the platform's image manifest.
    digest: String,
    diff_ids: Vec<String>,
}

/// A registry client made on first use (a check without a base to follow
/// needs no network).
struct Registry {
    config: ClientConfig,
    platform: Platform,
    client: Option<BlockingClient>,
}

impl Registry {
    fn new(config: &ClientConfig, platform: Platform) -> Self {
        Self {
            config: config.clone(),
            platform,
            client: None,
        }
    }

    fn client(&mut self) -> Result<&BlockingClient> {
        if self.client.is_none() {
            self.client = Some(BlockingClient::new(self.config.clone())?);
        }
        Ok(self.client.as_ref().expect("just set"))
    }

    /// Resolves `reference` for the image's platform and reads its layers.
    fn current(&mut self, reference: &str) -> Result<Current> {
        let parsed = Reference::parse(reference)?;
        let platform = self.platform.clone();
        let client = self.client()?;
        let resolved = client.block_on(client.client().resolve_image(&parsed, &platform))?;
        let raw = client.block_on(client.client().get_config(&resolved))?;
        let config: ImageConfig = serde_json::from_slice(&raw).map_err(|e| Error::Config {
            reference: reference.to_owned(),
            message: e.to_string(),
        })?;
        Ok(Current {
            digest: resolved.manifest_digest.to_string(),
            diff_ids: config
                .rootfs
                .map(|r| r.diff_ids.iter().map(ToString::to_string).collect())
                .unwrap_or_default(),
        })
    }
}

/// Digests compared parsed (a label may use upper-case hex), as text when
/// one does not parse.
fn same_digest(a: &str, b: &str) -> bool {
    match (a.parse::<Digest>(), b.parse::<Digest>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
