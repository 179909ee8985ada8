//! dpkg's database: `/var/lib/dpkg/status` and distroless
//! `/var/lib/dpkg/status.d/*`, deb822 stanzas. Hand-written rather than
//! deb822-fast so that errors carry line numbers and each stanza's raw bytes
//! can be fingerprinted for layer attribution.

use crate::error::{Error, Result};
use crate::{Ecosystem, Package, Record, fingerprint};

/// Parses a dpkg status file (`file` names it in errors and in
/// [`Package::database`]). Packages whose files are not on disk (`Status`
/// `not-installed` or `config-files`) are left out; stanzas without `Status`
/// (distroless `status.d`) count as installed. [`Package::layer`] is 0.
///
/// # Errors
/// [`Error::Parse`] with the line of a malformed field or of a stanza
/// without `Package` or `Version`.
pub fn parse_dpkg_status(file: &str, data: &[u8]) -> Result<Vec<Package>> {
    Ok(records(file, data)?
        .into_iter()
        .map(|r| r.package)
        .collect())
}

pub(crate) fn records(file: &str, data: &[u8]) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    let mut stanza = Stanza::default();
    let mut offset = 0;
    for (index, raw) in data.split(|&b| b == b'\n').enumerate() {
        let line_no = index + 1;
        let start = offset;
        offset += raw.len() + 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.iter().all(u8::is_ascii_whitespace) {
            if let Some(record) = stanza.finish(file, &data[..start.min(data.len())])? {
                out.push(record);
            }
            stanza = Stanza::default();
            continue;
        }
        if stanza.first_line == 0 {
            stanza.first_line = line_no;
            stanza.start = start;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if stanza.first_line == line_no {
                return Err(parse_error(
                    file,
                    line_no,
                    "continuation line outside a field",
                ));
            }
            continue;
        }
        let colon = line.iter().position(|&b| b == b':');
        let Some(colon) = colon.filter(|&c| c > 0) else {
            return Err(parse_error(file, line_no, "expected `Field: value`"));
        };
        let name = &line[..colon];
        if name.iter().any(|b| b.is_ascii_whitespace()) {
            return Err(parse_error(file, line_no, "field name contains whitespace"));
        }
        let value = String::from_utf8_lossy(&line[colon + 1..])
            .trim()
            .to_owned();
        let slot = match name.to_ascii_lowercase().as_slice() {
            b"package" => &mut stanza.package,
            b"version" => &mut stanza.version,
            b"architecture" => &mut stanza.architecture,
            b"status" => &mut stanza.status,
            b"source" => &mut stanza.source,
            _ => continue,
        };
        *slot = Some(value);
    }
    if let Some(record) = stanza.finish(file, data)? {
        out.push(record);
    }
    Ok(out)
}

#[derive(Default)]
struct Stanza {
    first_line: usize,
    start: usize,
    package: Option<String>,
    version: Option<String>,
    architecture: Option<String>,
    status: Option<String>,
    source: Option<String>,
}

impl Stanza {
    /// The record, `None` for an empty stanza or a package not on disk.
    /// `data` ends where the stanza ends.
    fn finish(self, file: &str, data: &[u8]) -> Result<Option<Record>> {
        if self.first_line == 0 {
            return Ok(None);
        }
        let line = self.first_line;
        let name = self
            .package
            .filter(|p| !p.is_empty())
            .ok_or_else(|| parse_error(file, line, "stanza without `Package`"))?;
        if let Some(status) = &self.status {
            // `want flag state`; the state says whether files are on disk.
            let state = status.split_whitespace().nth(2).ok_or_else(|| {
                parse_error(file, line, &format!("{name}: malformed `Status: {status}`"))
            })?;
            if matches!(state, "not-installed" | "config-files") {
                return Ok(None);
            }
        }
        let version = self
            .version
            .filter(|v| !v.is_empty())
            .ok_or_else(|| parse_error(file, line, &format!("{name}: no `Version`")))?;
        let (source_name, source_version) = match self.source.as_deref() {
            Some(source) if !source.is_empty() => match source.split_once('(') {
                Some((n, v)) => (
                    n.trim().to_owned(),
                    v.trim_end_matches(')').trim().to_owned(),
                ),
                None => (source.to_owned(), version.clone()),
            },
            _ => (name.clone(), version.clone()),
        };
        let package = Package {
            ecosystem: Ecosystem::Deb,
            name,
            version,
            architecture: self.architecture.filter(|a| !a.is_empty()),
            source_name,
            source_version,
            license: None,
            layer: 0,
            database: file.to_owned(),
        };
        let fingerprint = fingerprint(&data[self.start.min(data.len())..]);
        Ok(Some(Record {
            package,
            fingerprint,
        }))
    }
}

