//! Feeds arbitrary bytes to every parser of `drydock updates`: apt sources (one-line and
//! deb822), apk repositories, Release, Packages (plain, gz, xz), APKINDEX, and the rpm-md ones:
//! `.repo`/`dnf.conf`, repomd.xml, primary.xml and updateinfo.xml (plain, gz, xz, zst). They
//! must return errors, never panic.
#![no_main]

use drydock_updates::{index, release, rpmmd, sources};
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
    let _ = rpmmd::parse_repo_file("f", &text);
    let _ = rpmmd::parse_main_config("f", &text);
    let _ = rpmmd::parse_repomd("u", data);
    let _ = rpmmd::parse_primary("u", data, &|_| true);
    let _ = rpmmd::parse_updateinfo("u", data, &|_| true);
    for location in ["primary.xml.gz", "primary.xml.xz", "updateinfo.xml.zst"] {
        if let Ok(reader) = rpmmd::open_metadata("u", location, data) {
            let _ = rpmmd::parse_primary("u", reader, &|_| true);
        }
    }
    if let Ok(file) = index::read_apkindex("u", data) {
        let _ = index::parse_apkindex("u", &file.index, &|_| true);
    }
});
