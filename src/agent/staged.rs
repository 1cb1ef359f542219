//! Streamed writes in progress (`WriteBegin` … `WriteChunk`s … `WriteCommit`/`WriteAbort`):
//! the temporary file beside each destination, kept across requests. Process-wide, so the
//! in-process local connection (which calls [`super::handle`] per request) shares it with the
//! agent's own loop; [`clear`] removes whatever the controller did not finish.

use std::collections::BTreeMap;
use std::sync::Mutex;

use tempfile::NamedTempFile;

use super::ops;

/// Destination path → its temporary file.
static STAGED: Mutex<BTreeMap<String, NamedTempFile>> = Mutex::new(BTreeMap::new());

fn with<T>(f: impl FnOnce(&mut BTreeMap<String, NamedTempFile>) -> T) -> T {
    let mut map = STAGED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut map)
}

/// Starts a streamed write of `path` (an unfinished one for the same path is dropped).
pub(super) fn begin(path: &str, attrs: &ops::WriteAttrs) -> Result<(), String> {
    let tmp = ops::stage(path, attrs)?;
    with(|m| m.insert(path.to_string(), tmp));
    Ok(())
}

/// Appends `data`; on a failure the write is dropped.
pub(super) fn append(path: &str, data: &[u8]) -> Result<(), String> {
    with(|m| {
        let tmp = m
            .get_mut(path)
            .ok_or_else(|| format!("no streamed write of {path} in progress"))?;
        let r = ops::append(tmp, data);
        if r.is_err() {
            m.remove(path);
        }
        r
    })
}

/// fsync and rename over `path`.
pub(super) fn commit(path: &str) -> Result<(), String> {
    let tmp = with(|m| m.remove(path))
        .ok_or_else(|| format!("no streamed write of {path} in progress"))?;
    ops::commit(tmp, path)
}

/// Drops the write of `path`, removing its temporary file.
pub(super) fn abort(path: &str) {
    with(|m| m.remove(path));
}

/// Drops every unfinished write.
pub(super) fn clear() {
    with(BTreeMap::clear);
}
