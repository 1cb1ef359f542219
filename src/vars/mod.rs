//! Per-host variables: their sources, run-time state and precedence (Ansible 1.2 and modern).
//!
//! Ansible 1.2 (spec §6.2), lowest first, for one task on one host:
//! 1. the host's inventory variables ([`Inventory::host_vars`], computed once per run as 1.2
//!    cached them);
//! 2. "module vars": role defaults (not in 1.2), play `vars` (with play-level include
//!    parameters), extra vars, static `vars_files`, role vars, block vars, task vars, role
//!    parameters, task-include parameters;
//! 3. the per-host cache shared by all plays of the run, where later writes win: facts,
//!    host-specific `vars_files`, `register`, `set_fact`, and the extra vars re-applied after
//!    every task the host completed ([`VarStore::apply_extra_vars_after_task`]);
//! 4. magic: `group_names`, `groups`, `inventory_dir`.
//!
//! Modern (Ansible's documented order): role defaults < inventory group/host vars and
//! `group_vars`/`host_vars` files < facts < play vars < play vars_files (static, then
//! host-specific) < role vars < block vars < task vars < include_vars < set_fact/register <
//! role params < include params < extra vars; then magic variables.
//!
//! ```
//! use flock::{inventory::Inventory, template::Dialect, vars::{VarStore, VarLayers}, Map};
//! let inv = Inventory::from_ini_str("[web]\nw1 port=80\n", "hosts").unwrap();
//! let extra = flock::vars::parse_extra_vars(&["port=8080".to_string()]).unwrap();
//! let mut store = VarStore::new(&inv, extra, Dialect::Legacy12);
//! let play_vars = Map::new();
//! let hosts = vec!["w1".to_string()];
//! let layers = VarLayers::new(&play_vars, &play_vars, &hosts);
//! assert_eq!(store.task_vars("w1", &layers)["port"], "8080");
//! store.register("w1", "port", "registered".into());
//! assert_eq!(store.task_vars("w1", &layers)["port"], "registered");
//! ```

mod extra;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::error::SourcePos;
use crate::inventory::Inventory;
use crate::template::{Dialect, HostVarsLookup};
use crate::value::{Map, Value};

pub use extra::{load_mapping_file, parse_extra_vars, parse_kv};

/// Errors reading variables from the command line or from files.
#[derive(Debug, Clone, thiserror::Error)]
pub enum VarsError {
    /// A `k=v` string that cannot be split (unbalanced quote).
    #[error("cannot parse '{text}': {message}")]
    Kv {
        /// The string.
        text: String,
        /// Why.
        message: String,
    },
    /// YAML error in a variables file or an extra-vars value.
    #[error(transparent)]
    Yaml(#[from] crate::yaml::YamlError),
    /// Extra vars that are not a mapping.
    #[error("{what} must be a mapping of variable names to values")]
    NotMapping {
        /// What was given.
        what: String,
    },
    /// A variables file that is not a mapping.
    #[error("{pos}: {what} must be stored as a dictionary/hash")]
    NotMappingAt {
        /// Where its top-level value starts.
        pos: SourcePos,
        /// The file.
        what: String,
    },
}

/// The play- and task-level variable layers for one task (borrowed from the executor).
#[derive(Clone, Copy, Debug)]
pub struct VarLayers<'a> {
    /// The play's `vars:` (with play-level include parameters already merged, as 1.2 did).
    pub play_vars: &'a Map,
    /// Variables from the play's static `vars_files` (pass 1).
    pub play_vars_files: &'a Map,
    /// The role's `defaults/main.yml` (modern).
    pub role_defaults: Option<&'a Map>,
    /// The role's `vars/main.yml`.
    pub role_vars: Option<&'a Map>,
    /// Parameters given to the role (`roles: - {role: x, a: 1}`).
    pub role_params: Option<&'a Map>,
    /// `vars:` of enclosing blocks, merged outermost first.
    pub block_vars: Option<&'a Map>,
    /// The task's own `vars:`.
    pub task_vars: Option<&'a Map>,
    /// Parameters of the task `include` that brought the task in (`- include: x.yml a=1`).
    pub include_params: Option<&'a Map>,
    /// The hosts of the current play (`play_hosts`; modern `ansible_play_hosts`).
    pub play_hosts: &'a [String],
    /// The directory of the top playbook (`playbook_dir`, modern).
    pub playbook_dir: Option<&'a Path>,
}

