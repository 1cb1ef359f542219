//! `copy`: a controller file (`src=`, looked up like Ansible's `files/` search) or literal
//! `content=` written to `dest` on the host, atomically, with `backup`, `force`, `validate`.
//! Shared with `template`, which renders its source first and then writes the same way.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::common::{
    add_path_info, agent_probe, agent_write, apply_then_probe, attrs_differ, attrs_fix_script,
    attrs_from_args, content_diff, dirname, find_source, md5_hex, parse_backup, parse_probe,
    sha1_hex, write_script, PathInfo, Probed, WriteOptions, PROBE_FN, VALIDATE_FAILED,
};
use crate::connection::{shell_quote, WriteSource, WRITE_CHUNK};
use crate::modules::args::value_text;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

/// The `copy` module.
pub struct Copy;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("dest", ArgKind::Path).required(),
        OptSpec::new("src", ArgKind::Path),
        OptSpec::new("content", ArgKind::Raw),
        OptSpec::new("backup", ArgKind::Bool).default("no"),
        OptSpec::new("force", ArgKind::Bool)
            .aliases(&["thirsty"])
            .default("yes"),
        OptSpec::new("validate", ArgKind::Str),
        OptSpec::new("directory_mode", ArgKind::Mode),
        OptSpec::new("remote_src", ArgKind::Bool),
        OptSpec::new("checksum", ArgKind::Str),
        OptSpec::new("local_follow", ArgKind::Bool),
        OptSpec::new("decrypt", ArgKind::Bool),
    ],
    free_form: false,
    file_common: true,
});

#[async_trait]
impl Module for Copy {
    fn name(&self) -> &'static str {
        "copy"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let dest = args.str("dest").unwrap_or_default().to_string();
        let (data, src_label, new_mode) = match (args.get("content"), args.str("src")) {
            (Some(_), Some(_)) => {
                return Ok(ModuleResult::failed(
                    "src and content are mutually exclusive",
                ))
            }
            (Some(c), None) => {
                let text = match c {
                    crate::value::Value::String(s) => s.clone(),
                    crate::value::Value::Object(_) | crate::value::Value::Array(_) => {
                        serde_json::to_string(c).unwrap_or_default()
                    }
                    other => value_text(other),
                };
                (Payload::Bytes(text.into_bytes()), None, ctx.new_file_mode())
            }
            (None, Some(src)) => {
                if args.bool("remote_src", false) {
                    return Ok(ModuleResult::failed(
                        "remote_src is not supported by flock's copy; use command: cp",
                    ));
                }
                let Some(path) = find_source(&ctx.basedir, "files", src) else {
                    // 1.2 names the absolute path it looked at (path_dwim).
                    return Ok(ModuleResult::failed(format!(
                        "could not find src={}",
                        super::common::dwim_path(&ctx.basedir, src).display()
                    )));
                };
                if path.is_dir() {
                    return Ok(ModuleResult::failed(format!(
                        "src={src} is a directory; recursive copy is not supported"
                    )));
                }
                let mode = std::fs::metadata(&path)
                    .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777)
                    .unwrap_or(0o644);
                let label = Some((src.to_string(), path.display().to_string()));
                match vault_plaintext(&path, args.bool("decrypt", true)) {
                    Ok(Some(plain)) => (Payload::Bytes(plain), label, mode),
                    Err(msg) => return Ok(ModuleResult::failed(msg)),
                    Ok(None) => match SourceFile::hash(&path) {
                        Ok(f) => (
                            Payload::File(f),
                            Some((src.to_string(), path.display().to_string())),
                            mode,
                        ),
                        Err(e) => {
                            return Ok(ModuleResult::failed(format!(
                                "Source {} not readable: {e}",
                                path.display()
                            )))
                        }
                    },
                }
            }
            (None, None) => {
                return Ok(ModuleResult::failed(
                    "src (or content) and dest are required",
                ))
            }
        };
        let basename = src_label.as_ref().and_then(|(s, _)| {
            std::path::Path::new(s)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        });
        let content = data.content();
        let mut res = put_content(ctx, args, &dest, basename.as_deref(), content, new_mode).await?;
        if let Some((_, full)) = src_label.filter(|_| !res.failed) {
            // 1.2's failures (fail_json) name no `src`.
            res.data.insert("src".into(), full.into());
        }
        Ok(res)
    }
}

