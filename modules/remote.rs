//! [`Remote`]: typed operations on a host over its one connection.
//!
//! Every value that reaches the remote shell goes through [`shell_quote`]. Files are written
//! atomically: a temporary file in the destination directory, owner/group/mode set on it, fsync,
//! then `mv` over the destination, so a failure part-way leaves the old file intact.

use crate::connection::{
    shell_quote, Become, Connection, ConnectionError, ExecOutput, Frame, Request,
};

/// What `stat` tells about a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileStat {
    /// `file`, `directory`, `link`, `other`.
    pub kind: String,
    /// Permission bits (e.g. 0o644).
    pub mode: u32,
    /// Owner name.
    pub owner: String,
    /// Group name.
    pub group: String,
    /// Size in bytes.
    pub size: u64,
    /// Link target, for symlinks.
    pub link_target: Option<String>,
}

/// Owner, group and mode to apply to a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileAttrs {
    /// Owner name or uid.
    pub owner: Option<String>,
    /// Group name or gid.
    pub group: Option<String>,
    /// Permission bits.
    pub mode: Option<u32>,
}

/// Typed remote operations for one host and one task (with its privilege setting).
pub struct Remote<'a> {
    conn: &'a Connection,
    become_: Option<Become>,
}

impl<'a> Remote<'a> {
    /// A handle running commands on `conn`, through sudo when `become_` is set.
    pub fn new(conn: &'a Connection, become_: Option<Become>) -> Self {
        Self { conn, become_ }
    }

    /// The inventory name of the host.
    pub fn host(&self) -> &str {
        self.conn.host()
    }

    /// Sends a typed request to the host's agent (with this task's privilege); `None` when no
    /// agent serves the host, and the caller uses a script instead.
    pub async fn agent_call(
        &self,
        req: &Request,
        blobs: &[&[u8]],
    ) -> Result<Option<Frame>, ConnectionError> {
        self.conn
            .agent_call(req, blobs, self.become_.as_ref())
            .await
    }

    /// [`Connection::agent_write_stream`] for this handle's privilege.
    pub async fn agent_write_stream(
        &self,
        begin: &Request,
        path: &str,
        source: crate::connection::WriteSource<'_>,
        sha1: bool,
    ) -> Result<Option<Frame>, ConnectionError> {
        self.conn
            .agent_write_stream(begin, path, source, sha1, self.become_.as_ref())
            .await
    }

    /// The error for an agent response of the wrong kind.
    pub fn unexpected(&self, got: Result<crate::connection::Response, String>) -> ConnectionError {
        self.conn.unexpected(got)
    }

    /// Runs a shell script (`/bin/sh -c`).
    pub async fn sh(&self, script: &str) -> Result<ExecOutput, ConnectionError> {
        self.conn.exec(script, self.become_.as_ref(), None).await
    }

    /// Runs a shell script with `stdin` fed to it.
    pub async fn sh_stdin(
        &self,
        script: &str,
        stdin: &[u8],
    ) -> Result<ExecOutput, ConnectionError> {
        self.conn
            .exec(script, self.become_.as_ref(), Some(stdin))
            .await
    }

    /// Runs a program with arguments, each quoted (no shell syntax is interpreted).
    pub async fn run(&self, argv: &[&str]) -> Result<ExecOutput, ConnectionError> {
        self.sh(&join_argv(argv)).await
    }

    /// `stat` of a path (not following a final symlink); `None` if it does not exist.
    pub async fn stat(&self, path: &str) -> Result<Option<FileStat>, ConnectionError> {
        let out = self.sh(&stat_script(path)).await?;
        Ok(parse_stat(&out.stdout_str()))
    }

    /// The content of a file, `None` if it does not exist or is not a regular file.
    pub async fn read_file(&self, path: &str) -> Result<Option<Vec<u8>>, ConnectionError> {
        let q = shell_quote(path);
        let out = self.sh(&format!("test -f {q} || exit 3; cat {q}")).await?;
        Ok(if out.rc == 0 { Some(out.stdout) } else { None })
    }

    /// Writes `data` to `path` atomically with `attrs` applied before the rename. Returns the
    /// command output (rc ≠ 0 means the write failed and the old file is untouched).
    pub async fn write_file_atomic(
        &self,
        path: &str,
        data: &[u8],
        attrs: &FileAttrs,
    ) -> Result<ExecOutput, ConnectionError> {
        self.sh_stdin(&atomic_write_script(path, attrs), data).await
    }
}

/// Joins argv into one shell command line, each word quoted.
pub fn join_argv(argv: &[&str]) -> String {
    argv.iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A script printing `kind|mode|owner|group|size|target` for `path`, or nothing when absent.
pub fn stat_script(path: &str) -> String {
    let q = shell_quote(path);
    format!(
        "if [ -L {q} ] || [ -e {q} ]; then stat -c '%F|%a|%U|%G|%s' -- {q}; \
         if [ -L {q} ]; then readlink -- {q}; fi; fi"
    )
}

/// Parses the output of [`stat_script`].
pub fn parse_stat(out: &str) -> Option<FileStat> {
    let mut lines = out.lines();
    let first = lines.next()?;
    let parts: Vec<&str> = first.split('|').collect();
    if parts.len() < 5 {
        return None;
    }
    let kind = match parts[0] {
        "regular file" | "regular empty file" => "file",
        "directory" => "directory",
        "symbolic link" => "link",
        _ => "other",
    };
    Some(FileStat {
        kind: kind.to_string(),
        mode: u32::from_str_radix(parts[1], 8).unwrap_or(0),
        owner: parts[2].to_string(),
        group: parts[3].to_string(),
        size: parts[4].parse().unwrap_or(0),
        link_target: if kind == "link" {
            lines.next().map(str::to_string)
        } else {
            None
        },
    })
}

/// The shell script behind [`Remote::write_file_atomic`]: reads the content from stdin.
pub fn atomic_write_script(path: &str, attrs: &FileAttrs) -> String {
    let q = shell_quote(path);
    let mut s = format!(
        "set -e; d=$(dirname -- {q}); t=$(mktemp \"$d/.flock.XXXXXX\"); \
         trap 'rm -f \"$t\"' EXIT; cat > \"$t\"; "
    );
    // Keep the old file's owner/mode when none is asked for, as Ansible's atomic_move does.
    s.push_str(&format!(
        "if [ -e {q} ]; then chown --reference={q} \"$t\" 2>/dev/null || true; chmod --reference={q} \"$t\"; \
         else chmod 0644 \"$t\"; fi; "
    ));
    if let Some(o) = &attrs.owner {
        s.push_str(&format!("chown {} \"$t\"; ", shell_quote(o)));
    }
    if let Some(g) = &attrs.group {
        s.push_str(&format!("chgrp {} \"$t\"; ", shell_quote(g)));
    }
    if let Some(m) = attrs.mode {
        s.push_str(&format!("chmod {:o} \"$t\"; ", m));
    }
    s.push_str(&format!(
        "sync \"$t\" 2>/dev/null || true; mv -f \"$t\" {q}; trap - EXIT"
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_output() {
        let st = parse_stat("regular file|644|root|root|12\n").unwrap();
        assert_eq!(st.kind, "file");
        assert_eq!(st.mode, 0o644);
        let ln = parse_stat("symbolic link|777|root|root|4\n/tmp\n").unwrap();
        assert_eq!(ln.link_target.as_deref(), Some("/tmp"));
        assert!(parse_stat("").is_none());
    }

    #[test]
    fn quotes_every_word() {
        assert_eq!(join_argv(&["echo", "a b", "it's"]), "echo 'a b' 'it'\\''s'");
    }
}
