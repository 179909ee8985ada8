//! Positive and negative vectors per rule. Every fake token is assembled at
//! test time (prefix split from body) so this file does not itself look like
//! it contains live credentials to other scanners.

mod common;

use common::*;
use drydock_secrets::{Scanner, Severity};

fn ids(text: &str) -> Vec<&'static str> {
    Scanner::global()
        .scan(text.as_bytes())
        .into_iter()
        .map(|m| m.rule_id)
        .collect()
}

#[track_caller]
fn assert_finds(text: &str, rule: &str) {
    let found = Scanner::global().scan(text.as_bytes());
    assert!(
        found.iter().any(|m| m.rule_id == rule),
        "expected {rule} in {:?}, got {:?}",
        redact_for_msg(text),
        found.iter().map(|m| m.rule_id).collect::<Vec<_>>()
    );
}

#[track_caller]
fn assert_clean(text: &str) {
    let found = ids(text);
    assert!(
        found.is_empty(),
        "expected nothing in {text:?}, got {found:?}"
    );
}

fn redact_for_msg(text: &str) -> String {
    Scanner::global().redact_text(text).into_owned()
}

#[test]
fn aws_access_key_id() {
    let key = cat(&["AK", "IA", &upper32(16, 1)]);
    assert_finds(&format!("aws_access_key_id = {key}\n"), "aws-access-key-id");
    assert_finds(
        &format!("\"{}\"", cat(&["AS", "IA", &upper32(16, 2)])),
        "aws-access-key-id",
    );
    // lower case, too short, glued into a longer word, wrong alphabet
    assert_clean(&format!("x = {}", key.to_ascii_lowercase()));
    assert_clean(&format!("x = {}", &key[..18]));
    assert_clean(&format!("x = X{key}Y"));
    assert_clean("the fantasia of asia and acacia");
}

#[test]
fn aws_secret_access_key_needs_context() {
    let secret = base64ish(40, 3);
    assert_finds(
        &format!("aws_secret_access_key = {secret}\n"),
        "aws-secret-access-key",
    );
    assert_finds(
        &format!("AWS_SECRET_ACCESS_KEY=\"{secret}\""),
        "aws-secret-access-key",
    );
    assert_finds(
        &format!("{{\"SecretAccessKey\": \"{secret}\"}}"),
        "aws-secret-access-key",
    );
    assert_finds(
        &format!("aws configure set aws_secret_access_key {secret}"),
        "aws-secret-access-key",
    );
    // the same 40 characters without an AWS keyword are not reported as AWS
    assert!(!ids(&format!("checksum = {secret}")).contains(&"aws-secret-access-key"));
    // 41 characters: not an AWS secret
    assert!(!ids(&format!("aws_secret_access_key = {secret}Q")).contains(&"aws-secret-access-key"));
    // AWS documentation example key
    assert!(
        !ids(&cat(&[
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY",
            "EXAMPLEKEY"
        ]))
        .contains(&"aws-secret-access-key")
    );
}

#[test]
fn github_tokens() {
    for (prefix, rule) in [
        ("ghp_", "github-pat"),
        ("gho_", "github-oauth-token"),
        ("ghu_", "github-user-token"),
        ("ghs_", "github-app-token"),
        ("ghr_", "github-refresh-token"),
    ] {
        let tok = cat(&[&prefix[..2], &prefix[2..], &alnum(36, 4)]);
        assert_finds(&format!("token: {tok}"), rule);
        assert_clean(&format!("id {}", &tok[..30])); // too short
        assert_clean(&format!("x{tok}")); // not at a word boundary
    }
    let fine = cat(&["github", "_pat_", &alnum(22, 5), "_", &alnum(59, 6)]);
    assert_finds(&format!("GH={fine}"), "github-fine-grained-pat");
    assert_clean(&cat(&["github", "_pat_", "short"]));
}

