//! `command`, `shell`, `raw`, `ping` on this machine: what actually ran, creates/removes/chdir,
//! quoting of every special character, rc and result keys.

mod modules_support;

use std::fs;

use flock::value::Value;
use modules_support::{map, Harness, NASTY};

#[tokio::test]
async fn command_takes_no_shell_syntax_and_quotes_words() {
    let h = Harness::new().await;
    let out = h.p("out");
    // Pipes, redirections, `;`, `$` and backticks reach printf as plain words.
    let r = h
        .kv(
            "command",
            &format!("printf '%s|' 'a b' '$HOME' '`id`' ';' '>' {out}"),
            false,
            false,
        )
        .await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert_eq!(r.data["rc"], 0);
    assert_eq!(
        r.data["stdout"].as_str().unwrap(),
        format!("a b|$HOME|`id`|;|>|{out}|")
    );
    assert!(!h.path("out").exists(), "a redirection was interpreted");
    assert_eq!(r.data["cmd"][0], "printf");
    for k in ["start", "end", "delta", "stderr"] {
        assert!(r.data.contains_key(k), "missing {k}");
    }
    // A failing command: rc and stderr (trailing newline stripped), still `changed`.
    let r = h.kv("command", "ls /no/such/dir", false, false).await;
    assert_eq!(r.data["rc"], 2);
    let err = r.data["stderr"].as_str().unwrap();
    assert!(
        err.contains("No such file") && !err.ends_with('\n'),
        "{err}"
    );
}

#[tokio::test]
async fn shell_creates_removes_chdir_executable() {
    let h = Harness::new().await;
    let marker = h.p("made it");
    let args = |extra: &str| {
        map(&[
            ("creates", Value::String(marker.clone())),
            ("chdir", Value::String(h.p(""))),
            ("_x", Value::String(extra.into())),
        ])
    };
    let mut a = args("");
    a.remove("_x");
    let script = "echo one | tr o O > 'made it'; pwd; echo err >&2".to_string();
    let r = h
        .map("shell", a.clone(), Some(script.clone()), false, false)
        .await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert_eq!(fs::read_to_string(&marker).unwrap(), "One\n");
    assert_eq!(
        r.data["stdout"].as_str().unwrap(),
        h.dir.path().display().to_string()
    );
    assert_eq!(r.data["stderr"], "err");
    assert_eq!(r.data["cmd"], Value::String(script.clone()));
    // creates= exists now: skipped, not run.
    fs::write(&marker, "keep").unwrap();
    let r = h.map("shell", a, Some(script), false, false).await;
    assert!(r.skipped && !r.changed, "{:?}", r.to_map());
    assert_eq!(r.data["stdout"], format!("skipped, since {marker} exists"));
    assert_eq!(fs::read_to_string(&marker).unwrap(), "keep");
    // removes= missing: skipped.
    let r = h
        .kv(
            "shell",
            &format!("removes={} touch {}", h.p("absent"), h.p("t")),
            false,
            false,
        )
        .await;
    assert!(r.skipped);
    assert!(!h.path("t").exists());
    // removes= present: runs.
    let r = h
        .map(
            "shell",
            map(&[("removes", Value::String(marker.clone()))]),
            Some(format!("rm \"{marker}\"")),
            false,
            false,
        )
        .await;
    assert!(r.changed && !r.skipped, "{:?}", r.to_map());
    assert!(!h.path("made it").exists());
    // chdir to a missing directory: 1.2's message and rc.
    let r = h
        .kv("command", "chdir=/no/such/dir true", false, false)
        .await;
    assert!(r.failed);
    assert_eq!(r.data["rc"], 258);
    assert_eq!(
        r.msg.unwrap(),
        "cannot change to directory '/no/such/dir': path does not exist"
    );
    // executable= runs the script with that shell.
    let r = h
        .kv(
            "shell",
            "executable=/bin/bash echo ${BASH_VERSION:+bash}",
            false,
            false,
        )
        .await;
    assert_eq!(r.data["stdout"], "bash");
    // A nasty file name through shell quoting.
    let nasty = h.path(NASTY);
    let quoted = flock::connection::shell_quote(&nasty.display().to_string());
    let r = h
        .map(
            "shell",
            map(&[]),
            Some(format!("printf x > {quoted}")),
            false,
            false,
        )
        .await;
    assert!(!r.failed, "{:?}", r.to_map());
    assert_eq!(fs::read_to_string(&nasty).unwrap(), "x");
    let r = h
        .map(
            "command",
            map(&[("creates", Value::String(nasty.display().to_string()))]),
            Some("false".into()),
            false,
            false,
        )
        .await;
    assert!(r.skipped, "creates with a nasty name: {:?}", r.to_map());
}

#[tokio::test]
async fn raw_and_ping() {
    let h = Harness::new().await;
    // As 1.2 (on a pty): stderr comes in stdout, and the result is not `changed`.
    let r = h
        .kv("raw", "echo hi; echo err >&2; exit 3", false, false)
        .await;
    assert_eq!(r.data["rc"], 3);
    assert_eq!(r.data["stdout"], "hi\nerr\n");
    assert_eq!(r.data["stderr"], "");
    assert!(!r.changed);
    let r = h.ok("ping", "").await;
    assert_eq!(r.data["ping"], "pong");
    assert!(!r.changed);
    let r = h.kv("ping", "bogus=1", false, false).await;
    assert_eq!(r.msg.unwrap(), "unsupported parameter for module: bogus");
}

#[test]
fn registry_names_are_unique_and_known_to_the_loader() {
    let names: Vec<&str> = flock::modules::registry()
        .iter()
        .map(|m| m.name())
        .collect();
    for n in [
        "template",
        "copy",
        "file",
        "lineinfile",
        "authorized_key",
        "get_url",
        "command",
        "shell",
        "raw",
        "ping",
        "user",
        "group",
        "service",
        "mount",
        "filesystem",
        "lvol",
        "seboolean",
    ] {
        assert!(names.contains(&n), "{n} not registered");
    }
    for n in &names {
        assert!(
            flock::playbook::is_known_module(n),
            "{n} unknown to the loader"
        );
        assert_eq!(
            names.iter().filter(|m| *m == n).count(),
            1,
            "{n} registered twice"
        );
    }
}
