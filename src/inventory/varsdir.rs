//! `group_vars/` and `host_vars/` beside an inventory or a playbook.
//!
//! Each directory is listed once and every file is read once, up front, so host variables for
//! many hosts cost a hash lookup per group, not a directory scan.
//! Ansible 1.2 reads `NAME`, `NAME.yml`, `NAME.yaml` (all of them, in that order); modern
//! Ansible also reads `NAME.json` and the files inside a `NAME/` directory (sorted).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::InventoryError;
use crate::value::Map;

/// One file's variables, and whether Ansible 1.2 would read that file.
#[derive(Debug)]
struct VarsFile {
    vars: Map,
    legacy: bool,
    /// A bare-named file (`group_vars/README`) that is not a YAML mapping: an error only if
    /// a group or host of that name exists.
    error: Option<InventoryError>,
}

/// The variables files under one directory's `group_vars/` and `host_vars/`.
#[derive(Debug)]
pub(crate) struct VarsDir {
    pub(crate) dir: PathBuf,
    groups: HashMap<String, Vec<VarsFile>>,
    hosts: HashMap<String, Vec<VarsFile>>,
}

impl VarsDir {
    /// Read `dir/group_vars` and `dir/host_vars`; `None` when neither exists.
    pub(crate) fn scan(dir: &Path) -> Result<Option<VarsDir>, InventoryError> {
        let groups = scan_sub(&dir.join("group_vars"))?;
        let hosts = scan_sub(&dir.join("host_vars"))?;
        if groups.is_empty() && hosts.is_empty() {
            return Ok(None);
        }
        Ok(Some(VarsDir {
            dir: dir.to_path_buf(),
            groups,
            hosts,
        }))
    }

    /// Merge group `name`'s files into `out` (only the ones 1.2 reads when `legacy`).
    pub(crate) fn merge_group(&self, name: &str, legacy: bool, out: &mut Map) {
        merge_files(self.groups.get(name), legacy, out);
    }

    /// Files that failed to read, by entity name (an error when that group or host exists).
    pub(crate) fn broken(&self) -> impl Iterator<Item = (&str, &InventoryError)> {
        self.groups
            .iter()
            .chain(self.hosts.iter())
            .flat_map(|(k, files)| {
                files
                    .iter()
                    .filter_map(move |f| f.error.as_ref().map(|e| (k.as_str(), e)))
            })
    }

    /// Merge host `name`'s files into `out`.
    pub(crate) fn merge_host(&self, name: &str, legacy: bool, out: &mut Map) {
        merge_files(self.hosts.get(name), legacy, out);
    }
}

fn merge_files(files: Option<&Vec<VarsFile>>, legacy: bool, out: &mut Map) {
    for f in files.into_iter().flatten().filter(|f| f.legacy || !legacy) {
        for (k, v) in &f.vars {
            out.insert(k.clone(), v.clone());
        }
    }
}

fn io_err(path: &Path, e: std::io::Error) -> InventoryError {
    InventoryError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn sorted_entries(dir: &Path) -> Result<Vec<(String, PathBuf)>, InventoryError> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| io_err(dir, e))?
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(n, _)| !n.starts_with('.') && !n.ends_with('~'))
        .collect();
    v.sort();
    Ok(v)
}

/// Entity name and 1.2 rank (0 = bare, 1 = .yml, 2 = .yaml, 3 = modern only) of a file name.
fn classify(name: &str) -> (&str, u8) {
    if let Some(s) = name.strip_suffix(".yml") {
        (s, 1)
    } else if let Some(s) = name.strip_suffix(".yaml") {
        (s, 2)
    } else if let Some(s) = name.strip_suffix(".json") {
        (s, 3)
    } else {
        (name, 0)
    }
}

fn scan_sub(sub: &Path) -> Result<HashMap<String, Vec<VarsFile>>, InventoryError> {
    let mut out: HashMap<String, Vec<(u8, VarsFile)>> = HashMap::new();
    if !sub.is_dir() {
        return Ok(HashMap::new());
    }
    for (name, path) in sorted_entries(sub)? {
        if path.is_dir() {
            // Modern only: every YAML/JSON file inside `NAME/`, sorted, recursively.
            let mut files = Vec::new();
            collect_dir_files(&path, &mut files)?;
            for f in files {
                let vars = read_vars(&f)?;
                out.entry(name.clone()).or_default().push((
                    4,
                    VarsFile {
                        vars,
                        legacy: false,
                        error: None,
                    },
                ));
            }
            continue;
        }
        let (entity, rank) = classify(&name);
        let file = match read_vars(&path) {
            Ok(vars) => VarsFile {
                vars,
                legacy: rank < 3,
                error: None,
            },
            Err(e) if rank == 0 => VarsFile {
                vars: Map::new(),
                legacy: true,
                error: Some(e),
            },
            Err(e) => return Err(e),
        };
        out.entry(entity.to_string())
            .or_default()
            .push((rank, file));
    }
    Ok(out
        .into_iter()
        .map(|(k, mut v)| {
            v.sort_by_key(|(r, _)| *r);
            (k, v.into_iter().map(|(_, f)| f).collect())
        })
        .collect())
}

fn collect_dir_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), InventoryError> {
    for (name, path) in sorted_entries(dir)? {
        if path.is_dir() {
            collect_dir_files(&path, out)?;
        } else if classify(&name).1 != 0 || !name.contains('.') {
            out.push(path);
        }
    }
    Ok(())
}

/// A variables file: a YAML mapping (empty file = no variables).
pub(crate) fn read_vars(path: &Path) -> Result<Map, InventoryError> {
    Ok(crate::vars::load_mapping_file(path)?)
}
