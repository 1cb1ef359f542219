//! Unit tests of the inventory model (oracle-backed goldens are in tests/inventory_patterns.rs).

use super::*;

const HOSTS: &str =
    "[core]\ncore-0[1:3] ansible_ssh_host=10.1.1.1\n\n[cn]\ncn-[01:04]\n\n[com]\ncom\n";

fn inv() -> Inventory {
    Inventory::from_ini_str(HOSTS, "hosts").unwrap()
}

fn sel(inv: &Inventory, p: &str, l: Option<&str>) -> Vec<String> {
    inv.select(p, l, Dialect::Legacy12).unwrap()
}

#[test]
fn spec_examples_legacy() {
    let inv = inv();
    assert_eq!(sel(&inv, "core:!core-02", None), ["core-01", "core-03"]);
    assert_eq!(
        sel(&inv, "all:&core", None),
        ["core-01", "core-02", "core-03"]
    );
    assert_eq!(sel(&inv, "core[1]", None), ["core-02"]);
    assert_eq!(sel(&inv, "core[0-1]", None), ["core-01", "core-02"]);
    assert_eq!(
        sel(&inv, "all", Some("core,com")),
        ["com", "core-01", "core-02", "core-03"]
    );
    assert_eq!(
        sel(&inv, "!core:core", None),
        ["core-01", "core-02", "core-03"]
    );
    assert_eq!(sel(&inv, "~core-0[12]", None), ["core-01", "core-02"]);
    assert!(sel(&inv, "cn-0[1-2]", None).is_empty());
}

#[test]
fn ini_model() {
    let inv = inv();
    assert_eq!(inv.hosts().len(), 8);
    assert_eq!(inv.groups_of("core-02"), ["core"]);
    let v = inv.host_vars("core-02");
    assert_eq!(v["ansible_ssh_host"], "10.1.1.1");
    assert_eq!(v["inventory_hostname_short"], "core-02");
    let g = inv.groups();
    assert_eq!(g["all"].len(), 8);
    assert_eq!(g["cn"], ["cn-01", "cn-02", "cn-03", "cn-04"]);
    assert!(g["ungrouped"].is_empty());
}

#[test]
fn group_vars_children_depth() {
    let text = "top1 a=host\n[web]\nw1 x=1\n[db]\nd1\n[prod:children]\nweb\ndb\n[prod:vars]\nx=prod\ny='quoted'\n[web:vars]\nx=web\n[all:vars]\nz=all\n";
    let inv = Inventory::from_ini_str(text, "inv").unwrap();
    let w = inv.host_vars("w1");
    assert_eq!(w["x"], "1"); // host line wins
    assert_eq!(w["y"], "quoted");
    assert_eq!(w["z"], "all");
    assert_eq!(inv.host_vars("d1")["x"], "prod");
    assert_eq!(inv.groups_of("w1"), ["prod", "web"]);
    assert_eq!(inv.groups_of("top1"), ["ungrouped"]);
    assert_eq!(sel(&inv, "prod", None), ["d1", "w1"]);
    // Modern reads INI values as Python literals (checked with ansible-core 2.19).
    assert_eq!(inv.host_vars_dialect("w1", Dialect::Modern)["x"], 1);
    let m = Inventory::from_ini_str(
        "[g]\nh n=5 b=True s=\"5\" l=\"[1, 2]\" q='x y'\n[g:vars]\ngn=5\ngb=True\ngq='5'\n",
        "i",
    )
    .unwrap();
    let v = m.host_vars_dialect("h", Dialect::Modern);
    let want = serde_json::json!({"n": 5, "b": true, "s": 5, "l": [1, 2], "q": "x y", "gn": 5, "gb": true, "gq": "5"});
    for (k, w) in want.as_object().unwrap() {
        assert_eq!(&v[k], w, "{k}");
    }
    let v = m.host_vars("h");
    assert_eq!(
        (v["gn"].clone(), v["gq"].clone(), v["s"].clone()),
        ("5".into(), "5".into(), "5".into())
    );
}

#[test]
fn ini_errors_have_positions() {
    let e = Inventory::from_ini_str("[a]\nh[1:x]\n", "inv")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("inv:2:1:"), "{e}");
    let e = Inventory::from_ini_str("[a:children]\nnope\n", "inv")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("inv:2:1:") && e.contains("child group is not defined"),
        "{e}"
    );
    let e = Inventory::from_ini_str("[a]\nh\n[a:vars]\nnovalue\n", "inv")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("inv:4:1:"), "{e}");
    let e = Inventory::from_ini_str("[a]\nh  k=\"open\n", "inv")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("inv:2:1:"), "{e}");
}

