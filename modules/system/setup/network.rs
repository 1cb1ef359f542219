//! Network facts: interfaces (`ansible_<iface>`), default routes, all addresses.

use serde_json::json;

use crate::value::{Map, Value};

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

/// Copies the interface's link facts (MAC, MTU, type) into a default-route dict.
fn link_into(default: &mut Map, iface: Option<&Map>) {
    let Some(d) = iface else { return };
    for k in ["macaddress", "mtu"] {
        if let Some(v) = d.get(k) {
            default.insert(k.into(), v.clone());
        }
    }
    let ty = d.get("type").cloned().unwrap_or(json!("unknown"));
    default.insert("type".into(), ty);
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

pub(super) fn network_facts(net: &str, ipaddr: &str, route4: &str, route6: &str, f: &mut Map) {
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
                    link_into(&mut default4, ifaces.get(&device));
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
                    link_into(&mut default6, ifaces.get(&device));
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
}
