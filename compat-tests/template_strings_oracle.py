#!/usr/bin/env python2.7
"""Evaluate string templates, conditions and with_items terms with real Ansible 1.2.

Usage: template_strings_oracle.py VARS_YML CASES_JSON OUT_JSON
Each case is [kind, expr]: kind "template" (utils.template.template), "items" (template then
the items lookup), or a condition kind ("only_if", "when", "when_string", ...), compiled as
ansible.playbook.task does and checked as the runner does. Output: one result per case,
{"value": ...} or {"error": "..."}.
"""
import json, sys
from ansible import utils
from ansible.utils import template as T
import yaml

def run(kind, expr, inject):
    if kind == 'template':
        return T.template('/tmp', expr, inject)
    if kind == 'items':
        terms = T.template('/tmp', expr, inject)
        return utils.plugins.lookup_loader.get('items', basedir='/tmp').run(terms, inject=inject)
    if kind == 'only_if':
        cond = expr
    elif kind == 'when':
        cond = utils.compile_when_to_only_if('jinja2_compare %s' % expr)
    else:
        cond = utils.compile_when_to_only_if('%s %s' % (kind.replace('when_', ''), expr))
    cond = T.template('/tmp', cond, inject, expand_lists=False)
    return bool(utils.check_conditional(cond))

def main():
    inject = yaml.safe_load(open(sys.argv[1]))
    cases = json.load(open(sys.argv[2]))
    out = []
    for kind, expr in cases:
        try:
            out.append({'value': run(kind, expr, inject)})
        except Exception, e:
            out.append({'error': '%s' % e})
    json.dump(out, open(sys.argv[3], 'w'), indent=1, sort_keys=True)

main()
