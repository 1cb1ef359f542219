//! What the MySQL modules share: the login options and running SQL with the host's `mysql`.

use crate::connection::shell_quote;
use crate::modules::{ArgKind, ModuleArgs, ModuleContext, ModuleError, OptSpec};

/// The `login_*` options (and `config_file`).
pub fn login_options() -> Vec<OptSpec> {
    vec![
        OptSpec::new("login_user", ArgKind::Str),
        OptSpec::new("login_password", ArgKind::Str).no_log(),
        OptSpec::new("login_host", ArgKind::Str),
        OptSpec::new("login_port", ArgKind::Int),
        OptSpec::new("login_unix_socket", ArgKind::Path),
        OptSpec::new("config_file", ArgKind::Path),
    ]
}

/// Client options for `mysql`/`mysqldump` from the login arguments (password via `MYSQL_PWD`,
/// so it is not on a command line). Returns `(env, options)`.
pub fn client_opts(args: &ModuleArgs) -> (String, String) {
    let mut env = String::new();
    let mut o = String::new();
    if let Some(c) = args.str("config_file") {
        o.push_str(&format!(" --defaults-extra-file={}", shell_quote(c)));
    }
    if let Some(u) = args.str("login_user") {
        o.push_str(&format!(" --user={}", shell_quote(u)));
    }
    if let Some(p) = args.str("login_password") {
        env = format!("MYSQL_PWD={} ", shell_quote(p));
    }
    if let Some(s) = args.str("login_unix_socket") {
        o.push_str(&format!(" --socket={}", shell_quote(s)));
    } else if let Some(h) = args.str("login_host") {
        if h != "localhost" {
            o.push_str(&format!(" --host={} --protocol=tcp", shell_quote(h)));
        }
    }
    if let Some(p) = args.int("login_port") {
        o.push_str(&format!(" --port={p}"));
    }
    (env, o)
}

/// A SQL string literal.
pub fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A SQL identifier (backquoted).
pub fn ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

/// The output of SQL run through `mysql --batch --skip-column-names`.
pub struct SqlOut {
    /// Exit status.
    pub rc: i32,
    /// Rows, tab-separated.
    pub stdout: String,
    /// The client's error message.
    pub stderr: String,
}

/// Runs `sql` (fed on stdin) with the host's `mysql` client.
pub async fn sql(
    ctx: &ModuleContext<'_>,
    args: &ModuleArgs,
    sql: &str,
) -> Result<SqlOut, ModuleError> {
    let (env, opts) = client_opts(args);
    let out = ctx
        .remote
        .sh_stdin(
            &format!("{env}mysql{opts} --batch --skip-column-names"),
            sql.as_bytes(),
        )
        .await?;
    Ok(SqlOut {
        rc: out.rc,
        stdout: out.stdout_str(),
        stderr: out.stderr_str().trim().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_sql() {
        assert_eq!(lit("it's"), "'it\\'s'");
        assert_eq!(ident("a`b"), "`a``b`");
    }
}
