//! Faults a real registry does not produce on demand, from a scripted
//! wiremock stub on 127.0.0.1: 429 with `Retry-After`, 5xx, slow replies,
//! and a Bearer token flow.

use std::time::{Duration, Instant};

use drydock_registry::{Client, ClientConfig, Credentials, Digest, Error, OCI_MANIFEST, Reference};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn manifest_body() -> Vec<u8> {
    let d = Digest::sha256_of(b"{}");
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{d}","size":2}},"layers":[]}}"#
    )
    .into_bytes()
}

fn ok_manifest() -> ResponseTemplate {
    let body = manifest_body();
    ResponseTemplate::new(200)
        .insert_header("Content-Type", OCI_MANIFEST)
        .insert_header(
            "Docker-Content-Digest",
            Digest::sha256_of(&body).to_string().as_str(),
        )
        .set_body_bytes(body)
}

fn client(credentials: Credentials) -> Client {
    Client::new(ClientConfig {
        credentials,
        initial_backoff: Duration::from_millis(50),
        max_retries: 3,
        request_timeout: Duration::from_secs(2),
        ..ClientConfig::default()
    })
    .unwrap()
}

fn reference(server: &MockServer) -> Reference {
    let host = server.uri().trim_start_matches("http://").to_owned();
    Reference::parse(&format!("{host}/team/app:v1")).unwrap()
}

#[tokio::test]
async fn honours_retry_after_on_429() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/manifests/v1"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/manifests/v1"))
        .respond_with(ok_manifest())
        .expect(1)
        .mount(&server)
        .await;
    let t = Instant::now();
    let m = client(Credentials::Anonymous)
        .get_manifest(&reference(&server))
        .await
        .unwrap();
    assert_eq!(m.digest, Digest::sha256_of(&manifest_body()));
    // Waited the second the server asked for, not the 50 ms back-off.
    assert!(t.elapsed() >= Duration::from_secs(1), "{:?}", t.elapsed());
}

#[tokio::test]
async fn gives_up_at_once_when_retry_after_is_too_long() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let t = Instant::now();
    let e = client(Credentials::Anonymous)
        .head_manifest(&reference(&server))
        .await
        .unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(1));
    assert!(matches!(e, Error::RateLimited { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("team/app:v1") && msg.contains("429") && msg.contains("3600 s"),
        "{msg}"
    );
}

#[tokio::test]
async fn retries_5xx_then_succeeds_or_reports_the_status() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    let digest = Digest::sha256_of(&manifest_body());
    Mock::given(method("HEAD"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Docker-Content-Digest", digest.to_string().as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let c = client(Credentials::Anonymous);
    let r = reference(&server);
    assert_eq!(c.head_manifest(&r).await.unwrap().digest, digest);

    // Always failing: 1 try + 3 retries, then the status with the registry's message.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(502)
                .set_body_string(r#"{"errors":[{"code":"UNAVAILABLE","message":"backend down"}]}"#),
        )
        .expect(4)
        .mount(&server)
        .await;
    let e = c.get_manifest(&reference(&server)).await.unwrap_err();
    assert_eq!(e.status(), Some(502));
    let msg = e.to_string();
    assert!(
        msg.contains("HTTP 502")
            && msg.contains("UNAVAILABLE: backend down")
            && msg.contains("GET manifest v1"),
        "{msg}"
    );
}

#[tokio::test]
async fn slow_replies_time_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok_manifest().set_delay(Duration::from_secs(10)))
        .mount(&server)
        .await;
    let c = Client::new(ClientConfig {
        credentials: Credentials::Anonymous,
        request_timeout: Duration::from_millis(300),
        max_retries: 1,
        initial_backoff: Duration::from_millis(10),
        ..ClientConfig::default()
    })
    .unwrap();
    let t = Instant::now();
    let e = c.get_manifest(&reference(&server)).await.unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert!(matches!(e, Error::Transport { timeout: true, .. }), "{e}");
}

#[tokio::test]
async fn bearer_token_flow_with_basic_credentials_and_a_cached_token() {
    let server = MockServer::start().await;
    let realm = format!("{}/token", server.uri());
    Mock::given(method("GET"))
        .and(path("/v2/team/app/manifests/v1"))
        .and(header("Authorization", "Bearer tok-123"))
        .respond_with(ok_manifest())
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/team/app/manifests/v1"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "WWW-Authenticate",
            format!(r#"Bearer realm="{realm}",service="stub-registry",scope="repository:team/app:pull""#).as_str(),
        ))
        .expect(1)
        .mount(&server)
        .await;
    // "u:pw-tok" in Basic.
    Mock::given(method("GET"))
        .and(path("/token"))
        .and(query_param("service", "stub-registry"))
        .and(query_param("scope", "repository:team/app:pull"))
        .and(header("Authorization", "Basic dTpwdy10b2s="))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"token":"tok-123","expires_in":300}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    let host = server.uri().trim_start_matches("http://").to_owned();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        format!(r#"{{"auths":{{"{host}":{{"username":"u","password":"pw-tok"}}}}}}"#),
    )
    .unwrap();
    let c = client(Credentials::DockerConfig(Some(dir.path().into())));
    let r = reference(&server);
    c.get_manifest(&r).await.unwrap();
    // The second request reuses the cached token: no 401, no token request.
    c.get_manifest(&r).await.unwrap();
    assert!(!format!("{c:?}").contains("tok-123"));
}

#[tokio::test]
async fn token_endpoint_refusal_is_an_auth_error_without_secrets() {
    let server = MockServer::start().await;
    let realm = format!("{}/token", server.uri());
    Mock::given(method("GET"))
        .and(path("/v2/team/app/manifests/v1"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "WWW-Authenticate",
            format!(r#"Bearer realm="{realm}",service="stub""#).as_str(),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    let host = server.uri().trim_start_matches("http://").to_owned();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        format!(r#"{{"auths":{{"{host}":{{"username":"u","password":"hunter2-pw"}}}}}}"#),
    )
    .unwrap();
    let e = client(Credentials::DockerConfig(Some(dir.path().into())))
        .get_manifest(&reference(&server))
        .await
        .unwrap_err();
    let msg = format!("{e} {e:?}");
    assert!(
        matches!(e, Error::Auth { .. }) && msg.contains("token endpoint answered HTTP 401"),
        "{msg}"
    );
    assert!(!msg.contains("hunter2-pw"), "{msg}");
}

#[tokio::test]
async fn manifest_not_matching_its_digest_header_is_rejected() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok_manifest().insert_header(
            "Docker-Content-Digest",
            Digest::sha256_of(b"other").to_string().as_str(),
        ))
        .mount(&server)
        .await;
    let e = client(Credentials::Anonymous)
        .get_manifest(&reference(&server))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::DigestMismatch { .. }), "{e}");
}

#[tokio::test]
async fn oversized_manifest_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b' '; 4096]))
        .mount(&server)
        .await;
    let c = Client::new(ClientConfig {
        credentials: Credentials::Anonymous,
        max_json_bytes: 1024,
        ..ClientConfig::default()
    })
    .unwrap();
    let e = c.get_manifest(&reference(&server)).await.unwrap_err();
    assert!(matches!(e, Error::TooLarge { limit: 1024, .. }), "{e}");
}
