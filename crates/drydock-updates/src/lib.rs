//! Pending OS package updates of an image, without a CVE feed: the image's
//! own package sources are read, their indexes fetched and verified the way
//! the package manager does, and installed versions compared with the newest
//! available by the distribution's own version ordering.
//!
//! * apt: `sources.list`, `sources.list.d/*.list` and deb822 `*.sources`
//!   ([`sources`]); `InRelease` (or `Release` + `Release.gpg`) verified
//!   against the image's keyrings — `Signed-By` files, fingerprints or
//!   embedded keys, else `/etc/apt/trusted.gpg{,.d/*.gpg,.d/*.asc}`;
//!   `Valid-Until` enforced; `Packages(.gz|.xz)` checked
//!   against the SHA-256 the signed Release lists ([`release`], [`index`]).
//!   The candidate is apt's by its default pin priorities (`NotAutomatic`
//!   suites never, `ButAutomaticUpgrades` ones only for what is installed
//!   from them), so the result matches `apt list --upgradable` (without
//!   `/etc/apt/preferences` pins, which a notice mentions).
//! * The image is walked twice in parallel, once by
//!   [`drydock_packages::inventory`] and once for the package-manager
//!   configuration files: a registry image's layers are downloaded twice.
//! * apk: `/etc/apk/repositories`; `APKINDEX.tar.gz` RSA signatures checked
//!   against `/etc/apk/keys`.
//! * rpm: `/etc/yum.repos.d/*.repo` ([`rpmmd`]); `repodata/repomd.xml`
//!   (its `.asc` signature checked against the repository's `gpgkey` when
//!   `repo_gpgcheck=1`), then `primary` and `updateinfo` checked against the
//!   SHA-256 and size `repomd.xml` lists. Security updates are the ones a
//!   `type="security"` advisory of `updateinfo` lists.
//! * Anything that prevents a complete answer — an unreachable mirror, a bad
//!   signature or checksum, an unknown distribution — is an [`Error`], never
//!   an empty list.

mod apk;
mod apt;
mod error;
mod facts;
mod fetch;
mod files;
pub mod index;
pub mod release;
mod rpm;
pub mod rpmmd;
mod signature;
pub mod sources;

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};

use drydock_findings::{Finding, ImageLocation, Location, Report, RuleInfo, Severity, TargetKind};
use drydock_image::{Image, ImageSource};
use drydock_packages::{Distro, Ecosystem, Package};

pub use error::{Error, Result};
pub use facts::ImageFacts;
pub use fetch::{FetchOptions, Mirror};
use index::Available;

/// What [`pending_updates`] does.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Where indexes come from (mirrors, index folder, cache).
    pub fetch: FetchOptions,
    /// Only updates from security suites count.
    pub security_only: bool,
}

/// One installed package with a newer version available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpdate {
    /// Package format.
    pub ecosystem: Ecosystem,
    /// Binary package name.
    pub name: String,
    /// Installed architecture.
    pub architecture: Option<String>,
    /// Installed version.
    pub installed_version: String,
    /// The version the package manager would install (the newest available).
    pub fixed_version: String,
    /// Archives (`Suite` of apt Releases, `branch/repo` for apk, the repository
    /// id for rpm) offering `fixed_version`.
    pub suites: Vec<String>,
    /// Security advisories (rpm `updateinfo` ids) fixed by updating to `fixed_version`.
    pub advisories: Vec<String>,
    /// Whether a security suite offers a version newer than the installed one
    /// (and not newer than `fixed_version`): installing it fixes a vulnerability.
    pub security: bool,
    /// Source package (advisories are keyed by it).
    pub source_name: String,
    /// Layer that installed or last changed the package.
    pub layer: usize,
    /// Package database it was read from.
    pub database: String,
}

