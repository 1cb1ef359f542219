//! `user`: a local account via useradd/usermod/userdel. One exec reads the passwd and shadow
//! entries, the groups and whether the named groups exist; a second one changes what differs.
//! Passwords are given already hashed, as in Ansible ([`sha512_crypt`] makes such a hash).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::remote::join_argv;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `user` module.
pub struct User;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("name", ArgKind::Str)
            .required()
            .aliases(&["user"]),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["present", "absent"])
            .default("present"),
        OptSpec::new("uid", ArgKind::Int),
        OptSpec::new("non_unique", ArgKind::Bool).default("no"),
        OptSpec::new("group", ArgKind::Str),
        OptSpec::new("groups", ArgKind::List),
        OptSpec::new("comment", ArgKind::Str),
        OptSpec::new("home", ArgKind::Path),
        OptSpec::new("shell", ArgKind::Str),
        OptSpec::new("password", ArgKind::Str).no_log(),
        OptSpec::new("force", ArgKind::Bool).default("no"),
        OptSpec::new("remove", ArgKind::Bool).default("no"),
        OptSpec::new("createhome", ArgKind::Bool)
            .aliases(&["create_home"])
            .default("yes"),
        OptSpec::new("move_home", ArgKind::Bool).default("no"),
        OptSpec::new("system", ArgKind::Bool).default("no"),
        OptSpec::new("append", ArgKind::Bool).default("no"),
        OptSpec::new("update_password", ArgKind::Str)
            .choices(&["always", "on_create"])
            .default("always"),
        OptSpec::new("generate_ssh_key", ArgKind::Bool),
        OptSpec::new("ssh_key_bits", ArgKind::Int),
        OptSpec::new("ssh_key_type", ArgKind::Str),
        OptSpec::new("ssh_key_file", ArgKind::Path),
        OptSpec::new("ssh_key_comment", ArgKind::Str),
        OptSpec::new("ssh_key_passphrase", ArgKind::Str).no_log(),
        OptSpec::new("local", ArgKind::Bool),
        OptSpec::new("expires", ArgKind::Raw),
        OptSpec::new("password_lock", ArgKind::Bool),
    ],
    free_form: false,
    file_common: false,
});

/// A SHA-512-crypt hash (`$6$salt$…`, 5000 rounds) of `password`, for `password=` values
/// (what `mkpasswd -m sha-512` and Python's `crypt` produce).
pub fn sha512_crypt(password: &str, salt: &str) -> String {
    use sha_crypt::Params;
    // crypt(3) uses the salt text as-is (the crate's hasher would Base64 it first), so use the
    // raw function and encode the digest the way crypt does.
    let salt: String = salt.chars().take(16).collect();
    let digest = sha_crypt::sha512_crypt(password.as_bytes(), salt.as_bytes(), Params::RECOMMENDED);
    format!("$6${salt}${}", crypt_b64_sha512(&digest))
}

/// crypt(3)'s transposed Base64 of a SHA-512 digest.
fn crypt_b64_sha512(d: &[u8; 64]) -> String {
    const ALPHA: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    const ORDER: [(usize, usize, usize); 21] = [
        (0, 21, 42),
        (22, 43, 1),
        (44, 2, 23),
        (3, 24, 45),
        (25, 46, 4),
        (47, 5, 26),
        (6, 27, 48),
        (28, 49, 7),
        (50, 8, 29),
        (9, 30, 51),
        (31, 52, 10),
        (53, 11, 32),
        (12, 33, 54),
        (34, 55, 13),
        (56, 14, 35),
        (15, 36, 57),
        (37, 58, 16),
        (59, 17, 38),
        (18, 39, 60),
        (40, 61, 19),
        (62, 20, 41),
    ];
    let mut out = String::new();
    let mut push = |v: u32, n: usize| {
        let mut v = v;
        for _ in 0..n {
            out.push(ALPHA[(v & 0x3f) as usize] as char);
            v >>= 6;
        }
    };
    for (a, b, c) in ORDER {
        push(
            (u32::from(d[a]) << 16) | (u32::from(d[b]) << 8) | u32::from(d[c]),
            4,
        );
    }
    push(u32::from(d[63]), 2);
    out
}

