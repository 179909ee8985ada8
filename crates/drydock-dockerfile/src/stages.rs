//! Build stages, their dependencies and ARG/ENV scoping as BuildKit
//! evaluates them.
//!
//! Scoping rules: ARGs before the first FROM are global and only usable in
//! FROM lines, unless a stage re-declares them (`ARG NAME` without a value
//! imports the global value). `--build-arg` values (in [`GraphOptions`])
//! override defaults of declared ARGs. ENV values persist into stages built
//! `FROM` an earlier stage; ARGs do not. ENV wins over ARG of the same name.
//! All pairs of one ENV instruction expand with the scope before it.
//! `COPY --from` values expand with the stage's scope; `RUN --mount=from=`
//! values are taken literally (BuildKit rejects variables there).

use std::ops::Range;

use crate::Dockerfile;
use crate::expand::{Variables, expand, lookup};
use crate::image::ImageRef;
use crate::instruction::{Command, Instruction, InstructionKind, Keyword};
use crate::span::Span;

/// Options for [`Dockerfile::stage_graph`] and [`Dockerfile::scope_before`].
#[derive(Clone, Debug, Default)]
pub struct GraphOptions {
    /// Target stage name (`--target`); the last stage when `None`.
    pub target: Option<String>,
    /// `--build-arg NAME=value` pairs.
    pub build_args: Vec<(String, String)>,
}

/// Variables visible at one point of the file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    env: Vec<(String, String)>,
    args: Vec<(String, String)>,
}

impl Scope {
    /// Set variables: ENV (including inherited) then ARG, later entries
    /// shadowing earlier ones.
    pub fn env(&self) -> &[(String, String)] {
        &self.env
    }

    /// ARG values in scope.
    pub fn args(&self) -> &[(String, String)] {
        &self.args
    }
}

impl Variables for Scope {
    fn get(&self, name: &str) -> Option<&str> {
        lookup(&self.env, name).or_else(|| lookup(&self.args, name))
    }
}

/// What a stage is built on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base {
    /// `FROM scratch`.
    Scratch,
    /// `FROM <earlier stage>` (index into [`StageGraph::stages`]).
    Stage(usize),
    /// An external image.
    Image(ImageRef),
    /// The expanded name is not a valid reference (or used unresolved
    /// variables that left it empty).
    Invalid {
        /// Why it is invalid.
        error: String,
    },
}

/// One build stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stage {
    /// Position among stages (what `COPY --from=0` refers to).
    pub index: usize,
    /// Lower-cased `AS` name.
    pub name: Option<String>,
    /// The name as written.
    pub name_span: Option<Span>,
    /// Instruction indexes of the stage, starting with its FROM.
    pub instructions: Range<usize>,
    /// FROM image text after ARG expansion.
    pub base_name: String,
    /// Resolved base.
    pub base: Base,
    /// Variables in the FROM line that were not set.
    pub unresolved: Vec<String>,
    /// `--platform` after expansion.
    pub platform: Option<String>,
}

/// Why one stage depends on something.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// `FROM`.
    From,
    /// `COPY --from` / `ADD --from`.
    CopyFrom,
    /// `RUN --mount=from=`.
    MountFrom,
}

/// What a dependency points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EdgeTarget {
    /// Another stage.
    Stage(usize),
    /// An external image (by name, as written after expansion).
    Image(String),
}

/// A dependency of a stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// The dependent stage.
    pub stage: usize,
    /// What it needs.
    pub target: EdgeTarget,
    /// How.
    pub kind: EdgeKind,
    /// Instruction index that creates the edge.
    pub instruction: usize,
}

/// Whether the file builds an application or a base image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    /// The final stage (with the stages it is built FROM) runs something:
    /// EXPOSE or HEALTHCHECK, or an effective ENTRYPOINT/CMD that is more than
    /// a bare shell or interpreter prompt (`CMD ["python3"]`, `CMD bash`,
    /// `["php", "-a"]`: the product of language and tool images is their
    /// toolchain). Not when the final stage has ONBUILD triggers or is named
    /// for development, CI or building (`dev`, `devcontainer`, `ci`, `test`,
    /// `build`…).
    Application,
    /// Anything else: meant to be built upon (e.g. `USER` may be set later).
    Base,
}

