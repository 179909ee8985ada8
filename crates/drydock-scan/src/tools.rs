//! Compilers, build tools and development packages left in an image.

/// What a build-time package or file is, when it is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ToolKind {
    /// A compiler or language toolchain (gcc, clang, rustc, go, javac).
    Compiler,
    /// A build system or meta-package (make, cmake, build-essential, build-base).
    BuildTool,
    /// Headers and static libraries (`*-dev`, `*-devel`).
    DevPackage,
}

impl ToolKind {
    /// Plural noun for messages.
    pub fn noun(self) -> &'static str {
        match self {
            ToolKind::Compiler => "compilers",
            ToolKind::BuildTool => "build tools",
            ToolKind::DevPackage => "development packages",
        }
    }
}

/// Compiler package names (Debian, Alpine, Fedora), also with a version suffix (`gcc-12`).
const COMPILER_PACKAGES: &[&str] = &[
    "gcc",
    "g++",
    "gcc-c++",
    "clang",
    "rustc",
    "rust",
    "cargo",
    "golang",
    "golang-go",
    "go",
    "gfortran",
    "default-jdk",
    "default-jdk-headless",
    "openjdk",
    "tcc",
];
const BUILD_PACKAGES: &[&str] = &[
    "build-essential",
    "build-base",
    "make",
    "cmake",
    "autoconf",
    "automake",
    "libtool",
    "ninja-build",
    "meson",
    "pkg-config",
    "pkgconf",
    "dpkg-dev",
];
/// Executable names of compilers, also with a version suffix (`clang-14`).
const COMPILER_FILES: &[&str] = &[
    "gcc", "cc", "c++", "g++", "clang", "clang++", "rustc", "cargo", "go", "javac", "gfortran",
    "tcc",
];

/// `name` or `name-<version>` / `name<version>` where the version is digits and dots
/// (`gcc-12`, `clang-14`, `golang-1.19-go`'s prefix is handled by the caller).
fn is_versioned(candidate: &str, name: &str) -> bool {
    let Some(rest) = candidate.strip_prefix(name) else {
        return false;
    };
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    rest.is_empty() || rest.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// Classifies an OS package by name.
pub fn package_kind(name: &str) -> Option<ToolKind> {
    if COMPILER_PACKAGES.iter().any(|p| is_versioned(name, p))
        || name.starts_with("openjdk-") && name.contains("-jdk")
        || name.starts_with("golang-") && name.ends_with("-go")
    {
        Some(ToolKind::Compiler)
    } else if BUILD_PACKAGES.contains(&name) {
        Some(ToolKind::BuildTool)
    } else if name.ends_with("-dev") || name.ends_with("-devel") {
        Some(ToolKind::DevPackage)
    } else {
        None
    }
}

/// A compiler executable, judged by its path: a `…/bin/NAME` with a compiler's name.
pub fn is_compiler_file(path: &str) -> bool {
    let Some((dir, name)) = path.rsplit_once('/') else {
        return false;
    };
    (dir.ends_with("/bin") || dir == "/bin") && COMPILER_FILES.iter().any(|c| is_versioned(name, c))
}

/// Where package managers install executables: a compiler found elsewhere came from a download
/// or a `COPY` (e.g. `/usr/local/go`, `~/.cargo`), which no package database records.
pub fn in_package_dirs(path: &str) -> bool {
    [
        "/usr/bin/",
        "/bin/",
        "/usr/sbin/",
        "/sbin/",
        "/usr/lib/",
        "/usr/libexec/",
    ]
    .iter()
    .any(|d| path.starts_with(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages() {
        for (name, kind) in [
            ("gcc", Some(ToolKind::Compiler)),
            ("gcc-12", Some(ToolKind::Compiler)),
            ("g++-12", Some(ToolKind::Compiler)),
            ("clang-14", Some(ToolKind::Compiler)),
            ("golang-1.19-go", Some(ToolKind::Compiler)),
            ("openjdk-17-jdk-headless", Some(ToolKind::Compiler)),
            ("build-essential", Some(ToolKind::BuildTool)),
            ("make", Some(ToolKind::BuildTool)),
            ("libc6-dev", Some(ToolKind::DevPackage)),
            ("python3.11-dev", Some(ToolKind::DevPackage)),
            ("openssl-devel", Some(ToolKind::DevPackage)),
            ("gcc-12-base", None),
            ("libgcc-s1", None),
            ("openjdk-17-jre-headless", None),
            ("golang-1.19-src", None),
            ("libclang-cpp14", None),
            ("cargo-culture", None),
            ("devscripts", None),
        ] {
            assert_eq!(package_kind(name), kind, "{name}");
        }
    }

    #[test]
    fn files() {
        for path in [
            "/usr/bin/gcc",
            "/usr/bin/gcc-12",
            "/usr/local/go/bin/go",
            "/root/.cargo/bin/rustc",
            "/usr/local/bin/clang++",
            "/bin/cc",
        ] {
            assert!(is_compiler_file(path), "{path}");
        }
        for path in [
            "/usr/bin/gccgo-wrapper",
            "/usr/share/go/doc",
            "/usr/bin/cargo-x",
            "go",
        ] {
            assert!(!is_compiler_file(path), "{path}");
        }
        assert!(in_package_dirs("/usr/bin/gcc"));
        assert!(!in_package_dirs("/usr/local/go/bin/go"));
    }
}
