//! Inventories (Ansible INI, YAML, directories) and host patterns. (Implemented in issue 3.)