#[test]
fn gitlab_tokens() {
    let pat = cat(&["gl", "pat-", &alnum(20, 7)]);
    assert_finds(&format!("GITLAB={pat}"), "gitlab-pat");
    for p in [
        "gldt-", "glrt-", "gloas-", "glcbt-", "glptt-", "glft-", "glimt-", "glagent-", "glsoat-",
        "glffct-",
    ] {
        assert_finds(
            &format!("t = {}", cat(&[&p[..2], &p[2..], &alnum(24, 8)])),
            "gitlab-token",
        );
    }
    assert_finds(&cat(&["GR13", "48941", &alnum(20, 9)]), "gitlab-token");
    assert_clean(&cat(&["gl", "pat-", "tooshort"]));
    assert_clean("see glrt-docs for runner tokens");
}

#[test]
fn slack() {
    let bot = cat(&[
        "xo",
        "xb-",
        &digits(12, 1),
        "-",
        &digits(13, 2),
        "-",
        &alnum(24, 10),
    ]);
    assert_finds(&bot, "slack-bot-token");
    let user = cat(&[
        "xo",
        "xp-",
        &digits(12, 3),
        "-",
        &digits(12, 4),
        "-",
        &digits(13, 5),
        "-",
        &alnum(32, 11),
    ]);
    assert_finds(&user, "slack-user-token");
    let app = cat(&[
        "xa",
        "pp-1-",
        "A0123BCDEF",
        "-",
        &digits(13, 6),
        "-",
        &alnum(64, 12).to_ascii_lowercase(),
    ]);
    assert_finds(&app, "slack-app-token");
    let hook = cat(&[
        "https://hooks.",
        "slack.com/services/T",
        &upper32(8, 13),
        "/B",
        &upper32(10, 14),
        "/",
        &alnum(24, 15),
    ]);
    assert_finds(&format!("url: {hook}"), "slack-webhook-url");
    assert_clean("xoxb-not-a-token and https://hooks.slack.com/services/");
    let found = Scanner::global().scan(hook.as_bytes());
    assert_eq!(found[0].redacted, "https://hooks.slack.com/services/***");
}

#[test]
fn stripe_live_and_test_distinguished() {
    let body = alnum(24, 16);
    let cases = [
        ("sk", "_live_", "stripe-secret-key-live", Severity::Critical),
        ("sk", "_test_", "stripe-secret-key-test", Severity::Medium),
        ("rk", "_live_", "stripe-restricted-key-live", Severity::High),
        ("rk", "_test_", "stripe-restricted-key-test", Severity::Low),
    ];
    for (a, b, rule, sev) in cases {
        let found = Scanner::global().scan(format!("k = '{}'", cat(&[a, b, &body])).as_bytes());
        assert_eq!(found.len(), 1, "{rule}");
        assert_eq!(found[0].rule_id, rule);
        assert_eq!(found[0].severity, sev);
        assert_eq!(found[0].redacted, format!("{a}{b}***"));
    }
    assert_clean("pk_live_ is a publishable key prefix; sk_live_short");
}

#[test]
fn google_api_key() {
    let key = cat(&["AI", "za", &alnum(35, 17)]);
    assert_finds(&format!("key={key}&q=1"), "google-api-key");
    assert_clean(&format!("key={}", &key[..30]));
    assert_clean(&format!("key={key}X")); // 40 chars: not this shape
}

#[test]
fn gcp_service_account() {
    let body = base64ish(64 * 10, 18);
    let json = format!(
        "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"demo\",\n  \"private_key_id\": \"{}\",\n  \"private_key\": \"-----BEGIN {}-----\\n{}\\n-----END PRIVATE KEY-----\\n\",\n  \"client_email\": \"demo@demo.iam.gserviceaccount.com\"\n}}\n",
        hex(40, 19),
        "PRIVATE KEY",
        body
    );
    let found = Scanner::global().scan(json.as_bytes());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule_id, "gcp-service-account");
    assert_eq!(found[0].redacted, "-----BEGIN PRIVATE KEY-----***");
    // without the private key: nothing
    assert_clean("{\"type\": \"service_account\", \"project_id\": \"demo\"}");
}

