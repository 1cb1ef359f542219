//! Issue 19: task includes and roles of modern playbooks as ansible-core 2.19 runs them, side by
//! side with the real ansible-core on the same fixtures (local connection, two hosts): the same
//! banners, `included: FILE for HOSTS` lines, task results and recap. Host order inside one
//! task's results is ansible-core's completion order, so it is compared sorted.

use std::path::Path;
use std::process::Command;

const INVENTORY: &str = "\
h1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3 flag=true
h2 ansible_connection=local ansible_python_interpreter=/usr/bin/python3 flag=false
";

/// Write `files` (name, text) into a fresh directory with the inventory.
fn fixture(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("hosts"), INVENTORY).expect("hosts");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

/// The stdout of `program args…` run in `dir` without colours.
fn stdout_in(dir: &Path, program: &str, args: &[&str]) -> String {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir).env("ANSIBLE_NOCOLOR", "1");
    let out = cmd.output().expect("run");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `included: F for h2, h1 => …` with its hosts sorted (ansible-core lists them in completion
/// order).
fn sorted_included_hosts(line: &str) -> String {
    let Some((head, rest)) = line.split_once(" for ") else {
        return line.to_string();
    };
    if !head.starts_with("included: ") {
        return line.to_string();
    }
    let (hosts, tail) = rest
        .split_once(" => ")
        .map_or((rest, None), |(h, t)| (h, Some(t)));
    let mut hosts: Vec<&str> = hosts.split(", ").collect();
    hosts.sort_unstable();
    let mut out = format!("{head} for {}", hosts.join(", "));
    if let Some(tail) = tail {
        out.push_str(" => ");
        out.push_str(tail);
    }
    out
}

/// The output as banners and host entries, entries sorted within each banner's section.
fn normalized(out: &str) -> Vec<String> {
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();
    for line in out.lines().filter(|l| !l.trim().is_empty()) {
        let line = &sorted_included_hosts(line);
        let is_banner = line.ends_with('*') || line.starts_with("PLAY RECAP");
        let starts_entry = !line.starts_with(' ') && !line.starts_with('}');
        match sections.last_mut() {
            Some((_, entries)) if !is_banner => match entries.last_mut() {
                Some(last) if !starts_entry => {
                    last.push('\n');
                    last.push_str(line);
                }
                _ => entries.push(line.to_string()),
            },
            _ => sections.push((line.to_string(), Vec::new())),
        }
    }
    sections
        .into_iter()
        .flat_map(|(banner, mut entries)| {
            entries.sort();
            std::iter::once(banner).chain(entries)
        })
        .collect()
}

/// Run `playbook` under ansible-core and flock in `dir`; return both normalized outputs.
fn both(dir: &Path, playbook: &str) -> (Vec<String>, Vec<String>) {
    let args = ["-i", "hosts", playbook];
    let core = stdout_in(dir, "/opt/flock-bench/bin/ansible-playbook", &args);
    let flock_args = ["playbook", "-i", "hosts", playbook];
    let flock = stdout_in(dir, env!("CARGO_BIN_EXE_flock"), &flock_args);
    (normalized(&core), normalized(&flock))
}

const INCLUDES: &str = r#"
- hosts: all
  gather_facts: false
  vars:
    files: [missing.yml, a.yml]
  tasks:
    - include_tasks: "{{ lookup('first_found', files) }}"
    - ansible.builtin.include_tasks: a.yml
      when: flag | bool
    - ansible.builtin.import_tasks: a.yml
    - import_tasks: b.yml
      notify: hb
    - include_tasks: "{{ item }}"
      loop: [a.yml, a.yml]
    - name: named include
      ansible.builtin.include_tasks:
        file: a.yml
      vars:
        x: 5
  handlers:
    - name: hb
      debug: msg=handled
"#;

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn include_tasks_forms_match_ansible_core() {
    let dir = fixture(&[
        ("p.yml", INCLUDES),
        (
            "a.yml",
            "- debug: msg=\"in a {{ x | default('nox') }} {{ item | default('-') }}\"\n",
        ),
        ("b.yml", "- command: echo b\n"),
    ]);
    let (core, flock) = both(dir.path(), "p.yml");
    let d = dir.path().display();
    assert!(
        core.contains(&format!("included: {d}/a.yml for h1, h2")),
        "ansible-core included a.yml: {core:#?}"
    );
    assert!(
        core.iter().any(|l| l.starts_with("RUNNING HANDLER [hb]")),
        "import_tasks notify ran the handler under ansible-core: {core:#?}"
    );
    assert_eq!(flock, core);
}

const ROLES_PLAY: &str = r#"
- hosts: all
  gather_facts: false
  roles:
    - web
  tasks:
    - debug: var=role_names
"#;

const WEB_TASKS: &str = r#"
- name: web task
  debug: msg="{{ role_name }} {{ role_path | basename }} {{ web_port }} {{ base_x }}"
- command: echo web
  notify: restart web
"#;

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn role_banners_and_role_magic_vars_match_ansible_core() {
    let dir = fixture(&[
        ("p.yml", ROLES_PLAY),
        ("roles/web/tasks/main.yml", WEB_TASKS),
        ("roles/web/meta/main.yml", "dependencies: [base]\n"),
        ("roles/web/defaults/main.yml", "web_port: 80\n"),
        (
            "roles/web/handlers/main.yml",
            "- name: restart web\n  debug: msg=restarted\n",
        ),
        ("roles/base/defaults/main.yml", "base_x: 1\n"),
        (
            "roles/base/tasks/main.yml",
            "- name: base task\n  debug: msg=\"{{ role_name }} {{ base_x }}\"\n",
        ),
    ]);
    let (core, flock) = both(dir.path(), "p.yml");
    assert!(
        core.iter().any(|l| l.starts_with("TASK [web : web task]")),
        "ansible-core prefixes role tasks: {core:#?}"
    );
    assert!(
        core.iter()
            .any(|l| l.starts_with("RUNNING HANDLER [web : restart web]")),
        "ansible-core prefixes role handlers: {core:#?}"
    );
    assert_eq!(flock, core);
}
