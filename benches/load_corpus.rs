//! Times loading every playbook of the 2013 corpus (YAML → checked playbook model, includes
//! followed). Goal: under 50 ms for the whole corpus. Run: `cargo bench --bench load_corpus`.
//!
//! The corpus stores its git symlinks as small text files; like the tests, this bench loads a
//! scratch copy with the symlinks restored.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use flock::playbook::{LoadOptions, Playbook};

fn copy_restoring_symlinks(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).expect("create scratch dir");
    for entry in fs::read_dir(src).expect("read corpus dir") {
        let entry = entry.expect("dir entry");
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        if from.is_dir() {
            copy_restoring_symlinks(&from, &to);
            continue;
        }
        let text = fs::read_to_string(&from).unwrap_or_default();
        let stub = !text.is_empty()
            && text.len() <= 64
            && !text.ends_with('\n')
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"./_-".contains(&b));
        if stub {
            std::os::unix::fs::symlink(&text, &to).expect("symlink");
        } else {
            fs::copy(&from, &to).expect("copy");
        }
    }
}

fn playbooks(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            playbooks(&p, out);
        } else if p.extension().is_some_and(|e| e == "yml") {
            let text = fs::read_to_string(&p).unwrap_or_default();
            if text.contains("hosts:") || text.contains("- include:") {
                out.push(p);
            }
        }
    }
}

fn main() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/flock-2013");
    if !corpus.is_dir() {
        eprintln!("corpus not found at {}", corpus.display());
        return;
    }
    let scratch = std::env::temp_dir().join(format!("flock-bench-{}", std::process::id()));
    copy_restoring_symlinks(&corpus, &scratch);
    let mut files = Vec::new();
    playbooks(&scratch, &mut files);
    let opts = LoadOptions::default();
    let mut best = f64::MAX;
    let mut summary = (0, 0, 0);
    for _ in 0..10 {
        let start = Instant::now();
        let (mut ok, mut failed, mut plays) = (0, 0, 0);
        for f in &files {
            match Playbook::load(f, &opts) {
                Ok(pb) => {
                    ok += 1;
                    plays += pb.plays.len();
                }
                Err(_) => failed += 1,
            }
        }
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
        summary = (ok, failed, plays);
    }
    let _ = fs::remove_dir_all(&scratch);
    println!(
        "load_corpus: {} playbook files ({} ok, {} failing as in Ansible 1.2), {} plays: best of 10 = {best:.2} ms (goal < 50 ms)",
        files.len(),
        summary.0,
        summary.1,
        summary.2
    );
}