fn parse_error(file: &str, line: usize, message: &str) -> Error {
    Error::Parse {
        file: file.to_owned(),
        line,
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "\
Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library
 multi-line
 .
 description

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl (3.0.11-1~deb12u2)
Version: 3.0.11-1~deb12u2+b1
Conffiles:
 /etc/x 0123

Package: gone
Status: deinstall ok config-files
Version: 1.0

Package: purged
Status: purge ok not-installed
Architecture: all
";

    #[test]
    fn status_file_is_parsed() {
        let pkgs = parse_dpkg_status("/var/lib/dpkg/status", STATUS.as_bytes()).unwrap();
        assert_eq!(pkgs.len(), 2, "{pkgs:#?}");
        assert_eq!(pkgs[0].name, "libc6");
        assert_eq!(pkgs[0].version, "2.36-9+deb12u4");
        assert_eq!(pkgs[0].architecture.as_deref(), Some("amd64"));
        assert_eq!(
            (&*pkgs[0].source_name, &*pkgs[0].source_version),
            ("glibc", "2.36-9+deb12u4")
        );
        assert_eq!(
            (&*pkgs[1].source_name, &*pkgs[1].source_version),
            ("openssl", "3.0.11-1~deb12u2")
        );
        assert_eq!(pkgs[1].version, "3.0.11-1~deb12u2+b1");
        assert_eq!(pkgs[1].database, "/var/lib/dpkg/status");
    }

    #[test]
    fn fingerprints_follow_the_stanza_bytes() {
        let a = records("s", STATUS.as_bytes()).unwrap();
        let changed = STATUS.replace("description\n", "description!\n");
        let b = records("s", changed.as_bytes()).unwrap();
        assert_ne!(a[0].fingerprint, b[0].fingerprint);
        assert_eq!(a[1].fingerprint, b[1].fingerprint);
        // CRLF and a missing final newline parse the same.
        let crlf = STATUS.replace('\n', "\r\n");
        assert_eq!(parse_dpkg_status("s", crlf.as_bytes()).unwrap().len(), 2);
        let trimmed = STATUS.trim_end();
        assert_eq!(parse_dpkg_status("s", trimmed.as_bytes()).unwrap().len(), 2);
    }

    #[test]
    fn distroless_stanza_without_status_counts() {
        let pkgs = parse_dpkg_status(
            "status.d/tzdata",
            b"Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n",
        )
        .unwrap();
        assert_eq!(pkgs.len(), 1);
        assert!(parse_dpkg_status("empty", b"\n\n  \n").unwrap().is_empty());
    }

    #[test]
    fn malformed_input_is_an_error_with_a_line() {
        for (text, line, message) in [
            (
                "Package: a\nVersion: 1\nno colon here\n",
                3,
                "expected `Field: value`",
            ),
            (": x\n", 1, "expected `Field: value`"),
            (
                " leading continuation\n",
                1,
                "continuation line outside a field",
            ),
            ("Package: a\nVer sion: 1\n", 2, "whitespace"),
            (
                "Package: a\nVersion: 1\n\nVersion: 1\n",
                4,
                "without `Package`",
            ),
            (
                "Package: a\nStatus: install\nVersion: 1\n",
                1,
                "malformed `Status",
            ),
            (
                "\n\nPackage: a\nStatus: install ok installed\n",
                3,
                "a: no `Version`",
            ),
        ] {
            let err = parse_dpkg_status("/s", text.as_bytes()).unwrap_err();
            match &err {
                Error::Parse {
                    file,
                    line: l,
                    message: m,
                } => {
                    assert_eq!((file.as_str(), *l), ("/s", line), "{text:?}: {err}");
                    assert!(m.contains(message), "{text:?}: {err}");
                }
                other => panic!("{other:?}"),
            }
        }
        // Invalid UTF-8 in values is tolerated.
        let pkgs = parse_dpkg_status("/s", b"Package: a\nVersion: 1\nDescription: \xff\n").unwrap();
        assert_eq!(pkgs.len(), 1);
    }
}
