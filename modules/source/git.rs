//! `git`: a checkout of `repo` at `dest`, at `version` (`HEAD`, a branch, a tag or a commit).
//!
//! One exec reads the checkout's commit and whether it has local modifications, and asks the
//! remote for its refs (`git ls-remote`); the target commit is resolved here, so `--check` knows
//! whether anything would change without fetching. Then one exec clones (`git clone`, then
//! `git checkout`) or fetches and moves the checkout (`git reset --hard` on a branch, a detached
//! `git checkout` for a tag or commit). Local modifications fail the task unless `force=yes`, with
//! Ansible 1.2's message; git's own message is returned when it fails (unknown repository, …).

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};
use crate::value::Value;

/// The `git` module.
pub struct Git;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("repo", ArgKind::Str)
            .required()
            .aliases(&["name"]),
        OptSpec::new("dest", ArgKind::Path).required(),
        OptSpec::new("version", ArgKind::Str).default("HEAD"),
        OptSpec::new("remote", ArgKind::Str).default("origin"),
        OptSpec::new("force", ArgKind::Bool).default("yes"),
        OptSpec::new("update", ArgKind::Bool).default("yes"),
        OptSpec::new("depth", ArgKind::Int),
        OptSpec::new("accept_hostkey", ArgKind::Bool).default("no"),
        OptSpec::new("executable", ArgKind::Path),
        OptSpec::new("bare", ArgKind::Bool).default("no"),
        OptSpec::new("recursive", ArgKind::Bool).default("yes"),
        OptSpec::new("key_file", ArgKind::Path),
        OptSpec::new("ssh_opts", ArgKind::Str),
        OptSpec::new("clone", ArgKind::Bool).default("yes"),
        OptSpec::new("single_branch", ArgKind::Bool).default("no"),
    ],
    free_form: false,
    file_common: false,
});

/// What the query found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GitState {
    /// `dest` holds a checkout.
    pub exists: bool,
    /// Its current commit.
    pub head: Option<String>,
    /// It has local modifications (tracked files).
    pub dirty: bool,
    /// The remote's refs (`sha`, `refname`); `None` when `ls-remote` failed.
    pub refs: Option<Vec<(String, String)>>,
    /// `ls-remote`'s error output.
    pub remote_error: String,
}

/// Where `version` points on the remote: `(sha, kind)` with kind `head`, `branch`, `tag` or
/// `commit` (a sha not advertised as a ref; `sha` is then `version` itself).
pub fn resolve(refs: &[(String, String)], version: &str) -> (String, &'static str) {
    let find = |name: &str| refs.iter().find(|(_, r)| r == name).map(|(s, _)| s.clone());
    if version == "HEAD" {
        if let Some(s) = find("HEAD") {
            return (s, "head");
        }
    }
    if let Some(s) = find(&format!("refs/heads/{version}")) {
        return (s, "branch");
    }
    // An annotated tag's commit is the peeled `^{}` entry.
    if let Some(s) =
        find(&format!("refs/tags/{version}^{{}}")).or_else(|| find(&format!("refs/tags/{version}")))
    {
        return (s, "tag");
    }
    (version.to_string(), "commit")
}

fn git_env(args: &ModuleArgs) -> String {
    let mut ssh = String::from("ssh");
    if args.bool("accept_hostkey", false) {
        ssh.push_str(" -o StrictHostKeyChecking=no");
    }
    if let Some(k) = args.str("key_file") {
        ssh.push_str(&format!(" -i {} -o IdentitiesOnly=yes", shell_quote(k)));
    }
    if let Some(o) = args.str("ssh_opts") {
        ssh.push(' ');
        ssh.push_str(o);
    }
    format!(
        "GIT_SSH_COMMAND={} GIT_TERMINAL_PROMPT=0 ",
        shell_quote(&ssh)
    )
}

fn query_script(env: &str, git: &str, repo: &str, dest: &str) -> String {
    let d = shell_quote(dest);
    format!(
        "if [ -e {d}/.git ] || [ -f {d}/HEAD -a -d {d}/objects ]; then echo EXISTS; \
           printf 'HEAD\\t%s\\n' \"$(cd {d} && {git} rev-parse HEAD 2>/dev/null)\"; \
           [ -n \"$(cd {d} && {git} status --porcelain --untracked-files=no 2>/dev/null)\" ] && echo DIRTY; fi; \
         e=$(mktemp); if r=$({env}{git} ls-remote {q} 2>\"$e\"); then printf '%s\\n' \"$r\" | sed 's/^/R\\t/'; \
         else echo LSFAIL; sed 's/^/X\\t/' \"$e\"; fi; rm -f \"$e\"; true",
        q = shell_quote(repo)
    )
}

/// Parses [`query_script`]'s output.
pub fn parse_query(out: &str) -> GitState {
    let mut st = GitState::default();
    let mut refs = Vec::new();
    let mut failed = false;
    for line in out.lines() {
        if line == "EXISTS" {
            st.exists = true;
        } else if line == "DIRTY" {
            st.dirty = true;
        } else if line == "LSFAIL" {
            failed = true;
        } else if let Some(h) = line.strip_prefix("HEAD\t") {
            st.head = (!h.is_empty()).then(|| h.to_string());
        } else if let Some(r) = line.strip_prefix("R\t") {
            if let Some((sha, name)) = r.split_once('\t') {
                refs.push((sha.to_string(), name.to_string()));
            }
        } else if let Some(x) = line.strip_prefix("X\t") {
            st.remote_error.push_str(x);
            st.remote_error.push('\n');
        }
    }
    st.refs = (!failed).then_some(refs);
    st
}

