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
    "getent",
    "debconf",
    "service_facts",
    "package_facts",
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

/// Collections whose every module name resolves to flock's short name (ansible-core's own
/// modules, its `ansible.legacy` view, and flock's modules).
const FQCN_PREFIXES: &[&str] = &["ansible.builtin.", "ansible.legacy.", "flock."];

/// The collections ansible-core's `ansible_builtin_runtime.yml` redirects flock's modules to
/// (`sysctl` → `ansible.posix.sysctl`, …), with the modules of [`KNOWN_MODULES`] each holds.
/// `ansible.posix.copy` is no module in Ansible, so it is none here either.
const COLLECTION_MODULES: &[(&str, &[&str])] = &[
    (
        "ansible.posix.",
        &[
            "authorized_key",
            "mount",
            "seboolean",
            "selinux",
            "sysctl",
            "synchronize",
        ],
    ),
    (
        "community.general.",
        &[
            "easy_install",
            "filesystem",
            "gem",
            "ini_file",
            "lvg",
            "lvol",
            "modprobe",
            "timezone",
        ],
    ),
    ("community.mysql.", &["mysql_db", "mysql_user"]),
    (
        "community.rabbitmq.",
        &["rabbitmq_plugin", "rabbitmq_user", "rabbitmq_vhost"],
    ),
];

/// The short module name for `name` (`ansible.builtin.copy` → `copy`, `ansible.posix.sysctl` →
/// `sysctl`); a name of another collection, or one its collection does not hold, is returned
/// unchanged (and so is unknown).
pub fn canonical_module_name(name: &str) -> &str {
    if let Some(short) = FQCN_PREFIXES.iter().find_map(|p| name.strip_prefix(p)) {
        return short;
    }
    COLLECTION_MODULES
        .iter()
        .find_map(|(prefix, held)| {
            name.strip_prefix(prefix)
                .filter(|short| held.contains(short))
        })
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
