//! Loading OSV records from a directory (searched recursively for `*.json`
//! and `*.zip`), a zip archive (as osv.dev exports them per ecosystem:
//! `ECOSYSTEM/all.zip`), or one JSON file. Zip members are decompressed in
//! memory one at a time — nothing is extracted to disk — and every record
//! is capped in size, so memory stays bounded by the records kept.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use crate::error::{Error, Result};
use crate::osv::{Record, parse_record};

/// How deep directories are searched.
const MAX_DEPTH: usize = 8;

/// Limits and the ecosystems to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadOptions {
    /// Keep only records of these ecosystems (as [`ecosystem_key`] writes
    /// them: `Debian:12`, `Alpine:v3.19`, `Ubuntu:22.04`); `None` keeps every
    /// ecosystem drydock can match.
    pub ecosystems: Option<BTreeSet<String>>,
    /// Largest record (default 16 MiB; osv.dev's largest are a few MiB).
    pub max_record_bytes: u64,
    /// Most records read (default 5,000,000).
    pub max_records: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            ecosystems: None,
            max_record_bytes: 16 << 20,
            max_records: 5_000_000,
        }
    }
}

/// What loading saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// Records read.
    pub records: usize,
    /// Withdrawn records (ignored).
    pub withdrawn: usize,
    /// Records kept (at least one affected package of a wanted ecosystem).
    pub kept: usize,
    /// Bytes of JSON parsed.
    pub bytes: u64,
    /// Records per ecosystem drydock can match (by [`ecosystem_key`]), kept or not.
    pub ecosystems: BTreeMap<String, usize>,
    /// Records per ecosystem drydock does not match (`PyPI`, `Red Hat`…),
    /// by the part before the first `:`.
    pub unsupported: BTreeMap<String, usize>,
}

/// Advisories indexed by ecosystem and package name.
#[derive(Debug, Clone, Default)]
pub struct Database {
    records: Vec<Record>,
    /// (ecosystem key, package name) → (record, affected entry) indexes.
    index: HashMap<(String, String), Vec<(usize, usize)>>,
    /// What loading saw.
    pub stats: LoadStats,
}

/// The ecosystem key drydock matches by: `Debian:12`, `Alpine:v3.19`,
/// `Ubuntu:22.04` (`Ubuntu:22.04:LTS` without the suffix). `None` for
/// ecosystems drydock does not match, including `Ubuntu:Pro:…` (packages
/// of a paid channel, not in ordinary images).
pub fn ecosystem_key(osv_ecosystem: &str) -> Option<String> {
    let mut parts = osv_ecosystem.split(':');
    let (name, release) = (parts.next()?, parts.next()?);
    if release.is_empty() {
        return None;
    }
    match name {
        "Debian" | "Alpine" if parts.next().is_none() => Some(osv_ecosystem.to_owned()),
        "Ubuntu" if release != "Pro" => Some(format!("Ubuntu:{release}")),
        _ => None,
    }
}

