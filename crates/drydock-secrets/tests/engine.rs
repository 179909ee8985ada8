//! Chunked reader, binary handling, redaction (no leaks), named assignments,
//! and a property test over arbitrary bytes.

mod common;

use std::io::Read;

use common::*;
use drydock_secrets::{
    BinaryKind, ReaderOptions, Scanner, VerdictKind, check_assignment, redact_text,
};
use proptest::prelude::*;

const SMALL: ReaderOptions = ReaderOptions {
    chunk_size: 4096,
    overlap: 256,
    skip_binary: true,
};

/// A reader that returns at most `n` bytes per call (exercises `fill`).
struct Trickle<'a>(&'a [u8], usize);

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.len().min(buf.len()).min(self.1);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fn filler(n: usize) -> Vec<u8> {
    let line = b"some ordinary text, nothing to see here; author: jane\n";
    let mut v: Vec<u8> = line.iter().copied().cycle().take(n).collect();
    if let Some(last) = v.last_mut() {
        *last = b'\n';
    }
    v
}

#[test]
fn secret_straddling_every_chunk_boundary_is_found_exactly_once() {
    let tok = github_token(1);
    let s = Scanner::global();
    // Place the token at every offset around the first two commit boundaries.
    // Buffer = chunk + 2*overlap = 4608; first commit boundary at 4608-256.
    for start in (4608 - 256 - 50)..(4608 - 256 + 50) {
        let mut data = filler(start);
        data.extend_from_slice(tok.as_bytes());
        data.extend(filler(10_000));
        let whole = s.scan(&data);
        let streamed = s.scan_reader_with(Trickle(&data, 1000), &SMALL).unwrap();
        assert_eq!(whole.len(), 1, "offset {start}");
        assert_eq!(streamed.matches, whole, "offset {start}");
        assert_eq!(streamed.bytes_read, data.len() as u64);
    }
}

#[test]
fn many_secrets_across_many_chunks_match_whole_buffer_scan() {
    let s = Scanner::global();
    let mut data = Vec::new();
    let mut expected = 0;
    for i in 0..200u64 {
        data.extend(filler(97 * (i as usize % 13) + 500));
        data.extend_from_slice(format!("export T{i}={}\n", github_token(i + 10)).as_bytes());
        expected += 1;
        if i % 7 == 0 {
            // a context-dependent secret: keyword before, value after
            data.extend_from_slice(
                format!("aws_secret_access_key = {}\n", base64ish(40, i)).as_bytes(),
            );
            expected += 1;
        }
    }
    let whole = s.scan(&data);
    assert_eq!(whole.len(), expected);
    let streamed = s.scan_reader_with(&data[..], &SMALL).unwrap();
    assert_eq!(streamed.matches, whole);
    let default = s.scan_reader(&data[..]).unwrap();
    assert_eq!(default.matches, whole);
}

#[test]
fn long_pem_block_across_chunks_is_reported_whole() {
    let s = Scanner::global();
    let body: String = (0..40).map(|i| base64ish(64, i) + "\n").collect(); // ~2.6 KB > overlap
    let block = format!(
        "-----BEGIN RSA {}-----\n{body}-----END RSA PRIVATE KEY-----",
        "PRIVATE KEY"
    );
    for start in [3000usize, 3500, 4000, 4300] {
        let mut data = filler(start);
        data.extend_from_slice(block.as_bytes());
        data.extend(filler(6000));
        let whole = s.scan(&data);
        assert_eq!(whole.len(), 1);
        assert_eq!(whole[0].range.len(), block.len());
        let streamed = s.scan_reader_with(&data[..], &SMALL).unwrap();
        assert_eq!(streamed.matches, whole, "start {start}");
    }
}

#[test]
fn line_numbers_survive_chunking() {
    let s = Scanner::global();
    let mut data = Vec::new();
    for i in 0..3000 {
        data.extend_from_slice(format!("line {i} é\n").as_bytes());
    }
    data.extend_from_slice(format!("  x = {}\n", github_token(5)).as_bytes());
    let streamed = s.scan_reader_with(&data[..], &SMALL).unwrap();
    assert_eq!(streamed.matches.len(), 1);
    assert_eq!(
        (streamed.matches[0].line, streamed.matches[0].column),
        (3001, 7)
    );
}

