//! One lab host: its base layer (hostname, hosts, host key, sshd settings, root's dotfiles and
//! authorized key) and the process that becomes it (network, mount, UTS and PID namespaces, an
//! overlay of `/` as root, its own `/proc`, `/sys`, `/dev`, `/tmp`, `/run`, and `sshd`).

use std::ffi::CString;
use std::fs::{self, File};
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::net::{self, ifconfig, Subnet};
use super::{LabError, LabHost};

/// `sshd` settings for lab hosts (a drop-in in `/etc/ssh/sshd_config.d`).
const SSHD_OPTIONS: &[&str] = &[
    "HostKey=/etc/ssh/ssh_host_ed25519_key",
    "PermitRootLogin=prohibit-password",
    "PubkeyAuthentication=yes",
    "PasswordAuthentication=no",
    "KbdInteractiveAuthentication=no",
    "UsePAM=no",
    "UseDNS=no",
    "PrintMotd=no",
    "PrintLastLog=no",
    "MaxStartups=1000:30:1000",
    "MaxSessions=1000",
    "PidFile=/run/sshd.pid",
];

/// Fallback dotfiles when the machine has no `/etc/skel`.
const PROFILE: &str = "if [ \"$BASH\" ]; then\n  if [ -f ~/.bashrc ]; then\n    . ~/.bashrc\n  fi\nfi\n\nmesg n 2> /dev/null || true\n";

/// Paths of one host's directories inside the lab directory.
pub(crate) struct HostDirs {
    pub(crate) base: PathBuf,
    pub(crate) upper: PathBuf,
    pub(crate) work: PathBuf,
    pub(crate) root: PathBuf,
    /// The lab's shared directory, bind-mounted read-write at [`SHARE_MOUNT`] on every host.
    pub(crate) share: PathBuf,
}

/// Where every host sees the lab's shared directory (local package repositories and such).
pub const SHARE_MOUNT: &str = "/srv/flock-lab";

/// What an `el` host's release files say: CentOS, which Ansible 1.2 and modern Ansible both map
/// to the `RedHat` family.
const EL_RELEASE: &str = "CentOS Linux release 7.9.2009 (Core)\n";
const EL_OS_RELEASE: &str = "NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\nANSI_COLOR=\"0;31\"\nCPE_NAME=\"cpe:/o:centos:centos:7\"\nHOME_URL=\"https://www.centos.org/\"\n";
/// The `debian` host's apt source: the `apt` folder of the shared directory, a flat repository.
const DEB_SOURCE: &str = "deb [trusted=yes] file:/srv/flock-lab/apt ./\n";
/// The `el` host's repository: the `el` folder of the shared directory (see [`SHARE_MOUNT`]).
const EL_REPO: &str = "[flock-lab]\nname=flock lab local repository\nbaseurl=file:///srv/flock-lab/el\nenabled=1\ngpgcheck=0\nmetadata_expire=0\n";

impl HostDirs {
    pub(crate) fn new(lab_dir: &Path, host: &str) -> HostDirs {
        let d = lab_dir.join("hosts").join(host);
        HostDirs {
            base: d.join("base"),
            upper: d.join("upper"),
            work: d.join("work"),
            root: d.join("root"),
            share: lab_dir.join("share"),
        }
    }
}

fn ioe(what: &Path) -> impl FnOnce(io::Error) -> LabError + '_ {
    move |e| LabError::io(format!("writing {}", what.display()), e)
}

fn write_file(path: &Path, text: &str, mode: u32) -> Result<(), LabError> {
    fs::write(path, text).map_err(ioe(path))?;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(ioe(path))
}

/// Creates `base/rel` with the mode of the machine's `/rel` (overlay shows the top layer's).
fn mkdir_like(base: &Path, rel: &str) -> Result<PathBuf, LabError> {
    let path = base.join(rel);
    let mode = fs::metadata(Path::new("/").join(rel))
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o755);
    fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(&path)
        .map_err(ioe(&path))?;
    fs::set_permissions(&path, fs::Permissions::from_mode(mode)).map_err(ioe(&path))?;
    Ok(path)
}

