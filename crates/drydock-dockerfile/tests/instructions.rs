//! Instructions, forms, flags, mounts, directives and error recovery.

mod common;

use common::{ok, run};
use drydock_dockerfile::{
    Command, Healthcheck as Check, InstructionKind, Keyword, MountType, parse, parse_bytes,
};

#[test]
fn every_instruction_keyword_is_recognised_case_insensitively() {
    let file = ok(concat!(
        "from alpine AS Build\n",
        "run echo hi\n",
        "Cmd [\"app\"]\n",
        "LABEL a=b \"c d\"=\"e f\"\n",
        "MAINTAINER someone\n",
        "EXPOSE 80/tcp 443\n",
        "ENV A=1 B=\"two words\"\n",
        "ADD --chown=1:1 a.tar /opt/\n",
        "COPY --from=build /src /dst\n",
        "ENTRYPOINT [\"/bin/app\", \"--serve\"]\n",
        "VOLUME [\"/data\"]\n",
        "USER app:app\n",
        "WORKDIR /srv\n",
        "ARG VERSION=1.0 OTHER\n",
        "ONBUILD RUN make\n",
        "STOPSIGNAL SIGTERM\n",
        "HEALTHCHECK --interval=5s CMD curl -f http://localhost/\n",
        "SHELL [\"/bin/bash\", \"-c\"]\n",
    ));
    let keywords: Vec<Keyword> = file.instructions.iter().map(|i| i.keyword).collect();
    use Keyword::*;
    assert_eq!(
        keywords,
        [
            From,
            Run,
            Cmd,
            Label,
            Maintainer,
            Expose,
            Env,
            Add,
            Copy,
            Entrypoint,
            Volume,
            User,
            Workdir,
            Arg,
            Onbuild,
            StopSignal,
            Healthcheck,
            Shell
        ]
    );
    for instruction in &file.instructions {
        assert!(
            file.text(instruction.keyword_span)
                .eq_ignore_ascii_case(instruction.keyword.as_str())
        );
    }
    let InstructionKind::Label(labels) = &file.instructions[3].kind else {
        panic!()
    };
    assert_eq!(file.text(labels[1].key.span), "\"c d\"");
    assert_eq!(file.text(labels[1].value.span), "\"e f\"");
    let InstructionKind::Arg(args) = &file.instructions[13].kind else {
        panic!()
    };
    assert_eq!(
        args[0].default.as_ref().map(|d| file.text(d.span)),
        Some("1.0")
    );
    assert!(args[1].default.is_none());
    let InstructionKind::Onbuild(inner) = &file.instructions[14].kind else {
        panic!()
    };
    assert_eq!(inner.keyword, Keyword::Run);
    assert_eq!(common::shape(common::shell(inner)), ["First make"]);
    let InstructionKind::Healthcheck(Check::Cmd(Command::Shell(cmd))) = &file.instructions[16].kind
    else {
        panic!()
    };
    assert_eq!(cmd.text, "curl -f http://localhost/");
    assert_eq!(
        file.instructions[16]
            .flag("interval")
            .and_then(|f| f.value.as_deref()),
        Some("5s")
    );
}

#[test]
fn exec_shell_and_malformed_json_forms() {
    let file = ok(
        "FROM a\nCMD [\"a\", \"b c\"]\nCMD [\"a\", b]\nENTRYPOINT  [ \"x\" ] \nRUN [\"sh\",\"-c\",\"echo\"]\n",
    );
    let InstructionKind::Cmd(Command::Exec(words)) = &file.instructions[1].kind else {
        panic!()
    };
    assert_eq!(
        words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>(),
        ["a", "b c"]
    );
    assert_eq!(file.text(words[1].span), "\"b c\"");
    let InstructionKind::Cmd(Command::Shell(word)) = &file.instructions[2].kind else {
        panic!()
    };
    assert_eq!(word.text, "[\"a\", b]");
    let InstructionKind::Entrypoint(Command::Exec(words)) = &file.instructions[3].kind else {
        panic!()
    };
    assert_eq!(words[0].text, "x");
    assert!(run(&file.instructions[4]).shell.is_none());

    let file = parse("FROM a\nCMD [\"a\", 1]\nUSER x\n");
    assert_eq!(file.errors.len(), 1);
    assert!(file.errors[0].message.contains("strings only"));
    assert_eq!(file.instructions.len(), 2);
}