/// What the query found about the account.
#[derive(Debug, Default)]
struct Account {
    uid: i64,
    gid: i64,
    comment: String,
    home: String,
    shell: String,
    hash: String,
    primary: String,
    groups: Vec<String>,
    /// The shadow expiry (days since the epoch), -1 when unset.
    expire_days: i64,
}

/// `YYYY-MM-DD` (UTC) of a day number since 1970-01-01 (Howard Hinnant's civil-from-days).
pub fn date_of_day(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The `expires` argument (epoch seconds, a float) as ansible-core's type check reads it.
fn expires_arg(args: &ModuleArgs) -> Result<Option<f64>, String> {
    let Some(v) = args.get("expires") else {
        return Ok(None);
    };
    let text = crate::modules::args::value_text(v);
    text.trim().parse::<f64>().map(Some).map_err(|_| {
        format!("argument 'expires' is of type <class 'str'> and we were unable to convert to float: could not convert string to float: '{text}'")
    })
}

/// usermod's `-e` value for an expiry: empty (never) below the epoch, else the UTC date.
fn expires_value(secs: f64) -> String {
    if secs < 0.0 {
        String::new()
    } else {
        date_of_day((secs.floor() as i64).div_euclid(86_400))
    }
}

/// The `-e` option usermod needs to bring `current` (days, -1 unset) to `secs`, as ansible-core.
fn expires_change(secs: f64, current: i64) -> Option<String> {
    let want = expires_value(secs);
    if secs < 0.0 {
        return (current >= 0).then_some(want);
    }
    (current < 0 || date_of_day(current) != want).then_some(want)
}

/// The lock options ansible-core's usermod gets: `-L` to lock, `-U` to unlock.
fn lock_option(lock: Option<bool>, hash: &str) -> Option<&'static str> {
    match lock {
        Some(true) if !hash.starts_with('!') => Some("-L"),
        Some(false) if hash.starts_with('!') => Some("-U"),
        _ => None,
    }
}

fn query(name: &str, groups: &[String]) -> String {
    let n = shell_quote(name);
    let mut s = format!(
        "if p=$(getent passwd {n}); then printf 'PW:%s\\n' \"$p\"; \
         printf 'SH:%s\\n' \"$(getent shadow {n} | cut -d: -f2)\"; \
         printf 'EX:%s\\n' \"$(getent shadow {n} | cut -d: -f8)\"; \
         printf 'PG:%s\\n' \"$(getent group \"$(printf %s \"$p\" | cut -d: -f4)\" | cut -d: -f1)\"; \
         printf 'GS:%s\\n' \"$(id -Gn {n})\"; fi; "
    );
    for g in groups {
        let q = shell_quote(g);
        s.push_str(&format!(
            "getent group {q} >/dev/null || printf 'NOGROUP:%s\\n' {q}; "
        ));
    }
    s.push_str("true");
    s
}

fn parse(out: &str) -> (Option<Account>, Vec<String>) {
    let mut acct: Option<Account> = None;
    let mut missing = Vec::new();
    for l in out.lines() {
        if let Some(p) = l.strip_prefix("PW:") {
            let f: Vec<&str> = p.split(':').collect();
            acct = Some(Account {
                uid: f.get(2).and_then(|v| v.parse().ok()).unwrap_or(-1),
                gid: f.get(3).and_then(|v| v.parse().ok()).unwrap_or(-1),
                comment: f.get(4).unwrap_or(&"").to_string(),
                home: f.get(5).unwrap_or(&"").to_string(),
                shell: f.get(6).unwrap_or(&"").to_string(),
                ..Account::default()
            });
        } else if let Some(a) = acct.as_mut() {
            if let Some(h) = l.strip_prefix("SH:") {
                a.hash = h.to_string();
            } else if let Some(e) = l.strip_prefix("EX:") {
                a.expire_days = e.trim().parse().unwrap_or(-1);
            } else if let Some(g) = l.strip_prefix("PG:") {
                a.primary = g.to_string();
            } else if let Some(gs) = l.strip_prefix("GS:") {
                a.groups = gs.split_whitespace().map(str::to_string).collect();
            }
        }
        if let Some(g) = l.strip_prefix("NOGROUP:") {
            missing.push(g.to_string());
        }
    }
    if let Some(a) = acct.as_mut() {
        let primary = a.primary.clone();
        a.groups.retain(|g| *g != primary);
    }
    (acct, missing)
}

