//! `.hadolint.yaml`, honoured so hadolint users keep their configuration: `ignored`, `override`,
//! `trustedRegistries`, `label-schema`, `strict-labels`, `failure-threshold`, `no-fail` and
//! `disable-ignore-pragma` apply to the drydock rules that carry a hadolint code. The other
//! hadolint keys (output format, colour, verbosity) are accepted and have no effect; unknown keys
//! are errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use drydock_findings::Severity;
use serde::Deserialize;
use serde::de::IgnoredAny;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HadolintConfig {
    /// hadolint codes never to report.
    #[serde(default)]
    pub ignored: Vec<String>,
    #[serde(default, rename = "override")]
    pub overrides: Overrides,
    /// Registries `FROM` may pull from (hadolint DL3026); wildcards allowed.
    #[serde(
        default,
        rename = "trustedRegistries",
        deserialize_with = "one_or_many"
    )]
    pub trusted_registries: Vec<String>,
    #[serde(rename = "failure-threshold")]
    pub failure_threshold: Option<Threshold>,
    #[serde(default, rename = "no-fail")]
    pub no_fail: bool,
    #[serde(default, rename = "disable-ignore-pragma")]
    pub disable_ignore_pragma: bool,
    /// Labels the image must carry, with the form of each value (hadolint DL3049–DL3058).
    #[serde(default, rename = "label-schema")]
    pub label_schema: BTreeMap<String, LabelType>,
    /// Report labels not in `label-schema` (hadolint DL3050).
    #[serde(default, rename = "strict-labels")]
    pub strict_labels: bool,
    #[serde(default)]
    _format: IgnoredAny,
    #[serde(default)]
    _formats: IgnoredAny,
    #[serde(default, rename = "no-color")]
    _no_color: IgnoredAny,
    #[serde(default)]
    _verbose: IgnoredAny,
}

/// The form a label's value must have (`label-schema:` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LabelType {
    /// Any text.
    Text,
    /// An absolute URL.
    Url,
    /// A semantic version (`1.2.3-rc.1`).
    Semver,
    /// A git commit hash (7 or 40 hexadecimal digits).
    Hash,
    /// An RFC 3339 date and time.
    Rfc3339,
    /// An SPDX licence expression.
    Spdx,
    /// An e-mail address.
    Email,
}

/// `override:` severity → hadolint codes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    #[serde(default)]
    pub error: Vec<String>,
    #[serde(default)]
    pub warning: Vec<String>,
    #[serde(default)]
    pub info: Vec<String>,
    #[serde(default)]
    pub style: Vec<String>,
}

impl Overrides {
    /// Every (hadolint code, severity) pair.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Severity)> {
        [
            (&self.error, Severity::Error),
            (&self.warning, Severity::Warning),
            (&self.info, Severity::Info),
            (&self.style, Severity::Style),
        ]
        .into_iter()
        .flat_map(|(codes, severity)| codes.iter().map(move |code| (code.as_str(), severity)))
    }
}

/// hadolint's `failure-threshold`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Threshold {
    Error,
    Warning,
    Info,
    Style,
    /// hadolint ranks `ignore` and `none` below `style`: any finding fails.
    Ignore,
    None,
}

impl Threshold {
    /// The lowest severity that fails a run.
    pub fn severity(self) -> Severity {
        match self {
            Threshold::Error => Severity::Error,
            Threshold::Warning => Severity::Warning,
            Threshold::Info => Severity::Info,
            Threshold::Style | Threshold::Ignore | Threshold::None => Severity::Style,
        }
    }
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

impl HadolintConfig {
    /// Find hadolint's configuration where hadolint looks for it: `.hadolint.yaml` (or `.yml`) in
    /// `cwd`, then `$XDG_CONFIG_HOME/hadolint.yaml`, `~/.config/hadolint.yaml`,
    /// `~/.hadolint/hadolint.yaml`, `~/hadolint/config.yaml`, `~/.hadolint.yaml`.
    pub fn discover(cwd: &Path) -> Result<Option<(PathBuf, HadolintConfig)>, String> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let xdg = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".config")));
        let mut candidates = vec![cwd.join(".hadolint.yaml"), cwd.join(".hadolint.yml")];
        if let Some(xdg) = xdg {
            candidates.push(xdg.join("hadolint.yaml"));
        }
        if let Some(home) = home {
            candidates.push(home.join(".hadolint/hadolint.yaml"));
            candidates.push(home.join("hadolint/config.yaml"));
            candidates.push(home.join(".hadolint.yaml"));
        }
        for path in candidates {
            if path.is_file() {
                let config = HadolintConfig::load(&path)?;
                return Ok(Some((path, config)));
            }
        }
        Ok(None)
    }

    pub fn load(path: &Path) -> Result<HadolintConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("{}: cannot read: {error}", path.display()))?;
        HadolintConfig::parse(&text).map_err(|error| format!("{}:{error}", path.display()))
    }

    /// Parse YAML text; errors read `line:column: message`.
    pub fn parse(text: &str) -> Result<HadolintConfig, String> {
        if text.trim().is_empty() {
            return Ok(HadolintConfig::default());
        }
        serde_saphyr::from_str(text).map_err(|error| match error.location() {
            Some(at) => format!(
                "{}:{}: {}",
                at.line(),
                at.column(),
                first_line(&error.to_string())
            ),
            None => format!(" {}", first_line(&error.to_string())),
        })
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_keys_drydock_honours() {
        let config = HadolintConfig::parse(
            "failure-threshold: warning\nignored:\n  - DL3008\n  - SC2086\noverride:\n  error:\n    - DL3015\n  info: [DL3059]\ntrustedRegistries: docker.io\nlabel-schema:\n  author: text\n",
        )
        .unwrap();
        assert_eq!(config.ignored, ["DL3008", "SC2086"]);
        assert_eq!(config.failure_threshold, Some(Threshold::Warning));
        assert_eq!(config.trusted_registries, ["docker.io"]);
        assert_eq!(config.label_schema["author"], LabelType::Text);
        let overrides: Vec<_> = config.overrides.iter().collect();
        assert_eq!(
            overrides,
            [("DL3015", Severity::Error), ("DL3059", Severity::Info)]
        );
    }

    #[test]
    fn unknown_key_is_an_error_with_a_place() {
        let error = HadolintConfig::parse("ignored: [DL3008]\nignore: [DL3009]\n").unwrap_err();
        assert!(error.starts_with("2:1:"), "{error}");
        assert!(error.contains("ignore"), "{error}");
    }

    #[test]
    fn bad_threshold_is_an_error() {
        let error = HadolintConfig::parse("failure-threshold: fatal\n").unwrap_err();
        assert!(error.contains("fatal"), "{error}");
    }

    #[test]
    fn none_and_ignore_thresholds_fail_on_anything() {
        assert_eq!(Threshold::None.severity(), Severity::Style);
        assert_eq!(Threshold::Ignore.severity(), Severity::Style);
    }
}
