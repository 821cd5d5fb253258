#!/usr/bin/env python3
"""test_claims.py - every number of summary.csv (its log-scale columns), headline.md/.csv,
claims.md/.csv and comparisons.csv, as `qetbench plot` writes them from the fixed synthetic results.csv beside this
file, against reference.py's independent recomputation; the reference itself is first checked
against numbers worked out by hand. Run by meson test: test_claims.py QETBENCH."""
import csv
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
failures, checks = [], [0]


def check(cond, msg):
    checks[0] += 1
    if not cond:
        failures.append(msg)


def near(a, b, tol):
    return abs(a - b) <= tol


# ---- printed numbers against reference values ----

NUMBER = re.compile(r"(\d+(?:\.\d+)?(?:e[+-]?\d+)?)")


def unit(token):
    """The place value of a printed number's last digit."""
    mantissa, _, exponent = token.partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** ((int(exponent) if exponent else 0) - decimals)


def rounds_from(printed, value):
    """`printed` is `value` rounded to the digits it shows (with 1e-9 relative slack for the
    last bits of floating point)."""
    return abs(float(printed) - value) <= 0.5 * unit(printed) + 1e-9 * abs(value) + 1e-300


def same_text(printed, expected, where):
    """Texts equal but for numbers: the expected text holds full-precision values, the printed
    one their rounding."""
    a, b = NUMBER.split(printed), NUMBER.split(expected)
    ok = len(a) == len(b) and all(
        (x == y) if i % 2 == 0 else rounds_from(x, float(y)) for i, (x, y) in enumerate(zip(a, b)))
    check(ok, "%s:\n  printed:  %s\n  expected: %s" % (where, printed, expected))


def same_number(printed, value, where):
    if printed in ("", "nan") or value is None or math.isnan(value):
        check(printed in ("", "nan") and (value is None or math.isnan(value)),
              "%s: %r vs %r" % (where, printed, value))
    else:
        check(rounds_from(printed, value), "%s: %s vs %r" % (where, printed, value))


# ---- the reference against hand-worked numbers ----

