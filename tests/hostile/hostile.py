#!/usr/bin/env python3
"""hostile.py QETBENCH MAKE_BAD_H5 SRC_ROOT [--mutations K] [--seed S] [--only CLASS] [--table]

Feeds qetbench the inputs a careless or hostile user could give it -- malformed and mutated data
files of every format it reads, tampered results directories, configs that misbehave, absurd
numbers, two runs on one directory, a full disk -- and sorts each outcome:

  clear error  exit 1 or 2 with one line on stderr (the harness's contract)
  accepted     exit 0 where that is a right answer (a mutated byte inside the data, say)
  wrong        exit 0 where the input must be refused, an escape (a file written or a command run
               outside the results directory), invalid JSON, or an error of several lines
  crash        a signal, a sanitizer report, or a Lua PANIC
  hang         no exit within the time limit

It prints one line per case that is not a clear error or a right acceptance, then the table, and
exits 1 if any case crashed, hung or was wrong. Run it against a sanitizer build to see memory
errors and undefined behaviour, not only signals."""
import argparse
import gzip
import json
import os
import random
import re
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument('qetbench')
ap.add_argument('make_bad_h5')
ap.add_argument('src')
ap.add_argument('--mutations', type=int, default=30, help='mutated files per binary format')
ap.add_argument('--seed', type=int, default=1)
ap.add_argument('--timeout', type=float, default=40)
ap.add_argument('--only', default=None, help='run one class')
ap.add_argument('--table', action='store_true', help='print the table as markdown')
args = ap.parse_args()

QB = os.path.realpath(args.qetbench)
SRC = os.path.realpath(args.src)
TMP = tempfile.mkdtemp(prefix='qb_hostile_')
rng = random.Random(args.seed)
results = {}  # class -> {outcome: count}
details = []
CRASH_MARKS = ('AddressSanitizer', 'LeakSanitizer', 'runtime error:', 'PANIC:', 'Segmentation fault',
               'stack smashing', 'double free', 'malloc(): ', 'free(): ')


def path(*p):
    return os.path.join(TMP, *p)


def write(name, data, mode='wb'):
    with open(path(name), mode) as f:
        f.write(data)
    return path(name)


def run(argv, cwd=None, timeout=None, env=None, preexec=None):
    e = dict(os.environ, OMP_NUM_THREADS='1', OMP_WAIT_POLICY='passive')
    e['ASAN_OPTIONS'] = e.get('ASAN_OPTIONS', '') + ':detect_leaks=0'
    e['UBSAN_OPTIONS'] = 'print_stacktrace=1'
    if env:
        e.update(env)
    t0 = time.time()
    try:
        p = subprocess.run([QB] + argv, cwd=cwd or TMP, capture_output=True, timeout=timeout or args.timeout,
                           env=e, preexec_fn=preexec, stdin=subprocess.DEVNULL)
        return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace'), time.time() - t0
    except subprocess.TimeoutExpired as ex:
        return None, (ex.stdout or b'').decode('utf-8', 'replace'), (ex.stderr or b'').decode('utf-8', 'replace'), time.time() - t0


def classify(rc, err, expect):
    """expect: 'error' (must be refused), 'ok' (must succeed) or 'any' (either, if clean)."""
    if rc is None:
        return 'hang'
    if rc < 0 or rc > 2 or any(m in err for m in CRASH_MARKS):
        return 'crash'
    if rc == 0:
        return 'wrong' if expect == 'error' else 'accepted'
    # progress and notes a run prints on stderr besides its one error line
    lines = [l for l in err.splitlines() if l.strip() and not l.startswith(('warning', '[', 'cells ', '\r'))
             and not re.match(r'^\S+: (\d+ cells \(|removed \d+ temporaries)', l)]
    if expect == 'ok':
        return 'wrong'
    if len(lines) != 1 or not lines[0].startswith('qetbench'):
        return 'wrong'
    return 'clear error'


def case(cls, name, argv, expect='error', cwd=None, check=None, env=None, preexec=None, timeout=None):
    """Runs one case; check(rc, out, err) may turn it 'wrong' by returning a reason."""
    if args.only and cls != args.only:
        return None
    rc, out, err, secs = run(argv, cwd=cwd, env=env, preexec=preexec, timeout=timeout)
    outcome = classify(rc, err, expect)
    why = ''
    if check and outcome in ('clear error', 'accepted'):
        why = check(rc, out, err) or ''
        if why:
            outcome = 'wrong'
    results.setdefault(cls, {}).setdefault(outcome, 0)
    results[cls][outcome] += 1
    if outcome not in ('clear error', 'accepted'):
        first = [l for l in err.splitlines() if l.strip()]
        hint = why or (first[0][:160] if first else '(no stderr)')
        for l in first:  # the sanitizer's own line, if any, says more than the first
            if any(m in l for m in CRASH_MARKS):
                hint = l[:160]
                break
        details.append('%-8s %-12s %-40s rc=%s %.1fs: %s' % (outcome, cls, name[:40], rc, secs, hint))
    return rc, out, err


