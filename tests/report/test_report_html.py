#!/usr/bin/env python3
"""test_report_html.py QETBENCH MAKE_RESULTS - the report page of a small sweep parses as HTML with
matched tags, unique ids and internal links that resolve; every SVG figure of the results is inline;
nothing on the page loads from elsewhere (no src, no remote href); verdicts and provenance are there."""
import collections
import os
import subprocess
import sys
import tempfile
from html.parser import HTMLParser

QB, MAKE = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
tmp = tempfile.mkdtemp(prefix='qb_report_')
out = os.path.join(tmp, 'res')
subprocess.run(['bash', MAKE, QB, out], check=True)
failures, checks = [], 0


def check(cond, msg):
    global checks
    checks += 1
    if not cond:
        failures.append(msg)
        print('FAIL:', msg, file=sys.stderr)


VOID = {'meta', 'br', 'hr', 'img', 'input', 'link', 'col', 'area', 'base', 'wbr', 'source'}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.ids, self.links, self.loads = [], collections.Counter(), [], []
        self.tags = collections.Counter()
        self.problems = []

    def attrs(self, tag, attrs):
        a = dict(attrs)
        self.tags[tag] += 1
        if 'id' in a:
            self.ids[a['id']] += 1
        for k in ('href', 'xlink:href'):
            v = a.get(k) or ''
            if v.startswith('#'):
                self.links.append(v[1:])
            elif '://' in v or v.startswith('//'):
                self.loads.append(v)
        if a.get('src'):
            self.loads.append(a['src'])

    def handle_starttag(self, tag, attrs):
        self.attrs(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.attrs(tag, attrs)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append('</%s> closes <%s>' % (tag, self.stack[-1] if self.stack else 'nothing'))
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
        else:
            self.stack.pop()


html = open(os.path.join(out, 'report.html'), encoding='utf-8').read()
p = Page()
p.feed(html)
p.close()
check(not p.problems, 'tags do not match: %s' % p.problems[:5])
check(not p.stack, 'unclosed tags: %s' % p.stack[:5])
dups = [k for k, v in p.ids.items() if v > 1]
check(not dups, 'ids used twice: %s' % dups[:5])
check(p.links, 'no internal links at all')
missing = sorted(set(l for l in p.links if l not in p.ids))
check(not missing, 'internal links to nowhere: %s' % missing[:5])
check(not p.loads, 'the page loads or links outside itself: %s' % p.loads[:5])
svgs = [f for d in sorted(os.listdir(os.path.join(out, 'figures')))
        if os.path.isdir(os.path.join(out, 'figures', d))
        for f in os.listdir(os.path.join(out, 'figures', d)) if f.endswith('.svg')]
check(len(svgs) > 20, 'the sweep drew only %d SVG figures' % len(svgs))
check(p.tags['figure'] == len(svgs), '%d figures inline, %d SVG files' % (p.tags['figure'], len(svgs)))
check(p.tags['svg'] == len(svgs), '%d <svg> elements for %d files' % (p.tags['svg'], len(svgs)))
for name in svgs:
    check(name in html, 'figure %s is not named on the page' % name)
for what in ('id="verdicts"', 'id="headline"', 'id="claims"', 'id="provenance"', 'SHA-256',
             'experiment.lua', 'class="v-', '@media print', 'report-test'):
    check(what in html, 'the page lacks %s' % what)
check('<script' not in html.split('</body>')[0].split('<section')[0],
      'a script runs before the content')
check(html.count('<script') == 1, 'more than the one inline script')
# The verdict summary links every claim row of claims.md.
claim_rows = [l for l in open(os.path.join(out, 'claims.md')).read().splitlines()
              if l.startswith('| ') and not l.startswith('| claim')]
check(len(claim_rows) > 0 and all('claim-%d' % (i + 1) in p.ids for i in range(len(claim_rows))),
      '%d claim rows, not all with an id' % len(claim_rows))
# One style per curve: a method (or m) keeps its colour, marker and dash in every figure.
import glob
import re
style_of = collections.defaultdict(set)
for gp in glob.glob(os.path.join(out, 'figures', '*', '*.gp')):
    for lt, dt, title in re.findall(r"with yerrorlines lw 2 lt (\d+) dt (\d+) title '([^']*)'", open(gp).read()):
        style_of[title].add((lt, dt))
check(len(style_of) >= 5, 'only %d styled curves found in the figure scripts' % len(style_of))
mixed = {k: v for k, v in style_of.items() if len(v) > 1}
check(not mixed, 'curves drawn in more than one style: %s' % mixed)
taken = collections.Counter(v for s in style_of.values() for v in s)
check(all(c == 1 for c in taken.values()), 'two curves share a style: %s' % [k for k, c in taken.items() if c > 1])
print('report html: %d checks, %d failed, %d figures, %d ids' % (checks, len(failures), len(svgs), len(p.ids)))
sys.exit(1 if failures or not checks else 0)
