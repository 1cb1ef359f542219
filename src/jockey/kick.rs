//! `jockey kick` and `jockey ipxe`: the per-machine kickstart and PXELINUX files.
//!
//! Substitutions are the original's: in `space/kickstart.<system>` `ROOT_PASSWORD_PLAIN`,
//! `ROOT_PASSWORD` (MD5-crypt), `HTTP_LISTEN`, `SYSTEM_NAME`, `SYSTEM_ADDR`, `NTP_SERVER`,
//! `GATEWAY`, `INTERFACE` (ESXi: only `ROOT_PASSWORD`, as the plain password); in
//! `space/boot/kickstart` `KICKSTART` (`boot_server:8080/<mac>.ks`), `_DEFAULT` (the system) and
//! `INTERFACE`. A `space/kickstart.<system>.j2` template is rendered as Jinja2 instead, with the
//! same values under lower-case names.

use std::fs;
use std::io::Write;
use std::net::Ipv4Addr;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::crypt::{generate_password, generate_salt, md5_crypt};
use super::render::{render_jinja, substitute};
use super::{Inventory, JockeyError, Mac, Result, Space};

/// The original's defaults for `kick SYSTEM MAC [IP] [NAME]`.
pub const DEFAULT_ADDR: Ipv4Addr = Ipv4Addr::new(10, 1, 1, 1);
/// Default system name.
pub const DEFAULT_NAME: &str = "core-01";

/// What to kick.
#[derive(Clone, Debug)]
pub struct KickOptions {
    /// The system: selects `space/kickstart.<system>` and the PXELINUX default label.
    pub system: String,
    /// The machine's (first NIC's) MAC address.
    pub mac: Mac,
    /// Its static address (`SYSTEM_ADDR`), default 10.1.1.1.
    pub addr: Option<Ipv4Addr>,
    /// Its host name (`SYSTEM_NAME`), default `core-01`.
    pub name: Option<String>,
    /// The root password; generated when absent.
    pub password: Option<String>,
    /// MD5-crypt salt; random when absent (set it for reproducible output).
    pub salt: Option<String>,
}

/// The files a kick writes, rendered but not yet written.
#[derive(Clone, Debug)]
pub struct KickPlan {
    /// The system.
    pub system: String,
    /// The MAC address.
    pub mac: Mac,
    /// The root password (plain).
    pub password: String,
    /// Whether the password was generated.
    pub generated: bool,
    /// `space/boot/<mac>.ks` and its content.
    pub kickstart: (PathBuf, String),
    /// `space/boot/pxelinux.cfg/01-<mac>` and its content.
    pub pxelinux: (PathBuf, String),
    /// `space/<mac>.pass`.
    pub password_file: PathBuf,
    /// ESXi only: `space/boot/esxi/boot.cfg` and its content, when `esxi/repo/BOOT.CFG` exists.
    pub esxi_boot: Option<(PathBuf, String)>,
    /// Things worth telling the user (e.g. no menu label for the system).
    pub warnings: Vec<String>,
    /// The host name, recorded in `space/names` with the MAC.
    pub name: String,
    /// `space/names`.
    pub names_file: PathBuf,
}

/// What a kick did.
pub type KickOutcome = KickPlan;

/// Renders and writes everything for one machine (the `kick` command).
pub fn kick(space: &Space, opts: &KickOptions) -> Result<KickOutcome> {
    let plan = plan(space, opts)?;
    plan.write()?;
    Ok(plan)
}

