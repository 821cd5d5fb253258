-- paper_subspaces.lua - paper Figures 3-14: MAE, MRE and MSE against compression ratio at
-- m = 8, 16, 32, 128 subspaces, one curve per method (QET at each of its iterations), error bars
-- from the paper's 100 seeds. 26500 cells: 41 minutes wall (81 CPU-minutes) on 2 cores, from an
-- empty results directory; paper_iterations.lua and headline.lua sharing its --out add seconds.
return {
  name = "paper_subspaces",
  seed = 1,
  seeds = 100,
  datasets = { { name = "synthetic", n = 4096, d = 128 } },
  methods = qet.available {
    "rtn", "pq", "opq", "lopq", "qet",
    { method = "qet", label = "qet+ro+cqo", preset = "authors" },
  },
  subspaces = { 8, 16, 32, 128 },
  iterations = { 1, 2, 3, 4 },
  ratios = { 4, 8, 16, 32, 64 },
  accounting = { "full", "free-imap" },
  baseline = "pq",
  plots = true,
}