def hand_checks(groups, methods):
    # Student t: the table value t(0.975; 9) = 2.262157; with 2 dof P(T > t) = (1 - t/sqrt(t^2+2))/2.
    check(near(ref.t_quantile(0.975, 9), 2.2621572, 1e-6), "t quantile, 9 dof")
    check(near(ref.t_upper(3.0, 2), 0.5 * (1 - 3 / math.sqrt(11)), 1e-12), "t tail, 2 dof")
    # Holm over p = 0.005, 0.01, 0.03, 0.04: 0.03 > 0.05/2 stops it; 0.04 is kept.
    check(ref.holm([0.01, 0.04, 0.03, math.nan, 0.005]) == {0, 4}, "Holm")
    sc = ref.Scope(groups, "toy", methods, 0.05)
    g = {(x.label, x.m, x.l, x.accounting, x.ratio): x for x in sc.groups}

    # QET l=1 m=8 (full, r=4) is PQ m=8 x 0.7 x exp(+-0.01) seed by seed: 70.0% of PQ, interval
    # 70 exp(+-t(9) s/sqrt(10)) with s = 0.01 sqrt(10/9), t(9) s/sqrt(10) = 0.0075405:
    # [69.47415, 70.52983]; its log ratio to the
    # paper's 70.4% is log(0.7/0.704) = -0.0057, inside +-log 1.05 with t = 12.9 and 16.4 (p < 1e-6):
    # equivalent; and not "for" (one-sided p = 0.061).
    q = g[("qet", 8, 1, "full", 4)]
    c = ref.compare_at_bits(sc, q, True, -1, 0.704, ("toy", "pq", "full", 8, 0))
    check(near(100 * c.ratio[0], 70.0, 1e-9), "70.0%% of PQ, not %r" % (100 * c.ratio[0]))
    check(near(100 * c.ratio[1], 69.47415, 1e-5) and near(100 * c.ratio[2], 70.52983, 1e-5),
          "interval [69.47415, 70.52983], not %r" % (c.ratio[1:3],))
    check(c.equivalent and near(c.p_for, 0.0608, 5e-4), "TOST at 70.4%%: %r %r" % (
        c.equivalent, c.p_for))

    # Equal bits: QET l=1 m=8 (full, r=16) stores 1920 / 1024 = 1.875 bits per element, between
    # rtn-clip's 1.5 (MSE 0.02) and 3.5 bits (0.003), noise-free: read at 0.1875 of the way,
    # exp(log 0.02 + 0.1875 log 0.15) = 0.02 x 0.7006758 = 0.0140135; QET's MSE is
    # 0.02 exp(+-0.02): 142.719% of it, times exp(+-t(9) 0.02 sqrt(10/9)/sqrt(10)) = exp(+-0.015081):
    # [140.583, 144.888].
    q = g[("qet", 8, 1, "full", 16)]
    z, below, above = sc.read(("toy", "rtn-clip", "full", 0, 0), 1, q.bits(1))
    check(q.bits(1) == 1.875 and below == 1.5 and above == 3.5, "the bits of the read")
    check(near(math.exp(z), 0.0140135, 1e-7), "rtn-clip read at 1.875 bits: %r" % math.exp(z))
    c, not_spanning = ref.best_at_bits(sc, ref.SETS[2], "full", q, 1, ref.LeftOut(sc))
    check(c.what == "rtn-clip", "the strongest baseline at 1.875 bits: %s" % c.what)
    check(near(100 * c.ratio[0], 142.719, 1e-3) and near(100 * c.ratio[1], 140.583, 1e-3) and
          near(100 * c.ratio[2], 144.888, 1e-3), "142.719%% [140.583, 144.888]: %r" % (c.ratio,))
    # ... and PQ m=8 does not span it: its r=16 cell is degenerate (no codes), its curve holds 4
    # and 8 bits only. At QET's 8 bits (r=4) neither RTN per tensor (1, 3, 7 bits) nor OPQ and
    # LOPQ at m=8 (7 bits, infeasible beyond) span: only PQ m=8 is read.
    check("pq m=8" in not_spanning, "pq m=8 spans 1.875 bits: %s" % not_spanning)
    _, not_spanning = ref.best_at_bits(sc, ref.SETS[0], "full", g[("qet", 8, 1, "full", 4)], 1,
                                       ref.LeftOut(sc))
    check(not_spanning == ["lopq m=8", "opq m=8", "rtn"],
          "the paper's baselines not spanning 8 bits: %s" % not_spanning)

    # The paper's baselines take RTN per tensor with min-max, not rtn-clip (per group, clipped).
    sets = {s[0]: s for s in ref.SETS}
    check(ref.in_set(methods, sets["paper"], g[("rtn", 0, 0, "full", 4)], 8), "rtn is the paper's")
    check(not ref.in_set(methods, sets["paper"], g[("rtn-clip", 0, 0, "full", 4)], 8),
          "rtn-clip is not the paper's")
    check(ref.in_set(methods, sets["strongest"], g[("rtn-clip", 0, 0, "full", 4)], 8),
          "rtn-clip is among the strongest")

    # LOPQ m=8 is OPQ m=8 x 0.994 (four seeds): OPQ over LOPQ is 1.006, equivalent.
    rows = {r.key: r for r in ref.claims(sc, "full")}
    opq = [c for c in rows["opq_worse"].bits if c.what == "opq m=8 vs lopq m=8 r=4"]
    check(len(opq) == 1 and opq[0].grade == "equivalent" and opq[0].n == 4 and
          near(opq[0].ratio[0], 1 / 0.994, 2e-3), "opq vs lopq: equivalent")
    # QET l=2 m=8 at r=8 is worse than l=1 (0.0110 vs 0.0093): against "more iterations".
    it = [c for c in rows["more_iterations_better"].bits if c.what == "qet l=1->2 m=8 r=8"]
    check(len(it) == 1 and it[0].grade == "against" and near(it[0].ratio[0], 0.011 / 0.0093, 0.05),
          "more iterations, m=8 r=8: against")
    # Holm matters somewhere: a one-sided p against below 5% that the correction keeps unclear.
    kept = [c for r in rows.values() for c in r.bits + r.same
            if c.grade == "unclear" and c.p_against < 0.05]
    check(kept, "no comparison where Holm keeps a p < 0.05 against the claim from counting")
    # Degenerate and infeasible cells are counted: pq m=8 at r=16 stores no codes.
    check(rows["error_rises"].left.counts() == (8, 1, 0), "error rises, left out: %r" %
          (rows["error_rises"].left.counts(),))


# ---- the tables against the reference ----

def read_csv(path):
    return list(csv.DictReader(open(path)))


