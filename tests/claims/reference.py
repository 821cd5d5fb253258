"""reference.py - an independent recomputation, in plain Python (no numpy, no scipy, nothing of
the C code), of every number the summary, headline and claims tables derive from results.csv,
written from their stated rules (README, "Claims"):

- a cell is usable when it ran ("ok"), has a positive MSE and stores codes (bits_codes > 0;
  "degenerate" otherwise); bits per element = bits_charged / (n d);
- a configuration is (dataset, label, accounting, m, l); a group adds the target ratio; methods
  without indicator maps are stored under "full" and count under every accounting mode;
- geometric means with 95% Student-t intervals on the logs, transformed back;
- equal bits: the rival's log MSE, linear in bits between its nearest usable points at or below
  and at or above the point's bits at the same seed (points at equal bits averaged), never
  extrapolated;
- grades: equivalent (TOST at the margin), for (one-sided p < 0.05), against (one-sided p against
  rejected by Holm at 0.05 over the row's comparisons), unclear; verdicts from the counts.
"""
import csv
import math

ALPHA = 0.05
MIN_SEEDS = 10
PAPER_PERCENT = {1: 70.4, 2: 49.7, 3: 35.1, 4: 12.3}


# ---- Student's t, from the regularized incomplete beta function ----

def _beta_cf(a, b, x):
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 1000):
        for num in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                    -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + num * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-16:
            break
    return h


def beta_regularized(a, b, x):
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _beta_cf(a, b, x) / a
    return 1 - front * _beta_cf(b, a, 1 - x) / b


def t_upper(t, dof):
    """P(T > t)."""
    if math.isinf(t):
        return 0.0 if t > 0 else 1.0
    tail = 0.5 * beta_regularized(dof / 2, 0.5, dof / (dof + t * t))
    return tail if t > 0 else 1 - tail


def t_quantile(p, dof):
    lo, hi = -1e4, 1e4
    for _ in range(200):
        mid = (lo + hi) / 2
        if 1 - t_upper(mid, dof) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# ---- samples ----

def moments(xs):
    xs = [x for x in xs if not math.isnan(x)]
    n = len(xs)
    if not n:
        return (math.nan, math.nan, 0)
    mean = sum(xs) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1)) if n > 1 else math.nan
    return (mean, sd, n)


def geo_of_logs(mom):
    """(centre, lo, hi, n) of exp(mean log) with the 95% interval of the mean log."""
    mean, sd, n = mom
    if not n:
        return (math.nan, math.nan, math.nan, 0)
    if n < 2:
        return (math.exp(mean), math.nan, math.nan, n)
    half = t_quantile(0.975, n - 1) * sd / math.sqrt(n)
    return (math.exp(mean), math.exp(mean - half), math.exp(mean + half), n)


def geometric(values):
    values = [v for v in values if not math.isnan(v)]
    if any(v <= 0 for v in values):
        return (math.nan, math.nan, math.nan, 0)
    return geo_of_logs(moments([math.log(v) for v in values]))


def directional(mom, direction, margin):
    """p for, p against, equivalent (TOST) of a sample whose claim is direction * mean > 0."""
    mean, sd, n = mom
    if n < 2:
        return (math.nan, math.nan, False)
    se = sd / math.sqrt(n)
    d = direction * mean
    if not se > 0:
        return (0.0 if d > 0 else 1.0, 0.0 if -d > 0 else 1.0, abs(mean) < margin)
    p_low = t_upper((mean + margin) / se, n - 1)
    p_high = t_upper((margin - mean) / se, n - 1)
    return (t_upper(d / se, n - 1), t_upper(-d / se, n - 1), p_low < ALPHA and p_high < ALPHA)


def holm(ps):
    """Indices rejected by Holm's step-down procedure (NaNs are no hypotheses)."""
    family = sorted((p, i) for i, p in enumerate(ps) if not math.isnan(p))
    rejected = set()
    for k, (p, i) in enumerate(family):
        if p > ALPHA / (len(family) - k):
            break
        rejected.add(i)
    return rejected


