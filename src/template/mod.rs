//! Templating: Jinja2 (minijinja with Jinja2 2.7 semantics and Ansible's filters), Ansible 1.2's
//! legacy `$var` pass, and conditions (`when`, `only_if`, `when_*`). (Implemented in issue 4.)
