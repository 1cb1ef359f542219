//! `flock jockey`: the network-install server's command line. (Issue 11.)

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;

use super::crypt::generate_password;
use super::kick::{self, KickOptions};
use super::space::HTTP_PORT;
use super::{dump, http, ipmi, masq, JockeyError, Result, Space};

/// Arguments of `flock jockey`.
#[derive(clap::Args, Debug)]
pub struct JockeyArgs {
    /// The space directory (templates, inventory, `boot/`).
    #[arg(long, env = "JOCKEY_SPACE", default_value = "space", global = true)]
    pub space: PathBuf,
    /// The inventory file (default: SPACE/hosts).
    #[arg(long, env = "JOCKEY_HOSTS", global = true)]
    pub hosts: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: JockeyCommand,
}

/// The subcommands of `flock jockey`.
#[derive(clap::Subcommand, Debug)]
pub enum JockeyCommand {
    /// Render the kickstart and PXELINUX config of a machine; prints its root password.
    Kick {
        /// The system: `space/kickstart.<SYSTEM>`.
        system: String,
        /// The machine's MAC address, or `@VM` for a VirtualBox VM's first NIC.
        mac: String,
        /// Its static address (default 10.1.1.1).
        ip: Option<String>,
        /// Its host name (default core-01).
        name: Option<String>,
        /// Its root password (default: generated).
        password: Option<String>,
    },
    /// Write only the PXELINUX config of a machine (`local` boots from its disk).
    Ipxe {
        /// The default PXELINUX label.
        system: String,
        /// The machine's MAC address or `@VM`.
        mac: String,
    },
    /// Print the stored root password of a machine.
    Password {
        /// The machine's MAC address or `@VM`.
        mac: String,
    },
    /// Print a new random password.
    Pass,
    /// Serve `space/boot` over HTTP on boot_server:8080, logging each request.
    Http {
        /// Listen here instead of boot_server:8080.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Run dnsmasq (DHCP + TFTP) with the config from `space/masq`, in the foreground.
    #[command(alias = "boot")]
    Masq {
        /// The dnsmasq binary (default: dnsmasq on PATH or in /usr/sbin).
        #[arg(long)]
        dnsmasq: Option<PathBuf>,
    },
    /// Show the DHCP requests and replies on an interface.
    Dump {
        /// The interface.
        interface: String,
        /// Stop after this many messages.
        #[arg(long)]
        count: Option<usize>,
    },
    /// Baseboard management through ipmitool.
    Ipmi {
        /// What to do.
        #[command(subcommand)]
        command: IpmiCommand,
    },
}

/// `flock jockey ipmi …`.
#[derive(clap::Subcommand, Debug)]
pub enum IpmiCommand {
    /// Remember the BMC user and password (default password: admin).
    User {
        /// User name.
        user: String,
        /// Password.
        pass: Option<String>,
    },
    /// Run `ipmitool -I lanplus` against a BMC with the remembered credentials.
    Tool {
        /// The BMC's address.
        host: String,
        /// ipmitool arguments (e.g. `power status`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Runs `flock jockey`.
pub fn run(args: JockeyArgs) -> ExitCode {
    let mut space = Space::new(&args.space);
    if let Some(h) = &args.hosts {
        space = space.with_hosts(h);
    }
    match dispatch(&space, args.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("flock jockey: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `flock password @HOST`: prints jockey's stored root password of a host.
pub fn print_password(target: &str) -> ExitCode {
    let space = default_space();
    match password(&space, target) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("flock password: {e}");
            ExitCode::FAILURE
        }
    }
}

fn default_space() -> Space {
    let root =
        std::env::var_os("JOCKEY_SPACE").map_or_else(|| PathBuf::from("space"), PathBuf::from);
    let space = Space::new(root);
    match std::env::var_os("JOCKEY_HOSTS") {
        Some(h) => space.with_hosts(h),
        None => space,
    }
}

fn dispatch(space: &Space, cmd: JockeyCommand) -> Result<ExitCode> {
    match cmd {
        JockeyCommand::Kick {
            system,
            mac,
            ip,
            name,
            password,
        } => {
            let mac = space.resolve(&mac)?;
            let addr = ip.as_deref().map(parse_ip).transpose()?;
            let done = kick::kick(
                space,
                &KickOptions {
                    system,
                    mac,
                    addr,
                    name,
                    password,
                    salt: None,
                },
            )?;
            println!();
            println!("kickstart: {}", done.system);
            println!("password: {}", done.password);
            println!();
            println!("wrote {}", done.kickstart.0.display());
            println!("wrote {}", done.pxelinux.0.display());
            println!("wrote {}", done.password_file.display());
            if let Some((p, _)) = &done.esxi_boot {
                println!("wrote {}", p.display());
            }
            for w in &done.warnings {
                eprintln!("warning: {w}");
            }
        }
        JockeyCommand::Ipxe { system, mac } => {
            let (path, warnings) = kick::pxelinux(space, &system, space.resolve(&mac)?)?;
            println!("wrote {}", path.display());
            for w in &warnings {
                eprintln!("warning: {w}");
            }
        }
        JockeyCommand::Password { mac } => return password(space, &mac),
        JockeyCommand::Pass => println!("{}", generate_password()),
        JockeyCommand::Http { listen } => {
            let listen = match listen {
                Some(l) => l,
                None => SocketAddr::from((space.inventory()?.boot_server, HTTP_PORT)),
            };
            http::run(&space.boot(), listen)?;
        }
        JockeyCommand::Masq { dnsmasq } => {
            let code = masq::run(space, dnsmasq)?;
            if code != 0 {
                return Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)));
            }
        }
        JockeyCommand::Dump { interface, count } => {
            dump::dump(&interface, &mut std::io::stdout(), count)?;
        }
        JockeyCommand::Ipmi { command } => match command {
            IpmiCommand::User { user, pass } => {
                let pass = pass.unwrap_or_else(|| "admin".into());
                ipmi::save(space, &ipmi::Credentials { user, pass })?;
            }
            IpmiCommand::Tool { host, args } => {
                let code = ipmi::tool(space, &host, &args)?;
                return Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)));
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}

fn password(space: &Space, target: &str) -> Result<ExitCode> {
    let mac = space.resolve(target)?;
    match kick::stored_password(space, mac)? {
        Some(p) => {
            println!("{target} [{}]: {p}", mac.dashed());
            Ok(ExitCode::SUCCESS)
        }
        None => Err(JockeyError::BadArg(format!(
            "no stored password for {target} ({} not found)",
            space.root.join(format!("{}.pass", mac.dashed())).display()
        ))),
    }
}

fn parse_ip(s: &str) -> Result<Ipv4Addr> {
    s.parse().map_err(|_| JockeyError::BadIp(s.to_string()))
}
