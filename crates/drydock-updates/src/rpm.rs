//! rpm (dnf, yum): `.repo` files → `repomd.xml` (signature-checked when
//! `repo_gpgcheck=1`) → `primary` and `updateinfo`, checked against the
//! checksums `repomd.xml` lists.

use std::collections::BTreeMap;

use drydock_packages::{Distro, Package};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::fetch::Fetcher;
use crate::files::ImageFiles;
use crate::rpmmd::{
    MainConfig, RepoConfig, RepoMdData, open_metadata, parse_main_config, parse_primary,
    parse_repo_file, parse_repomd, parse_updateinfo, substitute,
};
use crate::signature::{Keyring, verify_detached};
use crate::{Candidate, Collected, SecurityFix};

const MAIN_CONFIGS: [&str; 2] = ["/etc/dnf/dnf.conf", "/etc/yum.conf"];
/// dnf's default `reposdir`.
const REPOS_DIRS: [&str; 3] = [
    "/etc/yum.repos.d",
    "/etc/yum/repos.d",
    "/etc/distro.repos.d",
];
const VARS_DIRS: [&str; 2] = ["/etc/dnf/vars", "/etc/yum/vars"];

/// An enabled repository with a usable base URL, variables substituted.
#[derive(Debug, Clone)]
pub(crate) struct RpmRepo {
    config: RepoConfig,
    baseurl: String,
    gpgkeys: Vec<String>,
    repo_gpgcheck: bool,
}

/// The installed packages' architecture (the most common one that is not
/// `noarch`), else the image configuration's in rpm's words.
pub(crate) fn architecture(installed: &[&Package], config_arch: Option<&str>) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in installed {
        if let Some(a) = p.architecture.as_deref().filter(|a| *a != "noarch") {
            *counts.entry(a).or_default() += 1;
        }
    }
    if let Some((arch, _)) = counts.into_iter().max_by_key(|(_, n)| *n) {
        return Some(arch.to_owned());
    }
    Some(
        match config_arch? {
            "amd64" => "x86_64",
            "arm64" => "aarch64",
            "386" => "i686",
            "ppc64le" => "ppc64le",
            "s390x" => "s390x",
            "riscv64" => "riscv64",
            _ => return None,
        }
        .to_owned(),
    )
}

/// dnf's `$basearch` for an architecture.
fn basearch(arch: &str) -> &str {
    match arch {
        "i386" | "i486" | "i586" | "i686" | "athlon" | "geode" => "i386",
        a if a.starts_with("armv7") || a.starts_with("armv6") => "armhfp",
        a => a,
    }
}

/// The variables `.repo` files use: `$arch`, `$basearch`, `$releasever`
/// (and `_major`/`_minor`) from os-release `VERSION_ID` (its major part on
/// RHEL-like distributions, as their `system-release(releasever)` is), then
/// `/etc/dnf/vars/*` and `/etc/yum/vars/*`, which override.
pub(crate) fn variables(
    files: &ImageFiles,
    distro: Option<&Distro>,
    arch: &str,
) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    vars.insert("arch".to_owned(), arch.to_owned());
    vars.insert("basearch".to_owned(), basearch(arch).to_owned());
    if let Some(d) = distro
        && let Some(version) = &d.version_id
    {
        let rhel_like = std::iter::once(&d.id)
            .chain(&d.id_like)
            .any(|i| i == "rhel" || i == "centos");
        let release = match version.split_once('.') {
            Some((major, _)) if rhel_like => major.to_owned(),
            _ => version.clone(),
        };
        vars.insert("releasever".to_owned(), release);
    }
    for dir in VARS_DIRS {
        for path in files.list(dir) {
            if let (Some(name), Some(data)) = (path.rsplit('/').next(), files.get(&path)) {
                let value = String::from_utf8_lossy(data);
                vars.insert(
                    name.to_owned(),
                    value.lines().next().unwrap_or_default().trim().to_owned(),
                );
            }
        }
    }
    if let Some(release) = vars.get("releasever").cloned() {
        let (major, minor) = release.split_once('.').unwrap_or((&release, ""));
        vars.insert("releasever_major".to_owned(), major.to_owned());
        vars.insert("releasever_minor".to_owned(), minor.to_owned());
    }
    vars
}

