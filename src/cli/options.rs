//! The options shared by `flock playbook`, `flock play`, `flock adhoc` and the original toolkit's
//! commands: Ansible's own flag names, so scripts written for `ansible-playbook` keep working.

use std::path::PathBuf;

/// `ansible-playbook`'s and `ansible`'s common flags.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct RunOptions {
    /// Inventory file, directory or comma-separated host list (default: $ANSIBLE_HOSTS, then ./hosts).
    #[arg(
        short = 'i',
        long = "inventory",
        visible_alias = "inventory-file",
        value_name = "INVENTORY"
    )]
    pub inventory: Option<String>,
    /// Further limit the hosts to a pattern (`@file` reads host names from a file).
    #[arg(short = 'l', long = "limit", value_name = "SUBSET")]
    pub limit: Option<String>,
    /// Remote user to log in as.
    #[arg(
        short = 'u',
        long = "user",
        visible_alias = "remote-user",
        value_name = "REMOTE_USER"
    )]
    pub user: Option<String>,
    /// Ask for the SSH password.
    #[arg(short = 'k', long = "ask-pass")]
    pub ask_pass: bool,
    /// Ask for the sudo / become password.
    #[arg(short = 'K', long = "ask-sudo-pass", visible_alias = "ask-become-pass")]
    pub ask_become_pass: bool,
    /// Run operations with sudo (Ansible 1.x `--sudo`).
    #[arg(short = 's', long = "sudo")]
    pub sudo: bool,
    /// Run operations with become (modern `--become`).
    #[arg(short = 'b', long = "become")]
    pub become_: bool,
    /// User to sudo / become (default root).
    #[arg(
        short = 'U',
        long = "sudo-user",
        visible_alias = "become-user",
        value_name = "USER"
    )]
    pub become_user: Option<String>,
    /// Private key file for SSH.
    #[arg(
        long = "private-key",
        visible_alias = "key-file",
        value_name = "PRIVATE_KEY_FILE"
    )]
    pub private_key: Option<PathBuf>,
    /// Connection type: ssh, local, chroot (paramiko and smart mean ssh).
    #[arg(short = 'c', long = "connection", value_name = "CONNECTION")]
    pub connection: Option<String>,
    /// SSH connect timeout in seconds.
    #[arg(short = 'T', long = "timeout", default_value_t = 10)]
    pub timeout: u64,
    /// Number of hosts worked on at once.
    #[arg(short = 'f', long = "forks", default_value_t = 50)]
    pub forks: usize,
    /// Extra variables: `k=v k2=v2`, JSON, or `@file.yml` (repeatable).
    #[arg(short = 'e', long = "extra-vars", value_name = "EXTRA_VARS")]
    pub extra_vars: Vec<String>,
    /// Only run tasks tagged with these tags (comma separated).
    #[arg(short = 't', long = "tags", value_name = "TAGS")]
    pub tags: Vec<String>,
    /// Skip tasks tagged with these tags.
    #[arg(long = "skip-tags", value_name = "SKIP_TAGS")]
    pub skip_tags: Vec<String>,
    /// Report what would change, change nothing.
    #[arg(short = 'C', long = "check")]
    pub check: bool,
    /// Show differences in changed files.
    #[arg(short = 'D', long = "diff")]
    pub diff: bool,
    /// More output (-v, -vv, -vvv …).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Host key checking: yes (known_hosts must list the host), accept-new (record a host on
    /// first contact, refuse a changed key), no. Default: $ANSIBLE_HOST_KEY_CHECKING, else
    /// accept-new, for every dialect (1.2 did not check at all).
    #[arg(long = "host-key-checking", value_name = "MODE")]
    pub host_key_checking: Option<String>,
    /// Read the playbook as `1.2` or `modern` Ansible whatever it holds (default: detected
    /// from its constructs; one with neither as `[flock] dialect` of ansible.cfg or
    /// $FLOCK_DIALECT say, else modern for `flock playbook`, 1.2 for `flock play`).
    #[arg(long = "dialect", value_name = "DIALECT")]
    pub dialect: Option<String>,
    /// Where `dialect_without_markers` was configured, if it was (for `-v`).
    #[arg(skip)]
    pub dialect_source: Option<String>,
    /// The dialect of a playbook with neither 1.2-only nor modern-only constructs: modern for
    /// `flock playbook`/`ansible-playbook`, 1.2 for the toolkit's `flock play`.
    #[arg(skip)]
    pub dialect_without_markers: Option<crate::template::Dialect>,
    /// Make undefined variables in templates an error even where Ansible 1.2 rendered them empty.
    #[arg(long = "strict")]
    pub strict: bool,
    /// Read the SSH password from this environment variable instead of prompting (scripts).
    #[arg(long = "pass-env", value_name = "VAR")]
    pub pass_env: Option<String>,
    /// Read the sudo password from this environment variable instead of prompting (scripts).
    #[arg(long = "become-pass-env", value_name = "VAR")]
    pub become_pass_env: Option<String>,
    /// Vault passwords: `--vault-id`, `--vault-password-file`, `--ask-vault-pass`.
    #[command(flatten)]
    pub vault: crate::vault::cli::SecretArgs,
    /// Never start the remote agent (set by `flock agent clean`, which removes it).
    #[arg(skip)]
    pub no_agent: bool,
}

/// `ansible-playbook`-only flags.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct PlaybookOptions {
    /// Check the playbook for errors and stop.
    #[arg(long = "syntax-check")]
    pub syntax_check: bool,
    /// List the hosts each play would run on.
    #[arg(long = "list-hosts")]
    pub list_hosts: bool,
    /// List the tasks each play would run.
    #[arg(long = "list-tasks")]
    pub list_tasks: bool,
    /// List the tags of each play.
    #[arg(long = "list-tags")]
    pub list_tags: bool,
    /// Start at the task with this name.
    #[arg(long = "start-at-task", value_name = "NAME")]
    pub start_at_task: Option<String>,
    /// Confirm each task before running it.
    #[arg(long = "step")]
    pub step: bool,
}
