#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs into fuzz/corpus/TARGET/ from this repository's own files
(roles/, inventories/, tests/data/) and a few hand-written inputs. Never from ../shared."""
import json, os, struct, glob

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def files(*patterns):
    for p in patterns:
        for f in sorted(glob.glob(os.path.join(ROOT, p), recursive=True)):
            if os.path.isfile(f):
                yield os.path.relpath(f, ROOT).replace("/", "_"), open(f, "rb").read()


for n, d in files("roles/**/*.yml", "inventories/*.yml"):
    put("yaml", n, d)
put("yaml", "forms", "a: &x [1, {b: c}]\nb: *x\nc: |\n  text\n  more\nd: >-\n  folded\ne: !!str 1\nf: 0o17\ng: 1_000\nh: yes\n? complex\n: value\n---\n- 'q''s'\n- \"\\u00e9\\n\"\n")
for n, d in files("inventories/*.ini", "tests/data/inventory/*.ini"):
    put("inventory_ini", n, d)
put("inventory_ini", "forms", "h0 a=1\n[core]\ncore-0[1:3] ansible_ssh_host=10.1.1.1 x=\"a b\"\nweb[a:c]:2222\n[core:vars]\nk='v'\n[all:children]\ncore\n")
for n, d in files("inventories/*.yml"):
    put("inventory_yaml", n, d)
put("inventory_yaml", "forms", "all:\n  hosts:\n    h[01:03]: {a: 1}\n  children:\n    g:\n      hosts: {x: null}\n      vars: {v: [1, 2]}\n      children: {k: {hosts: {y: {}}}}\n")
for i, p in enumerate(["all", "core:!core-02", "all:&core", "core[1]", "core[0-1]", "~core-0[12]",
                       "core[0:2],cn[-1]\ncore", "!cn:&all\ncore,com", "cn-*:core-0?", "core[1:]\n~c.*",
                       "[fe80::1]", "all,!com\n@x"]):
    put("host_pattern", str(i), p)
for i, s in enumerate(["a=1 b='two words' c=\"x=y\"", "k=v=w", "'unbalanced", "x=", "=y z",
                       "msg=\"{{ a }}\" dest=/tmp/x mode=0644"]):
    put("kv", str(i), s)
for n, d in files("roles/**/*.j2"):
    put("template", "legacy-" + n, b"\x00" + d)
    put("template", "modern-" + n, b"\x01" + d)
for i, s in enumerate(["{{ name | upper }} $name ${n} {{ items[2].k | join(',') }}",
                       "{% for x in items %}{{ loop.index }}{{ x }}{% endfor %}",
                       "{{ d.x.y ~ (n * 2) | string }} {% if n > 2 %}big{% else %}small{% endif %}",
                       "{{ ref }} {{ d | to_json }} {{ 'a,b' | split(',') | list }}",
                       "{{ undefined_var }} {{ name | default('x') | regex_replace('c', 'k') }}",
                       "{% set a = [1,2,3] %}{{ a | map('int') | sum }} {{ {'k': 1} | dict2items }}",
                       "{{ '%s-%d' % (name, n) }} {{ n is divisibleby 3 }} {{ name[0:4] }}"]):
    put("template", "legacy-expr%d" % i, b"\x00" + s.encode())
    put("template", "modern-expr%d" % i, b"\x01" + s.encode())


def frame(header, blobs=()):
    head = json.dumps(header).encode()
    body = struct.pack("<I", len(head)) + head
    for b in blobs:
        body += struct.pack("<I", len(b)) + b
    return struct.pack("<I", len(body)) + body


put("agent_frame", "exec", frame({"op": "exec", "script": "echo hi"}, [b"stdin"]))
put("agent_frame", "probe", frame({"op": "probe", "paths": []}))
put("agent_frame", "write", frame({"op": "write", "path": "/tmp/x", "owner": None, "group": None,
                                   "mode": 420, "new_mode": 420, "mkdir_parent": False, "sha1": True}, [b"data"]))
put("agent_frame", "facts+exec", frame({"op": "facts"}) + frame({"op": "exec", "script": "true"}))
put("agent_frame", "huge-length", struct.pack("<I", 0x3FFFFFFF) + b"\x05\x00\x00\x00{}")
