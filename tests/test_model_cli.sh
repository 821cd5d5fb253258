#!/usr/bin/env bash
# test_model_cli.sh - `qetbench model` end to end on the shipped checkpoint (rtn, pq and qet at
# ratio 8 on its weights and KV cache: the JSON fields exist and are sane), bad input (exit 2,
# one line on stderr, nothing on stdout), and a sweep with a model entry (its rows carry the
# model's columns).
# usage: test_model_cli.sh QETBENCH STORIES260K.bin
set -u
QB=$1 CKPT=$2
source "$(dirname "$0")/check_lib.sh"
# sane JSON: every model field, KL > 0, KL p99 >= mean, 0 <= top1 < 1, finite ppl >= 1, the
# achieved ratio at least the target, bits and MSE of the quantized matrices.
sane() {
    python3 - "$1" <<'PY'
import json, math, sys
r = json.loads(open(sys.argv[1]).read())
for k in ("kl_mean", "kl_p99", "top1", "ppl", "ppl_fp32", "positions", "mse", "bits", "ratio"):
    assert k in r, k
assert r["kl_mean"] > 0 and r["kl_p99"] >= r["kl_mean"], r
assert 0 <= r["top1"] < 1, r
assert math.isfinite(r["ppl"]) and r["ppl"] >= 1 and 1 < r["ppl_fp32"] < 100, r
assert r["positions"] == 4 * 31 and r["ratio"] >= 8 and r["mse"] > 0, r
assert r["bits"]["total"] > 0 and r["bits"]["total"] * 8 <= r["original_bits"], r
PY
}

for target in weights kv; do
    for method in rtn pq qet; do
        check "$method $target runs" "$QB" model --checkpoint "$CKPT" --target $target \
            --method $method --ratio 8 $([ $method = rtn ] || echo --subspaces 4) \
            --sequences 4 --tokens 32 --seed 3 --json >"$T/$method-$target.json"
        check "$method $target JSON sane" sane "$T/$method-$target.json"
    done
done
check "same seed, same result" cmp <("$QB" model --checkpoint "$CKPT" --target kv --method pq \
    --subspaces 4 --ratio 8 --sequences 4 --tokens 32 --seed 3 --json --threads 1 |
    strip_timings) <(strip_timings <"$T/pq-kv.json")
check "human output" "$QB" model --checkpoint "$CKPT" --target kv --method rtn --bits 8 \
    --sequences 2 --tokens 16 >"$T/h.txt"
check "human output names KL" grep -q "KL mean" "$T/h.txt"
check "help" "$QB" model --help >"$T/help.txt"
check "help lists the option table" grep -q -- "--kmeans-iters" "$T/help.txt"

printf '1 5 9 600\n' >"$T/bad.txt"
check "token outside the vocabulary" expect_bad "$QB" model --checkpoint "$CKPT" --target kv \
    --method rtn --ratio 8 --eval-tokens "$T/bad.txt"
check "message names the line" grep -q "bad.txt:1: token 600 outside the vocabulary" "$T/err"
python3 -c "print(' '.join(['1'] * 600))" >"$T/long.txt"
check "longer than the context" expect_bad "$QB" model --checkpoint "$CKPT" --target kv \
    --method rtn --ratio 8 --eval-tokens "$T/long.txt"
check "tokens < 2" expect_bad "$QB" model --checkpoint "$CKPT" --target kv --method rtn \
    --ratio 8 --tokens 1
check "tokens beyond the context" expect_bad "$QB" model --checkpoint "$CKPT" --target kv \
    --method rtn --ratio 8 --tokens 600
head -c 1000 "$CKPT" >"$T/short.bin"
check "truncated checkpoint" expect_bad "$QB" model --checkpoint "$T/short.bin" --target kv \
    --method rtn --ratio 8
printf 'hello' >"$T/tiny.bin"
check "no header" expect_bad "$QB" model --checkpoint "$T/tiny.bin" --target kv --method rtn \
    --ratio 8
check "unknown target" expect_bad "$QB" model --checkpoint "$CKPT" --target cache --method rtn \
    --ratio 8
check "no budget" expect_bad "$QB" model --checkpoint "$CKPT" --target kv --method rtn
check "option the method does not read" expect_bad "$QB" model --checkpoint "$CKPT" \
    --target kv --method rtn --ratio 8 --kmeans-iters 3
check "m not dividing a weight" expect_bad "$QB" model --checkpoint "$CKPT" --target weights \
    --method pq --subspaces 8 --ratio 8 --tokens 8
check "message names the matrix" grep -q "layer 0 w2 (64 x 172)" "$T/err"
check "eval-tokens and tokens" expect_bad "$QB" model --checkpoint "$CKPT" --target kv \
    --method rtn --ratio 8 --eval-tokens "$T/bad.txt" --tokens 128
check "kv-block with weights" expect_bad "$QB" model --checkpoint "$CKPT" --target weights \
    --method rtn --ratio 8 --kv-block 4

# A sweep: model datasets beside a matrix; rows carry the model columns, NaN elsewhere.
cat >"$T/exp.lua" <<LUA
return {
  name = "m",
  datasets = {
    { name = "w", model = { checkpoint = "$CKPT", target = "weights", sequences = 2, tokens = 16 } },
    { name = "kv", model = { checkpoint = "$CKPT", target = "kv", sequences = 2, tokens = 16 } },
    { name = "g", n = 64, d = 32 },
  },
  methods = { "rtn", { method = "pq", subspaces = 4 } },
  ratios = { 8 },
}
LUA
check "sweep runs" "$QB" run "$T/exp.lua" --out "$T/res" --threads 2
check "sweep rows" python3 - "$T/res/results.csv" <<'PY'
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 6, len(rows)
for r in rows:
    model = r["dataset"] in ("w", "kv")
    assert r["status"] == "ok", r
    assert (float(r["kl_mean"]) > 0) if model else math.isnan(float(r["kl_mean"])), r
    assert (int(r["positions"]) == 30) == model, r
    assert r["data_kind"] == ("model" if model else "synthetic"), r
PY
check "a second run finds every cell done" "$QB" run "$T/exp.lua" --out "$T/res"
sed -i 's/target = "kv"/target = "kvx"/' "$T/exp.lua"
check "bad target in a sweep" expect_bad "$QB" run "$T/exp.lua" --out "$T/res2"
check "message has file:line" grep -q "exp.lua:[0-9]*: datasets.2..model: target must be weights or kv" "$T/err"

echo "model_cli: $count checks, $fail failed"
[ $fail -eq 0 ] && [ $count -gt 0 ]
