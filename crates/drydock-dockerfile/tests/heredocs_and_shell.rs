//! Heredocs and shell command extraction from RUN.

mod common;

use common::{ok, run, shape, shell};
use drydock_dockerfile::{Connector, InstructionKind, parse};

#[test]
fn run_heredoc_script_is_the_body() {
    let file = ok("FROM a\nRUN <<EOF\napt-get update\napt-get install -y git\nEOF\nUSER x\n");
    let instruction = &file.instructions[1];
    let heredoc = &instruction.heredocs[0];
    assert_eq!(heredoc.name, "EOF");
    assert!(heredoc.expand);
    assert_eq!(
        file.text(heredoc.body_span),
        "apt-get update\napt-get install -y git\n"
    );
    assert_eq!(file.text(heredoc.terminator_span), "EOF");
    assert_eq!(file.text(heredoc.word_span), "<<EOF");
    assert_eq!(run(instruction).script_heredoc, Some(0));
    assert_eq!(
        shape(shell(instruction)),
        ["First apt-get update", "Sequence apt-get install -y git"]
    );
    let install = &shell(instruction).commands[1];
    assert_eq!(file.text(install.words[3].span), "git");
    assert!(file.text(instruction.span).ends_with("EOF"));
    assert_eq!(file.instructions[2].keyword.as_str(), "USER");
}

#[test]
fn program_with_heredoc_stdin_and_several_heredocs() {
    let source =
        "FROM a\nRUN python3 <<PY && cat <<'EOT' > /out\nprint('hi $X')\nPY\nraw $X\nEOT\n";
    let file = ok(source);
    let instruction = &file.instructions[1];
    assert_eq!(instruction.heredocs.len(), 2);
    assert!(instruction.heredocs[0].expand);
    assert!(!instruction.heredocs[1].expand);
    assert_eq!(file.text(instruction.heredocs[1].body_span), "raw $X\n");
    assert_eq!(run(instruction).script_heredoc, None);
    let commands = shell(instruction);
    assert!(!commands.fallback);
    assert_eq!(shape(commands), ["First python3", "And cat"]);
    assert_eq!(commands.commands[0].stdin_heredoc, Some(0));
    assert_eq!(commands.commands[1].stdin_heredoc, Some(1));
}

#[test]
fn shell_heredoc_on_stdin_is_parsed_too() {
    let file = ok("FROM a\nRUN bash <<EOF\nset -e\nmake install\nEOF\n");
    assert_eq!(
        shape(shell(&file.instructions[1])),
        ["First bash", "Sequence set -e", "Sequence make install"]
    );
    let make = &shell(&file.instructions[1]).commands[2];
    assert_eq!(file.text(make.span), "make install");
}

#[test]
fn tab_stripping_and_shebang_scripts() {
    let file = ok(
        "FROM a\nRUN <<-EOT\n\techo one\n\tEOT\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n",
    );
    let strip = &file.instructions[1].heredocs[0];
    assert!(strip.strip_tabs);
    assert_eq!(strip.body(&file.source), "echo one\n");
    assert_eq!(shape(shell(&file.instructions[1])), ["First echo one"]);
    assert!(
        run(&file.instructions[2]).shell.is_none(),
        "python script is not shell"
    );
}

#[test]
fn copy_heredoc_and_onbuild_heredoc() {
    let file = ok(
        "FROM a\nCOPY <<EOF /etc/app.conf\nkey=value\nEOF\nONBUILD RUN <<EOF\necho x\nEOF\nCOPY <<one <<two /dir/\n1\none\n2\ntwo\n",
    );
    let InstructionKind::Copy(copy) = &file.instructions[1].kind else {
        panic!()
    };
    assert_eq!(copy.sources[0].text, "<<EOF");
    assert_eq!(
        file.instructions[1].heredocs[0].body(&file.source),
        "key=value\n"
    );
    let InstructionKind::Onbuild(inner) = &file.instructions[2].kind else {
        panic!()
    };
    assert_eq!(inner.heredocs.len(), 1);
    assert_eq!(shape(shell(inner)), ["First echo x"]);
    let names: Vec<_> = file.instructions[3]
        .heredocs
        .iter()
        .map(|h| h.name.as_str())
        .collect();
    assert_eq!(names, ["one", "two"]);
}

