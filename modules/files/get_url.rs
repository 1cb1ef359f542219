//! `get_url`: the host downloads a URL (curl, else wget) into a temporary file next to `dest`,
//! checks the checksum, and replaces `dest` only when the content differs, all in one exec.
//! `dest` may be a directory (the URL's file name is used). `force=no` (1.2's default) leaves an
//! existing file alone.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::common::{
    add_path_info, apply_then_probe, attrs_differ, attrs_fix_script, attrs_from_args, parse_probe,
    set_attrs_script, PROBE_FN,
};
use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `get_url` module.
pub struct GetUrl;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("url", ArgKind::Str).required(),
        OptSpec::new("dest", ArgKind::Path).required(),
        OptSpec::new("force", ArgKind::Bool)
            .aliases(&["thirsty"])
            .default("no"),
        OptSpec::new("use_proxy", ArgKind::Bool).default("yes"),
        OptSpec::new("sha256sum", ArgKind::Str),
        OptSpec::new("checksum", ArgKind::Str),
        OptSpec::new("timeout", ArgKind::Int).default("10"),
        OptSpec::new("validate_certs", ArgKind::Bool).default("yes"),
        OptSpec::new("url_username", ArgKind::Str).aliases(&["username"]),
        OptSpec::new("url_password", ArgKind::Str)
            .aliases(&["password"])
            .no_log(),
        OptSpec::new("force_basic_auth", ArgKind::Bool),
        OptSpec::new("headers", ArgKind::Raw),
        OptSpec::new("tmp_dest", ArgKind::Path),
        OptSpec::new("http_agent", ArgKind::Str),
    ],
    free_form: false,
    file_common: true,
});

/// The file name a URL names (`index.html` when its path ends in `/`), as 1.2's `url_filename`.
pub fn url_filename(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
    let path = path.split(['?', '#']).next().unwrap_or("");
    match path.rsplit('/').next() {
        Some(name) if !name.is_empty() => name.to_string(),
        _ => "index.html".into(),
    }
}

/// `(algorithm, hex)` from `checksum=algo:hex` or 1.2's `sha256sum=hex`.
fn wanted_checksum(args: &ModuleArgs) -> Result<Option<(String, String)>, String> {
    if let Some(c) = args.str("checksum").filter(|c| !c.is_empty()) {
        let (algo, hex) = c
            .split_once(':')
            .ok_or_else(|| format!("checksum must be ALGORITHM:HEX, got {c:?}"))?;
        let algo = algo.to_ascii_lowercase();
        if !["md5", "sha1", "sha224", "sha256", "sha384", "sha512"].contains(&algo.as_str()) {
            return Err(format!("unsupported checksum algorithm {algo:?}"));
        }
        return Ok(Some((algo, hex.trim().to_ascii_lowercase())));
    }
    Ok(args
        .str("sha256sum")
        .filter(|s| !s.is_empty())
        .map(|s| ("sha256".to_string(), s.trim().to_ascii_lowercase())))
}

