//! rpm images: packages built with `rpmbuild`, an rpm SQLite database made by `rpm --justdb`,
//! two rpm-md repositories made by `createrepo_c` (an `updateinfo.xml` added with
//! `modifyrepo_c`), served over HTTP on loopback by the rig's static file server. dnf is the
//! oracle: `dnf check-update` and `dnf updateinfo list --security`, run against the same
//! database (in an install root) and the same `.repo` file, must agree with drydock.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

use common::image;
use drydock_image::{DockerArchive, ImageSource};
use drydock_rig::http::StaticServer;
use drydock_updates::{Error, FetchOptions, Options, Updates, pending_updates};

const RELEASEVER: &str = "40";
const REPO_FILE: &str = "[base]\nname=Base $releasever\nbaseurl=URL/$releasever/base/$basearch/\n\
    gpgcheck=0\n\n[updates]\nname=Updates\nbaseurl=URL/$releasever/updates/$basearch/\ngpgcheck=0\n\
    GPGOPTS\n[disabled]\nbaseurl=http://127.0.0.1:1/never/\nenabled=0\n\n\
    [metalinked]\nmetalink=http://127.0.0.1:1/metalink?repo=x-$releasever\n";

/// (name, epoch, version, release, arch)
type Nevra = (&'static str, u32, &'static str, &'static str, &'static str);
const INSTALLED: [Nevra; 3] = [
    ("drydock-rpm-demo", 0, "1.0", "1", "x86_64"),
    ("drydock-rpm-tool", 0, "0.9", "1", "noarch"),
    ("drydock-rpm-keep", 0, "2.0", "1", "x86_64"),
];
const BASE: [Nevra; 4] = [
    ("drydock-rpm-demo", 0, "1.0", "1", "x86_64"),
    ("drydock-rpm-demo", 0, "1.0", "2", "x86_64"),
    // A higher epoch wins over a higher version.
    ("drydock-rpm-tool", 1, "0.8", "1", "noarch"),
    // `~` sorts before the release: not an update.
    ("drydock-rpm-keep", 0, "2.0~rc1", "1", "x86_64"),
];
const UPDATES: [Nevra; 1] = [("drydock-rpm-demo", 0, "1.0", "3", "x86_64")];

const UPDATEINFO: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="security@drydock.invalid" status="stable" type="security" version="1.4">
    <id>DRYDOCK-2026-0001</id>
    <title>demo: security fix</title>
    <issued date="2026-11-20 00:00:00"/>
    <severity>Important</severity>
    <description>Fixes a vulnerability.</description>
    <pkglist><collection short="demo"><name>demo</name>
      <package name="drydock-rpm-demo" version="1.0" release="3" epoch="0" arch="x86_64" src="drydock-rpm-demo-1.0-3.src.rpm">
        <filename>drydock-rpm-demo-1.0-3.x86_64.rpm</filename>
      </package>
    </collection></pkglist>
  </update>
  <update from="bugs@drydock.invalid" status="stable" type="bugfix" version="1.4">
    <id>DRYDOCK-2026-0002</id>
    <title>tool: bug fix</title>
    <issued date="2026-11-20 00:00:00"/>
    <pkglist><collection short="tool"><name>tool</name>
      <package name="drydock-rpm-tool" version="0.8" release="1" epoch="1" arch="noarch">
        <filename>drydock-rpm-tool-0.8-1.noarch.rpm</filename>
      </package>
    </collection></pkglist>
  </update>
</updates>
"#;

