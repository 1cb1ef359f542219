#!/usr/bin/env python3
"""Twin-lab comparison: the original playbooks run by real Ansible 1.2 and by flock.

For each tool in turn, a fresh lab of 3 hosts (same names, addresses and flavor) is brought up, the
README's sequence of playbooks is run from a temp copy of ../shared/flock-2013 (symlinks restored),
and after every playbook each host's changes (`flock lab diff --content`) are recorded. Then the
two runs are compared per playbook: the task sequence, each task's status per host (and item), the
recap counts, and the end state of every host.

Exclusions (what only one tool writes on purpose, listed here and in docs/compat.md):
  * paths under /root/.ansible, /root/.cache and `*.pyc` (Ansible 1.2's module temp files and
    the Python it runs on the hosts), and /root/.flock (flock's agent, uploaded when the hosts
    cannot see the controller's binary, e.g. a checkout under /tmp);
  * file timestamps are not compared (diff lists no times).
Nothing else is hidden.

Classified, not hidden (counted in the table's `lab` column and listed one by one, but not in
`fdiff`): the package managers' own bookkeeping files (LAB_ONLY below: dnf/rpm database, caches
and logs; apt's archive lock, its package lists and the AppStream cache `apt-get update` refreshes) on a host where 1.2's package module could not run at all in the
lab. 1.2's yum module needs the `yum` Python module and its apt module needs python-apt for
Python 2.7; neither exists for the relocated Python 2.7 the lab hosts run 1.2's modules with, so
1.2 fails those tasks with an ImportError (a `failed` status, as on a 2013 host without them)
before touching the host, while flock runs the machine's dnf / apt-get, which fail too (no such
package in the offline lab) but leave their logs. A LAB_ONLY path is classified only when 1.2's
log of that playbook or of an earlier one in the run (the end state is cumulative) shows such an
import failure; any other difference in those paths counts.

The corpus copy gets the keys the README creates by hand (`flock init`: keys/sysop, keys/nopass;
`dd`: keys/authkey, keys/munge.key), generated once and copied to both runs so both hosts get
identical bytes.

Printed output is compared too, line by line, per task and per host (`ok: [h]`, `changed: [h]`,
`failed: [h] => {...}` with its `stderr:`/`stdout:`/`msg:` lines, `skipping: [h]`, item lines,
`fatal:` lines, `h: importing f`), per banner (PLAY, GATHERING FACTS, TASK, NOTIFIED, PLAY RECAP), the
run-level lines (`FATAL: all hosts have already failed`, the retry hint) and the recap lines.
Normalizations (NORMALIZE below; everything else must be byte-equal):
  * each tool's copy of the corpus (its absolute path) -> `<corpus>`, and a lab's name -> `<lab>`
    (two labs, two temp copies: these must differ);
  * `"delta"`, `"start"`, `"end"` values in result JSON (timestamps and durations);
  * Ansible 1.2's remote temp dirs `/root/.ansible/tmp/ansible-<time>-<random>/` -> `<tmp>/`;
  * the retry file's path in `to retry, use: --limit @PATH` -> `<retry>` (1.2 wrote it under
    /var/tmp/ansible, flock beside the playbook; docs/compat.md);
  * the order of hosts within a task: 1.2's forked workers print in completion order, flock in
    inventory order; lines are grouped per host, and the order within one host is compared;
  * two results 1.2's workers printed on one line (the newline written later) are split again and
    the displaced blank line dropped;
  * the host a `stderr:`/`stdout:`/`msg:` line belongs to, within one task's failed blocks: 1.2's
    workers print a failure's status line and its message lines with separate writes, so another
    host's status line can land between them (seen as one host with two `msg:` lines and the next
    with none). When every failed host's status line is equal and the task's failed blocks hold
    the same lines the same number of times, the blocks count as equal (REGROUP).
Classified printed blocks (the `pcls` column, each listed, not in `pdiff`): a host's result block of
a task where 1.2's module could not import its Python library in the lab (IMPORT_FAIL, see above:
flock's module really ran, so its message differs); and a failed `raw` result whose status line is
equal but whose stdout 1.2 captured through `ssh -tt` (a terminal: apt's progress lines, stderr
merged into stdout; TTY_PROGRESS), documented in docs/compat.md; and a `fatal: [h] => {...}` line
1.2 printed twice in a row where flock prints it once (runner/__init__.py calls on_unreachable
again for a result that already reported it), documented in docs/compat.md.

Usage: compat-tests/twin.py [--flavor debian|el] [--playbooks a,b,...] [--flock PATH] [--out DIR]
                            [--json FILE] [--lab-prefix P] [--subnet CIDR|auto] [--tags T,...]
The table's last column is Ansible 1.2's wall time over flock's (>1: flock is faster).
Needs root, Python 2.7.18 (pyenv) and Ansible 1.2 in /opt/ansible12 (spec section 19); prepares
/opt/py27 (a relocated copy of pyenv's 2.7.18) so that 1.2's modules run inside lab hosts.
Exit code 0 when no playbook differs.
"""

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CORPUS = os.environ.get("FLOCK_CORPUS") or os.path.normpath(os.path.join(ROOT, "..", "shared", "flock-2013"))
A12 = "/opt/ansible12"
PY27_SRC = os.path.expanduser("~/.pyenv/versions/2.7.18")
PY27 = "/opt/py27"
DEFAULT_SUBNET = "10.1.1.0/24"

