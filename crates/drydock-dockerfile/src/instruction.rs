//! Instructions and their per-keyword argument parsing (BuildKit
//! `line_parsers.go` and the argument checks of `instructions/parse.go`).

use crate::flags::{Flag, Mount, extract_flags, parse_mount};
use crate::heredoc::{Heredoc, parse_heredoc_word};
use crate::json::{JsonArray, parse_array};
use crate::lines::LogicalLine;
use crate::shell::ShellCommands;
use crate::span::Span;

/// Instruction keyword (matched case-insensitively).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Keyword {
    From,
    Run,
    Cmd,
    Label,
    Maintainer,
    Expose,
    Env,
    Add,
    Copy,
    Entrypoint,
    Volume,
    User,
    Workdir,
    Arg,
    Onbuild,
    StopSignal,
    Healthcheck,
    Shell,
}

impl Keyword {
    const ALL: [Keyword; 18] = [
        Self::From,
        Self::Run,
        Self::Cmd,
        Self::Label,
        Self::Maintainer,
        Self::Expose,
        Self::Env,
        Self::Add,
        Self::Copy,
        Self::Entrypoint,
        Self::Volume,
        Self::User,
        Self::Workdir,
        Self::Arg,
        Self::Onbuild,
        Self::StopSignal,
        Self::Healthcheck,
        Self::Shell,
    ];

    /// The keyword for `word`, ignoring case.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(word))
    }

    /// Upper-case spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::From => "FROM",
            Self::Run => "RUN",
            Self::Cmd => "CMD",
            Self::Label => "LABEL",
            Self::Maintainer => "MAINTAINER",
            Self::Expose => "EXPOSE",
            Self::Env => "ENV",
            Self::Add => "ADD",
            Self::Copy => "COPY",
            Self::Entrypoint => "ENTRYPOINT",
            Self::Volume => "VOLUME",
            Self::User => "USER",
            Self::Workdir => "WORKDIR",
            Self::Arg => "ARG",
            Self::Onbuild => "ONBUILD",
            Self::StopSignal => "STOPSIGNAL",
            Self::Healthcheck => "HEALTHCHECK",
            Self::Shell => "SHELL",
        }
    }

    /// Flags BuildKit (stable syntax) accepts for this keyword.
    pub const fn known_flags(self) -> &'static [&'static str] {
        match self {
            Self::From => &["platform"],
            Self::Run => &["mount", "network", "security"],
            Self::Copy => &["from", "chown", "chmod", "link", "parents", "exclude"],
            Self::Add => &[
                "chown",
                "chmod",
                "link",
                "keep-git-dir",
                "checksum",
                "unpack",
                "exclude",
            ],
            Self::Healthcheck => &[
                "interval",
                "timeout",
                "start-period",
                "start-interval",
                "retries",
            ],
            _ => &[],
        }
    }

    const fn takes_heredocs(self) -> bool {
        matches!(self, Self::Run | Self::Copy | Self::Add)
    }
}

/// An argument: its text and where it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The text BuildKit passes on: as written (quotes kept, continuations
    /// removed) for shell-like words, decoded for JSON strings.
    pub text: String,
    /// Where it is written (for JSON, the string literal with its quotes).
    pub span: Span,
}

/// Shell form or JSON exec form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Shell form: the joined command text, run with the stage's shell.
    Shell(Word),
    /// Exec form: the decoded JSON strings.
    Exec(Vec<Word>),
}

impl Command {
    /// Whether this is JSON exec form.
    pub fn is_exec(&self) -> bool {
        matches!(self, Self::Exec(_))
    }
}

/// A `key=value` (or legacy `key value`) pair of ENV or LABEL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    /// Key as written.
    pub key: Word,
    /// Value as written (quotes kept; see [`crate::expand`] to evaluate).
    pub value: Word,
    /// False for the legacy `ENV key value` form.
    pub has_equals: bool,
}

/// One name of an ARG instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgDeclaration {
    /// Variable name.
    pub name: Word,
    /// Default value as written, if `name=value`.
    pub default: Option<Word>,
}