/// The enabled repositories with a usable `baseurl`, in file order, and
/// notices for the ones skipped.
pub(crate) fn repositories(
    files: &ImageFiles,
    vars: &BTreeMap<String, String>,
) -> Result<(Vec<RpmRepo>, Vec<String>)> {
    let mut main = MainConfig::default();
    if let Some((path, text)) = MAIN_CONFIGS
        .iter()
        .find_map(|p| files.get(p).map(|t| (*p, t)))
    {
        main = parse_main_config(path, &String::from_utf8_lossy(text))?;
    }
    let dirs: Vec<String> = if main.reposdir.is_empty() {
        REPOS_DIRS.iter().map(|d| (*d).to_owned()).collect()
    } else {
        main.reposdir.clone()
    };
    let mut notices = Vec::new();
    let mut repos = Vec::new();
    for dir in &dirs {
        for path in files.list(dir).into_iter().filter(|p| p.ends_with(".repo")) {
            let Some(text) = files.get(&path) else {
                continue;
            };
            for config in parse_repo_file(&path, &String::from_utf8_lossy(text))? {
                if !config.enabled {
                    continue;
                }
                let expand = |value: &str| {
                    substitute(value, vars).map_err(|var| Error::Sources {
                        location: config.location(),
                        message: format!(
                            "repository {}: unknown variable {var} (not derived from the image \
                             nor defined in /etc/dnf/vars)",
                            config.id
                        ),
                    })
                };
                let usable = |u: &&String| {
                    u.starts_with("http://") || u.starts_with("https://") || u.starts_with("file:")
                };
                let Some(baseurl) = config.baseurls.iter().find(usable) else {
                    let how = match (&config.metalink, &config.mirrorlist) {
                        (Some(_), _) => "only a metalink",
                        (None, Some(_)) => "only a mirrorlist",
                        (None, None) => "no http, https or file baseurl",
                    };
                    notices.push(format!(
                        "repository {} ({}) has {how}, which drydock does not follow: it is not \
                         checked (give it a baseurl)",
                        config.id,
                        config.location()
                    ));
                    continue;
                };
                if config.filtered {
                    notices.push(format!(
                        "repository {} ({}): exclude/includepkgs filters are not applied",
                        config.id,
                        config.location()
                    ));
                }
                repos.push(RpmRepo {
                    baseurl: expand(baseurl)?.trim_end_matches('/').to_owned(),
                    gpgkeys: config
                        .gpgkeys
                        .iter()
                        .map(|k| expand(k))
                        .collect::<Result<_>>()?,
                    repo_gpgcheck: config.repo_gpgcheck.unwrap_or(main.repo_gpgcheck),
                    config,
                });
            }
        }
    }
    let unsigned: Vec<&str> = repos
        .iter()
        .filter(|r| !r.repo_gpgcheck)
        .map(|r| r.config.id.as_str())
        .collect();
    if !unsigned.is_empty() {
        notices.push(format!(
            "repomd.xml of {} is not signature-checked: repo_gpgcheck is off, as dnf would \
             also accept it (its primary and updateinfo are still checked against repomd.xml)",
            unsigned.join(", ")
        ));
    }
    Ok((repos, notices))
}

