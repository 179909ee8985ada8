//! The build's view of a Dockerfile: its steps, which step made which layer
//! of the last image, and the Dockerfile actually handed to BuildKit (bases
//! pinned, refresh points inserted).

use drydock_dockerfile::{Command, Dockerfile, InstructionKind, StageGraph};

/// Name of the build argument drydock declares before a step to rebuild it.
pub const REFRESH_ARG: &str = "DRYDOCK_REFRESH";

/// One instruction of a stage that is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Stage index.
    pub stage: usize,
    /// Instruction index in the file.
    pub instruction: usize,
    /// 1-based line of the instruction.
    pub line: usize,
    /// The instruction's text, continuations joined, comments dropped and
    /// whitespace collapsed: how refresh points find their step again.
    pub text: String,
    /// For RUN: the command as BuildKit records it in the image history
    /// (`<shell> <command>` for shell form, the arguments for exec form),
    /// whitespace collapsed.
    pub history_command: Option<String>,
}

/// The steps of `stages`, in file order.
pub fn steps(file: &Dockerfile, graph: &StageGraph, stages: &[usize]) -> Vec<Step> {
    let mut out = Vec::new();
    for &s in stages {
        let Some(stage) = graph.stages.get(s) else {
            continue;
        };
        let mut shell = vec!["/bin/sh".to_owned(), "-c".to_owned()];
        for i in stage.instructions.clone() {
            let Some(instruction) = file.instructions.get(i) else {
                continue;
            };
            let history_command = match &instruction.kind {
                InstructionKind::Shell(words) => {
                    shell = words.iter().map(|w| w.text.clone()).collect();
                    None
                }
                InstructionKind::Run(run) => Some(match &run.command {
                    Command::Shell(word) => collapse(&format!("{} {}", shell.join(" "), word.text)),
                    Command::Exec(words) => collapse(
                        &words
                            .iter()
                            .map(|w| w.text.as_str())
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                }),
                _ => None,
            };
            out.push(Step {
                stage: s,
                instruction: i,
                line: file.line_column(instruction.span.start).line,
                text: instruction_text(file, i),
                history_command,
            });
        }
    }
    out
}

fn instruction_text(file: &Dockerfile, index: usize) -> String {
    let instruction = &file.instructions[index];
    let mut text = String::new();
    let mut pos = instruction.span.start;
    for comment in &instruction.comments {
        if comment.start >= pos && comment.end <= instruction.span.end {
            text.push_str(&file.source[pos..comment.start]);
            pos = comment.end;
        }
    }
    text.push_str(&file.source[pos..instruction.span.end.min(file.source.len())]);
    let escape = file.escape;
    let joined = text
        .replace(&format!("{escape}\r\n"), " ")
        .replace(&format!("{escape}\n"), " ");
    collapse(&joined)
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The command of a BuildKit history entry (`RUN [|N K=V…] <argv> # buildkit`),
/// whitespace collapsed; `None` for entries that are not RUN steps.
pub fn history_run_command(created_by: &str) -> Option<String> {
    let rest = created_by.trim().strip_prefix("RUN ")?;
    let rest = rest.strip_suffix("# buildkit").unwrap_or(rest).trim_end();
    let rest = match rest.strip_prefix('|') {
        // `|2 A=1 B=2 /bin/sh -c …`: N build arguments precede the command.
        Some(counted) => {
            let (count, mut tail) = counted.split_once(' ')?;
            let count: usize = count.parse().ok()?;
            for _ in 0..count {
                tail = tail.trim_start().split_once(' ').map_or("", |(_, t)| t);
            }
            tail
        }
        None => rest,
    };
    Some(collapse(rest))
}

/// The RUN step of `steps` that made a layer whose history entry says
/// `created_by`, if its command is unchanged in the Dockerfile.
pub fn step_of_history<'a>(steps: &'a [Step], created_by: &str) -> Option<&'a Step> {
    let command = history_run_command(created_by)?;
    steps
        .iter()
        .rfind(|s| s.history_command.as_deref() == Some(command.as_str()))
}

