//! `stat`: what is at a path, as ansible-core's `stat` module reports it (the `stat` dict with
//! `exists`, mode bits, ids, times, link source/target, checksum, MIME type and file attributes).
//! One exec on the host gathers everything (`stat`, `test -r/-w/-x`, `readlink`, `realpath`,
//! `*sum`, `file --mime-type --mime-encoding`, `lsattr -vd`), as the Python module calls them.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};
use crate::value::{Map, Value};

/// The `stat` module.
pub struct Stat;

/// The checksum algorithms of `checksum_algorithm` (each has a coreutils `ALGOsum`).
pub const CHECKSUM_ALGORITHMS: &[&str] = &["md5", "sha1", "sha224", "sha256", "sha384", "sha512"];

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("path", ArgKind::Path)
            .required()
            .aliases(&["dest", "name"]),
        OptSpec::new("follow", ArgKind::Bool).default("no"),
        OptSpec::new("get_checksum", ArgKind::Bool).default("yes"),
        OptSpec::new("get_mime", ArgKind::Bool)
            .default("yes")
            .aliases(&["mime", "mime_type", "mime-type"]),
        OptSpec::new("get_attributes", ArgKind::Bool)
            .default("yes")
            .aliases(&["attr", "attributes"]),
        OptSpec::new("checksum_algorithm", ArgKind::Str)
            .default("sha1")
            .choices(CHECKSUM_ALGORITHMS)
            .aliases(&["checksum", "checksum_algo"]),
    ],
    free_form: false,
    file_common: false,
});

/// What to gather besides the `stat` call.
#[derive(Clone, Debug)]
pub struct StatOptions {
    /// Follow a final symlink.
    pub follow: bool,
    /// Checksum algorithm of a readable regular file (`None`: no checksum).
    pub checksum: Option<String>,
    /// Run `file --mime-type --mime-encoding`.
    pub mime: bool,
    /// Run `lsattr -vd`.
    pub attributes: bool,
}

/// The one script gathering a path's stat: `S:` stat fields, `A:` access bits, `L:`/`R:`
/// (hex) link target and real path, `C:` checksum, `M:` MIME output, `T:` lsattr output;
/// exit 3 with stat's error on stderr when the stat call fails.
pub fn stat_script(path: &str, o: &StatOptions) -> String {
    let q = shell_quote(path);
    let deref = if o.follow { "-L " } else { "" };
    let mut s = format!(
        "p={q}; out=$(stat {deref}-c 'S:%f|%u|%g|%s|%i|%d|%h|%.9X|%.9Y|%.9Z|%b|%o|%r|%U|%G' -- \"$p\") || exit 3; \
         echo \"$out\"; \
         printf 'A:'; for t in r w x; do if test -$t \"$p\"; then printf 1; else printf 0; fi; done; echo; "
    );
    if !o.follow {
        s.push_str(
            "if [ -L \"$p\" ]; then printf 'L:'; readlink -n -- \"$p\" | od -An -v -tx1 | tr -d ' \\n'; echo; \
             printf 'R:'; realpath -m -- \"$p\" | tr -d '\\n' | od -An -v -tx1 | tr -d ' \\n'; echo; fi; ",
        );
    }
    if let Some(algo) = &o.checksum {
        let regular = if o.follow {
            "[ -f \"$p\" ]"
        } else {
            "[ -f \"$p\" ] && [ ! -L \"$p\" ]"
        };
        s.push_str(&format!(
            "if {regular} && [ -r \"$p\" ]; then printf 'C:'; {algo}sum < \"$p\" | cut -d' ' -f1; fi; "
        ));
    }
    if o.mime {
        s.push_str(
            "if command -v file >/dev/null 2>&1; then m=$(file -b --mime-type --mime-encoding -- \"$p\" 2>/dev/null) && echo \"M:$m\"; fi; ",
        );
    }
    if o.attributes {
        s.push_str(
            "if command -v lsattr >/dev/null 2>&1; then a=$(lsattr -vd -- \"$p\" 2>/dev/null) && echo \"T:$a\"; fi; ",
        );
    }
    s.push_str("exit 0");
    s
}

