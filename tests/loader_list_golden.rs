//! `--list-tasks` / `--list-hosts` of every top-level corpus playbook against goldens produced by
//! REAL Ansible 1.2 (`tests/golden/list/make_goldens.sh`, run with `-i hosts` in a copy of the
//! corpus with its symlinks restored). Normalisation: none, except that the `playbook:` header
//! shows the path as given on the command line (the goldens ran with a relative name).
//!
//! Host selection here is a small stand-in for the inventory stage (the corpus `hosts` file has
//! groups `core` and `com`; 1.2 lists host names sorted; `RedHat`/`Debian` are `group_by` groups
//! that do not exist before the run, so they select no host).

mod loader_support;

use std::fs;
use std::path::Path;

use flock::playbook::list::{
    check_tags, list_hosts, list_tags, list_tasks, syntax_check, TagFilter,
};
use flock::playbook::{LoadOptions, Playbook};
use flock::template::Dialect;
use loader_support::restored_corpus;

const TOP_LEVEL: &[&str] = &[
    "bootstrap",
    "secure",
    "ground",
    "grid",
    "cluster",
    "database",
    "mysql",
    "scheduler",
    "scheduler-master",
    "warewulf",
];

fn golden(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/list")
        .join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The real inventory stage on the corpus' `hosts` file (what the goldens were made with).
fn select_hosts_in(root: &Path) -> impl Fn(&str) -> Result<Vec<String>, String> {
    let inv = flock::inventory::Inventory::load(&root.join("hosts")).unwrap();
    move |pattern: &str| {
        inv.select(pattern, None, Dialect::Legacy12)
            .map_err(|e| e.to_string())
    }
}

fn load(root: &Path, name: &str) -> Playbook {
    let pb = Playbook::load(&root.join(format!("{name}.yml")), &LoadOptions::default()).unwrap();
    assert_eq!(
        pb.dialect,
        Dialect::Legacy12,
        "{name}: {:?}",
        pb.modern_markers
    );
    pb
}

fn relative_header(out: String, root: &Path) -> String {
    out.replace(&format!("playbook: {}/", root.display()), "playbook: ")
}

#[test]
#[cfg_attr(
    not(flock_corpus),
    ignore = "needs ../shared/flock-2013 beside the checkout"
)]
fn list_tasks_and_hosts_match_ansible_12() {
    let (_guard, root) = restored_corpus();
    let mut checked = 0;
    let select_hosts = select_hosts_in(&root);
    for name in TOP_LEVEL {
        let pb = load(&root, name);
        let tasks = relative_header(list_tasks(&pb, &TagFilter::default()), &root);
        assert_eq!(
            tasks,
            golden(&format!("{name}.list-tasks")),
            "{name} --list-tasks"
        );
        let hosts = relative_header(list_hosts(&pb, &select_hosts).unwrap(), &root);
        assert_eq!(
            hosts,
            golden(&format!("{name}.list-hosts")),
            "{name} --list-hosts"
        );
        checked += 2;
    }
    let cases = [
        ("ground", "packages", "ground.tags-packages.list-tasks"),
        (
            "bootstrap",
            "sudo,wheel",
            "bootstrap.tags-sudo-wheel.list-tasks",
        ),
    ];
    for (name, tags, file) in cases {
        let pb = load(&root, name);
        let out = relative_header(list_tasks(&pb, &TagFilter::new(Some(tags), None)), &root);
        assert_eq!(out, golden(file), "{name} --tags {tags}");
        checked += 1;
    }
    eprintln!("{checked} outputs identical to real Ansible 1.2");
}

#[test]
#[cfg_attr(
    not(flock_corpus),
    ignore = "needs ../shared/flock-2013 beside the checkout"
)]
fn tag_checks_and_other_listings() {
    let (_guard, root) = restored_corpus();
    let pb = load(&root, "bootstrap");
    // Verified on 1.2 (spec §12): unknown tags are an error listing the possible values.
    let err = check_tags(&pb, &TagFilter::new(Some("nosuch"), None)).unwrap_err();
    assert_eq!(err, "tag(s) not found in playbook: nosuch.  possible values: keys,packages,ssh,state,sudo,wheel");
    assert!(check_tags(&pb, &TagFilter::new(Some("sudo"), None)).is_ok());
    // Duplicate `tags:` keys: last wins, so `state` is gone from these slurm tasks (spec §4).
    let sched = load(&root, "scheduler");
    let err = check_tags(&sched, &TagFilter::new(Some("nosuch"), None)).unwrap_err();
    assert!(err.contains("slurm"), "{err}");
    // --skip-tags (a flock extension for 1.2 playbooks).
    let out = list_tasks(&pb, &TagFilter::new(None, Some("packages")));
    assert!(
        !out.contains("Install packages") && out.contains("Create wheel group"),
        "{out}"
    );
    assert_eq!(syntax_check(&pb), "Playbook Syntax is fine\n");
    let tags = list_tags(&pb, &TagFilter::default());
    assert!(
        tags.contains("TASK TAGS: [keys, packages, ssh, state, sudo, wheel]"),
        "{tags}"
    );
}
