//! CPython 2.7 (64-bit) dict iteration order for string keys.
//!
//! Ansible 1.2 iterates Python 2 dicts (`{% for h in hostvars %}`, `{% for n in networks %}`,
//! `{{ dict }}`), whose order is the hash-table slot order. This module simulates the table:
//! string hash, open addressing with perturbation, resize on two-thirds fill, and
//! `dict.update`'s pre-sizing. Only insertions are simulated (no deletions).

/// CPython 2.7's `hash()` of a `str`/`unicode` with only code points (64-bit build, no hash
/// randomisation).
pub fn py2_hash(s: &str) -> i64 {
    let mut chars = s.chars().peekable();
    let Some(&first) = chars.peek() else {
        return 0;
    };
    let mut x: i64 = (first as i64) << 7;
    let mut len: i64 = 0;
    for c in chars {
        x = 1_000_003i64.wrapping_mul(x) ^ (c as i64);
        len += 1;
    }
    x ^= len;
    if x == -1 {
        -2
    } else {
        x
    }
}

/// A simulated Python 2 dict holding indices of keys.
#[derive(Clone, Debug)]
pub struct Py2Dict<'k> {
    slots: Vec<Option<(u64, &'k str)>>,
    used: usize,
}

impl<'k> Default for Py2Dict<'k> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'k> Py2Dict<'k> {
    /// An empty dict (8 slots, like `{}`).
    pub fn new() -> Self {
        Self {
            slots: vec![None; 8],
            used: 0,
        }
    }

    fn find_slot(&self, key: &str, hash: u64) -> (usize, bool) {
        let mask = (self.slots.len() - 1) as u64;
        let mut i = hash;
        let mut perturb = hash;
        let mut idx = (i & mask) as usize;
        loop {
            match self.slots[idx] {
                None => return (idx, false),
                Some((h, k)) if h == hash && k == key => return (idx, true),
                _ => {}
            }
            i = i
                .wrapping_shl(2)
                .wrapping_add(i)
                .wrapping_add(perturb)
                .wrapping_add(1);
            idx = (i & mask) as usize;
            perturb >>= 5;
        }
    }

    /// `insertdict` without any resize check; returns whether the key was new.
    fn insert_raw(&mut self, key: &'k str) -> bool {
        let hash = py2_hash(key) as u64;
        let (idx, found) = self.find_slot(key, hash);
        if !found {
            self.slots[idx] = Some((hash, key));
            self.used += 1;
        }
        !found
    }

    fn resize(&mut self, minused: usize) {
        let mut newsize = 8;
        while newsize <= minused {
            newsize <<= 1;
        }
        let old = std::mem::replace(&mut self.slots, vec![None; newsize]);
        self.used = 0;
        for (_, k) in old.into_iter().flatten() {
            self.insert_raw(k);
        }
    }

    /// `d[key] = value` (PyDict_SetItem): insert, then grow at two-thirds fill.
    pub fn insert(&mut self, key: &'k str) {
        if self.insert_raw(key) && self.used * 3 >= self.slots.len() * 2 {
            let factor = if self.used > 50_000 { 2 } else { 4 };
            self.resize(factor * self.used);
        }
    }

    /// `d.update(other)` with `other` a dict iterating in `other_order`.
    pub fn update(&mut self, other_order: &[&'k str]) {
        if (self.used + other_order.len()) * 3 >= self.slots.len() * 2 {
            self.resize((self.used + other_order.len()) * 2);
        }
        for k in other_order {
            self.insert_raw(k);
        }
    }

    /// The keys in iteration (slot) order.
    pub fn keys(&self) -> Vec<&'k str> {
        self.slots.iter().flatten().map(|(_, k)| *k).collect()
    }
}

/// Iteration order of a dict built by inserting `keys` one by one into `{}`.
pub fn insert_order<'k>(keys: &[&'k str]) -> Vec<&'k str> {
    let mut d = Py2Dict::new();
    for k in keys {
        d.insert(k);
    }
    d.keys()
}

/// Iteration order of `{}` updated with a dict iterating in `order`.
pub fn update_order<'k>(order: &[&'k str]) -> Vec<&'k str> {
    let mut d = Py2Dict::new();
    d.update(order);
    d.keys()
}

/// Order of a mapping as Ansible 1.2 shows it inside Jinja2: PyYAML builds it (insert into a
/// fresh dict, then `{}.update()` of that), and `template()` rebuilds it by inserting in that
/// order.
pub fn yaml_templated_order<'k>(keys: &[&'k str]) -> Vec<&'k str> {
    insert_order(&update_order(&insert_order(keys)))
}

/// Order of `HostVars`: the per-host cache (hosts inserted in the order they entered the run),
/// copied by `dict.update`.
pub fn hostvars_order<'k>(hosts: &[&'k str]) -> Vec<&'k str> {
    update_order(&insert_order(hosts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_match_python27() {
        // python2.7 -c 'print hash("core-01")'
        assert_eq!(py2_hash(""), 0);
        assert_eq!(py2_hash("a"), 12416037344);
    }

    #[test]
    fn networks_order_matches_ansible12() {
        let keys = ["bmc", "system", "compute", "vpn", "tinc", "home"];
        assert_eq!(
            update_order(&insert_order(&keys)),
            ["bmc", "compute", "home", "tinc", "vpn", "system"]
        );
        assert_eq!(
            yaml_templated_order(&keys),
            ["bmc", "compute", "system", "tinc", "home", "vpn"]
        );
    }

    #[test]
    fn hosts_order_matches_ansible12() {
        let hosts = ["core-01", "core-02", "core-03", "com"];
        assert_eq!(
            insert_order(&hosts),
            ["com", "core-01", "core-03", "core-02"]
        );
        assert_eq!(
            hostvars_order(&hosts),
            ["core-01", "com", "core-03", "core-02"]
        );
        assert_eq!(
            hostvars_order(&hosts[..3]),
            ["core-01", "core-03", "core-02"]
        );
    }
}
