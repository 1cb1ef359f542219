//! The `ca` module in a real play (`flock playbook`, local connection): a task runs for all
//! hosts at once, the CA is created once, every host gets its own signed certificate, a second
//! run changes nothing, and openssl accepts the results.

use std::fs;
use std::path::Path;
use std::process::Command;

const INVENTORY: &str = "[core]
core-01 ansible_connection=local
core-02 ansible_connection=local
core-03 ansible_connection=local
";

const PLAY: &str = "- hosts: core
  gather_facts: no
  tasks:
    - name: grid CA
      local_action: ca create ca=coreca key=ec256 email=sysop@localhost
    - name: host request
      local_action: ca host ca=coreca name={{ inventory_hostname }} key=ec256
    - name: sign
      local_action: ca sign ca=coreca name={{ inventory_hostname }}
    - name: vpn CA
      local_action: ca create kind=vpn key=ec256
    - name: vpn server
      local_action: ca server kind=vpn name={{ inventory_hostname }} key=ec256
    - name: vpn params
      local_action: ca param kind=vpn
";

fn play(dir: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_flock"))
        .args(["playbook", "--dialect", "1.2", "-i", "hosts", "ca.yml"])
        .current_dir(dir)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// The result lines of the task named `name`.
fn task<'a>(out: &'a str, name: &str) -> Vec<&'a str> {
    out.split("TASK: [")
        .find(|t| t.starts_with(&format!("{name}]")))
        .unwrap_or_else(|| panic!("no task {name} in {out}"))
        .lines()
        .filter(|l| l.starts_with("ok:") || l.starts_with("changed:") || l.starts_with("failed:"))
        .collect()
}

#[test]
fn ca_module_in_a_play_creates_once_and_signs_every_host() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("hosts"), INVENTORY).unwrap();
    fs::write(d.join("ca.yml"), PLAY).unwrap();
    let out = play(d);
    for (name, changed) in [
        ("grid CA", 1),
        ("host request", 3),
        ("sign", 3),
        ("vpn CA", 1),
        ("vpn server", 3),
        ("vpn params", 1),
    ] {
        let lines = task(&out, name);
        assert_eq!(lines.len(), 3, "{name}: {lines:?}");
        let n = lines.iter().filter(|l| l.starts_with("changed:")).count();
        assert_eq!(n, changed, "{name}: {lines:?}");
    }
    let again = play(d);
    assert_eq!(again.matches("changed=0").count(), 3, "{again}");
    let mut args = vec![
        "verify".to_string(),
        "-CAfile".into(),
        "ca/coreca/cacert.pem".into(),
    ];
    for h in ["core-01", "core-02", "core-03"] {
        args.push(format!("ca/coreca/grid-security/{h}_cert.pem"));
    }
    let o = Command::new("openssl")
        .args(&args)
        .current_dir(d)
        .output()
        .unwrap();
    let v = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success() && v.matches(": OK").count() == 3, "{v}");
    let k = "ca/vpnca/2.0/keys";
    let mut args: Vec<String> = ["verify", "-purpose", "sslserver", "-CAfile"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(format!("{k}/ca.crt"));
    for h in ["core-01", "core-02", "core-03"] {
        args.push(format!("{k}/{h}.crt"));
    }
    let o = Command::new("openssl")
        .args(&args)
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = Command::new("openssl")
        .args([
            "dhparam",
            "-check",
            "-noout",
            "-in",
            &format!("{k}/dh2048.pem"),
        ])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success());
}