/// The result for one image.
#[derive(Debug, Clone, Default)]
pub struct Updates {
    /// From os-release.
    pub distro: Option<Distro>,
    /// Packages installed.
    pub installed: usize,
    /// Package versions read from the indexes (of installed names).
    pub available: usize,
    /// Pending updates, by name and architecture.
    pub updates: Vec<PendingUpdate>,
    /// Whether the sources say which updates fix vulnerabilities (apt: security
    /// suites; rpm: an `updateinfo` in some repository). When `false` (apk, rpm
    /// repositories without updateinfo), no update is marked `security` —
    /// which does not mean none is one.
    pub security_known: bool,
    /// Index bytes received over the network (not from the cache or an index folder).
    pub fetched_bytes: u64,
    /// Index files served from the cache directory.
    pub cache_hits: u64,
    /// Things the user should know (index files the repository does not list,
    /// ignored keyrings, pins not applied).
    pub notices: Vec<String>,
}

/// A version some repository offers, with where it comes from.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    available: Available,
    archive: String,
    security: bool,
    /// apt's pin priority (500 normal, 100 `ButAutomaticUpgrades`, 1
    /// `NotAutomatic` or an apk `@tag` repository).
    priority: u16,
}

/// A version a security advisory (rpm `updateinfo`) says fixes a vulnerability.
#[derive(Debug, Clone)]
pub(crate) struct SecurityFix {
    available: Available,
    advisory: String,
}

#[derive(Debug, Default)]
pub(crate) struct Collected {
    candidates: Vec<Candidate>,
    /// rpm: the packages security advisories list.
    security_fixes: Vec<SecurityFix>,
    /// rpm: whether some repository publishes an `updateinfo`.
    security_listed: bool,
    notices: Vec<String>,
}

/// Lists the pending updates of the image `source` opens. With a cache
/// directory, what is read of the image is kept there by image id
/// ([`ImageFacts::cached`]) and the layers are not walked again.
///
/// # Errors
/// See [`Error`]: the image or its package database is unreadable, the
/// distribution is not supported, a source file is malformed, an index cannot
/// be fetched, or a signature or checksum does not verify.
pub fn pending_updates(source: &dyn ImageSource, options: &Options) -> Result<Updates> {
    let read = || ImageFacts::read(source);
    let facts = match (&options.fetch.cache_dir, &source.image().config_digest) {
        (Some(dir), Some(id)) => ImageFacts::cached(dir, &id.to_string(), read)?,
        _ => read()?,
    };
    pending_updates_in(facts, options)
}

