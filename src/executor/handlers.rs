//! Handlers: which hosts notified which handler, run at flush points in definition order.

use std::collections::{BTreeSet, HashMap};

/// Pending notifications of one play.
#[derive(Default)]
pub struct Notified {
    by_handler: HashMap<usize, BTreeSet<String>>,
}

impl Notified {
    /// Nothing notified.
    pub fn new() -> Self {
        Self::default()
    }

    /// `host` notified the handler at index `handler`.
    pub fn notify(&mut self, handler: usize, host: &str) {
        self.by_handler
            .entry(handler)
            .or_default()
            .insert(host.to_string());
    }

    /// Takes the hosts that notified `handler` (in name order), clearing them.
    pub fn take(&mut self, handler: usize) -> Vec<String> {
        self.by_handler
            .remove(&handler)
            .map(|s| s.into_iter().collect())
            .unwrap_or_default()
    }

    /// Whether anything is pending.
    pub fn is_empty(&self) -> bool {
        self.by_handler.values().all(BTreeSet::is_empty)
    }
}

/// What a notification can name a handler by.
#[derive(Clone, Debug, Default)]
pub struct HandlerKeys {
    /// The templated name, and `role : name` for a role's handler.
    pub names: Vec<String>,
    /// `listen:` topics, and `role : topic` for a role's handler (modern).
    pub listen: Vec<String>,
    /// Which block of handlers it is in (a role's handlers, the play's): ansible-core searches
    /// the last block first, each block from its start.
    pub block: usize,
}

impl HandlerKeys {
    /// Keys of a handler named `name` (from `role`, if any) listening to `listen`, in the
    /// `block`-th block of handlers.
    pub fn new(name: String, role: Option<&str>, listen: &[String], block: usize) -> Self {
        let prefixed = |s: &String| role.map(|r| format!("{r} : {s}"));
        let mut names: Vec<String> = prefixed(&name).into_iter().collect();
        names.insert(0, name);
        let mut topics = listen.to_vec();
        topics.extend(listen.iter().filter_map(prefixed));
        Self {
            names,
            listen: topics,
            block,
        }
    }
}

/// Indices of the handlers a notification `name` matches.
///
/// Ansible 1.2: every handler of that name (a handler defined twice runs twice). ansible-core
/// (`search_handlers_by_notification`, blocks searched from the last, each from its start):
/// the first handler of that name found, and every handler listening to it (one per name).
pub fn matching_handlers(name: &str, handlers: &[HandlerKeys], modern: bool) -> Vec<usize> {
    let by_name = |h: &HandlerKeys| h.names.iter().any(|n| n == name);
    if !modern {
        return (0..handlers.len())
            .filter(|&i| by_name(&handlers[i]))
            .collect();
    }
    let mut order: Vec<usize> = (0..handlers.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(handlers[i].block), i));
    let mut found: Vec<usize> = order
        .iter()
        .copied()
        .find(|&i| by_name(&handlers[i]))
        .into_iter()
        .collect();
    let mut seen = std::collections::HashSet::new();
    for &i in &order {
        let h = &handlers[i];
        if h.listen.iter().any(|l| l == name) && seen.insert(h.names[0].as_str()) {
            found.push(i);
        }
    }
    found.sort_unstable();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handlers_run_in_definition_order_once_per_host() {
        let mut n = Notified::new();
        n.notify(1, "core-02");
        n.notify(1, "core-01");
        n.notify(1, "core-02");
        assert_eq!(n.take(1), vec!["core-01", "core-02"]);
        assert!(n.take(1).is_empty());
        let keys = |n: &str, listen: &[&str]| {
            let listen: Vec<String> = listen.iter().map(|s| s.to_string()).collect();
            HandlerKeys::new(n.to_string(), None, &listen, 0)
        };
        let mut names = vec![keys("H1", &[]), keys("H2", &["web"]), keys("H1", &[])];
        assert_eq!(matching_handlers("H1", &names, false), vec![0, 2]);
        assert_eq!(matching_handlers("H1", &names, true), vec![0]);
        names[2].block = 1;
        assert_eq!(matching_handlers("H1", &names, true), vec![2]);
        assert_eq!(matching_handlers("web", &names, true), vec![1]);
        let role = HandlerKeys::new("restart".into(), Some("web"), &["up".to_string()], 0);
        assert_eq!(role.names, vec!["restart", "web : restart"]);
        assert_eq!(role.listen, vec!["up", "web : up"]);
    }
}
