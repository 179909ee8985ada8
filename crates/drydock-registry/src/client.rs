//! The async client: authentication, retries, manifests and blobs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{
    ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{Method, RequestBuilder, Response};
use tokio::sync::Semaphore;

use crate::auth::{Challenge, Credential, Credentials, Secret, TokenReply};
use crate::digest::{Digest, Hasher};
use crate::error::{Error, Result};
use crate::manifest::{
    Descriptor, ImageIndex, ImageManifest, MANIFEST_ACCEPT, ManifestDocument, ParseError, Platform,
};
use crate::reference::Reference;

/// Client settings. The defaults suit both one-off pulls and polling many
/// references.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Where credentials come from (default: the Docker client configuration).
    pub credentials: Credentials,
    /// TCP/TLS connect timeout (default 10 s).
    pub connect_timeout: Duration,
    /// Whole-request timeout for manifests, configs, tokens and `HEAD`s
    /// (default 60 s). Blob bodies are bounded by `read_timeout` instead.
    pub request_timeout: Duration,
    /// Longest silence while reading any body (default 60 s).
    pub read_timeout: Duration,
    /// Retries after a 429, a 5xx or a connection failure (default 4).
    pub max_retries: u32,
    /// First back-off; doubles per retry (default 500 ms).
    pub initial_backoff: Duration,
    /// Longest `Retry-After` honoured; a registry asking for more fails the
    /// request at once with [`Error::RateLimited`] (default 60 s).
    pub max_retry_after: Duration,
    /// Largest manifest, index, config or token reply (default 16 MiB).
    pub max_json_bytes: u64,
    /// Requests in flight at once across all clones of the client (default
    /// 32). A blob body being read does not hold a slot.
    pub max_concurrent_requests: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            credentials: Credentials::default(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(60),
            max_retries: 4,
            initial_backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(60),
            max_json_bytes: 16 << 20,
            max_concurrent_requests: 32,
        }
    }
}

/// An OCI distribution client. Cheap to clone (clones share connections,
/// credentials, tokens and the concurrency limit); `Send + Sync`.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    registries: Mutex<HashMap<String, RegistryAuth>>,
    permits: Semaphore,
}

/// What is known about authenticating to one registry.
#[derive(Default)]
struct RegistryAuth {
    credential: Option<Credential>,
    scheme: Scheme,
    /// Bearer tokens by scope, with their expiry.
    tokens: HashMap<String, (Secret, Instant)>,
}

#[derive(Default, Clone)]
enum Scheme {
    /// Not challenged yet: requests go out anonymously.
    #[default]
    Unknown,
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// The answer to a `HEAD` on a manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestHead {
    /// The manifest (or index) digest: `Docker-Content-Digest`, or the hash
    /// of the body when the registry does not send that header.
    pub digest: Digest,
    /// `Content-Type`.
    pub media_type: Option<String>,
    /// `Content-Length`.
    pub size: Option<u64>,
}

/// A fetched manifest or index, verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Digest of [`Manifest::bytes`] (equal to the pinned digest, if any).
    pub digest: Digest,
    /// `Content-Type`, or the document's `mediaType`.
    pub media_type: Option<String>,
    /// The document as served.
    pub bytes: Vec<u8>,
    /// The parsed document.
    pub document: ManifestDocument,
}

/// An image manifest reached from a reference, through an index if the
/// reference names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedImage {
    /// The reference as asked for.
    pub reference: Reference,
    /// Digest of the index the reference named, if it named one (what a tag
    /// points to, and what `docker push` prints for multi-platform images).
    pub index_digest: Option<Digest>,
    /// The index entry's platform, if chosen from an index.
    pub platform: Option<Platform>,
    /// Digest of the image manifest.
    pub manifest_digest: Digest,
    /// The image manifest as served.
    pub manifest_bytes: Vec<u8>,
    /// The parsed image manifest.
    pub manifest: ImageManifest,
}