impl Database {
    /// Loads the records at `path`: a directory, a zip archive or a JSON file.
    ///
    /// # Errors
    /// A file cannot be read, a zip is malformed, a record is not OSV JSON
    /// (the error names the file and the JSON line and column), or a limit
    /// is exceeded.
    pub fn load(path: &Path, opts: &LoadOptions) -> Result<Self> {
        let mut db = Database::default();
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|source| Error::Io {
            file: shown.clone(),
            source,
        })?;
        if meta.is_dir() {
            db.load_dir(path, opts, 0)?;
        } else if is_zip(path)? {
            db.load_zip(path, opts)?;
        } else if has_extension(path, "json") {
            db.load_file(path, opts)?;
        } else {
            return Err(Error::NotOsv { file: shown });
        }
        Ok(db)
    }

    /// Adds one record read from `file` (its name for errors).
    ///
    /// # Errors
    /// The bytes are not an OSV record, or a limit is exceeded.
    pub fn add(&mut self, file: &str, bytes: &[u8], opts: &LoadOptions) -> Result<()> {
        if self.stats.records >= opts.max_records {
            return Err(Error::TooMany {
                file: file.to_owned(),
                limit: opts.max_records,
            });
        }
        if bytes.len() as u64 > opts.max_record_bytes {
            return Err(too_large(file, bytes.len() as u64, opts));
        }
        let record = parse_record(file, bytes)?;
        self.stats.records += 1;
        self.stats.bytes += bytes.len() as u64;
        if record.withdrawn.is_some() {
            self.stats.withdrawn += 1;
            return Ok(());
        }
        let mut keys = BTreeSet::new();
        let mut unsupported = BTreeSet::new();
        let mut wanted = Vec::new();
        for (i, affected) in record.affected.iter().enumerate() {
            let Some(package) = &affected.package else {
                continue;
            };
            match ecosystem_key(&package.ecosystem) {
                Some(key) => {
                    let keep = opts
                        .ecosystems
                        .as_ref()
                        .is_none_or(|set| set.contains(&key));
                    if keep && !package.name.is_empty() {
                        wanted.push((key.clone(), package.name.clone(), i));
                    }
                    keys.insert(key);
                }
                None => {
                    let family = package.ecosystem.split(':').next().unwrap_or_default();
                    unsupported.insert(family.to_owned());
                }
            }
        }
        for key in keys {
            *self.stats.ecosystems.entry(key).or_default() += 1;
        }
        for family in unsupported {
            *self.stats.unsupported.entry(family).or_default() += 1;
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let at = self.records.len();
        for (key, name, i) in wanted {
            self.index.entry((key, name)).or_default().push((at, i));
        }
        self.records.push(record);
        self.stats.kept += 1;
        Ok(())
    }

    /// The records naming `package` in ecosystem `key`, with the index of the
    /// matching `affected[]` entry.
    pub fn lookup(&self, key: &str, package: &str) -> impl Iterator<Item = (&Record, usize)> {
        self.index
            .get(&(key.to_owned(), package.to_owned()))
            .into_iter()
            .flatten()
            .map(|&(r, a)| (&self.records[r], a))
    }

    fn load_dir(&mut self, dir: &Path, opts: &LoadOptions, depth: usize) -> Result<()> {
        let io = |source| Error::Io {
            file: dir.display().to_string(),
            source,
        };
        let mut entries = std::fs::read_dir(dir)
            .map_err(io)?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(io)?;
        entries.sort();
        for path in entries {
            if path.is_dir() {
                if depth < MAX_DEPTH {
                    self.load_dir(&path, opts, depth + 1)?;
                }
            } else if has_extension(&path, "json") {
                self.load_file(&path, opts)?;
            } else if has_extension(&path, "zip") {
                self.load_zip(&path, opts)?;
            }
        }
        Ok(())
    }

    fn load_file(&mut self, path: &Path, opts: &LoadOptions) -> Result<()> {
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|source| Error::Io {
            file: shown.clone(),
            source,
        })?;
        let bytes = read_capped(file, &shown, opts)?;
        self.add(&shown, &bytes, opts)
    }

    fn load_zip(&mut self, path: &Path, opts: &LoadOptions) -> Result<()> {
        let shown = path.display().to_string();
        let zip_error = |file: &str, e: zip::result::ZipError| Error::Zip {
            file: file.to_owned(),
            message: e.to_string(),
        };
        let file = File::open(path).map_err(|source| Error::Io {
            file: shown.clone(),
            source,
        })?;
        let mut archive =
            zip::ZipArchive::new(BufReader::new(file)).map_err(|e| zip_error(&shown, e))?;
        let mut buf = Vec::new();
        for i in 0..archive.len() {
            let mut member = archive.by_index(i).map_err(|e| zip_error(&shown, e))?;
            let member_name = member
                .name()
                .map_err(|e| zip_error(&shown, e))?
                .into_owned();
            if member.is_dir() || !member_name.ends_with(".json") {
                continue;
            }
            let name = format!("{shown}:{member_name}");
            if member.size() > opts.max_record_bytes {
                return Err(too_large(&name, member.size(), opts));
            }
            buf.clear();
            (&mut member)
                .take(opts.max_record_bytes + 1)
                .read_to_end(&mut buf)
                .map_err(|e| Error::Zip {
                    file: name.clone(),
                    message: e.to_string(),
                })?;
            if buf.len() as u64 > opts.max_record_bytes {
                return Err(too_large(&name, buf.len() as u64, opts));
            }
            self.add(&name, &buf, opts)?;
        }
        Ok(())
    }
}

fn too_large(file: &str, size: u64, opts: &LoadOptions) -> Error {
    Error::TooLarge {
        file: file.to_owned(),
        size,
        limit: opts.max_record_bytes,
    }
}

fn read_capped(file: File, shown: &str, opts: &LoadOptions) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.take(opts.max_record_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| Error::Io {
            file: shown.to_owned(),
            source,
        })?;
    if bytes.len() as u64 > opts.max_record_bytes {
        return Err(too_large(shown, bytes.len() as u64, opts));
    }
    Ok(bytes)
}

fn has_extension(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
}

/// A zip by its magic bytes (`PK\x03\x04`, or `PK\x05\x06` for an empty one).
fn is_zip(path: &Path) -> Result<bool> {
    let mut head = [0u8; 4];
    let mut file = File::open(path).map_err(|source| Error::Io {
        file: path.display().to_string(),
        source,
    })?;
    let n = file.read(&mut head).map_err(|source| Error::Io {
        file: path.display().to_string(),
        source,
    })?;
    Ok(n == 4 && (head == *b"PK\x03\x04" || head == *b"PK\x05\x06"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystem_keys() {
        assert_eq!(ecosystem_key("Debian:12").as_deref(), Some("Debian:12"));
        assert_eq!(
            ecosystem_key("Alpine:v3.19").as_deref(),
            Some("Alpine:v3.19")
        );
        assert_eq!(
            ecosystem_key("Ubuntu:22.04:LTS").as_deref(),
            Some("Ubuntu:22.04")
        );
        for other in [
            "Ubuntu:Pro:18.04:LTS",
            "PyPI",
            "Debian",
            "Debian:",
            "Red Hat:9",
        ] {
            assert_eq!(ecosystem_key(other), None, "{other}");
        }
    }
}
