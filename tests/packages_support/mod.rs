//! Shared helpers of the packages_* tests: scratch dirs, running `flock playbook` inside a lab,
//! and building small local packages (RPMs with rpmbuild, .debs with dpkg-deb).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use flock::lab::Lab;

/// A scratch directory removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    /// A fresh directory named after `tag` and the test process.
    pub fn new(tag: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("flock-pk-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
    /// Writes `text` to `name` inside the scratch dir.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, text).expect("write");
        p
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `flock playbook -i INV [extra] PB` inside the lab's controller namespace.
pub fn playbook(lab: &Lab, inv: &Path, pb: &Path, extra: &[&str]) -> Output {
    playbook_with(lab, &[env!("CARGO_BIN_EXE_flock")], inv, pb, extra)
}

/// Runs `PREFIX… playbook -i INV [extra] PB` in the lab's controller namespace, where `prefix`
/// ends with the flock binary (e.g. `["env", "FLOCK_AGENT=0", "/path/flock"]`); prints the output.
/// These tests' marker-free playbooks are read as Ansible 1.2 (what they check:
/// `FLOCK_DIALECT=1.2`); playbooks with modern-only constructs stay modern.
pub fn playbook_with(lab: &Lab, prefix: &[&str], inv: &Path, pb: &Path, extra: &[&str]) -> Output {
    let inv = inv.to_string_lossy().into_owned();
    let pb = pb.to_string_lossy().into_owned();
    let mut argv: Vec<&str> = vec!["env", "FLOCK_DIALECT=1.2"];
    argv.extend_from_slice(prefix);
    argv.extend_from_slice(&["playbook", "-i", inv.as_str()]);
    argv.extend_from_slice(extra);
    argv.push(pb.as_str());
    let out = lab.exec_in_lab(&argv).expect("run flock in the lab");
    eprintln!(
        "--- {}\n--- stdout\n{}\n--- stderr\n{}",
        argv.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A copy of the test's flock binary where lab hosts see it too (`/var/tmp`; hosts have their own
/// `/tmp`, so a checkout or target dir under `/tmp` is invisible to them), with the original's
/// size and mtime: flock then starts this very binary as the agent on the hosts, uploads nothing.
/// Call it before bringing the lab up (the hosts' overlay sees files that exist by then).
pub fn host_visible_flock() -> String {
    let exe = Path::new(env!("CARGO_BIN_EXE_flock"));
    let meta = std::fs::metadata(exe).expect("stat flock");
    let mtime = meta.modified().expect("mtime");
    let stamp = mtime
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = Path::new("/var/tmp/flock-tests");
    let dest = dir.join(format!("flock-{}-{stamp}", meta.len()));
    if !dest.exists() {
        std::fs::create_dir_all(dir).expect("mkdir /var/tmp/flock-tests");
        let tmp = dir.join(format!(".flock.{}", std::process::id()));
        std::fs::copy(exe, &tmp).expect("copy flock");
        let f = std::fs::File::options()
            .write(true)
            .open(&tmp)
            .expect("open copy");
        f.set_modified(mtime).expect("set mtime");
        std::fs::rename(&tmp, &dest).expect("rename copy");
        remove_day_old_copies(dir);
    }
    dest.to_string_lossy().into_owned()
}

/// Copies of binaries built more than a day ago (other checkouts' current ones stay).
fn remove_day_old_copies(dir: &Path) {
    let day = std::time::Duration::from_secs(86_400);
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > day));
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// `ok=.. changed=.. unreachable=.. failed=..` of `host` in the recap.
pub fn recap(stdout: &[u8], host: &str) -> String {
    let text = String::from_utf8_lossy(stdout);
    let tail = text.rsplit("PLAY RECAP").next().unwrap_or("").to_string();
    tail.lines()
        .find(|l| l.starts_with(host))
        .unwrap_or("")
        .split_whitespace()
        .skip(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `changed:`/`ok:`/`failed:` word of each TASK of a run for `host`, in order.
pub fn task_states(stdout: &[u8], host: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(stdout);
    let mut out = Vec::new();
    for block in text.split("TASK: [").skip(1) {
        let tag = format!("[{host}]");
        let word = block
            .lines()
            .find(|l| l.contains(&tag))
            .and_then(|l| l.split(':').next())
            .unwrap_or("none")
            .to_string();
        out.push(word);
    }
    out
}

/// Asserts that every host's task statuses in `out` are `expected`; `what` names the run.
pub fn assert_states(out: &Output, hosts: &[String], expected: &[&str], what: &str) {
    for h in hosts {
        assert_eq!(task_states(&out.stdout, h), expected, "{h} {what}");
    }
}

/// Runs a shell command on a lab host and returns its trimmed stdout.
pub fn on_host(lab: &Lab, host: &str, cmd: &str) -> String {
    let out = lab.exec_on_host(host, cmd).expect("exec on host");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run a packaging tool");
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Builds a noarch RPM `name-version-1` holding `/usr/share/NAME/VERSION.txt` into `out_dir`;
/// returns its path.
pub fn build_rpm(work: &Path, out_dir: &Path, name: &str, version: &str) -> PathBuf {
    let top = work.join(format!("rpmtop-{name}-{version}"));
    std::fs::create_dir_all(&top).expect("mkdir");
    let spec = top.join(format!("{name}.spec"));
    std::fs::write(
        &spec,
        format!(
            "Name: {name}\nVersion: {version}\nRelease: 1\nSummary: flock test package\nLicense: MIT\n\
             BuildArch: noarch\n%description\nflock test package\n%install\n\
             mkdir -p %{{buildroot}}/usr/share/{name}\n\
             echo {name} {version} > %{{buildroot}}/usr/share/{name}/{version}.txt\n\
             %files\n/usr/share/{name}/{version}.txt\n"
        ),
    )
    .expect("write spec");
    run(Command::new("rpmbuild")
        .arg("-bb")
        .arg("--define")
        .arg(format!("_topdir {}", top.display()))
        .args(["--define", "_build_id_links none", "--quiet"])
        .arg(&spec));
    let file = format!("{name}-{version}-1.noarch.rpm");
    let built = top.join("RPMS/noarch").join(&file);
    std::fs::create_dir_all(out_dir).expect("mkdir");
    let dest = out_dir.join(&file);
    std::fs::copy(&built, &dest).expect("copy rpm");
    dest
}

/// (Re)writes the yum repository metadata of `dir`.
pub fn createrepo(dir: &Path) {
    run(Command::new("createrepo_c")
        .args(["-q", "--no-database", "--update"])
        .arg(dir));
}

/// Builds `name_version_all.deb` holding `/usr/share/NAME/VERSION.txt` into `out_dir`.
pub fn build_deb(work: &Path, out_dir: &Path, name: &str, version: &str) -> PathBuf {
    let root = work.join(format!("debroot-{name}-{version}"));
    std::fs::create_dir_all(root.join("DEBIAN")).expect("mkdir");
    std::fs::create_dir_all(root.join("usr/share").join(name)).expect("mkdir");
    std::fs::write(
        root.join("usr/share")
            .join(name)
            .join(format!("{version}.txt")),
        format!("{name} {version}\n"),
    )
    .expect("write");
    std::fs::write(
        root.join("DEBIAN/control"),
        format!(
            "Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: flock <flock@localhost>\n\
             Description: flock test package\n"
        ),
    )
    .expect("write control");
    std::fs::create_dir_all(out_dir).expect("mkdir");
    let dest = out_dir.join(format!("{name}_{version}_all.deb"));
    run(Command::new("dpkg-deb")
        .args(["--build", "--root-owner-group", "-Zgzip"])
        .arg(&root)
        .arg(&dest));
    dest
}

/// (Re)writes the `Packages` index of a flat apt repository in `dir`.
pub fn scanpackages(dir: &Path) {
    let out = Command::new("dpkg-scanpackages")
        .args(["-m", "."])
        .current_dir(dir)
        .output()
        .expect("dpkg-scanpackages");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(dir.join("Packages"), &out.stdout).expect("write Packages");
    // The lab's empty index would shadow this one.
    let _ = std::fs::remove_file(dir.join("Packages.gz"));
}

/// A throwaway OpenPGP signing key in its own GNUPGHOME: returns its fingerprint.
pub fn gpg_key(home: &Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(home).expect("mkdir gnupghome");
    std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    run(Command::new("gpg")
        .env("GNUPGHOME", home)
        .args(["--batch", "--quiet", "--passphrase", "", "--quick-gen-key"])
        .args(["flock test <flock@localhost>", "ed25519", "sign", "never"]));
    let out = Command::new("gpg")
        .env("GNUPGHOME", home)
        .args(["--batch", "--with-colons", "--list-keys"])
        .output()
        .expect("gpg --list-keys");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .and_then(|l| l.split(':').nth(8))
        .expect("a fingerprint")
        .to_string()
}

/// Exports the key of `home` (armored) to `dest`.
pub fn gpg_export(home: &Path, dest: &Path) {
    let out = Command::new("gpg")
        .env("GNUPGHOME", home)
        .args(["--batch", "--armor", "--export"])
        .output()
        .expect("gpg --export");
    assert!(out.status.success() && !out.stdout.is_empty());
    std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
    std::fs::write(dest, &out.stdout).expect("write key");
}

/// Writes a `Release` for the flat repository `dir` (after [`scanpackages`]) and signs it with
/// the key of `home` (`InRelease` and `Release.gpg`).
pub fn sign_flat_repo(dir: &Path, home: &Path) {
    use sha2::Digest;
    let packages = std::fs::read(dir.join("Packages")).expect("Packages");
    let sum = sha2::Sha256::digest(&packages);
    let hex: String = sum.iter().map(|b| format!("{b:02x}")).collect();
    let date = String::from_utf8_lossy(
        &Command::new("date")
            .args(["-Ru"])
            .output()
            .expect("date")
            .stdout,
    )
    .trim()
    .to_string();
    std::fs::write(
        dir.join("Release"),
        format!(
            "Origin: flock\nLabel: flock\nSuite: flock\nCodename: flock\nDate: {date}\n\
             SHA256:\n {hex} {} Packages\n",
            packages.len()
        ),
    )
    .expect("write Release");
    for (args, out) in [
        (vec!["--clearsign", "-o"], "InRelease"),
        (vec!["-abs", "-o"], "Release.gpg"),
    ] {
        let _ = std::fs::remove_file(dir.join(out));
        run(Command::new("gpg")
            .env("GNUPGHOME", home)
            .arg("--batch")
            .args(&args)
            .arg(dir.join(out))
            .arg(dir.join("Release")));
    }
}

/// Writes a pure-Python wheel `NAME-VERSION-py3-none-any.whl` (module `NAME` with
/// `VERSION = "…"`) into `out_dir`, with python3's zipfile (no network, no build backend).
pub fn build_wheel(out_dir: &Path, name: &str, version: &str) -> PathBuf {
    std::fs::create_dir_all(out_dir).expect("mkdir");
    let script = r#"
import base64, hashlib, sys, zipfile
out, name, version = sys.argv[1:4]
di = f"{name}-{version}.dist-info"
files = {
    f"{name}/__init__.py": f"VERSION = {version!r}\n",
    f"{di}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    f"{di}/WHEEL": "Wheel-Version: 1.0\nGenerator: flock-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
path = f"{out}/{name}-{version}-py3-none-any.whl"
with zipfile.ZipFile(path, "w") as z:
    for p, text in files.items():
        data = text.encode()
        h = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{p},sha256={h},{len(data)}")
        z.writestr(p, data)
    record.append(f"{di}/RECORD,,")
    z.writestr(f"{di}/RECORD", "\n".join(record) + "\n")
print(path)
"#;
    let out = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(script)
        .arg(out_dir)
        .arg(name)
        .arg(version)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// The paths under any of `prefixes` that host `host` changed (its overlay diff).
pub fn touched(lab: &Lab, host: &str, prefixes: &[&str]) -> Vec<PathBuf> {
    lab.diff(host)
        .expect("diff")
        .into_iter()
        .filter(|p| {
            let p = p.to_string_lossy();
            prefixes.iter().any(|x| p.starts_with(x))
        })
        .collect()
}
