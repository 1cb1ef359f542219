//! The one list of module names flock supports or will support, and of `with_*` lookups.
//! A task key that is neither a keyword nor one of these is a load-time error.

/// Every module a task may name (short names; `ansible.builtin.X`/`ansible.legacy.X` map here).
pub const KNOWN_MODULES: &[&str] = &[
    // files (issue 6)
    "template",
    "copy",
    "file",
    "lineinfile",
    "blockinfile",
    "replace",
    "authorized_key",
    "get_url",
    "uri",
    "unarchive",
    "fetch",
    "synchronize",
    "stat",
    "assemble",
    "slurp",
    "find",
    "tempfile",
    "ini_file",
    // commands
    "command",
    "shell",
    "raw",
    "script",
    "expect",
    // system (issue 6)
    "user",
    "group",
    "service",
    "systemd",
    "systemd_service",
    "cron",
    "hostname",
    "sysctl",
    "mount",
    "filesystem",
    "lvol",
    "lvg",
    "seboolean",
    "selinux",
    "modprobe",
    "timezone",
    "reboot",
    "known_hosts",
    // packages, repositories, source control, data services (issue 8)
    "yum",
    "dnf",
    "apt",
    "apt_repository",
    "apt_key",
    "yum_repository",
    "rpm_key",
    "package",
    "pip",
    "gem",
    "git",
    "mysql_user",
    "mysql_db",
    "rabbitmq_user",
    "rabbitmq_plugin",
    "rabbitmq_vhost",
    "easy_install",
    // flock's own (issues 10, 11)
    "ca",
    "jockey",
    // controller-side / utility
    "set_fact",
    "fail",
    "assert",
    "meta",
    "pause",
    "wait_for",
    "wait_for_connection",
    "include_vars",
    "add_host",
    "group_by",
    "debug",
    "ping",
    "setup",
    "gather_facts",
    "set_stats",
    "async_status",
    // run-time includes (the executor loads these; static imports are expanded by the loader)
    "include_role",
    "import_role",
];

/// Every lookup usable as `with_<name>:` (and, later, `lookup('<name>')`).
pub const KNOWN_LOOKUPS: &[&str] = &[
    "items",
    "list",
    "dict",
    "fileglob",
    "file",
    "lines",
    "nested",
    "cartesian",
    "together",
    "sequence",
    "subelements",
    "first_found",
    "random_choice",
    "indexed_items",
    "flattened",
    "inventory_hostnames",
    "env",
    "pipe",
    "password",
    "template",
    "csvfile",
    "ini",
    "dnstxt",
    "redis_kv",
    "varnames",
    "vars",
    "url",
];

const FQCN_PREFIXES: &[&str] = &["ansible.builtin.", "ansible.legacy.", "flock."];

/// The short module name for `name` (`ansible.builtin.copy` → `copy`).
pub fn canonical_module_name(name: &str) -> &str {
    FQCN_PREFIXES
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name)
}

/// True when `name` (short or FQCN) is a module flock knows.
pub fn is_known_module(name: &str) -> bool {
    KNOWN_MODULES.contains(&canonical_module_name(name))
}

/// True when `with_<name>` names a known lookup.
pub fn is_known_lookup(name: &str) -> bool {
    KNOWN_LOOKUPS.contains(&name)
}
