//! Shared helpers of the `loader_*` tests: the 2013 corpus with its symlinks restored.
//!
//! The snapshot in `../shared/flock-2013` stores the original git symlinks (`roles/*/networks.yml
//! -> ../../networks.yml`, `roles/*/vars/CentOS.yml -> RedHat.yml`, `roles/*/keys -> ../../keys`,
//! ...) as small files holding the link target, as git does with `core.symlinks=false`. Ansible
//! 1.2 itself fails on them (`networks.yml must be stored as dictonary/hash`), so the tests load a
//! scratch copy in which such files are symlinks again.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

/// The corpus directory (`$FLOCK_CORPUS` when the tests were built, else `../shared/flock-2013`
/// beside the checkout). Tests that read it carry
/// `#[cfg_attr(not(flock_corpus), ignore = ...)]` (see `build.rs`).
pub fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("FLOCK_CORPUS_DIR"))
}

/// A symlink stub: a small file without a trailing newline whose whole text is a path.
pub fn symlink_target(path: &Path) -> Option<String> {
    let meta = fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() == 0 || meta.len() > 64 {
        return None;
    }
    let text = fs::read_to_string(path).ok()?;
    let is_path = text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"./_-".contains(&b));
    (is_path && !text.ends_with('\n')).then_some(text)
}

/// Copy `src` to `dst`, turning symlink stubs into symlinks and copying real symlinks as they
/// are (a git checkout of the toolkit has them, some dangling: `roles/vpn/keys -> ../../keys`);
/// returns how many symlinks the copy holds.
pub fn copy_restoring_symlinks(src: &Path, dst: &Path) -> usize {
    fs::create_dir_all(dst).unwrap_or_else(|e| panic!("mkdir {}: {e}", dst.display()));
    let mut links = 0;
    let entries = fs::read_dir(src).unwrap_or_else(|e| panic!("read {}: {e}", src.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("read {}: {e}", src.display()));
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        let meta =
            fs::symlink_metadata(&from).unwrap_or_else(|e| panic!("stat {}: {e}", from.display()));
        let link_target = if meta.file_type().is_symlink() {
            fs::read_link(&from).ok()
        } else {
            symlink_target(&from).map(PathBuf::from)
        };
        if let Some(target) = link_target {
            std::os::unix::fs::symlink(&target, &to)
                .unwrap_or_else(|e| panic!("symlink {}: {e}", to.display()));
            links += 1;
        } else if meta.is_dir() {
            links += copy_restoring_symlinks(&from, &to);
        } else {
            fs::copy(&from, &to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
        }
    }
    links
}

/// A scratch copy of the corpus with symlinks restored (kept alive by the returned guard).
pub fn restored_corpus() -> (tempfile::TempDir, PathBuf) {
    let src = corpus_dir();
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("flock");
    let links = copy_restoring_symlinks(&src, &root);
    assert!(
        links >= 30,
        "expected the corpus' ~33 symlinks (or their stubs), found {links} in {}",
        src.display()
    );
    (tmp, root)
}

/// Every `.yml` file under `dir`, sorted.
pub fn yml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