#[async_trait]
impl Module for GetUrl {
    fn name(&self) -> &'static str {
        "get_url"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let url = args.str("url").unwrap_or_default().to_string();
        let dest = args.str("dest").unwrap_or_default().to_string();
        let force = args.bool("force", false);
        let want = match wanted_checksum(args) {
            Ok(w) => w,
            Err(e) => return Ok(ModuleResult::failed(e)),
        };
        let timeout = args.int("timeout").unwrap_or(10).max(1);
        let insecure = !args.bool("validate_certs", true);
        let mut curl = format!("curl -sS -L --max-time {timeout} -o \"$t\" -w '%{{http_code}}'");
        let mut wget = format!("wget -q -T {timeout} -O \"$t\"");
        if insecure {
            curl.push_str(" -k");
            wget.push_str(" --no-check-certificate");
        }
        if !args.bool("use_proxy", true) {
            curl.push_str(" --noproxy '*'");
            wget.push_str(" --no-proxy");
        }
        if let (Some(u), Some(p)) = (args.str("url_username"), args.str("url_password")) {
            let up = shell_quote(&format!("{u}:{p}"));
            curl.push_str(&format!(" -u {up}"));
            wget.push_str(&format!(
                " --user={} --password={}",
                shell_quote(u),
                shell_quote(p)
            ));
        }
        if let Some(a) = args.str("http_agent") {
            curl.push_str(&format!(" -A {}", shell_quote(a)));
            wget.push_str(&format!(" -U {}", shell_quote(a)));
        }
        let u = shell_quote(&url);
        let (algo, hex) = want.clone().unwrap_or_default();
        let script = format!(
            "{PROBE_FN}dest={dq}; if [ -d \"$dest\" ]; then dest=\"$dest\"/{fname}; echo DIR; fi; \
             if [ -e \"$dest\" ] && [ {force} = 0 ]; then \
               if [ -z {algo_q} ] || [ \"$({algo}sum < \"$dest\" | cut -d' ' -f1)\" = {hex_q} ]; then \
                 echo EXISTS; flock_probe \"$dest\" sha; exit 0; fi; fi; \
             if [ -n {algo_q} ] && [ -f \"$dest\" ] && [ \"$({algo}sum < \"$dest\" | cut -d' ' -f1)\" = {hex_q} ]; then \
               echo SAME; flock_probe \"$dest\" sha; exit 0; fi; \
             d=$(dirname -- \"$dest\"); [ -d \"$d\" ] || {{ echo NODIR; exit 0; }}; \
             t=$(mktemp \"$d/.flock.XXXXXX\") || exit 1; trap 'rm -f \"$t\"' EXIT; \
             if command -v curl >/dev/null 2>&1; then code=$({curl} {u}) || {{ echo \"FETCH:$?\"; exit 0; }}; \
             elif command -v wget >/dev/null 2>&1; then {wget} {u} && code=200 || {{ echo FETCH:wget; exit 0; }}; \
             else echo NOTOOL; exit 0; fi; \
             [ \"$code\" = 200 ] || {{ echo \"STATUS:$code\"; exit 0; }}; \
             printf 'SIZE:%s\\n' \"$(wc -c < \"$t\")\"; printf 'MD5:%s\\n' \"$(md5sum < \"$t\" | cut -d' ' -f1)\"; \
             new=$(sha1sum < \"$t\" | cut -d' ' -f1); printf 'SRC:%s\\n' \"$new\"; \
             if [ -n {algo_q} ]; then got=$({algo}sum < \"$t\" | cut -d' ' -f1); \
               [ \"$got\" = {hex_q} ] || {{ printf 'BADSUM:%s\\n' \"$got\"; exit 0; }}; fi; \
             old=; [ -f \"$dest\" ] && old=$(sha1sum < \"$dest\" | cut -d' ' -f1); \
             if [ \"$new\" = \"$old\" ]; then echo SAME; flock_probe \"$dest\" sha; exit 0; fi; \
             echo CHANGED; [ {check} = 1 ] && {{ flock_probe \"$dest\" sha; exit 0; }}; \
             if [ -e \"$dest\" ]; then chown --reference=\"$dest\" \"$t\" 2>/dev/null || true; chmod --reference=\"$dest\" \"$t\"; \
             else chmod 0644 \"$t\"; fi; {attrs}sync \"$t\" 2>/dev/null || true; \
             mv -f -- \"$t\" \"$dest\" || exit 1; trap - EXIT; echo MOVED; flock_probe \"$dest\" sha",
            dq = shell_quote(&dest),
            fname = shell_quote(&url_filename(&url)),
            force = u8::from(force),
            algo = if algo.is_empty() { "sha1".to_string() } else { algo.clone() },
            algo_q = shell_quote(&algo),
            hex_q = shell_quote(&hex),
            check = u8::from(ctx.check_mode),
            attrs = temp_attrs(args),
        );
        let out = ctx.remote.sh(&script).await?;
        let text = out.stdout_str();
        let has = |w: &str| text.lines().any(|l| l == w);
        let field = |k: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(k))
                .map(str::to_string)
        };
        let target = if has("DIR") {
            format!("{}/{}", dest.trim_end_matches('/'), url_filename(&url))
        } else {
            dest.clone()
        };
        let fail = |msg: String| {
            ModuleResult::failed(msg)
                .with("url", url.clone())
                .with("dest", target.clone())
        };
        if out.rc != 0 {
            return Ok(fail(format!(
                "failed to fetch {url} to {target}: {}",
                out.stderr_str().trim()
            )));
        }
        if has("NODIR") {
            let dir = std::path::Path::new(&target)
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            return Ok(fail(format!("Destination {dir} does not exist")));
        }
        if has("NOTOOL") {
            return Ok(fail(
                "neither curl nor wget is installed on the host".into(),
            ));
        }
        if let Some(code) = field("STATUS:") {
            let mut r = fail("Request failed".into());
            r.data.insert(
                "status_code".into(),
                code.parse::<i64>().map(Into::into).unwrap_or(code.into()),
            );
            return Ok(r);
        }
        if let Some(e) = field("FETCH:") {
            // 1.2: urllib2.URLError -> fail_json(msg="Request failed: <urlopen error ...>",
            // status_code=-1), no url/dest keys.
            let reason = urlopen_reason(&e, out.stderr_str().trim());
            return Ok(
                ModuleResult::failed(format!("Request failed: <urlopen error {reason}>"))
                    .with("status_code", -1),
            );
        }
        if let Some(got) = field("BADSUM:") {
            return Ok(fail(format!(
                "The checksum for {target} did not match {}; it was {got}.",
                hex_of(&want)
            )));
        }
        let info = parse_probe(&text);
        let mut res = ModuleResult::changed(has("CHANGED"));
        res.data.insert("url".into(), url.clone().into());
        if let Some(m) = field("MD5:") {
            res.data.insert("md5sum".into(), m.into());
        }
        if let Some(s) = field("SRC:") {
            res.data.insert("checksum_src".into(), s.into());
        }
        if has("EXISTS") {
            res.msg = Some("file already exists".into());
        } else if let Some(size) = field("SIZE:") {
            res.msg = Some(format!("OK ({size} bytes)"));
            res.data.insert("status_code".into(), 200.into());
        }
        // Attributes of an existing, unchanged file.
        if !res.changed {
            if let Some(i) = &info {
                let attrs = attrs_from_args(args);
                let (o, g, m) = attrs_differ(i, &attrs);
                if o || g || m {
                    res.changed = true;
                    if !ctx.check_mode {
                        match apply_then_probe(
                            ctx,
                            &attrs_fix_script(&target, i, &attrs),
                            &target,
                            None,
                        )
                        .await?
                        {
                            Ok(after) => {
                                add_path_info(&mut res, "dest", &target, after.as_ref());
                                return Ok(res);
                            }
                            Err(e) => return Ok(fail(e)),
                        }
                    }
                }
            }
        }
        add_path_info(&mut res, "dest", &target, info.as_ref());
        if let Some(i) = &info {
            if let Some(h) = &i.sha1 {
                res.data.insert("checksum_dest".into(), h.clone().into());
            }
        }
        Ok(res)
    }
}