/// Renders everything for one machine without writing (check mode).
pub fn plan(space: &Space, opts: &KickOptions) -> Result<KickPlan> {
    check_system(&opts.system)?;
    let inv = space.inventory()?;
    let name = opts.name.as_deref().unwrap_or(DEFAULT_NAME);
    check_name(name)?;
    let addr = opts.addr.unwrap_or(DEFAULT_ADDR);
    let (password, generated) = match &opts.password {
        Some(p) => {
            check_password(p)?;
            (p.clone(), false)
        }
        None => (generate_password(), true),
    };
    let ks = opts.mac.dashed();
    let kickstart_path = space.boot().join(format!("{ks}.ks"));
    // A given password keeps the salt of the kickstart already there, so kicking again with the
    // same arguments rewrites identical files (the module then reports no change).
    let salt = opts
        .salt
        .clone()
        .or_else(|| {
            (!generated)
                .then(|| existing_salt(&kickstart_path, &password))
                .flatten()
        })
        .unwrap_or_else(generate_salt);
    let hash = md5_crypt(&password, &salt);
    let http_listen = inv.http_listen();
    let ntp = inv.ntp_server.clone().unwrap_or_default();
    let gateway = inv.gateway.map(|g| g.to_string()).unwrap_or_default();
    let addr_s = addr.to_string();
    let kickstart_url = format!("{http_listen}/{ks}.ks");

    let (tpl_path, jinja) = template_path(space, &opts.system)?;
    // (placeholder, Jinja2 name, value), in the original's substitution order.
    let values: [(&str, &str, &str); 8] = [
        ("ROOT_PASSWORD_PLAIN", "root_password_plain", &password),
        ("ROOT_PASSWORD", "root_password", &hash),
        ("HTTP_LISTEN", "http_listen", &http_listen),
        ("SYSTEM_NAME", "system_name", name),
        ("SYSTEM_ADDR", "system_addr", &addr_s),
        ("NTP_SERVER", "ntp_server", &ntp),
        ("GATEWAY", "gateway", &gateway),
        ("INTERFACE", "interface", &inv.interface),
    ];
    let kickstart = if jinja {
        let boot = inv.boot_server.to_string();
        let mut vars: Vec<(&str, &str)> = values.iter().map(|(_, k, v)| (*k, *v)).collect();
        vars.extend([
            ("system", opts.system.as_str()),
            ("mac", ks.as_str()),
            ("kickstart_url", kickstart_url.as_str()),
            ("boot_server", boot.as_str()),
        ]);
        render_jinja(&tpl_path, &vars)?
    } else if opts.system == "esxi" {
        substitute(&read(&tpl_path)?, &[("ROOT_PASSWORD", password.as_str())])
    } else {
        let subs: Vec<(&str, &str)> = values.iter().map(|(p, _, v)| (*p, *v)).collect();
        substitute(&read(&tpl_path)?, &subs)
    };

    let (pxe_path, pxe, mut warnings) = render_pxelinux(space, &inv, &opts.system, opts.mac)?;

    let esxi_boot = if opts.system == "esxi" {
        let src = space.boot().join("esxi/repo/BOOT.CFG");
        match fs::read_to_string(&src) {
            Ok(text) => Some((
                space.boot().join("esxi/boot.cfg"),
                esxi_boot_cfg(&text, &kickstart_url),
            )),
            Err(_) => {
                warnings.push(format!(
                    "{} not found: no esxi/boot.cfg written (copy the ESXi ISO to space/boot/esxi/repo)",
                    src.display()
                ));
                None
            }
        }
    } else {
        None
    };

    Ok(KickPlan {
        system: opts.system.clone(),
        mac: opts.mac,
        password,
        generated,
        kickstart: (kickstart_path, kickstart),
        pxelinux: (pxe_path, pxe),
        password_file: space.root.join(format!("{ks}.pass")),
        esxi_boot,
        warnings,
        name: name.to_string(),
        names_file: space.names(),
    })
}

impl KickPlan {
    /// Whether writing would change anything (compares with the files on disk).
    pub fn changes(&self) -> bool {
        let differs =
            |path: &Path, text: &str| fs::read_to_string(path).ok().as_deref() != Some(text);
        differs(&self.kickstart.0, &self.kickstart.1)
            || differs(&self.pxelinux.0, &self.pxelinux.1)
            || differs(&self.password_file, &format!("{}\n", self.password))
            || self.esxi_boot.as_ref().is_some_and(|(p, t)| differs(p, t))
            || Space::new(self.names_file.parent().unwrap_or(Path::new(".")))
                .recorded_mac(&self.name)
                .ok()
                .flatten()
                != Some(self.mac)
    }

    /// Writes the files: kickstart, PXELINUX config, password (mode 0600), ESXi boot.cfg, and
    /// records the name in `space/names`.
    pub fn write(&self) -> Result<()> {
        write_file(&self.kickstart.0, &self.kickstart.1)?;
        write_file(&self.pxelinux.0, &self.pxelinux.1)?;
        if let Some((path, text)) = &self.esxi_boot {
            write_file(path, text)?;
        }
        write_secret(&self.password_file, &format!("{}\n", self.password))?;
        let space = Space::new(self.names_file.parent().unwrap_or(Path::new(".")));
        space.record_name(&self.name, self.mac)
    }
}

/// Writes only `space/boot/pxelinux.cfg/01-<mac>` with `system` as the default label (the `ipxe`
/// command; `local` boots from the disk).
pub fn pxelinux(space: &Space, system: &str, mac: Mac) -> Result<(PathBuf, Vec<String>)> {
    let (path, text, warnings) = pxelinux_plan(space, system, mac)?;
    write_file(&path, &text)?;
    Ok((path, warnings))
}

