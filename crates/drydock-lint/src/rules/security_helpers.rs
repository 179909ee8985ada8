//! Queries the security rules (`DD2xx`, `DD3006`, `DD3007`, `DD3020`) share: the text of a RUN,
//! secret mounts, variable references, URLs inside words, download and interpreter commands,
//! build arguments in scope, and how to describe a secret without printing it.

use std::ops::Range;

use drydock_dockerfile::{
    Instruction, InstructionKind, MountType, Run, ShellWord, SimpleCommand, Span,
};

use crate::Checker;

/// The instruction an `ONBUILD` wraps, or the instruction itself.
pub(crate) fn unwrap_onbuild(instruction: &Instruction) -> &Instruction {
    match &instruction.kind {
        InstructionKind::Onbuild(inner) => inner,
        _ => instruction,
    }
}

/// Whether the RUN mounts a secret (`--mount=type=secret`).
pub(crate) fn has_secret_mount(run: &Run) -> bool {
    run.mounts.iter().any(|m| m.mount_type == MountType::Secret)
}

/// The source pieces that make up a RUN's script, with their start offsets: the command line
/// (continuation lines included, comment lines inside it left out) and every heredoc body.
/// Offsets in a piece plus its start are exact source offsets.
pub(crate) fn run_segments<'a>(
    source: &'a str,
    instruction: &Instruction,
) -> Vec<(usize, &'a str)> {
    let mut segments = Vec::with_capacity(1 + instruction.heredocs.len());
    let args = instruction.arguments_span;
    let mut start = args.start;
    for comment in &instruction.comments {
        if comment.start >= start && comment.end <= args.end {
            segments.push((start, Span::new(start, comment.start).text(source)));
            start = comment.end;
        }
    }
    segments.push((start, Span::new(start, args.end).text(source)));
    for heredoc in &instruction.heredocs {
        let body = heredoc.body_span;
        segments.push((body.start, body.text(source)));
    }
    segments
}

/// The shell commands of a RUN (shell form, and heredoc scripts run by a shell).
pub(crate) fn shell_commands(run: &Run) -> &[SimpleCommand] {
    run.shell
        .as_ref()
        .map_or(&[], |shell| shell.commands.as_slice())
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `$NAME` and `${NAME…}` references in `text` (not `\$NAME`): the name and the byte range of
/// the whole reference.
pub(crate) fn variable_refs(text: &str) -> impl Iterator<Item = (&str, Range<usize>)> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        while let Some(found) = memchr_dollar(&bytes[pos..]) {
            let at = pos + found;
            pos = at + 1;
            if at > 0 && bytes[at - 1] == b'\\' {
                continue;
            }
            let braced = bytes.get(at + 1) == Some(&b'{');
            let name_start = at + 1 + usize::from(braced);
            if !bytes.get(name_start).copied().is_some_and(is_name_start) {
                continue;
            }
            let mut name_end = name_start;
            while name_end < bytes.len() && is_name_byte(bytes[name_end]) {
                name_end += 1;
            }
            let end = if braced {
                match bytes[name_end..].iter().position(|&b| b == b'}') {
                    Some(close) => name_end + close + 1,
                    None => continue,
                }
            } else {
                name_end
            };
            pos = end;
            return Some((&text[name_start..name_end], at..end));
        }
        None
    })
}

fn memchr_dollar(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'$')
}

/// The variable a value consists of, when it is exactly one `$NAME` or `${NAME}` reference
/// (optionally quoted).
pub(crate) fn sole_variable(value: &str) -> Option<&str> {
    let value = unquote_once(value.trim());
    let mut refs = variable_refs(value);
    let (name, range) = refs.next()?;
    (range == (0..value.len())).then_some(name)
}

/// Whether a value is computed at build time (`$VAR`, `$(…)`, backticks) rather than written
/// literally.
pub(crate) fn is_dynamic(value: &str) -> bool {
    value.contains('$') || value.contains('`')
}

