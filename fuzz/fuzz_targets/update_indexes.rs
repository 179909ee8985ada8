//! Feeds arbitrary bytes to every parser of `drydock updates`: apt sources (one-line and
//! deb822), apk repositories, Release, Packages (plain, gz, xz), APKINDEX. They must return
//! errors, never panic.
#![no_main]

use drydock_updates::{index, release, sources};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = sources::parse_sources_list("f", &text);
    let _ = sources::parse_deb822_sources("f", &text);
    let _ = sources::parse_apk_repositories("f", &text);
    let _ = release::Release::parse("u", &text);
    let _ = release::parse_date(&text);
    let _ = index::parse_packages("u", data, &|_| true);
    let _ = index::parse_apkindex("u", &text, &|_| true);
    for path in ["Packages.gz", "Packages.xz"] {
        if let Ok(plain) = index::decompress("u", path, data.to_vec()) {
            let _ = index::parse_packages("u", &plain[..], &|_| true);
        }
    }
    if let Ok(file) = index::read_apkindex("u", data) {
        let _ = index::parse_apkindex("u", &file.index, &|_| true);
    }
});
