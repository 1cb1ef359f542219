//! Dialect detection: constructs that only Ansible 1.2-era playbooks use.

use crate::yaml::{Node, NodeKind};

/// Task keywords that only exist in Ansible 1.x.
pub(crate) const LEGACY_TASK_KEYS: &[&str] = &[
    "only_if",
    "sudo",
    "sudo_user",
    "sudo_pass",
    "first_available_file",
    "include",
];

/// Play keywords that only exist in Ansible 1.x.
pub(crate) const LEGACY_PLAY_KEYS: &[&str] = &["user", "sudo", "sudo_user"];

/// Task keywords that only exist in modern Ansible (1.3 and later).
pub(crate) const MODERN_TASK_KEYS: &[&str] = &[
    "loop",
    "loop_control",
    "become",
    "become_user",
    "become_method",
    "changed_when",
    "failed_when",
    "until",
    "retries",
    "delay",
    "no_log",
    "check_mode",
    "diff",
    "run_once",
    "vars",
    "listen",
    "remote_user",
    "block",
    "import_tasks",
    "include_tasks",
    "include_role",
    "import_role",
    "module_defaults",
    "throttle",
];

/// Play keywords that only exist in modern Ansible.
pub(crate) const MODERN_PLAY_KEYS: &[&str] = &[
    "become",
    "become_user",
    "become_method",
    "remote_user",
    "strategy",
    "max_fail_percentage",
    "environment",
    "no_log",
    "order",
];

/// Play keywords ansible-core added after 1.2 that 1.2 refused outright (also modern markers).
pub(crate) const MODERN_ONLY_PLAY_KEYS: &[&str] = &[
    "check_mode",
    "diff",
    "ignore_errors",
    "run_once",
    "gather_subset",
    "gather_timeout",
    "fact_path",
    "force_handlers",
    "ignore_unreachable",
    "collections",
    "module_defaults",
    "throttle",
    "timeout",
    "debugger",
    "become_exe",
    "become_flags",
];

/// Modules whose arguments are shell text where `$VAR` is ordinary shell syntax.
const SHELL_MODULES: &[&str] = &["command", "shell", "raw", "script", "expect"];

/// True when `s` contains a legacy variable reference: `$name` or `${...}` not escaped by `\`.
pub(crate) fn has_legacy_var(s: &str) -> bool {
    let b = s.as_bytes();
    b.iter().enumerate().any(|(i, &c)| {
        c == b'$'
            && (i == 0 || b[i - 1] != b'\\')
            && b.get(i + 1)
                .is_some_and(|&n| n == b'{' || n == b'_' || n.is_ascii_alphabetic())
    })
}

/// The first string value (not key) in `node` that holds a legacy `$var`, skipping the values of
/// keys in `skip`.
pub(crate) fn find_legacy_var<'n>(node: &'n Node, skip: &[&str]) -> Option<&'n Node> {
    match &node.kind {
        NodeKind::Str(s) if has_legacy_var(s) => Some(node),
        NodeKind::Seq(items) => items.iter().find_map(|n| find_legacy_var(n, &[])),
        NodeKind::Map(pairs) => pairs
            .iter()
            .filter(|(k, _)| !skip.contains(&k.key_string().as_str()))
            .find_map(|(_, v)| find_legacy_var(v, &[])),
        _ => None,
    }
}

/// The keys of a task whose values are shell text (skipped by the `$` scan).
pub(crate) fn shell_keys() -> &'static [&'static str] {
    SHELL_MODULES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_vars() {
        assert!(has_legacy_var("key=${ansible_os_family}"));
        assert!(has_legacy_var("'$inventory_hostname' == '$master'"));
        assert!(!has_legacy_var("line='x \\$TTY'"));
        assert!(!has_legacy_var("cost $5"));
        assert!(!has_legacy_var("{{x}}"));
    }
}