/// `"x"` or `'x'` → `x`.
pub(crate) fn unquote_once(value: &str) -> &str {
    let b = value.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        &value[1..value.len() - 1]
    } else {
        value
    }
}

/// Where `needle` is written inside `span` (the first occurrence), when it is written verbatim.
pub(crate) fn find_in(source: &str, span: Span, needle: &str) -> Option<Span> {
    if needle.is_empty() {
        return None;
    }
    let text = span.text(source);
    text.find(needle)
        .map(|at| Span::new(span.start + at, span.start + at + needle.len()))
}

/// A URL found inside a word.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Url<'a> {
    /// The whole URL.
    pub text: &'a str,
    /// Byte range of the URL in the searched text.
    pub range: (usize, usize),
    /// `https`, `http`, `git+ssh`… (lower-case not guaranteed).
    pub scheme: &'a str,
    /// `user[:password]` before `@`, if any.
    pub userinfo: Option<&'a str>,
    /// Host with optional port (`[::1]:8080`).
    pub host: &'a str,
}

impl Url<'_> {
    /// The `user` and `password` parts of the userinfo.
    pub fn credentials(&self) -> Option<(&str, Option<&str>)> {
        let userinfo = self.userinfo?;
        Some(match userinfo.split_once(':') {
            Some((user, password)) => (user, Some(password)),
            None => (userinfo, None),
        })
    }

    /// The host without port or brackets, lower-cased comparison left to callers.
    pub fn hostname(&self) -> &str {
        let host = self.host;
        if let Some(rest) = host.strip_prefix('[') {
            return rest.split(']').next().unwrap_or(rest);
        }
        host.rsplit_once(':')
            .filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(name, _)| name)
    }

    /// Loopback and `localhost` hosts.
    pub fn is_loopback(&self) -> bool {
        let host = self.hostname().to_ascii_lowercase();
        host == "localhost"
            || host.ends_with(".localhost")
            || host.starts_with("127.")
            || host == "::1"
            || host == "0.0.0.0"
    }

    /// Whether the host is a variable (`http://${MIRROR}/…`), so it is unknown.
    pub fn host_is_variable(&self) -> bool {
        self.host.starts_with('$') || self.host.is_empty()
    }

    /// Whether the scheme is `http` (plain, not `https`).
    pub fn is_plain_http(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("http")
    }
}

/// URLs (`scheme://…`) in `text`, in order. A URL ends at whitespace, a quote, `<`, `>`, `|`,
/// `;`, or a `}` that closes nothing opened inside it.
pub(crate) fn urls(text: &str) -> impl Iterator<Item = Url<'_>> {
    let bytes = text.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        loop {
            let found = text[pos..].find("://")?;
            let sep = pos + found;
            pos = sep + 3;
            let mut start = sep;
            while start > 0
                && (bytes[start - 1].is_ascii_alphanumeric()
                    || matches!(bytes[start - 1], b'+' | b'.' | b'-'))
            {
                start -= 1;
            }
            while start < sep && !bytes[start].is_ascii_alphabetic() {
                start += 1;
            }
            if start == sep {
                continue;
            }
            let mut end = sep + 3;
            let mut depth = 0usize;
            while end < bytes.len() {
                match bytes[end] {
                    b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\'' | b'`' | b'<' | b'>' | b'|'
                    | b';' | b'\\' => break,
                    b'{' => depth += 1,
                    b'}' if depth == 0 => break,
                    b'}' => depth -= 1,
                    b')' if depth == 0 => break,
                    _ => {}
                }
                end += 1;
            }
            pos = end.max(pos);
            let after = &text[sep + 3..end];
            let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
            let authority = &after[..authority_end];
            let (userinfo, host) = match authority.rfind('@') {
                Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
                None => (None, authority),
            };
            return Some(Url {
                text: &text[start..end],
                range: (start, end),
                scheme: &text[start..sep],
                userinfo,
                host,
            });
        }
    })
}

