#!/usr/bin/env bash
# Runs fuzz targets one after another for SECONDS each (default 600), logs in $LOGDIR
# (default /tmp/flock-fuzz), corpora in fuzz/corpus/TARGET (new inputs are added there).
# Usage: bash fuzz/run.sh [SECONDS] [TARGET...]    (needs `cargo install cargo-fuzz`, nightly)
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-600}; shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(yaml inventory_ini inventory_yaml host_pattern kv template agent_frame)
logdir=${LOGDIR:-/tmp/flock-fuzz}; mkdir -p "$logdir"
for t in "${targets[@]}"; do
  echo "== $t: ${secs}s"
  cargo +nightly fuzz run -s none "$t" "corpus/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 > "$logdir/$t.log" 2>&1
  echo "<= $t: exit $? ($(grep -E '^#[0-9]+ +DONE|Done [0-9]+ runs' "$logdir/$t.log" | tail -2 | tr '\n' ' '))"
done
