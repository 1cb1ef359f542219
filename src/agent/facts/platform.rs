//! Platform sections: `virt`, `selinux`, `sshkeys`, `pkgmgr`, `init`.

use std::path::{Path, PathBuf};

use super::programs::which;
use super::{read_first, read_var, Out};

/// `$(…)`: a program's output without its trailing newlines.
fn substitution(bytes: &[u8]) -> String {
    let end = bytes.iter().rposition(|&b| b != b'\n').map_or(0, |i| i + 1);
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// `virt`: `systemd-detect-virt`'s answers (`sdv`, `sdv_c`, when it is on `PATH`) and the
/// markers of containers and hypervisors.
pub(super) fn virt(out: &mut Out, sdv: Vec<u8>, sdv_c: Vec<u8>) {
    out.section("virt");
    if which("systemd-detect-virt").is_some() {
        out.line(&format!("SDV|{}", substitution(&sdv)));
        out.line(&format!("SDVC|{}", substitution(&sdv_c)));
    }
    out.flag(Path::new("/.dockerenv").exists(), "DOCKERENV");
    out.flag(Path::new("/run/.containerenv").exists(), "PODMAN");
    out.flag(Path::new("/proc/xen").is_dir(), "XEN");
    out.flag(Path::new("/proc/vz").is_dir(), "VZ");
    let cgroup = std::fs::read("/proc/1/cgroup").unwrap_or_default();
    for m in cgroup_matches(&String::from_utf8_lossy(&cgroup)) {
        out.line(&format!("CG|{m}"));
    }
    out.line(&format!(
        "PRODUCT|{}",
        read_first("/sys/devices/virtual/dmi/id/product_name")
    ));
    out.line(&format!(
        "VENDOR|{}",
        read_first("/sys/devices/virtual/dmi/id/sys_vendor")
    ));
    let cpuinfo = std::fs::read("/proc/cpuinfo").unwrap_or_default();
    let hypervisor = String::from_utf8_lossy(&cpuinfo).lines().any(|l| {
        l.strip_prefix("flags")
            .is_some_and(|r| r.contains(" hypervisor"))
    });
    out.flag(hypervisor, "HYPERVISOR");
}

/// `grep -o -m1 -e docker -e lxc`: the matches on the first line that has one, in order.
fn cgroup_matches(text: &str) -> Vec<&'static str> {
    let Some(line) = text
        .lines()
        .find(|l| l.contains("docker") || l.contains("lxc"))
    else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let mut rest = line;
    loop {
        let next = ["docker", "lxc"]
            .into_iter()
            .filter_map(|w| rest.find(w).map(|i| (i, w)))
            .min();
        let Some((i, w)) = next else {
            return found;
        };
        found.push(w);
        rest = &rest[i + w.len()..];
    }
}

/// `selinux`: whether selinuxfs is mounted, its mode and policy version, `/etc/selinux/config`.
pub(super) fn selinux(out: &mut Out) {
    out.section("selinux");
    out.flag(Path::new("/sys/fs/selinux").is_dir(), "MOUNTED");
    for (key, file) in [("ENFORCE", "enforce"), ("POLICYVERS", "policyvers")] {
        // `read -r e < file && echo …`: only a value ended by a newline counts.
        let (v, complete) = read_var(Path::new("/sys/fs/selinux").join(file));
        out.flag(complete, &format!("{key}|{v}"));
    }
    out.cat("/etc/selinux/config");
}

/// `sshkeys`: `TYPE <public key file>` per readable host key.
pub(super) fn sshkeys(out: &mut Out) {
    out.section("sshkeys");
    for t in ["dsa", "rsa", "ecdsa", "ed25519"] {
        let f = format!("/etc/ssh/ssh_host_{t}_key.pub");
        if nix::unistd::access(f.as_str(), nix::unistd::AccessFlags::R_OK).is_ok() {
            out.raw(format!("{t} ").as_bytes());
            out.cat(&f);
        }
    }
}

/// `pkgmgr`: the package managers' programs that exist.
pub(super) fn pkgmgr(out: &mut Out) {
    out.section("pkgmgr");
    for p in [
        "/usr/bin/yum",
        "/usr/bin/dnf",
        "/usr/bin/apt-get",
        "/usr/bin/zypper",
        "/usr/bin/pacman",
        "/bin/opkg",
        "/opt/local/bin/pkgin",
        "/opt/local/bin/port",
        "/sbin/apk",
        "/usr/sbin/pkg",
        "/usr/sbin/swlist",
    ] {
        out.flag(Path::new(p).exists(), p);
    }
}

/// `init`: PID 1's name and the marks of init systems.
pub(super) fn init(out: &mut Out) {
    out.section("init");
    out.line(&format!("COMM|{}", read_first("/proc/1/comm")));
    out.flag(Path::new("/run/systemd/system").is_dir(), "SYSTEMD");
    let sbin_init = readlink_f(Path::new("/sbin/init"))
        .is_some_and(|p| p.to_string_lossy().contains("systemd"));
    out.flag(sbin_init, "SBIN_SYSTEMD");
    out.flag(Path::new("/etc/init.d").is_dir(), "INITD");
    out.flag(Path::new("/etc/init").is_dir(), "ETC_INIT");
    out.flag(which("initctl").is_some(), "UPSTART");
    let openrc = ["/sbin/openrc-run", "/sbin/openrc"]
        .iter()
        .any(|p| Path::new(p).is_file());
    out.flag(openrc, "OPENRC");
}

/// `readlink -f path`: the canonical path, where the last component need not exist.
fn readlink_f(path: &Path) -> Option<PathBuf> {
    let mut cur = path.to_path_buf();
    for _ in 0..40 {
        if let Ok(c) = std::fs::canonicalize(&cur) {
            return Some(c);
        }
        let parent = std::fs::canonicalize(cur.parent()?).ok()?;
        match std::fs::read_link(&cur) {
            Ok(target) => cur = parent.join(target),
            Err(_) => return Some(parent.join(cur.file_name()?)),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grep_o_first_matching_line() {
        let cg = "12:pids:/\n3:cpu:/lxc/a/docker/b\n1:name=systemd:/docker/c\n";
        assert_eq!(cgroup_matches(cg), ["lxc", "docker"]);
        assert!(cgroup_matches("0::/\n").is_empty());
        assert_eq!(substitution(b"kvm\n\n"), "kvm");
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("lib/systemd")).expect("mkdir");
        let link = dir.path().join("init");
        std::os::unix::fs::symlink("lib/systemd/systemd", &link).expect("symlink");
        let real = std::fs::canonicalize(dir.path()).expect("canonical");
        assert_eq!(readlink_f(&link), Some(real.join("lib/systemd/systemd")));
    }
}
