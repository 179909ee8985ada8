//! apk: `/etc/apk/repositories` → signed `APKINDEX.tar.gz` per repository.

use rayon::prelude::*;
use rsa::pkcs8::DecodePublicKey;
use sha2::Digest;

use crate::error::{Error, Result};
use crate::fetch::Fetcher;
use crate::files::ImageFiles;
use crate::index::{parse_apkindex, read_apkindex};
use crate::sources::{ApkRepository, parse_apk_repositories};
use crate::{Candidate, Collected};

const REPOSITORIES: &str = "/etc/apk/repositories";
const KEYS: &str = "/etc/apk/keys";
const ARCH: &str = "/etc/apk/arch";

/// DER `DigestInfo` prefixes of PKCS #1 v1.5 signatures.
const SHA1_PREFIX: [u8; 15] = [
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14,
];
const SHA256_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

pub(crate) fn repositories(files: &ImageFiles) -> Result<Vec<ApkRepository>> {
    match files.get(REPOSITORIES) {
        Some(text) => parse_apk_repositories(REPOSITORIES, &String::from_utf8_lossy(text)),
        None => Ok(Vec::new()),
    }
}

/// `/etc/apk/arch`, else the image configuration's architecture in apk's words.
pub(crate) fn architecture(files: &ImageFiles, config_arch: Option<&str>) -> Option<String> {
    if let Some(a) = files.get(ARCH) {
        return Some(String::from_utf8_lossy(a).trim().to_owned()).filter(|a| !a.is_empty());
    }
    Some(
        match config_arch? {
            "amd64" => "x86_64",
            "arm64" => "aarch64",
            "386" => "x86",
            "arm" => "armv7",
            "ppc64le" => "ppc64le",
            "s390x" => "s390x",
            "riscv64" => "riscv64",
            _ => return None,
        }
        .to_owned(),
    )
}

pub(crate) fn collect(
    files: &ImageFiles,
    repositories: &[ApkRepository],
    arch: &str,
    fetcher: &Fetcher,
    wanted: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Collected> {
    let per_repo = repositories
        .par_iter()
        .map(|repo| -> Result<Vec<Candidate>> {
            let base = if repo.url.starts_with('/') {
                fetcher.base(&format!("file:{}", repo.url))?
            } else {
                fetcher.base(&repo.url)?
            };
            let url = format!("{base}/{arch}/APKINDEX.tar.gz");
            let data = fetcher.get_release(&url)?.ok_or_else(|| Error::Fetch {
                url: url.clone(),
                message: format!("not found (repository at {}:{})", repo.file, repo.line),
            })?;
            let file = read_apkindex(&url, &data)?;
            verify(files, &url, &file.signature, &file.signed)?;
            let archive = repo
                .url
                .rsplitn(3, '/')
                .take(2)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("/");
            Ok(parse_apkindex(&url, &file.index, wanted)?
                .into_iter()
                .map(|available| Candidate {
                    available,
                    archive: archive.clone(),
                    security: false,
                    // apk installs from an `@tag` repository only what the world pins to it.
                    priority: if repo.tag.is_none() { 500 } else { 1 },
                })
                .collect())
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Collected {
        candidates: per_repo.into_iter().flatten().collect(),
        ..Collected::default()
    })
}

/// Checks the RSA signature of an APKINDEX against `/etc/apk/keys/<key name>`.
fn verify(
    files: &ImageFiles,
    url: &str,
    signature: &Option<(String, bool, Vec<u8>)>,
    signed: &[u8],
) -> Result<()> {
    let bad = |message: String| Error::Signature {
        url: url.to_owned(),
        message,
    };
    let Some((key_name, sha256, signature)) = signature else {
        return Err(bad("APKINDEX.tar.gz is not signed".into()));
    };
    if key_name.contains('/') {
        return Err(bad(format!("invalid key name {key_name:?}")));
    }
    let key_path = format!("{KEYS}/{key_name}");
    let pem = files.get(&key_path).ok_or_else(|| {
        bad(format!(
            "signed by {key_name}, which is not in {KEYS} of the image"
        ))
    })?;
    let key =
        rsa::RsaPublicKey::from_public_key_pem(&String::from_utf8_lossy(pem)).map_err(|e| {
            Error::Keyring {
                keyring: key_path.clone(),
                message: format!("not an RSA public key: {e}"),
            }
        })?;
    let (scheme, digest) = if *sha256 {
        (
            pkcs1(&SHA256_PREFIX, 32),
            sha2::Sha256::digest(signed).to_vec(),
        )
    } else {
        (pkcs1(&SHA1_PREFIX, 20), sha1::Sha1::digest(signed).to_vec())
    };
    key.verify(scheme, &digest, signature)
        .map_err(|_| bad(format!("the signature does not verify with {key_path}")))
}

fn pkcs1(prefix: &[u8], hash_len: usize) -> rsa::Pkcs1v15Sign {
    rsa::Pkcs1v15Sign {
        hash_len: Some(hash_len),
        prefix: prefix.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architectures() {
        let none = ImageFiles::default();
        assert_eq!(
            architecture(&none, Some("arm64")).as_deref(),
            Some("aarch64")
        );
        assert_eq!(architecture(&none, Some("mips")), None);
        let set = ImageFiles::from_files(&[(ARCH, b"x86\n")]);
        assert_eq!(architecture(&set, Some("amd64")).as_deref(), Some("x86"));
    }
}
