//! The `ca` module: the grid and OpenVPN CAs from plays, run on the controller, idempotent.
//!
//! ```yaml
//! - local_action: ca host ca=coreca name={{ inventory_hostname }}
//! - local_action: ca sign ca=coreca name={{ inventory_hostname }}
//! - local_action: ca server kind=vpn ca=vpnca name={{ inventory_hostname }}
//! ```
//!
//! The command is the free-form word or `command=`: grid (`kind=grid`, the default) `create`,
//! `host`, `service`, `user`, `sign`, `keys`, `revoke`, `crl`, `cahash`; vpn (`kind=vpn`)
//! `create`, `server`, `client`, `dh`, `ta`, `param`, `revoke`, `crl`. `dir=` (default `.`,
//! relative to the playbook's directory) holds `ca/` and `keys/`. A file that exists already is
//! left alone (`changed: false`); in check mode nothing is written.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use async_trait::async_trait;

use crate::modules::{
    ArgKind, ArgSpec, Module, ModuleArgs, ModuleContext, ModuleError, ModuleResult, OptSpec,
};

use super::grid::Grid;
use super::vpn::{Role, Vpn};
use super::CaError;

/// The `ca` module.
pub struct CaModule;

/// The registered instance.
pub static CA: CaModule = CaModule;

const COMMANDS: &[&str] = &[
    "create", "host", "service", "user", "sign", "keys", "revoke", "crl", "cahash", "server",
    "client", "dh", "ta", "param",
];

static SPEC: LazyLock<ArgSpec> = LazyLock::new(|| ArgSpec {
    options: vec![
        OptSpec::new("free_form", ArgKind::Str),
        OptSpec::new("command", ArgKind::Str).choices(COMMANDS),
        OptSpec::new("kind", ArgKind::Str)
            .choices(&["grid", "vpn"])
            .default("grid"),
        OptSpec::new("ca", ArgKind::Str),
        OptSpec::new("name", ArgKind::Str).aliases(&["id", "fqdn"]),
        OptSpec::new("service", ArgKind::Str),
        OptSpec::new("full_name", ArgKind::Str).aliases(&["fullname"]),
        OptSpec::new("email", ArgKind::Str),
        OptSpec::new("days", ArgKind::Int),
        OptSpec::new("bits", ArgKind::Int),
        OptSpec::new("key", ArgKind::Str),
        OptSpec::new("digest", ArgKind::Str),
        OptSpec::new("dir", ArgKind::Path).default("."),
    ],
    free_form: true,
    file_common: false,
});

#[async_trait]
impl Module for CaModule {
    fn name(&self) -> &'static str {
        "ca"
    }

    fn spec(&self) -> &ArgSpec {
        &SPEC
    }

    async fn run(
        &self,
        ctx: &ModuleContext<'_>,
        args: &ModuleArgs,
    ) -> Result<ModuleResult, ModuleError> {
        let basedir = ctx.basedir.clone();
        let check = ctx.check_mode;
        let args = args.clone();
        // Key generation is CPU work: keep it off the async workers.
        let r = tokio::task::spawn_blocking(move || run_on_controller(&basedir, check, &args))
            .await
            .map_err(|e| ModuleError::Controller(e.to_string()))?;
        Ok(r.unwrap_or_else(|e| ModuleResult::failed(e.to_string())))
    }
}

/// Another host's task created the CA at the same moment: not a failure, and not our change.
fn concurrent_create(r: Result<ModuleResult, CaError>) -> Result<ModuleResult, CaError> {
    match r {
        Err(CaError::Exists(_)) => Ok(ModuleResult::changed(false)),
        other => other,
    }
}

fn need<'a>(args: &'a ModuleArgs, key: &str) -> Result<&'a str, CaError> {
    args.str(key)
        .ok_or_else(|| CaError::Input(format!("missing required arguments: {key}")))
}

