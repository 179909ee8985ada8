//! Hand-written Dockerfile parser for drydock's linter, fixer and builder.
//!
//! It follows BuildKit's `frontend/dockerfile/parser` and `shell/lex.go`
//! semantics (Apache-2.0, ported from their behaviour, not their code), and
//! keeps byte [`Span`]s on everything so rules can point at and rewrite the
//! exact text.
//!
//! ```
//! let file = drydock_dockerfile::parse("FROM alpine:3.20 AS base\nRUN apk add curl\n");
//! assert!(file.errors.is_empty());
//! let graph = file.stage_graph(&Default::default());
//! assert_eq!(graph.stages[0].name.as_deref(), Some("base"));
//! ```
//!
//! Entry points: [`parse`] / [`parse_bytes`] give a [`Dockerfile`];
//! [`Dockerfile::stage_graph`] resolves stages and ARG/ENV scopes;
//! [`expand()`] evaluates variables; RUN instructions carry
//! [`ShellCommands`].

mod directives;
mod expand;
mod flags;
mod heredoc;
mod image;
mod instruction;
mod json;
mod lines;
mod shell;
mod shell_fast;
mod span;
mod stages;

pub use directives::Directive;
pub use expand::{ExpandError, Expansion, Variables, expand};
pub use flags::{Flag, Mount, MountOption, MountType};
pub use heredoc::Heredoc;
pub use image::{DEFAULT_REGISTRY, ImageRef};
pub use instruction::{
    ArgDeclaration, Command, Copy, From, Healthcheck, Instruction, InstructionKind, KeyValue,
    Keyword, ParseError, Run, Word,
};
pub use shell::{Connector, ShellCommands, ShellWord, SimpleCommand};
pub use span::{LineColumn, LineIndex, Span};
pub use stages::{
    Base, Edge, EdgeKind, EdgeTarget, GraphOptions, ImageKind, Scope, Stage, StageGraph,
};

use directives::parse_directive;
use heredoc::{heredoc_words, read_bodies};
use instruction::parse_instruction;

use lines::{is_comment, physical_line, read_logical_line};

/// A parsed Dockerfile. Broken instructions are left out and reported in
/// [`Dockerfile::errors`]; everything else is kept.
#[derive(Clone, Debug)]
pub struct Dockerfile {
    /// The source text all spans point into.
    pub source: String,
    /// Line starts, for [`Dockerfile::line_column`].
    pub line_index: LineIndex,
    /// Parser directives at the top of the file.
    pub directives: Vec<Directive>,
    /// Active escape character (`\` or `` ` ``).
    pub escape: char,
    /// Instructions in order.
    pub instructions: Vec<Instruction>,
    /// Comment lines outside directives (including those inside
    /// continuations).
    pub comments: Vec<Span>,
    /// Errors BuildKit would reject the file for.
    pub errors: Vec<ParseError>,
}

/// Parses a Dockerfile. Never panics; see [`Dockerfile::errors`].
pub fn parse(source: &str) -> Dockerfile {
    Parser::new(source).run()
}

/// Parses raw bytes: invalid UTF-8 is an error at the first invalid byte.
pub fn parse_bytes(bytes: &[u8]) -> Result<Dockerfile, ParseError> {
    match std::str::from_utf8(bytes) {
        Ok(source) => Ok(parse(source)),
        Err(e) => {
            let start = e.valid_up_to();
            Err(ParseError {
                span: Span::new(start, start + e.error_len().unwrap_or(bytes.len() - start)),
                message: format!("invalid UTF-8 at byte {start}"),
            })
        }
    }
}

impl Dockerfile {
    /// The source text of `span` (empty if out of range).
    pub fn text(&self, span: Span) -> &str {
        span.text(&self.source)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> LineColumn {
        let (line, column) = self.line_index.line_column(&self.source, offset);
        LineColumn { line, column }
    }

    /// The value of a directive (`syntax`, `escape`, `check`).
    pub fn directive(&self, name: &str) -> Option<&str> {
        self.directives
            .iter()
            .find(|d| d.name == name)
            .map(|d| d.value.as_str())
    }
}

struct Parser<'a> {
    source: &'a str,
    file: Dockerfile,
}

