#!/usr/bin/python3
"""bench.py - run by scripts/bench: our methods against faiss and against the machine's limits,
on the same HDF5 matrices, alternating runs and reporting medians. A benchmark, not a test: it
never fails on a number. Writes results/bench/bench.md and bench.csv."""

import argparse
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QB = os.path.join(ROOT, "build", "qetbench")
OUT = os.path.join(ROOT, "results", "bench")
DATA = os.path.join(OUT, "data")


def log(msg):
    print("[bench %s] %s" % (time.strftime("%H:%M:%S"), msg), file=sys.stderr, flush=True)


def qb(*args, threads=1):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OMP_WAIT_POLICY="passive")
    return subprocess.run([QB, *map(str, args)], check=True, capture_output=True, text=True,
                          env=env).stdout


def ours(data, threads=1, **opts):
    args = ["quantize", "--data", data, "--json"]
    for k, v in opts.items():
        args += ["--" + k.replace("_", "-"), v]
    return json.loads(qb(*args, threads=threads))


def load(spec):
    path, _, name = spec.partition(":")
    with h5py.File(path, "r") as f:
        return np.ascontiguousarray(f[name or "/matrix"][:], dtype="float32")


def faiss_pq(x, m, nbits, iters, seed, threads=1):
    import faiss
    faiss.omp_set_num_threads(threads)  # 1 as ours: 2 OpenMP threads on 2 busy cores can be slower
    pq = faiss.ProductQuantizer(x.shape[1], m, nbits)
    pq.cp.niter, pq.cp.seed = iters, seed
    t0 = time.perf_counter()
    pq.train(x)
    codes = pq.compute_codes(x)
    t1 = time.perf_counter()
    y = pq.decode(codes)
    t2 = time.perf_counter()
    return {"mse": float(((x - y) ** 2).mean()), "seconds_quantize": t1 - t0,
            "seconds_dequantize": t2 - t1}


def faiss_opq(x, m, nbits, rounds, iters, seed):
    import faiss
    faiss.omp_set_num_threads(1)
    n, d = x.shape
    t0 = time.perf_counter()
    opq = faiss.OPQMatrix(d, m)
    opq.niter, opq.niter_pq_0, opq.niter_pq = rounds, iters, 4
    opq.max_train_points = n
    opq.train(x)
    xr = opq.apply_py(x)
    pq = faiss.ProductQuantizer(d, m, nbits)
    pq.cp.niter, pq.cp.seed = iters, seed
    pq.train(xr)
    codes = pq.compute_codes(xr)
    t1 = time.perf_counter()
    y = opq.reverse_transform(pq.decode(codes))
    t2 = time.perf_counter()
    return {"mse": float(((x - y) ** 2).mean()), "seconds_quantize": t1 - t0,
            "seconds_dequantize": t2 - t1}


