//! `flock ca` and `flock vpn`: grid and OpenVPN certificate authorities. (Issue 10.)
//!
//! Both work relative to the current directory (`ca/`, `keys/`), as the original
//! `flock-ca` / `flock-vpn` did. Nothing secret is printed.

use std::path::PathBuf;
use std::process::ExitCode;

use super::grid::Grid;
use super::pki::{Digest, KeySpec};
use super::vpn::{self, Role, Vpn};
use super::CaError;

/// Key options shared by both commands.
#[derive(clap::Args, Debug, Clone)]
pub struct KeyOpts {
    /// Directory of the CAs.
    #[arg(long, global = true, default_value = "ca")]
    pub ca_dir: PathBuf,
    /// Type of new keys: rsa2048, rsa3072, rsa4096, ec256, ec384.
    #[arg(long = "key", global = true, default_value = "rsa3072")]
    pub key: KeySpec,
    /// Digest of RSA signatures: sha256, sha384, sha512 (ECDSA keys use their curve's).
    #[arg(long, global = true, default_value = "sha256")]
    pub digest: Digest,
}

/// Arguments of `flock ca`.
#[derive(clap::Args, Debug)]
pub struct CaArgs {
    /// Key and directory options.
    #[command(flatten)]
    pub opts: KeyOpts,
    /// Directory of user keys and certificates.
    #[arg(long, global = true, default_value = "keys")]
    pub keys_dir: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub cmd: CaCmd,
}

/// `flock ca` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum CaCmd {
    /// Create a CA `cn=CN,ou=CN-cahost,ou=Core,o=Grid` and install it in ca/grid-security.
    Create {
        /// CA name.
        cn: String,
        /// Validity in days.
        #[arg(default_value_t = 365)]
        days: u32,
        /// Contact e-mail address.
        email: Option<String>,
    },
    /// Print the CA's OpenSSL subject hash.
    Cahash {
        /// CA name.
        cn: String,
    },
    /// Link the pre-OpenSSL-1.0 (MD5) hash names in ca/grid-security; print them.
    Oldhash {
        /// CA name (every CA when omitted).
        cn: Option<String>,
    },
    /// Key and request for a host (SANs: FQDN, localhost, 127.0.0.1).
    Host {
        /// CA name.
        ca: String,
        /// Host name.
        fqdn: String,
    },
    /// Key and request for a service on a host (id SERVICE_FQDN).
    Service {
        /// CA name.
        ca: String,
        /// Host name.
        fqdn: String,
        /// Service name (ldap, http, ...).
        service: String,
    },
    /// Key and request for a user.
    User {
        /// CA name.
        ca: String,
        /// User id (file names).
        id: String,
        /// Full name (the certificate's CN).
        full_name: String,
    },
    /// Show a request's subject and requested extensions.
    Showreq {
        /// CA name.
        ca: String,
        /// Id or request file.
        req: String,
    },
    /// Sign a request, copying its requested extensions.
    Sign {
        /// CA name.
        ca: String,
        /// Id or request file.
        req: String,
    },
    /// Copy a certificate and its key into the keys directory.
    Keys {
        /// CA name.
        ca: String,
        /// Id.
        id: String,
    },
    /// Make keys/ID.p12 (PKCS#12) for browsers. Password: --password-file,
    /// $FLOCK_P12_PASSWORD, or asked twice.
    P12 {
        /// Id.
        id: String,
        /// File whose first line is the password.
        #[arg(long)]
        password_file: Option<PathBuf>,
        /// 3DES and HMAC-SHA-1 instead of AES-256 and HMAC-SHA-256 (old browsers, key stores).
        #[arg(long)]
        legacy: bool,
    },
    /// Verify a certificate against its CA (signature, dates, revocation).
    Verify {
        /// CA name.
        ca: String,
        /// Id.
        id: String,
    },
    /// Print a certificate's subject.
    Subject {
        /// CA name.
        ca: String,
        /// Id.
        id: String,
    },
    /// Revoke a certificate and reissue the CRL.
    Revoke {
        /// CA name.
        ca: String,
        /// Id.
        id: String,
    },
    /// Issue the CRL (ca/CA/crl.pem, installed as ca/grid-security/HASH.r0).
    Crl {
        /// CA name.
        ca: String,
        /// Days until the next update.
        #[arg(default_value_t = 30)]
        days: u32,
    },
    /// Print shell exports for Globus tools.
    X509env {
        /// User id.
        #[arg(default_value = "sysop")]
        id: String,
    },
}

