//! Credentials (Docker client configuration and credential helpers),
//! `WWW-Authenticate` challenges and token replies. Secrets live in
//! [`Secret`], whose `Debug` and `Display` print `***`.

use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::error::{Error, Result};

/// A string that must never be printed: passwords, identity tokens, bearer tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `s`.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }

    /// The secret itself, for building a request header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Credentials for one registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// No credentials.
    Anonymous,
    /// User name and password (sent as HTTP Basic, or to a token endpoint).
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: Secret,
    },
    /// An OAuth2 refresh token (`identitytoken` in `config.json`, or user
    /// `<token>` from a credential helper), exchanged at the token endpoint.
    IdentityToken(Secret),
}

impl Credential {
    pub(crate) fn basic_header(&self) -> Option<String> {
        match self {
            Self::Basic { username, password } => {
                let raw = format!("{username}:{}", password.expose());
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                ))
            }
            _ => None,
        }
    }
}

/// Where the client gets credentials from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Never send credentials.
    Anonymous,
    /// The Docker client configuration `DIR/config.json`: `auths`,
    /// `credHelpers` and `credsStore` (helpers run as `docker-credential-NAME
    /// get`, found on `PATH`). `None` means `$DOCKER_CONFIG`, else
    /// `~/.docker`. A missing file means anonymous.
    DockerConfig(Option<PathBuf>),
}

impl Default for Credentials {
    /// [`Credentials::DockerConfig`] at the default place.
    fn default() -> Self {
        Self::DockerConfig(None)
    }
}

impl Credentials {
    /// Looks up the credential for `registry` (its `credential_key`).
    /// Blocking: reads a file and may run a helper program; call it off the
    /// async runtime.
    pub fn lookup(&self, registry: &str, key: &str) -> Result<Credential> {
        let dir = match self {
            Self::Anonymous => return Ok(Credential::Anonymous),
            Self::DockerConfig(Some(dir)) => dir.clone(),
            Self::DockerConfig(None) => match default_config_dir() {
                Some(d) => d,
                None => return Ok(Credential::Anonymous),
            },
        };
        lookup_in(&dir, registry, key)
    }
}

fn default_config_dir() -> Option<PathBuf> {
    std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".docker")))
}

/// The helper a config names for `key` (`credHelpers`, else `credsStore`).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct HelperNames {
    #[serde(default)]
    cred_helpers: std::collections::HashMap<String, String>,
    #[serde(default)]
    creds_store: Option<String>,
}

/// Largest `config.json` read.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

fn lookup_in(dir: &Path, registry: &str, key: &str) -> Result<Credential> {
    use docker_credential::{CredentialRetrievalError as E, DockerCredential};
    use std::io::Read as _;
    let path = dir.join("config.json");
    let fail = |message: String| Error::Credentials {
        registry: registry.to_owned(),
        message,
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Credential::Anonymous),
        Err(e) => return Err(fail(format!("{}: {e}", path.display()))),
    };
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(format!("{}: {e}", path.display())))?;
    let helper_failed = |what: &str| {
        let names: Option<HelperNames> = serde_json::from_slice(&bytes).ok();
        let helper = names
            .and_then(|n| n.cred_helpers.get(key).cloned().or(n.creds_store))
            .unwrap_or_else(|| "?".into());
        // The helper's output is not echoed: it might hold a secret.
        fail(format!(
            "credential helper `docker-credential-{helper} get` (configured in {}) {what}",
            path.display()
        ))
    };
    match docker_credential::get_credential_from_reader(bytes.as_slice(), key) {
        Ok(DockerCredential::UsernamePassword(username, password)) => Ok(Credential::Basic {
            username,
            password: Secret::new(password),
        }),
        Ok(DockerCredential::IdentityToken(t)) => Ok(Credential::IdentityToken(Secret::new(t))),
        Err(E::NoCredentialConfigured) => Ok(Credential::Anonymous),
        Err(E::HelperFailure { .. }) => Err(helper_failed("exited with an error")),
        Err(E::HelperCommunicationError) => Err(helper_failed(
            "could not be run or did not read its input (is it on PATH?)",
        )),
        Err(E::MalformedHelperResponse) => Err(helper_failed("answered with malformed JSON")),
        Err(e) => Err(fail(format!("{}: {e}", path.display()))),
    }
}

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

impl Challenge {
    /// Parses `Basic realm="x"` or `Bearer realm="…",service="…",scope="…"`.
    pub(crate) fn parse(header: &str) -> Option<Self> {
        let header = header.trim();
        let (scheme, params) = header.split_once(' ').unwrap_or((header, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return Some(Self::Basic);
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let params = parse_params(params);
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        Some(Self::Bearer {
            realm: get("realm")?,
            service: get("service"),
        })
    }
}

/// `k="v", k2=v2` (quoted values may hold commas and `\"`).
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek().copied() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((key.trim().to_owned(), value.trim().to_owned()));
    }
    out
}

/// A token endpoint's reply (distribution token spec; `access_token` is the
/// OAuth2 name).
#[derive(serde::Deserialize)]
pub(crate) struct TokenReply {
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub access_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_not_printed() {
        let c = Credential::Basic {
            username: "u".into(),
            password: Secret::new("hunter2"),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert!(!format!("{}", Secret::new("hunter2")).contains("hunter2"));
        assert_eq!(c.basic_header().unwrap(), "Basic dTpodW50ZXIy");
    }

    #[test]
    fn challenges() {
        assert_eq!(
            Challenge::parse(r#"Basic realm="drydock-rig""#),
            Some(Challenge::Basic)
        );
        assert_eq!(
            Challenge::parse(
                r#"Bearer realm="https://auth.example.test/token",service="reg.example.test",scope="repository:a/b:pull,push""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.example.test/token".into(),
                service: Some("reg.example.test".into()),
            })
        );
        assert_eq!(Challenge::parse("Bearer service=x"), None);
        assert_eq!(Challenge::parse("Negotiate abc"), None);
    }

    #[test]
    fn config_lookup() {
        let dir = tempfile::tempdir().unwrap();
        let creds = Credentials::DockerConfig(Some(dir.path().into()));
        // No config.json: anonymous.
        assert_eq!(creds.lookup("r:1", "r:1").unwrap(), Credential::Anonymous);
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"auths": {"r:1": {"auth": "dTpodW50ZXIy"}}}"#,
        )
        .unwrap();
        let got = creds.lookup("r:1", "r:1").unwrap();
        assert_eq!(
            got,
            Credential::Basic {
                username: "u".into(),
                password: Secret::new("hunter2")
            }
        );
        assert_eq!(creds.lookup("r:2", "r:2").unwrap(), Credential::Anonymous);
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"credHelpers": {"r:1": "drydock-no-such-helper"}}"#,
        )
        .unwrap();
        let e = creds.lookup("r:1", "r:1").unwrap_err().to_string();
        assert!(
            e.contains("`docker-credential-drydock-no-such-helper get`") && e.contains("PATH"),
            "{e}"
        );
        std::fs::write(dir.path().join("config.json"), "{").unwrap();
        let e = creds.lookup("r:1", "r:1").unwrap_err().to_string();
        assert!(
            e.starts_with("credentials for r:1: ") && e.contains("config.json"),
            "{e}"
        );
        assert_eq!(
            Credentials::Anonymous.lookup("r:1", "r:1").unwrap(),
            Credential::Anonymous
        );
    }
}
