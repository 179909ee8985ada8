//! Inventories of real images built by the rig's dockerd on its Debian
//! bookworm base: dpkg (checked against `dpkg-query` in a container of the
//! same image), an apk database written into layers, and an rpm database made
//! by the host's `rpm`. One shared rig for the file.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use drydock_image::{OpenOptions, open_str};
use drydock_packages::{Ecosystem, Inventory, Package, inventory};
use drydock_rig::{BuildInput, BuildOpts, Rig, RunOpts};

const APT_OPTS: &str = "-o Dir::Etc::SourceList=/etc/apt/sources.list.d/drydock.list \
                        -o Dir::Etc::SourceParts=- -o APT::Get::List-Cleanup=0";

fn inventory_of(reference: &str) -> Inventory {
    let source = open_str(reference, &OpenOptions::default()).unwrap();
    let t = std::time::Instant::now();
    let inv = inventory(&*source).unwrap_or_else(|e| panic!("{reference}: {e}"));
    eprintln!(
        "inventory of {reference}: {} packages in {:.2?}",
        inv.packages.len(),
        t.elapsed()
    );
    inv
}

fn build_and_save(
    rig: &Rig,
    ctx: Option<&Path>,
    dockerfile: String,
    tag: &str,
    dir: &Path,
) -> String {
    let input = match ctx {
        Some(c) => BuildInput::DirWithDockerfile(c.to_owned(), dockerfile),
        None => BuildInput::Dockerfile(dockerfile),
    };
    let opts = BuildOpts {
        network_host: true,
        ..BuildOpts::default()
    };
    rig.build(&input, tag, &opts).unwrap();
    let tar = dir.join(format!("{}.tar", tag.replace([':', '/'], "_")));
    rig.save(tag, &tar).unwrap();
    format!("docker-archive:{}", tar.display())
}

fn find<'a>(inv: &'a Inventory, ecosystem: Ecosystem, name: &str) -> &'a Package {
    inv.packages
        .iter()
        .find(|p| p.ecosystem == ecosystem && p.name == name)
        .unwrap_or_else(|| panic!("{name} not in {:#?}", inv.packages))
}

#[test]
fn dpkg_inventory_matches_dpkg_query_and_attributes_layers() {
    let rig = Rig::shared();
    let base = rig.base_image().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    rig.apt().publish("drydock-demo", "1.0-1").unwrap();
    let dockerfile = format!(
        "FROM {base}\n\
         RUN echo unrelated > /unrelated\n\
         RUN echo '{line}' > /etc/apt/sources.list.d/drydock.list \
          && apt-get {APT_OPTS} update \
          && apt-get {APT_OPTS} install -y --no-install-recommends drydock-demo=1.0-1 \
          && rm -rf /var/lib/apt/lists/*\n\
         RUN echo after > /after\n",
        line = rig.apt().sources_line("drydock"),
    );
    let tag = "drydock-packages-test:dpkg";
    let archive = build_and_save(rig, None, dockerfile, tag, tmp.path());
    let inv = inventory_of(&archive);

    // Same packages, versions, architectures and source packages as dpkg-query says.
    let format = "${Package} ${Version} ${Architecture} ${source:Package} ${source:Version}\\n";
    let out = rig
        .run(
            tag,
            &["dpkg-query", "-W", "-f", format],
            &RunOpts::default(),
        )
        .unwrap();
    assert!(out.success(), "{out:?}");
    let expected: BTreeSet<String> = out.stdout.lines().map(str::to_owned).collect();
    let actual: BTreeSet<String> = inv
        .packages
        .iter()
        .map(|p| {
            format!(
                "{} {} {} {} {}",
                p.name,
                p.version,
                p.architecture.as_deref().unwrap_or(""),
                p.source_name,
                p.source_version
            )
        })
        .collect();
    assert!(expected.len() > 50, "{expected:?}");
    assert_eq!(actual, expected);
    assert!(inv.packages.iter().all(|p| p.ecosystem == Ecosystem::Deb));

    // drydock-demo came with the apt-get layer (2: base, unrelated, install);
    // everything else with the base, although layer 2 rewrote the status file.
    let source = open_str(&archive, &OpenOptions::default()).unwrap();
    let layers = &source.image().layers;
    assert_eq!(layers.len(), 4);
    assert!(layers[2].created_by().unwrap_or("").contains("apt-get"));
    let demo = find(&inv, Ecosystem::Deb, "drydock-demo");
    assert_eq!((demo.version.as_str(), demo.layer), ("1.0-1", 2));
    assert_eq!(demo.database, "/var/lib/dpkg/status");
    let late: Vec<_> = inv
        .packages
        .iter()
        .filter(|p| p.layer != 0)
        .map(|p| &p.name)
        .collect();
    assert_eq!(late, ["drydock-demo"]);

    let distro = inv.distro.as_ref().expect("os-release");
    assert_eq!(
        (
            distro.id.as_str(),
            distro.version_id.as_deref(),
            distro.codename.as_deref()
        ),
        ("debian", Some("12"), Some("bookworm"))
    );
    assert!(
        find(&inv, Ecosystem::Deb, "libc6")
            .purl(Some(distro))
            .starts_with("pkg:deb/debian/libc6@2.36-9"),
    );

    // The same image as an OCI layout gives the same inventory.
    let layout = tmp.path().join("oci");
    rig.write_oci_layout(tag, &layout).unwrap();
    let from_layout = inventory_of(&format!("oci:{}", layout.display()));
    assert_eq!(from_layout, inv);
}

