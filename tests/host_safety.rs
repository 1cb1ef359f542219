//! Issue 18, items 2–5 and 7, on lab hosts: host keys are checked for every dialect
//! (accept-new), a pattern matching no host says so, SIGINT/SIGTERM stop the remote commands
//! (agent and plain sessions), `--check` leaves hosts byte-identical even when the agent is not
//! there, and inventory or pattern mistakes stop the run before anything changes.

// Scratch dirs and `flock playbook` inside a lab: the same helpers as the packages_* tests.
mod packages_support;

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use flock::lab::{Lab, TestLab};
use packages_support::{on_host, playbook_with, recap, Scratch};

const FLOCK: &str = env!("CARGO_BIN_EXE_flock");

/// Another ed25519 key than any lab host's.
const OTHER_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA6rWI3G2sz07DnfFlrouTcysQlj2P+jpNSOEWD9OJ3X";

/// A playbook only Ansible 1.2 reads this way (`$var`, `action:`), run with `--dialect 1.2`.
const LEGACY_PLAY: &str = "- hosts: lab\n  gather_facts: false\n  vars:\n    word: hello\n  tasks:\n    - name: say $word\n      action: command echo $word\n";

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn in_lab(lab: &Lab, argv: &[&str]) -> Output {
    let out = lab.exec_in_lab(argv).expect("run in the lab");
    eprintln!("--- {}\n{}", argv.join(" "), text(&out));
    out
}