/// FROM arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct From {
    /// Base image or stage, as written (may contain `${ARG}`).
    pub image: Word,
    /// Stage name after `AS`, as written (BuildKit lower-cases it).
    pub alias: Option<Word>,
}

/// COPY/ADD arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copy {
    /// Sources, including heredoc words such as `<<EOF`.
    pub sources: Vec<Word>,
    /// Destination (last argument).
    pub destination: Word,
    /// JSON array form.
    pub json: bool,
}

/// RUN arguments and analysis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// The command line as written after the flags.
    pub command: Command,
    /// Parsed `--mount` flags, in order.
    pub mounts: Vec<Mount>,
    /// Simple commands of the shell script (`None` for exec form or a
    /// heredoc script with a non-shell `#!` line).
    pub shell: Option<ShellCommands>,
    /// When the whole command is one heredoc (`RUN <<EOF`), its index in
    /// [`Instruction::heredocs`]: BuildKit runs the body as the script.
    pub script_heredoc: Option<usize>,
}

/// HEALTHCHECK arguments (flags are on the instruction).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Healthcheck {
    /// `HEALTHCHECK NONE`.
    None,
    /// `HEALTHCHECK [flags] CMD ...`.
    Cmd(Command),
}

/// The typed arguments of an instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum InstructionKind {
    From(From),
    Run(Run),
    Cmd(Command),
    Entrypoint(Command),
    /// SHELL (always JSON).
    Shell(Vec<Word>),
    Label(Vec<KeyValue>),
    Env(Vec<KeyValue>),
    Maintainer(Word),
    Expose(Vec<Word>),
    Add(Copy),
    Copy(Copy),
    Volume(Vec<Word>),
    User(Word),
    Workdir(Word),
    Arg(Vec<ArgDeclaration>),
    /// The trigger instruction, fully parsed.
    Onbuild(Box<Instruction>),
    StopSignal(Word),
    Healthcheck(Healthcheck),
}

/// One instruction of a Dockerfile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// Keyword.
    pub keyword: Keyword,
    /// The keyword as written.
    pub keyword_span: Span,
    /// Whole instruction: keyword to end of the last continuation line, plus
    /// heredoc bodies and terminators.
    pub span: Span,
    /// Flags in order (unknown ones included, see [`Instruction::unknown_flags`]).
    pub flags: Vec<Flag>,
    /// Text after keyword and flags (continuations included).
    pub arguments_span: Span,
    /// Typed arguments.
    pub kind: InstructionKind,
    /// Heredocs in order (for ONBUILD, on the trigger instruction).
    pub heredocs: Vec<Heredoc>,
    /// Comment lines inside the instruction's continuation lines.
    pub comments: Vec<Span>,
}

impl Instruction {
    /// The last flag named `name` (BuildKit uses the last for single-valued
    /// flags).
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().rev().find(|f| f.name == name)
    }

    /// All flags named `name` (for repeatable flags such as `--exclude`).
    pub fn flags_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Flag> + 'a {
        self.flags.iter().filter(move |f| f.name == name)
    }

    /// Flags BuildKit does not accept on this keyword.
    pub fn unknown_flags(&self) -> impl Iterator<Item = &Flag> {
        let known = self.keyword.known_flags();
        self.flags
            .iter()
            .filter(move |f| !known.contains(&f.name.as_str()))
    }
}

/// A syntax error BuildKit would reject the file for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Where (the instruction, directive or invalid byte).
    pub span: Span,
    /// What is wrong, close to BuildKit's wording.
    pub message: String,
}

/// An instruction whose line is parsed but whose heredoc bodies are not read.
pub(crate) struct Parsed {
    pub(crate) instruction: Instruction,
    /// Offset in the logical line where the heredoc-carrying instruction
    /// starts (the trigger for ONBUILD), when it may carry heredocs.
    pub(crate) heredoc_line_start: Option<usize>,
    /// Offset in the logical line of a RUN's command text (also for an
    /// ONBUILD RUN trigger).
    pub(crate) run_command_start: Option<usize>,
}