#[test]
fn host_list_and_ports() {
    let inv = Inventory::from_host_list("a,b:2222,");
    assert_eq!(inv.hosts(), ["a", "b"]);
    assert_eq!(inv.host_vars("b")["ansible_ssh_port"], 2222);
    let inv = Inventory::from_ini_str("h1:2200\nh2:22\n", "inv").unwrap();
    assert_eq!(inv.host_vars("h1")["ansible_ssh_port"], 2200);
    assert_eq!(inv.host_vars("h2")["ansible_ssh_port"], 22);
}

#[test]
fn yaml_inventory() {
    let text = "all:\n  hosts:\n    lone:\n  children:\n    core:\n      hosts:\n        core-0[1:2]: {ansible_host: 10.0.0.1, n: 3}\n      vars:\n        ansible_user: root\n";
    let inv = Inventory::from_yaml_str(text, "inv.yml").unwrap();
    assert_eq!(inv.hosts(), ["lone", "core-01", "core-02"]);
    assert_eq!(inv.host_vars("core-02")["n"], 3);
    assert_eq!(inv.host_vars("core-02")["ansible_user"], "root");
    assert_eq!(inv.groups_of("lone"), ["ungrouped"]);
    assert_eq!(
        inv.select("all", None, Dialect::Modern).unwrap(),
        ["lone", "core-01", "core-02"]
    );
    let e = Inventory::from_yaml_str("all:\n  hostz: {}\n", "inv.yml")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("inv.yml:2:3:"), "{e}");
}

#[test]
fn modern_patterns() {
    let inv = inv();
    let m = |p: &str| inv.select(p, None, Dialect::Modern).unwrap();
    assert_eq!(m("com,core"), ["com", "core-01", "core-02", "core-03"]);
    assert_eq!(m("!core-02:core"), ["core-01", "core-03"]);
    assert_eq!(m("core[0:1]"), ["core-01", "core-02"]);
    assert_eq!(m("core[-1]"), ["core-03"]);
    assert_eq!(m("~core-0[12]"), ["core-01", "core-02"]);
    assert_eq!(m("localhost"), ["localhost"]);
    assert_eq!(
        inv.select("all", Some("!cn"), Dialect::Modern).unwrap(),
        ["core-01", "core-02", "core-03", "com"]
    );
}

#[test]
fn add_host_and_group_by() {
    let mut inv = inv();
    inv.add_group_member("RedHat", "core-01");
    assert_eq!(inv.groups_of("core-01"), ["RedHat", "core"]);
    assert_eq!(sel(&inv, "RedHat", None), ["core-01"]);
    let mut vars = Map::new();
    vars.insert("ansible_ssh_host".into(), "10.9.9.9".into());
    inv.add_host("new", &["fresh".to_string()], vars);
    assert_eq!(sel(&inv, "fresh", None), ["new"]);
    assert_eq!(inv.host_vars("new")["ansible_ssh_host"], "10.9.9.9");
    assert!(inv.hosts().contains(&"new".to_string()));
}

/// A host in two groups of equal depth that both set `x`: 1.2's winner follows Python 2 dict
/// order (observed with real Ansible 1.2: `ansible h -c local -m debug -a 'msg={{x}}'`).
#[test]
fn equal_depth_ties_follow_python2_dict_order() {
    let observed = [
        ("a", "b", "b"),
        ("b", "a", "b"),
        ("web", "db", "db"),
        ("db", "web", "db"),
        ("zeta", "alpha", "zeta"),
        ("core", "com", "com"),
        ("g1", "g2", "g1"),
        ("g2", "g1", "g1"),
        ("RedHat", "core", "RedHat"),
    ];
    for (g1, g2, want) in observed {
        let text = format!("[{g1}]\nh\n[{g2}]\nh\n[{g1}:vars]\nx={g1}\n[{g2}:vars]\nx={g2}\n");
        let inv = Inventory::from_ini_str(&text, "inv").unwrap();
        assert_eq!(inv.host_vars("h")["x"], want, "{g1} {g2}");
        // Modern Ansible sorts equal-depth groups by name.
        let modern_want = if g1 > g2 { g1 } else { g2 };
        assert_eq!(
            inv.host_vars_dialect("h", Dialect::Modern)["x"],
            modern_want,
            "{g1} {g2}"
        );
    }
}

/// The same ties through `group_vars/` files (1.2's vars plugin), observed with real 1.2.
#[test]
fn equal_depth_group_vars_files_follow_python2_dict_order() {
    let observed = [
        ("web", "db", "db"),
        ("core", "com", "com"),
        ("g1", "g2", "g1"),
        ("RedHat", "core", "RedHat"),
        ("a", "b", "b"),
        ("zeta", "alpha", "zeta"),
    ];
    for (g1, g2, want) in observed {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("group_vars")).unwrap();
        std::fs::write(dir.path().join("inv"), format!("[{g1}]\nh\n[{g2}]\nh\n")).unwrap();
        std::fs::write(dir.path().join("group_vars").join(g1), format!("y: {g1}\n")).unwrap();
        std::fs::write(dir.path().join("group_vars").join(g2), format!("y: {g2}\n")).unwrap();
        let inv = Inventory::load(&dir.path().join("inv")).unwrap();
        assert_eq!(inv.host_vars("h")["y"], want, "{g1} {g2}");
    }
}

