#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine (as root), installing what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use (real sshd for lab hosts, real tools for modules, CA and jockey).
PKGS="openssh-server openssh-client iproute2 procps psmisc util-linux sudo openssl openvpn dnsmasq-base busybox tftp-hpa curl git qemu-system-x86 ipxe-qemu pxelinux syslinux-common e2fsprogs passwd init-system-helpers dnf rpm createrepo-c dpkg-dev mariadb-server mariadb-client"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

export CARGO_TERM_COLOR=never
cargo build --quiet
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --no-fail-fast --test-threads 2 "$@"
else
  cargo test --no-fail-fast -- --test-threads 2 "$@"
fi
