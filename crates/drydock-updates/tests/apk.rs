//! apk images: an apk database and an `APKINDEX.tar.gz` signed with an RSA key made by
//! `openssl`, the way abuild signs (a signature tar fragment, gzip-compressed, in front of the
//! gzip-compressed index, the signature covering the index's compressed bytes), served over
//! HTTP on loopback by the rig's static file server.
//!
//! Debian bookworm has no `apk-tools`, so there is no apk oracle: the expected results are
//! computed by hand from apk's version rules and written down below.

use std::io::Write;
use std::path::Path;
use std::process::Command;

mod common;

use common::{image, tar};
use drydock_image::DockerArchive;
use drydock_rig::http::StaticServer;
use drydock_updates::{Error, Options, pending_updates};

const KEY_NAME: &str = "test@drydock.invalid-1.rsa.pub";

fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("/usr/bin/openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

/// The two gzip streams of an `APKINDEX.tar.gz` with `index` as its `APKINDEX`, signed with
/// `key` (SHA-1, `.SIGN.RSA.`): (signature, index).
fn signed_apkindex(dir: &Path, key: &Path, index: &str) -> (Vec<u8>, Vec<u8>) {
    let index_gz = gzip(&tar(
        &[("DESCRIPTION", b"test"), ("APKINDEX", index.as_bytes())],
        true,
    ));
    let unsigned = dir.join("index.tar.gz");
    std::fs::write(&unsigned, &index_gz).unwrap();
    let signature = openssl(&[
        "dgst",
        "-sha1",
        "-sign",
        key.to_str().unwrap(),
        unsigned.to_str().unwrap(),
    ]);
    let sign_gz = gzip(&tar(
        &[(&format!(".SIGN.RSA.{KEY_NAME}"), &signature)],
        false,
    ));
    (sign_gz, index_gz)
}

const INSTALLED: &str = "P:busybox\nV:1.36.1-r5\nA:x86_64\no:busybox\n\n\
    P:ssl_client\nV:1.36.1-r5\nA:x86_64\no:busybox\n\n\
    P:zlib\nV:1.3-r0\nA:x86_64\no:zlib\n\n\
    P:libcrypto3\nV:3.1.4-r1\nA:x86_64\no:openssl\n\n\
    P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\n";

const INDEX: &str = "C:Q1aaaa=\nP:busybox\nV:1.36.1-r15\nA:x86_64\no:busybox\n\n\
    C:Q1bbbb=\nP:ssl_client\nV:1.36.1-r5\nA:x86_64\no:busybox\n\n\
    C:Q1cccc=\nP:zlib\nV:1.3_rc1-r0\nA:x86_64\no:zlib\n\n\
    C:Q1dddd=\nP:libcrypto3\nV:3.1.4_p1-r0\nA:x86_64\no:openssl\n\n\
    C:Q1eeee=\nP:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\n\
    C:Q1ffff=\nP:not-installed\nV:9-r0\nA:x86_64\n\n";

const TAGGED_INDEX: &str = "C:Q1gggg=\nP:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n\n";

struct Fixture {
    _dir: tempfile::TempDir,
    _server: StaticServer,
    url: String,
    public_key: Vec<u8>,
    root: std::path::PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    openssl(&["genrsa", "-out", key.to_str().unwrap(), "2048"]);
    let public_key = openssl(&["rsa", "-in", key.to_str().unwrap(), "-pubout"]);
    let root = dir.path().join("www");
    for (repo, index) in [("v3.99/main", INDEX), ("edge/testing", TAGGED_INDEX)] {
        let arch_dir = root.join(repo).join("x86_64");
        std::fs::create_dir_all(&arch_dir).unwrap();
        let (signature, index) = signed_apkindex(dir.path(), &key, index);
        std::fs::write(
            arch_dir.join("APKINDEX.tar.gz"),
            [signature, index].concat(),
        )
        .unwrap();
    }
    let server = StaticServer::start(root.clone()).unwrap();
    Fixture {
        url: format!("http://{}", server.addr()),
        _dir: dir,
        _server: server,
        public_key,
        root,
    }
}

fn alpine(fixture: &Fixture, repositories: &str, key: &[u8]) -> DockerArchive {
    image(
        "apk-test:1",
        &[
            (
                "etc/os-release",
                b"ID=alpine\nVERSION_ID=3.99.0\nPRETTY_NAME=\"Alpine Linux v3.99\"\n",
            ),
            (
                "etc/apk/repositories",
                repositories.replace("URL", &fixture.url).as_bytes(),
            ),
            (&format!("etc/apk/keys/{KEY_NAME}"), key),
            ("lib/apk/db/installed", INSTALLED.as_bytes()),
        ],
    )
}

#[test]
fn apk_updates_follow_apk_version_order_and_untagged_repositories() {
    let fixture = fixture();
    let image = alpine(
        &fixture,
        "URL/v3.99/main\n@testing URL/edge/testing\n",
        &fixture.public_key,
    );
    let updates = pending_updates(&image, &Options::default()).unwrap();
    let got: Vec<_> = updates
        .updates
        .iter()
        .map(|u| {
            (
                u.name.as_str(),
                u.installed_version.as_str(),
                u.fixed_version.as_str(),
            )
        })
        .collect();
    // busybox: -r15 > -r5 (numeric); libcrypto3: _p1 (patch) sorts after the release;
    // zlib: _rc1 sorts before the release (no update); ssl_client, musl: equal (musl's newer
    // version is only in an @tag repository, which apk uses only for packages pinned to it).
    assert_eq!(
        got,
        [
            ("busybox", "1.36.1-r5", "1.36.1-r15"),
            ("libcrypto3", "3.1.4-r1", "3.1.4_p1-r0")
        ]
    );
    let busybox = &updates.updates[0];
    assert_eq!(busybox.suites, ["v3.99/main"]);
    assert_eq!(
        (
            busybox.layer,
            busybox.source_name.as_str(),
            busybox.security
        ),
        (0, "busybox", false)
    );
    assert_eq!(updates.updates[1].source_name, "openssl");
    assert_eq!(updates.installed, 5);
}

#[test]
fn apk_signature_problems_are_errors() {
    let fixture = fixture();
    // Another key under the signer's name in /etc/apk/keys.
    let wrong_dir = tempfile::tempdir().unwrap();
    let wrong = wrong_dir.path().join("wrong.pem");
    openssl(&["genrsa", "-out", wrong.to_str().unwrap(), "2048"]);
    let wrong_public = openssl(&["rsa", "-in", wrong.to_str().unwrap(), "-pubout"]);
    let image = alpine(&fixture, "URL/v3.99/main\n", &wrong_public);
    let e = pending_updates(&image, &Options::default()).unwrap_err();
    assert!(matches!(e, Error::Signature { .. }), "{e}");
    assert!(
        e.to_string().contains("v3.99/main/x86_64/APKINDEX.tar.gz"),
        "{e}"
    );

    // A tampered index: the original signature in front of another (well-formed) index.
    let path = fixture.root.join("v3.99/main/x86_64/APKINDEX.tar.gz");
    let original = std::fs::read(&path).unwrap();
    let key = fixture._dir.path().join("key.pem");
    let (signature, _) = signed_apkindex(wrong_dir.path(), &key, INDEX);
    let forged = INDEX.replace("1.36.1-r15", "1.36.1-r99");
    let other_index = gzip(&tar(
        &[("DESCRIPTION", b"test"), ("APKINDEX", forged.as_bytes())],
        true,
    ));
    std::fs::write(&path, [signature, other_index].concat()).unwrap();
    let image = alpine(&fixture, "URL/v3.99/main\n", &fixture.public_key);
    let e = pending_updates(&image, &Options::default()).unwrap_err();
    assert!(matches!(e, Error::Signature { .. }), "{e}");
    assert!(
        e.to_string().contains("v3.99/main/x86_64/APKINDEX.tar.gz"),
        "{e}"
    );
    std::fs::write(&path, original).unwrap();
    assert!(pending_updates(&image, &Options::default()).is_ok());

    // A repository that does not exist.
    let image = alpine(&fixture, "URL/v3.99/community\n", &fixture.public_key);
    let e = pending_updates(&image, &Options::default()).unwrap_err();
    assert!(matches!(e, Error::Fetch { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("v3.99/community/x86_64/APKINDEX.tar.gz"),
        "{e}"
    );
}

#[test]
fn what_is_read_of_an_image_is_cached_by_image_id() {
    let fixture = fixture();
    let image = alpine(&fixture, "URL/v3.99/main\n", &fixture.public_key);
    let cache = tempfile::tempdir().unwrap();
    let options = Options {
        fetch: drydock_updates::FetchOptions {
            cache_dir: Some(cache.path().to_owned()),
            ..Default::default()
        },
        ..Options::default()
    };
    let busybox = |options: &Options| {
        let updates = pending_updates(&image, options).unwrap();
        let u = updates
            .updates
            .iter()
            .find(|u| u.name == "busybox")
            .unwrap();
        (u.installed_version.clone(), u.fixed_version.clone())
    };
    let expected = ("1.36.1-r5".to_owned(), "1.36.1-r15".to_owned());
    assert_eq!(busybox(&options), expected);
    let id = drydock_image::ImageSource::image(&image)
        .config_digest
        .clone()
        .unwrap();
    let entry = cache.path().join("images").join(format!(
        "{}.json",
        id.to_string().trim_start_matches("sha256:")
    ));
    // The entry is what is used: an edited one shows (the image is not read again).
    let text = std::fs::read_to_string(&entry).unwrap();
    let edited = text.replace(
        r#""name":"busybox","version":"1.36.1-r5""#,
        r#""name":"busybox","version":"1.36.1-r14""#,
    );
    assert_ne!(text, edited);
    std::fs::write(&entry, edited).unwrap();
    assert_eq!(
        busybox(&options),
        ("1.36.1-r14".to_owned(), "1.36.1-r15".to_owned())
    );
    // A corrupt entry is read again from the image and replaced.
    std::fs::write(&entry, &text[..text.len() / 2]).unwrap();
    assert_eq!(busybox(&options), expected);
    assert_eq!(std::fs::read_to_string(&entry).unwrap(), text);
    // Without a cache directory, nothing is cached.
    assert_eq!(busybox(&Options::default()), expected);
}
