//! The package sources an image is configured with: apt one-line
//! (`sources.list`, `sources.list.d/*.list`) and deb822 (`*.sources`)
//! formats, and apk `/etc/apk/repositories`.

use crate::error::{Error, Result};

/// One `deb` source: a repository URI and one suite of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AptSource {
    /// The file it was read from (`/etc/apt/sources.list`).
    pub file: String,
    /// 1-based line of the entry (of the paragraph, for deb822).
    pub line: usize,
    /// Repository base URI, without a trailing `/`.
    pub uri: String,
    /// Suite (`bookworm-security`), or a path ending in `/` for a flat repository.
    pub suite: String,
    /// Components (`main`); empty for a flat repository.
    pub components: Vec<String>,
    /// `arch=` / `Architectures:`; empty means the image's architectures.
    pub architectures: Vec<String>,
    /// `signed-by=` / `Signed-By:`.
    pub signed_by: Option<SignedBy>,
    /// `trusted=yes`: apt accepts the repository unsigned.
    pub trusted: bool,
    /// `check-valid-until=no` turns off the `Valid-Until` check.
    pub check_valid_until: bool,
}

impl AptSource {
    /// Whether the suite is a flat repository path (`./`, `dists/x/`).
    pub fn is_flat(&self) -> bool {
        self.suite.ends_with('/')
    }

    /// `URI/dists/SUITE` (or `URI/SUITE` for a flat repository): where
    /// `InRelease` and the paths it lists live.
    pub fn dist_url(&self) -> String {
        if self.is_flat() {
            let suite = self.suite.trim_end_matches('/');
            match suite {
                "" | "." => self.uri.clone(),
                s => format!("{}/{}", self.uri, s.trim_start_matches("./")),
            }
        } else {
            format!("{}/dists/{}", self.uri, self.suite)
        }
    }

    /// `file:line`, for messages.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// The keys a source accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedBy {
    /// Keyring file paths and/or key fingerprints.
    Keyrings(Vec<String>),
    /// An ASCII-armored public key block embedded in a deb822 entry.
    Key(String),
}

/// Parses a one-line-format file (`sources.list`). `deb-src` lines are
/// skipped; `cdrom:` sources are an error (they cannot be fetched).
///
/// # Errors
/// A malformed line, with file and line number.
pub fn parse_sources_list(file: &str, text: &str) -> Result<Vec<AptSource>> {
    let mut sources = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let bad = |message: &str| Error::Sources {
            location: format!("{file}:{line}"),
            message: message.to_owned(),
        };
        let content = raw.split('#').next().unwrap_or_default().trim();
        if content.is_empty() {
            continue;
        }
        let (kind, rest) = split_word(content);
        match kind {
            "deb" => {}
            "deb-src" => continue,
            other => {
                return Err(bad(&format!(
                    "unknown type {other:?} (expected deb or deb-src)"
                )));
            }
        }
        let mut options = Vec::new();
        let mut rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix('[') {
            let Some((inside, after)) = after.split_once(']') else {
                return Err(bad("unterminated `[` option list"));
            };
            for option in inside.split_whitespace() {
                let Some((key, value)) = option.split_once('=') else {
                    return Err(bad(&format!("option {option:?} is not key=value")));
                };
                options.push((key.to_ascii_lowercase(), value.to_owned()));
            }
            rest = after.trim_start();
        }
        let mut words = rest.split_whitespace();
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            return Err(bad("expected a URI and a suite"));
        };
        let mut source = new_source(file, line, uri, suite, words.map(str::to_owned).collect())
            .map_err(|m| bad(&m))?;
        for (key, value) in options {
            // `arch+=`/`arch-=` change apt's defaults; only `=` is meaningful here.
            let key = key.trim_end_matches(['+', '-']);
            let list = || value.split(',').map(str::to_owned).collect::<Vec<_>>();
            match key {
                "arch" => source.architectures = list(),
                "signed-by" => source.signed_by = Some(SignedBy::Keyrings(list())),
                "trusted" => source.trusted = yes(&value),
                "check-valid-until" => source.check_valid_until = yes(&value),
                _ => {}
            }
        }
        sources.push(source);
    }
    Ok(sources)
}

