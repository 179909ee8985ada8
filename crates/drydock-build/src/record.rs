//! What a build leaves on its image so that the next build can tell what
//! changed: the `io.drydock.build` label.
//!
//! The image is the state: no file beside the Dockerfile, no database. A
//! build reads the label of the image its tag points to in the engine.

use serde::{Deserialize, Serialize};

/// Label holding the [`BuildRecord`] as JSON.
pub const LABEL: &str = "io.drydock.build";

/// Version of the record format; a record of another version is ignored
/// (the next build is treated as a first build).
pub const VERSION: u32 = 1;

/// The facts of one build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildRecord {
    /// [`VERSION`].
    pub version: u32,
    /// Digest of the Dockerfile, the context files, build arguments, target
    /// and platform (see [`crate::context`]).
    pub context: String,
    /// The external base of every stage that was built.
    pub stages: Vec<StageBase>,
    /// Steps forced to rebuild because packages they install had fixes.
    /// Kept on every later build (until a full rebuild) so that a build
    /// without them does not fall back to the stale cached layers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refresh: Vec<Refresh>,
    /// When the last full (`--pull --no-cache`) rebuild happened (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_rebuild: Option<String>,
}

/// The base image one stage was built on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageBase {
    /// Stage index.
    pub stage: usize,
    /// Stage name (`AS name`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The base reference, ARGs expanded, without the digest drydock pinned.
    pub base: String,
    /// The digest the reference resolved to (what the tag pointed at).
    pub digest: String,
}

/// A cache-busting point: the build argument `DRYDOCK_REFRESH` declared just
/// before `step` in `stage`, whose value changes when new fixes arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refresh {
    /// Stage index.
    pub stage: usize,
    /// The step's instruction text, whitespace collapsed (steps are found by
    /// text: line numbers move when the Dockerfile is edited).
    pub step: String,
    /// The value of `DRYDOCK_REFRESH`.
    pub token: String,
}

impl BuildRecord {
    /// Reads the record from an image's labels; `None` when absent, of
    /// another version, or unreadable (the build then starts afresh, and says
    /// so).
    pub fn from_label(value: &str) -> Option<BuildRecord> {
        serde_json::from_str::<BuildRecord>(value)
            .ok()
            .filter(|r| r.version == VERSION)
    }

    /// The label value.
    pub fn to_label(&self) -> String {
        serde_json::to_string(self).expect("a record always serialises")
    }

    /// The recorded base of `stage`, if it was built from `base`.
    pub fn base_of(&self, stage: usize, base: &str) -> Option<&StageBase> {
        self.stages
            .iter()
            .find(|s| s.stage == stage && s.base == base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_version_check() {
        let record = BuildRecord {
            version: VERSION,
            context: "sha256:00".into(),
            stages: vec![StageBase {
                stage: 0,
                name: Some("build".into()),
                base: "127.0.0.1:5000/base:1".into(),
                digest: "sha256:11".into(),
            }],
            refresh: vec![Refresh {
                stage: 0,
                step: "RUN apt-get install -y x".into(),
                token: "ab".into(),
            }],
            full_rebuild: None,
        };
        let label = record.to_label();
        assert_eq!(BuildRecord::from_label(&label), Some(record.clone()));
        assert!(
            BuildRecord::from_label(&label.replace("\"version\":1", "\"version\":9")).is_none()
        );
        assert!(BuildRecord::from_label("{not json").is_none());
        assert_eq!(
            record
                .base_of(0, "127.0.0.1:5000/base:1")
                .map(|s| s.digest.as_str()),
            Some("sha256:11")
        );
        assert!(record.base_of(1, "127.0.0.1:5000/base:1").is_none());
    }
}
