#!/usr/bin/env python3
"""Peak controller memory of large copies (issue 18 item 6), on lab hosts, as root.

For each case, brings up a fresh lab of N hosts, writes a file of SIZE random bytes (copy) or of
text with a variable on every line (template) in a controller directory, and runs
`flock playbook` (release build) copying it to every host, inside the lab's namespace. Prints
wall time and the peak RSS of the flock process (from wait4(), like bench.py), checks the
hosts' SHA-1 against the source, then removes the files and the lab.

    cargo build --release --bin flock
    python3 compat-tests/bench_copy.py [--cases 1G:10:copy,50M:3:copy,58M:1:template]
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import ROOT, lab, measured  # noqa: E402

UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def size_of(text):
    return int(text[:-1]) * UNITS[text[-1]] if text[-1] in UNITS else int(text)


def make_source(path, size, kind):
    h = hashlib.sha1()
    with open(path, "wb") as f:
        left = size
        line = b"{{ inventory_hostname }} " + b"x" * 70 + b"\n"
        if kind == "template-static":
            # One expression, then static text: a large generated config file.
            f.write(line)
            h.update(line)
            left -= len(line)
            line = b"x" * 79 + b"\n"
        while left > 0:
            chunk = os.urandom(min(left, 1 << 22)) if kind == "copy" else line * min(
                (left // len(line)) + 1, 50000)
            chunk = chunk[:left]
            f.write(chunk)
            h.update(chunk)
            left -= len(chunk)
    return h.hexdigest()


def run_case(flock, size_text, hosts, kind, workdir):
    size = size_of(size_text)
    name = "bcopy"
    lab(flock, "down", "--name", name)
    up = lab(flock, "up", "--name", name, "--hosts", str(hosts))
    if up.returncode != 0:
        raise SystemExit("lab up failed: %s" % up.stdout)
    try:
        inv = os.path.join(workdir, "hosts")
        with open(inv, "w") as f:
            f.write(lab(flock, "inventory", "--name", name).stdout)
        module = "template" if kind.startswith("template") else "copy"
        src = os.path.join(workdir, "source" + (".j2" if module == "template" else ".bin"))
        digest = make_source(src, size, kind)
        pb = os.path.join(workdir, "play.yml")
        with open(pb, "w") as f:
            f.write("- hosts: all\n  gather_facts: false\n  tasks:\n"
                    "    - %s: src=%s dest=/root/big\n" % (module, src))
        wall, cpu, rss, rc, text = measured(
            [flock, "lab", "exec", "--name", name, "--", flock, "playbook", "-i", inv, pb], cwd=ROOT)
        if rc != 0:
            print(text[-3000:], file=sys.stderr)
            raise SystemExit("%s of %s to %d hosts failed" % (kind, size_text, hosts))
        same = ""
        if kind == "copy":
            sums = lab(flock, "exec", "--name", name, "--host", "core-01", "--",
                       "sha1sum", "/root/big").stdout.split()
            same = "sha1 ok" if sums and sums[0] == digest else "SHA-1 DIFFERS"
        print("%-8s %5s to %2d hosts: %7.2f s wall, %6.2f s cpu, peak %7.1f MiB %s" %
              (kind, size_text, hosts, wall, cpu, rss, same), flush=True)
        os.unlink(src)
    finally:
        lab(flock, "down", "--name", name)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--cases", default="50M:3:copy,58M:1:template,58M:1:template-static,1G:10:copy",
                   help="SIZE:HOSTS:KIND,... (KIND copy, template: a variable on every line, "
                        "template-static: one variable, then static text)")
    p.add_argument("--flock", default=os.path.join(ROOT, "target", "release", "flock"))
    args = p.parse_args()
    workdir = tempfile.mkdtemp(prefix="flock-bench-copy-")
    try:
        for case in args.cases.split(","):
            size_text, hosts, kind = case.split(":")
            run_case(args.flock, size_text, int(hosts), kind, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