impl ResolvedImage {
    /// The reference pinned to the image manifest's digest (for blob requests
    /// and messages).
    pub fn pinned(&self) -> Reference {
        self.reference.with_digest(self.manifest_digest.clone())
    }
}

/// How deep indexes may nest before the client gives up.
const MAX_INDEX_DEPTH: usize = 4;
/// Largest error body read for its message.
const MAX_ERROR_BODY: u64 = 64 << 10;

impl Client {
    /// A client with `config`.
    pub fn new(config: ClientConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("drydock/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .build()
            .map_err(|e| Error::Transport {
                reference: "(client)".into(),
                operation: "building the HTTP client".into(),
                message: e.to_string(),
                timeout: false,
            })?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                permits: Semaphore::new(config.max_concurrent_requests.max(1)),
                config,
                registries: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// `HEAD`s the manifest `reference` names: its digest without
    /// downloading it (registries do not count `HEAD`s against pull limits).
    /// Falls back to a `GET` if the registry omits `Docker-Content-Digest`.
    pub async fn head_manifest(&self, reference: &Reference) -> Result<ManifestHead> {
        let operation = format!("HEAD manifest {}", reference.manifest_reference());
        let url = manifest_url(reference);
        let resp = self
            .send(
                reference,
                &operation,
                Method::HEAD,
                &url,
                Some(MANIFEST_ACCEPT),
                true,
            )
            .await?;
        let resp = self.check_status(reference, &operation, resp).await?;
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let media_type = header(CONTENT_TYPE.as_str());
        let size = header(CONTENT_LENGTH.as_str()).and_then(|s| s.parse().ok());
        match header("docker-content-digest") {
            Some(d) => {
                let digest = d.parse::<Digest>().map_err(|m| Error::Status {
                    reference: reference.to_string(),
                    operation: operation.clone(),
                    status: resp.status().as_u16(),
                    detail: format!("bad Docker-Content-Digest header: {m}"),
                })?;
                if let Some(want) = reference.digest()
                    && want != &digest
                {
                    return Err(Error::DigestMismatch {
                        reference: reference.to_string(),
                        what: "manifest (Docker-Content-Digest)".into(),
                        expected: want.to_string(),
                        actual: digest.to_string(),
                    });
                }
                Ok(ManifestHead {
                    digest,
                    media_type,
                    size,
                })
            }
            None => {
                let m = self.get_manifest(reference).await?;
                Ok(ManifestHead {
                    digest: m.digest,
                    media_type: m.media_type,
                    size: Some(m.bytes.len() as u64),
                })
            }
        }
    }

    /// `GET`s the manifest or index `reference` names, bounded by
    /// [`ClientConfig::max_json_bytes`] and verified: against the pinned
    /// digest if there is one, else against `Docker-Content-Digest` if sent.
    pub async fn get_manifest(&self, reference: &Reference) -> Result<Manifest> {
        let operation = format!("GET manifest {}", reference.manifest_reference());
        let url = manifest_url(reference);
        let resp = self
            .send(
                reference,
                &operation,
                Method::GET,
                &url,
                Some(MANIFEST_ACCEPT),
                true,
            )
            .await?;
        let resp = self.check_status(reference, &operation, resp).await?;
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(';').next().unwrap_or(s).trim().to_owned());
        let header_digest = resp
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| s.parse::<Digest>().ok());
        let what = "manifest";
        let bytes = self.read_json_body(reference, what, resp).await?;
        let expected = reference.digest().cloned().or(header_digest);
        let digest = match &expected {
            Some(want) => {
                let mut h = want.hasher();
                h.update(&bytes);
                let got = h.finish();
                if &got != want {
                    return Err(Error::DigestMismatch {
                        reference: reference.to_string(),
                        what: what.into(),
                        expected: want.to_string(),
                        actual: got.to_string(),
                    });
                }
                got
            }
            None => Digest::sha256_of(&bytes),
        };
        let document =
            ManifestDocument::parse(&bytes, content_type.as_deref()).map_err(|e| match e {
                ParseError::Json(e) => Error::json(&reference.to_string(), what, &e),
                ParseError::Unsupported(message) => Error::Unsupported {
                    reference: reference.to_string(),
                    message,
                },
            })?;
        let media_type = match &document {
            ManifestDocument::Image(m) => m.media_type.clone(),
            ManifestDocument::Index(i) => i.media_type.clone(),
        }
        .or(content_type);
        Ok(Manifest {
            digest,
            media_type,
            bytes,
            document,
        })
    }

