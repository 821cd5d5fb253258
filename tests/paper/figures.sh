#!/usr/bin/env bash
# figures.sh - experiments/quick.lua at reduced size (plus a Gaussian matrix) draws every figure of
# paper Figures 3-26 with all its curves, the rate-distortion bound under every Gaussian MSE
# curve, error growing with the compression ratio for every method, and a claims table with a
# verdict for each claim.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || fail "python3 is not on PATH, so the figures, curves and claims cannot be checked"
cat > "$TMP/exp.lua" <<LUA
local c = dofile("$SRC/experiments/quick.lua")
c.name = "quick-reduced"
c.datasets = { { name = "synthetic", n = 256, d = 128 },
               { name = "gaussian", n = 256, d = 128, mu = 0, sigma = 2 } }
c.ratios = { 4, 8, 16 }
c.seeds = 3
return c
LUA
"$QB" run "$TMP/exp.lua" --out "$TMP/out" --threads 2 2>/dev/null
python3 - "$TMP/out" "$("$QB" --help | awk '/^methods:/ { m = 1; next } m && NF { print $1 }' | paste -sd,)" <<'PY'
import csv, math, os, re, sys
out, methods = sys.argv[1], [m.strip() for m in sys.argv[2].split(",")]
bad = []
def check(cond, msg):
    if not cond:
        bad.append(msg)
summary = list(csv.DictReader(open(os.path.join(out, "summary.csv"))))
ok = [r for r in summary if r["status"] == "ok"]
check({"rtn", "pq", "qet"} <= set(methods), "built-in methods: %s" % methods)

def curves(path):
    return set(re.findall(r"^# curve: (.*)$", open(path).read(), re.M))

def expected(ds, acc, m=None, l=None):
    want = set()
    for r in ok:
        if r["dataset"] != ds or (r["method"] == "qet" and r["accounting"] != acc):
            continue
        if m is not None and r["subspaces"] not in ("0", str(m)):
            continue
        if l is not None:
            if r["method"] != "qet" or r["label"] != "qet" or r["iterations"] != str(l):
                continue
            want.add("m=" + r["subspaces"])
        elif r["method"] == "qet":
            want.add("%s l=%s" % (r["label"], r["iterations"]))
        else:
            want.add(r["label"])
    return want

figs = 0
for ds in ("synthetic", "gaussian"):
    d = os.path.join(out, "figures", ds)
    for acc, suffix in (("full", ""), ("free-imap", "_free-imap")):
        names = []
        for i, m in enumerate((8, 16, 32, 128)):
            for j, metric in enumerate(("mae", "mre", "mse")):
                names.append(("fig%02d_%s_m%d%s" % (3 + 3 * i + j, metric, m, suffix), m, None))
        for l in (1, 2, 3, 4):
            for j, metric in enumerate(("mae", "mre", "mse")):
                names.append(("fig%02d_%s_l%d%s" % (15 + 3 * (l - 1) + j, metric, l, suffix), None, l))
        for name, m, l in names:
            base = os.path.join(d, name)
            for ext in (".png", ".svg", ".dat", ".gp"):
                check(os.path.exists(base + ext) and os.path.getsize(base + ext) > 100,
                      "missing or empty %s%s" % (base, ext))
            if not os.path.exists(base + ".dat"):
                continue
            figs += 1
            want, got = expected(ds, acc, m, l), curves(base + ".dat")
            check(want and want == got, "%s: curves %s, expected %s" % (name, sorted(got), sorted(want)))
            if m == 8 and l is None:
                # Every method built in appears: as a curve, or as a note that no budget fit.
                text = open(base + ".dat").read()
                for meth in methods:
                    drawn = any(c.split(" ")[0] == meth for c in got)
                    noted = re.search(r"^# no curve: %s\b.*\n(# r=\S+ (infeasible|invalid) .*\n)+" % re.escape(meth), text, re.M)
                    check(drawn or noted, "%s: %s neither drawn nor noted as infeasible" % (name, meth))
            gp = open(base + ".gp").read()
            rd = "rate-distortion" in gp
            check(rd == (ds == "gaussian" and "mse" in name), "%s: rate-distortion line %s" % (name, rd))
print("figures checked:", figs)

