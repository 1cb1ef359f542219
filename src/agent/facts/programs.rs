//! The few programs fact collection runs, all started at once and waited for afterwards.

use std::ffi::OsString;
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

/// A started program (or none: not on `PATH`, or it could not start).
pub(super) struct Running(Option<Child>);

impl Running {
    /// Starts `program` with `args` (LANG=C, no input, errors discarded).
    fn start(program: &Path, args: &[&str]) -> Running {
        Running(
            Command::new(program)
                .args(args)
                .env("LANG", "C")
                .env("LC_ALL", "C")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .ok(),
        )
    }

    /// Starts `name` when `command -v name` would find it.
    fn start_found(name: &str, args: &[&str]) -> Running {
        match which(name) {
            Some(p) => Running::start(&p, args),
            None => Running(None),
        }
    }

    /// Waits for the program; its standard output (empty when it did not run).
    pub(super) fn wait(self) -> Vec<u8> {
        self.0
            .and_then(|c| c.wait_with_output().ok())
            .map(|o| o.stdout)
            .unwrap_or_default()
    }
}

/// The programs of one collection.
pub(super) struct Programs {
    /// `ip addr show`.
    pub ipaddr: Running,
    /// `ip -4 route get 8.8.8.8`.
    pub route4: Running,
    /// `ip -6 route get 2404:6800:400a:800::1012`.
    pub route6: Running,
    /// `lsb_release -a`.
    pub lsb: Running,
    /// `systemd-detect-virt`.
    pub virt: Running,
    /// `systemd-detect-virt -c`.
    pub virt_container: Running,
    /// The first of `python`, `python3`, `python2` on `PATH`, printing its version.
    pub python: Running,
}

impl Programs {
    /// Starts them all.
    pub(super) fn spawn() -> Programs {
        let ip = which("ip").unwrap_or_else(|| PathBuf::from("ip"));
        let python = ["python", "python3", "python2"].into_iter().find_map(which);
        Programs {
            ipaddr: Running::start(&ip, &["addr", "show"]),
            route4: Running::start(&ip, &["-4", "route", "get", "8.8.8.8"]),
            route6: Running::start(&ip, &["-6", "route", "get", "2404:6800:400a:800::1012"]),
            lsb: Running::start_found("lsb_release", &["-a"]),
            virt: Running::start_found("systemd-detect-virt", &[]),
            virt_container: Running::start_found("systemd-detect-virt", &["-c"]),
            python: match python {
                Some(p) => Running::start(&p, &["-S", "-c", PYTHON_VERSION]),
                None => Running(None),
            },
        }
    }
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
