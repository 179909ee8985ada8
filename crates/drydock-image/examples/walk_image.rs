//! Walks every layer of an image, reading (and so hashing and
//! decompressing) every byte; prints throughput. For measurements:
//!
//!     cargo run --release -p drydock-image --example walk_image -- REF [--parallel]

use std::io::Read;
use std::time::Instant;

use drydock_image::{Entry, Error, ImageSource, LayerListing, MergedTree, OpenOptions, open_str};
use rayon::prelude::*;

fn walk(src: &dyn ImageSource, i: usize) -> Result<(LayerListing, u64, u64), Error> {
    let mut listing = LayerListing::new(i);
    let mut content = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    let mut v = |e: &mut Entry<'_>| -> Result<(), Error> {
        listing.record(&e.meta);
        loop {
            let n = e
                .read(&mut buf)
                .map_err(|x| Error::from_io(&e.meta.path, x))?;
            if n == 0 {
                break;
            }
            content += n as u64;
        }
        Ok(())
    };
    let stream_bytes = {
        let s = src.walk_layer(i, &mut v)?;
        s.file_bytes
    };
    Ok((listing, content, stream_bytes))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let reference = args.first().ok_or("usage: walk_image REF [--parallel]")?;
    let parallel = args.iter().any(|a| a == "--parallel");
    let t0 = Instant::now();
    let src = open_str(reference, &OpenOptions::default())?;
    let n = src.image().layers.len();
    let results: Vec<_> = if parallel {
        (0..n).into_par_iter().map(|i| walk(&*src, i)).collect()
    } else {
        (0..n).map(|i| walk(&*src, i)).collect()
    };
    let mut tree = MergedTree::new();
    let mut content = 0;
    for r in results {
        let (listing, c, _) = r?;
        content += c;
        tree.apply(&listing)?;
    }
    let secs = t0.elapsed().as_secs_f64();
    let stored: u64 = src.image().layers.iter().filter_map(|l| l.size).sum();
    println!(
        "{reference}: {n} layers, stored {stored} B, file content {content} B, {} paths, hidden {} B, {secs:.3} s, {:.1} MB/s of content",
        tree.len(),
        tree.hidden_bytes(),
        content as f64 / secs / 1e6
    );
    Ok(())
}