/// Fetches, verifies and reads the metadata of every repository.
pub(crate) fn collect(
    files: &ImageFiles,
    repos: &[RpmRepo],
    fetcher: &Fetcher,
    wanted: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Collected> {
    let results = repos
        .par_iter()
        .map(|repo| collect_repo(files, repo, fetcher, wanted))
        .collect::<Result<Vec<_>>>()?;
    let mut all = Collected::default();
    for r in results {
        all.candidates.extend(r.candidates);
        all.security_fixes.extend(r.security_fixes);
        all.security_listed |= r.security_listed;
        all.notices.extend(r.notices);
    }
    Ok(all)
}

fn collect_repo(
    files: &ImageFiles,
    repo: &RpmRepo,
    fetcher: &Fetcher,
    wanted: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Collected> {
    let mut out = Collected::default();
    let id = &repo.config.id;
    let base = fetcher.base(&repo.baseurl)?;
    let repomd_url = format!("{base}/repodata/repomd.xml");
    let repomd = fetcher
        .get_release(&repomd_url)?
        .ok_or_else(|| Error::Fetch {
            url: repomd_url.clone(),
            message: format!("not found (repository {id} at {})", repo.config.location()),
        })?;
    if repo.repo_gpgcheck {
        let keyring = keyring(files, repo)?;
        let asc_url = format!("{repomd_url}.asc");
        let Some(signature) = fetcher.get_release(&asc_url)? else {
            return Err(Error::Signature {
                url: repomd_url,
                message: format!(
                    "repository {id} ({}) sets repo_gpgcheck=1 but repomd.xml.asc does not exist",
                    repo.config.location()
                ),
            });
        };
        verify_detached(&repomd_url, &repomd, &signature, &keyring)?;
    }
    let entries = parse_repomd(&repomd_url, &repomd)?;
    let entry = |kind: &str| entries.iter().find(|d| d.kind == kind);
    let Some(primary) = entry("primary") else {
        return Err(Error::index(&repomd_url, "lists no primary metadata"));
    };
    let priority = (1000u32.saturating_sub(repo.config.priority)).clamp(101, 999) as u16;
    let data = fetch_listed(fetcher, &base, &repomd_url, primary)?;
    let url = format!("{base}/{}", primary.location);
    let available = parse_primary(&url, open_metadata(&url, &primary.location, &data)?, wanted)?;
    tracing::debug!("{url}: {} wanted packages", available.len());
    out.candidates
        .extend(available.into_iter().map(|available| Candidate {
            available,
            archive: id.clone(),
            security: false,
            priority,
        }));
    if let Some(updateinfo) = entry("updateinfo") {
        let data = fetch_listed(fetcher, &base, &repomd_url, updateinfo)?;
        let url = format!("{base}/{}", updateinfo.location);
        let advisories = parse_updateinfo(
            &url,
            open_metadata(&url, &updateinfo.location, &data)?,
            wanted,
        )?;
        out.security_listed = true;
        out.security_fixes.extend(
            advisories
                .into_iter()
                .filter(|a| a.kind == "security")
                .flat_map(|a| {
                    let advisory = a.id;
                    a.packages.into_iter().map(move |available| SecurityFix {
                        available,
                        advisory: advisory.clone(),
                    })
                }),
        );
    }
    if entry("modules").is_some() {
        out.notices.push(format!(
            "repository {id} is modular (modules.yaml): module streams are not applied, so \
             versions from streams that are not enabled may be reported"
        ));
    }
    Ok(out)
}

/// A file `repomd.xml` lists, checked against its SHA-256 and size.
fn fetch_listed(
    fetcher: &Fetcher,
    base: &str,
    repomd_url: &str,
    entry: &RepoMdData,
) -> Result<Vec<u8>> {
    let location = &entry.location;
    if location.contains("://")
        || location.starts_with('/')
        || location.split('/').any(|p| p == ".." || p == ".")
    {
        return Err(Error::index(
            repomd_url,
            format!(
                "{} location {location:?} is not a path inside the repository",
                entry.kind
            ),
        ));
    }
    if entry.checksum_type != "sha256" {
        return Err(Error::index(
            repomd_url,
            format!(
                "{} has a {:?} checksum; drydock verifies sha256 only",
                entry.kind, entry.checksum_type
            ),
        ));
    }
    let Some(size) = entry.size else {
        return Err(Error::index(
            repomd_url,
            format!("{} has no <size>", entry.kind),
        ));
    };
    fetcher.get_verified(&format!("{base}/{location}"), &entry.checksum, size)
}

/// The `gpgkey` files of a repository, read from the image.
fn keyring(files: &ImageFiles, repo: &RpmRepo) -> Result<Keyring> {
    let mut keyring = Keyring::default();
    for key in &repo.gpgkeys {
        let Some(path) = key.strip_prefix("file://") else {
            return Err(Error::Keyring {
                keyring: key.clone(),
                message: format!(
                    "gpgkey of repository {} ({}) is not a file of the image; drydock checks \
                     repomd.xml only against keys in the image",
                    repo.config.id,
                    repo.config.location()
                ),
            });
        };
        let data = files.get(path).ok_or_else(|| Error::Keyring {
            keyring: path.to_owned(),
            message: format!(
                "named by gpgkey of repository {} ({}) but not in the image",
                repo.config.id,
                repo.config.location()
            ),
        })?;
        keyring.add(path, data)?;
    }
    if keyring.is_empty() {
        return Err(Error::Keyring {
            keyring: repo.config.location(),
            message: format!(
                "repository {} sets repo_gpgcheck=1 but names no gpgkey",
                repo.config.id
            ),
        });
    }
    Ok(keyring)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_from_os_release_arch_and_vars_files() {
        let files = ImageFiles::from_files(&[("/etc/dnf/vars/stream", b"9-stream\n")]);
        let rocky = Distro::parse("ID=rocky\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.4\"\n");
        let v = variables(&files, Some(&rocky), "x86_64");
        assert_eq!(v["releasever"], "9");
        assert_eq!(v["releasever_major"], "9");
        assert_eq!(v["basearch"], "x86_64");
        assert_eq!(v["stream"], "9-stream");
        let fedora = Distro::parse("ID=fedora\nVERSION_ID=40\n");
        let v = variables(&ImageFiles::default(), Some(&fedora), "i686");
        assert_eq!(
            (v["releasever"].as_str(), v["basearch"].as_str()),
            ("40", "i386")
        );
        let files = ImageFiles::from_files(&[("/etc/dnf/vars/releasever", b"2023.5.20240805\n")]);
        let amazon = Distro::parse("ID=amzn\nID_LIKE=fedora\nVERSION_ID=2023\n");
        let v = variables(&files, Some(&amazon), "aarch64");
        assert_eq!(v["releasever"], "2023.5.20240805");
        assert_eq!(v["releasever_minor"], "5.20240805");
    }

    #[test]
    fn repositories_skip_disabled_and_metalink_only_ones_with_a_notice() {
        let files = ImageFiles::from_files(&[
            (
                "/etc/yum.repos.d/a.repo",
                b"[fedora]\nmetalink=https://m.example.test/metalink?repo=fedora-$releasever\n\
                  [local]\nbaseurl=ftp://x.example.test/ file:///srv/$basearch/\nrepo_gpgcheck=1\n\
                  gpgkey=file:///etc/pki/rpm-gpg/KEY-$releasever\n\
                  [off]\nbaseurl=http://off.example.test/$nope\nenabled=0\n",
            ),
            ("/etc/yum.repos.d/b.txt", b"not a repo file"),
        ]);
        let vars: BTreeMap<String, String> = [("releasever", "40"), ("basearch", "x86_64")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let (repos, notices) = repositories(&files, &vars).unwrap();
        assert_eq!(repos.len(), 1);
        assert_eq!(repos[0].baseurl, "file:///srv/x86_64");
        assert_eq!(repos[0].gpgkeys, ["file:///etc/pki/rpm-gpg/KEY-40"]);
        assert!(repos[0].repo_gpgcheck);
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(
            notices[0].contains("fedora") && notices[0].contains("metalink"),
            "{notices:?}"
        );
        let bad = ImageFiles::from_files(&[(
            "/etc/yum.repos.d/a.repo",
            b"[x]\nbaseurl=http://h.example.test/$nope/\n",
        )]);
        let e = repositories(&bad, &vars).unwrap_err().to_string();
        assert!(e.contains("a.repo:1") && e.contains("$nope"), "{e}");
    }
}
