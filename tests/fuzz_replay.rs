//! Issue 18 item 9: every input of the fuzz corpora (`fuzz/corpus/TARGET/`) and every former
//! crash, hang or out-of-memory input (`fuzz/regressions/TARGET/`) runs through the same entry
//! points as `cargo fuzz` (fuzz/fuzz_targets/entries.rs), on the stable toolchain, so a
//! regression shows in CI without nightly. A panic fails the test; each input gets 60 s, far
//! above what any takes (the slowest, a 313,134-host range, 1.1 s in a debug build on an idle
//! machine; 23 s was seen with seven other builds running): a hang check, not a speed target. The quadratic host range the fuzzer found is checked by
//! `inventory::tests::large_host_ranges_are_read_in_linear_time`.

#[path = "../fuzz/fuzz_targets/entries.rs"]
mod entries;

use std::path::Path;
use std::time::{Duration, Instant};

fn inputs(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<_> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

#[test]
fn fuzz_corpora_and_former_crashes_replay_cleanly() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut total = 0;
    let mut slowest = (Duration::ZERO, String::new());
    for (name, run) in entries::TARGETS {
        let corpus = inputs(&root.join("corpus").join(name));
        assert!(!corpus.is_empty(), "fuzz/corpus/{name} is empty");
        for p in corpus
            .iter()
            .chain(inputs(&root.join("regressions").join(name)).iter())
        {
            let data = std::fs::read(p).expect("read input");
            let start = Instant::now();
            run(&data);
            let took = start.elapsed();
            assert!(
                took < Duration::from_secs(60),
                "{name}: {} took {took:?}",
                p.display()
            );
            if took > slowest.0 {
                slowest = (took, p.display().to_string());
            }
            total += 1;
        }
    }
    eprintln!("replayed {total} inputs; slowest {slowest:?}");
}
