//! The fixed variable set of the template goldens (mirrors `compat-tests/template_oracle.py`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use flock::template::HostVarsLookup;
use flock::value::{Map, Value};

/// The inventory of the goldens.
pub const HOSTS: [&str; 3] = ["core-01", "core-02", "core-03"];

/// The facts fixture per host.
pub fn facts() -> Map {
    let text = include_str!("../golden/templates/facts.json");
    match serde_json::from_str(text).expect("facts.json") {
        Value::Object(m) => m,
        _ => panic!("facts.json is not a mapping"),
    }
}

fn inv_vars(host: &str) -> Map {
    let mut m = Map::new();
    m.insert(
        "ansible_ssh_host".into(),
        Value::String(format!("10.1.1.{}", &host[host.len() - 1..])),
    );
    m.insert("inventory_hostname".into(), Value::String(host.into()));
    m.insert(
        "inventory_hostname_short".into(),
        Value::String(host.into()),
    );
    m.insert("group_names".into(), serde_json::json!(["core"]));
    m
}

fn load_yaml_map(path: &Path) -> Map {
    let docs = flock::yaml::load_file(path).unwrap_or_default();
    match docs.first().map(|d| d.to_value()) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// networks.yml and the role's vars files, in the oracle's order.
pub fn role_var_files(root: &Path, basedir: &Path, host: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let nets = basedir.join("networks.yml");
    out.push(if nets.exists() {
        nets
    } else {
        root.join("networks.yml")
    });
    let vdir = basedir.join("vars");
    if let Ok(rd) = std::fs::read_dir(&vdir) {
        let mut names: Vec<String> = rd
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for n in names {
            if !n.ends_with(".yml") || n == "Debian.yml" || n == "CentOS.yml" {
                continue;
            }
            if n.starts_with("core-0") && n != format!("{host}.yml") {
                continue;
            }
            out.push(vdir.join(n));
        }
    }
    out
}

/// The variables of one host for a template whose play basedir is `basedir`.
pub fn host_vars(root: &Path, basedir: &Path, host: &str, _hv: &Arc<CorpusHostVars>) -> Map {
    let mut vars = inv_vars(host);
    vars.insert(
        "groups".into(),
        serde_json::json!({"all": HOSTS, "core": HOSTS, "ungrouped": []}),
    );
    for f in role_var_files(root, basedir, host) {
        vars.extend(load_yaml_map(&f));
    }
    if let Some(Value::Object(f)) = facts().get(host) {
        vars.extend(f.clone());
    }
    vars
}

/// `hostvars` of the goldens: inventory vars + facts of the three hosts.
pub struct CorpusHostVars {
    facts: Map,
}

impl CorpusHostVars {
    pub fn new(_root: &Path) -> Arc<Self> {
        Arc::new(Self { facts: facts() })
    }
}

impl HostVarsLookup for CorpusHostVars {
    fn hosts(&self) -> Vec<String> {
        HOSTS.iter().map(|h| h.to_string()).collect()
    }

    fn get(&self, host: &str) -> Option<Value> {
        let mut m = inv_vars(host);
        if let Some(Value::Object(f)) = self.facts.get(host) {
            m.extend(f.clone());
        }
        Some(Value::Object(m))
    }
}

/// Every file under a `templates/` directory: (path relative to the corpus, basedir, src
/// relative to basedir), sorted by path.
pub fn corpus_templates(root: &Path) -> Vec<(String, PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_symlink() {
                continue;
            }
            if meta.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            let parts: Vec<&str> = rel.split('/').collect();
            let Some(i) = parts.iter().position(|c| *c == "templates") else {
                continue;
            };
            if i + 1 >= parts.len() {
                continue;
            }
            let basedir = root.join(parts[..i].join("/"));
            out.push((rel.clone(), basedir, parts[i..].join("/")));
        }
    }
    out.sort();
    out
}
