//! `filesystem`, `mount`, `lvol`, `seboolean` on this machine: mkfs on an image file, a
//! loop mount through a private fstab (`fstab=`, so /etc/fstab is never touched), and the
//! failures of `lvol`/`seboolean` where LVM/SELinux are not there (device-mapper is not
//! available in this machine's container; `lvs` parsing and planning are unit-tested in
//! modules/system/lvol.rs).

mod modules_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use flock::value::Value;
use modules_support::{map, Harness};

fn blkid(p: &Path) -> String {
    let out = Command::new("blkid")
        .args(["-c", "/dev/null", "-o", "value", "-s", "TYPE"])
        .arg(p)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn is_mounted(p: &Path) -> bool {
    Command::new("mountpoint")
        .arg("-q")
        .arg(p)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Unmounts (lazily) whatever the test left mounted.
struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        while is_mounted(&self.0) {
            if !Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status()
                .map(|s| s.success())
                .unwrap_or(false)
            {
                break;
            }
        }
    }
}

fn sha(p: &Path) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(fs::read(p).unwrap()).to_vec()
}

#[tokio::test]
async fn filesystem_and_loop_mount() {
    let h = Harness::new().await;
    let img = h.path("disk.img");
    let f = fs::File::create(&img).unwrap();
    f.set_len(16 << 20).unwrap();
    drop(f);
    let dev = img.display().to_string();
    // check mode: nothing written.
    let r = h
        .kv("filesystem", &format!("fstype=ext4 dev={dev}"), true, false)
        .await;
    assert!(r.changed && !r.failed);
    assert_eq!(blkid(&img), "");
    let r = h.ok("filesystem", &format!("fstype=ext4 dev={dev}")).await;
    assert!(r.changed);
    assert_eq!(blkid(&img), "ext4");
    assert!(
        !h.ok("filesystem", &format!("fstype=ext4 dev={dev}"))
            .await
            .changed
    );
    // Another type without force: 1.2's message, image untouched.
    let before = sha(&img);
    let r = h
        .kv(
            "filesystem",
            &format!("fstype=ext3 dev={dev}"),
            false,
            false,
        )
        .await;
    assert!(r.failed);
    assert_eq!(
        r.msg.unwrap(),
        format!("'{dev}' is already used as ext4, use force=yes to overwrite")
    );
    assert_eq!(sha(&img), before);
    let r = h
        .kv(
            "filesystem",
            &format!("fstype=ext4 dev={}", h.p("nodev")),
            false,
            false,
        )
        .await;
    assert_eq!(
        r.msg.unwrap(),
        format!("Device {} not found.", h.p("nodev"))
    );

    // mount: a name with a space goes into the fstab as \040.
    let mnt = h.path("mnt dir");
    let _guard = Unmount(mnt.clone());
    let fstab = h.path("fstab");
    fs::write(&fstab, "# test fstab\n").unwrap();
    let args = |state: &str, opts: &str| {
        map(&[
            ("name", Value::String(mnt.display().to_string())),
            ("src", Value::String(dev.clone())),
            ("fstype", Value::String("ext4".into())),
            ("opts", Value::String(opts.into())),
            ("state", Value::String(state.into())),
            ("fstab", Value::String(fstab.display().to_string())),
        ])
    };
    let line = format!(
        "{dev} {} ext4 loop 0 0\n",
        mnt.display().to_string().replace(' ', "\\040")
    );
    // present: fstab only.
    let r = h
        .map("mount", args("present", "loop"), None, true, true)
        .await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert_eq!(r.diffs[0].after, format!("# test fstab\n{line}"));
    assert_eq!(fs::read_to_string(&fstab).unwrap(), "# test fstab\n");
    let r = h
        .map("mount", args("present", "loop"), None, false, false)
        .await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert_eq!(
        fs::read_to_string(&fstab).unwrap(),
        format!("# test fstab\n{line}")
    );
    assert!(!mnt.exists());
    // mounted: makes the directory and mounts through the private fstab.
    let r = h
        .map("mount", args("mounted", "loop"), None, false, false)
        .await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert!(is_mounted(&mnt), "not mounted");
    assert!(mnt.join("lost+found").exists());
    let r = h
        .map("mount", args("mounted", "loop"), None, false, false)
        .await;
    assert!(!r.changed, "{:?}", r.to_map());
    // Changed options: fstab rewritten, remounted.
    let r = h
        .map("mount", args("mounted", "loop,noatime"), None, false, false)
        .await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert!(fs::read_to_string(&fstab)
        .unwrap()
        .contains(" ext4 loop,noatime 0 0\n"));
    assert!(is_mounted(&mnt));
    // unmounted: fstab kept.
    let r = h
        .map(
            "mount",
            args("unmounted", "loop,noatime"),
            None,
            false,
            false,
        )
        .await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert!(!is_mounted(&mnt));
    assert!(fs::read_to_string(&fstab).unwrap().contains("loop,noatime"));
    assert!(
        !h.map("mount", args("unmounted", "loop"), None, false, false)
            .await
            .changed
    );
    // absent: entry and mount point gone.
    h.map("mount", args("mounted", "loop,noatime"), None, false, false)
        .await;
    assert!(is_mounted(&mnt));
    let r = h
        .map("mount", args("absent", "loop"), None, false, false)
        .await;
    assert!(r.changed && !r.failed, "{:?}", r.to_map());
    assert!(!is_mounted(&mnt));
    assert!(!mnt.exists());
    assert_eq!(fs::read_to_string(&fstab).unwrap(), "# test fstab\n");
    assert!(
        !h.map("mount", args("absent", "loop"), None, false, false)
            .await
            .changed
    );
    let r = h
        .map("mount", args("mounted", "a b"), None, false, false)
        .await;
    assert_eq!(r.msg.unwrap(), "unexpected space in 'opts' parameter");
}

#[tokio::test]
async fn lvol_and_seboolean_without_the_subsystem() {
    let h = Harness::new().await;
    let has = |tool: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    let r = h
        .kv("lvol", "vg=flocknovg lv=data size=512", false, false)
        .await;
    assert!(r.failed);
    assert_eq!(r.msg.unwrap(), "Volume group flocknovg does not exist.");
    let r = h.kv("lvol", "vg=flocknovg lv=data", false, false).await;
    assert_eq!(r.msg.unwrap(), "No size given.");
    let r = h
        .kv(
            "seboolean",
            "name=httpd_can_network_connect state=yes persistent=yes",
            false,
            false,
        )
        .await;
    assert!(r.failed);
    let msg = r.msg.unwrap();
    if has("getsebool") {
        assert!(
            msg == "SELinux is disabled on this host." || msg.starts_with("SELinux boolean"),
            "{msg}"
        );
    } else {
        assert_eq!(msg, "This module requires libselinux-python support");
    }
}