def timed(cmd, threads=2):
    """Runs one qetbench command under /usr/bin/time: its stdout, wall seconds, peak RSS MB."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OMP_WAIT_POLICY="passive")
    p = subprocess.run(["/usr/bin/time", "-v", *map(str, cmd)], capture_output=True, text=True,
                       env=env)
    if p.returncode:
        raise subprocess.CalledProcessError(p.returncode, cmd, p.stdout, p.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    secs = (int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 +
            float(wall.group(3))) if wall else float("nan")
    return p.stdout, secs, int(rss.group(1)) / 1024 if rss else float("nan")


def paper_rows(row, md, reps):
    """The paper's shapes (opt-in: minutes): PQ and QET (l = 1) with our default k-means++ and
    PQ with random init against faiss's ProductQuantizer (random init, the faster of 1 and 2
    threads), m = 8, k = 256 and 1024, 10 Lloyd iterations; peak memory against the input."""
    sets = [("synthetic", 11008, 4096), ("gaussian", 1000000, 256)]
    md += ["", "## The paper's shapes against faiss (m = 8, 10 k-means iterations; ours on 2 "
           "threads; faiss random init, the faster of 1 and 2 threads; medians of %d runs)" % reps,
           "", "| data | k | method | ours s | faiss s | ratio | ours MSE | faiss MSE | MSE ratio "
           "| peak RSS MB | input MB | RSS / input |", "|---|---|---|---|---|---|---|---|---|---|"
           "---|---|"]
    for kind, n, d in sets:
        path = os.path.join(DATA, "%s-%dx%d.h5" % (kind[:5], n, d))
        if not os.path.exists(path):
            qb("gen", kind, "--n", n, "--d", d, "--seed", 1, "-o", path)
        x = load(path)
        in_mb = x.nbytes / 2**20
        name = "%s %dx%d" % (kind, n, d)
        for k in (256, 1024):
            ref = []
            for r in range(reps):
                log("faiss pq k=%d on %s" % (k, name))
                ref.append(min((faiss_pq(x, 8, k.bit_length() - 1, 10, r + 1, t)
                                for t in (1, 2)), key=lambda v: v["seconds_quantize"]))
            for label, extra in (("pq kmeans++", {}), ("pq random", {"kmeans-init": "random"}),
                                 ("qet l=1 kmeans++", {"method": "qet", "iterations": 1})):
                opts = {"method": "pq", "ks": k, "subspaces": 8, "kmeans-iters": 10, **extra}
                mine = []
                for r in range(reps):
                    log("%s k=%d on %s" % (label, k, name))
                    cmd = [QB, "quantize", "--data", path, "--json", "--seed", r + 1]
                    for key, v in opts.items():
                        cmd += ["--" + key, v]
                    out, wall, rss = timed(cmd)
                    j = json.loads(out)
                    j["rss"] = rss
                    mine.append(j)
                what = "%s k=%d" % (label, k)
                q = row("paper", name, what, "quantize_s", med(mine, "seconds_quantize"),
                        med(ref, "seconds_quantize"), "faiss")
                e = row("paper", name, what, "mse", med(mine, "mse"), med(ref, "mse"), "faiss")
                row("paper", name, what, "peak_rss_MB", med(mine, "rss"), in_mb, "input")
                md.append("| %s | %d | %s | %.2f | %.2f | %.2f | %.6g | %.6g | %.3f | %.0f | %.0f "
                          "| %.2f |" % (name, k, label, med(mine, "seconds_quantize"),
                                        med(ref, "seconds_quantize"), q, med(mine, "mse"),
                                        med(ref, "mse"), e, med(mine, "rss"), in_mb,
                                        med(mine, "rss") / in_mb))


def cost_growth(row, md):
    """How PQ's quantize time grows with n, d and k (1 thread, m = 8, 10 iterations, k-means++):
    each row doubles or quadruples one of them from the base, next to the growth n * d * k alone
    would give (the Lloyd GEMMs), so a regression shows as a ratio."""
    base = (20000, 128, 256)
    shapes = [base, (40000, 128, 256), (80000, 128, 256), (20000, 256, 256), (20000, 512, 256),
              (20000, 128, 512), (20000, 128, 1024)]
    md += ["", "## Cost against n, d and k (PQ, m = 8, 10 k-means iterations, k-means++, 1 "
           "thread, Gaussian data; ratios to the first row)", "",
           "| n | d | k | quantize s | ratio | n*d*k ratio |", "|---|---|---|---|---|---|"]
    t0 = None
    for n, d, k in shapes:
        path = os.path.join(DATA, "gauss-%dx%d.h5" % (n, d))
        if not os.path.exists(path):
            qb("gen", "gaussian", "--n", n, "--d", d, "--seed", 1, "-o", path)
        log("cost growth %dx%d k=%d" % (n, d, k))
        j = ours(path, threads=1, method="pq", ks=k, subspaces=8, kmeans_iters=10)
        t = j["seconds_quantize"]
        t0 = t0 or t
        work = n * d * k / (base[0] * base[1] * base[2])
        row("growth", "%dx%d" % (n, d), "k=%d" % k, "quantize_s", t, t0, "base")
        md.append("| %d | %d | %d | %.3f | %.2f | %.0f |" % (n, d, k, t, t / t0, work))


def med(rows, key):
    return statistics.median(r[key] for r in rows)


def make_data(quick):
    os.makedirs(DATA, exist_ok=True)
    # the synthetic outliers make single-seed MSE comparisons noisy (one outlier a k-means leaves
    # uncovered moves the MSE by ~0.006): the Gaussian matrix compares the algorithms cleanly
    sets = [("synthetic", 4096, 128), ("synthetic", 100000, 128), ("synthetic", 4096, 4096),
            ("gaussian", 4096, 128)]
    if quick:
        sets = sets[:1]
    out = []
    for kind, n, d in sets:
        path = os.path.join(DATA, "%s-%dx%d.h5" % (kind[:5], n, d))
        if not os.path.exists(path):
            qb("gen", kind, "--n", n, "--d", d, "--seed", 1, "-o", path)
        out.append(("%s %dx%d" % (kind, n, d), path))
    gist = os.path.join(ROOT, "data", "gist.h5")
    if os.path.exists(gist) and not quick:
        path = os.path.join(DATA, "gist-10000x512.h5")
        if not os.path.exists(path):
            with h5py.File(gist, "r") as f, h5py.File(path, "w") as g:
                g["/matrix"] = f["/gist"][:10000].astype("float32")
        out.append(("GIST 10000x512 (Fashion-MNIST)", path))
    else:
        log("no data/gist.h5 (scripts/fetch-data makes it): GIST rows skipped")
    return out


def throughput(datasets, rows, md):
    """Encode, quantize and decode rows per second of every method the build has. Each method
    gets only the options `qetbench methods --json` says it reads. A residual chain (a result
    with `stages`: QET, RPQ) encodes inside its fit, as each stage trains on the codes of the
    one before, so its seconds_encode is only the timer's own cost and rows / seconds_encode
    would be meaningless: it has no encode rate of its own, only the quantize rate
    (rows / (fit + encode) s), which every method gets for comparison."""
    table = {m["name"]: m for m in json.loads(qb("methods", "--json"))["methods"]}
    # the cases measured; (method, options, small_only): opq and lopq learn rotations (slow on
    # 100000 rows) and a chain with residual stages needs --ratio, which would ask for k_s near
    # 10^4 there. A method of the build not listed runs once with its defaults.
    cases = [("rtn", {}, False), ("lloyd", {}, False), ("pq", {}, False), ("rpq", {}, True),
             ("opq", {"opq_iters": 5}, True), ("lopq", {"opq_iters": 5}, True),
             ("qet", {"iterations": 1}, False), ("qet", {"iterations": 3}, False),
             ("qet", {"preset": "authors"}, True)]
    cases = [c for c in cases if c[0] in table]
    cases += [(name, {}, True) for name in table if name not in {c[0] for c in cases}]
    md += ["", "## Encode, quantize and decode throughput of every method (m = 8 where the method "
           "has subspaces, 1 thread; ratio 8 on 4096 rows; on larger matrices k_s = 256 or 4 "
           "bits, since the ratio would ask for k_s near 10^4)", "",
           "Encode rows/s divides by encode s; quantize rows/s by fit s + encode s. A method "
           "marked \"in fit\" encodes inside its fit (a residual chain trains each stage on the "
           "previous stage's codes), so it has no encode time of its own: compare quantize "
           "rows/s.", "",
           "| data | method | k_s or bits | fit s | encode s | encode rows/s | quantize rows/s | "
           "decode rows/s | MSE |", "|---|---|---|---|---|---|---|---|---|"]
    for name, path in datasets[:2]:
        n = load(path).shape[0]  # the two synthetic matrices
        for method, extra, small_only in cases:
            reads = table[method]["options"]
            if n > 10000 and small_only:
                continue
            opts = {"subspaces": 8} if "subspaces" in reads else {}
            if n > 10000:
                opts["bits" if "bits" in reads else "ks"] = 4 if "bits" in reads else 256
            else:
                opts["ratio"] = 8
            label = method + "".join(" %s=%s" % kv for kv in extra.items())
            log("throughput %s on %s" % (label, name))
            try:
                j = ours(path, method=method, **opts, **extra)
            except subprocess.CalledProcessError as e:
                md.append("| %s | %s | %s | | | | | | |" % (name, label, e.stderr.strip()))
                continue
            size = j["rtn_bits"] if "bits" in reads else j["ks"]
            def rate(secs):  # a time the clock did not resolve gives no rate, not infinity
                return n / secs if secs > 0 else float("nan")
            quant, dec = rate(j["seconds_quantize"]), rate(j["seconds_dequantize"])
            if j["stages"]:  # the encode happened inside fit
                enc_s, enc_txt = "in fit", "-"
            else:
                enc = rate(j["seconds_encode"])
                enc_s, enc_txt = "%.4f" % j["seconds_encode"], "%.3g" % enc
                rows.append(["throughput", name, label, "encode_rows_per_s", enc, "", "", ""])
            rows.append(["throughput", name, label, "quantize_rows_per_s", quant, "", "", ""])
            rows.append(["throughput", name, label, "decode_rows_per_s", dec, "", "", ""])
            md.append("| %s | %s | %s | %.3f | %s | %s | %.3g | %.3g | %.6g |" % (
                name, label, size, j["seconds_fit"], enc_s, enc_txt, quant, dec, j["mse"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="one small matrix, one repeat")
    ap.add_argument("--paper", action="store_true",
                    help="add the paper's shapes (11008x4096, 1Mx256) against faiss: minutes")
    a = ap.parse_args()
    reps = 1 if a.quick else a.repeat
    os.makedirs(OUT, exist_ok=True)
    rows, md = [], []

    def row(section, data, what, metric, ours_v, ref_v, ref_name):
        ratio = ours_v / ref_v if ref_v else float("nan")
        rows.append([section, data, what, metric, ours_v, ref_v, ref_name, ratio])
        return ratio

    datasets = make_data(a.quick)
    m, nbits, iters = 8, 8, 25
    md += ["## PQ and OPQ against faiss (1 thread, k = 256, m = 8, 25 k-means iterations, random "
           "init; medians of %d alternating runs)" % reps, "",
           "| data | method | ours quantize s | faiss quantize s | ratio | ours dequantize s | "
           "faiss dequantize s | ours MSE | faiss MSE | MSE ratio |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for name, path in datasets:
        x = load(path)
        methods = [("pq", None)]
        if x.shape[0] * x.shape[1] <= 10000 * 512:
            methods.append(("opq", 20))
        for method, rounds in methods:
            log("%s on %s" % (method, name))
            mine, ref = [], []
            for r in range(reps):
                opts = dict(method=method, ks=256, subspaces=m, kmeans_iters=iters,
                            kmeans_init="random", seed=r + 1)
                if rounds:
                    opts["opq_iters"] = rounds
                mine.append(ours(path, **opts))
                ref.append(faiss_pq(x, m, nbits, iters, r + 1) if method == "pq" else
                           faiss_opq(x, m, nbits, rounds, iters, r + 1))
            q = row("vs faiss", name, method, "quantize_s", med(mine, "seconds_quantize"),
                    med(ref, "seconds_quantize"), "faiss")
            row("vs faiss", name, method, "dequantize_s", med(mine, "seconds_dequantize"),
                med(ref, "seconds_dequantize"), "faiss")
            e = row("vs faiss", name, method, "mse", med(mine, "mse"), med(ref, "mse"), "faiss")
            md.append("| %s | %s | %.3f | %.3f | %.2f | %.4f | %.4f | %.6g | %.6g | %.3f |" % (
                name, method, med(mine, "seconds_quantize"), med(ref, "seconds_quantize"), q,
                med(mine, "seconds_dequantize"), med(ref, "seconds_dequantize"),
                med(mine, "mse"), med(ref, "mse"), e))

    md += ["", "## QET reorder and inverse against memcpy of the same matrix (GB/s of matrix)", "",
           "| matrix | threads | levels | reorder GB/s | inverse GB/s | memcpy GB/s | reorder ratio "
           "| inverse ratio |", "|---|---|---|---|---|---|---|---|"]
    shapes = [(100000, 128), (4096, 4096)] if not a.quick else [(4096, 128)]
    for n, d in shapes:
        for threads in (1, 2):
            out = qb("bench", "reorder", "--n", n, "--d", d, "--levels", 4, "--repeat", 5,
                     threads=threads)
            res = {}
            for line in out.splitlines()[1:]:
                what, lv, sec, gbs, mgbs, ratio = line.split()
                res[(what, int(lv))] = (float(gbs), float(mgbs), float(ratio))
            for lv in range(1, 5):
                r_, i_ = res[("reorder", lv)], res[("inverse", lv)]
                row("reorder", "%dx%d t%d" % (n, d, threads), "l=%d" % lv, "reorder_GBps", r_[0],
                    r_[1], "memcpy")
                row("reorder", "%dx%d t%d" % (n, d, threads), "l=%d" % lv, "inverse_GBps", i_[0],
                    i_[1], "memcpy")
                md.append("| %dx%d | %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f |" % (
                    n, d, threads, lv, r_[0], i_[0], r_[1], r_[2], i_[2]))

    md += ["", "## k-means assignment against one cblas_sgemm of the same shape", "",
           "| n | k | dim | threads | sgemm GFLOP/s | assign GFLOP/s | ratio |", "|---|---|---|---|---|---|---|"]
    ashapes = [(4096, 256, 16), (100000, 256, 16), (4096, 256, 512)]
    for n, k, dim in (ashapes[:1] if a.quick else ashapes):
        for threads in (1, 2):
            out = qb("bench", "assign", "--n", n, "--k", k, "--dim", dim, "--repeat", 9,
                     threads=threads)
            vals = {l.split()[0]: float(l.split()[5]) for l in out.splitlines()[1:]}
            ratio = row("assign", "%dx%dx%d t%d" % (n, k, dim, threads), "assign", "GFLOPs",
                        vals["assign"], vals["sgemm"], "sgemm")
            md.append("| %d | %d | %d | %d | %.1f | %.1f | %.2f |" % (
                n, k, dim, threads, vals["sgemm"], vals["assign"], ratio))

    throughput(datasets, rows, md)

    if not a.quick:
        cost_growth(row, md)
    if a.paper:
        paper_rows(row, md, 1 if a.quick else min(reps, 2))

    md += ["", "## Wall time and peak memory", "", "| run | wall s | peak RSS MB | input MB | "
           "RSS / input |", "|---|---|---|---|---|"]
    runs = []
    big = datasets[1][1] if len(datasets) > 1 else datasets[0][1]
    runs.append(("quantize pq k_s 256 on " + os.path.basename(big),
                 [QB, "quantize", "--data", big, "--method", "pq", "--ks", 256, "--subspaces", 8],
                 os.path.getsize(big)))
    runs.append(("quantize qet l=2 k_s 256 on " + os.path.basename(big),
                 [QB, "quantize", "--data", big, "--method", "qet", "--iterations", 2, "--ks", 256,
                  "--subspaces", 8], os.path.getsize(big)))
    quick = os.path.join(ROOT, "experiments", "quick.lua")
    if os.path.exists(quick) and "run" in qb("--help"):
        qdir = os.path.join(OUT, "quick")
        shutil.rmtree(qdir, ignore_errors=True)  # a rerun would skip every stored cell
        runs.append(("run experiments/quick.lua (from scratch)",
                     [QB, "run", quick, "--out", qdir], 0))
    for label, cmd, input_bytes in runs:
        log("timing " + label)
        env = dict(os.environ, OMP_NUM_THREADS="2", OMP_WAIT_POLICY="passive")
        p = subprocess.run(["/usr/bin/time", "-v", *map(str, cmd)], capture_output=True,
                           text=True, env=env)
        wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
        secs = (int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 +
                float(wall.group(3))) if wall else float("nan")
        rss_mb = int(rss.group(1)) / 1024 if rss else float("nan")
        in_mb = input_bytes / 2**20
        rows.append(["memory", label, "", "wall_s", secs, "", "", ""])
        rows.append(["memory", label, "", "peak_rss_MB", rss_mb, in_mb, "input", rss_mb / in_mb
                     if in_mb else ""])
        md.append("| %s | %.2f | %.1f | %s | %s |" % (label, secs, rss_mb,
                  "%.1f" % in_mb if in_mb else "-", "%.2f" % (rss_mb / in_mb) if in_mb else "-"))

    load_avg = os.getloadavg()
    head = ["# qetbench benchmark", "",
            "%s, %s, load average at the end %.1f %.1f %.1f. Ratios compare runs made in this one "
            "invocation; absolute figures drift between machines." % (
                time.strftime("%Y-%m-%d %H:%M"), qb("--version").strip(), *load_avg), ""]
    with open(os.path.join(OUT, "bench.md"), "w") as f:
        f.write("\n".join(head + md) + "\n")
    with open(os.path.join(OUT, "bench.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["section", "data", "what", "metric", "ours", "reference", "reference_name",
                    "ratio"])
        w.writerows(rows)
    print("\n".join(head + md))
    log("wrote %s/bench.md and bench.csv" % OUT)



# ---- recall: our PQ against faiss IndexPQ on one ann-benchmarks file (opt-in: --recall FILE) ----

def recall_metrics(truth, found):
    """faiss's 1-recall@1/10/100 and ann-benchmarks' recall@10, as qetbench computes them."""
    k = found.shape[1]
    out = {"recall1_at_%d" % r: float(np.mean([truth[i, 0] in found[i, :min(r, k)]
                                               for i in range(len(truth))])) for r in (1, 10, 100)}
    t = min(10, truth.shape[1], k)
    out["recall10_at_10"] = float(np.mean([len(set(truth[i, :t]) & set(found[i, :t])) / t
                                           for i in range(len(truth))]))
    return out


def faiss_pq_recall(x, q, truth, m, nbits, iters, seed):
    import faiss
    faiss.omp_set_num_threads(1)
    index = faiss.IndexPQ(x.shape[1], m, nbits)
    index.pq.cp.niter, index.pq.cp.seed = iters, seed
    index.train(x)
    index.add(x)
    recon = index.reconstruct_n(0, x.shape[0])
    _, found = index.search(q, min(100, x.shape[0]))  # asymmetric: exact L2 to the reconstructions
    return dict(recall_metrics(truth, found), mse=float(((x - recon) ** 2).mean()))


def recall_vs_faiss(path, m, nbits, iters, reps):
    """Our PQ (random init, as faiss) and faiss IndexPQ at equal m, k = 2^nbits and k-means
    iterations on FILE:/train with the queries FILE:/test; seeds 1..reps each."""
    with h5py.File(path, "r") as f:
        x = np.ascontiguousarray(f["/train"][:], dtype="float32")
        q = np.ascontiguousarray(f["/test"][:], dtype="float32")
        truth = f["/neighbors"][:].astype("int64") if "neighbors" in f else None
        dist = f.attrs.get("distance", b"euclidean")
    angular = (dist.decode() if isinstance(dist, bytes) else str(dist)) in ("angular", "cosine")
    if angular:  # as qetbench: rows and queries to unit length
        x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-30)
        q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-30)
    if truth is None:
        d = (q ** 2).sum(1)[:, None] - 2 * q @ x.T + (x ** 2).sum(1)[None, :]
        truth = np.argsort(d, axis=1, kind="stable")[:, :10]
    keys = ["recall1_at_1", "recall1_at_10", "recall1_at_100", "recall10_at_10", "mse"]
    ours, ref = [], []
    for seed in range(1, reps + 1):
        log("recall: %s seed %d" % (os.path.basename(path), seed))
        ours_recall = json.loads(qb("quantize", "--data", path + ":/train", "--queries",
                                        path + ":/test", "--method", "pq", "--subspaces", m,
                                        "--ks", 2 ** nbits, "--kmeans-iters", iters,
                                        "--kmeans-init", "random", "--max-points-per-centroid",
                                        256, "--seed", seed, "--json"))
        ours.append({k: ours_recall[k] for k in keys})
        ref.append(faiss_pq_recall(x, q, truth, m, nbits, iters, seed))
    md = ["## Recall: our PQ against faiss IndexPQ (%s; m = %d, k = %d, %d k-means iterations, "
          "random init, %d seeds, %d queries%s)" % (os.path.basename(path), m, 2 ** nbits, iters,
                                                    reps, len(q), ", angular" if angular else ""),
          "", "| metric | ours mean | ours sd | faiss mean | faiss sd | difference |",
          "|---|---|---|---|---|---|"]
    rows = []
    for k in keys:
        a, b = [r[k] for r in ours], [r[k] for r in ref]
        sa = statistics.stdev(a) if len(a) > 1 else float("nan")
        sb = statistics.stdev(b) if len(b) > 1 else float("nan")
        md.append("| %s | %.4f | %.4f | %.4f | %.4f | %+.4f |" % (
            k, statistics.mean(a), sa, statistics.mean(b), sb, statistics.mean(a) - statistics.mean(b)))
        rows.append(["recall vs faiss", os.path.basename(path), "pq m=%d k=%d" % (m, 2 ** nbits), k,
                     statistics.mean(a), statistics.mean(b), "faiss IndexPQ",
                     statistics.mean(a) / statistics.mean(b) if statistics.mean(b) else ""])
    return md, rows


def recall_main(argv):
    ap = argparse.ArgumentParser(description="our PQ's recall against faiss IndexPQ's")
    ap.add_argument("--recall", required=True, help="an HDF5 file in ann-benchmarks' layout "
                    "(/train, /test; scripts/fetch-data makes data/*-ann.h5)")
    ap.add_argument("--m", type=int, default=8)
    ap.add_argument("--nbits", type=int, default=8)
    ap.add_argument("--iters", type=int, default=25)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    os.makedirs(OUT, exist_ok=True)
    md, rows = recall_vs_faiss(a.recall, a.m, a.nbits, a.iters, a.repeat)
    with open(os.path.join(OUT, "recall.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(OUT, "recall.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["section", "data", "what", "metric", "ours", "reference", "reference_name",
                    "ratio"])
        w.writerows(rows)
    print("\n".join(md))
    log("wrote %s/recall.md and recall.csv" % OUT)


if __name__ == "__main__":
    if "--recall" in sys.argv[1:]:
        recall_main(sys.argv[1:])
    else:
        main()
