#!/usr/bin/env bash
# make_results.sh QETBENCH DIR - a small sweep with figures, headline, claims and report.html in DIR
# (the report tests' input: every kind of figure and table, recall's too, in seconds).
set -eu
QB=$1
DIR=$2
mkdir -p "$DIR"
# a search split, so the downstream tables and figures (recall) are on the page too
"$QB" gen synthetic --n 300 --d 32 --seed 1 -o "$DIR.search.h5" >/dev/null
"$QB" data ann "$DIR.search.h5" --test 40 -o "$DIR.ann.h5" >/dev/null
cat > "$DIR.lua" <<LUA
return {
  name = "report-test", seeds = 2,
  datasets = { { name = "synthetic", n = 256, d = 32 }, { name = "gaussian", n = 256, d = 32 },
               { name = "search", file = "$DIR.ann.h5", path = "/train",
                 queries = { file = "$DIR.ann.h5" } } },
  methods = { "rtn", "pq", "opq", "qet" },
  subspaces = { 8, 16 }, iterations = { 1, 2 }, ratios = { 4, 8, 32 },
  accounting = { "full", "free-imap" },
  kmeans = { iters = 4 },
  plots = true,
}
LUA
"$QB" run "$DIR.lua" --out "$DIR" --threads 2 2>"$DIR.log" || { cat "$DIR.log" >&2; exit 1; }
