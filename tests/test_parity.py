#!/usr/bin/env python3
"""test_parity.py QETBENCH - every option of every method, given through the CLI
(`quantize --json`), through Lua (`qet.quantize`) and through a sweep's method entry, yields the
same value in every field the three share, or the same error.

The cases come from the option table itself (`qetbench methods --json`): each option a method reads
is set to a value other than its default, so a new option without a test value here fails this test.
The CLI and Lua runs are the same computation on the same file and must agree in every field but
the timings. A sweep seeds each cell's random streams from its key, so its measured errors differ;
every parameter and every stored bit must still agree."""
import json
import os
import subprocess
import sys
import tempfile

QB = os.path.realpath(sys.argv[1])
TMP = tempfile.mkdtemp(prefix='qb_parity_')
failures = []
checks = 0


def check(cond, msg):
    global checks
    checks += 1
    if not cond:
        failures.append(msg)
        print('FAIL:', msg, file=sys.stderr)


def run(args, **kw):
    return subprocess.run([QB] + args, capture_output=True, text=True, cwd=TMP, **kw)


# A value other than the default for every option; (extra options a value needs, value).
TEST_VALUES = {
    'ratio': ({}, '6'),
    'ks': ({}, '16'),
    'bits': ({}, '3'),
    'subspaces': ({}, '4'),
    'iterations': ({}, '2'),
    'seed': ({}, '7'),
    'accounting': ({}, 'free-imap'),
    'source_bits': ({}, '16'),
    'kmeans_init': ({}, 'random'),
    'kmeans_iters': ({}, '3'),
    'max_points_per_centroid': ({}, '0'),
    'codebook_bits': ({}, '10'),
    'residual': ({}, 'pq:0.25'),
    'qet_layout': ({}, 'inplace'),
    'qet_pairing': ({}, 'strided'),
    'pairing_window': ({'qet_pairing': 'strided'}, '8'),
    'rtn_granularity': ({}, 'row'),
    'rtn_group': ({'rtn_granularity': 'group'}, '8'),
    'rtn_clip': ({}, 'mse'),
    'opq_iters': ({}, '2'),
    'opq_init': ({}, 'eigen'),
    'lopq_cells': ({}, '2'),
}
TIMINGS = {'seconds_quantize', 'seconds_dequantize', 'seconds_fit', 'seconds_encode'}
MEASURED = {'mse', 'mae', 'mre', 'mre_excluded'} | TIMINGS

table = json.loads(run(['methods', '--json']).stdout)
options = {o['name']: o for o in table['options']}
for name in options:
    check(name in TEST_VALUES, 'option %s has no test value in test_parity.py' % name)

gen = run(['gen', 'synthetic', '--n', '256', '--d', '32', '--seed', '5', '-o', 'x.h5'])
check(gen.returncode == 0, 'gen: ' + gen.stderr)


def cli_flag(name):
    return '--' + name.replace('_', '-')


def reads(method, name):
    return name in method['options'] or options[name]['all_methods']


# Cases: (method, preset, ordered [(option, value)]); a fast k-means where the method has one.
cases = []
for m in table['methods']:
    base = [('kmeans_iters', '3')] if 'kmeans_iters' in m['options'] else []
    for name in options:
        if not reads(m, name) or name not in TEST_VALUES or name == 'kmeans_iters' and base:
            continue
        extra, value = TEST_VALUES[name]
        opts = base + [(k, v) for k, v in extra.items()] + [(name, value)]
        if name not in ('ratio', 'ks', 'bits'):  # a budget: the ratio, unless k_s or bits is the case
            opts.append(('ratio', '8'))
        cases.append((m['name'], '', opts))
    for preset in m['presets']:
        cases.append((m['name'], preset, base + [('ratio', '8')]))
# Precedence: a preset first, explicit options override it, whatever their order.
cases.append(('qet', 'authors', [('iterations', '2'), ('ratio', '8'), ('kmeans_iters', '3')]))
cases.append(('qet', 'authors', [('ratio', '8'), ('kmeans_iters', '3'), ('codebook_bits', '12')]))


def cli_args(method, preset, opts, order='preset-first'):
    args = ['quantize', '--data', 'x.h5', '--method', method, '--json']
    flags = []
    for k, v in opts:
        flags += [cli_flag(k), v]
    pre = ['--preset', preset] if preset else []
    return args + (pre + flags if order == 'preset-first' else flags + pre)


