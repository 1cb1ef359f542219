//! The agent's operations, done natively on the host: they also serve local connections
//! directly, in process.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Stdio};

use nix::unistd::{Gid, Group, Uid, User};

use super::proto::{PathInfo, PathStat, ProbeSpec};

/// Runs `script` with `/bin/sh -c` under LANG=C/LC_ALL=C, feeding `stdin` (if any); returns
/// `(rc, stdout, stderr)`, rc -1 when killed by a signal or when the shell could not start.
pub fn exec(script: &str, stdin: Option<&[u8]>) -> (i32, Vec<u8>, Vec<u8>) {
    match spawn(script, stdin) {
        Ok(running) => running.wait(),
        Err(failed) => failed,
    }
}

/// A command started by [`spawn`]: the leader of its own process group.
pub struct Running {
    child: std::process::Child,
    feeder: Option<std::thread::JoinHandle<()>>,
}

/// Starts `script` as [`exec`] does, in a process group of its own (so that the agent can stop
/// the command and everything it started with one `killpg`, and survive doing it). `Err` holds
/// the result of a shell that could not start.
pub fn spawn(script: &str, stdin: Option<&[u8]>) -> Result<Running, (i32, Vec<u8>, Vec<u8>)> {
    use std::os::unix::process::CommandExt;
    let child = Command::new("/bin/sh")
        .arg("-c")
        .arg(script)
        .env("LANG", "C")
        .env("LC_ALL", "C")
        .process_group(0)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Err((-1, Vec::new(), format!("/bin/sh: {e}\n").into_bytes())),
    };
    // Feed stdin from a thread so a command that writes before it reads cannot deadlock.
    let feeder = match (child.stdin.take(), stdin) {
        (Some(mut pipe), Some(data)) => {
            let data = data.to_vec();
            Some(std::thread::spawn(move || {
                let _ = pipe.write_all(&data);
            }))
        }
        _ => None,
    };
    Ok(Running { child, feeder })
}

impl Running {
    /// The process (and process group) ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the command and its output: `(rc, stdout, stderr)`.
    pub fn wait(self) -> (i32, Vec<u8>, Vec<u8>) {
        let out = self.child.wait_with_output();
        if let Some(f) = self.feeder {
            let _ = f.join();
        }
        match out {
            Ok(o) => (o.status.code().unwrap_or(-1), o.stdout, o.stderr),
            Err(e) => (-1, Vec::new(), format!("{e}\n").into_bytes()),
        }
    }
}

/// Probes each path: `lstat`, names of owner and group, link target, SHA-1 and content of
/// regular files when asked. Contents are appended to `blobs`.
pub fn probe(paths: &[ProbeSpec], blobs: &mut Vec<Vec<u8>>) -> Vec<Option<PathStat>> {
    paths.iter().map(|p| probe_one(p, blobs)).collect()
}

fn probe_one(spec: &ProbeSpec, blobs: &mut Vec<Vec<u8>>) -> Option<PathStat> {
    let path = Path::new(&spec.path);
    let meta = fs::symlink_metadata(path).ok()?;
    let ft = meta.file_type();
    let followed = if ft.is_symlink() {
        fs::metadata(path).ok()
    } else {
        Some(meta.clone())
    };
    let mut st = PathInfo {
        kind: kind_of(&ft).into(),
        mode: meta.mode() & 0o7777,
        uid: meta.uid(),
        gid: meta.gid(),
        owner: user_name(meta.uid()),
        group: group_name(meta.gid()),
        size: meta.size(),
        link_target: None,
        sha1: None,
    };
    let mut content_blob = None;
    if ft.is_symlink() {
        st.link_target = fs::read_link(path)
            .ok()
            .map(|t| t.to_string_lossy().into_owned());
    } else if ft.is_file() && (spec.sha1 || spec.content) {
        if let Ok(data) = fs::read(path) {
            if spec.sha1 {
                use sha1::Digest;
                st.sha1 = Some(hex::encode(sha1::Sha1::digest(&data)));
            }
            if spec.content {
                content_blob = Some(blobs.len());
                blobs.push(data);
            }
        }
    }
    Some(PathStat {
        info: st,
        content_blob,
        follow_kind: followed
            .as_ref()
            .map(|m| kind_of(&m.file_type()).to_string()),
        follow_id: followed.as_ref().map(|m| (m.dev(), m.ino())),
    })
}

