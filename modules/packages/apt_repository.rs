//! `apt_repository`: adds or removes an apt source line (`repo=`), in
//! `/etc/apt/sources.list.d/NAME.list` (NAME derived from the line as Ansible does, or
//! `filename=`), then refreshes the cache (`update_cache`, default yes). One exec reads every
//! source file's active lines; a second one writes the file (atomically) and runs `apt-get update`;
//! when that update fails the file is put back and the task fails with apt's message.

use std::sync::LazyLock;

use async_trait::async_trait;

use crate::connection::shell_quote;
use crate::modules::{
    ArgKind, ArgSpec, FileDiff, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult,
    OptSpec,
};

/// The `apt_repository` module.
pub struct AptRepository;

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("repo", ArgKind::Str).required(),
        OptSpec::new("state", ArgKind::Str)
            .choices(&["present", "absent"])
            .default("present"),
        OptSpec::new("update_cache", ArgKind::Bool)
            .aliases(&["update-cache"])
            .default("yes"),
        OptSpec::new("filename", ArgKind::Str),
        OptSpec::new("mode", ArgKind::Mode),
        OptSpec::new("validate_certs", ArgKind::Bool).default("yes"),
        OptSpec::new("codename", ArgKind::Str),
        OptSpec::new("install_python_apt", ArgKind::Bool),
    ],
    free_form: false,
    file_common: false,
});

const SOURCES_D: &str = "/etc/apt/sources.list.d";

