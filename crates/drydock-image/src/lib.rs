//! Image access for `drydock scan`.
//!
//! * Sources behind one trait, [`ImageSource`]: [`DockerArchive`] (`docker
//!   save` tars, legacy and Docker ≥25 OCI-in-tar, on disk or in memory) and
//!   [`OciLayout`] (OCI image layout directories, image indexes with
//!   platform selection). The engine and registry sources plug into the same
//!   trait: they provide [`ImageSource::open_raw_layer`] and build their
//!   [`Image`] with [`Image::assemble`] (or reuse the index/manifest
//!   resolution through a [`BlobStore`]).
//! * [`DockerEngine`] reads `docker:NAME` from the local engine as one
//!   export stream ([`read_export`]: layers walked as they arrive, matched
//!   to the image by `diff_id`); not an [`ImageSource`].
//! * [`ImageRef`] parses `docker-archive:PATH[:TAG]`, `oci:DIR[:TAG|@DIGEST]`
//!   and bare paths; [`open`] / [`open_str`] give a `Box<dyn ImageSource>`.
//! * [`ImageSource::open_layer`] is a [`LayerStream`]: decompressed (gzip /
//!   zstd / plain by magic bytes), verified while read (blob digest + size,
//!   `diff_id`), capped ([`Limits::max_layer_bytes`]). Independent per layer,
//!   so layers can be walked on different threads.
//! * [`walk_layer`] visits entries ([`EntryMeta`]: normalised path, kind
//!   incl. whiteouts, size, mode, ids, link target) with a streamed content
//!   reader, reporting [`Anomaly`]s (`..`, absolute paths, escapes,
//!   duplicates) instead of failing. Nothing is written to disk.
//! * [`MergedTree`] applies layers' [`LayerListing`]s: which layer last wrote
//!   each path, what was deleted or overwritten later and by which layer.

mod archive;
mod config;
mod daemon;
mod digest;
mod error;
mod gzip;
mod layout;
mod merged;
mod model;
mod oci;
mod registry;
mod source;
mod walk;

pub use archive::{BytesAccess, DockerArchive, RandomAccess, Section, SeekAccess};
pub use config::{ContainerConfig, Healthcheck, History, ImageConfig, RootFs};
pub use daemon::{
    DEFAULT_DOCKER_SOCKET, DockerEngine, EngineImage, MemberLayer, StreamedImage, read_export,
};
pub use digest::{Algorithm, Digest, VerifyingReader};
pub use error::{Error, Result};
pub use layout::OciLayout;
pub use merged::{Fate, LayerBytes, LayerListing, MergedTree, Version, WhiteoutRecord};
pub use model::{Compression, Image, Layer, LayerHistory};
pub use oci::{
    ANNOTATION_CONTAINERD_NAME, ANNOTATION_REF_NAME, BlobStore, Descriptor, Platform, PlatformSpec,
    Selector,
};
pub use registry::RegistrySource;
pub use source::{ImageRef, ImageSource, LayerStream, Limits, OpenOptions, open, open_str};
pub use walk::{
    Anomaly, AnomalyKind, Entry, EntryKind, EntryMeta, LayerVisitor, WalkOptions, WalkSummary,
    walk_layer, walk_layer_with,
};
