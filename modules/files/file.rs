//! `file`: the state of a path (file, directory, link, hard, touch, absent), its owner, group
//! and mode, optionally recursively. One exec finds what must change; a second one changes it.

use std::sync::LazyLock;

use async_trait::async_trait;

use super::common::{
    add_path_info, agent_probe, apply_then_probe, attrs_fix_script, attrs_from_args, dirname,
    parse_probe, set_attrs_script, PathInfo, PROBE_FN,
};
use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, FileAttrs, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult,
    OptSpec,
};

/// The `file` module.
pub struct File;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("path", ArgKind::Path)
            .required()
            .aliases(&["dest", "name"]),
        OptSpec::new("state", ArgKind::Str).choices(&[
            "file",
            "directory",
            "link",
            "hard",
            "touch",
            "absent",
        ]),
        OptSpec::new("recurse", ArgKind::Bool).default("no"),
        OptSpec::new("diff_peek", ArgKind::Raw),
        OptSpec::new("validate", ArgKind::Str),
        OptSpec::new("modification_time", ArgKind::Str),
        OptSpec::new("access_time", ArgKind::Str),
    ],
    free_form: false,
    file_common: true,
});

/// What the query found.
struct Found {
    info: Option<PathInfo>,
    src_exists: bool,
    same_inode: bool,
    recurse_differs: bool,
}

fn query_script(path: &str, src: Option<&str>, recurse: Option<&FileAttrs>) -> String {
    let q = shell_quote(path);
    let mut s = format!("{PROBE_FN}flock_probe {q}; ");
    if let Some(src) = src {
        let sq = shell_quote(src);
        s.push_str(&format!(
            "( cd \"$(dirname -- {q})\" 2>/dev/null; [ -e {sq} ] ) && echo SRCOK; \
             [ {q} -ef {sq} ] && echo SAME; "
        ));
    }
    if let Some(a) = recurse {
        let mut tests = Vec::new();
        if let Some(o) = &a.owner {
            tests.push(format!("! -user {}", shell_quote(o)));
        }
        if let Some(g) = &a.group {
            tests.push(format!("! -group {}", shell_quote(g)));
        }
        if let Some(m) = a.mode {
            tests.push(format!("! -perm {m:04o}"));
        }
        if !tests.is_empty() {
            s.push_str(&format!(
                "if [ -d {q} ] && [ ! -L {q} ]; then \
                 [ -n \"$(find {q} -mindepth 1 ! -type l \\( {} \\) -print 2>&1 | head -n 1)\" ] && echo RDIFF; fi; ",
                tests.join(" -o ")
            ));
        }
    }
    s.push_str("true");
    s
}

/// One round trip: the path, and for links whether `src` exists (relative to the link's
/// directory) and is the same file; for `recurse`, whether anything below differs. Through the
/// agent when there is one and no recursion is asked for, else with [`query_script`].
async fn query(
    ctx: &ModuleContext<'_>,
    path: &str,
    src: Option<&str>,
    recurse: Option<&FileAttrs>,
) -> Result<Found, ModuleError> {
    if recurse.is_none() {
        let src_path = src.map(|s| {
            if s.starts_with('/') {
                s.to_string()
            } else {
                format!("{}/{s}", dirname(path))
            }
        });
        let mut paths = vec![(path, false, false)];
        if let (Some(rel), Some(s)) = (src_path.as_deref(), src) {
            paths.push((rel, false, false));
            paths.push((s, false, false));
        }
        if let Some(mut p) = agent_probe(ctx, &paths).await? {
            let (src_exists, same_inode) = match p.len() {
                3 => (
                    p[1].follow_kind.is_some(),
                    p[0].follow_id.is_some() && p[0].follow_id == p[2].follow_id,
                ),
                _ => (false, false),
            };
            return Ok(Found {
                info: p.swap_remove(0).info,
                src_exists,
                same_inode,
                recurse_differs: false,
            });
        }
    }
    let out = ctx.remote.sh(&query_script(path, src, recurse)).await?;
    let text = out.stdout_str();
    Ok(Found {
        info: parse_probe(&text),
        src_exists: text.lines().any(|l| l == "SRCOK"),
        same_inode: text.lines().any(|l| l == "SAME"),
        recurse_differs: text.lines().any(|l| l == "RDIFF"),
    })
}

