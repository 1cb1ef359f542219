//! The parsed playbook model (plays, tasks, handlers with source positions) and its loader.
//! (Implemented in issue 3.)
