#!/usr/bin/env bash
# Regenerates tests/golden/vars/precedence12.txt with real Ansible 1.2: runs
# tests/data/vars12/pb/site.yml (connection: local, debug only) on tests/data/vars12/inv/hosts
# with extra vars, and keeps one line per task and host: `TASK HOST k=v k=v ...`.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
a12=${ANSIBLE12:-/opt/ansible12}
py=${PY27:-$HOME/.pyenv/versions/2.7.18/bin/python}
out=$root/tests/golden/vars/precedence12.txt
cd "$root/tests/data/vars12/pb"
# `./site.yml`: with a bare `site.yml` 1.2 takes '' as the playbook directory and skips the
# playbook's group_vars/host_vars (see docs/compat.md).
PYENV_VERSION=2.7.18 PYTHONPATH=$a12 "$py" "$a12/bin/ansible-playbook" -i ../inv/hosts ./site.yml \
    -e "pe=extra ev=extra ev2=extra" 2>&1 | python3 -c '
import re, sys
task = None
rows = []
for line in sys.stdin.read().replace("}ok:", "}\nok:").splitlines():
    m = re.match(r"TASK: \[(\w+)\]", line)
    if m:
        task = m.group(1)
    m = re.match(r"ok: \[([^\]]+)\] => \{\"msg\": \"(.*)\"\}", line)
    if m:
        rows.append("%s %s %s" % (task, m.group(1), m.group(2)))
print("\n".join(sorted(rows)))
' > "$out"
echo "wrote $out ($(wc -l < "$out") lines)"

# The same run on ansible-core (modern dialect), when ANSIBLE_CORE_BIN names its bin directory.
if [ -n "${ANSIBLE_CORE_BIN:-}" ]; then
  out=$root/tests/golden/vars/precedence-modern.txt
  ANSIBLE_CALLBACK_RESULT_FORMAT=json ANSIBLE_STDOUT_CALLBACK=ansible.builtin.default \
    "$ANSIBLE_CORE_BIN/ansible-playbook" -i ../inv/hosts ./site.yml -e "pe=extra ev=extra ev2=extra" 2>&1 | python3 -c '
import re, sys
task = host = None
rows = []
for line in sys.stdin:
    m = re.match(r"TASK \[(\w+)\]", line)
    if m:
        task = m.group(1)
    m = re.match(r"ok: \[([^\]]+)\] => \{", line)
    if m:
        host = m.group(1)
    m = re.match(r"\s+\"msg\": \"(.*)\"$", line)
    if m:
        rows.append("%s %s %s" % (task, host, m.group(1)))
print("\n".join(sorted(rows)))
' > "$out"
  echo "wrote $out ($(wc -l < "$out") lines)"
fi