/// Parses a deb822-format file (`*.sources`). Entries with `Enabled: no`
/// and `Types: deb-src` only are skipped. One [`AptSource`] per URI × suite.
///
/// # Errors
/// A malformed or incomplete entry, with file and line number.
pub fn parse_deb822_sources(file: &str, text: &str) -> Result<Vec<AptSource>> {
    let mut sources = Vec::new();
    for (line, fields) in deb822_paragraphs(file, text)? {
        let bad = |message: &str| Error::Sources {
            location: format!("{file}:{line}"),
            message: message.to_owned(),
        };
        let get = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let words = |name: &str| -> Vec<String> {
            get(name)
                .map(|v| v.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default()
        };
        if get("Enabled").is_some_and(|v| !yes(v.trim())) {
            continue;
        }
        let types = words("Types");
        if types.is_empty() {
            return Err(bad("missing Types"));
        }
        if let Some(t) = types.iter().find(|t| *t != "deb" && *t != "deb-src") {
            return Err(bad(&format!(
                "unknown type {t:?} (expected deb or deb-src)"
            )));
        }
        if !types.iter().any(|t| t == "deb") {
            continue;
        }
        let (uris, suites) = (words("URIs"), words("Suites"));
        if uris.is_empty() || suites.is_empty() {
            return Err(bad("an entry needs URIs and Suites"));
        }
        let signed_by = get("Signed-By").map(|v| {
            if v.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----") {
                SignedBy::Key(v.to_owned())
            } else {
                SignedBy::Keyrings(
                    v.split([' ', ',', '\n'])
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                )
            }
        });
        for uri in &uris {
            for suite in &suites {
                let mut source =
                    new_source(file, line, uri, suite, words("Components")).map_err(|m| bad(&m))?;
                source.architectures = words("Architectures");
                source.signed_by = signed_by.clone();
                source.trusted = get("Trusted").is_some_and(|v| yes(v.trim()));
                source.check_valid_until = get("Check-Valid-Until").is_none_or(|v| yes(v.trim()));
                sources.push(source);
            }
        }
    }
    Ok(sources)
}

fn new_source(
    file: &str,
    line: usize,
    uri: &str,
    suite: &str,
    components: Vec<String>,
) -> std::result::Result<AptSource, String> {
    let scheme = uri.split_once(':').map(|(s, _)| s).unwrap_or_default();
    if !matches!(scheme, "http" | "https" | "file") {
        return Err(format!(
            "unsupported URI {uri:?} (drydock fetches http:, https: and file: sources)"
        ));
    }
    let flat = suite.ends_with('/');
    if flat && !components.is_empty() {
        return Err(format!(
            "a flat repository suite ({suite:?}) takes no components"
        ));
    }
    if !flat && components.is_empty() {
        return Err(format!("suite {suite:?} needs at least one component"));
    }
    if suite.split('/').any(|p| p == "..") {
        return Err(format!("suite {suite:?} must not contain `..`"));
    }
    Ok(AptSource {
        file: file.to_owned(),
        line,
        uri: uri.trim_end_matches('/').to_owned(),
        suite: suite.to_owned(),
        components,
        architectures: Vec::new(),
        signed_by: None,
        trusted: false,
        check_valid_until: true,
    })
}

fn yes(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "yes" | "true" | "1" | "on" | "enable"
    )
}

fn split_word(s: &str) -> (&str, &str) {
    s.split_once(char::is_whitespace).unwrap_or((s, ""))
}

/// A deb822 paragraph: its first line and its fields in order.
type Paragraph = (usize, Vec<(String, String)>);

