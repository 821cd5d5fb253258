#!/usr/bin/env bash
# parallel.sh QETBENCH SRC - scripts/slurm-sweep without Slurm: GNU parallel runs the shards on this
# machine (-j 2, --threads 1), with no gnuplot on the PATH. A shard that fails makes the merge fail
# naming it; rerunning the same command runs that shard only and merges; the tables are written
# (the figures' data and scripts too, undrawn); the rows equal a local run. Installs Debian's
# parallel when missing, as root; skipped (77) otherwise.
source "$(dirname "$0")/../paper/lib.sh"
if ! command -v parallel >/dev/null; then
    [ "$(id -u)" = 0 ] || { echo "SKIP: GNU parallel is not installed (as root: apt-get install -y parallel)"; exit 77; }
    echo "installing parallel"
    { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends parallel ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends parallel; }; } \
        >"$TMP/apt.log" 2>&1 || { echo "SKIP: apt-get could not install parallel: $(tail -n 2 "$TMP/apt.log")"; exit 77; }
fi

# Every command of the PATH but gnuplot.
mkdir -p "$TMP/bin"
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
    for f in "$d"/*; do
        n=${f##*/}
        case $n in gnuplot*) continue ;; esac
        [ -f "$f" ] && [ -x "$f" ] && [ ! -e "$TMP/bin/$n" ] && ln -s "$f" "$TMP/bin/$n"
    done
done 2>/dev/null || true
# A qetbench that fails running shard 1 (not its pre-flight) while $TMP/fail exists.
cat >"$TMP/qb-faulty" <<EOF
#!/usr/bin/env bash
case " \$* " in *" --dry-run "*) ;; *" 1/3 "*) [ ! -e "$TMP/fail" ] || { echo "injected failure" >&2; exit 3; } ;; esac
exec "$QB" "\$@"
EOF
chmod +x "$TMP/qb-faulty"
touch "$TMP/fail"

cat >"$TMP/exp.lua" <<'LUA'
return {
  name = "small", seeds = 2,
  datasets = { { name = "synthetic", n = 256, d = 64 } },
  methods = { "rtn", "pq", "qet" },
  subspaces = { 8, 16 }, iterations = { 1, 2 }, ratios = { 4, 8 },
}
LUA
"$QB" run "$TMP/exp.lua" --out "$TMP/local" --threads 2 2>/dev/null
cd "$TMP"
OUT="$TMP/par out"
cmd=(env PATH="$TMP/bin" "$SRC/scripts/slurm-sweep" exp.lua 3 --out "$OUT" --binary "$TMP/qb-faulty" -j 2 --threads 1)
! "${cmd[@]}" >"$TMP/first.log" 2>&1 || fail "the sweep passed with a failed shard: $(cat "$TMP/first.log")"
grep -q "shard-1-of-3: shard 1/3 of 'small' is incomplete: 0 of" "$TMP/first.log" ||
    fail "the merge does not name shard 1: $(cat "$TMP/first.log")"
grep -q "injected failure" "$OUT/slurm/shard-local_1.log" || fail "shard 1 log lacks its error: $(cat "$TMP/first.log")"
resume=$(grep -A1 "To resume" "$TMP/first.log" | tail -n 1)
[ -n "$resume" ] && [ ! -e "$OUT/results.csv" ] || fail "no resume command, or results from a failed merge"
rm "$TMP/fail"
"${cmd[@]}" >"$TMP/second.log" 2>&1 || fail "the rerun failed: $(cat "$TMP/second.log")"
grep -q "^running shards 1 with GNU parallel" "$TMP/second.log" || fail "rerun: $(cat "$TMP/second.log")"
grep -q "gnuplot is not installed" "$TMP/second.log" || fail "gnuplot was found: $(cat "$TMP/second.log")"
diff <(strip_timing "$TMP/local/results.csv") <(strip_timing "$OUT/results.csv") >/dev/null ||
    fail "merged rows differ from the local run"
for f in headline.md headline.csv claims.md summary.csv figures/all.gp figures/synthetic/fig03_mae_m8.gp; do
    [ -s "$OUT/$f" ] || fail "no $f without gnuplot"
done
! ls "$OUT"/figures/synthetic/*.png >/dev/null 2>&1 || fail "figures drawn without gnuplot"
echo "parallel: shard 1 failed, rerun alone, $(($(wc -l <"$OUT/results.csv") - 1)) rows equal to a local run; tables without gnuplot"
