//! `group`, `user` and `authorized_key` on this machine (as root) with throwaway accounts that
//! have unique names and are removed afterwards: the real passwd/group/shadow entries, the
//! home and `.ssh` files, idempotence, `--check`, and failures that change nothing.

mod modules_support;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::process::Command;

use flock::modules::access::user::sha512_crypt;
use flock::value::Value;
use modules_support::{map, mode_of, Harness};

/// shadow-utils' tools racing each other on /etc/group lose updates (seen here: a group
/// deleted by groupdel came back after a concurrent usermod), so the account tests take turns.
static ACCOUNTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Removes the accounts it names when dropped (also when a test fails).
struct Cleanup {
    users: Vec<String>,
    groups: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for u in &self.users {
            let _ = Command::new("userdel").args(["-r", u]).output();
        }
        for g in &self.groups {
            let _ = Command::new("groupdel").arg(g).output();
        }
    }
}

fn getent(db: &str, key: &str) -> Option<String> {
    let out = Command::new("getent").args([db, key]).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn unique(prefix: &str) -> String {
    format!("{prefix}{}", std::process::id() % 1_000_000)
}

fn free_gid(start: u32) -> u32 {
    (start..start + 5000)
        .find(|g| getent("group", &g.to_string()).is_none())
        .expect("a free gid")
}

#[tokio::test]
async fn group_create_modify_remove() {
    let _turn = ACCOUNTS.lock().await;
    let h = Harness::new().await;
    let g = unique("flkg");
    let _c = Cleanup {
        users: vec![],
        groups: vec![g.clone()],
    };
    let gid = free_gid(46000);
    let args = format!("name={g} gid={gid} system=yes");
    let r = h.kv("group", &args, true, false).await;
    assert!(r.changed && !r.failed);
    assert!(
        getent("group", &g).is_none(),
        "check mode created the group"
    );
    let r = h.ok("group", &args).await;
    assert!(r.changed);
    assert_eq!(r.data["gid"], gid);
    assert!(getent("group", &g)
        .unwrap()
        .starts_with(&format!("{g}:x:{gid}:")));
    assert!(!h.ok("group", &args).await.changed);
    // A name-only task on an existing group is ok.
    assert!(!h.ok("group", &format!("name={g}")).await.changed);
    let gid2 = free_gid(gid + 1);
    assert!(h.ok("group", &format!("name={g} gid={gid2}")).await.changed);
    assert!(getent("group", &g).unwrap().contains(&format!(":{gid2}:")));
    assert!(
        h.ok("group", &format!("name={g} state=absent"))
            .await
            .changed
    );
    assert!(getent("group", &g).is_none());
    assert!(
        !h.ok("group", &format!("name={g} state=absent"))
            .await
            .changed
    );
    let r = h
        .kv("group", &format!("name={g} gid=abc"), false, false)
        .await;
    assert!(r.failed && r.msg.unwrap().contains("gid"));
    assert!(getent("group", &g).is_none());
}

#[tokio::test]
async fn user_and_authorized_key() {
    let _turn = ACCOUNTS.lock().await;
    let h = Harness::new().await;
    let u = unique("flku");
    let g1 = unique("flka");
    let g2 = unique("flkb");
    let _c = Cleanup {
        users: vec![u.clone()],
        groups: vec![g1.clone(), g2.clone()],
    };
    h.ok("group", &format!("name={g1}")).await;
    h.ok("group", &format!("name={g2}")).await;
    let home = h.p("home dir");
    let hash = sha512_crypt("secret", "flocksalt");
    let comment = "System Operator 'q' \"d\" $HOME `id`; x";
    let args = map(&[
        ("name", Value::String(u.clone())),
        ("comment", Value::String(comment.into())),
        ("groups", Value::String(g1.clone())),
        ("password", Value::String(hash.clone())),
        ("shell", Value::String("/bin/bash".into())),
        ("home", Value::String(home.clone())),
    ]);
    // A group that does not exist: fails, no account.
    let mut bad = args.clone();
    bad.insert("groups".into(), Value::String("no-such-group-flk".into()));
    let r = h.map("user", bad, None, false, false).await;
    assert_eq!(
        r.msg.as_deref(),
        Some("Group no-such-group-flk does not exist")
    );
    assert!(getent("passwd", &u).is_none());
    let r = h.map("user", args.clone(), None, true, false).await;
    assert!(r.changed && !r.failed);
    assert!(
        getent("passwd", &u).is_none(),
        "check mode created the user"
    );
    let r = h.map("user", args.clone(), None, false, false).await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert_eq!(r.data["password"], "NOT_LOGGING_PASSWORD");
    let pw = getent("passwd", &u).unwrap();
    let f: Vec<&str> = pw.split(':').collect();
    assert_eq!((f[4], f[5], f[6]), (comment, home.as_str(), "/bin/bash"));
    assert!(h.path("home dir").is_dir(), "home not created");
    assert_eq!(
        getent("shadow", &u).unwrap().split(':').nth(1).unwrap(),
        hash
    );
    assert!(getent("group", &g1).unwrap().ends_with(&u));
    let r = h.map("user", args.clone(), None, false, false).await;
    assert!(!r.changed, "second run changed: {:?}", r.to_map());
    // append=yes adds g2 and keeps g1; groups without append sets exactly g1.
    let r = h
        .ok("user", &format!("name={u} groups={g2} append=yes"))
        .await;
    assert!(r.changed);
    assert!(getent("group", &g1).unwrap().ends_with(&u));
    assert!(getent("group", &g2).unwrap().ends_with(&u));
    assert!(
        !h.ok("user", &format!("name={u} groups={g2} append=yes"))
            .await
            .changed
    );
    assert!(h.ok("user", &format!("name={u} groups={g1}")).await.changed);
    assert!(!getent("group", &g2).unwrap().ends_with(&u));
    // Shell change in check mode, then for real.
    assert!(
        h.kv("user", &format!("name={u} shell=/bin/sh"), true, false)
            .await
            .changed
    );
    assert!(getent("passwd", &u).unwrap().ends_with("/bin/bash"));
    assert!(
        h.ok("user", &format!("name={u} shell=/bin/sh"))
            .await
            .changed
    );
    assert!(getent("passwd", &u).unwrap().ends_with("/bin/sh"));

    // authorized_key: two keys from one "file" value, manage_dir makes ~/.ssh.
    let ka = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFlockTestKeyA sysop@flock";
    let kb = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQFlockTestKeyB other@x";
    let both = format!("{ka}\n{kb}\n");
    let kargs = map(&[
        ("user", Value::String(u.clone())),
        ("key", Value::String(both.clone())),
    ]);
    let r = h
        .map("authorized_key", kargs.clone(), None, true, true)
        .await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert_eq!(r.diffs[0].after, both);
    assert!(!h.path("home dir/.ssh").exists());
    let r = h
        .map("authorized_key", kargs.clone(), None, false, false)
        .await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    let ak = h.path("home dir/.ssh/authorized_keys");
    assert_eq!(fs::read_to_string(&ak).unwrap(), both);
    assert_eq!(mode_of(&ak), 0o600);
    assert_eq!(mode_of(&h.path("home dir/.ssh")), 0o700);
    let uid: u32 = pw.split(':').nth(2).unwrap().parse().unwrap();
    assert_eq!(fs::metadata(&ak).unwrap().uid(), uid);
    assert_eq!(fs::metadata(h.path("home dir/.ssh")).unwrap().uid(), uid);
    assert!(
        !h.map("authorized_key", kargs, None, false, false)
            .await
            .changed
    );
    // Key options update the existing line; state=absent removes one key only.
    let r = h
        .map(
            "authorized_key",
            map(&[
                ("user", Value::String(u.clone())),
                ("key", Value::String(ka.into())),
                (
                    "key_options",
                    Value::String("no-pty,from=\"10.1.1.0/24\"".into()),
                ),
            ]),
            None,
            false,
            false,
        )
        .await;
    assert!(r.changed);
    assert_eq!(
        fs::read_to_string(&ak).unwrap(),
        format!("no-pty,from=\"10.1.1.0/24\" {ka}\n{kb}\n")
    );
    let r = h
        .map(
            "authorized_key",
            map(&[
                ("user", Value::String(u.clone())),
                ("key", Value::String(kb.into())),
                ("state", Value::String("absent".into())),
            ]),
            None,
            false,
            false,
        )
        .await;
    assert!(r.changed);
    assert_eq!(
        fs::read_to_string(&ak).unwrap(),
        format!("no-pty,from=\"10.1.1.0/24\" {ka}\n")
    );
    let r = h
        .kv(
            "authorized_key",
            "user=no-such-user-flk key='ssh-rsa AAAA x'",
            false,
            false,
        )
        .await;
    assert!(r.failed);
    let r = h
        .kv(
            "authorized_key",
            &format!("user={u} key=garbage"),
            false,
            false,
        )
        .await;
    assert!(r.failed && r.msg.unwrap().starts_with("invalid key specified"));

    // Removing the account with its home.
    let r = h
        .ok("user", &format!("name={u} state=absent remove=yes"))
        .await;
    assert!(r.changed);
    assert!(getent("passwd", &u).is_none());
    assert!(!h.path("home dir").exists());
    assert!(
        !h.ok("user", &format!("name={u} state=absent"))
            .await
            .changed
    );
}