/// Paragraphs of a deb822 file as (first line, fields); `#` comment lines
/// are skipped, continuation lines joined with `\n` (a lone `.` is an
/// empty line).
fn deb822_paragraphs(file: &str, text: &str) -> Result<Vec<Paragraph>> {
    let mut paragraphs = Vec::new();
    let mut current: Option<Paragraph> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim().is_empty() {
            paragraphs.extend(current.take());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            let Some((_, fields)) = current.as_mut().filter(|(_, f)| !f.is_empty()) else {
                return Err(Error::Sources {
                    location: format!("{file}:{number}"),
                    message: "continuation line outside a field".into(),
                });
            };
            if let Some((_, value)) = fields.last_mut() {
                let part = line.trim();
                value.push('\n');
                value.push_str(if part == "." { "" } else { part });
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':') else {
            return Err(Error::Sources {
                location: format!("{file}:{number}"),
                message: format!("expected `Field: value`, found {:?}", truncate(line)),
            });
        };
        current
            .get_or_insert_with(|| (number, Vec::new()))
            .1
            .push((key.trim().to_owned(), value.trim().to_owned()));
    }
    paragraphs.extend(current);
    Ok(paragraphs)
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

/// One line of `/etc/apk/repositories`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApkRepository {
    /// The file it was read from.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// Repository URL without a trailing `/` (`https://mirror.example.test/alpine/v3.19/main`).
    pub url: String,
    /// The `@tag` prefix, for tagged (pinned) repositories.
    pub tag: Option<String>,
}

