//! Parses arbitrary bytes, runs expansion, scopes, the stage graph and shell
//! extraction, and checks every span is in bounds and on char boundaries.
#![no_main]

use drydock_dockerfile::{Command, Dockerfile, GraphOptions, Instruction, InstructionKind, Span, expand};
use libfuzzer_sys::fuzz_target;

fn check(file: &Dockerfile, span: Span) {
    assert!(span.start <= span.end, "{span:?}");
    assert!(span.end <= file.source.len(), "{span:?}");
    assert!(file.source.is_char_boundary(span.start), "{span:?}");
    assert!(file.source.is_char_boundary(span.end), "{span:?}");
    let _ = file.line_column(span.start);
}

fn check_instruction(file: &Dockerfile, instruction: &Instruction) {
    for span in [instruction.span, instruction.keyword_span, instruction.arguments_span] {
        check(file, span);
    }
    for flag in &instruction.flags {
        check(file, flag.span);
        check(file, flag.name_span);
        flag.value_span.into_iter().for_each(|s| check(file, s));
    }
    for heredoc in &instruction.heredocs {
        for span in [heredoc.word_span, heredoc.body_span, heredoc.terminator_span] {
            check(file, span);
        }
        let _ = heredoc.body(&file.source);
    }
    for comment in &instruction.comments {
        check(file, *comment);
    }
    match &instruction.kind {
        InstructionKind::Run(run) => {
            for mount in &run.mounts {
                check(file, mount.span);
                mount.options.iter().for_each(|o| check(file, o.span));
                let _ = mount.read_only();
            }
            if let Command::Shell(word) = &run.command {
                check(file, word.span);
            }
            for command in run.shell.iter().flat_map(|s| &s.commands) {
                check(file, command.span);
                for word in command.words.iter().chain(&command.assignments) {
                    check(file, word.span);
                }
                let _ = (command.program(), command.subcommand(), command.has_flag(Some('y'), Some("yes")));
            }
        }
        InstructionKind::Onbuild(inner) => check_instruction(file, inner),
        InstructionKind::Env(pairs) | InstructionKind::Label(pairs) => {
            for pair in pairs {
                check(file, pair.key.span);
                check(file, pair.value.span);
            }
        }
        InstructionKind::Arg(declarations) => {
            for declaration in declarations {
                check(file, declaration.name.span);
                declaration.default.iter().for_each(|d| check(file, d.span));
            }
        }
        InstructionKind::From(from) => {
            check(file, from.image.span);
            from.alias.iter().for_each(|a| check(file, a.span));
        }
        InstructionKind::Copy(copy) | InstructionKind::Add(copy) => {
            copy.sources.iter().chain([&copy.destination]).for_each(|w| check(file, w.span));
        }
        InstructionKind::Cmd(Command::Exec(words)) | InstructionKind::Entrypoint(Command::Exec(words)) => {
            words.iter().for_each(|w| check(file, w.span));
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(file) = drydock_dockerfile::parse_bytes(data) else {
        return;
    };
    for error in &file.errors {
        check(&file, error.span);
    }
    for directive in &file.directives {
        check(&file, directive.span);
        check(&file, directive.value_span);
    }
    file.comments.iter().for_each(|c| check(&file, *c));
    let options = GraphOptions::default();
    file.walk_scopes(&options, |_, instruction, scope| {
        check_instruction(&file, instruction);
        let _ = expand(file.text(instruction.arguments_span), file.escape, scope);
    });
    let graph = file.stage_graph(&options);
    for stage in 0..graph.stages.len() {
        let _ = graph.dependencies(stage);
    }
    let _ = graph.image_kind(&file);
});