/// Stages and dependencies of a Dockerfile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StageGraph {
    /// Stages in order.
    pub stages: Vec<Stage>,
    /// Dependencies in instruction order.
    pub edges: Vec<Edge>,
    /// Index of the stage that is built: the `target` or the last stage.
    /// `None` if there are no stages or the target does not exist.
    pub final_stage: Option<usize>,
    /// Global ARGs (declared before the first FROM) after build args.
    pub global_args: Scope,
}

impl StageGraph {
    /// Stage containing instruction `index`.
    pub fn stage_of(&self, index: usize) -> Option<usize> {
        self.stages
            .iter()
            .position(|s| s.instructions.contains(&index))
    }

    /// Stages `stage` needs, transitively, in ascending order.
    pub fn dependencies(&self, stage: usize) -> Vec<usize> {
        let mut seen = vec![false; self.stages.len()];
        let mut stack = vec![stage];
        while let Some(current) = stack.pop() {
            for edge in self.edges.iter().filter(|e| e.stage == current) {
                if let EdgeTarget::Stage(target) = edge.target
                    && target < seen.len()
                    && !seen[target]
                {
                    seen[target] = true;
                    stack.push(target);
                }
            }
        }
        if stage < seen.len() {
            seen[stage] = false;
        }
        (0..seen.len()).filter(|&i| seen[i]).collect()
    }

    /// Stages the final stage needs.
    pub fn final_dependencies(&self) -> Vec<usize> {
        self.final_stage
            .map(|s| self.dependencies(s))
            .unwrap_or_default()
    }

    /// `stage` and the stages it is built FROM, nearest first.
    pub fn ancestry(&self, stage: usize) -> Vec<usize> {
        let mut chain = vec![stage];
        let mut current = stage;
        while let Some(Base::Stage(parent)) = self.stages.get(current).map(|s| &s.base) {
            if *parent >= current {
                break;
            }
            chain.push(*parent);
            current = *parent;
        }
        chain
    }

    /// Application or base image (see [`ImageKind`]).
    pub fn image_kind(&self, file: &Dockerfile) -> ImageKind {
        let Some(final_stage) = self.final_stage else {
            return ImageKind::Base;
        };
        let stage = &self.stages[final_stage];
        let named_for_tooling = stage.name.as_deref().is_some_and(|name| {
            matches!(
                name,
                "dev"
                    | "devel"
                    | "development"
                    | "devcontainer"
                    | "dev-env"
                    | "ci"
                    | "test"
                    | "tests"
                    | "build"
                    | "builder"
            )
        });
        let instructions = &file.instructions[stage.instructions.clone()];
        if named_for_tooling || instructions.iter().any(|i| i.keyword == Keyword::Onbuild) {
            return ImageKind::Base;
        }
        // The nearest stage's last CMD/ENTRYPOINT is the effective one.
        let mut cmd = None;
        let mut entrypoint = None;
        for ancestor in self.ancestry(final_stage) {
            let range = self.stages[ancestor].instructions.clone();
            for instruction in file.instructions[range].iter().rev() {
                match &instruction.kind {
                    InstructionKind::Expose(_) | InstructionKind::Healthcheck(_) => {
                        return ImageKind::Application;
                    }
                    InstructionKind::Cmd(command) => {
                        cmd.get_or_insert(command);
                    }
                    InstructionKind::Entrypoint(command) => {
                        entrypoint.get_or_insert(command);
                    }
                    _ => {}
                }
            }
        }
        // `ENTRYPOINT ["docker-php-entrypoint"]` wraps the command: the CMD says what runs.
        let wrapper = entrypoint.is_some_and(|command| {
            command_words(command).first().is_some_and(|first| {
                first
                    .rsplit('/')
                    .next()
                    .unwrap_or(first)
                    .contains("entrypoint")
            })
        });
        let runs_something = match (entrypoint, cmd) {
            (Some(entrypoint), _) if !wrapper => !is_bare_interpreter(entrypoint),
            (_, Some(cmd)) => !is_bare_interpreter(cmd),
            (Some(_), None) => true,
            (None, None) => false,
        };
        if runs_something {
            ImageKind::Application
        } else {
            ImageKind::Base
        }
    }
}

