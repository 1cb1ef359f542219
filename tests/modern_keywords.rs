//! Issue 19: the executor keywords of modern playbooks as ansible-core 2.19 runs them, side by
//! side with the real ansible-core (local connection, three hosts, one fork so both print in
//! host order): `run_once` (the task runs on the first host; its registered result and its
//! `set_fact` facts reach every host; its failure stops every host), `pause` once per batch
//! (`seconds`, `minutes`, a `prompt` without an interactive stdin), `debug: verbosity`.
//! Output is compared line for line apart from timings; effects (a file each host appends to)
//! are compared too.

use std::path::Path;
use std::process::{Command, Stdio};

const HOSTS: &str = "\
h1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3
h2 ansible_connection=local ansible_python_interpreter=/usr/bin/python3
h3 ansible_connection=local ansible_python_interpreter=/usr/bin/python3
";

const RUN_ONCE: &str = r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: once
      shell: echo {{ inventory_hostname }} >> {{ dir }}/once; echo {{ inventory_hostname }}
      run_once: true
      register: r
    - debug: var=r.stdout
    - set_fact:
        picked: "{{ inventory_hostname }}"
      run_once: "{{ 1 == 1 }}"
    - debug: var=picked
    - name: every host
      shell: echo {{ inventory_hostname }} >> {{ dir }}/every
    - name: ask
      pause:
        prompt: say something
      register: answer
    - debug: var=answer.user_input
    - name: wait
      pause:
        seconds: 1
        prompt: hurry
    - name: zero minutes
      pause:
        minutes: 0
    - name: quiet
      debug:
        msg: at one
        verbosity: 1
    - name: loud
      debug:
        msg: at zero
        verbosity: 0
    - name: boom
      command: /bin/false
      run_once: true
    - debug: msg=never
"#;

/// The lines both tools print, timings removed (ansible-core's `[ERROR]` excerpts and its
/// warnings, which go to stderr, are left out).
fn normalized(out: &str) -> Vec<String> {
    let time = regex::Regex::new(r#""(delta|end|start|stop)": ("[^"]*"|\d+)"#).expect("regex");
    let paused = regex::Regex::new(r"Paused for [0-9.]+ ").expect("regex");
    out.lines()
        .filter(|l| {
            [
                "PLAY",
                "TASK [",
                "ok: ",
                "changed: ",
                "fatal: ",
                "skipping: ",
                "Pausing",
                "(ctrl",
                "    \"",
                "h1 ",
                "h2 ",
                "h3 ",
                "}",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .map(|l| time.replace_all(l, "\"$1\": T").into_owned())
        .map(|l| paused.replace_all(&l, "Paused for T ").into_owned())
        .collect()
}

/// Runs `argv` in `dir` without a terminal on stdin; stdout and the exit code.
fn run(argv: &[&str], dir: &Path) -> (String, Option<i32>) {
    let out = Command::new(argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .env("ANSIBLE_NOCOLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code(),
    )
}

/// What one tool did: its normalized output, exit code, the files the hosts appended to.
struct Seen {
    lines: Vec<String>,
    code: Option<i32>,
    once: String,
    every: String,
    stdout: String,
}

fn run_tool(tool: &str, dir: &Path, verbose: bool) -> Seen {
    let work = dir.join("work");
    std::fs::create_dir_all(&work).expect("work dir");
    let extra = format!("dir={}", work.display());
    let mut argv = vec![tool];
    if tool.ends_with("flock") {
        argv.push("playbook");
    }
    argv.extend(["-f", "1", "-i", "hosts", "p.yml", "-e", &extra]);
    if verbose {
        argv.push("-v");
    }
    let (stdout, code) = run(&argv, dir);
    let read = |name: &str| std::fs::read_to_string(work.join(name)).unwrap_or_default();
    let seen = Seen {
        lines: normalized(&stdout),
        code,
        once: read("once"),
        every: read("every"),
        stdout,
    };
    std::fs::remove_dir_all(&work).expect("clean");
    seen
}

fn compare(verbose: bool) {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    std::fs::write(d.join("hosts"), HOSTS).expect("hosts");
    std::fs::write(d.join("p.yml"), RUN_ONCE).expect("playbook");
    let core = run_tool("/opt/flock-bench/bin/ansible-playbook", d, verbose);
    let started = std::time::Instant::now();
    let flock = run_tool(env!("CARGO_BIN_EXE_flock"), d, verbose);
    let took = started.elapsed();
    // The feature is visible in ansible-core's own output: one host ran the run_once task,
    // every host saw its result, one line per pause.
    assert_eq!(core.once, "h1\n", "{}", core.stdout);
    assert_eq!(core.every, "h1\nh2\nh3\n");
    assert_eq!(
        core.lines
            .iter()
            .filter(|l| l.starts_with("Pausing"))
            .count(),
        2
    );
    assert_eq!(flock.lines, core.lines, "flock:\n{}", flock.stdout);
    assert_eq!(flock.code, core.code);
    assert_eq!(flock.once, core.once);
    assert_eq!(flock.every, core.every);
    assert!(
        flock
            .stdout
            .contains("Not waiting for response to prompt as stdin is not interactive"),
        "{}",
        flock.stdout
    );
    // Two pauses of one second for the batch (`minutes: 0` waits one second too), not six.
    assert!(took.as_secs_f64() < 4.5, "flock took {took:?}");
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn run_once_pause_and_debug_verbosity_match_ansible_core() {
    compare(false);
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn run_once_pause_and_debug_verbosity_match_ansible_core_at_v() {
    compare(true);
}
