//! `apt_key`: adds or removes a key in apt's keyring with `apt-key`. The key comes from `data=`,
//! a `file=` on the host or a `url=` fetched on the host (curl); `id=` (short, long or a
//! fingerprint) decides whether it is there already, else the key's own ids (read with
//! `gpg --show-keys` on the host). One exec lists the keyring (and reads the key's ids), a second
//! one adds (`apt-key add -`) or deletes (`apt-key del`) it.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `apt_key` module.
pub struct AptKey;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("id", ArgKind::Str),
        OptSpec::new("url", ArgKind::Str),
        OptSpec::new("data", ArgKind::Raw),
        OptSpec::new("file", ArgKind::Path),
        OptSpec::new("keyring", ArgKind::Path),
        OptSpec::new("keyserver", ArgKind::Str),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["present", "absent"])
            .default("present"),
        OptSpec::new("validate_certs", ArgKind::Bool).default("yes"),
    ],
    free_form: false,
    file_common: false,
});

/// Key ids (`pub:` long ids and `fpr:` fingerprints) in `gpg --with-colons` output.
pub fn colon_ids(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            match f.first() {
                Some(&"pub") => f.get(4).map(|s| s.to_uppercase()),
                Some(&"fpr") => f.get(9).map(|s| s.to_uppercase()),
                _ => None,
            }
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Whether `id` (any length, `0x` allowed) names one of `ids` (long ids and fingerprints).
pub fn has_id(ids: &[String], id: &str) -> bool {
    let id = id.trim().trim_start_matches("0x").trim_start_matches("0X");
    let id = id.replace(' ', "").to_uppercase();
    !id.is_empty() && ids.iter().any(|k| k.ends_with(&id))
}

fn keyring_opt(args: &ModuleArgs) -> String {
    args.str("keyring")
        .map(|k| format!(" --keyring {}", shell_quote(k)))
        .unwrap_or_default()
}

/// A shell snippet printing the key material to stdout (from `file`, `url` or stdin).
fn source_cmd(args: &ModuleArgs) -> Option<String> {
    if args.get("data").is_some() {
        Some("cat".into())
    } else if let Some(f) = args.str("file") {
        Some(format!("cat -- {}", shell_quote(f)))
    } else {
        args.str("url")
            .map(|u| format!("curl -fsSL -- {}", shell_quote(u)))
    }
}

#[async_trait]
impl Module for AptKey {
    fn name(&self) -> &'static str {
        "apt_key"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let present = args.str("state") != Some("absent");
        let id = args.str("id").map(str::to_string);
        let data = args
            .get("data")
            .map(crate::modules::args::value_text)
            .unwrap_or_default();
        let src = source_cmd(args);
        if args.str("keyserver").is_some() {
            return Ok(ModuleResult::failed(
                "keyserver= needs the network; give the key with data=, file= or url=",
            ));
        }
        if present && src.is_none() {
            return Ok(ModuleResult::failed(
                "one of data, file or url is required with state=present",
            ));
        }
        if !present && id.is_none() {
            return Ok(ModuleResult::failed("id is required with state=absent"));
        }
        let kr = keyring_opt(args);
        // Query: the keyring's ids, then (without id) the key's own ids.
        let mut script = format!(
            "command -v apt-key >/dev/null 2>&1 || {{ echo 'apt-key not found on the host' >&2; exit 2; }}; \
             APT_KEY_DONT_WARN_ON_DANGEROUS_USAGE=1 apt-key{kr} adv --list-public-keys --with-colons --fixed-list-mode 2>/dev/null; \
             echo '--FLOCK-KEY--'; "
        );
        let need_key_ids = present && id.is_none();
        if need_key_ids {
            if let Some(s) = &src {
                script.push_str(&format!(
                    "k=$({s}) || exit 3; printf '%s\\n' \"$k\" | gpg --batch --with-colons --show-keys 2>/dev/null; true"
                ));
            }
        }
        let out = if need_key_ids && args.get("data").is_some() {
            ctx.remote.sh_stdin(&script, data.as_bytes()).await?
        } else {
            ctx.remote.sh(&script).await?
        };
        if out.rc != 0 {
            return Ok(ModuleResult::failed(format!(
                "could not read the key: {}",
                out.stderr_str().trim()
            ))
            .with("rc", out.rc));
        }
        let text = out.stdout_str();
        let (ring, key) = text.split_once("--FLOCK-KEY--").unwrap_or((&text, ""));
        let ring_ids = colon_ids(ring);
        let wanted: Vec<String> = match &id {
            Some(i) => vec![i.clone()],
            None => {
                let k: Vec<String> = colon_ids(key)
                    .into_iter()
                    .filter(|s| s.len() == 40)
                    .collect();
                if k.is_empty() {
                    return Ok(ModuleResult::failed(
                        "no OpenPGP key found in the given data, file or url",
                    ));
                }
                k
            }
        };
        let there = wanted.iter().all(|w| has_id(&ring_ids, w));
        let change = present != there;
        let res = ModuleResult::changed(change);
        if !change || ctx.check_mode {
            return Ok(res);
        }
        let env = "APT_KEY_DONT_WARN_ON_DANGEROUS_USAGE=1";
        let (script, stdin) = if present {
            let s = src.unwrap_or_default();
            let check = match &id {
                Some(i) => format!(
                    " && {env} apt-key{kr} adv --list-public-keys --with-colons --fixed-list-mode 2>/dev/null | \
                     grep -Eiq '^(pub|fpr):([^:]*:){{3,8}}[0-9A-F]*{}:' || {{ echo 'the key added does not have id {}' >&2; exit 1; }}",
                    regex::escape(i.trim_start_matches("0x")),
                    i
                ),
                None => String::new(),
            };
            (
                format!(
                    "k=$({s}) || exit $?; printf '%s\\n' \"$k\" | {env} apt-key{kr} add -{check}"
                ),
                data,
            )
        } else {
            let i = id.clone().unwrap_or_default();
            (
                format!("{env} apt-key{kr} del {}", shell_quote(&i)),
                String::new(),
            )
        };
        let run = if stdin.is_empty() {
            ctx.remote.sh(&script).await?
        } else {
            ctx.remote.sh_stdin(&script, stdin.as_bytes()).await?
        };
        if run.rc != 0 {
            return Ok(ModuleResult::failed(run.stderr_str().trim().to_string()).with("rc", run.rc));
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_colon_ids() {
        let out = "tru::1:1\npub:-:255:22:ABCDEF0123456789:1700000000:::-:::scSC::::::23::0:\n\
                   fpr:::::::::0123456789ABCDEF0123ABCDEF0123456789:\n";
        let ids = colon_ids(out);
        assert_eq!(ids.len(), 2);
        assert!(has_id(&ids, "0x23456789"));
        assert!(has_id(&ids, "abcdef0123456789"));
        assert!(!has_id(&ids, "FFFF0000"));
    }
}
