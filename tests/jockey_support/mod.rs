//! Shared helpers of the `jockey_*` tests: a scratch space made from the 2013 corpus.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

/// The corpus `space` directory (`FLOCK_CORPUS_DIR`, see `build.rs`).
pub fn corpus_space() -> PathBuf {
    PathBuf::from(env!("FLOCK_CORPUS_DIR")).join("space")
}

/// Copies the corpus space (templates, inventories, boot menu) into `dst`, writable.
pub fn scratch_space(corpus: &Path, dst: &Path) {
    fs::create_dir_all(dst.join("boot")).unwrap();
    for entry in fs::read_dir(corpus).unwrap() {
        let entry = entry.unwrap();
        if entry.path().is_file() {
            fs::copy(entry.path(), dst.join(entry.file_name())).unwrap();
        }
    }
    fs::copy(corpus.join("boot/kickstart"), dst.join("boot/kickstart")).unwrap();
    // Copies keep the corpus's read-only mode; make them writable like a checkout.
    for entry in fs::read_dir(dst)
        .unwrap()
        .chain(fs::read_dir(dst.join("boot")).unwrap())
    {
        let p = entry.unwrap().path();
        if p.is_file() {
            let mut perm = fs::metadata(&p).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perm.set_readonly(false);
            fs::set_permissions(&p, perm).unwrap();
        }
    }
}

/// A scratch copy of the corpus space in a new temporary directory: `(dir, dir/space)`. Tests
/// that use it carry `#[cfg_attr(not(flock_corpus), ignore = ...)]`.
pub fn scratch() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("space");
    scratch_space(&corpus_space(), &root);
    (dir, root)
}

/// Runs `flock jockey --space SPACE ARGS…`: (exit code, stdout, stderr).
pub fn flock_jockey(space: &Path, args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flock"))
        .arg("jockey")
        .arg("--space")
        .arg(space)
        .args(args)
        .env_remove("JOCKEY_HOSTS")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The golden directory.
pub fn golden() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/jockey")
}
