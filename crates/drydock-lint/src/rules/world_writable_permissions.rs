use drydock_dockerfile::{InstructionKind, SimpleCommand, Span};
use drydock_findings::Severity;

use super::security_helpers::{option_word, shell_commands, unwrap_onbuild};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD212",
    name: "world-writable-permissions",
    summary: "Files in the image are made writable by every user",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports modes that let every user write files, in the image being built (the final stage and
the stages it is built `FROM`):

- `chmod -R` with an octal mode whose "others" digit includes write (`777`, `666`, `0757`) or
  a symbolic mode that adds it (`o+w`, `a+rwX`, `ugo=rwX`);
- `chmod` without `-R` of a path that names a file: a script, program, library or
  configuration file by its extension (`.sh`, `.py`, `.conf`, `.jar`, …) or a program in a
  `bin`/`sbin` directory;
- `install -m|--mode` with such a mode (it installs files; not `install -d`);
- `COPY --chmod=` and `ADD --chmod=` with such a mode (it applies to every file copied).

Not reported: modes that leave "others" without write (`775`, `g+w`, `g=u`, `+w`, which honours
the umask); a directory made writable without `-R` (`chmod 777 /var/run/app`,
`mkdir -m 1777 /scratch`), which is how images let an arbitrary runtime user (`docker run
--user`) create files in a data or socket directory without making existing files writable;
modes set in build stages that do not ship.

No Trivy or Checkov check covers this; dockle's image checks report setuid/setgid files but not
world-writable ones.

## Why is this bad?
A world-writable file can be changed by any process in the container, whatever user it runs as:
a compromised worker, a sidecar sharing the volume, or a process of another user can replace the
application's code or configuration, and a later process (often root) runs the modified file.
`chmod -R 777` is usually a quick fix for a permission error that gives this away for every file.

## Example
```dockerfile
FROM node:22-slim
WORKDIR /app
COPY . .
RUN npm ci --omit=dev && chmod -R 777 /app
USER node
CMD ["node", "server.js"]
```

Use instead:
```dockerfile
FROM node:22-slim
WORKDIR /app
COPY --chown=node:node . .
RUN npm ci --omit=dev
USER node
CMD ["node", "server.js"]
```

## How to fix
Give the files to the user that needs to write them (`COPY --chown=app:app`,
`chown -R app /app/data`) and keep others read-only (`755`, `644`). For images run with an
arbitrary user id in group 0 (OpenShift), use the group: `chgrp -R 0 /app && chmod -R g=u /app`.
When an arbitrary user only needs to create files in a directory, make just that directory
writable (`chmod 1777 /app/data`, without `-R`).
"#,
    check,
};

const HELP: &str = "give the files to the user that writes them (`COPY --chown=app:app`, `chown \
                    -R app /data`) and keep others read-only; for an arbitrary user id in group \
                    0, use `chgrp -R 0 /data && chmod -R g=u /data`; when a user only needs to \
                    create files in a directory, make just the directory writable (no `-R`)";

fn check(checker: &mut Checker) {
    let mut found: Vec<(usize, Span, String)> = Vec::new();
    for (index, outer) in checker.file.instructions.iter().enumerate() {
        let instruction = unwrap_onbuild(outer);
        if !matches!(
            instruction.kind,
            InstructionKind::Copy(_) | InstructionKind::Add(_)
        ) {
            continue;
        }
        let Some(flag) = instruction.flag("chmod") else {
            continue;
        };
        let mode = flag.value_or_empty();
        if !mode.contains('$') && grants_world_write(mode) {
            found.push((
                index,
                flag.span,
                format!(
                    "`{} --chmod={mode}` makes the copied files writable by every user",
                    instruction.keyword.as_str()
                ),
            ));
        }
    }
    for (index, _, run) in checker.runs() {
        for command in shell_commands(run) {
            if let Some((span, message)) = world_writable_mode(command) {
                found.push((index, span, message));
            }
        }
    }
    found.sort_by_key(|(_, span, _)| span.start);
    for (index, span, message) in found {
        if checker.in_final_image(index) {
            checker.report(Diagnostic::new(span, message).help(HELP));
        }
    }
}