/// `curl` or `wget`.
pub(crate) fn is_download_program(program: &str) -> bool {
    matches!(program, "curl" | "wget")
}

/// Shells that run a script given on standard input or with `-c`.
pub(crate) fn is_shell(program: &str) -> bool {
    matches!(program, "sh" | "bash" | "zsh" | "ash" | "dash" | "ksh")
}

/// Interpreters that run code from standard input: shells plus `python*`, `perl`, `ruby`,
/// `node`, `php`.
pub(crate) fn is_interpreter(program: &str) -> bool {
    is_shell(program)
        || program == "python"
        || program
            .strip_prefix("python")
            .is_some_and(|v| v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
        || matches!(program, "perl" | "ruby" | "node" | "php")
}

/// Short options with which an interpreter runs code from an argument (`sh -c`, `perl -e`,
/// `python -c`/`-m`, `php -r`), not from standard input or a file.
fn inline_code_flags(program: &str) -> &'static [u8] {
    if is_shell(program) {
        b"c"
    } else if program.starts_with("python") {
        b"cm"
    } else if program == "perl" {
        b"eE"
    } else if program == "node" {
        b"ep"
    } else if program == "php" {
        b"r"
    } else {
        b"e"
    }
}

/// Whether the interpreter runs code given inline (`sh -c '…'`, `python -c '…'`).
pub(crate) fn runs_inline_code(command: &SimpleCommand, program: &str) -> bool {
    let flags = inline_code_flags(program);
    for arg in command.arguments() {
        let t = arg.text.as_str();
        if t == "--" || !t.starts_with('-') || t == "-" {
            return false;
        }
        if let Some(long) = t.strip_prefix("--") {
            if matches!(long, "command" | "eval") {
                return true;
            }
            continue;
        }
        if t[1..].bytes().any(|b| flags.contains(&b)) {
            return true;
        }
    }
    false
}

/// Whether an interpreter reads the program from standard input: no script file argument (or
/// `-`), no inline code, or a shell's `-s`.
pub(crate) fn reads_program_from_stdin(command: &SimpleCommand, program: &str) -> bool {
    if runs_inline_code(command, program) {
        return false;
    }
    for arg in command.arguments() {
        let t = arg.text.as_str();
        if t == "-" || t == "--" {
            return true;
        }
        if let Some(letters) = t.strip_prefix('-')
            && !letters.starts_with('-')
            && is_shell(program)
            && letters.contains('s')
        {
            return true;
        }
        if !t.starts_with('-') {
            // A script file: standard input is data for it.
            return false;
        }
    }
    true
}

/// Words of `command` that are `NAME=value` assignments: before the command (`A=1 cmd`), given
/// to `env`, or the arguments of `export`/`declare`/`readonly`.
pub(crate) fn assignments(
    command: &SimpleCommand,
) -> impl Iterator<Item = (&str, &str, &ShellWord)> {
    let argv_len = command.argv().len();
    let before_argv = &command.words[..command.words.len() - argv_len];
    let exported: &[ShellWord] = match command.program() {
        Some("export" | "declare" | "typeset" | "readonly" | "local") => command.arguments(),
        _ => &[],
    };
    command
        .assignments
        .iter()
        .chain(before_argv)
        .chain(exported)
        .filter_map(|word| {
            let (name, value) = word.text.split_once('=')?;
            let valid =
                name.bytes().next().is_some_and(is_name_start) && name.bytes().all(is_name_byte);
            valid.then_some((name, value, word))
        })
}

