//! `mount`: an fstab entry and the mount itself (1.2's states present/absent/mounted/unmounted,
//! plus modern `remounted`). One exec reads the fstab and whether the path is mounted; the new
//! fstab is computed here and written atomically with the mount commands in a second exec.
//! A non-default `fstab=` is passed to `mount -T`, so tests never touch /etc/fstab.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::files::common::{content_diff, write_script, WriteOptions};
use crate::modules::{
    ArgKind, ArgSpec, FileAttrs, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult,
    OptSpec,
};

/// The `mount` module.
pub struct Mount;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("name", ArgKind::Path)
            .required()
            .aliases(&["path"]),
        OptSpec::new("state", ArgKind::Str).required().choices(&[
            "present",
            "absent",
            "mounted",
            "unmounted",
            "remounted",
        ]),
        OptSpec::new("src", ArgKind::Str),
        OptSpec::new("fstype", ArgKind::Str),
        OptSpec::new("opts", ArgKind::Str),
        OptSpec::new("dump", ArgKind::Str),
        OptSpec::new("passno", ArgKind::Str),
        OptSpec::new("fstab", ArgKind::Path),
        OptSpec::new("backup", ArgKind::Bool),
        OptSpec::new("boot", ArgKind::Bool),
    ],
    free_form: false,
    file_common: false,
});

/// The six fields of an fstab entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Device, `UUID=…`, `LABEL=…`, or a file system name.
    pub src: String,
    /// Mount point.
    pub name: String,
    /// File system type.
    pub fstype: String,
    /// Mount options.
    pub opts: String,
    /// dump frequency.
    pub dump: String,
    /// fsck pass.
    pub passno: String,
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\134")
        .replace(' ', "\\040")
        .replace('\t', "\\011")
        .replace('\n', "\\012")
}

