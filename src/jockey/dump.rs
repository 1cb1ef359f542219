//! `jockey dump IFACE`: shows the DHCP/BOOTP traffic on an interface (the original ran
//! `tcpdump -i IFACE port bootps`). A packet socket sees the traffic without taking the DHCP port,
//! so it works next to a running `jockey masq`.

use std::io::Write;
use std::net::Ipv4Addr;

use super::{JockeyError, Mac, Result};

/// One decoded DHCP/BOOTP message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhcpPacket {
    /// IP source and destination.
    pub src: Ipv4Addr,
    /// IP destination.
    pub dst: Ipv4Addr,
    /// BOOTP op: 1 request, 2 reply.
    pub op: u8,
    /// Transaction id.
    pub xid: u32,
    /// Client hardware address.
    pub chaddr: Mac,
    /// `yiaddr`: the address offered / acknowledged.
    pub yiaddr: Ipv4Addr,
    /// Option 53 as a name (`DISCOVER`, `OFFER`, …), `BOOTP` without it.
    pub kind: String,
    /// Option 12.
    pub hostname: Option<String>,
    /// Option 50.
    pub requested: Option<Ipv4Addr>,
    /// Option 60 (e.g. `PXEClient:Arch:00000:UNDI:002001`).
    pub vendor: Option<String>,
    /// `file` field (boot file name) of replies.
    pub file: Option<String>,
}

impl std::fmt::Display for DhcpPacket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} > {} DHCP{} xid=0x{:08x} chaddr={}",
            self.src, self.dst, self.kind, self.xid, self.chaddr
        )?;
        if !self.yiaddr.is_unspecified() {
            write!(f, " yiaddr={}", self.yiaddr)?;
        }
        if let Some(r) = self.requested {
            write!(f, " requested={r}")?;
        }
        if let Some(h) = &self.hostname {
            write!(f, " hostname={h}")?;
        }
        if let Some(v) = &self.vendor {
            write!(f, " vendor={v}")?;
        }
        if let Some(b) = &self.file {
            write!(f, " file={b}")?;
        }
        Ok(())
    }
}

/// Decodes an IPv4 packet carrying UDP to or from port 67; `None` for anything else.
pub fn parse_ipv4(pkt: &[u8]) -> Option<DhcpPacket> {
    if pkt.len() < 20 || pkt[0] >> 4 != 4 || pkt[9] != 17 {
        return None;
    }
    let ihl = usize::from(pkt[0] & 0x0f) * 4;
    let ip = |at: usize| Ipv4Addr::new(pkt[at], pkt[at + 1], pkt[at + 2], pkt[at + 3]);
    let (src, dst) = (ip(12), ip(16));
    let udp = pkt.get(ihl..)?;
    if udp.len() < 8 {
        return None;
    }
    let sport = u16::from_be_bytes([udp[0], udp[1]]);
    let dport = u16::from_be_bytes([udp[2], udp[3]]);
    if sport != 67 && dport != 67 {
        return None;
    }
    let mut p = parse_bootp(&udp[8..])?;
    p.src = src;
    p.dst = dst;
    Some(p)
}

/// Decodes a BOOTP/DHCP payload.
pub fn parse_bootp(b: &[u8]) -> Option<DhcpPacket> {
    if b.len() < 240 || b[236..240] != [99, 130, 83, 99] {
        return None;
    }
    let ip = |at: usize| Ipv4Addr::new(b[at], b[at + 1], b[at + 2], b[at + 3]);
    let mut mac = [0u8; 6];
    mac.copy_from_slice(&b[28..34]);
    let file = {
        let raw = &b[108..236];
        let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
        (end > 0).then(|| String::from_utf8_lossy(&raw[..end]).into_owned())
    };
    let mut p = DhcpPacket {
        src: Ipv4Addr::UNSPECIFIED,
        dst: Ipv4Addr::UNSPECIFIED,
        op: b[0],
        xid: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
        chaddr: Mac(mac),
        yiaddr: ip(16),
        kind: "BOOTP".into(),
        hostname: None,
        requested: None,
        vendor: None,
        file,
    };
    let mut opts = &b[240..];
    while let Some((&code, rest)) = opts.split_first() {
        match code {
            0 => {
                opts = rest;
                continue;
            }
            255 => break,
            _ => {}
        }
        let (&len, rest) = rest.split_first()?;
        let val = rest.get(..usize::from(len))?;
        opts = &rest[usize::from(len)..];
        let text = || String::from_utf8_lossy(val).into_owned();
        match code {
            53 if len == 1 => {
                p.kind = match val[0] {
                    1 => "DISCOVER",
                    2 => "OFFER",
                    3 => "REQUEST",
                    4 => "DECLINE",
                    5 => "ACK",
                    6 => "NAK",
                    7 => "RELEASE",
                    8 => "INFORM",
                    _ => "UNKNOWN",
                }
                .into()
            }
            12 => p.hostname = Some(text()),
            50 if len == 4 => p.requested = Some(Ipv4Addr::new(val[0], val[1], val[2], val[3])),
            60 => p.vendor = Some(text()),
            _ => {}
        }
    }
    Some(p)
}

