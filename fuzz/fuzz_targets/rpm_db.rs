//! rpm databases (Berkeley DB `Packages`, NDB `Packages.db`, SQLite `rpmdb.sqlite`) on
//! arbitrary bytes, through `drydock_packages::parse_rpmdb`: errors are fine; a panic in the
//! reader, even one `parse_rpmdb` would catch, aborts the run so that it gets looked at.
#![no_main]

use drydock_packages::parse_rpmdb;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for file in [
        "/var/lib/rpm/Packages",
        "/var/lib/rpm/Packages.db",
        "/var/lib/rpm/rpmdb.sqlite",
    ] {
        let _ = parse_rpmdb(file, data, None);
    }
});