# The README's sequence (playbook, extra vars).
SEQUENCE = [
    ("bootstrap", ""),
    ("secure", ""),
    ("ground", "master=core-01"),
    ("grid", "master=core-01"),
    ("cluster", "master=core-01"),
    ("database", "master=core-01"),
    ("mysql", "master=core-01"),
    ("scheduler", "master=core-01"),
    ("scheduler-master", "master=core-01"),
    ("warewulf", "master=core-01"),
]

EXCLUDE = [re.compile(p) for p in (r"^/root/\.ansible(/|$)", r"^/root/\.flock(/|$)", r"^/root/\.cache(/|$)",
                                    r"\.pyc$")]

# Package-manager bookkeeping (see the docstring): classified as lab-only when 1.2's package module
# could not import its Python library (IMPORT_FAIL in 1.2's log).
LAB_ONLY = [re.compile(p) for p in (r"^/root/\.rpmdb(/|$)", r"^/var/cache/dnf(/|$)", r"^/var/log/dnf\.",
                                    r"^/var/log/hawkey\.log$", r"^/var/cache/apt/archives/lock$",
                                    r"^/var/lib/apt/lists(/|$)", r"^/var/cache/swcatalog(/|$)")]
IMPORT_FAIL = re.compile(r"ImportError: No module named yum|Could not import python modules: apt, apt_pkg")

TASK_RE = re.compile(r"^(TASK: |NOTIFIED: |TASK |RUNNING HANDLER )\[(.*)\] \*+ ?$")
PLAY_RE = re.compile(r"^PLAY \[(.*)\] \*+ ?$")
HOST_RE = re.compile(r"^(ok|changed|skipping|failed|fatal): \[([^\]]+)\](?: => \(item=(.*?)\))?")
RECAP_RE = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def restore_corpus(dst):
    """Copies the corpus, turning its stored symlink stubs back into symlinks (real ones are kept)."""
    shutil.rmtree(dst, ignore_errors=True)
    for root, dirs, files in os.walk(CORPUS):
        rel = os.path.relpath(root, CORPUS)
        os.makedirs(os.path.join(dst, rel), exist_ok=True)
        for f in files + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            src, out = os.path.join(root, f), os.path.join(dst, rel, f)
            if os.path.islink(src):  # a git checkout's real symlink, maybe dangling (keys, ca)
                os.symlink(os.readlink(src), out)
                continue
            data = open(src, "rb").read()
            if 0 < len(data) <= 64 and re.fullmatch(rb"[A-Za-z0-9./_-]+", data):
                os.symlink(data.decode(), out)
            else:
                shutil.copy(src, out)


def make_keys(flock, workdir):
    """The keys the README makes by hand, once for both runs (identical bytes on both labs)."""
    keys = os.path.join(workdir, "keys-src")
    os.makedirs(keys)
    out = sh([flock, "init", "--passphrase-env", "TWIN_NO_PASSPHRASE"], cwd=keys,
             env=dict(os.environ, TWIN_NO_PASSPHRASE=""))
    if out.returncode != 0:
        raise SystemExit("flock init failed: %s" % out.stdout)
    for name, size in (("authkey", 128), ("munge.key", 1024)):
        with open(os.path.join(keys, "keys", name), "wb") as f:
            f.write(os.urandom(size))
    return os.path.join(keys, "keys")


