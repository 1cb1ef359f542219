//! The few programs fact collection runs, all started at once and waited for afterwards.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The `PATH` a POSIX shell searches when none is set.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Prints the Python version as `platform.python_version()` does (the first word of
/// `sys.version`, `.0` added to an `X.Y`) without importing `platform`; `-S` skips `site`. Both
/// halve the interpreter's run time; the code runs on Python 2.4 to 3.
const PYTHON_VERSION: &str =
    "import sys; v = sys.version.split()[0]; print(v + '.0' * (v.count('.') == 1))";

/// The targets of the two route lookups (the `setup` parser expects these).
const ROUTE4: &str = "8.8.8.8";
const ROUTE6: &str = "2404:6800:400a:800::1012";

/// A started program (or none: not on `PATH`, or it could not start), or an output known
/// without running it.
pub(super) struct Running(Option<Child>, Option<Vec<u8>>);

impl Running {
    /// An output known without running anything.
    fn output(out: Vec<u8>) -> Running {
        Running(None, Some(out))
    }

    /// Starts `program` with `args` (LANG=C, no input, errors discarded).
    fn start(program: &Path, args: &[&str]) -> Running {
        Running::start_with_input(program, args, None)
    }

    /// Starts `program` with `args` and `input` (a few bytes: written at once) on its standard
    /// input.
    fn start_with_input(program: &Path, args: &[&str], input: Option<&[u8]>) -> Running {
        let child = Command::new(program)
            .args(args)
            .env("LANG", "C")
            .env("LC_ALL", "C")
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()
            .map(|mut c| {
                if let (Some(mut stdin), Some(input)) = (c.stdin.take(), input) {
                    // A failed write shows as missing output.
                    let _ = stdin.write_all(input);
                }
                c
            });
        Running(child, None)
    }

    /// Starts `name` when `command -v name` would find it.
    fn start_found(name: &str, args: &[&str]) -> Running {
        match which(name) {
            Some(p) => Running::start(&p, args),
            None => Running(None, None),
        }
    }

    /// Waits for the program; its standard output (empty when it did not run).
    pub(super) fn wait(self) -> Vec<u8> {
        if let Some(out) = self.1 {
            return out;
        }
        self.0
            .and_then(|c| c.wait_with_output().ok())
            .map(|o| o.stdout)
            .unwrap_or_default()
    }
}

/// `lsb_release -a`: emulated natively for a known script (see `super::lsb`), else running.
pub(super) enum Lsb {
    /// The output, made without running the program.
    Emulated(Vec<u8>),
    /// The real program.
    Running(Running),
}

impl Lsb {
    fn start() -> Lsb {
        match which("lsb_release") {
            Some(p) => match super::lsb::emulate(&p) {
                Some(out) => Lsb::Emulated(out),
                None => Lsb::Running(Running::start(&p, &["-a"])),
            },
            None => Lsb::Running(Running(None, None)),
        }
    }

    /// Its standard output.
    pub(super) fn wait(self) -> Vec<u8> {
        match self {
            Lsb::Emulated(out) => out,
            Lsb::Running(r) => r.wait(),
        }
    }
}

/// The programs of one collection.
pub(super) struct Programs {
    /// `ip -force -batch -` doing both route lookups and `ip addr show` (see [`ip_outputs`]).
    pub ip: Running,
    /// `lsb_release -a`.
    pub lsb: Lsb,
    /// `systemd-detect-virt` (its `-c` answer follows from it: [`container_answer`]).
    pub virt: Running,
    /// The first of `python`, `python3`, `python2` on `PATH`, printing its version.
    pub python: Running,
}

impl Programs {
    /// Starts them all.
    pub(super) fn spawn() -> Programs {
        let python = ["python", "python3", "python2"].into_iter().find_map(which);
        Programs {
            ip: start_ip_batch(),
            lsb: Lsb::start(),
            virt: Running::start_found("systemd-detect-virt", &[]),
            python: match python {
                Some(p) => match super::python::version_from_binary(&p) {
                    Some(v) => Running::output(format!("{v}\n").into_bytes()),
                    None => Running::start(&p, &["-S", "-c", PYTHON_VERSION]),
                },
                None => Running(None, None),
            },
        }
    }
}

/// What `systemd-detect-virt` reports for containers (its `--list`, systemd 252).
const CONTAINERS: &[&str] = &[
    "systemd-nspawn",
    "lxc-libvirt",
    "lxc",
    "openvz",
    "docker",
    "podman",
    "rkt",
    "wsl",
    "proot",
    "pouch",
    "container-other",
];

/// What it reports for virtual machines, and `none`.
const NOT_CONTAINERS: &[&str] = &[
    "none",
    "kvm",
    "amazon",
    "qemu",
    "bochs",
    "xen",
    "uml",
    "vmware",
    "oracle",
    "microsoft",
    "zvm",
    "parallels",
    "bhyve",
    "qnx",
    "acrn",
    "powervm",
    "apple",
    "sre",
    "google",
    "vm-other",
];

