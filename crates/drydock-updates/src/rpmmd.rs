//! rpm-md repositories (dnf, yum): `.repo` files and the XML metadata of a
//! repository — `repodata/repomd.xml`, `primary.xml` and `updateinfo.xml` —
//! read as a stream with bounded memory.

use std::collections::BTreeMap;
use std::io::{BufReader, Read};

use quick_xml::events::{BytesStart, Event};

use crate::error::{Error, Result};
use crate::index::{Available, MAX_INDEX_BYTES, decompress};

/// Largest single XML event (a start tag with its attributes, or a text
/// node) read; larger ones are an error rather than an unbounded buffer.
pub const MAX_XML_EVENT_BYTES: u64 = 16 << 20;
/// Most attributes of one element.
const MAX_XML_ATTRIBUTES: usize = 256;

/// One section of a `.repo` file, values as written (variables not substituted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoConfig {
    /// The file it was read from (`/etc/yum.repos.d/fedora.repo`).
    pub file: String,
    /// 1-based line of the `[id]` header.
    pub line: usize,
    /// The repository id (the section name).
    pub id: String,
    /// `baseurl`: URLs, in order.
    pub baseurls: Vec<String>,
    /// `mirrorlist`.
    pub mirrorlist: Option<String>,
    /// `metalink`.
    pub metalink: Option<String>,
    /// `enabled` (dnf's default: enabled).
    pub enabled: bool,
    /// `repo_gpgcheck`, if set: whether `repomd.xml` must carry a valid signature.
    pub repo_gpgcheck: Option<bool>,
    /// `gpgkey`: key URLs, in order.
    pub gpgkeys: Vec<String>,
    /// `priority` (1 is the highest; dnf's default is 99).
    pub priority: u32,
    /// Whether `exclude`, `excludepkgs` or `includepkgs` filter the repository.
    pub filtered: bool,
}

impl RepoConfig {
    /// `file:line`, for messages.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// `[main]` options of `dnf.conf`/`yum.conf` that change how `.repo` files read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MainConfig {
    /// `repo_gpgcheck`, the default of every repository.
    pub repo_gpgcheck: bool,
    /// `reposdir`: directories of `.repo` files, if set.
    pub reposdir: Vec<String>,
}

/// Sections of an INI file (`[name]`, `key=value`, `#`/`;` comments,
/// continuation lines starting with white space): (header line, name, keys
/// in lower case with their values).
type Section = (usize, String, BTreeMap<String, String>);

fn ini_sections(file: &str, text: &str) -> Result<Vec<Section>> {
    let mut sections: Vec<Section> = Vec::new();
    let mut last_key: Option<String> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let bad = |message: String| Error::Sources {
            location: format!("{file}:{line}"),
            message,
        };
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if raw.starts_with([' ', '\t']) {
            let Some((_, _, values)) = sections.last_mut() else {
                return Err(bad("continuation line outside a section".into()));
            };
            let Some(value) = last_key.as_ref().and_then(|k| values.get_mut(k)) else {
                return Err(bad("continuation line without a key".into()));
            };
            value.push('\n');
            value.push_str(trimmed);
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some(name) = rest
                .strip_suffix(']')
                .map(str::trim)
                .filter(|n| !n.is_empty())
            else {
                return Err(bad(format!(
                    "malformed section header {:?}",
                    truncate(trimmed)
                )));
            };
            sections.push((line, name.to_owned(), BTreeMap::new()));
            last_key = None;
            continue;
        }
        let Some((key, value)) = trimmed.split_once('=') else {
            return Err(bad(format!(
                "expected `key=value`, found {:?}",
                truncate(trimmed)
            )));
        };
        let Some((_, _, values)) = sections.last_mut() else {
            return Err(bad("`key=value` before the first [section]".into()));
        };
        let key = key.trim().to_ascii_lowercase();
        values.insert(key.clone(), value.trim().to_owned());
        last_key = Some(key);
    }
    Ok(sections)
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

fn boolean(location: &str, key: &str, value: &str) -> Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Ok(true),
        "0" | "no" | "false" | "off" => Ok(false),
        _ => Err(Error::Sources {
            location: location.to_owned(),
            message: format!("{key}={value:?} is not a boolean"),
        }),
    }
}

