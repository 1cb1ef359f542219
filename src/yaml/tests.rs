use super::*;
use serde_json::json;

fn one(src: &str) -> Value {
    let docs = load_str(src, "t.yml").unwrap();
    assert_eq!(docs.len(), 1, "{src}");
    docs[0].to_value()
}

#[test]
fn yaml11_scalars() {
    let v = one(
        "a: yes\nb: 'yes'\nc: 0644\nd: '0644'\ne: 1_000\nf: ~\ng: on\nh: 1:30\ni: 3.10\n\
         j: 1e3\nk: 695e84e6\nl: Off\nm: y\nn:\no: 3.4.0\np: 0x1F\nq: 0b101\nr: \"0644\"\n",
    );
    assert_eq!(
        v,
        json!({"a": true, "b": "yes", "c": 420, "d": "0644", "e": 1000, "f": null, "g": true,
               "h": 90, "i": 3.1, "j": "1e3", "k": "695e84e6", "l": false, "m": "y", "n": null,
               "o": "3.4.0", "p": 31, "q": 5, "r": "0644"})
    );
}

#[test]
fn merge_keys_follow_pyyaml_flatten_order() {
    let v = one("a: &a {x: 1, z: 1}\nb: &b {y: 2, z: 2}\nm:\n  <<: [*a, *b]\n  w: 0\n  x: 9\n");
    let m = v["m"].as_object().unwrap();
    assert_eq!(m.keys().collect::<Vec<_>>(), ["y", "z", "x", "w"]);
    assert_eq!(v["m"], json!({"y": 2, "z": 1, "x": 9, "w": 0}));
}

#[test]
fn duplicate_keys_last_wins_first_position() {
    let v = one("tags: [state]\nname: x\ntags: [slurm]\n");
    assert_eq!(v, json!({"tags": ["slurm"], "name": "x"}));
    assert_eq!(v.as_object().unwrap().keys().next().unwrap(), "tags");
    // Python equality: a later `1:` replaces the value of the `True` key.
    let v = one("yes: a\n1: b\n");
    assert_eq!(v, json!({"True": "b"}));
}

#[test]
fn double_quoted_escapes_and_folding() {
    let v = one(
        "a: \"regexp='^#\\ chkconfig'\"\nb: 'x \\$TTY'\nc: name={{item}}\n   state=installed\n",
    );
    assert_eq!(v["a"], "regexp='^# chkconfig'");
    assert_eq!(v["b"], "x \\$TTY");
    assert_eq!(v["c"], "name={{item}} state=installed");
}

#[test]
fn positions_are_one_based() {
    let docs = load_str("- hosts: all\n  tasks:\n    - name: x\n", "p.yml").unwrap();
    let play = &docs[0].as_seq().unwrap()[0];
    let tasks = play.get("tasks").unwrap();
    let task = &tasks.as_seq().unwrap()[0];
    let name = task.get("name").unwrap();
    assert_eq!((name.pos.line, name.pos.col), (3, 13));
    let key = &task.as_map().unwrap()[0].0;
    assert_eq!((key.pos.line, key.pos.col), (3, 7));
}

#[test]
fn multiple_and_empty_documents() {
    assert!(load_str("", "e.yml").unwrap().is_empty());
    assert!(load_str("# only a comment\n", "e.yml").unwrap().is_empty());
    let docs = load_str("---\na: 1\n---\n- b\n", "m.yml").unwrap();
    assert_eq!(docs.len(), 2);
}

#[test]
fn tags() {
    let v = one("a: !!str 0644\nb: ! 12\nc: !!int '0644'\nd: !!float '1'\n");
    assert_eq!(v, json!({"a": "0644", "b": 12, "c": 420, "d": 1.0}));
    assert!(load_str("a: !foo x\n", "t.yml").is_err());
    assert!(load_str("a: =\n", "t.yml").is_err());
    assert_eq!(one("=: 1\n"), json!({"=": 1}));
}

#[test]
fn errors_carry_positions() {
    let err = load_str("a:\n\tb: 1\n", "tab.yml").unwrap_err();
    let pos = err.pos();
    assert_eq!(pos.file.to_str(), Some("tab.yml"));
    assert_eq!(pos.line, 2, "{err}");

    let err = load_str(
        "- hosts: all\n  tasks:\n    - name: \"unterminated\n",
        "trunc.yml",
    )
    .unwrap_err();
    assert!(matches!(err, YamlError::Syntax { .. }), "{err}");
    assert!(err.to_string().starts_with("trunc.yml:"), "{err}");

    let err = load_str("a: *nope\n", "alias.yml").unwrap_err();
    assert_eq!((err.pos().line, err.pos().col), (1, 4), "{err}");
    assert!(load_str("? [a]\n: 1\n", "k.yml").is_err());
}

#[test]
fn alias_bomb_is_bounded() {
    let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        src.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let err = load_str(&src, "bomb.yml").unwrap_err();
    assert!(err.to_string().contains("alias expansion"), "{err}");
}

#[test]
fn map_strings_touches_values_only() {
    let mut docs = load_str("\"{{ k }}\": \"{{ v }}\"\nl: [\"{{ x }}\"]\n", "s.yml").unwrap();
    docs[0].map_strings(&mut |s| *s = s.replace("{{ ", "{{"));
    assert_eq!(
        docs[0].to_value(),
        json!({"{{ k }}": "{{v }}", "l": ["{{x }}"]})
    );
}
