//! Unit tests of the public templating API against behaviour verified with Ansible 1.2.

use super::*;
use serde_json::json;

fn vars() -> Map {
    let v = json!({
        "master": "core-01",
        "backup": "core-02",
        "inventory_hostname": "core-01",
        "x": "{{master}}-a",
        "y": "{{master}}-b",
        "lst": ["a", "b"],
        "nets": {"system": "10.1.0.0"},
        "is_master": "'$inventory_hostname' == '$master'",
        "is_backup": "'$inventory_hostname' == '$backup'",
        "is_schema": "'$schema' == 'yes'",
        "ntps": ["148.6.0.1"],
        "ansible_os_family": "RedHat",
    });
    match v {
        Value::Object(m) => m,
        _ => unreachable!(),
    }
}

fn t(s: &str) -> String {
    let vars = vars();
    let ctx = TemplateContext::new(&vars, Path::new("/tmp"), Dialect::Legacy12, None);
    Templar::new().template_str(s, &ctx).unwrap()
}

fn cond(kind: ConditionKind, s: &str) -> Result<bool, TemplateError> {
    let vars = vars();
    let ctx = TemplateContext::new(&vars, Path::new("/tmp"), Dialect::Legacy12, None);
    Templar::new().eval_condition(kind, &json!(s), &ctx)
}

#[test]
fn legacy_substitution_as_verified() {
    assert_eq!(
        t("B simple $master $undefinedvar"),
        "B simple core-01 $undefinedvar"
    );
    assert_eq!(
        t("C ${master} ${nets.system} ${nosuch}"),
        "C core-01 10.1.0.0 ${nosuch}"
    );
    assert_eq!(t("H ${1:-x} $master"), "H ${1:-x} $master");
    assert_eq!(
        t("mid $x and ${y} and $lst end"),
        "mid core-01-a and core-01-b and a,b end"
    );
    assert_eq!(t("\\$TTY \\$master"), "$TTY $master");
    assert_eq!(
        t("a={{master}} b={{nosuchvar}} c=$master"),
        "a={{master}} b={{nosuchvar}} c=core-01"
    );
    assert_eq!(t("{{ \"$\" }}master"), "core-01");
    assert_eq!(t("{{ ntps }}"), "['148.6.0.1']");
    assert_eq!(t("{{ nets }}"), "{'system': '10.1.0.0'}");
    assert_eq!(t("$is_master"), "'core-01' == 'core-01'");
}

#[test]
fn whole_token_keeps_type() {
    let vars = vars();
    let ctx = TemplateContext::new(&vars, Path::new("/tmp"), Dialect::Legacy12, None);
    let v = Templar::new().template_value(&json!("$lst"), &ctx).unwrap();
    assert_eq!(v, json!(["a", "b"]));
}

#[test]
fn only_if_corpus_expressions() {
    assert!(cond(ConditionKind::OnlyIf, "$is_master").unwrap());
    assert!(!cond(ConditionKind::OnlyIf, "$is_backup").unwrap());
    assert!(cond(ConditionKind::OnlyIf, "$is_master or $is_backup").unwrap());
    assert!(!cond(ConditionKind::OnlyIf, "$is_master and $is_schema").unwrap());
    assert!(cond(ConditionKind::OnlyIf, "$is_X").is_err());
}

#[test]
fn when_as_12() {
    assert!(cond(ConditionKind::When, "ansible_os_family == \"RedHat\"").unwrap());
    assert!(!cond(ConditionKind::When, "ansible_os_family == \"Debian\"").unwrap());
    let e = cond(ConditionKind::When, "nosuch == 1")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(
            "Conditional expression must evaluate to True or False: {% if nosuch == 1 %}"
        ),
        "{e}"
    );
    assert!(cond(ConditionKind::WhenString, "'{{master}}' != ''").unwrap());
    assert!(!cond(ConditionKind::WhenString, "'$usehosts' == 'yes'").unwrap());
}

