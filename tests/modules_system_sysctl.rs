//! `sysctl` on a `flock lab` host: the file entry written, the live value set and reloaded
//! (only `net.*` keys, which belong to the host's own network namespace), idempotence,
//! `--check` changing nothing, and ansible.posix's messages for bad arguments.

mod tier1_support;

use tier1_support::Bench;

#[test]
fn sysctl_file_live_value_check_and_bad_args() {
    let b = Bench::new(1);
    let h = &b.hosts[0];
    b.on(h, "sysctl -w net.ipv4.ip_forward=0; printf '# kept\\nnet.ipv4.tcp_syncookies = 1\\n' > /etc/sysctl.d/99-flock.conf");
    let args =
        "name=net.ipv4.ip_forward value=yes sysctl_file=/etc/sysctl.d/99-flock.conf sysctl_set=yes";
    // --check: reported as a change, nothing written or set.
    let r = b.flock(h, "sysctl", args, &["--check"]);
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!(b.on(h, "sysctl -n net.ipv4.ip_forward"), "0");
    assert_eq!(
        b.on(h, "cat /etc/sysctl.d/99-flock.conf"),
        "# kept\nnet.ipv4.tcp_syncookies = 1"
    );
    let r = b.flock(h, "sysctl", args, &[]);
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!(b.on(h, "sysctl -n net.ipv4.ip_forward"), "1");
    assert_eq!(
        b.on(h, "cat /etc/sysctl.d/99-flock.conf"),
        "# kept\nnet.ipv4.tcp_syncookies=1\nnet.ipv4.ip_forward=1"
    );
    let r = b.flock(h, "sysctl", args, &[]);
    assert_eq!(r["changed"], false, "{r}");
    // Live value drifted: reload sets it back from the file.
    b.on(h, "sysctl -w net.ipv4.ip_forward=0");
    let r = b.flock(
        h,
        "sysctl",
        "name=net.ipv4.ip_forward value=1 sysctl_file=/etc/sysctl.d/99-flock.conf",
        &[],
    );
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!(b.on(h, "sysctl -n net.ipv4.ip_forward"), "1");
    // absent removes the line.
    let r = b.flock(
        h,
        "sysctl",
        "name=net.ipv4.ip_forward state=absent reload=no sysctl_file=/etc/sysctl.d/99-flock.conf",
        &[],
    );
    assert_eq!(r["changed"], true, "{r}");
    assert_eq!(
        b.on(h, "cat /etc/sysctl.d/99-flock.conf"),
        "# kept\nnet.ipv4.tcp_syncookies=1"
    );
    // Bad arguments: ansible.posix's messages, nothing changed.
    let r = b.flock(
        h,
        "sysctl",
        "name=net.ipv4.ip_forward sysctl_file=/etc/sysctl.d/99-flock.conf",
        &[],
    );
    assert_eq!(
        r["msg"],
        "state is present but all of the following are missing: value"
    );
    let r = b.flock(h, "sysctl", "name=net.ipv4.ip_forward value=1 bogus=1", &[]);
    assert_eq!(r["failed"], true, "{r}");
    assert_eq!(
        b.on(h, "cat /etc/sysctl.d/99-flock.conf"),
        "# kept\nnet.ipv4.tcp_syncookies=1"
    );
}
