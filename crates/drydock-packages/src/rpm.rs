//! rpm databases (SQLite `rpmdb.sqlite`, Berkeley DB `Packages`, NDB
//! `Packages.db`): each backend yields the packages' header blobs
//! ([`header`]), bounded by the size of the (already capped) input.

use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

use crate::error::{Error, Result};
use crate::{Ecosystem, Package, Record};

mod bdb;
mod header;
mod ndb;
mod sqlite;

/// One package's header blob as stored in a database, and where it was
/// found (for error messages).
#[derive(Debug)]
struct Blob {
    origin: String,
    bytes: Vec<u8>,
}

/// Reads an rpm database from its bytes: SQLite (`rpmdb.sqlite`), NDB
/// (`Packages.db`) or Berkeley DB (`Packages`), told apart by their
/// contents. `file` is its path in the image. `wal` is the SQLite
/// write-ahead log (`rpmdb.sqlite-wal`) if the image has one. `gpg-pubkey`
/// pseudo-packages (imported keys) are left out.
///
/// # Errors
/// [`Error::Rpm`] when the database is corrupt (the message says where),
/// [`Error::TempFile`] when the copy a SQLite database needs cannot be
/// written.
pub fn parse_rpmdb(file: &str, data: &[u8], wal: Option<&[u8]>) -> Result<Vec<Package>> {
    Ok(records(file, data, wal)?
        .into_iter()
        .map(|r| r.package)
        .collect())
}

pub(crate) fn records(file: &str, data: &[u8], wal: Option<&[u8]>) -> Result<Vec<Record>> {
    let rpm_error = |message: String| Error::Rpm {
        file: file.to_owned(),
        message,
    };
    let blobs = if data.starts_with(b"SQLite format 3\0") {
        sqlite::blobs(file, data, wal)?
    } else if data.starts_with(b"RpmP") {
        ndb::blobs(data).map_err(|e| rpm_error(format!("NDB: {e}")))?
    } else {
        bdb::blobs(data).map_err(|e| rpm_error(format!("Berkeley DB: {e}")))?
    };
    let mut records = Vec::with_capacity(blobs.len());
    for blob in blobs {
        let header = header::parse(&blob.bytes)
            .map_err(|e| rpm_error(format!("{}: header: {e}", blob.origin)))?;
        if header.name != "gpg-pubkey" && !header.name.is_empty() {
            records.push(record(file, header));
        }
    }
    Ok(records)
}

fn record(file: &str, h: header::Header) -> Record {
    let fingerprint = BuildHasherDefault::<DefaultHasher>::default().hash_one((
        &h.name,
        h.epoch,
        &h.version,
        &h.release,
        &h.arch,
        &h.source_rpm,
        &h.license,
        h.size,
        &h.vendor,
        &h.basenames,
    ));
    let epoch = if h.epoch > 0 {
        format!("{}:", h.epoch)
    } else {
        String::new()
    };
    let version = format!("{epoch}{}-{}", h.version, h.release);
    let (source_name, source_version) = match source_nvr(&h.source_rpm) {
        Some((n, v, r)) => (n.to_owned(), format!("{epoch}{v}-{r}")),
        None => (h.name.clone(), version.clone()),
    };
    let arch = Some(h.arch).filter(|a| !a.is_empty() && a != "(none)");
    Record {
        package: Package {
            ecosystem: Ecosystem::Rpm,
            name: h.name,
            version,
            architecture: arch,
            source_name,
            source_version,
            license: Some(h.license).filter(|l| !l.is_empty()),
            layer: 0,
            database: file.to_owned(),
        },
        fingerprint,
    }
}

/// `bash-5.2.26-3.fc40.src.rpm` → (`bash`, `5.2.26`, `3.fc40`).
fn source_nvr(srpm: &str) -> Option<(&str, &str, &str)> {
    let nvr = srpm.strip_suffix(".rpm")?;
    let nvr = nvr
        .strip_suffix(".src")
        .or_else(|| nvr.strip_suffix(".nosrc"))?;
    let (nv, release) = nvr.rsplit_once('-')?;
    let (name, version) = nv.rsplit_once('-')?;
    (!name.is_empty() && !version.is_empty() && !release.is_empty())
        .then_some((name, version, release))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_rpm_names_split_into_name_version_release() {
        assert_eq!(
            source_nvr("bash-5.2.26-3.fc40.src.rpm"),
            Some(("bash", "5.2.26", "3.fc40"))
        );
        assert_eq!(
            source_nvr("python3-pip-23.1-2.el9.nosrc.rpm"),
            Some(("python3-pip", "23.1", "2.el9"))
        );
        for bad in [
            "",
            "bash.src.rpm",
            "bash-1.src.rpm",
            "-1-2.src.rpm",
            "x-1-2.rpm",
        ] {
            assert_eq!(source_nvr(bad), None, "{bad}");
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for data in [
            &b""[..],
            b"SQLite format 3\0garbage",
            &[0u8; 4096],
            &[0xffu8; 70000],
        ] {
            for name in [
                "/var/lib/rpm/rpmdb.sqlite",
                "/var/lib/rpm/Packages",
                "/var/lib/rpm/Packages.db",
            ] {
                let err = parse_rpmdb(name, data, None).unwrap_err();
                assert!(err.to_string().starts_with(name), "{err}");
            }
        }
    }
}
