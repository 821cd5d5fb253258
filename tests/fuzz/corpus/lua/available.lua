local m = qet.available { "rtn", "nope", { method = "lloyd", label = "l" } }
return { methods = m, ratios = 4, datasets = { { name = "synthetic", n = 16, d = 4 } } }
