//! Shared helpers of the `modules_tier1_*` tests: modern playbooks run with `flock playbook` on
//! the hosts of a `flock lab`, statuses per task and host, commands on the hosts.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Output;

use flock::lab::TestLab;

/// A lab of `n` hosts with an inventory and a scratch directory for playbooks.
pub struct Bench {
    /// The lab (down on drop).
    pub lab: TestLab,
    /// Scratch directory (controller side).
    pub dir: tempfile::TempDir,
    /// The inventory file.
    pub inv: PathBuf,
    /// Host names.
    pub hosts: Vec<String>,
}

impl Bench {
    /// Brings up a lab of `n` hosts.
    pub fn new(n: usize) -> Bench {
        let lab = TestLab::new(n);
        let dir = tempfile::tempdir().expect("tempdir");
        let inv = dir.path().join("inv");
        std::fs::write(&inv, lab.inventory_text()).expect("inventory");
        let hosts = lab.hosts().iter().map(|h| h.name.clone()).collect();
        Bench {
            lab,
            dir,
            inv,
            hosts,
        }
    }

    /// Writes `name` in the scratch dir.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p
    }

    /// Runs playbook text `yaml` (written as `name`) with `extra` options; prints its output.
    pub fn play(&self, name: &str, yaml: &str, extra: &[&str]) -> Run {
        let pb = self.write(name, yaml);
        let inv = self.inv.to_string_lossy().into_owned();
        let pb = pb.to_string_lossy().into_owned();
        let mut argv = vec![env!("CARGO_BIN_EXE_flock"), "playbook", "-i", &inv];
        argv.extend_from_slice(extra);
        argv.push(&pb);
        let out = self.lab.exec_in_lab(&argv).expect("run flock in the lab");
        eprintln!(
            "--- {}\n--- stdout\n{}\n--- stderr\n{}",
            argv.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        Run(out)
    }

    /// Runs `cmd` with `sh -c` on `host`; its trimmed stdout.
    pub fn on(&self, host: &str, cmd: &str) -> String {
        let out = self.lab.exec_on_host(host, cmd).expect("exec on host");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Runs `cmd` on every host.
    pub fn on_all(&self, cmd: &str) {
        for h in &self.hosts {
            self.on(h, cmd);
        }
    }

    /// Paths under `prefixes` the hosts' overlays show as changed (for `--check`).
    pub fn touched(&self, host: &str, prefixes: &[&str]) -> Vec<String> {
        self.lab
            .diff(host)
            .expect("lab diff")
            .into_iter()
            .map(|p| p.to_string_lossy().into_owned())
            .filter(|p| prefixes.iter().any(|x| p.starts_with(x)))
            .collect()
    }
}

/// One playbook run.
pub struct Run(pub Output);

impl Run {
    /// stdout as text.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }

    /// The status word (`ok`, `changed`, `failed`, `fatal`, `skipping`) of each task for `host`.
    pub fn states(&self, host: &str) -> Vec<String> {
        let text = self.stdout();
        let tag = format!("[{host}]");
        text.split("\nTASK [")
            .skip(1)
            .map(|block| {
                block
                    .lines()
                    .find(|l| l.contains(&tag))
                    .and_then(|l| l.split(':').next())
                    .unwrap_or("none")
                    .to_string()
            })
            .collect()
    }

    /// Asserts every host's statuses are `want`.
    pub fn assert_states(&self, hosts: &[String], want: &[&str], what: &str) {
        for h in hosts {
            assert_eq!(self.states(h), want, "{h}: {what}");
        }
    }

    /// The process succeeded.
    pub fn success(&self) -> bool {
        self.0.status.success()
    }
}

/// ansible-core 2.19 (from PyPI, in the benchmark's venv, installed there when missing).
pub fn ansible_core() -> String {
    const VENV: &str = "/opt/flock-bench";
    let bin = format!("{VENV}/bin/ansible");
    if !std::path::Path::new(&bin).exists() {
        let ok = std::process::Command::new("python3")
            .args(["-m", "venv", VENV])
            .status()
            .is_ok_and(|s| s.success())
            && std::process::Command::new(format!("{VENV}/bin/pip"))
                .args(["install", "-q", "ansible-core>=2.19,<2.20"])
                .status()
                .is_ok_and(|s| s.success());
        assert!(ok, "ansible-core could not be installed into {VENV}");
    }
    bin
}

/// The JSON result in `ansible`/`flock adhoc` output for one host (`host | X => {…}`), with
/// the keys only one side has by design (`invocation`, the interpreter discovery fact) removed.
pub fn adhoc_json(text: &str) -> serde_json::Value {
    let start = ["=> {", ">> {"]
        .iter()
        .filter_map(|m| text.find(m).map(|i| i + 3))
        .min()
        .unwrap_or_else(|| panic!("no JSON in: {text}"));
    let end = text
        .rfind('}')
        .unwrap_or_else(|| panic!("no JSON end in: {text}"));
    let mut v: serde_json::Value =
        serde_json::from_str(&text[start..=end]).unwrap_or_else(|e| panic!("{e}: {text}"));
    if let Some(m) = v.as_object_mut() {
        m.remove("invocation");
        m.remove("warnings");
        let empty_facts = m
            .get_mut("ansible_facts")
            .and_then(|f| f.as_object_mut())
            .map(|f| {
                f.remove("discovered_interpreter_python");
                f.is_empty()
            })
            .unwrap_or(false);
        if empty_facts {
            m.remove("ansible_facts");
        }
    }
    v
}

impl Bench {
    /// Runs one module on `host` with ansible-core's `ansible` (`theirs`) and `flock adhoc`
    /// (`ours`) inside the lab; `extra` (e.g. `--check`) goes to both. Returns both results.
    pub fn both(
        &self,
        host: &str,
        module: &str,
        args: &str,
        extra: &[&str],
    ) -> (serde_json::Value, serde_json::Value) {
        let theirs = self.ansible(host, module, args, extra);
        let ours = self.flock(host, module, args, extra);
        (theirs, ours)
    }

    /// ansible-core's result of one module on `host`.
    pub fn ansible(
        &self,
        host: &str,
        module: &str,
        args: &str,
        extra: &[&str],
    ) -> serde_json::Value {
        let bin = ansible_core();
        let inv = self.inv.to_string_lossy().into_owned();
        let mut argv = vec![
            "env",
            "ANSIBLE_HOST_KEY_CHECKING=False",
            "ANSIBLE_PYTHON_INTERPRETER=auto_silent",
            "PYTHONWARNINGS=ignore",
            &bin,
            host,
            "-i",
            &inv,
            "-m",
            module,
            "-a",
            args,
        ];
        argv.extend_from_slice(extra);
        let out = self.lab.exec_in_lab(&argv).expect("ansible");
        adhoc_json(&String::from_utf8_lossy(&out.stdout))
    }

    /// flock's result of one module on `host`.
    pub fn flock(&self, host: &str, module: &str, args: &str, extra: &[&str]) -> serde_json::Value {
        let inv = self.inv.to_string_lossy().into_owned();
        let mut argv = vec![
            env!("CARGO_BIN_EXE_flock"),
            "adhoc",
            host,
            "-i",
            &inv,
            "-m",
            module,
            "-a",
            args,
        ];
        argv.extend_from_slice(extra);
        let out = self.lab.exec_in_lab(&argv).expect("flock adhoc");
        adhoc_json(&String::from_utf8_lossy(&out.stdout))
    }
}

/// Asserts that every key of `theirs` (but `ignore`) has the same value in `ours`; `what` names
/// the case.
pub fn assert_same(
    theirs: &serde_json::Value,
    ours: &serde_json::Value,
    ignore: &[&str],
    what: &str,
) {
    let t = theirs
        .as_object()
        .unwrap_or_else(|| panic!("{what}: {theirs}"));
    for (k, v) in t {
        if ignore.contains(&k.as_str()) {
            continue;
        }
        assert_eq!(
            Some(v),
            ours.get(k),
            "{what}: key {k}\ntheirs {theirs:#}\nours {ours:#}"
        );
    }
}
