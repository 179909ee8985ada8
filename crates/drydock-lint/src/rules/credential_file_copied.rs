use drydock_dockerfile::{InstructionKind, Word};
use drydock_findings::Severity;

use super::security_helpers::{unquote_once, unwrap_onbuild};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD214",
    name: "credential-file-copied",
    summary: "COPY or ADD puts a credential file (SSH key, .netrc, cloud key) into the image",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports a `COPY` or `ADD` in the image being built (the final stage and the stages it is built
`FROM`) whose source or destination is named like a credential file:

- SSH private keys (`id_rsa`, `id_ecdsa`, `id_ed25519`, …, not `.pub`) and the `.ssh`, `.aws`
  and `.gnupg` directories;
- `.netrc`, `.git-credentials`, `.pgpass`, `.my.cnf`, `.pypirc`, `.dockercfg`,
  `.docker/config.json`, `.aws/credentials`, `.kube/config`, `.vault-token`, `.s3cfg`;
- `credentials.json`, `service-account.json`, `client_secret*.json`, Rails' `master.key`;
- `.env` and `.env.*.local`/`.env.local` files (not `.env.example` and the like, nor a
  template copied to `.env`);
- key stores: `*.p12`, `*.pfx`, `*.jks`, `*.keystore` (not trust stores), VPN profiles
  (`*.ovpn`);
- a file copied to the path a credential-file variable points at
  (`GOOGLE_APPLICATION_CREDENTIALS`, `AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`,
  `HF_TOKEN_PATH`, `KUBECONFIG`) set with `ENV`.

Files copied into build stages that do not ship are not reported, and neither are sources
given by variables or globs. What `COPY . .` brings in depends on `.dockerignore`, which this
rule does not read; `drydock scan` finds secrets in the built image's files.

Also reported by dockle on a built image as CIS-DI-0010 (credential file names) and, for the
credential-file variables, by Trivy as part of DS-0031 (AVD-DS-0031).

## Why is this bad?
Everything `COPY` writes stays in its layer: anyone who can pull the image can extract the
key or password, even when a later `RUN rm` deletes the file (the file is hidden in the last
layer, not removed from the earlier one).

## Example
```dockerfile
FROM golang:1.23 AS build
COPY id_ed25519 /root/.ssh/id_ed25519
RUN git clone git@git.example.test:team/app.git /src && cd /src && go build -o /app .
```

Use instead:
```dockerfile
# syntax=docker/dockerfile:1
FROM golang:1.23 AS build
RUN --mount=type=ssh git clone git@git.example.test:team/app.git /src \
 && cd /src && go build -o /app .
```
built with `docker build --ssh default .`

## How to fix
When the build needs the credential, give it to the one `RUN` that uses it: `RUN
--mount=type=ssh` for SSH keys (built with `docker build --ssh default`), `RUN
--mount=type=secret,id=netrc,target=/root/.netrc` for files (built with `docker build --secret
id=netrc,src=$HOME/.netrc`). When the application needs it at run time, mount it when the
container starts (a Docker or Kubernetes secret) and keep it out of the build context with
`.dockerignore`. Rotate any credential that was already pushed in an image.
"#,
    check,
};

/// File names (lower-case) of credential files, and what they hold.
const CREDENTIAL_NAMES: [(&str, &str); 23] = [
    ("id_rsa", "an SSH private key"),
    ("id_dsa", "an SSH private key"),
    ("id_ecdsa", "an SSH private key"),
    ("id_ecdsa_sk", "an SSH private key"),
    ("id_ed25519", "an SSH private key"),
    ("id_ed25519_sk", "an SSH private key"),
    (".ssh", "SSH keys"),
    (".aws", "AWS credentials"),
    (".gnupg", "GnuPG private keys"),
    (".netrc", "login passwords"),
    ("_netrc", "login passwords"),
    (".git-credentials", "git credentials"),
    (".pgpass", "PostgreSQL passwords"),
    (".my.cnf", "MySQL client settings, usually with a password"),
    (".pypirc", "package index credentials"),
    (".dockercfg", "registry credentials"),
    (".vault-token", "a Vault token"),
    (".s3cfg", "S3 credentials"),
    ("credentials.json", "cloud credentials"),
    ("service-account.json", "a service account key"),
    ("service_account.json", "a service account key"),
    ("master.key", "the Rails master key"),
    (".env", "environment secrets"),
];

/// Path endings (lower-case) of credential files.
const CREDENTIAL_PATHS: [(&str, &str); 3] = [
    (".aws/credentials", "AWS credentials"),
    (".docker/config.json", "registry credentials"),
    (".kube/config", "Kubernetes credentials"),
];

/// Extensions (lower-case) of key stores.
const CREDENTIAL_EXTENSIONS: [(&str, &str); 5] = [
    (".p12", "a PKCS #12 key store"),
    (".pfx", "a PKCS #12 key store"),
    (".jks", "a Java key store"),
    (".keystore", "a key store"),
    (".ovpn", "a VPN profile, usually with its private key"),
];

/// Variables that name the path of a credential file.
const CREDENTIAL_FILE_VARIABLES: [&str; 5] = [
    "GOOGLE_APPLICATION_CREDENTIALS",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "HF_TOKEN_PATH",
    "KUBECONFIG",
];

const HELP: &str = "give it only to the `RUN` that needs it (`RUN --mount=type=ssh` for SSH \
                    keys, `RUN --mount=type=secret,id=<id>,target=<path>` for files), or mount \
                    it when the container starts; deleting it later leaves it in this layer";

