local x = qet.dataset { name = "synthetic", n = 64, d = 8, seed = 3 }
local r = qet.quantize { data = x, method = "pq", ks = 4, subspaces = 2 }
print(r.mse, r.bits.total, x.n, #qet.methods())
