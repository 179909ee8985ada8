//! `VOLUME`s over places that should never be a volume.

/// Why a volume path is sensitive, or `None` when it is not.
pub fn sensitive_volume(path: &str) -> Option<&'static str> {
    let trimmed = path.trim();
    let p = trimmed.trim_end_matches('/');
    let p = if p.is_empty() && trimmed.starts_with('/') {
        "/"
    } else {
        p
    };
    let under = |dir: &str| p == dir || p.starts_with(&format!("{dir}/"));
    if p == "/" {
        Some("the whole filesystem")
    } else if p.ends_with("/docker.sock")
        || p.ends_with("/containerd.sock")
        || p.ends_with("/podman.sock")
    {
        Some("a container engine's socket: whoever can write to it is root on the host")
    } else if p
        .split('/')
        .any(|c| c == ".ssh" || c == ".gnupg" || c == ".aws" || c == ".docker" || c == ".kube")
    {
        Some("a credentials directory")
    } else if under("/var/lib/docker") || under("/var/lib/containerd") {
        Some("a container engine's state")
    } else if ["/proc", "/sys", "/dev", "/boot"].iter().any(|d| under(d)) {
        Some("a kernel or boot directory")
    } else if under("/etc") || under("/root") {
        Some("system configuration or root's home")
    } else if [
        "/usr", "/bin", "/sbin", "/lib", "/lib64", "/home", "/var/run", "/run",
    ]
    .contains(&p)
    {
        Some("a system directory")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensitive_and_harmless_volumes() {
        for path in [
            "/",
            "//",
            "/etc",
            "/etc/",
            "/etc/nginx",
            "/root",
            "/var/run/docker.sock",
            "/run/docker.sock",
            "/home/app/.ssh",
            "/root/.ssh",
            "/proc",
            "/sys/fs",
            "/usr",
            "/lib",
            "/var/lib/docker",
            "/home",
        ] {
            assert!(sensitive_volume(path).is_some(), "{path}");
        }
        for path in [
            "/data",
            "/var/lib/postgresql/data",
            "/app/uploads",
            "/home/app/data",
            "/var/log",
            "/etcd",
            "/rooted",
        ] {
            assert_eq!(sensitive_volume(path), None, "{path}");
        }
    }
}