/// Python's `st_atime`-style float: seconds plus nanoseconds (`sec + nsec * 1e-9`, as CPython
/// computes it) from stat's `%.9X` text.
fn stat_time(text: &str) -> Value {
    let (sec, nsec) = text.split_once('.').unwrap_or((text, "0"));
    let sec: i64 = sec.parse().unwrap_or(0);
    let nsec: i64 = nsec.parse().unwrap_or(0);
    serde_json::Number::from_f64(sec as f64 + nsec as f64 * 1e-9)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

fn unhex(text: &str) -> String {
    String::from_utf8_lossy(&hex::decode(text.trim()).unwrap_or_default()).into_owned()
}

/// The names `lsattr` flags stand for (Ansible's `FILE_ATTRIBUTES`).
pub fn attribute_name(flag: char) -> Option<&'static str> {
    Some(match flag {
        'A' => "noatime",
        'a' => "append",
        'c' => "compressed",
        'C' => "nocow",
        'd' => "nodump",
        'D' => "dirsync",
        'e' => "extents",
        'E' => "encrypted",
        'h' => "blocksize",
        'i' => "immutable",
        'I' => "indexed",
        'j' => "journalled",
        'N' => "inline",
        's' => "zero",
        'S' => "synchronous",
        't' => "notail",
        'T' => "blockroot",
        'u' => "undelete",
        'X' => "compressedraw",
        'Z' => "compresseddirty",
        _ => return None,
    })
}

/// Inserts the mode-derived keys (`mode`, `isdir` … `isgid`) of raw mode bits `m`.
fn insert_mode_keys(out: &mut Map, m: u32) {
    let fmt = m & 0o170000;
    out.insert("mode".into(), format!("{:04o}", m & 0o7777).into());
    for (key, kind) in [
        ("isdir", 0o040000),
        ("ischr", 0o020000),
        ("isblk", 0o060000),
        ("isreg", 0o100000),
        ("isfifo", 0o010000),
        ("islnk", 0o120000),
        ("issock", 0o140000),
    ] {
        out.insert(key.into(), Value::Bool(fmt == kind));
    }
    for (i, who) in ["usr", "grp", "oth"].iter().enumerate() {
        let shift = 6 - 3 * i as u32;
        out.insert(format!("r{who}"), Value::Bool(m & (0o4 << shift) != 0));
        out.insert(format!("w{who}"), Value::Bool(m & (0o2 << shift) != 0));
        out.insert(format!("x{who}"), Value::Bool(m & (0o1 << shift) != 0));
    }
    out.insert("isuid".into(), Value::Bool(m & 0o4000 != 0));
    out.insert("isgid".into(), Value::Bool(m & 0o2000 != 0));
}

/// Parses the `S:` line of [`stat_script`] into the keys of Ansible's `format_output`.
fn insert_stat_line(out: &mut Map, line: &str) -> Option<()> {
    let f: Vec<&str> = line.split('|').collect();
    if f.len() < 15 {
        return None;
    }
    let num = |i: usize| -> Value { f[i].parse::<u64>().map(Value::from).unwrap_or(Value::Null) };
    insert_mode_keys(out, u32::from_str_radix(f[0], 16).ok()?);
    for (key, i) in [
        ("uid", 1),
        ("gid", 2),
        ("size", 3),
        ("inode", 4),
        ("dev", 5),
        ("nlink", 6),
    ] {
        out.insert(key.into(), num(i));
    }
    out.insert("atime".into(), stat_time(f[7]));
    out.insert("mtime".into(), stat_time(f[8]));
    out.insert("ctime".into(), stat_time(f[9]));
    out.insert("blocks".into(), num(10));
    out.insert("block_size".into(), num(11));
    out.insert("device_type".into(), num(12));
    if f[13] != "UNKNOWN" {
        out.insert("pw_name".into(), f[13].into());
    }
    if f[14] != "UNKNOWN" {
        out.insert("gr_name".into(), f[14].into());
    }
    Some(())
}