/// `systemd-detect-virt -c`'s output, derived from the plain call's `plain` output: without
/// options it looks for a container first and reports it, else the VM, so a container answer is
/// the `-c` answer and a VM (or `none`) means `-c` says `none`. An answer not in these lists
/// (a newer systemd) runs `-c` for real.
pub(super) fn container_answer(plain: &[u8]) -> Vec<u8> {
    let word = String::from_utf8_lossy(plain).trim().to_string();
    if plain.is_empty() {
        return Vec::new();
    }
    if CONTAINERS.contains(&word.as_str()) {
        return plain.to_vec();
    }
    if NOT_CONTAINERS.contains(&word.as_str()) {
        return b"none\n".to_vec();
    }
    Running::start_found("systemd-detect-virt", &["-c"]).wait()
}

/// `ip`, or the bare name when it is not on `PATH` (then it fails to start).
fn ip_path() -> PathBuf {
    which("ip").unwrap_or_else(|| PathBuf::from("ip"))
}

/// The outputs of `ip addr show`, `ip -4 route get 8.8.8.8` and `ip -6 route get …`.
#[derive(Default, Debug, PartialEq)]
pub(super) struct IpOutput {
    pub addr: Vec<u8>,
    pub route4: Vec<u8>,
    pub route6: Vec<u8>,
}

/// Starts `ip -force -batch -` with both route lookups and `ip addr show`, in that order.
fn start_ip_batch() -> Running {
    let commands = format!("route get {ROUTE4}\nroute get {ROUTE6}\naddr show\n");
    Running::start_with_input(
        &ip_path(),
        &["-force", "-batch", "-"],
        Some(commands.as_bytes()),
    )
}

/// Waits for the `ip` batch and splits its output; runs the three commands one by one (at
/// once) when `ip` has no batch mode (BusyBox) and printed nothing.
pub(super) fn ip_outputs(batch: Running) -> IpOutput {
    let out = batch.wait();
    if !out.is_empty() {
        return split_batch(&out);
    }
    let ip = ip_path();
    let addr = Running::start(&ip, &["addr", "show"]);
    let route4 = Running::start(&ip, &["-4", "route", "get", ROUTE4]);
    let route6 = Running::start(&ip, &["-6", "route", "get", ROUTE6]);
    IpOutput {
        addr: addr.wait(),
        route4: route4.wait(),
        route6: route6.wait(),
    }
}

/// Splits the batch's output: a route lookup's answer starts with its target (at the start of a
/// line) and goes on with indented lines; `ip addr show` (last) starts with `1: lo: …`.
fn split_batch(out: &[u8]) -> IpOutput {
    let mut o = IpOutput::default();
    let r4 = format!("{ROUTE4} ");
    let r6 = format!("{ROUTE6} ");
    let mut cur = &mut o.addr;
    for line in out.split_inclusive(|&b| b == b'\n') {
        if !line.starts_with(b" ") && !line.starts_with(b"\t") {
            cur = if line.starts_with(r4.as_bytes()) {
                &mut o.route4
            } else if line.starts_with(r6.as_bytes()) {
                &mut o.route6
            } else {
                &mut o.addr
            };
        }
        cur.extend_from_slice(line);
    }
    o
}

/// `command -v name`: the first executable regular file `name` in `PATH`.
pub(super) fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from(DEFAULT_PATH));
    std::env::split_paths(&path)
        .map(|dir| {
            if dir.as_os_str().is_empty() {
                PathBuf::from(".").join(name)
            } else {
                dir.join(name)
            }
        })
        .find(|p| is_executable(p))
}

/// Whether `p` is a regular file with an execute bit (following links).
fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_answer_follows_the_plain_answer() {
        assert_eq!(container_answer(b"docker\n"), b"docker\n");
        assert_eq!(container_answer(b"kvm\n"), b"none\n");
        assert_eq!(container_answer(b"none\n"), b"none\n");
        assert_eq!(container_answer(b""), b"");
        // Where the program is installed, the derived answer is what `-c` prints.
        let plain = Running::start_found("systemd-detect-virt", &[]).wait();
        if !plain.is_empty() {
            let real = Running::start_found("systemd-detect-virt", &["-c"]).wait();
            assert_eq!(container_answer(&plain), real);
        }
    }

    #[test]
    fn batch_gives_what_three_runs_give() {
        let batch = start_ip_batch();
        let together = ip_outputs(batch);
        assert!(together.addr.starts_with(b"1: lo:"), "{together:?}");
        // Nothing from the batch (as with BusyBox's ip): the three commands one by one.
        let apart = ip_outputs(Running(None, None));
        assert_eq!(together, apart);
    }

    #[test]
    fn batch_output_split_per_command() {
        let out = b"8.8.8.8 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0 \n    cache \n\
2404:6800:400a:800::1012 from :: via fd00::1 dev eth0 src fd00::2 metric 1024 pref medium\n\
1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536\n    inet 127.0.0.1/8 scope host lo\n\
2: eth0: <BROADCAST> mtu 1400\n    inet 192.0.2.2/24 scope global eth0\n";
        let o = split_batch(out);
        assert_eq!(
            o.route4,
            b"8.8.8.8 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0 \n    cache \n"
        );
        assert!(o.route6.starts_with(b"2404:6800:400a:800::1012 from"));
        assert!(o.addr.starts_with(b"1: lo:") && o.addr.ends_with(b"scope global eth0\n"));
        // No IPv4 route: nothing for route4, the rest in place.
        let o = split_batch(b"1: lo: <LOOPBACK>\n");
        assert!(o.route4.is_empty() && o.route6.is_empty());
        assert_eq!(o.addr, b"1: lo: <LOOPBACK>\n");
    }
}
