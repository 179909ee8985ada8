//! Images pulled from a registry: resolved with
//! [`drydock_registry`](drydock_registry) (index → platform, config) and
//! layers streamed straight from the registry into [`LayerStream`], which
//! verifies and decompresses them. Nothing is written to disk and no layer
//! is held in memory whole.

use std::io::Read;

use drydock_registry::{BlockingClient, ClientConfig, Descriptor, Platform, Reference};

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::model::{Compression, Image, Layer};
use crate::source::{ImageSource, Limits, OpenOptions};

/// An image in a registry (`HOST[:PORT]/NAME[:TAG][@DIGEST]`). Owns a small
/// async runtime; create and drop it outside async code.
pub struct RegistrySource {
    client: BlockingClient,
    /// The reference pinned to the image manifest's digest.
    pinned: Reference,
    layers: Vec<Descriptor>,
    image: Image,
    limits: Limits,
}

impl RegistrySource {
    /// Resolves `reference` (the platform from `opts` picks from an index)
    /// with a client using credentials from the Docker configuration.
    pub fn open(reference: &str, opts: &OpenOptions) -> Result<Self> {
        Self::open_with(reference, opts, ClientConfig::default())
    }

    /// Like [`RegistrySource::open`] with explicit client settings (the JSON
    /// limit comes from `opts`).
    pub fn open_with(reference: &str, opts: &OpenOptions, config: ClientConfig) -> Result<Self> {
        let parsed = Reference::parse(reference)?;
        let config = ClientConfig {
            max_json_bytes: opts.limits.max_json_bytes,
            ..config
        };
        let client = BlockingClient::new(config)?;
        let platform = Platform {
            os: opts.platform.os.clone(),
            architecture: opts.platform.architecture.clone(),
            variant: opts.platform.variant.clone(),
        };
        let resolved = client.block_on(client.client().resolve_image(&parsed, &platform))?;
        let raw_config = client.block_on(client.client().get_config(&resolved))?;
        let source = parsed.to_string();
        let layers = resolved
            .manifest
            .layers
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let mut layer = Layer::new(i, d.digest.to_string());
                layer.compression = Compression::from_media_type(&d.media_type);
                layer.media_type = Some(d.media_type.clone()).filter(|m| !m.is_empty());
                layer.digest = Some(convert(&d.digest)?);
                layer.size = Some(d.size);
                Ok(layer)
            })
            .collect::<Result<Vec<_>>>()?;
        let config_digest = &resolved.manifest.config.digest;
        let mut image = Image::assemble(
            source.clone(),
            raw_config,
            &format!("{source} config {config_digest}"),
            Some(convert(config_digest)?),
            layers,
        )?;
        image.reference = Some(source);
        image.manifest_digest = Some(convert(&resolved.manifest_digest)?);
        if let (Some(index), Some(p)) = (&resolved.index_digest, &resolved.platform) {
            image
                .notes
                .push(format!("platform {p} chosen from image index {index}"));
        }
        let pinned = resolved.pinned();
        let layers = resolved.manifest.layers;
        image.raw_manifest = Some(resolved.manifest_bytes);
        Ok(Self {
            client,
            pinned,
            layers,
            image,
            limits: opts.limits.clone(),
        })
    }
}

fn convert(d: &drydock_registry::Digest) -> Result<Digest> {
    Digest::parse(&d.to_string())
}

impl ImageSource for RegistrySource {
    fn image(&self) -> &Image {
        &self.image
    }

    fn limits(&self) -> &Limits {
        &self.limits
    }

    fn open_raw_layer(&self, index: usize) -> Result<Box<dyn Read + Send>> {
        let desc = self
            .layers
            .get(index)
            .ok_or_else(|| Error::not_found(&self.image.source, format!("layer {index}")))?;
        // LayerStream hashes the blob; the client only checks its size.
        let reader = self.client.open_blob(&self.pinned, desc, false)?;
        Ok(Box::new(reader))
    }
}
