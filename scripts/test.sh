#!/usr/bin/env bash
# Runs the whole test suite on a Debian machine (as root), installing first what the tests need:
# Debian packages, PyYAML, Ansible 1.2 in /opt/ansible12 (when pyenv's Python 2.7.18 is there)
# and ansible-core in the venv /opt/flock-bench. Tests install nothing themselves; a test whose
# prerequisite is still missing is reported as skipped (build.rs). Extra arguments go to the
# test runner (cargo nextest run, else cargo test). Exits non-zero when a test fails.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh
INSTALLED_SOMETHING=""

phase "toolchain"
check_toolchain
[ -f ../shared/flock-2013/bootstrap.yml ] || [ -n "${FLOCK_CORPUS:-}" ] \
  || echo "note: ../shared/flock-2013 (the 2013 toolkit) is not beside this checkout: the corpus tests are skipped"

phase "Debian packages the tests use"
# Real sshd for lab hosts, real tools for modules, CA and jockey, an el root for the el lab.
apt_need openssh-server openssh-client iproute2 procps psmisc util-linux sudo openssl openvpn \
  dnsmasq-base busybox tftp-hpa curl git qemu-system-x86 ipxe-qemu pxelinux syslinux-common \
  e2fsprogs passwd init-system-helpers dnf rpm createrepo-c dpkg-dev mariadb-server \
  mariadb-client gnupg python3 python3-venv python3-pip rabbitmq-server ruby cron lvm2

phase "oracles: PyYAML, Ansible 1.2, ansible-core"
# PyYAML for the python3 on PATH (loader_yaml_pyyaml compares with it).
if ! python3 -c 'import yaml' 2>/dev/null; then
  echo "installing PyYAML for $(command -v python3)"
  python3 -m pip install --disable-pip-version-check pyyaml \
    || python3 -m pip install --disable-pip-version-check --break-system-packages pyyaml \
    || echo "PyYAML not installed: loader_yaml_pyyaml is skipped"
  INSTALLED_SOMETHING=1
fi
# Real Ansible 1.2 in /opt/ansible12, when pyenv's Python 2.7.18 is on the machine
# (../shared/spec/ansible-1.2.md section 19).
PY2=/root/.pyenv/versions/2.7.18/bin/python
if [ -x "$PY2" ] && [ ! -e /opt/ansible12/bin/ansible-playbook ]; then
  echo "installing Ansible 1.2 into /opt/ansible12"
  mkdir -p /opt
  tmp=$(mktemp -d /opt/ansible12.XXXXXX)
  if PYENV_VERSION=2.7.18 "$PY2" -m pip install --disable-pip-version-check --no-deps --target "$tmp" \
      'ansible==1.2' 'Jinja2==2.7' 'PyYAML==3.10' 'MarkupSafe==0.18'; then
    rm -rf /opt/ansible12 && mv "$tmp" /opt/ansible12
  else
    rm -rf "$tmp"
    echo "Ansible 1.2 not installed: the 1.2 side-by-side tests are skipped"
  fi
  INSTALLED_SOMETHING=1
fi
[ -x "$PY2" ] || echo "no pyenv Python 2.7.18 ($PY2): the Ansible 1.2 side-by-side tests are skipped"
# ansible-core 2.19 (and Mitogen, for compat-tests/bench.py) in /opt/flock-bench.
if [ ! -x /opt/flock-bench/bin/ansible ]; then
  echo "installing ansible-core 2.19 and mitogen into the venv /opt/flock-bench"
  if python3 -m venv /opt/flock-bench \
      && /opt/flock-bench/bin/pip install --disable-pip-version-check 'ansible-core>=2.19,<2.20' mitogen; then
    :
  else
    rm -rf /opt/flock-bench
    echo "ansible-core not installed: facts_ansible_core is skipped"
  fi
  INSTALLED_SOMETHING=1
fi

phase "build (debug, with the tests)"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# build.rs turned each prerequisite into a cfg and listed what it probed in this stamp; when
# something was installed or a listed path appeared or went since, touch it so the probe re-runs.
stamp="$(target_dir)/debug/flock-test-prereqs"
if [ -f "$stamp" ]; then
  changed="$INSTALLED_SOMETHING"
  while read -r state path; do
    if [ -e "$path" ]; then now=present; else now=absent; fi
    [ "$now" = "$state" ] || changed=1
  done < "$stamp"
  [ -z "$changed" ] || touch "$stamp"
fi
cargo build --tests

phase "tests"
rc=0
if command -v cargo-nextest >/dev/null 2>&1; then
  cargo nextest run --no-fail-fast --test-threads 2 "$@" || rc=$?
else
  cargo test --no-fail-fast -- --test-threads 2 "$@" || rc=$?
fi
phase
echo "test.sh: $(since "$SCRIPT_START") s in all; exit $rc"
exit $rc