/// The Dockerfile handed to BuildKit: each `(instruction, reference)` in
/// `pins` replaces that FROM's image, and each `(instruction, token)` in
/// `refresh` inserts `ARG DRYDOCK_REFRESH=<token>` on a line of its own just
/// before that instruction. Everything else is kept byte for byte.
pub fn generate(
    file: &Dockerfile,
    pins: &[(usize, String)],
    refresh: &[(usize, String)],
) -> String {
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for (index, reference) in pins {
        if let Some(InstructionKind::From(from)) = file.instructions.get(*index).map(|i| &i.kind) {
            edits.push((
                from.image.span.start,
                from.image.span.end,
                reference.clone(),
            ));
        }
    }
    for (index, token) in refresh {
        if let Some(instruction) = file.instructions.get(*index) {
            let line_start = file.source[..instruction.span.start]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            edits.push((
                line_start,
                line_start,
                format!("ARG {REFRESH_ARG}={token}\n"),
            ));
        }
    }
    edits.sort_by_key(|e| (e.0, e.1));
    let mut out = String::with_capacity(file.source.len() + 256);
    let mut pos = 0;
    for (start, end, text) in edits {
        if start < pos {
            continue;
        }
        out.push_str(&file.source[pos..start]);
        out.push_str(&text);
        pos = end;
    }
    out.push_str(&file.source[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use drydock_dockerfile::GraphOptions;

    const FILE: &str = "\
# syntax=docker/dockerfile:1
ARG BASE=127.0.0.1:5000/base:1
FROM ${BASE} AS build
RUN make \\
    # a comment inside
    all
FROM 127.0.0.1:5000/slim:2
SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]
COPY --from=build /out /app
RUN apt-get update && apt-get install -y  drydock-demo
CMD [\"/app\"]
";

    fn parsed() -> (Dockerfile, StageGraph) {
        let file = drydock_dockerfile::parse(FILE);
        let graph = file.stage_graph(&GraphOptions::default());
        (file, graph)
    }

    #[test]
    fn steps_have_normalised_text_and_history_commands() {
        let (file, graph) = parsed();
        let steps = steps(&file, &graph, &[0, 1]);
        assert_eq!(steps[1].text, "RUN make all");
        assert_eq!(
            steps[1].history_command.as_deref(),
            Some("/bin/sh -c make all")
        );
        assert_eq!(steps[1].line, 4);
        let install = steps.iter().find(|s| s.text.contains("apt-get")).unwrap();
        assert_eq!(install.stage, 1);
        assert_eq!(
            install.history_command.as_deref(),
            Some("/bin/bash -o pipefail -c apt-get update && apt-get install -y drydock-demo")
        );
    }

    #[test]
    fn history_entries_map_to_steps() {
        let (file, graph) = parsed();
        let steps = steps(&file, &graph, &[0, 1]);
        let entry = "RUN |1 DRYDOCK_REFRESH=ab12 /bin/bash -o pipefail -c apt-get update && apt-get install -y  drydock-demo # buildkit";
        assert_eq!(step_of_history(&steps, entry).map(|s| s.line), Some(10));
        assert_eq!(
            history_run_command("RUN /bin/sh -c make all # buildkit").as_deref(),
            Some("/bin/sh -c make all")
        );
        assert!(step_of_history(&steps, "COPY /out /app # buildkit").is_none());
        assert!(step_of_history(&steps, "RUN /bin/sh -c something else # buildkit").is_none());
        assert!(history_run_command("RUN |x").is_none());
        assert!(
            history_run_command("RUN |3 A=1").is_some(),
            "short input does not panic"
        );
    }

    #[test]
    fn generated_file_pins_and_refreshes_and_reparses() {
        let (file, graph) = parsed();
        let from_build = graph.stages[0].instructions.start;
        let install = steps(&file, &graph, &[1])
            .into_iter()
            .find(|s| s.text.contains("apt-get"))
            .unwrap();
        let text = generate(
            &file,
            &[(from_build, "127.0.0.1:5000/base:1@sha256:aa".into())],
            &[(install.instruction, "tok".into())],
        );
        assert!(text.contains("FROM 127.0.0.1:5000/base:1@sha256:aa AS build\n"));
        assert!(text.contains("COPY --from=build /out /app\nARG DRYDOCK_REFRESH=tok\nRUN apt-get"));
        let reparsed = drydock_dockerfile::parse(&text);
        assert!(reparsed.errors.is_empty());
        assert_eq!(reparsed.instructions.len(), file.instructions.len() + 1);
        assert_eq!(generate(&file, &[], &[]), FILE);
    }
}
