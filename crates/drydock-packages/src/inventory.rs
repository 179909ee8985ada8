//! One pass over an image's layers collecting the package databases, then
//! the databases replayed layer by layer to attribute each package.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use drydock_image::{EntryKind, ImageSource};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::{Distro, Ecosystem, Package, Record};

const OS_RELEASE: [&str; 2] = ["/etc/os-release", "/usr/lib/os-release"];
const DPKG_STATUS: &str = "/var/lib/dpkg/status";
const DPKG_STATUS_D: &str = "/var/lib/dpkg/status.d";
/// In order of preference.
const APK_INSTALLED: [&str; 2] = ["/lib/apk/db/installed", "/usr/lib/apk/db/installed"];
/// In order of preference (newest format first: SQLite, NDB, Berkeley DB), per directory.
const RPM_DBS: [&str; 9] = [
    "/usr/lib/sysimage/rpm/rpmdb.sqlite",
    "/usr/lib/sysimage/rpm/Packages.db",
    "/usr/lib/sysimage/rpm/Packages",
    "/var/lib/rpm/rpmdb.sqlite",
    "/var/lib/rpm/Packages.db",
    "/var/lib/rpm/Packages",
    "/usr/share/rpm/rpmdb.sqlite",
    "/usr/share/rpm/Packages.db",
    "/usr/share/rpm/Packages",
];
const WAL_SUFFIX: &str = "-wal";

/// Limits for hostile images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryOptions {
    /// Largest database file (or os-release) read (default 256 MiB).
    pub max_database_bytes: u64,
    /// Most bytes of database files held across all layers (default 1 GiB).
    pub max_total_bytes: u64,
}

impl Default for InventoryOptions {
    fn default() -> Self {
        Self {
            max_database_bytes: 256 << 20,
            max_total_bytes: 1 << 30,
        }
    }
}

/// The packages of an image.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Inventory {
    /// The distribution, when the image has an os-release file.
    pub distro: Option<Distro>,
    /// Installed packages, sorted by ecosystem, name, architecture, version.
    pub packages: Vec<Package>,
    /// Things worth telling the user that are not errors (no database found,
    /// a layer's database version that was unreadable but replaced later…).
    pub notes: Vec<String>,
}

/// [`inventory_with`] default limits.
///
/// # Errors
/// See [`inventory_with`].
pub fn inventory(source: &dyn ImageSource) -> Result<Inventory> {
    inventory_with(source, &InventoryOptions::default())
}

/// Reads the installed packages of the image `source` opens. Every layer is
/// walked (in parallel, verifying digests); only database files are read.
/// A package's [`Package::layer`] is the first layer from which its
/// database record stays unchanged to the end.
///
/// # Errors
/// Reading the image fails, a database file is over a limit, or a database
/// of the final image is malformed ([`Error::Layer`] names the layer).
pub fn inventory_with(source: &dyn ImageSource, opts: &InventoryOptions) -> Result<Inventory> {
    let budget = AtomicU64::new(0);
    let layers = source.image().layers.len();
    let changes = (0..layers)
        .into_par_iter()
        .map(|i| layer_changes(source, i, opts, &budget))
        .collect::<Result<Vec<_>>>()?;

    let mut files = Files::default();
    let mut dbs: BTreeMap<Ecosystem, Db> = BTreeMap::new();
    let mut notes = Vec::new();
    for (layer, changes) in changes.into_iter().enumerate() {
        if changes.is_empty() {
            continue;
        }
        files.apply(changes);
        for ecosystem in [Ecosystem::Deb, Ecosystem::Apk, Ecosystem::Rpm] {
            let inputs = files.inputs(ecosystem);
            let db = dbs.entry(ecosystem).or_default();
            if same_inputs(&db.inputs, &inputs) {
                continue;
            }
            let parsed = parse(ecosystem, &inputs);
            db.inputs = inputs;
            if let Some(replaced) = db.failed.take() {
                notes.push(format!("{replaced} (a later layer replaced this database)"));
            }
            match parsed {
                Ok(records) => db.records = attribute(&db.records, records, layer),
                Err(error) => {
                    db.records.clear();
                    db.failed = Some(Error::Layer {
                        layer,
                        error: Box::new(error),
                    });
                }
            }
        }
    }
    let mut packages = Vec::new();
    for db in dbs.into_values() {
        if let Some(error) = db.failed {
            return Err(error);
        }
        packages.extend(db.records.into_iter().map(|r| r.package));
    }
    packages.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.architecture, &a.version).cmp(&(
            b.ecosystem,
            &b.name,
            &b.architecture,
            &b.version,
        ))
    });
    let distro = files
        .os_release()
        .map(|text| Distro::parse(&String::from_utf8_lossy(text)));
    if packages.is_empty() {
        notes.push("no package database (dpkg, apk, rpm) found in the image".into());
    }
    Ok(Inventory {
        distro,
        packages,
        notes,
    })
}