#[test]
fn azure() {
    let key = cat(&[&base64ish(86, 20), "=="]);
    let conn = format!(
        "DefaultEndpointsProtocol=https;AccountName=demo;Account{}={key};EndpointSuffix=core.windows.net",
        "Key"
    );
    assert_finds(&conn, "azure-storage-account-key");
    let found = Scanner::global().scan(conn.as_bytes());
    assert_eq!(&conn[found[0].range.clone()], key);
    assert_clean("AccountKey=${STORAGE_KEY}");
    let sas = format!(
        "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=root;Shared{}={}=",
        "AccessKey",
        base64ish(43, 21)
    );
    assert_finds(&sas, "azure-shared-access-key");
    let client = cat(&["abc", "8Q~", &alnum(34, 22)]);
    assert_finds(
        &format!("AZURE_CLIENT_SECRET={client}"),
        "azure-client-secret",
    );
    assert_clean("a 8Q~ b");
}

#[test]
fn npm_and_pypi() {
    let npm = cat(&["np", "m_", &alnum(36, 23)]);
    assert_finds(
        &format!("//npm.example.test/:_authToken={npm}"),
        "npm-access-token",
    );
    assert_clean("npm_config_cache=/tmp/npm npm_package_version=1.2.3");
    let legacy =
        hex(8, 24) + "-" + &hex(4, 25) + "-" + &hex(4, 26) + "-" + &hex(4, 27) + "-" + &hex(12, 28);
    assert_finds(
        &format!("//npm.example.test/:_auth{}={legacy}", "Token"),
        "npmrc-auth-token",
    );
    assert_clean("//npm.example.test/:_authToken=${NPM_TOKEN}");
    assert_finds(&format!("  _auth = {legacy}"), "npmrc-auth-token");
    // Code that merely names an `…_auth` variable is not an .npmrc line.
    assert_clean("        proxy_auth = base64.b64encode(proxy_passwd.encode())");
    assert_clean("self.add_password = self.passwd.add_password");
    let pypi = cat(&["pypi-", "AgEIcHlwaS5vcmc", &alnum(70, 29)]);
    assert_finds(&format!("password = {pypi}"), "pypi-upload-token");
    assert_clean("pypi-AgEIcHlwaS5vcmc");
}

#[test]
fn docker_config_auths() {
    let auth = b64(&cat(&["robot", ":", &alnum(20, 30)]));
    let cfg = format!("{{\"auths\": {{\"registry.example.com\": {{\"auth\": \"{auth}\"}}}}}}");
    assert_finds(&cfg, "docker-config-auth");
    // base64 that does not decode to user:pass
    let not = b64("just-some-bytes-no-colon");
    assert!(
        !ids(&format!(
            "{{\"auths\": {{\"r\": {{\"auth\": \"{not}\"}}}}}}"
        ))
        .contains(&"docker-config-auth")
    );
    assert_clean("{\"auths\": {\"r\": {\"auth\": \"\"}}}");
}

#[test]
fn private_keys_report_the_block() {
    for kind in ["RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED ", ""] {
        let header = format!("-----BEGIN {kind}{}-----", "PRIVATE KEY");
        let block = format!(
            "{header}\n{}\n{}\n-----END {kind}PRIVATE KEY-----",
            base64ish(64, 31),
            base64ish(40, 32)
        );
        let text = format!("some file\n{block}\ntrailer\n");
        let found = Scanner::global().scan(text.as_bytes());
        assert_eq!(found.len(), 1, "{kind}");
        assert_eq!(found[0].rule_id, "private-key");
        assert_eq!(
            &text[found[0].range.clone()],
            block,
            "the whole block is reported"
        );
        assert_eq!(found[0].redacted, format!("{header}***"));
        assert_eq!((found[0].line, found[0].column), (2, 1));
    }
    // legacy encrypted PEM with headers
    let enc = format!(
        "-----BEGIN RSA {}-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,{}\n\n{}\n-----END RSA PRIVATE KEY-----\n",
        "PRIVATE KEY",
        hex(32, 33).to_ascii_uppercase(),
        base64ish(64, 34)
    );
    assert_finds(&enc, "private-key");
    assert_clean(
        "Keep your private key secret. -----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----",
    );
    assert_clean("-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----");
}

