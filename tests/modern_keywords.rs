//! Issue 19: the executor keywords of modern playbooks as ansible-core 2.19 runs them, side by
//! side with the real ansible-core (local connection, three hosts, one fork so both print in
//! host order): `run_once` (the task runs on the first host; its registered result and its
//! `set_fact` facts reach every host; its failure stops every host), `pause` once per batch
//! (`seconds`, `minutes`, a `prompt` without an interactive stdin), `debug: verbosity`.
//! Output is compared line for line apart from timings; effects (a file each host appends to)
//! are compared too. `loop_control` (`loop_var`, `index_var`, `label`, `extended`,
//! `extended_allitems`, `pause`) on `loop:` and `with_items`, one host. Handlers notified by
//! name, by `listen` topic, from a role (`role : name`), a name defined twice, a missing one.
//! `ansible_failed_task` / `ansible_failed_result` in `rescue`, `ansible_check_mode`. `serial`
//! lists and percentages, `order`, `ansible_play_batch` / `ansible_play_hosts(_all)`.
//! `command`/`shell` stopped by `creates`/`removes` (ok, ansible-core's result), `h1 -> h2`.
//! Play-level `check_mode` over `--check`, task-level over both, `command` in check mode;
//! `module_defaults` on the play, a block (extending the play's) and FQCN names; `throttle`
//! (at most that many hosts at once under `-f 3`; a non-integer stops the run).

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

const LOOP_CONTROL: &str = r#"
- hosts: h1
  gather_facts: false
  tasks:
    - name: labelled
      debug:
        msg: "{{ it.n }}"
      loop: [{n: 1, s: secret}, {n: 2, s: other}]
      loop_control:
        loop_var: it
        label: "{{ it.n }}"
        index_var: idx
    - name: shell labelled
      command: echo {{ item }}
      loop: [a, b]
      loop_control:
        label: "L-{{ item }}"
        index_var: i
      register: out
    - debug: var=out.results[1].i
    - debug: var=out.results[1].ansible_loop_var
    - debug: var=out.results[1].ansible_index_var
    - name: extended
      debug:
        msg: "{{ ansible_loop.index }}/{{ ansible_loop.length }} {{ ansible_loop.first }} {{ ansible_loop.last }} {{ ansible_loop.revindex }} {{ ansible_loop.revindex0 }} {{ ansible_loop.previtem | default('none') }} {{ ansible_loop.nextitem | default('none') }} {{ ansible_loop.allitems }} {{ ansible_loop.index0 }}"
      loop: [x, y, z]
      loop_control:
        extended: true
    - name: without allitems
      command: echo {{ item }}
      loop: [1, 2]
      loop_control:
        label: "{{ item }}-{{ ansible_loop.index }}"
        extended: true
        extended_allitems: false
      register: rr
    - debug: var=rr.results[0].ansible_loop
    - name: paused
      shell: date +%s.%N >> {{ dir }}/every
      loop: [p, q]
      loop_control:
        pause: 1
    - name: with_items label
      debug: msg={{ item }}
      with_items: [m, n]
      loop_control:
        label: "W{{ item }}"
    - name: dict items
      debug: var=item
      loop: [{n: 1, s: secret}]
    - name: bad label
      command: echo hi
      loop: [1]
      loop_control:
        label: "{{ undefined_thing }}"
      ignore_errors: true
    - name: failing items
      command: /bin/false
      loop: [1]
      ignore_errors: true
"#;

const HANDLERS: &str = r#"
- hosts: all
  gather_facts: false
  roles: [web]
  tasks:
    - command: echo a
      notify: restart web stack
    - command: echo b
      notify: named one
    - command: echo c
      notify: [restart web stack, other topic]
    - command: echo d
      notify: dup
    - command: echo e
      notify: "web : everyone"
  handlers:
    - name: named one
      shell: echo named >> {{ dir }}/every
    - name: h-a
      debug: msg=a
      listen: restart web stack
    - name: h-b
      debug: msg=b
      listen:
        - restart web stack
        - other topic
    - name: not notified
      shell: echo never >> {{ dir }}/every
    - name: dup
      debug: msg=first
    - name: dup
      debug: msg=second
    - name: play listener
      debug: msg=pl
      listen: everyone
- hosts: h1
  gather_facts: false
  tasks:
    - command: echo a
      notify: nobody
  handlers:
    - name: x
      debug: msg=x
"#;

