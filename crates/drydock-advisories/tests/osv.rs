//! Loading OSV records (directory, zip, errors, limits) and matching them to
//! inventories. The fixtures under `tests/fixtures/osv` are written for these
//! tests: invented package names and ids, not real advisories.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use drydock_advisories::{Database, Error, LoadOptions, inventory_ecosystems, match_inventory};
use drydock_packages::{Distro, Ecosystem, Inventory, Package};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/osv")
}

fn package(ecosystem: Ecosystem, name: &str, version: &str, source: (&str, &str)) -> Package {
    Package {
        ecosystem,
        name: name.into(),
        version: version.into(),
        architecture: None,
        source_name: source.0.into(),
        source_version: source.1.into(),
        license: None,
        layer: 0,
        database: String::new(),
    }
}

fn debian_inventory() -> Inventory {
    let mut tls = package(
        Ecosystem::Deb,
        "libtls3",
        "3.0.11-1~deb12u1",
        ("tlslib", "3.0.11-1~deb12u1"),
    );
    tls.layer = 2;
    Inventory {
        distro: Some(Distro::parse("ID=debian\nVERSION_ID=\"12\"\n")),
        packages: vec![
            tls,
            package(
                Ecosystem::Deb,
                "tlslib",
                "3.0.11-1~deb12u1",
                ("tlslib", "3.0.11-1~deb12u1"),
            ),
            package(
                Ecosystem::Deb,
                "libcompress1",
                "1:1.2.13.dfsg-1",
                ("compresslib", "1:1.2.13.dfsg-1"),
            ),
            // A binNMU: the binary has +b1, the advisory's last_affected is the source version.
            package(
                Ecosystem::Deb,
                "shelltool",
                "5.2.15-2+b2",
                ("shelltool", "5.2.15-2"),
            ),
        ],
        notes: vec![],
    }
}

fn ids(db: &Database, inventory: &Inventory) -> Vec<(String, String, Option<String>)> {
    match_inventory(db, inventory)
        .matches
        .into_iter()
        .map(|m| (m.id, m.binaries.join(","), m.fixed))
        .collect()
}

#[test]
fn debian_packages_match_by_source_package_and_version() {
    let db = Database::load(&fixtures(), &LoadOptions::default()).unwrap();
    assert_eq!(db.stats.records, 9);
    assert_eq!(db.stats.withdrawn, 1);
    assert_eq!(db.stats.unsupported.get("PyPI"), Some(&1));
    let inventory = debian_inventory();
    assert_eq!(
        ids(&db, &inventory),
        [
            ("DRYDOCK-TEST-DEB-2".into(), "libcompress1".into(), None),
            ("DRYDOCK-TEST-DEB-5".into(), "shelltool".into(), None),
            (
                "DRYDOCK-TEST-DEB-1".into(),
                "libtls3,tlslib".into(),
                Some("3.0.11-1~deb12u2".into())
            ),
        ]
    );
    let m = match_inventory(&db, &inventory);
    let tls = m
        .matches
        .iter()
        .find(|m| m.id == "DRYDOCK-TEST-DEB-1")
        .unwrap();
    assert_eq!(tls.layer, 0, "the lowest layer of the binaries");
    assert_eq!(tls.aliases, ["CVE-2099-0001"]);
    assert_eq!(tls.ecosystem, "Debian:12");
    // Debian 11 ranges of the same record do not apply to a Debian 12 image.
    let mut bullseye = debian_inventory();
    bullseye.distro = Some(Distro::parse("ID=debian\nVERSION_ID=\"11\"\n"));
    let m = match_inventory(&db, &bullseye);
    assert_eq!(m.matches.len(), 0, "{:?}", m.matches);
}

