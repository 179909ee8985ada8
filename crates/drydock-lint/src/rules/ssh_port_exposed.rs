use drydock_dockerfile::{GraphOptions, InstructionKind, Keyword, Word};
use drydock_findings::Severity;

use super::security_helpers::unwrap_onbuild;
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD210",
    name: "ssh-port-exposed",
    summary: "The image exposes port 22 (SSH)",
    severity: Severity::Warning,
    enabled_by_default: true,
    hadolint: None,
    docs: r#"## What it does
Reports an `EXPOSE` of TCP port 22, the SSH port, in the image being built (the final stage and
the stages it is built `FROM`, including `ONBUILD EXPOSE`): `EXPOSE 22`, `22/tcp`, a range that
includes 22 (`EXPOSE 20-25`), or a variable whose value is 22. `22/udp` and `EXPOSE` in build
stages that do not ship are not reported.

Also reported by Trivy as DS-0004 (AVD-DS-0004) and by Checkov as CKV_DOCKER_1.

## Why is this bad?
Exposing port 22 means an SSH server runs in the container: one more network service to patch,
host keys baked into the image (the same for every container), and passwords or authorized keys
to manage. Anyone who reaches the port gets a shell inside the container. Containers are entered
with `docker exec` or `kubectl exec`, which need no server in the image.

## Example
```dockerfile
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends openssh-server \
 && rm -rf /var/lib/apt/lists/*
EXPOSE 22 8080
CMD ["/usr/sbin/sshd", "-D"]
```

Use instead:
```dockerfile
FROM debian:bookworm-slim
COPY app /usr/local/bin/app
EXPOSE 8080
CMD ["/usr/local/bin/app"]
```

## How to fix
Remove the SSH server and `EXPOSE 22`; use `docker exec -it <container> sh` or `kubectl exec` to
get a shell, and `docker cp` / `kubectl cp` to move files. When SSH is the image's purpose (a
git server, an SFTP endpoint, a bastion), suppress the rule for that line with
`# drydock: ignore=DD210` and generate host keys at container start rather than in the image.
"#,
    check,
};

fn check(checker: &mut Checker) {
    let file = checker.file;
    // Walking the variable scopes costs more than this look for a candidate.
    let candidate = file.instructions.iter().any(|outer| {
        matches!(&unwrap_onbuild(outer).kind, InstructionKind::Expose(ports)
            if ports.iter().any(|w| w.text.contains("22") || w.text.contains('$')))
    });
    if !candidate {
        return;
    }
    let mut found = Vec::new();
    let options = GraphOptions {
        target: checker.settings.target.clone(),
        build_args: Vec::new(),
    };
    file.walk_scopes(&options, |index, outer, scope| {
        let instruction = unwrap_onbuild(outer);
        let InstructionKind::Expose(ports) = &instruction.kind else {
            return;
        };
        for word in ports {
            // ONBUILD triggers are expanded in the child build, with its variables.
            let value = if word.text.contains('$') && outer.keyword != Keyword::Onbuild {
                match drydock_dockerfile::expand(&word.text, file.escape, scope) {
                    Ok(expanded) if expanded.unresolved.is_empty() => expanded.value,
                    _ => continue,
                }
            } else {
                word.text.trim_matches(['"', '\'']).to_owned()
            };
            if exposes_ssh(&value) {
                found.push((index, word.clone(), value));
            }
        }
    });
    for (index, word, value) in found {
        if !checker.in_final_image(index) {
            continue;
        }
        checker.report(message(&word, &value));
    }
}

fn message(word: &Word, value: &str) -> Diagnostic {
    let single = matches!(value.to_ascii_lowercase().as_str(), "22" | "22/tcp");
    let what = match (word.text == value, single) {
        (true, true) => "port 22".to_owned(),
        (true, false) => format!("`{value}`, which includes port 22"),
        (false, true) => format!("`{}`, which is port 22", word.text),
        (false, false) => format!("`{}` (`{value}`), which includes port 22", word.text),
    };
    Diagnostic::new(
        word.span,
        format!(
            "the image exposes {what}, the SSH port: an SSH server in a container is one more \
             way in"
        ),
    )
    .help(
        "remove the SSH server and `EXPOSE 22`; open a shell with `docker exec` or `kubectl exec` \
         instead",
    )
}

/// Whether an `EXPOSE` value (`22`, `22/tcp`, `20-25`) covers TCP port 22.
fn exposes_ssh(value: &str) -> bool {
    let (ports, protocol) = value.split_once('/').unwrap_or((value, "tcp"));
    if !protocol.eq_ignore_ascii_case("tcp") {
        return false;
    }
    let (low, high) = ports.split_once('-').unwrap_or((ports, ports));
    match (low.trim().parse::<u32>(), high.trim().parse::<u32>()) {
        (Ok(low), Ok(high)) => (low..=high).contains(&22),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::exposes_ssh;

    #[test]
    fn recognises_port_22() {
        for value in ["22", "22/tcp", "22/TCP", "20-25", "1-1024/tcp"] {
            assert!(exposes_ssh(value), "{value}");
        }
        for value in ["2222", "22/udp", "222", "80", "23-25", "x", "", "8022/tcp"] {
            assert!(!exposes_ssh(value), "{value}");
        }
    }
}