# Shannon's bound sigma^2 2^(-2R), R = charged bits per element, is below every Gaussian MSE.
for r in ok:
    if r["dataset"] == "gaussian" and r["accounting"] == "full":
        rate = 32 / float(r["ratio_mean"])
        bound = 4.0 * 2 ** (-2 * rate)
        check(float(r["mse_mean"]) >= bound, "%s m=%s l=%s r=%s: MSE %s below the bound %g"
              % (r["label"], r["subspaces"], r["iterations"], r["target_ratio"], r["mse_mean"], bound))

# Error grows with the compression ratio, for every method and configuration: where the achieved
# ratio grows, the mean MSE grows.
series = {}
for r in ok:
    key = (r["dataset"], r["label"], r["accounting"], r["subspaces"], r["iterations"])
    series.setdefault(key, []).append((float(r["ratio_mean"]), float(r["mse_mean"]), r["target_ratio"]))
steps = 0
for key, pts in series.items():
    pts.sort()
    for (r0, e0, t0), (r1, e1, t1) in zip(pts, pts[1:]):
        if r1 > r0 * 1.001:
            steps += 1
            check(e1 > e0, "%s: MSE %g at ratio %g but %g at %g" % (key, e0, r0, e1, r1))
check(steps >= 20, "only %d ratio steps compared" % steps)
print("ratio steps with growing error:", steps)

claims = open(os.path.join(out, "claims.md")).read()
verdicts = re.findall(r"\| (holds|holds or equivalent|equivalent|does not hold|unclear|not measured) "
                      r"\| (?:equal bits|same target ratio) \| [^|\n]+ \| [^|\n]+ \|$", claims, re.M)
sections = len(re.findall(r"^### ", claims, re.M))
rows = 5 + 4 * 3  # five claims, and the headline claim for l = 1..4 against each baseline set
check(sections == 4, "claims.md has %d sections, expected 4 (2 datasets x 2 accountings)" % sections)
check(len(verdicts) == rows * sections, "claims.md: %d verdicts for %d sections" % (len(verdicts), sections))
measured = [v for v in verdicts if v != "not measured"]
check(len(measured) >= (rows - 2) * sections, "too many claims not measured: %s" % verdicts)
# three seeds: every section warns that its verdicts rest on fewer than 10 seeds
check(len(re.findall(r"^⚠ \d+ of the %d verdicts below rest on fewer than 10 seeds" % rows, claims, re.M))
      == sections, "claims.md: no warning about the seeds in some section")
# claims.csv holds the same verdicts: the deciding basis of each row
decided = [r["verdict"] for r in csv.DictReader(open(os.path.join(out, "claims.csv"))) if r["decides"] == "1"]
check(decided == verdicts, "claims.csv and claims.md disagree: %s vs %s" % (decided, verdicts))
head = open(os.path.join(out, "headline.md")).read()
tables = re.split(r"^### ", head, flags=re.M)[1:]
for name in ("the paper's baselines", "the PQ family", "the strongest baselines"):
    mine = [t for t in tables if t.split("\n")[0].endswith("against " + name)]
    check(len(mine) == 4, "headline: %d tables against %s, expected 4" % (len(mine), name))
    for l in (1, 2, 3, 4):
        # QET's bits, then its MSE as % of the best member at equal bits, that member named
        check(any(re.search(r"^\| qet \| %d \| 4 \| [0-9.]+ \| [0-9.]+%% \[[0-9.]+, [0-9.]+\] \| "
                            r"[a-z+-]+( m=[0-9]+)? \(" % l, t, re.M) for t in mine),
              "headline: no qet l=%d row at ratio 4 against %s" % (l, name))
# MSE against bits per element: every method a curve, the bound on the Gaussian data only
for ds in ("synthetic", "gaussian"):
    for suffix in ("", "_free-imap"):
        base = os.path.join(out, "figures", ds, "mse_bits" + suffix)
        for ext in (".png", ".svg", ".dat", ".gp"):
            check(os.path.exists(base + ext) and os.path.getsize(base + ext) > 100,
                  "missing or empty %s%s" % (base, ext))
        if os.path.exists(base + ".gp"):
            got = {c.split(" ")[0] for c in curves(base + ".dat")}
            want = {r["label"] for r in ok if r["dataset"] == ds}
            check(got == want, "%s: curves %s, expected %s" % (base, sorted(got), sorted(want)))
            check(("rate-distortion" in open(base + ".gp").read()) == (ds == "gaussian"),
                  "%s: rate-distortion line" % base)
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
echo "figures: every figure, curve, bound and claim present"