fn run(command: &mut Command) -> String {
    let out = command.output().expect("the tool runs");
    assert!(
        out.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Builds the rpm of `nevra` (no files, no scripts) and returns its path.
fn rpmbuild(dir: &Path, (name, epoch, version, release, arch): Nevra) -> PathBuf {
    let spec = dir.join(format!("{name}-{version}-{release}.spec"));
    std::fs::write(
        &spec,
        format!(
            "Name: {name}\nEpoch: {epoch}\nVersion: {version}\nRelease: {release}\n\
             Summary: drydock test package\nLicense: MIT\nBuildArch: {arch}\n\
             %description\nTest package.\n%files\n"
        ),
    )
    .unwrap();
    let top = dir.join("rpmbuild");
    run(Command::new("rpmbuild")
        .arg("--quiet")
        .arg("--define")
        .arg(format!("_topdir {}", top.display()))
        .args(["--define", "debug_package %{nil}", "-bb"])
        .arg(&spec));
    top.join("RPMS")
        .join(arch)
        .join(format!("{name}-{version}-{release}.{arch}.rpm"))
}

struct Fixture {
    dir: tempfile::TempDir,
    server: StaticServer,
    url: String,
    /// The rpm database directory (`var/lib/rpm` of an install root).
    root: PathBuf,
    www: PathBuf,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let build = dir.path().join("build");
    std::fs::create_dir_all(&build).unwrap();
    let www = dir.path().join("www");
    for (repo, packages) in [("base", &BASE[..]), ("updates", &UPDATES[..])] {
        let repo_dir = www.join(RELEASEVER).join(repo).join("x86_64");
        std::fs::create_dir_all(&repo_dir).unwrap();
        for nevra in packages {
            let rpm = rpmbuild(&build, *nevra);
            std::fs::copy(&rpm, repo_dir.join(rpm.file_name().unwrap())).unwrap();
        }
        run(Command::new("createrepo_c").arg("--quiet").arg(&repo_dir));
        if repo == "updates" {
            let updateinfo = build.join("updateinfo.xml");
            std::fs::write(&updateinfo, UPDATEINFO).unwrap();
            run(Command::new("modifyrepo_c")
                .arg(&updateinfo)
                .arg(repo_dir.join("repodata")));
        }
    }
    let root = dir.path().join("root");
    let db = root.join("var/lib/rpm");
    std::fs::create_dir_all(&db).unwrap();
    let installed: Vec<PathBuf> = INSTALLED.iter().map(|n| rpmbuild(&build, *n)).collect();
    run(Command::new("rpm")
        .arg("--dbpath")
        .arg(&db)
        .args(["-i", "--justdb", "--nodeps", "--noscripts", "--ignorearch"])
        .args(&installed));
    let server = StaticServer::start(www.clone()).unwrap();
    Fixture {
        url: format!("http://{}", server.addr()),
        dir,
        server,
        root,
        www,
    }
}

impl Fixture {
    fn repo_file(&self, gpg_options: &str) -> String {
        REPO_FILE
            .replace("URL", &self.url)
            .replace("GPGOPTS", gpg_options)
    }

    /// An image with the database, os-release and the `.repo` file (and extra files).
    fn image(&self, repo_file: &str, extra: &[(&str, &[u8])]) -> DockerArchive {
        let db = self.root.join("var/lib/rpm");
        let sqlite = std::fs::read(db.join("rpmdb.sqlite")).unwrap();
        let wal = std::fs::read(db.join("rpmdb.sqlite-wal")).ok();
        let mut files: Vec<(&str, &[u8])> = vec![
            (
                "etc/os-release",
                b"ID=drydocklinux\nVERSION_ID=40\nPRETTY_NAME=\"drydock rpm test 40\"\n",
            ),
            ("etc/yum.repos.d/drydock.repo", repo_file.as_bytes()),
            ("var/lib/rpm/rpmdb.sqlite", &sqlite),
        ];
        if let Some(wal) = &wal {
            files.push(("var/lib/rpm/rpmdb.sqlite-wal", wal));
        }
        files.extend_from_slice(extra);
        image("rpm-test:1", &files)
    }

    /// Runs dnf against the install root with `repo_file` as its only repositories.
    fn dnf(&self, repo_file: &str, args: &[&str]) -> (i32, String) {
        let work = self.dir.path().join("dnf");
        let repos = work.join("repos");
        let home = work.join("home");
        std::fs::create_dir_all(&repos).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(repos.join("drydock.repo"), repo_file).unwrap();
        std::fs::write(work.join("dnf.conf"), "[main]\ngpgcheck=0\n").unwrap();
        // Debian's librpm keeps its database under ~/.rpmdb; dnf must read the root's.
        std::fs::write(home.join(".rpmmacros"), "%_dbpath /var/lib/rpm\n").unwrap();
        let out = Command::new("dnf")
            .env("HOME", &home)
            .arg("-c")
            .arg(work.join("dnf.conf"))
            .arg(format!("--installroot={}", self.root.display()))
            .arg(format!("--setopt=reposdir={}", repos.display()))
            .arg(format!(
                "--setopt=cachedir={}",
                work.join("cache").display()
            ))
            .arg(format!("--releasever={RELEASEVER}"))
            .args(["--noplugins", "-q", "--disablerepo=metalinked"])
            .args(args)
            .output()
            .expect("dnf runs");
        let code = out.status.code().unwrap_or(-1);
        assert!(
            code == 0 || code == 100,
            "dnf {args:?}: {code} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        (code, String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// `name.arch version repo` of each update.
fn drydock_upgradable(updates: &Updates) -> BTreeSet<String> {
    updates
        .updates
        .iter()
        .map(|u| {
            format!(
                "{}.{} {} {}",
                u.name,
                u.architecture.as_deref().unwrap_or(""),
                u.fixed_version,
                u.suites.join(",")
            )
        })
        .collect()
}

#[test]
fn rpm_updates_match_dnf() {
    let fixture = fixture();
    let repo_file = fixture.repo_file("");
    let image = fixture.image(&repo_file, &[]);
    let updates = pending_updates(&image, &Options::default()).unwrap();

    let (code, out) = fixture.dnf(&repo_file, &["check-update"]);
    assert_eq!(code, 100, "dnf sees updates: {out}");
    let dnf_upgradable: BTreeSet<String> = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(drydock_upgradable(&updates), dnf_upgradable);
    // The expected answer, spelled out: demo to the security fix of `updates`, tool to the
    // higher epoch; keep's 2.0~rc1 is older than 2.0.
    assert_eq!(
        dnf_upgradable,
        BTreeSet::from([
            "drydock-rpm-demo.x86_64 1.0-3 updates".to_owned(),
            "drydock-rpm-tool.noarch 1:0.8-1 base".to_owned(),
        ])
    );

    let (_, out) = fixture.dnf(&repo_file, &["updateinfo", "list", "--security"]);
    let dnf_security: BTreeSet<String> = out
        .lines()
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.len() == 3).then(|| format!("{} {}", w[0], w[2]))
        })
        .collect();
    let drydock_security: BTreeSet<String> = updates
        .updates
        .iter()
        .filter(|u| u.security)
        .flat_map(|u| {
            u.advisories.iter().map(move |a| {
                format!(
                    "{a} {}-{}.{}",
                    u.name,
                    u.fixed_version,
                    u.architecture.as_deref().unwrap_or("")
                )
            })
        })
        .collect();
    assert_eq!(drydock_security, dnf_security);
    assert_eq!(
        dnf_security,
        BTreeSet::from(["DRYDOCK-2026-0001 drydock-rpm-demo-1.0-3.x86_64".to_owned()])
    );

    let demo = &updates.updates[0];
    assert_eq!(
        (
            demo.installed_version.as_str(),
            demo.source_name.as_str(),
            demo.layer,
            demo.database.as_str()
        ),
        ("1.0-1", "drydock-rpm-demo", 0, "/var/lib/rpm/rpmdb.sqlite")
    );
    assert!(updates.security_known);
    assert_eq!(updates.installed, 3);
    assert!(
        updates
            .notices
            .iter()
            .any(|n| n.contains("metalinked") && n.contains("metalink")),
        "{:?}",
        updates.notices
    );

    let security = pending_updates(
        &image,
        &Options {
            security_only: true,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(
        drydock_upgradable(&security),
        BTreeSet::from(["drydock-rpm-demo.x86_64 1.0-3 updates".to_owned()])
    );
    let report = drydock_updates::report(image.image(), &security);
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].code, "DD601");
    assert!(report.findings[0].message.contains("DRYDOCK-2026-0001"));
}

#[test]
fn rpm_cache_index_dir_and_mirror() {
    let fixture = fixture();
    let repo_file = fixture.repo_file("");
    let image = fixture.image(&repo_file, &[]);
    let cache = tempfile::tempdir().unwrap();
    let cached = Options {
        fetch: FetchOptions {
            cache_dir: Some(cache.path().to_owned()),
            ..FetchOptions::default()
        },
        ..Options::default()
    };
    let first = pending_updates(&image, &cached).unwrap();
    let second = pending_updates(&image, &cached).unwrap();
    assert_eq!(first.updates, second.updates);
    // primary of both repositories and updateinfo, by the checksum repomd.xml lists.
    assert!(second.cache_hits >= 3, "{}", second.cache_hits);
    assert!(second.fetched_bytes < first.fetched_bytes);

    // --index-dir: the same files under DIR/HOST:PORT/…, no network.
    let index_dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        &fixture.www,
        index_dir.path().join(fixture.server.addr().to_string()),
    )
    .unwrap();
    let offline = pending_updates(
        &image,
        &Options {
            fetch: FetchOptions {
                index_dir: Some(index_dir.path().to_owned()),
                ..FetchOptions::default()
            },
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(offline.updates, first.updates);
    assert_eq!(offline.fetched_bytes, 0);

    // --mirror to a closed port: an error naming the URL, not "no updates".
    let e = pending_updates(
        &image,
        &Options {
            fetch: FetchOptions {
                mirrors: vec![
                    format!("{}=http://127.0.0.1:1/mirror", fixture.url)
                        .parse()
                        .unwrap(),
                ],
                ..FetchOptions::default()
            },
            ..Options::default()
        },
    )
    .unwrap_err();
    assert!(matches!(e, Error::Fetch { .. }), "{e}");
    assert!(e.to_string().contains("127.0.0.1:1/mirror/40/"), "{e}");
}

#[test]
fn rpm_tampered_metadata_and_bad_signatures_are_errors() {
    let fixture = fixture();
    let repo_file = fixture.repo_file("");
    let image = fixture.image(&repo_file, &[]);

    // A primary.xml.gz that does not match the checksum repomd.xml lists.
    let repodata = fixture.www.join(RELEASEVER).join("base/x86_64/repodata");
    let primary = std::fs::read_dir(&repodata)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-primary.xml.gz"))
        .unwrap();
    let original = std::fs::read(&primary).unwrap();
    let mut tampered = original.clone();
    let last = tampered.len() - 9;
    tampered[last] ^= 1;
    std::fs::write(&primary, &tampered).unwrap();
    let e = pending_updates(&image, &Options::default()).unwrap_err();
    assert!(matches!(e, Error::Checksum { .. }), "{e}");
    assert!(e.to_string().contains("-primary.xml.gz"), "{e}");
    std::fs::write(&primary, &original).unwrap();

    // repo_gpgcheck=1: repomd.xml.asc made by a throwaway key in the image's /etc/pki/rpm-gpg.
    let home = fixture.dir.path().join("gnupg");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let gpg = |args: &[&str]| {
        run(Command::new("gpg")
            .arg("--homedir")
            .arg(&home)
            .args(["--batch", "--quiet", "--pinentry-mode", "loopback"])
            .args(args))
    };
    gpg(&[
        "--passphrase",
        "",
        "--quick-gen-key",
        "drydock test <test@drydock.invalid>",
        "ed25519",
        "sign",
        "never",
    ]);
    let key = gpg(&["--armor", "--export"]);
    let updates_repomd = fixture
        .www
        .join(RELEASEVER)
        .join("updates/x86_64/repodata/repomd.xml");
    let base_repomd = repodata.join("repomd.xml");
    for repomd in [&base_repomd, &updates_repomd] {
        let asc = format!("{}.asc", repomd.display());
        gpg(&[
            "--armor",
            "--output",
            &asc,
            "--detach-sign",
            &repomd.to_string_lossy(),
        ]);
    }
    let _ = Command::new("gpgconf")
        .arg("--homedir")
        .arg(&home)
        .args(["--kill", "gpg-agent"])
        .status();
    let signed_repo_file = fixture.repo_file(
        "repo_gpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-drydock-$releasever\n",
    );
    let key_path = format!("etc/pki/rpm-gpg/RPM-GPG-KEY-drydock-{RELEASEVER}");
    let signed = fixture.image(&signed_repo_file, &[(&key_path, key.as_bytes())]);
    let ok = pending_updates(&signed, &Options::default()).unwrap();
    assert_eq!(ok.updates.len(), 2);
    assert!(
        ok.notices
            .iter()
            .any(|n| n.contains("repomd.xml of base is not")),
        "only base is unchecked: {:?}",
        ok.notices
    );

    // The signed repomd.xml changed after signing.
    let original = std::fs::read(&updates_repomd).unwrap();
    std::fs::write(&updates_repomd, [&original[..], b"\n<!-- x -->\n"].concat()).unwrap();
    let e = pending_updates(&signed, &Options::default()).unwrap_err();
    assert!(matches!(e, Error::Signature { .. }), "{e}");
    assert!(
        e.to_string().contains("updates/x86_64/repodata/repomd.xml"),
        "{e}"
    );
    std::fs::write(&updates_repomd, &original).unwrap();

    // No signature, or a key missing from the image.
    let asc = format!("{}.asc", updates_repomd.display());
    let signature = std::fs::read(&asc).unwrap();
    std::fs::remove_file(&asc).unwrap();
    let e = pending_updates(&signed, &Options::default()).unwrap_err();
    assert!(matches!(e, Error::Signature { .. }), "{e}");
    assert!(
        e.to_string().contains("repomd.xml.asc does not exist"),
        "{e}"
    );
    std::fs::write(&asc, signature).unwrap();
    let keyless = fixture.image(&signed_repo_file, &[]);
    let e = pending_updates(&keyless, &Options::default()).unwrap_err();
    assert!(matches!(e, Error::Keyring { .. }), "{e}");
    assert!(e.to_string().contains("RPM-GPG-KEY-drydock-40"), "{e}");

    // No usable repository at all: an error, not "no updates".
    let none = fixture.image("[only]\nmetalink=http://127.0.0.1:1/m\n", &[]);
    let e = pending_updates(&none, &Options::default()).unwrap_err();
    assert!(matches!(e, Error::Unsupported(_)), "{e}");
    assert!(e.to_string().contains("only"), "{e}");
}
