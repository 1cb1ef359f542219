//! Distribution facts: `ansible_distribution*`, `ansible_os_family`, `ansible_lsb`.

use std::collections::BTreeMap;

use serde_json::json;

use crate::value::{Map, Value};

/// `KEY=value` lines (os-release, lsb-release), quotes removed.
pub(super) fn kv_file(text: &str) -> BTreeMap<String, String> {
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

pub(super) fn distribution_facts(sec: &BTreeMap<&str, String>, f: &mut Map) {
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

pub(super) fn lsb_facts(text: &str, f: &mut Map) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
