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

use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};
use crate::value::{Map, Value};

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
        let filter = args.str("filter").unwrap_or("*").to_string();
        let pattern = match glob::Pattern::new(&filter) {
            Ok(p) => p,
            Err(e) => {
                return Ok(ModuleResult::failed(format!(
                    "invalid filter {filter:?}: {e}"
                )))
            }
        };
        let out = ctx.remote.sh(SCRIPT).await?;
        if out.stdout.is_empty() {
            return Ok(ModuleResult::failed(format!(
                "fact gathering printed nothing (rc={}): {}",
                out.rc,
                out.stderr_str().trim()
            )));
        }
        let facts = facts_from_output(&out.stdout_str());
        let filtered: Map = facts
            .into_iter()
            .filter(|(k, _)| filter == "*" || pattern.matches(k))
            .collect();
        Ok(ModuleResult::ok().with("ansible_facts", Value::Object(filtered)))
    }
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
s date; date '+%Y|%m|%d|%H|%M|%S|%s|%Z'; date -u '+%Y-%m-%dT%H:%M:%S.%N'
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
s init; c=; read -r c 2>/dev/null < /proc/1/comm; echo "COMM|$c"; [ -d /run/systemd/system ] && echo SYSTEMD; command -v initctl >/dev/null 2>&1 && echo UPSTART; [ -f /sbin/openrc-run ] || [ -f /sbin/openrc ] && echo OPENRC
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
    let pkg = get("pkgmgr")
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

/// Python's `socket.getfqdn()`: the first of the reverse lookup's names with a dot, else its
/// canonical name, else the node name.
fn fqdn_from(getent: &str, node: &str) -> String {
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

/// `KEY=value` lines (os-release, lsb-release), quotes removed.
fn kv_file(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
                .unwrap_or(v);
            (k.trim().to_string(), v.to_string())
        })
        .collect()
}

/// The OS family of a distribution name (1.2's table plus modern additions).
pub fn os_family(dist: &str) -> String {
    let fam = match dist {
        "RedHat" | "Fedora" | "CentOS" | "Scientific" | "SLC" | "Ascendos" | "CloudLinux"
        | "PSBM" | "OracleLinux" | "OVS" | "OEL" | "Amazon" | "XenServer" | "Rocky"
        | "AlmaLinux" => "RedHat",
        "Ubuntu" | "Debian" | "Raspbian" | "Kali" | "Linuxmint" => "Debian",
        "SLES"
        | "SLED"
        | "OpenSuSE"
        | "SuSE"
        | "openSUSE"
        | "openSUSE Leap"
        | "openSUSE Tumbleweed" => "Suse",
        "Gentoo" => "Gentoo",
        "Archlinux" => "Archlinux",
        "Mandriva" | "Mandrake" => "Mandrake",
        "Solaris" | "Nexenta" | "OmniOS" | "OpenIndiana" | "SmartOS" => "Solaris",
        "AIX" => "AIX",
        "Alpine" => "Alpine",
        "MacOSX" => "Darwin",
        "FreeBSD" => "FreeBSD",
        "HPUX" => "HP-UX",
        other => other,
    };
    fam.to_string()
}

