//! Inventories (Ansible INI, modern YAML, directories, `a,b,` host lists) and host patterns.
//!
//! The model follows Ansible 1.2's (`lib/ansible/inventory`): groups with direct hosts, child
//! groups and variables; `all` contains every group; hosts listed before any section are in
//! `ungrouped`. Host variables merge, lowest first: `group_vars/`/`host_vars/` files (beside the
//! inventory, then beside the playbook), the inventory's group variables (shallow groups first),
//! the host line's variables (see [`Inventory::host_vars`]).
//!
//! ```
//! use flock::inventory::Inventory;
//! use flock::template::Dialect;
//! let inv = Inventory::from_ini_str("[core]\ncore-0[1:3] ansible_ssh_host=10.0.0.1\n[com]\ncom\n", "hosts").unwrap();
//! assert_eq!(inv.select("core:!core-02", None, Dialect::Legacy12).unwrap(), ["core-01", "core-03"]);
//! assert_eq!(inv.host_vars("core-01")["ansible_ssh_host"], "10.0.0.1");
//! ```

mod ini;
mod pattern;
pub mod shlex;
mod varsdir;
mod yaml_inv;

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;

use crate::error::SourcePos;
use crate::template::Dialect;
use crate::value::{Map, Value};
use varsdir::VarsDir;