impl<'a> VarLayers<'a> {
    /// Layers with only play vars, static vars_files and play hosts; set the other fields
    /// directly.
    pub fn new(play_vars: &'a Map, play_vars_files: &'a Map, play_hosts: &'a [String]) -> Self {
        VarLayers {
            play_vars,
            play_vars_files,
            role_defaults: None,
            role_vars: None,
            role_params: None,
            block_vars: None,
            task_vars: None,
            include_params: None,
            play_hosts,
            playbook_dir: None,
        }
    }
}

/// One host's run-time variables.
#[derive(Clone, Debug, Default)]
struct HostState {
    /// Ansible 1.2's per-host cache (`SETUP_CACHE[host]`): every write lands here, later wins.
    cache: Map,
    /// Modern layers.
    facts: Map,
    file_vars: Map,
    include_vars: Map,
    /// `set_fact` and `register` (modern: same level, later wins).
    set_facts: Map,
}

/// State shared with `hostvars` snapshots (copy-on-write).
#[derive(Clone, Debug, Default)]
struct Shared {
    /// Inventory variables per host (1.2 caches them at first use; recomputed in modern when
    /// the inventory changes).
    inv_vars: HashMap<String, Arc<Map>>,
    states: HashMap<String, Arc<HostState>>,
    /// Hosts in the order they entered the run (1.2's `hostvars` keys).
    seen: Vec<String>,
    /// Every inventory host (modern `hostvars` keys).
    inventory_hosts: Vec<String>,
    extra: Arc<Map>,
    dialect: Dialect,
}

/// Per-host run-time variables: facts, registered results, `set_fact`, host-specific vars
/// files, the extra vars, and the inventory's variables. `Send + Sync`.
///
/// Built from an `&Inventory` that it copies (cheap: vars files are shared); after `add_host`
/// or `group_by` call the same method on the store too (or [`VarStore::refresh_inventory`]).
#[derive(Clone, Debug)]
pub struct VarStore {
    inv: Arc<Inventory>,
    shared: Arc<Shared>,
    groups_value: Arc<Value>,
}

impl VarStore {
    /// A store for one run over `inv`, with the run's extra vars.
    pub fn new(inv: &Inventory, extra_vars: Map, dialect: Dialect) -> Self {
        let mut store = VarStore {
            inv: Arc::new(inv.clone()),
            shared: Arc::new(Shared {
                extra: Arc::new(extra_vars),
                dialect,
                ..Shared::default()
            }),
            groups_value: Arc::new(Value::Null),
        };
        store.refresh_inventory(inv);
        store
    }

    /// The dialect the store computes precedence for.
    pub fn dialect(&self) -> Dialect {
        self.shared.dialect
    }

    /// The run's extra vars.
    pub fn extra_vars(&self) -> &Map {
        &self.shared.extra
    }

    /// The store's copy of the inventory.
    pub fn inventory(&self) -> &Inventory {
        &self.inv
    }

    /// Take a new copy of the inventory (after `add_host`/`group_by` on the executor's). In the
    /// 1.2 dialect a host's inventory variables keep the value they had when first computed
    /// (1.2 cached them; `group_names` does not change after `group_by`), new hosts get theirs.
    pub fn refresh_inventory(&mut self, inv: &Inventory) {
        self.inv = Arc::new(inv.clone());
        self.recompute_inventory();
    }

