-- downstream.lua - beyond MSE: what each method's error does where it is used, at equal budgets.
-- The model part: stories260K (datasets/stories260K.bin, dim 64, 5 layers) with every layer's
-- wq wk wv wo w1 w2 w3 quantized (each its own matrix and budget), and with its KV cache quantized
-- (each layer's keys after RoPE and values of a whole 256-token sequence as one 256 x 32 matrix);
-- each cell reports the fp32 model's KL divergence to the quantized one, top-1 agreement and
-- perplexity on 8 sequences of 256 tokens sampled from the fp32 model (seed 1, the same text for
-- every cell), beside the MSE and the bits of the quantized matrices.
-- m = 4 for every vector method on the model: it divides 64 and the 172 columns of w2 (8 does not).
-- OPQ and LOPQ store a d x d rotation, which these small matrices cannot afford at most ratios:
-- those cells are `infeasible` rows. Runtime: see README (Experiments).
-- The search part reports each cell's recall (faiss's 1-recall@R, ann-benchmarks' recall@10).
local ckpt = "datasets/stories260K.bin"
local text = { sequences = 8, tokens = 256, seed = 1 }

local function model(target)
  return { checkpoint = ckpt, target = target, sequences = text.sequences, tokens = text.tokens,
           seed = text.seed }
end

return {
  name = "downstream",
  seed = 1,
  seeds = 3,
  datasets = {
    { name = "stories260K-weights", model = model("weights") },
    { name = "stories260K-kv", model = model("kv") },
    -- Nearest-neighbour recall: the gist and wiki stand-ins' search splits (scripts/fetch-data
    -- gist wiki), 1000 held-out queries against the first 5000 database rows (the k-means cost
    -- grows as rows^2 at a fixed ratio: k_s is about rows / ratio), each at its own m.
    { manifest = "gist_search", rows = 5000, subspaces = { 16 } },  -- 512-d, euclidean
    { manifest = "wiki_search", rows = 5000, subspaces = { 10 } },  -- 100-d, angular
  },
  methods = qet.available {
    "rtn", "pq", "opq", "lopq", "qet",
    { method = "qet", label = "qet+ro+cqo", preset = "authors" },  -- l = 3: not on w2 (8 does not divide 172)
    { method = "qet", label = "qet+ro+cqo-l2", preset = "authors", iterations = { 2 } },
    -- per row (per output feature; per token in the cache): groups of 32 or more do not divide 172
    { method = "rtn", label = "rtn-clip", rtn_clip = "mse", rtn_granularity = "row" },
    { method = "lloyd", rtn_granularity = "row" },
    { method = "rpq", codebook_bits = 10 },
  },
  subspaces = { 4 },
  ratios = { 4, 6, 8, 12, 16 },
  baseline = "pq",
  plots = true,
}