/// One ecosystem's database as replayed so far.
#[derive(Default)]
struct Db {
    inputs: Vec<(String, Arc<Vec<u8>>)>,
    records: Vec<Record>,
    /// The current version is unreadable.
    failed: Option<Error>,
}

fn same_inputs(a: &[(String, Arc<Vec<u8>>)], b: &[(String, Arc<Vec<u8>>)]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.0 == y.0 && Arc::ptr_eq(&x.1, &y.1))
}

fn parse(ecosystem: Ecosystem, inputs: &[(String, Arc<Vec<u8>>)]) -> Result<Vec<Record>> {
    let mut records = Vec::new();
    match ecosystem {
        Ecosystem::Deb => {
            for (path, data) in inputs {
                records.extend(crate::dpkg::records(path, data)?);
            }
        }
        Ecosystem::Apk => {
            if let Some((path, data)) = inputs.first() {
                records = crate::apk::records(path, data)?;
            }
        }
        Ecosystem::Rpm => {
            if let Some((path, data)) = inputs.first() {
                let wal = inputs.get(1).map(|(_, w)| w.as_slice());
                records = crate::rpm::records(path, data, wal)?;
            }
        }
    }
    Ok(records)
}

/// Gives each new record `layer`, and each record identical to one of
/// `previous` (same package, same fingerprint) that one's layer.
fn attribute(previous: &[Record], mut next: Vec<Record>, layer: usize) -> Vec<Record> {
    type Key<'a> = (&'a str, Option<&'a str>, &'a str, usize);
    fn keys(records: &[Record]) -> Vec<Key<'_>> {
        let mut seen: HashMap<(&str, Option<&str>, &str), usize> = HashMap::new();
        records
            .iter()
            .map(|r| {
                let p = &r.package;
                let k = (
                    p.name.as_str(),
                    p.architecture.as_deref(),
                    p.version.as_str(),
                );
                let n = seen.entry(k).or_default();
                *n += 1;
                (k.0, k.1, k.2, *n)
            })
            .collect()
    }
    let before: HashMap<Key<'_>, (u64, usize)> = keys(previous)
        .into_iter()
        .zip(previous)
        .map(|(k, r)| (k, (r.fingerprint, r.package.layer)))
        .collect();
    let layers: Vec<usize> = keys(&next)
        .into_iter()
        .zip(&next)
        .map(|(k, r)| match before.get(&k) {
            Some(&(fp, since)) if fp == r.fingerprint => since,
            _ => layer,
        })
        .collect();
    for (r, l) in next.iter_mut().zip(layers) {
        r.package.layer = l;
    }
    next
}

/// A change a layer makes to the watched files.
#[derive(Debug)]
enum Change {
    /// A whiteout, or a non-directory over an ancestor: the path and below go.
    Remove(String),
    /// An opaque whiteout: everything below the directory from lower layers goes.
    Opaque(String),
    /// A watched file (re)written.
    Put(String, Arc<Vec<u8>>),
}

/// The watched files of the image as layers are applied.
#[derive(Default)]
struct Files(BTreeMap<String, Arc<Vec<u8>>>);

impl Files {
    /// Whiteouts apply to lower layers only, so they go first.
    fn apply(&mut self, changes: Vec<Change>) {
        let (puts, removals): (Vec<_>, Vec<_>) = changes
            .into_iter()
            .partition(|c| matches!(c, Change::Put(..)));
        for change in removals {
            match change {
                Change::Remove(path) => {
                    let below = format!("{path}/");
                    self.0.retain(|k, _| k != &path && !k.starts_with(&below));
                }
                Change::Opaque(dir) => {
                    let below = if dir == "/" { dir } else { format!("{dir}/") };
                    self.0.retain(|k, _| !k.starts_with(&below));
                }
                Change::Put(..) => {}
            }
        }
        for change in puts {
            if let Change::Put(path, data) = change {
                self.0.insert(path, data);
            }
        }
    }