/// URL lists of `baseurl`/`gpgkey`: separated by white space or commas.
fn url_list(value: &str) -> Vec<String> {
    value
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses the `[main]` section of `dnf.conf` / `yum.conf`.
///
/// # Errors
/// Malformed INI or a non-boolean `repo_gpgcheck`, with file and line.
pub fn parse_main_config(file: &str, text: &str) -> Result<MainConfig> {
    let mut main = MainConfig::default();
    for (line, name, values) in ini_sections(file, text)? {
        if name != "main" {
            continue;
        }
        let location = format!("{file}:{line}");
        if let Some(v) = values.get("repo_gpgcheck") {
            main.repo_gpgcheck = boolean(&location, "repo_gpgcheck", v)?;
        }
        if let Some(v) = values.get("reposdir") {
            main.reposdir = url_list(v);
        }
    }
    Ok(main)
}

/// Parses a `.repo` file: one [`RepoConfig`] per section (`[main]` is skipped).
///
/// # Errors
/// Malformed INI, a non-boolean `enabled`/`repo_gpgcheck` or a non-numeric
/// `priority`, with file and line.
pub fn parse_repo_file(file: &str, text: &str) -> Result<Vec<RepoConfig>> {
    let mut repos = Vec::new();
    for (line, id, values) in ini_sections(file, text)? {
        if id == "main" {
            continue;
        }
        let location = format!("{file}:{line}");
        let flag = |key: &str| -> Result<Option<bool>> {
            values
                .get(key)
                .map(|v| boolean(&location, key, v))
                .transpose()
        };
        let priority = match values.get("priority") {
            Some(v) => v.parse().map_err(|_| Error::Sources {
                location: location.clone(),
                message: format!("priority={v:?} is not a number"),
            })?,
            None => 99,
        };
        let url = |key: &str| {
            values
                .get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        repos.push(RepoConfig {
            file: file.to_owned(),
            line,
            baseurls: values
                .get("baseurl")
                .map(|v| url_list(v))
                .unwrap_or_default(),
            mirrorlist: url("mirrorlist"),
            metalink: url("metalink"),
            enabled: flag("enabled")?.unwrap_or(true),
            repo_gpgcheck: flag("repo_gpgcheck")?,
            gpgkeys: values
                .get("gpgkey")
                .map(|v| url_list(v))
                .unwrap_or_default(),
            priority,
            filtered: ["exclude", "excludepkgs", "includepkgs"]
                .iter()
                .any(|k| values.get(*k).is_some_and(|v| !v.trim().is_empty())),
            id,
        });
    }
    Ok(repos)
}

/// Replaces dnf variables (`$name`, `${name}`) in `text`.
///
/// # Errors
/// The name of the first variable `vars` does not define.
pub fn substitute(
    text: &str,
    vars: &BTreeMap<String, String>,
) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, tail) = if let Some(braced) = after.strip_prefix('{') {
            match braced.split_once('}') {
                Some((name, tail)) => (name, tail),
                None => return Err(format!("${{{}", truncate(braced))),
            }
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        if name.is_empty() {
            out.push('$');
            rest = after;
            continue;
        }
        let value = vars.get(name).ok_or_else(|| format!("${name}"))?;
        out.push_str(value);
        rest = tail;
    }
    out.push_str(rest);
    Ok(out)
}

/// One `<data>` entry of `repomd.xml`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RepoMdData {
    /// `type` (`primary`, `updateinfo`, `modules`).
    pub kind: String,
    /// `location href`, relative to the repository's base URL.
    pub location: String,
    /// `checksum type` (`sha256`).
    pub checksum_type: String,
    /// The checksum of the file as stored (compressed), lower-case hex.
    pub checksum: String,
    /// `size` of the file as stored.
    pub size: Option<u64>,
}

