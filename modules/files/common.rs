//! Shared pieces of the file modules: one-exec probes of a path (kind, mode, owners, size, link
//! target, SHA-1, optionally the content), attribute fixes, atomic writes with backup and
//! validation, controller-side source lookup, and Ansible's path result keys.

use std::path::{Path, PathBuf};

use crate::connection::{shell_quote, ProbeSpec, Request, Response, WriteSource, WRITE_CHUNK};
use crate::modules::{FileAttrs, FileDiff, ModuleArgs, ModuleContext, ModuleError, ModuleResult};
use crate::value::Value;

pub use crate::agent::proto::PathInfo;

/// A shell function `flock_probe PATH [sha]` printing `S:kind|mode|uid|gid|owner|group|size`,
/// then `L:hex(target)` for a link and `H:sha1` for a regular file when `sha` is given; nothing when
/// the path does not exist. Define it once per script, call it as often as needed.
pub const PROBE_FN: &str = "flock_probe() { if [ -L \"$1\" ] || [ -e \"$1\" ]; then \
     printf 'S:'; stat -c '%F|%a|%u|%g|%U|%G|%s' -- \"$1\"; \
     if [ -L \"$1\" ]; then printf 'L:'; readlink -n -- \"$1\" | od -An -v -tx1 | tr -d ' \\n'; echo; \
     elif [ -n \"$2\" ] && [ -f \"$1\" ]; then printf 'H:'; sha1sum < \"$1\" | cut -d' ' -f1; fi; fi; }; ";

/// A complete script probing `path` (with its SHA-1 when `sha1`).
pub fn probe_script(path: &str, sha1: bool) -> String {
    format!(
        "{PROBE_FN}flock_probe {}{}",
        shell_quote(path),
        if sha1 { " sha" } else { "" }
    )
}

/// Parses the first probe in `out` (lines from `S:` on); `None` when the path was absent.
pub fn parse_probe(out: &str) -> Option<PathInfo> {
    let mut lines = out.lines().skip_while(|l| !l.starts_with("S:"));
    let first = lines.next()?.strip_prefix("S:")?;
    let p: Vec<&str> = first.split('|').collect();
    if p.len() < 7 {
        return None;
    }
    let kind = match p[0] {
        "regular file" | "regular empty file" => "file",
        "directory" => "directory",
        "symbolic link" => "link",
        _ => "other",
    };
    let mut info = PathInfo {
        kind: kind.into(),
        mode: u32::from_str_radix(p[1], 8).unwrap_or(0),
        uid: p[2].parse().unwrap_or(0),
        gid: p[3].parse().unwrap_or(0),
        owner: p[4].into(),
        group: p[5].into(),
        size: p[6].parse().unwrap_or(0),
        ..PathInfo::default()
    };
    for l in lines {
        if let Some(t) = l.strip_prefix("L:") {
            let bytes = hex::decode(t.trim()).unwrap_or_default();
            info.link_target = Some(String::from_utf8_lossy(&bytes).into_owned());
        } else if let Some(h) = l.strip_prefix("H:") {
            info.sha1 = Some(h.trim().to_string());
        } else {
            break;
        }
    }
    Some(info)
}

/// One path as the agent's probe found it.
#[derive(Clone, Debug, Default)]
pub struct Probed {
    /// What is at the path (not following a final symlink); `None` when nothing.
    pub info: Option<PathInfo>,
    /// A regular file's content, when asked for.
    pub content: Option<Vec<u8>>,
    /// The kind after following symlinks (`test -d`, `-f`, `-e`); `None` when it does not exist.
    pub follow_kind: Option<String>,
    /// Device and inode after following symlinks (`test A -ef B`).
    pub follow_id: Option<(u64, u64)>,
}

/// Probes `paths` (path, with SHA-1, with content) in one round trip through the host's agent;
/// `None` when no agent serves the host (callers then use their probe scripts).
pub async fn agent_probe(
    ctx: &ModuleContext<'_>,
    paths: &[(&str, bool, bool)],
) -> Result<Option<Vec<Probed>>, ModuleError> {
    let req = Request::Probe {
        paths: paths
            .iter()
            .map(|(p, sha1, content)| ProbeSpec {
                path: (*p).to_string(),
                sha1: *sha1,
                content: *content,
            })
            .collect(),
    };
    let Some(mut frame) = ctx.remote.agent_call(&req, &[]).await? else {
        return Ok(None);
    };
    let found = match frame.parse::<Response>() {
        Ok(Response::Probe { found }) => found,
        other => return Err(ctx.remote.unexpected(other).into()),
    };
    Ok(Some(
        found
            .into_iter()
            .map(|st| match st {
                None => Probed::default(),
                Some(st) => Probed {
                    content: st.content_blob.map(|i| frame.take_blob(i)),
                    follow_kind: st.follow_kind.clone(),
                    follow_id: st.follow_id,
                    info: Some(st.info),
                },
            })
            .collect(),
    ))
}

