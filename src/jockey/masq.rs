//! `jockey masq` / `jockey boot`: DHCP, TFTP (and DNS) through the real `dnsmasq`.
//!
//! The configuration is rendered from `space/masq` into `space/masq.conf` as the original did
//! (`DHCP_RANGE`, `DNSMASQ_LISTEN`, `DNSMASQ_ROOT` = `space/boot`, `#LISTEN-ADDRESSES`,
//! `#ROUTER`/`#DNS` from `gateway`), then `dnsmasq --no-daemon -C space/masq.conf` runs in the
//! foreground; Ctrl-C or SIGTERM stops it and removes the configuration.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::render::substitute;
use super::{Inventory, JockeyError, Result, Space};

/// Renders the dnsmasq configuration template `template` for `inv`, serving files from `root`.
pub fn render(template: &str, inv: &Inventory, root: &Path) -> String {
    let listen = inv.boot_server.to_string();
    let addresses = format!("listen-address={listen}");
    let (router, dns) = match inv.gateway {
        Some(g) => (
            format!("dhcp-option=option:router,{g}"),
            format!("dhcp-option=6,{g}"),
        ),
        None => ("dhcp-option=3".to_string(), String::new()),
    };
    let root = root.to_string_lossy();
    substitute(
        template,
        &[
            ("#LISTEN-ADDRESSES", addresses.as_str()),
            ("#ROUTER", router.as_str()),
            ("#DNS", dns.as_str()),
            ("DHCP_RANGE", inv.dhcp_range.as_str()),
            ("DNSMASQ_LISTEN", listen.as_str()),
            ("DNSMASQ_ROOT", &root),
        ],
    )
}

/// Writes `space/masq.conf` and returns its path.
pub fn write_config(space: &Space) -> Result<PathBuf> {
    let inv = space.inventory()?;
    let tpl_path = space.root.join("masq");
    let tpl = std::fs::read_to_string(&tpl_path).map_err(|e| JockeyError::io(&tpl_path, e))?;
    let boot = space.boot();
    let root = std::fs::canonicalize(&boot).map_err(|e| JockeyError::io(&boot, e))?;
    let conf = space.root.join("masq.conf");
    std::fs::write(&conf, render(&tpl, &inv, &root)).map_err(|e| JockeyError::io(&conf, e))?;
    Ok(conf)
}

/// Finds the dnsmasq binary: `dnsmasq` on PATH, else the usual sbin directories.
pub fn find_dnsmasq() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join("dnsmasq"))
        .find(|p| p.is_file())
}

/// Runs dnsmasq in the foreground with the rendered configuration until it exits or Ctrl-C /
/// SIGTERM arrives; removes the configuration in every case. Returns dnsmasq's exit code.
pub fn run(space: &Space, dnsmasq: Option<PathBuf>) -> Result<i32> {
    let bin = dnsmasq
        .or_else(find_dnsmasq)
        .ok_or_else(|| JockeyError::Program {
            program: "dnsmasq".into(),
            msg: "not found (install dnsmasq-base)".into(),
        })?;
    let inv = space.inventory()?;
    let conf = write_config(space)?;
    let _cleanup = RemoveOnDrop(conf.clone());
    let mut conf_arg = OsString::from("--conf-file=");
    conf_arg.push(conf.as_os_str());
    for (file, from) in [
        ("pxelinux.0", "/usr/lib/PXELINUX/pxelinux.0"),
        ("ldlinux.c32", "/usr/lib/syslinux/modules/bios/ldlinux.c32"),
    ] {
        if !space.boot().join(file).is_file() {
            eprintln!(
                "warning: {} is missing: PXE clients cannot boot (copy {from})",
                space.boot().join(file).display()
            );
        }
    }
    println!("DNSmasq server started on {}", inv.boot_server);
    println!("Press Ctrl+C to exit");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| JockeyError::io(&conf, e))?;
    rt.block_on(async {
        let program_err = |msg: String| JockeyError::Program {
            program: bin.display().to_string(),
            msg,
        };
        // `--no-daemon` as the original's `-d`: foreground, no pid file, no user change, log
        // to stderr (only: `--log-facility=-`).
        let mut child = tokio::process::Command::new(&bin)
            .arg("--no-daemon")
            .arg("--log-facility=-")
            .arg(&conf_arg)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| program_err(format!("cannot start: {e}")))?;
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| program_err(e.to_string()))?;
        let status = tokio::select! {
            s = child.wait() => s,
            _ = tokio::signal::ctrl_c() => stop(&mut child).await,
            _ = term.recv() => stop(&mut child).await,
        }
        .map_err(|e| program_err(e.to_string()))?;
        Ok(status.code().unwrap_or(0))
    })
}

async fn stop(child: &mut tokio::process::Child) -> std::io::Result<std::process::ExitStatus> {
    if let Some(pid) = child.id() {
        let pid = nix::unistd::Pid::from_raw(pid as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
    }
    match tokio::time::timeout(std::time::Duration::from_secs(5), child.wait()).await {
        Ok(r) => r,
        Err(_) => {
            child.kill().await?;
            child.wait().await
        }
    }
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inv(gateway: Option<&str>) -> Inventory {
        Inventory {
            boot_server: "10.1.1.254".parse().unwrap(),
            dhcp_range: "10.1.1.1,10.1.1.128,255.255.255.0,6h".into(),
            interface: "eth1".into(),
            gateway: gateway.map(|g| g.parse().unwrap()),
            ntp_server: None,
        }
    }

    #[test]
    fn renders_the_original_substitutions() {
        let tpl = "listen-address=DNSMASQ_LISTEN\n#LISTEN-ADDRESSES\n# interface=DNSMASQ_INTERFACE\ndhcp-range=DHCP_RANGE\n#ROUTER\n#DNS\ntftp-root=DNSMASQ_ROOT\ndhcp-leasefile=DNSMASQ_ROOT/leases\n";
        let out = render(tpl, &inv(None), Path::new("/s/boot"));
        assert_eq!(
            out,
            "listen-address=10.1.1.254\nlisten-address=10.1.1.254\n# interface=DNSMASQ_INTERFACE\ndhcp-range=10.1.1.1,10.1.1.128,255.255.255.0,6h\ndhcp-option=3\n\ntftp-root=/s/boot\ndhcp-leasefile=/s/boot/leases\n"
        );
        let out = render(tpl, &inv(Some("10.1.1.253")), Path::new("/s/boot"));
        assert!(out.contains("\ndhcp-option=option:router,10.1.1.253\ndhcp-option=6,10.1.1.253\n"));
    }
}