/// Marks a directory of a lower layer opaque: the layers below it (the machine's) are hidden.
fn make_opaque(dir: &Path) -> Result<(), LabError> {
    let c = CString::new(dir.as_os_str().as_encoded_bytes())
        .map_err(|_| LabError::Setup("NUL in path".into()))?;
    // SAFETY: valid C strings and buffer.
    let r = unsafe {
        libc::setxattr(
            c.as_ptr(),
            c"trusted.overlay.opaque".as_ptr(),
            b"y".as_ptr().cast(),
            1,
            0,
        )
    };
    if r != 0 {
        return Err(LabError::io(
            format!("marking {} opaque", dir.display()),
            io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// Everything a host's base layer needs.
pub(crate) struct BaseSpec<'a> {
    pub(crate) host: &'a LabHost,
    pub(crate) hosts_file: &'a str,
    pub(crate) host_key: &'a super::keys::KeyPair,
    pub(crate) authorized_key: &'a str,
    pub(crate) flavor: super::Flavor,
}

/// Writes the host's base layer and makes its empty upper, work and root directories.
pub(crate) fn write_base(dirs: &HostDirs, spec: &BaseSpec<'_>) -> Result<(), LabError> {
    for d in [&dirs.upper, &dirs.work, &dirs.root] {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(d)
            .map_err(ioe(d))?;
    }
    let b = &dirs.base;
    mkdir_like(b, "etc")?;
    mkdir_like(b, "srv/flock-lab")?;
    if spec.flavor == super::Flavor::El {
        write_el(b)?;
    } else {
        // Hosts are offline: apt's only source is the lab's flat repository.
        let sources = mkdir_like(b, "etc/apt/sources.list.d")?;
        make_opaque(&sources)?;
        write_file(&sources.join("flock-lab.list"), DEB_SOURCE, 0o644)?;
        if Path::new("/etc/apt/sources.list").exists() {
            whiteout(b, "etc/apt/sources.list")?;
        }
    }
    write_file(
        &b.join("etc/hostname"),
        &format!("{}\n", spec.host.name),
        0o644,
    )?;
    write_file(&b.join("etc/hosts"), spec.hosts_file, 0o644)?;
    mkdir_like(b, "etc/ssh")?;
    write_file(
        &b.join("etc/ssh/ssh_host_ed25519_key"),
        &spec.host_key.private,
        0o600,
    )?;
    write_file(
        &b.join("etc/ssh/ssh_host_ed25519_key.pub"),
        &format!("{}\n", spec.host_key.public),
        0o644,
    )?;
    mkdir_like(b, "etc/ssh/sshd_config.d")?;
    let conf: String = SSHD_OPTIONS
        .iter()
        .map(|o| format!("{}\n", o.replacen('=', " ", 1)))
        .collect();
    write_file(
        &b.join("etc/ssh/sshd_config.d/flock-lab.conf"),
        &format!("# flock lab host settings\n{conf}"),
        0o644,
    )?;
    // root's home: Debian's default dotfiles only (no pyenv), and the lab key.
    let root = b.join("root");
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&root)
        .map_err(ioe(&root))?;
    fs::set_permissions(&root, fs::Permissions::from_mode(0o700)).map_err(ioe(&root))?;
    make_opaque(&root)?;
    for (name, fallback) in [(".bashrc", ""), (".profile", PROFILE)] {
        let text = fs::read_to_string(Path::new("/etc/skel").join(name))
            .unwrap_or_else(|_| fallback.to_string());
        write_file(&root.join(name), &text, 0o644)?;
    }
    let ssh = root.join(".ssh");
    fs::DirBuilder::new()
        .mode(0o700)
        .create(&ssh)
        .map_err(ioe(&ssh))?;
    write_file(
        &ssh.join("authorized_keys"),
        &format!("{}\n", spec.authorized_key),
        0o600,
    )
}

/// Hides a path of the machine in the host (an overlay whiteout in the base layer).
fn whiteout(base: &Path, rel: &str) -> Result<(), LabError> {
    let path = base.join(rel);
    let c = cstr(&path)?;
    // SAFETY: valid C string; a 0/0 character device (mode 0) is overlayfs' whiteout.
    if unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR, libc::makedev(0, 0)) } != 0 {
        return Err(LabError::io(
            format!("hiding {}", path.display()),
            io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// The `el` flavor's files: CentOS release files (the machine's Debian ones hidden), `yum` as the
/// machine's `dnf` (`dnf` itself, `apt-get` and `lsb_release` hidden), and `/etc/yum.repos.d/`
/// with only the lab's local repository.
fn write_el(b: &Path) -> Result<(), LabError> {
    write_file(&b.join("etc/os-release"), EL_OS_RELEASE, 0o644)?;
    for f in ["redhat-release", "centos-release", "system-release"] {
        write_file(&b.join("etc").join(f), EL_RELEASE, 0o644)?;
    }
    for rel in [
        "etc/debian_version",
        "etc/lsb-release",
        "usr/bin/lsb_release",
        "usr/bin/apt-get",
        "usr/bin/apt",
        "usr/bin/dnf",
    ] {
        if Path::new("/").join(rel).exists() {
            mkdir_like(
                b,
                Path::new(rel)
                    .parent()
                    .and_then(Path::to_str)
                    .unwrap_or("."),
            )?;
            whiteout(b, rel)?;
        }
    }
    let repos = mkdir_like(b, "etc/yum.repos.d")?;
    make_opaque(&repos)?;
    write_file(&repos.join("flock-lab.repo"), EL_REPO, 0o644)?;
    let vars = mkdir_like(b, "etc/dnf/vars")?;
    write_file(&vars.join("releasever"), "7\n", 0o644)?;
    // `yum` is dnf's own executable (as `dnf` is hidden, facts say `yum` as on CentOS 7).
    let dnf = fs::read_link("/usr/bin/dnf").unwrap_or_else(|_| PathBuf::from("dnf-3"));
    let bin = mkdir_like(b, "usr/bin")?;
    std::os::unix::fs::symlink(&dnf, bin.join("yum")).map_err(ioe(&bin.join("yum")))?;
    Ok(())
}

/// What the host's PID 1 runs: `sshd` (daemonized, as on a real machine), then it only reaps.
/// The settings come from the drop-in; when the machine's `sshd_config` does not read
/// `sshd_config.d`, they are given as `-o` options instead (not both: `HostKey` adds up).
fn init_script() -> String {
    let config = fs::read_to_string("/etc/ssh/sshd_config").unwrap_or_default();
    let includes_dropins = config.lines().any(|l| {
        let mut w = l.split_whitespace();
        w.next().is_some_and(|k| k.eq_ignore_ascii_case("include"))
            && w.any(|p| p == "/etc/ssh/sshd_config.d/*.conf" || p == "sshd_config.d/*.conf")
    });
    let opts: String = if includes_dropins {
        String::new()
    } else {
        SSHD_OPTIONS.iter().map(|o| format!(" -o {o}")).collect()
    };
    format!("/usr/sbin/sshd -E /run/sshd.log{opts} || exit 1\ntrap '' HUP\nwhile :; do sleep 86400; done\n")
}

fn cstr(s: impl AsRef<std::ffi::OsStr>) -> Result<CString, LabError> {
    CString::new(s.as_ref().as_encoded_bytes()).map_err(|_| LabError::Setup("NUL in a path".into()))
}

/// Starts host `host` (number `index`, 1-based) of a lab whose host network namespace is
/// `netns`; stdout and stderr go to `log`.
pub(crate) fn spawn(
    dirs: &HostDirs,
    host: &LabHost,
    subnet: &Subnet,
    netns: &str,
    log: &Path,
) -> Result<Child, LabError> {
    let ns_path = net::netns_path(netns);
    let ns = File::open(&ns_path)
        .map_err(|e| LabError::io(format!("opening {}", ns_path.display()), e))?;
    let log_file = File::create(log).map_err(ioe(log))?;
    let log_err = log_file.try_clone().map_err(ioe(log))?;
    let opts = format!(
        "lowerdir={}:/,upperdir={},workdir={}",
        dirs.base.display(),
        dirs.upper.display(),
        dirs.work.display()
    );
    let opts = cstr(opts)?;
    let merged = cstr(&dirs.root)?;
    let share = cstr(&dirs.share)?;
    let share_target = cstr(dirs.root.join(SHARE_MOUNT.trim_start_matches('/')))?;
    let hostname = host.name.clone().into_bytes();
    let addr = u32::from(host.address);
    let netmask = if subnet.prefix == 0 {
        0
    } else {
        u32::MAX << (32 - subnet.prefix)
    };

    let mut cmd = Command::new("/usr/bin/unshare");
    cmd.args([
        "--pid",
        "--fork",
        "--kill-child",
        "--mount-proc",
        "--",
        "/bin/sh",
        "-c",
    ])
    .arg(init_script())
    .env_clear()
    .env(
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    )
    .env("HOME", "/root")
    .env("LANG", "C.UTF-8")
    .current_dir("/")
    .stdin(Stdio::null())
    .stdout(log_file)
    .stderr(log_err);
    // SAFETY: the closure only makes syscalls on data prepared above (no allocation).
    unsafe {
        cmd.pre_exec(move || {
            use std::os::fd::AsRawFd;
            libc::setsid();
            libc::umask(0);
            check(libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET), "setns net")?;
            ifconfig::configure(addr, netmask).map_err(|e| step(e, "ifconfig"))?;
            check(
                libc::unshare(libc::CLONE_NEWNS | libc::CLONE_NEWUTS),
                "unshare",
            )?;
            mount(None, c"/", None, libc::MS_REC | libc::MS_PRIVATE, None)?;
            check(
                libc::sethostname(hostname.as_ptr().cast(), hostname.len()),
                "sethostname",
            )?;
            mount(Some(c"overlay"), &merged, Some(c"overlay"), 0, Some(&opts))?;
            mount(Some(&share), &share_target, None, libc::MS_BIND, None)?;
            check(libc::chdir(merged.as_ptr()), "chdir")?;
            check(
                libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr()) as i32,
                "pivot_root",
            )?;
            check(
                libc::umount2(c".".as_ptr(), libc::MNT_DETACH),
                "umount old root",
            )?;
            check(libc::chdir(c"/".as_ptr()), "chdir /")?;
            let nse = libc::MS_NOSUID | libc::MS_NOEXEC | libc::MS_NODEV;
            mount(Some(c"sysfs"), c"/sys", Some(c"sysfs"), nse, None)?;
            mount(
                Some(c"tmpfs"),
                c"/dev",
                Some(c"tmpfs"),
                libc::MS_NOSUID,
                Some(c"mode=755,size=65536k"),
            )?;
            for (path, major, minor) in [
                (c"/dev/null", 1, 3),
                (c"/dev/zero", 1, 5),
                (c"/dev/full", 1, 7),
                (c"/dev/random", 1, 8),
                (c"/dev/urandom", 1, 9),
                (c"/dev/tty", 5, 0),
            ] {
                check(
                    libc::mknod(
                        path.as_ptr(),
                        libc::S_IFCHR | 0o666,
                        libc::makedev(major, minor),
                    ),
                    "mknod",
                )?;
            }
            check(libc::mkdir(c"/dev/pts".as_ptr(), 0o755), "mkdir /dev/pts")?;
            mount(
                Some(c"devpts"),
                c"/dev/pts",
                Some(c"devpts"),
                libc::MS_NOSUID | libc::MS_NOEXEC,
                Some(c"newinstance,ptmxmode=0666,mode=620,gid=5"),
            )?;
            check(libc::mkdir(c"/dev/shm".as_ptr(), 0o1777), "mkdir /dev/shm")?;
            mount(
                Some(c"tmpfs"),
                c"/dev/shm",
                Some(c"tmpfs"),
                libc::MS_NOSUID | libc::MS_NODEV,
                Some(c"mode=1777"),
            )?;
            for (target, link) in [
                (c"pts/ptmx", c"/dev/ptmx"),
                (c"/proc/self/fd", c"/dev/fd"),
                (c"/proc/self/fd/0", c"/dev/stdin"),
                (c"/proc/self/fd/1", c"/dev/stdout"),
                (c"/proc/self/fd/2", c"/dev/stderr"),
            ] {
                check(libc::symlink(target.as_ptr(), link.as_ptr()), "symlink")?;
            }
            mount(
                Some(c"tmpfs"),
                c"/tmp",
                Some(c"tmpfs"),
                libc::MS_NOSUID | libc::MS_NODEV,
                Some(c"mode=1777"),
            )?;
            mount(
                Some(c"tmpfs"),
                c"/run",
                Some(c"tmpfs"),
                libc::MS_NOSUID | libc::MS_NODEV,
                Some(c"mode=755"),
            )?;
            check(libc::mkdir(c"/run/sshd".as_ptr(), 0o755), "mkdir /run/sshd")?;
            check(
                libc::mkdir(c"/run/lock".as_ptr(), 0o1777),
                "mkdir /run/lock",
            )?;
            libc::umask(0o022);
            Ok(())
        });
    }
    cmd.spawn()
        .map_err(|e| LabError::io(format!("starting lab host {}", host.name), e))
}

/// Writes which setup step failed to the host's log (stderr), keeping the OS error.
fn step(e: io::Error, what: &'static str) -> io::Error {
    // SAFETY: write(2) of a static buffer to stderr.
    unsafe {
        libc::write(2, b"flock lab host setup failed at: ".as_ptr().cast(), 32);
        libc::write(2, what.as_ptr().cast(), what.len());
        libc::write(2, b"\n".as_ptr().cast(), 1);
    }
    e
}

fn check(r: libc::c_int, what: &'static str) -> io::Result<()> {
    if r < 0 {
        Err(step(io::Error::last_os_error(), what))
    } else {
        Ok(())
    }
}

fn mount(
    src: Option<&std::ffi::CStr>,
    target: &std::ffi::CStr,
    fstype: Option<&std::ffi::CStr>,
    flags: libc::c_ulong,
    data: Option<&std::ffi::CStr>,
) -> io::Result<()> {
    let p = |c: Option<&std::ffi::CStr>| c.map_or(std::ptr::null(), |c| c.as_ptr());
    // SAFETY: valid C strings or nulls.
    let r = unsafe { libc::mount(p(src), target.as_ptr(), p(fstype), flags, p(data).cast()) };
    check(r, "mount")
}
