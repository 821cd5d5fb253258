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
