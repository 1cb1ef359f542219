//! System sections: `uname`, `hostname`, `fqdn`, `date`, `user`, `env`.

use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;

use super::Out;

/// A `utsname` field as text.
fn uts_field(field: &[libc::c_char]) -> String {
    let bytes: Vec<u8> = field
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `uname -s; uname -r; uname -m; uname -n; getconf LONG_BIT`.
pub(super) fn uname(out: &mut Out) {
    out.section("uname");
    // SAFETY: utsname is plain data; uname fills it.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a utsname.
    if unsafe { libc::uname(&mut u) } == 0 {
        for f in [&u.sysname[..], &u.release, &u.machine, &u.nodename] {
            out.line(&uts_field(f));
        }
    } else {
        for _ in 0..4 {
            out.line("");
        }
    }
    out.line(&usize::BITS.to_string());
}

/// The `hostname` command's answer.
fn host_name() -> String {
    nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `hostname`.
pub(super) fn hostname(out: &mut Out) {
    out.section("hostname");
    out.line(&host_name());
}

/// `fqdn`: the first address `getent ahosts HOSTNAME` gives, looked up back as
/// `getent hosts ADDR | head -n 1` prints it.
pub(super) fn fqdn(out: &mut Out) {
    out.section("fqdn");
    let Some(addr) = first_address(&host_name()) else {
        return;
    };
    if let Some((name, aliases)) = reverse(addr) {
        let mut line = format!("{:<15} {name}", addr.to_string());
        for a in aliases {
            line.push(' ');
            line.push_str(&a);
        }
        out.line(&line);
    }
}

/// `getent ahosts NAME`'s first address (getaddrinfo with getent's flags).
fn first_address(name: &str) -> Option<std::net::IpAddr> {
    let c_name = CString::new(name).ok()?;
    // SAFETY: addrinfo is plain data; zero is "no preference" for every field.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = libc::AF_UNSPEC;
    hints.ai_flags = libc::AI_V4MAPPED | libc::AI_ADDRCONFIG | libc::AI_CANONNAME;
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: valid C strings and pointers; res is freed below.
    if unsafe { libc::getaddrinfo(c_name.as_ptr(), std::ptr::null(), &hints, &mut res) } != 0 {
        return None;
    }
    // SAFETY: getaddrinfo succeeded, res points at its first entry.
    let addr = unsafe { res.as_ref().and_then(|ai| sockaddr_ip(ai.ai_addr)) };
    // SAFETY: res came from getaddrinfo.
    unsafe { libc::freeaddrinfo(res) };
    addr
}

/// The IP address in a socket address.
///
/// # Safety
/// `sa` is null or points at a valid socket address of its family's size.
unsafe fn sockaddr_ip(sa: *const libc::sockaddr) -> Option<std::net::IpAddr> {
    // SAFETY: by the caller's contract.
    let family = i32::from(unsafe { sa.as_ref()? }.sa_family);
    if family == libc::AF_INET {
        // SAFETY: an AF_INET address is a sockaddr_in.
        let sin = unsafe { &*(sa as *const libc::sockaddr_in) };
        Some(std::net::Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)).into())
    } else if family == libc::AF_INET6 {
        // SAFETY: an AF_INET6 address is a sockaddr_in6.
        let sin6 = unsafe { &*(sa as *const libc::sockaddr_in6) };
        Some(std::net::Ipv6Addr::from(sin6.sin6_addr.s6_addr).into())
    } else {
        None
    }
}

extern "C" {
    /// glibc's and musl's reentrant reverse lookup (not bound by the libc crate).
    fn gethostbyaddr_r(
        addr: *const libc::c_void,
        len: libc::socklen_t,
        family: libc::c_int,
        ret: *mut libc::hostent,
        buf: *mut libc::c_char,
        buflen: libc::size_t,
        result: *mut *mut libc::hostent,
        h_errnop: *mut libc::c_int,
    ) -> libc::c_int;
}

