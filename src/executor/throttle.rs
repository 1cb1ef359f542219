//! `throttle` (modern): how many hosts run a task at once, below `--forks`. The task's own
//! value, else its closest block's, else the play's; templated with the first host's
//! variables as ansible-core's strategy does.

use super::play::Runner;
use super::RunError;
use crate::playbook::{Play, Task};
use crate::template::Dialect;
use crate::value::Value;

impl Runner {
    /// The number of hosts that run `task` at once: `--forks`, lowered by `throttle` when it
    /// is set to a positive number. A value that is not an integer stops the run with
    /// ansible-core's message.
    pub(crate) fn task_parallelism(
        &self,
        play: &Play,
        task: &Task,
        first: Option<&str>,
    ) -> Result<usize, RunError> {
        let forks = self.opts.forks.max(1);
        let (Some(raw), Some(first), Dialect::Modern) = (&task.throttle, first, self.dialect)
        else {
            return Ok(forks);
        };
        let vars = self.task_host_vars(play, task, first);
        let ctx = self.templar_ctx(&vars, &task.basedir, None);
        let throttle = self
            .templar
            .template_value(raw, &ctx)
            .map_err(|e| e.to_string())
            .and_then(|value| throttle_number(&value))
            .map_err(|why| {
                RunError::Msg(format!(
                    "Failed to convert the throttle value to an integer: {why}"
                ))
            })?;
        Ok(match throttle {
            n if n > 0 => forks.min(n as usize),
            _ => forks,
        })
    }
}

/// Python's `int(value)` for a throttle value.
fn throttle_number(value: &Value) -> Result<i64, String> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().map(|f| f as i64))
            .ok_or_else(|| format!("invalid number {n}")),
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("invalid literal for int() with base 10: '{s}'")),
        Value::Null => Ok(0),
        Value::Array(_) => Err(not_a_number("list")),
        Value::Object(_) => Err(not_a_number("dict")),
    }
}

fn not_a_number(type_name: &str) -> String {
    format!(
        "int() argument must be a string, a bytes-like object or a real number, not '{type_name}'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_values_convert_as_python_int_does() {
        assert_eq!(throttle_number(&Value::from("3")), Ok(3));
        assert_eq!(throttle_number(&Value::from(5)), Ok(5));
        let e = throttle_number(&Value::from("nope")).unwrap_err();
        assert_eq!(e, "invalid literal for int() with base 10: 'nope'");
    }
}