    /// Resolves `reference` to an image manifest, choosing the entry for
    /// `platform` when it names an index (nested indexes are followed, up to
    /// 4 deep). Each child's bytes are checked against its index descriptor.
    pub async fn resolve_image(
        &self,
        reference: &Reference,
        platform: &Platform,
    ) -> Result<ResolvedImage> {
        let mut current = reference.clone();
        let mut index_digest = None;
        let mut chosen_platform = None;
        let mut expected_size = None;
        for _ in 0..=MAX_INDEX_DEPTH {
            let m = self.get_manifest(&current).await?;
            if let Some(size) = expected_size
                && size != m.bytes.len() as u64
            {
                return Err(Error::SizeMismatch {
                    reference: current.to_string(),
                    what: "manifest".into(),
                    expected: size,
                    actual: m.bytes.len() as u64,
                });
            }
            match m.document {
                ManifestDocument::Image(manifest) => {
                    return Ok(ResolvedImage {
                        reference: reference.clone(),
                        index_digest,
                        platform: chosen_platform,
                        manifest_digest: m.digest,
                        manifest_bytes: m.bytes,
                        manifest,
                    });
                }
                ManifestDocument::Index(index) => {
                    index_digest.get_or_insert(m.digest);
                    let child = pick_platform(&index, platform, &current)?;
                    chosen_platform.clone_from(&child.platform);
                    expected_size = Some(child.size);
                    current = reference.with_digest(child.digest.clone());
                }
            }
        }
        Err(Error::Unsupported {
            reference: reference.to_string(),
            message: format!("image indexes nested deeper than {MAX_INDEX_DEPTH}"),
        })
    }

