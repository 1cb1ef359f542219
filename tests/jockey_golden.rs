//! jockey's kick files against goldens rendered by the original jockey, its command line and its
//! module, on a scratch copy of the corpus space.

mod jockey_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use flock::jockey::crypt::md5_crypt;
use flock::jockey::kick::{kick, KickOptions};
use flock::jockey::module::run_on_controller;
use flock::jockey::{Mac, Space};
use flock::modules::ModuleArgs;
use flock::{Map, Value};
use jockey_support::{flock_jockey, golden, scratch};

const MAC: &str = "08:00:27:14:68:75";

fn opts(system: &str) -> KickOptions {
    KickOptions {
        system: system.into(),
        mac: MAC.parse().unwrap(),
        addr: Some("10.1.1.1".parse().unwrap()),
        name: Some("core-01".into()),
        password: Some("Secret42".into()),
        salt: Some("jockey42".into()),
    }
}

fn diff(expected: &str, got: &str) -> String {
    similar::TextDiff::from_lines(expected, got)
        .unified_diff()
        .header("golden", "flock")
        .to_string()
}

#[test]
#[cfg_attr(
    not(flock_corpus),
    ignore = "needs ../shared/flock-2013 beside the checkout"
)]
fn every_corpus_template_matches_the_original_rendering() {
    let (_dir, root) = scratch();
    let mut checked = 0;
    for (inventory, gold_dir) in [("hosts", "hosts"), ("xenserver", "xenserver")] {
        let space = Space::new(&root).with_hosts(root.join(inventory));
        for entry in fs::read_dir(golden().join(gold_dir)).unwrap() {
            let gold = entry.unwrap().path();
            let system = gold.file_stem().unwrap().to_str().unwrap().to_string();
            let done = kick(&space, &opts(&system)).unwrap();
            assert_eq!(done.kickstart.0, root.join("boot/08-00-27-14-68-75.ks"));
            let got = fs::read_to_string(&done.kickstart.0).unwrap();
            let want = fs::read_to_string(&gold).unwrap();
            assert!(got == want, "{inventory}/{system}:\n{}", diff(&want, &got));
            let pxe_gold = golden().join("pxelinux").join(&system);
            if inventory == "hosts" && pxe_gold.is_file() {
                let got = fs::read_to_string(root.join("boot/pxelinux.cfg/01-08-00-27-14-68-75"))
                    .unwrap();
                let want = fs::read_to_string(&pxe_gold).unwrap();
                assert!(got == want, "pxelinux {system}:\n{}", diff(&want, &got));
                checked += 1;
            }
            checked += 1;
        }
    }
    // 17 systems, 3 XenServer ones again with the other inventory, 3 PXELINUX configs.
    assert_eq!(checked, 17 + 3 + 3);
    let pass = root.join("08-00-27-14-68-75.pass");
    assert_eq!(fs::read_to_string(&pass).unwrap(), "Secret42\n");
    assert_eq!(
        fs::metadata(&pass).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

fn which_vboxmanage_absent() -> bool {
    std::process::Command::new("VBoxManage")
        .arg("--version")
        .output()
        .is_err()
}

#[test]
#[cfg_attr(
    not(flock_corpus),
    ignore = "needs ../shared/flock-2013 beside the checkout"
)]
fn jinja_templates_get_the_same_values() {
    let (_dir, root) = scratch();
    fs::write(
        root.join("kickstart.mini.j2"),
        "rootpw --iscrypted {{ root_password }}\n# {{ root_password_plain }} {{ system_name }} {{ system_addr }}\nurl --url http://{{ http_listen }}/{{ system }}\n{% if gateway %}gw {{ gateway }}{% else %}no gateway{% endif %} ${#ARRAY[@]}\n",
    )
    .unwrap();
    // `${#` (a shell array length) would open a Jinja comment: only `.j2` files are Jinja.
    let e = kick(&Space::new(&root), &opts("mini")).unwrap_err();
    assert!(e.to_string().contains("kickstart.mini.j2:4:"), "{e}");
    fs::write(
        root.join("kickstart.mini.j2"),
        "rootpw --iscrypted {{ root_password }}\n# {{ root_password_plain }} {{ system_name }} {{ system_addr }}\nurl --url http://{{ http_listen }}/{{ system }}\n{% if gateway %}gw {{ gateway }}{% else %}no gateway{% endif %}\n",
    )
    .unwrap();
    let done = kick(&Space::new(&root), &opts("mini")).unwrap();
    assert_eq!(
        fs::read_to_string(&done.kickstart.0).unwrap(),
        "rootpw --iscrypted $1$jockey42$YT8m63efP69dqtKwSrdhF0\n# Secret42 core-01 10.1.1.1\nurl --url http://10.1.1.254:8080/mini\nno gateway\n"
    );
}

