//! Every `.yml` file of the 2013 corpus that is a playbook or a task list loads; the ones that
//! are broken in the original too fail the same way (spec §17).

mod loader_support;

use std::path::Path;

use flock::playbook::{load_task_file, LoadOptions, Playbook};
use flock::template::Dialect;
use flock::yaml::{self, NodeKind};
use loader_support::{restored_corpus, yml_files};

/// Playbooks that real Ansible 1.2 cannot load either, with the reason (spec §17).
const BROKEN_IN_ORIGINAL: &[(&str, &str)] = &[
    (
        "roles/basic/logcheck.yml",
        "vars/logcheck.yml does not exist",
    ),
    (
        "roles/vpn/ting.yml",
        "keys/ting.yml must be created by the user",
    ),
    (
        "roles/warewulf/obsoletes/datastore.yml",
        "no networks.yml under obsoletes/",
    ),
    (
        "roles/warewulf/obsoletes/wwkernel.yml",
        "no networks.yml under obsoletes/",
    ),
    (
        "roles/warewulf/obsoletes/wwmkchroot.yml",
        "no networks.yml under obsoletes/",
    ),
    (
        "roles/warewulf/obsoletes/wwvnfs.yml",
        "no vars files under obsoletes/",
    ),
];

enum Kind {
    Playbook,
    TaskList,
    Other,
}

fn classify(path: &Path) -> Kind {
    let docs = yaml::load_file(path).unwrap();
    let Some(NodeKind::Seq(items)) = docs.first().map(|d| &d.kind) else {
        return Kind::Other;
    };
    if items.iter().any(|i| {
        i.get("hosts").is_some()
            || i.get("include").is_some()
                && i.as_map().unwrap().len() == 1
                && i.get("include")
                    .unwrap()
                    .as_str()
                    .is_some_and(|s| !s.contains("tasks"))
    }) {
        Kind::Playbook
    } else if items.iter().all(|i| i.as_map().is_some()) {
        Kind::TaskList
    } else {
        Kind::Other
    }
}

#[test]
#[cfg_attr(
    not(flock_corpus),
    ignore = "needs ../shared/flock-2013 beside the checkout"
)]
fn every_corpus_playbook_and_task_list_loads() {
    let (_guard, root) = restored_corpus();
    let opts = LoadOptions::default();
    let (mut playbooks, mut task_lists, mut others, mut plays, mut tasks, mut legacy) =
        (0, 0, 0, 0, 0, 0);
    let mut broken = Vec::new();
    let mut unexpected = Vec::new();
    for file in yml_files(&root) {
        let rel = file
            .strip_prefix(&root)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        match classify(&file) {
            Kind::Playbook => {
                playbooks += 1;
                match Playbook::load(&file, &opts) {
                    Ok(pb) => {
                        if pb.dialect == Dialect::Legacy12 {
                            legacy += 1;
                        }
                        plays += pb.plays.len();
                        tasks += pb
                            .plays
                            .iter()
                            .map(|p| p.all_tasks().count() + p.handlers.len())
                            .sum::<usize>();
                        if BROKEN_IN_ORIGINAL.iter().any(|(b, _)| *b == rel) {
                            unexpected.push(format!("{rel}: loads, but Ansible 1.2 fails on it"));
                        }
                    }
                    Err(e) if BROKEN_IN_ORIGINAL.iter().any(|(b, _)| *b == rel) => {
                        assert!(e.to_string().contains("/flock/"), "{e}");
                        broken.push(rel);
                    }
                    Err(e) => unexpected.push(format!("{rel}: {e}")),
                }
            }
            Kind::TaskList => {
                task_lists += 1;
                let dir = file.parent().unwrap();
                if let Err(e) = load_task_file(&file, dir, &opts) {
                    unexpected.push(format!("{rel} (task list): {e}"));
                }
            }
            Kind::Other => others += 1,
        }
    }
    eprintln!(
        "corpus: {playbooks} playbooks ({} load, {legacy} of them detected as Legacy12; {} broken \
         as in 1.2: {broken:?}), {plays} plays, {tasks} tasks+handlers; {task_lists} task lists; \
         {others} vars/other files",
        playbooks - broken.len(),
        broken.len()
    );
    assert!(unexpected.is_empty(), "{}", unexpected.join("\n"));
    assert_eq!(broken.len(), BROKEN_IN_ORIGINAL.len());
    assert!(playbooks >= 100, "{playbooks}");
}

#[test]
#[cfg_attr(
    not(flock_corpus),
    ignore = "needs ../shared/flock-2013 beside the checkout"
)]
fn unrestored_symlink_stub_fails_like_ansible_12() {
    // A checkout made with `core.symlinks=false` stores roles/firewall/networks.yml as a file
    // holding the text "../../networks.yml", which 1.2 rejects: "... must be stored as
    // dictonary/hash". Made here from the restored copy, whatever form the corpus has.
    let (_guard, root) = restored_corpus();
    let stub = root.join("roles/firewall/networks.yml");
    std::fs::remove_file(&stub).expect("remove the networks.yml link");
    std::fs::write(&stub, "../../networks.yml").expect("write the stub");
    let err = Playbook::load(&root.join("ground.yml"), &LoadOptions::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("networks.yml must be stored as a dictionary/hash"),
        "{err}"
    );
}
