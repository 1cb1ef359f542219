//! `hostname` (`ansible.builtin.hostname`): the host's name, set the way ansible-core's strategy
//! for the host's distribution does it.
//!
//! The strategy is `use=` (ansible-core's names: `debian` and `systemd` are `hostnamectl`),
//! else `hostnamectl` when systemd manages the host, else the distribution's: Debian and its
//! derivatives write `/etc/hostname` (the *file* strategy: the running name is not changed),
//! Red Hat ones set `HOSTNAME=` in `/etc/sysconfig/network`, Alpine writes `/etc/hostname` and
//! runs `hostname -F`. Files are written atomically. The result carries `name`, the
//! `ansible_hostname`/`ansible_nodename`/`ansible_fqdn`/`ansible_domain` facts and, when it
//! changed, the diff `hostname = OLD` → `hostname = NEW`. One round trip when nothing changes.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use serde_json::json;

use crate::connection::shell_quote;
use crate::modules::system::setup::fqdn_from;
use crate::modules::{
    ArgKind, ArgSpec, FileAttrs, FileDiff, Module, ModuleArgs, ModuleContext, ModuleError,
    ModuleResult, OptSpec,
};
use crate::value::{Map, Value};

/// The `hostname` module.
pub struct Hostname;

/// ansible-core's `use` choices.
const USES: &[&str] = &[
    "alpine", "debian", "freebsd", "generic", "macos", "macosx", "darwin", "openbsd", "openrc",
    "redhat", "sles", "solaris", "systemd",
];

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("name", ArgKind::Str).required(),
        OptSpec::new("use", ArgKind::Str).choices(USES),
    ],
    free_form: false,
    file_common: false,
});

/// How the name is read and written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// `/etc/hostname` only (Debian family).
    File,
    /// `/etc/hostname`, then `hostname -F /etc/hostname` (Alpine).
    Alpine,
    /// `HOSTNAME=` in `/etc/sysconfig/network` (Red Hat family).
    RedHat,
    /// `hostnamectl` (systemd running).
    Systemd,
}

const ETC_HOSTNAME: &str = "/etc/hostname";
const NETWORK_FILE: &str = "/etc/sysconfig/network";

/// Distribution ids (os-release `ID`) whose ansible-core class uses the file strategy.
const FILE_IDS: &[&str] = &[
    "debian",
    "ubuntu",
    "linuxmint",
    "raspbian",
    "kali",
    "devuan",
    "pop",
    "deepin",
    "neon",
    "parrot",
    "kylin",
    "uos",
    "void",
    "cumulus-linux",
    "linaro",
];
/// … and the Red Hat strategy.
const REDHAT_IDS: &[&str] = &[
    "rhel",
    "centos",
    "amzn",
    "scientific",
    "cloudlinux",
    "cloudlinuxserver",
    "virtuozzo",
    "anolis",
    "alinux",
    "eurolinux",
    "altlinux",
];

/// The query: os-release id, systemd canaries, the running name, its reverse lookup, both files
/// and (under systemd) `hostnamectl`'s two names, in `@@` sections.
const QUERY: &str = r#"s() { echo "@@$1"; }
s id; ( . /etc/os-release 2>/dev/null; echo "${ID:-}" )
s systemd; command -v systemctl >/dev/null 2>&1 && for d in /run/systemd/system /dev/.run/systemd /dev/.systemd; do [ -e "$d" ] && { echo yes; break; }; done
s node; hostname 2>/dev/null || uname -n
s fqdn; h=$(hostname 2>/dev/null || uname -n); a=$(getent ahosts "$h" 2>/dev/null | awk 'NR==1{print $1}'); [ -n "$a" ] && getent hosts "$a" 2>/dev/null | head -n 1
s etc_hostname; [ -f /etc/hostname ] && { echo Y; cat /etc/hostname; }
s network; [ -f /etc/sysconfig/network ] && cat /etc/sysconfig/network
s transient; [ -d /run/systemd/system ] && hostnamectl --transient status 2>&1
s static; [ -d /run/systemd/system ] && hostnamectl --static status 2>&1
true
"#;

/// Splits `@@name` sections.
fn sections(out: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut cur: Option<String> = None;
    for line in out.split_inclusive('\n') {
        if let Some(name) = line.strip_prefix("@@") {
            let name = name.trim_end().to_string();
            map.entry(name.clone()).or_insert_with(String::new);
            cur = Some(name);
        } else if let Some(c) = &cur {
            if let Some(s) = map.get_mut(c) {
                s.push_str(line);
            }
        }
    }
    map
}

