//! Precedence tests (the cases checked against real Ansible 1.2 are in tests/vars_precedence.rs).

use super::*;

fn map(pairs: &[(&str, &str)]) -> Map {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect()
}

fn inv() -> Inventory {
    Inventory::from_ini_str(
        "[web]\nw1 x=host\nw2\n[web:vars]\nx=group\ny=group\n",
        "hosts",
    )
    .unwrap()
}

#[test]
fn legacy_order() {
    let inv = inv();
    let mut st = VarStore::new(
        &inv,
        map(&[("e", "extra"), ("f", "extra")]),
        Dialect::Legacy12,
    );
    let pv = map(&[("x", "play"), ("e", "play"), ("f", "play"), ("p", "play")]);
    let vf = map(&[("f", "vars_file"), ("y", "vars_file")]);
    let hosts = vec!["w1".to_string(), "w2".to_string()];
    let l = VarLayers::new(&pv, &vf, &hosts);
    let v = st.task_vars("w1", &l);
    assert_eq!(v["x"], "play"); // play vars beat inventory
    assert_eq!(v["e"], "extra"); // extra beats play vars
    assert_eq!(v["f"], "vars_file"); // static vars_files beat extra (1.2 quirk)
    assert_eq!(v["y"], "vars_file");
    assert_eq!(v["inventory_hostname"], "w1");
    assert_eq!(v["group_names"], serde_json::json!(["web"]));
    assert_eq!(v["groups"]["web"], serde_json::json!(["w1", "w2"]));
    assert!(!v.contains_key("play_hosts"));
    // Host-specific vars files and facts go into the per-host cache: they beat play vars.
    st.add_host_file_vars("w1", map(&[("p", "host_file"), ("f", "host_file")]));
    st.set_facts("w1", map(&[("ansible_os_family", "RedHat")]));
    let v = st.task_vars("w1", &l);
    assert_eq!(v["p"], "host_file");
    assert_eq!(v["f"], "host_file");
    assert_eq!(v["ansible_os_family"], "RedHat");
    // After a completed task the extra vars are written into the cache again.
    st.apply_extra_vars_after_task("w1");
    assert_eq!(st.task_vars("w1", &l)["f"], "extra");
    st.register("w1", "f", "registered".into());
    assert_eq!(st.task_vars("w1", &l)["f"], "registered");
    // w2 untouched.
    assert_eq!(st.task_vars("w2", &l)["f"], "vars_file");
}

#[test]
fn modern_order() {
    let inv = inv();
    let mut st = VarStore::new(&inv, map(&[("e", "extra")]), Dialect::Modern);
    let pv = map(&[("x", "play"), ("e", "play"), ("f", "play")]);
    let vf = map(&[("f", "vars_file")]);
    let rd = map(&[("x", "default"), ("d", "default")]);
    let tv = map(&[("t", "task")]);
    let hosts = vec!["w1".to_string()];
    let mut l = VarLayers::new(&pv, &vf, &hosts);
    l.role_defaults = Some(&rd);
    l.task_vars = Some(&tv);
    st.set_facts("w1", map(&[("ansible_os_family", "Debian"), ("x", "fact")]));
    let v = st.task_vars("w1", &l);
    assert_eq!(v["x"], "play"); // play vars beat facts beat inventory beat defaults
    assert_eq!(v["d"], "default");
    assert_eq!(v["e"], "extra");
    assert_eq!(v["f"], "vars_file");
    assert_eq!(v["ansible_facts"]["os_family"], "Debian");
    assert_eq!(v["play_hosts"], serde_json::json!(["w1"]));
    st.set_fact("w1", "t", "set_fact".into());
    st.set_fact("w1", "e", "set_fact".into());
    let v = st.task_vars("w1", &l);
    assert_eq!(v["t"], "set_fact"); // set_fact beats task vars
    assert_eq!(v["e"], "extra"); // extra always wins
}

#[test]
fn hostvars_snapshot_is_stable() {
    let inv = inv();
    let mut st = VarStore::new(&inv, Map::new(), Dialect::Legacy12);
    st.enter_host("w2");
    st.enter_host("w1");
    st.set_facts("w1", map(&[("ansible_hostname", "one")]));
    let hv = st.hostvars();
    st.set_facts("w1", map(&[("ansible_hostname", "changed")]));
    assert_eq!(hv.hosts(), ["w2", "w1"]);
    let w1 = hv.get("w1").unwrap();
    assert_eq!(w1["ansible_hostname"], "one");
    assert_eq!(w1["x"], "host");
    assert_eq!(
        st.hostvars().get("w1").unwrap()["ansible_hostname"],
        "changed"
    );
    assert!(hv.get("nope").is_none());
}