def mutate(data, k=None):
    b = bytearray(data)
    for _ in range(k or rng.randint(1, 4)):
        op = rng.random()
        i = rng.randrange(len(b)) if b else 0
        if op < 0.6 and b:
            b[i] = rng.choice([0, 0xff, 0x7f, 0x80, rng.randrange(256)])
        elif op < 0.75 and b:
            del b[i:i + rng.randint(1, 8)]
        elif op < 0.9:
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        else:
            b = b[:rng.randrange(len(b) + 1)]
    return bytes(b)


def no_file(p):
    return lambda rc, out, err: ('escaped: %s exists' % p) if os.path.exists(p) else None


# ---------------------------------------------------------------- vector files and .npy
def npy(descr, shape, fortran=False, data=b'', version=1, raw_header=None):
    h = raw_header if raw_header is not None else \
        "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)
    h += ' ' * ((-len(h) - 11) % 64) + '\n'
    if version == 1:
        pre = b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h))
    else:
        pre = b'\x93NUMPY' + bytes([version, 0]) + struct.pack('<I', len(h))
    return pre + h.encode('latin-1') + data


def vec_cases():
    good = npy('<f4', '(4, 3)', data=struct.pack('<12f', *range(12)))
    big = 1 << 40
    cases = [
        ('npy-wrap-fortran', npy('|u1', '(%d, %d)' % (big, 1 << 24), True)),
        ('npy-wrap-c', npy('|u1', '(%d, %d)' % (big, 1 << 24), False)),
        ('npy-wrap-f8', npy('<f8', '(%d, %d)' % (1 << 39, 1 << 22), True)),
        ('npy-huge-shape', npy('<f4', '(18446744073709551615, 2)')),
        ('npy-negative', npy('<f4', '(-1, 3)')),
        ('npy-3d', npy('<f4', '(2, 2, 2)', data=bytes(32))),
        ('npy-1d', npy('<f4', '(4,)', data=bytes(16))),
        ('npy-zero', npy('<f4', '(0, 3)')),
        ('npy-dtype', npy('<c8', '(1, 1)', data=bytes(8))),
        ('npy-bigendian', npy('>f4', '(1, 1)', data=bytes(4))),
        ('npy-object', npy('|O', '(1, 1)', data=bytes(8))),
        ('npy-truncated', good[:-5]),
        ('npy-longer', good + b'xx'),
        ('npy-no-magic', b'NUMPY' + good[6:]),
        ('npy-version9', good[:6] + b'\x09' + good[7:]),
        ('npy-hlen-huge', b'\x93NUMPY\x02\x00' + struct.pack('<I', 0xffffffff) + b'{}'),
        ('npy-hlen-past-end', b'\x93NUMPY\x01\x00' + struct.pack('<H', 60000) + b'{}'),
        ('npy-no-shape', npy(None, None, raw_header="{'descr': '<f4', 'fortran_order': False}")),
        ('npy-shape-text', npy('<f4', "'abc'")),
        ('npy-nan', npy('<f4', '(1, 2)', data=struct.pack('<2f', float('nan'), 1))),
        ('npy-empty', b''),
        ('fvecs-intmin', struct.pack('<i', -2 ** 31) + bytes(12)),
        ('fvecs-zero-d', struct.pack('<i', 0) + bytes(12)),
        ('fvecs-huge-d', struct.pack('<i', 2 ** 30) + bytes(12)),
        ('fvecs-mixed', struct.pack('<i2f', 2, 1, 2) + struct.pack('<i', 3) + bytes(8)),
        ('fvecs-truncated', struct.pack('<i2f', 2, 1, 2) + struct.pack('<i', 2) + bytes(3)),
        ('fvecs-inf', struct.pack('<i2f', 2, float('inf'), 2)),
        ('bvecs-intmin', struct.pack('<i', -2 ** 31) + bytes(4)),
        ('ivecs-mixed', struct.pack('<i2i', 2, 1, 2) + struct.pack('<i', 1) + bytes(4)),
        ('fbin-zero', struct.pack('<2I', 0, 4)),
        ('fbin-huge', struct.pack('<2I', 0xffffffff, 1 << 24)),
        ('fbin-short', struct.pack('<2I', 4, 4) + bytes(20)),
        ('fbin-no-header', b'\x01'),
    ]
    ext = {'npy': '.npy', 'fve': '.fvecs', 'bve': '.bvecs', 'ive': '.ivecs', 'fbi': '.fbin'}
    for name, data in cases:
        f = write(name + ext[name[:3]], data)
        # the first row of a file whose second row is bad is still a first row
        case('vecs', name, ['data', 'vecs', f, '--max', '1', '-o', path('out.h5')],
             expect='any' if name == 'fvecs-mixed' else 'error')
        case('vecs', name + ' (all rows)', ['data', 'vecs', f, '-o', path('out.h5')])
    # A sparse file holding what its header declares (4 GiB): more than the memory bound (1 GiB
    # here, whatever the machine), not than the disk.
    for name, hdr, ext_ in (('sparse-fbin', struct.pack('<2I', 1 << 20, 1 << 10), '.fbin'),
                            ('sparse-npy', npy('<f4', '(%d, 1024)' % (1 << 20)), '.npy')):
        f = write(name + ext_, hdr)
        os.truncate(f, len(hdr) + 4 * (1 << 20) * 1024)
        case('vecs', name, ['data', 'vecs', f, '-o', path('out.h5')], env={'QETBENCH_MAX_MEMORY': '1G'})
        os.unlink(f)
    seeds = [(good, '.npy'), (npy('<f2', '(2, 2)', True, bytes(8)), '.npy'),
             (npy('|i1', '(3, 2)', data=bytes(6), version=2), '.npy'),
             (struct.pack('<i3f', 3, 1, 2, 3) * 4, '.fvecs'), (struct.pack('<i4B', 4, 1, 2, 3, 4) * 3, '.bvecs'),
             (struct.pack('<2I', 2, 3) + struct.pack('<6f', *range(6)), '.fbin')]
    for i in range(args.mutations):
        data, e = seeds[i % len(seeds)]
        f = write('mut%d%s' % (i, e), mutate(data))
        case('vecs', 'mutation %d%s' % (i, e), ['data', 'vecs', f, '--max', str(rng.choice([1, 3])),
                                                '-o', path('out.h5')], expect='any')


