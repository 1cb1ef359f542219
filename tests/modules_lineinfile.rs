//! `lineinfile` on this machine: the corpus' bootstrap tasks, idempotence, `--check`, `--diff`,
//! backup, absent, attributes, and lines full of shell metacharacters.

mod modules_support;

use std::fs;

use flock::value::Value;
use modules_support::{map, mode_of, Harness, NASTY};

#[tokio::test]
async fn bootstrap_sudoers_line() {
    let h = Harness::new().await;
    let dest = h.p("sudoers.d/wheel");
    let args = format!(
        "dest={dest} line=\"%wheel ALL=(ALL) NOPASSWD:ALL\" create=yes state=present regexp='^%wheel' backup=yes"
    );
    // Missing file without create: 1.2's message, nothing made.
    let r = h
        .kv(
            "lineinfile",
            &format!("dest={dest} line=x regexp=^x"),
            false,
            false,
        )
        .await;
    assert!(r.failed);
    assert_eq!(
        r.msg.unwrap(),
        format!("Destination {dest} does not exist !")
    );
    // --check --diff: reported, nothing written (not even the directory).
    let r = h.kv("lineinfile", &args, true, true).await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert_eq!(r.diffs[0].after, "%wheel ALL=(ALL) NOPASSWD:ALL\n");
    assert!(!h.path("sudoers.d").exists());
    let r = h.ok("lineinfile", &args).await;
    assert!(r.changed);
    assert_eq!(r.msg.as_deref(), Some("line added"));
    assert_eq!(
        fs::read_to_string(&dest).unwrap(),
        "%wheel ALL=(ALL) NOPASSWD:ALL\n"
    );
    let r = h.ok("lineinfile", &args).await;
    assert!(!r.changed, "{:?}", r.to_map());
    assert_eq!(
        mode_of(&h.path("sudoers.d/wheel")),
        0o600,
        "1.2's mode for a created file"
    );
    // A different line for the same regexp replaces it, keeping a backup.
    fs::write(&dest, "# head\n%wheel ALL=(ALL) ALL\n# tail\n").unwrap();
    let r = h.ok("lineinfile", &args).await;
    assert_eq!(r.msg.as_deref(), Some("line replaced"));
    assert_eq!(
        fs::read_to_string(&dest).unwrap(),
        "# head\n%wheel ALL=(ALL) NOPASSWD:ALL\n# tail\n"
    );
    let backup = r.data["backup"].as_str().unwrap().to_string();
    assert_eq!(
        fs::read_to_string(backup).unwrap(),
        "# head\n%wheel ALL=(ALL) ALL\n# tail\n"
    );
    // Only the mode differs: Ansible's message.
    let r = h.ok("lineinfile", &format!("{args} mode=0440")).await;
    assert!(r.changed);
    assert_eq!(
        r.msg.as_deref(),
        Some("ownership, perms or SE linux context changed")
    );
    assert_eq!(mode_of(&h.path("sudoers.d/wheel")), 0o440);
    // The mode survives a content change.
    let r = h
        .ok(
            "lineinfile",
            &format!("dest={dest} regexp='^# tail' line='# end'"),
        )
        .await;
    assert!(r.changed);
    assert_eq!(mode_of(&h.path("sudoers.d/wheel")), 0o440);
    // Absent: all matches go; --check keeps them.
    let r = h
        .kv(
            "lineinfile",
            &format!("dest={dest} regexp='^#' state=absent"),
            true,
            false,
        )
        .await;
    assert!(r.changed);
    assert_eq!(r.data["found"], 2);
    assert!(fs::read_to_string(&dest).unwrap().contains("# head"));
    let r = h
        .ok(
            "lineinfile",
            &format!("dest={dest} regexp='^#' state=absent"),
        )
        .await;
    assert_eq!(r.msg.as_deref(), Some("2 line(s) removed"));
    assert_eq!(
        fs::read_to_string(&dest).unwrap(),
        "%wheel ALL=(ALL) NOPASSWD:ALL\n"
    );
}

#[tokio::test]
async fn insert_positions_backrefs_and_nasty_text() {
    let h = Harness::new().await;
    let dest = h.p("init");
    fs::write(&dest, "#!/bin/sh\n# chkconfig: 2345 20 80\nexit 0\n").unwrap();
    // The corpus' escaped-space regexp.
    let r = h
        .ok(
            "lineinfile",
            &format!("dest={dest} regexp='^#\\ chkconfig' line='# chkconfig: - 60 60' backup=yes"),
        )
        .await;
    assert!(r.changed);
    assert_eq!(
        fs::read_to_string(&dest).unwrap(),
        "#!/bin/sh\n# chkconfig: - 60 60\nexit 0\n"
    );
    // insertbefore / insertafter / BOF.
    h.ok(
        "lineinfile",
        &format!("dest={dest} regexp=^set line='set -e' insertafter='^#!'"),
    )
    .await;
    h.ok(
        "lineinfile",
        &format!("dest={dest} regexp=^trap line='trap x' insertbefore='^exit'"),
    )
    .await;
    h.ok(
        "lineinfile",
        &format!("dest={dest} regexp=^#top line=#top insertbefore=BOF"),
    )
    .await;
    assert_eq!(
        fs::read_to_string(&dest).unwrap(),
        "#top\n#!/bin/sh\nset -e\n# chkconfig: - 60 60\ntrap x\nexit 0\n"
    );
    // backrefs.
    let r = h
        .ok(
            "lineinfile",
            &format!("dest={dest} regexp='^# chkconfig: (.) (\\d+) (\\d+)' line='# chkconfig: 2345 \\2 \\3' backrefs=yes"),
        )
        .await;
    assert!(r.changed);
    assert!(fs::read_to_string(&dest)
        .unwrap()
        .contains("# chkconfig: 2345 60 60\n"));
    // A line full of shell metacharacters, written and found again.
    let nasty_line = "x='a b' \"$HOME\" `id`; echo $((1+1)) \\ end";
    let args = map(&[
        ("dest", Value::String(dest.clone())),
        ("line", Value::String(nasty_line.into())),
    ]);
    let r = h.map("lineinfile", args.clone(), None, false, false).await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    let text = fs::read_to_string(&dest).unwrap();
    assert!(text.ends_with(&format!("exit 0\n{nasty_line}\n")), "{text}");
    let r = h.map("lineinfile", args, None, false, false).await;
    assert!(!r.changed);
    // A file whose name needs quoting.
    let nasty = h.p(NASTY);
    let args = map(&[
        ("path", Value::String(nasty.clone())),
        ("line", Value::String("k=v".into())),
        ("create", Value::Bool(true)),
    ]);
    assert!(
        h.map("lineinfile", args.clone(), None, false, false)
            .await
            .changed
    );
    assert_eq!(fs::read_to_string(&nasty).unwrap(), "k=v\n");
    assert!(!h.map("lineinfile", args, None, false, false).await.changed);
    // A directory is refused.
    let r = h
        .kv(
            "lineinfile",
            &format!("dest={} line=x regexp=x", h.p("")),
            false,
            false,
        )
        .await;
    assert!(r.failed && r.msg.unwrap().ends_with("is a directory !"));
    // validate failing leaves the file as it was.
    let before = fs::read_to_string(&dest).unwrap();
    let r = h
        .kv(
            "lineinfile",
            &format!("dest={dest} line=new validate='false %s'"),
            false,
            false,
        )
        .await;
    assert!(r.failed);
    assert_eq!(fs::read_to_string(&dest).unwrap(), before);
}
