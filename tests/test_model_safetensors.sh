#!/usr/bin/env bash
# test_model_safetensors.sh - `qetbench model` on stories260K saved as Hugging Face would save it
# (written here in plain Python with llama2.c export.py's `permute` of wq / wk, a config.json beside
# it) gives the same JSON, bit for bit, as on the .bin (rtn at ratio 8, weights and KV cache);
# --heads / --context replace a missing config.json; bad checkpoints are one line, exit 2,
# nothing on stdout.
# usage: test_model_safetensors.sh QETBENCH STORIES260K.bin TEST_LLAMA_SAFETENSORS
set -u
QB=$1 CKPT=$2 WRITER=$3
source "$(dirname "$0")/check_lib.sh"

# The safetensors format by hand: u64 header length, JSON header, raw little-endian F32 data.
mkdir -p "$T/hf" "$T/bare"
python3 - "$CKPT" "$T/hf/model.safetensors" <<'PY'
import json, struct, sys
from array import array
src, out = sys.argv[1], sys.argv[2]
raw = open(src, "rb").read()
dim, hid, L, heads, kv_heads, vocab, seq_len = struct.unpack("<7i", raw[:28])
assert vocab > 0, "stories260K shares its classifier"
assert sys.byteorder == "little"
f = array("f", raw[28:])
kv = dim * kv_heads // heads
at = 0
def take(n, rows, cols):  # n stacked (rows, cols) matrices, each a list of rows
    global at
    m = [[f[at + (k * rows + r) * cols: at + (k * rows + r + 1) * cols] for r in range(rows)]
         for k in range(n)]
    at += n * rows * cols
    return m
emb, = take(1, vocab, dim); rms_att, = take(1, L, dim)
wq = take(L, dim, dim); wk = take(L, kv, dim); wv = take(L, kv, dim); wo = take(L, dim, dim)
rms_ffn, = take(1, L, dim); w1 = take(L, hid, dim); w2 = take(L, dim, hid); w3 = take(L, hid, dim)
(rms_final,), = take(1, 1, dim)
# llama2.c export.py: permute(w) = w.view(n_heads, dim1 // n_heads // 2, 2, dim2)
#                                   .transpose(1, 2).reshape(dim1, dim2)
# i.e. the rows viewed as (head, i, j) are read out in the order (head, j, i).
def permute(w, n):
    half = len(w) // n // 2
    return [w[(h * half + i) * 2 + j] for h in range(n) for j in range(2) for i in range(half)]
t = {"model.embed_tokens.weight": ([vocab, dim], emb), "model.norm.weight": ([dim], [rms_final])}
for l in range(L):
    p = f"model.layers.{l}."
    t[p + "self_attn.q_proj.weight"] = ([dim, dim], permute(wq[l], heads))
    t[p + "self_attn.k_proj.weight"] = ([kv, dim], permute(wk[l], kv_heads))
    t[p + "self_attn.v_proj.weight"] = ([kv, dim], wv[l])
    t[p + "self_attn.o_proj.weight"] = ([dim, dim], wo[l])
    t[p + "mlp.gate_proj.weight"] = ([hid, dim], w1[l])
    t[p + "mlp.down_proj.weight"] = ([dim, hid], w2[l])
    t[p + "mlp.up_proj.weight"] = ([hid, dim], w3[l])
    t[p + "input_layernorm.weight"] = ([dim], [rms_att[l]])
    t[p + "post_attention_layernorm.weight"] = ([dim], [rms_ffn[l]])
header, blobs, off = {}, [], 0
for name in sorted(t):  # transformers writes them sorted by name
    shape, rows = t[name]
    b = b"".join(r.tobytes() for r in rows)
    header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [off, off + len(b)]}
    blobs.append(b)
    off += len(b)
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * (-len(h) % 8)
with open(out, "wb") as o:
    o.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
cfg = {"architectures": ["LlamaForCausalLM"], "hidden_size": dim, "intermediate_size": hid,
       "num_attention_heads": heads, "num_key_value_heads": kv_heads, "num_hidden_layers": L,
       "max_position_embeddings": seq_len, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
       "vocab_size": vocab, "tie_word_embeddings": True, "model_type": "llama"}
json.dump(cfg, open(out.rsplit("/", 1)[0] + "/config.json", "w"), indent=2)
PY
check "python wrote the safetensors" test -s "$T/hf/model.safetensors"
cp "$T/hf/model.safetensors" "$T/bare/model.safetensors"