#[test]
fn unterminated_heredoc_is_one_error() {
    let file = parse("FROM a\nRUN <<EOF\necho\n");
    assert_eq!(file.errors.len(), 1);
    assert_eq!(file.errors[0].message, "unterminated heredoc");
    assert_eq!(file.instructions.len(), 1);
}

#[test]
fn apt_get_chain_with_continuations() {
    let source = "FROM debian\nRUN apt-get update \\\n && DEBIAN_FRONTEND=noninteractive apt-get install -qy --no-install-recommends \\\n      ca-certificates curl=7.88 \\\n && rm -rf /var/lib/apt/lists/*\n";
    let file = ok(source);
    let commands = shell(&file.instructions[1]);
    assert!(!commands.fallback);
    assert_eq!(
        shape(commands),
        [
            "First apt-get update",
            "And apt-get install -qy --no-install-recommends ca-certificates curl=7.88",
            "And rm -rf /var/lib/apt/lists/*",
        ]
    );
    let (index, install) = commands
        .find_subcommand("apt-get", "install")
        .next()
        .unwrap();
    assert_eq!(index, 1);
    assert_eq!(
        file.text(install.assignments[0].span),
        "DEBIAN_FRONTEND=noninteractive"
    );
    assert!(install.has_flag(Some('y'), Some("yes")));
    let packages: Vec<_> = install
        .positional()
        .skip(1)
        .map(|w| file.text(w.span))
        .collect();
    assert_eq!(packages, ["ca-certificates", "curl=7.88"]);
    assert!(commands.any_after(index, |c| {
        c.program() == Some("rm")
            && c.arguments()
                .iter()
                .any(|a| a.text == "/var/lib/apt/lists/*")
    }));
}

#[test]
fn pipes_conditionals_and_loops_are_flattened() {
    let source = "FROM a\nRUN set -eux; \\\n    curl -fsSL https://x/key | gpg --dearmor > /k; \\\n    if [ \"$A\" = 1 ]; then echo 'one two'; else echo no; fi; \\\n    for p in a b; do pip install \"$p\"; done\n";
    let file = ok(source);
    let commands = shell(&file.instructions[1]);
    assert_eq!(
        shape(commands),
        [
            "First set -eux",
            "Sequence curl -fsSL https://x/key",
            "Pipe gpg --dearmor",
            "Sequence [ $A = 1 ]",
            "Sequence echo one two",
            "Sequence echo no",
            "Sequence pip install $p",
        ]
    );
    let echo = &commands.commands[4];
    assert_eq!(echo.words[1].raw, "'one two'");
    assert_eq!(file.text(echo.words[1].span), "'one two'");
}

#[test]
fn sudo_and_env_wrappers_are_skipped() {
    let file = ok("FROM a\nRUN sudo -E env A=1 command apk add --no-cache git\n");
    let c = &shell(&file.instructions[1]).commands[0];
    assert_eq!(c.program(), Some("apk"));
    assert_eq!(c.subcommand(), Some("add"));
    assert!(c.has_flag(None, Some("no-cache")));
}

#[test]
fn unparsable_scripts_fall_back_to_word_splitting() {
    let file = ok("FROM a\nRUN echo $(( && apt-get install -y x || true\n");
    let commands = shell(&file.instructions[1]);
    assert!(commands.fallback);
    assert_eq!(
        commands
            .commands
            .iter()
            .map(|c| c.connector)
            .collect::<Vec<_>>(),
        [Connector::First, Connector::And, Connector::Or]
    );
    assert_eq!(commands.commands[1].program(), Some("apt-get"));
    assert_eq!(file.text(commands.commands[1].span), "apt-get install -y x");
}

#[test]
fn backtick_escape_is_removed_before_shell_parsing() {
    let file = ok("# escape=`\nFROM a\nRUN echo a `\n  && echo b\n");
    let commands = shell(&file.instructions[1]);
    assert_eq!(shape(commands), ["First echo a", "And echo b"]);
    assert_eq!(file.text(commands.commands[1].words[1].span), "b");
}
