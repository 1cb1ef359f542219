//! `--list-tasks`, `--list-hosts`, `--list-tags`, `--syntax-check` output, and tag selection.
//!
//! `Legacy12` playbooks print exactly what `ansible-playbook` 1.2 prints (checked against real
//! 1.2 by the goldens in `tests/golden/list/`), including its quirks: `task count` counts the
//! three `flush_handlers` markers, and with `--list-tasks` a play is left out entirely when one of
//! the requested tags does not occur in it. Modern playbooks print the modern layout
//! (`TAGS: [...]`). Host selection is a closure so this module does not depend on the inventory.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::{Play, Playbook, Task};
use crate::template::Dialect;

/// Tag filter from `--tags` / `--skip-tags`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagFilter {
    /// `--tags` (comma-split); `["all"]` by default.
    pub only: Vec<String>,
    /// `--skip-tags` (comma-split; not in Ansible 1.2, a flock extension there).
    pub skip: Vec<String>,
}

impl Default for TagFilter {
    fn default() -> Self {
        TagFilter {
            only: vec!["all".into()],
            skip: Vec::new(),
        }
    }
}

impl TagFilter {
    /// From the raw `--tags` / `--skip-tags` option values (comma lists).
    pub fn new(tags: Option<&str>, skip_tags: Option<&str>) -> Self {
        let split = |s: &str| {
            s.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        };
        TagFilter {
            only: tags
                .map(split)
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| vec!["all".into()]),
            skip: skip_tags.map(split).unwrap_or_default(),
        }
    }
}

/// A task's effective tags: `all` plus its own.
fn effective_tags(task: &Task) -> impl Iterator<Item = &str> {
    std::iter::once("all").chain(task.tags.iter().map(String::as_str))
}

/// Whether `task` runs under `filter` (1.2: any tag in `--tags`; modern adds `always`,
/// `never`, `tagged`, `untagged`). Skip tags win.
pub fn task_selected(task: &Task, filter: &TagFilter, dialect: Dialect) -> bool {
    let has = |t: &str| task.tags.iter().any(|x| x == t);
    if task.tags.iter().any(|t| filter.skip.contains(t)) {
        return false;
    }
    match dialect {
        Dialect::Legacy12 => effective_tags(task).any(|t| filter.only.iter().any(|o| o == t)),
        Dialect::Modern => {
            if has("always") && !filter.skip.iter().any(|s| s == "always") {
                return true;
            }
            let only = |t: &str| filter.only.iter().any(|o| o == t);
            if has("never") && !task.tags.iter().any(|t| t != "never" && only(t)) {
                return false;
            }
            (only("all"))
                || (only("tagged") && !task.tags.is_empty())
                || (only("untagged") && task.tags.is_empty())
                || task.tags.iter().any(|t| only(t))
        }
    }
}

/// Tags of the play's non-meta tasks, `all` included (1.2 `compare_tags` input).
fn play_tag_set(play: &Play) -> BTreeSet<&str> {
    play.all_tasks()
        .filter(|t| !t.is_meta())
        .flat_map(effective_tags)
        .collect()
}

/// Indices of the plays that run under `filter` (1.2: a play runs when one of its tasks matches,
/// or when it has no tasks at all; otherwise it is skipped, facts included).
pub fn plays_to_run(pb: &Playbook, filter: &TagFilter) -> Vec<usize> {
    pb.plays
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p.all_tasks().next().is_none()
                || p.all_tasks().any(|t| task_selected(t, filter, pb.dialect))
        })
        .map(|(i, _)| i)
        .collect()
}

/// 1.2's check before running: requested tags that occur nowhere in the playbook are an error
/// `tag(s) not found in playbook: X.  possible values: a,b`.
pub fn check_tags(pb: &Playbook, filter: &TagFilter) -> Result<(), String> {
    let all: BTreeSet<&str> = pb.plays.iter().flat_map(play_tag_set).collect();
    let special = ["all", "always", "never", "tagged", "untagged"];
    let unknown: BTreeSet<&str> = filter
        .only
        .iter()
        .map(String::as_str)
        .filter(|t| {
            !all.contains(t)
                && !(special.contains(t) && (*t == "all" || pb.dialect == Dialect::Modern))
        })
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let only: BTreeSet<&str> = filter.only.iter().map(String::as_str).collect();
    let possible: Vec<&str> = all
        .iter()
        .copied()
        .filter(|t| *t != "all" && !only.contains(t))
        .collect();
    Err(format!(
        "tag(s) not found in playbook: {}.  possible values: {}",
        unknown.into_iter().collect::<Vec<_>>().join(","),
        possible.join(",")
    ))
}

/// Number of tasks 1.2 reports: pre_tasks + tasks + post_tasks + 3 `flush_handlers` markers.
fn legacy_task_count(play: &Play) -> usize {
    play.all_tasks().count() + 3
}