fn kind_of(ft: &fs::FileType) -> &'static str {
    if ft.is_file() {
        "file"
    } else if ft.is_dir() {
        "directory"
    } else if ft.is_symlink() {
        "link"
    } else {
        "other"
    }
}

fn user_name(uid: u32) -> String {
    match User::from_uid(Uid::from_raw(uid)) {
        Ok(Some(u)) => u.name,
        _ => "UNKNOWN".into(),
    }
}

fn group_name(gid: u32) -> String {
    match Group::from_gid(Gid::from_raw(gid)) {
        Ok(Some(g)) => g.name,
        _ => "UNKNOWN".into(),
    }
}

/// Attributes for [`write_atomic`].
#[derive(Clone, Debug, Default)]
pub struct WriteAttrs<'a> {
    /// Owner name or uid.
    pub owner: Option<&'a str>,
    /// Group name or gid.
    pub group: Option<&'a str>,
    /// Permission bits.
    pub mode: Option<u32>,
    /// Permission bits of a new file.
    pub new_mode: u32,
}

/// Writes `data` to `path` atomically: a temporary file in the same directory gets the old
/// file's owner and mode (or `new_mode`), then `attrs`, then the data, fsync, rename. On failure
/// the temporary file is removed, the old file is untouched, and the error reads like the shell
/// tools' messages (`chown: invalid user: 'x'`).
pub fn write_atomic(path: &str, data: &[u8], attrs: &WriteAttrs) -> Result<(), String> {
    let mut tmp = stage(path, attrs)?;
    append(&mut tmp, data)?;
    commit(tmp, path)
}

/// The first half of [`write_atomic`]: the temporary file beside `path`, with its owner and
/// mode already set, empty. Removed when dropped.
pub fn stage(path: &str, attrs: &WriteAttrs) -> Result<tempfile::NamedTempFile, String> {
    let dest = Path::new(path);
    let dir = match dest.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let uid = attrs.owner.map(resolve_user).transpose()?;
    let gid = attrs.group.map(resolve_group).transpose()?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".flock.")
        .tempfile_in(dir)
        .map_err(|e| {
            format!(
                "mktemp: failed to create file via template '{}/.flock.XXXXXX': {}",
                dir.display(),
                io_text(&e)
            )
        })?;
    let old = fs::metadata(dest).ok();
    let (mut own_uid, mut own_gid, mut mode) = (None, None, attrs.new_mode);
    if let Some(m) = &old {
        own_uid = Some(m.uid());
        own_gid = Some(m.gid());
        mode = m.mode() & 0o7777;
    }
    if uid.is_some() {
        own_uid = uid;
    }
    if gid.is_some() {
        own_gid = gid;
    }
    if let Some(m) = attrs.mode {
        mode = m;
    }
    let file = tmp.as_file_mut();
    if own_uid.is_some() || own_gid.is_some() {
        let r = nix::unistd::fchown(
            &*file,
            own_uid.map(Uid::from_raw),
            own_gid.map(Gid::from_raw),
        );
        // Keeping the old owner is best effort (as `chown --reference … || true`); asked-for
        // owners must succeed.
        if let Err(e) = r {
            if uid.is_some() || gid.is_some() {
                return Err(format!(
                    "chown: changing ownership of '{}': {}",
                    tmp.path().display(),
                    e.desc()
                ));
            }
        }
    }
    file.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(|e| format!("chmod: {}", io_text(&e)))?;
    Ok(tmp)
}