/// The first argument word of `command` that is one of `names` (`--user`), written as
/// `--user=v`, `--user v`, or (for single-letter short options) `-uv`: the option word and the
/// value with the word that holds it.
pub(crate) fn option_word<'a>(
    command: &'a SimpleCommand,
    names: &[&str],
) -> Option<(&'a ShellWord, &'a str, &'a ShellWord)> {
    let args = command.arguments();
    for (i, arg) in args.iter().enumerate() {
        let t = arg.text.as_str();
        if t == "--" {
            break;
        }
        if names.contains(&t) {
            let value = args.get(i + 1)?;
            return Some((arg, value.text.as_str(), value));
        }
        if let Some((name, value)) = t.split_once('=')
            && name.starts_with("--")
            && names.contains(&name)
        {
            return Some((arg, value, arg));
        }
        for name in names {
            if name.len() == 2
                && !name.starts_with("--")
                && t.len() > 2
                && t.starts_with(name)
                && !t.starts_with("--")
            {
                return Some((arg, &t[2..], arg));
            }
        }
    }
    None
}

/// Build arguments declared so far in the current stage, for rules that walk a stage's
/// instructions in order.
#[derive(Debug, Default)]
pub(crate) struct StageArgs<'a> {
    names: Vec<&'a str>,
}

impl<'a> StageArgs<'a> {
    pub fn clear(&mut self) {
        self.names.clear();
    }

    /// Records the names an `ARG` instruction declares.
    pub fn declare(&mut self, instruction: &'a Instruction) {
        if let InstructionKind::Arg(declarations) = &instruction.kind {
            self.names
                .extend(declarations.iter().map(|d| d.name.text.as_str()));
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.names.contains(&name)
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.names.iter().copied()
    }
}

/// Whether a variable name says it holds a secret (engine's name rules, with its allow-list of
/// public key ids, usernames and metadata names).
pub(crate) fn is_secret_name(name: &str) -> bool {
    drydock_secrets::secret_word(name).is_some()
}

/// A secret id derived from a variable name: `NPM_TOKEN` → `npm_token`.
pub(crate) fn secret_id(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// A literal secret written in the file: how to show it without its value.
#[derive(Debug, Clone)]
pub(crate) struct Redacted {
    /// The value with secrets masked (`ghp_***`, `***`), shortened.
    pub shown: String,
    /// What the engine recognised (`GitHub personal access token (classic)`), if anything.
    pub title: Option<&'static str>,
    /// SHA-256 prefix of the secret.
    pub fingerprint: String,
}

impl Redacted {
    /// The whole of `secret` is the secret.
    pub fn masked(secret: &str) -> Self {
        Redacted {
            shown: drydock_secrets::MASK.to_owned(),
            title: None,
            fingerprint: drydock_secrets::Fingerprint::of(secret.as_bytes()).to_string(),
        }
    }

    /// How to show the value judged by `verdict`: its redacted value, and the first match's
    /// title and fingerprint (or the fingerprint of the whole unquoted `value`).
    pub fn of_verdict(verdict: &drydock_secrets::Verdict, value: &str) -> Self {
        match verdict.matches.first() {
            Some(found) => Redacted {
                shown: shorten(&verdict.redacted_value),
                title: Some(found.title),
                fingerprint: found.fingerprint.to_string(),
            },
            None => Redacted::masked(unquote_once(value.trim())),
        }
    }

    /// A scanner match.
    pub fn of_match(found: &drydock_secrets::Match) -> Self {
        Redacted {
            shown: shorten(&found.redacted),
            title: Some(found.title),
            fingerprint: found.fingerprint.to_string(),
        }
    }
}

impl std::fmt::Display for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.title {
            Some(title) => write!(
                f,
                "`{}` ({title}; fingerprint {})",
                self.shown, self.fingerprint
            ),
            None => write!(f, "`{}` (fingerprint {})", self.shown, self.fingerprint),
        }
    }
}

/// Marks the secret parts of an assigned value for masking: each engine match when the word is
/// written verbatim, else the whole word.
pub(crate) fn mark_value(
    checker: &mut Checker<'_>,
    span: Span,
    text: &str,
    verdict: &drydock_secrets::Verdict,
) {
    let verbatim = span.text(checker.source()) == text;
    if verbatim && !verdict.matches.is_empty() {
        for found in &verdict.matches {
            checker.mark_secret(Span::new(
                span.start + found.range.start,
                span.start + found.range.end,
            ));
        }
    } else {
        checker.mark_secret(span);
    }
}

