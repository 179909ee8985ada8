//! Helpers shared by the integration tests.
#![allow(dead_code)]

use drydock_dockerfile::{Dockerfile, Instruction, InstructionKind, Run, ShellCommands, parse};

/// Parses and asserts there are no errors.
pub fn ok(source: &str) -> Dockerfile {
    let file = parse(source);
    assert!(
        file.errors.is_empty(),
        "unexpected errors: {:?}",
        file.errors
    );
    file
}

pub fn run(instruction: &Instruction) -> &Run {
    match &instruction.kind {
        InstructionKind::Run(run) => run,
        InstructionKind::Onbuild(inner) => run(inner),
        other => panic!("not a RUN: {other:?}"),
    }
}

pub fn shell(instruction: &Instruction) -> &ShellCommands {
    run(instruction).shell.as_ref().expect("shell commands")
}

/// `(connector, argv texts)` per command.
pub fn shape(commands: &ShellCommands) -> Vec<String> {
    commands
        .commands
        .iter()
        .map(|c| {
            let words: Vec<&str> = c.words.iter().map(|w| w.text.as_str()).collect();
            format!("{:?} {}", c.connector, words.join(" "))
        })
        .collect()
}