/// Lists the pending updates of an image from what was read of it (see
/// [`ImageFacts::cached`]); only the indexes are fetched.
///
/// # Errors
/// As [`pending_updates`], but for reading the image.
pub fn pending_updates_in(facts: ImageFacts, options: &Options) -> Result<Updates> {
    let ImageFacts {
        inventory,
        files,
        architecture,
        ..
    } = facts;
    let fetcher = fetch::Fetcher::new(options.fetch.clone())?;
    let count = |e| {
        inventory
            .packages
            .iter()
            .filter(|p| p.ecosystem == e)
            .count()
    };
    let ecosystem = [Ecosystem::Deb, Ecosystem::Apk, Ecosystem::Rpm]
        .into_iter()
        .max_by_key(|e| count(*e))
        .filter(|e| count(*e) > 0);
    let installed: Vec<&Package> = match ecosystem {
        Some(e) => inventory
            .packages
            .iter()
            .filter(|p| p.ecosystem == e)
            .collect(),
        None => Vec::new(),
    };
    let names: HashSet<&str> = installed.iter().map(|p| p.name.as_str()).collect();
    let wanted = |name: &str| names.contains(name);
    let distro_name = inventory
        .distro
        .as_ref()
        .and_then(|d| d.pretty_name.clone().or_else(|| Some(d.id.clone())))
        .unwrap_or_else(|| "no os-release".into());
    let image_arch = architecture.as_deref();
    let (collected, native) = match ecosystem {
        Some(Ecosystem::Deb) => {
            let sources = apt::sources(&files)?;
            if sources.is_empty() {
                return Err(Error::Unsupported(format!(
                    "the image ({distro_name}) has dpkg packages but no apt source \
                     (/etc/apt/sources.list, /etc/apt/sources.list.d/*.list|*.sources)"
                )));
            }
            let native = installed
                .iter()
                .find(|p| p.name == "dpkg")
                .and_then(|p| p.architecture.clone())
                .or_else(|| image_arch.and_then(debian_arch))
                .ok_or_else(|| {
                    Error::Unsupported("cannot tell the image's dpkg architecture".into())
                })?;
            let mut architectures = vec![native.clone()];
            if let Some(extra) = files.get("/var/lib/dpkg/arch") {
                for a in String::from_utf8_lossy(extra).split_whitespace() {
                    if !architectures.iter().any(|x| x == a) {
                        architectures.push(a.to_owned());
                    }
                }
            }
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let mut collected =
                apt::collect(&files, &sources, &architectures, &fetcher, &wanted, now)?;
            let pins: Vec<String> = std::iter::once("/etc/apt/preferences".to_owned())
                .chain(files.list("/etc/apt/preferences.d"))
                .filter(|p| files.get(p).is_some())
                .collect();
            if !pins.is_empty() {
                collected.notices.push(format!(
                    "apt pin priorities ({}) are not applied: every suite counts with the default priority",
                    pins.join(", ")
                ));
            }
            (collected, Some(native))
        }
        Some(Ecosystem::Apk) => {
            if options.security_only {
                return Err(Error::Unsupported(
                    "apk repositories do not separate security fixes from other updates; \
                     --security-only applies to apt-based images only"
                        .into(),
                ));
            }
            let repositories = apk::repositories(&files)?;
            if repositories.is_empty() {
                return Err(Error::Unsupported(format!(
                    "the image ({distro_name}) has apk packages but no /etc/apk/repositories"
                )));
            }
            let arch = apk::architecture(&files, image_arch).ok_or_else(|| {
                Error::Unsupported("cannot tell the image's apk architecture".into())
            })?;
            (
                apk::collect(&files, &repositories, &arch, &fetcher, &wanted)?,
                None,
            )
        }
        Some(Ecosystem::Rpm) => {
            let arch = rpm::architecture(&installed, image_arch).ok_or_else(|| {
                Error::Unsupported("cannot tell the image's rpm architecture".into())
            })?;
            let vars = rpm::variables(&files, inventory.distro.as_ref(), &arch);
            let (repos, notices) = rpm::repositories(&files, &vars)?;
            if repos.is_empty() {
                let why = if notices.is_empty() {
                    String::new()
                } else {
                    format!(": {}", notices.join("; "))
                };
                return Err(Error::Unsupported(format!(
                    "the image ({distro_name}) has rpm packages but no enabled repository with a \
                     baseurl (/etc/yum.repos.d/*.repo){why}"
                )));
            }
            let mut collected = rpm::collect(&files, &repos, &fetcher, &wanted)?;
            if options.security_only && !collected.security_listed {
                return Err(Error::Unsupported(
                    "no repository of the image publishes an updateinfo, so security fixes \
                     cannot be told from other updates; --security-only needs one"
                        .into(),
                ));
            }
            collected.notices.splice(0..0, notices);
            (collected, Some(arch))
        }
        None => {
            return Err(Error::Unsupported(format!(
                "cannot tell the image's distribution ({distro_name}): no dpkg, apk or rpm package database"
            )));
        }
    };
    let available = collected.candidates.len();
    let security_known = ecosystem == Some(Ecosystem::Deb) || collected.security_listed;
    let mut notices = collected.notices;
    let updates = compare(
        &installed,
        collected.candidates,
        &collected.security_fixes,
        native.as_deref(),
        options.security_only,
        &mut notices,
    );
    Ok(Updates {
        distro: inventory.distro,
        installed: installed.len(),
        available,
        updates,
        security_known,
        fetched_bytes: fetcher.fetched_bytes.into_inner(),
        cache_hits: fetcher.cache_hits.into_inner(),
        notices,
    })
}