/// Why an inventory could not be loaded or a pattern not evaluated.
#[derive(Debug, Clone, thiserror::Error)]
pub enum InventoryError {
    /// A syntax or structure error in an inventory or variables file.
    #[error("{pos}: {message}")]
    Parse {
        /// Where.
        pos: SourcePos,
        /// What.
        message: String,
    },
    /// A file or directory could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error or reason.
        message: String,
    },
    /// A YAML error in a YAML inventory or a `group_vars`/`host_vars` file.
    #[error(transparent)]
    Yaml(#[from] crate::yaml::YamlError),
    /// A `group_vars`/`host_vars` file that is not a mapping.
    #[error(transparent)]
    Vars(#[from] crate::vars::VarsError),
    /// No inventory given and none of the default places exists.
    #[error("Unable to find an inventory file, specify one with -i ?")]
    NotFound,
    /// A host pattern that cannot be evaluated (bad regex, bad subscript, unreadable `@file`).
    #[error("invalid host pattern '{pattern}': {message}")]
    Pattern {
        /// The pattern element.
        pattern: String,
        /// Why.
        message: String,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct GroupData {
    pub(crate) name: String,
    /// Direct hosts, in the order they were added.
    pub(crate) hosts: Vec<usize>,
    pub(crate) children: Vec<usize>,
    pub(crate) parents: Vec<usize>,
    pub(crate) vars: Map,
    /// Depth as Ansible 1.2 computed it (set when a parent is added, not propagated).
    pub(crate) depth12: usize,
    /// Depth as modern Ansible computes it (longest path from `all`).
    pub(crate) depth: usize,
    /// `[g:vars]` values as written (modern Ansible reads them as Python literals, while
    /// `vars` holds 1.2's reading: strings, one pair of quotes removed).
    pub(crate) ini_raw: Map,
}

#[derive(Clone, Debug)]
pub(crate) struct HostData {
    pub(crate) name: String,
    /// Variables from the host line (strings for INI), `add_host`, or a YAML inventory.
    pub(crate) vars: Map,
    /// Direct groups, in the order the host joined them.
    pub(crate) groups: Vec<usize>,
    /// The variables came from an INI host line (modern Ansible reads them as Python literals).
    pub(crate) ini: bool,
}

/// A loaded inventory: hosts, groups and their variables. Cheap to clone (vars files are shared).
#[derive(Clone, Debug)]
pub struct Inventory {
    source: Option<PathBuf>,
    /// The directory whose `group_vars/`/`host_vars/` belong to the inventory.
    basedir: Option<PathBuf>,
    hosts: Vec<String>,
    pub(crate) host_data: Vec<HostData>,
    host_ix: HashMap<String, usize>,
    pub(crate) groups: Vec<GroupData>,
    group_ix: HashMap<String, usize>,
    /// `group_vars/`/`host_vars/` directories: the inventory's first, then playbook ones.
    vars_dirs: Vec<Arc<VarsDir>>,
}

impl Default for Inventory {
    fn default() -> Self {
        Self::empty()
    }
}

const ALL: usize = 0;

impl Inventory {
    /// An inventory with only the group `all`.
    fn empty() -> Self {
        let mut inv = Inventory {
            source: None,
            basedir: None,
            hosts: Vec::new(),
            host_data: Vec::new(),
            host_ix: HashMap::new(),
            groups: Vec::new(),
            group_ix: HashMap::new(),
            vars_dirs: Vec::new(),
        };
        inv.push_group("all");
        inv
    }

    /// `all` with its child `ungrouped` (what the INI and YAML readers start from).
    pub(crate) fn empty_with_ungrouped() -> Self {
        let mut inv = Self::empty();
        inv.ensure_group("ungrouped");
        inv
    }

    /// Find the inventory as `ansible-playbook` does: the `-i` value (a file, a directory, or a
    /// comma list `a,b,`), else `$ANSIBLE_HOSTS`, else `$ANSIBLE_INVENTORY`, else `./hosts`, else
    /// `/etc/ansible/hosts`.
    pub fn locate_and_load(explicit: Option<&str>) -> Result<Inventory, InventoryError> {
        let from_env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let chosen = explicit
            .map(str::to_string)
            .or_else(|| from_env("ANSIBLE_HOSTS"))
            .or_else(|| from_env("ANSIBLE_INVENTORY"));
        if let Some(v) = chosen {
            if v.contains(',') {
                return Ok(Self::from_host_list(&v));
            }
            let p = Path::new(&v);
            if !p.exists() {
                return Err(InventoryError::Io {
                    path: p.to_path_buf(),
                    message: "inventory not found".into(),
                });
            }
            return Self::load(p);
        }
        for cand in ["hosts", "/etc/ansible/hosts"] {
            let p = Path::new(cand);
            if p.is_file() {
                return Self::load(p);
            }
        }
        Err(InventoryError::NotFound)
    }

    /// Load an INI or YAML inventory file, or a directory of them (sorted by name, skipping
    /// `*~ *.orig *.bak *.ini *.retry`, hidden files, `group_vars`, `host_vars`,
    /// `vars_plugins`), with the `group_vars/`/`host_vars/` beside it.
    pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
        let mut inv = if path.is_dir() {
            load_dir(path)?
        } else {
            load_file(path)?
        };
        inv.source = Some(path.to_path_buf());
        let base = if path.is_dir() {
            path.to_path_buf()
        } else {
            match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            }
        };
        inv.basedir = Some(base.clone());
        inv.add_vars_dir(&base)?;
        Ok(inv)
    }

    /// Parse INI inventory text (for tests and `flock lab`); `name` is used in positions.
    pub fn from_ini_str(text: &str, name: impl AsRef<Path>) -> Result<Inventory, InventoryError> {
        ini::parse(text, name.as_ref())
    }

    /// Parse YAML inventory text; `name` is used in positions.
    pub fn from_yaml_str(text: &str, name: impl AsRef<Path>) -> Result<Inventory, InventoryError> {
        let docs = crate::yaml::load_str(text, name.as_ref())?;
        yaml_inv::build(docs.first(), name.as_ref())
    }

    /// A literal host list (`-i 'a,b:2222,'`): hosts in `all` only, `host:port` sets
    /// `ansible_ssh_port`.
    pub fn from_host_list(list: &str) -> Inventory {
        let mut inv = Self::empty();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (name, port) = match item.split_once(':') {
                Some((n, p)) if !item.starts_with('[') => (n, Some(p)),
                _ => (item, None),
            };
            let h = inv.ensure_host(name);
            if let Some(port) = port {
                let v = port
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::String(port.into()));
                inv.host_data[h].vars.insert("ansible_ssh_port".into(), v);
            }
            inv.add_host_to_group(ALL, h);
        }
        inv
    }

    /// The file or directory the inventory came from (`None` for a host list).
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// The directory of the inventory (`inventory_dir`): the directory itself for a directory
    /// inventory, the file's directory otherwise.
    pub fn basedir(&self) -> Option<&Path> {
        self.basedir.as_deref()
    }

    /// Every host, in inventory order (the order hosts first appear).
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// True if the inventory defines `host`.
    pub fn has_host(&self, host: &str) -> bool {
        self.host_ix.contains_key(host)
    }

    /// Hosts matching `pattern`, restricted by `limit` (same language, `@file` reads names
    /// from a file). Legacy12: 1.2's rules (elements split on `:`/`;`, applied left to right,
    /// result sorted by name); Modern: ansible-core's (`,` or `:` lists, plain then `&` then `!`
    /// elements, inventory order). See `docs/compat.md`.
    pub fn select(
        &self,
        pattern: &str,
        limit: Option<&str>,
        dialect: Dialect,
    ) -> Result<Vec<String>, InventoryError> {
        match dialect {
            Dialect::Legacy12 => pattern::select_legacy(self, pattern, limit),
            Dialect::Modern => pattern::select_modern(self, pattern, limit),
        }
    }

    /// The elements of the (modern) `pattern` that match no host, for ansible-core's
    /// "Could not match supplied host pattern" warnings.
    pub fn unmatched_elements(&self, pattern: &str) -> Vec<String> {
        pattern::unmatched_modern(self, pattern)
    }

    /// A host's inventory variables in Ansible 1.2's order (see [`Self::host_vars_dialect`]).
    pub fn host_vars(&self, host: &str) -> Map {
        self.host_vars_dialect(host, Dialect::Legacy12)
    }

    /// A host's inventory variables plus `inventory_hostname`, `inventory_hostname_short` and
    /// `group_names`. Unknown hosts get only those three.
    ///
    /// Legacy12 (1.2's vars plugin, then `Host.get_variables`): for each vars directory
    /// (inventory's, then playbook's) `group_vars/<g>` files by group depth then `host_vars/<h>`;
    /// then the inventory's group variables by depth; then the host line's.
    /// Modern: `all`'s inventory vars < `group_vars/all` files < other groups' inventory vars <
    /// their `group_vars` files < host inventory vars < `host_vars` files (INI host-line values
    /// read as Python literals).
    pub fn host_vars_dialect(&self, host: &str, dialect: Dialect) -> Map {
        let mut out = Map::new();
        if let Some(&h) = self.host_ix.get(host) {
            match dialect {
                Dialect::Legacy12 => {
                    let plugin_order = self.legacy_plugin_groups(h);
                    for d in &self.vars_dirs {
                        for &g in &plugin_order {
                            d.merge_group(&self.groups[g].name, true, &mut out);
                        }
                        d.merge_host(host, true, &mut out);
                    }
                    for g in self.legacy_host_groups(h) {
                        merge(&mut out, &self.groups[g].vars);
                    }
                    merge(&mut out, &self.host_data[h].vars);
                }
                Dialect::Modern => {
                    let mut groups = self.host_groups(h);
                    groups.sort_by(|&a, &b| {
                        (self.groups[a].depth, &self.groups[a].name)
                            .cmp(&(self.groups[b].depth, &self.groups[b].name))
                    });
                    let (all, rest): (Vec<usize>, Vec<usize>) =
                        groups.iter().partition(|&&g| g == ALL);
                    for set in [all, rest] {
                        for &g in &set {
                            merge(&mut out, &self.groups[g].vars);
                            for (k, raw) in &self.groups[g].ini_raw {
                                out.insert(k.clone(), literal_value(raw.as_str().unwrap_or("")));
                            }
                        }
                        for d in &self.vars_dirs {
                            for &g in &set {
                                d.merge_group(&self.groups[g].name, false, &mut out);
                            }
                        }
                    }
                    let hd = &self.host_data[h];
                    for (k, v) in &hd.vars {
                        let v = match v {
                            Value::String(s) if hd.ini => literal_value(s),
                            other => other.clone(),
                        };
                        out.insert(k.clone(), v);
                    }
                    for d in &self.vars_dirs {
                        d.merge_host(host, false, &mut out);
                    }
                }
            }
        }
        out.insert("inventory_hostname".into(), Value::String(host.to_string()));
        let short = host.split('.').next().unwrap_or(host);
        out.insert(
            "inventory_hostname_short".into(),
            Value::String(short.to_string()),
        );
        out.insert(
            "group_names".into(),
            Value::Array(
                self.groups_of(host)
                    .into_iter()
                    .map(Value::String)
                    .collect(),
            ),
        );
        out
    }

    /// `group_names`: the host's groups including parents, sorted, without `all` (1.2 and
    /// modern agree; `ungrouped` is listed for hosts in it).
    pub fn groups_of(&self, host: &str) -> Vec<String> {
        let Some(&h) = self.host_ix.get(host) else {
            return Vec::new();
        };
        let mut names: Vec<String> = self
            .host_groups(h)
            .into_iter()
            .filter(|&g| g != ALL)
            .map(|g| self.groups[g].name.clone())
            .collect();
        names.sort();
        names
    }

    /// The `groups` magic variable: every group (in creation order, `all` first) with its hosts
    /// (including child groups' hosts) in inventory order.
    pub fn groups(&self) -> IndexMap<String, Vec<String>> {
        self.groups
            .iter()
            .enumerate()
            .map(|(g, gd)| {
                (
                    gd.name.clone(),
                    self.group_hosts(g)
                        .into_iter()
                        .map(|h| self.hosts[h].clone())
                        .collect(),
                )
            })
            .collect()
    }

    /// The `add_host` module: create `host` if needed, put it in `all` and in `groups` (created
    /// as children of `all` when missing), and set `vars` on it.
    pub fn add_host(&mut self, host: &str, groups: &[String], vars: Map) {
        let h = self.ensure_host(host);
        self.add_host_to_group(ALL, h);
        for (k, v) in vars {
            self.host_data[h].vars.insert(k, v);
        }
        for g in groups.iter().map(|g| g.trim()).filter(|g| !g.is_empty()) {
            let gi = self.ensure_group(g);
            self.add_host_to_group(gi, h);
        }
    }

    /// The `group_by` module: put `host` into `group` (created as a child of `all` if missing).
    pub fn add_group_member(&mut self, group: &str, host: &str) {
        let Some(&h) = self.host_ix.get(host) else {
            return;
        };
        let g = self.ensure_group(group);
        self.add_host_to_group(g, h);
    }

    /// Add a directory whose `group_vars/` and `host_vars/` apply too (the playbook's; Ansible
    /// 1.2 looks there after the inventory's, so its files win). The inventory's own directory is
    /// not added twice.
    pub fn add_vars_dir(&mut self, dir: &Path) -> Result<(), InventoryError> {
        let same = |a: &Path| {
            a == dir
                || (a.canonicalize().ok().is_some()
                    && a.canonicalize().ok() == dir.canonicalize().ok())
        };
        if self.vars_dirs.iter().any(|d| same(&d.dir)) {
            return Ok(());
        }
        if let Some(d) = VarsDir::scan(dir)? {
            if let Some((_, e)) = d
                .broken()
                .find(|(n, _)| self.has_host(n) || self.group_index(n).is_some())
            {
                return Err(e.clone());
            }
            self.vars_dirs.push(Arc::new(d));
        }
        Ok(())
    }

    // ---- building blocks (used by the readers) ----

    fn push_group(&mut self, name: &str) -> usize {
        let g = self.groups.len();
        self.groups.push(GroupData {
            name: name.to_string(),
            hosts: Vec::new(),
            children: Vec::new(),
            parents: Vec::new(),
            vars: Map::new(),
            depth12: 0,
            depth: 0,
            ini_raw: Map::new(),
        });
        self.group_ix.insert(name.to_string(), g);
        g
    }

    pub(crate) fn group_index(&self, name: &str) -> Option<usize> {
        self.group_ix.get(name).copied()
    }

    pub(crate) fn host_index(&self, name: &str) -> Option<usize> {
        self.host_ix.get(name).copied()
    }

    /// The group `name`, created as a child of `all` when missing.
    pub(crate) fn ensure_group(&mut self, name: &str) -> usize {
        if let Some(g) = self.group_index(name) {
            return g;
        }
        let g = self.push_group(name);
        self.add_child_group(ALL, g);
        g
    }

    pub(crate) fn ensure_host(&mut self, name: &str) -> usize {
        if let Some(h) = self.host_index(name) {
            return h;
        }
        let h = self.hosts.len();
        self.hosts.push(name.to_string());
        self.host_data.push(HostData {
            name: name.to_string(),
            vars: Map::new(),
            groups: Vec::new(),
            ini: false,
        });
        self.host_ix.insert(name.to_string(), h);
        h
    }

    /// Adds host `h` to group `g` once. Membership is checked on the host's (short) list of
    /// groups, not the group's hosts: a range of a million hosts stays linear (the fuzzer's
    /// `cn-[0:41084]` took 10 s when each insert scanned the group).
    pub(crate) fn add_host_to_group(&mut self, g: usize, h: usize) {
        if !self.host_data[h].groups.contains(&g) {
            self.groups[g].hosts.push(h);
            self.host_data[h].groups.push(g);
        }
    }

    /// Make `kid` a child of `parent` (1.2's `add_child_group`, plus modern depth propagation).
    pub(crate) fn add_child_group(&mut self, parent: usize, kid: usize) {
        if parent == kid || self.groups[parent].children.contains(&kid) {
            return;
        }
        self.groups[parent].children.push(kid);
        self.groups[kid].parents.push(parent);
        self.groups[kid].depth12 = self.groups[kid]
            .depth12
            .max(self.groups[parent].depth12 + 1);
        // Modern: propagate the new depth down (bounded against cycles).
        let mut queue = VecDeque::from([(kid, self.groups[parent].depth + 1)]);
        let mut steps = 0usize;
        while let Some((g, d)) = queue.pop_front() {
            steps += 1;
            if self.groups[g].depth >= d || steps > 100_000 {
                continue;
            }
            self.groups[g].depth = d;
            for &c in &self.groups[g].children {
                queue.push_back((c, d + 1));
            }
        }
    }

    /// A host's groups: direct ones and all their ancestors (including `all`), each once.
    pub(crate) fn host_groups(&self, h: usize) -> Vec<usize> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        let mut queue: VecDeque<usize> = self.host_data[h].groups.iter().copied().collect();
        while let Some(g) = queue.pop_front() {
            if seen.insert(g) {
                out.push(g);
                queue.extend(self.groups[g].parents.iter().copied());
            }
        }
        out
    }

    /// 1.2's `Host.get_variables` order of a host's groups: a Python 2 dict filled with the
    /// direct groups and their ancestors, then stable-sorted by (1.2) depth. Decides which of
    /// two equal-depth groups' variables wins.
    fn legacy_host_groups(&self, h: usize) -> Vec<usize> {
        let mut seq: Vec<&str> = Vec::new();
        let mut seen = HashSet::new();
        for &g in &self.host_data[h].groups {
            seq.push(&self.groups[g].name);
            self.ancestor_names(g, &mut seq, &mut seen);
        }
        self.py2_depth_sorted(&seq)
    }

    fn ancestor_names<'a>(&'a self, g: usize, seq: &mut Vec<&'a str>, seen: &mut HashSet<usize>) {
        for &p in &self.groups[g].parents {
            seq.push(&self.groups[p].name);
            if seen.insert(p) {
                self.ancestor_names(p, seq, seen);
            }
        }
    }

    /// 1.2's vars-plugin order (`groups_for_host`): the inventory's groups in Python 2 dict
    /// order of their names, those holding the host, stable-sorted by depth.
    fn legacy_plugin_groups(&self, h: usize) -> Vec<usize> {
        let member: HashSet<usize> = self.host_groups(h).into_iter().collect();
        let names: Vec<&str> = self.groups.iter().map(|g| g.name.as_str()).collect();
        let ordered = self.py2_depth_sorted(&names);
        ordered.into_iter().filter(|g| member.contains(g)).collect()
    }

    fn py2_depth_sorted(&self, names: &[&str]) -> Vec<usize> {
        let mut ids: Vec<usize> = crate::template::py2dict::insert_order(names)
            .into_iter()
            .filter_map(|n| self.group_index(n))
            .collect();
        ids.sort_by_key(|&g| self.groups[g].depth12);
        ids
    }

    /// A group's hosts including child groups' (modern order: own hosts, then descendants
    /// level by level), each once.
    pub(crate) fn group_hosts(&self, g: usize) -> Vec<usize> {
        if g == ALL {
            return (0..self.hosts.len())
                .filter(|&h| !self.host_data[h].groups.is_empty())
                .collect();
        }
        let mut seen_g = HashSet::new();
        let mut seen_h = HashSet::new();
        let mut out = Vec::new();
        let mut queue = VecDeque::from([g]);
        while let Some(g) = queue.pop_front() {
            if !seen_g.insert(g) {
                continue;
            }
            for &h in &self.groups[g].hosts {
                if seen_h.insert(h) {
                    out.push(h);
                }
            }
            queue.extend(self.groups[g].children.iter().copied());
        }
        out
    }

    pub(crate) fn group_names(&self) -> impl Iterator<Item = (usize, &str)> {
        self.groups
            .iter()
            .enumerate()
            .map(|(i, g)| (i, g.name.as_str()))
    }

    /// Merge another inventory into this one (directory inventories, 1.2's `dir.py`): groups and
    /// hosts keep their first position, later files' variables win.
    fn absorb(&mut self, other: &Inventory) {
        let gmap: Vec<usize> = other
            .groups
            .iter()
            .map(|og| {
                let g = self
                    .group_index(&og.name)
                    .unwrap_or_else(|| self.push_group(&og.name));
                for (k, v) in &og.vars {
                    self.groups[g].vars.insert(k.clone(), v.clone());
                }
                for (k, v) in &og.ini_raw {
                    self.groups[g].ini_raw.insert(k.clone(), v.clone());
                }
                g
            })
            .collect();
        for (oh, hd) in other.host_data.iter().enumerate() {
            let h = self.ensure_host(&hd.name);
            for (k, v) in &hd.vars {
                self.host_data[h].vars.insert(k.clone(), v.clone());
            }
            self.host_data[h].ini |= hd.ini;
            let _ = oh;
        }
        for (og_i, og) in other.groups.iter().enumerate() {
            for &oh in &og.hosts {
                let h = self.host_ix[&other.host_data[oh].name];
                self.add_host_to_group(gmap[og_i], h);
            }
            for &ok in &og.children {
                self.add_child_group(gmap[og_i], gmap[ok]);
            }
        }
        for g in 1..self.groups.len() {
            if self.groups[g].parents.is_empty() {
                self.add_child_group(ALL, g);
            }
        }
    }
}