    /// Fetches a small blob (a config) whole, bounded by
    /// [`ClientConfig::max_json_bytes`], verified against `desc`'s digest and size.
    pub async fn get_blob_bytes(
        &self,
        reference: &Reference,
        desc: &Descriptor,
    ) -> Result<Vec<u8>> {
        let what = format!("blob {}", desc.digest);
        let limit = self.inner.config.max_json_bytes;
        if desc.size > limit {
            return Err(Error::TooLarge {
                reference: reference.to_string(),
                what,
                limit,
            });
        }
        let mut stream = self.get_blob(reference, desc).await?;
        let mut out = Vec::with_capacity(usize::try_from(desc.size).unwrap_or(0));
        while let Some(chunk) = stream.chunk().await? {
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// The image's config blob, verified.
    pub async fn get_config(&self, image: &ResolvedImage) -> Result<Vec<u8>> {
        self.get_blob_bytes(&image.pinned(), &image.manifest.config)
            .await
    }

    /// Starts streaming the blob `desc` describes. The stream checks the
    /// size as it goes and the digest at the end (see [`BlobStream`]).
    pub async fn get_blob(&self, reference: &Reference, desc: &Descriptor) -> Result<BlobStream> {
        let operation = format!("GET blob {}", desc.digest);
        let url = format!(
            "{}/v2/{}/blobs/{}",
            reference.base_url(),
            reference.repository(),
            desc.digest
        );
        let resp = self
            .send(reference, &operation, Method::GET, &url, None, false)
            .await?;
        let resp = self.check_status(reference, &operation, resp).await?;
        if let Some(len) = resp.content_length()
            && len != desc.size
        {
            return Err(Error::SizeMismatch {
                reference: reference.to_string(),
                what: format!("blob {}", desc.digest),
                expected: desc.size,
                actual: len,
            });
        }
        Ok(BlobStream {
            response: resp,
            reference: reference.to_string(),
            expected: desc.digest.clone(),
            size: desc.size,
            hasher: Some(desc.digest.hasher()),
            received: 0,
            finished: false,
        })
    }

    /// Sends a request with authentication, retrying 429 (honouring
    /// `Retry-After`), 5xx and connection failures with exponential back-off.
    /// Returns the final response whatever its status.
    async fn send(
        &self,
        reference: &Reference,
        operation: &str,
        method: Method,
        url: &str,
        accept: Option<&str>,
        bounded: bool,
    ) -> Result<Response> {
        let scope = format!("repository:{}:pull", reference.repository());
        let mut authenticated = false;
        loop {
            let auth = self.auth_header(reference, &scope).await?;
            let resp = self
                .execute(reference, operation, || {
                    let mut req = self.inner.http.request(method.clone(), url);
                    if let Some(a) = accept {
                        req = req.header(ACCEPT, a);
                    }
                    if let Some(h) = &auth {
                        req = req.header(AUTHORIZATION, h.expose());
                    }
                    if bounded {
                        req = req.timeout(self.inner.config.request_timeout);
                    }
                    req
                })
                .await?;
            if resp.status().as_u16() != 401 {
                return Ok(resp);
            }
            if authenticated {
                let had_credentials =
                    !matches!(self.credential(reference).await?, Credential::Anonymous);
                return Err(Error::Auth {
                    reference: reference.to_string(),
                    message: if had_credentials {
                        format!(
                            "{operation}: the registry rejected the configured credentials (HTTP 401)"
                        )
                    } else {
                        format!(
                            "{operation}: HTTP 401 and no credentials configured for {} (docker login {})",
                            reference.registry(),
                            reference.registry()
                        )
                    },
                });
            }
            authenticated = true;
            let challenge = resp
                .headers()
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok())
                .and_then(Challenge::parse);
            self.authenticate(reference, operation, &scope, challenge)
                .await?;
        }
    }

    /// Runs `make()`'s request, retrying transient failures.
    async fn execute(
        &self,
        reference: &Reference,
        operation: &str,
        make: impl Fn() -> RequestBuilder,
    ) -> Result<Response> {
        let config = &self.inner.config;
        let mut attempt = 0;
        loop {
            let result = {
                let _permit = self.inner.permits.acquire().await;
                make().send().await
            };
            let delay = match result {
                Ok(resp) => match resp.status().as_u16() {
                    429 => {
                        let retry_after = retry_after(&resp);
                        if attempt >= config.max_retries
                            || retry_after.is_some_and(|d| d > config.max_retry_after)
                        {
                            return Err(Error::RateLimited {
                                reference: reference.to_string(),
                                operation: operation.to_owned(),
                                retry_after,
                            });
                        }
                        retry_after.unwrap_or_else(|| backoff(config.initial_backoff, attempt))
                    }
                    500 | 502 | 503 | 504 if attempt < config.max_retries => {
                        backoff(config.initial_backoff, attempt)
                    }
                    _ => return Ok(resp),
                },
                Err(e) => {
                    let transient = e.is_timeout() || e.is_connect() || e.is_request();
                    if !transient || attempt >= config.max_retries {
                        return Err(transport(reference, operation, e));
                    }
                    backoff(config.initial_backoff, attempt)
                }
            };
            attempt += 1;
            tracing::debug!(%reference, operation, attempt, ?delay, "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// Turns a non-2xx response into [`Error::Status`] with the registry's
    /// error codes.
    async fn check_status(
        &self,
        reference: &Reference,
        operation: &str,
        resp: Response,
    ) -> Result<Response> {
        if resp.status().is_success() {
            return Ok(resp);
        }
        let status = resp.status().as_u16();
        let body = read_limited(resp, MAX_ERROR_BODY).await.unwrap_or_default();
        Err(Error::Status {
            reference: reference.to_string(),
            operation: operation.to_owned(),
            status,
            detail: error_detail(&body),
        })
    }

    async fn read_json_body(
        &self,
        reference: &Reference,
        what: &str,
        resp: Response,
    ) -> Result<Vec<u8>> {
        let limit = self.inner.config.max_json_bytes;
        let too_large = || Error::TooLarge {
            reference: reference.to_string(),
            what: what.to_owned(),
            limit,
        };
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        match read_limited(resp, limit).await {
            Ok(Some(b)) => Ok(b),
            Ok(None) => Err(too_large()),
            Err(e) => Err(transport(reference, &format!("reading {what}"), e)),
        }
    }

    /// The credential for `reference`'s registry, looked up once (off the
    /// runtime: it may run a helper program).
    async fn credential(&self, reference: &Reference) -> Result<Credential> {
        if let Some(c) = self
            .registries()
            .get(reference.registry())
            .and_then(|r| r.credential.clone())
        {
            return Ok(c);
        }
        let credentials = self.inner.config.credentials.clone();
        let registry = reference.registry().to_owned();
        let key = reference.credential_key().to_owned();
        let found = tokio::task::spawn_blocking(move || credentials.lookup(&registry, &key))
            .await
            .map_err(|e| Error::Credentials {
                registry: reference.registry().to_owned(),
                message: format!("lookup task failed: {e}"),
            })??;
        self.registries()
            .entry(reference.registry().to_owned())
            .or_default()
            .credential = Some(found.clone());
        Ok(found)
    }

    /// The `Authorization` value to send, fetching a fresh token if the
    /// registry uses tokens and none is cached for `scope`.
    async fn auth_header(&self, reference: &Reference, scope: &str) -> Result<Option<Secret>> {
        let (scheme, cached) = {
            let regs = self.registries();
            let Some(reg) = regs.get(reference.registry()) else {
                return Ok(None);
            };
            let cached = reg
                .tokens
                .get(scope)
                .filter(|(_, expiry)| *expiry > Instant::now())
                .map(|(t, _)| t.clone());
            (reg.scheme.clone(), cached)
        };
        match scheme {
            Scheme::Unknown => Ok(None),
            Scheme::Basic => Ok(self
                .credential(reference)
                .await?
                .basic_header()
                .map(Secret::new)),
            Scheme::Bearer { realm, service } => {
                let token = match cached {
                    Some(t) => t,
                    None => {
                        self.fetch_token(reference, &realm, service.as_deref(), scope)
                            .await?
                    }
                };
                Ok(Some(Secret::new(format!("Bearer {}", token.expose()))))
            }
        }
    }

    /// Answers a 401 challenge: remembers the scheme (and fetches a token).
    async fn authenticate(
        &self,
        reference: &Reference,
        operation: &str,
        scope: &str,
        challenge: Option<Challenge>,
    ) -> Result<()> {
        let scheme = match challenge {
            None => {
                return Err(Error::Auth {
                    reference: reference.to_string(),
                    message: format!(
                        "{operation}: HTTP 401 without a Basic or Bearer WWW-Authenticate challenge"
                    ),
                });
            }
            Some(Challenge::Basic) => {
                if self.credential(reference).await?.basic_header().is_none() {
                    return Err(Error::Auth {
                        reference: reference.to_string(),
                        message: format!(
                            "{operation}: the registry requires a user name and password; none configured for {} (docker login {})",
                            reference.registry(),
                            reference.registry()
                        ),
                    });
                }
                Scheme::Basic
            }
            Some(Challenge::Bearer { realm, service }) => {
                self.fetch_token(reference, &realm, service.as_deref(), scope)
                    .await?;
                Scheme::Bearer { realm, service }
            }
        };
        self.registries()
            .entry(reference.registry().to_owned())
            .or_default()
            .scheme = scheme;
        Ok(())
    }

    /// Gets a token for `scope` from the token endpoint `realm` and caches it.
    async fn fetch_token(
        &self,
        reference: &Reference,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<Secret> {
        let auth_error = |message: String| Error::Auth {
            reference: reference.to_string(),
            message,
        };
        let mut url = url::Url::parse(realm)
            .map_err(|e| auth_error(format!("token realm {realm:?} is not a URL: {e}")))?;
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(auth_error(format!(
                "token realm {realm:?} is not https (credentials are only sent over TLS or to loopback)"
            )));
        }
        let credential = self.credential(reference).await?;
        let operation = format!("token for {scope}");
        let resp = match &credential {
            Credential::IdentityToken(refresh) => {
                // Built in a block: the serializer is not `Send` and must not
                // live across the await below (the client's futures are `Send`).
                let body = {
                    let mut form = url::form_urlencoded::Serializer::new(String::new());
                    form.append_pair("grant_type", "refresh_token")
                        .append_pair("client_id", "drydock")
                        .append_pair("scope", scope)
                        .append_pair("refresh_token", refresh.expose());
                    if let Some(s) = service {
                        form.append_pair("service", s);
                    }
                    form.finish()
                };
                self.execute(reference, &operation, || {
                    self.inner
                        .http
                        .post(url.clone())
                        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(body.clone())
                        .timeout(self.inner.config.request_timeout)
                })
                .await?
            }
            Credential::Basic { .. } | Credential::Anonymous => {
                {
                    let mut q = url.query_pairs_mut();
                    if let Some(s) = service {
                        q.append_pair("service", s);
                    }
                    q.append_pair("scope", scope);
                }
                let basic = credential.basic_header();
                self.execute(reference, &operation, || {
                    let mut req = self
                        .inner
                        .http
                        .get(url.clone())
                        .timeout(self.inner.config.request_timeout);
                    if let Some(h) = &basic {
                        req = req.header(AUTHORIZATION, h);
                    }
                    req
                })
                .await?
            }
        };
        let status = resp.status();
        if !status.is_success() {
            return Err(auth_error(format!(
                "the token endpoint answered HTTP {} for {scope}{}",
                status.as_u16(),
                if matches!(credential, Credential::Anonymous) {
                    format!(
                        " (no credentials configured for {}; docker login {})",
                        reference.registry(),
                        reference.registry()
                    )
                } else {
                    String::new()
                }
            )));
        }
        let body = self.read_json_body(reference, "token reply", resp).await?;
        let reply: TokenReply = serde_json::from_slice(&body)
            .map_err(|e| Error::json(&reference.to_string(), "token reply", &e))?;
        let token = reply
            .token
            .or(reply.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| auth_error("the token reply has no `token`".into()))?;
        let token = Secret::new(token);
        // The spec's minimum lifetime is 60 s; renew a little early.
        let lifetime = Duration::from_secs(reply.expires_in.unwrap_or(60).max(60));
        let expiry = Instant::now() + lifetime.mul_f64(0.9);
        self.registries()
            .entry(reference.registry().to_owned())
            .or_default()
            .tokens
            .insert(scope.to_owned(), (token.clone(), expiry));
        Ok(token)
    }

    fn registries(&self) -> std::sync::MutexGuard<'_, HashMap<String, RegistryAuth>> {
        // A panic while holding the lock leaves consistent data (plain inserts).
        self.inner
            .registries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A blob being downloaded. [`BlobStream::chunk`] yields the body; a body
/// longer than the descriptor's size fails at once, a shorter one or one
/// with another digest fails at the end.
pub struct BlobStream {
    response: Response,
    reference: String,
    expected: Digest,
    size: u64,
    hasher: Option<Hasher>,
    received: u64,
    finished: bool,
}

impl std::fmt::Debug for BlobStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStream")
            .field("reference", &self.reference)
            .field("digest", &self.expected)
            .field("size", &self.size)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl BlobStream {
    /// Stops hashing: only the size is checked. For consumers that verify
    /// the digest themselves (drydock-image's `LayerStream` does), so the
    /// bytes are not hashed twice.
    pub fn without_digest_check(mut self) -> Self {
        self.hasher = None;
        self
    }

    /// The blob's declared size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The next piece of the body, or `None` at the (verified) end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>> {
        if self.finished {
            return Ok(None);
        }
        let what = || format!("blob {}", self.expected);
        let next = self.response.chunk().await.map_err(|e| Error::Transport {
            reference: self.reference.clone(),
            operation: format!("reading {}", what()),
            message: e.without_url().to_string(),
            timeout: false,
        })?;
        match next {
            Some(bytes) => {
                self.received += bytes.len() as u64;
                if self.received > self.size {
                    self.finished = true;
                    return Err(Error::SizeMismatch {
                        reference: self.reference.clone(),
                        what: what(),
                        expected: self.size,
                        actual: self.received,
                    });
                }
                if let Some(h) = &mut self.hasher {
                    h.update(&bytes);
                }
                Ok(Some(bytes))
            }
            None => {
                self.finished = true;
                if self.received != self.size {
                    return Err(Error::SizeMismatch {
                        reference: self.reference.clone(),
                        what: what(),
                        expected: self.size,
                        actual: self.received,
                    });
                }
                if let Some(h) = self.hasher.take() {
                    let got = h.finish();
                    if got != self.expected {
                        return Err(Error::DigestMismatch {
                            reference: self.reference.clone(),
                            what: what(),
                            expected: self.expected.to_string(),
                            actual: got.to_string(),
                        });
                    }
                }
                Ok(None)
            }
        }
    }
}

fn manifest_url(reference: &Reference) -> String {
    format!(
        "{}/v2/{}/manifests/{}",
        reference.base_url(),
        reference.repository(),
        reference.manifest_reference()
    )
}

fn pick_platform<'a>(
    index: &'a ImageIndex,
    want: &Platform,
    reference: &Reference,
) -> Result<&'a Descriptor> {
    index
        .manifests
        .iter()
        .find(|d| d.platform.as_ref().is_some_and(|p| want.matches(p)))
        .ok_or_else(|| Error::PlatformNotFound {
            reference: reference.to_string(),
            wanted: want.to_string(),
            available: index
                .manifests
                .iter()
                .filter_map(|d| d.platform.as_ref().map(Platform::to_string))
                .collect(),
        })
}

fn backoff(initial: Duration, attempt: u32) -> Duration {
    initial.saturating_mul(1 << attempt.min(16))
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(resp: &Response) -> Option<Duration> {
    let v = resp.headers().get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

fn transport(reference: &Reference, operation: &str, e: reqwest::Error) -> Error {
    let timeout = e.is_timeout();
    // Without the URL: a redirect target may carry signed query parameters.
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    Error::Transport {
        reference: reference.to_string(),
        operation: operation.to_owned(),
        message,
        timeout,
    }
}

/// Reads at most `limit` bytes of the body: `None` if it is longer.
async fn read_limited(mut resp: Response, limit: u64) -> reqwest::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if (out.len() + chunk.len()) as u64 > limit {
            return Ok(None);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Some(out))
}

/// `CODE: message; …` from a distribution error body, at most 300 characters.
fn error_detail(body: &Option<Vec<u8>>) -> String {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default)]
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let Some(Ok(b)) = body.as_deref().map(serde_json::from_slice::<Body>) else {
        return String::new();
    };
    let text = b
        .errors
        .iter()
        .map(|e| format!("{}: {}", e.code, e.message))
        .collect::<Vec<_>>()
        .join("; ");
    text.chars().take(300).collect()
}
