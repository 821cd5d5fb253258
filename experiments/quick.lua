-- quick.lua - the default experiment of scripts/reproduce: every method built in, the paper's
-- subspace and iteration grids on a reduced matrix and ratio list, both accountings, ten seeds (the
-- claims table flags a verdict on fewer); about a minute on 2 cores. Draws Figures 3-26 and
-- writes the headline and claims tables.
return {
  name = "quick",
  seed = 1,
  seeds = 10,
  datasets = {
    { name = "synthetic", n = 1024, d = 128 },  -- the paper's truncated normal with outliers
  },
  -- Every method named here is built in (registered in src/methods/quantizer.c; opq and lopq
  -- live in baselines/ like rtn, pq and lloyd); qet.available only drops one an older binary lacks.
  methods = qet.available {
    "rtn", "pq", "opq", "lopq", "qet",
    { method = "qet", label = "qet+ro+cqo", preset = "authors" },  -- l = 3, PQ residual, 10-bit codebooks
    -- the stronger baselines: MSE-clipped RTN, Lloyd-Max per group, residual PQ with the
    -- authors' split and codebooks (qet+ro+cqo without the reordering)
    { method = "rtn", label = "rtn-clip", rtn_clip = "mse", rtn_granularity = "group" },
    { method = "lloyd", rtn_granularity = "group" },
    { method = "rpq", codebook_bits = 10 },
  },
  subspaces = { 8, 16, 32, 128 },
  iterations = { 1, 2, 3, 4 },
  ratios = { 4, 8, 16, 32 },
  accounting = { "full", "free-imap" },
  baseline = "pq",
  plots = true,
}