/// Arguments of `flock vpn`.
#[derive(clap::Args, Debug)]
pub struct VpnArgs {
    /// Key and directory options.
    #[command(flatten)]
    pub opts: KeyOpts,
    /// Validity of server and client certificates in days.
    #[arg(long, global = true, default_value_t = 3650)]
    pub days: u32,
    /// What to do.
    #[command(subcommand)]
    pub cmd: VpnCmd,
}

fn home(rel: &str) -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(rel)
}

/// `flock vpn` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum VpnCmd {
    /// Create a VPN CA (ca/CA/2.0/keys/ca.crt, ca.key).
    Create {
        /// CA name.
        #[arg(default_value = vpn::DEFAULT_CA)]
        ca: String,
        /// Validity in days.
        #[arg(default_value_t = 3650)]
        ca_days: u32,
    },
    /// Server key and certificate (serverAuth, nsCertType server).
    Server {
        /// CA name.
        ca: String,
        /// Server name (its inventory host name).
        name: String,
    },
    /// Client key and certificate (clientAuth, nsCertType client).
    Client {
        /// CA name.
        ca: String,
        /// Client name.
        name: String,
    },
    /// DH parameters dhBITS.pem (RFC 7919 groups).
    Dh {
        /// CA name.
        #[arg(default_value = vpn::DEFAULT_CA)]
        ca: String,
        /// Size: 2048, 3072 or 4096.
        #[arg(default_value_t = 2048)]
        bits: u32,
    },
    /// The tls-auth key ta.key.
    Ta {
        /// CA name.
        #[arg(default_value = vpn::DEFAULT_CA)]
        ca: String,
    },
    /// dh and ta together.
    Param {
        /// CA name.
        #[arg(default_value = vpn::DEFAULT_CA)]
        ca: String,
        /// DH size.
        #[arg(default_value_t = 2048)]
        bits: u32,
    },
    /// Revoke a certificate and write crl.pem.
    Revoke {
        /// CA name.
        ca: String,
        /// Name.
        name: String,
    },
    /// Write crl.pem.
    Crl {
        /// CA name.
        ca: String,
        /// Days until the next update.
        #[arg(default_value_t = 30)]
        crl_days: u32,
    },
    /// Tunnelblick configuration for a client: DIR/NAME.ovpn and DIR/NAME/.
    Blick {
        /// CA name.
        ca: String,
        /// Client name.
        name: String,
        /// Tunnelblick configuration directory.
        #[arg(long, default_value_os_t = home(".openvpn"))]
        dir: PathBuf,
        /// Server address.
        #[arg(long, default_value = "SERVER")]
        remote: String,
    },
    /// iPhone configuration in ca/CA/iphone/.
    Iphone {
        /// CA name.
        #[arg(default_value = vpn::DEFAULT_CA)]
        ca: String,
        /// Client name.
        #[arg(default_value = "iphone")]
        name: String,
        /// Server address.
        #[arg(long, default_value = "SERVER")]
        remote: String,
    },
    /// Tunnelblick configuration with the servers Ting found (hosts matching PATTERN).
    Ting {
        /// Host glob, e.g. `core?`.
        pattern: String,
        /// Client name.
        name: String,
        /// CA name.
        #[arg(long, default_value = vpn::DEFAULT_CA)]
        ca: String,
        /// Ting's hosts directory.
        #[arg(long, default_value_os_t = home("ting/hosts"))]
        hosts: PathBuf,
        /// Tunnelblick configuration directory.
        #[arg(long, default_value_os_t = home(".openvpn"))]
        dir: PathBuf,
    },
}