fn recurse_script(path: &str, a: &FileAttrs) -> String {
    set_attrs_script(&shell_quote(path), a, "-R ")
}

#[async_trait]
impl Module for File {
    fn name(&self) -> &'static str {
        "file"
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
        if path.is_empty() {
            return Ok(ModuleResult::failed("path is required"));
        }
        let attrs = attrs_from_args(args);
        let src = args.str("src").map(str::to_string);
        let state_arg = args.str("state").map(str::to_string);
        let recurse = args.bool("recurse", false);
        let force = args.bool("force", false);
        if matches!(state_arg.as_deref(), Some("link") | Some("hard")) && src.is_none() {
            return Ok(ModuleResult::failed(
                "src and dest are required for \"link\" state",
            ));
        }
        if recurse && state_arg.as_deref().is_some_and(|s| s != "directory") {
            return Ok(ModuleResult::failed(
                "recurse option requires state to be 'directory'",
            ));
        }
        let linking = matches!(state_arg.as_deref(), Some("link") | Some("hard"));
        let found = query(
            ctx,
            &path,
            src.as_deref().filter(|_| linking),
            recurse.then_some(&attrs),
        )
        .await?;
        let prev = found
            .info
            .as_ref()
            .map(|i| match i.kind.as_str() {
                "directory" => "directory",
                "link" => "link",
                _ => "file",
            })
            .unwrap_or("absent");
        // Default state: what is there (modern), or `file`.
        let state = state_arg.clone().unwrap_or_else(|| {
            if recurse {
                "directory".into()
            } else if prev == "absent" {
                "file".into()
            } else {
                prev.into()
            }
        });
        let q = shell_quote(&path);
        let mut res = ModuleResult::ok();
        let refuse = |prev: &str| {
            let mut r = ModuleResult::failed(format!(
                "refusing to convert between {prev} and {state} for {path}"
            ));
            r.data.insert("path".into(), path.clone().into());
            r
        };
        // The change script (empty: nothing to do).
        let mut script = String::new();
        match state.as_str() {
            "absent" => {
                if prev != "absent" {
                    script = format!("rm -rf -- {q}");
                }
            }
            "file" => {
                if prev == "absent" {
                    let mut r = ModuleResult::failed(format!(
                        "file ({path}) does not exist, use copy or template module to create"
                    ));
                    r.data.insert("path".into(), path.clone().into());
                    return Ok(r);
                }
                if prev != "file" {
                    return Ok(refuse(prev));
                }
            }
            "touch" => {
                if prev == "directory" || prev == "file" || prev == "absent" {
                    script = format!("touch -- {q}; ");
                } else {
                    return Ok(refuse(prev));
                }
            }
            "directory" => match prev {
                "absent" => script = format!("mkdir -p -- {q}; "),
                "directory" => {}
                other => return Ok(refuse(other)),
            },
            "link" => {
                let src = src.clone().unwrap_or_default();
                if !found.src_exists && !force {
                    // 1.2's fail_json(path=, src=) adds the path's info (add_path_info).
                    let mut r = ModuleResult::failed("src file does not exist");
                    add_path_info(&mut r, "path", &path, found.info.as_ref());
                    r.data.insert("src".into(), src.into());
                    return Ok(r);
                }
                let sq = shell_quote(&src);
                match prev {
                    "absent" => script = format!("ln -s -- {sq} {q}; "),
                    "link" => {
                        let old = found
                            .info
                            .as_ref()
                            .and_then(|i| i.link_target.clone())
                            .unwrap_or_default();
                        if !same_link_target(&path, &old, &src) {
                            script = format!("ln -sfn -- {sq} {q}; ");
                        }
                    }
                    "file" if force => script = format!("rm -f -- {q}; ln -s -- {sq} {q}; "),
                    other => return Ok(refuse(other)),
                }
            }
            "hard" => {
                let src = src.clone().unwrap_or_default();
                if !found.src_exists {
                    return Ok(ModuleResult::failed("src file does not exist"));
                }
                if !found.same_inode {
                    match prev {
                        "directory" => return Ok(refuse(prev)),
                        "file" if !force => {
                            return Ok(ModuleResult::failed(format!(
                                "Cannot link, file exists at destination {path} (use force=yes)"
                            )))
                        }
                        _ => script = format!("ln -f -- {} {q}; ", shell_quote(&src)),
                    }
                }
            }
            _ => unreachable!("validated choices"),
        }
        // Attributes: on the existing path, or on what the script creates (then always set).
        let has_attrs = attrs.owner.is_some() || attrs.group.is_some() || attrs.mode.is_some();
        if state != "absent" && has_attrs {
            let is_link = state == "link";
            if script.is_empty() {
                if let Some(info) = &found.info {
                    script.push_str(&attrs_fix_script(&path, info, &attrs));
                }
            } else {
                let fresh = PathInfo {
                    kind: if is_link { "link".into() } else { "new".into() },
                    mode: u32::MAX,
                    uid: u32::MAX,
                    gid: u32::MAX,
                    owner: String::new(),
                    group: String::new(),
                    ..PathInfo::default()
                };
                script.push_str(&attrs_fix_script(&path, &fresh, &attrs));
            }
            if recurse && found.recurse_differs {
                script.push_str(&recurse_script(&path, &attrs));
            }
        }
        let key = if state == "link" || state == "hard" {
            "dest"
        } else {
            "path"
        };
        if state == "link" || state == "hard" {
            res.data
                .insert("src".into(), src.clone().unwrap_or_default().into());
        }
        if script.is_empty() {
            add_path_info(&mut res, key, &path, found.info.as_ref());
            if state == "absent" {
                res.data.insert("state".into(), "absent".into());
            }
            return Ok(res);
        }
        res.changed = true;
        if ctx.diff_mode {
            res.diffs.push(crate::modules::FileDiff {
                path: path.clone(),
                before: format!("state: {prev}\n{}", attrs_text(found.info.as_ref())),
                after: format!(
                    "state: {state}\n{}",
                    wanted_text(found.info.as_ref(), &attrs)
                ),
            });
        }
        if ctx.check_mode {
            add_path_info(&mut res, key, &path, found.info.as_ref());
            res.data.insert("state".into(), state.into());
            return Ok(res);
        }
        match apply_then_probe(ctx, &script, &path, None).await? {
            Ok(after) => {
                add_path_info(&mut res, key, &path, after.as_ref());
                Ok(res)
            }
            Err(e) => {
                let mut r = ModuleResult::failed(e);
                r.data.insert(key.into(), path.into());
                Ok(r)
            }
        }
    }
}

/// Whether a link pointing at `old` already points at `src` (relative targets are taken
/// relative to the link's directory, as Ansible 1.2 compared them).
fn same_link_target(path: &str, old: &str, src: &str) -> bool {
    if old == src {
        return true;
    }
    let dir = std::path::Path::new(path)
        .parent()
        .unwrap_or(std::path::Path::new("/"));
    let abs = |t: &str| {
        if t.starts_with('/') {
            std::path::PathBuf::from(t)
        } else {
            dir.join(t)
        }
    };
    abs(old) == abs(src)
}

fn attrs_text(info: Option<&PathInfo>) -> String {
    match info {
        Some(i) => format!(
            "owner: {}\ngroup: {}\nmode: {:04o}\n",
            i.owner, i.group, i.mode
        ),
        None => String::new(),
    }
}

fn wanted_text(info: Option<&PathInfo>, a: &FileAttrs) -> String {
    let cur = info.cloned().unwrap_or_default();
    format!(
        "owner: {}\ngroup: {}\nmode: {:04o}\n",
        a.owner.clone().unwrap_or(cur.owner),
        a.group.clone().unwrap_or(cur.group),
        a.mode.unwrap_or(cur.mode)
    )
}