/// A `chmod` or `install -m` that lets others write files: the mode word and message.
fn world_writable_mode(command: &SimpleCommand) -> Option<(Span, String)> {
    let program = command.program()?;
    let arguments = command.arguments();
    match program {
        "chmod" => {
            if arguments.iter().any(|w| w.text.starts_with("--reference")) {
                return None;
            }
            let end_of_options = arguments.iter().position(|w| w.text == "--");
            let options = &arguments[..end_of_options.unwrap_or(arguments.len())];
            let recursive = options.iter().any(|w| {
                w.text == "--recursive"
                    || (w.text.starts_with('-')
                        && !w.text.starts_with("--")
                        && w.text.contains('R'))
            });
            let operands: Vec<_> = match end_of_options {
                Some(end) => arguments[end + 1..].iter().collect(),
                None => arguments
                    .iter()
                    .filter(|w| !w.text.starts_with('-'))
                    .collect(),
            };
            let (mode, paths) = operands.split_first()?;
            if !grants_world_write(&mode.text) {
                return None;
            }
            if recursive {
                return Some((
                    mode.span,
                    format!(
                        "`chmod -R {}` makes every file below the given directories writable by \
                         every user in the container",
                        mode.text
                    ),
                ));
            }
            let file = paths.iter().find(|path| names_a_file(&path.text))?;
            Some((
                mode.span,
                format!(
                    "`chmod {}` makes `{}` writable by every user in the container",
                    mode.text, file.text
                ),
            ))
        }
        "install" => {
            if command.has_flag(Some('d'), Some("directory")) {
                return None;
            }
            let (option, mode, word) = option_word(command, &["-m", "--mode"])?;
            let shown = option.text.split_once('=').map_or(
                if option.text.starts_with("--") {
                    "--mode"
                } else {
                    "-m"
                },
                |(name, _)| name,
            );
            grants_world_write(mode).then(|| {
                (
                    option.span.cover(word.span),
                    format!(
                        "`install {shown} {mode}` makes the installed files writable by every \
                         user in the container"
                    ),
                )
            })
        }
        _ => None,
    }
}

/// Extensions of scripts, programs, libraries and configuration files.
const FILE_EXTENSIONS: [&str; 24] = [
    "sh",
    "bash",
    "py",
    "rb",
    "pl",
    "php",
    "js",
    "mjs",
    "cjs",
    "lua",
    "jar",
    "war",
    "so",
    "bin",
    "exe",
    "conf",
    "cfg",
    "cnf",
    "ini",
    "yml",
    "yaml",
    "json",
    "xml",
    "properties",
];

/// Whether a `chmod` operand names a file rather than a directory: by its extension, or as a
/// program in a `bin`/`sbin` directory.
fn names_a_file(path: &str) -> bool {
    let path = path.trim_matches(['"', '\'']);
    if path.ends_with('/') {
        return false;
    }
    let (parent, name) = path.rsplit_once('/').unwrap_or(("", path));
    let in_bin = parent.ends_with("/bin") || parent.ends_with("/sbin") || parent == "bin";
    let extension = name
        .rsplit_once('.')
        .filter(|(stem, _)| !stem.is_empty())
        .map(|(_, extension)| extension.to_ascii_lowercase());
    in_bin || extension.is_some_and(|e| FILE_EXTENSIONS.contains(&e.as_str()))
}

/// Whether a `chmod`-style mode gives others write permission.
fn grants_world_write(mode: &str) -> bool {
    let mode = mode.trim_matches(['"', '\'']);
    if !mode.is_empty() && mode.len() <= 5 && mode.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        let others = mode.as_bytes()[mode.len() - 1] - b'0';
        return others & 2 != 0;
    }
    mode.split(',').any(|clause| {
        let who_end = clause
            .find(|c: char| !matches!(c, 'u' | 'g' | 'o' | 'a'))
            .unwrap_or(clause.len());
        let who = &clause[..who_end];
        let mut rest = &clause[who_end..];
        let mut grants = false;
        while let Some(op) = rest.chars().next().filter(|c| matches!(c, '+' | '-' | '=')) {
            let perms_end = rest[1..]
                .find(['+', '-', '='])
                .map_or(rest.len(), |i| i + 1);
            let perms = &rest[1..perms_end];
            grants |= op != '-' && perms.contains('w') && (who.contains('o') || who.contains('a'));
            rest = &rest[perms_end..];
        }
        grants
    })
}

#[cfg(test)]
mod tests {
    use super::{grants_world_write, names_a_file};

    #[test]
    fn modes() {
        for mode in [
            "777",
            "0777",
            "666",
            "1777",
            "o+w",
            "a+rwX",
            "u=rwx,go=rwx",
            "ugo+w",
        ] {
            assert!(grants_world_write(mode), "{mode}");
        }
        for mode in [
            "755", "0775", "644", "g+w", "g=u", "+w", "o-w", "u+rwx", "abc", "",
        ] {
            assert!(!grants_world_write(mode), "{mode}");
        }
    }

    #[test]
    fn file_paths() {
        for path in [
            "/entrypoint.sh",
            "app/config.YAML",
            "/usr/local/bin/tool",
            "bin/run",
        ] {
            assert!(names_a_file(path), "{path}");
        }
        for path in [
            "/var/www/html",
            "/var/run/mysqld",
            "logs",
            "/data/",
            ".bashrc",
            "/bin",
        ] {
            assert!(!names_a_file(path), "{path}");
        }
    }
}
