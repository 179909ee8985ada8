//! OSV record parsing and range evaluation on arbitrary bytes: errors are
//! fine, panics are not. The version evaluated is the record's first
//! `versions` entry (or `1.0-1`), under each ecosystem's rules.
#![no_main]

use drydock_advisories::{evaluate, parse_record};
use drydock_packages::Ecosystem;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(record) = parse_record("fuzz.json", data) else {
        return;
    };
    for affected in &record.affected {
        let version = affected.versions.first().map_or("1.0-1", String::as_str);
        for ecosystem in [Ecosystem::Deb, Ecosystem::Apk, Ecosystem::Rpm] {
            let _ = evaluate(ecosystem, version, affected);
        }
    }
});