/// The strategy for `use=` or the host (`Err`: ansible-core's or flock's failure message).
pub fn strategy(use_: Option<&str>, id: &str, systemd: bool) -> Result<Strategy, String> {
    match use_ {
        Some("debian" | "systemd") => return Ok(Strategy::Systemd),
        Some("redhat") => return Ok(Strategy::RedHat),
        Some("alpine") => return Ok(Strategy::Alpine),
        Some(other) => {
            return Err(format!(
                "flock's hostname module has no `{other}` strategy (it has alpine, debian, redhat, systemd)"
            ))
        }
        None => {}
    }
    if systemd {
        return Ok(Strategy::Systemd);
    }
    if FILE_IDS.contains(&id) {
        Ok(Strategy::File)
    } else if REDHAT_IDS.contains(&id) {
        Ok(Strategy::RedHat)
    } else if id == "alpine" {
        Ok(Strategy::Alpine)
    } else {
        Err(format!(
            "hostname module cannot be used on platform Linux ({})",
            capitalize(id)
        ))
    }
}

/// Python's `str.capitalize()` of a distribution id (`rhel` → `Rhel`), ansible-core's names.
fn capitalize(id: &str) -> String {
    let mut c = id.chars();
    match c.next() {
        Some(f) => f
            .to_uppercase()
            .chain(c.flat_map(char::to_lowercase))
            .collect(),
        None => "OtherLinux".into(),
    }
}

/// The `HOSTNAME=` value of `/etc/sysconfig/network` (ansible-core reads the first line starting
/// with `HOSTNAME`).
fn network_hostname(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("HOSTNAME"))
        .map(|l| {
            l.split_once('=')
                .map(|x| x.1)
                .unwrap_or("")
                .trim()
                .to_string()
        })
}

/// `/etc/sysconfig/network` with `HOSTNAME=name` replacing its entries (or appended).
pub fn network_text(text: &str, name: &str) -> String {
    let mut found = false;
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        if line.trim().starts_with("HOSTNAME") {
            out.push_str(&format!("HOSTNAME={name}\n"));
            found = true;
        } else {
            out.push_str(line);
        }
    }
    if !found {
        out.push_str(&format!("HOSTNAME={name}\n"));
    }
    out
}

/// The (current, permanent) names as the strategy reads them.
fn names(st: Strategy, sec: &BTreeMap<String, String>) -> Result<(String, String), String> {
    let get = |k: &str| sec.get(k).map(String::as_str).unwrap_or("");
    match st {
        Strategy::File | Strategy::Alpine => {
            let f = get("etc_hostname");
            let name = f.strip_prefix("Y\n").unwrap_or("").trim().to_string();
            Ok((name.clone(), name))
        }
        Strategy::RedHat => match network_hostname(get("network")) {
            Some(n) => Ok((n.clone(), n)),
            None => Err(format!("Unable to locate HOSTNAME entry in {NETWORK_FILE}")),
        },
        Strategy::Systemd => Ok((
            get("transient").trim().to_string(),
            get("static").trim().to_string(),
        )),
    }
}

/// The script that sets `name` with strategy `st` (files are written separately).
fn set_script(st: Strategy, name: &str, current: bool, permanent: bool) -> String {
    let n = shell_quote(name);
    let mut s = String::new();
    match st {
        Strategy::Systemd => {
            if permanent {
                s.push_str(&format!(
                    "hostnamectl --pretty --static set-hostname {n} || exit $?; "
                ));
            }
            if current {
                s.push_str(&format!(
                    "hostnamectl --transient set-hostname {n} || exit $?; "
                ));
            }
        }
        Strategy::Alpine if current => s.push_str("hostname -F /etc/hostname; "),
        _ => {}
    }
    s
}

