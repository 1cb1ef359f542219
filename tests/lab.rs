//! `flock lab` on real sshd: hosts answer SSH as themselves, keep their writes to themselves,
//! leave nothing behind, coexist, and stay off the machine's network. Needs root.

use std::net::Ipv4Addr;
use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};

use flock::lab::{Flavor, Lab, LabError, LabOptions, TestLab};

fn unique_name() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "t{}y{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// Runs `cmd` on `target` with the OpenSSH client from inside the lab's controller namespace.
fn ssh(lab: &Lab, target: &str, cmd: &str) -> Output {
    let key = lab.key_path().display().to_string();
    let known = format!("UserKnownHostsFile={}", lab.known_hosts_path().display());
    let login = format!("root@{target}");
    let out = lab
        .exec_in_lab(&[
            "ssh",
            "-i",
            &key,
            "-o",
            &known,
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=10",
            &login,
            cmd,
        ])
        .expect("run ssh");
    assert!(
        out.status.success(),
        "ssh {target} {cmd:?}: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn three_hosts_answer_ssh_with_their_own_name_and_address() {
    let lab = TestLab::new(3);
    let names: Vec<&str> = lab.hosts().iter().map(|h| h.name.as_str()).collect();
    assert_eq!(names, ["core-01", "core-02", "core-03"]);
    let mut host_keys = Vec::new();
    for (i, h) in lab.hosts().iter().enumerate() {
        let base = u32::from(lab.hosts()[0].address);
        assert_eq!(u32::from(h.address), base + i as u32);
        // By address, with the host key pinned in the lab's known_hosts (own key per host).
        let out = text(&ssh(
            &lab,
            &h.address.to_string(),
            "hostname; ip -4 -o addr show eth0; cat /etc/ssh/ssh_host_ed25519_key.pub",
        ));
        let mut lines = out.lines();
        assert_eq!(lines.next(), Some(h.name.as_str()), "{out}");
        assert!(
            lines
                .next()
                .unwrap_or("")
                .contains(&format!("inet {}/", h.address)),
            "{out}"
        );
        host_keys.push(
            lines
                .next()
                .unwrap_or("")
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .to_string(),
        );
        // By name: the controller namespace resolves lab hosts.
        assert_eq!(text(&ssh(&lab, &h.name, "hostname")).trim(), h.name);
    }
    host_keys.sort();
    host_keys.dedup();
    assert_eq!(host_keys.len(), 3, "every host has its own host key");
    let machine_key =
        std::fs::read_to_string("/etc/ssh/ssh_host_ed25519_key.pub").unwrap_or_default();
    assert!(!host_keys
        .iter()
        .any(|k| !k.is_empty() && machine_key.contains(k.as_str())));

    // Inventory: group [lab], every host with its address, root and the lab key.
    let inv = lab.inventory_text();
    assert!(inv.contains("[lab]\n"), "{inv}");
    for h in lab.hosts() {
        assert!(inv.contains(&format!(
            "{} ansible_ssh_host={} ansible_ssh_user=root ansible_ssh_private_key_file={}",
            h.name,
            h.address,
            lab.key_path().display()
        )));
    }
    // A plain environment for root: Debian's skel dotfiles, not the machine's.
    let bashrc = text(&ssh(&lab, "core-01", "cat ~/.bashrc"));
    let skel = std::fs::read_to_string("/etc/skel/.bashrc").unwrap_or_default();
    assert_eq!(bashrc, skel);
    // The host's own PID namespace and /sys.
    let out = text(
        &lab.exec_on_host(
            "core-02",
            "cat /proc/1/cmdline | tr '\\0' ' '; ls /sys/class/net",
        )
        .unwrap(),
    );
    assert!(out.starts_with("/bin/sh -c /usr/sbin/sshd"), "{out}");
    assert!(out.contains("eth0") && !out.contains("br0"), "{out}");
}

#[test]
fn a_write_stays_on_its_host() {
    let lab = TestLab::new(2);
    let file = format!("/etc/flock-lab-test-{}", unique_name());
    ssh(
        &lab,
        "core-01",
        &format!("echo written > {file}; mkdir /opt/flock-lab-dir; rm -f /etc/motd"),
    );
    let on = |host: &str| {
        text(
            &lab.exec_on_host(host, &format!("cat {file} 2>/dev/null || echo absent"))
                .unwrap(),
        )
    };
    assert_eq!(on("core-01"), "written\n");
    assert_eq!(on("core-02"), "absent\n");
    assert!(
        !Path::new(&file).exists(),
        "the machine must not see a host's writes"
    );

    let diff = lab.changes("core-01").unwrap();
    let find = |p: &str| diff.iter().find(|c| c.path == Path::new(p));
    let f = find(&file).expect("the new file is in the diff");
    assert_eq!(
        (f.kind, f.mode, f.uid, f.size),
        (flock::lab::ChangeKind::File, 0o644, 0, 8)
    );
    assert_eq!(
        find("/opt/flock-lab-dir").map(|c| c.kind),
        Some(flock::lab::ChangeKind::Dir)
    );
    if Path::new("/etc/motd").exists() {
        assert_eq!(
            find("/etc/motd").map(|c| c.kind),
            Some(flock::lab::ChangeKind::Deleted)
        );
    }
    // Copied-up parents (/etc) and sshd's login records are not changes.
    assert!(
        find("/etc").is_none() && find("/var/log/wtmp").is_none(),
        "{diff:?}"
    );
    assert_eq!(
        lab.diff("core-02").unwrap(),
        Vec::<std::path::PathBuf>::new()
    );
}

/// Inode numbers of a lab's network namespaces.
fn netns_inodes(name: &str) -> Vec<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::read_dir("/run/netns")
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(&format!("flock-{name}-"))
        })
        .map(|e| std::fs::metadata(e.path()).unwrap().ino())
        .collect()
}

