//! `flock lab`: real test hosts on one machine, in network namespaces.
//!
//! A lab `LAB` is a controller network namespace `flock-LAB-ctl` with a bridge and no uplink, and
//! per host a network namespace `flock-LAB-core-NN` with a veth into that bridge, plus private
//! mount, UTS and PID namespaces whose root is an overlay of the machine's `/` (a private upper
//! directory), its own `/proc`, `/sys`, `/dev`, `/tmp`, `/run`, and its own `sshd` (own host key)
//! accepting the lab's key for root. State lives in `/run/flock-lab/LAB` (a tmpfs).
//!
//! ```no_run
//! use flock::lab::{Lab, LabOptions, Flavor};
//! let lab = Lab::up(&LabOptions { name: "demo".into(), hosts: 3, subnet: None, flavor: Flavor::Debian })?;
//! let out = lab.exec_on_host("core-01", "hostname")?;
//! lab.down()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod cli;
mod diff;
mod exec;
mod host;
mod keys;
mod net;
mod state;

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

pub use diff::{Change, ChangeKind};
pub use host::SHARE_MOUNT;

use net::Subnet;
use state::{HostState, State};

/// An empty file, gzipped: the `debian` hosts' apt repository index until a test writes one.
const EMPTY_GZIP: &[u8] = &[
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00,
];

/// The subnet used when none is given (`../shared/flock-2013/hosts` expects it).
pub const DEFAULT_SUBNET: &str = "10.1.1.0/24";

/// Errors of `flock lab`.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// Not running as root.
    #[error("needs root (it creates namespaces and mounts): run it as root")]
    NotRoot,
    /// An invalid lab name.
    #[error("lab name `{0}` is invalid: use 1 to 32 letters, digits, `-` or `_`")]
    BadName(String),
    /// A lab with this name is running.
    #[error("lab `{0}` is already up (take it down with `flock lab down --name {0}`)")]
    Exists(String),
    /// No such lab.
    #[error("there is no lab `{0}` (bring it up with `flock lab up --name {0}`)")]
    NotFound(String),
    /// A bad subnet.
    #[error("subnet `{subnet}`: {why}")]
    BadSubnet {
        /// The subnet as given.
        subnet: String,
        /// What is wrong.
        why: String,
    },
    /// The subnet overlaps a route of the machine or another lab.
    #[error("subnet {subnet} overlaps {what}; choose another with --subnet")]
    SubnetOverlap {
        /// The subnet asked for.
        subnet: String,
        /// What it overlaps.
        what: String,
    },
    /// More hosts than the subnet holds.
    #[error("{hosts} hosts do not fit in subnet {subnet} (at most {max})")]
    TooManyHosts {
        /// Hosts asked for.
        hosts: usize,
        /// The subnet.
        subnet: String,
        /// Its capacity.
        max: usize,
    },
    /// No such host in the lab.
    #[error("lab `{lab}` has no host `{host}`")]
    NoHost {
        /// The lab.
        lab: String,
        /// The host asked for.
        host: String,
    },
    /// A system call or file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Setting up the lab failed.
    #[error("{0}")]
    Setup(String),
}

impl LabError {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> LabError {
        LabError::Io {
            what: what.into(),
            source,
        }
    }
}

/// What the hosts run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Flavor {
    /// The machine's own system (Debian), as an overlay of `/`, with the lab's flat repository
    /// (`share_dir()/apt`) as its only apt source.
    #[default]
    Debian,
    /// Enterprise Linux as CentOS 7 presents it: release files, `yum` (the machine's `dnf`) and
    /// `/etc/yum.repos.d/` with one repository, the lab's `share_dir()/el` (empty until a test
    /// puts RPMs there and runs `createrepo_c` on it).
    El,
}

impl Flavor {
    /// The name used on the command line and in the state file.
    pub fn as_str(&self) -> &'static str {
        match self {
            Flavor::Debian => "debian",
            Flavor::El => "el",
        }
    }

    /// Parses `debian` or `el`.
    pub fn parse(s: &str) -> Option<Flavor> {
        match s {
            "debian" => Some(Flavor::Debian),
            "el" => Some(Flavor::El),
            _ => None,
        }
    }
}

