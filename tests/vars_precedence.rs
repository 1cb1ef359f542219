//! Variable precedence against real Ansible 1.2 and ansible-core 2.19: `tests/golden/vars/
//! precedence12.txt` (and `precedence-modern.txt`) hold what
//! 1.2 printed for `tests/data/vars12/pb/site.yml` (four `debug` tasks, extra vars
//! `pe=extra ev=extra ev2=extra`, `register: ev` on t2), recorded by
//! `scripts/oracle/vars-precedence.sh`. Here the same run is replayed on `VarStore` the way the
//! executor drives it, and every printed variable is compared.

use std::path::{Path, PathBuf};

use flock::inventory::Inventory;
use flock::template::Dialect;
use flock::vars::{load_mapping_file, parse_extra_vars, VarLayers, VarStore};
use flock::{Map, Value};

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/vars12")
}

fn text(v: Option<&Value>) -> String {
    match v {
        None => "U".into(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(_)) => "registered".into(),
        Some(Value::Array(a)) => {
            let mut items: Vec<String> = a.iter().map(|x| text(Some(x))).collect();
            items.sort();
            items.join(",")
        }
        Some(other) => other.to_string(),
    }
}

/// Replays the recorded run on `VarStore` in `dialect` and compares every printed variable.
/// vars_files: 1.2 merges `static.yml` and (pass 1) the variable-free `vars/default.yml` into the
/// play, then (pass 2) the host's own file into its cache; modern resolves the first-found list
/// per host.
fn replay(dialect: Dialect, golden_name: &str) -> usize {
    let golden = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden/vars")
            .join(golden_name),
    )
    .unwrap();
    let mut inv = Inventory::load(&data().join("inv/hosts")).unwrap();
    inv.add_vars_dir(&data().join("pb")).unwrap();
    let extra = parse_extra_vars(&["pe=extra ev=extra ev2=extra".to_string()]).unwrap();
    let play_vars: Map = serde_json::from_str(
        r#"{"pv":"play","pe":"play","pf":"play","ph":"play","pd":"play","iv_host":"play"}"#,
    )
    .unwrap();
    let mut files = load_mapping_file(&data().join("pb/static.yml")).unwrap();
    if dialect == Dialect::Legacy12 {
        files.extend(load_mapping_file(&data().join("pb/vars/default.yml")).unwrap());
    }
    let hosts = inv.select("all", None, dialect).unwrap();
    let mut store = VarStore::new(&inv, extra, dialect);
    for h in &hosts {
        store.enter_host(h);
        let own = data().join(format!("pb/vars/{h}.yml"));
        if own.exists() {
            store.add_host_file_vars(h, load_mapping_file(&own).unwrap());
        } else if dialect == Dialect::Modern {
            let default = data().join("pb/vars/default.yml");
            store.add_host_file_vars(h, load_mapping_file(&default).unwrap());
        }
    }
    let layers = VarLayers::new(&play_vars, &files, &hosts);
    let mut checked = 0;
    for task in ["t1", "t2", "t3", "t4"] {
        let hv = store.hostvars();
        for h in &hosts {
            let line = golden
                .lines()
                .find(|l| l.starts_with(&format!("{task} {h} ")))
                .unwrap_or_else(|| panic!("no golden line for {task} {h}"));
            let vars = store.task_vars(h, &layers);
            for pair in line.splitn(3, ' ').nth(2).unwrap().split(' ') {
                let (k, want) = pair.split_once('=').unwrap();
                let got = match k {
                    "short" => text(vars.get("inventory_hostname_short")),
                    "groups_prod" => text(vars.get("groups").and_then(|g| g.get("prod"))),
                    "hv_w2" => text(hv.get("w2").as_ref().and_then(|v| v.get("iv_grp"))),
                    _ => text(vars.get(k)),
                };
                assert_eq!(got, want, "{dialect:?} {task} {h}: {k}");
                checked += 1;
            }
        }
        // After the task: facts (none), extra vars again (1.2), then `register`.
        for h in &hosts {
            store.apply_extra_vars_after_task(h);
            if task == "t2" {
                let mut r = Map::new();
                r.insert("msg".into(), "…".into());
                store.register(h, "ev", Value::Object(r));
            }
        }
    }
    checked
}

#[test]
fn precedence_matches_ansible_12() {
    assert_eq!(replay(Dialect::Legacy12, "precedence12.txt"), 4 * 3 * 22);
}

/// The same run on ansible-core 2.19 (modern precedence).
#[test]
fn precedence_matches_ansible_core() {
    assert_eq!(replay(Dialect::Modern, "precedence-modern.txt"), 4 * 3 * 22);
}