def prepare_py27():
    """A Python 2.7 the lab hosts can run (their /root is private, pyenv's copy is not seen)."""
    wrapper = os.path.join(PY27, "python2")
    if os.path.exists(wrapper):
        return wrapper
    # Built beside and renamed into place, so concurrent runs never see a half copy.
    tmp = "%s.tmp%d" % (PY27, os.getpid())
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(PY27_SRC, tmp, symlinks=True)
    with open(os.path.join(tmp, "python2"), "w") as f:
        f.write("#!/bin/sh\nPYTHONDONTWRITEBYTECODE=1 PYTHONHOME=%s LD_LIBRARY_PATH=%s/lib "
                "exec %s/bin/python2.7 \"$@\"\n" % (PY27, PY27, PY27))
    os.chmod(os.path.join(tmp, "python2"), 0o755)
    if not os.path.exists(wrapper):
        shutil.rmtree(PY27, ignore_errors=True)
        try:
            os.rename(tmp, PY27)
        except OSError:
            pass  # another run won the race
    shutil.rmtree(tmp, ignore_errors=True)
    return wrapper


def a12_command(workdir):
    script = os.path.join(workdir, "ansible-playbook-1.2")
    with open(script, "w") as f:
        f.write("#!/bin/sh\nexport PYENV_VERSION=2.7.18 PYTHONPATH=%s ANSIBLE_HOST_KEY_CHECKING=False "
                "HOME=/root\nexec %s/bin/python %s/bin/ansible-playbook -c ssh \"$@\"\n"
                % (A12, PY27_SRC, A12))
    os.chmod(script, 0o755)
    return script


