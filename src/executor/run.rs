//! The whole run: load everything first (so bad input changes nothing on any host), then play.

use std::path::Path;
use std::process::ExitCode;

use super::connect::Passwords;
use super::play::Runner;
use super::{RunError, RunKind, RunRequest};
use crate::cli::RunOptions;
use crate::inventory::Inventory;
use crate::playbook::{LoadOptions, Playbook};
use crate::template::Dialect;
use crate::vars::VarStore;

/// Runs a request to its exit code.
pub async fn run_request(req: RunRequest) -> Result<u8, RunError> {
    let secrets = crate::vault::sources::collect(&req.opts.vault);
    crate::vault::install_secrets(secrets.map_err(|e| RunError::Msg(e.to_string()))?);
    let located = Inventory::locate_and_load(req.opts.inventory.as_deref());
    let extra = crate::vars::parse_extra_vars(&req.opts.extra_vars)
        .map_err(|e| RunError::Msg(e.to_string()))?;
    let forced = forced_dialect(&req.opts)?;
    crate::connection::HostKeyChecking::configured(req.opts.host_key_checking.as_deref())
        .map_err(RunError::Msg)?;
    match req.kind {
        RunKind::Playbooks(paths) => {
            let mut books = Vec::new();
            for p in &paths {
                let opts = LoadOptions {
                    dialect: forced,
                    without_markers: Some(
                        req.opts.dialect_without_markers.unwrap_or(Dialect::Modern),
                    ),
                    roles_path: roles_path_setting(),
                    ..LoadOptions::default()
                };
                books.push(Playbook::load(p, &opts).map_err(|e| RunError::Msg(e.to_string()))?);
            }
            let dialect =
                forced.unwrap_or_else(|| books.first().map(|b| b.dialect).unwrap_or_default());
            let inventory = inventory_or_implicit(located, dialect)?;
            if req.opts.verbose > 0 {
                if let Some(book) = books.first() {
                    eprintln!("{}", dialect_reason(book, dialect, &req.opts));
                }
            }
            super::nohosts::check_playbook(&inventory, req.opts.limit.as_deref(), dialect)?;
            if let Some(code) =
                super::list::list_modes(&req.pb, &books, &inventory, &req.opts, dialect)?
            {
                return Ok(code);
            }
            let passwords = ask_passwords(&req.opts)?;
            listen_for_interrupts();
            let store = VarStore::new(&inventory, extra.clone(), dialect);
            let mut runner = Runner::new(
                req.opts, req.pb, dialect, inventory, store, extra, passwords,
            );
            for book in &books {
                runner.prepare(book)?;
            }
            for book in &books {
                if let Err(e) = runner.run_playbook(book).await {
                    return stopped(&mut runner, e).await;
                }
            }
            // ansible-core writes no retry file unless asked (retry_files_enabled); 1.2 always did.
            let retry = dialect == Dialect::Legacy12 || retry_files_enabled();
            Ok(runner.finish(|hosts| retry.then(|| write_retry(&paths, hosts)).flatten()))
        }
        RunKind::Adhoc {
            pattern,
            module,
            args,
            list_hosts,
            legacy_cli,
        } => {
            let dialect = forced.unwrap_or(Dialect::Modern);
            let legacy = legacy_cli || dialect == Dialect::Legacy12;
            let inventory =
                inventory_or_implicit(located, if legacy { Dialect::Legacy12 } else { dialect })?;
            super::nohosts::check_adhoc(&inventory, &pattern, req.opts.limit.as_deref(), legacy)?;
            if list_hosts {
                let hosts = inventory
                    .select(&pattern, req.opts.limit.as_deref(), dialect)
                    .map_err(|e| RunError::Msg(e.to_string()))?;
                for h in hosts {
                    println!("    {h}");
                }
                return Ok(0);
            }
            let book = super::adhoc::adhoc_playbook(&pattern, &module, &args, dialect)
                .map_err(RunError::Msg)?;
            let passwords = ask_passwords(&req.opts)?;
            listen_for_interrupts();
            let store = VarStore::new(&inventory, extra.clone(), dialect);
            let mut runner = Runner::new(
                req.opts, req.pb, dialect, inventory, store, extra, passwords,
            );
            runner.adhoc = true;
            runner.prepare(&book)?;
            if let Err(e) = runner.run_playbook(&book).await {
                return stopped(&mut runner, e).await;
            }
            Ok(runner.finish(|_| None))
        }
    }
}

