//! Templating: Jinja2 (minijinja with Jinja2 2.7 semantics and Ansible's filters), Ansible 1.2's
//! legacy `$var` pass, and conditions (`when`, `only_if`, `when_*`). (Implemented in issue 4.)

use crate::value::Value;

/// Which Ansible a playbook was written for. Decides undefined-variable handling, `when`
/// evaluation and variable precedence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Ansible 1.2 (mid 2013): legacy `$var`, `only_if`, undefined variables left unrendered in
    /// arguments and rendered empty in template files, 1.2 precedence.
    #[default]
    Legacy12,
    /// Modern Ansible (2.x+): undefined variables are errors, modern precedence.
    Modern,
}

/// Read access to other hosts' variables (`hostvars`), provided by the vars stage as a cheap
/// snapshot so templates can read `hostvars[h][...]` without copying every host's variables.
pub trait HostVarsLookup: Send + Sync {
    /// The hosts `hostvars` contains, in the order they entered the run (Ansible 1.2: hosts
    /// seen so far in this run; modern: every inventory host).
    fn hosts(&self) -> Vec<String>;
    /// All variables of one host (inventory vars + facts + registered results, …).
    fn get(&self, host: &str) -> Option<Value>;
}