fn distribution_facts(sec: &BTreeMap<&str, String>, f: &mut Map) {
    let get = |k: &str| sec.get(k).map(String::as_str).unwrap_or("").trim();
    let osr = kv_file(get("os-release"));
    let lsbr = kv_file(get("lsb-release"));
    let redhat = get("redhat-release");
    let system_release = get("system-release");
    let debian_version = get("debian_version");
    let flags = get("flags");
    let mut name = String::from("NA");
    let mut version = String::from("NA");
    let mut release = String::from("NA");
    if let Some(id) = osr.get("ID") {
        name = match id.as_str() {
            "debian" => "Debian",
            "ubuntu" => "Ubuntu",
            "centos" => "CentOS",
            "rhel" => "RedHat",
            "fedora" => "Fedora",
            "rocky" => "Rocky",
            "almalinux" => "AlmaLinux",
            "ol" => "OracleLinux",
            "amzn" => "Amazon",
            "alpine" => "Alpine",
            "arch" => "Archlinux",
            "gentoo" => "Gentoo",
            "sles" => "SLES",
            "sled" => "SLED",
            "opensuse" | "opensuse-leap" => "openSUSE Leap",
            "opensuse-tumbleweed" => "openSUSE Tumbleweed",
            "scientific" => "Scientific",
            "xenserver" => "XenServer",
            "raspbian" => "Raspbian",
            "kali" => "Kali",
            "linuxmint" => "Linuxmint",
            _ => "",
        }
        .to_string();
        if name.is_empty() {
            let mut c = id.chars();
            name = c
                .next()
                .map(|h| h.to_uppercase().chain(c).collect())
                .unwrap_or_else(|| "NA".into());
        }
        if let Some(v) = osr.get("VERSION_ID") {
            version = v.clone();
        }
        if let Some(c) = osr
            .get("VERSION_CODENAME")
            .or_else(|| osr.get("UBUNTU_CODENAME"))
        {
            if !c.is_empty() {
                release = c.clone();
            }
        }
    } else if let Some(id) = lsbr.get("DISTRIB_ID") {
        name = id.clone();
        if let Some(v) = lsbr.get("DISTRIB_RELEASE") {
            version = v.clone();
        }
        if let Some(c) = lsbr.get("DISTRIB_CODENAME") {
            release = c.clone();
        }
    }
    // Release files as 1.2 read them.
    if !redhat.is_empty() && name != "Fedora" {
        if osr.is_empty() {
            name = if redhat.contains("Red Hat") {
                "RedHat".into()
            } else {
                redhat.split_whitespace().next().unwrap_or("NA").to_string()
            };
            if let Some(c) = regex::Regex::new(r"release ([0-9.]+)")
                .ok()
                .and_then(|r| r.captures(redhat))
            {
                version = c[1].to_string();
            }
        }
        if release == "NA" {
            if let Some(c) = regex::Regex::new(r"\(([^)]*)\)")
                .ok()
                .and_then(|r| r.captures(redhat))
            {
                release = c[1].to_string();
            }
        }
    } else if system_release.contains("Amazon") && osr.is_empty() {
        name = "Amazon".into();
        version = system_release
            .split_whitespace()
            .last()
            .unwrap_or("NA")
            .to_string();
    }
    if name == "Debian" {
        // 1.2 (platform.dist) and modern Ansible both report /etc/debian_version's "12.11".
        if debian_version
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
        {
            version = debian_version.to_string();
        }
    }
    if name == "NA" {
        if flags.contains("/etc/gentoo-release") {
            name = "Gentoo".into();
        } else if flags.contains("/etc/arch-release") {
            name = "Archlinux".into();
        } else if !get("alpine-release").is_empty() {
            name = "Alpine".into();
            version = get("alpine-release").to_string();
        } else if !get("suse-release").is_empty() {
            name = "SuSE".into();
        } else if !debian_version.is_empty() {
            name = "Debian".into();
            version = debian_version.to_string();
        }
    }
    let major = version
        .split('.')
        .next()
        .filter(|m| !m.is_empty() && *m != "NA")
        .unwrap_or("NA")
        .to_string();
    f.insert("ansible_distribution".into(), json!(name));
    f.insert("ansible_distribution_version".into(), json!(version));
    f.insert("ansible_distribution_major_version".into(), json!(major));
    f.insert("ansible_distribution_release".into(), json!(release));
    f.insert("ansible_os_family".into(), json!(os_family(&name)));
}

fn lsb_facts(text: &str, f: &mut Map) {
    if text.trim().is_empty() {
        return;
    }
    let mut m = Map::new();
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        let key = match k.trim() {
            "LSB Version" | "Release" => "release",
            "Distributor ID" => "id",
            "Description" => "description",
            "Codename" => "codename",
            _ => continue,
        };
        m.insert(key.into(), json!(v));
    }
    if let Some(r) = m.get("release").and_then(Value::as_str) {
        let major = r.split('.').next().unwrap_or("").to_string();
        m.insert("major_release".into(), json!(major));
    }
    f.insert("ansible_lsb".into(), Value::Object(m));
}