#[test]
#[cfg_attr(
    not(flock_corpus),
    ignore = "needs ../shared/flock-2013 beside the checkout"
)]
fn command_line_kick_password_and_errors() {
    let (dir, root) = scratch();

    // A generated password: printed, stored 0600, and its MD5-crypt hash is in the kickstart.
    let (code, out, err) = flock_jockey(
        &root,
        &[
            "kick",
            "centos64",
            "08:00:27:AA:BB:CC",
            "10.1.1.7",
            "core-07",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap()
        .to_string();
    assert_eq!(password.len(), 16);
    assert!(out.contains("kickstart: centos64"), "{out}");
    assert_eq!(
        fs::read_to_string(root.join("08-00-27-aa-bb-cc.pass")).unwrap(),
        format!("{password}\n")
    );
    let ks = fs::read_to_string(root.join("boot/08-00-27-aa-bb-cc.ks")).unwrap();
    let hash = ks
        .lines()
        .find_map(|l| l.strip_prefix("rootpw --iscrypted "))
        .unwrap();
    let salt = hash.split('$').nth(2).unwrap();
    assert_eq!(md5_crypt(&password, salt), hash);
    assert!(ks.contains("--ip=10.1.1.7 "), "{ks}");
    assert!(ks.contains("echo \"10.1.1.7 core-07\" >> /etc/hosts"));
    let pxe = fs::read_to_string(root.join("boot/pxelinux.cfg/01-08-00-27-aa-bb-cc")).unwrap();
    assert!(
        pxe.starts_with("PROMPT 1\nTIMEOUT 5\nDEFAULT centos64\n"),
        "{pxe}"
    );
    assert!(pxe.contains("ks=http://10.1.1.254:8080/08-00-27-aa-bb-cc.ks"));

    // Two kicks never share a generated password.
    let (_, out2, _) = flock_jockey(&root, &["kick", "centos64", "08:00:27:aa:bb:cd"]);
    assert!(!out2.contains(&password));

    let (code, out, _) = flock_jockey(&root, &["password", "08-00-27-AA-BB-CC"]);
    assert_eq!(
        (code, out),
        (
            0,
            format!("08-00-27-AA-BB-CC [08-00-27-aa-bb-cc]: {password}\n")
        )
    );

    // `@NAME` without VirtualBox: the name kick recorded in space/names.
    if which_vboxmanage_absent() {
        let (code, out, err) = flock_jockey(&root, &["password", "@core-07"]);
        assert_eq!(
            (code, out),
            (0, format!("@core-07 [08-00-27-aa-bb-cc]: {password}\n")),
            "{err}"
        );
        let (code, _, err) = flock_jockey(&root, &["password", "@core-99"]);
        assert_eq!(code, 1);
        assert!(
            err.starts_with("flock jockey: cannot find the MAC address of VM \"core-99\": ")
                && err.contains("core-99 is not in "),
            "{err}"
        );
        let names = fs::read_to_string(root.join("names")).unwrap();
        assert_eq!(
            names,
            "core-07 08-00-27-aa-bb-cc\ncore-01 08-00-27-aa-bb-cd\n"
        );
    }

    // ipxe: only the PXELINUX config, here booting from the disk.
    let (code, _, err) = flock_jockey(&root, &["ipxe", "local", "08:00:27:aa:bb:cc"]);
    assert_eq!(code, 0, "{err}");
    let pxe = fs::read_to_string(root.join("boot/pxelinux.cfg/01-08-00-27-aa-bb-cc")).unwrap();
    assert!(pxe.contains("\nDEFAULT local\n"));

    // Bad input: one clear error line each, exit 1, nothing written.
    let cases: &[(&[&str], &str)] = &[
        (
            &["kick", "plan9", MAC],
            "flock jockey: unknown system \"plan9\": no template ",
        ),
        (
            &["kick", "centos64", "08:00:27:14:68"],
            "flock jockey: malformed MAC address \"08:00:27:14:68\"",
        ),
        (
            &["kick", "centos64", MAC, "10.1.1.300"],
            "flock jockey: malformed IPv4 address \"10.1.1.300\"",
        ),
        (
            &["kick", "../hosts", MAC],
            "flock jockey: bad system name \"../hosts\"",
        ),
        (
            &["kick", "centos64", MAC, "10.1.1.1", "core 01"],
            "flock jockey: bad host name \"core 01\"",
        ),
    ];
    for (args, want) in cases {
        let (code, out, err) = flock_jockey(&root, args);
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(
            err.starts_with(want) && err.lines().count() == 1,
            "{args:?}: {err}"
        );
    }
    let (_, _, err) = flock_jockey(&root, &["kick", "plan9", MAC]);
    assert!(
        err.contains("(known: backtrack, cbcpp, centos63, centos64, esxi,"),
        "{err}"
    );
    assert!(!root.join("boot/08-00-27-14-68-75.ks").exists());

    let empty = dir.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    let (code, _, err) = flock_jockey(&empty, &["kick", "centos64", MAC]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("flock jockey: jockey inventory not found: ")
            && err.contains("empty/hosts"),
        "{err}"
    );
}

#[test]
#[cfg_attr(
    not(flock_corpus),
    ignore = "needs ../shared/flock-2013 beside the checkout"
)]
fn esxi_gets_its_boot_cfg() {
    let (_dir, root) = scratch();
    let repo = root.join("boot/esxi/repo");
    fs::create_dir_all(&repo).unwrap();
    fs::write(
        repo.join("BOOT.CFG"),
        "bootstate=0\ntitle=Loading ESXi installer\nkernel=/tboot.b00\nkernelopt=runweasel\nmodules=/b.b00 --- /jumpstrt.gz\n",
    )
    .unwrap();
    let done = kick(&Space::new(&root), &opts("esxi")).unwrap();
    assert_eq!(
        done.esxi_boot.as_ref().map(|(p, _)| p.clone()),
        Some(root.join("boot/esxi/boot.cfg"))
    );
    assert_eq!(
        fs::read_to_string(root.join("boot/esxi/boot.cfg")).unwrap(),
        "bootstate=0\ntitle=Loading ESXi installer\nkernel=repo/tboot.b00\nkernelopt=ks=http://10.1.1.254:8080/08-00-27-14-68-75.ks\nmodules=repo/b.b00 --- repo/jumpstrt.gz\n"
    );
}

