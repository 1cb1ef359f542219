#!/usr/bin/env bash
# Regenerates tests/golden/inventory/patterns-modern.txt with ansible-core (ANSIBLE_CORE_BIN:
# a directory holding `ansible`, e.g. a venv's bin/ after `pip install ansible-core`):
# `ansible PATTERN -i lab.ini --list-hosts [-l LIMIT]` for the cases below.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${ANSIBLE_CORE_BIN:?set ANSIBLE_CORE_BIN to the directory of ansible-core\'s ansible}
out=$root/tests/golden/inventory/patterns-modern.txt
cd "$root/tests/data/inventory"
run() { # inv pattern limit
  local args=("$2" -i "$1" --list-hosts)
  [ -n "$3" ] && args+=(-l "$3")
  local res
  res=$(ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0 "$bin/ansible" "${args[@]}" 2>/dev/null) || res=ERROR
  printf '== %s | %s | %s\n' "$1" "$2" "$3"
  if [ "$res" != ERROR ]; then res=$(printf '%s\n' "$res" | { grep -v '^ *hosts (' || true; } | sed 's/^ *//'); fi
  [ -n "$res" ] && printf '%s\n' "$res"
  return 0
}
{
  while IFS='|' read -r inv p l; do run "$inv" "$p" "$l"; done <<'CASES'
lab.ini|all|
lab.ini|*|
lab.ini|core|
lab.ini|core-01|
lab.ini|core-0*|
lab.ini|core-0[12]|
lab.ini|~core-0[12]|
lab.ini|~ore|
lab.ini|~^c|
lab.ini|core:com|
lab.ini|com,core|
lab.ini|core:!core-02|
lab.ini|!core-02:core|
lab.ini|all:&core|
lab.ini|all:!core|
lab.ini|core[1]|
lab.ini|core[0:1]|
lab.ini|core[1:]|
lab.ini|core[-1]|
lab.ini|cn[0:2]|
lab.ini|&core|
lab.ini|!core|
lab.ini|nonexistent|
lab.ini|ungrouped|
lab.ini|prod|
lab.ini|prod:&web|
lab.ini|prod:!db|
lab.ini|*-0?|
lab.ini|web[0]:db[1]|
lab.ini|*.example.com|
lab.ini|db2,wa.example.com,core|
lab.ini|localhost|
lab.ini|all|core-01
lab.ini|all|core,com
lab.ini|all|!core-01
lab.ini|all|@limit.txt
lab.ini|all|core[0:1]
lab.ini|prod|db2:wa.example.com
../../../inventories/example.yml|all|
../../../inventories/example.yml|core[1:]|
../../../inventories/example.ini|core:!core-02|
CASES
} > "$out"
echo "wrote $out ($(grep -c '^==' "$out") cases)"
