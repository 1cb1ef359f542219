//! `--syntax-check`, `--list-hosts`, `--list-tasks`, `--list-tags`: print and stop.

use super::RunError;
use crate::cli::{PlaybookOptions, RunOptions};
use crate::inventory::Inventory;
use crate::playbook::list::{self, TagFilter};
use crate::playbook::Playbook;
use crate::template::Dialect;

/// Prints what a list option asks for; `Some(exit code)` when one was given.
pub fn list_modes(
    pb: &PlaybookOptions,
    books: &[Playbook],
    inventory: &Inventory,
    opts: &RunOptions,
    dialect: Dialect,
) -> Result<Option<u8>, RunError> {
    if !(pb.syntax_check || pb.list_hosts || pb.list_tasks || pb.list_tags) {
        return Ok(None);
    }
    let join = |v: &[String]| (!v.is_empty()).then(|| v.join(","));
    let filter = TagFilter::new(
        join(&opts.tags).as_deref(),
        join(&opts.skip_tags).as_deref(),
    );
    for book in books {
        if pb.syntax_check {
            print!("{}", list::syntax_check(book));
            continue;
        }
        if dialect == Dialect::Legacy12 {
            list::check_tags(book, &filter).map_err(RunError::Msg)?;
        }
        if pb.list_hosts {
            let select = |pattern: &str| {
                inventory
                    .select(pattern, opts.limit.as_deref(), dialect)
                    .map_err(|e| e.to_string())
            };
            print!(
                "{}",
                list::list_hosts(book, &select).map_err(RunError::Msg)?
            );
        }
        if pb.list_tasks {
            print!("{}", list::list_tasks(book, &filter));
        }
        if pb.list_tags {
            print!("{}", list::list_tags(book, &filter));
        }
    }
    Ok(Some(0))
}
