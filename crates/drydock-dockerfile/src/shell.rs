//! Simple commands of RUN scripts, via brush-parser with a word-splitting
//! fallback.
//!
//! Compound commands (`if`, `for`, `while`, `case`, subshells, brace groups,
//! function bodies) are flattened in source order. Command substitutions
//! (`$(...)`) stay inside their word.

use brush_parser::ast;

use crate::span::Span;

/// Inputs larger than this are not given to brush-parser (it is recursive).
const MAX_SHELL_BYTES: usize = 64 * 1024;
/// Deepest bracket/keyword nesting given to brush-parser.
const MAX_NESTING: usize = 48;

/// How a command is connected to the previous one in [`ShellCommands`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connector {
    /// First command of the script.
    First,
    /// `&&`.
    And,
    /// `||`.
    Or,
    /// `;`, a newline, or entering/leaving a compound command.
    Sequence,
    /// `|`.
    Pipe,
    /// `&`.
    Background,
}

/// A shell word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellWord {
    /// As written in the script.
    pub raw: String,
    /// Quotes and backslash escapes removed (no expansion).
    pub text: String,
    /// Where it is written in the Dockerfile.
    pub span: Span,
}

/// One simple command: assignments, then the argument vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimpleCommand {
    /// Operator linking it to the previous command.
    pub connector: Connector,
    /// `VAR=value` words before the command name.
    pub assignments: Vec<ShellWord>,
    /// Command name and arguments, as written (see [`SimpleCommand::argv`]).
    pub words: Vec<ShellWord>,
    /// The whole command.
    pub span: Span,
    /// Index of the instruction heredoc this command reads as stdin
    /// (`python3 <<EOF`), counting heredoc redirections in order.
    pub stdin_heredoc: Option<usize>,
    /// Where [`SimpleCommand::argv`] starts in `words` (rules ask often).
    argv_start: usize,
}

/// Commands of one script, in execution order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShellCommands {
    /// Flattened simple commands.
    pub commands: Vec<SimpleCommand>,
    /// True when brush-parser rejected the script (or it was too large or
    /// deeply nested) and plain word splitting on `&&`, `||`, `;`, `|`, `&`
    /// and newlines was used instead.
    pub fallback: bool,
}

impl ShellCommands {
    /// Commands whose [`SimpleCommand::program`] is `program`, with indexes.
    pub fn find<'a>(
        &'a self,
        program: &'a str,
    ) -> impl Iterator<Item = (usize, &'a SimpleCommand)> + 'a {
        self.commands
            .iter()
            .enumerate()
            .filter(move |(_, c)| c.program() == Some(program))
    }

    /// Commands running `program subcommand` (e.g. `apt-get install`).
    pub fn find_subcommand<'a>(
        &'a self,
        program: &'a str,
        subcommand: &'a str,
    ) -> impl Iterator<Item = (usize, &'a SimpleCommand)> + 'a {
        self.find(program)
            .filter(move |(_, c)| c.subcommand() == Some(subcommand))
    }

    /// Whether any command after index `after` satisfies `predicate`.
    pub fn any_after(&self, after: usize, predicate: impl Fn(&SimpleCommand) -> bool) -> bool {
        self.commands.iter().skip(after + 1).any(predicate)
    }
}

/// Wrappers skipped by [`SimpleCommand::argv`]: they run the next word.
const WRAPPERS: [&str; 6] = ["sudo", "env", "command", "exec", "nohup", "time"];

impl SimpleCommand {
    /// A command of these words; its span covers them.
    pub(crate) fn new(
        connector: Connector,
        assignments: Vec<ShellWord>,
        words: Vec<ShellWord>,
        stdin_heredoc: Option<usize>,
    ) -> Self {
        let span = words
            .iter()
            .chain(&assignments)
            .map(|w| w.span)
            .reduce(Span::cover)
            .unwrap_or_default();
        let argv_start = words.len() - skip_wrappers(&words).len();
        SimpleCommand {
            connector,
            assignments,
            words,
            span,
            stdin_heredoc,
            argv_start,
        }
    }

    /// The argument vector with leading wrappers removed: `sudo [-u x]`,
    /// `env [-i] [VAR=x]...`, `command`, `exec`, `nohup`, `time`.
    pub fn argv(&self) -> &[ShellWord] {
        &self.words[self.argv_start..]
    }