    fn recompute_inventory(&mut self) {
        let dialect = self.shared.dialect;
        let sh = Arc::make_mut(&mut self.shared);
        for h in self.inv.hosts() {
            if dialect == Dialect::Legacy12 && sh.inv_vars.contains_key(h) {
                continue;
            }
            sh.inv_vars
                .insert(h.clone(), Arc::new(self.inv.host_vars_dialect(h, dialect)));
        }
        sh.inventory_hosts = self.inv.hosts().to_vec();
        let groups: Map = self
            .inv
            .groups()
            .into_iter()
            .map(|(g, hs)| (g, Value::Array(hs.into_iter().map(Value::String).collect())))
            .collect();
        self.groups_value = Arc::new(Value::Object(groups));
    }

    /// `add_host` on the store's inventory copy (call it alongside the executor's).
    pub fn add_host(&mut self, host: &str, groups: &[String], vars: Map) {
        Arc::make_mut(&mut self.inv).add_host(host, groups, vars);
        self.recompute_inventory();
    }

    /// `group_by` on the store's inventory copy (call it alongside the executor's).
    pub fn add_group_member(&mut self, group: &str, host: &str) {
        Arc::make_mut(&mut self.inv).add_group_member(group, host);
        self.recompute_inventory();
    }

    fn state_mut(&mut self, host: &str) -> &mut HostState {
        let sh = Arc::make_mut(&mut self.shared);
        if !sh.states.contains_key(host) {
            sh.seen.push(host.to_string());
        }
        Arc::make_mut(sh.states.entry(host.to_string()).or_default())
    }

    /// Ansible 1.2: a host unreachable at fact gathering never entered the setup cache, so
    /// `hostvars` does not list it (templates looping over `hostvars` skip it).
    pub fn leave_hostvars(&mut self, host: &str) {
        let sh = Arc::make_mut(&mut self.shared);
        sh.seen.retain(|h| h != host);
    }

    /// Record that `host` takes part in the run (1.2's `hostvars` lists such hosts).
    pub fn enter_host(&mut self, host: &str) {
        self.state_mut(host);
    }

    /// Merge facts from `setup` (or a module's `ansible_facts`) into the host's variables.
    pub fn set_facts(&mut self, host: &str, facts: Map) {
        let st = self.state_mut(host);
        for (k, v) in facts {
            st.cache.insert(k.clone(), v.clone());
            st.facts.insert(k, v);
        }
    }

    /// `set_fact name=value`.
    pub fn set_fact(&mut self, host: &str, name: &str, v: Value) {
        let st = self.state_mut(host);
        st.cache.insert(name.to_string(), v.clone());
        st.set_facts.insert(name.to_string(), v);
    }

    /// `register: name` (the executor adds `stdout_lines` etc. before).
    pub fn register(&mut self, host: &str, name: &str, v: Value) {
        self.set_fact(host, name, v);
    }

    /// Variables of a host-specific `vars_files` entry (1.2 pass 2: into the per-host cache,
    /// visible to later plays too).
    pub fn add_host_file_vars(&mut self, host: &str, vars: Map) {
        let st = self.state_mut(host);
        for (k, v) in vars {
            st.cache.insert(k.clone(), v.clone());
            st.file_vars.insert(k, v);
        }
    }

    /// `include_vars` results (modern precedence level; 1.2 had no such module).
    pub fn add_include_vars(&mut self, host: &str, vars: Map) {
        let st = self.state_mut(host);
        for (k, v) in vars {
            st.cache.insert(k.clone(), v.clone());
            st.include_vars.insert(k, v);
        }
    }

    /// 1.2: after every task a host completed, the extra vars are written into its cache again
    /// (so they beat facts, vars files and registered values from then on). No-op in modern.
    pub fn apply_extra_vars_after_task(&mut self, host: &str) {
        if self.shared.dialect != Dialect::Legacy12 {
            return;
        }
        let extra = self.shared.extra.clone();
        let st = self.state_mut(host);
        for (k, v) in extra.iter() {
            st.cache.insert(k.clone(), v.clone());
        }
    }