/// The located inventory; when none was given or found, modern Ansible goes on with an empty one
/// (only the implicit `localhost`) after ansible-core's warning, where 1.2 stopped.
fn inventory_or_implicit(
    located: Result<Inventory, crate::inventory::InventoryError>,
    dialect: Dialect,
) -> Result<Inventory, RunError> {
    match located {
        Ok(inv) => Ok(inv),
        Err(crate::inventory::InventoryError::NotFound) if dialect == Dialect::Modern => {
            eprintln!("[WARNING]: No inventory was parsed, only implicit localhost is available");
            Ok(Inventory::empty_with_ungrouped())
        }
        Err(e) => Err(RunError::Msg(e.to_string())),
    }
}

/// A run that stopped with `e`: after an interrupt, the interrupted line and the recap so far.
async fn stopped(runner: &mut Runner, e: RunError) -> Result<u8, RunError> {
    match e {
        RunError::Interrupted => Ok(runner.interrupted().await),
        other => Err(other),
    }
}

/// From now on (passwords were asked for; a prompt stays interruptible), SIGINT and SIGTERM
/// interrupt the run: remote commands are stopped, the recap so far printed
/// (`connection::interrupt`). A second signal exits at once.
fn listen_for_interrupts() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    tokio::spawn(async move {
        let code = tokio::select! {
            _ = int.recv() => 130,
            _ = term.recv() => 143,
        };
        crate::connection::interrupt::trigger(code);
        tokio::select! {
            _ = int.recv() => {},
            _ = term.recv() => {},
        }
        eprintln!("interrupted again: exiting without waiting for the hosts");
        std::process::exit(i32::from(code));
    });
}

/// The `-v` line saying which dialect a playbook is read in and why.
fn dialect_reason(book: &Playbook, dialect: Dialect, opts: &RunOptions) -> String {
    let name = match dialect {
        Dialect::Legacy12 => "Ansible 1.2",
        Dialect::Modern => "modern Ansible (ansible-core)",
    };
    let why = if let Some(d) = &opts.dialect {
        format!("--dialect {d}")
    } else if let Some((pos, what)) = book.legacy_markers.first() {
        format!("1.2-only {what} at {pos}")
    } else if let Some((pos, what)) = book.modern_markers.first() {
        format!("modern-only {what} at {pos}")
    } else if let Some(src) = &opts.dialect_source {
        format!("no construct of either; set by {src}")
    } else if opts.dialect_without_markers == Some(Dialect::Legacy12) {
        "no construct of either; `flock play` reads such playbooks as 1.2".to_string()
    } else {
        "no construct of either; `flock playbook`/`ansible-playbook` read such playbooks as modern"
            .to_string()
    };
    format!("dialect: {name} ({why}; --dialect 1.2|modern to choose)")
}

fn forced_dialect(opts: &RunOptions) -> Result<Option<Dialect>, RunError> {
    match opts.dialect.as_deref() {
        None => Ok(None),
        Some("1.2" | "legacy" | "legacy12") => Ok(Some(Dialect::Legacy12)),
        Some("modern" | "2" | "latest") => Ok(Some(Dialect::Modern)),
        Some(other) => Err(RunError::Msg(format!(
            "--dialect: expected 1.2 or modern, got {other:?}"
        ))),
    }
}

