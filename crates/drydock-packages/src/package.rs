//! The inventory's data model: ecosystems, packages, the distribution, purls.

use std::fmt;

/// A package format and its version rules.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Ecosystem {
    /// dpkg (Debian, Ubuntu, distroless).
    Deb,
    /// apk (Alpine, Wolfi).
    Apk,
    /// rpm (Fedora, RHEL and rebuilds, SUSE, Amazon Linux).
    Rpm,
}

impl Ecosystem {
    /// The purl type: `deb`, `apk`, `rpm`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deb => "deb",
            Self::Apk => "apk",
            Self::Rpm => "rpm",
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Package {
    /// Its format.
    pub ecosystem: Ecosystem,
    /// Binary package name (`libssl3`).
    pub name: String,
    /// Version as the package manager writes it, comparable with
    /// [`compare`](crate::compare): Debian `[epoch:]upstream[-revision]`, apk
    /// `V`, rpm `[epoch:]version-release` (epoch only when non-zero).
    pub version: String,
    /// Architecture (`amd64`, `all`, `x86_64`, `noarch`), when recorded.
    pub architecture: Option<String>,
    /// Source package (Debian `Source`, apk origin, rpm source rpm name);
    /// the binary name when not recorded. Advisories are keyed by it.
    pub source_name: String,
    /// Version of the source package; the binary version when not recorded.
    pub source_version: String,
    /// Licence as the database records it (apk `L:`, rpm `License`), not
    /// necessarily an SPDX expression. Not recorded by dpkg.
    pub license: Option<String>,
    /// Index of the layer (0 = base) in which this exact database record
    /// first appeared and stayed unchanged up to the final image: the layer
    /// that installed or last changed the package.
    pub layer: usize,
    /// The database file it was read from (`/var/lib/dpkg/status`).
    pub database: String,
}

impl Package {
    /// Package URL: `pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12`,
    /// `pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1`,
    /// `pkg:rpm/fedora/bash@5.2.26-3.fc40?arch=x86_64&distro=fedora-40` (a
    /// non-zero rpm epoch goes to the `epoch` qualifier). The namespace is the
    /// distribution's `ID` (default `debian` / `alpine`; none for rpm);
    /// `upstream` names a source package that differs from the binary.
    pub fn purl(&self, distro: Option<&Distro>) -> String {
        let mut purl = match packageurl::PackageUrl::new(self.ecosystem.as_str(), &*self.name) {
            Ok(p) => p,
            // Only an empty name fails; the parsers never produce one.
            Err(_) => return format!("pkg:{}/{}", self.ecosystem, self.name),
        };
        let namespace = distro.map(|d| d.id.as_str()).or(match self.ecosystem {
            Ecosystem::Deb => Some("debian"),
            Ecosystem::Apk => Some("alpine"),
            Ecosystem::Rpm => None,
        });
        let (epoch, version) = match self.ecosystem {
            Ecosystem::Rpm => match self.version.split_once(':') {
                Some((e, v)) => (Some(e), v),
                None => (None, self.version.as_str()),
            },
            _ => (None, self.version.as_str()),
        };
        // The setters only fail on empty or invalid names and keys, which
        // are all constants or non-empty here; ignore rather than panic.
        if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
            let _ = purl.with_namespace(ns);
        }
        let _ = purl.with_version(version);
        if let Some(arch) = self.architecture.as_deref().filter(|a| !a.is_empty()) {
            let _ = purl.add_qualifier("arch", arch);
        }
        if let Some(epoch) = epoch {
            let _ = purl.add_qualifier("epoch", epoch);
        }
        if let Some(d) = distro.and_then(Distro::purl_qualifier) {
            let _ = purl.add_qualifier("distro", d);
        }
        if self.source_name != self.name && !self.source_name.is_empty() {
            let _ = purl.add_qualifier("upstream", &*self.source_name);
        }
        purl.to_string()
    }
}

/// The distribution, from `/etc/os-release` (or `/usr/lib/os-release`).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Distro {
    /// `ID` (`debian`, `alpine`, `fedora`); `linux` when absent.
    pub id: String,
    /// `ID_LIKE`, split on spaces.
    pub id_like: Vec<String>,
    /// `VERSION_ID` (`12`, `3.19.1`, `9.4`), absent on rolling releases.
    pub version_id: Option<String>,
    /// `VERSION_CODENAME` (`bookworm`).
    pub codename: Option<String>,
    /// `NAME`.
    pub name: Option<String>,
    /// `PRETTY_NAME`.
    pub pretty_name: Option<String>,
}

