//! `setup`: facts about the host, gathered in one round trip.
//!
//! One shell script prints labelled sections (`@@FLOCK@@ name`) with the raw material (uname,
//! release files, /proc, /sys/class/net, `ip addr`, routes, mounts, …); the controller turns
//! them into Ansible's fact names and shapes. Shapes follow Ansible 1.2's setup module
//! (`ansible_<iface>.ipv4` is the *last* address, `ansible_processor` is the list of model
//! names, `ansible_mounts` lists mounts of devices under `/`); where 1.2 had no fact
//! (`ansible_distribution_major_version`, `ansible_env`, `ansible_processor_vcpus`,
//! `ansible_service_mgr`, `ansible_virtualization_*`, `ansible_nodename`) or a useless one
//! (`ansible_distribution_release` was `NA` on Debian) modern Ansible's value is used.
//! Rocky and AlmaLinux are in the `RedHat` family, as in modern Ansible.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use serde_json::json;

use crate::connection::{ConnectionError, ExecOutput, Request, Response};
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec, Remote,
};
use crate::value::{Map, Value};

mod distro;
mod hardware;
mod network;
mod platform;

pub use distro::os_family;
use distro::{distribution_facts, lsb_facts};
use hardware::{cpu_facts, device_facts, memory_facts, mount_facts};
use network::network_facts;
use platform::{selinux_facts, service_mgr, virtual_facts};

/// The `setup` module.
pub struct Setup;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("filter", ArgKind::Str).default("*"),
        OptSpec::new("gather_subset", ArgKind::Raw),
        OptSpec::new("gather_timeout", ArgKind::Raw),
        OptSpec::new("fact_path", ArgKind::Path),
    ],
    free_form: false,
    file_common: false,
});

#[async_trait]
impl Module for Setup {
    fn name(&self) -> &'static str {
        "setup"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let filter = args.str("filter").unwrap_or("*");
        Ok(match gather_facts(&ctx.remote, filter).await? {
            Ok(facts) => ModuleResult::ok().with("ansible_facts", Value::Object(facts)),
            Err(msg) => ModuleResult::failed(msg),
        })
    }
}

/// Gathers the host's facts in one round trip, keeping the keys that match the glob `filter`
/// (`*` for all). The inner `Err` is a failure to report for the host (bad filter, the script
/// printed nothing); the outer one a broken connection.
pub async fn gather_facts(
    remote: &Remote<'_>,
    filter: &str,
) -> Result<Result<Map, String>, ConnectionError> {
    let pattern = match glob::Pattern::new(filter) {
        Ok(p) => p,
        Err(e) => return Ok(Err(format!("invalid filter {filter:?}: {e}"))),
    };
    let out = match remote.agent_call(&Request::Facts, &[]).await? {
        Some(mut frame) => match frame.parse::<Response>() {
            Ok(Response::Facts) => ExecOutput {
                rc: 0,
                stdout: frame.take_blob(0),
                stderr: Vec::new(),
            },
            other => return Err(remote.unexpected(other)),
        },
        None => remote.sh(SCRIPT).await?,
    };
    if out.stdout.is_empty() {
        return Ok(Err(format!(
            "fact gathering printed nothing (rc={}): {}",
            out.rc,
            out.stderr_str().trim()
        )));
    }
    Ok(Ok(facts_from_output(&out.stdout_str())
        .into_iter()
        .filter(|(k, _)| filter == "*" || pattern.matches(k))
        .collect()))
}

