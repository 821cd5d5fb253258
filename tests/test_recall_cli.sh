#!/usr/bin/env bash
# test_recall_cli.sh - nearest-neighbour recall end to end: `data ann` writes ann-benchmarks'
# layout, `quantize --queries` adds the recall fields (and only then), bad queries are one line,
# exit 2 and no output, and a small sweep with queries fills the columns and `plot` draws the
# downstream figures, table and claims.   usage: test_recall_cli.sh QETBENCH MAKE_BAD_H5
set -u
Q=$(realpath "$1")
MAKE_BAD=$(realpath "$2")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
bad() { echo "FAIL $*"; fail=1; }

cd "$dir" || exit 1
"$Q" gen synthetic --n 1100 --d 16 --seed 1 -o s1.h5 >/dev/null &&
    "$Q" gen synthetic --n 1100 --d 16 --seed 2 -o s2.h5 >/dev/null &&
    "$Q" gen synthetic --n 300 --d 8 --seed 1 -o d8.h5 >/dev/null &&
    "$Q" gen synthetic --n 64 --d 4 --seed 1 -o d4.h5 >/dev/null &&
    "$Q" data ann s1.h5 --test 100 -o a.h5 >/dev/null &&
    "$Q" data ann s2.h5 --test 100 -o b.h5 >/dev/null &&
    "$Q" data ann s1.h5 --test 100 --distance angular -o ang.h5 >/dev/null &&
    "$Q" data ann d8.h5 --test 50 -o a8.h5 >/dev/null &&
    "$MAKE_BAD" "$dir" || { echo "FAIL: cannot make the inputs"; exit 1; }

# the fields, with queries and without
j=$("$Q" quantize --data a.h5:/train --queries a.h5:/test --method pq --subspaces 4 --ratio 8 --json)
for f in recall1_at_1 recall1_at_10 recall1_at_100 recall10_at_10; do
    v=$(printf '%s' "$j" | grep -o "\"$f\":[^,}]*" | cut -d: -f2)
    awk -v v="$v" 'BEGIN { exit !(v != "" && v >= 0 && v <= 1) }' || bad "$f is '$v'"
done
printf '%s' "$j" | grep -q '"queries":100,"distance":"l2"' || bad "queries / distance: $j"
r100=$(printf '%s' "$j" | grep -o '"recall1_at_100":[^,]*' | cut -d: -f2)
[ "$r100" = 1 ] || bad "1-recall@100 of PQ at ratio 8 on 1000 rows is $r100, expected 1"
# the same recall for any thread count (ties by row index, exact distances)
for t in 1 2; do
    "$Q" quantize --data a.h5:/train --queries a.h5:/test --method qet --iterations 1 \
        --subspaces 4 --ratio 8 --threads $t --json | grep -o '"recall[^}]*' >threads$t
done
[ -s threads1 ] && cmp -s threads1 threads2 || bad "recall differs between 1 and 2 threads"
"$Q" quantize --data a.h5:/train --method pq --subspaces 4 --ratio 8 --json | grep -q recall &&
    bad "recall fields without --queries"
"$Q" quantize --data ang.h5:/train --queries ang.h5 --method pq --subspaces 4 --ratio 8 --json |
    grep -q '"distance":"angular"' || bad "angular queries not reported"

# bad input: one line, exit 2, no reconstruction written
expect_error() { # NAME PATTERN ARGS...
    local name=$1 pattern=$2
    shift 2
    "$Q" quantize "$@" --method pq --subspaces 4 --ratio 8 --save-reconstruction out.h5 \
        >/dev/null 2>err
    local rc=$? lines
    lines=$(wc -l <err)
    if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q -- "$pattern" err; then
        bad "$name: exit $rc, $lines lines: $(cat err)"
    elif [ -e out.h5 ]; then
        bad "$name: wrote a reconstruction"
    else
        echo "ok   $name: $(cat err)"
    fi
    rm -f out.h5
}
expect_error dimension "have 8 columns but the data 16" --data a.h5:/train --queries a8.h5:/test
expect_error nan "contains NaN" --data d4.h5 --queries nan.h5:/matrix
expect_error neighbours "disagree with the exact search" --data b.h5:/train --queries a.h5:/test
expect_error missing "has no dataset" --data a.h5:/train --queries a.h5:/nothing