#[test]
fn alpine_packages_match_by_origin_and_name_with_apk_ordering() {
    let db = Database::load(&fixtures().join("alpine"), &LoadOptions::default()).unwrap();
    let inventory = Inventory {
        distro: Some(Distro::parse("ID=alpine\nVERSION_ID=3.19.1\n")),
        packages: vec![
            // Origin `tlslib`: found through its origin.
            package(
                Ecosystem::Apk,
                "libtls3",
                "3.1.4-r4",
                ("tlslib", "3.1.4-r4"),
            ),
            // Listed in `versions`, exactly.
            package(
                Ecosystem::Apk,
                "busytool",
                "1.36.1-r15",
                ("busytool", "1.36.1-r15"),
            ),
        ],
        notes: vec![],
    };
    assert_eq!(
        ids(&db, &inventory),
        [
            ("DRYDOCK-TEST-APK-2".into(), "busytool".into(), None),
            (
                "DRYDOCK-TEST-APK-1".into(),
                "libtls3".into(),
                Some("3.1.4-r5".into())
            ),
        ]
    );
    let mut newer = inventory.clone();
    newer.packages[0].version = "3.1.4-r10".into();
    newer.packages[1].version = "1.36.1-r17".into();
    assert!(
        ids(&db, &newer).is_empty(),
        "-r10 > -r5 numerically; r17 not listed"
    );
}

#[test]
fn unmatched_distributions_and_missing_data_are_notices() {
    let db = Database::load(&fixtures().join("alpine"), &LoadOptions::default()).unwrap();
    let m = match_inventory(&db, &debian_inventory());
    assert!(m.matches.is_empty());
    assert_eq!(
        m.notices,
        ["the OSV data has no records for Debian:12: its packages were not checked"]
    );
    let fedora = Inventory {
        distro: Some(Distro::parse("ID=fedora\nVERSION_ID=40\n")),
        packages: vec![package(
            Ecosystem::Rpm,
            "bash",
            "5.2-1.fc40",
            ("bash", "5.2-1.fc40"),
        )],
        notes: vec![],
    };
    let m = match_inventory(&db, &fedora);
    assert!(m.notices[0].contains("not matched"), "{:?}", m.notices);
}

#[test]
fn loading_can_keep_only_the_image_ecosystems() {
    let inventory = debian_inventory();
    let wanted = inventory_ecosystems(&inventory);
    assert_eq!(wanted, BTreeSet::from(["Debian:12".to_owned()]));
    let opts = LoadOptions {
        ecosystems: Some(wanted),
        ..LoadOptions::default()
    };
    let db = Database::load(&fixtures(), &opts).unwrap();
    assert_eq!(
        db.stats.kept, 5,
        "DEB-1, 2, 3, 5, 6: not withdrawn DEB-4, Alpine or PyPI"
    );
    assert!(db.stats.ecosystems.contains_key("Alpine:v3.19"));
    assert_eq!(ids(&db, &inventory).len(), 3);
}

fn write_zip(path: &Path, members: &[(&str, &[u8])]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        zip.start_file(*name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

fn fixture_members() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in ["debian", "alpine", "other"] {
        let mut entries: Vec<_> = std::fs::read_dir(fixtures().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            out.push((name, std::fs::read(&path).unwrap()));
        }
    }
    out
}

#[test]
fn a_zip_loads_like_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let zip_path = tmp.path().join("all.zip");
    let members = fixture_members();
    let refs: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    write_zip(&zip_path, &refs);
    let from_zip = Database::load(&zip_path, &LoadOptions::default()).unwrap();
    let from_dir = Database::load(&fixtures(), &LoadOptions::default()).unwrap();
    assert_eq!(from_zip.stats.records, from_dir.stats.records);
    assert_eq!(from_zip.stats.kept, from_dir.stats.kept);
    let inventory = debian_inventory();
    assert_eq!(ids(&from_zip, &inventory), ids(&from_dir, &inventory));
    // A directory holding the zip finds it too.
    let again = Database::load(tmp.path(), &LoadOptions::default()).unwrap();
    assert_eq!(again.stats.records, from_zip.stats.records);
}

#[test]
fn malformed_input_is_an_error_naming_file_and_position() {
    let tmp = tempfile::tempdir().unwrap();
    let zip_path = tmp.path().join("bad.zip");
    write_zip(
        &zip_path,
        &[
            ("GOOD-1.json", br#"{"id": "GOOD-1"}"#),
            (
                "BAD-1.json",
                b"{\"id\": \"BAD-1\",\n  \"affected\": [{\"ranges\": 3}]}",
            ),
        ],
    );
    let e = Database::load(&zip_path, &LoadOptions::default()).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::Json { line: 2, .. }), "{text}");
    assert!(
        text.starts_with(&format!("{}:BAD-1.json: line 2 column", zip_path.display())),
        "{text}"
    );

    // Truncated and non-zip archives, an unknown file type, a missing path.
    let truncated = tmp.path().join("truncated.zip");
    let bytes = std::fs::read(&zip_path).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let e = Database::load(&truncated, &LoadOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Zip { .. }), "{e}");
    let text_file = tmp.path().join("notes.txt");
    std::fs::write(&text_file, "hello").unwrap();
    let e = Database::load(&text_file, &LoadOptions::default()).unwrap_err();
    assert!(matches!(e, Error::NotOsv { .. }), "{e}");
    let e = Database::load(&tmp.path().join("missing"), &LoadOptions::default()).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
}

