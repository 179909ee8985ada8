//! rpm databases (SQLite `rpmdb.sqlite`, Berkeley DB `Packages`, NDB
//! `Packages.db`) read with the `rpmdb` crate, which wants a path: the
//! bytes (already capped) go to a private temporary directory first.

use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

use crate::error::{Error, Result};
use crate::{Ecosystem, Package, Record};

/// Reads an rpm database from its bytes. `file` is its path in the image;
/// its file name (`rpmdb.sqlite`, `Packages`, `Packages.db`) is kept for the
/// copy. `wal` is the SQLite write-ahead log (`rpmdb.sqlite-wal`) if the
/// image has one. `gpg-pubkey` pseudo-packages (imported keys) are left out.
///
/// # Errors
/// [`Error::Rpm`] when the reader rejects the database (or panics on it),
/// [`Error::TempFile`] when the copy cannot be written.
pub fn parse_rpmdb(file: &str, data: &[u8], wal: Option<&[u8]>) -> Result<Vec<Package>> {
    Ok(records(file, data, wal)?
        .into_iter()
        .map(|r| r.package)
        .collect())
}

pub(crate) fn records(file: &str, data: &[u8], wal: Option<&[u8]>) -> Result<Vec<Record>> {
    let temp_error = |source| Error::TempFile {
        file: file.to_owned(),
        source,
    };
    let dir = tempfile::Builder::new()
        .prefix("drydock-rpmdb-")
        .tempdir()
        .map_err(temp_error)?;
    let base = file
        .rsplit('/')
        .next()
        .filter(|b| !b.is_empty())
        .unwrap_or("Packages");
    let path = dir.path().join(base);
    std::fs::write(&path, data).map_err(temp_error)?;
    if let Some(wal) = wal {
        std::fs::write(dir.path().join(format!("{base}-wal")), wal).map_err(temp_error)?;
    }
    let read = std::panic::catch_unwind(|| rpmdb::read_packages(path.clone()));
    let rpm_error = |message: String| Error::Rpm {
        file: file.to_owned(),
        message,
    };
    let packages = match read {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => return Err(rpm_error(e.to_string())),
        Err(_) => return Err(rpm_error("the reader panicked (corrupt database?)".into())),
    };
    Ok(packages
        .into_iter()
        .filter(|p| p.name != "gpg-pubkey" && !p.name.is_empty())
        .map(|p| record(file, p))
        .collect())
}

fn record(file: &str, p: rpmdb::Package) -> Record {
    let fingerprint = BuildHasherDefault::<DefaultHasher>::default().hash_one((
        &p.name,
        p.epoch,
        &p.version,
        &p.release,
        &p.arch,
        &p.source_rpm,
        &p.license,
        p.size,
        &p.vendor,
        &p.base_names,
    ));
    let epoch = if p.epoch > 0 {
        format!("{}:", p.epoch)
    } else {
        String::new()
    };
    let version = format!("{epoch}{}-{}", p.version, p.release);
    let (source_name, source_version) = match source_nvr(&p.source_rpm) {
        Some((n, v, r)) => (n.to_owned(), format!("{epoch}{v}-{r}")),
        None => (p.name.clone(), version.clone()),
    };
    let arch = Some(p.arch).filter(|a| !a.is_empty() && a != "(none)");
    Record {
        package: Package {
            ecosystem: Ecosystem::Rpm,
            name: p.name,
            version,
            architecture: arch,
            source_name,
            source_version,
            license: Some(p.license).filter(|l| !l.is_empty()),
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