impl Distro {
    /// Parses os-release text (`KEY=value`, optionally quoted, `#` comments).
    /// Never fails: unknown and malformed lines are ignored, as systemd does.
    pub fn parse(text: &str) -> Self {
        let mut d = Distro::default();
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = unquote(value.trim());
            let some = |v: String| Some(v).filter(|v| !v.is_empty());
            match key.trim() {
                "ID" => d.id = value,
                "ID_LIKE" => d.id_like = value.split_whitespace().map(str::to_owned).collect(),
                "VERSION_ID" => d.version_id = some(value),
                "VERSION_CODENAME" => d.codename = some(value),
                "NAME" => d.name = some(value),
                "PRETTY_NAME" => d.pretty_name = some(value),
                _ => {}
            }
        }
        if d.id.is_empty() {
            d.id = "linux".into();
        }
        d
    }

    /// `debian-12`, `alpine-3.19.1`, or `debian-trixie` without `VERSION_ID`.
    pub fn purl_qualifier(&self) -> Option<String> {
        let version = self.version_id.as_ref().or(self.codename.as_ref())?;
        Some(format!("{}-{version}", self.id))
    }
}

/// Removes shell-style quotes: `"a \"b\""` → `a "b"`, `'x'` → `x`.
fn unquote(value: &str) -> String {
    let bytes = value.as_bytes();
    if bytes.len() >= 2 && bytes[0] == b'\'' && bytes[bytes.len() - 1] == b'\'' {
        return value[1..value.len() - 1].to_owned();
    }
    if bytes.len() >= 2 && bytes[0] == b'"' && bytes[bytes.len() - 1] == b'"' {
        let mut out = String::new();
        let mut chars = value[1..value.len() - 1].chars();
        while let Some(c) = chars.next() {
            if c == '\\'
                && let Some(next) = chars.next()
            {
                out.push(next);
            } else {
                out.push(c);
            }
        }
        return out;
    }
    value.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(ecosystem: Ecosystem, name: &str, version: &str, arch: &str) -> Package {
        Package {
            ecosystem,
            name: name.into(),
            version: version.into(),
            architecture: Some(arch.into()),
            source_name: name.into(),
            source_version: version.into(),
            license: None,
            layer: 0,
            database: String::new(),
        }
    }

    #[test]
    fn os_release_is_parsed_with_quotes_and_comments() {
        let d = Distro::parse(
            "# comment\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME='Debian GNU/Linux'\n\
             VERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\nID_LIKE=\"a b\"\nnonsense\n\
             HOME_URL=\"https://www.example.test/\"\n",
        );
        assert_eq!(d.id, "debian");
        assert_eq!(d.id_like, ["a", "b"]);
        assert_eq!(d.version_id.as_deref(), Some("12"));
        assert_eq!(d.codename.as_deref(), Some("bookworm"));
        assert_eq!(d.name.as_deref(), Some("Debian GNU/Linux"));
        assert_eq!(
            d.pretty_name.as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(d.purl_qualifier().as_deref(), Some("debian-12"));
        assert_eq!(Distro::parse("").id, "linux");
        assert_eq!(Distro::parse("").purl_qualifier(), None);
        assert_eq!(
            Distro::parse("ID=debian\nVERSION_CODENAME=trixie\n").purl_qualifier(),
            Some("debian-trixie".into())
        );
        assert_eq!(unquote(r#""a \"b\" \\ c""#), r#"a "b" \ c"#);
    }

    #[test]
    fn purls_per_ecosystem() {
        let debian = Distro::parse("ID=debian\nVERSION_ID=\"12\"\n");
        let mut openssl = package(Ecosystem::Deb, "openssl", "3.0.11-1~deb12u2", "amd64");
        assert_eq!(
            openssl.purl(Some(&debian)),
            "pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
        );
        openssl.name = "libssl3".into();
        assert_eq!(
            openssl.purl(None),
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&upstream=openssl"
        );
        let epoch = package(Ecosystem::Deb, "x", "1:2.0+dfsg-1", "all");
        assert_eq!(
            epoch.purl(Some(&debian)),
            "pkg:deb/debian/x@1:2.0%2Bdfsg-1?arch=all&distro=debian-12"
        );
        let alpine = Distro::parse("ID=alpine\nVERSION_ID=3.19.1\n");
        let musl = package(Ecosystem::Apk, "musl", "1.2.4-r2", "x86_64");
        assert_eq!(
            musl.purl(Some(&alpine)),
            "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.1"
        );
        let fedora = Distro::parse("ID=fedora\nVERSION_ID=40\n");
        let bash = package(Ecosystem::Rpm, "bash", "1:5.2.26-3.fc40", "x86_64");
        assert_eq!(
            bash.purl(Some(&fedora)),
            "pkg:rpm/fedora/bash@5.2.26-3.fc40?arch=x86_64&distro=fedora-40&epoch=1"
        );
        assert_eq!(
            bash.purl(None),
            "pkg:rpm/bash@5.2.26-3.fc40?arch=x86_64&epoch=1"
        );
    }
}
