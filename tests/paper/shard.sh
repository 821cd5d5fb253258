#!/usr/bin/env bash
# shard.sh - a sweep split in two shards and merged equals the same sweep run whole.
source "$(dirname "$0")/lib.sh"
cat > "$TMP/exp.lua" <<'LUA'
return {
  name = "shard", seeds = 3,
  datasets = { { name = "synthetic", n = 256, d = 64 }, { name = "gaussian", n = 256, d = 64, mu = 0, sigma = 1 } },
  -- named outright (not qet.available): a method missing from the build fails the run
  methods = { "rtn", "pq", "qet" },
  subspaces = { 8, 16 }, iterations = { 1, 2 }, ratios = { 4, 8 }, accounting = { "full", "free-imap" },
}
LUA
"$QB" run "$TMP/exp.lua" --out "$TMP/whole" 2>/dev/null
"$QB" run "$TMP/exp.lua" --out "$TMP/s0" --shard 0/2 2>/dev/null
"$QB" run "$TMP/exp.lua" --out "$TMP/s1" --shard 1/2 2>/dev/null
n0=$(($(wc -l < "$TMP/s0/results.csv") - 1))
n1=$(($(wc -l < "$TMP/s1/results.csv") - 1))
nw=$(($(wc -l < "$TMP/whole/results.csv") - 1))
[ "$n0" -gt 0 ] && [ "$n1" -gt 0 ] || fail "a shard is empty ($n0, $n1)"
[ $((n0 + n1)) -eq "$nw" ] || fail "shards hold $n0 + $n1 rows, the whole run $nw"
"$QB" merge --out "$TMP/merged" "$TMP/s0" "$TMP/s1" 2>/dev/null
diff <(strip_timing "$TMP/whole/results.csv") <(strip_timing "$TMP/merged/results.csv") >/dev/null ||
    fail "merged shards differ from the whole run"
[ -s "$TMP/whole/summary.csv" ] && [ -s "$TMP/merged/summary.csv" ] || fail "a summary.csv is missing or empty"
cmp -s <(cut -d, -f1-9 "$TMP/whole/summary.csv") <(cut -d, -f1-9 "$TMP/merged/summary.csv") ||
    fail "summaries differ"
# Merging again adds nothing and changes nothing.
"$QB" merge --out "$TMP/merged" "$TMP/s1" 2>"$TMP/log"
grep -q "merged 0 new rows" "$TMP/log" || fail "a second merge added rows"
echo "shard: $n0 + $n1 = $nw rows, merged == whole"

# Each shard lists the cells it owns; a merge refuses one that lacks any, naming it.
for s in s0 s1; do
    [ "$(($(wc -l < "$TMP/$s/shard.cells") - 1))" -eq "$(($(wc -l < "$TMP/$s/results.csv") - 1))" ] ||
        fail "$s/shard.cells does not list the shard's rows"
done
"$QB" merge --check "$TMP/s0" "$TMP/s1" >"$TMP/check" 2>/dev/null || fail "merge --check refused whole shards"
[ "$(cut -d' ' -f1,2 "$TMP/check")" = "$n0 $n0
$n1 $n1" ] || fail "merge --check counts: $(cat "$TMP/check")"
cp -r "$TMP/s1" "$TMP/cut"
head -n -3 "$TMP/s1/results.csv" > "$TMP/cut/results.csv"
if "$QB" merge --out "$TMP/m_cut" "$TMP/s0" "$TMP/cut" 2>"$TMP/log"; then fail "merge took a truncated shard"; fi
grep -q "$TMP/cut: shard 1/2 of 'shard' is incomplete: $((n1 - 3)) of $n1 cells, 3 missing" "$TMP/log" ||
    fail "the refusal does not name the truncated shard: $(cat "$TMP/log")"
[ ! -e "$TMP/m_cut" ] || fail "a refused merge wrote $TMP/m_cut"
if "$QB" merge --check "$TMP/s0" "$TMP/cut" >"$TMP/check" 2>/dev/null; then fail "merge --check passed a truncated shard"; fi
grep -qx "$((n1 - 3)) $n1 $TMP/cut" "$TMP/check" || fail "merge --check: $(cat "$TMP/check")"
"$QB" merge --out "$TMP/m_cut" --partial "$TMP/s0" "$TMP/cut" 2>"$TMP/log" || fail "merge --partial refused"
[ $(($(wc -l < "$TMP/m_cut/results.csv") - 1)) -eq $((nw - 3)) ] || fail "merge --partial lost rows"
grep -q "incomplete" "$TMP/log" || fail "merge --partial did not name the incomplete shard"
# A shard never run (only its plan, from a dry run) is missing every cell; a damaged plan is refused.
"$QB" run "$TMP/exp.lua" --out "$TMP/plan" --shard 1/2 --dry-run 2>/dev/null
[ -s "$TMP/plan/shard.cells" ] && [ ! -e "$TMP/plan/results.csv" ] || fail "a dry run ran cells or wrote no plan"
cmp -s "$TMP/plan/shard.cells" "$TMP/s1/shard.cells" || fail "the dry run's plan differs from the run's"
if "$QB" merge --out "$TMP/m_plan" "$TMP/s0" "$TMP/plan" 2>"$TMP/log"; then fail "merge took a shard never run"; fi
grep -q "0 of $n1 cells" "$TMP/log" || fail "merge of a shard never run: $(cat "$TMP/log")"
sed -i '3d' "$TMP/plan/shard.cells"
if "$QB" merge --check "$TMP/plan" 2>"$TMP/log"; then fail "merge read a damaged plan"; fi
grep -q "damaged" "$TMP/log" || fail "a damaged plan: $(cat "$TMP/log")"
echo "shard: a truncated shard ($((n1 - 3)) of $n1) refused and named, merged with --partial"
