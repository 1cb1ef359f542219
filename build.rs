//! Probes what the end-to-end tests need beyond Rust (the 2013 corpus beside the checkout, real
//! Ansible 1.2, PyYAML, ansible-core, sshd, qemu, …) and turns each into a `cfg`, so that a test
//! whose prerequisite is absent is *ignored* — counted as skipped by `cargo test` and
//! `cargo nextest` — instead of passing without having run:
//!
//! ```ignore
//! #[cfg_attr(not(flock_ansible12), ignore = "needs Ansible 1.2 in /opt/ansible12 (scripts/test.sh)")]
//! ```
//!
//! The corpus' path is also given to every target as `FLOCK_CORPUS_DIR` (`$FLOCK_CORPUS` at build
//! time, else `../shared/flock-2013` beside the checkout).
//!
//! The probe re-runs when a probed file that was present changes or goes, when `FLOCK_CORPUS` or
//! `PYYAML_PYTHON` change, and when the stamp `<target>/<profile>/flock-test-prereqs` is touched.
//! The stamp lists every probed path as `present PATH` / `absent PATH`; `scripts/test.sh` touches it
//! when it installed something or when a listed path changed state (a missing path cannot be
//! watched by cargo without re-running the probe on every build). After installing a
//! prerequisite by hand without `scripts/test.sh`, `touch` the stamp.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

/// One prerequisite: the cfg it sets and the paths that must all exist.
struct Probe {
    cfg: &'static str,
    paths: Vec<PathBuf>,
}

const PYENV_27: &str = "/root/.pyenv/versions/2.7.18/bin/python2.7";
const BIN_DIRS: &[&str] = &["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin"];

/// The first `tool` in the usual binary directories, or its `/usr/bin` path (absent).
fn tool(name: &str) -> PathBuf {
    BIN_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| Path::new("/usr/bin").join(name))
}

fn corpus_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FLOCK_CORPUS") {
        return PathBuf::from(dir);
    }
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let beside = manifest.join("../shared/flock-2013");
    beside.canonicalize().unwrap_or(beside)
}

/// Where `python` finds PyYAML (`yaml/__init__.py`), if it does.
fn pyyaml_file() -> PathBuf {
    let python = std::env::var("PYYAML_PYTHON").unwrap_or_else(|_| "python3".into());
    Command::new(&python)
        .args(["-c", "import yaml; print(yaml.__file__)"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .unwrap_or_else(|| PathBuf::from(format!("{python}: no module yaml")))
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

fn probes(corpus: &Path) -> Vec<Probe> {
    let p = |cfg, paths: &[PathBuf]| Probe {
        cfg,
        paths: paths.to_vec(),
    };
    let tun = PathBuf::from("/dev/net/tun");
    vec![
        p("flock_corpus", &[corpus.join("bootstrap.yml")]),
        p(
            "flock_ansible12",
            &[
                "/opt/ansible12/bin/ansible-playbook".into(),
                PYENV_27.into(),
            ],
        ),
        p(
            "flock_ansible_core",
            &["/opt/flock-bench/bin/ansible".into()],
        ),
        p("flock_pyyaml", &[pyyaml_file()]),
        p("flock_python3", &[tool("python3")]),
        p("flock_sshd", &[tool("sshd")]),
        p("flock_runuser", &[tool("runuser")]),
        p("flock_mariadb", &[tool("mariadbd")]),
        p("flock_rabbitmq", &[tool("rabbitmq-server")]),
        p("flock_gem", &[tool("gem")]),
        p("flock_openvpn", &[tool("openvpn"), tun.clone()]),
        p(
            "flock_jockey_tools",
            &[
                tool("ip"),
                tool("dnsmasq"),
                tool("busybox"),
                tool("tftp"),
                tool("curl"),
            ],
        ),
        p(
            "flock_qemu_pxe",
            &[
                tool("qemu-system-x86_64"),
                tool("dnsmasq"),
                "/usr/lib/ipxe/qemu/pxe-e1000.rom".into(),
                "/usr/lib/PXELINUX/pxelinux.0".into(),
                "/usr/lib/syslinux/modules/bios/ldlinux.c32".into(),
                tun,
            ],
        ),
    ]
}

/// `<target>/<profile>/flock-test-prereqs` (OUT_DIR is `<target>/<profile>/build/PKG-HASH/out`).
fn stamp_path() -> Option<PathBuf> {
    let out = PathBuf::from(std::env::var_os("OUT_DIR")?);
    Some(out.ancestors().nth(3)?.join("flock-test-prereqs"))
}

/// Writes the stamp with an old mtime, so that only a later `touch` makes cargo re-run the probe.
fn write_stamp(stamp: &Path, text: &str) {
    if std::fs::read_to_string(stamp).ok().as_deref() != Some(text) {
        let _ = std::fs::write(stamp, text);
    }
    if let Ok(f) = std::fs::File::options().write(true).open(stamp) {
        let _ = f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1));
    }
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=FLOCK_CORPUS");
    println!("cargo::rerun-if-env-changed=PYYAML_PYTHON");
    let corpus = corpus_dir();
    println!("cargo::rustc-env=FLOCK_CORPUS_DIR={}", corpus.display());
    println!("cargo::rustc-check-cfg=cfg(flock_root)");
    if is_root() {
        println!("cargo::rustc-cfg=flock_root");
    }
    let mut listing = String::new();
    for probe in probes(&corpus) {
        println!("cargo::rustc-check-cfg=cfg({})", probe.cfg);
        let mut all = true;
        for path in &probe.paths {
            let present = path.exists();
            all &= present;
            if present {
                println!("cargo::rerun-if-changed={}", path.display());
            }
            let state = if present { "present" } else { "absent" };
            listing.push_str(&format!("{state} {}\n", path.display()));
        }
        if all {
            println!("cargo::rustc-cfg={}", probe.cfg);
        }
    }
    if let Some(stamp) = stamp_path() {
        write_stamp(&stamp, &listing);
        println!("cargo::rerun-if-changed={}", stamp.display());
    }
}