# ---- the results ----

NUMERIC = {"n", "d", "subspaces", "ks", "rtn_bits", "iterations", "seed_index", "bits_codes",
           "bits_charged"}
REAL = {"target_ratio", "ratio", "mse", "mae", "mre"}


def read_rows(path):
    rows = []
    for r in csv.DictReader(open(path)):
        for k in NUMERIC:
            r[k] = int(r[k])
        for k in REAL:
            r[k] = float(r[k])
        rows.append(r)
    rows.sort(key=lambda r: (r["dataset"], r["label"], r["accounting"], r["subspaces"],
                             r["iterations"], r["target_ratio"], r["seed_index"], r["key"]))
    return rows


def usable(r):
    return r["status"] == "ok" and r["bits_codes"] > 0 and r["mse"] > 0 and math.isfinite(r["mse"])


def bits_of(r):
    return r["bits_charged"] / (r["n"] * r["d"])


class Group:
    """The rows of one configuration at one target ratio, seed by seed."""

    def __init__(self, rows, index):
        r0 = rows[0]
        self.index = index
        self.rows = rows
        self.dataset, self.label, self.method = r0["dataset"], r0["label"], r0["method"]
        self.accounting, self.m, self.l = r0["accounting"], r0["subspaces"], r0["iterations"]
        self.ratio = r0["target_ratio"]
        self.config = (self.dataset, self.label, self.accounting, self.m, self.l)
        self.seeds = max(r["seed_index"] for r in rows)
        self.options = r0

    def cell(self, s):
        for r in self.rows:
            if r["seed_index"] == s:
                return r if usable(r) else None
        return None

    def log_mse(self, s):
        c = self.cell(s)
        return math.log(c["mse"]) if c else math.nan

    def bits(self, s):
        c = self.cell(s)
        return bits_of(c) if c else math.nan

    def left_out(self):
        """None when some cell is usable, else why not (from the first row)."""
        if any(usable(r) for r in self.rows):
            return None
        r = self.rows[0]
        if r["status"] != "ok":
            return r["status"]
        return "degenerate" if r["bits_codes"] == 0 else "zero MSE"

    def mean_log_mse(self):
        v = [math.log(r["mse"]) for r in self.rows if usable(r)]
        return sum(v) / len(v) if v else math.nan

    def mean_bits(self):
        v = [bits_of(r) for r in self.rows if usable(r)]
        return sum(v) / len(v) if v else math.nan


def groups_of(rows):
    groups, start = [], 0
    key = lambda r: (r["dataset"], r["label"], r["accounting"], r["subspaces"], r["iterations"],
                     r["target_ratio"])
    for i in range(1, len(rows) + 1):
        if i == len(rows) or key(rows[i]) != key(rows[start]):
            groups.append(Group(rows[start:i], len(groups)))
            start = i
    return groups


# ---- summary.csv ----

def summary(groups, uses_subspaces):
    """Per group: bits per element and geometric mean with interval of mse, mae, mre."""
    out = {}
    for g in groups:
        ok = [r for r in g.rows if r["status"] == "ok"]
        row = {"seeds": len(ok), "rows": len(g.rows),
               "bits_per_element_mean": sum(bits_of(r) for r in ok) / len(ok) if ok else math.nan,
               "ks_or_bits_mean": (sum(r["ks"] if uses_subspaces(g.method) else r["rtn_bits"]
                                       for r in ok) / len(ok)) if ok else math.nan}
        for metric in ("mse", "mae", "mre"):
            c, lo, hi, _ = geometric([r[metric] for r in ok])
            row[metric + "_geomean"], row[metric + "_geo_lo95"], row[metric + "_geo_hi95"] = c, lo, hi
        out[(g.dataset, g.label, g.accounting, g.m, g.l, g.ratio)] = row
    return out


# ---- the methods and the baseline sets ----