#[test]
fn down_leaves_nothing_behind() {
    let name = unique_name();
    let lab = Lab::up(&LabOptions {
        name: name.clone(),
        hosts: 3,
        subnet: Some("auto".into()),
        flavor: Flavor::Debian,
    })
    .unwrap();
    let inodes = netns_inodes(&name);
    assert_eq!(inodes.len(), 4, "controller + 3 hosts");
    let dir = format!("/run/flock-lab/{name}");
    assert!(Path::new(&dir).join("state").is_file());
    ssh(&lab, "core-01", "sleep 1000 >/dev/null 2>&1 & echo started");
    lab.down().unwrap();

    let ip = std::process::Command::new("ip")
        .args(["netns", "list"])
        .output()
        .unwrap();
    assert!(
        !text(&ip).contains(&format!("flock-{name}-")),
        "{}",
        text(&ip)
    );
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(&dir), "{mounts}");
    assert!(!Path::new(&dir).exists());
    // No process is left in any of the lab's namespaces.
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let Ok(link) = std::fs::read_link(e.path().join("ns/net")) {
            let link = link.to_string_lossy().to_string();
            for ino in &inodes {
                assert_ne!(
                    link,
                    format!("net:[{ino}]"),
                    "process {:?} survived down",
                    e.file_name()
                );
            }
        }
    }
    // Idempotent.
    Lab::down_by_name(&name).unwrap();
    assert!(matches!(Lab::open(&name), Err(LabError::NotFound(_))));
}

