# Shared by scripts/demo.sh and scripts/test.sh (sourced, from the checkout's root):
# phases that say what they do and how long they took, Debian packages installed on demand,
# and the toolchain check (Rust at Cargo.toml's rust-version, a C compiler).

# Seconds since the script started, and the start of the current phase.
SCRIPT_START=$(date +%s.%N)
PHASE_NAME=""
PHASE_START=""
TICKER_PID=""

# Seconds (one decimal) since the epoch-seconds value $1.
since() {
  awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

# A line every $TICK seconds while a phase runs, so that a quiet step still shows it is alive.
TICK=${TICK:-10}
start_ticker() {
  local name=$1 start=$2
  (
    while sleep "$TICK"; do
      printf '   … %s: %s s\n' "$name" "$(since "$start")" >&2
    done
  ) &
  TICKER_PID=$!
}

stop_ticker() {
  if [ -n "$TICKER_PID" ]; then
    kill "$TICKER_PID" 2>/dev/null || true
    wait "$TICKER_PID" 2>/dev/null || true
    TICKER_PID=""
  fi
}

# `phase NAME`: ends the phase before (printing its time) and starts NAME. `phase` alone ends it.
phase() {
  stop_ticker
  if [ -n "$PHASE_NAME" ]; then
    printf '<== %s: %s s\n' "$PHASE_NAME" "$(since "$PHASE_START")"
  fi
  PHASE_NAME=${1:-}
  if [ -n "$PHASE_NAME" ]; then
    PHASE_START=$(date +%s.%N)
    printf '\n==> %s\n' "$PHASE_NAME"
    start_ticker "$PHASE_NAME" "$PHASE_START"
  fi
}
trap stop_ticker EXIT

# Stops the script with a message on stderr.
die() {
  stop_ticker
  printf '\nerror: %s\n' "$*" >&2
  exit 1
}

# Installs the Debian packages among "$@" that are not installed yet (apt's own output shown).
APT_UPDATED=""
apt_need() {
  local missing="" p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  command -v apt-get >/dev/null || die "missing packages:$missing (and no apt-get to install them)"
  [ "$(id -u)" = 0 ] || die "missing packages:$missing; run as root to install them (apt-get install$missing)"
  echo "installing Debian packages:$missing"
  if [ -z "$APT_UPDATED" ]; then
    apt-get update
    APT_UPDATED=1
  fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
  INSTALLED_SOMETHING=1
}

# The `rust-version` of Cargo.toml (e.g. 1.85).
rust_version_needed() {
  sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' Cargo.toml | head -1
}

# Whether version $1 >= version $2 (dotted numbers).
version_at_least() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]
}

# The toolchain: a C compiler (ring builds C code) from Debian, and cargo/rustc at the
# rust-version; Debian's rustc is used when new enough, otherwise the script stops at once with
# the one command that installs Rust.
check_toolchain() {
  local need have
  need=$(rust_version_needed)
  command -v cc >/dev/null 2>&1 || apt_need gcc libc6-dev
  command -v cc >/dev/null 2>&1 || die "no C compiler (cc) after installing gcc"
  [ -x "$HOME/.cargo/bin/cargo" ] && case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH="$HOME/.cargo/bin:$PATH" ;; esac
  if ! command -v cargo >/dev/null 2>&1 || ! command -v rustc >/dev/null 2>&1; then
    local debian
    debian=$(apt-cache policy rustc 2>/dev/null | sed -n 's/^ *Candidate: *\([0-9.]*\).*/\1/p')
    if [ -n "$debian" ] && version_at_least "$debian" "$need"; then
      apt_need rustc cargo
    else
      die "Rust $need or newer is needed (Debian offers ${debian:-none}). Install it with:
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y && . \"\$HOME/.cargo/env\"
then run this script again."
    fi
  fi
  have=$(rustc --version | awk '{print $2}')
  version_at_least "$have" "$need" || die "rustc $have is older than the rust-version $need in Cargo.toml. Update it with:
    rustup update stable"
  echo "toolchain: $(rustc --version), $(cargo --version), cc: $(cc --version | head -1)"
}

# Where cargo puts the debug binaries.
target_dir() {
  echo "${CARGO_TARGET_DIR:-$PWD/target}"
}