class Methods:
    """The descriptors as `qetbench methods --json` lists them: data, not statistics."""

    def __init__(self, listing):
        self.by_name = {m["name"]: m for m in listing["methods"]}

    def family(self, method):
        return self.by_name[method]["family"]

    def uses_subspaces(self, method):
        return self.by_name[method]["subspaces"]

    def uses_iterations(self, method):
        return self.by_name[method]["iterations"]

    def stores_imaps(self, method):
        return self.by_name[method]["indicator_maps"]

    def reads(self, method, option):
        return option in self.by_name[method]["options"]


SETS = [  # key, families, same m, required options (where the method reads them)
    ("paper", {"pq-family", "paper-scalar"}, True,
     {"rtn_granularity": "tensor", "rtn_clip": "minmax"}),
    ("pq_family", {"pq-family"}, True, {}),
    ("strongest", {"pq-family", "paper-scalar", "strong"}, False, {}),
]


def in_set(methods, s, g, m):
    key, families, same_m, required = s
    if methods.family(g.method) not in families:
        return False
    if same_m and g.m and g.m != m:
        return False
    return all(g.options[o] == v for o, v in required.items() if methods.reads(g.method, o))


# ---- one dataset ----

class Scope:
    def __init__(self, groups, dataset, methods, margin):
        self.methods = methods
        self.groups = [g for g in groups if g.dataset == dataset]
        self.dataset = dataset
        self.ratios = sorted({g.ratio for g in self.groups})
        self.ms = []
        for g in self.groups:
            if g.m and g.m not in self.ms:
                self.ms.append(g.m)
        accs = []
        for g in self.groups:
            if g.accounting not in accs:
                accs.append(g.accounting)
        self.accs = sorted(accs, key=lambda a: a != "full")
        self.margin = math.log1p(margin)
        self.curves = {}
        for g in self.groups:
            self.curves.setdefault(g.config, []).append(g)

    def counts_under(self, g, acc):
        return g.accounting == acc or not self.methods.stores_imaps(g.method)

    def name(self, g):
        if self.methods.uses_iterations(g.method) and g.m:
            return "%s l=%d m=%d" % (g.label, g.l, g.m)
        return "%s m=%d" % (g.label, g.m) if g.m else g.label

    def curve_at(self, config, ratio):
        for g in self.curves[config]:
            if g.ratio == ratio:
                return g
        return None

    def read(self, config, s, bits):
        """(log MSE, below, above) of a configuration's curve at `bits`, seed s."""
        pts = [(g.bits(s), g.log_mse(s)) for g in self.curves[config] if g.cell(s)]
        below = [b for b, _ in pts if b <= bits]
        above = [b for b, _ in pts if b >= bits]
        if not below or not above:
            return (math.nan, math.nan, math.nan)
        b0, b1 = max(below), min(above)
        y0 = sum(y for b, y in pts if b == b0) / sum(1 for b, _ in pts if b == b0)
        if b0 == b1:
            return (y0, b0, b1)
        y1 = sum(y for b, y in pts if b == b1) / sum(1 for b, _ in pts if b == b1)
        return (y0 + (y1 - y0) * (bits - b0) / (b1 - b0), b0, b1)


class Comparison:
    def __init__(self, sc, values, direction, reference):
        mom = moments(values)
        self.n = mom[2]
        self.ratio = geo_of_logs(mom)
        shifted = (mom[0] - math.log(reference), mom[1], mom[2])
        self.p_for, self.p_against, self.equivalent = directional(shifted, direction, sc.margin)
        self.grade = "unclear"
        self.what = ""
        self.point = None
        self.bits_point = self.bits_lo = self.bits_hi = math.nan


def pair_value(on_top, y, z):
    return y - z if on_top else z - y


