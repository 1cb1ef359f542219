//! Which hosts are still in the run, and the recap counters.

use std::collections::{BTreeMap, HashSet};

use crate::output::{HostStats, Status};

/// Host states for the whole run: failed and unreachable hosts leave every later task and play.
#[derive(Default)]
pub struct HostStates {
    failed: HashSet<String>,
    unreachable: HashSet<String>,
    in_always: HashSet<String>,
    stats: BTreeMap<String, HostStats>,
}

impl HostStates {
    /// Nobody failed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the host is still in the run.
    pub fn alive(&self, host: &str) -> bool {
        !self.failed.contains(host) && !self.unreachable.contains(host)
    }

    /// Makes sure the host appears in the recap.
    pub fn touch(&mut self, host: &str) {
        self.stats.entry(host.to_string()).or_default();
    }

    /// Counts one task result and updates the host's state.
    pub fn record(&mut self, host: &str, status: Status) {
        let st = self.stats.entry(host.to_string()).or_default();
        match status {
            Status::Ok => st.ok += 1,
            Status::Changed => {
                st.ok += 1;
                st.changed += 1;
            }
            Status::Skipped => st.skipped += 1,
            Status::Ignored => {
                st.ok += 1;
                st.ignored += 1;
            }
            Status::Failed => {
                st.failed += 1;
                self.failed.insert(host.to_string());
            }
            Status::Unreachable => {
                st.unreachable = 1;
                self.unreachable.insert(host.to_string());
            }
        }
    }

    /// Fails a host without counting a failure (the other hosts of a failed `run_once` task).
    pub fn mark_failed(&mut self, host: &str) {
        self.failed.insert(host.to_string());
    }

    /// Counts a changed result that was ignored-failed (1.2 counts it as changed too).
    pub fn add_changed(&mut self, host: &str) {
        self.stats.entry(host.to_string()).or_default().changed += 1;
    }

    /// A host failed inside a block with a `rescue`: it is back in the play.
    pub fn rescue(&mut self, host: &str) {
        if self.failed.remove(host) {
            let st = self.stats.entry(host.to_string()).or_default();
            st.failed = st.failed.saturating_sub(1);
            st.rescued += 1;
        }
    }

    /// A failed host runs a block's `always` section; [`Self::end_always`] fails it again.
    pub fn allow_always(&mut self, host: &str) {
        if self.failed.remove(host) {
            self.in_always.insert(host.to_string());
        }
    }

    /// Ends `always` sections: hosts that were failed before them are failed again.
    pub fn end_always(&mut self) {
        for h in self.in_always.drain() {
            self.failed.insert(h);
        }
    }

    /// Hosts that failed (for the `.retry` file).
    pub fn failed_hosts(&self) -> Vec<String> {
        let mut v: Vec<String> = self.failed.union(&self.unreachable).cloned().collect();
        v.sort();
        v
    }

    /// Whether any host failed / was unreachable.
    pub fn any_failed(&self) -> bool {
        !self.failed.is_empty()
    }

    /// Whether any host was unreachable.
    pub fn any_unreachable(&self) -> bool {
        !self.unreachable.is_empty()
    }

    /// The recap counters.
    pub fn stats(&self) -> &BTreeMap<String, HostStats> {
        &self.stats
    }
}
