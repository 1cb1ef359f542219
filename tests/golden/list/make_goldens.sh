#!/bin/sh
# Regenerate the --list-tasks / --list-hosts goldens from REAL Ansible 1.2 (spec section 19).
# Usage: make_goldens.sh ANSIBLE12_DIR   (the pip --target dir holding ansible 1.2, Jinja2 2.7,
# PyYAML 3.10). The corpus snapshot stores its git symlinks as small text files holding the link
# target; they are turned back into symlinks in a scratch copy first (as tests/loader_support does).
set -eu
A12=$1
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$HERE/../../../../shared/flock-2013
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp -r "$SRC" "$WORK/flock" && chmod -R u+w "$WORK/flock"
cd "$WORK/flock"
find . -type f -size -64c ! -name '*.md' | while read -r f; do
  c=$(cat "$f")
  case "$c" in *[!A-Za-z0-9./_-]*|'') continue;; esac
  [ -n "$(tail -c1 "$f")" ] || continue      # real files end with a newline
  rm "$f" && ln -s "$c" "$f"
done
run() { PYENV_VERSION=2.7.18 PYTHONPATH=$A12 python2 "$A12/bin/ansible-playbook" -i hosts "$@" 2>&1; }
for pb in bootstrap secure ground grid cluster database mysql scheduler scheduler-master warewulf; do
  run --list-tasks "$pb.yml" > "$HERE/$pb.list-tasks" || true
  run --list-hosts "$pb.yml" > "$HERE/$pb.list-hosts" || true
done
run --list-tasks --tags packages ground.yml > "$HERE/ground.tags-packages.list-tasks" || true
run --list-tasks --tags sudo,wheel bootstrap.yml > "$HERE/bootstrap.tags-sudo-wheel.list-tasks" || true