/// A directory of inventories, as real Ansible 1.2 read it (`ansible ... -i DIR`): files sorted,
/// sub-directories read, `*.bak` and `group_vars/` skipped, later files' host variables win.
#[test]
fn directory_inventory_like_12() {
    let dir = tempfile::tempdir().unwrap();
    let inv_dir = dir.path().join("inv");
    std::fs::create_dir_all(inv_dir.join("group_vars")).unwrap();
    std::fs::create_dir_all(inv_dir.join("sub")).unwrap();
    let w = |p: &str, t: &str| std::fs::write(inv_dir.join(p), t).unwrap();
    w("a", "[web]\nw1 x=a1 only_a=1\nw2\n[web:vars]\ngv=a\n");
    w(
        "b",
        "[web]\nw1 x=b1\nw3\n[db]\nd1\n[prod:children]\nweb\n[prod:vars]\np=b\n",
    );
    w("sub/c", "[extra]\ne1\n");
    w("b.bak", "[broken\n=junk x\n");
    w("group_vars/all", "fromfile: all\n");
    let inv = Inventory::load(&inv_dir).unwrap();
    assert_eq!(sel(&inv, "all", None), ["d1", "e1", "w1", "w2", "w3"]);
    assert_eq!(sel(&inv, "prod", None), ["w1", "w2", "w3"]);
    let show = |h: &str| {
        let v = inv.host_vars(h);
        let g = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("U").to_string();
        let names: Vec<String> = inv.groups_of(h);
        format!(
            "{},{},{},{},{},{}",
            g("x"),
            g("only_a"),
            g("gv"),
            g("p"),
            g("fromfile"),
            names.join(":")
        )
    };
    // What 1.2 printed for `debug msg=...` on each host.
    assert_eq!(show("w1"), "b1,1,a,b,all,prod:web");
    assert_eq!(show("w2"), "U,U,a,b,all,prod:web");
    assert_eq!(show("d1"), "U,U,U,U,all,db");
    assert_eq!(show("e1"), "U,U,U,U,all,extra");
    assert_eq!(inv.source(), Some(inv_dir.as_path()));
    assert_eq!(inv.basedir(), Some(inv_dir.as_path()));
}

/// Modern `group_vars/NAME/` directories and `.json` files; 1.2 reads neither.
#[test]
fn modern_group_vars_forms() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir_all(p.join("group_vars/web")).unwrap();
    std::fs::write(p.join("hosts"), "[web]\nw1\n").unwrap();
    std::fs::write(p.join("group_vars/web/10-a.yml"), "a: 1\nb: 1\n").unwrap();
    std::fs::write(p.join("group_vars/web/20-b.yaml"), "b: 2\n").unwrap();
    std::fs::write(p.join("group_vars/all.json"), "{\"j\": true}").unwrap();
    std::fs::write(p.join("group_vars/README.md"), "# not YAML: [\n").unwrap();
    let inv = Inventory::load(&p.join("hosts")).unwrap();
    let m = inv.host_vars_dialect("w1", Dialect::Modern);
    assert_eq!(
        (m["a"].clone(), m["b"].clone(), m["j"].clone()),
        (1.into(), 2.into(), true.into())
    );
    let l = inv.host_vars("w1");
    assert!(!l.contains_key("a") && !l.contains_key("j"));
    // A broken bare-named file is an error only when a group or host has that name.
    std::fs::write(p.join("group_vars/web.yml"), "- a list\n").unwrap();
    let e = Inventory::load(&p.join("hosts")).unwrap_err().to_string();
    assert!(e.contains("web.yml:1:1") && e.contains("dictionary"), "{e}");
}

#[test]
fn locate_explicit_forms() {
    let inv = Inventory::locate_and_load(Some("h1,h2")).unwrap();
    assert_eq!(inv.hosts(), ["h1", "h2"]);
    assert!(inv.source().is_none());
    let e = Inventory::locate_and_load(Some("/nonexistent/inventory")).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/inventory"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("inv.yml");
    std::fs::write(&f, "all:\n  hosts:\n    y1:\n").unwrap();
    assert_eq!(
        Inventory::locate_and_load(f.to_str()).unwrap().hosts(),
        ["y1"]
    );
    // An executable file is a dynamic inventory script: refused.
    let s = dir.path().join("d");
    std::fs::create_dir(&s).unwrap();
    let script = s.join("script");
    std::fs::write(&script, "#!/bin/sh\necho {}\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(Inventory::load(&s)
        .unwrap_err()
        .to_string()
        .contains("not supported"));
}