# ---------------------------------------------------------------- safetensors
def st(header, data=b'', pad=True):
    h = header.encode() if isinstance(header, str) else header
    if pad:
        h += b' ' * ((-len(h)) % 8)
    return struct.pack('<Q', len(h)) + h + data


def safetensors_cases():
    good = st('{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}', struct.pack('<4f', 1, 2, 3, 4))
    cases = [
        ('overlap', st('{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},'
                       '"b":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}}', bytes(24))),
        ('same-range', st('{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},'
                          '"b":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}', bytes(16))),
        ('trailing-garbage', st(b'{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}xyz', bytes(16), pad=False)),
        ('hole', st('{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}}', bytes(24))),
        ('count-overflow', st('{"w":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}}')),
        ('huge-int', st('{"w":{"dtype":"F32","shape":[99999999999999999999999,1],"data_offsets":[0,4]}}', bytes(4))),
        ('end-before-begin', st('{"w":{"dtype":"F32","shape":[1,1],"data_offsets":[8,4]}}', bytes(8))),
        ('past-end', st('{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}', bytes(8))),
        ('hlen-huge', struct.pack('<Q', 2 ** 63) + b'{}'),
        ('hlen-zero', struct.pack('<Q', 0)),
        ('hlen-past-end', struct.pack('<Q', 1000) + b'{}'),
        ('not-json', st('hello')),
        ('nested', st('{"w":{"dtype":{"x":1},"shape":[1],"data_offsets":[0,4]}}', bytes(4))),
        ('dims-9', st('{"w":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}}', bytes(4))),
        ('dup-name', st('{"w":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},'
                        '"w":{"dtype":"F32","shape":[1,1],"data_offsets":[4,8]}}', bytes(8))),
        ('no-tensor', st('{"__metadata__":{"a":"b"}}')),
        ('nan', st('{"w":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]}}', struct.pack('<2f', float('nan'), 1))),
        ('unknown-dtype', st('{"w":{"dtype":"Q7","shape":[1,1],"data_offsets":[0,4]}}', bytes(4))),
        ('deep-metadata', st('{"__metadata__":' + '{"a":' * 5000 + '1' + '}' * 5000 + '}')),
        ('empty', b''),
    ]
    for name, data in cases:
        case('safetensors', name, ['data', 'safetensors', write(name + '.safetensors', data), '-o', path('out.h5')])
    # Declares 8 GiB of F32 inside a sparse file of that size: the file holds it, memory may not.
    f = write('sparse.safetensors', st('{"w":{"dtype":"F32","shape":[65536,32768],"data_offsets":[0,8589934592]}}'))
    os.truncate(f, os.path.getsize(f) + 8589934592)
    case('safetensors', 'sparse-8GiB', ['data', 'safetensors', f, '-o', path('out.h5')],
         env={'QETBENCH_MAX_MEMORY': '1G'})
    os.unlink(f)
    seeds = [good, st('{"__metadata__":{"k":"v"},"a":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]},'
                      '"b":{"dtype":"BF16","shape":[3],"data_offsets":[12,18]}}', bytes(18))]
    for i in range(args.mutations):
        f = write('mut%d.safetensors' % i, mutate(seeds[i % 2]))
        case('safetensors', 'mutation %d' % i, ['data', 'safetensors', f, '-o', path('out.h5')], expect='any')


