//! Hardware facts: processors, memory, mounts, block devices.

use std::collections::BTreeMap;

use serde_json::json;

use crate::value::{Map, Value};

pub(super) fn cpu_facts(text: &str, f: &mut Map) {
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

pub(super) fn memory_facts(text: &str, f: &mut Map) {
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

/// `/etc/mtab` lines of devices under `/`, sizes from `df -P -k`.
pub(super) fn mount_facts(mtab: &str, df: &str) -> Value {
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
pub(super) fn human_size(bytes: f64) -> String {
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

pub(super) fn device_facts(text: &str) -> Value {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_memory_sizes() {
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
        assert_eq!(human_size(274877906944.0), "256.00 GB");
    }
}
