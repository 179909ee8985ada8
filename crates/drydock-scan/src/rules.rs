//! The catalogue of scan rules.

use std::borrow::Cow::Borrowed as B;

use drydock_findings::{RuleInfo, Severity};

const fn rule(
    code: &'static str,
    name: &'static str,
    severity: Severity,
    summary: &'static str,
    docs: &'static str,
) -> RuleInfo {
    RuleInfo {
        code: B(code),
        name: B(name),
        summary: B(summary),
        default_severity: severity,
        hadolint: None,
        docs: Some(B(docs)),
    }
}

pub const SECRET_IN_LAYER_FILE: (&str, &str) = ("DD501", "secret-in-layer-file");
pub const SECRET_IN_CONFIG: (&str, &str) = ("DD502", "secret-in-config");
pub const SECRET_IN_HISTORY: (&str, &str) = ("DD503", "secret-in-history");
pub const RUNS_AS_ROOT: (&str, &str) = ("DD511", "image-runs-as-root");
pub const NO_HEALTHCHECK: (&str, &str) = ("DD512", "missing-healthcheck");
pub const SSH_PORT: (&str, &str) = ("DD513", "ssh-port-exposed");
pub const TOO_OLD: (&str, &str) = ("DD514", "image-too-old");
pub const SETUID_FILE: (&str, &str) = ("DD515", "setuid-file");
pub const SHADOW_EMPTY: (&str, &str) = ("DD516", "shadow-empty-password");
pub const SENSITIVE_VOLUME: (&str, &str) = ("DD517", "sensitive-volume");
pub const DUPLICATE_ID: (&str, &str) = ("DD518", "duplicate-user-or-group-id");
pub const WASTED_BYTES: (&str, &str) = ("DD521", "wasted-bytes");
pub const PACKAGE_CACHE: (&str, &str) = ("DD522", "package-cache-shipped");
pub const BUILD_TOOLS: (&str, &str) = ("DD523", "build-tools-shipped");

