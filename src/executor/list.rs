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
            print!(
                "{}",
                mask_secret_options(book, list::list_tasks(book, &filter))
            );
        }
        if pb.list_tags {
            print!("{}", list::list_tags(book, &filter));
        }
    }
    Ok(Some(0))
}

/// `text` with the action line of every task without a name (what `--list-tasks` shows for it)
/// printed with the values of its module's secret options masked.
fn mask_secret_options(book: &Playbook, mut text: String) -> String {
    fn walk(tasks: &[crate::playbook::Task], text: &mut String) {
        for task in tasks {
            if let Some(b) = &task.block {
                walk(&b.block, text);
                walk(&b.rescue, text);
                walk(&b.always, text);
            }
            let Some(module) = crate::modules::lookup(&task.module) else {
                continue;
            };
            if task.name.is_none() {
                let line = task.display_name();
                let masked = crate::modules::args::mask_kv_string(&line, module.spec());
                if masked != line {
                    *text = text.replace(&line, &masked);
                }
            }
        }
    }
    for play in &book.plays {
        walk(&play.pre_tasks, &mut text);
        walk(&play.tasks, &mut text);
        walk(&play.post_tasks, &mut text);
    }
    text
}