#[async_trait]
impl Module for Hostname {
    fn name(&self) -> &'static str {
        "hostname"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let name = args.str("name").unwrap_or_default().to_string();
        let out = ctx.remote.sh(QUERY).await?;
        let sec = sections(&out.stdout_str());
        let get = |k: &str| sec.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
        let st = match strategy(args.str("use"), &get("id"), get("systemd") == "yes") {
            Ok(s) => s,
            Err(m) => return Ok(ModuleResult::failed(m)),
        };
        if st == Strategy::Systemd && name.len() > 64 {
            return Ok(ModuleResult::failed(
                "name cannot be longer than 64 characters on systemd servers, try a shorter name",
            ));
        }
        let (current, permanent) = match names(st, &sec) {
            Ok(n) => n,
            Err(m) => return Ok(ModuleResult::failed(m)),
        };
        let (set_cur, set_perm) = (current != name, permanent != name);
        let changed = set_cur || set_perm;
        let before = if set_cur { &current } else { &permanent };
        let mut res = ModuleResult::changed(changed)
            .with("name", name.clone())
            .with("ansible_facts", facts(&name, &get("fqdn"), &get("node")));
        if changed {
            res.diffs.push(FileDiff {
                path: String::new(),
                before: format!("hostname = {before}\n"),
                after: format!("hostname = {name}\n"),
            });
        }
        if !changed || ctx.check_mode {
            return Ok(res);
        }
        if let Err(m) = apply(ctx, st, &name, &sec, (set_cur, set_perm)).await? {
            return Ok(ModuleResult::failed(m));
        }
        Ok(res)
    }
}

/// Writes the strategy's file and runs its commands; the inner `Err` is the failure message.
async fn apply(
    ctx: &ModuleContext<'_>,
    st: Strategy,
    name: &str,
    sec: &BTreeMap<String, String>,
    (set_cur, set_perm): (bool, bool),
) -> Result<Result<(), String>, ModuleError> {
    let file = match st {
        Strategy::File | Strategy::Alpine if set_perm => Some((ETC_HOSTNAME, format!("{name}\n"))),
        Strategy::RedHat if set_perm => Some((
            NETWORK_FILE,
            network_text(sec.get("network").map(String::as_str).unwrap_or(""), name),
        )),
        _ => None,
    };
    if let Some((path, text)) = file {
        let out = ctx
            .remote
            .write_file_atomic(path, text.as_bytes(), &FileAttrs::default())
            .await?;
        if out.rc != 0 {
            return Ok(Err(format!(
                "failed to update hostname: {}",
                out.stderr_str().trim()
            )));
        }
    }
    let script = set_script(st, name, set_cur, set_perm);
    if script.is_empty() {
        return Ok(Ok(()));
    }
    let out = ctx.remote.sh(&script).await?;
    if out.rc != 0 {
        return Ok(Err(format!(
            "Command failed rc={}, out={}, err={}",
            out.rc,
            out.stdout_str(),
            out.stderr_str()
        )));
    }
    Ok(Ok(()))
}

/// The facts ansible-core returns: the new name's parts, and the host's `socket.getfqdn()`.
fn facts(name: &str, fqdn_lookup: &str, node: &str) -> Value {
    let fqdn = fqdn_from(fqdn_lookup, node);
    let domain = fqdn.split_once('.').map(|x| x.1).unwrap_or("").to_string();
    let mut m = Map::new();
    m.insert(
        "ansible_hostname".into(),
        json!(name.split('.').next().unwrap_or("")),
    );
    m.insert("ansible_nodename".into(), json!(name));
    m.insert("ansible_fqdn".into(), json!(fqdn));
    m.insert("ansible_domain".into(), json!(domain));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_as_ansible_core_picks_them() {
        assert_eq!(strategy(None, "debian", false), Ok(Strategy::File));
        assert_eq!(strategy(None, "centos", false), Ok(Strategy::RedHat));
        assert_eq!(strategy(None, "debian", true), Ok(Strategy::Systemd));
        assert_eq!(
            strategy(Some("debian"), "centos", false),
            Ok(Strategy::Systemd)
        );
        assert_eq!(
            strategy(None, "rocky", false),
            Err("hostname module cannot be used on platform Linux (Rocky)".into())
        );
    }

    #[test]
    fn network_file_entry() {
        assert_eq!(
            network_text("NETWORKING=yes\nHOSTNAME=a\n", "b"),
            "NETWORKING=yes\nHOSTNAME=b\n"
        );
        assert_eq!(
            network_text("NETWORKING=yes\n", "b"),
            "NETWORKING=yes\nHOSTNAME=b\n"
        );
        assert_eq!(network_hostname(" HOSTNAME = x \n"), Some("x".into()));
        assert_eq!(network_hostname("X=1\n"), None);
    }
}