impl<'a> Parser<'a> {
    fn new(source: &'a str) -> Self {
        Self {
            source,
            file: Dockerfile {
                source: source.to_owned(),
                line_index: LineIndex::new(source),
                directives: Vec::new(),
                escape: '\\',
                instructions: Vec::new(),
                comments: Vec::new(),
                errors: Vec::new(),
            },
        }
    }

    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.file.errors.push(ParseError {
            span,
            message: message.into(),
        });
    }

    fn run(mut self) -> Dockerfile {
        let source = self.source;
        let mut pos = if source.starts_with('\u{feff}') { 3 } else { 0 };
        let mut in_directives = true;
        while pos < source.len() {
            let physical = physical_line(source, pos);
            let raw = physical.content.text(source);
            let trimmed = raw.trim_start();
            let content = Span::new(physical.content.end - trimmed.len(), physical.content.end);
            if in_directives {
                match parse_directive(trimmed, content.start) {
                    Some(directive) => {
                        self.directive(directive);
                        pos = physical.next;
                        continue;
                    }
                    None => in_directives = false,
                }
            }
            if is_comment(trimmed) {
                self.file.comments.push(content);
                pos = physical.next;
                continue;
            }
            let read = read_logical_line(source, content, physical.next, self.file.escape);
            pos = read.next;
            self.file.comments.extend(&read.comments);
            if read.line.text.trim().is_empty() {
                continue;
            }
            pos = self.instruction(read.line, read.comments, pos);
        }
        if self.file.instructions.is_empty() && self.file.errors.is_empty() {
            // BuildKit: "the Dockerfile cannot be empty" (comments and directives alone count as
            // empty).
            let end = self.source.len();
            self.error(Span::new(end, end), "the Dockerfile has no instructions");
        }
        self.file
    }

    fn directive(&mut self, directive: Directive) {
        if self
            .file
            .directives
            .iter()
            .any(|d| d.name == directive.name)
        {
            let message = format!("only one {} parser directive can be used", directive.name);
            self.error(directive.span, message);
            return;
        }
        if directive.name == "escape" {
            match directive.value.as_str() {
                "\\" => self.file.escape = '\\',
                "`" => self.file.escape = '`',
                other => {
                    let message = format!("invalid escape token '{other}' does not match ` or \\");
                    self.error(directive.span, message);
                    return;
                }
            }
        }
        self.file.directives.push(directive);
    }

    /// Parses one instruction and its heredocs; returns the next offset.
    fn instruction(
        &mut self,
        line: lines::LogicalLine,
        comments: Vec<span::Span>,
        pos: usize,
    ) -> usize {
        let source = self.source;
        let escape = self.file.escape;
        let parsed = match parse_instruction(&line, 0, escape, source) {
            Ok(parsed) => parsed,
            Err(message) => {
                // Skip heredoc bodies so they are not read as instructions.
                let next = heredoc_words(&line, 0)
                    .ok()
                    .filter(|_| may_carry_heredocs(&line.text))
                    .and_then(|words| read_bodies(source, pos, words).ok())
                    .map_or(pos, |(_, after)| after);
                self.error(
                    Span::new(line.span.start, line.span.end.max(next.min(source.len())))
                        .trim_end_newline(source),
                    message,
                );
                return next;
            }
        };
        let mut instruction = parsed.instruction;
        instruction.comments = comments;
        let mut next = pos;
        if let Some(start) = parsed.heredoc_line_start {
            let words = match heredoc_words(&line, start) {
                Ok(words) => words,
                Err(message) => {
                    self.error(line.span, message);
                    return pos;
                }
            };
            if !words.is_empty() {
                match read_bodies(source, pos, words) {
                    Ok((heredocs, after)) => {
                        next = after;
                        if let Some(last) = heredocs.last() {
                            instruction.span.end = last.terminator_span.end;
                        }
                        let target = match &mut instruction.kind {
                            InstructionKind::Onbuild(inner) => inner.as_mut(),
                            _ => &mut instruction,
                        };
                        target.heredocs = heredocs;
                    }
                    Err(end) => {
                        self.error(Span::new(line.span.start, end), "unterminated heredoc");
                        return end;
                    }
                }
            }
        }
        let target = match &mut instruction.kind {
            InstructionKind::Onbuild(inner) => inner.as_mut(),
            _ => &mut instruction,
        };
        if let Some(command_start) = parsed.run_command_start {
            analyze_run(target, &line, command_start, source);
        }
        self.file.instructions.push(instruction);
        next
    }
}

