//! Times rendering every template of the 2013 corpus for 100 hosts (Ansible 1.2 semantics:
//! Jinja2 with lazily templated variables, `hostvars` over 100 hosts, the legacy `$` pass).
//! Run: `cargo bench --bench template_corpus` (`-- HOSTS` to change the host count).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use flock::template::{Dialect, HostVarsLookup, Templar, TemplateContext};
use flock::value::{Map, Value};

fn copy_restoring_symlinks(src: &Path, dst: &Path) {
    fs::create_dir_all(dst).expect("create scratch dir");
    for entry in fs::read_dir(src).expect("read corpus dir") {
        let entry = entry.expect("dir entry");
        let (from, to) = (entry.path(), dst.join(entry.file_name()));
        if from.is_dir() {
            copy_restoring_symlinks(&from, &to);
            continue;
        }
        let text = fs::read_to_string(&from).unwrap_or_default();
        let stub = !text.is_empty()
            && text.len() <= 64
            && !text.ends_with('\n')
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"./_-".contains(&b));
        if stub {
            std::os::unix::fs::symlink(&text, &to).expect("symlink");
        } else {
            fs::copy(&from, &to).expect("copy");
        }
    }
}

/// (basedir, src relative to basedir) of every file under a `templates/` directory.
fn templates(root: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            let meta = fs::symlink_metadata(&p).expect("stat");
            if meta.is_symlink() {
                continue;
            }
            if meta.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .into_owned();
            let parts: Vec<&str> = rel.split('/').collect();
            if let Some(i) = parts.iter().position(|c| *c == "templates") {
                out.push((root.join(parts[..i].join("/")), parts[i..].join("/")));
            }
        }
    }
    out.sort();
    out
}

fn yaml_map(path: &Path) -> Map {
    match flock::yaml::load_file(path)
        .ok()
        .and_then(|d| d.first().map(|n| n.to_value()))
    {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

fn facts(i: usize) -> Map {
    let v = serde_json::json!({
        "inventory_hostname": format!("node-{i:03}"),
        "ansible_hostname": format!("node-{i:03}"),
        "ansible_os_family": "RedHat",
        "ansible_distribution": "CentOS",
        "ansible_eth0": {"ipv4": {"address": format!("10.1.{}.{}", i / 250, i % 250 + 1), "netmask": "255.255.0.0"}},
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

struct Hosts(Vec<Value>);

impl HostVarsLookup for Hosts {
    fn hosts(&self) -> Vec<String> {
        (0..self.0.len()).map(|i| format!("node-{i:03}")).collect()
    }
    fn get(&self, host: &str) -> Option<Value> {
        let i: usize = host.strip_prefix("node-")?.parse().ok()?;
        self.0.get(i).cloned()
    }
}

fn main() {
    let hosts: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100);
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/flock-2013");
    let corpus = if corpus.is_dir() {
        corpus
    } else {
        PathBuf::from("/work/shared/flock-2013")
    };
    if !corpus.is_dir() {
        eprintln!("corpus not found; nothing to time");
        return;
    }
    let tmp = std::env::temp_dir().join(format!("flock-bench-templates-{}", std::process::id()));
    let root = tmp.join("flock");
    copy_restoring_symlinks(&corpus, &root);
    let list = templates(&root);
    let hv: Arc<dyn HostVarsLookup> =
        Arc::new(Hosts((0..hosts).map(|i| Value::Object(facts(i))).collect()));
    // Variables per template directory (networks.yml + role vars), shared by all hosts.
    let mut base_vars: Vec<Map> = Vec::new();
    for (basedir, _) in &list {
        let mut m = yaml_map(&root.join("networks.yml"));
        if let Ok(rd) = fs::read_dir(basedir.join("vars")) {
            let mut names: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
            names.sort();
            for n in names {
                m.extend(yaml_map(&n));
            }
        }
        base_vars.push(m);
    }
    let templar = Templar::new();
    let mut renders = 0usize;
    let mut failures = 0usize;
    let mut bytes = 0usize;
    let mut warnings = 0usize;
    let start = Instant::now();
    for h in 0..hosts {
        for ((basedir, src), base) in list.iter().zip(&base_vars) {
            let mut vars = base.clone();
            vars.extend(facts(h));
            let ctx = TemplateContext::new(&vars, basedir, Dialect::Legacy12, Some(hv.clone()));
            match templar.render_file(Path::new(src), &ctx) {
                Ok(r) => {
                    bytes += r.text.len();
                    warnings += r.warnings.len();
                }
                Err(_) => failures += 1,
            }
            renders += 1;
        }
    }
    let elapsed = start.elapsed();
    println!(
        "{} templates x {hosts} hosts = {renders} renders ({failures} rejected, {warnings} undefined-variable warnings, {} KiB out) in {:.1} ms ({:.1} µs/render)",
        list.len(),
        bytes / 1024,
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_secs_f64() * 1e6 / renders as f64
    );
    let _ = fs::remove_dir_all(&tmp);
}