#[test]
fn group_by_keeps_12_cached_inventory_vars() {
    let inv = inv();
    let mut legacy = VarStore::new(&inv, Map::new(), Dialect::Legacy12);
    let mut modern = VarStore::new(&inv, Map::new(), Dialect::Modern);
    legacy.add_group_member("RedHat", "w1");
    modern.add_group_member("RedHat", "w1");
    let pv = Map::new();
    let hosts = vec!["w1".to_string()];
    let l = VarLayers::new(&pv, &pv, &hosts);
    assert_eq!(
        legacy.task_vars("w1", &l)["group_names"],
        serde_json::json!(["web"])
    );
    assert_eq!(
        modern.task_vars("w1", &l)["group_names"],
        serde_json::json!(["RedHat", "web"])
    );
    assert_eq!(
        legacy.task_vars("w1", &l)["groups"]["RedHat"],
        serde_json::json!(["w1"])
    );
}

#[test]
fn thousand_hosts_not_quadratic() {
    let mut text = String::from("[all:vars]\na=1\n");
    for g in 0..20 {
        text.push_str(&format!("[g{g}]\n"));
        for h in 0..50 {
            text.push_str(&format!("h{g}-{h} v={h}\n"));
        }
        text.push_str(&format!("[g{g}:vars]\ngv={g}\n"));
    }
    let t = std::time::Instant::now();
    let inv = Inventory::from_ini_str(&text, "big").unwrap();
    let st = VarStore::new(&inv, Map::new(), Dialect::Legacy12);
    let pv = Map::new();
    let hosts: Vec<String> = inv.hosts().to_vec();
    let l = VarLayers::new(&pv, &pv, &hosts);
    let hv = st.hostvars();
    let mut n = 0;
    for h in inv.hosts() {
        n += st.task_vars(h, &l).len();
        n += hv
            .get(h)
            .map(|v| v.as_object().map_or(0, |m| m.len()))
            .unwrap_or(0);
    }
    assert_eq!(inv.hosts().len(), 1000);
    assert!(n > 0);
    assert_eq!(
        inv.select("g3:&~h3-1.*", None, Dialect::Legacy12)
            .unwrap()
            .len(),
        11
    );
    // Unoptimised test build on a shared 2-core box: generous bound, catches quadratic blowups.
    assert!(t.elapsed().as_secs_f64() < 5.0, "{:?}", t.elapsed());
}

#[test]
fn store_and_inventory_are_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<VarStore>();
    check::<Inventory>();
    check::<VarsError>();
}

#[test]
fn record_task_result_keeps_12_order() {
    let inv = inv();
    let mut st = VarStore::new(
        &inv,
        map(&[("r", "extra"), ("ansible_x", "extra")]),
        Dialect::Legacy12,
    );
    let pv = Map::new();
    let hosts = vec!["w1".to_string()];
    let l = VarLayers::new(&pv, &pv, &hosts);
    st.record_task_result(
        "w1",
        Some(map(&[("ansible_x", "fact")])),
        Some(("r", "registered".into())),
    );
    let v = st.task_vars("w1", &l);
    assert_eq!(v["r"], "registered"); // register after the extra vars: wins for one task
    assert_eq!(v["ansible_x"], "extra"); // facts before the extra vars: lose
    st.record_task_result("w1", None, None);
    assert_eq!(st.task_vars("w1", &l)["r"], "extra");
}

#[test]
fn hosts_unreachable_at_fact_gathering_leave_12_hostvars() {
    let inv = inv();
    let mut st = VarStore::new(&inv, Map::new(), Dialect::Legacy12);
    let hosts: Vec<String> = inv.hosts().to_vec();
    for h in &hosts {
        st.enter_host(h);
    }
    st.leave_hostvars(&hosts[0]);
    let listed = st.hostvars().hosts();
    assert!(!listed.contains(&hosts[0]), "{listed:?}");
    assert_eq!(listed.len(), hosts.len() - 1);
}