/// Writes `data` to `path` through the host's agent (atomically, like [`write_script`]; with
/// `mkdir_parent` its directory is created first) and probes the result (with SHA-1 when
/// `sha1`). `None` when the agent can't do it (no agent, or `backup`/`validate`, which need the
/// shell): the caller runs its script. `Some(Err(msg))` when the write failed.
pub async fn agent_write(
    ctx: &ModuleContext<'_>,
    path: &str,
    source: WriteSource<'_>,
    attrs: &FileAttrs,
    opts: &WriteOptions,
    mkdir_parent: bool,
    sha1: bool,
) -> Result<Option<Result<Option<PathInfo>, String>>, ModuleError> {
    if opts.backup || opts.validate.is_some() {
        return Ok(None);
    }
    let new_mode = opts.new_mode.unwrap_or(0o644);
    let answer = match source {
        // Small enough for one frame: one round trip.
        WriteSource::Bytes(data) if data.len() <= WRITE_CHUNK => {
            let req = Request::Write {
                path: path.to_string(),
                owner: attrs.owner.clone(),
                group: attrs.group.clone(),
                mode: attrs.mode,
                new_mode,
                mkdir_parent,
                sha1,
            };
            ctx.remote.agent_call(&req, &[data]).await?
        }
        _ => {
            let begin = Request::WriteBegin {
                path: path.to_string(),
                owner: attrs.owner.clone(),
                group: attrs.group.clone(),
                mode: attrs.mode,
                new_mode,
                mkdir_parent,
            };
            ctx.remote
                .agent_write_stream(&begin, path, source, sha1)
                .await?
        }
    };
    let Some(frame) = answer else {
        return Ok(None);
    };
    match frame.parse::<Response>() {
        Ok(Response::Write { rc: 0, stat, .. }) => Ok(Some(Ok(stat.map(|s| s.info)))),
        Ok(Response::Write { error, .. }) => Ok(Some(Err(error))),
        other => Err(ctx.remote.unexpected(other).into()),
    }
}

/// The directory part of `path` as `dirname` prints it (`.` for a bare name).
pub fn dirname(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".into();
    }
    match trimmed.rfind('/') {
        None => ".".into(),
        Some(i) => {
            let d = trimmed[..i].trim_end_matches('/');
            if d.is_empty() {
                "/".into()
            } else {
                d.to_string()
            }
        }
    }
}

/// The marker between a probe and a file's content in [`probe_and_read`] output.
const CONTENT_MARK: &[u8] = b"\n--FLOCK-CONTENT--\n";

/// One exec: probes `path` (with SHA-1) and, when it is a regular file, reads its content.
pub async fn probe_and_read(
    ctx: &ModuleContext<'_>,
    path: &str,
) -> Result<(Option<PathInfo>, Option<Vec<u8>>), ModuleError> {
    if let Some(mut found) = agent_probe(ctx, &[(path, true, true)]).await? {
        let p = found.pop().unwrap_or_default();
        return Ok((p.info, p.content));
    }
    let q = shell_quote(path);
    let script = format!(
        "{PROBE_FN}flock_probe {q} sha; if [ -f {q} ]; then printf '\\n--FLOCK-CONTENT--\\n'; cat -- {q}; fi"
    );
    let out = ctx.remote.sh(&script).await?;
    let pos = out
        .stdout
        .windows(CONTENT_MARK.len())
        .position(|w| w == CONTENT_MARK);
    let (head, content) = match pos {
        Some(p) => (
            &out.stdout[..p],
            Some(out.stdout[p + CONTENT_MARK.len()..].to_vec()),
        ),
        None => (&out.stdout[..], None),
    };
    let info = parse_probe(&String::from_utf8_lossy(head));
    let content = if info.as_ref().map(|i| i.kind == "file").unwrap_or(false) {
        content
    } else {
        None
    };
    Ok((info, content))
}

