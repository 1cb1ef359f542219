//! `../shared/flock-2013/bootstrap.yml`, unchanged, side by side: real Ansible 1.2 on one 3-host
//! lab, flock on an identical twin, task by task (per host: ok/changed/skipping/failed), the
//! first failure and its reason, the recap, and the end state of every host (`lab.changes`:
//! paths, kinds, modes, owners, sizes, and the contents of regular files).
//!
//! Two runs on the same twins: the whole playbook (on these Debian hosts it stops where 1.2
//! stops: `raw: apt-get -y install python-simplejson` fails, the package no longer exists), then
//! `-t wheel,ssh,keys,state`, which runs the group/user/lineinfile/file/authorized_key tasks.
//!
//! Ansible 1.2 needs Python 2 on the hosts: the test copies the machine's pyenv 2.7.18 once to
//! /var/tmp/flock-python27 (lab hosts see the machine's root file system under their overlay, but
//! not /root) and points `ansible_python_interpreter` at a wrapper there; flock ignores that
//! variable. Left out of the end-state comparison: each tool's own files, `/root/.ansible`
//! (Ansible's temp dirs) and `/root/.flock` (flock's agent, uploaded when the host cannot see
//! the controller's binary: always on a real host, here when the checkout is under `/tmp`).
//! Ignored (see `build.rs`) without the oracle (/opt/ansible12 and pyenv's 2.7.18) or the corpus.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use flock::lab::{Lab, TestLab};

const PY: &str = "/root/.pyenv/versions/2.7.18";
const PY_COPY: &str = "/var/tmp/flock-python27";

/// The corpus (`FLOCK_CORPUS_DIR`, see `build.rs`).
fn corpus() -> PathBuf {
    PathBuf::from(env!("FLOCK_CORPUS_DIR"))
}

/// Python 2.7 where lab hosts can run it, with a wrapper that finds its libpython.
fn host_python() -> String {
    let wrapper = Path::new(PY_COPY).join("bin/python-flock");
    if !wrapper.exists() {
        let tmp = format!("{PY_COPY}.tmp{}", std::process::id());
        let _ = std::fs::remove_dir_all(&tmp);
        let st = Command::new("cp")
            .args(["-a", PY, &tmp])
            .status()
            .expect("cp");
        assert!(st.success(), "copying {PY}");
        let w = Path::new(&tmp).join("bin/python-flock");
        std::fs::write(
            &w,
            format!(
                "#!/bin/sh\nLD_LIBRARY_PATH={PY_COPY}/lib exec {PY_COPY}/bin/python2.7 \"$@\"\n"
            ),
        )
        .expect("wrapper");
        std::fs::set_permissions(&w, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        if std::fs::rename(&tmp, PY_COPY).is_err() {
            // Another test made it first.
            let _ = std::fs::remove_dir_all(&tmp);
        }
    }
    wrapper.display().to_string()
}

/// A scratch copy of what the playbook reads: bootstrap.yml unchanged, keys/sysop.pub.
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::copy(
        corpus().join("bootstrap.yml"),
        dir.path().join("bootstrap.yml"),
    )
    .expect("copy bootstrap.yml");
    std::fs::create_dir(dir.path().join("keys")).expect("keys dir");
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "sysop@flock", "-f"])
        .arg(dir.path().join("keys/sysop"))
        .status()
        .expect("ssh-keygen");
    assert!(st.success());
    dir
}

fn inventory(lab: &Lab, dir: &Path, python: &str) -> String {
    let p = dir.join(format!("hosts-{}", lab.name()));
    std::fs::write(
        &p,
        format!(
            "{}\n[lab:vars]\nansible_python_interpreter={python}\n",
            lab.inventory_text()
        ),
    )
    .expect("inventory");
    p.display().to_string()
}

