//! How to reach a host: its inventory variables, the play's and task's settings and the command
//! line, combined the way Ansible does (host variables win).

use std::path::PathBuf;
use std::time::Duration;

use crate::cli::RunOptions;
use crate::connection::{Become, ConnectSpec, HostKeyChecking, Transport};
use crate::value::{Map, Value};

/// Passwords asked for once per run (`-k`, `-K`). Never printed.
#[derive(Clone, Default)]
pub struct Passwords {
    /// SSH password.
    pub ssh: Option<String>,
    /// sudo / become password.
    pub become_: Option<String>,
    /// Passphrase of encrypted private keys (`FLOCK_KEY_PASSPHRASE`, or asked for once).
    pub key_passphrase: Option<String>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passwords(<hidden>)")
    }
}

/// Connection-related settings of a play or task (`user`, `connection`, `sudo`, `become` …).
#[derive(Clone, Debug, Default)]
pub struct Reach {
    /// `remote_user` / `user`.
    pub user: Option<String>,
    /// `connection`.
    pub connection: Option<String>,
    /// `sudo` / `become`.
    pub become_: Option<bool>,
    /// `sudo_user` / `become_user`.
    pub become_user: Option<String>,
}

impl Reach {
    /// From a play's or task's `user`/`connection`/`sudo`/`become` keywords.
    pub fn from_model(
        user: Option<&Value>,
        connection: Option<&str>,
        become_: &crate::playbook::Become,
    ) -> Reach {
        let text = |v: &Value| crate::executor::results::text(v);
        Reach {
            user: user.map(text),
            connection: connection.map(str::to_string),
            become_: become_
                .enabled
                .as_ref()
                .map(crate::executor::results::truthy),
            become_user: become_.user.as_ref().map(text),
        }
    }

    /// `other`'s settings where it has them, ours otherwise (a task over its play).
    pub fn over(&self, other: &Reach) -> Reach {
        Reach {
            user: other.user.clone().or_else(|| self.user.clone()),
            connection: other.connection.clone().or_else(|| self.connection.clone()),
            become_: other.become_.or(self.become_),
            become_user: other
                .become_user
                .clone()
                .or_else(|| self.become_user.clone()),
        }
    }
}

fn var_str(vars: &Map, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| match vars.get(*n) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}

/// The transport named by a `connection` value.
pub fn transport(name: &str) -> Transport {
    match name {
        "local" => Transport::Local,
        "chroot" => Transport::Chroot,
        _ => Transport::Ssh,
    }
}

/// Builds the connection spec for `host` from its variables, the play/task settings and options.
pub fn connect_spec(
    host: &str,
    vars: &Map,
    reach: &Reach,
    opts: &RunOptions,
    passwords: &Passwords,
) -> ConnectSpec {
    let connection = var_str(vars, &["ansible_connection"])
        .or_else(|| reach.connection.clone())
        .or_else(|| opts.connection.clone())
        .unwrap_or_else(|| "ssh".into());
    let address_var = var_str(vars, &["ansible_ssh_host", "ansible_host"]);
    let port_var =
        var_str(vars, &["ansible_ssh_port", "ansible_port"]).and_then(|p| p.parse::<u16>().ok());
    let user_set = var_str(vars, &["ansible_ssh_user", "ansible_user"])
        .or_else(|| reach.user.clone())
        .or_else(|| opts.user.clone());
    let fallbacks = crate::connection::Fallbacks {
        address: address_var.is_none(),
        port: port_var.is_none(),
        user: user_set.is_none(),
    };
    let address = address_var.unwrap_or_else(|| host.to_string());
    let port = port_var.unwrap_or(22);
    let user = user_set.unwrap_or_else(local_user);
    let mut private_keys: Vec<PathBuf> = Vec::new();
    if let Some(k) = var_str(
        vars,
        &["ansible_ssh_private_key_file", "ansible_private_key_file"],
    ) {
        private_keys.push(expand_home(&k));
    }
    if let Some(k) = &opts.private_key {
        private_keys.push(k.clone());
    }
    // The 2013 `flock` script passed `--private-key=keys/<user>` from the current directory.
    let toolkit_key = PathBuf::from("keys").join(&user);
    if toolkit_key.is_file() {
        private_keys.push(toolkit_key);
    }
    let password =
        var_str(vars, &["ansible_ssh_pass", "ansible_password"]).or_else(|| passwords.ssh.clone());
    // Checked before the run starts (`run_request`): an invalid setting never gets here.
    let host_key_checking = HostKeyChecking::configured(opts.host_key_checking.as_deref())
        .unwrap_or(HostKeyChecking::AcceptNew);
    ConnectSpec {
        inventory_name: host.to_string(),
        transport: transport(&connection),
        address,
        port,
        user,
        private_keys,
        password,
        host_key_checking,
        timeout: Duration::from_secs(opts.timeout.max(1)),
        key_passphrase: passwords.key_passphrase.clone(),
        known_hosts: None,
        ssh_config: None,
        fallbacks,
        agent: crate::connection::agent_enabled_by_default() && !opts.no_agent,
        agent_install: !opts.check,
    }
}

/// The privilege escalation for a task, if any.
pub fn become_for(reach: &Reach, opts: &RunOptions, passwords: &Passwords) -> Option<Become> {
    let user = reach
        .become_user
        .clone()
        .or_else(|| opts.become_user.clone());
    let on = reach.become_.unwrap_or(opts.sudo || opts.become_)
        || user
            .as_deref()
            .is_some_and(|u| u != "root" && reach.become_.is_none() && (opts.sudo || opts.become_));
    on.then(|| Become {
        user: user.unwrap_or_else(|| "root".into()),
        password: passwords.become_.clone(),
    })
}

fn expand_home(p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(p),
    }
}

/// The local user's name (Ansible's default remote user).
pub fn local_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "root".into())
}
