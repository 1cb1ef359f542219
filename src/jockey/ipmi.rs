//! `jockey ipmi user USER [PASS]` and `jockey ipmi tool IP ARGS…`: remembers BMC credentials in
//! `space/ipmi.conf` (mode 0600, the original's `user=…;pass=…` format) and runs
//! `ipmitool -I lanplus` with them. The password reaches ipmitool through `IPMI_PASSWORD` and
//! `-E`, not on its command line.

use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use super::{JockeyError, Result, Space};

/// BMC credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub user: String,
    /// Password (`admin` when not given, as the original).
    pub pass: String,
}

/// Parses `user=NAME;pass=SECRET`.
pub fn parse(text: &str, path: &Path) -> Result<Credentials> {
    let mut user = None;
    let mut pass = None;
    for part in text.trim().split(';') {
        match part.split_once('=') {
            Some(("user", v)) => user = Some(v.to_string()),
            Some(("pass", v)) => pass = Some(v.to_string()),
            _ => {}
        }
    }
    match (user, pass) {
        (Some(user), Some(pass)) => Ok(Credentials { user, pass }),
        _ => Err(JockeyError::Inventory {
            path: path.to_path_buf(),
            line: 1,
            column: 1,
            msg: "expected user=NAME;pass=SECRET (run `flock jockey ipmi user NAME PASS`)".into(),
        }),
    }
}

/// Stores the credentials in `space/ipmi.conf` (mode 0600).
pub fn save(space: &Space, creds: &Credentials) -> Result<()> {
    use std::io::Write;
    let path = space.root.join("ipmi.conf");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| JockeyError::io(&path, e))?;
    f.set_permissions(std::fs::Permissions::from_mode(0o600))
        .and_then(|()| writeln!(f, "user={};pass={}", creds.user, creds.pass))
        .map_err(|e| JockeyError::io(&path, e))
}

/// Reads `space/ipmi.conf`.
pub fn load(space: &Space) -> Result<Credentials> {
    let path = space.root.join("ipmi.conf");
    let text = std::fs::read_to_string(&path).map_err(|e| JockeyError::io(&path, e))?;
    parse(&text, &path)
}

/// The `ipmitool` command for `host` and `args`.
pub fn command(creds: &Credentials, host: &str, args: &[String]) -> Command {
    let mut cmd = Command::new("ipmitool");
    cmd.args(["-I", "lanplus", "-U", &creds.user, "-E", "-H", host])
        .args(args)
        .env("IPMI_PASSWORD", &creds.pass);
    cmd
}

/// Runs `ipmitool` for `host` with the stored credentials; returns its exit code.
pub fn tool(space: &Space, host: &str, args: &[String]) -> Result<i32> {
    let creds = load(space)?;
    let status = command(&creds, host, args)
        .status()
        .map_err(|e| JockeyError::Program {
            program: "ipmitool".into(),
            msg: format!("cannot run: {e} (install ipmitool)"),
        })?;
    Ok(status.code().unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_and_builds_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let space = Space::new(dir.path());
        let creds = Credentials {
            user: "root".into(),
            pass: "calvin".into(),
        };
        save(&space, &creds).unwrap();
        let meta = std::fs::metadata(dir.path().join("ipmi.conf")).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("ipmi.conf")).unwrap(),
            "user=root;pass=calvin\n"
        );
        assert_eq!(load(&space).unwrap(), creds);
        let cmd = command(&creds, "10.0.0.5", &["power".into(), "status".into()]);
        let args: Vec<_> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            ["-I", "lanplus", "-U", "root", "-E", "-H", "10.0.0.5", "power", "status"]
        );
        assert!(!args.iter().any(|a| a.contains("calvin")));
        let e = parse("user=x", Path::new("ipmi.conf")).unwrap_err();
        assert!(e.to_string().starts_with("ipmi.conf:1:1: expected"), "{e}");
    }
}