    /// Everything a completed task leaves in a host's variables, in 1.2's order: its
    /// `ansible_facts`, then (1.2) the extra vars again, then the `register`ed result, so a
    /// registered name equal to an extra var is seen by the next task only. Call it for hosts
    /// that returned a result (ok, changed, failed, skipped), not for unreachable ones.
    pub fn record_task_result(
        &mut self,
        host: &str,
        facts: Option<Map>,
        register: Option<(&str, Value)>,
    ) {
        if let Some(f) = facts {
            self.set_facts(host, f);
        }
        self.apply_extra_vars_after_task(host);
        if let Some((name, v)) = register {
            self.register(host, name, v);
        }
    }

    fn inv_vars(&self, host: &str) -> Map {
        match self.shared.inv_vars.get(host) {
            Some(m) => (**m).clone(),
            None => unknown_host_vars(&self.inv, host, self.shared.dialect),
        }
    }

    /// All variables one task on one host sees, in the dialect's precedence (module docs),
    /// with the magic variables. `hostvars` is not included: templates get it from
    /// [`VarStore::hostvars`].
    pub fn task_vars(&self, host: &str, layers: &VarLayers) -> Map {
        let mut out = Map::new();
        let st = self.shared.states.get(host);
        let put = |out: &mut Map, m: Option<&Map>| {
            if let Some(m) = m {
                for (k, v) in m {
                    out.insert(k.clone(), v.clone());
                }
            }
        };
        match self.shared.dialect {
            Dialect::Legacy12 => {
                out = self.inv_vars(host);
                let group_names = out.get("group_names").cloned();
                put(&mut out, layers.role_defaults);
                put(&mut out, Some(layers.play_vars));
                put(&mut out, Some(&self.shared.extra));
                put(&mut out, Some(layers.play_vars_files));
                put(&mut out, layers.role_vars);
                put(&mut out, layers.block_vars);
                put(&mut out, layers.task_vars);
                put(&mut out, layers.role_params);
                put(&mut out, layers.include_params);
                put(&mut out, st.map(|s| &s.cache));
                if let Some(g) = group_names {
                    out.insert("group_names".into(), g);
                }
                out.insert("groups".into(), (*self.groups_value).clone());
                if let Some(d) = self.inv.basedir() {
                    out.insert(
                        "inventory_dir".into(),
                        Value::String(d.display().to_string()),
                    );
                }
            }
            Dialect::Modern => {
                put(&mut out, layers.role_defaults);
                let inv = self.inv_vars(host);
                let magic_keys = [
                    "inventory_hostname",
                    "inventory_hostname_short",
                    "group_names",
                ];
                for (k, v) in &inv {
                    if !magic_keys.contains(&k.as_str()) {
                        out.insert(k.clone(), v.clone());
                    }
                }
                if let Some(s) = st {
                    put(&mut out, Some(&s.facts));
                    out.insert(
                        "ansible_facts".into(),
                        Value::Object(facts_namespace(&s.facts)),
                    );
                }
                put(&mut out, Some(layers.play_vars));
                put(&mut out, Some(layers.play_vars_files));
                put(&mut out, st.map(|s| &s.file_vars));
                put(&mut out, layers.role_vars);
                put(&mut out, layers.block_vars);
                put(&mut out, layers.task_vars);
                put(&mut out, st.map(|s| &s.include_vars));
                put(&mut out, st.map(|s| &s.set_facts));
                put(&mut out, layers.role_params);
                put(&mut out, layers.include_params);
                put(&mut out, Some(&self.shared.extra));
                for k in magic_keys {
                    if let Some(v) = inv.get(k) {
                        out.insert(k.into(), v.clone());
                    }
                }
                out.insert("groups".into(), (*self.groups_value).clone());
                let hosts = Value::Array(
                    layers
                        .play_hosts
                        .iter()
                        .cloned()
                        .map(Value::String)
                        .collect(),
                );
                for k in [
                    "play_hosts",
                    "ansible_play_hosts",
                    "ansible_play_batch",
                    "ansible_play_hosts_all",
                ] {
                    out.insert(k.into(), hosts.clone());
                }
                if let Some(d) = self.inv.basedir() {
                    out.insert(
                        "inventory_dir".into(),
                        Value::String(d.display().to_string()),
                    );
                }
                if let Some(f) = self.inv.source() {
                    out.insert(
                        "inventory_file".into(),
                        Value::String(f.display().to_string()),
                    );
                }
                if let Some(d) = layers.playbook_dir {
                    out.insert(
                        "playbook_dir".into(),
                        Value::String(d.display().to_string()),
                    );
                }
            }
        }
        out
    }

