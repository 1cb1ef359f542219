#!/usr/bin/env bash
# The 2013 toolkit user's first job, on a local lab (Debian, as root): builds flock, brings up 3
# lab hosts core-01..03, makes a working copy of the original toolkit (../shared/flock-2013) and
# there runs what its README says: `flock init`, an inventory `hosts` with [core], `flock play
# root@core bootstrap` (root, as after `jockey password`), `flock ping @@core` (the System
# Operator, with sudo), `flock play @@core bootstrap --extra-vars=master=core-01` (again as the
# operator: nothing left to change). The bootstrap's package tasks are skipped: the lab has no
# package repository for them yet (issue 24). Ends with what was built, the figures and next steps.
#
# Usage: scripts/demo.sh [--keep]     --keep leaves the lab up (take it down: flock lab down --name demo)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

KEEP=""
for arg in "$@"; do
  case "$arg" in
    --keep) KEEP=1 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $arg (scripts/demo.sh [--keep])" ;;
  esac
done
[ "$(id -u)" = 0 ] || die "the lab needs root (network namespaces): run as root"
CORPUS=../shared/flock-2013
[ -f "$CORPUS/bootstrap.yml" ] || die "the original toolkit is not at $CORPUS: put the shared folder beside this checkout (../shared)"

phase "toolchain"
check_toolchain
apt_need openssh-server openssh-client iproute2 sudo

phase "build flock (debug; the first build compiles ~200 crates)"
cargo build
FLOCK="$(target_dir)/debug/flock"

LAB=demo
WORK="$(target_dir)/demo/flock"
phase "lab: 3 hosts core-01..03"
"$FLOCK" lab down --name "$LAB" >/dev/null   # a demo lab left over from an interrupted run
# The toolkit's own `hosts` expects 10.1.1.0/24; another subnet when that one is taken.
"$FLOCK" lab up --name "$LAB" --hosts 3 --timings 2>/dev/null \
  || "$FLOCK" lab up --name "$LAB" --hosts 3 --subnet auto --timings
if [ -z "$KEEP" ]; then
  trap 'stop_ticker; "$FLOCK" lab down --name "$LAB" >/dev/null' EXIT
fi

phase "working copy of the 2013 toolkit, flock init, inventory"
rm -rf "$WORK" && mkdir -p "$WORK"
cp -a "$CORPUS/." "$WORK/"
chmod -R u+w "$WORK"
# A snapshot without git symlinks stores each as a small file holding the target: make them links.
find "$WORK" -type f -size -65c | while read -r f; do
  t=$(cat "$f")
  if [[ "$t" =~ ^[A-Za-z0-9./_-]+$ ]] && [ "$(tail -c1 "$f" | od -An -c | tr -d ' ')" != '\n' ]; then
    rm "$f" && ln -s "$t" "$f"
  fi
done
cd "$WORK"
# The README's `flock init`: keys/sysop (the operator's key, here without a passphrase) and keys/nopass.
DEMO_PASSPHRASE="" "$FLOCK" init --passphrase-env DEMO_PASSPHRASE
# The lab's hosts take root's key (what `jockey password` + a kickstart gave in 2013): keys/root.
cp "/run/flock-lab/$LAB/id_ed25519" keys/root
# The inventory in the toolkit's form, with the lab's addresses.
{
  echo "[core]"
  "$FLOCK" lab inventory --name "$LAB" | awk '/^core-/ { split($2, a, "="); print $1, "ansible_ssh_host=" a[2] }'
} > hosts
cat hosts

# The hosts accept keys only: the password the `@` forms ask for is never used.
export DEMO_SSH_PASSWORD=unused
LOG=$(mktemp)
in_lab() {
  "$FLOCK" lab exec --name "$LAB" -- "$FLOCK" "$@" --pass-env DEMO_SSH_PASSWORD 2>&1 | tee -a "$LOG"
  return "${PIPESTATUS[0]}"
}

phase "flock play root@core bootstrap --skip-tags packages"
in_lab play root@core bootstrap --skip-tags packages
phase "flock ping @@core"
in_lab ping @@core
phase "flock play @@core bootstrap --extra-vars='master=core-01' --skip-tags packages"
in_lab play @@core bootstrap --extra-vars='master=core-01' --skip-tags packages
phase

tasks=$(grep -c '^TASK: \[' "$LOG" || true)
changed=$(awk '/^core-0[0-9] +: ok=/ { sub("changed=", "", $4); n += $4 } END { print n + 0 }' "$LOG")
failed=$(awk '/^core-0[0-9] +: ok=/ { sub("failed=", "", $6); n += $6 } END { print n + 0 }' "$LOG")
rm -f "$LOG"
cat <<EOF

== done in $(since "$SCRIPT_START") s
built:   $FLOCK ($(du -h "$FLOCK" | cut -f1), debug)
ran:     3 hosts, $tasks tasks in 2 plays + 1 ping, $changed changes, $failed failures
toolkit: $WORK (keys/, hosts, the original playbooks)

next:
  1. keep the lab to try things:  bash scripts/demo.sh --keep   (then: $FLOCK lab down --name $LAB)
  2. work on it from the copy:    cd $WORK && $FLOCK lab exec --name $LAB -- $FLOCK play @@core bootstrap -k
     or on one host:              $FLOCK lab exec --name $LAB --host core-01 -- id sysop
  3. read the docs:               README.md (the 2013 commands and their flock forms), docs/lab.md, docs/compat.md
EOF
[ "$failed" = 0 ]
