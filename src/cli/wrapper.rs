//! The original `flock` wrapper's host word: `[user][@|@@]HOSTS`.

/// What `[user][@|@@]HOSTS` means (spec 1.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Remote user (`sysop` when the word starts with `@`).
    pub user: String,
    /// Host pattern (becomes `--limit` for plays, the pattern for ad-hoc commands).
    pub hosts: String,
    /// Ask for the SSH password (`-k`).
    pub ask_pass: bool,
    /// Use sudo (`--sudo`).
    pub sudo: bool,
}

/// Parses the wrapper's host word exactly as the 2013 bash script did: the text before the first
/// `@` is the user (empty → `sysop`); after it, one leading `@` asks for the SSH password and a
/// second one adds sudo. A word without `@` is taken whole as the user with an empty pattern.
pub fn parse_target(word: &str) -> Target {
    let Some(at) = word.find('@') else {
        return Target {
            user: word.to_string(),
            hosts: String::new(),
            ask_pass: false,
            sudo: false,
        };
    };
    let user = if at == 0 {
        "sysop".to_string()
    } else {
        word[..at].to_string()
    };
    let mut rest = &word[at..];
    let mut ask_pass = false;
    let mut sudo = false;
    if let Some(r) = rest.strip_prefix('@') {
        ask_pass = true;
        rest = r;
        if let Some(r2) = rest.strip_prefix('@') {
            sudo = true;
            rest = r2;
        }
    }
    Target {
        user,
        hosts: rest.to_string(),
        ask_pass,
        sudo,
    }
}

/// `PLAYBOOK` may omit `.yml`: `ground` → `ground.yml` when that file exists.
pub fn playbook_path(arg: &str) -> std::path::PathBuf {
    let with_ext = format!("{arg}.yml");
    if std::path::Path::new(&with_ext).is_file() {
        with_ext.into()
    } else {
        arg.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_wrapper_forms() {
        let t = parse_target("@@core");
        assert_eq!(
            (t.user.as_str(), t.hosts.as_str(), t.ask_pass, t.sudo),
            ("sysop", "core", true, true)
        );
        let t = parse_target("root@core-01");
        assert_eq!(
            (t.user.as_str(), t.hosts.as_str(), t.ask_pass, t.sudo),
            ("root", "core-01", true, false)
        );
        let t = parse_target("sysop@@core");
        assert_eq!(
            (t.user.as_str(), t.hosts.as_str(), t.ask_pass, t.sudo),
            ("sysop", "core", true, true)
        );
        let t = parse_target("@core");
        assert_eq!(
            (t.user.as_str(), t.hosts.as_str(), t.ask_pass, t.sudo),
            ("sysop", "core", true, false)
        );
        let t = parse_target("core");
        assert_eq!((t.user.as_str(), t.hosts.as_str()), ("core", ""));
    }
}