/// A source line with runs of blanks squeezed (how lines are compared).
pub fn normalize(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The file name Ansible suggests for `repo` (`deb http://host/path dist` → `host_path.list`).
pub fn suggest_filename(repo: &str) -> String {
    let no_opts = regex::Regex::new(r"\[[^\]]+\]")
        .map(|r| r.replace_all(repo, "").to_string())
        .unwrap_or_else(|_| repo.to_string());
    let no_proto = regex::Regex::new(r"\w+://")
        .map(|r| r.replace_all(&no_opts, "").to_string())
        .unwrap_or(no_opts);
    let first = no_proto
        .split_whitespace()
        .find(|p| *p != "deb" && *p != "deb-src")
        .unwrap_or("repo");
    let first = first.rsplit_once('@').map_or(first, |(_, h)| h);
    let cleaned: String = first
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    format!(
        "{}.list",
        cleaned.split_whitespace().collect::<Vec<_>>().join("_")
    )
}

/// Reads every source file: `F<TAB>path` then its lines as `L<TAB>text`.
fn query_script() -> String {
    format!(
        "for f in /etc/apt/sources.list {SOURCES_D}/*.list; do [ -f \"$f\" ] || continue; \
         printf 'F\\t%s\\n' \"$f\"; sed 's/^/L\\t/' \"$f\"; done; true"
    )
}

/// Source files and their lines, from [`query_script`]'s output.
fn parse_files(out: &str) -> Vec<(String, Vec<String>)> {
    let mut files: Vec<(String, Vec<String>)> = Vec::new();
    for line in out.lines() {
        if let Some(p) = line.strip_prefix("F\t") {
            files.push((p.to_string(), Vec::new()));
        } else if let Some(l) = line.strip_prefix("L\t") {
            if let Some(last) = files.last_mut() {
                last.1.push(l.to_string());
            }
        } else if line == "L" {
            if let Some(last) = files.last_mut() {
                last.1.push(String::new());
            }
        }
    }
    files
}

fn is_active(line: &str, repo: &str) -> bool {
    let t = line.trim();
    !t.starts_with('#') && normalize(t) == repo
}

#[async_trait]
impl Module for AptRepository {
    fn name(&self) -> &'static str {
        "apt_repository"
    }
    fn spec(&self) -> &ArgSpec {
        &SPEC
    }
    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let repo = normalize(args.str("repo").unwrap_or_default());
        if repo.starts_with("ppa:") {
            return Ok(ModuleResult::failed(
                "ppa: repositories need Launchpad (network); give the full deb line",
            ));
        }
        if !(repo.starts_with("deb ") || repo.starts_with("deb-src ")) {
            return Ok(ModuleResult::failed(format!(
                "Invalid repository string: {repo}"
            )));
        }
        let present = args.str("state") != Some("absent");
        let out = ctx.remote.sh(&query_script()).await?;
        let files = parse_files(&out.stdout_str());
        // The new content of each file that changes.
        let mut writes: Vec<(String, String, String)> = Vec::new();
        if present {
            if !files
                .iter()
                .any(|(_, ls)| ls.iter().any(|l| is_active(l, &repo)))
            {
                let name = match args.str("filename") {
                    Some(f) => format!("{}.list", f.trim_end_matches(".list")),
                    None => suggest_filename(&repo),
                };
                let path = format!("{SOURCES_D}/{name}");
                let old = files
                    .iter()
                    .find(|(p, _)| *p == path)
                    .map(|(_, ls)| ls.iter().map(|l| format!("{l}\n")).collect::<String>())
                    .unwrap_or_default();
                let new = format!("{old}{repo}\n");
                writes.push((path, old, new));
            }
        } else {
            for (path, lines) in &files {
                if lines.iter().any(|l| is_active(l, &repo)) {
                    let old: String = lines.iter().map(|l| format!("{l}\n")).collect();
                    let new: String = lines
                        .iter()
                        .filter(|l| !is_active(l, &repo))
                        .map(|l| format!("{l}\n"))
                        .collect();
                    writes.push((path.clone(), old, new));
                }
            }
        }
        let mut res = ModuleResult::changed(!writes.is_empty())
            .with("repo", repo.clone())
            .with("state", if present { "present" } else { "absent" });
        if ctx.diff_mode {
            res.diffs = writes
                .iter()
                .map(|(p, o, n)| FileDiff {
                    path: p.clone(),
                    before: o.clone(),
                    after: n.clone(),
                })
                .collect();
        }
        if writes.is_empty() || ctx.check_mode {
            return Ok(res);
        }
        let mode = args.mode("mode").unwrap_or(0o644);
        let mut script = String::from("set -e; ");
        let mut undo = String::new();
        for (path, old, new) in &writes {
            let q = shell_quote(path);
            let existed = files.iter().any(|(p, _)| p == path);
            if new.trim().is_empty() {
                script.push_str(&format!("rm -f {q}; "));
            } else {
                script.push_str(&format!(
                    "t=$(mktemp {dir}/.flock.XXXXXX); printf '%s' {c} > \"$t\"; chmod {mode:o} \"$t\"; mv -f \"$t\" {q}; ",
                    dir = SOURCES_D,
                    c = shell_quote(new),
                ));
            }
            if existed {
                undo.push_str(&format!("printf '%s' {} > {q}; ", shell_quote(old)));
            } else {
                undo.push_str(&format!("rm -f {q}; "));
            }
        }
        if args.bool("update_cache", true) {
            // apt-get update only warns about unreachable sources: treat a failed fetch as a
            // failure too, as the repository is what the task is about (`Err:` lines alone are
            // apt probing compressed variants of flat repositories).
            script.push_str(&format!(
                "set +e; o=$(DEBIAN_FRONTEND=noninteractive apt-get update -q 2>&1); rc=$?; \
                 if [ $rc -ne 0 ] || printf '%s' \"$o\" | grep -Eq '^(E:|W: Failed to fetch|W: Some index files failed)'; then \
                 {undo} printf '%s\\n' \"$o\" | grep -E '^(E|W):' >&2; exit 1; fi; true"
            ));
        }
        let run = ctx.remote.sh(&script).await?;
        if run.rc != 0 {
            return Ok(ModuleResult::failed(run.stderr_str().trim().to_string())
                .with("repo", repo)
                .with("rc", run.rc));
        }
        Ok(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_ansible_file_names() {
        assert_eq!(
            suggest_filename("deb http://dl.google.com/linux/chrome/deb/ stable main"),
            "dl_google_com_linux_chrome_deb.list"
        );
        assert_eq!(
            suggest_filename("deb [trusted=yes] file:/srv/flock-lab/apt2 ./"),
            "file_srv_flock_lab_apt2.list"
        );
        assert_eq!(
            suggest_filename("deb http://user:pw@example.org/debian sid main"),
            "example_org_debian.list"
        );
    }

    #[test]
    fn compares_normalized_active_lines() {
        assert!(is_active("deb  http://x   y main", "deb http://x y main"));
        assert!(!is_active("# deb http://x y main", "deb http://x y main"));
        let f = parse_files("F\t/etc/apt/sources.list.d/a.list\nL\tdeb x y\nL\n");
        assert_eq!(f[0].1, vec!["deb x y".to_string(), String::new()]);
    }
}