#[test]
fn two_labs_coexist_and_are_isolated() {
    let a = TestLab::new(1);
    let b = TestLab::new(1);
    assert_ne!(a.name(), b.name());
    assert_ne!(a.subnet(), b.subnet());
    assert_eq!(text(&ssh(&a, "core-01", "hostname")).trim(), "core-01");
    assert_eq!(text(&ssh(&b, "core-01", "hostname")).trim(), "core-01");
    // No uplink and no default route: lab a cannot reach lab b nor the machine's network.
    let routes = text(
        &a.exec_in_lab(&["ip", "-4", "route", "show", "table", "all"])
            .unwrap(),
    );
    assert!(!routes.contains("default"), "{routes}");
    // A third lab may even share a's subnet: same addresses, different hosts.
    let c = Lab::up(&LabOptions {
        name: unique_name(),
        hosts: 1,
        subnet: Some(a.subnet()),
        flavor: Flavor::Debian,
    })
    .unwrap();
    assert_eq!(c.hosts()[0].address, a.hosts()[0].address);
    // StrictHostKeyChecking against each lab's own known_hosts: each reaches its own host.
    assert_eq!(text(&ssh(&c, "core-01", "hostname")).trim(), "core-01");
    assert_eq!(text(&ssh(&a, "core-01", "hostname")).trim(), "core-01");
    c.down().unwrap();
    let b_addr = b.hosts()[0].address.to_string();
    let out = a
        .exec_in_lab(&[
            "ssh",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=2",
            &format!("root@{b_addr}"),
            "true",
        ])
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unreachable"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Opening by name finds the same lab.
    let again = Lab::open(a.name()).unwrap();
    assert_eq!(again.hosts(), a.hosts());
    assert!(again.is_alive());
}

#[test]
fn overlapping_subnets_and_taken_names_are_refused() {
    let a = TestLab::new(1);
    let opts = |name: String, subnet: String| LabOptions {
        name,
        hosts: 1,
        subnet: Some(subnet),
        flavor: Flavor::Debian,
    };
    // A route of the machine.
    let routes = std::fs::read_to_string("/proc/net/route").unwrap();
    if let Some(line) = routes.lines().skip(1).find(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() > 7 && f[7] != "00000000"
    }) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let dest = Ipv4Addr::from(u32::from_str_radix(f[1], 16).unwrap().to_ne_bytes());
        let prefix =
            u32::from_be_bytes(u32::from_str_radix(f[7], 16).unwrap().to_ne_bytes()).count_ones();
        if prefix >= 8 {
            let subnet = format!("{dest}/{prefix}");
            match Lab::up(&opts(unique_name(), subnet.clone())) {
                Err(LabError::SubnetOverlap { what, .. }) => {
                    assert!(what.contains("machine's route"), "{what}")
                }
                other => panic!("{subnet}: expected an overlap error, got {other:?}"),
            }
        }
    }
    // The name of a running lab.
    assert!(matches!(
        Lab::up(&opts(a.name().to_string(), "auto".into())),
        Err(LabError::Exists(_))
    ));
    assert!(a.is_alive());
}

#[test]
fn fifty_hosts_come_up() {
    let t = std::time::Instant::now();
    let lab = TestLab::new(50);
    eprintln!("50 hosts up in {:.2} s", t.elapsed().as_secs_f64());
    assert_eq!(lab.hosts().len(), 50);
    assert_eq!(text(&ssh(&lab, "core-50", "hostname")).trim(), "core-50");
}

#[test]
fn cli_needs_root_and_says_so_in_one_line() {
    let bin = env!("CARGO_BIN_EXE_flock");
    let out = std::process::Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            bin,
            "lab",
            "status",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("Permission denied") && !err.contains("flock lab") {
        return; // the binary is not reachable for `nobody` here (private target dir)
    }
    assert!(!out.status.success());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("needs root"), "{err}");
}

#[test]
fn a_thread_can_enter_the_lab() {
    let lab = TestLab::new(1);
    let addr = std::net::SocketAddr::from((lab.hosts()[0].address, 22));
    let lab_ref: &Lab = &lab;
    std::thread::scope(|s| {
        s.spawn(|| {
            lab_ref.enter().unwrap();
            let mut c = std::net::TcpStream::connect(addr).unwrap();
            let mut banner = [0u8; 4];
            std::io::Read::read_exact(&mut c, &mut banner).unwrap();
            assert_eq!(&banner, b"SSH-");
        });
    });
}