fn unescape(s: &str) -> String {
    s.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

impl Entry {
    fn line(&self) -> String {
        format!(
            "{} {} {} {} {} {}\n",
            escape(&self.src),
            escape(&self.name),
            escape(&self.fstype),
            escape(&self.opts),
            self.dump,
            self.passno
        )
    }
}

/// 1.2's `set_mount`: the entry for `want.name` updated (or appended). Returns the new fstab and
/// whether it changed.
pub fn set_mount(fstab: &str, want: &Entry) -> (String, bool) {
    let mut out = String::new();
    let mut exists = false;
    let mut changed = false;
    for line in fstab.split_inclusive('\n') {
        let f: Vec<&str> = line.split_whitespace().collect();
        if line.trim().is_empty() || line.trim_start().starts_with('#') || f.len() != 6 {
            out.push_str(line);
            continue;
        }
        if unescape(f[1]) != want.name {
            out.push_str(line);
            continue;
        }
        exists = true;
        let cur = Entry {
            src: unescape(f[0]),
            name: unescape(f[1]),
            fstype: unescape(f[2]),
            opts: unescape(f[3]),
            dump: f[4].into(),
            passno: f[5].into(),
        };
        if cur != *want {
            changed = true;
            out.push_str(&want.line());
        } else {
            out.push_str(line);
        }
    }
    if !exists {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(&want.line());
        changed = true;
    }
    (out, changed)
}

/// 1.2's `unset_mount`: every entry for `name` removed.
pub fn unset_mount(fstab: &str, name: &str) -> (String, bool) {
    let mut out = String::new();
    let mut changed = false;
    for line in fstab.split_inclusive('\n') {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() == 6 && !line.trim_start().starts_with('#') && unescape(f[1]) == name {
            changed = true;
        } else {
            out.push_str(line);
        }
    }
    (out, changed)
}

#[async_trait]
impl Module for Mount {
    fn name(&self) -> &'static str {
        "mount"
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
        let state = args.str("state").unwrap_or("present").to_string();
        let fstab = args.str("fstab").unwrap_or("/etc/fstab").to_string();
        let opts = args.str("opts").unwrap_or("defaults").to_string();
        if opts.contains(' ') {
            return Ok(ModuleResult::failed("unexpected space in 'opts' parameter"));
        }
        if matches!(state.as_str(), "present" | "mounted") {
            for req in ["src", "fstype"] {
                if args.str(req).is_none() {
                    return Ok(ModuleResult::failed(format!(
                        "missing required arguments: {req}"
                    )));
                }
            }
        }
        let want = Entry {
            src: args.str("src").unwrap_or_default().into(),
            name: name.clone(),
            fstype: args.str("fstype").unwrap_or_default().into(),
            opts: opts.clone(),
            dump: args.str("dump").unwrap_or("0").into(),
            passno: args.str("passno").unwrap_or("0").into(),
        };
        let n = shell_quote(&name);
        let f = shell_quote(&fstab);
        let q = format!(
            "mountpoint -q -- {n} 2>/dev/null && echo MOUNTED; [ -e {n} ] && echo EXISTS; \
             if [ -f {f} ]; then printf '\\n--FLOCK-CONTENT--\\n'; cat -- {f}; fi; true"
        );
        let out = ctx.remote.sh(&q).await?;
        let stdout = out.stdout_str();
        let mark = "\n--FLOCK-CONTENT--\n";
        let (head, old) = match stdout.find(mark) {
            Some(i) => (&stdout[..i], &stdout[i + mark.len()..]),
            None => (stdout.as_str(), ""),
        };
        let mounted = head.lines().any(|l| l == "MOUNTED");
        let exists = head.lines().any(|l| l == "EXISTS");
        let t_opt = if fstab == "/etc/fstab" {
            String::new()
        } else {
            format!("-T {f} ")
        };
        let mut new_fstab = None;
        let mut script = String::new();
        let mut changed = false;
        match state.as_str() {
            "absent" => {
                let (text, c) = unset_mount(old, &name);
                if c {
                    changed = true;
                    new_fstab = Some(text);
                    if mounted {
                        script.push_str(&format!("umount -- {n}; "));
                    }
                    if exists {
                        script.push_str(&format!("rmdir -- {n}; "));
                    }
                }
            }
            "unmounted" => {
                if mounted {
                    changed = true;
                    script.push_str(&format!("umount -- {n}; "));
                }
            }
            "remounted" => {
                changed = true;
                script.push_str(&format!("mount {t_opt}-o remount -- {n}; "));
            }
            _ => {
                let (text, c) = set_mount(old, &want);
                if c {
                    changed = true;
                    new_fstab = Some(text);
                }
                if state == "mounted" {
                    if !exists {
                        script.push_str(&format!("mkdir -p -- {n}; "));
                    }
                    if mounted {
                        if c {
                            script.push_str(&format!("mount {t_opt}-o remount -- {n}; "));
                        }
                    } else {
                        changed = true;
                        script.push_str(&format!("mount {t_opt}-- {n}; "));
                    }
                }
            }
        }
        let mut res = ModuleResult::changed(changed)
            .with("name", name.clone())
            .with("src", want.src.clone())
            .with("fstype", want.fstype.clone())
            .with("opts", want.opts.clone())
            .with("dump", want.dump.clone())
            .with("passno", want.passno.clone())
            .with("fstab", fstab.clone());
        if let (true, Some(t)) = (ctx.diff_mode, &new_fstab) {
            if let Some(d) = content_diff(&fstab, old.as_bytes(), t.as_bytes()) {
                res.diffs.push(d);
            }
        }
        if !changed || ctx.check_mode {
            return Ok(res);
        }
        let mut full = String::from("set -e; ");
        if new_fstab.is_some() {
            full.push_str(&format!(
                "( {} ); ",
                write_script(&fstab, &FileAttrs::default(), &WriteOptions::default())
            ));
        }
        full.push_str(&script);
        let data = new_fstab.unwrap_or_default();
        let out = ctx.remote.sh_stdin(&full, data.as_bytes()).await?;
        if out.rc != 0 {
            let verb = match state.as_str() {
                "absent" | "unmounted" => "unmounting",
                _ => "mounting",
            };
            return Ok(ModuleResult::failed(format!(
                "Error {verb} {name}: {}{}",
                out.stdout_str(),
                out.stderr_str().trim()
            ))
            .with("name", name));
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(src: &str, name: &str, opts: &str) -> Entry {
        Entry {
            src: src.into(),
            name: name.into(),
            fstype: "xfs".into(),
            opts: opts.into(),
            dump: "0".into(),
            passno: "0".into(),
        }
    }

    #[test]
    fn edits_fstab_like_12() {
        let fstab = "# comment\nproc /proc proc defaults 0 0\n/dev/vg/a /data xfs defaults 0 0\n";
        let (same, c) = set_mount(fstab, &e("/dev/vg/a", "/data", "defaults"));
        assert!(!c);
        assert_eq!(same, fstab);
        let (t, c) = set_mount(fstab, &e("/dev/vg/a", "/data", "noatime"));
        assert!(c);
        assert!(t.ends_with("/dev/vg/a /data xfs noatime 0 0\n"));
        let (t, c) = set_mount("x y z", &e("/dev/b", "/my dir", "defaults"));
        assert!(c);
        assert_eq!(t, "x y z\n/dev/b /my\\040dir xfs defaults 0 0\n");
        let (t2, c) = set_mount(&t, &e("/dev/b", "/my dir", "defaults"));
        assert!(!c);
        assert_eq!(t2, t);
        let (t, c) = unset_mount(fstab, "/data");
        assert!(c);
        assert_eq!(t, "# comment\nproc /proc proc defaults 0 0\n");
    }
}