/// At most 48 characters, with `…` when cut.
fn shorten(text: &str) -> String {
    const MAX: usize = 48;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Whether `value` (a credential written in a command) is a literal secret: not empty, not a
/// reference or placeholder (judged by the shared engine as if it were assigned to a
/// `PASSWORD`).
pub(crate) fn is_literal_secret(value: &str) -> bool {
    !is_dynamic(value)
        && drydock_secrets::check_assignment("PASSWORD", value)
            .is_some_and(|verdict| verdict.kind == drydock_secrets::VerdictKind::NameAndValue)
}

/// The RUN instructions of each stage, with the build arguments declared before them in the
/// stage: calls `visit(index, instruction, run, args)` for every RUN in a stage (not ONBUILD
/// triggers, which run in another build).
pub(crate) fn for_each_run_with_args<'a>(
    checker: &Checker<'a>,
    mut visit: impl FnMut(usize, &'a Instruction, &'a Run, &StageArgs<'a>),
) {
    let instructions = &checker.file.instructions;
    let mut args = StageArgs::default();
    for stage in &checker.graph.stages {
        args.clear();
        for index in stage.instructions.clone() {
            let instruction = &instructions[index];
            match &instruction.kind {
                InstructionKind::Arg(_) => args.declare(instruction),
                InstructionKind::Run(run) => visit(index, instruction, run, &args),
                _ => {}
            }
        }
    }
}

/// Help text for passing a value as a build secret instead of a build argument.
pub(crate) fn secret_mount_help(name: &str) -> String {
    let id = secret_id(name);
    format!(
        "pass it as a build secret: `RUN --mount=type=secret,id={id},env={name} …` (Dockerfile \
         syntax ≥ 1.10; or read `/run/secrets/{id}`), built with `docker build --secret \
         id={id},env={name}` or `--secret id={id},src=<file>`"
    )
}

/// A stage built on an external image whose reference is fully known.
pub(crate) struct ExternalBase<'a> {
    /// The image word of the `FROM` line, as written.
    pub word: &'a drydock_dockerfile::Word,
    /// The reference after ARG expansion.
    pub name: &'a str,
    pub image: &'a drydock_dockerfile::ImageRef,
}

impl ExternalBase<'_> {
    /// `` `name` ``, or `` `$BASE` (`name`) `` when the written text was expanded.
    pub fn shown(&self) -> String {
        if self.word.text == self.name {
            format!("`{}`", self.name)
        } else {
            format!("`{}` (`{}`)", self.word.text, self.name)
        }
    }
}

/// Every stage's external base image (not `scratch`, not an earlier stage, not a reference with
/// unset variables).
pub(crate) fn external_bases<'a>(checker: &Checker<'a>) -> Vec<ExternalBase<'a>> {
    let instructions = &checker.file.instructions;
    checker
        .graph
        .stages
        .iter()
        .filter(|stage| stage.unresolved.is_empty())
        .filter_map(|stage| {
            let drydock_dockerfile::Base::Image(image) = &stage.base else {
                return None;
            };
            let InstructionKind::From(from) = &instructions.get(stage.instructions.start)?.kind
            else {
                return None;
            };
            Some(ExternalBase {
                word: &from.image,
                name: stage.base_name.as_str(),
                image,
            })
        })
        .collect()
}

/// What an `ADD` source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddSource {
    /// `<<EOF`: a file written inline.
    Heredoc,
    /// An `http(s)://` URL of a file.
    Url,
    /// A git repository (`https://…/x.git`, `git@host:x.git`, `ssh://`, `git://`).
    Git,
    /// A local tar archive, which `ADD` extracts.
    Archive,
    /// A local file or directory.
    Local,
    /// Uses a variable without a known value.
    Unknown,
}

const ARCHIVE_SUFFIXES: [&str; 11] = [
    ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst", ".tzst",
    ".tar.lz",
];

