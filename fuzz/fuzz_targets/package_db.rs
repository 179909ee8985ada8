//! dpkg status and apk installed parsers, and version comparison, on
//! arbitrary bytes: errors are fine, panics and unbounded work are not.
#![no_main]

use drydock_packages::{Ecosystem, compare, parse_apk_installed, parse_dpkg_status};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_dpkg_status("fuzz/status", data);
    let _ = parse_apk_installed("fuzz/installed", data);
    // Two versions separated by the first NUL, compared under each ecosystem's rules.
    if let Ok(text) = std::str::from_utf8(data)
        && let Some((a, b)) = text.split_once('\0')
    {
        for ecosystem in [Ecosystem::Deb, Ecosystem::Rpm, Ecosystem::Apk] {
            if let (Ok(x), Ok(y)) = (compare(ecosystem, a, b), compare(ecosystem, b, a)) {
                assert_eq!(x, y.reverse(), "{ecosystem}: {a:?} vs {b:?}");
            }
        }
    }
});