    /// The files an ecosystem's database consists of, in a stable order.
    fn inputs(&self, ecosystem: Ecosystem) -> Vec<(String, Arc<Vec<u8>>)> {
        let get = |p: &str| self.0.get(p).map(|d| (p.to_owned(), d.clone()));
        match ecosystem {
            Ecosystem::Deb => {
                let status_d = format!("{DPKG_STATUS_D}/");
                get(DPKG_STATUS)
                    .into_iter()
                    .chain(
                        self.0
                            .range(status_d.clone()..)
                            .take_while(|(k, _)| k.starts_with(&status_d))
                            .map(|(k, d)| (k.clone(), d.clone())),
                    )
                    .collect()
            }
            Ecosystem::Apk => APK_INSTALLED
                .iter()
                .find_map(|p| get(p))
                .into_iter()
                .collect(),
            Ecosystem::Rpm => RPM_DBS
                .iter()
                .find_map(|p| get(p))
                .map(|db| {
                    let wal = get(&format!("{}{WAL_SUFFIX}", db.0));
                    std::iter::once(db).chain(wal).collect()
                })
                .unwrap_or_default(),
        }
    }

    fn os_release(&self) -> Option<&[u8]> {
        OS_RELEASE
            .iter()
            .find_map(|p| self.0.get(*p))
            .map(|d| d.as_slice())
    }
}

/// Whether `path` is a file the inventory reads.
fn is_watched(path: &str) -> bool {
    if OS_RELEASE.contains(&path) || path == DPKG_STATUS || APK_INSTALLED.contains(&path) {
        return true;
    }
    if let Some(name) = path
        .strip_prefix(DPKG_STATUS_D)
        .and_then(|r| r.strip_prefix('/'))
    {
        return !name.is_empty() && !name.contains('/') && !name.ends_with(".md5sums");
    }
    let db = path.strip_suffix(WAL_SUFFIX).unwrap_or(path);
    RPM_DBS.contains(&db) && (db == path || db.ends_with("rpmdb.sqlite"))
}

/// Whether `path` is a directory above a watched file (a non-directory
/// there hides the files below).
fn is_watched_ancestor(path: &str) -> bool {
    let dir = path.trim_end_matches('/');
    OS_RELEASE
        .iter()
        .chain(&APK_INSTALLED)
        .chain(&RPM_DBS)
        .chain(&[DPKG_STATUS, "/var/lib/dpkg/status.d/x"])
        .any(|p| p.len() > dir.len() && p.starts_with(dir) && p.as_bytes()[dir.len()] == b'/')
}

