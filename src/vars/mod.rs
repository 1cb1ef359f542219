//! Per-host variables: sources and precedence (Ansible 1.2 and modern). (Implemented in issue 4.)
