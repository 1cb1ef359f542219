//! The agent's native fact collection (`flock::agent::facts::collect`) gives the same facts as
//! the `setup` module's gathering script, key by key, on this machine and on a lab host (needs
//! root for the lab). Only values that change between two runs are left out (see [`VOLATILE`]).

mod packages_support;

use std::process::Command;

use flock::agent::facts::{collect, FACTS_ARG};
use flock::lab::{Flavor, TestLab};
use flock::modules::system::setup::{facts_from_output, SCRIPT};
use flock::value::{Map, Value};

/// Facts whose value changes between two runs a moment apart.
const VOLATILE: &[&str] = &["ansible_memfree_mb", "ansible_swapfree_mb"];

/// Variables the shell sets or changes in its environment (`env` run by `/bin/sh`).
const SHELL_VARS: &[&str] = &["_", "SHLVL", "OLDPWD"];

/// `ansible_date_time` keys that do not change between two runs (others are the time).
const STABLE_DATE_KEYS: &[&str] = &["tz", "tz_dst", "tz_offset"];

/// `fact` with its volatile parts removed.
fn stable(key: &str, value: &Value) -> Value {
    let mut v = value.clone();
    match (key, &mut v) {
        ("ansible_env", Value::Object(env)) => {
            for k in SHELL_VARS {
                env.remove(*k);
            }
        }
        ("ansible_date_time", Value::Object(dt)) => {
            for (k, x) in dt.iter_mut() {
                if !STABLE_DATE_KEYS.contains(&k.as_str()) {
                    *x = Value::Null;
                }
            }
        }
        ("ansible_mounts", Value::Array(mounts)) => {
            for m in mounts.iter_mut().filter_map(Value::as_object_mut) {
                m.remove("size_available");
            }
        }
        _ => {}
    }
    v
}

/// The differences between the script's facts and the native ones, one line per key.
fn differences(script: &Map, native: &Map) -> Vec<String> {
    let mut keys: Vec<&String> = script.keys().chain(native.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !VOLATILE.contains(&k.as_str()))
        .filter_map(|k| {
            let a = script.get(k).map(|v| stable(k, v));
            let b = native.get(k).map(|v| stable(k, v));
            (a != b).then(|| format!("{k}:\n  script: {a:?}\n  native: {b:?}"))
        })
        .collect()
}

/// Parses both outputs and asserts they give the same facts, and real ones.
fn assert_same_facts(script_out: &str, native_out: &str) -> Map {
    let script = facts_from_output(script_out);
    let native = facts_from_output(native_out);
    let diff = differences(&script, &native);
    assert!(diff.is_empty(), "facts differ:\n{}", diff.join("\n"));
    for k in ["ansible_hostname", "ansible_kernel", "ansible_user_id"] {
        assert!(
            native[k].as_str().is_some_and(|s| !s.is_empty()),
            "{k} empty"
        );
    }
    for k in ["ansible_interfaces", "ansible_processor"] {
        assert!(
            native[k].as_array().is_some_and(|a| !a.is_empty()),
            "{k} empty"
        );
    }
    native
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn native_facts_equal_the_script_on_this_machine() {
    let script = run(Command::new("/bin/sh")
        .args(["-c", SCRIPT])
        .env("LANG", "C")
        .env("LC_ALL", "C"));
    let native = collect();
    let facts = assert_same_facts(&script, &native);
    assert!(facts["ansible_mounts"]
        .as_array()
        .is_some_and(|m| !m.is_empty()));
}

/// Compares the script's and the native facts on a lab host of `flavor`, as root and as
/// `nobody` (files it cannot read, mounts it cannot stat).
fn compare_on_lab_host(flavor: Flavor) {
    // The binary runs on the host itself: a copy the host can see (hosts have their own /tmp).
    let flock = packages_support::host_visible_flock();
    let lab = TestLab::with_flavor(1, flavor);
    let host = lab.hosts()[0].name.clone();
    for (user, as_user) in [
        ("root", &[][..]),
        (
            "nobody",
            &[
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
            ][..],
        ),
    ] {
        let on_host = |argv: &[&str]| {
            let mut full = as_user.to_vec();
            full.extend_from_slice(&["env", "LANG=C", "LC_ALL=C"]);
            full.extend_from_slice(argv);
            run(&mut lab.command_on_host(&host, &full).expect("host command"))
        };
        let script = on_host(&["/bin/sh", "-c", SCRIPT]);
        let native = on_host(&[&flock, FACTS_ARG]);
        let facts = assert_same_facts(&script, &native);
        assert_eq!(facts["ansible_user_id"], user);
        assert_eq!(facts["ansible_hostname"], host.as_str());
        assert_eq!(
            facts["ansible_eth0"]["ipv4"]["address"],
            lab.hosts()[0].address.to_string().as_str()
        );
    }
}

#[test]
fn native_facts_equal_the_script_on_a_debian_lab_host() {
    compare_on_lab_host(Flavor::Debian);
}

#[test]
fn native_facts_equal_the_script_on_an_el_lab_host() {
    compare_on_lab_host(Flavor::El);
}