/// Appends `data` to a file made by [`stage`].
pub fn append(tmp: &mut tempfile::NamedTempFile, data: &[u8]) -> Result<(), String> {
    tmp.as_file_mut()
        .write_all(data)
        .map_err(|e| format!("write error: {}", io_text(&e)))
}

/// The second half of [`write_atomic`]: fsync, then rename over `path`.
pub fn commit(tmp: tempfile::NamedTempFile, path: &str) -> Result<(), String> {
    tmp.as_file()
        .sync_all()
        .map_err(|e| format!("write error: {}", io_text(&e)))?;
    tmp.persist(path)
        .map_err(|e| format!("mv: cannot move to '{path}': {}", io_text(&e.error)))?;
    Ok(())
}

/// Creates the parent directories of `path` (`mkdir -p "$(dirname PATH)"`).
pub fn mkdir_parent(path: &str) -> Result<(), String> {
    match Path::new(path).parent() {
        Some(d) if !d.as_os_str().is_empty() => fs::create_dir_all(d).map_err(|e| {
            format!(
                "mkdir: cannot create directory '{}': {}",
                d.display(),
                io_text(&e)
            )
        }),
        _ => Ok(()),
    }
}

fn resolve_user(name: &str) -> Result<u32, String> {
    if let Ok(n) = name.parse::<u32>() {
        return Ok(n);
    }
    match User::from_name(name) {
        Ok(Some(u)) => Ok(u.uid.as_raw()),
        _ => Err(format!("chown: invalid user: '{name}'")),
    }
}

fn resolve_group(name: &str) -> Result<u32, String> {
    if let Ok(n) = name.parse::<u32>() {
        return Ok(n);
    }
    match Group::from_name(name) {
        Ok(Some(g)) => Ok(g.gid.as_raw()),
        _ => Err(format!("chgrp: invalid group: '{name}'")),
    }
}

/// An I/O error as coreutils words it ("No such file or directory").
fn io_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_and_writes_like_the_shell_tools() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        let p = f.to_str().unwrap();
        let attrs = WriteAttrs {
            new_mode: 0o640,
            ..Default::default()
        };
        write_atomic(p, b"hello\n", &attrs).unwrap();
        let mut blobs = Vec::new();
        let spec = ProbeSpec {
            path: p.into(),
            sha1: true,
            content: true,
        };
        let found = probe(std::slice::from_ref(&spec), &mut blobs);
        let found = found[0].clone().unwrap();
        let st = &found.info;
        assert_eq!((st.kind.as_str(), st.mode, st.size), ("file", 0o640, 6));
        assert_eq!(
            st.sha1.as_deref(),
            Some("f572d396fae9206628714fb2ce00f72e94f2258f")
        );
        assert_eq!(blobs[found.content_blob.unwrap()], b"hello\n");
        // The old mode is kept on rewrite; an explicit one wins.
        write_atomic(
            p,
            b"x",
            &WriteAttrs {
                new_mode: 0o600,
                ..Default::default()
            },
        )
        .unwrap();
        let st = probe(std::slice::from_ref(&spec), &mut blobs)[0]
            .clone()
            .unwrap();
        assert_eq!(st.info.mode, 0o640);
        let bad = WriteAttrs {
            owner: Some("no-such-user-flock"),
            new_mode: 0o644,
            ..Default::default()
        };
        assert_eq!(
            write_atomic(p, b"y", &bad).unwrap_err(),
            "chown: invalid user: 'no-such-user-flock'"
        );
        assert_eq!(fs::read(&f).unwrap(), b"x");
        assert!(probe(
            &[ProbeSpec {
                path: dir.path().join("none").to_string_lossy().into(),
                sha1: false,
                content: false
            }],
            &mut blobs
        )[0]
        .is_none());
        let (rc, out, _) = exec("read x; echo \"$x-$LC_ALL\"; exit 3", Some(b"in\n"));
        assert_eq!((rc, out.as_slice()), (3, b"in-C\n".as_slice()));
    }
}