def lua_value(name, value):
    return value if options[name]['type'] in ('uint', 'real') else json.dumps(value)


def lua_table(method, preset, opts):
    items = ['method = "%s"' % method] + (['preset = "%s"' % preset] if preset else [])
    items += ['%s = %s' % (k, lua_value(k, v)) for k, v in opts]
    return '{ ' + ', '.join(items) + ' }'


def flatten(obj):
    out = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                out['bits_' + k2] = v2
        else:
            out[k] = v
    return out


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a == b or (a is None and b is None) or abs(float(a) - float(b)) <= 1e-12 * max(1, abs(float(a)))
    return str(a) == str(b)


# ---- CLI, both orders of --preset ----
cli = []
for method, preset, opts in cases:
    r = run(cli_args(method, preset, opts))
    if preset:
        r2 = run(cli_args(method, preset, opts, order='preset-last'))
        j1 = flatten(json.loads(r.stdout)) if r.returncode == 0 else r.stderr
        j2 = flatten(json.loads(r2.stdout)) if r2.returncode == 0 else r2.stderr
        if isinstance(j1, dict) and isinstance(j2, dict):
            diff = [k for k in j1 if k not in TIMINGS and not same(j1[k], j2.get(k))]
            check(not diff, '%s %s %s: the order of --preset changes %s' % (method, preset, opts, diff))
        else:
            check(j1 == j2, '%s %s: the order of --preset changes the outcome' % (method, preset))
    cli.append(r)

# ---- Lua: every case in one script, each result as a JSON line ----
script = ['local x = qet.dataset { file = "x.h5" }',
          'local function enc(v) if type(v) == "string" then return string.format("%q", v) '
          'elseif math.type(v) == "integer" then return tostring(v) '
          'elseif v ~= v then return "null" else return string.format("%.17g", v) end end',
          'local function dump(r) local parts = {} for k, v in pairs(r) do '
          'if type(v) == "table" then for k2, v2 in pairs(v) do '
          'parts[#parts + 1] = string.format("%q:%s", "bits_" .. k2, enc(v2)) end '
          'else parts[#parts + 1] = string.format("%q:%s", k, enc(v)) end end '
          'return "{" .. table.concat(parts, ",") .. "}" end']
for i, (method, preset, opts) in enumerate(cases):
    t = lua_table(method, preset, opts).replace('{ ', '{ data = x, ', 1)
    script.append('do local ok, r = pcall(qet.quantize, %s) '
                  'if ok then print("CASE %d " .. dump(r)) else print("CASE %d ERR " .. tostring(r)) end end'
                  % (t, i, i))
open(os.path.join(TMP, 'lua_cases.lua'), 'w').write('\n'.join(script) + '\n')
lr = run(['run', 'lua_cases.lua'])
check(lr.returncode == 0, 'the Lua cases did not run: ' + lr.stderr[-500:])
lua = {}
for line in lr.stdout.splitlines():
    if line.startswith('CASE '):
        _, i, rest = line.split(' ', 2)
        lua[int(i)] = rest

for i, (method, preset, opts) in enumerate(cases):
    what = '%s%s %s' % (method, ' preset ' + preset if preset else '', opts)
    r, l = cli[i], lua.get(i, 'ERR (no output)')
    if r.returncode != 0 or l.startswith('ERR'):
        # the same error: both fail, with the same message after the option's spelling
        check(r.returncode != 0 and l.startswith('ERR'), '%s: CLI %s, Lua %s' % (
            what, 'fails' if r.returncode else 'succeeds', 'fails' if l.startswith('ERR') else 'succeeds'))
        if r.returncode != 0 and l.startswith('ERR'):
            tail = r.stderr.strip().split(': ')[-1]
            check(tail in l, '%s: errors differ: CLI %r, Lua %r' % (what, r.stderr.strip(), l))
        continue
    j, t = flatten(json.loads(r.stdout)), json.loads(l)
    check(set(j) == set(t), '%s: fields differ: %s' % (what, sorted(set(j) ^ set(t))))
    diff = ['%s: %r vs %r' % (k, j[k], t.get(k)) for k in j if k not in TIMINGS and not same(j[k], t.get(k))]
    check(not diff, '%s: CLI and Lua differ in %s' % (what, diff))
    for k, v in opts:  # the option took effect where the method reads it
        field = options[k]['field']
        if k in ('ks', 'bits', 'ratio', 'lopq_cells') or (k == 'iterations' and method != 'qet'):
            continue
        if k == 'residual' and method == 'rpq':
            continue
        check(same(j.get(field), int(v) if options[k]['type'] == 'uint' else v),
              '%s: %s is %r, not %r' % (what, field, j.get(field), v))

