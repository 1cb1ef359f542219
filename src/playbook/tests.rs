use super::*;
use std::fs;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, text).unwrap();
    p
}

fn load(path: &Path) -> Result<Playbook, LoadError> {
    Playbook::load(path, &LoadOptions::default())
}

#[test]
fn smushes_braces() {
    assert_eq!(
        smush_braces("{{ lookup('file', 'k') }}"),
        "{{lookup('file', 'k')}}"
    );
    assert_eq!(smush_braces("{{   x   }}"), "{{x}}");
    assert_eq!(smush_braces("plain"), "plain");
}

#[test]
fn legacy_playbook_with_includes() {
    let d = tempfile::tempdir().unwrap();
    let top = write(d.path(), "site.yml", "- include: sub/inc.yml x=1\n  vars:\n    y: 2\n- hosts: all\n  tasks:\n    - group_by: key=${ansible_os_family}\n");
    write(
        d.path(),
        "sub/inc.yml",
        "- hosts: [a, b]\n  user: root\n  vars:\n    x: 0\n    z: 3\n  vars_files:\n    - networks.yml\n    - [ \"vars/{{ ansible_os_family }}.yml\", vars/Defaults.yml ]\n  tags: t1,t2\n  tasks:\n    - name: T\n      yum: name={{ item }}\n           state=installed\n      with_items: [a]\n      when: ansible_os_family == \"RedHat\"\n      tags: packages,x\n      notify: restart\n    - include: more.yml p=q tags=inc\n      when: x\n  handlers:\n    - name: restart\n      service: name=x state=restarted\n",
    );
    write(d.path(), "sub/networks.yml", "masks: {home: 24}\n");
    write(
        d.path(),
        "sub/more.yml",
        "- name: M\n  command: echo $HOME\n  only_if: '$is_master'\n",
    );
    let pb = load(&top).unwrap();
    assert_eq!(pb.dialect, Dialect::Legacy12);
    assert_eq!(pb.plays.len(), 2);
    let p = &pb.plays[0];
    assert_eq!(p.hosts, "a:b");
    assert_eq!(p.basedir, d.path().join("sub"));
    assert_eq!(p.vars["x"], "1");
    assert_eq!(p.vars["y"], 2);
    assert_eq!(p.vars["z"], 3);
    assert_eq!(
        p.vars_files[1].candidates,
        ["vars/{{ansible_os_family}}.yml", "vars/Defaults.yml"]
    );
    assert!(p.vars_files[1].first_found);
    assert_eq!(p.tags, ["t1", "t2"]);
    let t = &p.tasks[0];
    assert_eq!(t.module, "yum");
    assert_eq!(t.args.raw, "name={{item}} state=installed");
    assert_eq!(t.tags, ["packages,x", "t1", "t2"]);
    assert_eq!(t.notify, ["restart"]);
    assert_eq!(t.when.len(), 1);
    assert_eq!(
        t.loop_.as_ref().unwrap().kind,
        LoopKind::With("items".into())
    );
    assert_eq!((t.pos.line, t.pos.col), (11, 7));
    let m = &p.tasks[1];
    assert_eq!(m.name.as_deref(), Some("M"));
    assert_eq!(
        m.when.iter().map(|c| c.kind).collect::<Vec<_>>(),
        [ConditionKind::When, ConditionKind::OnlyIf]
    );
    assert_eq!(m.tags, ["inc", "t1", "t2"]);
    assert_eq!(m.vars["p"], "q");
    assert_eq!(
        m.included_from.as_deref(),
        Some(d.path().join("sub/more.yml").as_path())
    );
    assert_eq!(m.basedir, d.path().join("sub"));
    assert_eq!(
        pb.plays[1].tasks[0].display_name(),
        "group_by key=${ansible_os_family}"
    );
    assert_eq!(pb.plays[1].basedir, d.path());
}