def check_summary(out, groups, methods):
    want = ref.summary(groups, methods.uses_subspaces)
    got = read_csv(os.path.join(out, "summary.csv"))
    check(len(got) == len(want), "summary.csv: %d rows, expected %d" % (len(got), len(want)))
    for r in got:
        key = (r["dataset"], r["label"], r["accounting"], int(r["subspaces"]),
               int(r["iterations"]), float(r["target_ratio"]))
        w = want[key]
        where = "summary.csv %s" % (key,)
        check(int(r["seeds"]) == w["seeds"] and int(r["rows"]) == w["rows"], where + " counts")
        for col in ("bits_per_element_mean", "ks_or_bits_mean", "mse_geomean", "mse_geo_lo95",
                    "mse_geo_hi95", "mae_geomean", "mae_geo_lo95", "mae_geo_hi95", "mre_geomean",
                    "mre_geo_lo95", "mre_geo_hi95"):
            same_number(r[col], w[col], "%s %s" % (where, col))
        check(float(r["mse_geo_lo95"]) <= float(r["mse_geomean"]) <= float(r["mse_geo_hi95"])
              if w["seeds"] else True, where + " interval order")
    # Lloyd-Max's ks_or_bits is its bits per element, as RTN's (8 and 3 bits here).
    lloyd = [r for r in got if r["label"] == "lloyd" and r["status"] == "ok"]
    check([r["ks_or_bits_mean"] for r in lloyd] == ["8", "3"], "lloyd ks_or_bits: %s" %
          [r["ks_or_bits_mean"] for r in lloyd])
    clip = [r for r in got if r["label"] == "rtn-clip"][0]
    check(clip["mse_geo_lo95"] == clip["mse_geomean"] == clip["mse_geo_hi95"],
          "rtn-clip has no spread: its interval is its value")


def pct(g):
    return "%r%% [%r, %r]" % (100 * g[0], 100 * g[1], 100 * g[2])


def headline_md_row(sc, q, bits, not_spanning, same):
    row = "| %s | %d | %r |" % (q.label, q.l, q.ratio)
    why = q.left_out()
    if why:
        return row + " — | %s | | | %s | | |" % (why, why)
    row += " %r |" % q.mean_bits()
    if bits:
        row += " %s | %s (%r–%r) |" % (pct(bits.ratio), bits.what, bits.bits_lo, bits.bits_hi)
    else:
        row += " no member spans QET's bits | |"
    row += " %s |" % (", ".join(not_spanning) or "—")
    if same:
        row += " %s | %s (%r) |" % (pct(same.ratio), same.what, same.bits_lo)
    else:
        row += " no member at this ratio | |"
    n = bits.n if bits else same.n if same else 0
    return row + " %d%s |" % (n, " ⚠" if n < ref.MIN_SEEDS else "")


def csv_expect(r, cells, s):
    """headline.csv fields of one set: (column suffix, expected value or text)."""
    q, bits, not_spanning, same = cells
    out = []
    for suffix, c in (("bits", bits), ("ratio", same)):
        for k, i in (("pct", 0), ("lo", 1), ("hi", 2)):
            out.append(("%s_%s_%s" % (s, suffix, k), 100 * c.ratio[i] if c else None))
        out.append(("%s_%s_best" % (s, suffix), c.what if c else ""))
        out.append(("%s_%s_seeds" % (s, suffix), c.n if c else 0))
    out += [("%s_bits_read_lo" % s, bits.bits_lo if bits else None),
            ("%s_bits_read_hi" % s, bits.bits_hi if bits else None),
            ("%s_ratio_best_bits" % s, same.bits_lo if same else None),
            ("%s_not_spanning" % s, "; ".join(not_spanning))]
    return out


def check_headline(out, sc):
    md = open(os.path.join(out, "headline.md")).read()
    rows = read_csv(os.path.join(out, "headline.csv"))
    at = 0
    for acc in sc.accs:
        tables = ref.headline(sc, acc)
        for s in ref.SETS:
            lines, dropped = tables[s[0]]
            name = {"paper": "the paper's baselines", "pq_family": "the PQ family",
                    "strongest": "the strongest baselines"}[s[0]]
            head = "### toy, %s accounting, m = 8: against %s\n" % (acc, name)
            check(head in md, "headline.md: no table %r" % head)
            table = md.split(head)[1].split("\n### ")[0] if head in md else ""
            printed = [l for l in table.split("\n") if l.startswith("| qet")]
            check(len(printed) == len(lines), "%s: %d rows, expected %d" % (head, len(printed),
                                                                           len(lines)))
            for p, cells in zip(printed, lines):
                same_text(p, headline_md_row(sc, *cells), "headline.md " + head.strip())
            same_text(table.split("at each ratio: ")[1].split("\n")[0], dropped.names(),
                      "headline.md dropped out of " + name)
        for k in range(len(tables["paper"][0])):
            r = rows[at] if at < len(rows) else {}
            at += 1
            q = tables["paper"][0][k][0]
            check((r.get("accounting"), r.get("label"), r.get("iterations"), r.get("target_ratio"))
                  == (acc, q.label, str(q.l), "%g" % q.ratio), "headline.csv row %d" % at)
            same_number(r.get("qet_bits", ""), None if q.left_out() else q.mean_bits(),
                        "headline.csv qet_bits")
            for s in ref.SETS:
                for col, value in csv_expect(r, tables[s[0]][0][k], s[0]):
                    where = "headline.csv row %d %s" % (at, col)
                    if isinstance(value, str):
                        check(r.get(col) == value, "%s: %r vs %r" % (where, r.get(col), value))
                    elif isinstance(value, int):
                        check(r.get(col) == str(value), "%s: %r vs %r" % (where, r.get(col), value))
                    else:
                        same_number(r.get(col, ""), value, where)
    check(at == len(rows), "headline.csv: %d rows, expected %d" % (len(rows), at))


