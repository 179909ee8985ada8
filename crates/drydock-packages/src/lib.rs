//! Installed OS packages of an image, distro version ordering, purls and
//! CycloneDX SBOMs.
//!
//! * [`inventory`] walks an image's layers ([`drydock_image::ImageSource`])
//!   once, reading only the package databases — dpkg (`/var/lib/dpkg/status`,
//!   distroless `status.d/*`), apk (`/lib/apk/db/installed`), rpm (SQLite,
//!   Berkeley DB, NDB under `/var/lib/rpm`, `/usr/lib/sysimage/rpm`,
//!   `/usr/share/rpm`) — and `os-release`, honouring whiteouts. Each
//!   [`Package`] carries its source package and the layer that installed or
//!   last changed it.
//! * The parsers ([`parse_dpkg_status`], [`parse_apk_installed`],
//!   [`parse_rpmdb`]) are usable on their own; malformed input is an
//!   [`Error`] naming file and line, never a panic.
//! * [`compare`] orders versions of one [`Ecosystem`] (Debian, RPM, APK rules).
//! * [`Package::purl`] gives Package URLs; [`cyclonedx`] a CycloneDX 1.5
//!   JSON SBOM of an image.

mod apk;
mod dpkg;
mod error;
mod inventory;
mod package;
mod rpm;
mod sbom;
mod version;

use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

pub use apk::parse_apk_installed;
pub use dpkg::parse_dpkg_status;
pub use error::{Error, Result, VersionError};
pub use inventory::{Inventory, InventoryOptions, inventory, inventory_with};
pub use package::{Distro, Ecosystem, Package};
pub use rpm::parse_rpmdb;
pub use sbom::cyclonedx;
pub use version::{compare, validate};

/// A parsed database record and a fingerprint of its bytes, so that the
/// same record in two versions of a database can be recognised.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    package: Package,
    fingerprint: u64,
}

/// A hash that is the same in every run (no random keys): fingerprints of
/// database records.
pub(crate) fn fingerprint(bytes: &[u8]) -> u64 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one(bytes)
}
