//! `copy`, `template` and `file` run on this machine against temp dirs: the end state on disk,
//! idempotence (second run ok), `--check` (nothing touched, change reported), `--diff`, and
//! failures that leave the old state intact.

mod modules_support;

use std::fs;
use std::os::unix::fs::MetadataExt;

use flock::value::Value;
use modules_support::{map, mode_of, Harness, NASTY};

#[tokio::test]
async fn copy_content_idempotent_check_and_diff() {
    let h = Harness::new().await;
    let dest = h.p("motd");
    // --check on an absent file: reports the change, writes nothing.
    let r = h
        .kv(
            "copy",
            &format!("content='hello\nworld\n' dest={dest} mode=0600"),
            true,
            true,
        )
        .await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert!(!h.path("motd").exists(), "check mode wrote the file");
    assert_eq!(r.diffs.len(), 1);
    assert_eq!(r.diffs[0].before, "");
    assert_eq!(r.diffs[0].after, "hello\nworld\n");
    // First run writes with the mode, second run is ok.
    let r = h
        .ok(
            "copy",
            &format!("content='hello\nworld\n' dest={dest} mode=0600"),
        )
        .await;
    assert!(r.changed);
    assert_eq!(fs::read_to_string(&dest).unwrap(), "hello\nworld\n");
    assert_eq!(mode_of(&h.path("motd")), 0o600);
    assert_eq!(r.data["mode"], "0600");
    assert_eq!(r.data["md5sum"], "0f723ae7f9bf07744445e93ac5595156");
    assert_eq!(
        r.data["checksum"],
        "58853e8a5e8272b1012f9a52a80758b27bd0d3cb"
    );
    let r = h
        .ok(
            "copy",
            &format!("content='hello\nworld\n' dest={dest} mode=0600"),
        )
        .await;
    assert!(!r.changed, "second run changed: {:?}", r.to_map());
    // A content change in --check --diff: diff shown, file untouched.
    let r = h
        .kv(
            "copy",
            &format!("content='hello\nthere\n' dest={dest}"),
            true,
            true,
        )
        .await;
    assert!(r.changed);
    assert_eq!(r.diffs[0].before, "hello\nworld\n");
    assert_eq!(r.diffs[0].after, "hello\nthere\n");
    assert_eq!(fs::read_to_string(&dest).unwrap(), "hello\nworld\n");
    // Only the mode differs: changed, content kept.
    let r = h
        .ok(
            "copy",
            &format!("content='hello\nworld\n' dest={dest} mode=0644"),
        )
        .await;
    assert!(r.changed);
    assert_eq!(mode_of(&h.path("motd")), 0o644);
    // New files without mode=: 0600 for content= (1.2, checked with it on a lab host).
    h.ok("copy", &format!("content=x dest={}", h.p("fresh")))
        .await;
    assert_eq!(mode_of(&h.path("fresh")), 0o600);
    // A new content keeps the old mode when none is given.
    fs::set_permissions(&dest, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
    h.ok("copy", &format!("content=new dest={dest}")).await;
    assert_eq!(fs::read_to_string(&dest).unwrap(), "new");
    assert_eq!(mode_of(&h.path("motd")), 0o640);
}

#[tokio::test]
async fn copy_backup_force_validate_and_owner() {
    let h = Harness::new().await;
    let dest = h.p("sudoers");
    fs::write(&dest, "old\n").unwrap();
    // force=no leaves an existing file alone.
    let r = h
        .ok("copy", &format!("content=new dest={dest} force=no"))
        .await;
    assert!(!r.changed);
    assert_eq!(fs::read_to_string(&dest).unwrap(), "old\n");
    // validate failing: task fails with the validator's rc and error, old file intact, no temp left.
    let r = h
        .kv(
            "copy",
            &format!("content=bad dest={dest} validate='sh -c \"grep -q good %s || {{ echo invalid >&2; exit 3; }}\"'"),
            false,
            false,
        )
        .await;
    assert!(r.failed, "{:?}", r.to_map());
    let msg = r.msg.clone().unwrap();
    assert!(msg.starts_with("failed to validate: rc:3 error:"), "{msg}");
    assert!(msg.contains("invalid"), "{msg}");
    assert_eq!(fs::read_to_string(&dest).unwrap(), "old\n");
    assert_eq!(
        fs::read_dir(h.dir.path()).unwrap().count(),
        1,
        "temp file left behind"
    );
    // validate passing + backup: new content, backup holds the old one.
    let r = h
        .ok("copy", &format!("content=good dest={dest} backup=yes validate='grep -q good %s' owner=nobody group=65534"))
        .await;
    assert!(r.changed);
    assert_eq!(fs::read_to_string(&dest).unwrap(), "good");
    let meta = fs::metadata(&dest).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
    let backup = r.data["backup_file"].as_str().unwrap().to_string();
    assert!(
        backup.starts_with(&format!("{dest}.")) && backup.ends_with('~'),
        "{backup}"
    );
    assert_eq!(fs::read_to_string(&backup).unwrap(), "old\n");
    // An owner that does not exist: fails, file unchanged.
    let r = h
        .kv(
            "copy",
            &format!("content=other dest={dest} owner=no-such-user-x"),
            false,
            false,
        )
        .await;
    assert!(r.failed);
    assert_eq!(fs::read_to_string(&dest).unwrap(), "good");
    // A missing destination directory: Ansible's message.
    let r = h
        .kv(
            "copy",
            &format!("content=x dest={}/nodir/f", h.p("")),
            false,
            false,
        )
        .await;
    assert!(r.failed);
    assert!(r.msg.unwrap().starts_with("Destination directory"));
}

#[tokio::test]
async fn copy_src_from_files_dir_into_directory_with_nasty_names() {
    let h = Harness::new().await;
    fs::create_dir_all(h.basedir.path().join("files")).unwrap();
    fs::write(
        h.basedir.path().join("files").join(NASTY),
        "payload $x `y`\n",
    )
    .unwrap();
    fs::create_dir(h.path("etc")).unwrap();
    let args = map(&[
        ("src", Value::String(NASTY.into())),
        ("dest", Value::String(h.p("etc"))),
        ("mode", Value::from(0o640)), // YAML 1.1 integer 0640
    ]);
    let r = h.map("copy", args.clone(), None, false, false).await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    let written = h.path("etc").join(NASTY);
    assert_eq!(fs::read_to_string(&written).unwrap(), "payload $x `y`\n");
    assert_eq!(mode_of(&written), 0o640);
    assert_eq!(r.data["dest"], written.display().to_string());
    let r = h.map("copy", args, None, false, false).await;
    assert!(!r.changed && !r.failed);
    // Without mode=, a new file gets the source's mode (1.2).
    let src = h.basedir.path().join("files").join("exec");
    fs::write(&src, "#!/bin/sh\n").unwrap();
    fs::set_permissions(&src, std::os::unix::fs::PermissionsExt::from_mode(0o750)).unwrap();
    h.ok("copy", &format!("src=exec dest={}", h.p("etc/exec")))
        .await;
    assert_eq!(mode_of(&h.path("etc/exec")), 0o750);
    // A missing source fails on the controller side.
    let r = h
        .kv("copy", &format!("src=nope dest={}", h.p("x")), false, false)
        .await;
    assert!(r.failed);
    // 1.2's message names the absolute path it looked at (utils.path_dwim).
    assert_eq!(
        r.msg.unwrap(),
        format!("could not find src={}/nope", h.basedir.path().display())
    );
}

#[tokio::test]
async fn template_writes_rendered_text() {
    let h = Harness::new().await;
    let tdir = h.basedir.path().join("templates");
    fs::create_dir_all(&tdir).unwrap();
    fs::write(tdir.join("hosts.j2"), "host {{ name }}\n").unwrap();
    let dest = h.p("hosts");
    let r = h
        .kv(
            "template",
            &format!("src=hosts.j2 dest={dest}"),
            false,
            true,
        )
        .await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert_eq!(fs::read_to_string(&dest).unwrap(), "host NAME-VALUE\n");
    assert_eq!(
        mode_of(&h.path("hosts")),
        0o600,
        "1.2's mode for a new template"
    );
    assert_eq!(r.diffs[0].after, "host NAME-VALUE\n");
    let r = h.ok("template", &format!("src=hosts.j2 dest={dest}")).await;
    assert!(!r.changed);
    let r = h
        .kv(
            "template",
            &format!("src=missing.j2 dest={dest}"),
            false,
            false,
        )
        .await;
    // 1.2: a controller-side "unable to read <path_dwim>" (the executor makes it unreachable).
    assert_eq!(
        r.msg.as_deref(),
        Some(
            format!(
                "controller: unable to read {}/missing.j2",
                h.basedir.path().display()
            )
            .as_str()
        )
    );
    // A destination name full of shell metacharacters.
    let nasty = h.p(NASTY);
    let args = map(&[
        ("src", Value::String("hosts.j2".into())),
        ("dest", Value::String(nasty.clone())),
    ]);
    assert!(
        h.map("template", args.clone(), None, false, false)
            .await
            .changed
    );
    assert_eq!(fs::read_to_string(&nasty).unwrap(), "host NAME-VALUE\n");
    assert!(!h.map("template", args, None, false, false).await.changed);
}

#[tokio::test]
async fn file_directory_mode_owner_recurse() {
    let h = Harness::new().await;
    let d = h.p("a/b/c");
    let r = h
        .kv(
            "file",
            &format!("path={d} state=directory mode=0750"),
            true,
            false,
        )
        .await;
    assert!(r.changed);
    assert!(!h.path("a").exists(), "check mode created the directory");
    let r = h
        .ok("file", &format!("path={d} state=directory mode=0750"))
        .await;
    assert!(r.changed);
    assert!(h.path("a/b/c").is_dir());
    assert_eq!(mode_of(&h.path("a/b/c")), 0o750);
    assert_eq!(r.data["state"], "directory");
    let r = h
        .ok("file", &format!("path={d} state=directory mode=0750"))
        .await;
    assert!(!r.changed);
    // Recursive owner and mode.
    fs::write(h.path("a/b/c/f"), "x").unwrap();
    let top = h.p("a");
    let args = format!("path={top} state=directory recurse=yes owner=nobody mode=0700");
    let r = h.kv("file", &args, true, false).await;
    assert!(r.changed);
    assert_ne!(fs::metadata(h.path("a/b/c/f")).unwrap().uid(), 65534);
    let r = h.ok("file", &args).await;
    assert!(r.changed);
    for p in ["a", "a/b", "a/b/c", "a/b/c/f"] {
        let m = fs::metadata(h.path(p)).unwrap();
        assert_eq!(m.uid(), 65534, "{p}");
        assert_eq!(m.mode() & 0o7777, 0o700, "{p}");
    }
    let r = h.ok("file", &args).await;
    assert!(!r.changed, "recurse not idempotent: {:?}", r.to_map());
    // A file in the way of a directory: refused, file intact.
    fs::write(h.path("plain"), "keep").unwrap();
    let r = h
        .kv(
            "file",
            &format!("path={} state=directory", h.p("plain")),
            false,
            false,
        )
        .await;
    assert!(r.failed);
    assert_eq!(
        r.msg.unwrap(),
        format!(
            "refusing to convert between file and directory for {}",
            h.p("plain")
        )
    );
    assert_eq!(fs::read_to_string(h.path("plain")).unwrap(), "keep");
}

#[tokio::test]
async fn file_state_file_touch_absent() {
    let h = Harness::new().await;
    let f = h.p("sudoers.d-wheel");
    let r = h
        .kv(
            "file",
            &format!("path={f} owner=root group=root mode=0440"),
            false,
            false,
        )
        .await;
    assert!(r.failed);
    assert_eq!(
        r.msg.unwrap(),
        format!("file ({f}) does not exist, use copy or template module to create")
    );
    assert!(!h.path("sudoers.d-wheel").exists());
    let r = h
        .ok("file", &format!("path={f} state=touch mode=0440"))
        .await;
    assert!(r.changed);
    assert_eq!(mode_of(&h.path("sudoers.d-wheel")), 0o440);
    fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let r = h
        .kv(
            "file",
            &format!("path={f} mode=0440 owner=root"),
            false,
            true,
        )
        .await;
    assert!(r.changed && !r.failed);
    assert!(r.diffs[0].before.contains("mode: 0644") && r.diffs[0].after.contains("mode: 0440"));
    assert_eq!(mode_of(&h.path("sudoers.d-wheel")), 0o440);
    let r = h
        .ok("file", &format!("path={f} mode=0440 owner=root"))
        .await;
    assert!(!r.changed);
    // absent: check mode keeps it, then removes it, then ok.
    let r = h
        .kv("file", &format!("path={f} state=absent"), true, false)
        .await;
    assert!(r.changed);
    assert!(h.path("sudoers.d-wheel").exists());
    assert!(
        h.ok("file", &format!("path={f} state=absent"))
            .await
            .changed
    );
    assert!(!h.path("sudoers.d-wheel").exists());
    assert!(
        !h.ok("file", &format!("path={f} state=absent"))
            .await
            .changed
    );
    // absent removes a whole tree.
    fs::create_dir_all(h.path("tree/x")).unwrap();
    fs::write(h.path("tree/x/y"), "").unwrap();
    assert!(
        h.ok("file", &format!("path={} state=absent", h.p("tree")))
            .await
            .changed
    );
    assert!(!h.path("tree").exists());
    // Bad arguments change nothing and name the problem.
    let r = h
        .kv("file", &format!("path={f} state=hardlink"), false, false)
        .await;
    assert!(r.failed);
    assert!(r.msg.unwrap().contains("value of state must be one of"));
    let r = h
        .kv("file", &format!("path={f} colour=red"), false, false)
        .await;
    assert_eq!(r.msg.unwrap(), "unsupported parameter for module: colour");
    let r = h.kv("file", "state=directory", false, false).await;
    assert_eq!(r.msg.unwrap(), "missing required arguments: path");
    let r = h
        .kv(
            "file",
            &format!("path={f} state=directory mode=rwx"),
            false,
            false,
        )
        .await;
    assert!(r.failed);
    assert!(!h.path("sudoers.d-wheel").exists());
}

#[tokio::test]
async fn file_links_with_nasty_names() {
    let h = Harness::new().await;
    let target = h.path(NASTY);
    fs::write(&target, "t").unwrap();
    let link = h.path("lnk ;`x`");
    let args = map(&[
        ("src", Value::String(target.display().to_string())),
        ("dest", Value::String(link.display().to_string())),
        ("state", Value::String("link".into())),
    ]);
    let r = h.map("file", args.clone(), None, true, false).await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert!(fs::symlink_metadata(&link).is_err());
    let r = h.map("file", args.clone(), None, false, false).await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert_eq!(fs::read_link(&link).unwrap(), target);
    let r = h.map("file", args.clone(), None, false, false).await;
    assert!(!r.changed);
    // Repointing an existing link.
    let other = h.path("other");
    fs::write(&other, "o").unwrap();
    let mut a2 = args.clone();
    a2.insert("src".into(), Value::String(other.display().to_string()));
    assert!(h.map("file", a2, None, false, false).await.changed);
    assert_eq!(fs::read_link(&link).unwrap(), other);
    // Missing source: Ansible's message, nothing created.
    let r = h
        .kv(
            "file",
            &format!("src={} dest={} state=link", h.p("nope"), h.p("l2")),
            false,
            false,
        )
        .await;
    assert!(r.failed);
    assert_eq!(r.msg.unwrap(), "src file does not exist");
    assert!(fs::symlink_metadata(h.path("l2")).is_err());
    // Hard link: same inode, then ok.
    let hard = h.p("hard");
    let hargs = format!("src={} dest={hard} state=hard", other.display());
    assert!(h.ok("file", &hargs).await.changed);
    assert_eq!(
        fs::metadata(&hard).unwrap().ino(),
        fs::metadata(&other).unwrap().ino()
    );
    assert!(!h.ok("file", &hargs).await.changed);
}
