//! The subset of the OSV schema (`https://ossf.github.io/osv-schema/`) that
//! matching needs: id, aliases, summary, withdrawal, and per affected
//! package its ecosystem, name, ranges and enumerated versions. Unknown
//! fields are ignored; `null` is accepted where a list or string may be.

use serde::{Deserialize, Deserializer};

use crate::error::{Error, Result};

fn null_default<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(
    d: D,
) -> std::result::Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// One OSV record, as much of it as drydock uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Record {
    /// `DSA-5678-1`, `DEBIAN-CVE-2024-0001`, `ALPINE-CVE-2024-0001`.
    pub id: String,
    /// Other ids of the same problem (`CVE-2024-0001`).
    #[serde(default, deserialize_with = "null_default")]
    pub aliases: Vec<String>,
    /// One-line description, when the record has one.
    #[serde(default)]
    pub summary: Option<String>,
    /// When set, the record was withdrawn and must be ignored.
    #[serde(default)]
    pub withdrawn: Option<String>,
    /// The affected packages.
    #[serde(default, deserialize_with = "null_default")]
    pub affected: Vec<Affected>,
}

/// `affected[]`: one package of one ecosystem.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Affected {
    /// The package; entries without one (they name only a purl or nothing)
    /// cannot be matched.
    #[serde(default)]
    pub package: Option<Package>,
    /// Version ranges.
    #[serde(default, deserialize_with = "null_default")]
    pub ranges: Vec<Range>,
    /// Versions listed one by one.
    #[serde(default, deserialize_with = "null_default")]
    pub versions: Vec<String>,
}

/// `affected[].package`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Package {
    /// `Debian:12`, `Alpine:v3.19`, `Ubuntu:22.04:LTS`, `PyPI`.
    #[serde(default)]
    pub ecosystem: String,
    /// The package name (a source package for Debian and Ubuntu, an aports
    /// origin for Alpine).
    #[serde(default)]
    pub name: String,
}

/// `affected[].ranges[]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Range {
    /// `ECOSYSTEM`, `SEMVER` or `GIT`; only `ECOSYSTEM` is evaluated.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The events, in any order.
    #[serde(default, deserialize_with = "null_default")]
    pub events: Vec<Event>,
}

/// One event of a range: exactly one of the four fields is set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Event {
    /// The range starts here (`0`: before every version).
    #[serde(default)]
    pub introduced: Option<String>,
    /// First version without the problem.
    #[serde(default)]
    pub fixed: Option<String>,
    /// Last version known to have the problem (no fix known).
    #[serde(default)]
    pub last_affected: Option<String>,
    /// Versions at or above this are outside the range.
    #[serde(default)]
    pub limit: Option<String>,
}

/// Parses one record; `file` names it in errors (with the JSON line and
/// column of the problem).
pub fn parse_record(file: &str, bytes: &[u8]) -> Result<Record> {
    serde_json::from_slice(bytes).map_err(|e| Error::Json {
        file: file.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_fields_used_and_accepts_nulls() {
        let r = parse_record(
            "x.json",
            br#"{"schema_version":"1.6.0","id":"TEST-1","aliases":null,"summary":"s",
               "affected":[{"package":{"ecosystem":"Debian:12","name":"zlib"},
                 "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.2-1"}]}],
                 "versions":null,"ecosystem_specific":{"urgency":"low"}}],
               "references":[{"type":"ADVISORY","url":"https://advisories.example.test/1"}]}"#,
        )
        .unwrap();
        assert_eq!(r.id, "TEST-1");
        assert!(r.aliases.is_empty());
        assert_eq!(r.affected[0].ranges[0].events.len(), 2);
        assert_eq!(r.affected[0].package.as_ref().unwrap().name, "zlib");
    }

    #[test]
    fn errors_name_the_file_and_json_position() {
        let e = parse_record(
            "db.zip:TEST-2.json",
            b"{\"id\": \"TEST-2\",\n \"affected\": 7}",
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("db.zip:TEST-2.json: line 2 column"),
            "{text}"
        );
        let e = parse_record("a.json", b"{\"aliases\": []}").unwrap_err();
        assert!(e.to_string().contains("missing field `id`"), "{e}");
    }
}