    /// Base name of the program (`/usr/bin/apt-get` → `apt-get`).
    pub fn program(&self) -> Option<&str> {
        self.argv().first().map(|w| basename(&w.text))
    }

    /// Arguments after the program.
    pub fn arguments(&self) -> &[ShellWord] {
        self.argv().get(1..).unwrap_or_default()
    }

    /// First argument not starting with `-` (`install` in `apt-get -y install`).
    pub fn subcommand(&self) -> Option<&str> {
        self.arguments()
            .iter()
            .map(|w| w.text.as_str())
            .find(|t| !t.starts_with('-'))
    }

    /// Whether a flag is present: `short` matches `-y` and combined `-qy`,
    /// `long` matches `--yes` and `--yes=...`. Stops at `--`.
    pub fn has_flag(&self, short: Option<char>, long: Option<&str>) -> bool {
        for arg in self.arguments() {
            let t = arg.text.as_str();
            if t == "--" {
                return false;
            }
            if let Some(name) = t.strip_prefix("--") {
                let name = name.split_once('=').map_or(name, |(n, _)| n);
                if long == Some(name) {
                    return true;
                }
            } else if let Some(letters) = t.strip_prefix('-')
                && let Some(s) = short
                && letters.contains(s)
            {
                return true;
            }
        }
        false
    }

    /// Value of an option given as `--name=value`, `--name value` or
    /// `-o value` (`names` as written, e.g. `["-o", "--option"]`).
    pub fn option_value(&self, names: &[&str]) -> Option<&str> {
        let args = self.arguments();
        for (i, arg) in args.iter().enumerate() {
            let t = arg.text.as_str();
            if t == "--" {
                break;
            }
            if names.contains(&t) {
                return args.get(i + 1).map(|w| w.text.as_str());
            }
            if let Some((name, value)) = t.split_once('=')
                && names.contains(&name)
            {
                return Some(value);
            }
        }
        None
    }

    /// Arguments not starting with `-` (packages of `apt-get install`
    /// include the subcommand; skip it with `.skip(1)`). Option values such
    /// as the `x` of `-o x` are included, since their arity is unknown.
    pub fn positional(&self) -> impl Iterator<Item = &ShellWord> {
        self.arguments().iter().filter(|w| !w.text.starts_with('-'))
    }
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `words` without leading wrappers (see [`SimpleCommand::argv`]).
fn skip_wrappers(words: &[ShellWord]) -> &[ShellWord] {
    let mut argv = words;
    while let Some(first) = argv.first() {
        let name = basename(&first.text);
        if !WRAPPERS.contains(&name) {
            break;
        }
        argv = &argv[1..];
        // Skip the wrapper's own options and, for env, assignments.
        while let Some(next) = argv.first() {
            let t = next.text.as_str();
            let option = t.starts_with('-') && t.len() > 1;
            let assignment = name == "env" && t.contains('=') && !t.starts_with('=');
            if !(option || assignment) {
                break;
            }
            let takes_value = name == "sudo"
                && matches!(
                    t,
                    "-u" | "-g" | "-C" | "-D" | "-h" | "-p" | "-r" | "-t" | "-U"
                )
                || name == "env" && matches!(t, "-u" | "-C" | "-S");
            argv = &argv[1..];
            if takes_value && !argv.is_empty() {
                argv = &argv[1..];
            }
        }
    }
    argv
}

/// Parses `text`; `to_span` maps byte ranges of `text` to source spans.
pub(crate) fn analyze(text: &str, to_span: &dyn Fn(usize, usize) -> Span) -> ShellCommands {
    if let Some(commands) = crate::shell_fast::parse(text, to_span) {
        return ShellCommands {
            commands,
            fallback: false,
        };
    }
    analyze_with_brush(text, to_span)
}

/// [`analyze`] without the fast path.
fn analyze_with_brush(text: &str, to_span: &dyn Fn(usize, usize) -> Span) -> ShellCommands {
    if text.len() <= MAX_SHELL_BYTES && nesting(text) <= MAX_NESTING {
        let mut parser =
            brush_parser::Parser::new(text.as_bytes(), &brush_parser::ParserOptions::default());
        if let Ok(program) = parser.parse_program() {
            let mut walker = Walker {
                text,
                char_offsets: (!text.is_ascii()).then(|| {
                    text.char_indices()
                        .map(|(i, _)| i)
                        .chain([text.len()])
                        .collect()
                }),
                to_span,
                commands: Vec::new(),
                heredocs_seen: 0,
            };
            for list in &program.complete_commands {
                let connector = if walker.commands.is_empty() {
                    Connector::First
                } else {
                    Connector::Sequence
                };
                walker.list(list, connector);
            }
            return ShellCommands {
                commands: walker.commands,
                fallback: false,
            };
        }
    }
    ShellCommands {
        commands: split_fallback(text, to_span),
        fallback: true,
    }
}

/// Rough nesting depth: brackets plus compound-command keywords.
fn nesting(text: &str) -> usize {
    let mut depth: usize = 0;
    let mut max = 0;
    for word in text.split(|c: char| c.is_whitespace() || c == ';') {
        match word {
            "if" | "for" | "while" | "until" | "case" | "select" => depth += 1,
            "fi" | "done" | "esac" => depth = depth.saturating_sub(1),
            _ => {
                for b in word.bytes() {
                    match b {
                        b'(' | b'{' | b'[' | b'`' => depth += 1,
                        b')' | b'}' | b']' => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                    max = max.max(depth);
                }
            }
        }
        max = max.max(depth);
    }
    max
}

struct Walker<'a> {
    text: &'a str,
    char_offsets: Option<Vec<usize>>,
    to_span: &'a dyn Fn(usize, usize) -> Span,
    commands: Vec<SimpleCommand>,
    heredocs_seen: usize,
}

impl Walker<'_> {
    fn byte(&self, char_index: usize) -> usize {
        match &self.char_offsets {
            None => char_index.min(self.text.len()),
            Some(offsets) => offsets.get(char_index).copied().unwrap_or(self.text.len()),
        }
    }

