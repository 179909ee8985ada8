//! The floor for reading gzip layers: inflates blob files with the same
//! flate2 + zlib-rs decoder drydock uses, one file per thread as drydock
//! walks layers, and throws the output away. `bench/scan` compares the
//! registry scan against it.
//!
//!     cargo run --release -p drydock-image --example inflate_blobs -- BLOB...
//!
//! Prints one JSON line: compressed and inflated bytes, seconds.

use std::fs::File;
use std::io::{self, BufReader};
use std::time::Instant;

use flate2::bufread::MultiGzDecoder;
use rayon::prelude::*;

fn inflate(path: &str) -> io::Result<(u64, u64)> {
    let file = File::open(path)?;
    let compressed = file.metadata()?.len();
    let mut decoder = MultiGzDecoder::new(BufReader::with_capacity(256 * 1024, file));
    let inflated = io::copy(&mut decoder, &mut io::sink())?;
    Ok((compressed, inflated))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let blobs: Vec<String> = std::env::args().skip(1).collect();
    if blobs.is_empty() {
        return Err("usage: inflate_blobs BLOB...".into());
    }
    let start = Instant::now();
    let sizes = blobs
        .par_iter()
        .map(|path| inflate(path).map_err(|e| format!("{path}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let seconds = start.elapsed().as_secs_f64();
    let (compressed, inflated) = sizes
        .iter()
        .fold((0, 0), |(c, i), (dc, di)| (c + dc, i + di));
    println!(
        "{{\"blobs\": {}, \"compressed_bytes\": {compressed}, \"inflated_bytes\": {inflated}, \"seconds\": {seconds:.4}}}",
        blobs.len()
    );
    Ok(())
}
