//! `rabbitmq_user` and `rabbitmq_plugin` against a real rabbitmq-server started on a `debian` lab
//! host (by the `service` module): `--check` changes nothing, changed then ok, tags and
//! permissions as rabbitmqctl reports them, an unknown plugin failing with the tool's message,
//! removal. Skipped (with a note) where rabbitmq-server is missing.

mod packages_support;

use flock::lab::TestLab;
use packages_support::{on_host, playbook, recap, task_states, Scratch};

const PLAY: &str = r#"
- hosts: lab
  tasks:
    - rabbitmq_user: user=grid password=secret tags=monitoring,management vhost=/ configure_priv=.* read_priv=.* write_priv=^grid
    - rabbitmq_plugin: names=rabbitmq_management,rabbitmq_shovel state=enabled
"#;

#[test]
#[cfg_attr(
    not(flock_rabbitmq),
    ignore = "needs rabbitmq-server (scripts/test.sh)"
)]
fn rabbitmq_user_and_plugin_on_a_debian_lab() {
    let lab = TestLab::new(1);
    let s = Scratch::new("rabbitmq");
    let inv = s.write("inv", &lab.inventory_text());
    let h = lab.hosts()[0].name.clone();
    let start = s.write(
        "start.yml",
        "- hosts: lab\n  tasks:\n    - service: name=rabbitmq-server state=started\n",
    );
    let out = playbook(&lab, &inv, &start, &[]);
    assert!(out.status.success());
    let play = s.write("play.yml", PLAY);
    let users = || {
        on_host(
            &lab,
            &h,
            "rabbitmqctl -q --no-table-headers list_users | sort",
        )
    };
    let plugins = || on_host(&lab, &h, "rabbitmq-plugins -q list -E -m | sort");

    let out = playbook(&lab, &inv, &play, &["--check"]);
    assert!(out.status.success());
    assert_eq!(
        task_states(&out.stdout, &h),
        ["changed", "changed"],
        "--check"
    );
    assert_eq!(users(), "guest\t[administrator]");
    assert_eq!(plugins(), "");

    let out = playbook(&lab, &inv, &play, &[]);
    assert!(out.status.success());
    assert_eq!(
        task_states(&out.stdout, &h),
        ["changed", "changed"],
        "first run"
    );
    assert_eq!(
        users(),
        "grid\t[management, monitoring]\nguest\t[administrator]"
    );
    assert_eq!(
        on_host(
            &lab,
            &h,
            "rabbitmqctl -q --no-table-headers list_user_permissions grid"
        ),
        "/\t.*\t^grid\t.*"
    );
    assert_eq!(plugins(), "rabbitmq_management\nrabbitmq_shovel");
    let out = playbook(&lab, &inv, &play, &[]);
    assert_eq!(task_states(&out.stdout, &h), ["ok", "ok"], "second run");

    let bad = s.write(
        "bad.yml",
        "- hosts: lab\n  tasks:\n    - rabbitmq_plugin: names=flock_nothere\n",
    );
    let out = playbook(&lab, &inv, &bad, &[]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("plugins_not_found"), "{text}");
    assert_eq!(
        recap(&out.stdout, &h),
        "ok=1 changed=0 unreachable=0 failed=1"
    );

    let remove = s.write(
        "remove.yml",
        "- hosts: lab\n  tasks:\n    - rabbitmq_user: user=grid state=absent\n    - rabbitmq_plugin: names=rabbitmq_shovel state=disabled\n",
    );
    let out = playbook(&lab, &inv, &remove, &[]);
    assert_eq!(
        task_states(&out.stdout, &h),
        ["changed", "changed"],
        "remove"
    );
    assert_eq!(users(), "guest\t[administrator]");
    assert_eq!(plugins(), "rabbitmq_management");
    let out = playbook(&lab, &inv, &remove, &[]);
    assert_eq!(task_states(&out.stdout, &h), ["ok", "ok"], "remove again");
    on_host(&lab, &h, "service rabbitmq-server stop >/dev/null 2>&1");
}