/// The plaintext of a vault-encrypted controller file when `decrypt` is on (ansible-core's
/// default), decrypted with the run's secrets; `None` for other files. The error names the file.
fn vault_plaintext(path: &std::path::Path, decrypt: bool) -> Result<Option<Vec<u8>>, String> {
    use std::io::Read;
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    if !decrypt || !crate::vault::is_encrypted(&head[..n]) {
        return Ok(None);
    }
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    crate::vault::plaintext_of(data)
        .map(Some)
        .map_err(|e| format!("{e}.\nOrigin: {}", path.display()))
}

/// A controller file to copy, hashed in one pass without being held in memory.
pub struct SourceFile {
    path: std::path::PathBuf,
    sha1: String,
    md5: String,
    len: u64,
}

impl SourceFile {
    /// Reads `path` once in chunks for its SHA-1 and MD5.
    pub fn hash(path: &std::path::Path) -> std::io::Result<SourceFile> {
        use md5::Digest as _;
        use std::io::Read;
        let mut f = std::fs::File::open(path)?;
        let (mut sha, mut md5) = (sha1::Sha1::new(), md5::Md5::new());
        let mut buf = vec![0u8; 1 << 16];
        let mut len = 0u64;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            sha.update(&buf[..n]);
            md5.update(&buf[..n]);
            len += n as u64;
        }
        Ok(SourceFile {
            path: path.to_path_buf(),
            sha1: hex::encode(sha.finalize()),
            md5: hex::encode(md5.finalize()),
            len,
        })
    }
}

/// What `copy` was given: literal content or a file.
enum Payload {
    Bytes(Vec<u8>),
    File(SourceFile),
}

impl Payload {
    fn content(&self) -> Content<'_> {
        match self {
            Payload::Bytes(b) => Content::Bytes(b),
            Payload::File(f) => Content::File(f),
        }
    }
}

/// What [`put_content`] writes: bytes in memory (`content=`, a rendered template) or a
/// controller file, streamed to the host's agent in chunks (never read whole for it).
#[derive(Clone, Copy)]
pub enum Content<'a> {
    /// In memory.
    Bytes(&'a [u8]),
    /// On the controller's disk.
    File(&'a SourceFile),
}

/// ansible-core's `max_diff_size` (DEFAULT_MAX_DIFF_SIZE): larger files get no `--diff`.
const MAX_DIFF_SIZE: u64 = 104_448;

impl Content<'_> {
    fn sha1(&self) -> String {
        match self {
            Content::Bytes(b) => sha1_hex(b),
            Content::File(f) => f.sha1.clone(),
        }
    }

    fn md5(&self) -> String {
        match self {
            Content::Bytes(b) => md5_hex(b),
            Content::File(f) => f.md5.clone(),
        }
    }

    fn source(&self) -> WriteSource<'_> {
        match self {
            Content::Bytes(b) => WriteSource::Bytes(b),
            Content::File(f) => WriteSource::File(&f.path),
        }
    }

    /// The whole content, for `--diff` (files up to [`MAX_DIFF_SIZE`]) and for hosts written
    /// without the agent (a script reading its stdin), where it is read into memory.
    fn load(&self, limit: Option<u64>) -> std::io::Result<Option<std::borrow::Cow<'_, [u8]>>> {
        Ok(match self {
            Content::Bytes(b) => Some(std::borrow::Cow::Borrowed(b)),
            Content::File(f) if limit.is_some_and(|l| f.len > l) => None,
            Content::File(f) => Some(std::borrow::Cow::Owned(std::fs::read(&f.path)?)),
        })
    }
}

/// Bytes per session when uploading without the agent (`cat >> FILE`, one session each).
const SESSION_CHUNK: usize = 8 << 20;

