#!/usr/bin/env python2.7
"""Render every corpus template with real Ansible 1.2 (template_from_file) for a fixed
3-host variable set and write the goldens flock's tests compare against byte for byte.

Usage (Python 2.7 with /opt/ansible12 on PYTHONPATH):
  template_oracle.py CORPUS_WITH_SYMLINKS_RESTORED FACTS_JSON OUT_TSV [DUMP_DIR]

Variable set per (template, host) -- mirrored exactly by tests/template_corpus.rs:
  inventory vars (ansible_ssh_host, inventory_hostname, inventory_hostname_short, group_names),
  `groups`, the role's networks.yml (else the corpus root's), the role's vars/*.yml in name
  order (without Debian.yml/CentOS.yml and other hosts' <host>.yml), the host's facts, and
  `hostvars` (real ansible.runner.HostVars over all three hosts).
basedir = the directory holding `templates/`. Output TSV: path, host, status, md5, length.
"""
import hashlib, json, os, sys
from ansible.utils import template as T
from ansible.runner import HostVars
import yaml

HOSTS = ['core-01', 'core-02', 'core-03']

def inv_vars(h):
    return {'ansible_ssh_host': '10.1.1.%s' % h[-1], 'inventory_hostname': h,
            'inventory_hostname_short': h, 'group_names': ['core']}

class Inv(object):
    def get_variables(self, h):
        return inv_vars(h)
    def get_host(self, h):
        return h in HOSTS

def load(path):
    with open(path) as f:
        d = yaml.safe_load(f)
    return d if isinstance(d, dict) else {}

def role_vars(basedir, corpus, host):
    out = []
    nets = os.path.join(basedir, 'networks.yml')
    out.append(nets if os.path.exists(nets) else os.path.join(corpus, 'networks.yml'))
    vdir = os.path.join(basedir, 'vars')
    if os.path.isdir(vdir):
        for n in sorted(os.listdir(vdir)):
            if not n.endswith('.yml') or n in ('Debian.yml', 'CentOS.yml'):
                continue
            if n.startswith('core-0') and n != host + '.yml':
                continue
            out.append(os.path.join(vdir, n))
    return out

def main():
    corpus, facts_path, out_tsv = sys.argv[1:4]
    dump = sys.argv[4] if len(sys.argv) > 4 else None
    facts = json.load(open(facts_path))
    templates = []
    for root, dirs, files in os.walk(corpus, followlinks=False):
        for f in files:
            p = os.path.join(root, f)
            rel = os.path.relpath(p, corpus)
            if '/templates/' in '/' + rel and not os.path.islink(p):
                templates.append(rel)
    templates.sort()
    setup_cache = {}
    for h in HOSTS:
        setup_cache[h] = dict(facts[h])
    rows = []
    for rel in templates:
        parts = rel.split('/')
        i = parts.index('templates')
        basedir = os.path.join(corpus, *parts[:i]) if i else corpus
        src = '/'.join(parts[i:])
        for h in HOSTS:
            inject = {}
            inject.update(inv_vars(h))
            inject['groups'] = {'all': HOSTS, 'core': HOSTS, 'ungrouped': []}
            for vf in role_vars(basedir, corpus, h):
                inject.update(load(vf))
            inject.update(facts[h])
            inject['hostvars'] = HostVars(setup_cache, Inv())
            try:
                res = T.template_from_file(basedir, src, inject)
                data = res.encode('utf-8')
                status = 'ok'
            except Exception, e:
                data = ('%s: %s' % (e.__class__.__name__, e)).encode('utf-8')
                status = 'error'
            if dump:
                d = os.path.join(dump, h, rel)
                if not os.path.isdir(os.path.dirname(d)):
                    os.makedirs(os.path.dirname(d))
                open(d, 'wb').write(data)
            md5 = hashlib.md5(data).hexdigest() if status == 'ok' else '-'
            rows.append('%s\t%s\t%s\t%s\t%d' % (rel, h, status, md5, len(data) if status == 'ok' else 0))
    with open(out_tsv, 'w') as f:
        f.write('\n'.join(rows) + '\n')
    print('%d renders, %d errors' % (len(rows), sum(1 for r in rows if '\terror\t' in r)))

main()
