#!/usr/bin/env python3
"""flock against ansible-core (pipelining + ControlPersist) and ansible-core with Mitogen, on lab hosts.

For each N, each tool gets fresh lab hosts for its first run (the lab is brought up anew), then runs
again for the idempotent second run; tools alternate A/B/C, A/B/C, ... for --repeat rounds. Each
run is timed (wall), and its controller CPU time and peak RSS are taken from wait4() on the process
tree (RUSAGE of the command and its waited-for descendants). After every first run, host core-01's
changes (`flock lab diff --content`) are recorded and compared across tools (Ansible's own temp dirs,
flock's agent cache /root/.flock when it had to upload itself,
and the rpm database ansible-core's fact gathering creates under /root/.rpmdb, excluded). Results: a table on stdout and JSON (--json).

The playbook is roles/site.yml (fact gathering, 5 lineinfile, 5 template one of which iterates
hostvars of all hosts, 5 file, 3 copy, 2 command tasks).

Usage: compat-tests/bench.py [--hosts 10,50] [--repeat 3] [--tools flock,ansible,mitogen]
Needs root; makes a venv /opt/flock-bench with ansible-core 2.19 and mitogen if missing.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VENV = "/opt/flock-bench"
EXCLUDE = re.compile(r"^/root/\.flock(/|$)|^/root/\.ansible(/|$)|^/root/\.cache(/|$)|^/root/\.rpmdb(/|$)|__pycache__|\.pyc$")


def ensure_venv():
    if not os.path.exists(os.path.join(VENV, "bin", "ansible-playbook")):
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([os.path.join(VENV, "bin", "pip"), "install", "-q",
                               "ansible-core>=2.19,<2.20", "mitogen"])
    out = subprocess.check_output([os.path.join(VENV, "bin", "python"), "-c",
                                   "import ansible_mitogen, os; print(os.path.dirname(ansible_mitogen.__file__))"],
                                  text=True)
    return os.path.join(out.strip(), "plugins", "strategy")


def measured(argv, env=None, cwd=None):
    """Runs argv; returns (wall seconds, cpu seconds, peak RSS MiB, exit code, output)."""
    out = tempfile.TemporaryFile()
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    text = out.read().decode(errors="replace")
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0, proc.returncode, text


def lab(flock, *args):
    return subprocess.run([flock, "lab"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)


def host_state(flock, name):
    out = lab(flock, "diff", "--name", name, "--content", "core-01").stdout
    keep, skip = [], False
    for line in out.splitlines():
        if line.startswith("/") and "\t" in line:
            skip = bool(EXCLUDE.search(line.split("\t", 1)[0]))
        if not skip:
            # Sizes and timestamps of files whose content is compared anyway are kept.
            keep.append(line)
    return keep


def tool_argv(tool, flock, inv, playbook, strategy_dir):
    env = dict(os.environ)
    if tool == "flock":
        return [flock, "playbook", "-i", inv, playbook], env
    env.update({
        "ANSIBLE_HOST_KEY_CHECKING": "False",
        "ANSIBLE_PIPELINING": "True",
        "ANSIBLE_SSH_ARGS": "-o ControlMaster=auto -o ControlPersist=60s",
        "ANSIBLE_FORKS": "50",
        "ANSIBLE_PYTHON_INTERPRETER": "/usr/bin/python3",
        "ANSIBLE_LOCAL_TEMP": "/tmp/ansible-local",
    })
    if tool == "mitogen":
        env.update({"ANSIBLE_STRATEGY_PLUGINS": strategy_dir, "ANSIBLE_STRATEGY": "mitogen_linear"})
    return [os.path.join(VENV, "bin", "ansible-playbook"), "-i", inv, playbook], env


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--hosts", default="10,50")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--tools", default="flock,ansible,mitogen")
    p.add_argument("--flock", default=os.path.join(ROOT, "target", "release", "flock"))
    p.add_argument("--json")
    args = p.parse_args()
    tools = args.tools.split(",")
    strategy_dir = ensure_venv() if any(t != "flock" for t in tools) else ""
    flock = args.flock
    playbook = os.path.join(ROOT, "roles", "site.yml")
    results = {}
    for n in [int(x) for x in args.hosts.split(",")]:
        states = {}
        for rnd in range(args.repeat):
            for tool in tools:
                name = "bench-%s" % tool[:3]
                lab(flock, "down", "--name", name)
                up = lab(flock, "up", "--name", name, "--hosts", str(n))
                if "overlaps" in up.stdout or up.returncode != 0:
                    raise SystemExit("lab up failed: %s" % up.stdout)
                inv = os.path.join(tempfile.gettempdir(), "%s.inv" % name)
                with open(inv, "w") as f:
                    f.write(lab(flock, "inventory", "--name", name).stdout)
                argv, env = tool_argv(tool, flock, inv, playbook, strategy_dir)
                for run in ("first", "second"):
                    wall, cpu, rss, rc, text = measured([flock, "lab", "exec", "--name", name, "--"] + argv,
                                                        env=env, cwd=ROOT)
                    if rc != 0:
                        print(text[-3000:], file=sys.stderr)
                        raise SystemExit("%s failed on %d hosts (%s run)" % (tool, n, run))
                    key = (n, tool, run)
                    results.setdefault(key, []).append({"wall": wall, "cpu": cpu, "rss_mib": rss})
                    print("N=%-3d %-8s %-6s round %d: %.2f s wall, %.2f s cpu, %.1f MiB" %
                          (n, tool, run, rnd + 1, wall, cpu, rss), flush=True)
                    if run == "first" and rnd == 0:
                        states[tool] = host_state(flock, name)
                lab(flock, "down", "--name", name)
        base = states.get("flock")
        for tool, st in states.items():
            if base is not None and st != base:
                diff = sorted(set(st) ^ set(base))[:20]
                print("END STATE DIFFERS (N=%d, flock vs %s):\n  %s" % (n, tool, "\n  ".join(diff)))
    print("\n%-4s %-8s %-6s %9s %9s %9s %12s" % ("N", "tool", "run", "wall s", "cpu s", "peak MiB",
                                                "other/flock"))
    table = []
    for (n, tool, run), rows in sorted(results.items()):
        wall = statistics.median(r["wall"] for r in rows)
        cpu = statistics.median(r["cpu"] for r in rows)
        rss = max(r["rss_mib"] for r in rows)
        ref = results.get((n, "flock", run))
        ratio = wall / statistics.median(r["wall"] for r in ref) if ref else float("nan")
        table.append({"hosts": n, "tool": tool, "run": run, "wall_s": wall, "cpu_s": cpu,
                      "peak_rss_mib": rss, "ratio_to_flock": ratio, "samples": len(rows)})
        print("%-4d %-8s %-6s %9.2f %9.2f %9.1f %11.1fx" % (n, tool, run, wall, cpu, rss, ratio))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(table, f, indent=2)


if __name__ == "__main__":
    main()