def ratio_text(c, percent):
    if percent:
        return "r=%r: %s of %s" % (c.point.ratio, pct(c.ratio), c.what)
    return "%s: %r [%r, %r]" % (c.what, c.ratio[0], c.ratio[1], c.ratio[2])


def bits_text(c, equal_bits):
    if math.isnan(c.bits_point):
        return ""
    if equal_bits:
        return " at %r bits (read between %r and %r)" % (c.bits_point, c.bits_lo, c.bits_hi)
    return " at %r vs %r bits" % (c.bits_point, c.bits_lo)


def basis_text(row, comps, equal_bits):
    n = len(comps)
    if not n:
        text = "no comparison"
    else:
        c = ref.counts(comps)
        text = "%d comparisons:" % n + ",".join(
            " %d %s (%r%%)" % (c[k], k, 100.0 * c[k] / n) for k in ref.GRADES)
    if n and row.percent:
        for c in comps:
            text += "; " + ratio_text(c, True) + bits_text(c, equal_bits) + " (%s)" % c.grade
    elif n:
        text += "; ratios %r..%r" % (min(c.ratio[0] for c in comps), max(c.ratio[0] for c in comps))
        against = [c for c in comps if c.grade == "against"]
        if against:
            worst = min(against, key=lambda c: c.p_against)
            text += "; most significant against: " + ratio_text(worst, False) + \
                bits_text(worst, equal_bits)
    if equal_bits and row.not_spanned:
        text += "; not spanned: %d %s%s" % (row.not_spanned, "ratio" if row.percent else "pair",
                                             "s" if row.not_spanned > 1 else "")
    return text


TITLES = {"error_rises": "error rises with compression ratio",
          "opq_worse": "OPQ worse than the others at the same ratio",
          "pq_worse_than_qet": "PQ worse than QET",
          "more_iterations_better": "more iterations are better",
          "reduced_sensitivity": "reduced parameter sensitivity"}


def check_comparison_lines(lines, at, acc, row, basis, comps):
    """comparisons.csv: one line per comparison, in the row's order; returns the next line."""
    for c in comps:
        r = lines[at] if at < len(lines) else {}
        where = "comparisons.csv line %d" % (at + 2)
        at += 1
        expect = {"dataset": "toy", "accounting": acc, "claim": row.key,
                  "baseline_set": row.set_key, "basis": basis, "comparison":
                  c.what.replace(",", ";"), "seeds": str(c.n), "grade": c.grade,
                  "equivalent": str(int(c.equivalent))}
        for k, v in expect.items():
            check(r.get(k) == v, "%s %s: %r vs %r" % (where, k, r.get(k), v))
        numbers = {"target_ratio": c.point.ratio, "bits_point": c.bits_point,
                   "bits_rival_lo": c.bits_lo, "bits_rival_hi": c.bits_hi, "ratio": c.ratio[0],
                   "ratio_lo95": c.ratio[1], "ratio_hi95": c.ratio[2], "p_for": c.p_for,
                   "p_against": c.p_against}
        for k, v in numbers.items():
            same_number(r.get(k, ""), v, "%s %s" % (where, k))
    return at