/// Owner, group and mode asked for by the common file options.
pub fn attrs_from_args(args: &ModuleArgs) -> FileAttrs {
    FileAttrs {
        owner: args.str("owner").map(str::to_string),
        group: args.str("group").map(str::to_string),
        mode: args.mode("mode"),
    }
}

fn id_matches(want: &str, name: &str, id: u32) -> bool {
    if want.bytes().all(|b| b.is_ascii_digit()) {
        want.parse::<u32>().ok() == Some(id)
    } else {
        want == name
    }
}

/// Which of `attrs` differ from what `info` found: `(owner, group, mode)`.
pub fn attrs_differ(info: &PathInfo, attrs: &FileAttrs) -> (bool, bool, bool) {
    let owner = attrs
        .owner
        .as_deref()
        .is_some_and(|o| !id_matches(o, &info.owner, info.uid));
    let group = attrs
        .group
        .as_deref()
        .is_some_and(|g| !id_matches(g, &info.group, info.gid));
    let mode = info.kind != "link" && attrs.mode.is_some_and(|m| m != info.mode);
    (owner, group, mode)
}

/// Shell commands setting the differing attributes of `path` (empty when none differ).
/// Symlinks get `chown -h`/`chgrp -h` and no mode (Linux has no link modes).
pub fn attrs_fix_script(path: &str, info: &PathInfo, attrs: &FileAttrs) -> String {
    let (o, g, m) = attrs_differ(info, attrs);
    let differing = FileAttrs {
        owner: attrs.owner.clone().filter(|_| o),
        group: attrs.group.clone().filter(|_| g),
        mode: attrs.mode.filter(|_| m),
    };
    let h = if info.kind == "link" { "-h " } else { "" };
    set_attrs_script(&shell_quote(path), &differing, h)
}

/// `chown`/`chgrp`/`chmod` commands (each ending in `|| exit 1;`) applying every attribute in
/// `attrs` to `target`, a shell word already quoted (`"$t"` or a quoted path); `flags` go
/// before the value (`-R ` for recursion).
pub fn set_attrs_script(target: &str, attrs: &FileAttrs, flags: &str) -> String {
    let mut s = String::new();
    if let Some(o) = &attrs.owner {
        s.push_str(&format!(
            "chown {flags}{} -- {target} || exit 1; ",
            shell_quote(o)
        ));
    }
    if let Some(g) = &attrs.group {
        s.push_str(&format!(
            "chgrp {flags}{} -- {target} || exit 1; ",
            shell_quote(g)
        ));
    }
    if let Some(m) = attrs.mode {
        s.push_str(&format!("chmod {flags}{m:04o} -- {target} || exit 1; "));
    }
    s
}

/// Runs `script` (with `set -e`) followed by a probe of `path`; fails the task with the
/// command's error output when it exits non-zero. Returns the probe after the change.
pub async fn apply_then_probe(
    ctx: &ModuleContext<'_>,
    script: &str,
    path: &str,
    stdin: Option<&[u8]>,
) -> Result<Result<Option<PathInfo>, String>, ModuleError> {
    let full = format!(
        "{PROBE_FN}( set -e; {script}\n); rc=$?; [ $rc -eq 0 ] || exit $rc; flock_probe {}",
        shell_quote(path)
    );
    let out = match stdin {
        Some(data) => ctx.remote.sh_stdin(&full, data).await?,
        None => ctx.remote.sh(&full).await?,
    };
    if out.rc != 0 {
        let err = out.stderr_str();
        let err = err.trim();
        return Ok(Err(if err.is_empty() {
            format!("command failed with rc {}", out.rc)
        } else {
            err.to_string()
        }));
    }
    Ok(Ok(parse_probe(&out.stdout_str())))
}

/// A backup file name as Ansible's `backup_local` makes it: `PATH.PID.YYYY-MM-DD@HH:MM:SS~`
/// (the PID part is the shell's `$$` on the host).
pub fn backup_script(path: &str) -> String {
    let q = shell_quote(path);
    format!("b={q}.$$.$(date +%Y-%m-%d@%H:%M:%S)~; cp -p -- {q} \"$b\"; printf 'B:%s\\n' \"$b\"; ")
}

/// The backup path printed by [`backup_script`], if any.
pub fn parse_backup(out: &str) -> Option<String> {
    out.lines()
        .find_map(|l| l.strip_prefix("B:").map(str::to_string))
}