/// `gethostbyaddr(addr)`: the host's name and aliases.
fn reverse(addr: std::net::IpAddr) -> Option<(String, Vec<String>)> {
    let (bytes, family): (Vec<u8>, i32) = match addr {
        std::net::IpAddr::V4(a) => (a.octets().to_vec(), libc::AF_INET),
        std::net::IpAddr::V6(a) => (a.octets().to_vec(), libc::AF_INET6),
    };
    let mut buf = vec![0 as libc::c_char; 8192];
    loop {
        // SAFETY: hostent is plain data, filled by the call.
        let mut he: libc::hostent = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::hostent = std::ptr::null_mut();
        let mut herr = 0;
        // SAFETY: all pointers are valid for the sizes given.
        let rc = unsafe {
            gethostbyaddr_r(
                bytes.as_ptr().cast(),
                bytes.len() as libc::socklen_t,
                family,
                &mut he,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
                &mut herr,
            )
        };
        if rc == libc::ERANGE && buf.len() < 1 << 20 {
            buf.resize(buf.len() * 4, 0);
            continue;
        }
        if rc != 0 || result.is_null() {
            return None;
        }
        // SAFETY: on success `he` points into `buf` with NUL-terminated strings and a
        // null-terminated alias list.
        return unsafe { hostent_names(&he) };
    }
}

/// The name and aliases of a filled `hostent`.
///
/// # Safety
/// `he` was filled by a successful lookup whose buffer is still alive.
unsafe fn hostent_names(he: &libc::hostent) -> Option<(String, Vec<String>)> {
    if he.h_name.is_null() {
        return None;
    }
    // SAFETY: by the caller's contract.
    let name = unsafe { CStr::from_ptr(he.h_name) }
        .to_string_lossy()
        .into_owned();
    let mut aliases = Vec::new();
    let mut p = he.h_aliases;
    // SAFETY: the alias list is null-terminated (by the caller's contract).
    while !p.is_null() && !unsafe { *p }.is_null() {
        // SAFETY: as above.
        aliases.push(unsafe { CStr::from_ptr(*p) }.to_string_lossy().into_owned());
        // SAFETY: not past the terminating null.
        p = unsafe { p.add(1) };
    }
    Some((name, aliases))
}

extern "C" {
    /// Reads `TZ` for `localtime_r` (not bound by the libc crate).
    fn tzset();
}

/// `strftime(fmt, tm)`.
fn strftime(fmt: &CStr, tm: &libc::tm) -> String {
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its length; fmt is NUL-terminated.
    let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), fmt.as_ptr(), tm) };
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// `date '+%Y|%m|%d|%H|%M|%S|%s|%Z|%z|%A|%w|%W|%N'; date -u '+%Y-%m-%dT%H:%M:%S.%N'` (one
/// clock reading for both).
pub(super) fn date(out: &mut Out) {
    out.section("date");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    let nanos = now.subsec_nanos();
    // SAFETY: tm is plain data; localtime_r/gmtime_r fill it from a valid time_t.
    let (mut local, mut utc): (libc::tm, libc::tm) = unsafe { std::mem::zeroed() };
    // SAFETY: see above.
    let ok = unsafe {
        tzset();
        !libc::localtime_r(&secs, &mut local).is_null()
            && !libc::gmtime_r(&secs, &mut utc).is_null()
    };
    if !ok {
        return;
    }
    let head = strftime(c"%Y|%m|%d|%H|%M|%S", &local);
    let tail = strftime(c"%Z|%z|%A|%w|%W", &local);
    out.line(&format!("{head}|{secs}|{tail}|{nanos:09}"));
    let u = strftime(c"%Y-%m-%dT%H:%M:%S", &utc);
    out.line(&format!("{u}.{nanos:09}"));
}

/// `id -un`: the effective user's name (nothing when it has none).
pub(super) fn user(out: &mut Out) {
    out.section("user");
    if let Ok(Some(u)) = nix::unistd::User::from_uid(nix::unistd::geteuid()) {
        out.line(&u.name);
    }
}

/// `env` as the script's shell (run with `LANG=C LC_ALL=C`) printed it.
pub(super) fn env(out: &mut Out) {
    out.section("env");
    let mut vars: Vec<(Vec<u8>, Vec<u8>)> = std::env::vars_os()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect();
    // The shell exports its working directory when it did not inherit one.
    if !vars.iter().any(|(k, _)| k == b"PWD") {
        if let Ok(cwd) = std::env::current_dir() {
            vars.push((b"PWD".to_vec(), cwd.as_os_str().as_bytes().to_vec()));
        }
    }
    for forced in [&b"LANG"[..], b"LC_ALL"] {
        match vars.iter_mut().find(|(k, _)| k == forced) {
            Some((_, v)) => *v = b"C".to_vec(),
            None => vars.push((forced.to_vec(), b"C".to_vec())),
        }
    }
    for (k, v) in vars {
        out.raw(&k);
        out.raw(b"=");
        out.raw(&v);
        out.raw(b"\n");
    }
}