fn is_split_space(c: char) -> bool {
    matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

/// Parses the instruction at `line.text[start..]`.
pub(crate) fn parse_instruction(
    line: &LogicalLine,
    start: usize,
    escape: char,
    source: &str,
) -> Result<Parsed, String> {
    let text = &line.text;
    let lead = text[start..].len() - text[start..].trim_start().len();
    let kw_start = start + lead;
    let kw_end = text[kw_start..]
        .find(is_split_space)
        .map_or(text.len(), |i| kw_start + i);
    let word = &text[kw_start..kw_end];
    let keyword = Keyword::parse(word).ok_or_else(|| format!("unknown instruction: {word}"))?;
    let (flags, args_start) = extract_flags(line, kw_end, escape);
    // BuildKit rejects a known string flag written without `=value` (`COPY --from build …`).
    const BOOLEAN_FLAGS: [&str; 4] = ["link", "parents", "keep-git-dir", "unpack"];
    if let Some(flag) = flags.iter().find(|flag| {
        flag.value.is_none()
            && keyword.known_flags().contains(&flag.name.as_str())
            && !BOOLEAN_FLAGS.contains(&flag.name.as_str())
    }) {
        return Err(format!("missing a value on flag: {}", flag.name));
    }
    let args_end = args_start + text[args_start..].trim_end().len();
    let args_start = args_start.min(args_end);
    let args = Args {
        line,
        start: args_start,
        end: args_end,
    };
    let mut heredoc_line_start = None;
    let mut run_command_start = None;
    let json = || parse_array(args.text());
    let kind = match keyword {
        Keyword::From => {
            let words = args.whitespace_words();
            match words.as_slice() {
                [image] => InstructionKind::From(From {
                    image: image.clone(),
                    alias: None,
                }),
                [image, as_word, name] if as_word.text.eq_ignore_ascii_case("as") => {
                    let lower = name.text.to_lowercase();
                    let valid = lower.starts_with(|c: char| c.is_ascii_lowercase())
                        && lower.chars().all(|c| {
                            c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c)
                        });
                    if !valid {
                        return Err(format!(
                            "invalid name for build stage: {:?}, name can't start with a number or contain symbols",
                            name.text
                        ));
                    }
                    InstructionKind::From(From {
                        image: image.clone(),
                        alias: Some(name.clone()),
                    })
                }
                _ => return Err("FROM requires either one or three arguments".into()),
            }
        }
        Keyword::Run | Keyword::Cmd | Keyword::Entrypoint => {
            let command = args.maybe_json_command()?;
            match keyword {
                Keyword::Run => {
                    run_command_start = Some(args.start);
                    if !command.is_exec() {
                        heredoc_line_start = Some(kw_start);
                    }
                    let mounts = flags
                        .iter()
                        .filter(|f| f.name == "mount")
                        .map(|f| parse_mount(f, source))
                        .collect();
                    InstructionKind::Run(Run {
                        command,
                        mounts,
                        shell: None,
                        script_heredoc: None,
                    })
                }
                Keyword::Cmd => InstructionKind::Cmd(command),
                _ => InstructionKind::Entrypoint(command),
            }
        }
        Keyword::Shell => match json() {
            JsonArray::Strings(items) if !items.is_empty() => {
                InstructionKind::Shell(args.json_words(items))
            }
            JsonArray::Strings(_) => return Err("SHELL requires at least one argument".into()),
            JsonArray::NotStrings => return Err(NOT_STRINGS.into()),
            JsonArray::NotJson => {
                return Err("SHELL requires the arguments to be in JSON form".into());
            }
        },
        Keyword::Label | Keyword::Env => {
            let pairs = args.name_values(keyword.as_str(), escape)?;
            if pairs.is_empty() {
                return Err(format!(
                    "{} requires at least one argument",
                    keyword.as_str()
                ));
            }
            if pairs.iter().any(|p| p.key.text.is_empty()) {
                return Err(format!("{} names can not be blank", keyword.as_str()));
            }
            if keyword == Keyword::Env {
                InstructionKind::Env(pairs)
            } else {
                InstructionKind::Label(pairs)
            }
        }
        Keyword::Maintainer | Keyword::User | Keyword::Workdir | Keyword::StopSignal => {
            if args.start == args.end {
                return Err(format!(
                    "{} requires exactly one argument",
                    keyword.as_str()
                ));
            }
            let word = args.whole();
            match keyword {
                Keyword::Maintainer => InstructionKind::Maintainer(word),
                Keyword::User => InstructionKind::User(word),
                Keyword::Workdir => InstructionKind::Workdir(word),
                _ => InstructionKind::StopSignal(word),
            }
        }
        Keyword::Expose => {
            let words = args.whitespace_words();
            if words.is_empty() {
                return Err("EXPOSE requires at least one argument".into());
            }
            InstructionKind::Expose(words)
        }
        Keyword::Add | Keyword::Copy | Keyword::Volume => {
            let (words, is_json) = match json() {
                JsonArray::Strings(items) => (args.json_words(items), true),
                JsonArray::NotStrings => return Err(NOT_STRINGS.into()),
                JsonArray::NotJson => (args.whitespace_words(), false),
            };
            if keyword == Keyword::Volume {
                if words.is_empty() {
                    return Err("VOLUME requires at least one argument".into());
                }
                if words.iter().any(|w| w.text.trim().is_empty()) {
                    return Err("VOLUME specified can not be an empty string".into());
                }
                InstructionKind::Volume(words)
            } else {
                let name = keyword.as_str();
                let Some((destination, sources)) = words.split_last() else {
                    return Err(no_destination(name));
                };
                if sources.is_empty() {
                    return Err(no_destination(name));
                }
                if matches!(parse_heredoc_word(&destination.text), Ok(Some(_))) {
                    return Err(format!("{name} cannot accept a heredoc as a destination"));
                }
                if !is_json {
                    heredoc_line_start = Some(kw_start);
                }
                let copy = Copy {
                    sources: sources.to_vec(),
                    destination: destination.clone(),
                    json: is_json,
                };
                if keyword == Keyword::Add {
                    InstructionKind::Add(copy)
                } else {
                    InstructionKind::Copy(copy)
                }
            }
        }
        Keyword::Arg => {
            let words = args.shell_words(escape);
            if words.is_empty() {
                return Err("ARG requires at least one argument".into());
            }
            let mut declarations = Vec::with_capacity(words.len());
            for word in words {
                declarations.push(match word.text.split_once('=') {
                    Some(("", _)) => return Err("ARG names can not be blank".into()),
                    Some((name, value)) => {
                        let eq = word.span.start + name.len();
                        ArgDeclaration {
                            name: Word {
                                text: name.to_owned(),
                                span: args.sub_span(&word, 0, name.len()),
                            },
                            default: Some(Word {
                                text: value.to_owned(),
                                span: if word.span.len() == word.text.len() {
                                    Span::new(eq + 1, word.span.end)
                                } else {
                                    word.span
                                },
                            }),
                        }
                    }
                    None => ArgDeclaration {
                        name: word,
                        default: None,
                    },
                });
            }
            InstructionKind::Arg(declarations)
        }
        Keyword::Onbuild => {
            if args.start == args.end {
                return Err("ONBUILD requires at least one argument".into());
            }
            let inner = parse_instruction(line, args.start, escape, source)?;
            match inner.instruction.keyword {
                Keyword::Onbuild => {
                    return Err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed".into());
                }
                Keyword::From | Keyword::Maintainer => {
                    return Err(format!(
                        "{} isn't allowed as an ONBUILD trigger",
                        inner.instruction.keyword.as_str()
                    ));
                }
                _ => {}
            }
            heredoc_line_start = inner.heredoc_line_start;
            run_command_start = inner.run_command_start;
            InstructionKind::Onbuild(Box::new(inner.instruction))
        }
        Keyword::Healthcheck => {
            let typ_end = args
                .text()
                .find(char::is_whitespace)
                .unwrap_or(args.text().len());
            if typ_end == 0 {
                return Err("HEALTHCHECK requires at least one argument".into());
            }
            let typ = &args.text()[..typ_end];
            let rest_text = &args.text()[typ_end..];
            let rest = Args {
                line,
                start: args.start + typ_end + (rest_text.len() - rest_text.trim_start().len()),
                end: args.end,
            };
            if typ.eq_ignore_ascii_case("none") {
                if rest.start != rest.end {
                    return Err("HEALTHCHECK NONE takes no arguments".into());
                }
                InstructionKind::Healthcheck(Healthcheck::None)
            } else if typ.eq_ignore_ascii_case("cmd") {
                let command = rest.maybe_json_command()?;
                let empty = match &command {
                    Command::Shell(word) => word.text.is_empty(),
                    Command::Exec(words) => words.is_empty(),
                };
                if empty {
                    return Err("Missing command after HEALTHCHECK CMD".into());
                }
                InstructionKind::Healthcheck(Healthcheck::Cmd(command))
            } else {
                return Err(format!("Unknown type {typ:?} in HEALTHCHECK (try CMD)"));
            }
        }
    };
    let instruction = Instruction {
        keyword,
        keyword_span: line.span(kw_start, kw_end),
        span: line.span(kw_start, args_end.max(kw_end)),
        flags,
        arguments_span: line.span(args.start, args.end),
        kind,
        heredocs: Vec::new(),
        comments: Vec::new(),
    };
    let heredoc_line_start =
        heredoc_line_start.filter(|_| keyword.takes_heredocs() || keyword == Keyword::Onbuild);
    Ok(Parsed {
        instruction,
        heredoc_line_start,
        run_command_start,
    })
}

