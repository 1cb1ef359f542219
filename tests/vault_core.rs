//! Issue 19 (Vault): files and strings `flock vault` encrypts are read by the real
//! ansible-vault / ansible-playbook 2.19, and files ansible-vault encrypts are read by flock,
//! for both the 1.1 and the 1.2 (labelled) formats. A wrong password gives ansible-core's
//! message and leaves the file as it was.

use std::path::Path;
use std::process::{Command, Output};

const ANSIBLE_VAULT: &str = "/opt/flock-bench/bin/ansible-vault";
const PLAIN: &str = "db_password: s3cr3t\nport: 5432\n";

fn run(cmd: &str, args: &[&str], dir: &Path) -> Output {
    Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .env("ANSIBLE_NOCOLOR", "1")
        .output()
        .expect("spawn")
}

fn flock(args: &[&str], dir: &Path) -> Output {
    let mut full = vec!["vault"];
    full.extend_from_slice(args);
    run(env!("CARGO_BIN_EXE_flock"), &full, dir)
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A temp dir with the plaintext in `f.yml` and passwords in `pw` and `pw2`.
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("f.yml"), PLAIN).expect("plain");
    std::fs::write(dir.path().join("pw"), "first pass\n").expect("pw");
    std::fs::write(dir.path().join("pw2"), "second").expect("pw2");
    dir
}

/// (password options, expected header) for 1.1 and 1.2.
const FORMATS: [(&[&str], &str); 2] = [
    (
        &["--vault-password-file", "pw"],
        "$ANSIBLE_VAULT;1.1;AES256\n",
    ),
    (
        &["--vault-id", "prod@pw2"],
        "$ANSIBLE_VAULT;1.2;AES256;prod\n",
    ),
];

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn flock_encrypts_ansible_vault_decrypts() {
    for (opts, header) in FORMATS {
        let dir = setup();
        let d = dir.path();
        ok(&flock(&[&["encrypt"], opts, &["f.yml"]].concat(), d));
        let text = std::fs::read_to_string(d.join("f.yml")).expect("read");
        assert!(text.starts_with(header), "{text}");
        assert!(!text.contains("s3cr3t"));
        let view = ok(&run(
            ANSIBLE_VAULT,
            &[&["view"], opts, &["f.yml"]].concat(),
            d,
        ));
        assert_eq!(view, PLAIN);
    }
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn ansible_vault_encrypts_flock_decrypts() {
    for (opts, header) in FORMATS {
        let dir = setup();
        let d = dir.path();
        ok(&run(
            ANSIBLE_VAULT,
            &[&["encrypt"], opts, &["f.yml"]].concat(),
            d,
        ));
        let text = std::fs::read_to_string(d.join("f.yml")).expect("read");
        assert!(text.starts_with(header), "{text}");
        assert_eq!(
            ok(&flock(&[&["view"], opts, &["f.yml"]].concat(), d)),
            PLAIN
        );
        ok(&flock(&[&["decrypt"], opts, &["f.yml"]].concat(), d));
        assert_eq!(
            std::fs::read_to_string(d.join("f.yml")).expect("read"),
            PLAIN
        );
    }
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn wrong_password_is_refused_and_file_kept() {
    let dir = setup();
    let d = dir.path();
    ok(&run(
        ANSIBLE_VAULT,
        &["encrypt", "--vault-password-file", "pw", "f.yml"],
        d,
    ));
    let before = std::fs::read(d.join("f.yml")).expect("read");
    let out = flock(&["decrypt", "--vault-password-file", "pw2", "f.yml"], d);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Decryption failed (no vault secrets were found that could decrypt)"),
        "{err}"
    );
    assert!(
        !err.contains("second") && !err.contains("first pass"),
        "{err}"
    );
    assert_eq!(std::fs::read(d.join("f.yml")).expect("read"), before);
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn rekey_moves_to_the_new_password() {
    let dir = setup();
    let d = dir.path();
    ok(&flock(
        &["encrypt", "--vault-password-file", "pw", "f.yml"],
        d,
    ));
    ok(&flock(
        &[
            "rekey",
            "--vault-password-file",
            "pw",
            "--new-vault-id",
            "prod@pw2",
            "f.yml",
        ],
        d,
    ));
    let view = run(
        ANSIBLE_VAULT,
        &["view", "--vault-id", "prod@pw2", "f.yml"],
        d,
    );
    assert_eq!(ok(&view), PLAIN);
    let old = run(
        ANSIBLE_VAULT,
        &["view", "--vault-password-file", "pw", "f.yml"],
        d,
    );
    assert!(!old.status.success());
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn encrypt_string_is_read_by_ansible_playbook() {
    let dir = setup();
    let d = dir.path();
    let value = ok(&flock(
        &[
            "encrypt_string",
            "--vault-id",
            "prod@pw2",
            "--name",
            "token",
            "t0ken value",
        ],
        d,
    ));
    assert!(value.starts_with("token: !vault |\n          $ANSIBLE_VAULT;1.2;AES256;prod\n"));
    std::fs::write(d.join("vars.yml"), &value).expect("vars");
    std::fs::write(
        d.join("hosts"),
        "h1 ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n",
    )
    .expect("hosts");
    std::fs::write(
        d.join("play.yml"),
        "- hosts: all\n  gather_facts: false\n  vars_files: [vars.yml]\n  tasks:\n    - debug: msg=\"{{ token | upper }}\"\n",
    )
    .expect("play");
    let out = run(
        "/opt/flock-bench/bin/ansible-playbook",
        &["-i", "hosts", "--vault-id", "prod@pw2", "play.yml"],
        d,
    );
    let stdout = ok(&out);
    assert!(stdout.contains("\"msg\": \"T0KEN VALUE\""), "{stdout}");
}

#[test]
#[cfg_attr(
    not(flock_ansible_core),
    ignore = "needs ansible-core in /opt/flock-bench (scripts/test.sh)"
)]
fn ansible_vault_entry_point_decrypts() {
    let dir = setup();
    let d = dir.path();
    ok(&run(
        ANSIBLE_VAULT,
        &["encrypt", "--vault-password-file", "pw", "f.yml"],
        d,
    ));
    let link = d.join("ansible-vault");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_flock"), &link).expect("symlink");
    let view = run(
        link.to_str().expect("utf-8"),
        &["view", "--vault-password-file", "pw", "f.yml"],
        d,
    );
    assert_eq!(ok(&view), PLAIN);
}