#[test]
fn directives_with_both_escapes() {
    let file = ok(
        "# syntax=docker/dockerfile:1.7\n# ESCAPE = `\n# check=skip=all\nFROM mcr.microsoft.com/windows/servercore\nRUN dir C:\\Windows\\ `\n    && echo done\nCOPY C:\\src\\app C:\\app\\\n",
    );
    assert_eq!(file.escape, '`');
    assert_eq!(file.directive("syntax"), Some("docker/dockerfile:1.7"));
    assert_eq!(file.directive("check"), Some("skip=all"));
    assert_eq!(file.instructions.len(), 3);
    let InstructionKind::Run(run) = &file.instructions[1].kind else {
        panic!()
    };
    let Command::Shell(cmd) = &run.command else {
        panic!()
    };
    assert_eq!(cmd.text, "dir C:\\Windows\\     && echo done");
    let InstructionKind::Copy(copy) = &file.instructions[2].kind else {
        panic!()
    };
    assert_eq!(copy.destination.text, "C:\\app\\");

    // A directive after a comment or instruction is just a comment.
    let file = ok("# hello\n# escape=`\nFROM a\nRUN a \\\n b\n");
    assert_eq!(file.escape, '\\');
    assert!(file.directives.is_empty());
    let file = ok("FROM a\n# escape=`\n");
    assert!(file.directives.is_empty());
}

#[test]
fn bad_directives_are_errors() {
    let file = parse("# escape=x\nFROM a\n");
    assert_eq!(file.errors.len(), 1);
    assert_eq!(file.escape, '\\');
    let file = parse("# syntax=a\n# syntax=b\nFROM a\n");
    assert_eq!(file.errors.len(), 1);
    assert_eq!(file.directive("syntax"), Some("a"));
}

#[test]
fn continuations_with_comments_blank_lines_and_crlf() {
    let source = "FROM debian\r\nRUN apt-get update \\\r\n  # refresh\r\n\r\n  && apt-get install -y curl\r\nUSER app\r\n";
    let file = ok(source);
    assert_eq!(file.instructions.len(), 3);
    let InstructionKind::Run(run) = &file.instructions[1].kind else {
        panic!()
    };
    let Command::Shell(cmd) = &run.command else {
        panic!()
    };
    assert_eq!(cmd.text, "apt-get update   && apt-get install -y curl");
    assert_eq!(file.instructions[1].comments.len(), 1);
    assert_eq!(file.text(file.instructions[1].comments[0]), "  # refresh");
    assert!(file.text(file.instructions[1].span).ends_with("curl"));
    let InstructionKind::User(user) = &file.instructions[2].kind else {
        panic!()
    };
    assert_eq!(file.text(user.span), "app");
    assert_eq!(file.line_column(user.span.start).line, 6);
    // Empty continuation at end of file is accepted, like BuildKit.
    ok("FROM a\nRUN echo \\\n");
}