fn finish(cmd: &str, r: Result<(), CaError>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("flock {cmd}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn p12_password(file: Option<&PathBuf>) -> Result<String, CaError> {
    if let Some(f) = file {
        let text = super::files::read_string(f)?;
        return Ok(text.lines().next().unwrap_or_default().to_string());
    }
    if let Ok(p) = std::env::var("FLOCK_P12_PASSWORD") {
        return Ok(p);
    }
    let a = rpassword::prompt_password("PKCS#12 password: ")
        .map_err(|e| CaError::Input(format!("reading password: {e}")))?;
    let b = rpassword::prompt_password("again: ")
        .map_err(|e| CaError::Input(format!("reading password: {e}")))?;
    if a != b {
        return Err(CaError::Input("passwords differ".into()));
    }
    Ok(a)
}

/// Runs `flock ca`.
pub fn run(args: CaArgs) -> ExitCode {
    finish("ca", run_ca(args))
}

fn run_ca(args: CaArgs) -> Result<(), CaError> {
    let mut g = Grid::new(&args.opts.ca_dir, &args.keys_dir);
    g.spec = args.opts.key;
    g.digest = args.opts.digest;
    match args.cmd {
        CaCmd::Create { cn, days, email } => {
            let hash = g.create(&cn, days, email.as_deref())?;
            println!("created CA {cn} ({}), hash {hash}", Grid::ca_name(&cn)?);
        }
        CaCmd::Cahash { cn } => println!("{}", g.cahash(&cn)?),
        CaCmd::Oldhash { cn } => {
            for (c, h) in g.oldhash(cn.as_deref())? {
                println!("{h} {c}");
            }
        }
        CaCmd::Host { ca, fqdn } => println!("request {}", g.host(&ca, &fqdn)?.display()),
        CaCmd::Service { ca, fqdn, service } => {
            println!("request {}", g.service(&ca, &fqdn, &service)?.display())
        }
        CaCmd::User { ca, id, full_name } => {
            println!("request {}", g.user(&ca, &id, &full_name)?.display())
        }
        CaCmd::Showreq { ca, req } => print!("{}", g.showreq(&ca, &req)?),
        CaCmd::Sign { ca, req } => {
            let (path, issued) = g.sign(&ca, &req)?;
            println!(
                "signed {} serial {} -> {}",
                issued.subject,
                issued.serial,
                path.display()
            );
        }
        CaCmd::Keys { ca, id } => {
            let (c, k) = g.keys(&ca, &id)?;
            println!("{}\n{}", c.display(), k.display());
        }
        CaCmd::P12 {
            id,
            password_file,
            legacy,
        } => {
            let pw = p12_password(password_file.as_ref())?;
            println!("{}", g.p12(&id, &pw, legacy)?.display());
        }
        CaCmd::Verify { ca, id } => println!("{}: OK", g.verify(&ca, &id)?),
        CaCmd::Subject { ca, id } => println!("{}", g.subject(&ca, &id)?),
        CaCmd::Revoke { ca, id } => println!("revoked {}", g.revoke(&ca, &id)?),
        CaCmd::Crl { ca, days } => println!("{}", g.crl(&ca, days)?.display()),
        CaCmd::X509env { id } => print!("{}", g.x509env(&id)),
    }
    Ok(())
}

/// Runs `flock vpn`.
pub fn run_vpn(args: VpnArgs) -> ExitCode {
    finish("vpn", run_vpn_inner(args))
}

fn run_vpn_inner(args: VpnArgs) -> Result<(), CaError> {
    let mut v = Vpn::new(&args.opts.ca_dir);
    v.spec = args.opts.key;
    v.digest = args.opts.digest;
    let days = args.days;
    match args.cmd {
        VpnCmd::Create { ca, ca_days } => println!("{}", v.create(&ca, ca_days)?.display()),
        VpnCmd::Server { ca, name } => {
            let i = v.issue(&ca, &name, Role::Server, days)?;
            println!("server {} serial {}", i.subject, i.serial);
        }
        VpnCmd::Client { ca, name } => {
            let i = v.issue(&ca, &name, Role::Client, days)?;
            println!("client {} serial {}", i.subject, i.serial);
        }
        VpnCmd::Dh { ca, bits } => println!("{}", v.dh(&ca, bits)?.display()),
        VpnCmd::Ta { ca } => println!("{}", v.ta(&ca)?.display()),
        VpnCmd::Param { ca, bits } => {
            println!("{}", v.dh(&ca, bits)?.display());
            println!("{}", v.ta(&ca)?.display());
        }
        VpnCmd::Revoke { ca, name } => println!("revoked {}", v.revoke(&ca, &name)?),
        VpnCmd::Crl { ca, crl_days } => println!("{}", v.crl(&ca, crl_days)?.display()),
        VpnCmd::Blick {
            ca,
            name,
            dir,
            remote,
        } => println!("{}", v.blick(&ca, &name, &dir, &remote)?.display()),
        VpnCmd::Iphone { ca, name, remote } => {
            println!("{}", v.iphone(&ca, &name, &remote)?.display())
        }
        VpnCmd::Ting {
            pattern,
            name,
            ca,
            hosts,
            dir,
        } => println!("{}", v.ting(&ca, &pattern, &name, &hosts, &dir)?.display()),
    }
    Ok(())
}