    fn span(&self, loc: Option<&brush_parser::SourceSpan>) -> Option<(usize, usize)> {
        let loc = loc?;
        let start = self.byte(loc.start.index);
        let end = self.byte(loc.end.index).max(start);
        Some((start, end))
    }

    fn word(&self, word: &ast::Word) -> ShellWord {
        let span = match self.span(word.loc.as_ref()) {
            Some((start, end)) => (self.to_span)(start, end),
            None => (self.to_span)(0, 0),
        };
        ShellWord {
            text: unquote(&word.value),
            raw: word.value.clone(),
            span,
        }
    }

    fn list(&mut self, list: &ast::CompoundList, connector: Connector) {
        let mut next = connector;
        for item in &list.0 {
            self.and_or(&item.0, next);
            next = match item.1 {
                ast::SeparatorOperator::Async => Connector::Background,
                ast::SeparatorOperator::Sequence => Connector::Sequence,
            };
        }
    }

    fn and_or(&mut self, list: &ast::AndOrList, connector: Connector) {
        self.pipeline(&list.first, connector);
        for item in &list.additional {
            match item {
                ast::AndOr::And(p) => self.pipeline(p, Connector::And),
                ast::AndOr::Or(p) => self.pipeline(p, Connector::Or),
            }
        }
    }

    fn pipeline(&mut self, pipeline: &ast::Pipeline, connector: Connector) {
        for (i, command) in pipeline.seq.iter().enumerate() {
            self.command(command, if i == 0 { connector } else { Connector::Pipe });
        }
    }

    fn command(&mut self, command: &ast::Command, connector: Connector) {
        match command {
            ast::Command::Simple(simple) => self.simple(simple, connector),
            ast::Command::Compound(compound, _) => self.compound(compound, connector),
            ast::Command::Function(function) => self.compound(&function.body.0, connector),
            ast::Command::ExtendedTest(..) => {}
        }
    }

    fn compound(&mut self, compound: &ast::CompoundCommand, connector: Connector) {
        use ast::CompoundCommand as C;
        match compound {
            C::BraceGroup(group) => self.list(&group.list, connector),
            C::Subshell(subshell) => self.list(&subshell.list, connector),
            C::ForClause(f) => self.list(&f.body.list, connector),
            C::ArithmeticForClause(f) => self.list(&f.body.list, connector),
            C::CaseClause(case) => {
                let mut next = connector;
                for item in &case.cases {
                    if let Some(list) = &item.cmd {
                        self.list(list, next);
                        next = Connector::Sequence;
                    }
                }
            }
            C::IfClause(clause) => {
                self.list(&clause.condition, connector);
                self.list(&clause.then, Connector::Sequence);
                for branch in clause.elses.iter().flatten() {
                    if let Some(condition) = &branch.condition {
                        self.list(condition, Connector::Sequence);
                    }
                    self.list(&branch.body, Connector::Sequence);
                }
            }
            C::WhileClause(w) | C::UntilClause(w) => {
                self.list(&w.0, connector);
                self.list(&w.1.list, Connector::Sequence);
            }
            C::Coprocess(co) => self.command(&co.body, connector),
            C::Arithmetic(_) => {}
        }
    }

