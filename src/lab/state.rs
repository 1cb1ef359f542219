//! The lab's state directory (`/run/flock-lab/LAB`, a tmpfs), its state file, the global lock,
//! and the processes a lab owns.

use std::fs::File;
use std::io;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::net::Subnet;
use super::{Flavor, LabError, LabHost};

/// Where every lab keeps its state.
pub(crate) const ROOT: &str = "/run/flock-lab";

/// The state directory of lab `name`.
pub(crate) fn lab_dir(name: &str) -> PathBuf {
    Path::new(ROOT).join(name)
}

/// One host's entry in the state file.
#[derive(Clone, Debug)]
pub(crate) struct HostState {
    pub(crate) host: LabHost,
    /// The `unshare` process we started (in the machine's PID namespace).
    pub(crate) pid: u32,
    /// Its start time (field 22 of `/proc/PID/stat`), against PID reuse.
    pub(crate) start: u64,
    /// PID 1 of the host's PID namespace, as the machine sees it.
    pub(crate) init: u32,
}

/// The lab's state file.
#[derive(Clone, Debug)]
pub(crate) struct State {
    pub(crate) name: String,
    pub(crate) subnet: Subnet,
    pub(crate) flavor: Flavor,
    pub(crate) hosts: Vec<HostState>,
}

impl State {
    /// The state file's text.
    pub(crate) fn render(&self) -> String {
        let mut s = format!(
            "flock-lab 1\nname {}\nsubnet {}\ncontroller {}\nflavor {}\n",
            self.name,
            self.subnet,
            self.subnet.controller(),
            self.flavor.as_str()
        );
        for h in &self.hosts {
            s.push_str(&format!(
                "host {} {} {} {} {}\n",
                h.host.name, h.host.address, h.pid, h.start, h.init
            ));
        }
        s
    }

    /// Parses a state file.
    pub(crate) fn parse(path: &Path, text: &str) -> Result<State, LabError> {
        let bad = |line: usize, why: &str| {
            LabError::Setup(format!(
                "{}:{}:1: bad lab state file: {why}",
                path.display(),
                line + 1
            ))
        };
        let mut name = None;
        let mut subnet = None;
        let mut flavor = Flavor::Debian;
        let mut hosts = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let f: Vec<&str> = line.split_whitespace().collect();
            match f.as_slice() {
                ["flock-lab", _] | ["controller", _] | [] => {}
                ["name", n] => name = Some(n.to_string()),
                ["subnet", s] => subnet = Some(Subnet::parse(s).map_err(|_| bad(i, "subnet"))?),
                ["flavor", f] => flavor = Flavor::parse(f).ok_or_else(|| bad(i, "flavor"))?,
                ["host", n, a, pid, start, init] => {
                    let address: Ipv4Addr = a.parse().map_err(|_| bad(i, "address"))?;
                    let num = |s: &str| s.parse::<u64>().map_err(|_| bad(i, "number"));
                    hosts.push(HostState {
                        host: LabHost {
                            name: n.to_string(),
                            address,
                        },
                        pid: num(pid)? as u32,
                        start: num(start)?,
                        init: num(init)? as u32,
                    });
                }
                _ => return Err(bad(i, "unknown line")),
            }
        }
        Ok(State {
            name: name.ok_or_else(|| bad(0, "no name"))?,
            subnet: subnet.ok_or_else(|| bad(0, "no subnet"))?,
            flavor,
            hosts,
        })
    }

    /// Reads lab `name`'s state file; `Ok(None)` when there is none.
    pub(crate) fn read(name: &str) -> Result<Option<State>, LabError> {
        let path = lab_dir(name).join("state");
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(State::parse(&path, &text)?)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(LabError::io(format!("reading {}", path.display()), e)),
        }
    }

    /// Writes the state file (atomically).
    pub(crate) fn write(&self) -> Result<(), LabError> {
        let dir = lab_dir(&self.name);
        let tmp = dir.join("state.tmp");
        std::fs::write(&tmp, self.render())
            .and_then(|()| std::fs::rename(&tmp, dir.join("state")))
            .map_err(|e| LabError::io(format!("writing {}", dir.join("state").display()), e))
    }

    /// Whether every host process is still the one we started.
    pub(crate) fn alive(&self) -> bool {
        !self.hosts.is_empty()
            && self
                .hosts
                .iter()
                .all(|h| h.pid != 0 && start_time(h.pid) == Some(h.start))
    }
}

/// The names of all labs with a state directory.
pub(crate) fn lab_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(ROOT)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().join("state").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

/// The machine-wide lab lock (held while names and subnets are chosen).
pub(crate) struct Lock(#[allow(dead_code)] File);

impl Lock {
    /// Takes the lock, waiting for it.
    pub(crate) fn take() -> Result<Lock, LabError> {
        std::fs::create_dir_all(ROOT).map_err(|e| LabError::io(format!("creating {ROOT}"), e))?;
        let path = Path::new(ROOT).join(".lock");
        let f = File::create(&path)
            .map_err(|e| LabError::io(format!("opening {}", path.display()), e))?;
        use std::os::fd::AsRawFd;
        // SAFETY: flock on an fd we own; released when the file is closed.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(LabError::io(
                "locking /run/flock-lab/.lock",
                io::Error::last_os_error(),
            ));
        }
        Ok(Lock(f))
    }
}

/// Field 22 (start time) of `/proc/PID/stat`, or `None` when the process is gone or a zombie.
pub(crate) fn start_time(pid: u32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    if f.first() == Some(&"Z") || f.first() == Some(&"X") {
        return None;
    }
    f.get(19)?.parse().ok()
}

/// The first child of `pid` (from `/proc/PID/task/PID/children`).
pub(crate) fn first_child(pid: u32) -> Option<u32> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Kills `pid` if it is still the process started at `start`, then waits (up to 5 s) until it
/// is gone, reaping it when it is our child.
pub(crate) fn kill_and_wait(pid: u32, start: u64, init: u32) {
    if pid == 0 || start_time(pid) != Some(start) {
        reap(pid);
        return;
    }
    // Killing the namespace's PID 1 takes every process of the host with it.
    if init != 0 && start_time(init).is_some() && first_child(pid) == Some(init) {
        // SAFETY: plain syscall.
        unsafe { libc::kill(init as i32, libc::SIGKILL) };
    }
    // SAFETY: plain syscall.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        reap(pid);
        if start_time(pid) != Some(start) {
            reap(pid);
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn reap(pid: u32) {
    if pid != 0 {
        // SAFETY: waitpid on a specific pid; ECHILD when it is not ours.
        unsafe { libc::waitpid(pid as i32, std::ptr::null_mut(), libc::WNOHANG) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trip() {
        let s = State {
            name: "t".into(),
            subnet: Subnet::parse("10.9.8.0/24").unwrap(),
            flavor: Flavor::Debian,
            hosts: vec![HostState {
                host: LabHost {
                    name: "core-01".into(),
                    address: Ipv4Addr::new(10, 9, 8, 1),
                },
                pid: 12,
                start: 34,
                init: 56,
            }],
        };
        let text = s.render();
        let back = State::parse(Path::new("state"), &text).unwrap();
        assert_eq!(back.render(), text);
        let err = State::parse(Path::new("state"), "name x\nbogus\n").unwrap_err();
        assert!(err.to_string().contains("state:2:1"), "{err}");
    }

    #[test]
    fn own_start_time() {
        assert!(start_time(std::process::id()).is_some());
    }
}