def compare_at_bits(sc, point, on_top, direction, reference, config):
    v, used_bits, lo, hi = [], [], math.inf, -math.inf
    for s in range(1, point.seeds + 1):
        y = point.log_mse(s)
        z, b0, b1 = sc.read(config, s, point.bits(s)) if not math.isnan(y) else (math.nan,) * 3
        if math.isnan(z):
            continue
        v.append(pair_value(on_top, y, z))
        used_bits.append(point.bits(s))
        lo, hi = min(lo, b0), max(hi, b1)
    if not v:
        return None
    c = Comparison(sc, v, direction, reference)
    c.point, c.bits_point, c.bits_lo, c.bits_hi = point, sum(used_bits) / len(used_bits), lo, hi
    return c


def compare_same_ratio(sc, point, on_top, direction, reference, rival):
    v = []
    for s in range(1, point.seeds + 1):
        y, z = point.log_mse(s), rival.log_mse(s)
        if not (math.isnan(y) or math.isnan(z)):
            v.append(pair_value(on_top, y, z))
    if not v:
        return None
    c = Comparison(sc, v, direction, reference)
    c.point, c.bits_point = point, point.mean_bits()
    c.bits_lo = c.bits_hi = rival.mean_bits()
    return c


def grade(comparisons):
    rejected = holm([c.p_against for c in comparisons])
    for i, c in enumerate(comparisons):
        c.grade = ("equivalent" if c.equivalent else "for" if c.p_for < ALPHA
                   else "against" if i in rejected else "unclear")


GRADES = ("for", "equivalent", "against", "unclear")


def verdict(comparisons):
    n = len(comparisons)
    count = {k: sum(c.grade == k for c in comparisons) for k in GRADES}
    if not n:
        return "not measured"
    if count["against"]:
        return "does not hold"
    if count["for"] == n:
        return "holds"
    if count["equivalent"] == n:
        return "equivalent"
    if count["for"] + count["equivalent"] == n:
        return "holds or equivalent"
    return "unclear"


class LeftOut:
    """The groups a row or table looked at and could not use, each once."""

    def __init__(self, sc):
        self.sc, self.items = sc, {}

    def check(self, g):
        why = g.left_out()
        if why and g.index not in self.items:
            self.items[g.index] = (g, why)
        return why is None

    def counts(self):
        whys = [w for _, w in self.items.values()]
        inf, deg = whys.count("infeasible"), whys.count("degenerate")
        return inf, deg, len(whys) - inf - deg

    def names(self):
        if not self.items:
            return "none"
        items = sorted(self.items.values(),
                       key=lambda x: (x[0].ratio, x[0].label, x[0].l, x[1], x[0].m))
        parts = []
        for ratio in self.sc.ratios:
            at = [x for x in items if x[0].ratio == ratio]
            names, seen = [], []
            for g, why in at:
                k = (g.label, g.l, why)
                if k in seen:
                    continue
                seen.append(k)
                same = [h for h, w in at if (h.label, h.l, w) == k]
                name = g.label + (" l=%d" % g.l if self.sc.methods.uses_iterations(g.method) else "")
                ms = [str(h.m) for h in same if h.m]
                names.append(name + (" m=" + ",".join(ms) if ms else "") + " (%s)" % why)
            if names:
                parts.append("r=%g: %s" % (ratio, ", ".join(names)))
        return "; ".join(parts)


def best_at_bits(sc, s, acc, point, reference, dropped):
    """(comparison or None, [names not spanning])"""
    best, best_mean, not_spanning = None, math.inf, []
    for config, curve in sc.curves.items():
        g0 = curve[0]
        if not sc.counts_under(g0, acc) or not in_set(sc.methods, s, g0, point.m):
            continue
        if all(g.left_out() for g in curve):
            for g in curve:
                dropped.check(g)
            continue
        readings = []
        for seed in range(1, point.seeds + 1):
            b = point.bits(seed)
            if not math.isnan(b):
                z = sc.read(config, seed, b)[0]
                if not math.isnan(z):
                    readings.append(z)
        if not readings:
            not_spanning.append(sc.name(g0))
        elif sum(readings) / len(readings) < best_mean:
            best, best_mean = config, sum(readings) / len(readings)
    if best is None:
        return None, not_spanning
    c = compare_at_bits(sc, point, True, -1, reference, best)
    c.what = sc.name(sc.curves[best][0])
    return c, not_spanning


