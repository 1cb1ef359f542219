//! Subnets, the machine's routes, and the lab's network plumbing (`ip -batch`, netns removal).

use std::fmt;
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::LabError;

/// Where `ip netns` keeps its named network namespaces.
pub(crate) const NETNS_DIR: &str = "/run/netns";

/// An IPv4 network in CIDR form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Subnet {
    pub(crate) network: Ipv4Addr,
    pub(crate) prefix: u8,
}

impl Subnet {
    /// Parses `A.B.C.D/P`; the address is masked to the network.
    pub(crate) fn parse(text: &str) -> Result<Subnet, LabError> {
        let bad = |why: &str| LabError::BadSubnet {
            subnet: text.to_string(),
            why: why.to_string(),
        };
        let (addr, prefix) = text
            .split_once('/')
            .ok_or_else(|| bad("expected A.B.C.D/PREFIX"))?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| bad("not an IPv4 address"))?;
        let prefix: u8 = prefix.parse().map_err(|_| bad("prefix is not a number"))?;
        if !(8..=30).contains(&prefix) {
            return Err(bad("prefix must be between 8 and 30"));
        }
        let sub = Subnet {
            network: Ipv4Addr::from(u32::from(addr) & mask(prefix)),
            prefix,
        };
        let first = sub.network.octets()[0];
        if first == 0 || first == 127 || first >= 224 {
            return Err(bad("not a usable unicast range"));
        }
        Ok(sub)
    }

    /// Number of usable host addresses besides the controller's.
    pub(crate) fn capacity(&self) -> usize {
        (1usize << (32 - self.prefix)) - 3
    }

    /// The address of host number `i` (1-based).
    pub(crate) fn host(&self, i: usize) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) + i as u32)
    }

    /// The controller side: the last usable address (10.1.1.254 in 10.1.1.0/24).
    pub(crate) fn controller(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) | !mask(self.prefix)).saturating_dec()
    }

    /// Whether the two networks share an address.
    pub(crate) fn overlaps(&self, other: &Subnet) -> bool {
        let p = self.prefix.min(other.prefix);
        (u32::from(self.network) & mask(p)) == (u32::from(other.network) & mask(p))
    }
}

trait Dec {
    fn saturating_dec(self) -> Self;
}
impl Dec for Ipv4Addr {
    fn saturating_dec(self) -> Self {
        Ipv4Addr::from(u32::from(self).saturating_sub(1))
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    }
}

/// The machine's IPv4 routes (main table), except default routes, as `(subnet, device)`.
pub(crate) fn machine_routes() -> Vec<(Subnet, String)> {
    let text = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 8 {
            continue;
        }
        let (Ok(dest), Ok(m)) = (u32::from_str_radix(f[1], 16), u32::from_str_radix(f[7], 16))
        else {
            continue;
        };
        // /proc/net/route prints the raw network-order words as native integers.
        let network = Ipv4Addr::from(dest.to_ne_bytes());
        let prefix = u32::from_be_bytes(m.to_ne_bytes()).count_ones() as u8;
        if prefix == 0 {
            continue;
        }
        out.push((Subnet { network, prefix }, f[0].to_string()));
    }
    out
}