# ---- the sweep: method options and m / l through method entries, one ratio ----
sweep_cases = [(i, c) for i, c in enumerate(cases)
               if all(options[k]['method'] or k in ('subspaces', 'iterations') or (k, v) == ('ratio', '8')
                      for k, v in c[2])]
entries = []
for i, (method, preset, opts) in sweep_cases:
    items = ['method = "%s"' % method, 'label = "c%d"' % i] + (['preset = "%s"' % preset] if preset else [])
    for k, v in opts:
        if k == 'ratio':
            continue
        items.append('%s = %s' % (k, '{ %s }' % v if k in ('subspaces', 'iterations') else lua_value(k, v)))
    entries.append('    { ' + ', '.join(items) + ' },')
exp = ('return {\n  name = "parity", seed = 1, seeds = 1,\n'
       '  datasets = { { name = "x", file = "x.h5" } },\n  methods = {\n' + '\n'.join(entries) +
       '\n  },\n  ratios = { 8 },\n}\n')
open(os.path.join(TMP, 'parity.lua'), 'w').write(exp)
sr = run(['run', 'parity.lua', '--out', 'sweep'])
check(sr.returncode == 0, 'the sweep did not run: ' + sr.stderr[-800:])
import csv
rows = {}
if sr.returncode == 0:
    for row in csv.DictReader(open(os.path.join(TMP, 'sweep', 'results.csv'))):
        rows[row['label']] = row
for i, (method, preset, opts) in sweep_cases:
    what = 'sweep %s%s %s' % (method, ' preset ' + preset if preset else '', opts)
    row = rows.get('c%d' % i)
    r = cli[i]
    if row is None:
        check(False, '%s: no row' % what)
        continue
    if r.returncode != 0:
        check(row['status'] != 'ok', '%s: the CLI fails but the sweep row is ok' % what)
        continue
    check(row['status'] == 'ok', '%s: status %s (%s)' % (what, row['status'], row['note']))
    j = flatten(json.loads(r.stdout))
    missing = [k for k in j if k not in row]
    check(not missing, '%s: fields without a results column: %s' % (what, missing))
    diff = ['%s: %r vs %r' % (k, j[k], row.get(k)) for k in j
            if k in row and k not in MEASURED and not same(j[k], row[k] if not isinstance(j[k], (int, float)) else
                                                          type(j[k])(float(row[k])) if row[k] not in ('', 'nan') else None)]
    check(not diff, '%s: CLI and sweep row differ in %s' % (what, diff))

# ---- errors: the same refusal on every side ----
errors = [('opq', [('opq_iters', '2147483648'), ('ratio', '8')], 'must be in 0..100000'),
          ('pq', [('codebook_bits', '10'), ('ratio', '8')], 'does not apply to method pq'),
          ('rpq', [('ratio', '8')], None)]
for method, opts, msg in errors[:2]:
    r = run(cli_args(method, '', opts))
    check(r.returncode == 2 and msg in r.stderr, 'CLI %s %s: %r' % (method, opts, r.stderr))
    open(os.path.join(TMP, 'e.lua'), 'w').write(
        'local x = qet.dataset { file = "x.h5" }\nqet.quantize(%s)\n'
        % lua_table(method, '', opts).replace('{ ', '{ data = x, ', 1))
    l = run(['run', 'e.lua'])
    check(l.returncode == 2 and msg in l.stderr, 'Lua %s %s: %r' % (method, opts, l.stderr))
r = run(cli_args('rpq', 'authors', [('ratio', '8')]))
open(os.path.join(TMP, 'e.lua'), 'w').write(
    'local x = qet.dataset { file = "x.h5" }\nqet.quantize { data = x, method = "rpq", preset = "authors", ratio = 8 }\n')
l = run(['run', 'e.lua'])
check(r.returncode == 2 and l.returncode == 2 and 'no presets' in r.stderr and 'no presets' in l.stderr,
      'a preset rpq has not: CLI %r, Lua %r' % (r.stderr, l.stderr))

print('parity: %d cases, %d in the sweep, %d checks, %d failed' % (len(cases), len(sweep_cases), checks, len(failures)))
sys.exit(1 if failures or checks == 0 else 0)
