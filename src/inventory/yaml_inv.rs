//! Modern Ansible's YAML inventory: top-level groups (usually `all`), each a mapping with
//! optional `hosts` (host → variables), `vars` and `children` (group → same shape). Host names
//! may hold ranges (`www[01:03].x`). Hosts that end up in no group but `all` go to `ungrouped`.
//! (Ansible 1.2 rejected YAML inventories; flock accepts them for modern playbooks.)

use std::path::Path;

use super::{Inventory, InventoryError, ALL};
use crate::yaml::{Node, NodeKind};

fn bad(node: &Node, msg: impl Into<String>) -> InventoryError {
    InventoryError::Parse {
        pos: node.pos.clone(),
        message: msg.into(),
    }
}

/// Build an inventory from the first YAML document (`None` or null: empty inventory).
pub(super) fn build(doc: Option<&Node>, path: &Path) -> Result<Inventory, InventoryError> {
    let mut inv = Inventory::empty_with_ungrouped();
    let Some(doc) = doc.filter(|d| !d.is_null()) else {
        return Ok(inv);
    };
    let Some(pairs) = doc.as_map() else {
        return Err(bad(
            doc,
            format!(
                "{}: a YAML inventory must be a mapping of groups",
                path.display()
            ),
        ));
    };
    for (k, v) in pairs {
        let g = inv.ensure_group(&k.key_string());
        group(&mut inv, g, v)?;
    }
    let ungrouped = inv.ensure_group("ungrouped");
    for h in 0..inv.host_data.len() {
        if inv.host_data[h].groups.iter().all(|&g| g == ALL) {
            inv.add_host_to_group(ungrouped, h);
        }
    }
    Ok(inv)
}

fn group(inv: &mut Inventory, g: usize, node: &Node) -> Result<(), InventoryError> {
    if node.is_null() {
        return Ok(());
    }
    let Some(pairs) = node.as_map() else {
        return Err(bad(
            node,
            format!(
                "group '{}' must be a mapping (hosts, vars, children)",
                inv.groups[g].name
            ),
        ));
    };
    for (k, v) in pairs {
        match k.key_string().as_str() {
            "hosts" => hosts(inv, g, v)?,
            "vars" => {
                if v.is_null() {
                    continue;
                }
                let serde_json::Value::Object(m) = v.to_value() else {
                    return Err(bad(v, "group vars must be a mapping"));
                };
                inv.groups[g].vars.extend(m);
            }
            "children" => {
                if v.is_null() {
                    continue;
                }
                let Some(kids) = v.as_map() else {
                    return Err(bad(v, "children must be a mapping of groups"));
                };
                for (ck, cv) in kids {
                    let name = ck.key_string();
                    let c = inv.ensure_group(&name);
                    if c == g {
                        return Err(bad(ck, format!("group '{name}' cannot be its own child")));
                    }
                    inv.add_child_group(g, c);
                    group(inv, c, cv)?;
                }
            }
            other => {
                return Err(bad(
                    k,
                    format!(
                        "unexpected key '{other}' in group '{}' (expected hosts, vars, children)",
                        inv.groups[g].name
                    ),
                ))
            }
        }
    }
    Ok(())
}

fn hosts(inv: &mut Inventory, g: usize, node: &Node) -> Result<(), InventoryError> {
    let entries: Vec<(String, Option<&Node>, &Node)> = match &node.kind {
        NodeKind::Null => return Ok(()),
        NodeKind::Map(pairs) => pairs
            .iter()
            .map(|(k, v)| (k.key_string(), Some(v), k))
            .collect(),
        _ => {
            return Err(bad(
                node,
                "hosts must be a mapping of host names to variables",
            ))
        }
    };
    for (name, vars, knode) in entries {
        let names = super::ini::host_names(&name, &name).map_err(|m| bad(knode, m))?;
        for hn in names {
            let h = inv.ensure_host(&hn);
            if let Some(v) = vars.filter(|v| !v.is_null()) {
                let serde_json::Value::Object(m) = v.to_value() else {
                    return Err(bad(
                        v,
                        format!("variables of host '{hn}' must be a mapping"),
                    ));
                };
                inv.host_data[h].vars.extend(m);
            }
            inv.add_host_to_group(g, h);
        }
    }
    Ok(())
}
