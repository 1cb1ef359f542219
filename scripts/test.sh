#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine (as root), installing what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use (real sshd for lab hosts, real tools for modules, CA and jockey).
PKGS="openssh-server openssh-client iproute2 procps psmisc util-linux sudo openssl openvpn dnsmasq-base busybox tftp-hpa curl git qemu-system-x86 ipxe-qemu pxelinux syslinux-common e2fsprogs passwd init-system-helpers dnf rpm createrepo-c dpkg-dev mariadb-server mariadb-client gnupg python3 python3-venv rabbitmq-server ruby"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi

# Oracles the side-by-side tests compare with (they skip, loudly, without them): PyYAML for
# python3, and real Ansible 1.2 in /opt/ansible12 when pyenv's Python 2.7.18 is on the machine
# (docs: ../shared/spec/ansible-1.2.md section 19).
python3 -c 'import yaml' 2>/dev/null \
  || python3 -m pip install -q --disable-pip-version-check pyyaml >/dev/null 2>&1 \
  || echo "PyYAML not installed: loader_yaml_pyyaml skips"
PY2=/root/.pyenv/versions/2.7.18/bin/python
if [ -x "$PY2" ] && [ ! -e /opt/ansible12/bin/ansible-playbook ]; then
  mkdir -p /opt
  tmp=$(mktemp -d /opt/ansible12.XXXXXX)
  if PYENV_VERSION=2.7.18 "$PY2" -m pip install -q --disable-pip-version-check --no-deps --target "$tmp" \
      'ansible==1.2' 'Jinja2==2.7' 'PyYAML==3.10' 'MarkupSafe==0.18' >/dev/null 2>&1; then
    rm -rf /opt/ansible12 && mv "$tmp" /opt/ansible12
  else
    rm -rf "$tmp"
    echo "Ansible 1.2 not installed: the oracle tests skip"
  fi
fi

export CARGO_TERM_COLOR=never
cargo build --quiet
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --no-fail-fast --test-threads 2 "$@"
else
  cargo test --no-fail-fast -- --test-threads 2 "$@"
fi