const APK_DB: &str = "\
C:Q1kGKCh8bxcrgDoXDtUTKvsE4L9cE=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:383152
I:622592
T:the musl c library (libc) implementation
U:https://musl.libc.example.test/
L:MIT
o:musl
m:Maintainer <maintainer@example.test>
t:1700000000
c:0123456789abcdef0123456789abcdef01234567
F:lib
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q1BBBBBBBBBBBBBBBBBBBBBBBBBBB=

C:Q1CCCCCCCCCCCCCCCCCCCCCCCCCCC=
P:libcrypto3
V:3.1.4-r5
A:x86_64
L:Apache-2.0
o:openssl
D:so:libc.musl-x86_64.so.1
";

#[test]
fn apk_database_in_layers_with_a_deleted_dpkg_database() {
    let rig = Rig::shared();
    let base = rig.base_image().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let ctx = tmp.path().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("installed"), APK_DB).unwrap();
    std::fs::write(
        ctx.join("os-release"),
        "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n",
    )
    .unwrap();
    let dockerfile = format!(
        "FROM {base}\n\
         COPY installed /lib/apk/db/installed\n\
         RUN rm -rf /var/lib/dpkg /etc/os-release /usr/lib/os-release\n\
         COPY os-release /etc/os-release\n\
         RUN printf '\\nP:busybox\\nV:1.36.1-r15\\nA:x86_64\\nL:GPL-2.0-only\\n' >> /lib/apk/db/installed\n"
    );
    let archive = build_and_save(
        rig,
        Some(&ctx),
        dockerfile,
        "drydock-packages-test:apk",
        tmp.path(),
    );
    let inv = inventory_of(&archive);

    // Only apk packages: the dpkg database was deleted (whiteout) in layer 2.
    let names: Vec<_> = inv
        .packages
        .iter()
        .map(|p| (p.ecosystem, p.name.as_str(), p.version.as_str(), p.layer))
        .collect();
    assert_eq!(
        names,
        [
            (Ecosystem::Apk, "busybox", "1.36.1-r15", 4),
            (Ecosystem::Apk, "libcrypto3", "3.1.4-r5", 1),
            (Ecosystem::Apk, "musl", "1.2.4_git20230717-r4", 1),
        ]
    );
    let crypto = find(&inv, Ecosystem::Apk, "libcrypto3");
    assert_eq!(crypto.source_name, "openssl");
    assert_eq!(crypto.license.as_deref(), Some("Apache-2.0"));
    let distro = inv.distro.as_ref().unwrap();
    assert_eq!(distro.id, "alpine");
    assert_eq!(
        crypto.purl(Some(distro)),
        "pkg:apk/alpine/libcrypto3@3.1.4-r5?arch=x86_64&distro=alpine-3.19.1&upstream=openssl"
    );
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// An rpm SQLite database with two packages, made with the host's rpmbuild
/// and `rpm --justdb` (Debian's rpm writes only the SQLite backend).
fn rpm_database(dir: &Path) -> std::path::PathBuf {
    let top = dir.join("rpmbuild");
    let db = dir.join("rpmdb");
    std::fs::create_dir_all(&db).unwrap();
    for (name, epoch, version, license) in [
        ("drydock-rpm-demo", "2", "1.2.3", "MIT AND Apache-2.0"),
        ("drydock-rpm-tool", "0", "0.9~rc1", "GPLv2+"),
    ] {
        let spec = dir.join(format!("{name}.spec"));
        std::fs::write(
            &spec,
            format!(
                "Name: {name}\nVersion: {version}\nRelease: 4.dd1\nEpoch: {epoch}\n\
                 Summary: drydock test package\nLicense: {license}\nBuildArch: noarch\n\
                 %description\nTest package.\n%files\n"
            ),
        )
        .unwrap();
        run(Command::new("rpmbuild")
            .arg("--define")
            .arg(format!("_topdir {}", top.display()))
            .arg("-bb")
            .arg(&spec));
    }
    let rpms: Vec<_> = std::fs::read_dir(top.join("RPMS/noarch"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    run(Command::new("rpm")
        .arg("--dbpath")
        .arg(&db)
        .args(["-i", "--justdb", "--nodeps", "--noscripts"])
        .args(&rpms));
    db
}

#[test]
fn rpm_sqlite_database_in_an_image() {
    let rig = Rig::shared();
    let base = rig.base_image().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let db = rpm_database(tmp.path());
    let expected = run(Command::new("rpm").arg("--dbpath").arg(&db).args([
        "-qa",
        "--qf",
        "%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{ARCH} %{SOURCERPM} %{LICENSE}\\n",
    ]));
    let expected: BTreeSet<&str> = expected.lines().collect();
    assert_eq!(expected.len(), 2, "{expected:?}");

    let dockerfile = format!("FROM {base}\nCOPY rpmdb/ /var/lib/rpm/\n");
    let archive = build_and_save(
        rig,
        Some(tmp.path()),
        dockerfile,
        "drydock-packages-test:rpm",
        tmp.path(),
    );
    let inv = inventory_of(&archive);
    let rpms: Vec<&Package> = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Rpm)
        .collect();
    let actual: BTreeSet<String> = rpms
        .iter()
        .map(|p| {
            let version = if p.version.contains(':') {
                p.version.clone()
            } else {
                format!("0:{}", p.version)
            };
            format!(
                "{} {version} {} {}-{}.src.rpm {}",
                p.name,
                p.architecture.as_deref().unwrap_or(""),
                p.source_name,
                p.source_version.rsplit(':').next().unwrap(),
                p.license.as_deref().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        actual.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        expected
    );
    assert!(
        rpms.iter()
            .all(|p| p.layer == 1 && p.database == "/var/lib/rpm/rpmdb.sqlite")
    );
    // The dpkg database of the base image is still there, from layer 0.
    assert!(
        inv.packages
            .iter()
            .any(|p| p.ecosystem == Ecosystem::Deb && p.layer == 0)
    );
    let demo = rpms.iter().find(|p| p.name == "drydock-rpm-demo").unwrap();
    assert_eq!(demo.version, "2:1.2.3-4.dd1");
    assert_eq!(
        demo.purl(inv.distro.as_ref()),
        "pkg:rpm/debian/drydock-rpm-demo@1.2.3-4.dd1?arch=noarch&distro=debian-12&epoch=2"
    );
}

#[test]
fn corrupt_database_is_an_error_naming_layer_file_and_line() {
    let rig = Rig::shared();
    let base = rig.base_image().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dockerfile = format!(
        "FROM {base}\n\
         RUN printf 'Package: broken\\nthis line is wrong\\n' >> /var/lib/dpkg/status\n"
    );
    let archive = build_and_save(
        rig,
        None,
        dockerfile,
        "drydock-packages-test:corrupt",
        tmp.path(),
    );
    let source = open_str(&archive, &OpenOptions::default()).unwrap();
    let err = inventory(&*source).unwrap_err().to_string();
    assert!(err.starts_with("layer 1: /var/lib/dpkg/status:"), "{err}");
    assert!(err.ends_with(": expected `Field: value`"), "{err}");
}

/// The header blobs of an rpm SQLite database (`hnum`, blob), as rpm wrote
/// them: the fixtures below store these same blobs in the other backends.
fn sqlite_blobs(db: &Path) -> Vec<(u32, Vec<u8>)> {
    let conn = rusqlite::Connection::open_with_flags(
        db.join("rpmdb.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut query = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .unwrap();
    let rows = query
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

/// The packages of the SQLite database in `db` (with its WAL, if rpm left
/// one), for comparison with the other backends.
fn sqlite_packages(db: &Path) -> Vec<Package> {
    let data = std::fs::read(db.join("rpmdb.sqlite")).unwrap();
    let wal = std::fs::read(db.join("rpmdb.sqlite-wal")).ok();
    drydock_packages::parse_rpmdb("/var/lib/rpm/rpmdb.sqlite", &data, wal.as_deref()).unwrap()
}

/// Same packages, whatever database file they came from.
fn without_database(packages: Vec<Package>) -> Vec<Package> {
    let mut packages: Vec<_> = packages
        .into_iter()
        .map(|p| Package {
            database: String::new(),
            ..p
        })
        .collect();
    packages.sort_by(|a, b| a.name.cmp(&b.name));
    packages
}

/// A Berkeley DB hash `Packages` file written by Berkeley DB itself
/// (`db5.3_load`) from rpm header blobs, keyed as rpm keys them (4-byte
/// instance numbers, key 0 holding the instance counter), with pages of
/// `page_size` bytes.
fn berkeley_db(dir: &Path, blobs: &[(u32, Vec<u8>)], page_size: u32) -> Vec<u8> {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let mut dump =
        format!("VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize={page_size}\nHEADER=END\n");
    let next = blobs.iter().map(|b| b.0).max().unwrap_or(0) + 1;
    dump += &format!(
        " {}\n {}\n",
        hex(&0u32.to_le_bytes()),
        hex(&next.to_le_bytes())
    );
    for (hnum, blob) in blobs {
        dump += &format!(" {}\n {}\n", hex(&hnum.to_le_bytes()), hex(blob));
    }
    dump += "DATA=END\n";
    let input = dir.join("Packages.dump");
    std::fs::write(&input, dump).unwrap();
    let packages = dir.join(format!("Packages-{page_size}"));
    run(Command::new("db5.3_load")
        .arg("-f")
        .arg(&input)
        .arg(&packages));
    std::fs::read(&packages).unwrap()
}

/// The Berkeley DB backend gives the same packages as SQLite for the same
/// header blobs: with 512-byte pages every header spans a chain of overflow
/// pages; with 64 KiB pages these small headers are stored in the page.
#[test]
fn rpm_berkeley_db_packages_match_the_sqlite_database() {
    let tmp = tempfile::tempdir().unwrap();
    let db = rpm_database(tmp.path());
    let blobs = sqlite_blobs(&db);
    assert_eq!(blobs.len(), 2);
    for page_size in [512, 65536] {
        let data = berkeley_db(tmp.path(), &blobs, page_size);
        let bdb = drydock_packages::parse_rpmdb("/var/lib/rpm/Packages", &data, None).unwrap();
        assert_eq!(
            without_database(bdb),
            without_database(sqlite_packages(&db)),
            "{page_size}-byte pages"
        );
    }
    assert_eq!(sqlite_packages(&db).len(), 2);
}

/// An NDB `Packages.db` written by this test following the layout as rpm's
/// `lib/backend/ndb/rpmpkg.c` documents it (32-byte `RpmP` header, 16-byte
/// `Slot` entries in 4096-byte slot pages, `BlbS` blobs in 16-byte blocks).
/// This checks the reader against the documented layout, not against rpm's
/// own writer: Debian's rpm has no NDB backend.
#[test]
fn rpm_ndb_packages_match_the_sqlite_database() {
    let tmp = tempfile::tempdir().unwrap();
    let db = rpm_database(tmp.path());
    let blobs = sqlite_blobs(&db);
    let mut file = vec![0u8; 4096];
    let le = |n: u32| n.to_le_bytes();
    file[..4].copy_from_slice(b"RpmP");
    file[8..12].copy_from_slice(&le(1)); // generation
    file[12..16].copy_from_slice(&le(1)); // slot pages
    file[16..20].copy_from_slice(&le(blobs.len() as u32 + 1)); // next package index
    for slot in (32..4096).step_by(16) {
        file[slot..slot + 4].copy_from_slice(b"Slot");
    }
    for (i, (hnum, blob)) in blobs.iter().enumerate() {
        let offset = file.len() as u32 / 16;
        let blocks = (16 + blob.len() as u32 + 12).div_ceil(16);
        let slot = 32 + 16 * i;
        file[slot + 4..slot + 8].copy_from_slice(&le(*hnum));
        file[slot + 8..slot + 12].copy_from_slice(&le(offset));
        file[slot + 12..slot + 16].copy_from_slice(&le(blocks));
        file.extend(b"BlbS");
        for n in [*hnum, 1, blob.len() as u32] {
            file.extend(le(n));
        }
        file.extend(blob);
        // The tail: checksum (not checked by the reader), length, magic.
        file.extend(le(0));
        file.extend(le(blob.len() as u32));
        file.extend(b"BlbE");
        file.resize((offset + blocks) as usize * 16, 0);
    }
    let ndb = drydock_packages::parse_rpmdb("/var/lib/rpm/Packages.db", &file, None).unwrap();
    assert_eq!(
        without_database(ndb),
        without_database(sqlite_packages(&db))
    );
    assert_eq!(blobs.len(), 2);
}

/// Hostile Berkeley DB input: a fuzzer-found file that crashed the previous
/// reader (the `rpmdb` crate), and real headers whose overflow chains are
/// made to loop. Each is an error, quickly.
#[test]
fn hostile_rpm_databases_are_errors() {
    let started = std::time::Instant::now();
    let crash = include_bytes!("data/rpm-bdb-crash.bin");
    let err = drydock_packages::parse_rpmdb("/var/lib/rpm/Packages", crash, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "/var/lib/rpm/Packages: cannot read the rpm database: Berkeley DB: \
         byte 25: page type 2 is not a hash metadata page (not a hash database?)"
    );
    // The same file with its metadata page type repaired reaches the hash
    // pages, whose corrupt entry count crashed the old reader.
    let mut repaired = crash.to_vec();
    repaired[25] = 8;
    let err = drydock_packages::parse_rpmdb("/var/lib/rpm/Packages", &repaired, None).unwrap_err();
    assert!(err.to_string().contains("Berkeley DB: "), "{err}");
    // A header blob declaring more entries / data than it has.
    let mut blob = vec![0, 0, 0, 1, 0, 0, 0, 8];
    blob.extend([0u8; 16]);
    let mut file = vec![0u8; 4096];
    file[..4].copy_from_slice(b"RpmP");
    file[12..16].copy_from_slice(&1u32.to_le_bytes());
    for slot in (32..4096).step_by(16) {
        file[slot..slot + 4].copy_from_slice(b"Slot");
    }
    for (at, n) in [(36, 5u32), (40, 256), (44, 4)] {
        file[at..at + 4].copy_from_slice(&n.to_le_bytes());
    }
    file.extend(b"BlbS");
    for n in [5u32, 1, blob.len() as u32] {
        file.extend(n.to_le_bytes());
    }
    file.extend(&blob);
    file.resize(4096 + 64, 0);
    let err = drydock_packages::parse_rpmdb("/var/lib/rpm/Packages.db", &file, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with(
            "Packages.db: cannot read the rpm database: package 5 (slot at byte 32): \
             header: byte 0: 1 entries and 8 data bytes need 32 bytes, the blob has 24"
        ),
        "{err}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

/// A Berkeley DB file from real headers, then its overflow chains pointed
/// back at themselves: an error naming the page, not a hang.
#[test]
fn cyclic_berkeley_db_overflow_chains_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let db = rpm_database(tmp.path());
    let data = berkeley_db(tmp.path(), &sqlite_blobs(&db), 512);
    // Every overflow page (type 7 at byte 25) that continues a chain now
    // continues it with itself; then with the chain's previous page.
    for to_self in [true, false] {
        let mut bad = data.clone();
        let mut patched = 0;
        for (pgno, page) in bad.chunks_mut(512).enumerate() {
            let next = u32::from_le_bytes(page[16..20].try_into().unwrap());
            if page[25] == 7 && next != 0 {
                let target = if to_self {
                    pgno as u32
                } else {
                    u32::from_le_bytes(page[12..16].try_into().unwrap()).max(1)
                };
                page[16..20].copy_from_slice(&target.to_le_bytes());
                patched += 1;
            }
        }
        assert!(patched > 0);
        let started = std::time::Instant::now();
        let err = drydock_packages::parse_rpmdb("/var/lib/rpm/Packages", &bad, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("Berkeley DB: page "), "{err}");
        assert!(
            err.contains("loops back to page") || err.contains("where an overflow page"),
            "{err}"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}

/// A package added to an rpm SQLite database that is still in its
/// write-ahead log (not checkpointed) is read from the WAL.
#[test]
fn rpm_sqlite_write_ahead_log_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let db = rpm_database(tmp.path());
    let blobs = sqlite_blobs(&db);
    let conn = rusqlite::Connection::open(db.join("rpmdb.sqlite")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
    conn.execute(
        "INSERT INTO Packages (hnum, blob) VALUES (?1, ?2)",
        (100, &blobs[0].1),
    )
    .unwrap();
    // Read while the connection is open: its changes are only in the WAL.
    let data = std::fs::read(db.join("rpmdb.sqlite")).unwrap();
    let wal = std::fs::read(db.join("rpmdb.sqlite-wal")).unwrap();
    assert!(!wal.is_empty());
    let file = "/var/lib/rpm/rpmdb.sqlite";
    let with_wal = drydock_packages::parse_rpmdb(file, &data, Some(&wal)).unwrap();
    let without = drydock_packages::parse_rpmdb(file, &data, None).unwrap();
    assert_eq!((with_wal.len(), without.len()), (3, 2));
    drop(conn);
}