/// Kills every process in the lab's namespaces, as a machine cut or `kill -9` would.
fn kill_lab_processes(name: &str) {
    let inodes = netns_inodes(name);
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        if let (Ok(link), Ok(pid)) = (
            std::fs::read_link(e.path().join("ns/net")),
            e.file_name().to_string_lossy().parse::<i32>(),
        ) {
            if inodes
                .iter()
                .any(|i| link.to_string_lossy() == format!("net:[{i}]"))
            {
                // SAFETY: plain syscall.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}

#[test]
fn a_broken_leftover_lab_does_not_block_the_next_one() {
    let name = unique_name();
    let opts = LabOptions {
        name: name.clone(),
        hosts: 2,
        subnet: Some("auto".into()),
        flavor: Flavor::Debian,
    };
    let lab = Lab::up(&opts).unwrap();
    kill_lab_processes(&name);
    let t = std::time::Instant::now();
    while Lab::open(&name).unwrap().is_alive() && t.elapsed().as_secs() < 5 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(!Lab::open(&name).unwrap().is_alive());
    drop(lab);
    let again = Lab::up(&opts).unwrap();
    assert_eq!(text(&ssh(&again, "core-02", "hostname")).trim(), "core-02");
    again.down().unwrap();
}

#[test]
fn labs_of_dead_test_processes_are_reaped() {
    // A pid above the kernel's maximum can never be alive.
    let pid_max: u64 = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let name = format!("t{}x{}", pid_max + 1, std::process::id());
    let opts = LabOptions {
        name: name.clone(),
        hosts: 1,
        subnet: Some("auto".into()),
        flavor: Flavor::Debian,
    };
    let orphan = Lab::up(&opts).unwrap();
    std::mem::forget(orphan); // as if its test process had been killed
    let _lab = TestLab::new(1);
    assert!(matches!(Lab::open(&name), Err(LabError::NotFound(_))));
    assert!(
        !netns_inodes(&name).iter().any(|_| true),
        "its namespaces are gone"
    );
}

#[test]
fn cli_up_inventory_exec_diff_status_down() {
    let bin = env!("CARGO_BIN_EXE_flock");
    let name = unique_name();
    let flock = |args: &[&str]| {
        let out = std::process::Command::new(bin)
            .arg("lab")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            text(&out),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = flock(&[
        "up",
        "--name",
        &name,
        "--hosts",
        "2",
        "--subnet",
        "auto",
        "--timings",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with(&format!("lab {name}: 2 hosts up (")) && out.contains(" in "),
        "{out}"
    );
    let (_, inv, _) = flock(&["inventory", "--name", &name]);
    assert!(inv.contains("[lab]\ncore-01 ansible_ssh_host=10."), "{inv}");
    // Plain `ssh NAME` works in the lab: its ~/.ssh holds the lab key and known_hosts.
    let (ok, _, err) = flock(&[
        "exec",
        "--name",
        &name,
        "--",
        "ssh",
        "-o",
        "BatchMode=yes",
        "core-02",
        "echo x > /root/f",
    ]);
    assert!(ok, "{err}");
    let (ok, out, err) = flock(&[
        "exec", "--name", &name, "--host", "core-01", "--", "hostname",
    ]);
    assert!(ok && out == "core-01\n", "{out}{err}");
    let (ok, out, _) = flock(&["exec", "--name", &name, "--", "sh", "-c", "exit 3"]);
    assert!(!ok && out.is_empty());
    let (_, diff, _) = flock(&["diff", "--name", &name, "core-02", "--content"]);
    assert_eq!(diff, "/root/f\tfile\t0644\troot:root\t2\n    x\n");
    let (_, diff, _) = flock(&["diff", "--name", &name, "core-01"]);
    assert_eq!(diff, "");
    let (_, status, _) = flock(&["status", "--name", &name]);
    assert!(
        status.contains("\tup\n") && status.contains("  core-02\t10."),
        "{status}"
    );
    let (ok, _, err) = flock(&["down", "--name", &name]);
    assert!(ok, "{err}");
    let (ok, _, err) = flock(&["down", "--name", &name]);
    assert!(ok, "down twice: {err}");
    let (ok, _, err) = flock(&["status", "--name", &name]);
    assert!(!ok && err.contains("there is no lab"), "{err}");
}
