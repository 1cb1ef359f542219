//! Events from the executor and their Ansible-style rendering (`PLAY [...]`, `ok: [host]`, recap).
//! (Implemented in issue 5.)