#[test]
fn loop_items_listify() {
    let vars = vars();
    let ctx = TemplateContext::new(&vars, Path::new("/tmp"), Dialect::Legacy12, None);
    let tp = Templar::new();
    assert_eq!(
        tp.loop_items("items", &json!("ntps"), &ctx).unwrap(),
        vec![json!("148.6.0.1")]
    );
    assert_eq!(
        tp.loop_items("items", &json!("$lst"), &ctx).unwrap(),
        vec![json!("a"), json!("b")]
    );
    assert_eq!(
        tp.loop_items("items", &json!(["x-{{master}}", ["y", "z"]]), &ctx)
            .unwrap(),
        vec![json!("x-core-01"), json!("y"), json!("z")]
    );
    assert_eq!(
        tp.loop_items("nested", &json!([["a", "b"], [1, 2]]), &ctx)
            .unwrap(),
        vec![
            json!(["a", 1]),
            json!(["a", 2]),
            json!(["b", 1]),
            json!(["b", 2])
        ]
    );
    assert_eq!(
        tp.loop_items("sequence", &json!("start=1 end=3 format=n%02d"), &ctx)
            .unwrap(),
        vec![json!("n01"), json!("n02"), json!("n03")]
    );
}

#[test]
fn modern_dialect() {
    let vars = vars();
    let ctx = TemplateContext::new(&vars, Path::new("/tmp"), Dialect::Modern, None);
    let tp = Templar::new();
    assert_eq!(
        tp.template_value(&json!("{{ lst }}"), &ctx).unwrap(),
        json!(["a", "b"])
    );
    assert_eq!(
        tp.template_str("$master {{ master }}", &ctx).unwrap(),
        "$master core-01"
    );
    assert!(tp.template_str("{{ nosuch }}", &ctx).is_err());
    assert!(tp
        .eval_condition(ConditionKind::When, &json!("master == 'core-01'"), &ctx)
        .unwrap());
    assert!(tp
        .eval_condition(
            ConditionKind::When,
            &json!(["lst | length == 2", "nosuch is not defined"]),
            &ctx
        )
        .unwrap());
}

#[test]
fn set_in_for_persists_like_jinja27() {
    let vars = vars();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.j2");
    std::fs::write(&p, "{% set x = 1 %}{% for i in [1,2,3] %}{{x}}{% set x = x + 1 %}{% endfor %}|{{x}}\n{% set first = 1 %}{% for i in 'abc' %}{% if not first %},{% endif %}{% if first %}{% set first = 0 %}{% endif %}{{i}}{% endfor %}\n").unwrap();
    let ctx = TemplateContext::new(&vars, dir.path(), Dialect::Legacy12, None);
    let r = Templar::new().render_file(&p, &ctx).unwrap();
    assert_eq!(r.text, "123|1\na,b,c\n");
}

#[test]
fn undefined_in_files_warns_or_fails_in_strict_mode() {
    let vars = vars();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("u.j2");
    std::fs::write(
        &p,
        "a={{ master }}\nb={{ nosuch }}{% if nosuch %}x{% endif %}\nc={{ nets.missing }}\n",
    )
    .unwrap();
    let mut ctx = TemplateContext::new(&vars, dir.path(), Dialect::Legacy12, None);
    let r = Templar::new().render_file(Path::new("u.j2"), &ctx).unwrap();
    // trim_blocks eats the newline after `{% endif %}`
    assert_eq!(r.text, "a=core-01\nb=c=\n");
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0].ends_with("u.j2:2: undefined variable 'nosuch' rendered empty"),
        "{:?}",
        r.warnings
    );
    ctx.strict_undefined = true;
    let e = Templar::new()
        .render_file(Path::new("u.j2"), &ctx)
        .unwrap_err()
        .to_string();
    assert!(e.contains("u.j2:2"), "{e}");
    std::fs::write(&p, "{{ nosuch.attr }}\n").unwrap();
    ctx.strict_undefined = false;
    assert!(Templar::new().render_file(Path::new("u.j2"), &ctx).is_err());
}

#[test]
fn legacy_pass_over_rendered_files() {
    let vars = vars();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.j2"),
        "ps1 '\\\\$?' $master ${1:-x} $master\n{{ \"{{\" }} master {{ \"}}\" }}",
    )
    .unwrap();
    let ctx = TemplateContext::new(&vars, dir.path(), Dialect::Legacy12, None);
    let r = Templar::new().render_file(Path::new("r.j2"), &ctx).unwrap();
    // the output is rendered by Jinja2 a second time (spec 8.3)
    assert_eq!(r.text, "ps1 '\\$?' core-01 ${1:-x} $master\ncore-01");
}

