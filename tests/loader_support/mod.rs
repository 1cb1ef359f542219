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

/// The corpus directory, or `None` (tests then skip with a message).
pub fn corpus_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("FLOCK_CORPUS").map(PathBuf::from) {
        return dir.is_dir().then_some(dir);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    ["../shared/flock-2013", "../../shared/flock-2013"]
        .iter()
        .map(|rel| root.join(rel))
        .find(|dir| dir.is_dir())
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

/// Copy `src` to `dst`, turning symlink stubs into symlinks; returns how many were restored.
pub fn copy_restoring_symlinks(src: &Path, dst: &Path) -> usize {
    fs::create_dir_all(dst).unwrap();
    let mut restored = 0;
    for entry in fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        if from.is_dir() {
            restored += copy_restoring_symlinks(&from, &to);
        } else if let Some(target) = symlink_target(&from) {
            std::os::unix::fs::symlink(target, &to).unwrap();
            restored += 1;
        } else {
            fs::copy(&from, &to).unwrap();
        }
    }
    restored
}

/// A scratch copy of the corpus with symlinks restored (kept alive by the returned guard).
pub fn restored_corpus() -> Option<(tempfile::TempDir, PathBuf)> {
    let src = corpus_dir()?;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("flock");
    let restored = copy_restoring_symlinks(&src, &root);
    assert!(
        restored >= 30,
        "expected the corpus' ~31 symlink stubs, restored {restored}"
    );
    Some((tmp, root))
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