# ---------------------------------------------------------------- llama2.c checkpoints
def llama2c_cases():
    with open(os.path.join(SRC, 'datasets', 'stories260K.bin'), 'rb') as f:
        good = f.read()
    hdr = list(struct.unpack('<7i', good[:28]))
    for field in range(7):
        for v in (-2 ** 31, 0, -1, 2 ** 31 - 1, 1 << 21):
            h = hdr[:]
            h[field] = v
            f = write('h%d_%d.bin' % (field, v & 0xffffffff), struct.pack('<7i', *h) + good[28:])
            case('llama2c', 'field %d = %d' % (field, v), ['data', 'llama2c', f, '-o', path('out.h5')])
    case('llama2c', 'versioned', ['data', 'llama2c', write('v.bin', b'42ka' + good[4:]), '-o', path('out.h5')])
    case('llama2c', 'truncated', ['data', 'llama2c', write('t.bin', good[:-4]), '-o', path('out.h5')])
    case('llama2c', 'header only', ['data', 'llama2c', write('ho.bin', good[:20]), '-o', path('out.h5')])
    nan = bytearray(good)
    nan[28:32] = struct.pack('<f', float('nan'))
    case('llama2c', 'nan weight', ['data', 'kvcache', write('nan.bin', bytes(nan)), '-o', path('out.h5'),
                                   '--tokens', '4', '--sequences', '1'])
    for i in range(args.mutations):
        b = bytearray(good)
        if i % 2:  # the header
            b[:28] = mutate(good[:28], 1)[:28].ljust(28, b'\0')
        else:  # a weight: may be any float, even NaN
            b = bytearray(mutate(good, 1))
        f = write('mut%d.bin' % i, bytes(b))
        kind = 'kvcache' if i % 3 == 0 else 'llama2c'
        case('llama2c', 'mutation %d (%s)' % (i, kind),
             ['data', kind, f, '-o', path('out.h5')] + (['--tokens', '8', '--sequences', '1'] if kind == 'kvcache' else []),
             expect='any')


# ---------------------------------------------------------------- IDX
def idx(rank, dims, data, typ=0x08):
    return bytes([0, 0, typ, rank]) + b''.join(struct.pack('>I', d) for d in dims) + data


def idx_cases():
    good = idx(3, [2, 4, 4], bytes(range(32)))
    cases = [
        ('magic', b'\x01\x02\x08\x03' + good[4:]),
        ('rank0', idx(0, [], b'')),
        ('rank4', idx(4, [1, 1, 1, 1], b'\0')),
        ('float-type', idx(3, [2, 4, 4], bytes(128), typ=0x0d)),
        ('huge-n', idx(3, [0xffffffff, 64, 64], bytes(16))),
        ('huge-width', idx(3, [1, 0xffffffff, 0xffffffff], bytes(16))),
        ('zero', idx(3, [0, 4, 4], b'')),
        ('truncated', good[:-3]),
        ('header-cut', good[:10]),
        ('gz-garbage', b'\x1f\x8b\x08\x00' + bytes(20)),
        ('gz-huge', gzip.compress(idx(3, [100000, 32, 32], bytes(4096)))),
        ('empty', b''),
    ]
    for name, data in cases:
        # gz-huge promises 100000 items and holds 4: the first 2 are there to read
        case('idx', name, ['data', 'gist', write(name + '.idx', data), '-o', path('out.h5'), '--max', '2'],
             expect='any' if name == 'gz-huge' else 'error')
        case('idx', name + ' (all)', ['data', 'gist', write(name + '.idx', data), '-o', path('out.h5')])
    seeds = [good, gzip.compress(good)]
    for i in range(args.mutations):
        f = write('mut%d.idx' % i, mutate(seeds[i % 2]))
        case('idx', 'mutation %d' % i, ['data', 'gist', f, '-o', path('out.h5'), '--max', '2'], expect='any')


# ---------------------------------------------------------------- wink JSON
def wink(vectors, d=2, size=None, extra=''):
    size = len(vectors) if size is None else size
    body = ','.join('"%s":[%s]' % (w, ','.join(str(x) for x in v)) for w, v in vectors)
    return ('{"dimensions":%s,"size":%s,"l2NormIndex":%s,"wordIndex":%s,%s"vectors":{%s}}'
            % (d, size, d, d + 1 if isinstance(d, int) else d, extra, body)).encode()


def wink_cases():
    good = wink([('a', [3, 4, 5, 0]), ('b', [0, 1, 1, 1])])
    cases = [
        ('huge-header', wink([('a', [3, 4, 5, 0])], d=10 ** 9, size=10 ** 9)),
        ('huge-size', wink([('a', [3, 4, 5, 0])], size=10 ** 9)),
        ('float-dims', wink([], d='2.5')),
        ('negative', wink([], d=-1)),
        ('short-vector', wink([('a', [3, 4])])),
        ('wrong-index', wink([('a', [3, 4, 5, 7])])),
        ('fewer-than-size', wink([('a', [3, 4, 5, 0])], size=5)),
        ('nan-text', b'{"dimensions":2,"size":1,"l2NormIndex":2,"wordIndex":3,"vectors":{"a":[nan,1,1,0]}}'),
        ('overflow', wink([('a', ['1e999', 4, 5, 0])])),
        ('deep', b'{"x":' + b'[' * 100000 + b']' * 100000 + b',' + good[1:]),
        ('unterminated', good[:-3]),
        ('no-vectors', b'{"dimensions":2}'),
        ('long-number', b'{"dimensions":' + b'1' * 100000 + b'}'),
        ('empty', b''),
    ]
    for name, data in cases:
        case('wink', name, ['data', 'wink', write(name + '.json', data), '-o', path('out.h5')])
    for i in range(args.mutations):
        f = write('mut%d.json' % i, mutate(good))
        case('wink', 'mutation %d' % i, ['data', 'wink', f, '-o', path('out.h5')], expect='any')


