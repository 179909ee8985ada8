//! Hostile input for every parser: truncations and byte mutations of valid samples, and
//! pathological shapes. Parsers must return errors with a location, never panic.

use drydock_updates::{index, release, rpmmd, sources};

const SOURCES_LIST: &str = "deb [arch=amd64 signed-by=/k.gpg] http://a.example.test/debian bookworm main contrib\n\
    deb-src http://a.example.test/debian bookworm main\n# c\ndeb file:/r ./\n";
const DEB822: &str = "Types: deb\nURIs: http://a.example.test/debian\nSuites: bookworm bookworm-updates\n\
    Components: main\nSigned-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n x\n -----END PGP PUBLIC KEY BLOCK-----\n\n";
const RELEASE: &str = "Suite: stable\nCodename: bookworm\nValid-Until: Sat, 28 Nov 2026 00:53:02 UTC\n\
    SHA256:\n e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 0 main/binary-amd64/Packages\n";
const PACKAGES: &str = "Package: a\nVersion: 1.0-1\nArchitecture: all\nSource: b (1)\n\nPackage: c\nVersion: 2\nArchitecture: amd64\n";
const APKINDEX: &str = "C:Q1x=\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\nP:zlib\nV:1.3-r0\n\n";
const REPO: &str = "[main]\ngpgcheck=1\n[base]\nbaseurl=http://r.example.test/$releasever/\n  file:///srv/x,\
    http://s.example.test/\nenabled=1\nrepo_gpgcheck=0\npriority=5\ngpgkey=file:///k\n; c\n";
const REPOMD: &str = "<?xml version=\"1.0\"?><repomd xmlns=\"http://linux.duke.edu/metadata/repo\">\
    <data type=\"primary\"><checksum type=\"sha256\">ab</checksum><location href=\"repodata/p.xml.gz\"/>\
    <size>10</size></data></repomd>";
const PRIMARY: &str = "<metadata><package type=\"rpm\"><name>a&amp;b</name><arch>noarch</arch>\
    <version epoch=\"1\" ver=\"2\" rel=\"3\"/><format><rpm:sourcerpm>a.src.rpm</rpm:sourcerpm></format>\
    </package><package><name>c</name><arch>src</arch><version ver=\"1\" rel=\"1\"/></package></metadata>";
const UPDATEINFO: &str = "<updates><update type=\"security\"><id>A-1</id><pkglist><collection>\
    <package name=\"a\" version=\"1\" release=\"2\" epoch=\"0\" arch=\"x86_64\"/></collection></pkglist>\
    </update></updates>";

/// Every parser on `text`; returns how many failed (errors are fine, panics are not).
fn parse_all(text: &str) -> usize {
    let results = [
        sources::parse_sources_list("f", text)
            .err()
            .map(|e| e.to_string()),
        sources::parse_deb822_sources("f", text)
            .err()
            .map(|e| e.to_string()),
        sources::parse_apk_repositories("f", text)
            .err()
            .map(|e| e.to_string()),
        release::Release::parse("u", text)
            .err()
            .map(|e| e.to_string()),
        index::parse_packages("u", text.as_bytes(), &|_| true)
            .err()
            .map(|e| e.to_string()),
        index::parse_apkindex("u", text, &|_| true)
            .err()
            .map(|e| e.to_string()),
        rpmmd::parse_repo_file("f", text)
            .err()
            .map(|e| e.to_string()),
        rpmmd::parse_main_config("f", text)
            .err()
            .map(|e| e.to_string()),
        rpmmd::parse_repomd("u", text.as_bytes())
            .err()
            .map(|e| e.to_string()),
        rpmmd::parse_primary("u", text.as_bytes(), &|_| true)
            .err()
            .map(|e| e.to_string()),
        rpmmd::parse_updateinfo("u", text.as_bytes(), &|_| true)
            .err()
            .map(|e| e.to_string()),
    ];
    for message in results.iter().flatten() {
        assert!(
            message.starts_with("f:") || message.starts_with("u:"),
            "error without a location: {message}"
        );
    }
    let _ = release::parse_date(text);
    results.iter().flatten().count()
}

#[test]
fn truncations_and_mutations_of_valid_input_never_panic() {
    let mut failures = 0;
    for sample in [
        SOURCES_LIST,
        DEB822,
        RELEASE,
        PACKAGES,
        APKINDEX,
        REPO,
        REPOMD,
        PRIMARY,
        UPDATEINFO,
    ] {
        for end in 0..=sample.len() {
            if sample.is_char_boundary(end) {
                failures += parse_all(&sample[..end]);
            }
        }
        let bytes = sample.as_bytes();
        for i in 0..bytes.len() {
            for replacement in [
                b'\n', b' ', b':', b'[', b']', b'#', b'-', b'.', b'/', 0xff, b'<', b'>', b'"',
                b'&', b'=',
            ] {
                let mut mutated = bytes.to_vec();
                mutated[i] = replacement;
                failures += parse_all(&String::from_utf8_lossy(&mutated));
            }
        }
    }
    assert!(failures > 0, "the mutations must hit some errors");
}

#[test]
fn pathological_shapes_are_handled() {
    let long_line = "x".repeat(1 << 20);
    let deep_continuations = format!("Types: deb\n{}", " .\n".repeat(100_000));
    let many_fields = "A: b\n".repeat(100_000);
    for text in [
        long_line.as_str(),
        deep_continuations.as_str(),
        many_fields.as_str(),
        "\u{0}\u{0}\u{0}",
        ":\n:\n:",
        "deb [",
        "deb [ ] ",
        "deb [a=b",
        "SHA256:\n 1 2 3 4\n",
        "Valid-Until: Sat, 31 Feb 99999999999999999999 00:00:00 UTC\nSHA256:\n",
        "Valid-Until: , 1 Jan -9223372036854775808 0:0:0 +9999\nSHA256:\n",
        "Package: a\n\n\n\nPackage:\n",
        "P:\nV:\n",
        "é:é\n",
        "<",
        "<a",
        "<a b='",
        "<!DOCTYPE x [<!ENTITY e \"&e;&e;\">]><repomd>&e;</repomd>",
        "<repomd><data type='primary'><location href='../../etc/passwd'/></data></repomd>",
        "<metadata><package><version epoch='' ver='' rel=''/></package></metadata>",
        "<updates><update><id>x</id><package/></update></updates>",
        "[a]\nbaseurl=$\n",
        "[]\n",
    ] {
        parse_all(text);
    }
    for bad in [
        &b""[..],
        b"\x1f\x8b",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
        b"\xfd7zXZ\x00",
        b"not compressed",
    ] {
        for path in ["Packages.gz", "Packages.xz", "APKINDEX.tar.gz"] {
            let _ = index::decompress("u", path, bad.to_vec());
        }
        assert!(index::read_apkindex("u", bad).is_err());
        for location in ["p.xml.gz", "p.xml.xz", "p.xml.zst", "p.xml.bz2"] {
            if let Ok(reader) = rpmmd::open_metadata("u", location, bad) {
                assert!(rpmmd::parse_primary("u", reader, &|_| true).is_err());
            }
        }
    }
    let deep = format!("<metadata>{}", "<package>".repeat(100_000));
    assert!(rpmmd::parse_primary("u", deep.as_bytes(), &|_| true).is_err());
    let many_attributes = format!(
        "<repomd><data {}/></repomd>",
        (0..50_000)
            .map(|i| format!("a{i}='x' "))
            .collect::<String>()
    );
    let e = rpmmd::parse_repomd("u", many_attributes.as_bytes()).unwrap_err();
    assert!(e.to_string().contains("attributes"), "{e}");
}