/// Options of [`write_script`].
#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    /// Copy the old file aside first (`backup=yes`).
    pub backup: bool,
    /// A command run on the temporary file before the rename; `%s` is the file.
    pub validate: Option<String>,
    /// Permission bits of a file that did not exist before (`None`: 0644). Ansible 1.2 (checked
    /// with it on lab hosts) gave new files of `copy content=`, `template` and `lineinfile
    /// create=yes` 0600 (its local temp file's mode) and those of `copy src=` the source's mode.
    pub new_mode: Option<u32>,
}

/// The mode 1.2 gave new files written from a temporary file (`content=`, templates, lineinfile).
pub const NEW_FILE_MODE_12: u32 = 0o600;

/// Exit code of [`write_script`] when validation failed.
pub const VALIDATE_FAILED: i32 = 97;

/// A script writing stdin to `path` atomically: temporary file in the same directory, old
/// owner/mode kept unless `attrs` says otherwise (new files: `opts.new_mode`), attributes set,
/// fsync, optional validation,
/// optional backup of the old file, rename. A failure leaves the old file intact.
pub fn write_script(path: &str, attrs: &FileAttrs, opts: &WriteOptions) -> String {
    let q = shell_quote(path);
    let mut s = format!(
        "d=$(dirname -- {q}); t=$(mktemp \"$d/.flock.XXXXXX\"); \
         trap 'rm -f \"$t\"' EXIT; cat > \"$t\"; \
         if [ -e {q} ]; then chown --reference={q} \"$t\" 2>/dev/null || true; chmod --reference={q} \"$t\"; \
         else chmod {new:04o} \"$t\"; fi; ",
        new = opts.new_mode.unwrap_or(0o644)
    );
    s.push_str(&set_attrs_script("\"$t\"", attrs, ""));
    s.push_str("sync \"$t\" 2>/dev/null || true; ");
    if let Some(v) = &opts.validate {
        let cmd = v.replace("%s", "\"$t\"");
        s.push_str(&format!(
            "vrc=0; ( {cmd} ) 1>&2 || vrc=$?; if [ $vrc -ne 0 ]; then echo \"validate rc:$vrc\" 1>&2; exit {VALIDATE_FAILED}; fi; "
        ));
    }
    if opts.backup {
        s.push_str(&format!("if [ -f {q} ]; then {}fi; ", backup_script(path)));
    }
    s.push_str(&format!("mv -f -- \"$t\" {q}; trap - EXIT"));
    s
}

/// Adds Ansible's path keys (`path` or `dest`, `owner`, `group`, `mode`, `uid`, `gid`, `size`,
/// `state`) from `info`; `state: absent` when there is none.
pub fn add_path_info(res: &mut ModuleResult, key: &str, path: &str, info: Option<&PathInfo>) {
    res.data.insert(key.into(), Value::String(path.into()));
    match info {
        None => {
            res.data.insert("state".into(), "absent".into());
        }
        Some(i) => {
            res.data.insert("owner".into(), i.owner.clone().into());
            res.data.insert("group".into(), i.group.clone().into());
            res.data
                .insert("mode".into(), format!("{:04o}", i.mode).into());
            res.data.insert("uid".into(), i.uid.into());
            res.data.insert("gid".into(), i.gid.into());
            res.data.insert("size".into(), i.size.into());
            let state = match i.kind.as_str() {
                "link" => "link",
                "directory" => "directory",
                _ => "file",
            };
            res.data.insert("state".into(), state.into());
            if let Some(h) = &i.sha1 {
                res.data.insert("checksum".into(), h.clone().into());
            }
        }
    }
}

/// Finds a controller-side source (`copy src=`, `template src=`): absolute as is; relative
/// ones in `basedir/../KIND` (roles: basedir is `roles/x/tasks`), `basedir/KIND`, `basedir`.
pub fn find_source(basedir: &Path, kind: &str, src: &str) -> Option<PathBuf> {
    let p = Path::new(src);
    if p.is_absolute() {
        return p.exists().then(|| p.to_path_buf());
    }
    let mut candidates = Vec::new();
    if basedir.file_name().is_some_and(|n| n == "tasks") {
        if let Some(parent) = basedir.parent() {
            candidates.push(parent.join(kind).join(p));
        }
    }
    candidates.push(basedir.join(kind).join(p));
    candidates.push(basedir.join(p));
    candidates.into_iter().find(|c| c.exists())
}