# ---------------------------------------------------------------- HDF5
def hdf5_cases():
    d = path('h5')
    os.makedirs(d, exist_ok=True)
    subprocess.run([args.make_bad_h5, d], check=True)
    q = ['--method', 'rtn', '--bits', '4']
    case('hdf5', 'declares 2^40 rows', ['quantize', '--data', os.path.join(d, 'huge.h5')] + q)
    case('hdf5', 'short external storage', ['quantize', '--data', 'external.h5'] + q, cwd=d)
    case('hdf5', 'nan', ['quantize', '--data', os.path.join(d, 'nan.h5')] + q)
    case('hdf5', 'rank 3', ['quantize', '--data', os.path.join(d, 'rank3.h5')] + q)
    good = path('good.h5')
    rc, _, err, _ = run(['gen', 'gaussian', '--n', '16', '--d', '8', '-o', good])
    assert rc == 0, err
    data = open(good, 'rb').read()
    meta = min(len(data), 1600)  # superblock, object headers, attributes: the data follows
    for i in range(args.mutations * 3):
        b = bytearray(data)
        if i % 2 == 0:  # one byte, walking the metadata evenly
            j = (i // 2) * meta // (args.mutations * 3 // 2 + 1)
            b[j] = rng.choice([0, 0xff, b[j] ^ 0x80, b[j] ^ 1, (b[j] + 1) & 0xff])
        else:  # two bytes near each other (a field of a message)
            j = rng.randrange(meta - 2)
            b[j] = rng.randrange(256)
            b[j + rng.randint(1, 2)] = rng.randrange(256)
        f = write('mut%d.h5' % i, bytes(b))
        case('hdf5', 'mutation %d' % i, ['quantize', '--data', f] + q, expect='any')


# ---------------------------------------------------------------- results directories
def results_cases():
    cfg = write('small.lua', b'return { name = "small", seeds = 2, methods = { "rtn", "pq" }, ratios = { 4, 8 },\n'
                b'  datasets = { { name = "synthetic", n = 64, d = 16 } } }\n')
    base = path('res-base')
    rc, _, err, _ = run(['run', cfg, '--out', base])
    assert rc == 0, err
    lines = open(os.path.join(base, 'results.csv')).read().splitlines(True)
    header, rows = lines[0], lines[1:]
    cols = header.rstrip('\n').split(',')

    def with_field(row, col, value):
        f = row.rstrip('\n').split(',')
        f[cols.index(col)] = value
        return ','.join(f) + '\n'

    tampered = {
        'nan-target-ratio': [header] + [with_field(rows[0], 'target_ratio', 'nan')] + rows[1:],
        'inf-target-ratio': [header] + [with_field(rows[0], 'target_ratio', 'inf')] + rows[1:],
        'all-nan-ratio': [header] + [with_field(r, 'target_ratio', 'nan') for r in rows],
        'duplicate-row': [header] + rows + rows[:1],
        'duplicate-key-other-values': [header] + rows + [with_field(rows[0], 'mse', '0.5')],
        'bad-middle-line': [header] + rows[:2] + ['garbage,line\n'] + rows[2:],
        'dataset-dotdot': [header] + [with_field(r, 'dataset', '..') for r in rows],
        'label-path': [header] + [with_field(r, 'label', '../../escape') for r in rows],
        'nan-mu': [header] + [with_field(rows[0], 'data_mu', 'nan')] + rows[1:],
        'huge-field': [header] + [with_field(rows[0], 'note', 'x' * 100000)] + rows[1:],
        'negative-count': [header] + [with_field(rows[0], 'bits_total', '-5')] + rows[1:],
        'unknown-column': [header.replace('note', 'nope')] + rows,
        'header-only': [header],
        'crlf': [l.replace('\n', '\r\n') for l in lines],
        'nul-bytes': [header] + [rows[0].replace(',', '\0', 3)] + rows[1:],
        'empty': [],
    }
    for name, content in tampered.items():
        d = path('res-' + name)
        shutil.copytree(base, d)
        with open(os.path.join(d, 'results.csv'), 'w', newline='') as f:
            f.write(''.join(content))
        escape = path('escape')
        expect = 'any' if name in ('header-only', 'empty') else 'error'
        case('results', name + ' (plot)', ['plot', d, '--no-draw'], expect=expect, check=no_file(escape))
        case('results', name + ' (merge)', ['merge', '--out', path('merged-' + name), d], expect=expect)
        case('results', name + ' (resume)', ['run', cfg, '--out', d], expect=expect, check=no_file(escape))


# ---------------------------------------------------------------- Lua configs
GOOD_TAIL = 'methods = { "rtn" }, ratios = { 4 }, datasets = { { name = "synthetic", n = 32, d = 8 } }'


def lua_cases():
    marker = path('marker')
    cases = [
        ('index-raises', 'return setmetatable({}, { __index = function() error("boom") end })'),
        ('len-raises', 'return { %s, subspaces = setmetatable({}, { __len = function() error("len") end }) }' % GOOD_TAIL),
        ('methods-len-raises', 'return { ratios = { 4 }, methods = setmetatable({}, { __len = function() error("x") end }) }'),
        ('index-in-list', 'return { %s, seeds = 1, iterations = setmetatable({}, { __index = function() error("i") end, __len = function() return 2 end }) }' % GOOD_TAIL),
        ('dataset-index', 'return { methods = { "rtn" }, ratios = { 4 }, datasets = { setmetatable({}, { __index = function() error("d") end }) } }'),
        ('error-table', 'error({})'),
        ('error-nil', 'error()'),
        ('os-execute', 'os.execute("touch %s")\nreturn { %s }' % (marker, GOOD_TAIL)),
        ('io-popen', 'io.popen("touch %s")\nreturn { %s }' % (marker, GOOD_TAIL)),
        ('io-open', 'io.open("%s", "w"):write("x")\nreturn { %s }' % (marker, GOOD_TAIL)),
        ('os-remove', 'os.remove("%s")\nreturn { %s }' % (path('small.lua'), GOOD_TAIL)),
        ('os-rename', 'os.rename("%s", "%s")\nreturn { %s }' % (path('small.lua'), marker, GOOD_TAIL)),
        ('os-exit', 'os.exit(0)'),
        ('loadlib', 'package.loadlib("libc.so.6", "system")\nreturn { %s }' % GOOD_TAIL),
        ('require-c', 'require("lfs")\nreturn { %s }' % GOOD_TAIL),
        ('dofile', 'dofile("/etc/hostname")\nreturn { %s }' % GOOD_TAIL),
        ('binary-chunk', 'local f = load(string.dump(function() return 1 end))\nreturn { %s }' % GOOD_TAIL),
        ('debug', 'debug.sethook()\nreturn { %s }' % GOOD_TAIL),
        ('loop', 'while true do end'),
        ('loop-in-metamethod', 'return setmetatable({}, { __index = function() while true do end end })'),
        ('pattern', 'local s = string.rep("a", 40)\nstring.find(s, string.rep("a*", 40) .. "b")\nreturn { %s }' % GOOD_TAIL),
        ('memory', 'local t = {} for i = 1, 4000 do t[i] = string.rep("x", 1e6) .. i end'),
        ('huge-grid', 'local r = {} for i = 1, 64 do r[i] = i + 1 end\nreturn { methods = { "rtn", "pq", "qet" }, '
                      'seeds = 2000, ratios = r, subspaces = { 1, 2, 4, 8 }, iterations = { 1, 2, 3, 4 }, '
                      'datasets = { { name = "synthetic", n = 32, d = 8 } } }'),
        ('name-dotdot', 'return { name = "..", %s }' % GOOD_TAIL),
        ('name-dot', 'return { name = ".", %s }' % GOOD_TAIL),
        ('dataset-dotdot', 'return { methods = { "rtn" }, ratios = { 4 }, datasets = { { name = "..", n = 32, d = 8 } } }'),
        ('label-dotdot', 'return { ratios = { 4 }, methods = { { method = "rtn", label = ".." } }, datasets = { { name = "synthetic", n = 32, d = 8 } } }'),
        ('name-slash', 'return { name = "a/b", %s }' % GOOD_TAIL),
        ('sigma-negative', 'return { methods = { "rtn" }, ratios = { 4 }, datasets = { { name = "gaussian", n = 32, d = 8, sigma = -1 } } }'),
        ('sigma-zero', 'return { methods = { "rtn" }, ratios = { 4 }, datasets = { { name = "gaussian", n = 32, d = 8, sigma = 0 } } }'),
        ('mu-huge', 'return { methods = { "rtn" }, ratios = { 4 }, datasets = { { name = "gaussian", n = 32, d = 8, mu = 1e300 } } }'),
        ('mu-float-max', 'return { methods = { "pq" }, ratios = { 4 }, datasets = { { name = "gaussian", n = 64, d = 8, mu = 3e38, sigma = 1e38 } } }'),
        ('ratio-tiny', 'return { methods = { "rtn" }, ratios = { 1e-300 }, datasets = { { name = "synthetic", n = 32, d = 8 } } }'),
        ('ratio-nan', 'return { methods = { "rtn" }, ratios = { 0/0 }, datasets = { { name = "synthetic", n = 32, d = 8 } } }'),
        ('seed-string', 'local x = qet.dataset { name = "synthetic", n = 8, d = 4, seed = "abc" }'),
        ('seed-float', 'local x = qet.dataset { name = "synthetic", n = 8, d = 4, seed = 1.5 }'),
        ('dataset-huge', 'local x = qet.dataset { name = "synthetic", n = 1099511627776, d = 1073741824 }'),
        ('quantize-no-data', 'qet.quantize { method = "rtn", bits = 4 }'),
        ('available-len', 'return { ratios = { 4 }, methods = qet.available(setmetatable({}, { __len = function() error("a") end })) }'),
        ('return-string', 'return "hello"'),
        ('gc-raises', 'setmetatable({}, { __gc = function() error("gc") end })\ncollectgarbage()\nreturn { %s }' % GOOD_TAIL),
        ('coroutine-loop', 'local co = coroutine.wrap(function() while true do coroutine.yield() end end)\nwhile true do co() end'),
    ]
    for name, src in cases:
        f = write('cfg-%s.lua' % name, src.encode())
        out = path('out-lua-' + name)
        checks = [no_file(marker), no_file(path('out-lua-' + name, '..', 'results.csv'))]
        if name == 'os-remove':
            checks.append(lambda rc, o, e: None if os.path.exists(path('small.lua')) else 'escaped: a file was removed')
        # a ratio below 1 is a budget above the original (every setting fits); an error in a
        # finalizer is a warning in Lua 5.4: both may run, as long as nothing crashes
        legal = name in ('ratio-tiny', 'gc-raises')
        case('lua', name, ['run', f, '--out', out], expect='any' if legal else 'error',
             check=lambda rc, o, e, c=checks: next((x for x in (f(rc, o, e) for f in c) if x), None))
        if os.path.exists(marker):
            os.unlink(marker)
    # A name that is a path, without --out: results/<name> must stay under results/.
    os.makedirs(path('luacwd'), exist_ok=True)
    case('lua', 'name-dotdot (default out)', ['run', path('cfg-name-dotdot.lua')], cwd=path('luacwd'),
         check=no_file(path('luacwd', 'results.csv')))


# ---------------------------------------------------------------- numbers on the command line
def valid_json(rc, out, err):
    if rc:
        return None
    try:
        json.loads(out, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
    except Exception as ex:
        return 'invalid JSON: %s' % ex
    return None


def finite_h5(f):
    def check(rc, out, err):
        if rc:
            return None
        r = run(['quantize', '--data', f, '--method', 'rtn', '--bits', '4'])
        return None if r[0] == 0 else 'wrote a matrix that does not read back: ' + r[2].strip()[:100]
    return check


def cli_cases():
    o = path('gen.h5')
    for opt, v in (('--mean', 'nan'), ('--mean', 'inf'), ('--mean', '1e300'), ('--sd', 'inf'), ('--sd', 'nan'),
                   ('--sd', '-1'), ('--sd', '0'), ('--sd', '1e300'), ('--mean', '-1e39')):
        if os.path.exists(o):
            os.unlink(o)
        case('cli', 'gen gaussian %s %s' % (opt, v), ['gen', 'gaussian', '--n', '8', '--d', '4', opt, v, '-o', o],
             check=finite_h5(o))
    for kind, opt, v in (('lowrank', '--noise', 'nan'), ('lowrank', '--noise', '1e300'), ('ar1', '--rho', 'nan'),
                         ('ar1', '--rho', '1'), ('lowrank', '--rank', '0')):
        if os.path.exists(o):
            os.unlink(o)
        case('cli', 'gen %s %s %s' % (kind, opt, v), ['gen', kind, '--n', '8', '--d', '4', opt, v, '-o', o], check=finite_h5(o))
    case('cli', 'gen huge', ['gen', 'synthetic', '--n', '1099511627776', '--d', '1099511627776', '-o', o])
    q = ['quantize', '--synthetic', '64,16', '--method']
    for m, extra in (('rtn', ['--ratio', '1e-300']), ('pq', ['--ratio', '1e-300']), ('qet', ['--ratio', '1e-300']),
                     ('rtn', ['--ratio', 'nan']), ('rtn', ['--ratio', 'inf']), ('rtn', ['--ratio', '-4']),
                     ('rtn', ['--ratio', '0']), ('pq', ['--ks', '18446744073709551615']), ('rtn', ['--bits', '4294967297']),
                     ('rtn', ['--source-bits', '99999999999']), ('lopq', ['--ratio', '1e-300']), ('opq', ['--ratio', '1.0000001']),
                     ('lloyd', ['--ratio', '1e-300']), ('rpq', ['--ratio', '1e-300'])):
        case('cli', 'quantize %s %s' % (m, ' '.join(extra)), q + [m] + extra + ['--json'], expect='any', check=valid_json)
    case('cli', 'quantize huge synthetic', ['quantize', '--synthetic', '1099511627776,1024', '--method', 'rtn', '--bits', '4'])
    case('cli', 'threads 0', ['quantize', '--synthetic', '64,16', '--threads', '0', '--bits', '4', '--method', 'rtn'])
    z = path('zero.npy')
    with open(z, 'wb') as f:
        f.write(npy('<f4', '(64, 16)', data=bytes(64 * 16 * 4)))
    zh = path('zero.h5')
    run(['data', 'vecs', z, '-o', zh])
    for m in ('rtn', 'pq', 'qet', 'lloyd', 'opq'):
        case('cli', 'all-zero matrix %s --json' % m, ['quantize', '--data', zh, '--method', m, '--bits' if m in ('rtn', 'lloyd') else '--ks', '4', '--json'],
             expect='ok', check=valid_json)
    big = path('big.npy')
    with open(big, 'wb') as f:
        f.write(npy('<f4', '(64, 16)', data=struct.pack('<1024f', *([3e38, -3e38] * 512))))
    bh = path('big.h5')
    run(['data', 'vecs', big, '-o', bh])
    for m in ('rtn', 'pq', 'qet'):
        case('cli', 'near FLT_MAX %s --json' % m, ['quantize', '--data', bh, '--method', m, '--bits' if m == 'rtn' else '--ks', '4', '--json'],
             expect='any', check=lambda rc, out, err: valid_json(rc, out, err) or
             (None if rc else ('an ok result with a non-finite error' if re.search(r'"(mse|mae)":null', out) else None)))
    case('cli', 'theorem json', ['theorem', '--json'], expect='ok', check=valid_json)


# ---------------------------------------------------------------- the results directory itself
def dir_cases():
    slow = write('slow.lua', b'return { name = "slow", seeds = 40, methods = { "pq" }, ratios = { 4, 8 },\n'
                 b'  datasets = { { name = "synthetic", n = 2048, d = 64 } }, subspaces = { 8 } }\n')
    d = path('res-concurrent')
    e = dict(os.environ, OMP_NUM_THREADS='1', ASAN_OPTIONS='detect_leaks=0')
    first = subprocess.Popen([QB, 'run', slow, '--out', d], cwd=TMP, env=e, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(os.path.join(d, 'results.csv')):
            break
        time.sleep(0.05)
    case('resultsdir', 'second run on the same directory', ['run', slow, '--out', d])
    case('resultsdir', 'merge into a directory in use', ['merge', '--out', d, path('res-base')])
    first.wait()
    dup = subprocess.run(['bash', '-c', 'cut -d, -f1 "%s/results.csv" | sort | uniq -d | wc -l' % d], capture_output=True, text=True)
    results.setdefault('resultsdir', {})
    if dup.stdout.strip() != '0':
        results['resultsdir']['wrong'] = results['resultsdir'].get('wrong', 0) + 1
        details.append('wrong    resultsdir   two runs left duplicate rows: %s' % dup.stdout.strip())
    # A killed run's temporaries: the next run removes them.
    d2 = path('res-stale')
    os.makedirs(d2)
    for stale in ('results.h5.tmp-999999', 'summary.csv.tmp.999999', 'results.csv.tmp.999998'):
        open(os.path.join(d2, stale), 'w').write('x')
    cfg = write('small2.lua', b'return { name = "small", seeds = 2, methods = { "rtn" }, ratios = { 4, 8 },\n'
                b'  datasets = { { name = "synthetic", n = 64, d = 16 } } }\n')
    case('resultsdir', 'stale temporaries', ['run', cfg, '--out', d2], expect='ok',
         check=lambda rc, o, e: ('stale temporaries left: %s' % [f for f in os.listdir(d2) if '.tmp' in f])
         if any('.tmp' in f for f in os.listdir(d2)) else None)

    # A full disk, as a file-size limit: every write fails with EFBIG; the error must say so.
    def limit(kb):
        def f():
            resource.setrlimit(resource.RLIMIT_FSIZE, (kb * 1024, kb * 1024))
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        return f
    for kb in (1, 8, 40, 90):
        d3 = path('res-full-%d' % kb)
        case('resultsdir', 'disk full after %d KB' % kb, ['run', slow, '--out', d3], preexec=limit(kb),
             check=lambda rc, o, e: None if 'File too large' in e else 'the error does not give the cause: ' + e.strip()[:120])
    case('resultsdir', 'gen on a full disk', ['gen', 'synthetic', '--n', '512', '--d', '64', '-o', path('full.h5')],
         preexec=limit(4), check=lambda rc, o, e: None if 'File too large' in e else 'no cause: ' + e.strip()[:120])
    case('resultsdir', 'results check', ['results', 'check', path('res-bad-middle-line')], expect='any')


classes = [('vecs', vec_cases), ('safetensors', safetensors_cases), ('llama2c', llama2c_cases), ('idx', idx_cases),
           ('wink', wink_cases), ('hdf5', hdf5_cases), ('results', results_cases), ('lua', lua_cases), ('cli', cli_cases),
           ('resultsdir', dir_cases)]
need_results = args.only in (None, 'results', 'resultsdir')
for name, fn in classes:
    if args.only and name != args.only and not (name == 'results' and args.only == 'resultsdir'):
        continue
    t0 = time.time()
    fn()
    print('%s: %.0f s' % (name, time.time() - t0), file=sys.stderr)

for line in details:
    print(line)
cols = ['tried', 'clear error', 'accepted', 'wrong', 'crash', 'hang']
print()
print('| input class | ' + ' | '.join(cols) + ' |')
print('|---|' + '---|' * len(cols))
tot = dict.fromkeys(cols, 0)
for cls, r in results.items():
    r = dict(r, tried=sum(r.values()))
    for c in cols:
        tot[c] += r.get(c, 0)
    print('| %s | ' % cls + ' | '.join(str(r.get(c, 0)) for c in cols) + ' |')
print('| **all** | ' + ' | '.join(str(tot[c]) for c in cols) + ' |')
shutil.rmtree(TMP, ignore_errors=True)
sys.exit(1 if tot['wrong'] or tot['crash'] or tot['hang'] else 0)
