//! Running commands inside a lab: in the controller namespace (with the lab's `/etc/hosts` and
//! its own `/sys`), or on a host (all of the host's namespaces and its root).

use std::ffi::CString;
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A command whose child enters the network namespace at `netns`, a private (slave) mount
/// namespace where each `(source, target)` of `binds` is bind-mounted (targets that do not
/// exist are skipped) and `/sys` is the namespace's own.
pub(crate) fn in_netns(netns: &Path, binds: &[(PathBuf, PathBuf)], argv: &[&str]) -> Command {
    let mut cmd = Command::new(argv.first().copied().unwrap_or("true"));
    cmd.args(argv.iter().skip(1));
    let ns = File::open(netns);
    let c = |p: &Path| CString::new(p.as_os_str().as_encoded_bytes()).ok();
    let binds: Vec<(CString, CString)> = binds
        .iter()
        .filter(|(_, t)| t.exists())
        .filter_map(|(s, t)| Some((c(s)?, c(t)?)))
        .collect();
    // SAFETY: the closure only makes syscalls on data prepared above.
    unsafe {
        cmd.pre_exec(move || {
            use std::os::fd::AsRawFd;
            let ns = match &ns {
                Ok(f) => f,
                Err(e) => {
                    return Err(std::io::Error::from_raw_os_error(
                        e.raw_os_error().unwrap_or(libc::ENOENT),
                    ))
                }
            };
            if libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) != 0
                || libc::unshare(libc::CLONE_NEWNS) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            let null = std::ptr::null();
            if libc::mount(
                null,
                c"/".as_ptr(),
                null,
                libc::MS_REC | libc::MS_SLAVE,
                std::ptr::null(),
            ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            for (src, target) in &binds {
                libc::mount(
                    src.as_ptr(),
                    target.as_ptr(),
                    null,
                    libc::MS_BIND,
                    std::ptr::null(),
                );
            }
            if libc::umount2(c"/sys".as_ptr(), libc::MNT_DETACH) == 0 {
                libc::mount(
                    c"sysfs".as_ptr(),
                    c"/sys".as_ptr(),
                    c"sysfs".as_ptr(),
                    0,
                    std::ptr::null(),
                );
            }
            Ok(())
        });
    }
    cmd
}

/// A command that runs `argv` on the host whose PID 1 is `init` (as the machine sees it), as
/// root with a login-like environment.
pub(crate) fn on_host(init: u32, argv: &[&str]) -> Command {
    let mut cmd = Command::new("nsenter");
    cmd.args([
        "-t",
        &init.to_string(),
        "-m",
        "-u",
        "-n",
        "-p",
        "-r",
        "-w",
        "--",
    ])
    .args(argv)
    .env_clear()
    .env(
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    )
    .env("HOME", "/root")
    .env("USER", "root")
    .env("LOGNAME", "root")
    .env("SHELL", "/bin/bash")
    .env("LANG", "C.UTF-8")
    .current_dir("/");
    if let Ok(t) = std::env::var("TERM") {
        cmd.env("TERM", t);
    }
    cmd
}