#[test]
fn modern_playbook_with_roles_blocks_and_imports() {
    let d = tempfile::tempdir().unwrap();
    let top = write(
        d.path(),
        "site.yml",
        "- name: Site\n  hosts: web\n  become: true\n  roles:\n    - role: common\n      tags: [r]\n      port: 80\n  tasks:\n    - name: B\n      block:\n        - ansible.builtin.debug:\n            msg: \"{{ x }}\"\n      rescue:\n        - fail: msg=no\n      when: x is defined\n      become: false\n    - import_tasks: extra.yml\n      tags: a,b\n- import_playbook: other.yml\n",
    );
    write(d.path(), "extra.yml", "- name: E\n  shell: echo $HOME\n");
    write(
        d.path(),
        "other.yml",
        "- hosts: all\n  gather_facts: no\n  tasks: []\n",
    );
    write(
        d.path(),
        "roles/common/tasks/main.yml",
        "- name: R\n  template: src=x.j2 dest=/x\n",
    );
    write(
        d.path(),
        "roles/common/handlers/main.yml",
        "- name: h\n  service: name=x state=restarted\n",
    );
    write(
        d.path(),
        "roles/common/meta/main.yml",
        "dependencies: [base]\n",
    );
    write(d.path(), "roles/base/tasks/main.yml", "- ping:\n");
    write(d.path(), "roles/common/defaults/main.yml", "d: 1\n");
    let pb = load(&top).unwrap();
    assert_eq!(pb.dialect, Dialect::Modern, "{:?}", pb.legacy_markers);
    let p = &pb.plays[0];
    assert_eq!(
        p.roles.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["base", "common"]
    );
    assert_eq!(p.roles[1].defaults["d"], 1);
    assert_eq!(
        p.tasks.iter().map(|t| t.display_name()).collect::<Vec<_>>(),
        ["ping ", "R", "B", "E"]
    );
    assert_eq!(p.tasks[1].basedir, d.path().join("roles/common"));
    assert_eq!(p.tasks[1].tags, ["r"]);
    assert_eq!(p.tasks[1].vars["port"], 80);
    assert_eq!(p.handlers[0].name.as_deref(), Some("h"));
    let block = p.tasks[2].block.as_ref().unwrap();
    assert_eq!(block.block[0].module, "debug");
    assert_eq!(
        block.block[0].args.map["msg"], "{{ x }}",
        "no smushing in modern playbooks"
    );
    assert_eq!(block.block[0].become_.enabled, Some(Value::Bool(false)));
    assert_eq!(block.rescue[0].when.len(), 1);
    assert_eq!(p.tasks[3].tags, ["a", "b"]);
    assert_eq!(pb.plays[1].gather_facts, Some(Value::Bool(false)));
}

#[test]
fn load_errors_name_file_line_col() {
    let d = tempfile::tempdir().unwrap();
    let cases = [
        ("- hosts: all\n  tasks:\n    - name: x\n      frobnicate: a=b\n", 4, 7, "frobnicate is not a legal parameter"),
        ("- hosts: all\n  tasks:\n    - name: x\n      include: missing.yml\n", 4, 16, "file not found"),
        ("- hosts: all\n  tasks:\n    - name: x\n      shell: a\n      when: y\n      only_if: z\n", 3, 7, "when obsoletes only_if"),
        ("- hosts: all\n  tasks:\n    - name: x\n      shell: a\n      command: b\n", 5, 7, "multiple actions"),
        ("- hosts: all\n  tasks:\n    - name: x\n", 3, 7, "no action"),
        ("- hosts: all\n  bogus: 1\n", 2, 3, "bogus is not a legal parameter in an Ansible Playbook"),
        ("a: 1\n", 1, 1, "playbooks must be formatted as a YAML list"),
        ("- hosts: all\n  tasks:\n    - name: x\n      with_bogus: [1]\n      ping:\n", 4, 7, "cannot find lookup plugin"),
        ("- include: nope.yml\n", 1, 12, "file not found"),
        ("- hosts: all\n  vars_files: [nope.yml]\n", 2, 16, "file not found"),
        ("- hosts: all\n  vars_files:\n    - bad0.yml\n", 3, 7, "must be stored as a dictionary/hash"),
        ("- hosts: all\n\ttasks: []\n", 2, 1, "tabs are not allowed"),
        ("- hosts: all\n  tasks:\n    - name: \"x\n", 3, 13, "found unexpected end of stream"),
        ("- hosts: all\n  tasks:\n    - action: frob x=1\n", 3, 15, "unknown module frob"),
    ];
    for (i, (text, line, col, msg)) in cases.iter().enumerate() {
        let path = write(d.path(), &format!("bad{i}.yml"), text);
        let err = load(&path).unwrap_err();
        let pos = err.pos();
        assert_eq!(pos.file.as_path(), path.as_path(), "{err}");
        assert_eq!(pos.line, *line, "case {i}: {err}");
        if *col > 1 {
            assert_eq!(pos.col, *col, "case {i}: {err}");
        }
        assert!(err.to_string().contains(msg), "case {i}: {err}");
        assert!(
            err.to_string()
                .starts_with(&format!("{}:{}:", path.display(), line)),
            "{err}"
        );
    }
}