/// `--list-tasks`.
pub fn list_tasks(pb: &Playbook, filter: &TagFilter) -> String {
    let mut out = header(pb);
    for (i, play) in pb.plays.iter().enumerate() {
        match pb.dialect {
            Dialect::Legacy12 => {
                let tags = play_tag_set(play);
                // 1.2 skips a play when a requested tag does not occur in it.
                if filter.only.iter().any(|t| !tags.contains(t.as_str())) {
                    continue;
                }
                let _ = writeln!(
                    out,
                    "  play #{} ({}): task count={}",
                    i + 1,
                    play.display_name(),
                    legacy_task_count(play)
                );
                for task in play
                    .all_tasks()
                    .filter(|t| !t.is_meta() && task_selected(t, filter, pb.dialect))
                {
                    let _ = writeln!(out, "    {}", task.display_name());
                }
                out.push('\n');
            }
            Dialect::Modern => {
                modern_play_header(&mut out, i, play);
                out.push_str("    tasks:\n");
                for task in flatten(play.all_tasks()) {
                    if task_selected(task, filter, pb.dialect) && !task.is_meta() {
                        let _ = writeln!(
                            out,
                            "      {}\tTAGS: [{}]",
                            modern_task_name(play, task),
                            task.tags.join(", ")
                        );
                    }
                }
                out.push('\n');
            }
        }
    }
    out
}

/// `--list-hosts`; `select` maps a play's hosts pattern to host names (the inventory stage).
pub fn list_hosts(
    pb: &Playbook,
    select: &dyn Fn(&str) -> Result<Vec<String>, String>,
) -> Result<String, String> {
    let mut out = header(pb);
    for (i, play) in pb.plays.iter().enumerate() {
        let hosts = select(&play.hosts)?;
        match pb.dialect {
            Dialect::Legacy12 => {
                let _ = writeln!(
                    out,
                    "  play #{} ({}): host count={}",
                    i + 1,
                    play.display_name(),
                    hosts.len()
                );
                for h in &hosts {
                    let _ = writeln!(out, "    {h}");
                }
            }
            Dialect::Modern => {
                modern_play_header(&mut out, i, play);
                let _ = writeln!(out, "    pattern: ['{}']", play.hosts);
                let _ = writeln!(out, "    hosts ({}):", hosts.len());
                for h in &hosts {
                    let _ = writeln!(out, "      {h}");
                }
            }
        }
        out.push('\n');
    }
    Ok(out)
}

/// `--list-tags` (modern layout for both dialects: Ansible 1.2 had no such option).
pub fn list_tags(pb: &Playbook, filter: &TagFilter) -> String {
    let mut out = header(pb);
    for (i, play) in pb.plays.iter().enumerate() {
        let tags: BTreeSet<&str> = flatten(play.all_tasks())
            .filter(|t| !t.is_meta() && task_selected(t, filter, pb.dialect))
            .flat_map(|t| t.tags.iter().map(String::as_str))
            .collect();
        modern_play_header(&mut out, i, play);
        let _ = writeln!(
            out,
            "      TASK TAGS: [{}]",
            tags.into_iter().collect::<Vec<_>>().join(", ")
        );
        out.push('\n');
    }
    out
}

/// `--syntax-check` output after a successful load.
pub fn syntax_check(pb: &Playbook) -> String {
    match pb.dialect {
        Dialect::Legacy12 => "Playbook Syntax is fine\n".into(),
        Dialect::Modern => format!("\nplaybook: {}\n", pb.path.display()),
    }
}

fn header(pb: &Playbook) -> String {
    format!("\nplaybook: {}\n\n", pb.path.display())
}

fn modern_play_header(out: &mut String, i: usize, play: &Play) {
    let _ = writeln!(
        out,
        "  play #{} ({}): {}\tTAGS: [{}]",
        i + 1,
        play.hosts,
        play.name.as_deref().unwrap_or(""),
        play.tags.join(", ")
    );
}

fn modern_task_name(play: &Play, task: &Task) -> String {
    match task.role.and_then(|r| play.roles.get(r)) {
        Some(role) => format!("{} : {}", role.name, task.display_name()),
        None => task.display_name(),
    }
}

/// Tasks with block children expanded in place (block, rescue, always).
fn flatten<'a>(tasks: impl Iterator<Item = &'a Task>) -> impl Iterator<Item = &'a Task> {
    let mut out = Vec::new();
    fn walk<'a>(t: &'a Task, out: &mut Vec<&'a Task>) {
        match &t.block {
            Some(b) => b
                .block
                .iter()
                .chain(&b.rescue)
                .chain(&b.always)
                .for_each(|c| walk(c, out)),
            None => out.push(t),
        }
    }
    tasks.for_each(|t| walk(t, &mut out));
    out.into_iter()
}
