//! OCI image layout directories.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::digest::Digest;
use crate::error::{Error, Result, parse_json, read_limited};
use crate::model::Image;
use crate::oci::{self, BlobStore, Selector};
use crate::source::{ImageSource, Limits, OpenOptions};

/// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/`).
pub struct OciLayout {
    dir: PathBuf,
    name: String,
    image: Image,
    limits: Limits,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct LayoutFile {
    image_layout_version: String,
}

impl OciLayout {
    /// Opens `dir` and resolves `selector` (index → platform per `opts`).
    pub fn open(dir: impl AsRef<Path>, selector: &Selector, opts: &OpenOptions) -> Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        let mut name = format!("oci:{}", dir.display());
        match selector {
            Selector::Default => {}
            Selector::Tag(t) => name = format!("{name}:{t}"),
            Selector::Digest(d) => name = format!("{name}@{d}"),
        }
        let limit = opts.limits.max_json_bytes;
        let read_small = |file: &str| -> Result<Vec<u8>> {
            let p = dir.join(file);
            let ctx = format!("{}", p.display());
            let f = File::open(&p).map_err(|e| Error::from_io(&ctx, e))?;
            read_limited(f, limit, &ctx)
        };
        let layout_ctx = format!("{}", dir.join("oci-layout").display());
        let layout: LayoutFile = parse_json(&read_small("oci-layout")?, &layout_ctx)?;
        let mut this = Self {
            dir: dir.clone(),
            name: name.clone(),
            image: Image::assemble(name.clone(), b"{}".to_vec(), "", None, Vec::new())?,
            limits: opts.limits.clone(),
        };
        let index = read_small("index.json")?;
        let index_ctx = format!("{}", dir.join("index.json").display());
        let mut image = oci::resolve(
            &this,
            &index,
            &index_ctx,
            selector,
            &opts.platform,
            &opts.limits,
        )?
        .image;
        if layout.image_layout_version != "1.0.0" {
            image.notes.push(format!(
                "oci-layout version {:?} (expected 1.0.0)",
                layout.image_layout_version
            ));
        }
        image.source = name;
        this.image = image;
        Ok(this)
    }

    /// The layout directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn blob_file(&self, digest: &Digest) -> Result<(File, u64)> {
        let p = self.dir.join(digest.blob_path());
        let ctx = format!("{}", p.display());
        // Blobs must be regular files: no device, FIFO or symlink out.
        let md = std::fs::symlink_metadata(&p).map_err(|e| Error::from_io(&ctx, e))?;
        if !md.file_type().is_file() {
            return Err(Error::invalid(&ctx, "blob is not a regular file"));
        }
        let f = File::open(&p).map_err(|e| Error::from_io(&ctx, e))?;
        Ok((f, md.len()))
    }
}

impl BlobStore for OciLayout {
    fn describe(&self) -> String {
        self.name.clone()
    }
    fn open_blob(&self, digest: &Digest) -> Result<(Box<dyn Read + Send>, Option<u64>)> {
        let (f, len) = self.blob_file(digest)?;
        Ok((Box::new(f), Some(len)))
    }
}

impl ImageSource for OciLayout {
    fn image(&self) -> &Image {
        &self.image
    }
    fn limits(&self) -> &Limits {
        &self.limits
    }
    fn open_raw_layer(&self, index: usize) -> Result<Box<dyn Read + Send>> {
        let layer = self
            .image
            .layers
            .get(index)
            .ok_or_else(|| Error::not_found(&self.name, format!("layer {index}")))?;
        let digest = layer
            .digest
            .as_ref()
            .ok_or_else(|| Error::invalid(layer.label(), "no digest"))?;
        let (f, _) = self.blob_file(digest)?;
        Ok(Box::new(f))
    }
}
