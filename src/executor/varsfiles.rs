//! `vars_files` in two passes, as Ansible 1.2 did (spec 6.3): pass 1 when plays are built (static
//! file names, merged into the play's variables), pass 2 per host after facts (names with host
//! variables, merged into the host's cache — where, in 1.2, they stay for later plays too).

use std::path::{Path, PathBuf};

use super::play::Runner;
use super::RunError;
use crate::output::Event;
use crate::playbook::Play;
use crate::template::TemplateContext;
use crate::value::{Map, Value};

/// Reads a vars file: a YAML mapping (an empty file is an empty mapping). Strings get 1.2's
/// brace smushing like playbooks.
pub fn load_vars_file(path: &Path) -> Result<Map, String> {
    let docs = crate::yaml::load_file(path).map_err(|e| e.to_string())?;
    let Some(doc) = docs.into_iter().next() else {
        return Ok(Map::new());
    };
    let mut value = doc.to_value();
    crate::playbook::smush_value(&mut value);
    match value {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        _ => Err(format!("{}: a vars file must be a mapping", path.display())),
    }
}

fn has_vars(s: &str) -> bool {
    s.contains('$') || s.contains("{{")
}

fn resolve(basedir: &Path, name: &str) -> PathBuf {
    let p = Path::new(name);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        basedir.join(p)
    }
}

fn template_name(runner: &Runner, name: &str, vars: &Map, basedir: &Path) -> String {
    let ctx = TemplateContext::new(vars, basedir, runner.dialect, None);
    match runner
        .templar
        .template_value(&Value::String(name.to_string()), &ctx)
    {
        Ok(Value::String(s)) => s,
        _ => name.to_string(),
    }
}

/// Pass 1: the static files of `play` (names without host variables), merged in order. A
/// missing single file is fatal for the whole run ("file not found").
pub fn static_pass(runner: &Runner, play: &Play) -> Result<Map, RunError> {
    let vars = runner.play_vars_only(play);
    let mut merged = Map::new();
    for entry in &play.vars_files {
        match (entry.first_found, entry.candidates.as_slice()) {
            (false, [name, ..]) => {
                let rendered = template_name(runner, name, &vars, &play.basedir);
                if has_vars(&rendered) {
                    continue;
                }
                let path = resolve(&play.basedir, &rendered);
                if !path.exists() {
                    return Err(RunError::Msg(format!("file not found: {}", path.display())));
                }
                merged.extend(load_vars_file(&path).map_err(RunError::Msg)?);
            }
            (_, alts) => {
                for name in alts {
                    let rendered = template_name(runner, name, &vars, &play.basedir);
                    let path = resolve(&play.basedir, &rendered);
                    if path.is_file() {
                        if !has_vars(name) {
                            merged.extend(load_vars_file(&path).map_err(RunError::Msg)?);
                        }
                        break;
                    }
                }
            }
        }
    }
    Ok(merged)
}

/// Pass 2: for every host still in the play, the host-specific files (names that had variables
/// and now resolve), merged into the host's cache.
pub fn host_pass(runner: &mut Runner, play: &Play, hosts: &[String]) -> Result<(), RunError> {
    if play.vars_files.is_empty() {
        return Ok(());
    }
    for host in hosts {
        let vars = runner.play_host_vars(play, host);
        for entry in &play.vars_files {
            match (entry.first_found, entry.candidates.as_slice()) {
                (false, [name, ..]) => {
                    if !has_vars(name) {
                        continue;
                    }
                    let rendered = template_name(runner, name, &vars, &play.basedir);
                    if has_vars(&rendered) {
                        continue;
                    }
                    let path = resolve(&play.basedir, &rendered);
                    if !path.exists() {
                        return Err(RunError::Msg(format!("file not found: {}", path.display())));
                    }
                    let m = load_vars_file(&path).map_err(RunError::Msg)?;
                    runner.store.add_host_file_vars(host, m);
                }
                (_, alts) => {
                    let mut found = false;
                    for name in alts {
                        let rendered = template_name(runner, name, &vars, &play.basedir);
                        let path = resolve(&play.basedir, &rendered);
                        let shown = path.display().to_string();
                        if path.is_file() {
                            if has_vars(name) && !has_vars(&rendered) {
                                let m = load_vars_file(&path).map_err(RunError::Msg)?;
                                runner.store.add_host_file_vars(host, m);
                                runner.output.emit(&Event::Import {
                                    host: host.clone(),
                                    path: shown,
                                    imported: true,
                                });
                            }
                            found = true;
                            break;
                        }
                        runner.output.emit(&Event::Import {
                            host: host.clone(),
                            path: shown,
                            imported: false,
                        });
                    }
                    if !found {
                        let list: Vec<String> = alts.iter().map(|a| format!("'{a}'")).collect();
                        return Err(RunError::Msg(format!(
                            "{host}: FATAL, no files matched for vars_files import sequence: [{}]",
                            list.join(", ")
                        )));
                    }
                }
            }
        }
    }
    Ok(())
}