/// Parses `repomd.xml`: its `<data>` entries.
///
/// # Errors
/// Malformed XML (with the byte offset), or a `<data>` without a type,
/// location or checksum.
pub fn parse_repomd(url: &str, data: &[u8]) -> Result<Vec<RepoMdData>> {
    let mut xml = XmlStream::new(url, data);
    let mut entries = Vec::new();
    let mut current: Option<(RepoMdData, u64)> = None;
    let mut text_of: Option<String> = None;
    let mut seen_root = false;
    while let Some(node) = xml.next()? {
        match node {
            Node::Start {
                name,
                attributes,
                empty,
            } => {
                if !seen_root {
                    if name != "repomd" {
                        return Err(xml.error(format!("expected <repomd>, found <{name}>")));
                    }
                    seen_root = true;
                }
                match (name.as_str(), current.as_mut()) {
                    ("data", None) => {
                        let data = RepoMdData {
                            kind: attribute(&attributes, "type").unwrap_or_default(),
                            ..RepoMdData::default()
                        };
                        if !empty {
                            current = Some((data, xml.position()));
                        }
                    }
                    ("location", Some((d, _))) => {
                        d.location = attribute(&attributes, "href").unwrap_or_default();
                    }
                    ("checksum", Some((d, _))) => {
                        d.checksum_type = attribute(&attributes, "type").unwrap_or_default();
                        text_of = Some("checksum".into());
                    }
                    ("size", Some(_)) => text_of = Some("size".into()),
                    _ => text_of = None,
                }
            }
            Node::Text(text) => {
                if let (Some(field), Some((d, _))) = (&text_of, current.as_mut()) {
                    match field.as_str() {
                        "checksum" => d.checksum.push_str(text.trim()),
                        _ => {
                            let size = text.trim().parse().map_err(|_| {
                                xml.error(format!("<size> {:?} is not a number", truncate(&text)))
                            })?;
                            d.size = Some(size);
                        }
                    }
                }
            }
            Node::End { name } => {
                text_of = None;
                if name == "data"
                    && let Some((d, at)) = current.take()
                {
                    if d.kind.is_empty() || d.location.is_empty() || d.checksum.is_empty() {
                        return Err(Error::index(
                            url,
                            format!("byte {at}: <data> without a type, location href or checksum"),
                        ));
                    }
                    entries.push(RepoMdData {
                        checksum: d.checksum.to_ascii_lowercase(),
                        ..d
                    });
                }
            }
        }
    }
    if !seen_root {
        return Err(Error::index(url, "empty document (expected <repomd>)"));
    }
    Ok(entries)
}

/// Opens an rpm-md metadata file (`*.xml.gz`, `.xz`, `.zst` or plain
/// `.xml`, by the name in `location`) as a stream of XML.
///
/// # Errors
/// An unsupported compression (`.bz2`), or corrupt xz data.
pub fn open_metadata<'a>(url: &str, location: &str, data: &'a [u8]) -> Result<Box<dyn Read + 'a>> {
    if location.ends_with(".gz") {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(data)))
    } else if location.ends_with(".zst") {
        let decoder = zstd::stream::read::Decoder::new(data)
            .map_err(|e| Error::index(url, format!("corrupt zstd data: {e}")))?;
        Ok(Box::new(decoder))
    } else if location.ends_with(".xz") {
        Ok(Box::new(std::io::Cursor::new(decompress(
            url,
            location,
            data.to_vec(),
        )?)))
    } else if location.ends_with(".xml") {
        Ok(Box::new(data))
    } else {
        Err(Error::index(
            url,
            format!(
                "unsupported compression of {location} (drydock reads .xml, .gz, .xz and .zst)"
            ),
        ))
    }
}