#[test]
fn records_over_the_size_cap_are_refused_without_reading_them_whole() {
    let tmp = tempfile::tempdir().unwrap();
    // 64 MiB of zeros compress to ~64 KiB: a small zip that would be large in memory.
    let big = vec![b' '; 64 << 20];
    let zip_path = tmp.path().join("bomb.zip");
    write_zip(&zip_path, &[("BIG.json", &big)]);
    assert!(std::fs::metadata(&zip_path).unwrap().len() < 1 << 20);
    let opts = LoadOptions {
        max_record_bytes: 1 << 20,
        ..LoadOptions::default()
    };
    let e = Database::load(&zip_path, &opts).unwrap_err();
    assert!(
        matches!(e, Error::TooLarge { limit, .. } if limit == 1 << 20),
        "{e}"
    );
    assert!(e.to_string().contains("bomb.zip:BIG.json"), "{e}");
    let many = LoadOptions {
        max_records: 3,
        ..LoadOptions::default()
    };
    let e = Database::load(&fixtures(), &many).unwrap_err();
    assert!(matches!(e, Error::TooMany { limit: 3, .. }), "{e}");
}

/// A synthetic record in the shape osv.dev publishes for Debian (invented
/// package names and versions).
fn synthetic(i: usize) -> String {
    format!(
        r#"{{"schema_version":"1.6.0","id":"DRYDOCK-SYN-{i}","modified":"2099-01-01T00:00:00Z",
"published":"2099-01-01T00:00:00Z","aliases":["CVE-2099-{i:05}"],
"summary":"synthetic advisory number {i} for the load benchmark",
"details":"A longer description of the synthetic problem, about as long as a typical one: lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore.",
"affected":[{{"package":{{"ecosystem":"Debian:12","name":"pkg{p}","purl":"pkg:deb/debian/pkg{p}?arch=source"}},
"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"1.{i}-1+deb12u1"}}]}}],
"versions":["1.0-1","1.1-1","1.2-1","1.3-1"],
"ecosystem_specific":{{"urgency":"medium"}},"database_specific":{{"source":"https://advisories.example.test/{i}.json"}}}},
{{"package":{{"ecosystem":"Debian:11","name":"pkg{p}"}},
"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"1.{i}-1+deb11u1"}}]}}]}}],
"references":[{{"type":"ADVISORY","url":"https://advisories.example.test/{i}"}}]}}"#,
        p = i % 997
    )
}

#[test]
fn load_speed_of_a_directory_and_a_zip() {
    const N: usize = 20_000;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("records");
    std::fs::create_dir(&dir).unwrap();
    let records: Vec<String> = (0..N).map(synthetic).collect();
    for (i, r) in records.iter().enumerate() {
        std::fs::write(dir.join(format!("DRYDOCK-SYN-{i}.json")), r).unwrap();
    }
    let zip_path = tmp.path().join("all.zip");
    let names: Vec<String> = (0..N).map(|i| format!("DRYDOCK-SYN-{i}.json")).collect();
    let members: Vec<(&str, &[u8])> = names
        .iter()
        .zip(&records)
        .map(|(n, r)| (n.as_str(), r.as_bytes()))
        .collect();
    write_zip(&zip_path, &members);
    let opts = LoadOptions {
        ecosystems: Some(BTreeSet::from(["Debian:12".to_owned()])),
        ..LoadOptions::default()
    };
    for path in [&dir, &zip_path] {
        let started = Instant::now();
        let db = Database::load(path, &opts).unwrap();
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(db.stats.records, N);
        assert_eq!(db.stats.kept, N);
        eprintln!(
            "loaded {N} records ({} MB) from {} in {secs:.2}s: {:.0} records/s",
            db.stats.bytes / 1_000_000,
            path.display(),
            N as f64 / secs
        );
        // Generous for a debug build on a loaded 2-core machine.
        assert!(secs < 30.0, "{secs:.1}s");
    }
}