#[test]
fn include_role_is_a_runtime_task_and_modules_are_checked() {
    let d = tempfile::tempdir().unwrap();
    let top = write(
        d.path(),
        "site.yml",
        "- hosts: all\n  tasks:\n    - include_role:\n        name: web\n      when: x\n      loop: [1, 2]\n    - ansible.builtin.copy: src=a dest=b\n    - local_action: command echo hi\n    - action: ping\n",
    );
    let pb = load(&top).unwrap();
    assert_eq!(pb.dialect, Dialect::Modern);
    let t = &pb.plays[0].tasks;
    assert_eq!(t[0].module, "include_role");
    assert_eq!(t[0].args.map["name"], "web");
    assert_eq!(t[0].loop_.as_ref().unwrap().kind, LoopKind::Loop);
    assert_eq!(
        (t[1].module.as_str(), t[1].module_as_written.as_str()),
        ("copy", "ansible.builtin.copy")
    );
    assert!(t[2].local_action);
    assert_eq!(
        (t[2].module.as_str(), t[2].args.raw.as_str()),
        ("command", "echo hi")
    );
    assert_eq!(t[3].display_name(), "ping");
    for m in [
        "ca",
        "jockey",
        "yum",
        "apt",
        "template",
        "set_fact",
        "wait_for_connection",
    ] {
        assert!(is_known_module(m), "{m}");
        assert!(is_known_module(&format!("ansible.builtin.{m}")), "{m}");
    }
    assert!(!is_known_module("frobnicate"));
}

#[test]
fn collection_names_resolve_to_native_modules_that_collection_holds() {
    for (fqcn, short) in [
        ("ansible.builtin.stat", "stat"),
        ("ansible.legacy.shell", "shell"),
        ("ansible.posix.sysctl", "sysctl"),
        ("ansible.posix.authorized_key", "authorized_key"),
        ("ansible.posix.mount", "mount"),
        ("community.general.ini_file", "ini_file"),
        ("community.general.lvol", "lvol"),
        ("community.mysql.mysql_user", "mysql_user"),
        ("community.rabbitmq.rabbitmq_user", "rabbitmq_user"),
    ] {
        assert_eq!(canonical_module_name(fqcn), short);
        assert!(is_known_module(fqcn), "{fqcn}");
    }
    // A collection does not hold another's modules, nor ansible-core's.
    for other in [
        "ansible.posix.copy",
        "community.general.sysctl",
        "community.mysql.ini_file",
        "someone.else.copy",
    ] {
        assert_eq!(canonical_module_name(other), other);
        assert!(!is_known_module(other), "{other}");
    }
    let d = tempfile::tempdir().unwrap();
    let top = write(
        d.path(),
        "site.yml",
        "- hosts: all\n  tasks:\n    - ansible.posix.sysctl: name=net.ipv4.ip_forward value=1\n    - action: community.general.ini_file path=/x section=s option=o value=v\n",
    );
    let pb = load(&top).unwrap();
    let t = &pb.plays[0].tasks;
    assert_eq!(
        (t[0].module.as_str(), t[0].module_as_written.as_str()),
        ("sysctl", "ansible.posix.sysctl")
    );
    assert_eq!(t[1].module, "ini_file");
    let bad = write(
        d.path(),
        "bad.yml",
        "- hosts: all\n  tasks:\n    - ansible.posix.copy: src=a dest=b\n",
    );
    let err = load(&bad).unwrap_err().to_string();
    assert!(err.contains("ansible.posix.copy"), "{err}");
    assert!(err.starts_with(&format!("{}:3:7:", bad.display())), "{err}");
}
