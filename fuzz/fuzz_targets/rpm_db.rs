//! rpm databases (Berkeley DB `Packages`, NDB `Packages.db`, SQLite `rpmdb.sqlite`, told apart
//! by their contents) on arbitrary bytes, through `drydock_packages::parse_rpmdb`. Errors are
//! fine; a panic, a hang, an out-of-memory or a sanitizer report fails the run.
#![no_main]

use drydock_packages::parse_rpmdb;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_rpmdb("/var/lib/rpm/Packages", data, None);
});
