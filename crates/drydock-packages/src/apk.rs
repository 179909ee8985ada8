//! apk's database, `/lib/apk/db/installed`: blank-line-separated blocks of
//! `X:value` lines (`P` name, `V` version, `A` architecture, `o` origin,
//! `L` licence; file lists and checksums are skipped).

use crate::error::{Error, Result};
use crate::{Ecosystem, Package, Record, fingerprint};

/// Parses an apk `installed` database (`file` names it in errors and in
/// [`Package::database`]). [`Package::layer`] is 0.
///
/// # Errors
/// [`Error::Parse`] with the line of a line that is not `X:value`, or of the
/// start of a block without `P` or `V`.
pub fn parse_apk_installed(file: &str, data: &[u8]) -> Result<Vec<Package>> {
    Ok(records(file, data)?
        .into_iter()
        .map(|r| r.package)
        .collect())
}

pub(crate) fn records(file: &str, data: &[u8]) -> Result<Vec<Record>> {
    let mut out = Vec::new();
    let mut block = Block::default();
    let mut offset = 0;
    for (index, raw) in data.split(|&b| b == b'\n').enumerate() {
        let line_no = index + 1;
        let start = offset;
        offset += raw.len() + 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.is_empty() {
            out.extend(block.finish(file, &data[..start.min(data.len())])?);
            block = Block::default();
            continue;
        }
        if block.first_line == 0 {
            block.first_line = line_no;
            block.start = start;
        }
        if line.len() < 2 || line[1] != b':' || !line[0].is_ascii_graphic() {
            return Err(Error::Parse {
                file: file.to_owned(),
                line: line_no,
                message: "expected `X:value` (one letter, a colon, the value)".into(),
            });
        }
        let value = || Some(String::from_utf8_lossy(&line[2..]).into_owned());
        match line[0] {
            b'P' => block.name = value(),
            b'V' => block.version = value(),
            b'A' => block.architecture = value(),
            b'o' => block.origin = value(),
            b'L' => block.license = value(),
            _ => {}
        }
    }
    out.extend(block.finish(file, data)?);
    Ok(out)
}

#[derive(Default)]
struct Block {
    first_line: usize,
    start: usize,
    name: Option<String>,
    version: Option<String>,
    architecture: Option<String>,
    origin: Option<String>,
    license: Option<String>,
}

impl Block {
    fn finish(self, file: &str, data: &[u8]) -> Result<Option<Record>> {
        if self.first_line == 0 {
            return Ok(None);
        }
        let missing = |what: &str| Error::Parse {
            file: file.to_owned(),
            line: self.first_line,
            message: format!("package block without `{what}:`"),
        };
        let name = self
            .name
            .filter(|n| !n.is_empty())
            .ok_or_else(|| missing("P"))?;
        let version = self
            .version
            .filter(|v| !v.is_empty())
            .ok_or_else(|| missing("V"))?;
        let package = Package {
            ecosystem: Ecosystem::Apk,
            source_name: self
                .origin
                .filter(|o| !o.is_empty())
                .unwrap_or_else(|| name.clone()),
            source_version: version.clone(),
            name,
            version,
            architecture: self.architecture.filter(|a| !a.is_empty()),
            license: self.license.filter(|l| !l.is_empty()),
            layer: 0,
            database: file.to_owned(),
        };
        Ok(Some(Record {
            package,
            fingerprint: fingerprint(&data[self.start.min(data.len())..]),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INSTALLED: &str = "\
C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:383152
I:622592
T:the musl c library (libc) implementation
U:https://musl.libc.example.test/
L:MIT
o:musl
m:Someone <someone@example.test>
t:1700000000
c:0123456789abcdef
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
    fn installed_db_is_parsed() {
        let pkgs = parse_apk_installed("/lib/apk/db/installed", INSTALLED.as_bytes()).unwrap();
        assert_eq!(pkgs.len(), 2);
        assert_eq!(
            (
                &*pkgs[0].name,
                &*pkgs[0].version,
                pkgs[0].license.as_deref()
            ),
            ("musl", "1.2.4_git20230717-r4", Some("MIT"))
        );
        assert_eq!(
            (
                &*pkgs[1].name,
                &*pkgs[1].source_name,
                &*pkgs[1].source_version
            ),
            ("libcrypto3", "openssl", "3.1.4-r5")
        );
        assert_eq!(pkgs[1].architecture.as_deref(), Some("x86_64"));
        // Several blank lines and no final newline are fine.
        let loose = format!("\n\n{}", INSTALLED.replace("\n\n", "\n\n\n").trim_end());
        assert_eq!(parse_apk_installed("f", loose.as_bytes()).unwrap(), {
            let mut p = pkgs.clone();
            p.iter_mut().for_each(|p| p.database = "f".into());
            p
        });
    }

    #[test]
    fn malformed_input_is_an_error_with_a_line() {
        for (text, line, message) in [
            ("P:a\nV:1\nPV\n", 3, "expected `X:value`"),
            ("P:a\nV:1\n::\n\nx\n", 5, "expected `X:value`"),
            ("P:a\nV:1\n\nA:x86_64\nV:2\n", 4, "without `P:`"),
            ("P:a\nV:\n", 1, "without `V:`"),
        ] {
            match parse_apk_installed("/db", text.as_bytes()).unwrap_err() {
                Error::Parse {
                    file,
                    line: l,
                    message: m,
                } => {
                    assert_eq!((file.as_str(), l), ("/db", line), "{text:?}");
                    assert!(m.contains(message), "{text:?}: {m}");
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