def check_claims(out, sc, margin):
    md = open(os.path.join(out, "claims.md")).read()
    rows = read_csv(os.path.join(out, "claims.csv"))
    lines, at_line = read_csv(os.path.join(out, "comparisons.csv")), 0
    check("within ±%g%%" % (100 * margin) in md, "claims.md does not state the margin")
    at = 0
    for acc in sc.accs:
        want = ref.claims(sc, acc)
        head = "### toy, %s accounting\n" % acc
        section = md.split(head)[1].split("\n### ")[0] if head in md else ""
        printed = [l for l in section.split("\n") if l.startswith("| ") and not
                   l.startswith("| claim") and not l.startswith("|---")]
        check(len(printed) == len(want), "claims.md %s: %d rows" % (acc, len(printed)))
        few = sum(1 for r in want if r.deciding() and ref.counts(r.deciding())["min_seeds"] < 10)
        check(("⚠ %d of the %d verdicts" % (few, len(want)) in section) == (few > 0),
              "claims.md %s: the warning of %d verdicts on fewer than 10 seeds" % (acc, few))
        for line, row in zip(printed, want):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            where = "claims.md %s %s %s" % (acc, row.key, row.set_key)
            title = TITLES.get(row.key) or "QET reaches %.1f%%" % ref.PAPER_PERCENT[int(row.key[-1])]
            check(cells[0].startswith(title), where + ": title " + cells[0])
            if row.no_bits:
                check(cells[2].startswith("— ("), where + ": an equal-bits column")
            else:
                same_text(cells[2], basis_text(row, row.bits, True), where + " equal bits")
            same_text(cells[3], basis_text(row, row.same, False), where + " same ratio")
            c = ref.counts(row.deciding())
            check(cells[4] == ref.verdict(row.deciding()), where + ": verdict " + cells[4])
            check(cells[5] == ("same target ratio" if row.no_bits else "equal bits"),
                  where + ": decided by")
            seeds = "—" if not c["comparisons"] else str(c["min_seeds"]) if \
                c["min_seeds"] == c["max_seeds"] else "%d–%d" % (c["min_seeds"], c["max_seeds"])
            if c["comparisons"] and c["min_seeds"] < ref.MIN_SEEDS:
                seeds += " ⚠"
            check(cells[6] == seeds, where + ": seeds %r vs %r" % (cells[6], seeds))
            same_text(cells[7], "%d infeasible, %d degenerate, %d other; %s" %
                      (*row.left.counts(), row.left.names()), where + " left out")
            bases = ([] if row.no_bits else [("equal_bits", row.bits)]) + [("same_ratio", row.same)]
            for basis, comps in bases:
                at_line = check_comparison_lines(lines, at_line, acc, row, basis, comps)
                r = rows[at] if at < len(rows) else {}
                at += 1
                c = ref.counts(comps)
                inf, deg, other = row.left.counts()
                expect = {"dataset": "toy", "accounting": acc, "claim": row.key,
                          "baseline_set": row.set_key, "basis": basis,
                          "decides": "1" if comps is row.deciding() else "0",
                          "not_spanned": str(row.not_spanned if basis == "equal_bits" else 0),
                          "infeasible": str(inf), "degenerate": str(deg),
                          "other_left_out": str(other), "verdict": ref.verdict(comps),
                          **{k: str(v) for k, v in c.items()}}
                for k, v in expect.items():
                    check(r.get(k) == v, "claims.csv row %d %s: %r vs %r" % (at, k, r.get(k), v))
    check(at == len(rows), "claims.csv: %d rows, expected %d" % (len(rows), at))
    check(at_line == len(lines), "comparisons.csv: %d lines, expected %d" % (len(lines), at_line))


def run_plot(qb, margin_args):
    out = tempfile.mkdtemp()
    shutil.copy(os.path.join(HERE, "results.csv"), out)
    subprocess.run([qb, "plot", out, "--no-draw"] + margin_args, check=True,
                   stderr=subprocess.DEVNULL)
    return out


def main():
    qb = sys.argv[1]
    methods = ref.Methods(json.loads(subprocess.run([qb, "methods", "--json"], check=True,
                                                    capture_output=True, text=True).stdout))
    groups = ref.groups_of(ref.read_rows(os.path.join(HERE, "results.csv")))
    hand_checks(groups, methods)
    for margin, args in ((0.05, []), (0.10, ["--margin", "10"])):
        out = run_plot(qb, args)
        try:
            sc = ref.Scope(groups, "toy", methods, margin)
            if margin == 0.05:
                check_summary(out, groups, methods)
                check_headline(out, sc)
            check_claims(out, sc, margin)
        finally:
            shutil.rmtree(out)
    for f in failures[:40]:
        print("FAIL:", f)
    print("claims: %d checks, %d failed" % (checks[0], len(failures)))
    sys.exit(1 if failures or not checks[0] else 0)


if __name__ == "__main__":
    main()