fn cpu_facts(text: &str, f: &mut Map) {
    if text.is_empty() {
        return;
    }
    let mut models = Vec::new();
    let mut vcpus = 0u64;
    let mut sockets: BTreeMap<String, u64> = BTreeMap::new();
    let mut physid = String::from("0");
    let mut siblings: Option<u64> = None;
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        match k {
            "model name" | "Processor" => models.push(json!(v)),
            "processor" => vcpus += 1,
            "physical id" => {
                physid = v.to_string();
                sockets.entry(physid.clone()).or_insert(1);
            }
            "cpu cores" => {
                sockets.insert(physid.clone(), v.parse().unwrap_or(1));
            }
            "siblings" => siblings = v.parse().ok(),
            _ => {}
        }
    }
    f.insert("ansible_processor".into(), Value::Array(models.clone()));
    if sockets.is_empty() {
        f.insert("ansible_processor_count".into(), json!(models.len()));
        f.insert("ansible_processor_cores".into(), json!("NA"));
    } else {
        let cores: u64 = sockets.values().sum();
        f.insert("ansible_processor_count".into(), json!(sockets.len()));
        f.insert("ansible_processor_cores".into(), json!(cores));
        if let Some(s) = siblings {
            let per_socket = cores / sockets.len() as u64;
            if let Some(t) = s.checked_div(per_socket) {
                f.insert("ansible_processor_threads_per_core".into(), json!(t));
            }
        }
    }
    f.insert("ansible_processor_vcpus".into(), json!(vcpus));
}

fn memory_facts(text: &str, f: &mut Map) {
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let name = match k {
            "MemTotal" => "ansible_memtotal_mb",
            "MemFree" => "ansible_memfree_mb",
            "SwapTotal" => "ansible_swaptotal_mb",
            "SwapFree" => "ansible_swapfree_mb",
            _ => continue,
        };
        let kb: u64 = v
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        f.insert(name.into(), json!(kb / 1024));
    }
}

fn ipv4_mask(len: u32) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - len.min(32))
    }
}

fn dotted(v: u32) -> String {
    std::net::Ipv4Addr::from(v).to_string()
}

/// `ip route get` output: `{interface, address, gateway}`.
fn route_facts(text: &str, target: &str) -> Map {
    let mut m = Map::new();
    let words: Vec<&str> = text
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    if words.first() != Some(&target) {
        return m;
    }
    for i in 0..words.len().saturating_sub(1) {
        match words[i] {
            "dev" => {
                m.insert("interface".into(), json!(words[i + 1]));
            }
            "src" => {
                m.insert("address".into(), json!(words[i + 1]));
            }
            "via" if words[i + 1] != target => {
                m.insert("gateway".into(), json!(words[i + 1]));
            }
            _ => {}
        }
    }
    m
}