#[test]
fn lookups_file_and_legacy_file() {
    let vars = vars();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("keys")).unwrap();
    std::fs::write(dir.path().join("keys/k.pub"), "ssh-rsa AAA x@y\n\n").unwrap();
    let ctx = TemplateContext::new(&vars, dir.path(), Dialect::Legacy12, None);
    let tp = Templar::new();
    assert_eq!(
        tp.template_str("key=\"$FILE(keys/k.pub)\"", &ctx).unwrap(),
        "key=\"ssh-rsa AAA x@y\""
    );
    assert_eq!(
        tp.template_str("{{ lookup('file', 'keys/k.pub') }}", &ctx)
            .unwrap(),
        "ssh-rsa AAA x@y"
    );
    assert!(tp
        .template_str("{{ lookup('file', 'keys/none') }}", &ctx)
        .is_err());
    assert_eq!(
        tp.template_str("$PIPE(echo hi)-$ENV(NO_SUCH_FLOCK_VAR)", &ctx)
            .unwrap(),
        "hi-"
    );
}

#[test]
fn hostvars_iterate_in_python2_order() {
    struct Hv;
    impl HostVarsLookup for Hv {
        fn hosts(&self) -> Vec<String> {
            ["core-01", "core-02", "core-03", "core-04"]
                .map(String::from)
                .to_vec()
        }
        fn get(&self, host: &str) -> Option<Value> {
            Some(json!({"ansible_eth0": {"ipv4": {"address": format!("10.1.1.{}", &host[6..])}}}))
        }
    }
    let vars = vars();
    let ctx = TemplateContext::new(
        &vars,
        Path::new("/tmp"),
        Dialect::Legacy12,
        Some(Arc::new(Hv)),
    );
    let out = Templar::new()
        .template_str("{% for h in hostvars %}{{ h }}={{ hostvars[h]['ansible_eth0']['ipv4']['address'] }} {% endfor %}", &ctx)
        .unwrap();
    assert_eq!(
        out,
        "core-04=10.1.1.4 core-01=10.1.1.1 core-03=10.1.1.3 core-02=10.1.1.2 "
    );
    let sorted = Templar::new()
        .template_str("{% for h in hostvars|sort %}{{ h }} {% endfor %}", &ctx)
        .unwrap();
    assert_eq!(sorted, "core-01 core-02 core-03 core-04 ");
}

#[test]
fn bool_conditions_and_python_literals() {
    let vars = vars();
    let ctx = TemplateContext::new(&vars, Path::new("/tmp"), Dialect::Legacy12, None);
    let tp = Templar::new();
    assert!(tp
        .eval_condition(ConditionKind::When, &json!(true), &ctx)
        .unwrap());
    assert!(!tp
        .eval_condition(ConditionKind::When, &json!("False"), &ctx)
        .unwrap());
    assert!(tp
        .eval_condition(ConditionKind::OnlyIf, &json!(true), &ctx)
        .unwrap());
    assert_eq!(
        tp.template_str("{{ [1, 'a', none, true] }}", &ctx).unwrap(),
        "[1, 'a', None, True]"
    );
}

#[test]
fn ipaddr_basics() {
    let vars = vars();
    let ctx = TemplateContext::new(&vars, Path::new("/tmp"), Dialect::Modern, None);
    let tp = Templar::new();
    let t = |s: &str| tp.template_str(s, &ctx).unwrap();
    assert_eq!(t("{{ '10.1.2.3/16' | ipaddr }}"), "10.1.2.3/16");
    assert_eq!(t("{{ 'nonsense' | ipaddr }}"), "False");
    assert_eq!(t("{{ '10.1.2.3/16' | ipaddr('address') }}"), "10.1.2.3");
    assert_eq!(t("{{ '10.1.2.3/16' | ipaddr('network') }}"), "10.1.0.0");
    assert_eq!(t("{{ '10.1.2.3/16' | ipaddr('netmask') }}"), "255.255.0.0");
    assert_eq!(t("{{ '10.1.2.3/16' | ipaddr('prefix') }}"), "16");
    assert_eq!(
        t("{{ '10.1.2.3/16' | ipaddr('broadcast') }}"),
        "10.1.255.255"
    );
    assert_eq!(t("{{ '10.1.2.3' | ipaddr('prefix') }}"), "32");
    assert_eq!(
        t("{{ ['10.0.0.1', 'x', '::1'] | ipaddr }}"),
        "['10.0.0.1', '::1']"
    );
}

#[test]
fn templar_is_shareable() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<Templar>();
}
