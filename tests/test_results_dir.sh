#!/usr/bin/env bash
# test_results_dir.sh - a results directory is guarded: a bad middle line or a doubled cell is
# refused with its line and the way out, `results check` lists them and `--repair` drops them
# after keeping a copy.
# usage: test_results_dir.sh QETBENCH
set -u
Q=$(realpath "$1")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
fail=0
bad() {
    echo "FAIL $*"
    fail=1
}

cat >small.lua <<'LUA'
return { name = "small", seeds = 2, methods = { "rtn", "pq" }, ratios = { 4, 8 },
  datasets = { { name = "synthetic", n = 64, d = 16 } } }
LUA
"$Q" run small.lua --out res 2>/dev/null || bad "a good run failed"
rows=$(($(wc -l <res/results.csv) - 1))
[ "$rows" -eq 8 ] || bad "expected 8 rows, got $rows"
"$Q" results check res >out 2>&1 || bad "check of a good directory: $(cat out)"

# A doubled cell and a corrupt middle line: plot, merge and run refuse with file:line and the
# way out; nothing is counted twice.
{ head -3 res/results.csv; sed -n 2p res/results.csv; echo "garbage,x"; tail -n +4 res/results.csv; } >t
mv t res/results.csv
cp res/results.csv before.csv
for cmd in "plot res --no-draw" "merge --out m res" "run small.lua --out res"; do
    st=0
    "$Q" $cmd >/dev/null 2>err || st=$?
    [ "$st" -eq 2 ] || bad "$cmd: exit $st, expected 2"
    grep -q "res/results.csv:4: cell .* is already on line 2" err || bad "$cmd: $(cat err)"
    grep -q "qetbench results check res" err || bad "$cmd does not give the way out: $(cat err)"
done
cmp -s before.csv res/results.csv || bad "a refused command changed results.csv"
st=0
"$Q" results check res >out 2>err || st=$?
[ "$st" -eq 2 ] || bad "check of a bad directory: exit $st"
grep -q "results.csv:4: cell" out && grep -q "results.csv:5: 2 fields" out || bad "check lists: $(cat out)"
"$Q" results check res --repair >out 2>err || bad "repair failed: $(cat err)"
copy=$(ls res/results.csv.bad-* 2>/dev/null | head -1)
[ -n "$copy" ] && cmp -s "$copy" before.csv || bad "repair did not keep the original"
[ "$(($(wc -l <res/results.csv) - 1))" -eq 8 ] || bad "repair kept $(($(wc -l <res/results.csv) - 1)) rows, not 8"
"$Q" results check res >/dev/null 2>&1 || bad "the repaired directory is not good"
"$Q" run small.lua --out res 2>err || bad "resume after repair: $(cat err)"
grep -q "8 already done, 0 to run" err || bad "resume after repair reran cells: $(cat err)"

# One writer per directory: while a run holds it, a second run, a merge into it and a repair are
# refused with exit 2, naming the holder; nothing is written twice; the lock goes with the run.
cat >slow.lua <<'LUA'
return { name = "slow", seeds = 60, methods = { "pq" }, ratios = { 4, 8 }, subspaces = { 8 },
  datasets = { { name = "synthetic", n = 2048, d = 64 } } }
LUA
"$Q" run slow.lua --out busy --threads 1 >/dev/null 2>&1 &
first=$!
for _ in $(seq 1 200); do
    grep -q "^pid $first on" busy/.qetbench-lock 2>/dev/null && break
    sleep 0.05
done
for cmd in "run slow.lua --out busy" "merge --out busy res" "results check busy --repair"; do
    st=0
    "$Q" $cmd >/dev/null 2>err || st=$?
    [ "$st" -eq 2 ] && grep -q "busy is in use by another qetbench (pid $first on .* since .*: qetbench run slow.lua)" err ||
        bad "$cmd while busy is held: exit $st: $(cat err)"
done
kill -0 "$first" 2>/dev/null || bad "the first run ended before the others were tried: nothing was tested"
wait "$first" || bad "the first run failed"
[ "$(cut -d, -f1 busy/results.csv | sort | uniq -d | wc -l)" -eq 0 ] || bad "a cell was written twice"
"$Q" run slow.lua --out busy >/dev/null 2>err || bad "the lock outlived its run: $(cat err)"

# Temporaries of a killed writer are removed by the next run; a live process's are kept.
sh -c 'exit 0' &
dead=$!
wait "$dead"
mkdir -p res/figures/synthetic
touch "res/summary.csv.tmp.$dead" "res/results.h5.tmp-$dead" "res/figures/synthetic/fig.dat.tmp.$dead" \
    "res/results.csv.tmp.$$"
"$Q" run small.lua --out res >/dev/null 2>err || bad "run with stale temporaries: $(cat err)"
grep -q "removed 3 temporaries left by a killed run" err || bad "stale temporaries: $(cat err)"
[ "$(find res -name "*.tmp*$dead" | wc -l)" -eq 0 ] || bad "left: $(find res -name "*.tmp*$dead")"
[ -e "res/results.csv.tmp.$$" ] || bad "a live process's temporary was removed"
rm -f "res/results.csv.tmp.$$"

# A full disk (here a file-size limit: every write past it fails with EFBIG): each command stops
# with exit 1 and the true cause, no crash at exit, no temporary left, whole rows only.
full() { # full KB COMMAND...
    local kb=$1
    shift
    (ulimit -f "$kb" && trap '' XFSZ && exec "$Q" "$@") >/dev/null 2>err
}
st=0
full 4 gen synthetic --n 512 --d 64 -o full.h5 || st=$?
[ "$st" -eq 1 ] && grep -q "File too large" err || bad "gen on a full disk: exit $st: $(cat err)"
ls full.h5* >/dev/null 2>&1 && bad "gen on a full disk left $(ls full.h5*)"
cat >big.lua <<'LUA'
return { name = "big", seeds = 12, methods = { "rtn" }, ratios = { 4, 8 },
  datasets = { { name = "synthetic", n = 64, d = 16 } } }
LUA
for kb in 2 12 30; do
    st=0
    full "$kb" run big.lua --out "full-$kb" || st=$?
    [ "$st" -eq 1 ] && grep -q "File too large" err || bad "run on a disk full after $kb KB: exit $st: $(cat err)"
    "$Q" results check "full-$kb" >/dev/null 2>&1 || bad "a full disk left a bad line in full-$kb/results.csv"
    ls "full-$kb" | grep -q tmp && bad "a full disk left a temporary: $(ls "full-$kb")"
done

[ "$fail" -eq 0 ] && echo "results directory: refused with the way out, checked, repaired"
exit $fail
