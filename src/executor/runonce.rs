//! `run_once` and the actions that bypass the host loop (`pause`, `add_host`) in modern
//! playbooks, as ansible-core's linear strategy runs them: the task runs on the first host of
//! the batch only; with `run_once` (not for a bypassing action alone) its registered result and its facts (`set_fact`, `include_vars`) are given
//! to every host of the batch; a failure that is not ignored fails every host of the batch
//! (only the first one counts it in the recap).

use super::play::Runner;
use super::results::{register_value, truthy};
use super::task::HostOutcome;
use crate::output::Status;
use crate::playbook::{Play, Task};
use crate::template::Dialect;
use crate::value::{Map, Value};

/// Actions whose plugin sets `BYPASS_HOST_LOOP` in ansible-core.
const BYPASS_HOST_LOOP: &[&str] = &["pause", "add_host"];

/// How a task runs over the hosts of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RunOnce {
    /// On every host (the usual case).
    EveryHost,
    /// `run_once`: on the first host; its result is shared with the others.
    Shared,
    /// An action bypassing the host loop (`pause`): on the first host; the others get nothing
    /// (ansible-core registers the result on the first host only).
    FirstHostOnly,
}

/// What the other hosts of the batch take from a run-once task's result.
pub(crate) struct SharedResult {
    status: Status,
    facts: Option<Map>,
    registered: Option<Value>,
}

impl SharedResult {
    /// Takes what is shared from the first host's outcome (before it is applied).
    pub(crate) fn of(task: &Task, outcome: &HostOutcome) -> Self {
        let facts = match outcome.result.get("ansible_facts") {
            Some(Value::Object(f)) if task.module != "debug" => Some(f.clone()),
            _ => None,
        };
        Self {
            status: outcome.status,
            facts,
            registered: task
                .register
                .as_ref()
                .map(|_| register_value(&outcome.result)),
        }
    }
}

impl Runner {
    /// How `task` runs for the batch whose first host is `first`. Modern playbooks only:
    /// Ansible 1.2 had neither `run_once` nor host-loop bypassing actions.
    pub(crate) fn run_once_mode(&self, play: &Play, task: &Task, first: &str) -> RunOnce {
        if self.dialect != Dialect::Modern {
            return RunOnce::EveryHost;
        }
        if self.run_once_flag(play, task, first) {
            return RunOnce::Shared;
        }
        let module = task
            .module
            .strip_prefix("ansible.builtin.")
            .unwrap_or(&task.module);
        match BYPASS_HOST_LOOP.contains(&module) {
            true => RunOnce::FirstHostOnly,
            false => RunOnce::EveryHost,
        }
    }

    /// The task's `run_once`, templated with `first`'s variables (a failing template: false).
    fn run_once_flag(&self, play: &Play, task: &Task, first: &str) -> bool {
        let Some(flag) = &task.run_once else {
            return false;
        };
        let vars = self.task_host_vars(play, task, first);
        let ctx = self.templar_ctx(&vars, &task.basedir, None);
        self.templar
            .template_value(flag, &ctx)
            .map(|v| truthy(&v))
            .unwrap_or(false)
    }

    /// Gives a run-once task's result to the `others` hosts of the batch.
    pub(crate) fn share_run_once(&mut self, task: &Task, shared: SharedResult, others: &[String]) {
        if shared.status == Status::Unreachable {
            return;
        }
        for host in others {
            let registered = task.register.as_deref().zip(shared.registered.clone());
            self.store
                .record_task_result(host, shared.facts.clone(), registered);
            if shared.status == Status::Failed {
                self.states.mark_failed(host);
            }
        }
    }
}
