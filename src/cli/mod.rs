//! The `flock` command line: the original toolkit's commands and Ansible's entry points.
//!
//! Invoked as `ansible-playbook`, `ansible` or `ansible-vault` (a symlink or copy of the binary)
//! it behaves as those commands; otherwise as `flock <command>`.

pub mod config;
pub mod keys;
pub mod options;
pub mod wrapper;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

pub use options::{PlaybookOptions, RunOptions};

use crate::executor::{self, RunKind, RunRequest};

/// flock runs Ansible playbooks, fast.
#[derive(Parser, Debug)]
#[command(name = "flock", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// A command of the original toolkit taking `[user][@|@@]HOSTS`.
#[derive(clap::Args, Debug)]
pub struct TargetArgs {
    /// `[user][@|@@]HOSTS`: `@` asks for the SSH password, `@@` also uses sudo; user defaults to sysop.
    pub target: String,
    /// Ansible options passed through.
    #[command(flatten)]
    pub run: RunOptions,
}

/// `flock play` and friends.
#[derive(clap::Args, Debug)]
pub struct PlayArgs {
    /// `[user][@|@@]HOSTS`: `@` asks for the SSH password, `@@` also uses sudo; user defaults to sysop.
    pub target: String,
    /// The playbook (`.yml` may be left out).
    pub playbook: String,
    /// Ansible options passed through.
    #[command(flatten)]
    pub run: RunOptions,
    /// Playbook options passed through.
    #[command(flatten)]
    pub pb: PlaybookOptions,
}

/// `flock playbook`: `ansible-playbook`'s command line.
#[derive(clap::Args, Debug)]
pub struct PlaybookArgs {
    /// Playbook files.
    #[arg(required = true)]
    pub playbooks: Vec<PathBuf>,
    /// Options.
    #[command(flatten)]
    pub run: RunOptions,
    /// Playbook options.
    #[command(flatten)]
    pub pb: PlaybookOptions,
}

/// `flock adhoc`: `ansible`'s command line.
#[derive(clap::Args, Debug)]
pub struct AdhocArgs {
    /// Host pattern.
    pub pattern: String,
    /// Module name.
    #[arg(short = 'm', long = "module-name", default_value = "command")]
    pub module: String,
    /// Module arguments.
    #[arg(short = 'a', long = "args", default_value = "")]
    pub args: String,
    /// Options.
    #[command(flatten)]
    pub run: RunOptions,
    /// List the matching hosts and stop.
    #[arg(long = "list-hosts")]
    pub list_hosts: bool,
}

/// The top-level commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a playbook: `flock play [user][@|@@]HOSTS PLAYBOOK [options]`.
    Play(PlayArgs),
    /// Print the playbook's task names, ask to continue, then play it.
    Show(PlayArgs),
    /// Play with `rollback=yes`.
    Rollback(PlayArgs),
    /// Run any module: `flock module HOSTS MODULE [args]`.
    Module {
        /// `[user][@|@@]HOSTS`.
        target: String,
        /// Module name.
        module: String,
        /// Module arguments (`k=v …`).
        args: Option<String>,
        /// Options.
        #[command(flatten)]
        run: RunOptions,
    },
    /// Gather and print facts.
    Setup(TargetArgs),
    /// Run a command (no shell).
    #[command(name = "command")]
    Cmd {
        /// `[user][@|@@]HOSTS`.
        target: String,
        /// The command line.
        command: String,
        /// Options.
        #[command(flatten)]
        run: RunOptions,
    },
    /// Run a shell script.
    Shell {
        /// `[user][@|@@]HOSTS`.
        target: String,
        /// The script.
        script: String,
        /// Options.
        #[command(flatten)]
        run: RunOptions,
    },
    /// Ping hosts.
    Ping(TargetArgs),
    /// Reboot hosts.
    Reboot(TargetArgs),
    /// Shut hosts down.
    Shutdown(TargetArgs),
    /// Print /var/log/boot.log.
    Bootlog(TargetArgs),
    /// `yum -y update`.
    Update(TargetArgs),
    /// Start a service.
    Start(ServiceArgs),
    /// Stop a service.
    Stop(ServiceArgs),
    /// Restart a service.
    Restart(ServiceArgs),
    /// Open an interactive SSH session to a host's inventory address.
    Ssh {
        /// `[user@]HOST`.
        target: String,
        /// Options.
        #[command(flatten)]
        run: RunOptions,
    },
    /// Create `keys/` (sysop with a passphrase, nopass without) and `space/boot/pxelinux.cfg/`.
    Init {
        /// Read the sysop key's passphrase from this environment variable instead of prompting.
        #[arg(long = "passphrase-env", value_name = "VAR")]
        passphrase_env: Option<String>,
    },
    /// Print the fingerprints of the keys in `keys/`.
    Keys,
    /// Print jockey's stored root password of a host: `flock password @HOST`.
    Password {
        /// `@HOST` or a MAC address.
        target: String,
    },
    /// `ansible-playbook`'s command line.
    Playbook(PlaybookArgs),
    /// `ansible`'s command line.
    Adhoc(AdhocArgs),
    /// The remote agent's files on hosts (`~/.flock/agent/` of the login user).
    Agent {
        /// What to do.
        #[command(subcommand)]
        action: AgentAction,
    },
    /// Real test hosts on this machine, in network namespaces.
    Lab(crate::lab::cli::LabArgs),
    /// The grid certificate authority (what `flock-ca` did).
    Ca(crate::ca::cli::CaArgs),
    /// The OpenVPN certificate authority (what `flock-vpn` did).
    Vpn(crate::ca::cli::VpnArgs),
    /// The network-install server (what `jockey` did).
    Jockey(crate::jockey::cli::JockeyArgs),
    /// Encrypt and decrypt Ansible Vault files and strings (ansible-vault).
    Vault(crate::vault::cli::VaultArgs),
    /// Print shell completions: bash, zsh, fish, elvish, powershell.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

