//! `mysql_db` and `mysql_user` against a real MariaDB server started on a `debian` lab host (by
//! the `service` module): `--check` changes nothing, changed then ok, privileges and passwords
//! checked by logging in as the user, a password change, dump and import, a bad login failing
//! with the server's message, removal. Skipped (with a note) where mariadb-server is missing.

mod packages_support;

use flock::lab::TestLab;
use packages_support::{on_host, playbook, recap, task_states, Scratch};

const DB: &str = r#"
- hosts: lab
  tasks:
    - mysql_db: name=flock state=present
    - mysql_user: name=grid password=secret priv=flock.*:ALL host=localhost
    - mysql_user: name=ro password=pw priv=flock.*:SELECT/mysql.user:SELECT,GRANT login_user=root login_unix_socket=/run/mysqld/mysqld.sock
"#;

fn mysql(lab: &TestLab, h: &str, args: &str) -> String {
    on_host(lab, h, &format!("mysql -NB {args} 2>&1"))
}

#[test]
#[cfg_attr(not(flock_mariadb), ignore = "needs mariadb-server (scripts/test.sh)")]
fn mysql_db_and_user_on_a_debian_lab() {
    let lab = TestLab::new(1);
    let s = Scratch::new("mysql");
    let inv = s.write("inv", &lab.inventory_text());
    let h = lab.hosts()[0].name.clone();
    let start = s.write(
        "start.yml",
        "- hosts: lab\n  tasks:\n    - service: name=mariadb state=started\n",
    );
    let out = playbook(&lab, &inv, &start, &[]);
    assert!(out.status.success());
    let db = s.write("db.yml", DB);

    let out = playbook(&lab, &inv, &db, &["--check"]);
    assert!(out.status.success());
    assert_eq!(task_states(&out.stdout, &h), ["changed"; 3], "--check");
    assert_eq!(mysql(&lab, &h, "-e 'SHOW DATABASES LIKE \"flock\"'"), "");

    let out = playbook(&lab, &inv, &db, &[]);
    assert!(out.status.success());
    assert_eq!(task_states(&out.stdout, &h), ["changed"; 3], "first run");
    assert_eq!(
        mysql(&lab, &h, "-ugrid -psecret flock -e 'CREATE TABLE t (x INT); INSERT INTO t VALUES (42); SELECT x FROM t'"),
        "42"
    );
    assert_eq!(
        mysql(&lab, &h, "-e 'SHOW GRANTS FOR ro@localhost'")
            .lines()
            .skip(1)
            .collect::<Vec<_>>(),
        [
            "GRANT SELECT ON `flock`.* TO `ro`@`localhost`",
            "GRANT SELECT ON `mysql`.`user` TO `ro`@`localhost` WITH GRANT OPTION"
        ]
    );
    assert!(mysql(&lab, &h, "-uro -pwrong -e 'SELECT 1'").contains("Access denied"));
    let out = playbook(&lab, &inv, &db, &[]);
    assert_eq!(task_states(&out.stdout, &h), ["ok"; 3], "second run");

    // A new password and narrower privileges.
    let change = s.write(
        "change.yml",
        "- hosts: lab\n  tasks:\n    - mysql_user: name=grid password=other priv=flock.*:SELECT\n",
    );
    let out = playbook(&lab, &inv, &change, &[]);
    assert_eq!(task_states(&out.stdout, &h), ["changed"], "change");
    assert_eq!(
        mysql(&lab, &h, "-ugrid -pother flock -e 'SELECT x FROM t'"),
        "42"
    );
    assert!(mysql(
        &lab,
        &h,
        "-ugrid -pother flock -e 'INSERT INTO t VALUES (1)'"
    )
    .contains("denied"));
    let out = playbook(&lab, &inv, &change, &[]);
    assert_eq!(task_states(&out.stdout, &h), ["ok"], "change again");

    // Dump, then import into another database.
    let dump = s.write(
        "dump.yml",
        "- hosts: lab\n  tasks:\n    - mysql_db: name=flock state=dump target=/root/flock.sql.gz\n    - mysql_db: name=copy state=import target=/root/flock.sql.gz\n",
    );
    let out = playbook(&lab, &inv, &dump, &[]);
    assert!(out.status.success());
    assert_eq!(
        task_states(&out.stdout, &h),
        ["changed", "changed"],
        "dump/import"
    );
    assert_eq!(mysql(&lab, &h, "copy -e 'SELECT x FROM t'"), "42");

    // A bad login: the server's message.
    let bad = s.write(
        "bad.yml",
        "- hosts: lab\n  tasks:\n    - mysql_db: name=flock login_user=nobody login_password=x login_host=127.0.0.1\n",
    );
    let out = playbook(&lab, &inv, &bad, &[]);
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Access denied for user 'nobody'"), "{text}");
    assert_eq!(
        recap(&out.stdout, &h),
        "ok=1 changed=0 unreachable=0 failed=1"
    );

    // Removal, then ok.
    let remove = s.write(
        "remove.yml",
        "- hosts: lab\n  tasks:\n    - mysql_user: name=grid state=absent\n    - mysql_db: name=flock state=absent\n",
    );
    let out = playbook(&lab, &inv, &remove, &[]);
    assert_eq!(
        task_states(&out.stdout, &h),
        ["changed", "changed"],
        "remove"
    );
    assert_eq!(
        mysql(
            &lab,
            &h,
            "-e 'SELECT COUNT(*) FROM mysql.user WHERE user=\"grid\"'"
        ),
        "0"
    );
    let out = playbook(&lab, &inv, &remove, &[]);
    assert_eq!(task_states(&out.stdout, &h), ["ok", "ok"], "remove again");
    on_host(&lab, &h, "service mariadb stop >/dev/null 2>&1");
}
