//! CycloneDX 1.5 JSON SBOM of an image.
//!
//! cyclonedx-bom 0.8 (1.3–1.5) over serde-cyclonedx (1.6): typed models
//! maintained by the CycloneDX project, with the library's own validation
//! run before writing; 1.5 already has everything used here (`container`
//! and `operating-system` components, purls, licences, properties) and is
//! what most consumers read.

use std::collections::HashSet;
use std::str::FromStr;

use cyclonedx_bom::models::component::Classification;
use cyclonedx_bom::models::license::{LicenseChoice, Licenses};
use cyclonedx_bom::models::property::{Properties, Property};
use cyclonedx_bom::models::tool::{Tool, Tools};
use cyclonedx_bom::prelude::*;
use drydock_image::Image;

use crate::error::{Error, Result};
use crate::{Inventory, Package};

/// Property names (CycloneDX properties are free-form, namespaced by tool).
const PREFIX: &str = "drydock";

/// Writes the inventory of `image` as a CycloneDX 1.5 JSON document:
/// `metadata.component` is the image (type `container`, named by its
/// reference or source, version = manifest or config digest); one
/// `operating-system` component for the distribution; one `library`
/// component per package with purl, licence when recorded, and properties
/// `drydock:package:source_name`, `…:source_version`, `…:database`,
/// `drydock:layer:index` and `drydock:layer:diff_id`. Fresh serial number
/// and timestamp each time.
///
/// # Errors
/// [`Error::Sbom`] if the document fails the library's validation or
/// cannot be serialised.
pub fn cyclonedx(image: &Image, inventory: &Inventory) -> Result<String> {
    let sbom_error = |m: String| Error::Sbom(m);
    let mut metadata = Metadata::new().map_err(|e| sbom_error(e.to_string()))?;
    metadata.tools = Some(Tools::List(vec![Tool::new(
        "drydock",
        "drydock",
        env!("CARGO_PKG_VERSION"),
    )]));
    metadata.component = Some(image_component(image));

    let mut components = Vec::new();
    if let Some(d) = &inventory.distro {
        let version = d.version_id.as_ref().or(d.codename.as_ref());
        let mut os = Component::new(
            Classification::OperatingSystem,
            &d.id,
            version.map_or("", String::as_str),
            Some(format!("os:{}", d.id)),
        );
        if version.is_none() {
            os.version = None;
        }
        os.description = d.pretty_name.as_deref().map(NormalizedString::new);
        if let Some(codename) = &d.codename {
            os.properties = Some(Properties(vec![property("os:codename", codename)]));
        }
        components.push(os);
    }
    let mut refs = HashSet::new();
    for p in &inventory.packages {
        components.push(package_component(p, image, inventory, &mut refs));
    }

    let bom = Bom {
        metadata: Some(metadata),
        components: Some(Components(components)),
        spec_version: SpecVersion::V1_5,
        ..Bom::default()
    };
    let result = bom.validate_version(SpecVersion::V1_5);
    if !result.passed() {
        return Err(sbom_error(format!("document fails validation: {result:?}")));
    }
    let mut out = Vec::new();
    bom.output_as_json_v1_5(&mut out)
        .map_err(|e| sbom_error(e.to_string()))?;
    String::from_utf8(out).map_err(|e| sbom_error(e.to_string()))
}

fn property(name: &str, value: &str) -> Property {
    Property::new(format!("{PREFIX}:{name}"), value)
}

fn image_component(image: &Image) -> Component {
    let name = image.reference.as_deref().unwrap_or(&image.source);
    let digest = image
        .manifest_digest
        .as_ref()
        .or(image.config_digest.as_ref())
        .map(ToString::to_string);
    let mut c = Component::new(
        Classification::Container,
        name,
        digest.as_deref().unwrap_or(""),
        Some("image".into()),
    );
    if digest.is_none() {
        c.version = None;
    }
    let mut props = vec![
        property("image:source", &image.source),
        property("image:platform", &image.platform()),
    ];
    if let Some(d) = &image.manifest_digest {
        props.push(property("image:manifest_digest", &d.to_string()));
    }
    if let Some(d) = &image.config_digest {
        props.push(property("image:config_digest", &d.to_string()));
    }
    c.properties = Some(Properties(props));
    c
}

fn package_component(
    p: &Package,
    image: &Image,
    inventory: &Inventory,
    refs: &mut HashSet<String>,
) -> Component {
    let purl = p.purl(inventory.distro.as_ref());
    // bom-refs must be unique; the same purl twice (two databases) gets a suffix.
    let mut bom_ref = purl.clone();
    let mut n = 1;
    while !refs.insert(bom_ref.clone()) {
        n += 1;
        bom_ref = format!("{purl}#{n}");
    }
    let mut c = Component::new(Classification::Library, &p.name, &p.version, Some(bom_ref));
    c.purl = Purl::from_str(&purl).ok();
    c.licenses = p.license.as_deref().map(|l| {
        Licenses(vec![match SpdxExpression::try_from(l.to_owned()) {
            Ok(e) => LicenseChoice::Expression(e),
            Err(_) => LicenseChoice::license(l),
        }])
    });
    let mut props = vec![
        property("package:source_name", &p.source_name),
        property("package:source_version", &p.source_version),
        property("package:database", &p.database),
        property("layer:index", &p.layer.to_string()),
    ];
    if let Some(d) = image.layers.get(p.layer).and_then(|l| l.diff_id.as_ref()) {
        props.push(property("layer:diff_id", &d.to_string()));
    }
    c.properties = Some(Properties(props));
    c
}