/// How to bring a lab up.
#[derive(Clone, Debug)]
pub struct LabOptions {
    /// The lab's name (letters, digits, `-`, `_`).
    pub name: String,
    /// Number of hosts (`core-01`, `core-02`, …).
    pub hosts: usize,
    /// `A.B.C.D/P`; `None` is [`DEFAULT_SUBNET`]; `"auto"` picks a free `10.x.y.0/24`.
    pub subnet: Option<String>,
    /// What the hosts run.
    pub flavor: Flavor,
}

/// One host of a lab.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabHost {
    /// `core-01`, …
    pub name: String,
    /// Its eth0 address.
    pub address: Ipv4Addr,
}

/// A running lab.
#[derive(Debug)]
pub struct Lab {
    state: State,
    hosts: Vec<LabHost>,
    dir: PathBuf,
    timings: Vec<(&'static str, Duration)>,
}

/// Fails unless running as root.
pub fn check_root() -> Result<(), LabError> {
    // SAFETY: trivial syscall.
    if unsafe { libc::geteuid() } != 0 {
        return Err(LabError::NotRoot);
    }
    Ok(())
}

fn check_name(name: &str) -> Result<(), LabError> {
    if name.is_empty()
        || name.len() > 32
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(LabError::BadName(name.to_string()));
    }
    Ok(())
}

fn ctl_netns(lab: &str) -> String {
    format!("flock-{lab}-ctl")
}

fn host_netns(lab: &str, host: &str) -> String {
    format!("flock-{lab}-{host}")
}

fn host_name(i: usize) -> String {
    format!("core-{i:02}")
}

impl Lab {
    /// Brings a lab up: every host answers SSH when this returns.
    pub fn up(opts: &LabOptions) -> Result<Lab, LabError> {
        check_root()?;
        check_name(&opts.name)?;
        if opts.hosts == 0 {
            return Err(LabError::Setup("a lab needs at least one host".into()));
        }
        if opts.flavor == Flavor::El && !Path::new("/usr/bin/dnf").exists() {
            return Err(LabError::Setup(
                "the `el` flavor needs dnf, rpm and createrepo-c on this machine (apt-get install dnf rpm createrepo-c)".into(),
            ));
        }
        let state = reserve(opts)?;
        let dir = state::lab_dir(&opts.name);
        let mut lab = Lab {
            hosts: state.hosts.iter().map(|h| h.host.clone()).collect(),
            state,
            dir,
            timings: Vec::new(),
        };
        match lab.build() {
            Ok(()) => Ok(lab),
            Err(e) => {
                let log = lab.first_log();
                teardown(&lab.state);
                Err(match log {
                    Some(l) => LabError::Setup(format!("{e}\n{l}")),
                    None => e,
                })
            }
        }
    }

    /// Opens a running lab by name.
    pub fn open(name: &str) -> Result<Lab, LabError> {
        check_name(name)?;
        let state = State::read(name)?.ok_or_else(|| LabError::NotFound(name.to_string()))?;
        Ok(Lab {
            hosts: state.hosts.iter().map(|h| h.host.clone()).collect(),
            state,
            dir: state::lab_dir(name),
            timings: Vec::new(),
        })
    }

    /// The names of all labs on this machine.
    pub fn list() -> Vec<String> {
        state::lab_names()
    }

    /// The lab's name.
    pub fn name(&self) -> &str {
        &self.state.name
    }

    /// The hosts, in order.
    pub fn hosts(&self) -> &[LabHost] {
        &self.hosts
    }

    /// The lab's subnet (`10.1.1.0/24`).
    pub fn subnet(&self) -> String {
        self.state.subnet.to_string()
    }

    /// The controller side's address (`10.1.1.254`).
    pub fn controller_address(&self) -> Ipv4Addr {
        self.state.subnet.controller()
    }

    /// What the hosts run.
    pub fn flavor(&self) -> Flavor {
        self.state.flavor
    }

    /// The lab's shared directory on the machine: every host sees it, read-write and live, as
    /// [`SHARE_MOUNT`] (`/srv/flock-lab`). Tests put local package repositories there: `el/` is
    /// the `el` hosts' yum repository, `apt/` the `debian` hosts' only apt source (a flat
    /// repository: `.deb`s and a `Packages` index; an empty `Packages.gz` at first, which
    /// tests writing `Packages` remove).
    pub fn share_dir(&self) -> PathBuf {
        self.dir.join("share")
    }

