//! What a host changed: its overlay upper directory, compared with the layers below.

use std::fmt;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Files sshd itself writes on every login; never part of a diff.
const NOISE: &[&str] = &["/var/log/wtmp", "/var/log/btmp", "/var/log/lastlog"];

/// What kind of change an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// A regular file written, created or with changed attributes.
    File,
    /// A directory created, replaced or with changed attributes.
    Dir,
    /// A symbolic link (created or changed).
    Symlink,
    /// Something else (fifo, socket, device).
    Other,
    /// Removed.
    Deleted,
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChangeKind::File => "file",
            ChangeKind::Dir => "dir",
            ChangeKind::Symlink => "link",
            ChangeKind::Other => "other",
            ChangeKind::Deleted => "deleted",
        })
    }
}

/// One changed path of a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The path on the host (absolute).
    pub path: PathBuf,
    /// What kind of change.
    pub kind: ChangeKind,
    /// Permission bits (0 for deletions).
    pub mode: u32,
    /// Owner user id.
    pub uid: u32,
    /// Owner group id.
    pub gid: u32,
    /// Size in bytes (files), target length (links), 0 otherwise.
    pub size: u64,
    /// Link target for symlinks.
    pub target: Option<PathBuf>,
}

/// Lists the changes in `upper` (the host's overlay upper dir), with `lowers` the layers below,
/// topmost first. Directories that were only copied up unchanged are left out.
pub(crate) fn changes(upper: &Path, lowers: &[&Path]) -> std::io::Result<Vec<Change>> {
    let mut out = Vec::new();
    walk(upper, Path::new("/"), lowers, &mut out)?;
    out.retain(|c| !NOISE.iter().any(|n| c.path == Path::new(n)));
    Ok(out)
}

fn walk(dir: &Path, rel: &Path, lowers: &[&Path], out: &mut Vec<Change>) -> std::io::Result<()> {
    let mut entries: Vec<_> = fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let host_path = rel.join(e.file_name());
        let md = fs::symlink_metadata(&path)?;
        let ft = md.file_type();
        let mut change = Change {
            path: host_path.clone(),
            kind: ChangeKind::Other,
            mode: md.mode() & 0o7777,
            uid: md.uid(),
            gid: md.gid(),
            size: 0,
            target: None,
        };
        if ft.is_char_device() && md.rdev() == 0 {
            change.kind = ChangeKind::Deleted;
            change.mode = 0;
            out.push(change);
        } else if ft.is_dir() {
            let below = lower_meta(lowers, &host_path);
            let same = below.as_ref().is_some_and(|b| {
                b.is_dir()
                    && b.mode() & 0o7777 == md.mode() & 0o7777
                    && b.uid() == md.uid()
                    && b.gid() == md.gid()
            });
            if !same || is_opaque(&path) {
                change.kind = ChangeKind::Dir;
                out.push(change);
            }
            walk(&path, &host_path, lowers, out)?;
        } else if ft.is_symlink() {
            let t = fs::read_link(&path)?;
            change.kind = ChangeKind::Symlink;
            change.size = t.as_os_str().len() as u64;
            change.target = Some(t);
            out.push(change);
        } else if ft.is_file() {
            change.kind = ChangeKind::File;
            change.size = md.len();
            out.push(change);
        } else {
            out.push(change);
        }
    }
    Ok(())
}

fn lower_meta(lowers: &[&Path], host_path: &Path) -> Option<fs::Metadata> {
    let rel = host_path.strip_prefix("/").unwrap_or(host_path);
    lowers
        .iter()
        .find_map(|l| fs::symlink_metadata(l.join(rel)).ok())
}

fn is_opaque(dir: &Path) -> bool {
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else {
        return false;
    };
    let mut buf = [0u8; 4];
    // SAFETY: valid C strings and buffer.
    let n = unsafe {
        libc::getxattr(
            c.as_ptr(),
            c"trusted.overlay.opaque".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    n == 1 && buf[0] == b'y'
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn lists_files_new_dirs_and_skips_copied_up_dirs() {
        let t = tempfile::tempdir().unwrap();
        let upper = t.path().join("upper");
        let lower = t.path().join("lower");
        fs::create_dir_all(upper.join("etc/new")).unwrap();
        fs::create_dir_all(lower.join("etc")).unwrap();
        fs::set_permissions(lower.join("etc"), fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(upper.join("etc"), fs::Permissions::from_mode(0o755)).unwrap();
        fs::write(upper.join("etc/motd"), "hi\n").unwrap();
        fs::write(upper.join("etc/new/f"), "x").unwrap();
        std::os::unix::fs::symlink("motd", upper.join("etc/l")).unwrap();
        fs::create_dir_all(upper.join("var/log")).unwrap();
        fs::write(upper.join("var/log/wtmp"), "noise").unwrap();
        let got = changes(&upper, &[&lower]).unwrap();
        let paths: Vec<String> = got
            .iter()
            .map(|c| format!("{} {}", c.path.display(), c.kind))
            .collect();
        // /var and /var/log do not exist in this lower, so they count as new dirs.
        assert_eq!(
            paths,
            [
                "/etc/l link",
                "/etc/motd file",
                "/etc/new dir",
                "/etc/new/f file",
                "/var dir",
                "/var/log dir"
            ]
        );
        assert_eq!(got[1].size, 3);
    }
}
