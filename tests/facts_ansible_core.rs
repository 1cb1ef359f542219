//! Issue 5's facts check: on a lab host, the facts flock's `setup` reports for the keys playbooks
//! read equal what modern Ansible's `ansible -m setup` reports (ansible-core 2.19 from PyPI in the
//! venv `scripts/test.sh` makes, run inside the lab namespace), key by key. `ansible_env` is left out: it lists the
//! session's environment, and ansible-core asks for a terminal (SSH_TTY, TERM) where flock runs
//! commands with LC_ALL=C.

use flock::lab::TestLab;
use serde_json::Value;

/// ansible-core 2.19 (and Mitogen, for the benchmark) in a venv: made by `scripts/test.sh`.
const ANSIBLE: &str = "/opt/flock-bench/bin/ansible";

fn facts(text: &str) -> Value {
    let start = text.find('{').expect("JSON in the output");
    let end = text.rfind('}').expect("JSON end");
    let v: Value = serde_json::from_str(&text[start..=end]).expect("valid JSON");
    v["ansible_facts"].clone()
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh makes the venv)"
)]
fn setup_facts_equal_ansible_core_key_by_key() {
    let ansible = ANSIBLE;
    let lab = TestLab::new(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let inv = dir.path().join("hosts");
    std::fs::write(&inv, lab.inventory_text()).expect("inventory");
    let inv = inv.to_string_lossy().into_owned();
    let host = lab.hosts()[0].name.clone();
    let theirs = lab
        .exec_in_lab(&[
            "env",
            "ANSIBLE_HOST_KEY_CHECKING=False",
            ansible,
            &host,
            "-i",
            &inv,
            "-m",
            "setup",
        ])
        .expect("ansible");
    let ours = lab
        .exec_in_lab(&[
            env!("CARGO_BIN_EXE_flock"),
            "adhoc",
            &host,
            "-i",
            &inv,
            "-m",
            "setup",
        ])
        .expect("flock");
    let (a, f) = (
        facts(&String::from_utf8_lossy(&theirs.stdout)),
        facts(&String::from_utf8_lossy(&ours.stdout)),
    );
    let exact = [
        "ansible_os_family",
        "ansible_distribution",
        "ansible_distribution_version",
        "ansible_distribution_release",
        "ansible_hostname",
        "ansible_fqdn",
        "ansible_architecture",
        "ansible_kernel",
        "ansible_default_ipv4",
        "ansible_all_ipv4_addresses",
        "ansible_memtotal_mb",
        "ansible_processor_vcpus",
        "ansible_lsb",
        "ansible_pkg_mgr",
        "ansible_service_mgr",
        "ansible_user_id",
    ];
    for key in exact {
        assert_eq!(a[key], f[key], "{key}");
    }
    let sorted = |v: &Value| {
        let mut l: Vec<String> = v
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| x.to_string())
            .collect();
        l.sort();
        l
    };
    assert_eq!(
        sorted(&a["ansible_interfaces"]),
        sorted(&f["ansible_interfaces"])
    );
    for sub in ["address", "netmask", "network"] {
        assert_eq!(
            a["ansible_eth0"]["ipv4"][sub], f["ansible_eth0"]["ipv4"][sub],
            "eth0 ipv4 {sub}"
        );
    }
    assert_eq!(
        a["ansible_eth0"]["macaddress"],
        f["ansible_eth0"]["macaddress"]
    );
    let keys = |v: &Value| {
        let mut k: Vec<String> = v
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.clone())
            .collect();
        k.sort();
        k
    };
    assert_eq!(keys(&a["ansible_date_time"]), keys(&f["ansible_date_time"]));
    assert_eq!(a["ansible_date_time"]["tz"], f["ansible_date_time"]["tz"]);
}