/// Builds the `stat` dict from [`stat_script`]'s output for `path`.
pub fn parse_stat_output(path: &str, out: &str, o: &StatOptions) -> Map {
    let mut st = Map::new();
    st.insert("exists".into(), Value::Bool(true));
    st.insert("path".into(), path.into());
    if o.mime {
        st.insert("mimetype".into(), "unknown".into());
        st.insert("charset".into(), "unknown".into());
    }
    if o.attributes {
        st.insert("version".into(), Value::Null);
        st.insert("attributes".into(), Value::Array(Vec::new()));
        st.insert("attr_flags".into(), "".into());
    }
    for line in out.lines() {
        let Some((tag, rest)) = line.split_once(':') else {
            continue;
        };
        match tag {
            "S" => {
                insert_stat_line(&mut st, rest);
            }
            "A" => {
                let b: Vec<bool> = rest.chars().map(|c| c == '1').collect();
                for (i, key) in ["readable", "writeable", "executable"].iter().enumerate() {
                    st.insert(
                        (*key).into(),
                        Value::Bool(b.get(i).copied().unwrap_or(false)),
                    );
                }
            }
            "L" => {
                st.insert("lnk_target".into(), unhex(rest).into());
            }
            "R" => {
                st.insert("lnk_source".into(), unhex(rest).into());
            }
            "C" => {
                st.insert("checksum".into(), rest.trim().into());
            }
            "M" => {
                if let Some((mime, charset)) = rest.split_once(';') {
                    st.insert("mimetype".into(), mime.trim().into());
                    let cs = charset.split_once('=').map(|(_, c)| c).unwrap_or("");
                    st.insert("charset".into(), cs.trim().into());
                }
            }
            "T" => {
                let mut words = rest.split_whitespace();
                if let (Some(version), Some(flags)) = (words.next(), words.next()) {
                    let flags = flags.replace('-', "");
                    st.insert("version".into(), version.into());
                    st.insert(
                        "attributes".into(),
                        Value::Array(
                            flags
                                .chars()
                                .filter_map(attribute_name)
                                .map(Value::from)
                                .collect(),
                        ),
                    );
                    st.insert("attr_flags".into(), flags.into());
                }
            }
            _ => {}
        }
    }
    st
}

/// The stat dict of `path` on the host (`Ok(None)`: it does not exist; `Err(strerror)`: the
/// stat call failed otherwise, e.g. "Permission denied").
pub async fn stat_path(
    ctx: &ModuleContext<'_>,
    path: &str,
    o: &StatOptions,
) -> Result<Result<Option<Map>, String>, ModuleError> {
    let out = ctx.remote.sh(&stat_script(path, o)).await?;
    if out.rc == 3 {
        let err = out.stderr_str();
        let strerror = err.trim().rsplit(": ").next().unwrap_or("").to_string();
        if strerror == "No such file or directory" {
            return Ok(Ok(None));
        }
        return Ok(Err(strerror));
    }
    if out.rc != 0 {
        return Ok(Err(out.stderr_str().trim().to_string()));
    }
    Ok(Ok(Some(parse_stat_output(path, &out.stdout_str(), o))))
}

#[async_trait]
impl Module for Stat {
    fn name(&self) -> &'static str {
        "stat"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let path = args.str("path").unwrap_or_default().to_string();
        let o = StatOptions {
            follow: args.bool("follow", false),
            checksum: args
                .bool("get_checksum", true)
                .then(|| args.str("checksum_algorithm").unwrap_or("sha1").to_string()),
            mime: args.bool("get_mime", true),
            attributes: args.bool("get_attributes", true),
        };
        let st = match stat_path(ctx, &path, &o).await? {
            Ok(Some(st)) => st,
            Ok(None) => {
                let mut m = Map::new();
                m.insert("exists".into(), Value::Bool(false));
                m
            }
            Err(strerror) => return Ok(ModuleResult::failed(strerror)),
        };
        Ok(ModuleResult::ok().with("stat", Value::Object(st)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_regular_file() {
        let o = StatOptions {
            follow: false,
            checksum: Some("sha1".into()),
            mime: true,
            attributes: true,
        };
        let out = "S:81a4|0|0|6|42|65024|1|1796621542.360426144|1796621542.000000000|1796621542.5|8|4096|0|root|UNKNOWN\n\
                   A:110\nC:f572d396fae9206628714fb2ce00f72e94f2258f\nM:text/plain; charset=us-ascii\n\
                   T:4146790587 --------------e------- /tmp/x1\n";
        let st = parse_stat_output("/tmp/x1", out, &o);
        assert_eq!(st["mode"], "0644");
        assert_eq!(st["isreg"], true);
        assert_eq!(st["islnk"], false);
        assert_eq!(st["rusr"], true);
        assert_eq!(st["xusr"], false);
        assert_eq!(st["roth"], true);
        assert_eq!(st["woth"], false);
        assert_eq!(st["atime"].to_string(), "1796621542.3604262");
        assert_eq!(st["mtime"].to_string(), "1796621542.0");
        assert_eq!(st["pw_name"], "root");
        assert!(st.get("gr_name").is_none());
        assert_eq!(
            (&st["readable"], &st["executable"]),
            (&true.into(), &false.into())
        );
        assert_eq!(st["mimetype"], "text/plain");
        assert_eq!(st["charset"], "us-ascii");
        assert_eq!(st["attr_flags"], "e");
        assert_eq!(st["attributes"], serde_json::json!(["extents"]));
        assert_eq!(st["version"], "4146790587");
    }
}