/// The words of a command (shell form split on whitespace).
fn command_words(command: &Command) -> Vec<&str> {
    match command {
        Command::Exec(words) => words.iter().map(|w| w.text.as_str()).collect(),
        Command::Shell(word) => word.text.split_whitespace().collect(),
    }
}

/// `bash`, `["php", "-a"]`, `python3`, `["--info"]`: a shell or interpreter with options only, or
/// options only.
fn is_bare_interpreter(command: &Command) -> bool {
    let words = command_words(command);
    let Some((first, rest)) = words.split_first() else {
        return true;
    };
    if !rest.iter().all(|w| w.starts_with('-')) {
        return false;
    }
    if first.starts_with('-') {
        return true;
    }
    let program = first.rsplit('/').next().unwrap_or(first);
    let program = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    matches!(
        program,
        "sh" | "bash"
            | "ash"
            | "dash"
            | "zsh"
            | "fish"
            | "pwsh"
            | "powershell"
            | "cmd"
            | "python"
            | "ipython"
            | "node"
            | "nodejs"
            | "irb"
            | "ruby"
            | "php"
            | "perl"
            | "jshell"
            | "ghci"
            | "erl"
            | "iex"
            | "julia"
            | "R"
            | "lua"
            | "tclsh"
            | "swift"
            | "bun"
            | "deno"
            | "elixir"
            | "groovysh"
            | "scala"
            | "sbt"
            | "clojure"
            | "rebar"
            | "dotnet"
            | "java"
    )
}

impl Dockerfile {
    /// Resolves stages, bases (after global ARG expansion) and dependencies.
    pub fn stage_graph(&self, options: &GraphOptions) -> StageGraph {
        let mut graph = StageGraph::default();
        walk(self, options, &mut graph, |_, _, _| {});
        graph.final_stage = match &options.target {
            Some(target) => {
                let target = target.to_lowercase();
                graph
                    .stages
                    .iter()
                    .position(|s| s.name.as_deref() == Some(target.as_str()))
            }
            None => graph.stages.len().checked_sub(1),
        };
        graph
    }

    /// Variables visible to instruction `index` (before it runs).
    pub fn scope_before(&self, index: usize, options: &GraphOptions) -> Scope {
        let mut found = Scope::default();
        self.walk_scopes(options, |i, _, scope| {
            if i == index {
                found = scope.clone();
            }
        });
        found
    }

    /// Calls `visit(index, instruction, scope)` for every instruction with
    /// the variables visible to it, in one pass.
    pub fn walk_scopes(
        &self,
        options: &GraphOptions,
        visit: impl FnMut(usize, &Instruction, &Scope),
    ) {
        let mut graph = StageGraph::default();
        walk(self, options, &mut graph, visit);
    }
}

fn build_arg<'a>(options: &'a GraphOptions, name: &str) -> Option<&'a str> {
    lookup(&options.build_args, name)
}

