//! The space directory and its inventory file (`space/hosts`).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use super::{JockeyError, Mac, Result};

/// Port of the built-in HTTP server (the original's nginx listened on 8080 too).
pub const HTTP_PORT: u16 = 8080;

/// Where jockey's files live.
#[derive(Clone, Debug)]
pub struct Space {
    /// The space directory (`space`).
    pub root: PathBuf,
    /// The inventory file (`space/hosts` unless `JOCKEY_HOSTS` says otherwise).
    pub hosts: PathBuf,
}

impl Space {
    /// A space rooted at `root`, with its inventory at `root/hosts`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let hosts = root.join("hosts");
        Self { root, hosts }
    }

    /// The same space with the inventory at `hosts`.
    pub fn with_hosts(mut self, hosts: impl Into<PathBuf>) -> Self {
        self.hosts = hosts.into();
        self
    }

    /// `space/boot`: the TFTP and HTTP root.
    pub fn boot(&self) -> PathBuf {
        self.root.join("boot")
    }

    /// `space/boot/pxelinux.cfg`.
    pub fn pxelinux_dir(&self) -> PathBuf {
        self.boot().join("pxelinux.cfg")
    }

    /// `space/kickstart.<system>`.
    pub fn template(&self, system: &str) -> PathBuf {
        self.root.join(format!("kickstart.{system}"))
    }

    /// The systems that have a `kickstart.<system>` template, sorted.
    pub fn systems(&self) -> Vec<String> {
        let mut out: Vec<String> = std::fs::read_dir(&self.root)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let system = name.strip_prefix("kickstart.")?;
                Some(system.strip_suffix(".j2").unwrap_or(system).to_string())
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// `space/names`: `NAME MAC` lines written by `kick`, so `@NAME` works without VirtualBox.
    pub fn names(&self) -> PathBuf {
        self.root.join("names")
    }

    /// `MAC` or `@NAME`: a MAC address as given; for `@NAME` the first NIC of the VirtualBox VM
    /// NAME (as the original did), else the MAC `kick` recorded for NAME in `space/names`.
    pub fn resolve(&self, target: &str) -> Result<Mac> {
        let Some(name) = target.strip_prefix('@') else {
            return target.parse();
        };
        match Mac::resolve(target) {
            Ok(mac) => Ok(mac),
            Err(JockeyError::Vm { vm, msg }) => match self.recorded_mac(name)? {
                Some(mac) => Ok(mac),
                None => Err(JockeyError::Vm {
                    vm,
                    msg: format!("{msg}; and {name} is not in {}", self.names().display()),
                }),
            },
            Err(e) => Err(e),
        }
    }

    /// The MAC recorded for `name` in `space/names`.
    pub fn recorded_mac(&self, name: &str) -> Result<Option<Mac>> {
        let path = self.names();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(JockeyError::io(path, e)),
        };
        for (i, line) in text.lines().enumerate() {
            let mut f = line.split_whitespace();
            if let (Some(n), Some(m)) = (f.next(), f.next()) {
                if n == name {
                    return m.parse().map(Some).map_err(|_| JockeyError::Inventory {
                        path: path.clone(),
                        line: i + 1,
                        column: line.find(m).unwrap_or(0) + 1,
                        msg: format!("malformed MAC address {m:?}"),
                    });
                }
            }
        }
        Ok(None)
    }

    /// Records `name` → `mac` in `space/names` (replacing earlier lines for either).
    pub fn record_name(&self, name: &str, mac: Mac) -> Result<()> {
        let path = self.names();
        let old = std::fs::read_to_string(&path).unwrap_or_default();
        let mut text: String = old
            .lines()
            .filter(|l| {
                let mut f = l.split_whitespace();
                let (n, m) = (f.next(), f.next().and_then(|m| m.parse::<Mac>().ok()));
                n.is_some() && n != Some(name) && m != Some(mac)
            })
            .map(|l| format!("{l}\n"))
            .collect();
        text.push_str(&format!("{name} {}\n", mac.dashed()));
        std::fs::write(&path, text).map_err(|e| JockeyError::io(path, e))
    }

    /// Reads and checks the inventory.
    pub fn inventory(&self) -> Result<Inventory> {
        let text =
            std::fs::read_to_string(&self.hosts).map_err(|source| JockeyError::NoInventory {
                path: self.hosts.clone(),
                source,
            })?;
        Inventory::parse(&text, &self.hosts)
    }
}

/// The jockey inventory: shell-style `key=value` lines (the original `source`d it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inventory {
    /// Address the boot services listen on.
    pub boot_server: Ipv4Addr,
    /// dnsmasq's `dhcp-range` value (`first,last,mask,lease`).
    pub dhcp_range: String,
    /// Interface installers use to reach the internet (`INTERFACE`).
    pub interface: String,
    /// Default gateway handed out by DHCP and written into kickstarts (`GATEWAY`).
    pub gateway: Option<Ipv4Addr>,
    /// NTP server for kickstarts (`NTP_SERVER`).
    pub ntp_server: Option<String>,
}