#[test]
fn jwt() {
    let header = b64url(r#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = b64url(r#"{"sub":"1234567890","name":"test"}"#);
    let token = format!("{header}.{payload}.{}", alnum(43, 35));
    assert_finds(&format!("Authorization: Bearer {token}"), "jwt");
    let found = Scanner::global().scan(token.as_bytes());
    assert_eq!(found[0].redacted, "eyJ***");
    // header that is not JSON
    let bogus = format!(
        "eyJ{}.eyJ{}.{}",
        alnum(20, 36),
        alnum(20, 37),
        alnum(10, 38)
    );
    assert_clean(&bogus);
    assert_clean("eyJ alone");
}

#[test]
fn url_credentials() {
    let pw = alnum(14, 39);
    let url = format!("postgres://app:{pw}@db.internal:5432/app");
    assert_finds(&format!("DATABASE_URL={url}"), "url-credentials");
    let found = Scanner::global().scan(url.as_bytes());
    assert_eq!(found[0].redacted, "postgres://***@");
    assert_eq!(
        Scanner::global().redact_text(&url),
        "postgres://***@db.internal:5432/app"
    );
    for clean in [
        "ssh://git@github.com/org/repo.git",
        "https://user@example.com/",
        "https://${USER}:${PASSWORD}@example.com/",
        "https://user:$TOKEN@example.com/",
        "http://localhost:8080/path@v1",
        "git@github.com:org/repo.git",
        "https://user:changeme@example.com/",
        "https://example.com:443@",
    ] {
        assert_clean(clean);
    }
}

#[test]
fn generic_assignments() {
    let value = mixed(24, 40);
    for text in [
        format!("password = \"{value}\""),
        format!("DB_PASSWORD={value}"),
        format!("client_secret: '{value}'"),
        format!("{{\"apiKey\": \"{value}\"}}"),
        format!("--auth-token={value}"),
        format!("$config['secret'] => '{value}';"),
    ] {
        assert_finds(&text, "generic-secret");
    }
    for text in [
        "password = os.environ.get(\"DB_PASSWORD\")",
        "password: ${DB_PASSWORD}",
        "token = self.session.token",
        "api_key = \"your_api_key_here\"",
        "secret: changeme",
        "password = \"xxxxxxxxxxxx\"",
        "password = \"<password>\"",
        "password_file = /run/secrets/db_password",
        "token: Optional[str] = None",
        "author = \"Jane Doe\"",
        "if token == \"abcdef123456XYZ\":",
        "secret = \"aaaaaaaaaaaaaaaa\"",
        "password = \"dummy-password-123\"",
        "token_type: bearer",
        "PUBLIC_KEY=MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
        "auth: true",
        // C++ and Java statements: identifiers, not literals (libstdc++'s regex_scanner.tcc).
        "_M_token = _S_token_subexpr_no_group_begin;",
        "this.authToken = refreshedTokenValue2;",
        // A documented choice (the JDK's management.properties).
        "# com.sun.management.jmxremote.ssl.need.client.auth=true|false",
    ] {
        assert_clean(text);
    }
}

#[test]
fn more_specific_rule_wins_over_generic() {
    let tok = cat(&["gh", "p_", &alnum(36, 41)]);
    let found = Scanner::global().scan(format!("token = \"{tok}\"").as_bytes());
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].rule_id, "github-pat");
}

#[test]
fn line_and_column_are_one_based_chars() {
    let tok = cat(&["gh", "p_", &alnum(36, 42)]);
    let text = format!("line one\n  é → {tok}\n");
    let found = Scanner::global().scan(text.as_bytes());
    assert_eq!((found[0].line, found[0].column), (2, 7));
    assert_eq!(&text[found[0].range.clone()], tok);
}

#[test]
fn rule_catalogue_is_stable() {
    let ids: Vec<_> = Scanner::builtin_rules().map(|r| r.id).collect();
    assert_eq!(ids.len(), 32);
    for id in [
        "aws-access-key-id",
        "github-pat",
        "private-key",
        "generic-secret",
        "url-credentials",
        "jwt",
    ] {
        assert!(ids.contains(&id), "{id}");
    }
}