fn check(checker: &mut Checker) {
    let instructions = &checker.file.instructions;
    // Paths credential-file variables point at in the image.
    let mut variable_paths: Vec<(&str, &str)> = Vec::new();
    for (index, outer) in instructions.iter().enumerate() {
        let InstructionKind::Env(pairs) = &unwrap_onbuild(outer).kind else {
            continue;
        };
        if !checker.in_final_image(index) {
            continue;
        }
        for pair in pairs {
            let value = unquote_once(&pair.value.text);
            if CREDENTIAL_FILE_VARIABLES.contains(&pair.key.text.as_str())
                && value.starts_with('/')
                && !value.contains('$')
            {
                variable_paths.push((pair.key.text.as_str(), value));
            }
        }
    }
    let mut found = Vec::new();
    for (index, outer) in instructions.iter().enumerate() {
        let instruction = unwrap_onbuild(outer);
        let (InstructionKind::Copy(copy) | InstructionKind::Add(copy)) = &instruction.kind else {
            continue;
        };
        if !checker.in_final_image(index) {
            continue;
        }
        let keyword = instruction.keyword.as_str();
        let destination = unquote_once(&copy.destination.text);
        let into_directory = destination.ends_with('/') || copy.sources.len() > 1;
        let mut reported = false;
        for source in &copy.sources {
            let text = unquote_once(&source.text);
            if text.starts_with("<<") || text.contains("://") || is_dynamic_or_glob(text) {
                continue;
            }
            let name = base_name(text);
            if let Some(what) = credential_kind(text) {
                found.push(message(keyword, source, name, what));
                reported = true;
                continue;
            }
            let target = if into_directory {
                format!("{}/{name}", destination.trim_end_matches('/'))
            } else {
                destination.to_owned()
            };
            if let Some((variable, _)) = variable_paths.iter().find(|(_, path)| *path == target) {
                found.push(
                    Diagnostic::new(
                        source.span,
                        format!(
                            "`{keyword}` puts `{name}` into the image at `{target}`, the \
                             credential file `{variable}` points at: anyone who pulls the image \
                             can read it"
                        ),
                    )
                    .help(HELP),
                );
                reported = true;
            }
        }
        // `COPY .env.example .env` fills in a template, not a credential.
        let from_template = copy.sources.iter().any(|source| {
            let name = base_name(&source.text).to_ascii_lowercase();
            ["example", "sample", "template", "dist", "default"]
                .iter()
                .any(|word| name.contains(word))
        });
        if !reported
            && !into_directory
            && !from_template
            && !base_name(destination).starts_with(".env")
            && !is_dynamic_or_glob(destination)
            && let Some(what) = credential_kind(destination)
        {
            found.push(message(
                keyword,
                &copy.destination,
                base_name(destination),
                what,
            ));
        }
    }
    for diagnostic in found {
        checker.report(diagnostic);
    }
}

fn message(keyword: &str, word: &Word, name: &str, what: &str) -> Diagnostic {
    Diagnostic::new(
        word.span,
        format!(
            "`{keyword}` puts `{name}` ({what}) into the image: anyone who pulls the image can \
             read it"
        ),
    )
    .help(HELP)
}

fn is_dynamic_or_glob(text: &str) -> bool {
    text.contains(['$', '*', '?', '['])
}

/// The last path component (`a/b/` → `b`).
fn base_name(path: &str) -> &str {
    let path = path.trim_end_matches('/');
    path.rsplit('/').next().unwrap_or(path)
}

/// What the credential file at `path` holds, if its name says it is one.
fn credential_kind(path: &str) -> Option<&'static str> {
    let lower = path.trim_end_matches('/').to_ascii_lowercase();
    let name = base_name(&lower);
    if let Some((_, what)) = CREDENTIAL_NAMES.iter().find(|(n, _)| *n == name) {
        return Some(what);
    }
    if let Some((_, what)) = CREDENTIAL_PATHS
        .iter()
        .find(|(p, _)| lower == *p || lower.ends_with(&format!("/{p}")))
    {
        return Some(what);
    }
    if name.starts_with(".env.") && name.ends_with(".local") {
        return Some("environment secrets");
    }
    if name.starts_with("client_secret") && name.ends_with(".json") {
        return Some("an OAuth client secret");
    }
    if name.contains("trust") || name.contains("cacerts") {
        return None;
    }
    CREDENTIAL_EXTENSIONS
        .iter()
        .find(|(extension, _)| name.len() > extension.len() && name.ends_with(extension))
        .map(|(_, what)| *what)
}

#[cfg(test)]
mod tests {
    use super::credential_kind;

    #[test]
    fn credential_names() {
        for path in [
            "id_rsa",
            "keys/id_ed25519",
            "/root/.ssh/",
            "home/.aws/credentials",
            ".kube/config",
            ".env",
            ".env.production.local",
            "client_secret_123.apps.json",
            "certs/server.p12",
            "config/master.key",
        ] {
            assert!(credential_kind(path).is_some(), "{path}");
        }
        for path in [
            "id_rsa.pub",
            ".env.example",
            ".env.production",
            "app/config",
            "truststore.jks",
            ".jks",
            "ca.pem",
            "known_hosts",
            ".docker/nginx.conf",
            "environment.env",
        ] {
            assert!(credential_kind(path).is_none(), "{path}");
        }
    }
}