    fn simple(&mut self, simple: &ast::SimpleCommand, connector: Connector) {
        let mut assignments = Vec::new();
        let mut words = Vec::new();
        let mut stdin_heredoc = None;
        let mut items: Vec<&ast::CommandPrefixOrSuffixItem> = Vec::new();
        if let Some(prefix) = &simple.prefix {
            items.extend(&prefix.0);
        }
        let mut heredoc = |redirect: &ast::IoRedirect, seen: &mut usize| {
            if let ast::IoRedirect::HereDocument(fd, _) = redirect {
                if fd.is_none_or(|fd| fd == 0) {
                    stdin_heredoc = Some(*seen);
                }
                *seen += 1;
            }
        };
        for item in items {
            match item {
                ast::CommandPrefixOrSuffixItem::AssignmentWord(_, word) => {
                    assignments.push(self.word(word))
                }
                ast::CommandPrefixOrSuffixItem::Word(word) => words.push(self.word(word)),
                ast::CommandPrefixOrSuffixItem::IoRedirect(r) => {
                    heredoc(r, &mut self.heredocs_seen)
                }
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(..) => {}
            }
        }
        if let Some(name) = &simple.word_or_name {
            words.push(self.word(name));
        }
        for item in simple.suffix.iter().flat_map(|s| &s.0) {
            match item {
                ast::CommandPrefixOrSuffixItem::AssignmentWord(_, word)
                | ast::CommandPrefixOrSuffixItem::Word(word) => {
                    words.push(self.word(word));
                }
                ast::CommandPrefixOrSuffixItem::IoRedirect(r) => {
                    heredoc(r, &mut self.heredocs_seen)
                }
                ast::CommandPrefixOrSuffixItem::ProcessSubstitution(..) => {}
            }
        }
        if assignments.is_empty() && words.is_empty() {
            return;
        }
        self.commands.push(SimpleCommand::new(
            connector,
            assignments,
            words,
            stdin_heredoc,
        ));
    }
}

/// Removes shell quoting: `'...'`, `"..."` (backslash escapes only `$`,
/// `` ` ``, `"`, `\` and newline), `$'...'` (kept verbatim inside), and
/// backslash escapes outside quotes.
pub(crate) fn unquote(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\'' => out.extend(chars.by_ref().take_while(|&c| c != '\'')),
            '$' if chars.peek() == Some(&'\'') => {
                chars.next();
                out.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.peek() {
                            Some(&n @ ('$' | '`' | '"' | '\\')) => {
                                out.push(n);
                                chars.next();
                            }
                            Some('\n') => {
                                chars.next();
                            }
                            _ => out.push('\\'),
                        },
                        c => out.push(c),
                    }
                }
            }
            '\\' => match chars.next() {
                Some('\n') | None => {}
                Some(c) => out.push(c),
            },
            c => out.push(c),
        }
    }
    out
}