impl Inventory {
    /// `boot_server:8080`, what kickstarts and PXE menus call `HTTP_LISTEN`.
    pub fn http_listen(&self) -> String {
        format!("{}:{}", self.boot_server, HTTP_PORT)
    }

    /// Parses inventory text; `path` names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let err = |line: usize, column: usize, msg: String| JockeyError::Inventory {
            path: path.to_path_buf(),
            line,
            column,
            msg,
        };
        let mut boot_server = None;
        let mut dhcp_range = None;
        let mut interface = None;
        let mut gateway = None;
        let mut ntp_server = None;
        for (i, raw) in text.lines().enumerate() {
            let line_no = i + 1;
            let indent = raw.len() - raw.trim_start().len();
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let Some((key, value)) = line.split_once('=') else {
                return Err(err(
                    line_no,
                    indent + 1,
                    format!("expected key=value, got {line:?}"),
                ));
            };
            let value_col = indent + raw.trim_start().find('=').unwrap_or(0) + 2;
            let value = unquote(value.trim())
                .ok_or_else(|| err(line_no, value_col, "unterminated quote".into()))?;
            let ip = |v: &str| {
                v.parse::<Ipv4Addr>().map_err(|_| {
                    err(
                        line_no,
                        value_col,
                        format!("{key}: malformed IPv4 address {v:?}"),
                    )
                })
            };
            match key.trim() {
                "boot_server" => boot_server = Some(ip(&value)?),
                "gateway" if !value.is_empty() => gateway = Some(ip(&value)?),
                "ntp_server" if !value.is_empty() => ntp_server = Some(value),
                "interface" => interface = Some(value),
                "dhcp_range" => {
                    let fields: Vec<&str> = value.split(',').map(str::trim).collect();
                    let ips = fields
                        .iter()
                        .filter(|f| f.parse::<Ipv4Addr>().is_ok())
                        .count();
                    if fields.len() < 2 || ips < 2 {
                        return Err(err(
                            line_no,
                            value_col,
                            format!(
                                "dhcp_range: expected \"first,last[,mask][,lease]\", got {value:?}"
                            ),
                        ));
                    }
                    dhcp_range = Some(value);
                }
                _ => {}
            }
        }
        let missing = |key: &str| {
            err(
                text.lines().count().max(1),
                1,
                format!("missing {key}= (needed: boot_server, dhcp_range, interface)"),
            )
        };
        Ok(Self {
            boot_server: boot_server.ok_or_else(|| missing("boot_server"))?,
            dhcp_range: dhcp_range.ok_or_else(|| missing("dhcp_range"))?,
            interface: interface.ok_or_else(|| missing("interface"))?,
            gateway,
            ntp_server,
        })
    }
}

/// Removes one level of shell quotes; `None` when a quote is not closed.
fn unquote(v: &str) -> Option<String> {
    for q in ['"', '\''] {
        if let Some(rest) = v.strip_prefix(q) {
            return rest.strip_suffix(q).map(str::to_string);
        }
    }
    // Unquoted: a trailing comment ends the value, as in the shell.
    Some(v.split(" #").next().unwrap_or(v).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_corpus_inventory() {
        let text = "# inventory for space jockey\n\nboot_server=10.1.1.254\ndhcp_range=\"10.1.1.1,10.1.1.128,255.255.255.0,6h\"\n# gateway=192.168.1.1\ninterface=eth1\n";
        let inv = Inventory::parse(text, Path::new("hosts")).unwrap();
        assert_eq!(inv.boot_server, Ipv4Addr::new(10, 1, 1, 254));
        assert_eq!(inv.dhcp_range, "10.1.1.1,10.1.1.128,255.255.255.0,6h");
        assert_eq!(inv.interface, "eth1");
        assert_eq!(inv.gateway, None);
        assert_eq!(inv.http_listen(), "10.1.1.254:8080");
    }

    #[test]
    fn bad_values_name_line_and_column() {
        let e = Inventory::parse(
            "interface=eth1\nboot_server=10.1.1.300\n",
            Path::new("sp/hosts"),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "sp/hosts:2:13: boot_server: malformed IPv4 address \"10.1.1.300\""
        );
        let e =
            Inventory::parse("boot_server=10.1.1.1\ninterface=eth1\n", Path::new("h")).unwrap_err();
        assert!(e.to_string().contains("missing dhcp_range="), "{e}");
        let e = Inventory::parse("dhcp_range=\"10.1.1.1,\n", Path::new("h")).unwrap_err();
        assert_eq!(e.to_string(), "h:1:12: unterminated quote");
    }
}
