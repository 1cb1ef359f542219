#!/usr/bin/env bash
# Builds flock, brings up a local lab of 3 hosts, runs the example playbook (roles/site.yml) on it
# twice (the second run is idempotent: ok, no changes) and prints the play recap. Debian, as root.
set -euo pipefail
cd "$(dirname "$0")/.."

for p in openssh-server iproute2; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" >/dev/null
  fi
done

cargo build --quiet
FLOCK="${CARGO_TARGET_DIR:-$PWD/target}/debug/flock"
LAB=demo
"$FLOCK" lab down --name "$LAB"   # a demo lab left over from an interrupted run
"$FLOCK" lab up --name "$LAB" --hosts 3
trap '"$FLOCK" lab down --name "$LAB"' EXIT
INV=$(mktemp)
"$FLOCK" lab inventory --name "$LAB" > "$INV"
"$FLOCK" lab exec --name "$LAB" -- "$FLOCK" playbook -i "$INV" roles/site.yml
echo "== second run (idempotent)"
"$FLOCK" lab exec --name "$LAB" -- "$FLOCK" playbook -i "$INV" roles/site.yml
rm -f "$INV"