#[test]
fn host_keys_are_recorded_then_a_changed_key_is_refused_for_12_playbooks() {
    let lab = TestLab::new(1);
    let host = &lab.hosts()[0];
    let s = Scratch::new("hostkey");
    let inv = s.write("hosts", &lab.inventory_text());
    let pb = s.write("legacy.yml", LEGACY_PLAY);
    let home = s.0.join("home");
    std::fs::create_dir_all(&home).expect("home");
    let home_env = format!("HOME={}", home.display());
    let known = home.join(".ssh/known_hosts");
    let run = |env: &[&str], extra: &[&str]| {
        let mut prefix = vec!["env", home_env.as_str()];
        prefix.extend_from_slice(env);
        prefix.push(FLOCK);
        let mut args = vec!["--dialect", "1.2"];
        args.extend_from_slice(extra);
        playbook_with(&lab, &prefix, &inv, &pb, &args)
    };

    // First contact: accepted and recorded, with the key the host really has.
    let out = run(&[], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let recorded = std::fs::read_to_string(&known).expect("known_hosts written on first contact");
    let line = recorded
        .lines()
        .find(|l| l.starts_with(&format!("{} ", host.address)))
        .expect("the host's address is recorded");
    let key: String = line
        .split_whitespace()
        .skip(1)
        .collect::<Vec<_>>()
        .join(" ");
    let lab_known = std::fs::read_to_string(lab.known_hosts_path()).expect("lab known_hosts");
    assert!(lab_known.contains(&key), "recorded the host's real key");
    let out = run(&[], &[]);
    assert_eq!(out.status.code(), Some(0), "a known key connects");

    // The key changes (as after a reinstall, or a man in the middle): refused, file:line named.
    std::fs::write(&known, format!("{} {OTHER_KEY}\n", host.address)).expect("rewrite");
    let out = run(&[], &[]);
    let all = text(&out);
    assert_eq!(
        out.status.code(),
        Some(4),
        "a changed key makes the host unreachable"
    );
    assert!(all.contains("host key verification failed"), "{all}");
    assert!(
        all.contains(&format!("{}:1", known.display())),
        "names the line: {all}"
    );
    assert!(!all.contains("changed: [") && !all.contains("ok: ["));

    // Turning checking off stays possible: the flag and Ansible's variable.
    let out = run(&[], &["--host-key-checking", "no"]);
    assert_eq!(out.status.code(), Some(0), "--host-key-checking no");
    let out = run(&["ANSIBLE_HOST_KEY_CHECKING=False"], &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "ANSIBLE_HOST_KEY_CHECKING=False"
    );
    // A typo is an error before any host is contacted, never "off".
    let out = run(&["ANSIBLE_HOST_KEY_CHECKING=flase"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("host key checking: expected yes, accept-new or no"));
    assert_eq!(
        std::fs::read_to_string(&known).expect("known_hosts"),
        format!("{} {OTHER_KEY}\n", host.address),
        "runs without checking leave known_hosts alone"
    );
}

/// Real Ansible 1.2's `ansible` (spec section 19), when installed.
fn ansible12() -> Option<Vec<String>> {
    let py = "/root/.pyenv/versions/2.7.18/bin/python2";
    let bin = "/opt/ansible12/bin/ansible";
    (Path::new(py).exists() && Path::new(bin).exists()).then(|| {
        vec![
            "env".into(),
            "PYTHONPATH=/opt/ansible12".into(),
            py.into(),
            bin.into(),
        ]
    })
}

/// ansible-core's `ansible` from the venv the facts test makes, when there.
fn ansible_core() -> Option<Vec<String>> {
    let bin = "/opt/flock-bench/bin/ansible";
    Path::new(bin).exists().then(|| {
        vec![
            "env".into(),
            "ANSIBLE_HOST_KEY_CHECKING=False".into(),
            bin.into(),
        ]
    })
}

/// Exit code and the stderr lines that are not Python deprecation noise.
fn verdict(lab: &Lab, argv: &[String]) -> (Option<i32>, Vec<String>) {
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let out = in_lab(lab, &argv);
    let lines = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.contains("Deprecat") && !l.contains("from cryptography"))
        .map(str::to_string)
        .collect();
    (out.status.code(), lines)
}

#[test]
fn a_pattern_matching_no_host_is_not_a_silent_success() {
    let lab = TestLab::new(1);
    let s = Scratch::new("nohosts");
    let inv = s.write("hosts", &lab.inventory_text());
    let inv = inv.to_string_lossy().into_owned();
    let flock = |args: &[&str]| {
        let mut v = vec![FLOCK.to_string()];
        v.extend(args.iter().map(|a| a.to_string()));
        v
    };
    // Positive control: the lab host answers.
    let (code, _) = verdict(&lab, &flock(&["adhoc", "lab", "-i", &inv, "-m", "ping"]));
    assert_eq!(code, Some(0));

    // The toolkit's `flock ping @@cor` (a typo for core): 1.2's words and exit code, before any
    // password is asked for (`@@` asks for one; there is no terminal here).
    let (code, err) = verdict(&lab, &flock(&["ping", "@@cor", "-i", &inv]));
    assert_eq!(
        (code, err.clone()),
        (Some(1), vec!["No hosts matched".into()])
    );
    if let Some(mut real) = ansible12() {
        real.extend(["cor", "-i", &inv, "-m", "ping", "-u", "sysop", "--sudo"].map(String::from));
        assert_eq!(verdict(&lab, &real), (code, err), "as real 1.2");
    }
    // `--dialect 1.2` ad-hoc says the same.
    let (code, err) = verdict(
        &lab,
        &flock(&["adhoc", "cor", "-i", &inv, "-m", "ping", "--dialect", "1.2"]),
    );
    assert_eq!((code, err), (Some(1), vec!["No hosts matched".into()]));
    // A 1.2 playbook whose --limit leaves nothing.
    let pb = s.write("legacy.yml", LEGACY_PLAY);
    let pb = pb.to_string_lossy().into_owned();
    let (code, err) = verdict(
        &lab,
        &flock(&["playbook", "-i", &inv, "-l", "cor", "--dialect", "1.2", &pb]),
    );
    assert_eq!(
        (code, err),
        (Some(1), vec!["ERROR: provided hosts list is empty".into()])
    );

    // The modern entry point answers as ansible-core: warnings and 0 without --limit, an error
    // and 1 with one.
    let cases: [(&[&str], Option<i32>, &[&str]); 2] = [
        (
            &["cor"],
            Some(0),
            &[
                "[WARNING]: Could not match supplied host pattern, ignoring: cor",
                "[WARNING]: No hosts matched, nothing to do",
            ],
        ),
        (
            &["all", "-l", "cor"],
            Some(1),
            &[
                "[WARNING]: Could not match supplied host pattern, ignoring: cor",
                "[ERROR]: Specified inventory, host pattern and/or --limit leaves us with no hosts to target.",
            ],
        ),
    ];
    for (args, want_code, want_err) in cases {
        let mut a = vec!["adhoc"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["-i", &inv, "-m", "ping"]);
        let got = verdict(&lab, &flock(&a));
        let want: Vec<String> = want_err.iter().map(|l| l.to_string()).collect();
        assert_eq!(got, (want_code, want), "flock {a:?}");
        if let Some(mut core) = ansible_core() {
            core.extend(a[1..].iter().map(|x| x.to_string()));
            assert_eq!(verdict(&lab, &core), got, "as ansible-core: {a:?}");
        }
    }
}

/// Polls `cond` for up to `secs` seconds.
fn wait_until(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// The processes on `host` running `sleep 61` or the agent, and the task's temp files.
fn leftovers(lab: &Lab, host: &str) -> String {
    on_host(
        lab,
        host,
        "ps -eo args | grep -E '^([s]leep 61|.*-[-]flock-agent)'; ls /root | grep flock-int",
    )
}

fn finish(mut child: Child) -> (Option<i32>, Option<i32>, String, String) {
    let (mut out, mut err) = (String::new(), String::new());
    let status = child.wait().expect("wait");
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    eprintln!("--- stdout\n{out}\n--- stderr\n{err}");
    (status.code(), status.signal(), out, err)
}

const SLEEP_PLAY: &str = r#"
- hosts: lab
  gather_facts: false
  tasks:
    - command: /bin/true
    - shell: trap 'exit 143' TERM; t=$(mktemp /root/flock-int.XXXXXX); trap 'rm -f "$t"' EXIT; sleep 61
"#;

/// SIGINT or SIGTERM while a remote `sleep` runs, with the agent and on plain sessions: the
/// sleep is gone from the host, so is the agent, the script's temp file is gone (it was sent
/// SIGTERM first, with time to run its traps — as flock's own scripts do, under
/// `trap 'exit 143' TERM`), nothing is left in the controller's temp dir, and the run printed
/// "interrupted" and the recap of the tasks done.
#[test]
fn interrupt_stops_the_remote_command_and_leaves_nothing_behind() {
    let lab = TestLab::new(1);
    let host = lab.hosts()[0].name.clone();
    let s = Scratch::new("interrupt");
    let inv = s.write("hosts", &lab.inventory_text());
    let pb = s.write("sleep.yml", SLEEP_PLAY);
    let (inv, pb) = (inv.to_string_lossy(), pb.to_string_lossy());
    let cases = [("1", libc::SIGINT, 130), ("0", libc::SIGTERM, 143)];
    for (agent, sig, code) in cases {
        let tmp = s.0.join(format!("tmp-{agent}"));
        std::fs::create_dir_all(&tmp).expect("tmp");
        let (agent_env, tmp_env) = (
            format!("FLOCK_AGENT={agent}"),
            format!("TMPDIR={}", tmp.display()),
        );
        let argv = [
            "env",
            &agent_env,
            &tmp_env,
            "FLOCK_DIALECT=1.2",
            FLOCK,
            "playbook",
            "-i",
            &inv,
            &pb,
        ];
        let child = lab
            .command_in_lab(&argv)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start flock");
        let mut seen = String::new();
        let running = wait_until(30, || {
            seen = leftovers(&lab, &host);
            seen.contains("sleep 61")
        });
        assert!(running, "the sleep started on the host (agent={agent})");
        assert_eq!(
            seen.contains("--flock-agent"),
            agent == "1",
            "the path under test ran: {seen}"
        );
        let pid = i32::try_from(child.id()).expect("pid");
        // SAFETY: signalling the child we started.
        assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
        let (status, by_signal, out, err) = finish(child);
        assert_eq!((status, by_signal), (Some(code), None), "agent={agent}");
        assert!(
            err.contains("ERROR: interrupted"),
            "the interrupted line: {err}"
        );
        assert!(out.contains("PLAY RECAP"), "the recap");
        assert_eq!(
            recap(out.as_bytes(), &host),
            "ok=1 changed=1 unreachable=0 failed=0"
        );
        assert_eq!(
            leftovers(&lab, &host),
            "",
            "nothing left on the host (agent={agent})"
        );
        let left: Vec<_> = std::fs::read_dir(&tmp).expect("tmp").collect();
        assert!(left.is_empty(), "controller temp files left: {left:?}");
    }
}

#[test]
fn check_mode_from_a_binary_the_hosts_cannot_see_changes_nothing() {
    let lab = TestLab::new(2);
    let names: Vec<String> = lab.hosts().iter().map(|h| h.name.clone()).collect();
    let s = Scratch::new("check");
    let inv = s.write("hosts", &lab.inventory_text());
    let pb = s.write(
        "change.yml",
        "- hosts: lab\n  tasks:\n    - copy: content=\"hello\\n\" dest=/root/hello\n    - file: path=/root/dir state=directory\n    - lineinfile: dest=/etc/motd line=flock create=yes\n",
    );
    // The controller's /tmp: the hosts have their own.
    let bin_dir = tempfile::Builder::new()
        .prefix("flock-unseen-")
        .tempdir_in("/tmp")
        .expect("bin dir");
    let bin = bin_dir.path().join("flock");
    std::fs::copy(FLOCK, &bin).expect("copy the binary");
    let bin = bin.to_string_lossy().into_owned();
    for h in &names {
        assert_eq!(
            on_host(&lab, h, &format!("test -e {bin} || echo unseen")),
            "unseen"
        );
    }
    let before: Vec<_> = names
        .iter()
        .map(|h| lab.changes(h).expect("diff"))
        .collect();

    let out = playbook_with(&lab, &[&bin], &inv, &pb, &["--check"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        recap(&out.stdout, &names[0]).contains("changed=3"),
        "check reports the changes"
    );
    for (h, was) in names.iter().zip(&before) {
        let now = lab.changes(h).expect("diff");
        assert_eq!(
            now.iter().map(|c| &c.path).collect::<Vec<_>>(),
            was.iter().map(|c| &c.path).collect::<Vec<_>>(),
            "{h}: --check changed nothing (no agent uploaded)"
        );
    }

    // A real run uploads the agent to its documented place…
    let out = playbook_with(&lab, &[&bin], &inv, &pb, &[]);
    assert_eq!(out.status.code(), Some(0));
    for h in &names {
        assert!(
            on_host(&lab, h, "ls /root/.flock/agent").starts_with("flock-"),
            "{h}"
        );
    }
    // … and `flock agent clean` removes it (and ~/.flock), reporting what it did.
    let out = in_lab(
        &lab,
        &[&bin, "agent", "clean", "lab", "-i", &inv.to_string_lossy()],
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("removed /root/.flock/agent"));
    for h in &names {
        assert_eq!(
            on_host(&lab, h, "test -e /root/.flock || echo gone"),
            "gone",
            "{h}"
        );
        let paths: Vec<String> = lab
            .diff(h)
            .expect("diff")
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert!(
            !paths.iter().any(|p| p.contains(".flock")),
            "{h}: {paths:?}"
        );
    }
}

/// Item 7: a malformed inventory line or `hosts:` pattern (which 1.2 and ansible-core bend into
/// a host, a dropped group or the whole group) is refused with file:line before any host is
/// touched, in both dialects.
#[test]
fn inventory_and_pattern_mistakes_change_nothing_and_say_where() {
    let lab = TestLab::new(1);
    let host = lab.hosts()[0].name.clone();
    let s = Scratch::new("badinv");
    let good = lab.inventory_text();
    let create =
        "- hosts: lab\n  gather_facts: false\n  tasks:\n    - file: path=/root/made state=touch\n";
    let cases: Vec<(String, String, String)> = vec![
        (
            format!("{good}\n[cn]\ncn-0[1-\n"),
            create.to_string(),
            "cn-0[1-".to_string(),
        ),
        (
            format!("{good}\n[broken\nx\n"),
            create.to_string(),
            "missing its closing ']'".to_string(),
        ),
        (
            good.clone(),
            format!("{create}- hosts: 'lab[0:'\n  tasks:\n    - command: /bin/true\n"),
            "an unclosed '['".to_string(),
        ),
    ];
    let before = lab.changes(&host).expect("diff");
    for (i, (inv_text, play, what)) in cases.iter().enumerate() {
        let inv = s.write(&format!("hosts{i}"), inv_text);
        let pb = s.write(&format!("play{i}.yml"), play);
        for dialect in ["1.2", "modern"] {
            let out = playbook_with(&lab, &[FLOCK], &inv, &pb, &["--dialect", dialect]);
            let all = text(&out);
            assert_ne!(out.status.code(), Some(0), "{dialect} case {i}: {all}");
            assert!(all.contains(what), "{dialect} case {i}: {all}");
            let at = if i < 2 {
                let line = 1 + inv_text
                    .lines()
                    .position(|l| l == "cn-0[1-" || l == "[broken")
                    .expect("the bad line");
                format!("{}:{line}:", inv.display())
            } else {
                format!("{}:5:", pb.display())
            };
            assert!(
                all.contains(&at) || all.contains(&at.replace(":5:", ":4:")),
                "{dialect} case {i} names {at}: {all}"
            );
        }
    }
    let after = lab.changes(&host).expect("diff");
    assert_eq!(
        after.iter().map(|c| &c.path).collect::<Vec<_>>(),
        before.iter().map(|c| &c.path).collect::<Vec<_>>(),
        "nothing changed on the host"
    );
}