    /// The lab's private key (ed25519, accepted for root on every host).
    pub fn key_path(&self) -> PathBuf {
        self.dir.join("id_ed25519")
    }

    /// A `known_hosts` file with every host's key (by name and address). Commands run with
    /// [`Lab::command_in_lab`] see its directory as `~/.ssh` (with the lab key as `id_ed25519`),
    /// so plain `ssh core-01` works there and nothing is written to the machine's `~/.ssh`.
    pub fn known_hosts_path(&self) -> PathBuf {
        self.ssh_dir().join("known_hosts")
    }

    fn ssh_dir(&self) -> PathBuf {
        self.dir.join("ssh")
    }

    /// The hosts file the controller namespace sees as `/etc/hosts`.
    pub fn hosts_file_path(&self) -> PathBuf {
        self.dir.join("etc-hosts")
    }

    /// How long each phase of [`Lab::up`] took (empty for an opened lab).
    pub fn timings(&self) -> &[(&'static str, Duration)] {
        &self.timings
    }

    /// Whether every host's processes are still running.
    pub fn is_alive(&self) -> bool {
        self.state.alive()
    }

    /// An INI inventory: group `[lab]` with every host and its address, user root and the key.
    pub fn inventory_text(&self) -> String {
        let mut s = format!(
            "# flock lab {} ({})\n[lab]\n",
            self.state.name, self.state.subnet
        );
        for h in &self.hosts {
            s.push_str(&format!(
                "{} ansible_ssh_host={} ansible_ssh_user=root ansible_ssh_private_key_file={}\n",
                h.name,
                h.address,
                self.key_path().display()
            ));
        }
        s
    }

    /// A command that runs `argv` inside the controller namespace (for streaming or exec).
    pub fn command_in_lab(&self, argv: &[&str]) -> Command {
        let mut binds = vec![(self.hosts_file_path(), PathBuf::from("/etc/hosts"))];
        if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            let dot_ssh = PathBuf::from(home).join(".ssh");
            if !dot_ssh.exists() {
                use std::os::unix::fs::DirBuilderExt;
                let _ = std::fs::DirBuilder::new().mode(0o700).create(&dot_ssh);
            }
            binds.push((self.ssh_dir(), dot_ssh));
        }
        exec::in_netns(&net::netns_path(&ctl_netns(&self.state.name)), &binds, argv)
    }

    /// Runs `argv` inside the controller namespace and collects its output.
    pub fn exec_in_lab(&self, argv: &[&str]) -> std::io::Result<Output> {
        self.command_in_lab(argv).output()
    }

    /// Moves the calling thread into the controller namespace: sockets it (and threads it starts
    /// afterwards, e.g. a tokio runtime built next) opens reach the hosts by address. Name
    /// resolution still uses the machine's `/etc/hosts`; use [`LabHost::address`].
    pub fn enter(&self) -> std::io::Result<()> {
        use std::os::fd::AsRawFd;
        let ns = std::fs::File::open(net::netns_path(&ctl_netns(&self.state.name)))?;
        // SAFETY: setns on the calling thread with an fd we own.
        if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }

    /// A command that runs `argv` on host `host` (all its namespaces, its root), as root.
    pub fn command_on_host(&self, host: &str, argv: &[&str]) -> Result<Command, LabError> {
        let h = self.host_state(host)?;
        Ok(exec::on_host(h.init, argv))
    }