/// Uploads `content` to a new file `.flock.upload.*` (mode 0600) beside `target`, in chunks:
/// through the agent when it serves the host, else one `cat >>` session per
/// [`SESSION_CHUNK`]. The controller holds one chunk at a time. On failure the partial upload
/// is removed and the error returned.
async fn upload_staged(
    ctx: &ModuleContext<'_>,
    target: &str,
    content: Content<'_>,
) -> Result<Result<String, String>, ModuleError> {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = format!(
        "{}/.flock.upload.{}.{nanos:x}.{n}",
        dirname(target),
        std::process::id()
    );
    let begin = crate::connection::Request::WriteBegin {
        path: path.clone(),
        owner: None,
        group: None,
        mode: Some(0o600),
        new_mode: 0o600,
        mkdir_parent: false,
    };
    if let Some(frame) = ctx
        .remote
        .agent_write_stream(&begin, &path, content.source(), false)
        .await?
    {
        return Ok(match frame.parse::<crate::connection::Response>() {
            Ok(crate::connection::Response::Write { rc: 0, .. }) => Ok(path),
            Ok(crate::connection::Response::Write { error, .. }) => Err(error),
            other => return Err(ctx.remote.unexpected(other).into()),
        });
    }
    let q = shell_quote(&path);
    let created = ctx
        .remote
        .sh(&format!("umask 077; set -C; : > {q}"))
        .await?;
    if created.rc != 0 {
        return Ok(Err(created.stderr_str().trim().to_string()));
    }
    let failed = |e: String| async {
        let _ = ctx.remote.sh(&format!("rm -f -- {q}")).await;
        Ok(Err(e))
    };
    let mut file = match content {
        Content::File(f) => match std::fs::File::open(&f.path) {
            Ok(f) => Some(f),
            Err(e) => return failed(format!("read error: {e}")).await,
        },
        Content::Bytes(_) => None,
    };
    let mut offset = 0usize;
    let mut buf = Vec::with_capacity(SESSION_CHUNK);
    loop {
        buf.clear();
        match (&mut file, content) {
            (Some(f), _) => {
                use std::io::Read;
                if let Err(e) = f.by_ref().take(SESSION_CHUNK as u64).read_to_end(&mut buf) {
                    return failed(format!("read error: {e}")).await;
                }
            }
            (None, Content::Bytes(b)) => {
                let end = (offset + SESSION_CHUNK).min(b.len());
                buf.extend_from_slice(&b[offset..end]);
                offset = end;
            }
            (None, Content::File(_)) => {}
        }
        if buf.is_empty() {
            return Ok(Ok(path));
        }
        let out = ctx.remote.sh_stdin(&format!("cat >> {q}"), &buf).await?;
        if out.rc != 0 {
            return failed(out.stderr_str().trim().to_string()).await;
        }
    }
}

/// What [`query_dest`] found.
struct DestQuery {
    /// The file to write: `dest`, or `dest/basename` when `dest` is a directory.
    target: String,
    /// What is there now (with its SHA-1).
    info: Option<PathInfo>,
    /// Its content, in `--diff` mode.
    old: Option<Vec<u8>>,
    /// The target's directory does not exist.
    no_dir: bool,
}