fn network_facts(net: &str, ipaddr: &str, route4: &str, route6: &str, f: &mut Map) {
    let mut default4 = route_facts(route4, "8.8.8.8");
    let mut default6 = route_facts(route6, "2404:6800:400a:800::1012");
    let mut ifaces: indexmap::IndexMap<String, Map> = indexmap::IndexMap::new();
    for line in net.lines() {
        let p: Vec<&str> = line.split('|').collect();
        if p.len() < 9 || p[0] != "IF" {
            continue;
        }
        let mut m = Map::new();
        m.insert("device".into(), json!(p[1]));
        if !p[2].is_empty() && p[2] != "00:00:00:00:00:00" {
            m.insert("macaddress".into(), json!(p[2]));
        }
        if let Ok(mtu) = p[3].parse::<u64>() {
            m.insert("mtu".into(), json!(mtu));
        }
        if !p[4].is_empty() {
            m.insert("active".into(), json!(p[4] != "down"));
        }
        if !p[6].is_empty() {
            m.insert("module".into(), json!(p[6]));
        }
        match p[5] {
            "1" => m.insert("type".into(), json!("ether")),
            "512" => m.insert("type".into(), json!("ppp")),
            "772" => m.insert("type".into(), json!("loopback")),
            _ => None,
        };
        let members: Vec<Value> = p[8].split_whitespace().map(|s| json!(s)).collect();
        match p[7] {
            "bridge" => {
                m.insert("type".into(), json!("bridge"));
                m.insert("interfaces".into(), Value::Array(members));
            }
            "bonding" => {
                m.insert("type".into(), json!("bonding"));
                m.insert("slaves".into(), Value::Array(members));
            }
            _ => {}
        }
        ifaces.insert(p[1].to_string(), m);
    }
    let mut all4 = Vec::new();
    let mut all6 = Vec::new();
    let mut device = String::new();
    for line in ipaddr.lines() {
        if line.starts_with(|c: char| c.is_ascii_digit()) {
            // "2: eth0@if5: <...>" → eth0
            device = line
                .split(':')
                .nth(1)
                .unwrap_or("")
                .trim()
                .split('@')
                .next()
                .unwrap_or("")
                .to_string();
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.first() {
            Some(&"inet") if words.len() > 1 => {
                let (addr, len) = words[1].split_once('/').unwrap_or((words[1], "32"));
                let Ok(ip) = addr.parse::<std::net::Ipv4Addr>() else {
                    continue;
                };
                let mask = ipv4_mask(len.parse().unwrap_or(32));
                let (netmask, network) = (dotted(mask), dotted(u32::from(ip) & mask));
                let label = words.last().copied().unwrap_or(device.as_str()).to_string();
                let iface = if label != device && label.starts_with(device.as_str()) {
                    let base = ifaces.get(&device).cloned().unwrap_or_default();
                    ifaces.entry(label.clone()).or_insert(base);
                    label.clone()
                } else {
                    device.clone()
                };
                let ipv4 = json!({"address": addr, "netmask": netmask, "network": network});
                if let Some(m) = ifaces.get_mut(&iface) {
                    m.insert("ipv4".into(), ipv4);
                }
                if default4.get("address").and_then(Value::as_str) == Some(addr) {
                    default4.insert("netmask".into(), json!(netmask));
                    default4.insert("network".into(), json!(network));
                    if let Some(d) = ifaces.get(&device) {
                        for k in ["macaddress", "mtu"] {
                            if let Some(v) = d.get(k) {
                                default4.insert(k.into(), v.clone());
                            }
                        }
                        let ty = d.get("type").cloned().unwrap_or(json!("unknown"));
                        default4.insert("type".into(), ty);
                    }
                    default4.insert("alias".into(), json!(label));
                }
                if !addr.starts_with("127.") {
                    all4.push(json!(addr));
                }
            }
            Some(&"inet6") if words.len() > 3 => {
                let (addr, prefix) = words[1].split_once('/').unwrap_or((words[1], "128"));
                let scope = words[3];
                if let Some(m) = ifaces.get_mut(&device) {
                    let list = m.entry("ipv6").or_insert_with(|| Value::Array(vec![]));
                    if let Value::Array(a) = list {
                        a.push(json!({"address": addr, "prefix": prefix, "scope": scope}));
                    }
                }
                if default6.get("address").and_then(Value::as_str) == Some(addr) {
                    default6.insert("prefix".into(), json!(prefix));
                    default6.insert("scope".into(), json!(scope));
                    if let Some(d) = ifaces.get(&device) {
                        for k in ["macaddress", "mtu"] {
                            if let Some(v) = d.get(k) {
                                default6.insert(k.into(), v.clone());
                            }
                        }
                        let ty = d.get("type").cloned().unwrap_or(json!("unknown"));
                        default6.insert("type".into(), ty);
                    }
                }
                if addr != "::1" {
                    all6.push(json!(addr));
                }
            }
            _ => {}
        }
    }
    let names: Vec<Value> = ifaces.keys().map(|k| json!(k)).collect();
    f.insert("ansible_interfaces".into(), Value::Array(names));
    for (name, m) in ifaces {
        f.insert(
            format!("ansible_{}", name.replace(['-', ':', '.'], "_")),
            Value::Object(m),
        );
    }
    f.insert("ansible_default_ipv4".into(), Value::Object(default4));
    f.insert("ansible_default_ipv6".into(), Value::Object(default6));
    f.insert("ansible_all_ipv4_addresses".into(), Value::Array(all4));
    f.insert("ansible_all_ipv6_addresses".into(), Value::Array(all6));
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

/// `/etc/mtab` lines of devices under `/`, sizes from `df -P -k`.
fn mount_facts(mtab: &str, df: &str) -> Value {
    let mut sizes: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for line in df.lines().skip(1) {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() >= 6 {
            let total: u64 = w[1].parse().unwrap_or(0);
            let avail: u64 = w[3].parse().unwrap_or(0);
            sizes.insert(w[5..].join(" "), (total * 1024, avail * 1024));
        }
    }
    let mut out = Vec::new();
    for line in mtab.lines() {
        if !line.starts_with('/') {
            continue;
        }
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 4 {
            continue;
        }
        let mount = w[1].replace("\\040", " ");
        let (total, avail) = sizes.get(&mount).copied().unwrap_or((0, 0));
        out.push(json!({
            "mount": mount, "device": w[0], "fstype": w[2], "options": w[3],
            "size_total": total, "size_available": avail,
        }));
    }
    Value::Array(out)
}

/// Ansible's `bytes_to_human` for device sizes (`256.00 GB`).
fn human_size(bytes: f64) -> String {
    let units = [
        ("YB", 1u128 << 80),
        ("ZB", 1 << 70),
        ("EB", 1 << 60),
        ("PB", 1 << 50),
        ("TB", 1 << 40),
        ("GB", 1 << 30),
        ("MB", 1 << 20),
        ("KB", 1 << 10),
    ];
    for (name, limit) in units {
        if bytes >= limit as f64 {
            return format!("{:.2} {name}", bytes / limit as f64);
        }
    }
    format!("{bytes:.2} Bytes")
}

fn device_facts(text: &str) -> Value {
    let mut devs = Map::new();
    for line in text.lines() {
        let p: Vec<&str> = line.split('|').collect();
        match p.first() {
            Some(&"DEV") if p.len() >= 11 => {
                let sectors: u64 = p[4].parse().unwrap_or(0);
                let ss: u64 = p[5].parse().unwrap_or(512);
                let sched = p[8]
                    .split_whitespace()
                    .find(|s| s.starts_with('['))
                    .map(|s| s.trim_matches(['[', ']']).to_string())
                    .unwrap_or_default();
                let holders: Vec<Value> = p[10].split_whitespace().map(|s| json!(s)).collect();
                let opt = |s: &str| if s.is_empty() { Value::Null } else { json!(s) };
                devs.insert(
                    p[1].to_string(),
                    json!({
                        "vendor": opt(p[2]), "model": opt(p[3]),
                        "sectors": p[4], "sectorsize": ss.to_string(),
                        "size": human_size((sectors * ss) as f64),
                        "removable": p[6], "rotational": p[7], "scheduler_mode": sched,
                        "support_discard": p[9], "holders": holders, "host": "",
                        "partitions": {},
                    }),
                );
            }
            Some(&"PART") if p.len() >= 5 => {
                if let Some(Value::Object(d)) = devs.get_mut(p[1]) {
                    let ss: u64 = d
                        .get("sectorsize")
                        .and_then(Value::as_str)
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(512);
                    let sectors: u64 = p[3].parse().unwrap_or(0);
                    if let Some(Value::Object(parts)) = d.get_mut("partitions") {
                        parts.insert(
                            p[2].to_string(),
                            json!({
                                "sectors": p[3], "sectorsize": ss, "start": p[4],
                                "size": human_size((sectors * ss) as f64),
                            }),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    Value::Object(devs)
}

fn virtual_facts(text: &str, f: &mut Map) {
    let mut kind = String::new();
    let mut role = String::new();
    let has = |k: &str| text.lines().any(|l| l == k);
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k).and_then(|r| r.strip_prefix('|')))
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let sdv_c = field("SDVC");
    let sdv = field("SDV");
    let cg = field("CG");
    if !sdv_c.is_empty() && sdv_c != "none" {
        kind = match sdv_c.as_str() {
            "systemd-nspawn" => "systemd-nspawn".into(),
            "lxc" | "lxc-libvirt" => "lxc".into(),
            other => other.to_string(),
        };
        role = "guest".into();
    } else if has("DOCKERENV") || cg == "docker" {
        kind = "docker".into();
        role = "guest".into();
    } else if has("PODMAN") {
        kind = "podman".into();
        role = "guest".into();
    } else if cg == "lxc" {
        kind = "lxc".into();
        role = "guest".into();
    } else if has("VZ") {
        kind = "openvz".into();
        role = "guest".into();
    } else if !sdv.is_empty() && sdv != "none" {
        kind = match sdv.as_str() {
            "oracle" => "virtualbox".into(),
            "microsoft" => "VirtualPC".into(),
            "vmware" => "VMware".into(),
            other => other.to_string(),
        };
        role = "guest".into();
    } else {
        let product = field("PRODUCT");
        let vendor = field("VENDOR");
        if product.contains("KVM") || product.contains("Bochs") || vendor.contains("QEMU") {
            kind = "kvm".into();
            role = "guest".into();
        } else if product.contains("VMware") {
            kind = "VMware".into();
            role = "guest".into();
        } else if product.contains("VirtualBox") {
            kind = "virtualbox".into();
            role = "guest".into();
        } else if has("XEN") {
            kind = "xen".into();
            role = "guest".into();
        } else if has("HYPERVISOR") {
            kind = "NA".into();
            role = "guest".into();
        }
    }
    if kind.is_empty() {
        kind = "NA".into();
        role = "NA".into();
    }
    f.insert("ansible_virtualization_type".into(), json!(kind));
    f.insert("ansible_virtualization_role".into(), json!(role));
}

fn selinux_facts(text: &str) -> Value {
    let has = |k: &str| text.lines().any(|l| l == k);
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k).and_then(|r| r.strip_prefix('|')))
            .map(str::to_string)
    };
    let config = kv_file(text);
    if !has("MOUNTED") {
        if config.contains_key("SELINUX") {
            return json!({"status": "disabled"});
        }
        return Value::Bool(false);
    }
    let mode = match field("ENFORCE").as_deref() {
        Some("1") => "enforcing",
        Some("0") => "permissive",
        _ => "unknown",
    };
    json!({
        "status": "enabled",
        "mode": mode,
        "policyvers": field("POLICYVERS").and_then(|v| v.parse::<u64>().ok()).map(Value::from).unwrap_or(json!("unknown")),
        "config_mode": config.get("SELINUX").cloned().unwrap_or_else(|| "unknown".into()),
        "type": config.get("SELINUXTYPE").cloned().unwrap_or_else(|| "unknown".into()),
    })
}

fn service_mgr(text: &str) -> &'static str {
    let comm = text
        .lines()
        .find_map(|l| l.strip_prefix("COMM|"))
        .unwrap_or("")
        .trim();
    let has = |k: &str| text.lines().any(|l| l == k);
    if comm == "systemd" || has("SYSTEMD") {
        "systemd"
    } else if has("OPENRC") || comm == "openrc-init" {
        "openrc"
    } else if comm == "upstart" || (comm == "init" && has("UPSTART")) {
        "upstart"
    } else if comm == "runit" || comm == "runit-init" {
        "runit"
    } else if comm == "init" {
        "sysvinit"
    } else {
        "service"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_interfaces_like_ansible_12() {
        let net = "IF|eth0|02:fc:00:00:00:01|1400|up|1|||\nIF|lo|00:00:00:00:00:00|65536|unknown|772|||\nIF|br-lan|aa:bb:cc:dd:ee:ff|1500|up|1||bridge|eth1 eth2 \n";
        let ipaddr = "1: lo: <LOOPBACK,UP> mtu 65536\n    inet 127.0.0.1/8 scope host lo\n    inet6 ::1/128 scope host\n2: eth0@if7: <BROADCAST> mtu 1400\n    link/ether 02:fc:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\n    inet 10.1.2.3/16 scope global secondary eth0\n    inet 10.9.9.9/8 scope global eth0:1\n    inet6 fd00::2/64 scope global\n";
        let route4 = "8.8.8.8 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0\n    cache\n";
        let mut f = Map::new();
        network_facts(net, ipaddr, route4, "", &mut f);
        // The last inet line of eth0 wins (1.2), the alias gets its own key.
        assert_eq!(f["ansible_eth0"]["ipv4"]["address"], "10.1.2.3");
        assert_eq!(f["ansible_eth0"]["ipv4"]["netmask"], "255.255.0.0");
        assert_eq!(f["ansible_eth0"]["ipv4"]["network"], "10.1.0.0");
        assert_eq!(f["ansible_eth0_1"]["ipv4"]["address"], "10.9.9.9");
        assert_eq!(f["ansible_eth0"]["mtu"], 1400);
        assert!(f["ansible_lo"].get("macaddress").is_none());
        assert_eq!(f["ansible_lo"]["type"], "loopback");
        assert_eq!(f["ansible_br_lan"]["type"], "bridge");
        assert_eq!(f["ansible_br_lan"]["interfaces"], json!(["eth1", "eth2"]));
        assert_eq!(f["ansible_default_ipv4"]["gateway"], "192.0.2.1");
        assert_eq!(f["ansible_default_ipv4"]["interface"], "eth0");
        assert_eq!(f["ansible_default_ipv4"]["netmask"], "255.255.255.0");
        assert_eq!(f["ansible_default_ipv4"]["macaddress"], "02:fc:00:00:00:01");
        assert_eq!(
            f["ansible_all_ipv4_addresses"],
            json!(["192.0.2.2", "10.1.2.3", "10.9.9.9"])
        );
        assert_eq!(f["ansible_eth0"]["ipv6"][0]["scope"], "global");
    }

    #[test]
    fn distributions() {
        let mut sec = BTreeMap::new();
        sec.insert("redhat-release", "CentOS release 6.4 (Final)\n".to_string());
        let mut f = Map::new();
        distribution_facts(&sec, &mut f);
        assert_eq!(f["ansible_distribution"], "CentOS");
        assert_eq!(f["ansible_distribution_version"], "6.4");
        assert_eq!(f["ansible_distribution_major_version"], "6");
        assert_eq!(f["ansible_distribution_release"], "Final");
        assert_eq!(f["ansible_os_family"], "RedHat");

        let mut sec = BTreeMap::new();
        sec.insert(
            "os-release",
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n"
                .to_string(),
        );
        sec.insert("debian_version", "12.11\n".to_string());
        let mut f = Map::new();
        distribution_facts(&sec, &mut f);
        assert_eq!(f["ansible_distribution"], "Debian");
        assert_eq!(f["ansible_distribution_version"], "12.11");
        assert_eq!(f["ansible_distribution_major_version"], "12");
        assert_eq!(f["ansible_distribution_release"], "bookworm");
        assert_eq!(f["ansible_os_family"], "Debian");

        let mut sec = BTreeMap::new();
        sec.insert(
            "os-release",
            "ID=\"rocky\"\nVERSION_ID=\"9.3\"\n".to_string(),
        );
        sec.insert(
            "redhat-release",
            "Rocky Linux release 9.3 (Blue Onyx)\n".to_string(),
        );
        let mut f = Map::new();
        distribution_facts(&sec, &mut f);
        assert_eq!(f["ansible_distribution"], "Rocky");
        assert_eq!(f["ansible_os_family"], "RedHat");
        assert_eq!(f["ansible_distribution_release"], "Blue Onyx");
    }

    #[test]
    fn cpu_memory_fqdn() {
        let cpu = "processor\t: 0\nmodel name\t: Xeon\nphysical id\t: 0\nsiblings\t: 2\ncpu cores\t: 2\n\nprocessor\t: 1\nmodel name\t: Xeon\nphysical id\t: 0\nsiblings\t: 2\ncpu cores\t: 2\n";
        let mut f = Map::new();
        cpu_facts(cpu, &mut f);
        assert_eq!(f["ansible_processor"], json!(["Xeon", "Xeon"]));
        assert_eq!(f["ansible_processor_count"], 1);
        assert_eq!(f["ansible_processor_cores"], 2);
        assert_eq!(f["ansible_processor_vcpus"], 2);
        memory_facts("MemTotal:       24683576 kB\nMemFree: 1024 kB\n", &mut f);
        assert_eq!(f["ansible_memtotal_mb"], 24105);
        assert_eq!(f["ansible_memfree_mb"], 1);
        assert_eq!(fqdn_from("127.0.0.1       localhost\n", "vm"), "localhost");
        assert_eq!(fqdn_from("10.0.0.1 web1 web1.lab\n", "web1"), "web1.lab");
        assert_eq!(fqdn_from("", "vm"), "vm");
        assert_eq!(human_size(274877906944.0), "256.00 GB");
    }
}
