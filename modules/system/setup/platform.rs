//! Platform facts: virtualization, SELinux, service manager.

use serde_json::json;

use super::distro::kv_file;
use crate::value::{Map, Value};

pub(super) fn virtual_facts(text: &str, f: &mut Map) {
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

pub(super) fn selinux_facts(text: &str) -> Value {
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

/// `ansible_service_mgr` as modern Ansible decides it: PID 1's name when it identifies an init
/// system; when it is `init` or a shell (a container's), the system's files decide (`/sbin/init`
/// pointing at systemd counts as systemd, as in Ansible's offline check).
pub(super) fn service_mgr(text: &str) -> &'static str {
    let comm = text
        .lines()
        .find_map(|l| l.strip_prefix("COMM|"))
        .unwrap_or("")
        .trim();
    let has = |k: &str| text.lines().any(|l| l == k);
    match comm {
        "systemd" => return "systemd",
        "openrc-init" => return "openrc",
        "upstart" => return "upstart",
        "runit" | "runit-init" => return "runit",
        c if !c.is_empty() && c != "init" && !c.ends_with("sh") => return "service",
        _ => {}
    }
    if has("SYSTEMD") || has("SBIN_SYSTEMD") {
        "systemd"
    } else if has("UPSTART") && has("ETC_INIT") {
        "upstart"
    } else if has("OPENRC") {
        "openrc"
    } else if has("INITD") {
        "sysvinit"
    } else {
        "service"
    }
}