fn module_args(pairs: &[(&str, &str)], free_form: Option<&str>) -> ModuleArgs {
    let mut map = Map::new();
    for (k, v) in pairs {
        map.insert(k.to_string(), Value::String(v.to_string()));
    }
    let spec = flock::modules::lookup("jockey")
        .expect("jockey is registered")
        .spec();
    ModuleArgs::validate(spec, &map, free_form.map(str::to_string)).unwrap()
}

#[test]
#[cfg_attr(
    not(flock_corpus),
    ignore = "needs ../shared/flock-2013 beside the checkout"
)]
fn module_kicks_on_the_controller() {
    let (dir, _) = scratch();
    let args = module_args(
        &[
            ("system", "wheezy"),
            ("mac", MAC),
            ("addr", "10.1.1.2"),
            ("name", "core-02"),
            ("password", "Secret42"),
        ],
        Some("kick"),
    );
    // Check mode: reports a change, writes nothing.
    let r = run_on_controller(dir.path(), true, &args).unwrap();
    assert!(r.changed && !r.failed);
    assert!(!dir.path().join("space/boot/08-00-27-14-68-75.ks").exists());

    let r = run_on_controller(dir.path(), false, &args).unwrap();
    assert!(r.changed && !r.failed, "{:?}", r.msg);
    let ks = fs::read_to_string(dir.path().join("space/boot/08-00-27-14-68-75.ks")).unwrap();
    assert!(
        ks.contains("echo '  address 10.1.1.2' >> /target/etc/network/interfaces"),
        "{ks}"
    );
    assert!(
        ks.contains("d-i netcfg/choose_interface select eth1\n"),
        "{ks}"
    );
    assert!(
        ks.contains("d-i network-console/password password Secret42\n"),
        "{ks}"
    );
    assert_eq!(
        r.to_map().get("kickstart").and_then(Value::as_str),
        Some(
            dir.path()
                .join("space/boot/08-00-27-14-68-75.ks")
                .to_str()
                .unwrap()
        )
    );
    assert_eq!(
        fs::read_to_string(dir.path().join("space/08-00-27-14-68-75.pass")).unwrap(),
        "Secret42\n"
    );

    // Again with the same arguments: nothing changes (the kickstart keeps its salt); another
    // address changes it.
    let before = fs::read_to_string(dir.path().join("space/boot/08-00-27-14-68-75.ks")).unwrap();
    let r = run_on_controller(dir.path(), false, &args).unwrap();
    assert!(!r.changed && !r.failed, "{:?}", r.msg);
    assert!(!run_on_controller(dir.path(), true, &args).unwrap().changed);
    assert_eq!(
        fs::read_to_string(dir.path().join("space/boot/08-00-27-14-68-75.ks")).unwrap(),
        before
    );
    let moved = module_args(
        &[
            ("system", "wheezy"),
            ("mac", MAC),
            ("addr", "10.1.1.9"),
            ("name", "core-02"),
            ("password", "Secret42"),
        ],
        None,
    );
    assert!(
        run_on_controller(dir.path(), false, &moved)
            .unwrap()
            .changed
    );
    let ipxe = module_args(&[("mac", MAC)], Some("ipxe"));
    assert!(run_on_controller(dir.path(), false, &ipxe).unwrap().changed);
    assert!(!run_on_controller(dir.path(), false, &ipxe).unwrap().changed);

    // Bad input fails the task with one clear message.
    let bad = module_args(&[("system", "centos64"), ("mac", "nope")], None);
    let e = run_on_controller(dir.path(), false, &bad).unwrap_err();
    assert_eq!(
        e.to_string(),
        "malformed MAC address \"nope\" (expected six hex pairs like 08:00:27:14:68:75)"
    );
    let _ = Mac::resolve(MAC).unwrap();
}

