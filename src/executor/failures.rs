//! Messages for errors the controller meets while preparing a task (templating its condition,
//! arguments or loop): ansible-core's words in modern playbooks, 1.2's message plus where it
//! happened in 1.2 playbooks.

use crate::error::SourcePos;
use crate::template::TemplateError;

/// What the controller was doing when templating failed.
pub(super) enum Stage<'a> {
    /// Evaluating a `when:` (written at the position given).
    Condition(&'a SourcePos),
    /// Templating the module arguments; the argument that failed (`_raw_params` for a
    /// command line).
    Args(String),
    /// Expanding the loop.
    Loop,
}

/// The task a message is about: its module as written and where it starts.
pub(super) struct TaskRef<'a> {
    /// The module as written (`copy`, `ansible.builtin.copy`).
    pub module: &'a str,
    /// Where the task starts.
    pub pos: &'a SourcePos,
}

impl Stage<'_> {
    /// Where the failing text was written: the condition, or the task.
    fn pos<'t>(&'t self, task: &TaskRef<'t>) -> &'t SourcePos {
        match self {
            Stage::Condition(pos) => pos,
            Stage::Args(_) | Stage::Loop => task.pos,
        }
    }
}

/// ansible-core's message: `Task failed: <what>: <reason>` and the `Origin:` line.
pub(super) fn modern_message(task: &TaskRef<'_>, stage: &Stage<'_>, e: &TemplateError) -> String {
    let reason = e.ansible_reason();
    let what = match stage {
        Stage::Condition(_) => format!("Error while evaluating conditional: {reason}"),
        Stage::Args(key) => format!(
            "Finalization of task args for '{}' failed: Error while resolving value for '{key}': {reason}",
            fq_module(task.module)
        ),
        Stage::Loop => reason,
    };
    format!("Task failed: {what}\nOrigin: {}", stage.pos(task))
}

/// 1.2's message, then where it happened and the undefined variable (which 1.2 never named).
pub(super) fn legacy_message(
    task: &TaskRef<'_>,
    stage: &Stage<'_>,
    e: &TemplateError,
    undefined: Option<&str>,
) -> String {
    let name = e.undefined_name().or(undefined);
    let what = name
        .map(|n| format!(": '{n}' is undefined"))
        .unwrap_or_default();
    format!("{e} ({}{what})", stage.pos(task))
}

/// A module name as ansible-core names it in messages (`ansible.builtin.copy`).
fn fq_module(written: &str) -> String {
    if written.contains('.') {
        written.to_string()
    } else {
        format!("ansible.builtin.{written}")
    }
}

/// A template file's error as the `template` module reports it: 1.2's text in 1.2 playbooks,
/// ansible-core's `Task failed: …` with the template's `Origin:` in modern ones.
pub(super) fn template_file_message(e: &TemplateError, modern: bool) -> String {
    if !modern {
        return e.to_string();
    }
    let origin = match e {
        TemplateError::File { path, line, .. } => format!("{}:{line}", path.display()),
        TemplateError::NotUtf8(path) | TemplateError::Unreadable(path) => {
            path.display().to_string()
        }
        _ => return format!("Task failed: {}", e.ansible_reason()),
    };
    format!("Task failed: {}\nOrigin: {origin}", e.ansible_reason())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn at(line: usize, col: usize) -> SourcePos {
        SourcePos::new(Arc::new(PathBuf::from("site.yml")), line, col)
    }

    fn task(pos: &SourcePos) -> TaskRef<'_> {
        TaskRef {
            module: "command",
            pos,
        }
    }

    fn undefined(name: &str) -> TemplateError {
        TemplateError::Jinja {
            source_name: "x".into(),
            line: 1,
            msg: format!("undefined value: `{name}` is undefined"),
        }
    }

    #[test]
    fn modern_args_failure_reads_like_ansible_core() {
        let pos = at(7, 7);
        let msg = modern_message(
            &task(&pos),
            &Stage::Args("_raw_params".into()),
            &undefined("nosuch"),
        );
        assert_eq!(
            msg,
            "Task failed: Finalization of task args for 'ansible.builtin.command' failed: \
             Error while resolving value for '_raw_params': 'nosuch' is undefined\nOrigin: site.yml:7:7"
        );
    }

    #[test]
    fn modern_condition_failure_names_the_condition() {
        let pos = at(9, 13);
        let task_pos = at(7, 7);
        let syntax = TemplateError::Jinja {
            source_name: "foo bar".into(),
            line: 1,
            msg: "syntax error: unexpected identifier".into(),
        };
        assert_eq!(
            modern_message(&task(&task_pos), &Stage::Condition(&pos), &syntax),
            "Task failed: Error while evaluating conditional: Syntax error in template: \
             unexpected identifier\nOrigin: site.yml:9:13"
        );
    }

    #[test]
    fn legacy_failure_keeps_the_message_and_adds_where_and_what() {
        let pos = at(9, 13);
        let task_pos = at(7, 7);
        let e = TemplateError::Condition(
            "Conditional expression must evaluate to True or False: x".into(),
        );
        assert_eq!(
            legacy_message(
                &task(&task_pos),
                &Stage::Condition(&pos),
                &e,
                Some("nosuchvar")
            ),
            "Conditional expression must evaluate to True or False: x \
             (site.yml:9:13: 'nosuchvar' is undefined)"
        );
    }
}