/// Parses `primary.xml`, keeping the binary packages (not `src`/`nosrc`)
/// whose name satisfies `wanted`. Versions are `[EPOCH:]VERSION-RELEASE`
/// (no epoch when it is 0), as the installed ones are written.
///
/// # Errors
/// Malformed XML (with the byte offset) or a package without name, arch
/// or version.
pub fn parse_primary(
    url: &str,
    data: impl Read,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Vec<Available>> {
    let mut xml = XmlStream::new(url, data);
    let mut out = Vec::new();
    // (depth of <package>, name, arch, version, where it started)
    let mut package: Option<(usize, String, String, Option<String>, u64)> = None;
    let mut text_of: Option<&'static str> = None;
    while let Some(node) = xml.next()? {
        match node {
            Node::Start {
                name,
                attributes,
                empty,
            } => {
                let depth = xml.depth();
                text_of = None;
                match (&mut package, name.as_str()) {
                    (None, "package") if !empty => {
                        package = Some((depth, String::new(), String::new(), None, xml.position()));
                    }
                    (Some((d, ..)), "name") if depth == *d + 1 => text_of = Some("name"),
                    (Some((d, ..)), "arch") if depth == *d + 1 => text_of = Some("arch"),
                    (Some((d, _, _, version, _)), "version") if depth == *d + 1 => {
                        *version = Some(evr(&xml, &attributes)?);
                    }
                    _ => {}
                }
            }
            Node::Text(text) => match (text_of, &mut package) {
                (Some("name"), Some((_, name, ..))) => name.push_str(&text),
                (Some("arch"), Some((_, _, arch, ..))) => arch.push_str(&text),
                _ => {}
            },
            Node::End { name } => {
                text_of = None;
                if name == "package"
                    && package
                        .as_ref()
                        .is_some_and(|(d, ..)| *d == xml.depth() + 1)
                    && let Some((_, name, arch, version, at)) = package.take()
                {
                    let (name, arch) = (name.trim(), arch.trim());
                    let Some(version) = version.filter(|_| !name.is_empty() && !arch.is_empty())
                    else {
                        return Err(Error::index(
                            url,
                            format!("byte {at}: <package> without name, arch or version"),
                        ));
                    };
                    if arch != "src" && arch != "nosrc" && wanted(name) {
                        out.push(Available {
                            name: name.to_owned(),
                            version,
                            architecture: arch.to_owned(),
                        });
                    }
                }
            }
        }
    }
    Ok(out)
}

/// `epoch`, `ver`/`version`, `rel`/`release` attributes → `[E:]V-R`.
fn evr<R: Read>(xml: &XmlStream<R>, attributes: &[(String, String)]) -> Result<String> {
    let get = |names: &[&str]| names.iter().find_map(|n| attribute(attributes, n));
    let (Some(version), Some(release)) = (get(&["ver", "version"]), get(&["rel", "release"]))
    else {
        return Err(xml.error("a version without ver/version and rel/release".into()));
    };
    let epoch = get(&["epoch"]).filter(|e| !e.is_empty() && e != "0");
    Ok(match epoch {
        Some(e) => format!("{e}:{version}-{release}"),
        None => format!("{version}-{release}"),
    })
}

/// One `<update>` of `updateinfo.xml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advisory {
    /// `<id>` (`FEDORA-2024-1a2b3c`, `RHSA-2024:1234`).
    pub id: String,
    /// `type` (`security`, `bugfix`, `enhancement`, `newpackage`).
    pub kind: String,
    /// The packages it lists whose name satisfies `wanted`.
    pub packages: Vec<Available>,
}

/// Parses `updateinfo.xml`, keeping the advisories that list a `wanted` package.
///
/// # Errors
/// Malformed XML (with the byte offset), an `<update>` without `<id>`, or a
/// `<package>` without name, arch, version or release.
pub fn parse_updateinfo(
    url: &str,
    data: impl Read,
    wanted: &dyn Fn(&str) -> bool,
) -> Result<Vec<Advisory>> {
    let mut xml = XmlStream::new(url, data);
    let mut out = Vec::new();
    let mut update: Option<(usize, Advisory, u64)> = None;
    let mut in_id = false;
    while let Some(node) = xml.next()? {
        match node {
            Node::Start {
                name,
                attributes,
                empty,
            } => {
                let depth = xml.depth();
                in_id = false;
                match (&mut update, name.as_str()) {
                    (None, "update") if !empty => {
                        let advisory = Advisory {
                            id: String::new(),
                            kind: attribute(&attributes, "type").unwrap_or_default(),
                            packages: Vec::new(),
                        };
                        update = Some((depth, advisory, xml.position()));
                    }
                    (Some((d, ..)), "id") if depth == *d + 1 => in_id = true,
                    (Some((_, advisory, _)), "package") => {
                        let (Some(name), Some(arch)) = (
                            attribute(&attributes, "name"),
                            attribute(&attributes, "arch"),
                        ) else {
                            return Err(xml.error("a <package> without name or arch".into()));
                        };
                        let version = evr(&xml, &attributes)?;
                        if wanted(&name) {
                            advisory.packages.push(Available {
                                name,
                                version,
                                architecture: arch,
                            });
                        }
                    }
                    _ => {}
                }
            }
            Node::Text(text) => {
                if in_id && let Some((_, advisory, _)) = &mut update {
                    advisory.id.push_str(&text);
                }
            }
            Node::End { name } => {
                in_id = false;
                if name == "update"
                    && update.as_ref().is_some_and(|(d, ..)| *d == xml.depth() + 1)
                    && let Some((_, mut advisory, at)) = update.take()
                {
                    advisory.id = advisory.id.trim().to_owned();
                    if advisory.id.is_empty() {
                        return Err(Error::index(
                            url,
                            format!("byte {at}: <update> without <id>"),
                        ));
                    }
                    if !advisory.packages.is_empty() {
                        out.push(advisory);
                    }
                }
            }
        }
    }
    Ok(out)
}

