//! Fact collection on the host, for the agent's `facts` request.
//!
//! [`collect`] returns the same sectioned text as the `setup` module's gathering script
//! ([`crate::modules::system::setup::SCRIPT`]), which the controller parses with
//! [`crate::modules::system::setup::facts_from_output`], but reads files, `/proc` and `/sys` and
//! calls libc itself instead of spawning ~45 processes. Only what needs a program runs one, all
//! started at once and waited for afterwards: one `ip -batch` for `ip addr show` and the two
//! `ip route get` lookups (they read the kernel's tables; nothing is sent), `lsb_release -a` and
//! `systemd-detect-virt` (once: its `-c` answer follows) when they are on `PATH`, and Python for its version when one is
//! on `PATH`.
//!
//! Each section reproduces the script's shell semantics, including its quirks (a `read -r` that
//! meets end of file before a newline still sets its variable but fails, globs sort by bytes, a
//! missing file gives an empty section).

mod hardware;
mod lsb;
mod platform;
mod programs;
mod python;
mod system;

use std::path::Path;

use programs::Programs;

/// The hidden argument that makes `flock` print [`collect`]'s text and exit (for tests and
/// measurements: `flock --flock-agent-facts`).
pub const FACTS_ARG: &str = "--flock-agent-facts";

/// Prints [`collect`]'s text on standard output (the [`FACTS_ARG`] entry point).
pub fn print() -> std::process::ExitCode {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(collect().as_bytes())
        .and_then(|_| stdout.flush())
    {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(_) => std::process::ExitCode::FAILURE,
    }
}

/// Collects the raw fact sections (the script's output, made natively).
pub fn collect() -> String {
    let progs = Programs::spawn();
    let mut out = Out::default();
    system::uname(&mut out);
    system::hostname(&mut out);
    system::fqdn(&mut out);
    release_files(&mut out);
    out.section("lsb");
    out.raw(&progs.lsb.wait());
    out.section("cpuinfo");
    out.cat("/proc/cpuinfo");
    out.section("meminfo");
    out.cat("/proc/meminfo");
    hardware::net(&mut out);
    let ip = programs::ip_outputs(progs.ip);
    out.section("ipaddr");
    out.raw(&ip.addr);
    out.section("route4");
    out.raw(&ip.route4);
    out.section("route6");
    out.raw(&ip.route6);
    system::date(&mut out);
    system::user(&mut out);
    system::env(&mut out);
    hardware::mounts(&mut out);
    hardware::df(&mut out);
    hardware::devices(&mut out);
    let sdv = progs.virt.wait();
    let sdv_c = programs::container_answer(&sdv);
    platform::virt(&mut out, sdv, sdv_c);
    platform::selinux(&mut out);
    platform::sshkeys(&mut out);
    platform::pkgmgr(&mut out);
    out.section("python");
    out.raw(&progs.python.wait());
    platform::init(&mut out);
    out.section("cmdline");
    out.cat("/proc/cmdline");
    out.section("end");
    String::from_utf8_lossy(&out.0).into_owned()
}

/// The release files: `os-release` … `alpine-release` and the `flags` of files that exist.
fn release_files(out: &mut Out) {
    out.section("os-release");
    if !out.cat("/etc/os-release") {
        out.cat("/usr/lib/os-release");
    }
    for (name, path) in [
        ("lsb-release", "/etc/lsb-release"),
        ("redhat-release", "/etc/redhat-release"),
        ("system-release", "/etc/system-release"),
        ("debian_version", "/etc/debian_version"),
        ("suse-release", "/etc/SuSE-release"),
        ("alpine-release", "/etc/alpine-release"),
    ] {
        out.section(name);
        out.cat(path);
    }
    out.section("flags");
    for f in [
        "/etc/gentoo-release",
        "/etc/arch-release",
        "/etc/mandriva-release",
        "/etc/vmware-release",
        "/etc/openwrt_release",
    ] {
        out.flag(Path::new(f).exists(), f);
    }
}

/// The output being built: raw bytes, as the script's stdout.
#[derive(Default)]
struct Out(Vec<u8>);

impl Out {
    /// Starts section `name` (`@@FLOCK@@ name`).
    fn section(&mut self, name: &str) {
        self.line(&format!("@@FLOCK@@ {name}"));
    }

    /// `echo text`.
    fn line(&mut self, text: &str) {
        self.0.extend_from_slice(text.as_bytes());
        self.0.push(b'\n');
    }

    /// `echo text` when `cond` holds.
    fn flag(&mut self, cond: bool, text: &str) {
        if cond {
            self.line(text);
        }
    }

    /// Bytes as they are (a program's output, a file's content).
    fn raw(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    /// `cat path 2>/dev/null`: whether the file could be read.
    fn cat(&mut self, path: impl AsRef<Path>) -> bool {
        match std::fs::read(path) {
            Ok(b) => {
                self.raw(&b);
                true
            }
            Err(_) => false,
        }
    }
}

/// The shell's `read -r v < path` with the default `IFS`: the first line without leading and
/// trailing blanks (empty when the file cannot be read), and whether a newline ended it (`read`'s
/// status).
fn read_var(path: impl AsRef<Path>) -> (String, bool) {
    let Ok(bytes) = std::fs::read(path) else {
        return (String::new(), false);
    };
    let (line, complete) = match bytes.iter().position(|&b| b == b'\n') {
        Some(i) => (&bytes[..i], true),
        None => (&bytes[..], false),
    };
    let text = String::from_utf8_lossy(line);
    (text.trim_matches([' ', '\t']).to_string(), complete)
}

/// [`read_var`]'s value only.
fn read_first(path: impl AsRef<Path>) -> String {
    read_var(path).0
}

/// The non-hidden names in `dir`, sorted by bytes (a glob's or `ls`'s order under `LC_ALL=C`);
/// empty when it cannot be read.
fn list_dir(dir: impl AsRef<Path>) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

/// `ls dir 2>/dev/null | tr '\n' ' '`.
fn ls_words(dir: impl AsRef<Path>) -> String {
    list_dir(dir).iter().map(|n| format!("{n} ")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_var_is_shell_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("f");
        std::fs::write(&p, "  a b \t\nsecond\n").expect("write");
        assert_eq!(read_var(&p), ("a b".to_string(), true));
        std::fs::write(&p, "1").expect("write");
        assert_eq!(read_var(&p), ("1".to_string(), false));
        assert_eq!(read_var(dir.path().join("none")), (String::new(), false));
        std::fs::create_dir(dir.path().join("b")).expect("mkdir");
        std::fs::write(dir.path().join(".h"), "").expect("write");
        assert_eq!(ls_words(dir.path()), "b f ");
    }
}