/// Runs `ip [-n NETNS] -batch -` with `lines`.
pub(crate) fn ip_batch(netns: Option<&str>, lines: &str) -> Result<(), LabError> {
    let mut cmd = Command::new("ip");
    if let Some(ns) = netns {
        cmd.args(["-n", ns]);
    }
    cmd.args(["-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| LabError::io("running `ip` (install iproute2)", e))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(lines.as_bytes())
            .map_err(|e| LabError::io("writing to `ip -batch`", e))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| LabError::io("waiting for `ip`", e))?;
    if !out.status.success() {
        return Err(LabError::Setup(format!(
            "ip -batch failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// The path of a named network namespace.
pub(crate) fn netns_path(name: &str) -> PathBuf {
    PathBuf::from(NETNS_DIR).join(name)
}

/// Removes a named network namespace the way `ip netns del` does (no error if absent).
pub(crate) fn netns_delete(name: &str) {
    let path = netns_path(name);
    if let Ok(c) = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()) {
        // SAFETY: plain syscall on a valid C string.
        unsafe { libc::umount2(c.as_ptr(), libc::MNT_DETACH) };
    }
    let _ = std::fs::remove_file(&path);
}

/// Interface configuration done inside a freshly entered network namespace (in `pre_exec`:
/// only syscalls, no allocation).
pub(crate) mod ifconfig {
    use std::io;

    #[repr(C)]
    struct IfReqAddr {
        name: [u8; 16],
        addr: libc::sockaddr_in,
        _pad: [u8; 8],
    }

    #[repr(C)]
    struct IfReqFlags {
        name: [u8; 16],
        flags: libc::c_short,
        _pad: [u8; 22],
    }

    fn name16(name: &[u8]) -> [u8; 16] {
        let mut n = [0u8; 16];
        let len = name.len().min(15);
        n[..len].copy_from_slice(&name[..len]);
        n
    }

    fn sin(addr: u32) -> libc::sockaddr_in {
        // SAFETY: sockaddr_in is plain old data.
        let mut s: libc::sockaddr_in = unsafe { std::mem::zeroed() };
        s.sin_family = libc::AF_INET as libc::sa_family_t;
        s.sin_addr.s_addr = addr.to_be();
        s
    }

    /// Brings `lo` up and gives `eth0` `addr`/`netmask`, up.
    pub(crate) fn configure(addr: u32, netmask: u32) -> io::Result<()> {
        // SAFETY: plain syscalls on stack structures.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            let r = (|| {
                up(fd, b"lo")?;
                let mut a = IfReqAddr {
                    name: name16(b"eth0"),
                    addr: sin(addr),
                    _pad: [0; 8],
                };
                if libc::ioctl(fd, libc::SIOCSIFADDR, &mut a) < 0 {
                    return Err(io::Error::last_os_error());
                }
                let mut m = IfReqAddr {
                    name: name16(b"eth0"),
                    addr: sin(netmask),
                    _pad: [0; 8],
                };
                if libc::ioctl(fd, libc::SIOCSIFNETMASK, &mut m) < 0 {
                    return Err(io::Error::last_os_error());
                }
                up(fd, b"eth0")
            })();
            libc::close(fd);
            r
        }
    }

    unsafe fn up(fd: libc::c_int, name: &[u8]) -> io::Result<()> {
        let mut f = IfReqFlags {
            name: name16(name),
            flags: 0,
            _pad: [0; 22],
        };
        if libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut f) < 0 {
            return Err(io::Error::last_os_error());
        }
        f.flags |= libc::IFF_UP as libc::c_short;
        if libc::ioctl(fd, libc::SIOCSIFFLAGS, &mut f) < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnet_math() {
        let s = Subnet::parse("10.1.1.7/24").unwrap();
        assert_eq!(s.to_string(), "10.1.1.0/24");
        assert_eq!(s.host(1), Ipv4Addr::new(10, 1, 1, 1));
        assert_eq!(s.controller(), Ipv4Addr::new(10, 1, 1, 254));
        assert_eq!(s.capacity(), 253);
        assert!(s.overlaps(&Subnet::parse("10.1.0.0/16").unwrap()));
        assert!(!s.overlaps(&Subnet::parse("10.1.2.0/24").unwrap()));
        assert!(Subnet::parse("10.1.1.0").is_err());
        assert!(Subnet::parse("127.0.0.0/8").is_err());
    }

    #[test]
    fn routes_parse() {
        // Every machine has at least one non-default route when it has a network; just check the
        // parser produces sane prefixes.
        for (s, _) in machine_routes() {
            assert!(s.prefix > 0 && s.prefix <= 32);
        }
    }
}