/// The gathering script: POSIX sh, no bash-isms, few forks.
pub const SCRIPT: &str = r#"
s() { echo "@@FLOCK@@ $1"; }
s uname; uname -s; uname -r; uname -m; uname -n; getconf LONG_BIT 2>/dev/null || echo
s hostname; hostname 2>/dev/null || uname -n
s fqdn; h=$(hostname 2>/dev/null || uname -n); a=$(getent ahosts "$h" 2>/dev/null | awk 'NR==1{print $1}'); [ -n "$a" ] && getent hosts "$a" 2>/dev/null | head -n 1
s os-release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
s lsb-release; cat /etc/lsb-release 2>/dev/null
s redhat-release; cat /etc/redhat-release 2>/dev/null
s system-release; cat /etc/system-release 2>/dev/null
s debian_version; cat /etc/debian_version 2>/dev/null
s suse-release; cat /etc/SuSE-release 2>/dev/null
s alpine-release; cat /etc/alpine-release 2>/dev/null
s flags; for f in /etc/gentoo-release /etc/arch-release /etc/mandriva-release /etc/vmware-release /etc/openwrt_release; do [ -e "$f" ] && echo "$f"; done
s lsb; command -v lsb_release >/dev/null 2>&1 && lsb_release -a 2>/dev/null
s cpuinfo; cat /proc/cpuinfo 2>/dev/null
s meminfo; cat /proc/meminfo 2>/dev/null
s net
for d in /sys/class/net/*; do
  [ -d "$d" ] || continue
  n=${d##*/}; mac=; mtu=; st=; ty=; mod=; kind=; extra=
  read -r mac 2>/dev/null < "$d/address"; read -r mtu 2>/dev/null < "$d/mtu"
  read -r st 2>/dev/null < "$d/operstate"; read -r ty 2>/dev/null < "$d/type"
  [ -e "$d/device/driver/module" ] && { mod=$(readlink -f "$d/device/driver/module"); mod=${mod##*/}; }
  if [ -d "$d/bridge" ]; then kind=bridge; extra=$(ls "$d/brif" 2>/dev/null | tr '\n' ' '); fi
  if [ -d "$d/bonding" ]; then kind=bonding; read -r extra 2>/dev/null < "$d/bonding/slaves"; fi
  printf 'IF|%s|%s|%s|%s|%s|%s|%s|%s\n' "$n" "$mac" "$mtu" "$st" "$ty" "$mod" "$kind" "$extra"
done
s ipaddr; ip addr show 2>/dev/null
s route4; ip -4 route get 8.8.8.8 2>/dev/null
s route6; ip -6 route get 2404:6800:400a:800::1012 2>/dev/null
s date; date '+%Y|%m|%d|%H|%M|%S|%s|%Z|%z|%A|%w|%W|%N'; date -u '+%Y-%m-%dT%H:%M:%S.%N'
s user; id -un 2>/dev/null || whoami
s env; env
s mounts; cat /etc/mtab 2>/dev/null || cat /proc/mounts
s df; df -P -k -a 2>/dev/null || df -P -k 2>/dev/null
s devices
for b in /sys/block/*; do
  [ -d "$b" ] || continue
  n=${b##*/}; case $n in loop*|ram*|zram*) continue;; esac
  v=; m=; sz=; ss=; rm=; ro=; sch=; dg=
  read -r v 2>/dev/null < "$b/device/vendor"; read -r m 2>/dev/null < "$b/device/model"
  read -r sz 2>/dev/null < "$b/size"; read -r ss 2>/dev/null < "$b/queue/logical_block_size"
  read -r rm 2>/dev/null < "$b/removable"; read -r ro 2>/dev/null < "$b/queue/rotational"
  read -r sch 2>/dev/null < "$b/queue/scheduler"; read -r dg 2>/dev/null < "$b/queue/discard_granularity"
  printf 'DEV|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$n" "$v" "$m" "$sz" "$ss" "$rm" "$ro" "$sch" "$dg" "$(ls "$b/holders" 2>/dev/null | tr '\n' ' ')"
  for p in "$b/$n"*; do
    [ -e "$p/partition" ] || continue
    ps=; pst=; read -r ps 2>/dev/null < "$p/size"; read -r pst 2>/dev/null < "$p/start"
    printf 'PART|%s|%s|%s|%s\n' "$n" "${p##*/}" "$ps" "$pst"
  done
