//! What a run says when its host pattern and `--limit` leave no host, in each dialect's words:
//!
//! | run | Ansible 1.2 | ansible-core |
//! |---|---|---|
//! | ad-hoc, nothing matches | `No hosts matched`, exit 1 | `[WARNING]: No hosts matched, nothing to do`, exit 0 (exit 1 with `--limit`) |
//! | playbook, `--limit` leaves nothing | `ERROR: provided hosts list is empty`, exit 1 | `[ERROR]: Specified inventory, host pattern and/or --limit leaves us with no hosts to target.`, exit 1 |
//!
//! ansible-core also warns about each pattern element that matches nothing (then `--limit`'s);
//! with an empty inventory it only warns.
//! Both were checked side by side with real 1.2 and ansible-core 2.19 (`tests/host_safety.rs`).

use super::RunError;
use crate::inventory::Inventory;
use crate::template::Dialect;

const CORE_EMPTY: &str =
    "[ERROR]: Specified inventory, host pattern and/or --limit leaves us with no hosts to target.";

/// For an ad-hoc run of `pattern`: `Ok(())` when it selects hosts; otherwise prints the
/// dialect's warnings and returns the stop (message and exit code). `legacy` is 1.2's `ansible`
/// (the toolkit's `flock ping @@HOSTS` and friends, or `--dialect 1.2`).
pub(super) fn check_adhoc(
    inventory: &Inventory,
    pattern: &str,
    limit: Option<&str>,
    legacy: bool,
) -> Result<(), RunError> {
    let dialect = if legacy {
        Dialect::Legacy12
    } else {
        Dialect::Modern
    };
    let hosts = select(inventory, pattern, limit, dialect)?;
    if legacy {
        return match hosts.is_empty() {
            true => Err(stop("No hosts matched", 1)),
            false => Ok(()),
        };
    }
    let empty_inventory = inventory.hosts().is_empty();
    if empty_inventory {
        warn_empty_inventory();
    }
    warn_unmatched(inventory, pattern, limit);
    match (hosts.is_empty(), empty_inventory, limit.is_some()) {
        (false, _, _) => Ok(()),
        (true, true, _) => Err(stop("", 0)),
        (true, false, true) => Err(stop(CORE_EMPTY, 1)),
        (true, false, false) => Err(stop("[WARNING]: No hosts matched, nothing to do", 0)),
    }
}

/// For a playbook run: the inventory restricted by `--limit` must hold a host (1.2 checked even
/// without a limit; ansible-core only warns about an empty inventory).
pub(super) fn check_playbook(
    inventory: &Inventory,
    limit: Option<&str>,
    dialect: Dialect,
) -> Result<(), RunError> {
    let hosts = select(inventory, "all", limit, dialect)?;
    match dialect {
        Dialect::Legacy12 if hosts.is_empty() => {
            Err(stop("ERROR: provided hosts list is empty", 1))
        }
        Dialect::Legacy12 => Ok(()),
        Dialect::Modern if inventory.hosts().is_empty() => {
            warn_empty_inventory();
            Ok(())
        }
        Dialect::Modern => {
            warn_unmatched(inventory, "all", limit);
            match hosts.is_empty() {
                true => Err(stop(CORE_EMPTY, 1)),
                false => Ok(()),
            }
        }
    }
}

fn select(
    inventory: &Inventory,
    pattern: &str,
    limit: Option<&str>,
    dialect: Dialect,
) -> Result<Vec<String>, RunError> {
    inventory
        .select(pattern, limit, dialect)
        .map_err(|e| RunError::Msg(e.to_string()))
}

fn stop(msg: &str, code: u8) -> RunError {
    RunError::Stop {
        msg: msg.to_string(),
        code,
    }
}

fn warn_empty_inventory() {
    eprintln!(
        "[WARNING]: provided hosts list is empty, only localhost is available. Note that the \
         implicit localhost does not match 'all'"
    );
}

/// ansible-core's "Could not match supplied host pattern" for each element of `pattern`, then
/// of `limit`, that matches no host.
fn warn_unmatched(inventory: &Inventory, pattern: &str, limit: Option<&str>) {
    let limit_elems = limit
        .map(|l| inventory.unmatched_elements(l))
        .unwrap_or_default();
    for elem in inventory
        .unmatched_elements(pattern)
        .into_iter()
        .chain(limit_elems)
    {
        eprintln!("[WARNING]: Could not match supplied host pattern, ignoring: {elem}");
    }
}
