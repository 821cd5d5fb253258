#!/usr/bin/env python3
"""make_seeds.py QETBENCH - writes the small seed corpora of the fuzz targets into
tests/fuzz/corpus/TARGET/: a few valid inputs of every format each reader takes (and some near
misses), so mutation starts from the formats' structure. The files are committed; rerun this only
to change them."""
import gzip
import os
import shutil
import struct
import subprocess
import sys
import tempfile

QB = os.path.realpath(sys.argv[1])
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'corpus')
TMP = tempfile.mkdtemp(prefix='qb_seeds_')


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def qb(*args):
    subprocess.run([QB] + list(args), check=True, cwd=TMP, capture_output=True)


def read(name):
    with open(os.path.join(TMP, name), 'rb') as f:
        return f.read()


# HDF5: the writer's own files (float32 with attributes), small shapes.
qb('gen', 'gaussian', '--n', '4', '--d', '3', '-o', 'g.h5')
qb('gen', 'synthetic', '--n', '8', '--d', '2', '-o', 's.h5')
for t in ('hdf5', 'hdf5_checks'):
    put(t, 'gaussian-4x3.h5', read('g.h5'))
    put(t, 'synthetic-8x2.h5', read('s.h5'))


# safetensors: F32, F16 + BF16 with metadata.
def st(header, data):
    h = header.encode()
    h += b' ' * ((-len(h)) % 8)
    return struct.pack('<Q', len(h)) + h + data


put('safetensors', 'f32.safetensors',
    st('{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}', struct.pack('<4f', 1, 2, 3, 4)))
put('safetensors', 'mixed.safetensors',
    st('{"__metadata__":{"format":"pt"},"a.weight":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]},'
       '"b":{"dtype":"BF16","shape":[3],"data_offsets":[12,18]},"c":{"dtype":"F64","shape":[1,1],'
       '"data_offsets":[18,26]}}', bytes(range(26))))


# llama2.c: a tiny legacy checkpoint (dim 4, hidden 6, 1 layer, 2 heads, 1 kv head, vocab 5,
# seq_len 4, shared classifier) and its header alone.
dim, hid, layers, heads, kv_heads, vocab, seq = 4, 6, 1, 2, 1, 5, 4
kv = dim * kv_heads // heads
floats = (vocab * dim + layers * dim + layers * dim * dim + 2 * layers * kv * dim + layers * dim * dim +
          layers * dim + 3 * layers * hid * dim + dim + seq * (dim // heads))
hdr = struct.pack('<7i', dim, hid, layers, heads, kv_heads, vocab, seq)
put('llama2c', 'tiny.bin', hdr + struct.pack('<%df' % floats, *[(i % 7) * 0.1 for i in range(floats)]))
put('llama2c', 'header-only.bin', hdr)


# Vector files: the first byte picks the format (0 fvecs, 1 ivecs, 2 bvecs, 3 fbin, 4 npy) and,
# in its high nibble, the rows kept.
def npy(descr, shape, fortran, data):
    h = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)
    h += ' ' * ((-len(h) - 11) % 64) + '\n'
    return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode() + data


put('vecs', 'fvecs', b'\x00' + struct.pack('<i3f', 3, 1, 2, 3) * 2)
put('vecs', 'ivecs', b'\x11' + struct.pack('<i2i', 2, 5, 6) * 3)
put('vecs', 'bvecs', b'\x02' + struct.pack('<i4B', 4, 1, 2, 3, 4) * 2)
put('vecs', 'fbin', b'\x03' + struct.pack('<2I', 2, 3) + struct.pack('<6f', *range(6)))
put('vecs', 'npy-f4', b'\x04' + npy('<f4', '(2, 3)', False, struct.pack('<6f', *range(6))))
put('vecs', 'npy-f2-fortran', b'\x14' + npy('<f2', '(2, 2)', True, struct.pack('<4H', 0x3c00, 0x4000, 0x4200, 0x4400)))
put('vecs', 'npy-u1', b'\x24' + npy('|u1', '(3, 2)', False, bytes(range(6))))


# IDX: unsigned bytes, rank 3 and 1, plain and gzip-compressed; the first byte: items kept.
def idx(rank, dims, data):
    return bytes([0, 0, 8, rank]) + b''.join(struct.pack('>I', d) for d in dims) + data


images = idx(3, [2, 4, 4], bytes(range(32)))
put('idx', 'images', b'\x00' + images)
put('idx', 'images-gz', b'\x01' + gzip.compress(images))
put('idx', 'labels', b'\x02' + idx(1, [5], bytes(range(5))))


# wink JSON: the first byte: rows kept.
wink = (b'{"precision":8,"l2NormIndex":3,"wordIndex":4,"size":3,"dimensions":3,'
        b'"words":["the",",","q"],"vectors":{"the":[1,-2,2,3,0],",":[0.5,0,-1.5e-1,0.522015325,1],'
        b'"q":[0,0,1,1,2]},"unkVector":[0,0,0,0,-1]}')
put('wink', 'three', b'\x00' + wink)
put('wink', 'three-max2', b'\x02' + wink)

# results.csv: a real run's rows (rtn and pq, infeasible and ok), and the same sorted by qetbench.
with open(os.path.join(TMP, 'small.lua'), 'w') as f:
    f.write('return { name = "small", seeds = 2, methods = { "rtn", "pq" }, ratios = { 4, 300 },\n'
            '  datasets = { { name = "synthetic", n = 32, d = 8 } } }\n')
qb('run', 'small.lua', '--out', 'res')
put('results', 'small.csv', read('res/results.csv'))
lines = read('res/results.csv').split(b'\n')
put('results', 'two-rows.csv', b'\n'.join(lines[:3]) + b'\n')
put('results', 'header-only.csv', lines[0] + b'\n')

# Lua configs: a sweep, a study with the qet module, and what the sandbox refuses.
configs = {
    'sweep.lua': 'return { name = "s", seeds = 2, methods = { "rtn", { method = "pq", subspaces = { 2, 4 } },\n'
                 '  { method = "qet", preset = "authors" } }, ratios = { 4, 8 }, accounting = { "full", "free-imap" },\n'
                 '  datasets = { { name = "synthetic", n = 64, d = 16 }, { name = "gaussian", n = 32, d = 8, mu = 1, sigma = 2 } },\n'
                 '  kmeans = { iters = 5, init = "random" }, baseline = "rtn", plots = false }\n',
    'study.lua': 'local x = qet.dataset { name = "synthetic", n = 64, d = 8, seed = 3 }\n'
                 'local r = qet.quantize { data = x, method = "pq", ks = 4, subspaces = 2 }\n'
                 'print(r.mse, r.bits.total, x.n, #qet.methods())\n',
    'available.lua': 'local m = qet.available { "rtn", "nope", { method = "lloyd", label = "l" } }\n'
                     'return { methods = m, ratios = 4, datasets = { { name = "synthetic", n = 16, d = 4 } } }\n',
    'sandbox.lua': 'local ok, e = pcall(function() return os.execute("true") end)\n'
                   'assert(not ok and string.find(e, "not available"))\n'
                   'return setmetatable({}, { __index = function(t, k) return nil end })\n',
    'typo.lua': 'return {\n  methods = { "pq" },\n  ratio = { 4, 8 },\n}\n',
}
for name, src in configs.items():
    put('lua', name, src.encode())
shutil.rmtree(TMP)
print('seeds written to', OUT)