def best_same_ratio(sc, s, acc, point, reference, dropped):
    best, best_mean = None, math.inf
    for g in sc.groups:
        if not sc.counts_under(g, acc) or not in_set(sc.methods, s, g, point.m) or \
                g.ratio != point.ratio or not dropped.check(g):
            continue
        if g.mean_log_mse() < best_mean:
            best, best_mean = g, g.mean_log_mse()
    if best is None:
        return None
    c = compare_same_ratio(sc, point, True, -1, reference, best)
    c.what = sc.name(best)
    return c


# ---- the headline ----

def headline(sc, acc):
    """Per set key: [(qet group, at bits, not spanning, same ratio)], dropped members."""
    rows = [g for g in sc.groups if sc.methods.family(g.method) == "qet" and g.m == 8
            and g.accounting == acc and 1 <= g.l <= 4]
    out = {}
    for s in SETS:
        dropped, lines = LeftOut(sc), []
        for q in rows:
            if q.left_out():
                lines.append((q, None, [], None))
                continue
            bits, not_spanning = best_at_bits(sc, s, acc, q, 1, dropped)
            lines.append((q, bits, not_spanning, best_same_ratio(sc, s, acc, q, 1, dropped)))
        out[s[0]] = (lines, dropped)
    return out


# ---- the claims ----

class Row:
    def __init__(self, sc, key, set_key="", no_bits=False, percent=False):
        self.sc, self.key, self.set_key = sc, key, set_key
        self.no_bits, self.percent = no_bits, percent
        self.bits, self.same, self.not_spanned = [], [], 0
        self.left = LeftOut(sc)

    def both(self, point, on_top, direction, reference, config, what):
        """The point against a rival configuration at its bits and at its target ratio."""
        sc = self.sc
        if all(g.left_out() for g in sc.curves[config]):
            for g in sc.curves[config]:
                self.left.check(g)
            return
        if not self.no_bits:
            c = compare_at_bits(sc, point, on_top, direction, reference, config)
            if c is None:
                self.not_spanned += 1
            else:
                c.what = what
                self.bits.append(c)
        o = sc.curve_at(config, point.ratio)
        if o is not None and self.left.check(o):
            c = compare_same_ratio(sc, point, on_top, direction, reference, o)
            if c is not None:
                c.what = what
                self.same.append(c)

    def deciding(self):
        return self.same if self.no_bits else self.bits


def first_of_curve(sc, g):
    return sc.curves[g.config][0] is g


def error_rises(sc, acc):
    row = Row(sc, "error_rises", no_bits=True)
    for g in sc.groups:
        if not sc.counts_under(g, acc) or not row.left.check(g):
            continue
        higher = [r for r in sc.ratios if r > g.ratio]
        up = sc.curve_at(g.config, higher[0]) if higher else None
        if up is None or not row.left.check(up):
            continue
        c = compare_same_ratio(sc, up, True, +1, 1, g)
        if c is not None:
            c.what = "%s r=%g->%g" % (sc.name(g), g.ratio, up.ratio)
            row.same.append(c)
    return row


def opq_worse(sc, acc):
    row = Row(sc, "opq_worse")
    for x in sc.groups:
        if not sc.counts_under(x, acc) or x.method != "opq" or not row.left.check(x):
            continue
        for o in sc.groups:
            if sc.counts_under(o, acc) and o.method != "opq" and first_of_curve(sc, o) and \
                    not (o.m and x.m and o.m != x.m):
                row.both(x, True, +1, 1, o.config,
                         "%s vs %s r=%g" % (sc.name(x), sc.name(o), x.ratio))
    return row


