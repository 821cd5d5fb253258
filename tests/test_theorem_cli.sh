#!/bin/bash
# test_theorem_cli.sh - `qetbench theorem` from the outside: bad input exits 2 with one line and no
# files, --out writes the plot CSVs whole, --json is one parseable object.
set -u
qb=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect_status() { # expect_status CODE ARGS...
    local want=$1; shift
    "$qb" theorem "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" -ne "$want" ]; then echo "FAIL: theorem $* -> $got, want $want"; fail=1; fi
    if [ "$want" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
        echo "FAIL: theorem $* should print one line on stderr"; cat "$tmp/err"; fail=1
    fi
}
# json_check WHAT EXPR: stdout of the last run is one JSON object d for which EXPR holds. Without
# python3 the check cannot run, and that is a failure, not a pass.
json_check() {
    if ! command -v python3 >/dev/null; then
        echo "FAIL: $1: python3 is not on PATH, so the JSON output cannot be checked"; fail=1
        return
    fi
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert '"$2" "$tmp/out" ||
        { echo "FAIL: $1 is not one JSON object with $2"; fail=1; }
}
expect_status 2 --samples 10
expect_status 2 --samples 6399
expect_status 2 --samples x
expect_status 2 --bogus
expect_status 2 --seeds 1 --quantizers
expect_status 2 --levels 5 --quantizers
expect_status 2 extra
: >"$tmp/file"
expect_status 2 --samples 6400 --out "$tmp/file"
[ -z "$(ls -A "$tmp" | grep -v -x -e out -e err -e file)" ] || { echo "FAIL: stray files"; fail=1; }

expect_status 0 --samples 6400 --seed 3 --out "$tmp/csv" --json
for f in theorem_density.csv theorem_fraction.csv theorem_blocks.csv; do
    [ -s "$tmp/csv/$f" ] || { echo "FAIL: $f missing"; fail=1; }
done
[ "$(ls -A "$tmp/csv" | wc -l)" -eq 3 ] || { echo "FAIL: extra files in --out"; ls -A "$tmp/csv"; fail=1; }
# 160 grid rows + header; 3 distributions x (l = 0..4) + header; 3 x 30 blocks + header.
[ "$(wc -l <"$tmp/csv/theorem_density.csv")" -eq 161 ] || { echo "FAIL: density rows"; fail=1; }
[ "$(wc -l <"$tmp/csv/theorem_fraction.csv")" -eq 16 ] || { echo "FAIL: fraction rows"; fail=1; }
[ "$(wc -l <"$tmp/csv/theorem_blocks.csv")" -eq 91 ] || { echo "FAIL: block rows"; fail=1; }
json_check --json 'len(d["distributions"]) == 3'
# The quantizer check, small: its CSV joins the others and stdout stays one JSON object.
expect_status 0 --samples 6400 --quantizers --seeds 2 --shape 256,16 --subspaces 4 --ks 8 \
    --out "$tmp/q" --json
[ -s "$tmp/q/theorem_quantizers.csv" ] || { echo "FAIL: theorem_quantizers.csv missing"; fail=1; }
[ "$(wc -l <"$tmp/q/theorem_quantizers.csv")" -eq 3 ] || { echo "FAIL: quantizer rows"; fail=1; }
json_check '--quantizers --json' 'len(d["quantizers"]["per_seed"]) == 2'
expect_status 0 --samples 6400 --seed 3 --out "$tmp/csv" --json
# Same seed, same output, whatever the thread count.
"$qb" theorem --samples 6400 --seed 3 --json --threads 1 >"$tmp/t1"
cmp -s "$tmp/out" "$tmp/t1" || { echo "FAIL: output depends on threads"; fail=1; }
exit $fail
