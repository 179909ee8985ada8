//! Structural snapshots and the never-panic / spans-in-bounds property.

mod common;

use std::fmt::Write;

use drydock_dockerfile::{Dockerfile, GraphOptions, InstructionKind, Span, expand, parse};
use proptest::prelude::*;

/// A readable outline: every instruction with the text at its spans.
fn outline(file: &Dockerfile) -> String {
    let mut out = String::new();
    for instruction in &file.instructions {
        let lc = file.line_column(instruction.span.start);
        let _ = writeln!(
            out,
            "{}:{} {} args={:?}",
            lc.line,
            lc.column,
            instruction.keyword.as_str(),
            file.text(instruction.arguments_span)
        );
        for flag in &instruction.flags {
            let _ = writeln!(out, "  flag {} = {:?}", flag.name, flag.value);
        }
        for heredoc in &instruction.heredocs {
            let _ = writeln!(
                out,
                "  heredoc {} expand={} body={:?}",
                heredoc.name,
                heredoc.expand,
                heredoc.body(&file.source)
            );
        }
        if let InstructionKind::Run(run) = &instruction.kind
            && let Some(shell) = &run.shell
        {
            for command in &shell.commands {
                let words: Vec<_> = command.words.iter().map(|w| file.text(w.span)).collect();
                let _ = writeln!(out, "  {:?} {:?}", command.connector, words);
            }
        }
    }
    for error in &file.errors {
        let _ = writeln!(out, "error {:?}: {}", file.text(error.span), error.message);
    }
    out
}

#[test]
fn docker_library_style_file() {
    let file = parse(include_str!("data/docker-library.Dockerfile"));
    insta::assert_snapshot!(outline(&file));
    let graph = file.stage_graph(&GraphOptions::default());
    insta::assert_debug_snapshot!(
        graph
            .stages
            .iter()
            .map(|s| (&s.name, &s.base_name, &s.instructions))
            .collect::<Vec<_>>()
    );
}

fn check(file: &Dockerfile, span: Span) {
    assert!(
        span.start <= span.end && span.end <= file.source.len(),
        "{span:?}"
    );
    assert!(file.source.is_char_boundary(span.start) && file.source.is_char_boundary(span.end));
}

fn check_all(file: &Dockerfile) {
    file.errors.iter().for_each(|e| check(file, e.span));
    file.comments.iter().for_each(|c| check(file, *c));
    file.walk_scopes(&GraphOptions::default(), |_, instruction, scope| {
        check(file, instruction.span);
        check(file, instruction.arguments_span);
        instruction.flags.iter().for_each(|f| check(file, f.span));
        instruction
            .heredocs
            .iter()
            .for_each(|h| check(file, h.body_span));
        if let InstructionKind::Run(run) = &instruction.kind {
            run.mounts
                .iter()
                .flat_map(|m| &m.options)
                .for_each(|o| check(file, o.span));
            for command in run.shell.iter().flat_map(|s| &s.commands) {
                command
                    .words
                    .iter()
                    .chain(&command.assignments)
                    .for_each(|w| check(file, w.span));
            }
        }
        let _ = expand(file.text(instruction.arguments_span), file.escape, scope);
    });
    let graph = file.stage_graph(&GraphOptions::default());
    let _ = graph.image_kind(file);
}

/// Dockerfile-flavoured fragments, so random input reaches deep paths.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("FROM ".to_owned()),
        Just("RUN ".to_owned()),
        Just("COPY ".to_owned()),
        Just("ONBUILD ".to_owned()),
        Just("ENV ".to_owned()),
        Just("ARG ".to_owned()),
        Just("<<EOF".to_owned()),
        Just("<<-'X'".to_owned()),
        Just("EOF".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("\\\n".to_owned()),
        Just("`".to_owned()),
        Just("# escape=`\n".to_owned()),
        Just("${A:-${B".to_owned()),
        Just("}".to_owned()),
        Just("--mount=type=cache,\"".to_owned()),
        Just("[\"a\", ".to_owned()),
        Just(" && ".to_owned()),
        Just("if then fi ( ".to_owned()),
        Just("é€😀".to_owned()),
        "[ -~]{0,6}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_and_spans_stay_in_bounds(parts in prop::collection::vec(fragment(), 0..40)) {
        check_all(&parse(&parts.concat()));
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        check_all(&parse(&text));
    }
}