fn hex_of(want: &Option<(String, String)>) -> String {
    want.as_ref().map(|(_, h)| h.clone()).unwrap_or_default()
}

/// chown/chgrp/chmod of the temporary file `"$t"` for the asked attributes.
fn temp_attrs(args: &ModuleArgs) -> String {
    set_attrs_script("\"$t\"", &attrs_from_args(args), "")
}

/// The reason Python 2's urllib2 gave for a failure curl reports with exit code `rc` (what 1.2's
/// get_url printed). curl exits 6 both for an unknown name and for an unreachable DNS server;
/// flock prints the latter's text (`EAI_AGAIN`, what 1.2 said on a host without DNS).
fn urlopen_reason(rc: &str, stderr: &str) -> String {
    match rc {
        "6" => "[Errno -3] Temporary failure in name resolution".into(),
        "7" => "[Errno 111] Connection refused".into(),
        "28" => "timed out".into(),
        _ => stderr.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_files_like_12() {
        assert_eq!(url_filename("http://h/a/b.rpm"), "b.rpm");
        assert_eq!(url_filename("http://h/a/b.rpm?x=1#f"), "b.rpm");
        assert_eq!(url_filename("http://h/"), "index.html");
        assert_eq!(url_filename("http://h"), "index.html");
    }
}