fn located(url: &str, position: u64, message: String) -> Error {
    Error::index(url, format!("byte {position}: {message}"))
}

fn attribute(attributes: &[(String, String)], name: &str) -> Option<String> {
    attributes
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// What the XML reader hands on: element starts (with local names and
/// attributes), text (entities resolved), element ends.
enum Node {
    Start {
        name: String,
        attributes: Vec<(String, String)>,
        empty: bool,
    },
    Text(String),
    End {
        name: String,
    },
}

/// Counts the bytes the XML reader takes, to bound one event and the whole
/// document.
struct Counted<R> {
    inner: R,
    read: u64,
    event_start: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read - self.event_start > MAX_XML_EVENT_BYTES {
            return Err(std::io::Error::other(format!(
                "an element, attribute or text larger than {MAX_XML_EVENT_BYTES} bytes"
            )));
        }
        if self.read > MAX_INDEX_BYTES {
            return Err(std::io::Error::other(format!(
                "decompresses to more than {MAX_INDEX_BYTES} bytes"
            )));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

struct XmlStream<R: Read> {
    url: String,
    reader: quick_xml::Reader<BufReader<Counted<R>>>,
    buf: Vec<u8>,
    depth: usize,
    /// An `<empty/>` element's end, handed on after its start.
    pending_end: Option<String>,
    done: bool,
}

impl<R: Read> XmlStream<R> {
    fn new(url: &str, data: R) -> Self {
        let reader = quick_xml::Reader::from_reader(BufReader::new(Counted {
            inner: data,
            read: 0,
            event_start: 0,
        }));
        XmlStream {
            url: url.to_owned(),
            reader,
            buf: Vec::new(),
            depth: 0,
            pending_end: None,
            done: false,
        }
    }

    /// Elements open around the current node (an element counts while its
    /// start is handed on; after its end it no longer does).
    fn depth(&self) -> usize {
        self.depth
    }

    /// Byte offset (of the decompressed document) reached.
    fn position(&self) -> u64 {
        self.reader.buffer_position()
    }

    fn error(&self, message: String) -> Error {
        located(&self.url, self.position(), message)
    }

    fn next(&mut self) -> Result<Option<Node>> {
        if let Some(name) = self.pending_end.take() {
            self.depth -= 1;
            return Ok(Some(Node::End { name }));
        }
        loop {
            if self.done {
                return Ok(None);
            }
            self.buf.clear();
            let counted = self.reader.get_mut().get_mut();
            counted.event_start = counted.read;
            let event = self.reader.read_event_into(&mut self.buf).map_err(|e| {
                Error::index(
                    &self.url,
                    format!("byte {}: malformed XML: {e}", self.reader.error_position()),
                )
            })?;
            let position = self.reader.buffer_position();
            let start = |e: &BytesStart<'_>| -> std::result::Result<(String, Vec<(String, String)>), String> {
                let name = e.local_name().as_ref().to_owned();
                let mut attributes = Vec::new();
                // Duplicate checks are quadratic in the number of attributes: bound it instead.
                for a in e.attributes().with_checks(false) {
                    if attributes.len() == MAX_XML_ATTRIBUTES {
                        return Err(format!("more than {MAX_XML_ATTRIBUTES} attributes"));
                    }
                    let a = a.map_err(|e| e.to_string())?;
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| e.to_string())?;
                    attributes.push((
                        a.key.local_name().as_ref().to_owned(),
                        value.into_owned(),
                    ));
                }
                Ok((name, attributes))
            };
            let node = match event {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    let empty = matches!(event, Event::Empty(_));
                    let (name, attributes) = match start(e) {
                        Ok(x) => x,
                        Err(m) => {
                            return Err(located(
                                &self.url,
                                position,
                                format!("malformed attribute: {m}"),
                            ));
                        }
                    };
                    self.depth += 1;
                    if empty {
                        self.pending_end = Some(name.clone());
                    }
                    Node::Start {
                        name,
                        attributes,
                        empty,
                    }
                }
                Event::End(e) => {
                    self.depth = self.depth.saturating_sub(1);
                    Node::End {
                        name: e.local_name().as_ref().to_owned(),
                    }
                }
                Event::Text(t) => Node::Text(t.xml10_content().into_owned()),
                Event::CData(t) => Node::Text(t.to_string()),
                Event::GeneralRef(r) => {
                    let text = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => match &*r {
                            "amp" => "&".into(),
                            "lt" => "<".into(),
                            "gt" => ">".into(),
                            "quot" => "\"".into(),
                            "apos" => "'".into(),
                            other => {
                                let other = truncate(other);
                                return Err(located(
                                    &self.url,
                                    position,
                                    format!("unknown entity &{other};"),
                                ));
                            }
                        },
                    };
                    Node::Text(text)
                }
                Event::Eof => {
                    self.done = true;
                    if self.depth > 0 {
                        return Err(located(
                            &self.url,
                            position,
                            "truncated document (unclosed elements)".into(),
                        ));
                    }
                    return Ok(None);
                }
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => continue,
            };
            return Ok(Some(node));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_files_sections_lists_and_defaults() {
        let text = "# comment\n[fedora]\nname=Fedora $releasever - $basearch\n\
            #baseurl=http://commented.example.test/\n\
            metalink=https://mirrors.example.test/metalink?repo=fedora-$releasever&arch=$basearch\n\
            enabled=1\nrepo_gpgcheck = 0\ngpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-$releasever-$basearch\n\
            \n[updates]\nbaseurl=http://a.example.test/$releasever/\n  http://b.example.test/$releasever/,http://c.example.test/\n\
            enabled=0\npriority=10\nexcludepkgs=kernel*\n\n[main]\nx=y\n";
        let repos = parse_repo_file("/etc/yum.repos.d/f.repo", text).unwrap();
        assert_eq!(repos.len(), 2);
        let f = &repos[0];
        assert_eq!((f.id.as_str(), f.line, f.enabled), ("fedora", 2, true));
        assert!(f.baseurls.is_empty() && f.metalink.is_some() && f.mirrorlist.is_none());
        assert_eq!(
            (f.repo_gpgcheck, f.priority, f.filtered),
            (Some(false), 99, false)
        );
        assert_eq!(
            f.gpgkeys,
            ["file:///etc/pki/rpm-gpg/RPM-GPG-KEY-fedora-$releasever-$basearch"]
        );
        let u = &repos[1];
        assert_eq!(
            u.baseurls,
            [
                "http://a.example.test/$releasever/",
                "http://b.example.test/$releasever/",
                "http://c.example.test/"
            ]
        );
        assert_eq!((u.enabled, u.priority, u.filtered), (false, 10, true));
        assert_eq!(u.location(), "/etc/yum.repos.d/f.repo:10");
    }

    #[test]
    fn repo_file_errors_name_the_line() {
        for (text, want) in [
            ("[a\n", "malformed section header"),
            ("baseurl=x\n", "before the first [section]"),
            ("[a]\njunk\n", "expected `key=value`"),
            ("[a]\nenabled=maybe\n", "not a boolean"),
            ("[a]\npriority=high\n", "not a number"),
            (" continued\n", "continuation line"),
        ] {
            let e = parse_repo_file("r.repo", &format!("#\n{text}"))
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("r.repo:2") || e.starts_with("r.repo:3"),
                "{text}: {e}"
            );
            assert!(e.contains(want), "{text}: {e}");
        }
    }

    #[test]
    fn main_config_and_variables() {
        let main = parse_main_config(
            "/etc/dnf/dnf.conf",
            "[main]\ngpgcheck=1\nrepo_gpgcheck=True\nreposdir=/a,/b\n",
        )
        .unwrap();
        assert_eq!(
            main,
            MainConfig {
                repo_gpgcheck: true,
                reposdir: vec!["/a".into(), "/b".into()]
            }
        );
        let vars: BTreeMap<String, String> = [("releasever", "9"), ("basearch", "x86_64")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(
            substitute("http://r.example.test/$releasever/${basearch}/os/$", &vars).unwrap(),
            "http://r.example.test/9/x86_64/os/$"
        );
        assert_eq!(substitute("a/$stream/b", &vars).unwrap_err(), "$stream");
        assert!(substitute("${basearch", &vars).is_err());
    }

    const REPOMD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1795424466</revision>
  <data type="primary">
    <checksum type="sha256">F01BF91B6BA9D9E49F79DF05708E8493F3AD9C6159AB29BA036AE0D6DF93B879</checksum>
    <open-checksum type="sha256">9aebfa2d53f820b1afb31a6f1df5650bc7bfca3e6e607aa199556a85c433f9c4</open-checksum>
    <location href="repodata/f01b-primary.xml.gz"/>
    <size>562</size>
    <open-size>1145</open-size>
  </data>
  <data type="updateinfo"><checksum type="sha256">aa</checksum><location href="repodata/u.xml.zst"/></data>
</repomd>"#;

    #[test]
    fn repomd_entries() {
        let d = parse_repomd("u", REPOMD.as_bytes()).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].kind, "primary");
        assert_eq!(d[0].location, "repodata/f01b-primary.xml.gz");
        assert_eq!(d[0].checksum_type, "sha256");
        assert!(d[0].checksum.starts_with("f01bf91b"));
        assert_eq!(d[0].size, Some(562));
        assert_eq!((d[1].kind.as_str(), d[1].size), ("updateinfo", None));
        for (bad, want) in [
            ("", "empty document"),
            ("<other/>", "expected <repomd>"),
            ("<repomd><data type='primary'>", "truncated"),
            (
                "<repomd><data type='primary'><size>x</size></data></repomd>",
                "not a number",
            ),
            (
                "<repomd><data type='primary'></data></repomd>",
                "without a type",
            ),
            ("<repomd><data type=x/></repomd>", "malformed attribute"),
            ("<repomd>&bogus;</repomd>", "unknown entity"),
        ] {
            let e = parse_repomd("http://r.example.test/repomd.xml", bad.as_bytes())
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("http://r.example.test/repomd.xml: "), "{e}");
            assert!(e.contains(want), "{bad}: {e}");
        }
    }

    const PRIMARY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="3">
