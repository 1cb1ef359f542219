//! The messaging family: `rabbitmq_user`, `rabbitmq_plugin` (through `rabbitmqctl` and
//! `rabbitmq-plugins` on the host).

pub mod rabbitmq_plugin;
pub mod rabbitmq_user;

use super::Module;

/// The modules of this family.
pub static MODULES: &[&dyn Module] = &[
    &rabbitmq_user::RabbitmqUser,
    &rabbitmq_plugin::RabbitmqPlugin,
];

/// The tool's error text: stderr, else stdout, trimmed.
pub(crate) fn tool_error(out: &crate::connection::ExecOutput) -> String {
    let err = out.stderr_str();
    if err.trim().is_empty() {
        out.stdout_str().trim().to_string()
    } else {
        err.trim().to_string()
    }
}