/// Asks for the passwords once (`-k`, `-K`), or reads them from the named environment variables.
fn ask_passwords(opts: &RunOptions) -> Result<Passwords, RunError> {
    let mut p = Passwords::default();
    if let Some(var) = &opts.pass_env {
        p.ssh = std::env::var(var).ok();
    } else if opts.ask_pass {
        p.ssh = Some(
            rpassword::prompt_password("SSH password: ")
                .map_err(|e| RunError::Msg(format!("cannot read the SSH password: {e}")))?,
        );
    }
    if let Some(var) = &opts.become_pass_env {
        p.become_ = std::env::var(var).ok();
    } else if opts.ask_become_pass {
        let answer = rpassword::prompt_password("sudo password [defaults to SSH password]: ")
            .map_err(|e| RunError::Msg(format!("cannot read the sudo password: {e}")))?;
        p.become_ = if answer.is_empty() {
            p.ssh.clone()
        } else {
            Some(answer)
        };
    }
    Ok(p)
}

/// ansible-core's `roles_path`: `$ANSIBLE_ROLES_PATH`, else `[defaults] roles_path` of the
/// configuration file (colon-separated, `~` expanded), searched after the playbook's `roles/`.
fn roles_path_setting() -> Vec<std::path::PathBuf> {
    let value = std::env::var("ANSIBLE_ROLES_PATH").ok().or_else(|| {
        crate::cli::config::ansible_cfg()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .and_then(|t| crate::cli::config::ini_value(&t, "defaults", "roles_path"))
    });
    let home = std::env::var("HOME").unwrap_or_default();
    value
        .unwrap_or_default()
        .split(':')
        .filter(|p| !p.is_empty())
        .map(|p| match p.strip_prefix('~') {
            Some(rest) => std::path::PathBuf::from(format!("{home}{rest}")),
            None => std::path::PathBuf::from(p),
        })
        .collect()
}

/// ansible-core's `retry_files_enabled`: `$ANSIBLE_RETRY_FILES_ENABLED`, else `[defaults]` of
/// the configuration file; off by default.
fn retry_files_enabled() -> bool {
    let truthy = |v: &str| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on");
    if let Ok(v) = std::env::var("ANSIBLE_RETRY_FILES_ENABLED") {
        return truthy(&v);
    }
    crate::cli::config::ansible_cfg()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| crate::cli::config::ini_value(&t, "defaults", "retry_files_enabled"))
        .is_some_and(|v| truthy(&v))
}

/// Writes the failed hosts to `<playbook>.retry` beside the playbook (usable with `-l @file`),
/// falling back to the current directory; returns its path (named in the recap).
fn write_retry(paths: &[std::path::PathBuf], hosts: &[String]) -> Option<String> {
    let first = paths.first()?;
    let stem = first
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "playbook".into());
    let body = hosts.iter().map(|h| format!("{h}\n")).collect::<String>();
    let dir = first
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let path = dir.join(format!("{stem}.retry"));
    std::fs::write(&path, &body)
        .ok()
        .map(|()| path.display().to_string())
}

/// Builds the runtime and runs the request.
pub fn run_blocking(req: RunRequest) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ERROR: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let prefix = error_prefix(&req);
    match rt.block_on(run_request(req)) {
        Ok(code) => ExitCode::from(code),
        Err(RunError::Stop { msg, code }) => {
            if !msg.is_empty() {
                eprintln!("{msg}");
            }
            ExitCode::from(code)
        }
        Err(e) => {
            eprintln!("{prefix}{e}");
            ExitCode::from(1)
        }
    }
}

/// How a run's fatal error starts: ansible-core's `[ERROR]: ` for modern runs, 1.2's `ERROR: `
/// for `flock play` and `--dialect 1.2`.
fn error_prefix(req: &RunRequest) -> &'static str {
    let legacy_cli = matches!(
        req.kind,
        RunKind::Adhoc {
            legacy_cli: true,
            ..
        }
    );
    let dialect = match forced_dialect(&req.opts) {
        Ok(Some(d)) => d,
        _ => req.opts.dialect_without_markers.unwrap_or(Dialect::Modern),
    };
    match (legacy_cli, dialect) {
        (false, Dialect::Modern) => "[ERROR]: ",
        _ => "ERROR: ",
    }
}