const NOT_STRINGS: &str = "when using JSON array syntax, arrays must be comprised of strings only";

fn no_destination(name: &str) -> String {
    format!(
        "{name} requires at least two arguments, but only one was provided. Destination could not be determined"
    )
}

/// The argument text `line.text[start..end]` of an instruction.
struct Args<'a> {
    line: &'a LogicalLine,
    start: usize,
    end: usize,
}

impl Args<'_> {
    fn text(&self) -> &str {
        &self.line.text[self.start..self.end]
    }

    fn word(&self, start: usize, end: usize) -> Word {
        Word {
            text: self.line.text[self.start + start..self.start + end].to_owned(),
            span: self.line.span(self.start + start, self.start + end),
        }
    }

    fn whole(&self) -> Word {
        self.word(0, self.end - self.start)
    }

    /// Span of `word.text[from..to]` when the word is written verbatim.
    fn sub_span(&self, word: &Word, from: usize, to: usize) -> Span {
        if word.span.len() == word.text.len() {
            Span::new(word.span.start + from, word.span.start + to)
        } else {
            word.span
        }
    }

    /// Split on BuildKit's `[\t\v\f\r ]+`.
    fn whitespace_words(&self) -> Vec<Word> {
        let text = self.text();
        let mut words = Vec::new();
        let mut start = None;
        for (i, c) in text
            .char_indices()
            .chain(std::iter::once((text.len(), ' ')))
        {
            match (start, is_split_space(c)) {
                (None, false) => start = Some(i),
                (Some(s), true) => {
                    words.push(self.word(s, i));
                    start = None;
                }
                _ => {}
            }
        }
        words
    }

    fn json_words(&self, items: Vec<(String, usize, usize)>) -> Vec<Word> {
        items
            .into_iter()
            .map(|(text, start, end)| Word {
                text,
                span: self.line.span(self.start + start, self.start + end),
            })
            .collect()
    }

    fn maybe_json_command(&self) -> Result<Command, String> {
        match parse_array(self.text()) {
            JsonArray::Strings(items) => Ok(Command::Exec(self.json_words(items))),
            JsonArray::NotStrings => Err(NOT_STRINGS.into()),
            JsonArray::NotJson => Ok(Command::Shell(self.whole())),
        }
    }

    /// BuildKit `parseWords`: whitespace-separated words, quotes and escapes
    /// kept in the text; an escape at the very end is dropped.
    fn shell_words(&self, escape: char) -> Vec<Word> {
        let text = self.text();
        let mut words = Vec::new();
        let mut current = String::new();
        let mut start: Option<usize> = None;
        let mut quote: Option<char> = None;
        let mut blank_ok = false;
        let mut chars = text.char_indices().peekable();
        while let Some((i, ch)) = chars.next() {
            let Some(word_start) = start else {
                if ch.is_whitespace() {
                    continue;
                }
                start = Some(i);
                current.clear();
                blank_ok = false;
                self.shell_word_char(
                    ch,
                    &mut chars,
                    &mut current,
                    &mut quote,
                    &mut blank_ok,
                    escape,
                );
                continue;
            };
            if quote.is_none() && ch.is_whitespace() {
                if blank_ok || !current.is_empty() {
                    words.push(Word {
                        text: std::mem::take(&mut current),
                        span: self.line.span(self.start + word_start, self.start + i),
                    });
                }
                start = None;
                continue;
            }
            self.shell_word_char(
                ch,
                &mut chars,
                &mut current,
                &mut quote,
                &mut blank_ok,
                escape,
            );
        }
        if let Some(word_start) = start
            && (blank_ok || !current.is_empty())
        {
            words.push(Word {
                text: current,
                span: self.line.span(self.start + word_start, self.end),
            });
        }
        words
    }

    fn shell_word_char(
        &self,
        ch: char,
        chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
        current: &mut String,
        quote: &mut Option<char>,
        blank_ok: &mut bool,
        escape: char,
    ) {
        match *quote {
            None => {
                if ch == '\'' || ch == '"' {
                    *quote = Some(ch);
                    *blank_ok = true;
                }
                if ch == escape {
                    match chars.next() {
                        None => return,
                        Some((_, next)) => {
                            current.push(ch);
                            current.push(next);
                            return;
                        }
                    }
                }
                current.push(ch);
            }
            Some(q) => {
                if ch == q {
                    *quote = None;
                }
                if ch == escape && q != '\'' {
                    match chars.next() {
                        None => {
                            *quote = None;
                            return;
                        }
                        Some((_, next)) => {
                            current.push(ch);
                            current.push(next);
                            return;
                        }
                    }
                }
                current.push(ch);
            }
        }
    }

    /// BuildKit `parseNameVal` for ENV and LABEL.
    fn name_values(&self, keyword: &str, escape: char) -> Result<Vec<KeyValue>, String> {
        let words = self.shell_words(escape);
        let Some(first) = words.first() else {
            return Ok(Vec::new());
        };
        if !first.text.contains('=') {
            let text = self.text();
            let key_end = text.find(is_split_space).unwrap_or(text.len());
            let value_start = key_end
                + (text[key_end..].len()
                    - text[key_end..].trim_start_matches(is_split_space).len());
            if value_start >= text.len() {
                return Err(format!("{keyword} must have two arguments"));
            }
            return Ok(vec![KeyValue {
                key: self.word(0, key_end),
                value: self.word(value_start, text.len()),
                has_equals: false,
            }]);
        }
        words
            .into_iter()
            .map(|word| {
                let Some((key, value)) = word.text.split_once('=') else {
                    return Err(format!(
                        "Syntax error - can't find = in {:?}. Must be of the form: name=value",
                        word.text
                    ));
                };
                let value_span = self.sub_span(&word, key.len() + 1, word.text.len());
                Ok(KeyValue {
                    key: Word {
                        text: key.to_owned(),
                        span: self.sub_span(&word, 0, key.len()),
                    },
                    value: Word {
                        text: value.to_owned(),
                        span: value_span,
                    },
                    has_equals: true,
                })
            })
            .collect()
    }
}