/// The `web` role of [`HANDLERS`]: tasks notifying its handlers by name, by `role : name`
/// and by a listen topic.
const WEB_ROLE: &[(&str, &str)] = &[
    (
        "roles/web/tasks/main.yml",
        "- command: echo role\n  notify: [restart, \"web : reload\", everyone]\n",
    ),
    (
        "roles/web/handlers/main.yml",
        "- name: restart\n  shell: echo restart-{{ inventory_hostname }} >> {{ dir }}/once\n\
         - name: reload\n  debug: msg=role-reload\n\
         - name: listener\n  debug: msg=role-listener\n  listen: everyone\n",
    ),
];

const RESCUE: &str = r#"
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - name: breaks
          command: /bin/false
          when: inventory_hostname != 'h3'
      rescue:
        - debug: var=ansible_failed_task.name
        - debug: var=ansible_failed_result.rc
        - debug: var=ansible_failed_result.msg
      always:
        - debug:
            msg: "always {{ ansible_failed_task.name if ansible_failed_task is defined else 'none' }}"
    - debug: var=ansible_check_mode
    - debug: var=ansible_failed_task.action
    - command: /bin/false
      ignore_errors: true
"#;

const SERIAL: &str = r#"
- hosts: all
  gather_facts: true
  serial: [1, "50%", 2]
  tasks:
    - debug:
        msg: "{{ ansible_play_batch }} {{ ansible_play_hosts }} {{ ansible_play_hosts_all }}"
      run_once: true
- hosts: all
  gather_facts: false
  order: reverse_sorted
  tasks:
    - debug:
        msg: "{{ ansible_play_batch | length }} {{ play_hosts }}"
    - command: "{{ '/bin/false' if inventory_hostname == 'h2' else '/bin/true' }}"
    - debug:
        msg: "{{ ansible_play_hosts }} {{ ansible_play_batch }} {{ ansible_play_hosts_all }}"
      run_once: true
- hosts: all
  gather_facts: false
  serial: "67%"
  tasks:
    - debug:
        msg: "{{ ansible_play_batch }}"
      run_once: true
"#;

const RESULTS: &str = r#"
- hosts: h1
  gather_facts: false
  tasks:
    - command: touch {{ dir }}/once
      args:
        creates: /etc/hostname
    - shell: echo ran >> {{ dir }}/once
      args:
        removes: /nonexistent/x
    - command: echo hi creates=/etc/hostname
      register: r
    - debug: var=r
    - shell: echo ran removes=/nonexistent/x
      register: r2
    - debug: var=r2.msg
    - command: echo hi
      delegate_to: h2
    - command: /bin/false
      delegate_to: "{{ 'h3' }}"
      ignore_errors: true
    - command: echo self
      delegate_to: h1
"#;

const PLAY_KEYWORDS: &str = r#"
- hosts: all
  gather_facts: false
  check_mode: true
  module_defaults:
    ansible.builtin.file:
      mode: "0600"
  tasks:
    - name: in check mode
      command: echo ran
      register: out
    - debug: msg="{{ out.msg }} [{{ out.stdout }}] {{ out.rc }}"
    - name: task check_mode wins
      command: echo ran
      register: out
      check_mode: false
    - debug: var=out.stdout
    - name: play default mode
      file: path={{ dir }}/f-{{ inventory_hostname }} state=touch
      check_mode: false
    - block:
        - name: block default mode
          file: path={{ dir }}/g-{{ inventory_hostname }} state=touch
      module_defaults:
        file:
          state: touch
          mode: "0640"
      check_mode: false
    - name: modes
      shell: stat -c '%n %a' {{ dir }}/f-* {{ dir }}/g-* | sed 's|.*/||'
      register: modes
      check_mode: false
      changed_when: false
    - debug: var=modes.stdout_lines
- hosts: all
  gather_facts: false
  check_mode: false
  tasks:
    - name: play check_mode false beats --check
      command: echo ran
      register: out
    - debug: var=out.stdout
"#;

/// `throttle: 1` under `-f 3`: each host's start and end lines are never interleaved.
const THROTTLE: &str = r#"
- hosts: all
  gather_facts: false
  tasks:
    - name: one at a time
      shell: echo start {{ inventory_hostname }} >> {{ dir }}/every; sleep 0.3; echo end {{ inventory_hostname }} >> {{ dir }}/every
      throttle: "{{ 1 }}"
    - name: bad throttle
      debug: msg=x
      throttle: "{{ 'nope' }}"
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
                "RUNNING HANDLER [",
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

