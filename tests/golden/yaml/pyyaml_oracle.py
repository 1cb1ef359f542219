"""Dump yaml.load_all(SafeLoader) of each file as typed canonical JSON (PyYAML differential oracle).

Usage: python3 pyyaml_oracle.py FILE... > out.json   (works with python2 + PyYAML 3.10 too).
int -> ["i", "decimal"], float -> ["f", "IEEE bits"], str -> ["s", text], bool -> ["b", v],
None -> ["n"], date/datetime -> ["t"], list -> ["l", [...]], dict -> ["m", [[k, v], ...]].
Errors -> {"error": line} (1-based line of the problem mark when known).
"""
import datetime
import json
import struct
import sys

import yaml

try:
    text_types = (str, unicode)  # noqa: F821 (python 2)
    int_types = (int, long)  # noqa: F821
except NameError:
    text_types = (str,)
    int_types = (int,)


def canon(x):
    if x is None:
        return ["n"]
    if isinstance(x, bool):
        return ["b", x]
    if isinstance(x, int_types):
        return ["i", str(x)]
    if isinstance(x, float):
        if x != x:
            return ["f", "nan"]
        return ["f", str(struct.unpack("<Q", struct.pack("<d", x))[0])]
    if isinstance(x, text_types):
        return ["s", x]
    if isinstance(x, (datetime.date, datetime.datetime)):
        return ["t"]
    if isinstance(x, list):
        return ["l", [canon(i) for i in x]]
    if isinstance(x, dict):
        return ["m", [[canon(k), canon(v)] for k, v in x.items()]]
    return ["?", repr(x)]


out = {}
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as f:
            out[path] = [canon(d) for d in yaml.load_all(f.read().decode("utf-8"), Loader=yaml.SafeLoader)]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        out[path] = {"error": (mark.line + 1) if mark else 0}
json.dump(out, sys.stdout)