#[test]
fn flags_with_values_and_unknown_flags() {
    let file = ok(concat!(
        "FROM --platform=$BUILDPLATFORM golang AS build\n",
        "RUN --network=none --security=insecure --device=/dev/x make\n",
        "COPY --link --parents --chmod=755 --chown=app --exclude=*.md --exclude=tmp --from=build /a /b\n",
        "ADD --checksum=sha256:abc --keep-git-dir=true https://x/y.git /src\n",
    ));
    let from = &file.instructions[0];
    assert_eq!(
        from.flag("platform").unwrap().value.as_deref(),
        Some("$BUILDPLATFORM")
    );
    assert_eq!(
        file.text(from.flag("platform").unwrap().value_span.unwrap()),
        "$BUILDPLATFORM"
    );
    let run = &file.instructions[1];
    assert_eq!(run.flag("network").unwrap().value.as_deref(), Some("none"));
    let unknown: Vec<_> = run.unknown_flags().map(|f| file.text(f.span)).collect();
    assert_eq!(unknown, ["--device=/dev/x"]);
    let copy = &file.instructions[2];
    assert_eq!(copy.flag("link").unwrap().value, None);
    assert_eq!(copy.flags_named("exclude").count(), 2);
    assert_eq!(copy.unknown_flags().count(), 0);
    assert_eq!(file.text(copy.flag("chown").unwrap().name_span), "chown");
    let add = &file.instructions[3];
    assert_eq!(
        add.flag("keep-git-dir").unwrap().value.as_deref(),
        Some("true")
    );
    assert_eq!(
        add.flag("checksum").unwrap().value.as_deref(),
        Some("sha256:abc")
    );
}

#[test]
fn every_mount_option() {
    let file = ok(concat!(
        "FROM a\n",
        "RUN --mount=type=cache,target=/var/cache/apt,sharing=locked,id=apt,mode=0755,uid=1,gid=2 \\\n",
        "    --mount=type=bind,from=build,source=/out,dst=/in,rw \\\n",
        "    --mount=type=secret,id=tok,env=TOKEN,required \\\n",
        "    --mount=type=ssh,required=false \\\n",
        "    --mount=type=tmpfs,destination=/tmp,size=64m \\\n",
        "    --mount=\"type=bind,src=a,b,target=/c\" \\\n",
        "    --mount=src=x,target=/y,ro=false,readonly=true \\\n",
        "    make\n",
    ));
    let mounts = &run(&file.instructions[1]).mounts;
    assert_eq!(mounts.len(), 7);
    let cache = &mounts[0];
    assert_eq!(cache.mount_type, MountType::Cache);
    assert_eq!(
        (
            cache.target(),
            cache.sharing(),
            cache.id(),
            cache.mode(),
            cache.uid(),
            cache.gid()
        ),
        (
            Some("/var/cache/apt"),
            Some("locked"),
            Some("apt"),
            Some("0755"),
            Some("1"),
            Some("2")
        )
    );
    assert!(!cache.read_only());
    assert_eq!(
        file.text(cache.option(&["sharing"]).unwrap().span),
        "sharing=locked"
    );
    let bind = &mounts[1];
    assert_eq!(
        (
            bind.mount_type.clone(),
            bind.from(),
            bind.source(),
            bind.target()
        ),
        (MountType::Bind, Some("build"), Some("/out"), Some("/in"))
    );
    assert!(!bind.read_only());
    let secret = &mounts[2];
    assert_eq!(
        (secret.mount_type.clone(), secret.id(), secret.env()),
        (MountType::Secret, Some("tok"), Some("TOKEN"))
    );
    assert!(secret.required() && secret.read_only());
    assert!(!mounts[3].required());
    assert_eq!(
        (mounts[4].target(), mounts[4].size()),
        (Some("/tmp"), Some("64m"))
    );
    // The flag's quotes are removed before CSV parsing, so `b` is a bare key.
    assert_eq!(
        mounts[5].option(&["b"]).map(|o| o.value.clone()),
        Some(None)
    );
    assert_eq!(mounts[5].target(), Some("/c"));
    assert!(mounts[6].read_only());
    assert_eq!(mounts[6].mount_type, MountType::Bind);
}

#[test]
fn csv_quoted_mount_fields() {
    let file = ok("FROM a\nRUN --mount='type=bind,\"source=a,b\",target=/c' true\n");
    let mount = &run(&file.instructions[1]).mounts[0];
    assert_eq!(mount.error, None);
    assert_eq!(mount.source(), Some("a,b"));
    assert_eq!(mount.target(), Some("/c"));
}