fn run_tool(tool: &str, dir: &Path, flags: &[&str]) -> Seen {
    let work = dir.join("work");
    std::fs::create_dir_all(&work).expect("work dir");
    let extra = format!("dir={}", work.display());
    let mut argv = vec![tool];
    if tool.ends_with("flock") {
        argv.push("playbook");
    }
    argv.extend(["-f", "1", "-i", "hosts", "p.yml", "-e", &extra]);
    argv.extend(flags);
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

/// Runs `play` under ansible-core then flock in one temp dir: what each did, and flock's time.
fn side_by_side(play: &str, flags: &[&str]) -> (Seen, Seen, std::time::Duration) {
    side_by_side_with(play, &[], flags)
}

/// [`side_by_side`] with more files (path, text) beside the playbook.
fn side_by_side_with(
    play: &str,
    files: &[(&str, &str)],
    flags: &[&str],
) -> (Seen, Seen, std::time::Duration) {
    let dir = tempfile::tempdir().expect("dir");
    let d = dir.path();
    for (path, text) in files {
        let path = d.join(path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("dir");
        std::fs::write(path, text).expect("file");
    }
    std::fs::write(d.join("hosts"), HOSTS).expect("hosts");
    std::fs::write(d.join("p.yml"), play).expect("playbook");
    let core = run_tool("/opt/flock-bench/bin/ansible-playbook", d, flags);
    let started = std::time::Instant::now();
    let flock = run_tool(env!("CARGO_BIN_EXE_flock"), d, flags);
    (core, flock, started.elapsed())
}

fn compare(flags: &[&str]) {
    let (core, flock, took) = side_by_side(RUN_ONCE, flags);
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
    compare(&[]);
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn run_once_pause_and_debug_verbosity_match_ansible_core_at_v() {
    compare(&["-v"]);
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn loop_control_matches_ansible_core() {
    let (core, flock, _) = side_by_side(LOOP_CONTROL, &[]);
    assert!(
        core.lines
            .iter()
            .any(|l| l == "changed: [h1] => (item=L-b)"),
        "{}",
        core.stdout
    );
    assert_eq!(flock.lines, core.lines, "flock:\n{}", flock.stdout);
    assert_eq!(flock.code, core.code);
    // `pause: 1` waited between the two items (and not before the first).
    let stamps: Vec<f64> = flock.every.lines().filter_map(|l| l.parse().ok()).collect();
    assert_eq!(stamps.len(), 2, "{}", flock.every);
    let gap = stamps[1] - stamps[0];
    assert!((1.0..1.9).contains(&gap), "gap {gap}");
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn handler_listen_and_role_handlers_match_ansible_core() {
    let (core, flock, _) = side_by_side_with(HANDLERS, WEB_ROLE, &[]);
    assert!(
        core.lines
            .iter()
            .any(|l| l.starts_with("RUNNING HANDLER [web : listener]")),
        "{}",
        core.stdout
    );
    assert_eq!(core.once, "restart-h1\nrestart-h2\nrestart-h3\n");
    assert_eq!(flock.lines, core.lines, "flock:\n{}", flock.stdout);
    assert_eq!(flock.code, core.code);
    assert_eq!(flock.once, core.once);
    assert_eq!(flock.every, core.every);
}

/// `ansible_failed_task` / `ansible_failed_result` in `rescue` and after, `ansible_check_mode`,
/// the recap's `rescued` and `ignored`, with and without `--check`.
fn compare_rescue(flags: &[&str]) {
    let (core, flock, _) = side_by_side(RESCUE, flags);
    assert_eq!(flock.lines, core.lines, "flock:\n{}", flock.stdout);
    assert_eq!(flock.code, core.code);
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn failed_task_vars_and_check_mode_match_ansible_core() {
    let (core, _, _) = side_by_side(RESCUE, &[]);
    assert!(
        core.lines
            .iter()
            .any(|l| l.contains("\"ansible_failed_task.name\": \"breaks\"")),
        "{}",
        core.stdout
    );
    compare_rescue(&[]);
    compare_rescue(&["--check"]);
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn serial_order_and_play_host_vars_match_ansible_core() {
    let (core, flock, _) = side_by_side(SERIAL, &[]);
    // ansible-core: a PLAY banner per batch; the 67% batches are made over all three hosts,
    // so the failed h2 leaves the first batch with h1 alone.
    assert_eq!(
        core.lines
            .iter()
            .filter(|l| l.starts_with("PLAY ["))
            .count(),
        6
    );
    assert!(
        core.stdout
            .contains("ok: [h1] => {\n    \"msg\": [\n        \"h1\"\n    ]\n}"),
        "{}",
        core.stdout
    );
    assert_eq!(flock.lines, core.lines, "flock:\n{}", flock.stdout);
    assert_eq!(flock.code, core.code);
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn creates_removes_and_delegate_suffix_match_ansible_core() {
    let (core, flock, _) = side_by_side(RESULTS, &[]);
    assert!(
        core.lines.iter().any(|l| l == "changed: [h1 -> h2]"),
        "{}",
        core.stdout
    );
    assert_eq!(core.once, "", "creates/removes ran the command");
    assert_eq!(flock.lines, core.lines, "flock:\n{}", flock.stdout);
    assert_eq!(flock.code, core.code);
    assert_eq!(flock.once, core.once);
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn invalid_register_names_are_refused_at_load_as_ansible_core_does() {
    for name in ["200", "\"a-b\"", "[x]"] {
        let play = format!(
            "- hosts: h1\n  gather_facts: false\n  tasks:\n    - shell: echo ran >> {{{{ dir }}}}/once\n      register: {name}\n"
        );
        let (core, flock, _) = side_by_side(&play, &[]);
        assert_ne!(core.code, Some(0), "{}", core.stdout);
        assert_eq!(core.once, "");
        assert_ne!(flock.code, Some(0), "{name}: {}", flock.stdout);
        assert_eq!(flock.once, "", "{name}: nothing runs");
    }
    // flock names the file, line and column.
    let dir = tempfile::tempdir().expect("dir");
    let play = "- hosts: h1\n  gather_facts: false\n  tasks:\n    - command: echo hi\n      register: 200\n";
    std::fs::write(dir.path().join("p.yml"), play).expect("playbook");
    std::fs::write(dir.path().join("hosts"), HOSTS).expect("hosts");
    let out = Command::new(env!("CARGO_BIN_EXE_flock"))
        .args(["playbook", "-i", "hosts", "p.yml"])
        .current_dir(dir.path())
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "p.yml:5:17: Invalid 'register' specified: Invalid variable name '200' of type 'int'."
        ),
        "{err}"
    );
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn play_check_mode_and_module_defaults_match_ansible_core() {
    let (core, flock, _) = side_by_side(PLAY_KEYWORDS, &["--check"]);
    assert!(
        core.stdout
            .contains("\"msg\": \"Command would have run if not in check mode [] 0\""),
        "{}",
        core.stdout
    );
    assert!(core.stdout.contains("\"f-h1 600\""), "{}", core.stdout);
    assert!(core.stdout.contains("\"g-h1 640\""), "{}", core.stdout);
    assert_eq!(flock.lines, core.lines, "flock:\n{}", flock.stdout);
    assert_eq!(flock.code, core.code);
}

/// Start/end lines of one host follow each other when at most one host runs at a time.
fn one_at_a_time(log: &str) -> bool {
    let lines: Vec<&str> = log.lines().collect();
    lines.len() == 6
        && lines.chunks(2).all(|pair| {
            let host = |l: &str| l.split_whitespace().nth(1).map(str::to_string);
            pair[0].starts_with("start ")
                && pair[1].starts_with("end ")
                && host(pair[0]) == host(pair[1])
        })
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn throttle_limits_parallel_hosts_as_ansible_core_does() {
    for tool in [
        "/opt/flock-bench/bin/ansible-playbook",
        env!("CARGO_BIN_EXE_flock"),
    ] {
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path();
        std::fs::write(d.join("hosts"), HOSTS).expect("hosts");
        std::fs::write(d.join("p.yml"), THROTTLE).expect("playbook");
        let extra = format!("dir={}", d.display());
        let mut argv = vec![tool];
        if tool.ends_with("flock") {
            argv.push("playbook");
        }
        argv.extend(["-f", "3", "-i", "hosts", "p.yml", "-e", &extra]);
        let out = Command::new(argv[0])
            .args(&argv[1..])
            .current_dir(d)
            .env("ANSIBLE_NOCOLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("run");
        let log = std::fs::read_to_string(d.join("every")).unwrap_or_default();
        assert!(one_at_a_time(&log), "{tool}: {log}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(
                "[ERROR]: Failed to convert the throttle value to an integer: invalid literal for int() with base 10: 'nope'"
            ),
            "{tool}: {err}"
        );
        assert_eq!(out.status.code(), Some(1), "{tool}");
    }
}
