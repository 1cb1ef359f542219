//! The toolkit's command line end to end on a lab host, as a user types it: `flock play
//! @@core-01 bootstrap` from a copy of the original toolkit, answering the SSH and sudo password
//! prompts through a pseudo-terminal; `flock ping`, `flock command`.

use std::path::{Path, PathBuf};

use flock::lab::TestLab;

#[path = "loader_support/mod.rs"]
mod loader_support;

const PASSWORD: &str = "s3cret-Pw";

/// Drives `argv` in a pseudo-terminal (inside the lab's controller namespace), typing the
/// password at every `password:` prompt; returns everything the terminal showed.
const PTY_DRIVER: &str = r#"
import os, pty, sys, select, time
pw = sys.argv[1].encode() + b"\n"
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
seen, answered = b"", 0
while True:
    r, _, _ = select.select([fd], [], [], 120)
    if not r:
        break
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    seen += data
    if seen.lower().count(b"password") > answered and seen.rstrip().endswith(b":"):
        answered = seen.lower().count(b"password")
        time.sleep(0.5)  # let the prompt switch echo off first
        os.write(fd, pw)
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;

fn sysop_with_password(lab: &TestLab, host: &str) {
    let script = format!(
        "useradd -m -s /bin/bash sysop && echo 'sysop:{PASSWORD}' | chpasswd && \
         echo 'sysop ALL=(ALL) ALL' > /etc/sudoers.d/sysop && chmod 0440 /etc/sudoers.d/sysop && \
         /usr/sbin/sshd -p 2222 -o HostKey=/etc/ssh/ssh_host_ed25519_key -o PasswordAuthentication=yes \
         -o UsePAM=no -o PidFile=/run/sshd-pw.pid && sleep 0.3"
    );
    let out = lab.exec_on_host(host, &script).expect("prepare sysop");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn toolkit_copy(lab: &TestLab) -> (tempfile::TempDir, PathBuf) {
    let (tmp, root) = loader_support::restored_corpus();
    let host = &lab.hosts()[0];
    std::fs::write(
        root.join("hosts"),
        format!(
            "[core]\ncore-01 ansible_ssh_host={} ansible_ssh_port=2222\n",
            host.address
        ),
    )
    .expect("inventory");
    (tmp, root)
}

fn in_pty(lab: &TestLab, dir: &Path, args: &[&str]) -> (i32, String) {
    let mut argv = vec!["env", "-C"];
    let dir = dir.to_string_lossy().into_owned();
    argv.push(&dir);
    argv.extend_from_slice(&[
        "python3",
        "-c",
        PTY_DRIVER,
        PASSWORD,
        env!("CARGO_BIN_EXE_flock"),
    ]);
    argv.extend_from_slice(args);
    let out = lab.exec_in_lab(&argv).expect("run in the lab");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!("{text}\n{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
#[cfg_attr(
    not(flock_corpus),
    ignore = "needs ../shared/flock-2013 beside the checkout"
)]
fn play_at_at_with_ask_sudo_pass_asks_both_passwords_and_runs_with_sudo() {
    let lab = TestLab::new(1);
    let host = lab.hosts()[0].name.clone();
    sysop_with_password(&lab, &host);
    let (_tmp, root) = toolkit_copy(&lab);
    let (_code, text) = in_pty(
        &lab,
        &root,
        &["play", "@@core-01", "bootstrap", "--tags", "wheel", "-K"],
    );
    assert!(text.contains("SSH password:"), "asked for the SSH password");
    assert!(
        text.to_lowercase().contains("sudo password"),
        "asked for the sudo password"
    );
    assert!(!text.contains(PASSWORD), "the password is never shown");
    assert!(
        text.contains("GATHERING FACTS") && text.contains(&format!("ok: [{host}]")),
        "logged in as sysop"
    );
    // The wheel group and the user task ran as root (through sudo with the password).
    let out = lab
        .exec_on_host(&host, "getent group wheel && id sysop")
        .expect("exec");
    let ids = String::from_utf8_lossy(&out.stdout);
    assert!(ids.contains("wheel:x:14:"), "group created by sudo: {ids}");
    assert!(ids.contains("(wheel)"), "sysop joined wheel: {ids}");
}

#[test]
#[cfg_attr(
    not(flock_corpus),
    ignore = "needs ../shared/flock-2013 beside the checkout"
)]
fn ping_and_command_as_the_toolkit_did() {
    let lab = TestLab::new(1);
    let host = lab.hosts()[0].name.clone();
    sysop_with_password(&lab, &host);
    let (_tmp, root) = toolkit_copy(&lab);
    let (code, text) = in_pty(&lab, &root, &["ping", "@core-01"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("core-01 | success >>") && text.contains("\"ping\": \"pong\""));
    let (code, text) = in_pty(&lab, &root, &["command", "@core-01", "id -un"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("core-01 | success | rc=0 >>") && text.contains("sysop"));
}