done
s virt; command -v systemd-detect-virt >/dev/null 2>&1 && { echo "SDV|$(systemd-detect-virt 2>/dev/null)"; echo "SDVC|$(systemd-detect-virt -c 2>/dev/null)"; }
[ -e /.dockerenv ] && echo DOCKERENV; [ -e /run/.containerenv ] && echo PODMAN
[ -d /proc/xen ] && echo XEN; [ -d /proc/vz ] && echo VZ
grep -qs -e docker -e lxc /proc/1/cgroup && grep -s -o -m1 -e docker -e lxc /proc/1/cgroup | sed 's/^/CG|/'
p=; read -r p 2>/dev/null < /sys/devices/virtual/dmi/id/product_name; echo "PRODUCT|$p"
p=; read -r p 2>/dev/null < /sys/devices/virtual/dmi/id/sys_vendor; echo "VENDOR|$p"
grep -qs -m1 '^flags.* hypervisor' /proc/cpuinfo && echo HYPERVISOR
s selinux; [ -d /sys/fs/selinux ] && echo MOUNTED; e=; read -r e 2>/dev/null < /sys/fs/selinux/enforce && echo "ENFORCE|$e"; e=; read -r e 2>/dev/null < /sys/fs/selinux/policyvers && echo "POLICYVERS|$e"; cat /etc/selinux/config 2>/dev/null
s sshkeys; for t in dsa rsa ecdsa ed25519; do f=/etc/ssh/ssh_host_${t}_key.pub; [ -r "$f" ] && { printf '%s ' "$t"; cat "$f"; }; done
s pkgmgr; for p in /usr/bin/yum /usr/bin/dnf /usr/bin/apt-get /usr/bin/zypper /usr/bin/pacman /bin/opkg /opt/local/bin/pkgin /opt/local/bin/port /sbin/apk /usr/sbin/pkg /usr/sbin/swlist; do [ -e "$p" ] && echo "$p"; done
s python; for p in python python3 python2; do command -v "$p" >/dev/null 2>&1 && { "$p" -c 'import platform; print(platform.python_version())' 2>/dev/null; break; }; done
s init; c=; read -r c 2>/dev/null < /proc/1/comm; echo "COMM|$c"; [ -d /run/systemd/system ] && echo SYSTEMD; case "$(readlink -f /sbin/init 2>/dev/null)" in *systemd*) echo SBIN_SYSTEMD;; esac; [ -d /etc/init.d ] && echo INITD; [ -d /etc/init ] && echo ETC_INIT; command -v initctl >/dev/null 2>&1 && echo UPSTART; [ -f /sbin/openrc-run ] || [ -f /sbin/openrc ] && echo OPENRC
s cmdline; cat /proc/cmdline 2>/dev/null
s end
"#;

/// Splits the script output into sections.
fn sections(out: &str) -> BTreeMap<&str, String> {
    let mut map: BTreeMap<&str, String> = BTreeMap::new();
    let mut cur: Option<&str> = None;
    for line in out.split_inclusive('\n') {
        if let Some(name) = line.strip_prefix("@@FLOCK@@ ") {
            let name = name.trim_end();
            map.entry(name).or_default();
            cur = Some(name);
        } else if let Some(c) = cur {
            map.entry(c).or_default().push_str(line);
        }
    }
    map
}