    /// A cheap snapshot for templates' `hostvars` (shares the store's state; later writes to
    /// the store copy on write and do not show in the snapshot).
    pub fn hostvars(&self) -> Arc<dyn HostVarsLookup> {
        Arc::new(HostVarsSnapshot {
            shared: self.shared.clone(),
            inv: self.inv.clone(),
            cache: Default::default(),
        })
    }

    /// Same as [`VarStore::hostvars`].
    pub fn hostvars_snapshot(&self) -> Arc<dyn HostVarsLookup> {
        self.hostvars()
    }
}

/// Modern `ansible_facts`: the facts without their `ansible_` prefix.
fn facts_namespace(facts: &Map) -> Map {
    facts
        .iter()
        .map(|(k, v)| {
            (
                k.strip_prefix("ansible_").unwrap_or(k).to_string(),
                v.clone(),
            )
        })
        .collect()
}

/// Variables of a host the inventory does not know (modern's implicit `localhost`).
fn unknown_host_vars(inv: &Inventory, host: &str, dialect: Dialect) -> Map {
    let mut m = inv.host_vars_dialect(host, dialect);
    if dialect == Dialect::Modern && ["localhost", "127.0.0.1", "::1"].contains(&host) {
        m.insert("ansible_connection".into(), Value::String("local".into()));
    }
    m
}

/// `hostvars` as of one moment.
struct HostVarsSnapshot {
    shared: Arc<Shared>,
    inv: Arc<Inventory>,
    /// The template layer's converted values (a snapshot never changes, so they stay valid).
    cache: crate::template::HostVarsCache,
}

impl HostVarsLookup for HostVarsSnapshot {
    fn template_cache(&self) -> Option<&crate::template::HostVarsCache> {
        Some(&self.cache)
    }

    fn hosts(&self) -> Vec<String> {
        match self.shared.dialect {
            Dialect::Legacy12 => self.shared.seen.clone(),
            Dialect::Modern => self.shared.inventory_hosts.clone(),
        }
    }

    fn get(&self, host: &str) -> Option<Value> {
        let known =
            self.shared.inv_vars.contains_key(host) || self.shared.states.contains_key(host);
        if !known {
            return None;
        }
        let mut out = match self.shared.inv_vars.get(host) {
            Some(m) => (**m).clone(),
            None => unknown_host_vars(&self.inv, host, self.shared.dialect),
        };
        if let Some(st) = self.shared.states.get(host) {
            match self.shared.dialect {
                Dialect::Legacy12 => out.extend(st.cache.clone()),
                Dialect::Modern => {
                    for m in [&st.facts, &st.file_vars, &st.include_vars, &st.set_facts] {
                        out.extend(m.clone());
                    }
                    out.insert(
                        "ansible_facts".into(),
                        Value::Object(facts_namespace(&st.facts)),
                    );
                }
            }
        }
        if self.shared.dialect == Dialect::Modern {
            out.extend((*self.shared.extra).clone());
        }
        Some(Value::Object(out))
    }
}

#[cfg(test)]
mod tests;
