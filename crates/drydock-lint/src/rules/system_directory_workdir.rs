use drydock_dockerfile::{GraphOptions, InstructionKind, Keyword, Word};
use drydock_findings::Severity;

use super::security_helpers::unwrap_onbuild;
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD213",
    name: "system-directory-workdir",
    summary: "WORKDIR or VOLUME is a kernel or boot directory (/proc, /sys, /dev, /boot)",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports a `WORKDIR` or `VOLUME` at or below `/proc`, `/sys`, `/dev`, `/boot`, `/initrd` or
`/lost+found` (after expanding build arguments and `ENV` values), in any stage.

Also reported by Trivy as DS-0030 (AVD-DS-0030, `WORKDIR` only); dockle reports volumes on
`/sys`, `/dev` and `/proc` of a built image as DKL-DI-0002.

## Why is this bad?
`/proc`, `/sys` and `/dev` are filled by the kernel and the container runtime when a container
starts: what the build writes there is hidden or lost, and a process working there reads and
writes kernel settings and devices rather than application files. A `VOLUME` there asks the
runtime to put a volume where those interfaces belong, so one hides the other. `/boot`,
`/initrd` and `/lost+found` are for kernels, boot files and file-system repair, not application
files.

## Example
```dockerfile
FROM alpine:3.20
WORKDIR /dev/app
COPY . .
```

Use instead:
```dockerfile
FROM alpine:3.20
WORKDIR /app
COPY . .
```

## How to fix
Use an application directory (`/app`, `/srv/<name>`, `/opt/<name>`, `/var/lib/<name>` for
data). A program that needs a device or kernel interface gets it at run time (`docker run
--device`), not through the image.
"#,
    check,
};

const SYSTEM_DIRECTORIES: [&str; 6] = ["/proc", "/sys", "/dev", "/boot", "/initrd", "/lost+found"];

fn check(checker: &mut Checker) {
    let file = checker.file;
    // Walking the variable scopes costs more than this look for a candidate.
    let may_name = |word: &Word| {
        word.text.contains('$')
            || SYSTEM_DIRECTORIES
                .iter()
                .any(|d| word.text.contains(&d[1..]))
    };
    let candidate = file
        .instructions
        .iter()
        .any(|outer| match &unwrap_onbuild(outer).kind {
            InstructionKind::Workdir(word) => may_name(word),
            InstructionKind::Volume(words) => words.iter().any(may_name),
            _ => false,
        });
    if !candidate {
        return;
    }
    let mut found = Vec::new();
    let options = GraphOptions {
        target: checker.settings.target.clone(),
        build_args: Vec::new(),
    };
    file.walk_scopes(&options, |_, outer, scope| {
        let instruction = unwrap_onbuild(outer);
        let words: &[Word] = match &instruction.kind {
            InstructionKind::Workdir(word) => std::slice::from_ref(word),
            InstructionKind::Volume(words) => words,
            _ => return,
        };
        for word in words {
            // ONBUILD triggers are expanded in the child build, with its variables.
            let path = if word.text.contains('$') && outer.keyword != Keyword::Onbuild {
                match drydock_dockerfile::expand(&word.text, file.escape, scope) {
                    Ok(expanded) if expanded.unresolved.is_empty() => expanded.value,
                    _ => continue,
                }
            } else {
                word.text.trim_matches(['"', '\'']).to_owned()
            };
            if let Some(directory) = system_directory(&path) {
                found.push((instruction.keyword, word.clone(), path, directory));
            }
        }
    });
    for (keyword, word, path, directory) in found {
        let written = if word.text.contains('$') {
            format!("`{} {}` (`{path}`)", keyword.as_str(), word.text)
        } else {
            format!("`{} {}`", keyword.as_str(), word.text)
        };
        let boot = matches!(directory, "/boot" | "/initrd" | "/lost+found");
        let what = match (path.trim_end_matches('/') == directory, boot) {
            (true, true) => {
                "is for boot files or file-system repair, not for an application".to_owned()
            }
            (true, false) => {
                "is filled by the kernel and the runtime at container start".to_owned()
            }
            (false, true) => format!(
                "is inside `{directory}`, which is for boot files or file-system repair, not for \
                 an application"
            ),
            (false, false) => format!(
                "is inside `{directory}`, which the kernel and the runtime fill at container start"
            ),
        };
        checker.report(
            Diagnostic::new(word.span, format!("{written} {what}")).help(
                "use an application directory such as `/app`, `/srv/<name>` or `/var/lib/<name>`",
            ),
        );
    }
}

/// The system directory `path` is at or below, if any (`//dev/./x/` counts).
fn system_directory(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        return None;
    }
    let first = path
        .split('/')
        .find(|part| !part.is_empty() && *part != ".")?;
    SYSTEM_DIRECTORIES
        .into_iter()
        .find(|directory| directory[1..] == *first)
}

#[cfg(test)]
mod tests {
    use super::system_directory;

    #[test]
    fn finds_system_directories() {
        assert_eq!(system_directory("/proc"), Some("/proc"));
        assert_eq!(system_directory("/dev/app/"), Some("/dev"));
        assert_eq!(system_directory("//sys/./x"), Some("/sys"));
        assert_eq!(system_directory("/lost+found"), Some("/lost+found"));
        for path in [
            "/app",
            "/devices",
            "/srv/proc",
            "proc",
            "/",
            "",
            "/bootstrap",
        ] {
            assert_eq!(system_directory(path), None, "{path}");
        }
    }
}
