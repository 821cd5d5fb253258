-- paper_scale.lua - the paper's comparison at the paper's matrix shapes: the synthetic matrix at
-- LLaMA-2-7B's MLP shape (11008 x 4096) and its KV-cache shape (4096 x 4096), and the GIST and
-- wiki stand-ins of datasets/manifest.lua at their full size (scripts/fetch-data makes them), every
-- method, m = 8..128, ratios 4..32, a few seeds. Many CPU-hours (not yet run whole): shard it
-- (--shard I/N, scripts/slurm-sweep) and merge. The README's cost table gives the per-cell cost;
-- a cell at 11008 x 4096 peaks at about 0.4 GB (the input, its reconstruction and the k-means
-- training copies), far below this machine's 24 GB, so the sweep does not check memory first.
return {
  name = "paper_scale",
  seed = 1,
  seeds = 3,
  datasets = {
    { name = "synthetic-mlp", kind = "synthetic", n = 11008, d = 4096 },
    { name = "synthetic-kv", kind = "synthetic", n = 4096, d = 4096 },
    { manifest = "gist", name = "gist" },  -- 60000 x 512
    { manifest = "wiki", name = "wiki" },  -- 100000 x 100
  },
  methods = qet.available {
    "rtn", "pq", "opq", "lopq", "qet",
    { method = "qet", label = "qet+ro+cqo", preset = "authors" },
  },
  -- m must divide d: 20 and 50 are for wiki's 100 columns (elsewhere recorded as invalid cells,
  -- which cost nothing), 8..128 for the others (invalid on wiki)
  subspaces = { 8, 16, 32, 64, 128, 20, 50 },
  iterations = { 1, 2, 3, 4 },
  ratios = { 4, 8, 16, 32 },
  accounting = { "full" },
  baseline = "pq",
  plots = true,
}
