//! MAC addresses, and `@VM` names resolved to the MAC of their first NIC (VirtualBox, as the
//! original did).

use std::fmt;
use std::process::Command;
use std::str::FromStr;

use super::{JockeyError, Result};

/// An Ethernet address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// The file-name form jockey and PXELINUX use: `08-00-27-14-68-75`.
    pub fn dashed(&self) -> String {
        self.join('-')
    }

    /// The usual form: `08:00:27:14:68:75`.
    pub fn colon(&self) -> String {
        self.join(':')
    }

    fn join(&self, sep: char) -> String {
        let parts: Vec<String> = self.0.iter().map(|b| format!("{b:02x}")).collect();
        parts.join(&sep.to_string())
    }

    /// `MAC` or `@VM`: a MAC address as given, or the first NIC of a VirtualBox VM.
    pub fn resolve(target: &str) -> Result<Self> {
        match target.strip_prefix('@') {
            Some(vm) => vbox_mac(vm),
            None => target.parse(),
        }
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.colon())
    }
}

impl FromStr for Mac {
    type Err = JockeyError;

    /// Accepts `08:00:27:14:68:75`, `08-00-27-14-68-75` and `080027146875`, any case.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || JockeyError::BadMac(s.to_string());
        let hex: Vec<&str> = if s.contains([':', '-']) {
            s.split([':', '-']).collect()
        } else if s.len() == 12 && s.is_ascii() {
            (0..6).map(|i| &s[2 * i..2 * i + 2]).collect()
        } else {
            return Err(bad());
        };
        if hex.len() != 6 || hex.iter().any(|h| h.len() != 2) {
            return Err(bad());
        }
        let mut out = [0u8; 6];
        for (o, h) in out.iter_mut().zip(hex) {
            *o = u8::from_str_radix(h, 16).map_err(|_| bad())?;
        }
        Ok(Mac(out))
    }
}

/// `VBoxManage showvminfo VM --machinereadable` → `macaddress1="080027146875"`.
fn vbox_mac(vm: &str) -> Result<Mac> {
    let err = |msg: String| JockeyError::Vm {
        vm: vm.to_string(),
        msg,
    };
    if vm.is_empty() {
        return Err(err("empty VM name after '@'".into()));
    }
    let out = Command::new("VBoxManage")
        .args(["showvminfo", vm, "--machinereadable"])
        .output()
        .map_err(|e| {
            err(format!(
                "cannot run VBoxManage: {e} (give the MAC address instead)"
            ))
        })?;
    if !out.status.success() {
        return Err(err(String::from_utf8_lossy(&out.stderr).trim().to_string()));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("macaddress1="))
        .map(|v| v.trim_matches('"'))
        .ok_or_else(|| err("VBoxManage shows no macaddress1 (NIC 1)".into()))?
        .parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let m: Mac = "08:00:27:14:68:7E".parse().unwrap();
        assert_eq!(m.dashed(), "08-00-27-14-68-7e");
        assert_eq!("08-00-27-14-68-7e".parse::<Mac>().unwrap(), m);
        assert_eq!("08002714687e".parse::<Mac>().unwrap(), m);
        assert_eq!(Mac::resolve("08:00:27:14:68:7e").unwrap(), m);
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            "08:00:27:14:68",
            "08:00:27:14:68:7g",
            "08:00:27:14:68:7e:01",
            "0800:27:14:68:7e:0",
            "zz0027146875",
        ] {
            let e = bad.parse::<Mac>().unwrap_err();
            assert!(matches!(e, JockeyError::BadMac(_)), "{bad}: {e}");
        }
    }
}