/// The module's work without a connection: `basedir` resolves `dir=`.
pub fn run_on_controller(
    basedir: &Path,
    check: bool,
    args: &ModuleArgs,
) -> Result<ModuleResult, CaError> {
    let free = args
        .free_form
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let command = free
        .or(args.str("command"))
        .ok_or_else(|| CaError::Input("missing the command (host, sign, server, ...)".into()))?
        .to_string();
    let dir = args.str("dir").unwrap_or(".");
    let root: PathBuf = if Path::new(dir).is_absolute() {
        dir.into()
    } else {
        basedir.join(dir)
    };
    let spec = match args.str("key") {
        Some(k) => k.parse().map_err(CaError::Input)?,
        None => Default::default(),
    };
    let digest = match args.str("digest") {
        Some(d) => d.parse().map_err(CaError::Input)?,
        None => Default::default(),
    };
    let days = args.int("days").map(|d| d.max(1) as u32);
    // (would change, do it) → result
    let step = |exists: bool, f: &mut dyn FnMut() -> Result<String, CaError>| {
        if exists {
            return Ok(ModuleResult::changed(false));
        }
        if check {
            return Ok(ModuleResult::changed(true));
        }
        let msg = f()?;
        let mut r = ModuleResult::changed(true);
        r.msg = Some(msg);
        Ok::<_, CaError>(r)
    };
    let kind = args.str("kind").unwrap_or("grid");
    if kind == "vpn"
        || matches!(
            command.as_str(),
            "server" | "client" | "dh" | "ta" | "param"
        )
    {
        let mut v = Vpn::new(root.join("ca"));
        v.spec = spec;
        v.digest = digest;
        let ca = args.str("ca").unwrap_or(super::vpn::DEFAULT_CA).to_string();
        let keys = v.keys(&ca);
        let bits = args.int("bits").unwrap_or(2048) as u32;
        return match command.as_str() {
            "create" => concurrent_create(step(keys.join("ca.crt").exists(), &mut || {
                Ok(v.create(&ca, days.unwrap_or(3650))?.display().to_string())
            })),
            "server" | "client" => {
                let name = need(args, "name")?;
                let role = if command == "server" {
                    Role::Server
                } else {
                    Role::Client
                };
                step(keys.join(format!("{name}.crt")).exists(), &mut || {
                    Ok(v.issue(&ca, name, role, days.unwrap_or(3650))?.serial)
                })
            }
            // Once for all hosts: decided and written under the CA's lock.
            "dh" | "ta" | "param" => v.open(&ca)?.locked(|| {
                let dh = command != "ta" && !keys.join(format!("dh{bits}.pem")).exists();
                let ta = command != "dh" && !keys.join("ta.key").exists();
                step(!dh && !ta, &mut || {
                    let mut done = Vec::new();
                    if dh {
                        done.push(v.dh(&ca, bits)?.display().to_string());
                    }
                    if ta {
                        done.push(v.ta(&ca)?.display().to_string());
                    }
                    Ok(done.join(", "))
                })
            }),
            "revoke" => {
                let name = need(args, "name")?;
                let crt = keys.join(format!("{name}.crt"));
                let done = v.open(&ca)?.is_revoked(&crt)?;
                step(done, &mut || v.revoke(&ca, name))
            }
            "crl" => step(false, &mut || {
                Ok(v.crl(&ca, days.unwrap_or(30))?.display().to_string())
            }),
            other => Err(CaError::Input(format!("{other:?} is not a vpn command"))),
        };
    }
    let mut g = Grid::new(root.join("ca"), root.join("keys"));
    g.spec = spec;
    g.digest = digest;
    let ca = need(args, "ca")?.to_string();
    match command.as_str() {
        "create" => {
            let exists = g.ca_dir.join(&ca).join("cacert.pem").exists();
            let mut r = concurrent_create(step(exists, &mut || {
                g.create(&ca, days.unwrap_or(365), args.str("email"))
            }))?;
            if let (false, Ok(h)) = (check && !exists, g.cahash(&ca)) {
                r = r.with("hash", h);
            }
            Ok(r)
        }
        "cahash" => Ok(ModuleResult::ok().with("hash", g.cahash(&ca)?)),
        "host" | "service" | "user" => {
            let name = need(args, "name")?;
            let id = match command.as_str() {
                "service" => format!("{}_{name}", need(args, "service")?),
                _ => name.to_string(),
            };
            let (_, req, cert) = g.paths(&ca, &id);
            step(req.exists() || cert.exists(), &mut || {
                let p = match command.as_str() {
                    "host" => g.host(&ca, name)?,
                    "service" => g.service(&ca, name, need(args, "service")?)?,
                    _ => g.user(&ca, name, need(args, "full_name")?)?,
                };
                Ok(p.display().to_string())
            })
        }
        "sign" => {
            let name = need(args, "name")?;
            let (_, _, cert) = g.paths(&ca, name);
            step(cert.exists(), &mut || Ok(g.sign(&ca, name)?.1.serial))
        }
        "keys" => {
            let name = need(args, "name")?;
            let (_, _, cert) = g.paths(&ca, name);
            let kc = g.keys_dir.join(format!("{name}_cert.pem"));
            let same = std::fs::read(&kc)
                .ok()
                .is_some_and(|a| std::fs::read(&cert).ok() == Some(a));
            step(same, &mut || {
                g.keys(&ca, name)?;
                Ok(kc.display().to_string())
            })
        }
        "revoke" => {
            let name = need(args, "name")?;
            let (_, _, cert) = g.paths(&ca, name);
            let done = g.open(&ca)?.is_revoked(&cert)?;
            step(done, &mut || g.revoke(&ca, name))
        }
        "crl" => step(false, &mut || {
            Ok(g.crl(&ca, days.unwrap_or(30))?.display().to_string())
        }),
        other => Err(CaError::Input(format!(
            "{other:?} is not a grid CA command"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{Map, Value};

    fn args(command: &str, kv: &[(&str, &str)]) -> ModuleArgs {
        let mut m = Map::new();
        for (k, v) in kv {
            m.insert(k.to_string(), Value::String(v.to_string()));
        }
        let mut a = ModuleArgs::validate(&SPEC, &m, Some(command.into())).unwrap();
        a.free_form = Some(command.into());
        a
    }

    #[test]
    fn grid_and_vpn_steps_are_idempotent_and_respect_check_mode() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let ec = ("key", "ec256");
        let run = |check, a: &ModuleArgs| run_on_controller(d, check, a).unwrap();
        let create = args("create", &[("ca", "coreca"), ec]);
        assert!(run(true, &create).changed);
        assert!(!d.join("ca/coreca").exists(), "check mode wrote files");
        let r = run(false, &create);
        assert!(r.changed);
        assert_eq!(r.data.get("hash"), Some(&Value::String("695e84e6".into())));
        assert!(!run(false, &create).changed);
        let host = args("host", &[("ca", "coreca"), ("name", "core-01"), ec]);
        assert!(run(false, &host).changed);
        assert!(!run(false, &host).changed);
        let sign = args("sign", &[("ca", "coreca"), ("name", "core-01")]);
        assert!(run(false, &sign).changed);
        assert!(!run(false, &sign).changed);
        assert!(d.join("ca/coreca/grid-security/core-01_cert.pem").is_file());
        let revoke = args("revoke", &[("ca", "coreca"), ("name", "core-01")]);
        assert!(run(false, &revoke).changed);
        assert!(!run(false, &revoke).changed);

        let vcreate = args("create", &[("kind", "vpn"), ec]);
        assert!(run(false, &vcreate).changed);
        assert!(!run(false, &vcreate).changed);
        let server = args("server", &[("name", "core-01"), ec]);
        assert!(run(false, &server).changed);
        assert!(!run(false, &server).changed);
        let param = args("param", &[]);
        assert!(run(false, &param).changed);
        assert!(!run(false, &param).changed);
        assert!(d.join("ca/vpnca/2.0/keys/dh2048.pem").is_file());

        let e = run_on_controller(d, false, &args("sign", &[("ca", "nosuch"), ("name", "x")]));
        assert!(e.unwrap_err().to_string().contains("unknown CA"));
    }

    /// A play runs a task for all hosts at once: one create wins, every sign gets its own serial.
    #[test]
    fn concurrent_tasks_on_one_ca_do_not_mix() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().to_path_buf();
        let hosts: Vec<String> = (1..=6).map(|i| format!("core-0{i}")).collect();
        // The linear strategy: every host finishes a task before any starts the next.
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(hosts.len()));
        let threads: Vec<_> = hosts
            .iter()
            .cloned()
            .map(|h| {
                let d = d.clone();
                let barrier = barrier.clone();
                std::thread::spawn(move || {
                    let ec = ("key", "ec256");
                    let mut changed = Vec::new();
                    for (cmd, kv) in [
                        ("create", vec![("ca", "coreca"), ec]),
                        ("host", vec![("ca", "coreca"), ("name", h.as_str()), ec]),
                        ("sign", vec![("ca", "coreca"), ("name", h.as_str())]),
                    ] {
                        barrier.wait();
                        let r = run_on_controller(&d, false, &args(cmd, &kv)).unwrap();
                        assert!(!r.failed, "{cmd} {h}: {:?}", r.msg);
                        changed.push(r.changed);
                    }
                    changed
                })
            })
            .collect();
        let results: Vec<Vec<bool>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(
            results.iter().filter(|r| r[0]).count(),
            1,
            "one create: {results:?}"
        );
        assert!(results.iter().all(|r| r[1] && r[2]));
        let g = Grid::new(d.join("ca"), d.join("keys"));
        let auth = g.open("coreca").unwrap();
        let index = auth.index().unwrap();
        let mut serials: Vec<&str> = index.iter().map(|e| e.serial.as_str()).collect();
        serials.sort();
        serials.dedup();
        assert_eq!(serials.len(), 6, "{index:?}");
        for h in &hosts {
            assert_eq!(
                g.verify("coreca", h).unwrap().oneline(),
                format!("/O=Grid/OU=Core/OU=coreca-cahost/CN=host/{h}")
            );
        }
    }
}
