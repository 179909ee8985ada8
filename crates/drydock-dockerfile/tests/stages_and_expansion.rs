//! Variable scoping, FROM resolution, stage graph and image kind.

mod common;

use common::ok;
use drydock_dockerfile::{Base, EdgeKind, EdgeTarget, GraphOptions, ImageKind, Variables, expand};

const MULTI: &str = "\
ARG BASE=alpine
ARG TAG=3.20
FROM ${BASE}:${TAG} AS Builder
ARG TAG
ENV GOFLAGS=-mod=vendor DIR=/src
RUN --mount=type=cache,target=/root/.cache make
FROM builder AS test
RUN go test ./...
FROM scratch
COPY --from=builder /out/app /app
COPY --from=1 /report /report
COPY --from=nginx:1.27 /etc/nginx /etc/nginx
ENTRYPOINT [\"/app\"]
";

#[test]
fn global_args_resolve_from_lines() {
    let file = ok(MULTI);
    let graph = file.stage_graph(&GraphOptions::default());
    assert_eq!(graph.stages.len(), 3);
    let builder = &graph.stages[0];
    assert_eq!(builder.name.as_deref(), Some("builder"));
    assert_eq!(file.text(builder.name_span.unwrap()), "Builder");
    assert_eq!(builder.base_name, "alpine:3.20");
    let Base::Image(image) = &builder.base else {
        panic!()
    };
    assert_eq!(
        (image.repository.as_str(), image.tag.as_deref()),
        ("library/alpine", Some("3.20"))
    );
    assert!(builder.unresolved.is_empty());
    assert_eq!(graph.stages[1].base, Base::Stage(0));
    assert_eq!(graph.stages[2].base, Base::Scratch);
    assert_eq!(graph.stages[0].instructions, 2..6);

    let options = GraphOptions {
        build_args: vec![("TAG".into(), "edge".into())],
        ..GraphOptions::default()
    };
    assert_eq!(
        file.stage_graph(&options).stages[0].base_name,
        "alpine:edge"
    );
}

#[test]
fn unresolved_from_variables_are_reported() {
    let file = ok("FROM ${REGISTRY}/app:${TAG:-1}\n");
    let graph = file.stage_graph(&GraphOptions::default());
    assert_eq!(graph.stages[0].base_name, "/app:1");
    assert_eq!(graph.stages[0].unresolved, ["REGISTRY", "TAG"]);
    assert!(matches!(graph.stages[0].base, Base::Invalid { .. }));
}

#[test]
fn arg_and_env_scoping() {
    let file = ok(MULTI);
    let options = GraphOptions::default();
    // Before the stage re-declares TAG, only globals declared so far exist.
    let scope = file.scope_before(3, &options);
    assert_eq!(scope.get("TAG"), None);
    let scope = file.scope_before(4, &options);
    assert_eq!(
        scope.get("TAG"),
        Some("3.20"),
        "ARG TAG imports the global value"
    );
    assert_eq!(scope.get("BASE"), None, "globals are not visible in stages");
    let scope = file.scope_before(5, &options);
    assert_eq!(scope.get("GOFLAGS"), Some("-mod=vendor"));
    // ENV persists into a stage built FROM the stage; ARG does not.
    let scope = file.scope_before(7, &options);
    assert_eq!(scope.get("DIR"), Some("/src"));
    assert_eq!(scope.get("TAG"), None);
    // Not into unrelated stages.
    assert_eq!(file.scope_before(9, &options).get("DIR"), None);
}

#[test]
fn env_wins_over_arg_and_values_expand_in_order() {
    let file = ok("FROM a\nARG V=arg\nENV V=env W=${V}-x\nARG W=ignored\nRUN true\n");
    let scope = file.scope_before(4, &GraphOptions::default());
    assert_eq!(scope.get("V"), Some("env"));
    assert_eq!(
        scope.get("W"),
        Some("arg-x"),
        "ENV values expand with the scope before the instruction"
    );
}

#[test]
fn stage_graph_edges_and_dependencies() {
    let file = ok(MULTI);
    let graph = file.stage_graph(&GraphOptions::default());
    let edges: Vec<_> = graph
        .edges
        .iter()
        .map(|e| (e.stage, e.target.clone(), e.kind))
        .collect();
    assert_eq!(
        edges,
        [
            (0, EdgeTarget::Image("alpine:3.20".into()), EdgeKind::From),
            (1, EdgeTarget::Stage(0), EdgeKind::From),
            (2, EdgeTarget::Image("scratch".into()), EdgeKind::From),
            (2, EdgeTarget::Stage(0), EdgeKind::CopyFrom),
            (2, EdgeTarget::Stage(1), EdgeKind::CopyFrom),
            (
                2,
                EdgeTarget::Image("nginx:1.27".into()),
                EdgeKind::CopyFrom
            ),
        ]
    );
    assert_eq!(graph.final_stage, Some(2));
    assert_eq!(graph.final_dependencies(), [0, 1]);
    assert_eq!(graph.image_kind(&file), ImageKind::Application);

    let target = GraphOptions {
        target: Some("TEST".into()),
        ..GraphOptions::default()
    };
    let graph = file.stage_graph(&target);
    assert_eq!(graph.final_stage, Some(1));
    assert_eq!(graph.final_dependencies(), [0]);
    assert_eq!(graph.image_kind(&file), ImageKind::Base);
    let missing = GraphOptions {
        target: Some("nope".into()),
        ..GraphOptions::default()
    };
    assert_eq!(file.stage_graph(&missing).final_stage, None);
}

#[test]
fn mount_from_creates_an_edge() {
    let file = ok("FROM a AS deps\nFROM b\nRUN --mount=from=deps,target=/d true\n");
    let graph = file.stage_graph(&GraphOptions::default());
    assert_eq!(graph.edges[2].kind, EdgeKind::MountFrom);
    assert_eq!(graph.edges[2].target, EdgeTarget::Stage(0));
}

#[test]
fn image_kind_classification() {
    let kind = |source: &str| {
        let file = ok(source);
        file.stage_graph(&GraphOptions::default()).image_kind(&file)
    };
    assert_eq!(kind("FROM debian\nRUN apt-get update\n"), ImageKind::Base);
    assert_eq!(
        kind("FROM node\nCOPY . .\nCMD node server.js\n"),
        ImageKind::Application
    );
    assert_eq!(
        kind("FROM node AS base\nEXPOSE 80\nFROM base\nRUN x\n"),
        ImageKind::Application
    );
    assert_eq!(
        kind("FROM node\nONBUILD COPY . /app\nCMD [\"node\"]\n"),
        ImageKind::Base
    );
    // Language and tool images: their product is the prompt.
    assert_eq!(kind("FROM debian\nCMD [\"python3\"]\n"), ImageKind::Base);
    assert_eq!(
        kind("FROM debian\nCMD [\"php\", \"-a\"]\n"),
        ImageKind::Base
    );
    assert_eq!(kind("FROM debian\nCMD bash\n"), ImageKind::Base);
    // An entrypoint wrapper defers to CMD.
    assert_eq!(
        kind("FROM debian\nENTRYPOINT [\"docker-entrypoint.sh\"]\nCMD [\"node\"]\n"),
        ImageKind::Base
    );
    assert_eq!(
        kind("FROM debian\nENTRYPOINT [\"docker-entrypoint.sh\"]\nCMD [\"postgres\"]\n"),
        ImageKind::Application
    );
    // The nearest stage's CMD wins over its parent's.
    assert_eq!(
        kind("FROM debian AS app\nCMD [\"/app\"]\nFROM app\nCMD [\"sh\"]\n"),
        ImageKind::Base
    );
    // Artifact images that only copy from a build stage run nothing.
    assert_eq!(
        kind("FROM golang AS build\nRUN go build\nFROM scratch\nCOPY --from=build /x /x\n"),
        ImageKind::Base
    );
    // Stages named for tooling are not shipped applications.
    assert_eq!(kind("FROM node AS dev\nEXPOSE 3000\n"), ImageKind::Base);
}

#[test]
fn expansion_with_scope_and_escape() {
    let file = ok("# escape=`\nFROM a\nENV DIR=C:\\app\nWORKDIR ${DIR}\\bin\n");
    let scope = file.scope_before(2, &GraphOptions::default());
    let expansion = expand("${DIR}\\bin `$HOME", file.escape, &scope).unwrap();
    assert_eq!(expansion.value, "C:\\app\\bin $HOME");
    assert!(expansion.unresolved.is_empty());
}
