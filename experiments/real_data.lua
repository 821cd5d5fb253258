-- real_data.lua - the paper's comparison on the real-data stand-ins of datasets/manifest.lua
-- (make them with scripts/fetch-data): a LLaMA-2-architecture weight matrix and its KV cache.
-- The headline and claims tables are computed per data set. About 15 CPU-minutes without OPQ/LOPQ
-- (1260 cells; the 4096 x 160 KV matrices dominate).
return {
  name = "real_data",
  seed = 1,
  seeds = 5,
  datasets = {
    { manifest = "kv", name = "kv-keys" },                      -- /k/all, 4096 x 160
    { manifest = "kv", name = "kv-values", path = "/v/all" },   -- 4096 x 160
    { manifest = "llama2", name = "llama2-w1" },                 -- /layers/0/w1, 172 x 64
  },
  methods = qet.available {
    "rtn", "pq", "opq", "lopq", "qet",
    { method = "qet", label = "qet+ro+cqo", preset = "authors" },
  },
  subspaces = { 8, 16, 32 },
  iterations = { 1, 2, 3 },
  ratios = { 4, 8, 16 },
  accounting = { "full", "free-imap" },
  baseline = "pq",
  plots = true,
}