/// `flock agent …`.
#[derive(Subcommand, Debug)]
pub enum AgentAction {
    /// Remove the uploaded agent (`~/.flock/agent/`, and `~/.flock` when that leaves it empty)
    /// from the hosts matching a pattern, without starting the agent.
    Clean {
        /// Host pattern (as for `flock adhoc`).
        pattern: String,
        /// Options (`-i`, `-u`, `--private-key` …; sudo is not used: the files are the login
        /// user's).
        #[command(flatten)]
        run: RunOptions,
    },
}

/// The script `flock agent clean` runs on each host (plain session, login user).
const AGENT_CLEAN_SCRIPT: &str = "d=\"$HOME/.flock\"; if [ -e \"$d/agent\" ]; then \
     rm -rf \"$d/agent\" || exit 1; echo \"removed $d/agent\"; \
     else echo \"no agent files in $d/agent\"; fi; rmdir \"$d\" 2>/dev/null; exit 0";

/// `flock agent clean PATTERN`: one `raw` command per host on a plain session (never the agent,
/// which would have to be uploaded first), as the login user.
fn agent_clean(pattern: String, mut run: RunOptions) -> ExitCode {
    run.no_agent = true;
    run.sudo = false;
    run.become_ = false;
    run.become_user = None;
    run.dialect = Some("modern".into());
    executor::run(RunRequest {
        kind: RunKind::Adhoc {
            pattern,
            module: "raw".into(),
            args: AGENT_CLEAN_SCRIPT.into(),
            list_hosts: false,
            legacy_cli: false,
        },
        opts: run,
        pb: PlaybookOptions::default(),
    })
}