/// Every rule `drydock scan` can report, in code order.
pub static RULES: &[RuleInfo] = &[
    rule(
        SECRET_IN_LAYER_FILE.0,
        SECRET_IN_LAYER_FILE.1,
        Severity::Error,
        "A secret is in a file of a layer (also when a later layer deletes or overwrites the file: it still ships)",
        r#"## What it does
Reports a secret (cloud keys, tokens, private keys, passwords in URLs, generic high-entropy
assignments — the same engine `drydock lint` uses) in any file of any layer, with the layer, its
`diff_id` and the instruction that created it. Files a later layer deletes or overwrites are
scanned too and reported as "deleted in layer N but still shipped". Binary files are skipped
(and counted in the summary).

## Why is this bad?
Every layer is downloaded with the image. `RUN rm secret` adds a whiteout in a new layer; the
bytes stay in the layer that added them, and anyone who pulls the image can read them with
`docker save` and `tar`.

## Example
```dockerfile
COPY id_rsa /root/.ssh/id_rsa
RUN git clone git@git.example.test:org/repo.git && rm /root/.ssh/id_rsa
```

Use instead:
```dockerfile
RUN --mount=type=ssh git clone git@git.example.test:org/repo.git
```

## How to fix
Pass secrets with `RUN --mount=type=secret` or `--mount=type=ssh` so they never enter a layer.
Then revoke the leaked credential: rebuilding does not remove it from images already pushed.
"#,
    ),
    rule(
        SECRET_IN_CONFIG.0,
        SECRET_IN_CONFIG.1,
        Severity::Error,
        "A secret is in the image configuration: Env, Labels, Cmd or Entrypoint",
        r#"## What it does
Reports a secret in the image configuration: `Env`, `Labels`, `Cmd`, `Entrypoint`. Values are
redacted in every output format.

## Why is this bad?
The configuration is part of the image: `docker inspect` shows it to anyone who can pull, and
every container started from the image inherits the environment.

## Example
```dockerfile
ENV DATABASE_URL=postgres://app:s3cret@db.example.test/app
```

Use instead: set the value when the container starts (an orchestrator secret, `docker run
--env-file`), or read it from a mounted file.

## How to fix
Remove the value from the Dockerfile, rebuild, and revoke the leaked credential.
"#,
    ),
    rule(
        SECRET_IN_HISTORY.0,
        SECRET_IN_HISTORY.1,
        Severity::Error,
        "A secret is in the build history (e.g. a build ARG used by RUN)",
        r#"## What it does
Reports a secret in the build history (`created_by` of each history entry). Build arguments used
by a `RUN` are recorded there with their values (`|1 TOKEN=… /bin/sh -c …`).

## Why is this bad?
`docker history --no-trunc` prints the history of any pulled image.

## Example
```dockerfile
ARG NPM_TOKEN
RUN npm config set //registry.example.test/:_authToken=$NPM_TOKEN && npm ci
```

Use instead:
```dockerfile
RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci
```

## How to fix
Pass the value as a secret mount (`docker build --secret id=npm_token,env=NPM_TOKEN`), and
revoke the leaked one.
"#,
    ),
    rule(
        RUNS_AS_ROOT.0,
        RUNS_AS_ROOT.1,
        Severity::Warning,
        "The image runs as root, implicitly (no USER) or explicitly",
        r#"## What it does
Reports an image whose configuration runs its process as root: no `USER` at all (implicit) or
`USER root`/`USER 0` (explicit).

## Why is this bad?
A process that runs as root inside the container is root on the host's kernel: a container
escape or a writable host mount gives full control.

## Example
```dockerfile
FROM debian:bookworm-slim
COPY app /usr/local/bin/app
CMD ["app"]
```

Use instead:
```dockerfile
RUN useradd --system --uid 10001 app
USER 10001
CMD ["app"]
```

## How to fix
Create an unprivileged user in the Dockerfile and switch to it with `USER` (a numeric UID lets
Kubernetes verify `runAsNonRoot`).
"#,
    ),
    rule(
        NO_HEALTHCHECK.0,
        NO_HEALTHCHECK.1,
        Severity::Info,
        "The image runs a command but defines no HEALTHCHECK",
        r#"## What it does
Reports an image that runs a command (`Cmd` or `Entrypoint`) but defines no `HEALTHCHECK`.

## Why is this bad?
Without a health check the engine only knows whether the process exists, not whether it works:
a hung server stays "running".

## Example
```dockerfile
CMD ["gunicorn", "app:app"]
```

Use instead:
```dockerfile
HEALTHCHECK CMD ["curl", "-fsS", "http://127.0.0.1:8000/health"]
CMD ["gunicorn", "app:app"]
```

## How to fix
Add a `HEALTHCHECK`, or ignore the rule when an orchestrator probes the container itself.
"#,
    ),
    rule(
        SSH_PORT.0,
        SSH_PORT.1,
        Severity::Warning,
        "The image exposes port 22 (SSH)",
        r#"## What it does
Reports an image that exposes TCP port 22.

## Why is this bad?
An SSH server in a container is an extra way in, with its own keys and passwords to leak;
`docker exec` and `kubectl exec` do the job without one.

## Example
```dockerfile
EXPOSE 22
```

## How to fix
Remove the SSH server and the `EXPOSE`; use `docker exec` for access.
"#,
    ),
    rule(
        TOO_OLD.0,
        TOO_OLD.1,
        Severity::Warning,
        "The image was created longer ago than --max-age",
        r#"## What it does
Reports an image whose `created` time is older than the policy given with `--max-age`
(e.g. `--max-age 30d`).

## Why is this bad?
An image is a snapshot of its packages: the older it is, the more fixes published since are
missing from it.

## How to fix
Rebuild regularly from a fresh base (`drydock build` rebuilds only what changed upstream).
"#,
    ),
    rule(
        SETUID_FILE.0,
        SETUID_FILE.1,
        Severity::Info,
        "A setuid or setgid file is in the final filesystem",
        r#"## What it does
Reports setuid and setgid files in the image's final filesystem.

## Why is this bad?
A setuid binary runs with its owner's rights: a flaw in it lets an unprivileged user become root
inside the container.

## Example
```dockerfile
RUN chmod u+s /usr/local/bin/helper
```

## How to fix
Remove the bit where it is not needed (`RUN find / -xdev -perm /6000 -type f -exec chmod a-s {} +`)
or use a base image without such files.
"#,
    ),
    rule(
        SHADOW_EMPTY.0,
        SHADOW_EMPTY.1,
        Severity::Error,
        "An account in /etc/shadow has an empty password",
        r#"## What it does
Reports accounts in `/etc/shadow` with an empty password field.

## Why is this bad?
An empty password lets anyone log in as that account, with `su` or any login service.

## Example
```dockerfile
RUN passwd -d app
```

## How to fix
Lock the account instead (`passwd -l app` or `usermod -L app`).
"#,
    ),
    rule(
        SENSITIVE_VOLUME.0,
        SENSITIVE_VOLUME.1,
        Severity::Warning,
        "A VOLUME covers a sensitive path: /, /etc, /root, a credentials directory, the engine socket",
        r#"## What it does
Reports a `VOLUME` in the image configuration that covers a sensitive place: the root
directory, `/etc`, `/root`, system directories (`/usr`, `/lib`, `/home`…), kernel and boot
directories (`/proc`, `/sys`, `/dev`, `/boot`), a credentials directory (`.ssh`, `.gnupg`, `.aws`,
`.docker`, `.kube`), a container engine's socket (`docker.sock`, `containerd.sock`) or state
(`/var/lib/docker`).

## Why is this bad?
A volume outlives the container and is copied from the image only once: the next image's fixes
to files under it never reach containers that reuse the volume (Compose keeps anonymous volumes
across re-creation), while whatever a compromised process wrote there (an `authorized_keys`
entry, a changed `/etc/passwd`) persists. A volume for the engine's socket announces that the
container expects it mounted, which makes the container root on the host.

## Example
```dockerfile
VOLUME /root/.ssh
```

Use instead:
```dockerfile
VOLUME /var/lib/app/data
```

## How to fix
Declare volumes only for application data directories. Pass credentials as secrets at run time,
and do not give containers the engine's socket.
"#,
    ),
    rule(
        DUPLICATE_ID.0,
        DUPLICATE_ID.1,
        Severity::Warning,
        "Two users in /etc/passwd share a UID, or two groups in /etc/group share a GID",
        r#"## What it does
Reports a UID used by more than one user name in `/etc/passwd`, and a GID used by more than one
group name in `/etc/group`, in the image's final filesystem.

## Why is this bad?
The kernel knows only the number: every name sharing it has the same rights and owns the same
files. A second name for UID 0 is a hidden root account; a shared application UID breaks the
separation the accounts were made for, and audit logs cannot tell the users apart.

## Example
```dockerfile
RUN echo 'toor:x:0:0:root:/root:/bin/sh' >> /etc/passwd
```

Use instead:
```dockerfile
RUN useradd --system --uid 10001 app
```

## How to fix
Create users with `useradd`/`adduser` (which pick a free id), and remove the duplicate entries.
"#,
    ),
    rule(
        WASTED_BYTES.0,
        WASTED_BYTES.1,
        Severity::Info,
        "A layer ships more than 1 MiB that later layers delete or overwrite",
        r#"## What it does
Reports a layer that ships more than 1 MiB of files that later layers delete or overwrite.

## Why is this bad?
Deleted and overwritten files still take space in the earlier layer: every pull downloads them,
and they may hold what the later step meant to remove.

## Example
```dockerfile
RUN curl -fsSLO https://downloads.example.test/tool.tar.gz && tar xzf tool.tar.gz
RUN rm tool.tar.gz
```

Use instead:
```dockerfile
RUN curl -fsSLO https://downloads.example.test/tool.tar.gz && tar xzf tool.tar.gz && rm tool.tar.gz
```

## How to fix
Clean up in the same `RUN` that creates the files, use a cache mount, or build in a separate
stage and copy only the result.
"#,
    ),
    rule(
        PACKAGE_CACHE.0,
        PACKAGE_CACHE.1,
        Severity::Info,
        "Package manager lists or caches (apt, apk, pip, npm) are shipped in a layer",
        r#"## What it does
Reports package manager lists and caches shipped in a layer: apt lists and archives, apk cache,
pip, npm, yarn, Go and Cargo caches, `~/.cache`.

## Why is this bad?
They are useless at run time and often tens of megabytes.

## Example
```dockerfile
RUN apt-get update && apt-get install -y curl
```

Use instead:
```dockerfile
RUN --mount=type=cache,target=/var/cache/apt --mount=type=cache,target=/var/lib/apt \
    apt-get update && apt-get install -y --no-install-recommends curl
```

## How to fix
Use a BuildKit cache mount for the cache directory, or remove it in the same `RUN`.
"#,
    ),
    rule(
        BUILD_TOOLS.0,
        BUILD_TOOLS.1,
        Severity::Warning,
        "Compilers, build tools or -dev packages ship in the final image",
        r#"## What it does
Reports compilers and language toolchains (gcc, g++, clang, rustc, cargo, go, javac), build tools
(`build-essential`, `build-base`, make, cmake, autotools, pkg-config) and development packages
(`*-dev`, `*-devel`) that the final image ships, by the layer that installed them. Packages come
from the dpkg or apk database; compiler executables outside the package manager's directories
(`/usr/local/go/bin/go`, `~/.cargo/bin/rustc`) and, in images without a package database, any
`…/bin/gcc`, `cc`, `clang`, `rustc`, `go` are found by their paths.

## Why is this bad?
Build tools are needed to build, not to run: they add hundreds of megabytes, more packages to
patch, and give an attacker inside the container a compiler.

## Example
```dockerfile
FROM debian:bookworm
RUN apt-get update && apt-get install -y build-essential python3-dev
COPY . /app
RUN pip install /app
CMD ["app"]
```

Use instead:
```dockerfile
FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y build-essential python3-dev python3-venv
COPY . /src
RUN python3 -m venv /venv && /venv/bin/pip install /src

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /venv /venv
CMD ["/venv/bin/app"]
```

## How to fix
Build in a separate stage and copy only the result into a runtime image, or remove the build
packages in the same `RUN` that uses them (`apt-get purge --auto-remove`). Ignore the rule for
images that are meant to build things (CI and development images).
"#,
    ),
];