/// `GOARCH` of the image configuration → dpkg architecture.
fn debian_arch(arch: &str) -> Option<String> {
    Some(
        match arch {
            "amd64" | "arm64" | "s390x" | "riscv64" => arch,
            "386" => "i386",
            "arm" => "armhf",
            "ppc64le" => "ppc64el",
            "mips64le" => "mips64el",
            _ => return None,
        }
        .to_owned(),
    )
}

/// apt's candidate per installed package (apt_preferences(5) without pins):
/// the installed version has priority 100, or its suite's if it is still
/// offered; the candidate is the version of the highest priority, the highest
/// version among equals, never a downgrade. An update is pending when the
/// candidate is newer than the installed version; it is a security update when
/// a security suite offers a version newer than the installed one and not
/// newer than the candidate, or a security advisory (`fixes`) lists such a
/// version. Names match by architecture (`all` and `noarch` count as the
/// native one).
fn compare(
    installed: &[&Package],
    candidates: Vec<Candidate>,
    fixes: &[SecurityFix],
    native: Option<&str>,
    security_only: bool,
    notices: &mut Vec<String>,
) -> Vec<PendingUpdate> {
    let arch = |a: Option<&str>| match (a, native) {
        (Some("all" | "noarch"), Some(n)) => Some(n.to_owned()),
        (a, Some(_)) => a.map(str::to_owned),
        (_, None) => None,
    };
    let mut by_key: BTreeMap<(String, Option<String>), Vec<Candidate>> = BTreeMap::new();
    for c in candidates {
        let key = (
            c.available.name.clone(),
            arch(Some(&c.available.architecture)),
        );
        by_key.entry(key).or_default().push(c);
    }
    let mut fixes_by_key: BTreeMap<(String, Option<String>), Vec<&SecurityFix>> = BTreeMap::new();
    for f in fixes {
        let key = (
            f.available.name.clone(),
            arch(Some(&f.available.architecture)),
        );
        fixes_by_key.entry(key).or_default().push(f);
    }
    let mut bad_versions = BTreeMap::new();
    let mut updates = Vec::new();
    for p in installed {
        let key = (p.name.clone(), arch(p.architecture.as_deref()));
        let Some(offered) = by_key.get(&key) else {
            continue;
        };
        let order = |a: &str, b: &str| drydock_packages::compare(p.ecosystem, a, b);
        let mut installed_priority = 100;
        let mut newer: Vec<&Candidate> = Vec::new();
        for c in offered {
            match order(&c.available.version, &p.version) {
                Ok(Ordering::Greater) => newer.push(c),
                Ok(Ordering::Equal) => installed_priority = installed_priority.max(c.priority),
                Ok(Ordering::Less) => {}
                Err(e) => {
                    bad_versions.insert(c.available.version.clone(), e.to_string());
                }
            }
        }
        let best = newer.iter().copied().reduce(|a, b| {
            let b_wins = b.priority > a.priority
                || (b.priority == a.priority
                    && order(&b.available.version, &a.available.version) == Ok(Ordering::Greater));
            if b_wins { b } else { a }
        });
        let Some(best) = best.filter(|b| b.priority >= installed_priority) else {
            continue;
        };
        let fixing = |version: &str| {
            order(version, &p.version) == Ok(Ordering::Greater)
                && order(version, &best.available.version) != Ok(Ordering::Greater)
        };
        let mut advisories: Vec<String> = fixes_by_key
            .get(&key)
            .into_iter()
            .flatten()
            .filter(|f| fixing(&f.available.version))
            .map(|f| f.advisory.clone())
            .collect();
        advisories.sort();
        advisories.dedup();
        let security = !advisories.is_empty()
            || newer
                .iter()
                .any(|c| c.security && fixing(&c.available.version));
        if security_only && !security {
            continue;
        }
        let mut suites: Vec<String> = newer
            .iter()
            .filter(|c| order(&c.available.version, &best.available.version) == Ok(Ordering::Equal))
            .map(|c| c.archive.clone())
            .collect();
        suites.sort();
        suites.dedup();
        updates.push(PendingUpdate {
            ecosystem: p.ecosystem,
            name: p.name.clone(),
            architecture: p.architecture.clone(),
            installed_version: p.version.clone(),
            fixed_version: best.available.version.clone(),
            suites,
            advisories,
            security,
            source_name: p.source_name.clone(),
            layer: p.layer,
            database: p.database.clone(),
        });
    }
    for (version, error) in bad_versions {
        notices.push(format!(
            "ignored an index entry with an invalid version {version:?}: {error}"
        ));
    }
    updates
}