<package type="rpm">
  <name>openssl-libs</name>
  <arch>x86_64</arch>
  <version epoch="1" ver="3.0.7" rel="27.el9"/>
  <summary>A &amp; B</summary>
  <format><rpm:sourcerpm>openssl-3.0.7-27.el9.src.rpm</rpm:sourcerpm>
    <rpm:provides><rpm:entry name="name" flags="EQ" epoch="1" ver="9" rel="9"/></rpm:provides></format>
</package>
<package type="rpm"><name>tzdata</name><arch>noarch</arch><version epoch="0" ver="2024a" rel="1.el9"/></package>
<package type="rpm"><name>tzdata</name><arch>src</arch><version epoch="0" ver="2024a" rel="1.el9"/></package>
</metadata>"#;

    #[test]
    fn primary_packages() {
        let all = parse_primary("u", PRIMARY.as_bytes(), &|_| true).unwrap();
        assert_eq!(
            all,
            [
                Available {
                    name: "openssl-libs".into(),
                    version: "1:3.0.7-27.el9".into(),
                    architecture: "x86_64".into()
                },
                Available {
                    name: "tzdata".into(),
                    version: "2024a-1.el9".into(),
                    architecture: "noarch".into()
                }
            ]
        );
        assert_eq!(
            parse_primary("u", PRIMARY.as_bytes(), &|n| n == "tzdata")
                .unwrap()
                .len(),
            1
        );
        for (bad, want) in [
            (
                "<metadata><package><name>a</name><arch>x</arch></package></metadata>",
                "without name, arch or version",
            ),
            (
                "<metadata><package><version ver='1'/></package></metadata>",
                "without ver",
            ),
            ("<metadata><package><name>a</name>", "truncated"),
        ] {
            let e = parse_primary("u", bad.as_bytes(), &|_| true)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("u: byte ") && e.contains(want), "{bad}: {e}");
        }
    }

    const UPDATEINFO: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<updates>
  <update from="x" status="stable" type="security" version="2.0">
    <id>RHSA-2024:0001</id><title>t</title><issued date="2024-01-01"/>
    <references><reference href="h" id="CVE-2024-1" type="cve"/></references>
    <pkglist><collection short="c"><name>c</name>
      <package name="openssl-libs" version="3.0.7" release="27.el9" epoch="1" arch="x86_64"><filename>f</filename></package>
      <package name="other" version="1" release="1" epoch="0" arch="noarch"/>
    </collection></pkglist>
  </update>
  <update type="bugfix"><id>RHBA-2024:0002</id><pkglist><collection>
    <package name="other" version="2" release="1" arch="noarch"/></collection></pkglist></update>
