//! apt: the image's sources and keyrings → verified `Packages` indexes.

use std::collections::BTreeSet;
use std::path::Path;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::fetch::Fetcher;
use crate::files::ImageFiles;
use crate::index::{decompress, parse_packages};
use crate::release::Release;
use crate::signature::{Keyring, verify_detached, verify_inrelease};
use crate::sources::{AptSource, SignedBy, parse_deb822_sources, parse_sources_list};
use crate::{Candidate, Collected};

const SOURCES_LIST: &str = "/etc/apt/sources.list";
const SOURCES_D: &str = "/etc/apt/sources.list.d";
const TRUSTED_GPG: &str = "/etc/apt/trusted.gpg";
const TRUSTED_D: &str = "/etc/apt/trusted.gpg.d";

/// The `deb` sources of the image, in apt's reading order.
pub(crate) fn sources(files: &ImageFiles) -> Result<Vec<AptSource>> {
    let mut sources = Vec::new();
    if let Some(text) = files.get(SOURCES_LIST) {
        sources.extend(parse_sources_list(
            SOURCES_LIST,
            &String::from_utf8_lossy(text),
        )?);
    }
    for path in files.list(SOURCES_D) {
        let Some(text) = files.get(&path) else {
            continue;
        };
        let text = String::from_utf8_lossy(text);
        if path.ends_with(".list") {
            sources.extend(parse_sources_list(&path, &text)?);
        } else if path.ends_with(".sources") {
            sources.extend(parse_deb822_sources(&path, &text)?);
        }
    }
    let mut seen = BTreeSet::new();
    sources.retain(|s| seen.insert((s.uri.clone(), s.suite.clone(), s.components.clone())));
    Ok(sources)
}

/// Fetches, verifies and reads the indexes of every source, keeping the
/// stanzas of `wanted` packages. `now` is Unix seconds (for `Valid-Until`).
pub(crate) fn collect(
    files: &ImageFiles,
    sources: &[AptSource],
    architectures: &[String],
    fetcher: &Fetcher,
    wanted: &(dyn Fn(&str) -> bool + Sync),
    now: i64,
) -> Result<Collected> {
    let results = sources
        .par_iter()
        .map(|source| collect_source(files, source, architectures, fetcher, wanted, now))
        .collect::<Result<Vec<_>>>()?;
    let mut all = Collected::default();
    for r in results {
        all.candidates.extend(r.candidates);
        all.notices.extend(r.notices);
    }
    Ok(all)
}

fn collect_source(
    files: &ImageFiles,
    source: &AptSource,
    architectures: &[String],
    fetcher: &Fetcher,
    wanted: &(dyn Fn(&str) -> bool + Sync),
    now: i64,
) -> Result<Collected> {
    let mut out = Collected::default();
    let base = fetcher.base(&source.uri)?;
    let mirrored = AptSource {
        uri: base,
        ..source.clone()
    };
    let dist = mirrored.dist_url();
    let keyring = if source.trusted {
        None
    } else {
        Some(keyring(files, source, &mut out.notices)?)
    };
    let release = fetch_release(fetcher, &dist, keyring.as_ref(), source)?;
    let release = Release::parse(&format!("{dist}/InRelease"), &release)?;
    if source.check_valid_until
        && let Some(until) = release.valid_until
        && until < now
    {
        return Err(Error::index(
            &format!("{dist}/InRelease"),
            format!(
                "expired (Valid-Until is {} s in the past): the mirror is stale or replays an old Release",
                now - until
            ),
        ));
    }
    let archive = release.archive(&source.suite);
    let security = release.is_security(&source.suite);
    let architectures: Vec<&String> = if source.architectures.is_empty() {
        architectures.iter().collect()
    } else {
        source.architectures.iter().collect()
    };
    let components: Vec<Option<&str>> = if source.is_flat() {
        vec![None]
    } else {
        source.components.iter().map(|c| Some(c.as_str())).collect()
    };
    for component in components {
        for arch in &architectures {
            let plain = match component {
                Some(c) => format!("{c}/binary-{arch}/Packages"),
                None => "Packages".to_owned(),
            };
            let listed = ["gz", "xz", ""].iter().find_map(|ext| {
                let path = if ext.is_empty() {
                    plain.clone()
                } else {
                    format!("{plain}.{ext}")
                };
                release.file(&path)
            });
            let Some(file) = listed else {
                out.notices.push(format!(
                    "{}: {dist} lists no {plain} (apt skips it too)",
                    source.location()
                ));
                continue;
            };
            let url = if release.by_hash {
                let dir = Path::new(&file.path)
                    .parent()
                    .map(|p| p.to_string_lossy().into_owned());
                let dir = dir
                    .filter(|d| !d.is_empty())
                    .map_or(String::new(), |d| format!("{d}/"));
                format!("{dist}/{dir}by-hash/SHA256/{}", file.sha256)
            } else {
                format!("{dist}/{}", file.path)
            };
            let data = fetcher.get_verified(&url, &file.sha256, file.size)?;
            let data = decompress(&url, &file.path, data)?;
            let available = parse_packages(&url, &data[..], wanted)?;
            tracing::debug!("{url}: {} wanted stanzas", available.len());
            out.candidates
                .extend(available.into_iter().map(|available| Candidate {
                    available,
                    archive: archive.clone(),
                    security,
                    priority: release.priority,
                }));
        }
    }
    Ok(out)
}