#[test]
#[cfg_attr(
    not(flock_corpus),
    ignore = "needs ../shared/flock-2013 beside the checkout"
)]
fn module_runs_from_a_playbook() {
    let (dir, root) = scratch();
    fs::write(
        dir.path().join("kick.yml"),
        "- hosts: localhost\n  connection: local\n  gather_facts: no\n  tasks:\n    - name: kick core-03\n      jockey: kick system=squeeze mac=08:00:27:00:00:03 addr=10.1.1.3 name=core-03 password=Secret42\n    - jockey: ipxe system=local mac=08:00:27:00:00:04\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("inv"),
        "localhost ansible_connection=local\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flock"))
        .current_dir(dir.path())
        .args(["playbook", "--dialect", "1.2", "-i", "inv", "kick.yml"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("changed: [localhost]"), "{text}");
    // The files land in the playbook directory's space, like `flock jockey kick` would write them.
    let ks = fs::read_to_string(root.join("boot/08-00-27-00-00-03.ks")).unwrap();
    assert!(ks.contains("address 10.1.1.3"), "{ks}");
    assert_eq!(
        fs::read_to_string(root.join("08-00-27-00-00-03.pass")).unwrap(),
        "Secret42\n"
    );
    let pxe = fs::read_to_string(root.join("boot/pxelinux.cfg/01-08-00-27-00-00-04")).unwrap();
    assert!(pxe.contains("\nDEFAULT local\n"), "{pxe}");
}