/// Classifies an `ADD` source (already expanded).
pub(crate) fn classify_add_source(text: &str) -> AddSource {
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("<<") {
        return AddSource::Heredoc;
    }
    if lower.contains('$') {
        return AddSource::Unknown;
    }
    if lower.starts_with("git@")
        || lower.starts_with("git://")
        || lower.starts_with("ssh://")
        || lower.starts_with("git+")
    {
        return AddSource::Git;
    }
    if lower.starts_with("http://") || lower.starts_with("https://") {
        let path = lower.split(['#', '?']).next().unwrap_or(&lower);
        return if path.ends_with(".git") || lower.contains(".git#") {
            AddSource::Git
        } else {
            AddSource::Url
        };
    }
    if ARCHIVE_SUFFIXES
        .iter()
        .any(|suffix| lower.ends_with(suffix))
    {
        return AddSource::Archive;
    }
    AddSource::Local
}

/// An `ADD` instruction (also as an `ONBUILD` trigger) with its sources expanded.
pub(crate) struct Add<'a> {
    pub instruction: &'a Instruction,
    /// Each source word with its text after ARG/ENV expansion (as written for ONBUILD
    /// triggers, whose scope is another build).
    pub sources: Vec<(&'a drydock_dockerfile::Word, String)>,
}

/// Every `ADD` of the file, sources expanded with the variables in scope.
pub(crate) fn adds<'a>(checker: &Checker<'a>) -> Vec<Add<'a>> {
    let file = checker.file;
    let mut found: Vec<(usize, Add<'a>)> = file
        .instructions
        .iter()
        .enumerate()
        .filter_map(|(index, outer)| {
            let instruction = unwrap_onbuild(outer);
            let InstructionKind::Add(copy) = &instruction.kind else {
                return None;
            };
            let sources = copy
                .sources
                .iter()
                .map(|word| (word, word.text.clone()))
                .collect();
            Some((
                index,
                Add {
                    instruction,
                    sources,
                },
            ))
        })
        .collect();
    let needs_scope = found.iter().any(|(index, add)| {
        file.instructions[*index].keyword != drydock_dockerfile::Keyword::Onbuild
            && add.sources.iter().any(|(word, _)| word.text.contains('$'))
    });
    if needs_scope {
        let options = drydock_dockerfile::GraphOptions::default();
        let mut next = 0;
        file.walk_scopes(&options, |index, outer, scope| {
            while next < found.len() && found[next].0 < index {
                next += 1;
            }
            let Some((at, add)) = found.get_mut(next) else {
                return;
            };
            if *at != index || outer.keyword == drydock_dockerfile::Keyword::Onbuild {
                return;
            }
            for (word, text) in &mut add.sources {
                if !word.text.contains('$') {
                    continue;
                }
                if let Ok(expanded) = drydock_dockerfile::expand(&word.text, file.escape, scope)
                    && expanded.unresolved.is_empty()
                {
                    *text = expanded.value;
                }
            }
        });
    }
    found.into_iter().map(|(_, add)| add).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_variable_references() {
        let refs: Vec<_> = variable_refs(r"a $A ${B:-x} \$C $1 ${D").collect();
        assert_eq!(refs, [("A", 2..4), ("B", 5..12)]);
        assert_eq!(sole_variable("\"${TOKEN}\""), Some("TOKEN"));
        assert_eq!(sole_variable("x$TOKEN"), None);
    }

    #[test]
    fn finds_urls() {
        let found: Vec<_> =
            urls("git clone https://tok@github.com/a/b.git; x=${U:-http://[::1]:80/x}")
                .map(|u| (u.text, u.userinfo, u.hostname().to_owned()))
                .collect();
        assert_eq!(
            found,
            [
                (
                    "https://tok@github.com/a/b.git",
                    Some("tok"),
                    "github.com".to_owned()
                ),
                ("http://[::1]:80/x", None, "::1".to_owned()),
            ]
        );
    }
}