/// `InRelease`, else `Release` + `Release.gpg`; verified unless the source
/// is `trusted=yes`. Returns the Release text.
fn fetch_release(
    fetcher: &Fetcher,
    dist: &str,
    keyring: Option<&Keyring>,
    source: &AptSource,
) -> Result<String> {
    let in_release_url = format!("{dist}/InRelease");
    if let Some(data) = fetcher.get_release(&in_release_url)? {
        return match keyring {
            Some(k) => verify_inrelease(&in_release_url, &data, k),
            None => unverified_text(&in_release_url, &data),
        };
    }
    let release_url = format!("{dist}/Release");
    let Some(release) = fetcher.get_release(&release_url)? else {
        return Err(Error::Fetch {
            url: in_release_url,
            message: format!(
                "neither InRelease nor Release exists (source {})",
                source.location()
            ),
        });
    };
    if let Some(keyring) = keyring {
        let gpg_url = format!("{dist}/Release.gpg");
        let Some(signature) = fetcher.get_release(&gpg_url)? else {
            return Err(Error::Signature {
                url: release_url,
                message: format!(
                    "the repository is not signed (no InRelease or Release.gpg) and {} is not trusted=yes",
                    source.location()
                ),
            });
        };
        verify_detached(&release_url, &release, &signature, keyring)?;
    }
    String::from_utf8(release).map_err(|_| Error::index(&release_url, "Release is not UTF-8"))
}

/// The text of an InRelease of a `trusted=yes` source (apt does not check it).
fn unverified_text(url: &str, data: &[u8]) -> Result<String> {
    let text =
        std::str::from_utf8(data).map_err(|_| Error::index(url, "InRelease is not UTF-8"))?;
    if !text.starts_with("-----BEGIN PGP SIGNED MESSAGE-----") {
        return Ok(text.to_owned());
    }
    let (message, _) = pgp::composed::CleartextSignedMessage::from_string(text)
        .map_err(|e| Error::index(url, format!("malformed InRelease: {e}")))?;
    Ok(message.signed_text().replace("\r\n", "\n"))
}

/// The keys apt would accept for `source`.
fn keyring(files: &ImageFiles, source: &AptSource, notices: &mut Vec<String>) -> Result<Keyring> {
    let mut keyring = Keyring::default();
    let mut fingerprints = Vec::new();
    let mut explicit = false;
    match &source.signed_by {
        Some(SignedBy::Key(block)) => {
            keyring.add(
                &format!("Signed-By of {}", source.location()),
                block.as_bytes(),
            )?;
            explicit = true;
        }
        Some(SignedBy::Keyrings(items)) => {
            for item in items {
                if item.starts_with('/') {
                    let data = files.get(item).ok_or_else(|| Error::Keyring {
                        keyring: item.clone(),
                        message: format!(
                            "named by Signed-By of {} but not in the image",
                            source.location()
                        ),
                    })?;
                    keyring.add(item, data)?;
                    explicit = true;
                } else {
                    fingerprints.push(item.clone());
                }
            }
        }
        None => {}
    }
    if !explicit {
        let default = std::iter::once(TRUSTED_GPG.to_owned()).chain(
            files
                .list(TRUSTED_D)
                .into_iter()
                .filter(|p| p.ends_with(".gpg") || p.ends_with(".asc")),
        );
        for path in default {
            if let Some(data) = files.get(&path)
                && let Err(e) = keyring.add(&path, data)
            {
                notices.push(format!("{e} (ignored, as apt does)"));
            }
        }
    }
    if !fingerprints.is_empty() {
        keyring.retain_fingerprints(&fingerprints);
    }
    if keyring.is_empty() {
        return Err(Error::Keyring {
            keyring: if explicit {
                "Signed-By".into()
            } else {
                format!("{TRUSTED_D}/*")
            },
            message: format!(
                "no trusted key in the image for the source at {}",
                source.location()
            ),
        });
    }
    Ok(keyring)
}
