//! rpm databases (Berkeley DB `Packages`, NDB `Packages.db`, SQLite `rpmdb.sqlite`) on
//! arbitrary bytes, through `drydock_packages::parse_rpmdb`. Errors are fine. The third-party
//! reader is known to panic on corrupt pages; `parse_rpmdb` catches that and returns an error,
//! so the panic hook is silenced here and only an uncaught panic (which libfuzzer-sys turns into
//! an abort), a hang, an out-of-memory or a sanitizer report fails the run.
#![no_main]

use drydock_packages::parse_rpmdb;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static SILENCE: std::sync::Once = std::sync::Once::new();
    SILENCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    for file in [
        "/var/lib/rpm/Packages",
        "/var/lib/rpm/Packages.db",
        "/var/lib/rpm/rpmdb.sqlite",
    ] {
        let _ = parse_rpmdb(file, data, None);
    }
});
