//! The variables in scope for a play, a host and a task: the run's [`VarStore`] asked with the
//! play's and task's layers (play vars, `vars_files`, role defaults/vars/params, task vars).

use crate::playbook::{Play, Role, Task};
use crate::value::{Map, Value};
use crate::vars::VarLayers;

use super::play::Runner;

impl Runner {
    /// The play's own variables without any host: `vars`, static `vars_files` and extra vars.
    /// Used to template play-level names (hosts pattern, task names, `vars_files` names).
    pub(crate) fn play_vars_only(&self, play: &Play) -> Map {
        let mut vars = play.vars.clone();
        if let Some(files) = self.static_vars.get(&(play as *const Play)) {
            vars.extend(files.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        vars.extend(self.extra_vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        vars
    }

    /// `host`'s variables from the play's layers (vars, static `vars_files`, hosts, playbook
    /// dir) plus, for a task, its role's and its own.
    fn host_vars_with(
        &self,
        play: &Play,
        host: &str,
        role: Option<&Role>,
        task_vars: Option<&Map>,
    ) -> Map {
        let empty = Map::new();
        let files = self
            .static_vars
            .get(&(play as *const Play))
            .unwrap_or(&empty);
        let mut layers = VarLayers::new(&play.vars, files, &self.play_hosts);
        layers.playbook_dir = self.playbook_dir.as_deref();
        let modern = self.dialect == crate::template::Dialect::Modern;
        let (defaults, role_vars) = if modern && !play.roles.is_empty() {
            (
                public_role_layer(play, role, |r| &r.defaults),
                public_role_layer(play, role, |r| &r.vars),
            )
        } else {
            (None, None)
        };
        layers.role_defaults = defaults.as_ref().or(role.map(|r| &r.defaults));
        layers.role_vars = role_vars.as_ref().or(role.map(|r| &r.vars));
        layers.role_params = role.map(|r| &r.params);
        layers.task_vars = task_vars;
        let mut vars = self.store.task_vars(host, &layers);
        if modern {
            vars.insert("ansible_check_mode".into(), Value::Bool(self.opts.check));
            vars.insert("ansible_diff_mode".into(), Value::Bool(self.opts.diff));
            self.insert_play_hosts(&mut vars);
            add_role_magic_vars(&mut vars, play, role);
        }
        vars
    }

    /// Everything `host` sees in `play` outside any task (facts gathering, `vars_files` pass 2).
    pub(crate) fn play_host_vars(&self, play: &Play, host: &str) -> Map {
        self.host_vars_with(play, host, None, None)
    }

    /// Everything `task` sees on `host`.
    pub(crate) fn task_host_vars(&self, play: &Play, task: &Task, host: &str) -> Map {
        let role = task.role.and_then(|i| play.roles.get(i));
        let task_vars = (!task.vars.is_empty()).then_some(&task.vars);
        self.host_vars_with(play, host, role, task_vars)
    }

    /// ansible-core's play host variables: `ansible_play_hosts_all` (every host of the play),
    /// `ansible_play_hosts` (those not failed), `ansible_play_batch` and `play_hosts` (the
    /// current batch's not failed).
    fn insert_play_hosts(&self, vars: &mut Map) {
        let list = |hosts: &[String], alive_only: bool| {
            Value::Array(
                hosts
                    .iter()
                    .filter(|h| !alive_only || self.states.alive(h))
                    .cloned()
                    .map(Value::String)
                    .collect(),
            )
        };
        if self.play_hosts_all.is_empty() {
            return;
        }
        vars.insert(
            "ansible_play_hosts_all".into(),
            list(&self.play_hosts_all, false),
        );
        vars.insert(
            "ansible_play_hosts".into(),
            list(&self.play_hosts_all, true),
        );
        let batch = list(&self.play_batch, true);
        vars.insert("ansible_play_batch".into(), batch.clone());
        vars.insert("play_hosts".into(), batch);
    }
}

/// ansible-core's role magic variables: `role_names` (the play's `roles:`),
/// `ansible_role_names` (with dependencies), and in a role's task `role_name` / `role_path`.
fn add_role_magic_vars(vars: &mut Map, play: &Play, role: Option<&Role>) {
    let names = |all: bool| {
        let mut out: Vec<Value> = Vec::new();
        for r in play.roles.iter().filter(|r| all || !r.dependency) {
            let name = Value::String(r.name.clone());
            if !out.contains(&name) {
                out.push(name);
            }
        }
        Value::Array(out)
    };
    vars.insert("role_names".into(), names(false));
    vars.insert("ansible_role_names".into(), names(true));
    if let Some(r) = role {
        vars.insert("role_name".into(), Value::String(r.name.clone()));
        vars.insert(
            "role_path".into(),
            Value::String(r.dir.display().to_string()),
        );
    }
}

/// ansible-core's public role variables: every role of the play exports its defaults (or vars)
/// to the whole play, in load order (dependencies first), and the task's own role wins.
fn public_role_layer(
    play: &Play,
    role: Option<&Role>,
    layer: impl Fn(&Role) -> &Map,
) -> Option<Map> {
    let mut out = Map::new();
    for r in &play.roles {
        out.extend(layer(r).iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    if let Some(r) = role {
        out.extend(layer(r).iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Some(out)
}