/// Turns the script's output into facts (`ansible_…` keys).
pub fn facts_from_output(out: &str) -> Map {
    let sec = sections(out);
    let get = |k: &str| sec.get(k).map(String::as_str).unwrap_or("");
    let mut f = Map::new();

    // Platform.
    let uname: Vec<&str> = get("uname").lines().collect();
    let at = |i: usize| uname.get(i).map(|s| s.trim()).unwrap_or("").to_string();
    let (system, kernel, machine, nodename, bits) = (at(0), at(1), at(2), at(3), at(4));
    let hostname_full = get("hostname").trim().to_string();
    let node = if hostname_full.is_empty() {
        nodename.clone()
    } else {
        hostname_full
    };
    let hostname = node.split('.').next().unwrap_or("").to_string();
    let fqdn = fqdn_from(get("fqdn"), &node);
    let domain = fqdn.split_once('.').map(|x| x.1).unwrap_or("").to_string();
    f.insert("ansible_system".into(), json!(system));
    f.insert("ansible_kernel".into(), json!(kernel));
    f.insert("ansible_machine".into(), json!(machine));
    f.insert("ansible_nodename".into(), json!(nodename));
    f.insert("ansible_hostname".into(), json!(hostname));
    f.insert("ansible_fqdn".into(), json!(fqdn));
    f.insert("ansible_domain".into(), json!(domain));
    let architecture = if machine == "x86_64" {
        machine.clone()
    } else if regex::Regex::new(r"i[3456]86")
        .map(|r| r.is_match(&machine))
        .unwrap_or(false)
    {
        "i386".into()
    } else {
        machine.clone()
    };
    f.insert("ansible_architecture".into(), json!(architecture));
    if !bits.is_empty() {
        f.insert("ansible_userspace_bits".into(), json!(bits));
        if architecture == "x86_64" || architecture == "i386" {
            let ua = if bits == "64" { "x86_64" } else { "i386" };
            f.insert("ansible_userspace_architecture".into(), json!(ua));
        }
    }

    distribution_facts(&sec, &mut f);
    lsb_facts(get("lsb"), &mut f);
    cpu_facts(get("cpuinfo"), &mut f);
    memory_facts(get("meminfo"), &mut f);
    network_facts(
        get("net"),
        get("ipaddr"),
        get("route4"),
        get("route6"),
        &mut f,
    );
    date_facts(get("date"), &mut f);
    let user = get("user").trim();
    f.insert("ansible_user_id".into(), json!(user));
    f.insert("ansible_env".into(), Value::Object(env_facts(get("env"))));
    f.insert(
        "ansible_mounts".into(),
        mount_facts(get("mounts"), get("df")),
    );
    f.insert("ansible_devices".into(), device_facts(get("devices")));
    virtual_facts(get("virt"), &mut f);
    f.insert("ansible_selinux".into(), selinux_facts(get("selinux")));
    for line in get("sshkeys").lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() >= 3 {
            f.insert(format!("ansible_ssh_host_key_{}_public", w[0]), json!(w[2]));
        }
    }
    let family = f
        .get("ansible_os_family")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let pkg = pkg_mgr(get("pkgmgr"), &family);
    f.insert("ansible_pkg_mgr".into(), json!(pkg));
    let py = get("python").trim();
    if !py.is_empty() {
        f.insert("ansible_python_version".into(), json!(py));
    }
    f.insert(
        "ansible_service_mgr".into(),
        json!(service_mgr(get("init"))),
    );
    let cmdline = get("cmdline").trim();
    if !cmdline.is_empty() {
        let mut m = Map::new();
        for piece in shlex::split(cmdline).unwrap_or_default() {
            match piece.split_once('=') {
                Some((k, v)) => m.insert(k.to_string(), json!(v)),
                None => m.insert(piece, json!(true)),
            };
        }
        f.insert("ansible_cmdline".into(), Value::Object(m));
    }
    f
}

/// The package manager of the host as ansible-core's `PkgMgrFactCollector` decides it: the last
/// of the known programs found, then the OS family's own tool wins (`apt` on Debian hosts even
/// with dnf or zypper installed; on Red Hat hosts `dnf` when `/usr/bin/dnf` is there, else
/// `yum`, which ansible-core no longer manages but flock does).
pub fn pkg_mgr(found: &str, os_family: &str) -> &'static str {
    let has = |p: &str| found.lines().any(|l| l.trim() == p);
    let last = found
        .lines()
        .filter_map(|p| {
            Some(match p.trim() {
                "/usr/bin/yum" => "yum",
                "/usr/bin/dnf" => "dnf",
                "/usr/bin/apt-get" => "apt",
                "/usr/bin/zypper" => "zypper",
                "/usr/bin/pacman" => "pacman",
                "/bin/opkg" => "opkg",
                "/opt/local/bin/pkgin" => "pkgin",
                "/opt/local/bin/port" => "macports",
                "/sbin/apk" => "apk",
                "/usr/sbin/pkg" => "pkgng",
                "/usr/sbin/swlist" => "SD-UX",
                _ => return None,
            })
        })
        .next_back()
        .unwrap_or("unknown");
    match os_family {
        "RedHat" if has("/usr/bin/dnf") => "dnf",
        "RedHat" if has("/usr/bin/yum") => "yum",
        "RedHat" => "unknown",
        "Debian" => "apt",
        _ => last,
    }
}

