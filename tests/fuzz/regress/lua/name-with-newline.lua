return { name = "s", seeds = 2, methods = { "rtn", { method = "pq", subspaces = { 2, 4 } },
  { metfod = "qet", preset = "authors" } }, ratios = { 5, 8 }, accounting = { "full", "free-imap" },
  datasets = { { name = "syntewo\n", n = 28, d = 16 }, { name = "gaussian", n = 32, d = 8, mu = 1, sigma = 2 } },
  kmeans = { iters = 5, init = "random" }, baseline = "rtn", plots = false }
