//! Fact collection on the host, for the agent's `facts` request.
//!
//! [`collect`] returns the same sectioned text as the `setup` module's gathering script
//! ([`crate::modules::system::setup::SCRIPT`]), which the controller parses with
//! [`crate::modules::system::setup::facts_from_output`].

/// Collects the raw fact sections (runs the gathering script with `/bin/sh`).
pub fn collect() -> String {
    let out = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(crate::modules::system::setup::SCRIPT)
        .env("LANG", "C")
        .env("LC_ALL", "C")
        .stdin(std::process::Stdio::null())
        .output();
    match out {
        Ok(o) => String::from_utf8_lossy(&o.stdout).into_owned(),
        Err(_) => String::new(),
    }
}
