//! Runs modules directly on the machine itself (`Transport::Local`) against temp dirs: real
//! tools, real files, no mocks. The template renderer is a plumbing stub (rendering is tested
//! with the template stage).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use flock::connection::{ConnectSpec, Connection, Transport};
use flock::modules::args::parse_kv;
use flock::modules::{lookup, ModuleArgs, ModuleContext, ModuleResult, Remote, TemplateRenderer};
use flock::value::{Map, Value};

/// Replaces `{{ name }}` with `NAME-VALUE` and nothing else: enough to see that the module
/// writes what the renderer returns.
pub struct StubRenderer;

impl TemplateRenderer for StubRenderer {
    fn render_file(&self, path: &Path) -> Result<String, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(text.replace("{{ name }}", "NAME-VALUE"))
    }
}

/// A local connection plus a temp dir (the "host" side) and a controller basedir.
pub struct Harness {
    pub conn: Connection,
    pub dir: tempfile::TempDir,
    pub basedir: tempfile::TempDir,
    vars: Map,
}

impl Harness {
    pub async fn new() -> Self {
        let mut spec = ConnectSpec::new("localhost", Transport::Local);
        spec.user = "root".into();
        Self {
            conn: Connection::open(&spec).await.expect("local connection"),
            dir: tempfile::tempdir().expect("tempdir"),
            basedir: tempfile::tempdir().expect("tempdir"),
            vars: Map::new(),
        }
    }

    /// A path inside the host-side temp dir.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The same as a string.
    pub fn p(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    /// Runs `module` with a 1.2-style `k=v` string (free-form words kept for the command family).
    pub async fn kv(&self, module: &str, args: &str, check: bool, diff: bool) -> ModuleResult {
        if matches!(module, "command" | "shell" | "raw") {
            // As the executor splits them: leading `k=v` options, the rest verbatim.
            let mut map = Map::new();
            let mut rest = args.trim_start();
            while let Some((word, tail)) = rest.split_once(' ') {
                match word.split_once('=') {
                    Some((k, v)) if ["creates", "removes", "chdir", "executable"].contains(&k) => {
                        map.insert(k.into(), Value::String(v.into()));
                        rest = tail.trim_start();
                    }
                    _ => break,
                }
            }
            return self
                .map(module, map, Some(rest.to_string()), check, diff)
                .await;
        }
        let (map, rest) = parse_kv(args);
        let free = if rest.is_empty() {
            None
        } else {
            Some(rest.join(" "))
        };
        self.map(module, map, free, check, diff).await
    }

    /// Runs `module` with a modern argument mapping.
    pub async fn map(
        &self,
        module: &str,
        map: Map,
        free: Option<String>,
        check: bool,
        diff: bool,
    ) -> ModuleResult {
        let m = lookup(module).unwrap_or_else(|| panic!("module {module} not registered"));
        let args = match ModuleArgs::validate(m.spec(), &map, free) {
            Ok(a) => a,
            Err(e) => return ModuleResult::failed(e.to_string()),
        };
        let ctx = ModuleContext {
            remote: Remote::new(&self.conn, None),
            check_mode: check,
            diff_mode: diff,
            basedir: self.basedir.path().to_path_buf(),
            vars: &self.vars,
            templates: &StubRenderer,
            dialect: flock::template::Dialect::Legacy12,
        };
        match m.run(&ctx, &args).await {
            Ok(r) => r,
            // A controller-side error, marked so tests can tell it from a module failure.
            Err(flock::modules::ModuleError::Controller(msg)) => {
                ModuleResult::failed(format!("controller: {msg}"))
            }
            Err(e) => panic!("module did not run: {e}"),
        }
    }

    /// Runs and asserts the result did not fail.
    pub async fn ok(&self, module: &str, args: &str) -> ModuleResult {
        let r = self.kv(module, args, false, false).await;
        assert!(!r.failed, "{module} {args} failed: {:?}", r.to_map());
        r
    }
}

/// Builds a mapping from pairs.
pub fn map(pairs: &[(&str, Value)]) -> Map {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// Permission bits of a path.
pub fn mode_of(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p)
        .expect("stat")
        .permissions()
        .mode()
        & 0o7777
}

/// A file name with every character a shell would trip over.
pub const NASTY: &str = "we ird 'q' \"d\" $HOME `id`;x\nnl";