/// Parses `/etc/apk/repositories`: one URL per line, optionally prefixed
/// with `@tag`; `#` comments.
///
/// # Errors
/// A line that is not an http(s) or file URL.
pub fn parse_apk_repositories(file: &str, text: &str) -> Result<Vec<ApkRepository>> {
    let mut repositories = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (tag, url) = match line.strip_prefix('@') {
            Some(rest) => {
                let (tag, url) = split_word(rest);
                (Some(tag.to_owned()), url.trim())
            }
            None => (None, line),
        };
        let scheme = url.split_once("://").map(|(s, _)| s);
        if !matches!(scheme, Some("http" | "https" | "file")) && !url.starts_with('/') {
            return Err(Error::Sources {
                location: format!("{file}:{}", index + 1),
                message: format!("expected a repository URL, found {:?}", truncate(line)),
            });
        }
        repositories.push(ApkRepository {
            file: file.to_owned(),
            line: index + 1,
            url: url.trim_end_matches('/').to_owned(),
            tag,
        });
    }
    Ok(repositories)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_format_with_options_components_and_comments() {
        let text = "# comment\n\
            deb http://deb.example.test/debian bookworm main contrib # trailing\n\
            deb-src http://deb.example.test/debian bookworm main\n\
            \n\
            deb [ arch=amd64,i386 signed-by=/usr/share/keyrings/x.gpg ] https://sec.example.test/debian-security/ bookworm-security main\n\
            deb [trusted=yes check-valid-until=no] file:/srv/repo ./\n";
        let s = parse_sources_list("/etc/apt/sources.list", text).unwrap();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].uri, "http://deb.example.test/debian");
        assert_eq!(s[0].suite, "bookworm");
        assert_eq!(s[0].components, ["main", "contrib"]);
        assert_eq!(s[0].line, 2);
        assert!(!s[0].trusted && s[0].check_valid_until && s[0].signed_by.is_none());
        assert_eq!(
            s[0].dist_url(),
            "http://deb.example.test/debian/dists/bookworm"
        );
        assert_eq!(s[1].architectures, ["amd64", "i386"]);
        assert_eq!(s[1].uri, "https://sec.example.test/debian-security");
        assert_eq!(
            s[1].signed_by,
            Some(SignedBy::Keyrings(vec!["/usr/share/keyrings/x.gpg".into()]))
        );
        assert_eq!(s[1].location(), "/etc/apt/sources.list:5");
        assert!(s[2].trusted && !s[2].check_valid_until && s[2].is_flat());
        assert_eq!(s[2].dist_url(), "file:/srv/repo");
    }

    #[test]
    fn one_line_format_errors_name_the_line() {
        for (text, want) in [
            (
                "deb http://x.example.test/d\n",
                "expected a URI and a suite",
            ),
            (
                "deb [arch=amd64 http://x.example.test/d s main\n",
                "unterminated",
            ),
            (
                "deb [arch] http://x.example.test/d s main\n",
                "not key=value",
            ),
            ("rpm http://x.example.test/d s main\n", "unknown type"),
            ("deb cdrom:[Debian]/ bookworm main\n", "unsupported URI"),
            (
                "deb http://x.example.test/d bookworm\n",
                "needs at least one component",
            ),
            (
                "deb http://x.example.test/d ./ main\n",
                "takes no components",
            ),
            ("deb http://x.example.test/d ../../etc/ \n", "`..`"),
        ] {
            let e = parse_sources_list("f.list", &format!("\n{text}"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("f.list:2") && e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn deb822_format_expands_uris_and_suites() {
        let text = "Types: deb deb-src\n\
            URIs: http://deb.example.test/debian\n\
            Suites: bookworm bookworm-updates\n\
            Components: main\n\
            # a comment inside the paragraph\n\
            Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\
            \n\
            Types: deb\n\
            URIs: http://sec.example.test/debian-security\n\
            Suites: bookworm-security\n\
            Components: main\n\
            Architectures: arm64\n\
            Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n abc\n -----END PGP PUBLIC KEY BLOCK-----\n\
            \n\
            Types: deb\nURIs: http://off.example.test/x\nSuites: s\nComponents: main\nEnabled: no\n\
            \n\
            Types: deb-src\nURIs: http://src.example.test/x\nSuites: s\nComponents: main\n";
        let s = parse_deb822_sources("/etc/apt/sources.list.d/debian.sources", text).unwrap();
        assert_eq!(s.len(), 3, "{s:#?}");
        assert_eq!(
            (s[0].suite.as_str(), s[1].suite.as_str()),
            ("bookworm", "bookworm-updates")
        );
        assert_eq!(s[0].line, 1);
        assert_eq!(
            s[1].signed_by,
            Some(SignedBy::Keyrings(vec![
                "/usr/share/keyrings/debian-archive-keyring.gpg".into()
            ]))
        );
        assert_eq!(s[2].line, 8);
        assert_eq!(s[2].architectures, ["arm64"]);
        match &s[2].signed_by {
            Some(SignedBy::Key(k)) => {
                assert!(
                    k.starts_with("\n-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nabc\n"),
                    "{k:?}"
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn deb822_errors_name_the_line() {
        for (text, want) in [
            (
                "URIs: http://x.example.test\nSuites: s\nComponents: main\n",
                "missing Types",
            ),
            ("Types: deb\nSuites: s\n", "needs URIs and Suites"),
            (" continued\n", "continuation line"),
            ("Types deb\n", "expected `Field: value`"),
            (
                "Types: rpm\nURIs: http://x.example.test\nSuites: s\n",
                "unknown type",
            ),
        ] {
            let e = parse_deb822_sources("x.sources", &format!("\n\n{text}"))
                .unwrap_err()
                .to_string();
            assert!(e.contains("x.sources:3") && e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn apk_repositories() {
        let text = "# comment\nhttps://dl.example.test/alpine/v3.19/main/\n\n\
                    @edge https://dl.example.test/alpine/edge/testing\n/media/cdrom/apks\n";
        let r = parse_apk_repositories("/etc/apk/repositories", text).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].url, "https://dl.example.test/alpine/v3.19/main");
        assert_eq!((r[0].line, r[0].tag.as_deref()), (2, None));
        assert_eq!(r[1].tag.as_deref(), Some("edge"));
        assert_eq!(r[1].url, "https://dl.example.test/alpine/edge/testing");
        let e = parse_apk_repositories("r", "ftp://x.example.test/a\n").unwrap_err();
        assert!(e.to_string().contains("r:1"), "{e}");
    }
}