/// `DD601`: a security update is pending.
pub const SECURITY_UPDATE: (&str, &str) = ("DD601", "security-update-pending");
/// `DD602`: a (non-security) update is pending.
pub const UPDATE: (&str, &str) = ("DD602", "update-pending");

/// The rules `drydock updates` reports, in code order.
pub static RULES: &[RuleInfo] = &[
    RuleInfo {
        code: Cow::Borrowed(SECURITY_UPDATE.0),
        name: Cow::Borrowed(SECURITY_UPDATE.1),
        summary: Cow::Borrowed(
            "An installed OS package has a newer version in a security suite (or security advisory) of the image's own sources",
        ),
        default_severity: Severity::Error,
        hadolint: None,
        docs: Some(Cow::Borrowed(
            r#"## What it does
Reads the image's own package sources (apt `sources.list`, `sources.list.d/*.list` and
`*.sources`; apk `/etc/apk/repositories`; dnf/yum `/etc/yum.repos.d/*.repo`), fetches their
indexes, verifies them the way the package manager does (the `InRelease` signature against the
image's own keyring, each `Packages` file against the checksum the signed `Release` lists;
`APKINDEX.tar.gz` against `/etc/apk/keys`; `repomd.xml.asc` against the repository's `gpgkey`
when `repo_gpgcheck=1`, `primary` and `updateinfo` against the checksums `repomd.xml` lists), and
reports each installed package for which a security suite (`*-security`, or a `Label` naming
security) offers, or a security advisory of an rpm repository's `updateinfo` lists, a newer
version than the one installed, up to the version the package manager would install
(`apt list --upgradable`'s or `dnf check-update`'s candidate). The finding points at the layer
that installed the package. No CVE feed is needed.

## Why is this bad?
The fix is published, but the image still ships the vulnerable version: a cached layer froze the
package at the version of the day it was first built.

## Example
```dockerfile
FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends openssl
```
built months ago and rebuilt since from cache.

## How to fix
Rebuild so that the package-installing layer runs again against current indexes: refresh the
base image (`docker build --pull`) and invalidate the cache of the `apt-get install` step (a
build argument with the date, or `--no-cache-filter`). Avoid `apt-get upgrade` in a layer that
stays cached (DD103).
"#,
        )),
    },
    RuleInfo {
        code: Cow::Borrowed(UPDATE.0),
        name: Cow::Borrowed(UPDATE.1),
        summary: Cow::Borrowed(
            "An installed OS package has a newer version in the image's own sources",
        ),
        default_severity: Severity::Warning,
        hadolint: None,
        docs: Some(Cow::Borrowed(
            r#"## What it does
Like DD601 (same sources, same verification, same candidate as `apt list --upgradable`), for
updates that no security suite offers: point releases, `-updates` suites, third-party
repositories, rpm updates no security advisory lists, and every apk update (apk repositories do
not separate security fixes).
`drydock updates --security-only` leaves these out.

## Why is this bad?
Bug fixes are pending, and a stale package set makes the next security update larger and
riskier. Images that lag behind their own sources are usually rebuilt only from cache.

## Example
```dockerfile
FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates
```
built before the last point release.

## How to fix
Rebuild the layer that installed the package against fresh indexes (see DD601), on a schedule
(`drydock watch`) rather than by hand.
"#,
        )),
    },
];