def pq_worse_than_qet(sc, acc):
    row = Row(sc, "pq_worse_than_qet")
    for q in sc.groups:
        if not sc.counts_under(q, acc) or sc.methods.family(q.method) != "qet" or \
                not row.left.check(q):
            continue
        for o in sc.groups:
            if sc.counts_under(o, acc) and o.method == "pq" and first_of_curve(sc, o) and \
                    o.m == q.m:
                row.both(q, False, +1, 1, o.config,
                         "%s vs %s r=%g" % (sc.name(o), sc.name(q), q.ratio))
    return row


def more_iterations_better(sc, acc):
    row = Row(sc, "more_iterations_better")
    for x in sc.groups:
        if not sc.counts_under(x, acc) or sc.methods.family(x.method) != "qet":
            continue
        ups = [y for y in sc.groups if (y.label, y.m, y.ratio, y.accounting) ==
               (x.label, x.m, x.ratio, x.accounting) and y.l > x.l]
        up = min(ups, key=lambda y: y.l) if ups else None
        if not row.left.check(x) or up is None or not row.left.check(up):
            continue
        row.both(up, True, -1, 1, x.config,
                 "%s l=%d->%d m=%d r=%g" % (x.label, x.l, up.l, x.m, x.ratio))
    return row


def find(sc, label, acc, m, l, ratio):
    for g in sc.groups:
        if g.label == label and g.ratio == ratio and g.l == l and (not g.m or g.m == m) and \
                sc.counts_under(g, acc):
            return g
    return None


def reduced_sensitivity(sc, acc):
    row = Row(sc, "reduced_sensitivity", no_bits=True)
    if len(sc.ms) < 2:
        return row
    for q in sc.groups:
        if sc.methods.family(q.method) != "qet" or q.accounting != acc or q.m != sc.ms[0]:
            continue
        sweep = [(find(sc, q.label, acc, m, q.l, q.ratio), find(sc, "pq", acc, m, 0, q.ratio))
                 for m in sc.ms]
        for a, b in sweep:
            for g in (a, b):
                if g is not None:
                    row.left.check(g)
        values = []
        for s in range(1, q.seeds + 1):
            pairs = [(a.log_mse(s), b.log_mse(s)) for a, b in sweep if a and b]
            pairs = [(x, y) for x, y in pairs if not (math.isnan(x) or math.isnan(y))]
            if len(pairs) < 2:
                values.append(math.nan)
                continue
            qs, ps = [x for x, _ in pairs], [y for _, y in pairs]
            values.append((max(qs) - min(qs)) - (max(ps) - min(ps)))
        if any(not math.isnan(v) for v in values):
            c = Comparison(sc, values, -1, 1)
            c.point, c.what = q, "%s l=%d r=%g" % (q.label, q.l, q.ratio)
            row.same.append(c)
    return row


def headline_claim(sc, acc, l, s):
    row = Row(sc, "headline_l%d" % l, set_key=s[0], percent=True)
    reference = PAPER_PERCENT[l] / 100
    for q in sc.groups:
        if (q.label, q.l, q.m, q.accounting) != ("qet", l, 8, acc) or not row.left.check(q):
            continue
        c, _ = best_at_bits(sc, s, acc, q, reference, row.left)
        if c is None:
            row.not_spanned += 1
        else:
            row.bits.append(c)
        c = best_same_ratio(sc, s, acc, q, reference, row.left)
        if c is not None:
            row.same.append(c)
    return row


def claims(sc, acc):
    rows = [error_rises(sc, acc), opq_worse(sc, acc), pq_worse_than_qet(sc, acc),
            more_iterations_better(sc, acc), reduced_sensitivity(sc, acc)]
    rows += [headline_claim(sc, acc, l, s) for l in (1, 2, 3, 4) for s in SETS]
    for row in rows:
        grade(row.bits)
        grade(row.same)
    return rows


def counts(comparisons):
    n = len(comparisons)
    seeds = [c.n for c in comparisons]
    return {"comparisons": n, **{k: sum(c.grade == k for c in comparisons) for k in GRADES},
            "min_seeds": min(seeds) if seeds else 0, "max_seeds": max(seeds) if seeds else 0}