    /// Runs the shell command `cmd` on host `host` and collects its output.
    pub fn exec_on_host(&self, host: &str, cmd: &str) -> std::io::Result<Output> {
        self.command_on_host(host, &["/bin/sh", "-c", cmd])
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::NotFound, e.to_string()))?
            .output()
    }

    /// The paths host `host` changed (created, written, removed), sorted.
    pub fn diff(&self, host: &str) -> Result<Vec<PathBuf>, LabError> {
        Ok(self.changes(host)?.into_iter().map(|c| c.path).collect())
    }

    /// What host `host` changed, with kind, mode, owner and size.
    pub fn changes(&self, host: &str) -> Result<Vec<Change>, LabError> {
        self.host_state(host)?;
        let dirs = host::HostDirs::new(&self.dir, host);
        diff::changes(&dirs.upper, &[&dirs.base, Path::new("/")])
            .map_err(|e| LabError::io(format!("reading {}", dirs.upper.display()), e))
    }

    /// The host's overlay upper directory on the machine.
    pub fn upper_dir(&self, host: &str) -> Result<PathBuf, LabError> {
        self.host_state(host)?;
        Ok(host::HostDirs::new(&self.dir, host).upper)
    }

    /// Stops every process and removes every namespace, mount and file of the lab.
    pub fn down(self) -> Result<(), LabError> {
        check_root()?;
        teardown(&self.state);
        Ok(())
    }

    /// Takes lab `name` down if there is anything left of it (idempotent).
    pub fn down_by_name(name: &str) -> Result<(), LabError> {
        check_root()?;
        check_name(name)?;
        let _lock = state::Lock::take()?;
        match State::read(name)? {
            Some(st) => teardown(&st),
            None => cleanup_leftovers(name),
        }
        Ok(())
    }

    fn host_state(&self, host: &str) -> Result<&HostState, LabError> {
        self.state
            .hosts
            .iter()
            .find(|h| h.host.name == host)
            .ok_or_else(|| LabError::NoHost {
                lab: self.state.name.clone(),
                host: host.to_string(),
            })
    }

    fn first_log(&self) -> Option<String> {
        for h in &self.hosts {
            if let Ok(t) =
                std::fs::read_to_string(self.dir.join("logs").join(format!("{}.log", h.name)))
            {
                if !t.trim().is_empty() {
                    return Some(format!("{}: {}", h.name, t.trim()));
                }
            }
        }
        None
    }

    /// Everything after the reservation: keys, files, namespaces, processes, readiness.
    fn build(&mut self) -> Result<(), LabError> {
        let mut t = Instant::now();
        let mut mark = |timings: &mut Vec<(&'static str, Duration)>, what: &'static str| {
            timings.push((what, t.elapsed()));
            t = Instant::now();
        };
        let name = self.state.name.clone();
        let subnet = self.state.subnet;
        let dir = self.dir.clone();
        let key = keys::ed25519(&format!("flock-lab-{name}"))?;
        write_file(&dir.join("id_ed25519"), &key.private, 0o600)?;
        write_file(
            &dir.join("id_ed25519.pub"),
            &format!("{}\n", key.public),
            0o644,
        )?;
        for d in ["hosts", "logs", "share"] {
            std::fs::create_dir_all(dir.join(d))
                .map_err(|e| LabError::io(format!("creating {}", dir.display()), e))?;
        }
        if self.state.flavor == Flavor::Debian {
            let apt = self.share_dir().join("apt");
            std::fs::create_dir_all(&apt)
                .map_err(|e| LabError::io(format!("creating {}", apt.display()), e))?;
            // An empty index (apt rejects a zero-length `Packages`, takes an empty gzip one).
            let gz = apt.join("Packages.gz");
            std::fs::write(&gz, EMPTY_GZIP)
                .map_err(|e| LabError::io(format!("writing {}", gz.display()), e))?;
        }
        if self.state.flavor == Flavor::El {
            let el = self.share_dir().join("el");
            std::fs::create_dir_all(&el)
                .map_err(|e| LabError::io(format!("creating {}", el.display()), e))?;
            let out = Command::new("createrepo_c")
                .args(["-q", "--no-database"])
                .arg(&el)
                .output()
                .map_err(|e| {
                    LabError::io("running createrepo_c (apt-get install createrepo-c)", e)
                })?;
            if !out.status.success() {
                return Err(LabError::Setup(format!(
                    "createrepo_c {}: {}",
                    el.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                )));
            }
        }

        // Names: the hosts file of every host and of the controller namespace.
        let mut names = format!("{}\tcontroller flock-{name}-ctl\n", subnet.controller());
        for h in &self.hosts {
            names.push_str(&format!("{}\t{}\n", h.address, h.name));
        }
        let host_hosts = format!(
            "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n\n{names}"
        );
        let machine = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
        write_file(
            &self.hosts_file_path(),
            &format!("{machine}\n# flock lab {name}\n{names}"),
            0o644,
        )?;

        let mut known = String::new();
        for h in &self.hosts {
            let hk = keys::host_key(&h.name, h.address)?;
            let dirs = host::HostDirs::new(&dir, &h.name);
            host::write_base(
                &dirs,
                &host::BaseSpec {
                    host: h,
                    hosts_file: &host_hosts,
                    host_key: &hk,
                    authorized_key: &key.public,
                    flavor: self.state.flavor,
                },
            )?;
            let mut pk = hk.public.split_whitespace();
            let (alg, b64) = (pk.next().unwrap_or_default(), pk.next().unwrap_or_default());
            known.push_str(&format!("{},{} {alg} {b64}\n", h.name, h.address));
        }
        let ssh = self.ssh_dir();
        std::fs::create_dir_all(&ssh)
            .map_err(|e| LabError::io(format!("creating {}", ssh.display()), e))?;
        write_file(&ssh.join("id_ed25519"), &key.private, 0o600)?;
        write_file(
            &ssh.join("id_ed25519.pub"),
            &format!("{}\n", key.public),
            0o644,
        )?;
        write_file(&self.known_hosts_path(), &known, 0o644)?;
        mark(&mut self.timings, "keys and files");

        // Namespaces and links: one `ip` for the namespaces, one inside the controller's.
        let ctl = ctl_netns(&name);
        let mut batch = format!("netns add {ctl}\n");
        for h in &self.hosts {
            batch.push_str(&format!("netns add {}\n", host_netns(&name, &h.name)));
        }
        net::ip_batch(None, &batch)?;
        mark(&mut self.timings, "namespaces");
        let mut batch = format!(
            "link set lo up\nlink add br0 type bridge\naddr add {}/{} dev br0\nlink set br0 up\n",
            subnet.controller(),
            subnet.prefix
        );
        for (i, h) in self.hosts.iter().enumerate() {
            let v = format!("h{}", i + 1);
            batch.push_str(&format!(
                "link add {v} type veth peer name eth0 netns {}\nlink set {v} master br0\nlink set {v} up\n",
                host_netns(&name, &h.name)
            ));
        }
        net::ip_batch(Some(&ctl), &batch)?;
        mark(&mut self.timings, "links");

        // The hosts themselves, started from a few threads (each start waits for its exec).
        let jobs: Vec<(usize, LabHost)> = self.hosts.iter().cloned().enumerate().collect();
        let threads = 4.min(jobs.len());
        let mut started: Vec<(usize, Result<Child, LabError>)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|k| {
                    let mine: Vec<&(usize, LabHost)> =
                        jobs.iter().skip(k).step_by(threads).collect();
                    let (dir, name) = (&dir, &name);
                    s.spawn(move || {
                        mine.into_iter()
                            .map(|(i, h)| {
                                let dirs = host::HostDirs::new(dir, &h.name);
                                let log = dir.join("logs").join(format!("{}.log", h.name));
                                (
                                    *i,
                                    host::spawn(
                                        &dirs,
                                        h,
                                        &subnet,
                                        &host_netns(name, &h.name),
                                        &log,
                                    ),
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        started.sort_by_key(|(i, _)| *i);
        let mut children: Vec<Child> = Vec::new();
        let mut first_error = None;
        for (i, r) in started {
            match r {
                Ok(child) => {
                    let st = &mut self.state.hosts[i];
                    st.pid = child.id();
                    st.start = state::start_time(st.pid).unwrap_or(0);
                    children.push(child);
                }
                Err(e) => first_error = first_error.or(Some(e)),
            }
        }
        self.state.write()?;
        if let Some(e) = first_error {
            return Err(e);
        }
        if children.len() != self.hosts.len() {
            return Err(LabError::Setup("a host starter thread panicked".into()));
        }
        mark(&mut self.timings, "processes");
        self.wait_ready(&mut children)?;
        mark(&mut self.timings, "sshd ready");
        for st in &mut self.state.hosts {
            st.init = state::first_child(st.pid).unwrap_or(0);
        }
        self.state.write()?;
        // The children are reaped by `down` (or by init once this process exits).
        drop(children);
        Ok(())
    }

    /// Waits until every host's sshd listens on port 22 (seen in `/proc/PID/net/tcp` of a
    /// process in the host's network namespace: no connection, so sshd forks nothing).
    fn wait_ready(&self, children: &mut [Child]) -> Result<(), LabError> {
        let deadline = Instant::now()
            + Duration::from_secs(20)
            + Duration::from_millis(100 * children.len() as u64);
        let mut pending: Vec<usize> = (0..children.len()).collect();
        loop {
            let mut still = Vec::new();
            for &i in &pending {
                let name = &self.hosts[i].name;
                if let Ok(Some(status)) = children[i].try_wait() {
                    return Err(LabError::Setup(format!(
                        "lab host {name} exited during setup ({status})"
                    )));
                }
                if !listens_on_22(children[i].id()) {
                    still.push(i);
                }
            }
            pending = still;
            let Some(&first) = pending.first() else {
                return Ok(());
            };
            if Instant::now() > deadline {
                let h = &self.hosts[first];
                return Err(LabError::Setup(format!(
                    "{} ({}): sshd did not start listening",
                    h.name, h.address
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Whether a TCP socket listens on port 22 in the network namespace of process `pid`.
fn listens_on_22(pid: u32) -> bool {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/tcp")) else {
        return false;
    };
    text.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() > 3 && f[1].ends_with(":0016") && f[3] == "0A"
    })
}

fn write_file(path: &Path, text: &str, mode: u32) -> Result<(), LabError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text)
        .and_then(|()| std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)))
        .map_err(|e| LabError::io(format!("writing {}", path.display()), e))
}

/// Under the machine-wide lock: checks the name and subnet, mounts the lab's tmpfs and writes
/// the first state file (hosts without processes).
fn reserve(opts: &LabOptions) -> Result<State, LabError> {
    let _lock = state::Lock::take()?;
    if let Some(old) = State::read(&opts.name)? {
        if old.alive() {
            return Err(LabError::Exists(opts.name.clone()));
        }
        teardown(&old);
    }
    cleanup_leftovers(&opts.name);
    let subnet = choose_subnet(opts)?;
    if opts.hosts > subnet.capacity() {
        return Err(LabError::TooManyHosts {
            hosts: opts.hosts,
            subnet: subnet.to_string(),
            max: subnet.capacity(),
        });
    }
    let dir = state::lab_dir(&opts.name);
    std::fs::create_dir_all(&dir)
        .map_err(|e| LabError::io(format!("creating {}", dir.display()), e))?;
    let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes())
        .map_err(|_| LabError::BadName(opts.name.clone()))?;
    // SAFETY: valid C strings.
    let r = unsafe {
        libc::mount(
            c"tmpfs".as_ptr(),
            c.as_ptr(),
            c"tmpfs".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV,
            c"mode=700".as_ptr().cast(),
        )
    };
    if r != 0 {
        return Err(LabError::io(
            format!("mounting a tmpfs on {}", dir.display()),
            std::io::Error::last_os_error(),
        ));
    }
    let hosts = (1..=opts.hosts)
        .map(|i| HostState {
            host: LabHost {
                name: host_name(i),
                address: subnet.host(i),
            },
            pid: 0,
            start: 0,
            init: 0,
        })
        .collect();
    let st = State {
        name: opts.name.clone(),
        subnet,
        flavor: opts.flavor,
        hosts,
    };
    if let Err(e) = st.write() {
        teardown(&st);
        return Err(e);
    }
    Ok(st)
}

/// The subnet for `opts`, refusing overlaps with the machine's routes and other labs.
fn choose_subnet(opts: &LabOptions) -> Result<Subnet, LabError> {
    // Labs are isolated from each other, so two may share a subnet; `auto` still avoids that.
    let machine: Vec<(Subnet, String)> = net::machine_routes()
        .into_iter()
        .map(|(s, dev)| (s, format!("the machine's route {s} dev {dev}")))
        .collect();
    let labs: Vec<(Subnet, String)> = state::lab_names()
        .into_iter()
        .filter(|n| *n != opts.name)
        .filter_map(|n| {
            State::read(&n)
                .ok()
                .flatten()
                .map(|st| (st.subnet, format!("lab `{n}` ({})", st.subnet)))
        })
        .collect();
    let check_in =
        |taken: &[(Subnet, String)], s: Subnet| match taken.iter().find(|(t, _)| t.overlaps(&s)) {
            Some((_, what)) => Err(LabError::SubnetOverlap {
                subnet: s.to_string(),
                what: what.clone(),
            }),
            None => Ok(s),
        };
    let check = |s: Subnet| check_in(&machine, s);
    match opts.subnet.as_deref() {
        None => check(Subnet::parse(DEFAULT_SUBNET)?),
        Some("auto") => {
            let mut prefix = 24u8;
            while prefix > 16 && (1usize << (32 - prefix)) - 3 < opts.hosts {
                prefix -= 1;
            }
            let mut seed = (std::process::id() as u64) << 20
                ^ Instant::now().elapsed().as_nanos() as u64
                ^ std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64);
            for _ in 0..4096 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = (seed >> 33) as u32;
                let addr = Ipv4Addr::new(10, 64 + (r % 190) as u8, (r >> 8) as u8, 0);
                let s = Subnet::parse(&format!("{addr}/{prefix}"))?;
                if check(s).is_ok() && check_in(&labs, s).is_ok() {
                    return Ok(s);
                }
            }
            Err(LabError::Setup("no free 10.x subnet found".into()))
        }
        Some(text) => check(Subnet::parse(text)?),
    }
}

/// Kills the hosts, removes the namespaces, unmounts and removes the state directory.
fn teardown(st: &State) {
    for h in &st.hosts {
        state::kill_and_wait(h.pid, h.start, h.init);
    }
    for h in &st.hosts {
        net::netns_delete(&host_netns(&st.name, &h.host.name));
    }
    net::netns_delete(&ctl_netns(&st.name));
    cleanup_leftovers(&st.name);
}

/// Removes namespaces named like lab `name`'s and its state directory, without a state file.
fn cleanup_leftovers(name: &str) {
    let prefix = format!("flock-{name}-");
    if let Ok(rd) = std::fs::read_dir(net::NETNS_DIR) {
        for e in rd.flatten() {
            let f = e.file_name().to_string_lossy().to_string();
            if let Some(rest) = f.strip_prefix(&prefix) {
                let is_host = rest
                    .strip_prefix("core-")
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
                if rest == "ctl" || is_host {
                    net::netns_delete(&f);
                }
            }
        }
    }
    let dir = state::lab_dir(name);
    if let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) {
        // SAFETY: valid C string; EINVAL when nothing is mounted there.
        while unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) } == 0 {}
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// For tests: a lab with a unique name and a free 10.x subnet, taken down on drop.
pub struct TestLab(Option<Lab>);

impl TestLab {
    /// Brings up `hosts` hosts; panics (with the reason) when that fails.
    pub fn new(hosts: usize) -> TestLab {
        TestLab::with_flavor(hosts, Flavor::Debian)
    }

    /// Brings up `hosts` hosts of `flavor`; panics (with the reason) when that fails.
    pub fn with_flavor(hosts: usize, flavor: Flavor) -> TestLab {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        reap_test_labs();
        let name = format!(
            "t{}x{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let opts = LabOptions {
            name,
            hosts,
            subnet: Some("auto".into()),
            flavor,
        };
        match Lab::up(&opts) {
            Ok(lab) => TestLab(Some(lab)),
            Err(e) => panic!("TestLab::with_flavor({hosts}, {flavor:?}): {e}"),
        }
    }
}

/// Takes down labs of test processes that are gone (named `tPIDx…` or `tPIDy…`), e.g. after a
/// test run was killed; a later run must not inherit them.
pub fn reap_test_labs() {
    for name in state::lab_names() {
        let Some(rest) = name.strip_prefix('t') else {
            continue;
        };
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let tail = &rest[digits.len()..];
        if digits.is_empty() || !(tail.starts_with('x') || tail.starts_with('y')) {
            continue;
        }
        if !Path::new("/proc").join(&digits).exists() {
            let _ = Lab::down_by_name(&name);
        }
    }
}

impl std::ops::Deref for TestLab {
    type Target = Lab;
    fn deref(&self) -> &Lab {
        self.0.as_ref().expect("TestLab is up until dropped")
    }
}

impl Drop for TestLab {
    fn drop(&mut self) {
        if let Some(lab) = self.0.take() {
            if let Err(e) = lab.down() {
                eprintln!("TestLab: down failed: {e}");
            }
        }
    }
}
