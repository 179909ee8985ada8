//! Everything the rig starts must go away: on drop, and when the owning
//! process is killed without running any destructor.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use drydock_rig::{AptRepo, Engine, Registry};

fn pids_of(dir: &Path) -> Vec<u32> {
    fs::read_to_string(dir.join("pgids"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

fn gone(dir: &Path, pids: &[u32]) -> bool {
    !dir.exists()
        && pids
            .iter()
            .all(|p| !Path::new(&format!("/proc/{p}")).exists())
}

fn wait_gone(dir: &Path, pids: &[u32], timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while !gone(dir, pids) {
        assert!(
            Instant::now() < deadline,
            "{} or pids {pids:?} still there",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn components_are_stopped_and_removed_on_drop() {
    let engine = Engine::start().expect("engine");
    let registry = Registry::start().expect("registry");
    let apt = AptRepo::start().expect("apt");
    let (edir, rdir) = (engine.dir().to_path_buf(), registry.dir().to_path_buf());
    let apt_root = apt.root();
    let (epids, rpids) = (pids_of(&edir), pids_of(&rdir));
    assert_eq!(epids.len(), 2, "containerd + dockerd");
    assert_eq!(rpids.len(), 1);
    let v = engine
        .docker_ok(&["version", "--format", "{{.Server.Version}}"])
        .unwrap();
    assert!(v.stdout.starts_with("20."), "{v:?}");
    let tag = edir.file_name().unwrap().to_string_lossy().into_owned();
    drop(apt);
    drop(registry);
    drop(engine);
    assert!(gone(&edir, &epids), "engine left behind");
    assert!(gone(&rdir, &rpids), "registry left behind");
    assert!(!apt_root.exists());
    let cg: Vec<PathBuf> = fs::read_dir("/sys/fs/cgroup")
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path().join(&tag))
                .filter(|p| p.exists())
                .collect()
        })
        .unwrap_or_default();
    assert!(cg.is_empty(), "cgroups left: {cg:?}");
}

#[test]
fn watchdogs_clean_up_after_a_killed_process() {
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_drydock-rig"))
        .arg("up")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut edir, mut rdir, mut host) = (None, None, None);
    for l in lines.by_ref() {
        let l = l.unwrap();
        if let Some(d) = l.strip_prefix("# engine dir: ") {
            edir = Some(PathBuf::from(d));
        } else if let Some(d) = l.strip_prefix("# registry dir: ") {
            rdir = Some(PathBuf::from(d));
        } else if let Some(h) = l.strip_prefix("DOCKER_HOST=") {
            host = Some(h.to_owned());
        } else if l.starts_with("# Ctrl-C") {
            break;
        }
    }
    let (edir, rdir, host) = (edir.unwrap(), rdir.unwrap(), host.unwrap());
    eprintln!(
        "drydock-rig up ready after {:.1}s",
        t.elapsed().as_secs_f64()
    );
    assert!(host.contains(edir.to_str().unwrap()));
    let (epids, rpids) = (pids_of(&edir), pids_of(&rdir));
    assert_eq!(epids.len() + rpids.len(), 3);
    // SIGKILL: no destructor, no signal handler runs in the rig process.
    child.kill().unwrap();
    child.wait().unwrap();
    let t = Instant::now();
    wait_gone(&edir, &epids, Duration::from_secs(60));
    wait_gone(&rdir, &rpids, Duration::from_secs(60));
    eprintln!("watchdogs cleaned up in {:.1}s", t.elapsed().as_secs_f64());
}