/// Python's `socket.getfqdn()`: the first of the reverse lookup's names with a dot, else its
/// canonical name, else the node name.
pub(crate) fn fqdn_from(getent: &str, node: &str) -> String {
    let names: Vec<&str> = getent
        .lines()
        .next()
        .map(|l| l.split_whitespace().skip(1).collect())
        .unwrap_or_default();
    names
        .iter()
        .find(|n| n.contains('.'))
        .or_else(|| names.first())
        .map(|s| s.to_string())
        .unwrap_or_else(|| node.to_string())
}

fn date_facts(text: &str, f: &mut Map) {
    let mut lines = text.lines();
    let local: Vec<&str> = lines.next().unwrap_or("").split('|').collect();
    let utc = lines.next().unwrap_or("").trim();
    if local.len() < 8 {
        return;
    }
    let (y, mo, d, h, mi, s, epoch, tz) = (
        local[0], local[1], local[2], local[3], local[4], local[5], local[6], local[7],
    );
    // date -u '+…%N' gives nanoseconds; Python's %f is microseconds.
    let (base, frac) = utc.split_once('.').unwrap_or((utc, "000000000"));
    let micro: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
    f.insert(
        "ansible_date_time".into(),
        json!({
            "year": y, "month": mo, "day": d, "hour": h, "minute": mi, "second": s,
            "epoch": epoch, "date": format!("{y}-{mo}-{d}"), "time": format!("{h}:{mi}:{s}"),
            "iso8601_micro": format!("{base}.{micro}Z"), "iso8601": format!("{base}Z"),
            "tz": tz,
        }),
    );
    if local.len() >= 13 {
        let micro_local: String = local[12]
            .chars()
            .chain(std::iter::repeat('0'))
            .take(6)
            .collect();
        if let Some(Value::Object(dt)) = f.get_mut("ansible_date_time") {
            for (k, v) in [
                ("epoch_int", epoch.to_string()),
                (
                    "iso8601_basic",
                    format!("{y}{mo}{d}T{h}{mi}{s}{micro_local}"),
                ),
                ("iso8601_basic_short", format!("{y}{mo}{d}T{h}{mi}{s}")),
                ("tz_dst", tz.to_string()),
                ("tz_offset", local[8].to_string()),
                ("weekday", local[9].to_string()),
                ("weekday_number", local[10].to_string()),
                ("weeknumber", local[11].to_string()),
            ] {
                dt.insert(k.into(), Value::String(v));
            }
        }
    }
}

fn env_facts(text: &str) -> Map {
    let mut m = Map::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        match line.split_once('=') {
            Some((k, v))
                if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                m.insert(k.to_string(), json!(v));
                last = Some(k.to_string());
            }
            _ => {
                // A continuation line of a multi-line value.
                if let Some(k) = &last {
                    if let Some(Value::String(s)) = m.get_mut(k) {
                        s.push('\n');
                        s.push_str(line);
                    }
                }
            }
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkg_mgr_by_os_family() {
        let deb = "/usr/bin/dnf\n/usr/bin/apt-get\n/usr/bin/zypper\n";
        assert_eq!(pkg_mgr(deb, "Debian"), "apt");
        assert_eq!(pkg_mgr(deb, "Suse"), "zypper");
        assert_eq!(pkg_mgr("/usr/bin/yum\n/usr/bin/apt-get\n", "RedHat"), "yum");
        assert_eq!(pkg_mgr("/usr/bin/yum\n/usr/bin/dnf\n", "RedHat"), "dnf");
        assert_eq!(pkg_mgr("", "Gentoo"), "unknown");
    }

    #[test]
    fn fqdn_like_python_getfqdn() {
        assert_eq!(fqdn_from("127.0.0.1       localhost\n", "vm"), "localhost");
        assert_eq!(fqdn_from("10.0.0.1 web1 web1.lab\n", "web1"), "web1.lab");
        assert_eq!(fqdn_from("", "vm"), "vm");
    }

    #[test]
    fn sections_and_env() {
        let out = "@@FLOCK@@ user\nalice\n@@FLOCK@@ env\nHOME=/home/alice\nX=a\nb\n@@FLOCK@@ end\n";
        let f = facts_from_output(out);
        assert_eq!(f["ansible_user_id"], "alice");
        assert_eq!(f["ansible_env"]["HOME"], "/home/alice");
        assert_eq!(f["ansible_env"]["X"], "a\nb");
    }
}