/// The findings report: one finding per pending update, located at the
/// layer that installed the package.
pub fn report(image: &Image, updates: &Updates) -> Report {
    let findings = updates
        .updates
        .iter()
        .map(|u| {
            let layer = image.layers.get(u.layer);
            let ((code, name), severity, kind) = if u.security {
                (SECURITY_UPDATE, Severity::Error, "security update")
            } else {
                (UPDATE, Severity::Warning, "update")
            };
            let arch = u
                .architecture
                .as_deref()
                .map_or(String::new(), |a| format!(":{a}"));
            let source = if u.source_name != u.name {
                format!("; source package {}", u.source_name)
            } else {
                String::new()
            };
            let advisories = if u.advisories.is_empty() {
                String::new()
            } else {
                format!("; fixes {}", u.advisories.join(", "))
            };
            let message = format!(
                "{}{arch} {} has a pending {kind}: {} ({}{source}{advisories})",
                u.name,
                u.installed_version,
                u.fixed_version,
                u.suites.join(", ")
            );
            let location = Location::Image(ImageLocation {
                layer: u.layer,
                diff_id: layer
                    .and_then(|l| l.diff_id.as_ref())
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                created_by: layer
                    .and_then(|l| l.created_by())
                    .map(|c| drydock_secrets::redact_text(c).into_owned()),
                path: Some(u.database.clone()),
            });
            Finding::new(code, name, severity, message, location).with_help(
                "rebuild the image so that this layer installs the new version (e.g. refresh the \
                 base image and rebuild without cache for the package-installing step)",
            )
        })
        .collect();
    let mut report = Report {
        target_kind: TargetKind::Image,
        targets: vec![
            image
                .reference
                .clone()
                .unwrap_or_else(|| image.source.clone()),
        ],
        findings,
        rules: RULES.to_vec(),
        notices: std::iter::once(format!(
            "{}: {} installed packages compared with {} versions from the image's own sources \
             ({} index bytes fetched, {} index files from the cache)",
            updates
                .distro
                .as_ref()
                .and_then(|d| d.pretty_name.clone())
                .unwrap_or_else(|| "unknown distribution".into()),
            updates.installed,
            updates.available,
            updates.fetched_bytes,
            updates.cache_hits
        ))
        .chain(updates.notices.iter().cloned())
        .collect(),
        ..Report::default()
    };
    report.sort();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installed(name: &str, version: &str) -> Package {
        Package {
            ecosystem: Ecosystem::Deb,
            name: name.into(),
            version: version.into(),
            architecture: Some("amd64".into()),
            source_name: name.into(),
            source_version: version.into(),
            license: None,
            layer: 1,
            database: "/var/lib/dpkg/status".into(),
        }
    }

    fn offer(name: &str, version: &str, archive: &str, priority: u16) -> Candidate {
        Candidate {
            available: Available {
                name: name.into(),
                version: version.into(),
                architecture: "all".into(),
            },
            archive: archive.into(),
            security: archive.ends_with("-security"),
            priority,
        }
    }

    fn pending(
        installed: &[Package],
        offers: Vec<Candidate>,
        security_only: bool,
    ) -> Vec<(String, String, bool)> {
        let refs: Vec<&Package> = installed.iter().collect();
        let mut notices = Vec::new();
        compare(
            &refs,
            offers,
            &[],
            Some("amd64"),
            security_only,
            &mut notices,
        )
        .into_iter()
        .map(|u| (u.name, u.fixed_version, u.security))
        .collect()
    }

    #[test]
    fn candidate_follows_apt_priorities() {
        let pkgs = [
            installed("a", "1.0-1"),
            installed("b", "2.0-1~bpo12+1"),
            installed("c", "1.0-1"),
        ];
        let offers = vec![
            // a: in main; a security fix, and a newer backport apt does not pick for main packages.
            offer("a", "1.0-1", "stable", 500),
            offer("a", "1.0-1+deb12u1", "stable-security", 500),
            offer("a", "3.0-1~bpo12+1", "stable-backports", 100),
            // b: installed from backports, which has a newer version: apt upgrades it.
            offer("b", "2.0-1~bpo12+2", "stable-backports", 100),
            offer("b", "1.5-1", "stable", 500),
            // c: only experimental (NotAutomatic) has a newer one.
            offer("c", "1.0-1", "stable", 500),
            offer("c", "9.0-1", "experimental", 1),
        ];
        assert_eq!(
            pending(&pkgs, offers.clone(), false),
            [
                ("a".into(), "1.0-1+deb12u1".into(), true),
                ("b".into(), "2.0-1~bpo12+2".into(), false)
            ]
        );
        assert_eq!(
            pending(&pkgs, offers, true),
            [("a".into(), "1.0-1+deb12u1".into(), true)]
        );
    }

    #[test]
    fn a_point_release_superseding_a_security_fix_is_still_a_security_update() {
        let pkgs = [installed("a", "1.0-1")];
        let offers = vec![
            offer("a", "1.0-1+deb12u1", "stable-security", 500),
            offer("a", "1.0-1+deb12u2", "stable-updates", 500),
            offer("a", "0.9-1", "stable", 500),
            offer("a", "not a version!", "stable", 500),
        ];
        assert_eq!(
            pending(&pkgs, offers, false),
            [("a".into(), "1.0-1+deb12u2".into(), true)]
        );
        let newer_only = vec![offer("a", "1.0-1+deb12u2", "stable-updates", 500)];
        assert_eq!(
            pending(&pkgs, newer_only.clone(), false),
            [("a".into(), "1.0-1+deb12u2".into(), false)]
        );
        assert!(pending(&pkgs, newer_only, true).is_empty());
    }

    #[test]
    fn rpm_advisories_noarch_and_repository_priorities() {
        let rpm = |name: &str, version: &str, arch: &str| Package {
            ecosystem: Ecosystem::Rpm,
            architecture: Some(arch.into()),
            database: "/var/lib/rpm/rpmdb.sqlite".into(),
            ..installed(name, version)
        };
        let offer = |name: &str, version: &str, arch: &str, repo: &str, priority: u16| Candidate {
            available: Available {
                name: name.into(),
                version: version.into(),
                architecture: arch.into(),
            },
            archive: repo.into(),
            security: false,
            priority,
        };
        let fix = |version: &str, advisory: &str| SecurityFix {
            available: Available {
                name: "a".into(),
                version: version.into(),
                architecture: "x86_64".into(),
            },
            advisory: advisory.into(),
        };
        let pkgs = [
            rpm("a", "1.0-1", "x86_64"),
            rpm("b", "2.0-1", "noarch"),
            rpm("c", "1.0-1", "x86_64"),
        ];
        let refs: Vec<&Package> = pkgs.iter().collect();
        let offers = vec![
            offer("a", "1.0-3", "x86_64", "updates", 901),
            offer("a", "1:0.1-1", "x86_64", "epoch", 901),
            offer("b", "2.1-1", "x86_64", "updates", 901),
            // c: a repository with priority=10 still offers the installed version.
            offer("c", "1.0-1", "x86_64", "pinned", 990),
            offer("c", "2.0-1", "x86_64", "updates", 901),
        ];
        // SEC-1's version is no longer in any primary but older than the candidate: the update
        // fixes it. SEC-2's is newer than the candidate: it does not.
        let fixes = [fix("1.0-2", "SEC-1"), fix("1:0.2-1", "SEC-2")];
        let mut notices = Vec::new();
        let got: Vec<_> = compare(&refs, offers, &fixes, Some("x86_64"), false, &mut notices)
            .into_iter()
            .map(|u| (u.name, u.fixed_version, u.suites, u.security, u.advisories))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "a".into(),
                    "1:0.1-1".into(),
                    vec!["epoch".to_owned()],
                    true,
                    vec!["SEC-1".to_owned()]
                ),
                (
                    "b".into(),
                    "2.1-1".into(),
                    vec!["updates".to_owned()],
                    false,
                    vec![]
                ),
            ]
        );
    }
}
