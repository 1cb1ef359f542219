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

/// Indices of the handlers a notify name matches (1.2: by templated name; a handler defined twice
/// runs twice; modern also matches `listen`).
pub fn matching_handlers(name: &str, handler_names: &[(String, Vec<String>)]) -> Vec<usize> {
    handler_names
        .iter()
        .enumerate()
        .filter(|(_, (n, listen))| n == name || listen.iter().any(|l| l == name))
        .map(|(i, _)| i)
        .collect()
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
        let names = vec![
            ("H1".to_string(), vec![]),
            ("H2".to_string(), vec!["web".to_string()]),
            ("H1".to_string(), vec![]),
        ];
        assert_eq!(matching_handlers("H1", &names), vec![0, 2]);
        assert_eq!(matching_handlers("web", &names), vec![1]);
    }
}