#[test]
fn disabled_rules_and_allowed_fingerprints() {
    let tok = cat(&["gh", "p_", &alnum(36, 43)]);
    let s = Scanner::builder().disable_rule("github-pat").build();
    assert!(
        s.scan(tok.as_bytes())
            .iter()
            .all(|m| m.rule_id != "github-pat")
    );
    let fp = Scanner::global().scan(tok.as_bytes())[0].fingerprint;
    let s = Scanner::builder().allow_fingerprint(fp).build();
    assert!(s.scan(tok.as_bytes()).is_empty());
    // allow-listed secrets are still redacted
    assert_eq!(s.redact_text(&tok), "ghp_***");
    // fingerprints tell identical secrets apart
    let other = cat(&["gh", "p_", &alnum(36, 44)]);
    let both = Scanner::global().scan(format!("{tok} {other} {tok}").as_bytes());
    assert_eq!(both[0].fingerprint, both[2].fingerprint);
    assert_ne!(both[0].fingerprint, both[1].fingerprint);
}

#[test]
fn interpolated_values_are_not_generic_secrets() {
    let scanner = drydock_secrets::Scanner::global();
    // Debian's perl File/Fetch.pm, shipped in every bookworm image.
    assert!(
        scanner
            .scan(b"        \"-auth=anonymous:$FROM_EMAIL\",\n")
            .is_empty()
    );
    assert!(
        scanner
            .scan(b"curl -u admin:${ADMIN_PASS} http://x")
            .is_empty()
    );
    // A literal still counts, and so does a `$` that starts no interpolation.
    let pw = ["s3cr", "3t-Kx9!vQ2zW"].concat();
    assert_eq!(scanner.scan(format!("password={pw}").as_bytes()).len(), 1);
    assert_eq!(scanner.scan(format!("password={pw}$9").as_bytes()).len(), 1);
}

#[test]
fn openssl_pass_phrase_source_is_judged_by_its_password() {
    // bookworm's /etc/ssl/openssl.cnf, Insta Demo CA section.
    assert_clean("secret = pass:insta # can be used for both client and server side\n");
    // A real password behind `pass:` is still a secret, and redaction stays strict.
    let pw = mixed(20, 61);
    assert_finds(&format!("secret = pass:{pw}\n"), "generic-secret");
    assert_eq!(
        Scanner::global().redact_text("secret = pass:insta\n"),
        "secret = ***\n"
    );
}

#[test]
fn credential_placeholder_words_are_not_secrets() {
    for text in [
        // setuptools' package_index.py doctest.
        ">>> long_auth = 'username:' + 'password'*10\n",
        "auth = \"user:password\"",
        "credentials: 'username:password'",
        "password = \"foobar\"",
    ] {
        assert_clean(text);
    }
    let pw = mixed(20, 62);
    assert_finds(&format!("auth = \"deploy:{pw}\""), "generic-secret");
    assert_finds(&format!("password = \"foobar{pw}\""), "generic-secret");
}

#[test]
fn documentation_urls_with_placeholder_credentials() {
    for text in [
        // pip's topics/authentication.md.
        "https://user:he%2F%2Fo@pypi.company.com/simple",
        // a package description in bookworm's apt lists (Translation-en).
        "  connection = mysql://keystone:foobar@127.0.0.1/keystone",
        "http://user:pass@host/",
        "https://username:password@proxy.internal:3128",
        "socks5://foo:bar@127.0.0.1:1080",
    ] {
        assert_clean(text);
    }
    // The same shapes with real-looking passwords are still found.
    let pw = alnum(14, 63);
    for text in [
        format!("https://user:{pw}@pypi.company.com/simple"),
        format!("mysql://keystone:{pw}@127.0.0.1/keystone"),
        format!("amqp://guest:{pw}@rabbit:5672/"),
    ] {
        assert_finds(&text, "url-credentials");
    }
    // A short password is still reported when the user is not a placeholder.
    assert_finds("postgres://app:s3cr3t@db:5432/app", "url-credentials");
    // Redaction still masks documentation examples.
    assert_eq!(
        Scanner::global().redact_text("http://user:pass@host/"),
        "http://***@host/"
    );
}
