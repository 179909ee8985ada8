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
