#!/usr/bin/env bash
# Regenerates tests/golden/inventory/patterns.txt with real Ansible 1.2 (`ansible PATTERN -i INV
# --list-hosts [-l LIMIT]`). Needs the oracle of spec section 19 (ANSIBLE12 dir, python 2.7).
# Inventories: tests/data/inventory/lab.ini and the corpus ones (symlinks need no restoring).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${CORPUS:-$root/../shared/flock-2013}
a12=${ANSIBLE12:-/opt/ansible12}
py=${PY27:-$HOME/.pyenv/versions/2.7.18/bin/python}
out=$root/tests/golden/inventory/patterns.txt
cd "$root/tests/data/inventory"
cp -r "$corpus"/{hosts,home,hpc,xen,production,stage} . 2>/dev/null
mkdir -p space && cp "$corpus/space/hosts" space/hosts
trap 'rm -rf hosts home hpc xen production stage space' EXIT
run() { # inv pattern limit
  local args=("$2" -i "$1" --list-hosts)
  [ -n "$3" ] && args+=(-l "$3")
  local res
  res=$(PYENV_VERSION=2.7.18 PYTHONPATH=$a12 "$py" "$a12/bin/ansible" "${args[@]}" 2>&1) || true
  case "$res" in *Traceback*|*ERROR*) res=ERROR ;; *"No hosts matched"*) res="" ;; esac
  printf '== %s | %s | %s\n' "$1" "$2" "$3"
  [ -n "$res" ] && printf '%s\n' "$res" | sed 's/^ *//'
  return 0
}
{
  for inv in hosts home hpc xen production stage space/hosts; do
    for p in all '*' core com core-01 'core-0*' xc z; do run "$inv" "$p" ""; done
  done
  while IFS='|' read -r p l; do run lab.ini "$p" "$l"; done <<'CASES'
all|
*|
core|
com|
core-01|
core-0*|
core-0[12]|
~core-0[12]|
~^c|
~ore|
core:com|
core;com|
core,com|
core:!core-02|
all:&core|
all:!core|
!core:core|
core[1]|
core[0-1]|
core[1-]|
core[-1]|
cn[0-2]|
cn-0[1-2]|
c*:&~0[13]$|
&core|
nonexistent|
ungrouped|
prod|
prod:&web|
prod:!db|
*-0?|
web[0]:db[1]|
:core|
all:!ungrouped|
*.example.com|
w?.example.com|
all|core-01
all|core,com
all|!core-01
all|@limit.txt
all|core[0-1]
all|prod:&db
core|com
prod|db2;wa.example.com
core[0]:core[5]|
!all|
all:!all|
core[a]|
a[1][2]|
~[|
CASES
} > "$out"
echo "wrote $out ($(grep -c '^==' "$out") cases)"
