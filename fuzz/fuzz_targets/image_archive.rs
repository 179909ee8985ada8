//! Treats the input as a `docker save` tar (in memory) and walks every
//! layer: index, manifest/config parsing, digest checks, decompression,
//! tar walk, merged view. Must never panic; errors are fine.
#![no_main]

use std::io::Read;

use drydock_image::{
    DockerArchive, Entry, ImageSource, LayerListing, Limits, MergedTree, OpenOptions, Result,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = OpenOptions {
        limits: Limits {
            max_json_bytes: 1 << 20,
            max_layer_bytes: 8 << 20,
            max_archive_members: 10_000,
            max_layer_entries: 100_000,
            max_tree_paths: 100_000,
        },
        ..OpenOptions::default()
    };
    let Ok(src) = DockerArchive::from_bytes(data.to_vec(), None, &opts) else {
        return;
    };
    let mut tree = MergedTree::with_max_paths(100_000);
    for i in 0..src.image().layers.len() {
        let mut listing = LayerListing::new(i);
        let mut buf = [0u8; 4096];
        let mut v = |e: &mut Entry<'_>| -> Result<()> {
            listing.record(&e.meta);
            while e.read(&mut buf).map_err(|x| drydock_image::Error::from_io("fuzz", x))? > 0 {}
            Ok(())
        };
        if src.walk_layer(i, &mut v).is_err() {
            return;
        }
        if tree.apply(&listing).is_err() {
            return;
        }
    }
    let _ = tree.hidden_bytes();
    let _ = tree.layer_bytes();
});
