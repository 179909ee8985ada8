//! A registry client for drydock (OCI distribution spec): `scan` pulls
//! images with it; `check` (has the base digest moved?) and `watch` (polling
//! many references) are built on [`Client::head_manifest`].
//!
//! * [`Reference`] parses `[host[:port]/]name[:tag][@digest]` with Docker's
//!   normalisation (`debian` → `docker.io/library/debian:latest`).
//!   Loopback registries (`127.0.0.1:PORT`, `localhost:PORT`, `[::1]:PORT`)
//!   are spoken to over plain HTTP, like Docker's insecure-registry default;
//!   all others over HTTPS.
//! * [`Client`] (async, tokio; cheap to clone, shares connections, tokens
//!   and a limit on requests in flight):
//!   [`head_manifest`](Client::head_manifest) (digest only),
//!   [`get_manifest`](Client::get_manifest) (verified, bounded),
//!   [`resolve_image`](Client::resolve_image) (index → platform child),
//!   [`get_config`](Client::get_config), [`get_blob`](Client::get_blob)
//!   ([`BlobStream`], size and digest checked while streaming).
//! * Auth: anonymous first; on a 401 the challenge decides — HTTP Basic
//!   with the configured credential, or the Bearer token flow (token
//!   endpoint with `scope=repository:NAME:pull`, user/password as Basic or an
//!   identity token as an OAuth2 refresh token; tokens cached per scope
//!   until shortly before they expire). Credentials come from
//!   [`Credentials`]: `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`
//!   (`auths`, `credHelpers`, `credsStore`). Credentials and tokens are held
//!   in [`Secret`] and never appear in errors, logs or `Debug` output.
//! * Faults: 429 waits for `Retry-After` (up to
//!   [`ClientConfig::max_retry_after`]), 5xx and connection failures are
//!   retried with exponential back-off ([`ClientConfig::max_retries`]);
//!   timeouts for connecting, whole small requests and body silence; JSON
//!   bodies are capped ([`ClientConfig::max_json_bytes`], 16 MiB). Every
//!   [`Error`] names the reference and, for HTTP failures, the status.
//! * [`BlockingClient`] owns a runtime for synchronous callers and turns a
//!   blob into a [`std::io::Read`] ([`BlobReader`]) that downloads ahead
//!   of the reader.
//!
//! Why not `oci-client`: it handles challenges and streams blobs, but it
//! does not honour `Retry-After` or retry 5xx, its errors drop the HTTP
//! status details this crate reports, and checking a blob's digest while
//! streaming (not after buffering) or skipping the hash when the consumer
//! verifies anyway needs a wrapper over its stream either way. The protocol
//! subset drydock needs (GET/HEAD manifests, GET blobs, token flow) is small
//! on `reqwest`, and owning it gives exact control of retries, limits and
//! what an error may contain.

mod auth;
mod blocking;
mod client;
mod digest;
mod error;
mod manifest;
mod reference;

pub use auth::{Credential, Credentials, Secret};
pub use blocking::{BlobReader, BlockingClient};
pub use client::{BlobStream, Client, ClientConfig, Manifest, ManifestHead, ResolvedImage};
pub use digest::{Algorithm, Digest};
pub use error::{Error, Result};
pub use manifest::{
    DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, Descriptor, ImageIndex, ImageManifest, MANIFEST_ACCEPT,
    ManifestDocument, OCI_INDEX, OCI_MANIFEST, Platform,
};
pub use reference::{DEFAULT_REGISTRY, Reference, is_registry_reference};
