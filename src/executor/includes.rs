//! Dynamic task includes (`include_tasks`, `ansible.builtin.include_tasks`): the include runs as
//! a task on every host (its `when` and loop apply to the include itself), each host that
//! included a file gets an `included: FILE for HOSTS` line, then the file's tasks run for those
//! hosts, one group per (file, loop item) in order, as ansible-core's linear strategy does.

use std::path::{Path, PathBuf};

use super::connect::Reach;
use super::handlers::Notified;
use super::play::{PlayEnd, Runner};
use super::task::HostOutcome;
use super::RunError;
use crate::output::{Event, Status};
use crate::playbook::{LoadOptions, Play, Task};
use crate::value::{Map, Value};

/// Result key holding the absolute path an include resolved to (never printed).
pub(crate) const INCLUDE_PATH_KEY: &str = "_flock_include";
/// Result key holding the loop variable of an include item (never printed).
pub(crate) const INCLUDE_VARS_KEY: &str = "_flock_include_vars";

/// One file to include for some hosts.
struct IncludeGroup {
    path: PathBuf,
    item: Option<String>,
    /// The loop iteration (each one is its own include, even with equal items).
    index: usize,
    vars: Map,
    hosts: Vec<String>,
}

/// Where an include's file name resolves: next to the file holding the include, then the
/// task's base directory (play dir or role dir).
pub(crate) fn include_path(task: &Task, name: &str) -> PathBuf {
    let here = task
        .included_from
        .as_deref()
        .and_then(Path::parent)
        .map(|d| crate::playbook::path_dwim(d, name));
    match here {
        Some(p) if p.exists() => p,
        _ => crate::playbook::path_dwim(&task.basedir, name),
    }
}

/// The include's result for one host (and loop item): ok, not changed, with the path.
pub(crate) fn include_result(task: &Task, vars: &Map, file: &str) -> Map {
    let mut m = Map::new();
    m.insert("changed".into(), Value::Bool(false));
    let path = include_path(task, file);
    m.insert(
        INCLUDE_PATH_KEY.into(),
        Value::String(path.display().to_string()),
    );
    if task.loop_.is_some() {
        let loop_var = task
            .loop_control
            .as_ref()
            .and_then(|c| c.get("loop_var"))
            .and_then(Value::as_str)
            .unwrap_or("item");
        let mut item_vars = Map::new();
        if let Some(v) = vars.get(loop_var) {
            item_vars.insert(loop_var.to_string(), v.clone());
        }
        m.insert(INCLUDE_VARS_KEY.into(), Value::Object(item_vars));
    }
    m
}

/// How many loop items of a host's include outcome included a file.
fn included_lines(outcome: &HostOutcome) -> usize {
    outcome
        .lines
        .iter()
        .filter(|l| l.status == Status::Ok && l.result.contains_key(INCLUDE_PATH_KEY))
        .count()
}

/// Collect the (file, item) groups of every host's include results, in first-seen order.
fn include_groups(outcomes: &[(String, HostOutcome)]) -> Vec<IncludeGroup> {
    let mut groups: Vec<IncludeGroup> = Vec::new();
    for (host, outcome) in outcomes {
        for (index, line) in outcome.lines.iter().enumerate() {
            let Some(Value::String(path)) = line
                .result
                .get(INCLUDE_PATH_KEY)
                .filter(|_| line.status == Status::Ok)
            else {
                continue;
            };
            let vars = match line.result.get(INCLUDE_VARS_KEY) {
                Some(Value::Object(v)) => v.clone(),
                _ => Map::new(),
            };
            let path = PathBuf::from(path);
            match groups.iter_mut().find(|g| {
                g.path == path && g.index == index && g.item == line.item && g.vars == vars
            }) {
                Some(g) => g.hosts.push(host.clone()),
                None => groups.push(IncludeGroup {
                    path,
                    item: line.item.clone(),
                    index,
                    vars,
                    hosts: vec![host.clone()],
                }),
            }
        }
    }
    groups
}

impl Runner {
    /// Run a dynamic include on `hosts`, then the included tasks for the hosts that included
    /// them. A file that cannot be loaded fails the hosts that include it.
    pub(crate) async fn run_include(
        &mut self,
        play: &Play,
        task: &Task,
        hosts: &[String],
        reach: &Reach,
        notified: &mut Notified,
    ) -> Result<PlayEnd, RunError> {
        let (outcomes, others) = self
            .start_and_run_task(play, task, hosts, reach, false)
            .await?;
        let groups = include_groups(&outcomes);
        let extra_oks: Vec<(String, usize)> = outcomes
            .iter()
            .map(|(h, o)| (h.clone(), included_lines(o).saturating_sub(1)))
            .collect();
        self.apply_outcomes(play, task, outcomes, &others, Some(notified))?;
        // ansible-core counts every included loop item as one `ok` in the recap.
        for (host, extra) in extra_oks {
            (0..extra).for_each(|_| self.states.record(&host, Status::Ok));
        }
        // ansible-core prints every `included:` line first, then runs the included tasks.
        let mut loaded = Vec::new();
        for group in groups {
            let alive: Vec<String> = group
                .hosts
                .iter()
                .filter(|h| self.states.alive(h))
                .cloned()
                .collect();
            if alive.is_empty() {
                continue;
            }
            match self.included_tasks(task, &group) {
                Ok(tasks) => {
                    self.output.emit(&Event::Included {
                        path: group.path.display().to_string(),
                        hosts: alive.clone(),
                        item: group.item.clone(),
                    });
                    loaded.push((tasks, alive));
                }
                Err(msg) => self.fail_include(&alive, &msg),
            }
        }
        for (tasks, hosts) in loaded {
            let end = Box::pin(self.run_tasks(play, &tasks, &hosts, reach, notified)).await?;
            if let PlayEnd::Abort = end {
                return Ok(PlayEnd::Abort);
            }
        }
        Ok(PlayEnd::Done)
    }

    /// Load an included file; its tasks get the include's `vars` and loop variable.
    fn included_tasks(&self, task: &Task, group: &IncludeGroup) -> Result<Vec<Task>, String> {
        let opts = LoadOptions {
            dialect: Some(self.dialect),
            ..LoadOptions::default()
        };
        let mut tasks = crate::playbook::load_task_file(&group.path, &task.basedir, &opts)
            .map_err(|e| e.to_string())?;
        let mut vars = task.vars.clone();
        vars.extend(group.vars.clone());
        for t in &mut tasks {
            t.role = task.role;
            inherit_vars(t, &vars);
        }
        Ok(tasks)
    }

    /// ansible-core reports an include that cannot be loaded as a failed host.
    fn fail_include(&mut self, hosts: &[String], msg: &str) {
        for host in hosts {
            let mut result = Map::new();
            result.insert("failed".into(), Value::Bool(true));
            result.insert("reason".into(), Value::String(msg.to_string()));
            self.output.emit(&Event::HostResult {
                host: host.clone(),
                status: Status::Failed,
                item: None,
                result,
            });
            self.states.record(host, Status::Failed);
        }
    }
}

/// Give a task (and the tasks of its blocks) the include's vars under its own.
fn inherit_vars(task: &mut Task, vars: &Map) {
    let mut merged = vars.clone();
    merged.extend(std::mem::take(&mut task.vars));
    task.vars = merged;
    if let Some(block) = task.block.as_mut() {
        for child in block
            .block
            .iter_mut()
            .chain(block.rescue.iter_mut())
            .chain(block.always.iter_mut())
        {
            inherit_vars(child, vars);
        }
    }
}
