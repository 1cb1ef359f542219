//! The `setup` module against Ansible 1.2's own setup module on this machine (local
//! connection), key by key for the facts playbooks read. Ignored (see `build.rs`) without the oracle.

use std::process::Command;

use flock::connection::{ConnectSpec, Connection, Transport};
use flock::modules::Remote;
use flock::{Map, Value};

const PY: &str = "/root/.pyenv/versions/2.7.18/bin/python";

fn oracle() -> Map {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("hosts");
    std::fs::write(
        &inv,
        format!("localhost ansible_connection=local ansible_python_interpreter={PY}\n"),
    )
    .unwrap();
    let out = Command::new(PY)
        .env("PYTHONPATH", "/opt/ansible12")
        .env("ANSIBLE_KEEP_REMOTE_FILES", "0")
        .arg("/opt/ansible12/bin/ansible")
        .arg("localhost")
        .arg("-i")
        .arg(&inv)
        .args(["-m", "setup"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let json = text.split_once(">>").map(|x| x.1).unwrap_or("");
    let v: Value = serde_json::from_str(json).expect("oracle JSON");
    match v.get("ansible_facts") {
        Some(Value::Object(m)) => m.clone(),
        _ => panic!("oracle printed no facts: {text}"),
    }
}

async fn ours() -> Map {
    let conn = Connection::open(&ConnectSpec::new("localhost", Transport::Local))
        .await
        .unwrap();
    flock::modules::system::setup::gather_facts(&Remote::new(&conn, None), "*")
        .await
        .expect("connection")
        .expect("facts")
}

fn sorted(v: &Value) -> Value {
    match v {
        Value::Array(a) => {
            let mut a = a.clone();
            a.sort_by_key(|x| x.to_string());
            Value::Array(a)
        }
        o => o.clone(),
    }
}

#[tokio::test]
#[cfg_attr(
    not(flock_ansible12),
    ignore = "needs Ansible 1.2 in /opt/ansible12 and pyenv's Python 2.7.18 (scripts/test.sh)"
)]
async fn setup_matches_ansible_12_key_by_key() {
    let want = oracle();
    let got = ours().await;
    let mut compared = 0;
    let mut diffs = Vec::new();
    let exact = [
        "ansible_hostname",
        "ansible_fqdn",
        "ansible_domain",
        "ansible_distribution",
        "ansible_distribution_version",
        "ansible_os_family",
        "ansible_system",
        "ansible_kernel",
        "ansible_machine",
        "ansible_architecture",
        "ansible_userspace_bits",
        "ansible_userspace_architecture",
        "ansible_processor",
        "ansible_processor_count",
        "ansible_processor_cores",
        "ansible_memtotal_mb",
        "ansible_swaptotal_mb",
        "ansible_lsb",
        "ansible_pkg_mgr",
        "ansible_user_id",
        "ansible_default_ipv4",
        "ansible_default_ipv6",
        "ansible_selinux",
        "ansible_cmdline",
        "ansible_ssh_host_key_rsa_public",
        "ansible_ssh_host_key_ecdsa_public",
        "ansible_ssh_host_key_dsa_public",
    ];
    for k in exact {
        let (w, g) = (want.get(k), got.get(k));
        if w.is_none() && g.is_none() {
            continue;
        }
        compared += 1;
        if w != g {
            diffs.push(format!("{k}: ansible 1.2 {w:?} ≠ flock {g:?}"));
        }
    }
    for k in [
        "ansible_interfaces",
        "ansible_all_ipv4_addresses",
        "ansible_all_ipv6_addresses",
    ] {
        compared += 1;
        if want.get(k).map(sorted) != got.get(k).map(sorted) {
            diffs.push(format!(
                "{k}: ansible 1.2 {:?} ≠ flock {:?}",
                want.get(k),
                got.get(k)
            ));
        }
    }
    // Every interface: the same dict (ipv6 order as `ip addr` prints it).
    for name in want["ansible_interfaces"].as_array().unwrap() {
        let k = format!(
            "ansible_{}",
            name.as_str().unwrap().replace(['-', ':', '.'], "_")
        );
        compared += 1;
        if want.get(&k) != got.get(&k) {
            diffs.push(format!(
                "{k}: ansible 1.2 {:?} ≠ flock {:?}",
                want.get(&k),
                got.get(&k)
            ));
        }
    }
    // Mounts without the sizes (they move), devices' stable fields.
    let strip = |v: Option<&Value>| -> Vec<Value> {
        v.and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|mut m| {
                if let Value::Object(o) = &mut m {
                    o.remove("size_available");
                }
                m
            })
            .collect()
    };
    compared += 1;
    if strip(want.get("ansible_mounts")) != strip(got.get("ansible_mounts")) {
        diffs.push(format!(
            "ansible_mounts: {:?} ≠ {:?}",
            want.get("ansible_mounts"),
            got.get("ansible_mounts")
        ));
    }
    if let (Some(Value::Object(wd)), Some(Value::Object(gd))) =
        (want.get("ansible_devices"), got.get("ansible_devices"))
    {
        for (dev, w) in wd {
            for field in [
                "sectors",
                "sectorsize",
                "size",
                "removable",
                "rotational",
                "scheduler_mode",
                "holders",
                "vendor",
            ] {
                compared += 1;
                let g = gd.get(dev).and_then(|d| d.get(field));
                if w.get(field) != g {
                    diffs.push(format!(
                        "ansible_devices.{dev}.{field}: {:?} ≠ {g:?}",
                        w.get(field)
                    ));
                }
            }
        }
    }
    eprintln!(
        "compared {compared} facts with Ansible 1.2; {} differ",
        diffs.len()
    );
    assert!(diffs.is_empty(), "differences:\n{}", diffs.join("\n"));
}