#[test]
fn binaries_are_detected_and_skipped_or_scanned() {
    let s = Scanner::global();
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.extend_from_slice(github_token(6).as_bytes());
    let r = s.scan_reader(&elf[..]).unwrap();
    assert_eq!(r.binary, Some(BinaryKind::Elf));
    assert!(r.skipped && r.matches.is_empty());
    let r = s
        .scan_reader_with(
            &elf[..],
            &ReaderOptions {
                skip_binary: false,
                ..ReaderOptions::default()
            },
        )
        .unwrap();
    assert_eq!(r.binary, Some(BinaryKind::Elf));
    assert!(!r.skipped);
    assert_eq!(
        r.matches.len(),
        1,
        "secrets embedded in binaries are still found when asked"
    );
    let text = s.scan_reader(&b"hello\n"[..]).unwrap();
    assert_eq!(text.binary, None);
    assert!(!text.skipped);
}

#[test]
fn empty_and_tiny_inputs() {
    let s = Scanner::global();
    assert!(s.scan(b"").is_empty());
    assert!(s.scan_reader(&b""[..]).unwrap().matches.is_empty());
    assert!(s.scan(b"://").is_empty());
    assert!(s.scan(b"password=").is_empty());
}

// ---------------------------------------------------------------------------
// Redaction never leaks