#[test]
fn error_recovery_keeps_later_instructions() {
    let file = parse("FROM a\nFOO bar \\\n  baz\nRUN ok\nEXPOSE\nENV X\nCOPY onlyone\nUSER a\n");
    let messages: Vec<_> = file
        .errors
        .iter()
        .map(|e| (file.text(e.span), e.message.as_str()))
        .collect();
    assert_eq!(
        messages[0],
        ("FOO bar \\\n  baz", "unknown instruction: FOO")
    );
    assert_eq!(messages[1].1, "EXPOSE requires at least one argument");
    assert_eq!(messages[2].1, "ENV must have two arguments");
    assert!(
        messages[3]
            .1
            .starts_with("COPY requires at least two arguments")
    );
    assert_eq!(file.errors.len(), 4);
    let keywords: Vec<_> = file.instructions.iter().map(|i| i.keyword).collect();
    assert_eq!(keywords, [Keyword::From, Keyword::Run, Keyword::User]);
}

#[test]
fn instruction_argument_checks_follow_buildkit() {
    for (source, message) in [
        ("FROM a b\n", "FROM requires either one or three arguments"),
        ("FROM a AS 1x\n", "invalid name for build stage"),
        ("FROM a\nENV A=1 B\n", "can't find = in \"B\""),
        ("FROM a\nARG =x\n", "ARG names can not be blank"),
        (
            "FROM a\nONBUILD FROM b\n",
            "isn't allowed as an ONBUILD trigger",
        ),
        ("FROM a\nONBUILD ONBUILD RUN x\n", "Chaining ONBUILD"),
        (
            "FROM a\nHEALTHCHECK NONE x\n",
            "HEALTHCHECK NONE takes no arguments",
        ),
        (
            "FROM a\nHEALTHCHECK CMD\n",
            "Missing command after HEALTHCHECK CMD",
        ),
        ("FROM a\nHEALTHCHECK PING x\n", "Unknown type"),
        ("FROM a\nSHELL /bin/sh\n", "JSON form"),
        ("FROM a\nVOLUME [\"\"]\n", "can not be an empty string"),
        (
            "FROM a\nCOPY a <<EOF\nx\nEOF\n",
            "cannot accept a heredoc as a destination",
        ),
        ("FROM a\nWORKDIR\n", "WORKDIR requires exactly one argument"),
    ] {
        let file = parse(source);
        assert_eq!(file.errors.len(), 1, "{source}: {:?}", file.errors);
        assert!(
            file.errors[0].message.contains(message),
            "{source}: {}",
            file.errors[0].message
        );
    }
    let file = ok("FROM a\nHEALTHCHECK NONE\nENV legacy value with spaces\n");
    let InstructionKind::Env(pairs) = &file.instructions[2].kind else {
        panic!()
    };
    assert_eq!(
        (
            pairs[0].key.text.as_str(),
            pairs[0].value.text.as_str(),
            pairs[0].has_equals
        ),
        ("legacy", "value with spaces", false)
    );
}

#[test]
fn invalid_utf8_is_reported_with_its_offset() {
    let error = parse_bytes(b"FROM a\nRUN \xff\n").unwrap_err();
    assert_eq!(error.span.start, 11);
    assert!(
        parse_bytes(b"\xef\xbb\xbfFROM a\n")
            .unwrap()
            .errors
            .is_empty()
    );
}

#[test]
fn string_flag_without_value_is_an_error_but_boolean_flags_are_not() {
    let file = parse("FROM a\nCOPY --from build /app /srv\nCOPY --link --parents a/ /b/\n");
    assert_eq!(file.errors.len(), 1, "{:?}", file.errors);
    assert_eq!(file.errors[0].message, "missing a value on flag: from");
    assert_eq!(file.instructions.len(), 2);
}

#[test]
fn a_file_of_only_comments_and_directives_is_an_error() {
    let file = parse("# syntax=docker/dockerfile:1\n# nothing here\n\n");
    assert_eq!(file.errors.len(), 1);
    assert_eq!(file.errors[0].message, "the Dockerfile has no instructions");
    assert!(parse("").errors.len() == 1);
}