/// The `ipxe` file without writing it: path, content, warnings.
pub fn pxelinux_plan(
    space: &Space,
    system: &str,
    mac: Mac,
) -> Result<(PathBuf, String, Vec<String>)> {
    check_system(system)?;
    let inv = space.inventory()?;
    render_pxelinux(space, &inv, system, mac)
}

/// The stored password of a machine (`space/<mac>.pass`), if any.
pub fn stored_password(space: &Space, mac: Mac) -> Result<Option<String>> {
    let path = space.root.join(format!("{}.pass", mac.dashed()));
    match fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text.trim_end_matches('\n').to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(JockeyError::io(path, e)),
    }
}

fn render_pxelinux(
    space: &Space,
    inv: &Inventory,
    system: &str,
    mac: Mac,
) -> Result<(PathBuf, String, Vec<String>)> {
    let tpl_path = space.boot().join("kickstart");
    let tpl = read(&tpl_path)?;
    let ks = mac.dashed();
    let url = format!("{}/{ks}.ks", inv.http_listen());
    let text = substitute(
        &tpl,
        &[
            ("KICKSTART", url.as_str()),
            ("_DEFAULT", system),
            ("INTERFACE", inv.interface.as_str()),
        ],
    );
    let mut warnings = Vec::new();
    let has_label = tpl
        .lines()
        .any(|l| l.trim().strip_prefix("LABEL ").map(str::trim) == Some(system));
    if !has_label {
        warnings.push(format!(
            "{} has no \"LABEL {system}\": PXELINUX will not find the default entry",
            tpl_path.display()
        ));
    }
    Ok((
        space.pxelinux_dir().join(format!("01-{ks}")),
        text,
        warnings,
    ))
}

/// The original's ESXi `boot.cfg`: every `/` becomes `repo/`, `kernelopt=` points at the kickstart.
fn esxi_boot_cfg(text: &str, kickstart_url: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = line.replace('/', "repo/");
        if line.starts_with("kernelopt") {
            out.push_str(&format!("kernelopt=ks=http://{kickstart_url}"));
        } else {
            out.push_str(&line);
        }
        out.push('\n');
    }
    out
}

/// The salt of an MD5-crypt hash of `password` in the file at `path`, if there is one.
fn existing_salt(path: &Path, password: &str) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    text.match_indices("$1$").find_map(|(at, _)| {
        let rest = &text[at + 3..];
        let salt: String = rest.chars().take_while(|&c| c != '$').take(9).collect();
        let hash = format!("$1${salt}$");
        let full: String = text[at..].chars().take(hash.len() + 22).collect();
        (salt.len() <= 8 && md5_crypt(password, &salt) == full).then_some(salt)
    })
}

fn template_path(space: &Space, system: &str) -> Result<(PathBuf, bool)> {
    let plain = space.template(system);
    if plain.is_file() {
        return Ok((plain, false));
    }
    let j2 = space.root.join(format!("kickstart.{system}.j2"));
    if j2.is_file() {
        return Ok((j2, true));
    }
    Err(JockeyError::UnknownSystem {
        system: system.to_string(),
        path: plain,
        known: space.systems().join(", "),
    })
}

fn check_system(system: &str) -> Result<()> {
    let ok = !system.is_empty()
        && !system.starts_with('.')
        && system
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(JockeyError::BadArg(format!("bad system name {system:?}")))
    }
}

fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(JockeyError::BadArg(format!(
            "bad host name {name:?} (letters, digits, '.', '_', '-')"
        )))
    }
}

fn check_password(p: &str) -> Result<()> {
    if p.is_empty() || p.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(JockeyError::BadArg(
            "the password must be non-empty, without spaces or control characters".into(),
        ));
    }
    Ok(())
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| JockeyError::io(path, e))
}

/// Writes `text` to `path`, creating its directory.
pub(crate) fn write_file(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| JockeyError::io(dir, e))?;
    }
    fs::write(path, text).map_err(|e| JockeyError::io(path, e))
}

fn write_secret(path: &Path, text: &str) -> Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| JockeyError::io(path, e))?;
    // An older file keeps its mode on open: tighten it.
    f.set_permissions(fs::Permissions::from_mode(0o600))
        .and_then(|()| f.write_all(text.as_bytes()))
        .map_err(|e| JockeyError::io(path, e))
}