fn corpus_of_secrets() -> Vec<(String, String)> {
    // (text, raw secret that must never be printed)
    let gh = github_token(7);
    let aws = base64ish(40, 8);
    let pw = alnum(18, 9);
    let pem_body = base64ish(64, 10);
    let pem = format!(
        "-----BEGIN OPENSSH {}-----\n{pem_body}\n-----END OPENSSH PRIVATE KEY-----",
        "PRIVATE KEY"
    );
    let jwt = format!(
        "{}.{}.{}",
        b64url(r#"{"alg":"HS256"}"#),
        b64url(r#"{"sub":"x"}"#),
        alnum(30, 11)
    );
    let stripe = cat(&["sk", "_live_", &alnum(30, 12)]);
    vec![
        (
            format!("RUN curl -H 'Authorization: token {gh}' https://api.github.com"),
            gh.clone(),
        ),
        (format!("ENV AWS_SECRET_ACCESS_KEY={aws}"), aws),
        (format!("RUN mysql -h db --password={pw} app"), pw.clone()),
        (
            format!("git clone https://ci:{pw}@git.example.com/x.git"),
            pw,
        ),
        (format!("COPY <<EOF /root/.ssh/id\n{pem}\nEOF"), pem_body),
        (format!("curl -H \"Authorization: Bearer {jwt}\""), jwt),
        (format!("STRIPE={stripe}"), stripe),
    ]
}

#[test]
fn redacted_outputs_never_contain_the_raw_secret() {
    let s = Scanner::global();
    for (text, raw) in corpus_of_secrets() {
        let matches = s.scan(text.as_bytes());
        assert!(
            !matches.is_empty(),
            "nothing found in {:?}",
            redact_text(&text)
        );
        for m in &matches {
            let outputs = [
                format!("{m}"),
                format!("{m:?}"),
                format!("{m:#?}"),
                serde_json::to_string(m).unwrap(),
                m.redacted.clone(),
            ];
            for out in outputs {
                assert!(!out.contains(&raw), "leak via {out}");
                assert!(out.contains("***") || !out.contains(&m.redacted));
            }
            // the rendering is fixed width: it never reveals the secret's length
            assert!(m.redacted.ends_with("***") || m.redacted.ends_with("***@"));
        }
        let red = redact_text(&text);
        assert!(!red.contains(&raw), "redact_text leaked: {red}");
        assert!(red.contains("***"));
        // redaction is idempotent
        assert_eq!(redact_text(&red), red);
        // reader report
        let report = s.scan_reader(text.as_bytes()).unwrap();
        assert!(!format!("{report:?}").contains(&raw));
        assert!(!serde_json::to_string(&report).unwrap().contains(&raw));
    }
}

#[test]
fn redact_text_is_borrowed_when_clean_and_strict_on_weak_passwords() {
    let clean = "RUN apt-get update && apt-get install -y curl # author: me";
    assert!(matches!(redact_text(clean), std::borrow::Cow::Borrowed(_)));
    // Too weak to report as a finding, but never echoed either.
    let weak = "RUN echo password=hunter2 > /etc/app.conf";
    assert!(Scanner::global().scan(weak.as_bytes()).is_empty());
    assert_eq!(redact_text(weak), "RUN echo password=*** > /etc/app.conf");
    // Multi-byte text around a secret stays valid UTF-8.
    let s = format!("é→ token: {} ←é", github_token(12));
    assert_eq!(redact_text(&s), "é→ token: ghp_*** ←é");
}

// ---------------------------------------------------------------------------
// Named assignments

#[test]
fn secret_by_name_only() {
    for (name, value) in [
        ("GITHUB_TOKEN", ""),
        ("TOKEN", "''"),
        ("NPM_TOKEN", "${NPM_TOKEN}"),
        ("DB_PASSWORD", "$DB_PASSWORD"),
        ("API_KEY", "changeme"),
        ("AWS_SECRET_ACCESS_KEY", "<your secret>"),
    ] {
        let v = check_assignment(name, value).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(v.kind, VerdictKind::Name, "{name}={value}");
        assert!(v.by_name() && !v.by_value());
        assert_eq!(v.redacted_value, value);
    }
}

#[test]
fn secret_by_value_and_both() {
    let gh = github_token(13);
    let v = check_assignment("SOME_SETTING", &gh).unwrap();
    assert_eq!(v.kind, VerdictKind::Value);
    assert_eq!(v.matches[0].rule_id, "github-pat");
    assert_eq!(v.matches[0].range, 0..gh.len());
    assert_eq!(v.redacted_value, "ghp_***");

    let v = check_assignment("GITHUB_TOKEN", &format!("\"{gh}\"")).unwrap();
    assert_eq!(v.kind, VerdictKind::NameAndValue);
    assert_eq!(
        v.matches[0].range,
        1..gh.len() + 1,
        "ranges index the value as given"
    );
    assert_eq!(v.redacted_value, "\"ghp_***\"");

    let v = check_assignment("DB_PASSWORD", "hunter2").unwrap();
    assert_eq!(
        v.kind,
        VerdictKind::NameAndValue,
        "a weak literal password is still a literal secret"
    );
    assert_eq!(v.redacted_value, "***");
    assert!(!format!("{v} {v:?} {}", serde_json::to_string(&v).unwrap()).contains("hunter2"));

    let aws = base64ish(40, 14);
    let v = check_assignment("AWS_SECRET_ACCESS_KEY", &aws).unwrap();
    assert_eq!(v.kind, VerdictKind::NameAndValue);
    assert_eq!(v.matches[0].rule_id, "aws-secret-access-key");
    assert!(!format!("{v:?}").contains(&aws));
}

#[test]
fn public_identifiers_are_not_secrets() {
    for (name, value) in [
        ("GPG_KEY", "A035C8C19219BA821ECEA86B64E628F8D684696D"),
        (
            "GPG_KEYS",
            "B42F6819007F00F88E364FD4036A9C25BF357DD4 C4F0DFFF4E8C1A8236409D08E73BC641CC11F4C8",
        ),
        ("NGINX_GPG_KEY", "573BFD6B3D8FBC641079A6ABABF5BD827BD9BF62"),
        (
            "PYTHON_PGP_KEY_IDS",
            "0x64E628F8D684696D 0x2D347EA6AA65421D",
        ),
        (
            "NODE_PGP_KEY_ID",
            "4ED778F539E3634C779C87C6D7062848A1AB005C",
        ),
        ("AWS_ACCESS_KEY_ID", "${AWS_ACCESS_KEY_ID}"),
        ("PUBLIC_KEY", "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEx8sYfGm3"),
        ("NEXT_PUBLIC_API_KEY", "pk_live_abc"),
        (
            "SIGNING_KEY",
            "4ED7 78F5 39E3 634C 779C  87C6 D706 2848 A1AB 005C",
        ),
        ("DB_USERNAME", "admin"),
        ("USER", "app"),
        ("NODE_VERSION", "22.11.0"),
        ("PATH", "/usr/local/bin:/usr/bin"),
        ("PASSWORD_FILE", "/run/secrets/db"),
        ("ENABLE_BASIC_AUTH", "true"),
        ("HF_HUB_DISABLE_TOKEN", "1"),
    ] {
        assert_eq!(check_assignment(name, value), None, "{name}={value}");
    }
}

#[test]
fn allow_listed_names_still_catch_provider_secrets() {
    let key = cat(&["AK", "IA", &upper32(16, 15)]);
    let v = check_assignment("GPG_KEY", &key).unwrap();
    assert_eq!(v.kind, VerdictKind::Value);
    assert_eq!(v.matches[0].rule_id, "aws-access-key-id");
}

// ---------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn scanning_arbitrary_bytes_never_panics(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let s = Scanner::global();
        for m in s.scan(&data) {
            prop_assert!(m.range.start < m.range.end && m.range.end <= data.len());
            prop_assert!(m.line >= 1 && m.column >= 1);
        }
        let r = s.scan_reader_with(&data[..], &ReaderOptions { chunk_size: 256, overlap: 64, skip_binary: false }).unwrap();
        for m in &r.matches {
            prop_assert!(m.range.end <= data.len());
        }
        let _ = s.redact_bytes(&data);
    }

    #[test]
    fn keyword_soup_never_panics_and_ranges_are_in_bounds(
        parts in proptest::collection::vec(prop_oneof![
            Just("password=".to_owned()), Just("://".to_owned()), Just("ghp_".to_owned()),
            Just("-----BEGIN RSA PRIVATE KEY-----".to_owned()), Just("eyJ".to_owned()), Just("\"auth\":\"".to_owned()),
            Just("aws_secret_access_key=".to_owned()), Just("AKIA".to_owned()), Just("@".to_owned()), Just(":".to_owned()),
            "[A-Za-z0-9+/=_-]{0,48}", "[ \\t\\n\"'é]{0,3}",
        ], 0..64)
    ) {
        let text = parts.concat();
        let s = Scanner::global();
        for m in s.scan(text.as_bytes()) {
            prop_assert!(m.range.end <= text.len());
            prop_assert!(m.redacted.contains("***"));
        }
        let streamed = s.scan_reader_with(text.as_bytes(), &ReaderOptions { chunk_size: 256, overlap: 64, skip_binary: false }).unwrap();
        for m in &streamed.matches {
            prop_assert!(m.range.end <= text.len());
        }
        let red = s.redact_text(&text);
        prop_assert!(std::str::from_utf8(red.as_bytes()).is_ok());
    }
}

#[test]
fn a_binary_file_is_given_up_after_its_head() {
    // 8 MiB with a NUL early: only the sniffed head is read, not a chunk.
    let mut data = vec![b'a'; 8 << 20];
    data[100] = 0;
    let report = Scanner::global()
        .scan_reader_with(&data[..], &ReaderOptions::default())
        .unwrap();
    assert!(report.skipped);
    assert_eq!(report.bytes_read, drydock_secrets::BINARY_SNIFF_LEN as u64);
    // A text file of the same size is read to its end.
    data[100] = b'a';
    let report = Scanner::global()
        .scan_reader_with(&data[..], &ReaderOptions::default())
        .unwrap();
    assert!(!report.skipped);
    assert_eq!(report.bytes_read, data.len() as u64);
}
