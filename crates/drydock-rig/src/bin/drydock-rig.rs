//! `drydock-rig up`   — start engine, registry and apt repo, print the
//!                      environment, wait until Ctrl-C (the watchdogs clean
//!                      up when this process dies).
//! `drydock-rig base` — build (or find) the cached base tarball.

use std::process::ExitCode;
use std::time::Instant;

use drydock_rig::{Rig, apt, base};

fn main() -> ExitCode {
    let cmd = std::env::args().nth(1).unwrap_or_default();
    match cmd.as_str() {
        "up" => {
            let t = Instant::now();
            let rig = match Rig::start() {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("drydock-rig: {e}");
                    return ExitCode::FAILURE;
                }
            };
            eprintln!("drydock-rig: started in {:.1}s", t.elapsed().as_secs_f64());
            if std::env::args().any(|a| a == "--base") {
                let t = Instant::now();
                match rig.base_image() {
                    Ok(r) => eprintln!(
                        "drydock-rig: base image {r} ready in {:.1}s",
                        t.elapsed().as_secs_f64()
                    ),
                    Err(e) => {
                        eprintln!("drydock-rig: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            if let Err(e) = rig.apt().publish("drydock-demo", "1.0-1") {
                eprintln!("drydock-rig: {e}");
                return ExitCode::FAILURE;
            }
            print!("{}", rig.describe());
            println!(
                "# published drydock-demo 1.0-1 in suite {}",
                apt::DEFAULT_SUITE
            );
            println!("# Ctrl-C to stop");
            loop {
                std::thread::park();
            }
        }
        "base" => {
            let t = Instant::now();
            match base::base_tarball(base::SUITE, base::VARIANT) {
                Ok(p) => {
                    println!("{}", p.display());
                    eprintln!(
                        "drydock-rig: base tarball ready in {:.1}s",
                        t.elapsed().as_secs_f64()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("drydock-rig: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        _ => {
            eprintln!(
                "usage: drydock-rig up [--base]   start the rig, print env, wait for Ctrl-C\n       \
                 drydock-rig base          build/find the cached base tarball ({})",
                base::cache_dir().display()
            );
            ExitCode::from(2)
        }
    }
}