/// One pass over the instructions maintaining scopes and the graph.
fn walk(
    file: &Dockerfile,
    options: &GraphOptions,
    graph: &mut StageGraph,
    mut visit: impl FnMut(usize, &Instruction, &Scope),
) {
    let escape = file.escape;
    let mut global = Scope::default();
    let mut stage_envs: Vec<Vec<(String, String)>> = Vec::new();
    let mut scope = Scope::default();
    for (index, instruction) in file.instructions.iter().enumerate() {
        let in_stage = !graph.stages.is_empty();
        visit(index, instruction, if in_stage { &scope } else { &global });
        match &instruction.kind {
            InstructionKind::From(from) => {
                if let Some(last) = graph.stages.last_mut() {
                    last.instructions.end = index;
                    stage_envs.push(std::mem::take(&mut scope.env));
                }
                let expanded = expand(&from.image.text, escape, &global).unwrap_or_default();
                let base_name = expanded.value;
                let lower = base_name.to_lowercase();
                let earlier = graph
                    .stages
                    .iter()
                    .position(|s| s.name.as_deref() == Some(lower.as_str()));
                let stage_index = graph.stages.len();
                let base = if let Some(parent) = earlier {
                    Base::Stage(parent)
                } else if lower == "scratch" {
                    Base::Scratch
                } else {
                    match ImageRef::parse(&base_name) {
                        Ok(image) => Base::Image(image),
                        Err(error) => Base::Invalid { error },
                    }
                };
                graph.edges.push(Edge {
                    stage: stage_index,
                    target: match earlier {
                        Some(parent) => EdgeTarget::Stage(parent),
                        None => EdgeTarget::Image(base_name.clone()),
                    },
                    kind: EdgeKind::From,
                    instruction: index,
                });
                let platform = instruction.flag("platform").map(|f| {
                    expand(f.value_or_empty(), escape, &global)
                        .map(|e| e.value)
                        .unwrap_or_default()
                });
                scope = Scope {
                    env: earlier.map(|p| stage_envs[p].clone()).unwrap_or_default(),
                    args: Vec::new(),
                };
                graph.stages.push(Stage {
                    index: stage_index,
                    name: from.alias.as_ref().map(|a| a.text.to_lowercase()),
                    name_span: from.alias.as_ref().map(|a| a.span),
                    instructions: index..file.instructions.len(),
                    base_name,
                    base,
                    unresolved: expanded.unresolved,
                    platform,
                });
            }
            InstructionKind::Arg(declarations) => {
                for declaration in declarations {
                    let name = declaration.name.text.as_str();
                    let current = if in_stage { &scope } else { &global };
                    let value = match (build_arg(options, name), &declaration.default) {
                        (Some(value), _) => Some(value.to_owned()),
                        (None, Some(default)) => {
                            expand(&default.text, escape, current).ok().map(|e| e.value)
                        }
                        (None, None) if in_stage => lookup(&global.args, name).map(str::to_owned),
                        (None, None) => None,
                    };
                    if let Some(value) = value {
                        let target = if in_stage { &mut scope } else { &mut global };
                        target.args.push((name.to_owned(), value));
                    }
                }
            }
            InstructionKind::Env(pairs) if in_stage => {
                // Every pair expands with the scope before the instruction.
                let evaluate = |text: &str| {
                    expand(text, escape, &scope)
                        .map(|e| e.value)
                        .unwrap_or_default()
                };
                let values: Vec<_> = pairs
                    .iter()
                    .map(|p| (evaluate(&p.key.text), evaluate(&p.value.text)))
                    .collect();
                scope.env.extend(values);
            }
            InstructionKind::Copy(_) | InstructionKind::Add(_) if in_stage => {
                if let Some(from) = instruction.flag("from") {
                    let value = expand(from.value_or_empty(), escape, &scope)
                        .map(|e| e.value)
                        .unwrap_or_default();
                    let target = resolve_reference(&graph.stages, &value);
                    graph.edges.push(Edge {
                        stage: graph.stages.len() - 1,
                        target,
                        kind: EdgeKind::CopyFrom,
                        instruction: index,
                    });
                }
            }
            InstructionKind::Run(run) if in_stage => {
                for from in run.mounts.iter().filter_map(|m| m.from()) {
                    graph.edges.push(Edge {
                        stage: graph.stages.len() - 1,
                        target: resolve_reference(&graph.stages, from),
                        kind: EdgeKind::MountFrom,
                        instruction: index,
                    });
                }
            }
            _ => {}
        }
    }
    graph.global_args = global;
}

/// `--from` value: a stage name (case-insensitive), a stage index, or an image.
fn resolve_reference(stages: &[Stage], value: &str) -> EdgeTarget {
    let lower = value.to_lowercase();
    let current = stages.len().saturating_sub(1);
    if let Some(stage) = stages
        .iter()
        .position(|s| s.name.as_deref() == Some(lower.as_str()))
    {
        return EdgeTarget::Stage(stage);
    }
    match value.parse::<usize>() {
        Ok(index) if index < current => EdgeTarget::Stage(index),
        _ => EdgeTarget::Image(value.to_owned()),
    }
}