def sh(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def host_state(flock, lab, host):
    out = sh([flock, "lab", "diff", "--name", lab, "--content", host]).stdout
    entries = {}
    current = None
    for line in out.splitlines():
        if line.startswith("/") and "\t" in line:
            path = line.split("\t", 1)[0]
            if any(p.search(path) for p in EXCLUDE):
                current = None
                continue
            entries[path] = [line]
            current = path
        elif current is not None:
            entries[current].append(line)
    return entries


STATUS_SPLIT_RE = re.compile(r"(?<=.)(?=(?:ok|changed|skipping|failed|fatal): \[)")


def parse_log(text):
    """(task list, {task index: {(host, item): status}}, recap {host: counts}).

    Ansible 1.2's forked workers sometimes print two results on one line (no newline between
    them); such lines are split before parsing.
    """
    text = "\n".join(part for line in text.splitlines() for part in STATUS_SPLIT_RE.split(line))
    tasks, statuses, recap = [], {}, {}
    play = None
    in_recap = False
    for line in text.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        m = PLAY_RE.match(line)
        if m:
            play = m.group(1)
            continue
        if line.startswith("GATHERING FACTS"):
            tasks.append((play, "GATHERING FACTS"))
            continue
        m = TASK_RE.match(line)
        if m:
            tasks.append((play, m.group(2)))
            continue
        m = HOST_RE.match(line)
        if m and tasks:
            statuses.setdefault(len(tasks) - 1, {})[(m.group(2), m.group(3))] = m.group(1)
            continue
        m = RECAP_RE.match(line) if in_recap else None
        if m:
            recap[m.group(1)] = tuple(int(x) for x in m.group(2, 3, 4, 5))
    return tasks, statuses, recap


BANNER_RE = re.compile(r"^(PLAY \[.*\]|GATHERING FACTS|TASK: \[.*\]|NOTIFIED: \[.*\]|PLAY RECAP|TASK \[.*\]|"
                       r"RUNNING HANDLER \[.*\]) \*+ ?$")
BLOCK_START_RE = re.compile(r"^(failed|fatal): \[([^\]]+)\]")
LINE_HOST_RE = re.compile(r"^(?:(?:ok|changed|skipping): \[([^\]]+)\]|(\S+): (?:importing |not importing file: )|"
                          r"(\S+)\s+: ok=\d+)")
RUN_LINE_RE = re.compile(r"^(FATAL: |skipping: no hosts matched|ERROR: |\[WARNING\]|\s*to retry, use: )")
TTY_PROGRESS = re.compile(r"^(Reading package lists|Building dependency tree|Reading state information)\.\.\. \d+%",
                          re.M)


def normalize(text, corpus, lab):
    """The normalizations listed in the docstring (NORMALIZE), applied to a whole log."""
    text = text.replace(corpus, "<corpus>").replace(lab, "<lab>")
    text = re.sub(r'"(delta|start|end)": "[^"]*"', r'"\1": "<time>"', text)
    text = re.sub(r"/root/\.ansible/tmp/ansible-[0-9.]+-[0-9]+/", "<tmp>/", text)
    return re.sub(r"(to retry, use: --limit @)\S+", r"\1<retry>", text)


def split_merged(text):
    """Splits lines holding two results (1.2's workers) and drops the displaced blank lines."""
    out, owed = [], 0
    for line in text.splitlines():
        if owed and line == "":
            owed -= 1
            continue
        parts = STATUS_SPLIT_RE.split(line)
        owed += len(parts) - 1
        out.extend(parts)
    return out


def printed_sections(text):
    """[(banner, {host or "": [lines]})]: each banner's lines grouped per host ("" = run-level)."""
    sections = [("", {})]
    current = None

    def drop_trailing_blank():
        blocks = sections[-1][1]
        key = current if current is not None else ""
        if blocks.get(key) and blocks[key][-1] == "":
            blocks[key].pop()

    for line in split_merged(text):
        blocks = sections[-1][1]
        if BANNER_RE.match(line):
            drop_trailing_blank()
            sections.append((line, {}))
            current = None
            continue
        if RUN_LINE_RE.match(line):
            if line.startswith("FATAL: "):
                drop_trailing_blank()
            current = None
            blocks.setdefault("", []).append(line)
            continue
        m = BLOCK_START_RE.match(line)
        if m:
            current = m.group(2)
            blocks.setdefault(current, []).append(line)
            continue
        m = LINE_HOST_RE.match(line)
        if m:
            current = None
            blocks.setdefault(m.group(1) or m.group(2) or m.group(3), []).append(line)
            continue
        if current is not None:
            blocks[current].append(line)
        elif line:
            blocks.setdefault("", []).append(line)
    for _banner, blocks in sections:
        for lines in blocks.values():
            while lines and lines[-1] == "":
                lines.pop()
    return sections


def differing(a, b):
    """Lines of a and b not matched by difflib (a replaced run counts its longer side)."""
    n = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "equal":
            n += max(i2 - i1, j2 - j1)
    return n


def classify_block(a, b):
    """Why a differing host block is not counted in `pdiff` (see the docstring), or None."""
    text_a = "\n".join(a)
    if IMPORT_FAIL.search(text_a):
        return "lab (1.2's package module cannot import in the lab)"
    once = [l for i, l in enumerate(a) if not (i and l == a[i - 1] and l.startswith("fatal: "))]
    if once != a and once == b:
        return "twice (1.2 printed a controller failure's dict twice; docs/compat.md)"
    if (a and b and a[0] == b[0] and a[0].startswith("failed: ") and TTY_PROGRESS.search(text_a)
            and not any(l.startswith("stderr: ") for l in a)):
        return "tty (1.2 ran raw under ssh -tt; docs/compat.md)"
    return None


def regroup_failures(ba, bb):
    """REGROUP (docstring): 1.2's failed blocks `ba` replaced by flock's `bb` when they differ only
    in which failed host a message line was printed under."""
    failed = [h for h in set(ba) | set(bb)
              if h and any(BLOCK_START_RE.match(b.get(h, [""])[0] or "") for b in (ba, bb) if b.get(h))]
    if not failed or any(not ba.get(h) or not bb.get(h) or ba[h][0] != bb[h][0] for h in failed):
        return ba
    lines_a = sorted(l for h in failed for l in ba[h])
    lines_b = sorted(l for h in failed for l in bb[h])
    if lines_a != lines_b:
        return ba
    out = dict(ba)
    for h in failed:
        out[h] = bb[h]
    return out


def compare_printed(a_text, b_text):
    """(lines compared, differing lines, classified lines, [difference texts], [classified texts])."""
    sa, sb = printed_sections(a_text), printed_sections(b_text)
    compared = diff = classified = 0
    diffs, classes = [], []
    for i in range(max(len(sa), len(sb))):
        ha, ba = sa[i] if i < len(sa) else ("<none>", {})
        hb, bb = sb[i] if i < len(sb) else ("<none>", {})
        ba = regroup_failures(ba, bb)
        title = ha.rstrip(" *") or "(before the first banner)"
        if i > 0:
            compared += 1
            if ha != hb:
                diff += 1
                diffs.append("banner #%d: 1.2 %r | flock %r" % (i, ha, hb))
        for host in sorted(set(ba) | set(bb)):
            la, lb = ba.get(host, []), bb.get(host, [])
            compared += max(len(la), len(lb))
            n = differing(la, lb)
            if not n:
                continue
            why = classify_block(la, lb)
            text = "%s / %s: %d line(s)\n%s" % (title, host or "(run)", n, "\n".join(
                "      " + l for l in difflib.unified_diff(la, lb, "1.2", "flock", n=0, lineterm="")))
            if why:
                classified += n
                classes.append("%s: %s" % (why, text))
            else:
                diff += n
                diffs.append(text)
    return compared, diff, classified, diffs, classes


def use_lab_addresses(flock, lab, hosts_file):
    """The lab inventory's addresses in the corpus inventory (for a lab not on 10.1.1.0/24)."""
    inv = sh([flock, "lab", "inventory", "--name", lab]).stdout
    addr = dict(re.findall(r"^([^\s#\[]\S*)[ \t].*?ansible_ssh_host=(\S+)", inv, re.M))
    lines = []
    for line in open(hosts_file).read().splitlines():
        name = line.split(" ", 1)[0]
        if name in addr:
            line = re.sub(r"ansible_ssh_host=\S+", "ansible_ssh_host=" + addr[name], line)
        lines.append(line)
    with open(hosts_file, "w") as f:
        f.write("\n".join(lines) + "\n")


def run_tool(tool, args, workdir):
    """Runs the whole sequence with one tool on a fresh lab; returns per-playbook results."""
    lab = "%s-%s" % (args.lab_prefix, "a12" if tool == "ansible12" else "fl")
    flock = args.flock
    sh([flock, "lab", "down", "--name", lab])
    up = sh([flock, "lab", "up", "--name", lab, "--hosts", "3", "--flavor", args.flavor,
             "--subnet", args.subnet])
    if up.returncode != 0:
        raise SystemExit("lab up failed: %s" % up.stdout)
    results = {}
    try:
        corpus = os.path.join(workdir, tool, "flock")
        restore_corpus(corpus)
        shutil.copytree(args.keys, os.path.join(corpus, "keys"))
        if args.subnet != DEFAULT_SUBNET:
            use_lab_addresses(flock, lab, os.path.join(corpus, "hosts"))
        if args.subnet == "auto":
            # The twin gets the same subnet (addresses end up in rendered files).
            m = re.search(r"^# flock lab \S+ \((\S+)\)", sh([flock, "lab", "inventory", "--name", lab]).stdout, re.M)
            if not m:
                raise SystemExit("cannot read the subnet of lab %s" % lab)
            args.subnet = m.group(1)
        key_path = "/run/flock-lab/%s/id_ed25519" % lab
        if tool == "ansible12":
            with open(os.path.join(corpus, "hosts"), "a") as f:
                f.write("\n[all:vars]\nansible_python_interpreter=%s\n" % prepare_py27())
            base = [a12_command(workdir)]
        else:
            base = [flock, "playbook", "--dialect", "1.2"]
        hosts = [h for h in ("core-01", "core-02", "core-03")]
        for name, extra in args.sequence:
            argv = base + ["-i", "hosts", "-l", "core", "-u", "root", "--private-key", key_path]
            if extra:
                argv += ["-e", extra]
            if args.tags:
                argv += ["-t", args.tags]
            argv.append(name + ".yml")
            start = time.monotonic()
            proc = sh([flock, "lab", "exec", "--name", lab, "--"] + argv, cwd=corpus)
            elapsed = time.monotonic() - start
            log = proc.stdout
            with open(os.path.join(args.out, "%s-%s-%s.log" % (args.flavor, name, tool)), "w") as f:
                f.write(log)
            state = {h: host_state(flock, lab, h) for h in hosts}
            results[name] = {"log": log, "rc": proc.returncode, "time": elapsed, "state": state,
                             "printed": normalize(log, corpus, lab)}
    finally:
        sh([flock, "lab", "down", "--name", lab])
    return results


def compare(name, a, b, a12_import_fail):
    """Differences between Ansible 1.2's run (a) and flock's (b) of one playbook.

    a12_import_fail: 1.2's package module failed to import in this or an earlier playbook of the
    run (the end state is cumulative), which makes LAB_ONLY paths classifiable.
    """
    ta, sa, ra = parse_log(a["log"])
    tb, sb, rb = parse_log(b["log"])
    task_diffs = []
    if ta != tb:
        task_diffs.append("task sequence differs: 1.2 has %d tasks, flock %d" % (len(ta), len(tb)))
        for i, (x, y) in enumerate(zip(ta, tb)):
            if x != y:
                task_diffs.append("  first difference at #%d: 1.2 %r, flock %r" % (i, x, y))
                break
    for i, task in enumerate(ta):
        if i < len(tb) and tb[i] == task and sa.get(i, {}) != sb.get(i, {}):
            task_diffs.append("%s / %s: 1.2 %s, flock %s" % (task[0], task[1], sorted(sa.get(i, {}).items(), key=str),
                                                          sorted(sb.get(i, {}).items(), key=str)))
    if ra != rb:
        task_diffs.append("recap: 1.2 %s, flock %s" % (ra, rb))
    file_diffs, lab_only = [], []
    for host in sorted(set(a["state"]) | set(b["state"])):
        fa, fb = a["state"].get(host, {}), b["state"].get(host, {})
        for path in sorted(set(fa) | set(fb)):
            if fa.get(path) != fb.get(path):
                line = "%s:%s: 1.2 %s | flock %s" % (host, path, (fa.get(path) or ["-"])[0],
                                                    (fb.get(path) or ["-"])[0])
                if a12_import_fail and path not in fa and any(p.search(path) for p in LAB_ONLY):
                    lab_only.append("lab-only (1.2's package module cannot import in the lab) " + line)
                else:
                    file_diffs.append(line)
    return len(ta), task_diffs, file_diffs, lab_only


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--flavor", default="debian")
    p.add_argument("--playbooks", default=",".join(n for n, _ in SEQUENCE))
    p.add_argument("--flock", default=os.path.join(ROOT, "target", "debug", "flock"))
    p.add_argument("--out", default=os.path.join(ROOT, "target", "compat"))
    p.add_argument("--json", help="write the table as JSON here")
    p.add_argument("--tags", help="run only these tags (-t), e.g. to get past the package tasks")
    p.add_argument("--lab-prefix", default="twin", help="lab names: PREFIX-a12, PREFIX-fl")
    p.add_argument("--subnet", default=DEFAULT_SUBNET,
                   help="the labs' subnet (`auto`: a free one, the same for both labs; the copy's "
                        "inventory gets its addresses)")
    args = p.parse_args()
    wanted = args.playbooks.split(",")
    args.sequence = [(n, e) for n, e in SEQUENCE if n in wanted]
    args.out = os.path.abspath(args.out)
    args.flock = os.path.abspath(args.flock)
    os.makedirs(args.out, exist_ok=True)
    workdir = os.path.join(args.out, "work-%s" % args.flavor)
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    args.keys = make_keys(args.flock, workdir)
    ref = run_tool("ansible12", args, workdir)
    ours = run_tool("flock", args, workdir)
    rows, failed = [], False
    print("%-18s %-7s %6s %6s %6s %5s %6s %6s %5s %9s %9s %7s" % (
        "playbook", "flavor", "tasks", "tdiff", "fdiff", "lab", "plines", "pdiff", "pcls", "1.2 s", "flock s",
        "1.2/fl"))
    import_fail = False
    for name, _ in args.sequence:
        import_fail |= bool(IMPORT_FAIL.search(ref[name]["log"]))
        n, tdiff, fdiff, lab = compare(name, ref[name], ours[name], import_fail)
        plines, pdiff, plab, ptexts, pclassed = compare_printed(ref[name]["printed"], ours[name]["printed"])
        ratio = ref[name]["time"] / max(ours[name]["time"], 1e-3)
        rows.append({"playbook": name, "flavor": args.flavor, "tasks": n, "task_diffs": tdiff,
                     "file_diffs": fdiff, "lab_only": lab, "printed_lines": plines, "printed_diff": pdiff,
                     "printed_classified_lines": plab, "printed_diffs": ptexts, "printed_classified": pclassed,
                     "a12_s": ref[name]["time"], "flock_s": ours[name]["time"]})
        failed |= bool(tdiff or fdiff or pdiff)
        print("%-18s %-7s %6d %6d %6d %5d %6d %6d %5d %9.2f %9.2f %6.1fx" % (
            name, args.flavor, n, len(tdiff), len(fdiff), len(lab), plines, pdiff, plab, ref[name]["time"],
            ours[name]["time"], ratio))
    for r in rows:
        for d in r["task_diffs"] + r["file_diffs"] + r["lab_only"]:
            print("  [%s] %s" % (r["playbook"], d))
        for d in r["printed_diffs"]:
            print("  [%s] printed: %s" % (r["playbook"], d))
        for d in r["printed_classified"]:
            print("  [%s] printed, classified %s" % (r["playbook"], d))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
