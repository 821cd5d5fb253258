-- headline.lua - the headline table: QET's MSE as % of the best baseline at m = 8 for l = 1..4
-- (the paper: 70.4, 49.7, 35.1, 12.3%), against the PQ family and against all baselines, under
-- full and free-imap accounting.
return {
  name = "headline",
  seed = 1,
  seeds = 100,
  datasets = { { name = "synthetic", n = 4096, d = 128 } },
  methods = qet.available {
    "rtn", "pq", "opq", "lopq", "qet",
    { method = "qet", label = "qet+ro+cqo", preset = "authors" },
  },
  subspaces = 8,
  iterations = { 1, 2, 3, 4 },
  ratios = { 4, 8, 16, 32 },
  accounting = { "full", "free-imap" },
  baseline = "pq",
  plots = true,
}