#[async_trait]
impl Module for Git {
    fn name(&self) -> &'static str {
        "git"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let repo = args.str("repo").unwrap_or_default().to_string();
        let dest = args.str("dest").unwrap_or_default().to_string();
        let version = args.str("version").unwrap_or("HEAD").to_string();
        let remote = args.str("remote").unwrap_or("origin").to_string();
        let git = args
            .str("executable")
            .map(shell_quote)
            .unwrap_or_else(|| "git".into());
        let env = git_env(args);
        let out = ctx
            .remote
            .sh(&query_script(&env, &git, &repo, &dest))
            .await?;
        let st = parse_query(&out.stdout_str());
        let before = st.head.clone();
        let base = |changed: bool, after: Option<&str>| {
            ModuleResult::changed(changed)
                .with("before", before.clone().map_or(Value::Null, Value::String))
                .with(
                    "after",
                    after.map_or(Value::Null, |a| Value::String(a.to_string())),
                )
        };
        if st.exists && !args.bool("update", true) {
            return Ok(base(false, before.as_deref()));
        }
        let Some(refs) = &st.refs else {
            return Ok(ModuleResult::failed(st.remote_error.trim().to_string()).with("repo", repo));
        };
        let (target, kind) = resolve(refs, &version);
        let at_target = before
            .as_deref()
            .is_some_and(|h| h == target || (kind == "commit" && h.starts_with(&target)));
        if st.exists && st.dirty && !at_target && !args.bool("force", true) {
            return Ok(ModuleResult::failed(
                "Local modifications exist in repository (force=no).",
            ));
        }
        let needs = !st.exists || !at_target || (st.dirty && args.bool("force", true));
        if !needs {
            return Ok(base(false, before.as_deref()));
        }
        if ctx.check_mode {
            let after = (kind != "commit").then_some(target.as_str());
            return Ok(base(true, after));
        }
        let d = shell_quote(&dest);
        let v = shell_quote(&version);
        let t = shell_quote(&target);
        let r = shell_quote(&remote);
        let move_to = match kind {
            "head" => format!("{git} reset -q --hard {t}"),
            "branch" => format!(
                "{{ {git} checkout -q --force {v} 2>/dev/null || {git} checkout -q --force -b {v} {r}/{v}; }} && {git} reset -q --hard {t}"
            ),
            _ => format!("{git} checkout -q --force {t}"),
        };
        let script = if !st.exists {
            let depth = args
                .int("depth")
                .map(|n| format!(" --depth {n}"))
                .unwrap_or_default();
            let checkout = if kind == "head" {
                String::from("true")
            } else if kind == "branch" {
                format!("{git} checkout -q --force {v}")
            } else {
                format!("{git} checkout -q --force {t}")
            };
            format!(
                "set -e; mkdir -p \"$(dirname -- {d})\"; {env}{git} clone -q --origin {r}{depth} -- {q} {d}; \
                 cd {d}; {checkout}; {git} rev-parse HEAD",
                q = shell_quote(&repo)
            )
        } else {
            format!(
                "set -e; cd {d}; {env}{git} fetch -q --tags {r}; {env}{git} fetch -q {r}; {move_to}; {git} rev-parse HEAD"
            )
        };
        let run = ctx.remote.sh(&script).await?;
        if run.rc != 0 {
            return Ok(ModuleResult::failed(run.stderr_str().trim().to_string())
                .with("rc", run.rc)
                .with("before", before.map_or(Value::Null, Value::String)));
        }
        let after = run
            .stdout_str()
            .trim()
            .lines()
            .last()
            .unwrap_or("")
            .to_string();
        Ok(base(
            before.as_deref() != Some(after.as_str()) || st.dirty,
            Some(&after),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_versions() {
        let refs = vec![
            ("aaa".to_string(), "HEAD".to_string()),
            ("aaa".to_string(), "refs/heads/master".to_string()),
            ("bbb".to_string(), "refs/heads/dev".to_string()),
            ("ccc".to_string(), "refs/tags/v1".to_string()),
            ("ddd".to_string(), "refs/tags/v1^{}".to_string()),
        ];
        assert_eq!(resolve(&refs, "HEAD"), ("aaa".into(), "head"));
        assert_eq!(resolve(&refs, "dev"), ("bbb".into(), "branch"));
        assert_eq!(resolve(&refs, "v1"), ("ddd".into(), "tag"));
        assert_eq!(resolve(&refs, "1234abc"), ("1234abc".into(), "commit"));
    }

    #[test]
    fn parses_the_query() {
        let st = parse_query("EXISTS\nHEAD\tabc\nDIRTY\nR\tabc\tHEAD\n");
        assert!(st.exists && st.dirty);
        assert_eq!(st.head.as_deref(), Some("abc"));
        assert_eq!(st.refs.unwrap().len(), 1);
        let st = parse_query("LSFAIL\nX\tfatal: nope\n");
        assert!(st.refs.is_none());
        assert_eq!(st.remote_error, "fatal: nope\n");
    }
}
