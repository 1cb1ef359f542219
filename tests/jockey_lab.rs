//! jockey on a real network: `flock jockey masq` (real dnsmasq) and `flock jockey http` in a
//! server network namespace, a client namespace with no address runs busybox `udhcpc`, fetches its
//! PXELINUX config over TFTP (tftp-hpa) and its kickstart over HTTP (curl), and the bytes match.
//! Everything happens inside two namespaces this test creates, joined by one veth pair.

mod jockey_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use jockey_support::{flock_jockey, scratch};

const MAC: &str = "08:00:27:14:68:75";
const KS: &str = "08-00-27-14-68-75";

/// A scratch space whose inventory serves 10.77.1.100-150 from 10.77.1.254.
fn lab_space() -> (tempfile::TempDir, PathBuf) {
    let (dir, root) = scratch();
    fs::write(
        root.join("hosts"),
        "boot_server=10.77.1.254\ndhcp_range=\"10.77.1.100,10.77.1.150,255.255.255.0,1h\"\ninterface=eth1\n",
    )
    .unwrap();
    (dir, root)
}

/// Two namespaces and their processes; removed on drop.
struct Lab {
    server: String,
    client: String,
    children: Vec<Child>,
}

impl Lab {
    /// Two fresh namespaces with unique names.
    fn namespaces() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let id = format!(
            "{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let lab = Lab {
            server: format!("jk-s-{id}"),
            client: format!("jk-c-{id}"),
            children: Vec::new(),
        };
        run("ip", &["netns", "add", &lab.server]);
        run("ip", &["netns", "add", &lab.client]);
        lab
    }

    /// A server namespace and a client namespace joined by a veth pair (server eth1,
    /// 10.77.1.254/24; client eth0 with MAC, no address).
    fn new() -> Self {
        let lab = Self::namespaces();
        // The veth pair is created inside the server namespace; its peer moves to the client.
        run(
            "ip",
            &[
                "-n",
                &lab.server,
                "link",
                "add",
                "eth1",
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                &lab.client,
            ],
        );
        run(
            "ip",
            &[
                "-n",
                &lab.server,
                "addr",
                "add",
                "10.77.1.254/24",
                "dev",
                "eth1",
            ],
        );
        run("ip", &["-n", &lab.server, "link", "set", "eth1", "up"]);
        run("ip", &["-n", &lab.server, "link", "set", "lo", "up"]);
        run(
            "ip",
            &["-n", &lab.client, "link", "set", "eth0", "address", MAC],
        );
        run("ip", &["-n", &lab.client, "link", "set", "eth0", "up"]);
        run("ip", &["-n", &lab.client, "link", "set", "lo", "up"]);
        lab
    }

    /// A server namespace with a bridge br0 (10.77.1.254/24) and a tap device tap0 in it, for a
    /// qemu guest.
    fn with_tap() -> Self {
        let lab = Self::namespaces();
        let s = lab.server.clone();
        run("ip", &["-n", &s, "link", "add", "br0", "type", "bridge"]);
        run(
            "ip",
            &["-n", &s, "addr", "add", "10.77.1.254/24", "dev", "br0"],
        );
        run("ip", &["-n", &s, "tuntap", "add", "tap0", "mode", "tap"]);
        run("ip", &["-n", &s, "link", "set", "tap0", "master", "br0"]);
        for dev in ["br0", "tap0", "lo"] {
            run("ip", &["-n", &s, "link", "set", dev, "up"]);
        }
        lab
    }

    /// Starts `cmd` in `ns` with stdout and stderr going to `log`.
    fn spawn(&mut self, ns: &str, cmd: &[&str], log: &Path) -> u32 {
        let out = fs::File::create(log).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", ns])
            .args(cmd)
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        let pid = child.id();
        self.children.push(child);
        pid
    }

    fn exec(&self, ns: &str, cmd: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", ns])
            .args(cmd)
            .output()
            .unwrap()
    }

    /// `tftp` (tftp-hpa) in the client namespace: fetches `remote` from the boot server to `local`.
    fn tftp_get(&self, remote: &str, local: &Path) -> Output {
        let local = local.to_str().unwrap();
        let cmd = [
            "tftp",
            "-m",
            "binary",
            "10.77.1.254",
            "-c",
            "get",
            remote,
            local,
        ];
        self.exec(&self.client, &cmd)
    }

    /// Processes still running in the server namespace.
    fn server_pids(&self) -> String {
        let out = Command::new("ip")
            .args(["netns", "pids", &self.server])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in [&self.server, &self.client] {
            let pids = Command::new("ip").args(["netns", "pids", ns]).output();
            if let Ok(p) = pids {
                for pid in String::from_utf8_lossy(&p.stdout).split_whitespace() {
                    if let Ok(pid) = pid.parse::<i32>() {
                        let _ = nix::sys::signal::kill(
                            nix::unistd::Pid::from_raw(pid),
                            nix::sys::signal::Signal::SIGKILL,
                        );
                    }
                }
            }
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

fn run(prog: &str, args: &[&str]) {
    let out = Command::new(prog).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{prog} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn wait_for(log: &Path, needle: &str, what: &str) {
    let start = Instant::now();
    loop {
        let text = fs::read_to_string(log).unwrap_or_default();
        if text.contains(needle) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what} not ready:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn interrupt(pid: u32) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
}

fn wait_exit(lab: &mut Lab, pid: u32) -> std::process::ExitStatus {
    let child = lab.children.iter_mut().find(|c| c.id() == pid).unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "pid {pid} did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[cfg_attr(
    not(all(flock_root, flock_corpus, flock_jockey_tools)),
    ignore = "needs root, ../shared/flock-2013 and ip, dnsmasq, busybox, tftp, curl (scripts/test.sh)"
)]
fn dhcp_tftp_and_http_in_a_lab() {
    let (dir, root) = lab_space();
    // A binary file too: the real PXELINUX loader when installed, else some bytes.
    let loader: Vec<u8> = fs::read("/usr/lib/PXELINUX/pxelinux.0")
        .unwrap_or_else(|_| (0..70_000u32).map(|i| (i * 7 % 256) as u8).collect());
    fs::write(root.join("boot/pxelinux.0"), &loader).unwrap();

    let flock = env!("CARGO_BIN_EXE_flock");
    let space = root.to_str().unwrap();
    let (code, _, err) = flock_jockey(
        &root,
        &["kick", "centos64", MAC, "10.77.1.5", "core-05", "Secret42"],
    );
    assert_eq!(code, 0, "{err}");

    let mut lab = Lab::new();
    let (server, client) = (lab.server.clone(), lab.client.clone());
    let logs = dir.path();
    let dump_log = logs.join("dump.log");
    let dump = lab.spawn(&server, &[flock, "jockey", "dump", "eth1"], &dump_log);
    let masq_log = logs.join("masq.log");
    let masq = lab.spawn(
        &server,
        &[flock, "jockey", "--space", space, "masq"],
        &masq_log,
    );
    let http_log = logs.join("http.log");
    let http = lab.spawn(
        &server,
        &[flock, "jockey", "--space", space, "http"],
        &http_log,
    );
    wait_for(&dump_log, "listening on eth1", "jockey dump");
    wait_for(&masq_log, "TFTP root is", "dnsmasq");
    wait_for(
        &http_log,
        "HTTP server started on 10.77.1.254:8080",
        "jockey http",
    );
    assert!(root.join("masq.conf").is_file());

    // DHCP: a client with no address gets one from the range.
    let script: PathBuf = logs.join("udhcpc.sh");
    let lease = logs.join("lease");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\ncase \"$1\" in bound|renew)\n  ip addr add \"$ip/$mask\" dev \"$interface\"\n  echo \"$ip $serverid $boot_file\" > {}\n;; esac\n",
            lease.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = lab.exec(
        &client,
        &[
            "busybox",
            "udhcpc",
            "-i",
            "eth0",
            "-f",
            "-q",
            "-n",
            "-t",
            "10",
            "-T",
            "1",
            "-s",
            script.to_str().unwrap(),
        ],
    );
    let masq_text = fs::read_to_string(&masq_log).unwrap_or_default();
    assert!(
        out.status.success(),
        "udhcpc: {}{}\ndnsmasq:\n{masq_text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let lease_line = fs::read_to_string(&lease).unwrap();
    let fields: Vec<&str> = lease_line.split_whitespace().collect();
    let ip: std::net::Ipv4Addr = fields[0].parse().unwrap();
    let last = ip.octets()[3];
    assert!(
        ip.octets()[..3] == [10, 77, 1] && (100..=150).contains(&last),
        "address outside the range: {lease_line}"
    );
    assert_eq!(fields.get(1), Some(&"10.77.1.254"), "{lease_line}");
    assert_eq!(
        fields.get(2),
        Some(&"pxelinux.0"),
        "dhcp-boot: {lease_line}"
    );
    let leases = fs::read_to_string(root.join("boot/leases")).unwrap();
    assert!(leases.contains(&format!("{MAC} {ip}")), "{leases}");

    // TFTP: the machine's PXELINUX config and the loader, byte for byte.
    let fetched = logs.join("01-fetched");
    let remote = format!("pxelinux.cfg/01-{KS}");
    let out = lab.tftp_get(&remote, &fetched);
    let want = fs::read(root.join(format!("boot/{remote}"))).unwrap();
    assert_eq!(
        fs::read(&fetched).unwrap_or_default(),
        want,
        "tftp: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&want).contains(&format!("ks=http://10.77.1.254:8080/{KS}.ks")));
    let fetched_loader = logs.join("loader-fetched");
    lab.tftp_get("pxelinux.0", &fetched_loader);
    assert!(
        fs::read(&fetched_loader).unwrap_or_default() == loader,
        "pxelinux.0 over TFTP differs"
    );

    // HTTP: the kickstart the PXELINUX config points at, byte for byte, and the request logged.
    let ks_fetched = logs.join("ks-fetched");
    let out = lab.exec(
        &client,
        &[
            "curl",
            "-sf",
            "-o",
            ks_fetched.to_str().unwrap(),
            &format!("http://10.77.1.254:8080/{KS}.ks"),
        ],
    );
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ks = fs::read(root.join(format!("boot/{KS}.ks"))).unwrap();
    assert_eq!(fs::read(&ks_fetched).unwrap(), ks);
    assert!(String::from_utf8_lossy(&ks).contains("--ip=10.77.1.5 "));
    let out = lab.exec(
        &client,
        &[
            "curl",
            "-s",
            "--path-as-is",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "http://10.77.1.254:8080/../hosts",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "400",
        "a path outside space/boot"
    );
    wait_for(
        &http_log,
        &format!("\"GET /{KS}.ks HTTP/1.1\" 200 {}", ks.len()),
        "http request log",
    );

    // dump saw the exchange.
    interrupt(dump);
    wait_exit(&mut lab, dump);
    let dump_text = fs::read_to_string(&dump_log).unwrap();
    assert!(
        dump_text.contains("DHCPDISCOVER xid=") && dump_text.contains(&format!("chaddr={MAC}")),
        "{dump_text}"
    );
    assert!(
        dump_text.contains("DHCPACK") && dump_text.contains(&format!("yiaddr={ip}")),
        "{dump_text}"
    );

    // Ctrl-C stops dnsmasq and removes its config; the HTTP server stops too.
    interrupt(masq);
    wait_exit(&mut lab, masq);
    interrupt(http);
    wait_exit(&mut lab, http);
    assert!(!root.join("masq.conf").exists(), "masq.conf left behind");
    let start = Instant::now();
    while !lab.server_pids().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "left running: {}",
            lab.server_pids()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stretch: a real qemu guest PXE-boots from jockey. iPXE (the NIC's boot ROM) gets an address
/// and `pxelinux.0` from dnsmasq, PXELINUX loads `ldlinux.c32` and the machine's
/// `pxelinux.cfg/01-<mac>`, picks its DEFAULT label and asks for that label's kernel
/// (`centos64/vmlinuz`), which is where the test stops: no installer images are needed.
#[test]
#[cfg_attr(
    not(all(flock_root, flock_corpus, flock_qemu_pxe)),
    ignore = "needs root, ../shared/flock-2013, qemu-system-x86, ipxe-qemu, pxelinux, syslinux-common, dnsmasq-base, /dev/net/tun (scripts/test.sh)"
)]
fn qemu_guest_pxe_boots_to_the_kickstart_label() {
    // build.rs checked that these exist (cfg flock_qemu_pxe).
    let rom = Path::new("/usr/lib/ipxe/qemu/pxe-e1000.rom");
    let pxelinux = Path::new("/usr/lib/PXELINUX/pxelinux.0");
    let ldlinux = Path::new("/usr/lib/syslinux/modules/bios/ldlinux.c32");
    let (dir, root) = lab_space();
    fs::copy(pxelinux, root.join("boot/pxelinux.0")).unwrap();
    fs::copy(ldlinux, root.join("boot/ldlinux.c32")).unwrap();
    let flock = env!("CARGO_BIN_EXE_flock");
    let space = root.to_str().unwrap();
    let (code, _, err) = flock_jockey(&root, &["kick", "centos64", MAC, "10.77.1.5", "core-05"]);
    assert_eq!(code, 0, "{err}");

    let mut lab = Lab::with_tap();
    let server = lab.server.clone();
    let masq_log = dir.path().join("masq.log");
    lab.spawn(
        &server,
        &[flock, "jockey", "--space", space, "masq"],
        &masq_log,
    );
    wait_for(&masq_log, "TFTP root is", "dnsmasq");
    // TCG: KVM is not always usable where tests run, and the boot ROM needs only seconds.
    let device = format!("e1000,netdev=n0,mac={MAC},romfile={}", rom.display());
    let qemu_log = dir.path().join("qemu.log");
    lab.spawn(
        &server,
        &[
            "qemu-system-x86_64",
            "-accel",
            "tcg",
            "-m",
            "128",
            "-smp",
            "1",
            "-display",
            "none",
            "-monitor",
            "none",
            "-serial",
            "none",
            "-no-reboot",
            "-boot",
            "n",
            "-netdev",
            "tap,id=n0,ifname=tap0,script=no,downscript=no",
            "-device",
            &device,
        ],
        &qemu_log,
    );
    let start = Instant::now();
    let tftp_root = root.join("boot");
    let sent = |file: &str| format!("sent {}/{file} to 10.77.1.", tftp_root.display());
    let wanted = format!("file {}/centos64/vmlinuz not found", tftp_root.display());
    loop {
        let log = fs::read_to_string(&masq_log).unwrap_or_default();
        if log.contains(&wanted) {
            assert!(log.contains("DHCPACK(br0) 10.77.1."), "{log}");
            assert!(log.contains("PXEClient:Arch:00000"), "{log}");
            assert!(log.contains(&sent("pxelinux.0")), "{log}");
            assert!(log.contains(&sent("ldlinux.c32")), "{log}");
            assert!(
                log.contains(&sent(&format!("pxelinux.cfg/01-{KS}"))),
                "{log}"
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "the guest did not get to its kernel:\n{log}\nqemu: {}",
            fs::read_to_string(&qemu_log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