/// Whether a line starts with RUN/COPY/ADD, possibly after ONBUILD.
fn may_carry_heredocs(text: &str) -> bool {
    let mut words = text.split_whitespace();
    let first = words.next().and_then(Keyword::parse);
    let keyword = match first {
        Some(Keyword::Onbuild) => words.next().and_then(Keyword::parse),
        other => other,
    };
    matches!(keyword, Some(Keyword::Run | Keyword::Copy | Keyword::Add))
}

/// Interpreters whose heredoc stdin or `#!` script is parsed as shell.
const SHELLS: [&str; 5] = ["sh", "bash", "dash", "ash", "zsh"];

/// Fills [`Run::shell`] and [`Run::script_heredoc`].
fn analyze_run(
    instruction: &mut Instruction,
    line: &lines::LogicalLine,
    command_start: usize,
    source: &str,
) {
    let heredocs = &instruction.heredocs;
    let InstructionKind::Run(run) = &mut instruction.kind else {
        return;
    };
    let Command::Shell(command) = &run.command else {
        return;
    };
    let parse_body = |heredoc: &Heredoc| {
        let body = heredoc.body_span.text(source);
        let start = heredoc.body_span.start;
        shell::analyze(body, &|s, e| Span::new(start + s, start + e))
    };
    if let [only] = heredocs.as_slice()
        && matches!(
            heredoc::parse_heredoc_word(command.text.trim()),
            Ok(Some(_))
        )
    {
        run.script_heredoc = Some(0);
        let body = only.body_span.text(source);
        let interpreter = body.strip_prefix("#!").map(|shebang| {
            shebang
                .lines()
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect::<Vec<_>>()
        });
        let is_shell = match interpreter {
            None => true,
            Some(parts) => {
                let program = parts
                    .first()
                    .map_or("", |p| p.rsplit('/').next().unwrap_or(p));
                let program = if program == "env" {
                    parts.get(1).copied().unwrap_or("")
                } else {
                    program
                };
                SHELLS.contains(&program)
            }
        };
        // For `<<-` the raw body is parsed: it differs from the stripped
        // body only in leading tabs, which the shell ignores.
        if is_shell {
            run.shell = Some(parse_body(only));
        }
        return;
    }
    let text = &line.text[command_start..command_start + command.text.len()];
    let mut commands = shell_with_heredocs(text, line, command_start, heredocs, source);
    // `sh <<EOF`: the body is a script too.
    let mut extra = Vec::new();
    for (index, c) in commands.commands.iter().enumerate() {
        if let (Some(program), Some(doc)) = (c.program(), c.stdin_heredoc)
            && SHELLS.contains(&program)
            && !c.has_flag(Some('c'), None)
            && let Some(heredoc) = heredocs.get(doc)
        {
            extra.push((index + 1, parse_body(heredoc)));
        }
    }
    for (at, body) in extra.into_iter().rev() {
        let mut inserted = body.commands;
        if let Some(first) = inserted.first_mut() {
            first.connector = Connector::Sequence;
        }
        commands.fallback |= body.fallback;
        commands.commands.splice(at..at, inserted);
    }
    run.shell = Some(commands);
}

/// Parses a shell-form command line followed by its heredoc bodies.
fn shell_with_heredocs(
    text: &str,
    line: &lines::LogicalLine,
    command_start: usize,
    heredocs: &[Heredoc],
    source: &str,
) -> ShellCommands {
    let (Some(first), Some(last)) = (heredocs.first(), heredocs.last()) else {
        return shell::analyze(text, &|s, e| {
            line.span(command_start + s, command_start + e)
        });
    };
    let bodies = Span::new(first.body_span.start, last.terminator_span.end);
    let mut script = String::with_capacity(text.len() + 1 + bodies.len());
    script.push_str(text);
    script.push('\n');
    script.push_str(bodies.text(source));
    let line_len = text.len();
    shell::analyze(&script, &|s, e| {
        if e <= line_len {
            line.span(command_start + s, command_start + e)
        } else if s > line_len {
            Span::new(
                bodies.start + s - line_len - 1,
                bodies.start + e - line_len - 1,
            )
        } else {
            line.span(command_start + s, command_start + line_len)
        }
    })
}