# The same JSON from both checkpoints, apart from the timings.
run() { # OUT CHECKPOINT TARGET [options]
    local out=$1 ck=$2 target=$3
    shift 3
    "$QB" model --checkpoint "$ck" --target "$target" --method rtn --ratio 8 --sequences 4 \
        --tokens 32 --seed 3 --json "$@" | strip_timings >"$out"
}
for target in weights kv; do
    check "$target: the .bin runs" run "$T/bin-$target.json" "$CKPT" $target
    check "$target: the safetensors runs" run "$T/st-$target.json" "$T/hf/model.safetensors" $target
    check "$target: the same JSON" cmp "$T/bin-$target.json" "$T/st-$target.json"
    check "$target: fields present" grep -q '"kl_mean":[0-9]' "$T/st-$target.json"
done
check "no config.json: --heads and --context" run "$T/bare.json" "$T/bare/model.safetensors" \
    weights --heads 8 --context 512
check "no config.json: the same JSON" cmp "$T/bin-weights.json" "$T/bare.json"

# Bad input.
check "no config.json and no --heads" expect_bad "$QB" model --checkpoint "$T/bare/model.safetensors" \
    --method rtn --ratio 8 --tokens 8
check "  says what is missing" says "number of attention heads is not in the tensors"
check "--heads not dividing dim" expect_bad "$QB" model --checkpoint "$T/hf/model.safetensors" \
    --heads 5 --method rtn --ratio 8 --tokens 8
check "  says so" says "5 heads do not divide dim 64"
check "--kv-heads against the shapes" expect_bad "$QB" model --checkpoint "$T/hf/model.safetensors" \
    --kv-heads 2 --method rtn --ratio 8 --tokens 8
check "  says so" says "2 key/value heads given"
check "--heads against a .bin header" expect_bad "$QB" model --checkpoint "$CKPT" --heads 4 \
    --method rtn --ratio 8 --tokens 8
check "  says so" says "header gives heads 8; 4 given"
check "--heads 0" expect_bad "$QB" model --checkpoint "$CKPT" --heads 0 --method rtn --ratio 8
mkdir -p "$T/bad"
check "writer: missing" "$WRITER" --write "$CKPT" "$T/bad/missing.safetensors" missing
check "missing tensor" expect_bad "$QB" model --checkpoint "$T/bad/missing.safetensors" \
    --method rtn --ratio 8 --tokens 8
check "  names it" says "lacks tensor 'model.layers.2.mlp.up_proj.weight'"
check "writer: shape" "$WRITER" --write "$CKPT" "$T/bad/shape.safetensors" shape
check "wrong shape" expect_bad "$QB" model --checkpoint "$T/bad/shape.safetensors" \
    --method rtn --ratio 8 --tokens 8
check "  names it and the shape expected" says "k_proj.weight' has shape \[64, 32\], expected \[32, 64\]"
check "writer: int" "$WRITER" --write "$CKPT" "$T/bad/int.safetensors" int
check "integer tensor" expect_bad "$QB" model --checkpoint "$T/bad/int.safetensors" \
    --method rtn --ratio 8 --tokens 8
check "  names its dtype" says "input_layernorm.weight' is I32"
check "writer: layers6" "$WRITER" --write "$CKPT" "$T/bad/layers6.safetensors" layers6
check "layer count against config.json" expect_bad "$QB" model \
    --checkpoint "$T/bad/layers6.safetensors" --method rtn --ratio 8 --tokens 8
check "  says so" says "num_hidden_layers 6"
# In a sweep: the safetensors entry (heads and context in the entry, no config.json) measures the
# same as the .bin's.
cat >"$T/exp.lua" <<LUA
return {
  name = "st",
  datasets = {
    { name = "bin", model = { checkpoint = "$CKPT", target = "kv", sequences = 2, tokens = 16 } },
    { name = "st", model = { checkpoint = "$T/bare/model.safetensors", target = "kv",
                             sequences = 2, tokens = 16, heads = 8, context = 512 } },
  },
  methods = { "rtn" },
  ratios = { 8 },
}
LUA
check "sweep runs" "$QB" run "$T/exp.lua" --out "$T/res" --threads 2
check "sweep: the same model columns" python3 - "$T/res/results.csv" <<'PY'
import csv, sys
rows = {r["dataset"]: r for r in csv.DictReader(open(sys.argv[1]))}
assert set(rows) == {"bin", "st"}, rows.keys()
for k in ("kl_mean", "kl_p99", "top1", "ppl", "ppl_fp32", "positions", "mse"):
    assert rows["bin"][k] == rows["st"][k], (k, rows["bin"][k], rows["st"][k])
assert float(rows["st"]["kl_mean"]) > 0
PY
sed -i 's/heads = 8,/heads = 5,/' "$T/exp.lua"
check "sweep: heads not dividing dim" expect_bad "$QB" run "$T/exp.lua" --out "$T/res2"
check "  says so" says "5 heads do not divide dim 64"
check "help names safetensors" sh -c "'$QB' model --help | grep -q safetensors"

echo "model_safetensors: $count checks, $fail failed"
[ "$fail" -eq 0 ] && [ "$count" -gt 0 ]