</updates>"#;

    #[test]
    fn updateinfo_advisories() {
        let all = parse_updateinfo("u", UPDATEINFO.as_bytes(), &|_| true).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[0].id.as_str(), all[0].kind.as_str()),
            ("RHSA-2024:0001", "security")
        );
        assert_eq!(all[0].packages[0].version, "1:3.0.7-27.el9");
        assert_eq!(all[1].packages[0].version, "2-1");
        let some = parse_updateinfo("u", UPDATEINFO.as_bytes(), &|n| n == "openssl-libs").unwrap();
        assert_eq!(some.len(), 1);
        assert_eq!(some[0].packages.len(), 1);
        let e = parse_updateinfo(
            "u",
            "<updates><update type='security'><pkglist/></update></updates>".as_bytes(),
            &|_| true,
        )
        .unwrap_err();
        assert!(e.to_string().contains("without <id>"), "{e}");
    }

    #[test]
    fn huge_events_are_refused_not_buffered() {
        let huge = format!(
            "<metadata><package><name>{}</name></package></metadata>",
            "x".repeat(MAX_XML_EVENT_BYTES as usize + (1 << 20))
        );
        let e = parse_primary("u", huge.as_bytes(), &|_| true).unwrap_err();
        assert!(e.to_string().contains("larger than"), "{e}");
        let attr = format!(
            "<repomd><data type='{}'/></repomd>",
            "y".repeat(MAX_XML_EVENT_BYTES as usize + (1 << 20))
        );
        assert!(parse_repomd("u", attr.as_bytes()).is_err());
    }

    #[test]
    fn compressed_metadata_opens_by_name() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(PRIMARY.as_bytes()).unwrap();
        let gz = gz.finish().unwrap();
        let zst = zstd::stream::encode_all(PRIMARY.as_bytes(), 1).unwrap();
        let mut xz = Vec::new();
        lzma_rs::xz_compress(&mut PRIMARY.as_bytes(), &mut xz).unwrap();
        for (name, data) in [("p.xml.gz", &gz), ("p.xml.zst", &zst), ("p.xml.xz", &xz)] {
            let r = open_metadata("u", name, data).unwrap();
            assert_eq!(parse_primary("u", r, &|_| true).unwrap().len(), 2, "{name}");
        }
        assert!(open_metadata("u", "p.xml.bz2", b"x").is_err());
        let r = open_metadata("u", "p.xml.gz", &gz[..gz.len() / 2]).unwrap();
        assert!(parse_primary("u", r, &|_| true).is_err());
    }
}
