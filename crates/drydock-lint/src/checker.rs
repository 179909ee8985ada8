//! What a rule sees: the parsed file, its stage graph and settings, plus queries many rules share.

use drydock_dockerfile::{
    Dockerfile, ImageKind, Instruction, InstructionKind, Keyword, Run, Span, Stage, StageGraph,
};

use crate::LintSettings;
use crate::rule::Diagnostic;

/// The context a rule's check runs in; rules report through [`Checker::report`].
pub struct Checker<'a> {
    pub file: &'a Dockerfile,
    pub graph: &'a StageGraph,
    pub settings: &'a LintSettings,
    diagnostics: Vec<Diagnostic>,
    secrets: Vec<Span>,
}

impl<'a> Checker<'a> {
    pub fn new(file: &'a Dockerfile, graph: &'a StageGraph, settings: &'a LintSettings) -> Self {
        Checker {
            file,
            graph,
            settings,
            diagnostics: Vec::new(),
            secrets: Vec::new(),
        }
    }

    /// Mark `span` as a secret value: it is masked wherever the source is shown. (Values the
    /// secret scanner recognises on its own are masked anyway.)
    pub fn mark_secret(&mut self, span: Span) {
        self.secrets.push(span);
    }

    pub(crate) fn take_secrets(&mut self) -> Vec<Span> {
        std::mem::take(&mut self.secrets)
    }

    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    pub(crate) fn take_diagnostics(&mut self) -> Vec<Diagnostic> {
        std::mem::take(&mut self.diagnostics)
    }

    pub fn source(&self) -> &'a str {
        &self.file.source
    }

    /// The instructions of `stage`, from its `FROM` on.
    pub fn stage_instructions(&self, stage: &Stage) -> &'a [Instruction] {
        &self.file.instructions[stage.instructions.clone()]
    }

    /// The stage being built (the last, or `--target`).
    pub fn final_stage(&self) -> Option<&'a Stage> {
        self.graph
            .final_stage
            .map(|index| &self.graph.stages[index])
    }

    /// Whether the file builds an application image (rules about how an image runs apply) rather
    /// than a base image meant to be built upon.
    pub fn is_application_image(&self) -> bool {
        self.graph.image_kind(self.file) == ImageKind::Application
    }

    /// Whether the final image is built in a single stage: every stage it needs is one it is
    /// built FROM (nothing is copied in from a separate build stage).
    pub fn is_single_stage(&self) -> bool {
        let Some(final_stage) = self.graph.final_stage else {
            return true;
        };
        let ancestry = self.graph.ancestry(final_stage);
        self.graph
            .final_dependencies()
            .iter()
            .all(|stage| ancestry.contains(stage))
    }

    /// Whether the file is built with BuildKit syntax, so BuildKit-only fixes (cache and secret
    /// mounts) apply: a `# syntax=` directive, or BuildKit-only constructs in use.
    pub fn uses_buildkit(&self) -> bool {
        self.file.directive("syntax").is_some()
            || self.file.instructions.iter().any(|instruction| {
                !instruction.heredocs.is_empty()
                    || matches!(&instruction.kind, InstructionKind::Run(run) if !run.mounts.is_empty())
                    || instruction.flag("link").is_some()
            })
    }

    /// Every RUN instruction (also inside ONBUILD) with its index.
    pub fn runs(&self) -> impl Iterator<Item = (usize, &'a Instruction, &'a Run)> + 'a {
        self.file
            .instructions
            .iter()
            .enumerate()
            .filter_map(|(index, instruction)| match &instruction.kind {
                InstructionKind::Run(run) => Some((index, instruction, run)),
                InstructionKind::Onbuild(inner) => match &inner.kind {
                    InstructionKind::Run(run) => Some((index, &**inner, run)),
                    _ => None,
                },
                _ => None,
            })
    }

    /// The instructions with `keyword` that follow another one with it in the same stage (a
    /// second `CMD`, which overrides the first).
    pub fn repeated_in_stage(&self, keyword: Keyword) -> Vec<&'a Instruction> {
        let mut repeated = Vec::new();
        for stage in &self.graph.stages {
            let mut matching = self
                .stage_instructions(stage)
                .iter()
                .filter(|instruction| instruction.keyword == keyword);
            matching.next();
            repeated.extend(matching);
        }
        repeated
    }

    /// The stage index instruction `index` belongs to.
    pub fn stage_of(&self, index: usize) -> Option<&'a Stage> {
        self.graph
            .stage_of(index)
            .map(|stage| &self.graph.stages[stage])
    }

    /// Whether instruction `index` ends up in the image being built (it is in the final stage or
    /// a stage the final stage is built `FROM`).
    pub fn in_final_image(&self, index: usize) -> bool {
        let Some(final_stage) = self.graph.final_stage else {
            return false;
        };
        self.graph
            .stage_of(index)
            .is_some_and(|stage| self.graph.ancestry(final_stage).contains(&stage))
    }
}