/// Prints every DHCP message seen on `interface` to `out` until an error (or the process is
/// interrupted). `limit` stops after that many messages (tests).
pub fn dump(interface: &str, out: &mut dyn Write, limit: Option<usize>) -> Result<()> {
    let err = |msg: String| JockeyError::Program {
        program: format!("jockey dump {interface}"),
        msg,
    };
    let cname = std::ffi::CString::new(interface).map_err(|_| err("bad interface name".into()))?;
    // SAFETY: plain libc calls on a NUL-terminated name and a socket we own.
    let ifindex = unsafe { libc::if_nametoindex(cname.as_ptr()) };
    if ifindex == 0 {
        return Err(err("no such interface".into()));
    }
    // ETH_P_ALL: a packet socket bound to one protocol does not see outgoing frames (the
    // server's replies); the IPv4 filter is applied per packet below.
    let proto = (libc::ETH_P_ALL as u16).to_be();
    let ipv4 = (libc::ETH_P_IP as u16).to_be();
    // SAFETY: creating a packet socket; the fd is wrapped in OwnedFd right away.
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_DGRAM, i32::from(proto)) };
    if fd < 0 {
        return Err(err(format!(
            "cannot open a packet socket: {} (needs root or CAP_NET_RAW)",
            std::io::Error::last_os_error()
        )));
    }
    // SAFETY: fd is a fresh, valid descriptor owned by nobody else.
    let fd = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
    let raw = std::os::fd::AsRawFd::as_raw_fd(&fd);
    // SAFETY: sockaddr_ll is plain data; zeroed is a valid value.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = proto;
    sll.sll_ifindex = ifindex as i32;
    // SAFETY: binding our socket to a correctly sized sockaddr_ll.
    let rc = unsafe {
        libc::bind(
            raw,
            (&sll as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as u32,
        )
    };
    if rc < 0 {
        return Err(err(format!("bind: {}", std::io::Error::last_os_error())));
    }
    let _ = writeln!(out, "listening on {interface} for DHCP (port 67/68)");
    let _ = out.flush();
    let mut buf = vec![0u8; 65536];
    let mut seen = 0;
    loop {
        // SAFETY: sockaddr_ll is plain data; zeroed is a valid value.
        let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        let mut from_len = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
        // SAFETY: reading into our own buffer and address of the given lengths.
        let n = unsafe {
            libc::recvfrom(
                raw,
                buf.as_mut_ptr().cast(),
                buf.len(),
                0,
                (&mut from as *mut libc::sockaddr_ll).cast(),
                &mut from_len,
            )
        };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(err(format!("recv: {e}")));
        }
        if from.sll_protocol != ipv4 {
            continue;
        }
        if let Some(p) = parse_ipv4(&buf[..n as usize]) {
            let now = time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            writeln!(out, "{now} {p}").map_err(|e| err(e.to_string()))?;
            out.flush().map_err(|e| err(e.to_string()))?;
            seen += 1;
            if limit.is_some_and(|l| seen >= l) {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discover() -> Vec<u8> {
        let mut b = vec![0u8; 240];
        b[0] = 1;
        b[1] = 1;
        b[2] = 6;
        b[4..8].copy_from_slice(&0xdeadbeefu32.to_be_bytes());
        b[28..34].copy_from_slice(&[8, 0, 0x27, 0x14, 0x68, 0x75]);
        b[236..240].copy_from_slice(&[99, 130, 83, 99]);
        b.extend_from_slice(&[
            53, 1, 1, 0, 12, 4, b'c', b'o', b'r', b'e', 50, 4, 10, 1, 1, 7,
        ]);
        b.extend_from_slice(&[60, 9]);
        b.extend_from_slice(b"PXEClient");
        b.push(255);
        b
    }

    #[test]
    fn decodes_a_discover_inside_ip_and_udp() {
        let payload = discover();
        let mut pkt = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255,
        ];
        pkt.extend_from_slice(&68u16.to_be_bytes());
        pkt.extend_from_slice(&67u16.to_be_bytes());
        pkt.extend_from_slice(&[0, 0, 0, 0]);
        pkt.extend_from_slice(&payload);
        let p = parse_ipv4(&pkt).unwrap();
        assert_eq!(
            p.to_string(),
            "0.0.0.0 > 255.255.255.255 DHCPDISCOVER xid=0xdeadbeef chaddr=08:00:27:14:68:75 requested=10.1.1.7 hostname=core vendor=PXEClient"
        );
        // Not DHCP: other port, truncated options, not UDP.
        pkt[22] = 0;
        pkt[23] = 53;
        pkt[20] = 0;
        pkt[21] = 53;
        assert_eq!(parse_ipv4(&pkt), None);
        assert_eq!(parse_bootp(&payload[..100]), None);
        let mut bad = payload.clone();
        bad.truncate(bad.len() - 5);
        assert_eq!(parse_bootp(&bad), None);
    }
}