/// Issue 18 item 7: what 1.2 bent silently into hosts or groups is refused, with file:line:col.
#[test]
fn ini_mistakes_are_refused_with_positions() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "[lab]\ncn-0[1-\n",
            "inv:2:1:",
            "unclosed or malformed range",
        ),
        ("[lab]\ncn-0[1:\n", "inv:2:1:", "host 'cn-0[1:'"),
        ("[lab]\n  cn-0[1:3 x=1\n", "inv:2:3:", "host 'cn-0[1:3'"),
        ("[lab\nh1\n", "inv:1:1:", "missing its closing ']'"),
        ("[lab]]\nh1\n", "inv:1:1:", "unexpected text ']'"),
        ("[]\nh1\n", "inv:1:1:", "has no group name"),
        ("[a b]\nh1\n", "inv:1:1:", "contains ' '"),
        ("[lab:var]\nx=1\n", "inv:1:1:", "unknown type 'var'"),
        ("[lab]\ncn-0[3:1]\n", "inv:2:1:", "ends before it begins"),
        ("[lab]\ncn-[c:a]\n", "inv:2:1:", "ends before it begins"),
        ("[lab]\nh1 x\n", "inv:2:4:", "not in key=value form"),
    ];
    for (text, at, what) in cases {
        match Inventory::from_ini_str(text, "inv") {
            Ok(inv) => panic!("{text:?} was accepted: hosts {:?}", inv.hosts()),
            Err(e) => {
                let e = e.to_string();
                assert!(e.contains(what), "{text:?}: {e}");
                assert!(e.starts_with(at), "{text:?}: {e}");
            }
        }
    }
}

#[test]
fn ini_headers_comments_and_ipv6_still_read() {
    let text = "[lab] # the lab\nh[1:2]\n[lab:vars]   # vars\nx=1\n[all:children]\nlab\n";
    let inv = Inventory::from_ini_str(text, "inv").unwrap();
    assert_eq!(inv.hosts(), ["h1", "h2"]);
    assert_eq!(inv.host_vars("h2")["x"], "1");
    let inv = Inventory::from_yaml_str("v6:\n  hosts:\n    '[fe80::1]':\n", "inv.yml").unwrap();
    assert_eq!(inv.hosts(), ["[fe80::1]"]);
}

#[test]
fn yaml_inventory_unclosed_range_is_refused() {
    let e = Inventory::from_yaml_str("all:\n  hosts:\n    'cn-0[1-':\n", "inv.yml")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("inv.yml:3:5:") && e.contains("unclosed or malformed range"),
        "{e}"
    );
}

/// A broken subscript would match the whole group (ansible-core drops it with a warning):
/// refused in both dialects, for the pattern and for `--limit`.
#[test]
fn unbalanced_brackets_in_patterns_are_refused() {
    let inv = inv();
    for d in [Dialect::Legacy12, Dialect::Modern] {
        for p in [
            "core[1-",
            "core[0:",
            "core]",
            "core[[0]]",
            "cn,core[",
            "!core[",
        ] {
            let e = inv.select(p, None, d).unwrap_err().to_string();
            assert!(e.starts_with(&format!("invalid host pattern '{p}'")), "{e}");
            let e = inv.select("all", Some(p), d).unwrap_err().to_string();
            assert!(e.contains("'['") || e.contains("']'"), "{e}");
        }
        // Still read: subscripts, fnmatch classes, regexes with brackets, IPv6.
        for p in [
            "core[0]",
            "core-0[12]",
            "~core-0[12]",
            "~core-0[1-3]$",
            "cn:&core[0]",
        ] {
            inv.select(p, None, d).unwrap();
        }
    }
    assert_eq!(
        inv.select("core[0:1]", None, Dialect::Modern).unwrap(),
        ["core-01", "core-02"]
    );
}

/// Issue 18 item 9 (fuzzing found it): a range of many hosts in one group is read in linear
/// time (each insert once scanned the group's hosts: 41085 hosts took 10 s).
#[test]
fn large_host_ranges_are_read_in_linear_time() {
    let start = std::time::Instant::now();
    let inv = Inventory::from_ini_str("[cn]\ncn-[0:199999]\n", "hosts").unwrap();
    assert_eq!(inv.hosts().len(), 200_000);
    // Linear: ~0.5 s in a debug build; the quadratic insertion took minutes. A wide margin, as
    // a hang check (the machine is shared), not a speed target.
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
}
