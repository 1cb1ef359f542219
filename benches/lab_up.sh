#!/usr/bin/env bash
# Times `flock lab up` for 3, 50 and 100 hosts (Debian, as root). Usage: benches/lab_up.sh [SIZES...]
# FLOCK may point at the binary (default: the debug build in the cargo target dir).
set -euo pipefail
cd "$(dirname "$0")/.."
FLOCK=${FLOCK:-${CARGO_TARGET_DIR:-target}/debug/flock}
[ -x "$FLOCK" ] || cargo build --quiet
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(3 50 100)
for n in "${sizes[@]}"; do
  name="bench$$-$n"
  "$FLOCK" lab up --name "$name" --hosts "$n" --subnet auto --timings
  start=$(date +%s.%N)
  "$FLOCK" lab down --name "$name"
  awk -v s="$start" -v e="$(date +%s.%N)" -v n="$name" 'BEGIN { printf "lab %s: down in %.2f s\n", n, e - s }'
done
