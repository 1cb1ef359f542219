//! `flock lab up|down|exec|inventory|ssh|status|diff`.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::ExitCode;
use std::time::Instant;

use clap::Subcommand;

use super::{Flavor, Lab, LabError, LabOptions};

/// Arguments of `flock lab`.
#[derive(clap::Args, Debug)]
pub struct LabArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: LabCommand,
}

/// The lab subcommands.
#[derive(Subcommand, Debug)]
pub enum LabCommand {
    /// Bring a lab up: N hosts core-01, core-02, … answering SSH as root with the lab's key.
    Up {
        /// The lab's name.
        #[arg(long, env = "FLOCK_LAB", default_value = "lab")]
        name: String,
        /// Number of hosts.
        #[arg(long, default_value_t = 3)]
        hosts: usize,
        /// The hosts' subnet (hosts get .1, .2, …, the controller the last address); `auto`
        /// picks a free 10.x.y.0/24.
        #[arg(long, default_value = super::DEFAULT_SUBNET)]
        subnet: String,
        /// What the hosts run: debian (this machine's system) or el.
        #[arg(long, default_value = "debian")]
        flavor: String,
        /// Print how long bringing the lab up took.
        #[arg(long)]
        timings: bool,
    },
    /// Take a lab down: every process, namespace, mount and file it made (idempotent).
    Down {
        /// The lab's name.
        #[arg(long, env = "FLOCK_LAB", default_value = "lab")]
        name: String,
    },
    /// Run a command inside the lab's controller namespace (or on one host with --host).
    Exec {
        /// The lab's name.
        #[arg(long, env = "FLOCK_LAB", default_value = "lab")]
        name: String,
        /// Run on this host instead (as root, in all its namespaces).
        #[arg(long)]
        host: Option<String>,
        /// The command and its arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
    /// Print an INI inventory of the lab (group `[lab]`).
    Inventory {
        /// The lab's name.
        #[arg(long, env = "FLOCK_LAB", default_value = "lab")]
        name: String,
    },
    /// Open an SSH session to a host (as root, with the lab's key and known hosts).
    Ssh {
        /// The lab's name.
        #[arg(long, env = "FLOCK_LAB", default_value = "lab")]
        name: String,
        /// The host.
        host: String,
        /// More arguments for ssh (e.g. a remote command).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Show the labs on this machine (or one of them, host by host).
    Status {
        /// Only this lab, with its hosts.
        #[arg(long, env = "FLOCK_LAB")]
        name: Option<String>,
    },
    /// List what a host changed (its overlay upper directory): path, kind, mode, owner, size.
    Diff {
        /// The lab's name.
        #[arg(long, env = "FLOCK_LAB", default_value = "lab")]
        name: String,
        /// The host.
        host: String,
        /// Also print the content of changed files.
        #[arg(long)]
        content: bool,
    },
}

/// Runs `flock lab`.
pub fn run(args: LabArgs) -> ExitCode {
    match run_inner(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("flock lab: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run_inner(args: LabArgs) -> Result<ExitCode, LabError> {
    if !cfg!(target_os = "linux") {
        return Err(LabError::Setup(
            "flock lab needs Linux (network namespaces)".into(),
        ));
    }
    super::check_root()?;
    match args.command {
        LabCommand::Up {
            name,
            hosts,
            subnet,
            flavor,
            timings,
        } => {
            let flavor = Flavor::parse(&flavor).ok_or_else(|| {
                LabError::Setup(format!("unknown flavor `{flavor}` (debian or el)"))
            })?;
            let t = Instant::now();
            let lab = Lab::up(&LabOptions {
                name,
                hosts,
                subnet: Some(subnet),
                flavor,
            })?;
            let secs = t.elapsed().as_secs_f64();
            println!(
                "lab {}: {} hosts up ({} .. {}, controller {}){}",
                lab.name(),
                lab.hosts().len(),
                lab.hosts()[0].address,
                lab.hosts()[lab.hosts().len() - 1].address,
                lab.controller_address(),
                if timings {
                    format!(" in {secs:.2} s")
                } else {
                    String::new()
                }
            );
            if timings {
                let phases: Vec<String> = lab
                    .timings()
                    .iter()
                    .map(|(what, d)| format!("{what} {:.3}", d.as_secs_f64()))
                    .collect();
                println!("  phases (s): {}", phases.join(", "));
            }
            Ok(ExitCode::SUCCESS)
        }
        LabCommand::Down { name } => {
            Lab::down_by_name(&name)?;
            Ok(ExitCode::SUCCESS)
        }
        LabCommand::Exec {
            name,
            host,
            command,
        } => {
            let lab = Lab::open(&name)?;
            let argv: Vec<&str> = command.iter().map(String::as_str).collect();
            let mut cmd = match host {
                Some(h) => lab.command_on_host(&h, &argv)?,
                None => lab.command_in_lab(&argv),
            };
            let e = cmd.exec();
            Err(LabError::io(format!("running {}", command[0]), e))
        }
        LabCommand::Inventory { name } => {
            print!("{}", Lab::open(&name)?.inventory_text());
            Ok(ExitCode::SUCCESS)
        }
        LabCommand::Ssh { name, host, args } => {
            let lab = Lab::open(&name)?;
            let h =
                lab.hosts()
                    .iter()
                    .find(|h| h.name == host)
                    .ok_or_else(|| LabError::NoHost {
                        lab: name.clone(),
                        host: host.clone(),
                    })?;
            let key = lab.key_path().display().to_string();
            let known = format!("UserKnownHostsFile={}", lab.known_hosts_path().display());
            let target = format!("root@{}", h.address);
            let mut argv = vec![
                "ssh",
                "-i",
                &key,
                "-o",
                &known,
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "LogLevel=ERROR",
                &target,
            ];
            argv.extend(args.iter().map(String::as_str));
            let e = lab.command_in_lab(&argv).exec();
            Err(LabError::io("running ssh", e))
        }
        LabCommand::Status { name } => {
            let out = std::io::stdout();
            let mut out = out.lock();
            let names = match name {
                Some(n) => vec![n],
                None => Lab::list(),
            };
            if names.is_empty() {
                let _ = writeln!(out, "no labs");
            }
            let one = names.len() == 1;
            for n in names {
                let lab = Lab::open(&n)?;
                let _ = writeln!(
                    out,
                    "{}\t{} hosts\t{}\tcontroller {}\t{}",
                    lab.name(),
                    lab.hosts().len(),
                    lab.subnet(),
                    lab.controller_address(),
                    if lab.is_alive() {
                        "up"
                    } else {
                        "broken (flock lab down)"
                    }
                );
                if one {
                    for h in lab.hosts() {
                        let _ = writeln!(out, "  {}\t{}", h.name, h.address);
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        LabCommand::Diff {
            name,
            host,
            content,
        } => {
            let lab = Lab::open(&name)?;
            let upper = lab.upper_dir(&host)?;
            let users = Names::read(&upper, "etc/passwd");
            let groups = Names::read(&upper, "etc/group");
            let out = std::io::stdout();
            let mut out = out.lock();
            for c in lab.changes(&host)? {
                let mut line = format!(
                    "{}\t{}\t{:04o}\t{}:{}\t{}",
                    c.path.display(),
                    c.kind,
                    c.mode,
                    users.name(c.uid),
                    groups.name(c.gid),
                    c.size
                );
                if let Some(t) = &c.target {
                    line.push_str(&format!("\t-> {}", t.display()));
                }
                let _ = writeln!(out, "{line}");
                if content && c.kind == super::ChangeKind::File {
                    let rel = c.path.strip_prefix("/").unwrap_or(&c.path);
                    match std::fs::read(upper.join(rel)) {
                        Ok(b) => match String::from_utf8(b) {
                            Ok(s) => {
                                for l in s.lines() {
                                    let _ = writeln!(out, "    {l}");
                                }
                            }
                            Err(e) => {
                                let _ = writeln!(out, "    (binary, {} bytes)", e.as_bytes().len());
                            }
                        },
                        Err(e) => {
                            let _ = writeln!(out, "    (unreadable: {e})");
                        }
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Id → name from a host's passwd/group file (its own if it changed it, else the machine's).
struct Names(Vec<(u32, String)>);

impl Names {
    fn read(upper: &std::path::Path, rel: &str) -> Names {
        let text = std::fs::read_to_string(upper.join(rel))
            .or_else(|_| std::fs::read_to_string(std::path::Path::new("/").join(rel)))
            .unwrap_or_default();
        Names(
            text.lines()
                .filter_map(|l| {
                    let f: Vec<&str> = l.split(':').collect();
                    Some((f.get(2)?.parse().ok()?, f.first()?.to_string()))
                })
                .collect(),
        )
    }

    fn name(&self, id: u32) -> String {
        self.0
            .iter()
            .find(|(i, _)| *i == id)
            .map_or_else(|| id.to_string(), |(_, n)| n.clone())
    }
}