#[async_trait]
impl Module for User {
    fn name(&self) -> &'static str {
        "user"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let name = args.str("name").unwrap_or_default().to_string();
        let present = args.str("state") != Some("absent");
        let groups_given = args.get("groups").is_some();
        let groups: Vec<String> = args
            .list("groups")
            .into_iter()
            .map(|g| g.trim().to_string())
            .filter(|g| !g.is_empty())
            .collect();
        let group = args.str("group").map(str::to_string);
        let mut check_groups = groups.clone();
        check_groups.extend(group.clone());
        let q = query(&name, if present { &check_groups } else { &[] });
        let (acct, missing) = parse(&ctx.remote.sh(&q).await?.stdout_str());
        if let Some(g) = missing.first() {
            return Ok(ModuleResult::failed(format!("Group {g} does not exist")).with("name", name));
        }
        let uid = args.int("uid").map(|u| u.to_string());
        let password = args.str("password");
        let expires = match expires_arg(args) {
            Ok(e) => e,
            Err(m) => return Ok(ModuleResult::failed(m)),
        };
        let lock = args
            .get("password_lock")
            .map(|_| args.bool("password_lock", false));
        let locked = |p: &str| {
            if lock == Some(true) {
                format!("!{p}")
            } else {
                p.to_string()
            }
        };
        let mut cmd: Vec<String> = Vec::new();
        let s = |v: &str| v.to_string();
        match (&acct, present) {
            (None, true) => {
                cmd.push(s("useradd"));
                if let Some(u) = &uid {
                    cmd.extend([s("-u"), u.clone()]);
                    if args.bool("non_unique", false) {
                        cmd.push(s("-o"));
                    }
                }
                if let Some(g) = &group {
                    cmd.extend([s("-g"), g.clone()]);
                }
                if !groups.is_empty() {
                    cmd.extend([s("-G"), groups.join(",")]);
                }
                if let Some(c) = args.str("comment") {
                    cmd.extend([s("-c"), s(c)]);
                }
                if let Some(h) = args.str("home") {
                    cmd.extend([s("-d"), s(h)]);
                }
                if let Some(sh) = args.str("shell") {
                    cmd.extend([s("-s"), s(sh)]);
                }
                if let Some(e) = expires {
                    cmd.extend([s("-e"), expires_value(e)]);
                }
                if let Some(p) = password {
                    cmd.extend([s("-p"), locked(p)]);
                }
                if args.bool("system", false) {
                    cmd.push(s("-r"));
                }
                if args.bool("createhome", true) {
                    cmd.push(s("-m"));
                } else {
                    cmd.push(s("-M"));
                }
                cmd.push(name.clone());
            }
            (Some(a), true) => {
                let mut m: Vec<String> = Vec::new();
                if let Some(u) = &uid {
                    if *u != a.uid.to_string() {
                        m.extend([s("-u"), u.clone()]);
                        if args.bool("non_unique", false) {
                            m.push(s("-o"));
                        }
                    }
                }
                if let Some(g) = &group {
                    let same = if g.bytes().all(|b| b.is_ascii_digit()) {
                        *g == a.gid.to_string()
                    } else {
                        *g == a.primary
                    };
                    if !same {
                        m.extend([s("-g"), g.clone()]);
                    }
                }
                if groups_given {
                    let want: BTreeSet<&String> = groups.iter().collect();
                    let have: BTreeSet<&String> = a.groups.iter().collect();
                    let append = args.bool("append", false);
                    let differs = if append {
                        !want.is_subset(&have)
                    } else {
                        want != have
                    };
                    if differs {
                        if append {
                            m.push(s("-a"));
                        }
                        m.extend([s("-G"), groups.join(",")]);
                    }
                }
                if let Some(c) = args.str("comment") {
                    if c != a.comment {
                        m.extend([s("-c"), s(c)]);
                    }
                }
                if let Some(h) = args.str("home") {
                    if h != a.home {
                        m.extend([s("-d"), s(h)]);
                        if args.bool("move_home", false) {
                            m.push(s("-m"));
                        }
                    }
                }
                if let Some(sh) = args.str("shell") {
                    if sh != a.shell {
                        m.extend([s("-s"), s(sh)]);
                    }
                }
                if let Some(e) = expires.and_then(|e| expires_change(e, a.expire_days)) {
                    m.extend([s("-e"), e]);
                }
                let new_hash = password.filter(|p| {
                    args.str("update_password") != Some("on_create")
                        && p.trim_start_matches('!') != a.hash.trim_start_matches('!')
                });
                match (new_hash, lock_option(lock, &a.hash)) {
                    (Some(p), _) => m.extend([s("-p"), locked(p)]),
                    (None, Some(o)) => m.push(s(o)),
                    (None, None) => {}
                }
                if !m.is_empty() {
                    cmd.push(s("usermod"));
                    cmd.extend(m);
                    cmd.push(name.clone());
                }
            }
            (Some(_), false) => {
                cmd.push(s("userdel"));
                if args.bool("force", false) {
                    cmd.push(s("-f"));
                }
                if args.bool("remove", false) {
                    cmd.push(s("-r"));
                }
                cmd.push(name.clone());
            }
            (None, false) => {}
        }
        let mut res = ModuleResult::changed(!cmd.is_empty())
            .with("name", name.clone())
            .with("state", if present { "present" } else { "absent" });
        if password.is_some() {
            res.data
                .insert("password".into(), "NOT_LOGGING_PASSWORD".into());
        }
        let final_acct = if cmd.is_empty() || ctx.check_mode {
            acct
        } else {
            let argv: Vec<&str> = cmd.iter().map(String::as_str).collect();
            let out = ctx
                .remote
                .sh(&format!(
                    "{} && {{ {}; }}",
                    join_argv(&argv),
                    query(&name, &[])
                ))
                .await?;
            if out.rc != 0 {
                let mut r = ModuleResult::failed(out.stderr_str().trim().to_string())
                    .with("name", name)
                    .with("rc", out.rc);
                if password.is_none() {
                    r.data.insert("cmd".into(), join_argv(&argv).into());
                }
                return Ok(r);
            }
            parse(&out.stdout_str()).0
        };
        if present {
            if let Some(a) = final_acct {
                res.data.insert("uid".into(), a.uid.into());
                res.data.insert("group".into(), a.gid.into());
                res.data.insert("comment".into(), a.comment.into());
                res.data.insert("home".into(), a.home.into());
                res.data.insert("shell".into(), a.shell.into());
                res.data.insert("groups".into(), a.groups.join(",").into());
                res.data
                    .insert("system".into(), args.bool("system", false).into());
                res.data
                    .insert("createhome".into(), args.bool("createhome", true).into());
                res.data
                    .insert("append".into(), args.bool("append", false).into());
            }
        } else if args.bool("remove", false) {
            res.data.insert("remove".into(), true.into());
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_dates_and_changes() {
        assert_eq!(date_of_day(0), "1970-01-01");
        assert_eq!(date_of_day(19_723), "2024-01-01");
        assert_eq!(expires_value(1_422_403_387.0), "2015-01-28");
        assert_eq!(expires_change(-1.0, -1), None);
        assert_eq!(expires_change(-1.0, 100), Some(String::new()));
        assert_eq!(expires_change(86_400.0 * 100.0, 100), None);
        assert_eq!(lock_option(Some(true), "!$6$x"), None);
        assert_eq!(lock_option(Some(false), "!$6$x"), Some("-U"));
    }

    #[test]
    fn sha512_crypt_matches_glibc() {
        // `mkpasswd -m sha-512 -S saltsalt secret` / Python crypt.crypt('secret', '$6$saltsalt').
        assert_eq!(
            sha512_crypt("secret", "saltsalt"),
            "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"
        );
    }
}
