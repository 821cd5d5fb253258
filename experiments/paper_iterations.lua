-- paper_iterations.lua - paper Figures 15-26: QET's MAE, MRE and MSE against compression ratio at
-- l = 1..4 iterations, one curve per number of subspaces (the parameter-sensitivity claim), with
-- PQ at the same m for comparison.
return {
  name = "paper_iterations",
  seed = 1,
  seeds = 100,
  datasets = { { name = "synthetic", n = 4096, d = 128 } },
  methods = { "pq", "qet" },
  subspaces = { 8, 16, 32, 128 },
  iterations = { 1, 2, 3, 4 },
  ratios = { 4, 8, 16, 32, 64 },
  accounting = { "full", "free-imap" },
  baseline = "pq",
  plots = true,
}