/// Splits on unquoted `&&`, `||`, `;`, `|`, `&` and newlines, then on
/// whitespace; each word is unquoted with shlex.
fn split_fallback(text: &str, to_span: &dyn Fn(usize, usize) -> Span) -> Vec<SimpleCommand> {
    let mut commands = Vec::new();
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut word_start: Option<usize> = None;
    let mut quote: Option<char> = None;
    let mut connector = Connector::First;
    let mut chars = text.char_indices().peekable();
    let flush = |words: &mut Vec<(usize, usize)>,
                 connector: Connector,
                 commands: &mut Vec<SimpleCommand>| {
        if words.is_empty() {
            return;
        }
        let shell_words: Vec<ShellWord> = words
            .drain(..)
            .map(|(s, e)| {
                let raw = &text[s..e];
                let text = shlex::split(raw)
                    .filter(|parts| parts.len() == 1)
                    .and_then(|mut parts| parts.pop())
                    .unwrap_or_else(|| unquote(raw));
                ShellWord {
                    raw: raw.to_owned(),
                    text,
                    span: to_span(s, e),
                }
            })
            .collect();
        let split = shell_words
            .iter()
            .position(|w| {
                !(w.raw.contains('=') && !w.raw.starts_with('=') && !w.raw.starts_with('-'))
            })
            .unwrap_or(shell_words.len());
        let mut assignments = shell_words;
        let words = assignments.split_off(split);
        commands.push(SimpleCommand::new(connector, assignments, words, None));
    };
    while let Some((i, ch)) = chars.next() {
        if let Some(q) = quote {
            if ch == q {
                quote = None;
            } else if ch == '\\' && q == '"' {
                chars.next();
            }
            continue;
        }
        let operator = match ch {
            '&' if chars.peek().map(|p| p.1) == Some('&') => Some((Connector::And, 2)),
            '|' if chars.peek().map(|p| p.1) == Some('|') => Some((Connector::Or, 2)),
            '|' => Some((Connector::Pipe, 1)),
            '&' => Some((Connector::Background, 1)),
            ';' | '\n' => Some((Connector::Sequence, 1)),
            _ => None,
        };
        if let Some((next_connector, len)) = operator {
            if let Some(s) = word_start.take() {
                words.push((s, i));
            }
            if len == 2 {
                chars.next();
            }
            flush(&mut words, connector, &mut commands);
            if !commands.is_empty() {
                connector = next_connector;
            }
            continue;
        }
        if ch.is_whitespace() {
            if let Some(s) = word_start.take() {
                words.push((s, i));
            }
            continue;
        }
        if word_start.is_none() {
            word_start = Some(i);
        }
        match ch {
            '\'' | '"' => quote = Some(ch),
            '\\' => {
                chars.next();
            }
            _ => {}
        }
    }
    if let Some(s) = word_start {
        words.push((s, text.len()));
    }
    flush(&mut words, connector, &mut commands);
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ShellCommands {
        analyze(text, &|s, e| Span::new(s, e))
    }

    #[test]
    fn unquotes_like_a_shell() {
        assert_eq!(unquote(r#"'a b'"c\"d"e\ f"#), "a bc\"de f");
        assert_eq!(unquote(r#""\x""#), "\\x");
        assert_eq!(unquote("$'x'"), "x");
    }

    #[test]
    fn fallback_splits_on_operators() {
        let commands = split_fallback("a 'b;c' && d | e; f", &|s, e| Span::new(s, e));
        let shape: Vec<_> = commands
            .iter()
            .map(|c| {
                (
                    c.connector,
                    c.words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                (Connector::First, vec!["a", "b;c"]),
                (Connector::And, vec!["d"]),
                (Connector::Pipe, vec!["e"]),
                (Connector::Sequence, vec!["f"]),
            ]
        );
    }

    /// Scripts the fast path takes give exactly what brush-parser gives.
    fn assert_fast_path_agrees(script: &str) -> bool {
        let to_span = |s, e| Span::new(s, e);
        let Some(fast) = crate::shell_fast::parse(script, &to_span) else {
            return false;
        };
        let brush = analyze_with_brush(script, &to_span);
        assert!(
            !brush.fallback,
            "fast path accepted what brush rejects: {script:?}"
        );
        assert_eq!(fast, brush.commands, "script: {script:?}");
        true
    }

    #[test]
    fn fast_path_agrees_on_typical_scripts() {
        let typical = [
            "apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*",
            "DEBIAN_FRONTEND=noninteractive apt-get -qq install -y \"git\" 'make' && echo \"$HOME/${PATH}\" ; true",
            "set -eux; pip install --no-cache-dir -r requirements.txt; npm ci || exit 1",
            "curl -fsSL https://get.example.test/x.sh | sh -s -- -y & wait",
            "A=1 B=\"two words\" env C=$A cmd --opt=${B:-x} \\; x\\ y",
            "a &&\n  b ||\n c |\n d\n\ne;\nf &\ng",
            "useradd -u 1000 app; chown -R app:app /srv # trailing comment is a word? no",
            "a > /dev/null 2>&1 </dev/null; b 2>>log >&2 <>x >|y",
            "v=$(date +%s) echo \"$(cat \"f (1)\" | tr -d ')')\" $((1 + 2)) # note",
            "[ ! -f x ] && test \"$a\" != b || echo a!b",
            "  ",
            "",
        ];
        let mut taken = 0;
        for script in typical {
            taken += usize::from(assert_fast_path_agrees(script));
        }
        assert!(taken >= 10, "fast path took only {taken} typical scripts");
        for outside in [
            "if true; then a; fi",
            "cat <<<word",
            ">f a",
            "diff <(a) <(b)",
            "echo `date`",
            "x=$(case a in a) b;; esac)",
            "! a",
            "a && && b",
            "a &&",
            "; a",
            "cat <<EOF\nx\nEOF",
            "time make",
            "A+=1 b",
            "{ a; }",
            "(a)",
        ] {
            assert!(
                crate::shell_fast::parse(outside, &|s, e| Span::new(s, e)).is_none(),
                "fast path should leave {outside:?} to brush"
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        #[test]
        fn fast_path_agrees_with_brush(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "a", "apt-get", "install", "-y", "--no-cache", "x=1", "_V=a", "A+=1", "a[1]=2",
                "\"q r\"", "'s t'", "\"$V\"", "$V", "${V:-d}", "${#V}", "${V", "$", "$1x",
                "\\ ", "\\;", "=x", "\"a\"=b", "*.txt", "[", "]", "~/x", "é", "a#b", "#c",
                "&&", "||", "|", ";", "&", ";;", "\n", " ", "\t", "if", "then", "fi", "do",
                "for", "in", "time", "!", "{", "}", "(", ")", ">", "<", "`", "$(", "\"",
                "'", "\\", "2>", ">>", ">&", "2>&1", "<", "<>", ">|", "&>", "$(a b)",
                "$(echo \"x)\")", "$((1+2))", "$(", "!x", "a!b", "\"!\"", "# c", "<<", "<(",
            ]),
            0..14,
        )) {
            let script: String = parts.concat();
            assert_fast_path_agrees(&script);
        }

        /// Mostly scripts inside the subset, so that the comparison is exercised.
        #[test]
        fn fast_path_agrees_with_brush_inside_the_subset(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                " a", " -y", " x=1", " V=\"a b\"", " 'q'\"r\"", " $V", " ${V:-d}", " \\;",
                " *.txt", " [", " é", " a#b", " =x", " \"a\"=b", " &&", " ||", " |", " ;",
                " &", "\n", "\t", " in", " time", " then", " >f", " 2>&1", " <x", " >>y",
                " $(a b 'c)')", " $(a\tb)", " \"$(d)\"", " $((1+2))", " # c", " !", " !x", " a!b", " 3",
            ]),
            1..12,
        )) {
            let script: String = parts.concat();
            assert_fast_path_agrees(&script);
        }
    }

    /// Every RUN of the Dockerfiles under `$DRYDOCK_SHELL_CORPUS` (e.g. the benchmark corpus):
    /// the fast path agrees with brush-parser wherever it is taken.
    #[test]
    #[ignore = "needs a corpus folder in DRYDOCK_SHELL_CORPUS"]
    fn fast_path_agrees_on_a_corpus() {
        let dir = std::env::var("DRYDOCK_SHELL_CORPUS").expect("DRYDOCK_SHELL_CORPUS");
        let (mut runs, mut fast) = (0, 0);
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
            let file = crate::parse(&text);
            for instruction in &file.instructions {
                if let crate::InstructionKind::Run(run) = &instruction.kind
                    && let crate::Command::Shell(command) = &run.command
                {
                    runs += 1;
                    fast += usize::from(assert_fast_path_agrees(&command.text));
                }
            }
        }
        println!("{fast} of {runs} shell-form RUN commands take the fast path");
    }

    #[test]
    fn deep_nesting_falls_back() {
        let text = "(".repeat(5000) + "true" + &")".repeat(5000);
        assert!(parse(&text).fallback);
    }

    #[test]
    fn wrappers_and_flags() {
        let commands = parse(
            "sudo -u root env A=1 DEBIAN_FRONTEND=x /usr/bin/apt-get -qy install --no-install-recommends -o Dpkg::Options::=--force-confnew curl",
        );
        let c = &commands.commands[0];
        assert_eq!(c.program(), Some("apt-get"));
        assert_eq!(c.subcommand(), Some("install"));
        assert!(c.has_flag(Some('y'), Some("yes")));
        assert!(c.has_flag(None, Some("no-install-recommends")));
        assert!(!c.has_flag(Some('z'), Some("assume-yes")));
        assert_eq!(
            c.option_value(&["-o"]),
            Some("Dpkg::Options::=--force-confnew")
        );
    }
}
