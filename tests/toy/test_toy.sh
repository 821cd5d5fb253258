#!/usr/bin/env bash
# test_toy.sh QETBENCH_WITH_TOY - a method added as the README says (tests/toy/toy.c and one line
# in a methods list) runs through the CLI, a Lua sweep, the results store and the claims as a
# baseline, with no other file touched.
set -eu
QB=$(realpath "$1")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$QB" methods | grep -q '^toy (strong): test method' || fail "toy is not listed by qetbench methods"
json=$("$QB" quantize --synthetic 256,32 --method toy --ratio 8 --json)
echo "$json" | grep -q '"method":"toy"' || fail "quantize: $json"
echo "$json" | grep -q '"codebooks":1024' || fail "toy stores 32 floats: $json"
"$QB" quantize --synthetic 256,32 --method toy --ratio 8 --subspaces 4 2>err.txt &&
    fail "an option toy does not read was accepted"
grep -q -- "--subspaces does not apply to method toy" err.txt || fail "$(cat err.txt)"

cat > toy.lua <<'LUA'
local x = qet.dataset { name = "synthetic", n = 256, d = 32, seed = 2 }
local r = qet.quantize { data = x, method = "toy", ratio = 8 }
assert(r.bits.codebooks == 32 * 32 and r.mse > 0)
return {
  name = "toy", seeds = 3,
  datasets = { { name = "synthetic", n = 256, d = 32 } },
  methods = { "qet", "toy" },
  subspaces = { 8 }, iterations = { 1 }, ratios = { 4, 8 },
  plots = true,
}
LUA
"$QB" run toy.lua --out out 2>log.txt || fail "sweep: $(tail -3 log.txt)"
rows=$(grep -c ',toy,toy,' out/results.csv || true)
[ "$rows" -eq 6 ] || fail "expected 6 toy rows, found $rows"
grep -q ',ok,' out/results.csv || fail "no ok rows"
[ -f out/results.h5 ] || fail "no results.h5"
# the only baseline, so the best of all baselines is toy
grep -q 'toy' out/headline.md || fail "headline.md does not compare with toy: $(cat out/headline.md)"
echo "toy: listed, quantized, swept ($rows rows) and named in the headline as a baseline"