fn show(tool: &str, out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!(
        "===== {tool} (exit {:?})\n{text}\n----- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn ansible12(lab: &Lab, dir: &Path, inv: &str, extra: &[&str]) -> (String, Option<i32>) {
    let py = format!("{PY}/bin/python");
    let mut argv = vec![
        py.as_str(),
        "/opt/ansible12/bin/ansible-playbook",
        "-i",
        inv,
        "-c",
        "ssh",
    ];
    argv.extend_from_slice(extra);
    argv.push("bootstrap.yml");
    let ssh_args = format!(
        "-o UserKnownHostsFile={} -o StrictHostKeyChecking=yes",
        lab.known_hosts_path().display()
    );
    let out = lab
        .command_in_lab(&argv)
        .current_dir(dir)
        .env("PYTHONPATH", "/opt/ansible12")
        .env("ANSIBLE_SSH_ARGS", ssh_args)
        .env("HOME", "/root")
        .output()
        .expect("run ansible-playbook 1.2");
    (show("ansible 1.2", &out), out.status.code())
}

fn flock(lab: &Lab, dir: &Path, inv: &str, extra: &[&str]) -> (String, Option<i32>) {
    let mut argv = vec![
        env!("CARGO_BIN_EXE_flock"),
        "playbook",
        "--dialect",
        "1.2",
        "-i",
        inv,
    ];
    argv.extend_from_slice(extra);
    argv.push("bootstrap.yml");
    let out = lab
        .command_in_lab(&argv)
        .current_dir(dir)
        .env("HOME", "/root")
        .output()
        .expect("run flock");
    (show("flock", &out), out.status.code())
}

/// Per task (in order): host → statuses (one per loop item), sorted by host.
type Tasks = Vec<(String, BTreeMap<String, Vec<String>>)>;

fn parse(out: &str) -> (Tasks, BTreeMap<String, String>, Vec<String>) {
    let mut tasks: Tasks = Vec::new();
    let mut recap = BTreeMap::new();
    let mut rcs = Vec::new();
    let mut in_recap = false;
    let status_re = regex::Regex::new(r"(ok|changed|skipping|failed|fatal): \[([^\]]+)\]").unwrap();
    let rc_re = regex::Regex::new(r#""rc": (\d+)"#).unwrap();
    for line in out.lines() {
        if line.starts_with("PLAY RECAP") {
            in_recap = true;
            continue;
        }
        if in_recap {
            if let Some((host, counts)) = line.split_once(" : ") {
                recap.insert(
                    host.trim().to_string(),
                    counts.split_whitespace().collect::<Vec<_>>().join(" "),
                );
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("TASK: [") {
            let name = rest
                .split("] ")
                .next()
                .unwrap_or(rest)
                .trim_end_matches(']');
            tasks.push((name.to_string(), BTreeMap::new()));
            continue;
        }
        if line.starts_with("GATHERING FACTS") {
            tasks.push(("GATHERING FACTS".into(), BTreeMap::new()));
            continue;
        }
        // 1.2's forks print concurrently: one line may hold two hosts' results.
        for m in status_re.captures_iter(line) {
            if let Some((_, map)) = tasks.last_mut() {
                map.entry(m[2].to_string())
                    .or_default()
                    .push(m[1].to_string());
            }
        }
        for m in rc_re.captures_iter(line) {
            rcs.push(m[1].to_string());
        }
    }
    (tasks, recap, rcs)
}

/// What a host changed: path → (kind, mode, uid, gid, size, content of regular files).
fn end_state(lab: &Lab, host: &str) -> BTreeMap<String, String> {
    let upper = lab.upper_dir(host).expect("upper dir");
    lab.changes(host)
        .expect("changes")
        .into_iter()
        .filter(|c| !c.path.starts_with("/root/.ansible") && !c.path.starts_with("/root/.flock"))
        .map(|c| {
            let rel = c.path.strip_prefix("/").unwrap_or(&c.path);
            let content = if c.kind.to_string() == "file" {
                let data = std::fs::read(upper.join(rel)).unwrap_or_default();
                format!(" {:?}", String::from_utf8_lossy(&data))
            } else {
                String::new()
            };
            (
                c.path.display().to_string(),
                format!(
                    "{} {:04o} {}:{} {}{content}",
                    c.kind, c.mode, c.uid, c.gid, c.size
                ),
            )
        })
        .collect()
}

fn compare_run(labs: (&Lab, &Lab), dir: &Path, invs: (&str, &str), extra: &[&str]) -> String {
    let (a_out, a_rc) = ansible12(labs.0, dir, invs.0, extra);
    let (f_out, f_rc) = flock(labs.1, dir, invs.1, extra);
    let (a_tasks, a_recap, a_rcs) = parse(&a_out);
    let (f_tasks, f_recap, f_rcs) = parse(&f_out);
    assert!(!a_tasks.is_empty(), "no tasks in Ansible 1.2's output");
    assert_eq!(f_tasks, a_tasks, "task-by-task statuses differ ({extra:?})");
    assert_eq!(f_recap, a_recap, "recaps differ ({extra:?})");
    assert_eq!(f_rcs, a_rcs, "failure rcs differ ({extra:?})");
    assert_eq!(f_rc, a_rc, "exit codes differ ({extra:?})");
    assert_eq!(
        a_out.contains("FATAL: all hosts have already failed -- aborting"),
        f_out.contains("FATAL: all hosts have already failed -- aborting"),
        "the abort line differs ({extra:?})"
    );
    f_out
}

#[test]
#[cfg_attr(
    not(all(flock_ansible12, flock_corpus)),
    ignore = "needs Ansible 1.2 in /opt/ansible12, pyenv's Python 2.7.18 (scripts/test.sh) and ../shared/flock-2013"
)]
fn bootstrap_side_by_side_with_ansible_12() {
    let python = host_python();
    let dir = scratch();
    let a = TestLab::new(3);
    let f = TestLab::new(3);
    let inv_a = inventory(&a, dir.path(), &python);
    let inv_f = inventory(&f, dir.path(), &python);

    // 1. The whole playbook: facts ok, yum skipped, the raw apt-get of python-simplejson fails
    //    on every host with rc 100 and apt's reason, then 1.2 aborts.
    let out = compare_run((&a, &f), dir.path(), (&inv_a, &inv_f), &[]);
    let (tasks, _, rcs) = parse(&out);
    let names: Vec<&str> = tasks.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "GATHERING FACTS",
            "Install packages",
            "Install python-simplejson"
        ]
    );
    assert!(tasks[2].1.values().all(|s| s == &["failed"]));
    assert_eq!(rcs, ["100", "100", "100"]);
    assert_eq!(
        out.matches("Unable to locate package python-simplejson")
            .count(),
        3,
        "the failure's reason is not shown for every host"
    );

    // 2. The account, sudo, key and state tasks.
    let out = compare_run(
        (&a, &f),
        dir.path(),
        (&inv_a, &inv_f),
        &["-t", "wheel,ssh,keys,state"],
    );
    assert!(out.contains("changed: [core-01]"));

    // End state, host by host.
    for (ha, hf) in a.hosts().iter().zip(f.hosts()) {
        let sa = end_state(&a, &ha.name);
        let sf = end_state(&f, &hf.name);
        let keys_a: Vec<&String> = sa.keys().collect();
        let keys_f: Vec<&String> = sf.keys().collect();
        assert_eq!(keys_f, keys_a, "{}: changed paths differ", ha.name);
        for (p, va) in &sa {
            assert_eq!(&sf[p], va, "{}: {p} differs", ha.name);
        }
        assert!(sa.contains_key("/home/sysop/.ssh/authorized_keys"));
    }
}