/// The path Ansible 1.2's `utils.path_dwim(basedir, src)` names for a controller-side source:
/// `basedir/src` made absolute and lexically normalized (`os.path.abspath`), or `src` itself
/// when absolute. 1.2 prints it in "could not find src=..." (see `docs/compat.md`).
pub fn dwim_path(basedir: &Path, src: &str) -> PathBuf {
    let joined = if Path::new(src).is_absolute() {
        PathBuf::from(src)
    } else if basedir.is_absolute() {
        basedir.join(src)
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(basedir)
            .join(src)
    };
    let mut out = PathBuf::from("/");
    for c in joined.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::Normal(n) => out.push(n),
            _ => {}
        }
    }
    out
}

/// Content as text for a diff, `None` when it looks binary (NUL byte) or is over 1 MiB.
pub fn diff_text(data: &[u8]) -> Option<String> {
    if data.len() > 1 << 20 || data.contains(&0) {
        return None;
    }
    Some(String::from_utf8_lossy(data).into_owned())
}

/// A content diff for `--diff` (nothing when either side is binary).
pub fn content_diff(path: &str, before: &[u8], after: &[u8]) -> Option<FileDiff> {
    Some(FileDiff {
        path: path.to_string(),
        before: diff_text(before)?,
        after: diff_text(after)?,
    })
}

/// Hex SHA-1 of `data`.
pub fn sha1_hex(data: &[u8]) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(data))
}

/// Hex MD5 of `data` (1.2's `md5sum` result key).
pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    hex::encode(md5::Md5::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirname_like_the_tool() {
        for (p, d) in [
            ("a", "."),
            ("/a", "/"),
            ("/a/b/", "/a"),
            ("a/b", "a"),
            ("/", "/"),
            ("//x//y", "//x"),
        ] {
            assert_eq!(dirname(p), d, "{p}");
        }
    }

    #[test]
    fn dwim_path_is_abspath_of_the_join() {
        let b = Path::new("/work/corpus/roles/cluster");
        assert_eq!(
            dwim_path(b, "keys/authkey"),
            Path::new("/work/corpus/roles/cluster/keys/authkey")
        );
        assert_eq!(
            dwim_path(b, "../x/./y"),
            Path::new("/work/corpus/roles/x/y")
        );
        assert_eq!(dwim_path(b, "/etc//hosts"), Path::new("/etc/hosts"));
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(dwim_path(Path::new("rel"), "a"), cwd.join("rel/a"));
    }

    #[test]
    fn finds_sources_like_ansible() {
        let d = tempfile::tempdir().unwrap();
        let role = d.path().join("roles/x");
        std::fs::create_dir_all(role.join("tasks")).unwrap();
        std::fs::create_dir_all(role.join("templates")).unwrap();
        std::fs::create_dir_all(d.path().join("templates")).unwrap();
        std::fs::write(role.join("templates/a.j2"), "").unwrap();
        std::fs::write(d.path().join("templates/b.j2"), "").unwrap();
        std::fs::write(d.path().join("c"), "").unwrap();
        let tasks = role.join("tasks");
        assert_eq!(
            find_source(&tasks, "templates", "a.j2"),
            Some(role.join("templates/a.j2"))
        );
        assert_eq!(
            find_source(d.path(), "templates", "b.j2"),
            Some(d.path().join("templates/b.j2"))
        );
        assert_eq!(
            find_source(d.path(), "files", "c"),
            Some(d.path().join("c"))
        );
        assert_eq!(find_source(d.path(), "files", "nope"), None);
    }

    #[test]
    fn parses_probe_output() {
        let i = parse_probe("S:regular file|644|0|0|root|root|12\nH:abc\n").unwrap();
        assert_eq!(i.kind, "file");
        assert_eq!(i.mode, 0o644);
        assert_eq!(i.sha1.as_deref(), Some("abc"));
        let l = parse_probe("S:symbolic link|777|0|0|root|root|4\nL:2f746d70\n").unwrap();
        assert_eq!(l.link_target.as_deref(), Some("/tmp"));
        assert!(parse_probe("").is_none());
        let a = FileAttrs {
            owner: Some("0".into()),
            group: Some("root".into()),
            mode: Some(0o644),
        };
        assert_eq!(attrs_differ(&i, &a), (false, false, false));
        let b = FileAttrs {
            owner: Some("nobody".into()),
            group: None,
            mode: Some(0o600),
        };
        assert_eq!(attrs_differ(&i, &b), (true, false, true));
    }
}