fn layer_changes(
    source: &dyn ImageSource,
    index: usize,
    opts: &InventoryOptions,
    budget: &AtomicU64,
) -> Result<Vec<Change>> {
    let mut changes = Vec::new();
    let mut visit = |entry: &mut drydock_image::Entry<'_>| -> drydock_image::Result<()> {
        let meta = &entry.meta;
        let fail = |e: Error| drydock_image::Error::Visitor {
            context: "package database".into(),
            source: Box::new(e),
        };
        match meta.kind {
            EntryKind::Whiteout => {
                if let Some(t) = &meta.whiteout_target
                    && (is_watched(t) || is_watched_ancestor(t))
                {
                    changes.push(Change::Remove(t.clone()));
                }
            }
            EntryKind::OpaqueWhiteout => {
                if let Some(t) = &meta.whiteout_target
                    && is_watched_ancestor(t)
                {
                    changes.push(Change::Opaque(t.clone()));
                }
            }
            EntryKind::File if is_watched(&meta.path) => {
                let path = meta.path.clone();
                let too_large = |size| Error::TooLarge {
                    file: path.clone(),
                    size,
                    limit: opts.max_database_bytes,
                };
                if meta.size > opts.max_database_bytes {
                    return Err(fail(too_large(meta.size)));
                }
                let mut data = Vec::with_capacity(meta.size as usize);
                entry
                    .take(opts.max_database_bytes + 1)
                    .read_to_end(&mut data)
                    .map_err(|e| drydock_image::Error::from_io(path.clone(), e))?;
                if data.len() as u64 > opts.max_database_bytes {
                    return Err(fail(too_large(data.len() as u64)));
                }
                let total =
                    budget.fetch_add(data.len() as u64, Ordering::Relaxed) + data.len() as u64;
                if total > opts.max_total_bytes {
                    return Err(fail(Error::TooLarge {
                        file: format!("{path} (with the databases of all layers)"),
                        size: total,
                        limit: opts.max_total_bytes,
                    }));
                }
                changes.push(Change::Put(path, Arc::new(data)));
            }
            EntryKind::Hardlink if is_watched(&meta.path) => {
                let target = meta.link_target.as_deref().unwrap_or_default();
                let data = changes.iter().rev().find_map(|c| match c {
                    Change::Put(p, d) if p == target => Some(d.clone()),
                    _ => None,
                });
                match data {
                    Some(d) => changes.push(Change::Put(meta.path.clone(), d)),
                    None => changes.push(Change::Remove(meta.path.clone())),
                }
            }
            EntryKind::Dir => {}
            _ if is_watched(&meta.path) || is_watched_ancestor(&meta.path) => {
                changes.push(Change::Remove(meta.path.clone()));
            }
            _ => {}
        }
        Ok(())
    };
    source.walk_layer(index, &mut visit)?;
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watched_paths() {
        for p in [
            "/etc/os-release",
            "/usr/lib/os-release",
            "/var/lib/dpkg/status",
            "/var/lib/dpkg/status.d/tzdata",
            "/lib/apk/db/installed",
            "/usr/lib/apk/db/installed",
            "/var/lib/rpm/Packages",
            "/var/lib/rpm/rpmdb.sqlite-wal",
            "/usr/lib/sysimage/rpm/Packages.db",
        ] {
            assert!(is_watched(p), "{p}");
        }
        for p in [
            "/var/lib/dpkg/status-old",
            "/var/lib/dpkg/status.d/tzdata.md5sums",
            "/var/lib/dpkg/status.d/a/b",
            "/var/lib/dpkg/status.d/",
            "/var/lib/rpm/Packages-wal",
            "/var/lib/rpm/rpmdb.sqlite-shm",
            "/etc/passwd",
        ] {
            assert!(!is_watched(p), "{p}");
        }
        for p in [
            "/",
            "/var",
            "/var/lib/dpkg",
            "/var/lib/dpkg/status.d",
            "/lib",
            "/usr/lib/sysimage",
        ] {
            assert!(is_watched_ancestor(p), "{p}");
        }
        for p in ["/var/lib/dpkg/status", "/etc/apt", "/var/lib/dpk"] {
            assert!(!is_watched_ancestor(p), "{p}");
        }
    }

    fn put(path: &str, data: &str) -> Change {
        Change::Put(path.into(), Arc::new(data.as_bytes().to_vec()))
    }

    #[test]
    fn whiteouts_apply_to_lower_layers_only() {
        let mut files = Files::default();
        files.apply(vec![
            put("/var/lib/dpkg/status.d/a", "1"),
            put("/var/lib/dpkg/status.d/b", "2"),
            put("/etc/os-release", "ID=x"),
        ]);
        assert_eq!(files.inputs(Ecosystem::Deb).len(), 2);
        // Opaque directory plus a new file in the same layer.
        files.apply(vec![
            put("/var/lib/dpkg/status.d/c", "3"),
            Change::Opaque("/var/lib/dpkg/status.d".into()),
        ]);
        let names: Vec<_> = files
            .inputs(Ecosystem::Deb)
            .into_iter()
            .map(|i| i.0)
            .collect();
        assert_eq!(names, ["/var/lib/dpkg/status.d/c"]);
        files.apply(vec![Change::Remove("/var/lib/dpkg".into())]);
        assert!(files.inputs(Ecosystem::Deb).is_empty());
        assert_eq!(files.os_release(), Some(&b"ID=x"[..]));
        files.apply(vec![
            Change::Remove("/etc/os-release".into()),
            put("/usr/lib/os-release", "ID=y"),
        ]);
        assert_eq!(files.os_release(), Some(&b"ID=y"[..]));
    }

    fn record(name: &str, version: &str, fingerprint: u64) -> Record {
        Record {
            package: Package {
                ecosystem: Ecosystem::Deb,
                name: name.into(),
                version: version.into(),
                architecture: None,
                source_name: name.into(),
                source_version: version.into(),
                license: None,
                layer: 0,
                database: String::new(),
            },
            fingerprint,
        }
    }

    #[test]
    fn records_keep_the_layer_they_first_appeared_in_unchanged() {
        let l0 = attribute(&[], vec![record("a", "1", 1), record("b", "1", 2)], 0);
        let l2 = attribute(
            &l0,
            vec![
                record("a", "1", 1),
                record("b", "1", 3),
                record("c", "1", 4),
            ],
            2,
        );
        let layers: Vec<_> = l2
            .iter()
            .map(|r| (r.package.name.as_str(), r.package.layer))
            .collect();
        assert_eq!(layers, [("a", 0), ("b", 2), ("c", 2)]);
        // Removed then reinstalled identically: the reinstalling layer.
        let l3 = attribute(&l2, vec![record("b", "1", 3)], 3);
        let l4 = attribute(&l3, vec![record("a", "1", 1), record("b", "1", 3)], 4);
        let layers: Vec<_> = l4
            .iter()
            .map(|r| (r.package.name.as_str(), r.package.layer))
            .collect();
        assert_eq!(layers, [("a", 4), ("b", 2)]);
    }
}