/// One round trip: resolves a directory destination, probes the target (SHA-1, and content
/// for `--diff`) and checks its parent directory.
async fn query_dest(
    ctx: &ModuleContext<'_>,
    dest: &str,
    basename: Option<&str>,
) -> Result<DestQuery, ModuleError> {
    let in_dir = basename.map(|b| format!("{}/{}", dest.trim_end_matches('/'), b));
    let diff = ctx.diff_mode;
    let dest_parent = dirname(dest);
    let mut paths = vec![(dest, true, diff), (dest_parent.as_str(), false, false)];
    let parent_in = in_dir.as_deref().map(dirname);
    if let (Some(p), Some(parent)) = (in_dir.as_deref(), parent_in.as_deref()) {
        paths.push((p, true, diff));
        paths.push((parent, false, false));
    }
    if let Some(found) = agent_probe(ctx, &paths).await? {
        let is_dir = |p: &Probed| p.follow_kind.as_deref() == Some("directory");
        let (t, parent) = match in_dir {
            Some(p) if is_dir(&found[0]) => (p, 2),
            _ => (dest.to_string(), 0),
        };
        let hit = &found[parent];
        return Ok(DestQuery {
            target: t,
            info: hit.info.clone(),
            old: if diff { hit.content.clone() } else { None },
            no_dir: !is_dir(&found[parent + 1]),
        });
    }
    let q = shell_quote(dest);
    let mut script = format!("{PROBE_FN}p={q}; ");
    if let Some(b) = basename {
        script.push_str(&format!(
            "if [ -d \"$p\" ]; then p=\"$p\"/{}; echo DIR; fi; ",
            shell_quote(b)
        ));
    }
    script.push_str(
        "flock_probe \"$p\" sha; [ -d \"$(dirname -- \"$p\")\" ] || echo NODIR; \
         if [ -f \"$p\" ] && [ -n \"$FLOCK_DIFF\" ]; then printf '\\n--FLOCK-CONTENT--\\n'; cat -- \"$p\"; fi",
    );
    let flag = if diff {
        "FLOCK_DIFF=1; "
    } else {
        "FLOCK_DIFF=; "
    };
    let out = ctx.remote.sh(&format!("{flag}{script}")).await?;
    let mark = b"\n--FLOCK-CONTENT--\n";
    let (head, old) = match out.stdout.windows(mark.len()).position(|w| w == mark) {
        Some(p) => (
            String::from_utf8_lossy(&out.stdout[..p]).into_owned(),
            Some(out.stdout[p + mark.len()..].to_vec()),
        ),
        None => (out.stdout_str(), None),
    };
    let target = if head.lines().any(|l| l == "DIR") {
        in_dir.unwrap_or_else(|| dest.to_string())
    } else {
        dest.to_string()
    };
    Ok(DestQuery {
        target,
        info: parse_probe(&head),
        old,
        no_dir: head.lines().any(|l| l == "NODIR"),
    })
}

