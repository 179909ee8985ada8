//! rpm's SQLite `rpmdb.sqlite` (Fedora ≥ 33, RHEL 9): table
//! `Packages(hnum, blob)`. SQLite needs files (the write-ahead log is a
//! second file next to the database), so the bytes are copied to a private
//! temporary directory and opened read-only there.

use rusqlite::{Connection, OpenFlags};

use super::Blob;
use crate::error::{Error, Result};

/// The header blobs of an rpm SQLite database, with its write-ahead log if
/// the image has one. `file` is the database's path in the image.
pub(super) fn blobs(file: &str, data: &[u8], wal: Option<&[u8]>) -> Result<Vec<Blob>> {
    let temp_error = |source| Error::TempFile {
        file: file.to_owned(),
        source,
    };
    let dir = tempfile::Builder::new()
        .prefix("drydock-rpmdb-")
        .tempdir()
        .map_err(temp_error)?;
    let path = dir.path().join("rpmdb.sqlite");
    std::fs::write(&path, data).map_err(temp_error)?;
    if let Some(wal) = wal {
        std::fs::write(dir.path().join("rpmdb.sqlite-wal"), wal).map_err(temp_error)?;
    }
    read(&path).map_err(|e| Error::Rpm {
        file: file.to_owned(),
        message: format!("SQLite: {e}"),
    })
}

fn read(path: &std::path::Path) -> rusqlite::Result<Vec<Blob>> {
    let db = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let mut query = db.prepare("SELECT hnum, blob FROM Packages")?;
    let rows = query.query_map([], |row| {
        Ok(Blob {
            origin: format!("package {}", row.get::<_, i64>(0)?),
            bytes: row.get(1)?,
        })
    })?;
    rows.collect()
}