# a sweep: one dataset with queries, one without
cat >exp.lua <<'LUA'
return {
  name = "recall", seed = 1, seeds = 3,
  datasets = { { name = "s", file = "a.h5", path = "/train", queries = { file = "a.h5" } },
               { name = "plain", n = 256, d = 16 } },
  methods = { "pq", "qet", "rtn" },
  subspaces = { 4 }, iterations = { 1 }, ratios = { 4, 8 },
}
LUA
"$Q" run exp.lua --out out >/dev/null 2>err || bad "the sweep failed: $(tail -3 err)"
python3 - out <<'PY' || fail=1
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1] + "/results.csv")))
bad = []
for r in rows:
    measured = r["dataset"] == "s" and r["status"] == "ok"
    for c in ("recall1_at_1", "recall1_at_10", "recall1_at_100", "recall10_at_10"):
        v = float(r[c])
        if measured and not 0 <= v <= 1 or not measured and v == v:
            bad.append("%s %s %s: %s = %s" % (r["dataset"], r["label"], r["target_ratio"], c, r[c]))
    if measured and (r["queries"] != "100" or r["distance"] != "l2"):
        bad.append("queries %s, distance %s" % (r["queries"], r["distance"]))
print("\n".join("FAIL " + b for b in bad) or "ok   the sweep's recall columns (%d rows)" % len(rows))
sys.exit(1 if bad or not rows else 0)
PY
"$Q" plot out >/dev/null 2>err || bad "plot failed: $(cat err)"
for f in down_recall10_at_10_m4 down_mse_recall10_at_10 down_recall1_at_10_m4; do
    [ -s "out/figures/s/$f.svg" ] || bad "no figure $f"
    [ -e "out/figures/plain/$f.svg" ] && bad "figure $f drawn for data without queries"
done
grep -q "curve: qet l=1" out/figures/s/down_recall10_at_10_m4.dat || bad "no QET curve"
grep -q "Spearman rho = " out/figures/s/down_mse_recall10_at_10.gp || bad "no rank correlation"
grep -q "| downstream: QET's lower MSE carries to recall10_at_10 |" out/claims.md ||
    bad "no downstream claim"
grep -q "| downstream: QET beats the best baseline in recall10_at_10 |" out/claims.md ||
    bad "no best-baseline claim"
grep -q "^s,full,mse_carries_recall10_at_10," out/claims.csv || bad "claims.csv lacks the row"
grep -q "Spearman ρ(MSE, recall10_at_10)" out/downstream.md || bad "downstream.md"
grep -q 'id="downstream"' out/report.html 2>/dev/null ||
    { "$Q" report out >/dev/null 2>&1 && grep -q 'id="downstream"' out/report.html; } ||
    bad "the report has no downstream section"

# a queries entry without a file is refused at its line
printf 'return { datasets = { { name = "s", file = "a.h5", path = "/train",\n queries = { path = "/test" } } }, methods = { "pq" }, ratios = { 8 } }\n' >e.lua
"$Q" run e.lua --out e >/dev/null 2>err
[ $? -eq 2 ] && grep -q "e.lua:2: 'queries' needs file" err || bad "queries without file: $(cat err)"

# rows = N: the file's first rows, their truth by the exact search (the file's /neighbors are
# among all 1000 rows and would disagree); more rows than the file has is refused
printf 'return { datasets = { { name = "s", file = "a.h5", path = "/train", rows = 500,\n queries = { file = "a.h5" } } }, methods = { "pq" }, subspaces = { 4 }, ratios = { 8 } }\n' >r.lua
"$Q" run r.lua --out r >/dev/null 2>err || bad "rows = 500: $(tail -2 err)"
python3 -c "
import csv, sys
r = list(csv.DictReader(open('r/results.csv')))
sys.exit(not (r and all(x['n'] == '500' and x['status'] == 'ok' and float(x['recall10_at_10']) > 0 for x in r)))" ||
    bad "rows = 500: $(cut -d, -f1-12 r/results.csv 2>&1 | head -3)"
sed -i 's/rows = 500/rows = 5000/' r.lua
"$Q" run r.lua --out r2 >/dev/null 2>err
[ $? -eq 2 ] && grep -q "rows = 5000, but a.h5:/train has 1000" err || bad "rows = 5000: $(cat err)"

[ $fail -eq 0 ] && echo "recall_cli: ok"
exit $fail