/// `flock start|stop|restart HOSTS SERVICE`.
#[derive(clap::Args, Debug)]
pub struct ServiceArgs {
    /// `[user][@|@@]HOSTS`.
    pub target: String,
    /// Service name.
    pub service: String,
    /// Options.
    #[command(flatten)]
    pub run: RunOptions,
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let argv0 = args
        .first()
        .map(|a| {
            Path::new(a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let subcommand = match argv0.as_str() {
        "ansible-playbook" => "playbook",
        "ansible" => "adhoc",
        "ansible-vault" => "vault",
        _ => return dispatch(Cli::parse()),
    };
    let mut a = vec![OsString::from("flock"), OsString::from(subcommand)];
    a.extend(args.into_iter().skip(1));
    dispatch(Cli::parse_from(a))
}

/// Runs one parsed command.
pub fn dispatch(cli: Cli) -> ExitCode {
    match cli.command {
        Command::Play(a) => play(a, None, false),
        Command::Show(a) => play(a, None, true),
        Command::Rollback(a) => play(a, Some("rollback=yes"), false),
        Command::Module {
            target,
            module,
            args,
            run,
        } => adhoc_target(&target, &module, args.as_deref().unwrap_or(""), run),
        Command::Setup(a) => adhoc_target(&a.target, "setup", "", a.run),
        Command::Cmd {
            target,
            command,
            run,
        } => adhoc_target(&target, "command", &command, run),
        Command::Shell {
            target,
            script,
            run,
        } => adhoc_target(&target, "shell", &script, run),
        Command::Ping(a) => adhoc_target(&a.target, "ping", "", a.run),
        Command::Reboot(a) => adhoc_target(&a.target, "command", "/sbin/reboot", a.run),
        Command::Shutdown(a) => adhoc_target(&a.target, "command", "/sbin/shutdown -h now", a.run),
        Command::Bootlog(a) => adhoc_target(&a.target, "command", "cat /var/log/boot.log", a.run),
        Command::Update(a) => adhoc_target(&a.target, "command", "yum -y update", a.run),
        Command::Start(a) => service(a, "start"),
        Command::Stop(a) => service(a, "stop"),
        Command::Restart(a) => service(a, "restart"),
        Command::Ssh { target, run } => executor::interactive_ssh(&target, run),
        Command::Init { passphrase_env } => init(passphrase_env),
        Command::Keys => print_lines(keys::list(Path::new("."))),
        Command::Password { target } => crate::jockey::cli::print_password(&target),
        Command::Playbook(mut a) => {
            if let Err(e) = config::apply_configured_dialect(&mut a.run) {
                return fail(&e);
            }
            executor::run(RunRequest {
                kind: RunKind::Playbooks(a.playbooks),
                opts: a.run,
                pb: a.pb,
            })
        }
        Command::Adhoc(a) => executor::run(RunRequest {
            kind: RunKind::Adhoc {
                pattern: a.pattern,
                module: a.module,
                args: a.args,
                list_hosts: a.list_hosts,
                legacy_cli: false,
            },
            opts: a.run,
            pb: PlaybookOptions::default(),
        }),
        Command::Agent {
            action: AgentAction::Clean { pattern, run },
        } => agent_clean(pattern, run),
        Command::Lab(a) => crate::lab::cli::run(a),
        Command::Ca(a) => crate::ca::cli::run(a),
        Command::Vpn(a) => crate::ca::cli::run_vpn(a),
        Command::Jockey(a) => crate::jockey::cli::run(a),
        Command::Vault(a) => crate::vault::cli::run(a),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "flock", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Man => {
            match clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&format!("flock man: {e}")),
            }
        }
    }
}

/// Prints one error line and returns exit code 1.
pub fn fail(msg: &str) -> ExitCode {
    eprintln!("{msg}");
    ExitCode::from(1)
}

/// Applies the wrapper's `[user][@|@@]HOSTS` word to the options; the key `keys/<user>` is used
/// when it exists and no key was given.
fn apply_target(word: &str, run: &mut RunOptions) -> wrapper::Target {
    let t = wrapper::parse_target(word);
    if run.user.is_none() {
        run.user = Some(t.user.clone());
    }
    run.ask_pass |= t.ask_pass;
    run.sudo |= t.sudo;
    let key = Path::new("keys").join(&t.user);
    if run.private_key.is_none() && key.is_file() {
        run.private_key = Some(key);
    }
    t
}

fn play(mut a: PlayArgs, extra: Option<&str>, show: bool) -> ExitCode {
    // The toolkit's command ran Ansible 1.2: its marker-free playbooks read as 1.2.
    a.run.dialect_without_markers = Some(crate::template::Dialect::Legacy12);
    if let Err(e) = config::apply_configured_dialect(&mut a.run) {
        return fail(&e);
    }
    let t = apply_target(&a.target, &mut a.run);
    if t.hosts.is_empty() {
        return fail(&format!(
            "flock play: no hosts in {:?} (write [user]@HOSTS or @@HOSTS)",
            a.target
        ));
    }
    a.run.limit = Some(match a.run.limit.take() {
        Some(l) => format!("{}:&{l}", t.hosts),
        None => t.hosts,
    });
    if let Some(e) = extra {
        a.run.extra_vars.push(e.to_string());
    }
    let playbook = wrapper::playbook_path(&a.playbook);
    if show && !show_task_names(&playbook) {
        return ExitCode::from(1);
    }
    executor::run(RunRequest {
        kind: RunKind::Playbooks(vec![playbook]),
        opts: a.run,
        pb: a.pb,
    })
}

/// `flock show`: prints every `name:` line of the playbook file (as the original's grep did),
/// then waits for Enter. Returns false when the user declined or the file is unreadable.
fn show_task_names(playbook: &Path) -> bool {
    let text = match std::fs::read_to_string(playbook) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("flock show: {}: {e}", playbook.display());
            return false;
        }
    };
    for line in text
        .lines()
        .filter(|l| l.trim_start().trim_start_matches("- ").starts_with("name:"))
    {
        println!("{}", line.trim());
    }
    println!("Press Enter to continue, Ctrl-C to abort");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok()
}

fn adhoc_target(word: &str, module: &str, args: &str, mut run: RunOptions) -> ExitCode {
    let t = apply_target(word, &mut run);
    if t.hosts.is_empty() {
        return fail(&format!(
            "flock: no hosts in {word:?} (write [user]@HOSTS or @@HOSTS)"
        ));
    }
    executor::run(RunRequest {
        kind: RunKind::Adhoc {
            pattern: t.hosts,
            module: module.to_string(),
            args: args.to_string(),
            list_hosts: false,
            legacy_cli: true,
        },
        opts: run,
        pb: PlaybookOptions::default(),
    })
}

fn service(a: ServiceArgs, action: &str) -> ExitCode {
    let cmd = format!(
        "service {} {action}",
        crate::connection::shell_quote(&a.service)
    );
    adhoc_target(&a.target, "command", &cmd, a.run)
}

fn init(passphrase_env: Option<String>) -> ExitCode {
    let passphrase = match passphrase_env {
        Some(var) => std::env::var(&var).ok(),
        None => match rpassword::prompt_password("Passphrase for keys/sysop (empty for none): ") {
            Ok(p) => Some(p),
            Err(e) => return fail(&format!("flock init: cannot read passphrase: {e}")),
        },
    };
    print_lines(keys::init(Path::new("."), passphrase.as_deref()))
}

fn print_lines(lines: Result<Vec<String>, keys::KeyError>) -> ExitCode {
    match lines {
        Ok(lines) => {
            for l in lines {
                println!("{l}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("flock: {e}")),
    }
}