fn merge(out: &mut Map, from: &Map) {
    for (k, v) in from {
        out.insert(k.clone(), v.clone());
    }
}

/// Modern Ansible reads INI host-line values with `ast.literal_eval`: numbers, `True`/`False`/
/// `None`, quoted strings; anything else stays a string.
fn literal_value(s: &str) -> Value {
    let t = s.trim();
    match t {
        "True" => return Value::Bool(true),
        "False" => return Value::Bool(false),
        "None" => return Value::Null,
        _ => {}
    }
    if let Ok(i) = t.parse::<i64>() {
        return Value::from(i);
    }
    if t.contains('.') || t.contains('e') || t.contains('E') {
        if let Ok(f) = t.parse::<f64>() {
            if f.is_finite()
                && t.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '.')
            {
                if let Some(n) = serde_json::Number::from_f64(f) {
                    return Value::Number(n);
                }
            }
        }
    }
    let b = t.as_bytes();
    if b.len() >= 2 && (b[0] == b'\'' || b[0] == b'"') && b[b.len() - 1] == b[0] {
        return Value::String(t[1..t.len() - 1].to_string());
    }
    if (t.starts_with('[') && t.ends_with(']')) || (t.starts_with('{') && t.ends_with('}')) {
        if let Ok(v) = serde_json::from_str::<Value>(
            &t.replace('\'', "\"")
                .replace("True", "true")
                .replace("False", "false")
                .replace("None", "null"),
        ) {
            return v;
        }
    }
    Value::String(s.to_string())
}