/// Writes `data` to `dest` (or `dest/basename` when `dest` is a directory and a basename is
/// given) the way `copy` and `template` do: compare SHA-1s in one exec, then write atomically
/// only when they differ (and `force` or the file is absent), then fix attributes. A new file
/// gets `new_mode` unless `mode=` says otherwise.
pub async fn put_content(
    ctx: &ModuleContext<'_>,
    args: &ModuleArgs,
    dest: &str,
    basename: Option<&str>,
    content: Content<'_>,
    new_mode: u32,
) -> Result<ModuleResult, ModuleError> {
    let attrs = attrs_from_args(args);
    let force = args.bool("force", true);
    if basename.is_none() && dest.ends_with('/') {
        return Ok(ModuleResult::failed(format!(
            "dest {dest} is a directory, and there is no source file name to put in it"
        )));
    }
    let DestQuery {
        target,
        info,
        old,
        no_dir,
    } = query_dest(ctx, dest, basename).await?;
    let sha = content.sha1();
    let mut res = ModuleResult::ok();
    res.data.insert("md5sum".into(), content.md5().into());
    if let Some(i) = &info {
        if i.kind == "directory" {
            return Ok(ModuleResult::failed(format!(
                "Destination {target} is a directory"
            )));
        }
    }
    let content_same = info.as_ref().and_then(|i| i.sha1.as_deref()) == Some(sha.as_str());
    if info.is_some() && !content_same && !force {
        let mut r = ModuleResult::ok();
        r.msg = Some("file already exists".into());
        add_path_info(&mut r, "dest", &target, info.as_ref());
        return Ok(r);
    }
    if !content_same {
        if no_dir {
            let dir = std::path::Path::new(&target)
                .parent()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            return Ok(ModuleResult::failed(format!(
                "Destination directory {dir} does not exist"
            )));
        }
        res.changed = true;
        if ctx.diff_mode {
            let new = content.load(Some(MAX_DIFF_SIZE)).ok().flatten();
            if let Some(d) =
                new.and_then(|new| content_diff(&target, old.as_deref().unwrap_or_default(), &new))
            {
                res.diffs.push(d);
            }
        }
        if ctx.check_mode {
            add_path_info(&mut res, "dest", &target, info.as_ref());
            res.data.insert("checksum".into(), sha.into());
            return Ok(res);
        }
        let opts = WriteOptions {
            backup: args.bool("backup", false),
            validate: args.str("validate").map(str::to_string),
            new_mode: Some(new_mode),
        };
        if let Some(v) = &opts.validate {
            if !v.contains("%s") {
                return Ok(ModuleResult::failed(format!(
                    "validate must contain %s: {v}"
                )));
            }
        }
        let source = content.source();
        if let Some(done) = agent_write(ctx, &target, source, &attrs, &opts, false, true).await? {
            return Ok(match done {
                Ok(after) => {
                    add_path_info(&mut res, "dest", &target, after.as_ref());
                    res
                }
                Err(e) => {
                    let mut r = ModuleResult::failed(format!("failed to copy to {target}: {e}"));
                    r.data.insert("dest".into(), target.clone().into());
                    r
                }
            });
        }
        // Large data is uploaded beside the target first, in chunks; the write script then
        // reads it from there instead of from its stdin.
        let staged = match content {
            Content::Bytes(b) if b.len() <= WRITE_CHUNK => None,
            _ => match upload_staged(ctx, &target, content).await? {
                Ok(path) => Some(path),
                Err(e) => {
                    let mut r = ModuleResult::failed(format!("failed to copy to {target}: {e}"));
                    r.data.insert("dest".into(), target.clone().into());
                    return Ok(r);
                }
            },
        };
        let input = match &staged {
            Some(p) => format!("exec < {q} && rm -f -- {q}; ", q = shell_quote(p)),
            None => String::new(),
        };
        let full = format!(
            "{PROBE_FN}( set -e; {input}{}\n); rc=$?; [ $rc -eq 0 ] || exit $rc; flock_probe {} sha",
            write_script(&target, &attrs, &opts),
            shell_quote(&target)
        );
        let out = match (&staged, content) {
            (None, Content::Bytes(b)) => ctx.remote.sh_stdin(&full, b).await?,
            _ => ctx.remote.sh(&full).await?,
        };
        if out.rc != 0 {
            let err = out.stderr_str();
            let mut r = if out.rc == VALIDATE_FAILED {
                let mut lines: Vec<&str> = err.trim_end().lines().collect();
                let rc = lines
                    .pop()
                    .and_then(|l| l.strip_prefix("validate rc:"))
                    .unwrap_or("?")
                    .to_string();
                ModuleResult::failed(format!(
                    "failed to validate: rc:{rc} error:{}",
                    lines.join("\n")
                ))
            } else {
                ModuleResult::failed(format!("failed to copy to {target}: {}", err.trim()))
            };
            r.data.insert("dest".into(), target.clone().into());
            return Ok(r);
        }
        let stdout = out.stdout_str();
        if let Some(b) = parse_backup(&stdout) {
            res.data.insert("backup_file".into(), b.into());
        }
        add_path_info(&mut res, "dest", &target, parse_probe(&stdout).as_ref());
        return Ok(res);
    }
    // Same content: only attributes may need fixing.
    let info = info.unwrap_or_default();
    let (o, g, m) = attrs_differ(&info, &attrs);
    if !(o || g || m) {
        add_path_info(&mut res, "dest", &target, Some(&info));
        return Ok(res);
    }
    res.changed = true;
    if ctx.check_mode {
        add_path_info(&mut res, "dest", &target, Some(&info));
        return Ok(res);
    }
    match apply_then_probe(
        ctx,
        &attrs_fix_script(&target, &info, &attrs),
        &target,
        None,
    )
    .await?
    {
        Ok(after) => add_path_info(&mut res, "dest", &target, after.as_ref()),
        Err(e) => {
            let mut r = ModuleResult::failed(e);
            r.data.insert("dest".into(), target.into());
            return Ok(r);
        }
    }
    Ok(res)
}
