use drydock_dockerfile::{Instruction, Keyword};
use drydock_findings::{Applicability, Edit, Fix, Severity};

use super::security_helpers::{AddSource, adds, classify_add_source};
use crate::{Checker, Diagnostic, Rule};

pub const RULE: Rule = Rule {
    code: "DD3020",
    name: "add-local-files",
    summary: "ADD copies local files; use COPY",
    severity: Severity::Error,
    enabled_by_default: true,
    hadolint: Some("DL3020"),
    docs: r#"## What it does
Reports an `ADD` whose sources are all local files or directories, which `COPY` copies the
same way. It does not fire when a source is a URL, a git repository (`git@…`, `….git`), a local
tar archive (`.tar`, `.tar.gz`, `.tgz`, `.tar.bz2`, `.tar.xz`, …) that `ADD` extracts, an inline
heredoc, or a variable whose value is unknown.

## Why is this bad?
`ADD` also downloads URLs and unpacks archives, so a reader (and a reviewer of a change to the
source path) cannot tell what it does; `COPY` only copies.

## Example
```dockerfile
FROM python:3.12-slim
ADD requirements.txt app/ /srv/
```

Use instead:
```dockerfile
FROM python:3.12-slim
COPY requirements.txt app/ /srv/
```

## How to fix
Replace `ADD` with `COPY`; the flags (`--chown`, `--chmod`, `--link`) are the same.

## Fix
Safe (`drydock lint --fix`): replaces `ADD` with `COPY` when every flag is one `COPY` takes.
"#,
    check,
};

fn check(checker: &mut Checker) {
    for add in adds(checker) {
        if add.instruction.flag("from").is_some() {
            continue;
        }
        let all_local = !add.sources.is_empty()
            && add
                .sources
                .iter()
                .all(|(_, text)| classify_add_source(text) == AddSource::Local);
        if !all_local {
            continue;
        }
        let first = &add.sources[0].0.text;
        let what = if add.sources.len() == 1 {
            format!("the local path `{first}`")
        } else {
            format!("local paths (`{first}`, …)")
        };
        checker.report(
            Diagnostic::new(
                add.instruction.keyword_span,
                format!("`ADD` copies {what}; `COPY` does the same without `ADD`'s URL and archive handling"),
            )
            .help("replace `ADD` with `COPY`")
            .with_fix(as_copy(checker, add.instruction)),
        );
    }
}

/// `COPY` for `ADD`, when every flag given is one `COPY` takes too.
fn as_copy(checker: &Checker, instruction: &Instruction) -> Option<Fix> {
    if instruction
        .flags
        .iter()
        .any(|flag| !Keyword::Copy.known_flags().contains(&flag.name.as_str()))
    {
        return None;
    }
    let written = instruction.keyword_span.text(checker.source());
    let keyword = if written == "add" { "copy" } else { "COPY" };
    Some(Fix {
        message: "replace `ADD` with `COPY`".into(),
        applicability: Applicability::Safe,
        edits: vec![Edit::replace(instruction.keyword_span, keyword)],
    })
}