fn is_yaml_text(path: &Path, text: &str) -> bool {
    if matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yml" | "yaml" | "json")
    ) {
        return true;
    }
    if text.starts_with("---") {
        return true;
    }
    // A first meaningful line like `all:` or `web:` (no INI section) reads as YAML.
    text.lines()
        .map(str::trim_end)
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .is_some_and(|l| {
            !l.starts_with('[') && l.ends_with(':') && !l.contains(' ') && !l.contains('=')
        })
}

fn load_file(path: &Path) -> Result<Inventory, InventoryError> {
    let text = crate::yaml::read_text(path)?;
    if is_yaml_text(path, &text) {
        let docs = crate::yaml::load_str(&text, path)?;
        yaml_inv::build(docs.first(), path)
    } else {
        ini::parse(&text, path)
    }
}

fn load_dir(dir: &Path) -> Result<Inventory, InventoryError> {
    let io = |e: std::io::Error| InventoryError::Io {
        path: dir.to_path_buf(),
        message: e.to_string(),
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut inv = Inventory::empty_with_ungrouped();
    for name in names {
        let skip = ["~", ".orig", ".bak", ".ini", ".retry"]
            .iter()
            .any(|s| name.ends_with(s))
            || name.starts_with('.')
            || ["host_vars", "group_vars", "vars_plugins"].contains(&name.as_str());
        if skip {
            continue;
        }
        let full = dir.join(&name);
        let part = if full.is_dir() {
            load_dir(&full)?
        } else {
            use std::os::unix::fs::PermissionsExt;
            let exec = std::fs::metadata(&full)
                .map(|m| m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false);
            if exec {
                return Err(InventoryError::Io {
                    path: full,
                    message: "executable (dynamic) inventory scripts are not supported".into(),
                });
            }
            load_file(&full)?
        };
        inv.absorb(&part);
    }
    Ok(inv)
}

#[cfg(test)]
mod tests;
