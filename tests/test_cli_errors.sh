#!/usr/bin/env bash
# test_cli_errors.sh - bad input gets one clear line on stderr, exit status 2 and no output file.
# usage: test_cli_errors.sh QETBENCH MAKE_BAD_H5 CRASHING_H5
set -u
Q=$1
MAKE_BAD=$2
CRASHING=$3 # a file that crashes libhdf5 1.10.8 (found by fuzzing)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0

# expect_error NAME PATTERN ARGS...: exit 2, one stderr line matching PATTERN, nothing written
expect_error() {
    local name=$1 pattern=$2
    shift 2
    # quantize takes no -o: it is asked to write a reconstruction, which must not appear
    if [ "$1" = quantize ]; then
        "$Q" "$@" --save-reconstruction "$dir/out.h5" >/dev/null 2>"$dir/err" </dev/null
    else
        "$Q" "$@" -o /dev/null >/dev/null 2>"$dir/err" </dev/null
    fi
    local rc=$?
    local lines
    lines=$(wc -l <"$dir/err")
    if [ "$rc" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q -- "$pattern" "$dir/err"; then
        echo "FAIL $name: exit $rc, $lines lines: $(cat "$dir/err")"
        fail=1
    elif [ -e "$dir/out.h5" ] || ls "$dir"/out.h5.tmp-* >/dev/null 2>&1; then
        echo "FAIL $name: left an output file"
        fail=1
    else
        echo "ok   $name: $(cat "$dir/err")"
    fi
}

"$Q" gen synthetic --n 64 --d 16 --seed 1 -o "$dir/good.h5" || { echo "FAIL gen"; exit 1; }
"$Q" gen gaussian --n 64 --d 15 --seed 1 -o "$dir/odd.h5" || { echo "FAIL gen"; exit 1; }
printf 'plain text\n' >"$dir/text.h5"

q() { expect_error "$1" "$2" quantize --method "${3:-pq}" "${@:4}"; }
q missing-file "cannot open" pq --data "$dir/none.h5" --ratio 8
q not-hdf5 "not an HDF5 file" pq --data "$dir/text.h5" --ratio 8
q missing-dataset "no dataset '/nope'" pq --data "$dir/good.h5:/nope" --ratio 8
q m-not-dividing "does not divide" pq --data "$dir/odd.h5" --subspaces 4 --ratio 4
q ks-over-n "exceeds the 64 rows" pq --data "$dir/good.h5" --ks 65
q infeasible "infeasible budget" pq --data "$dir/good.h5" --ratio 500
q qet-levels "valid l: 0..4" qet --data "$dir/good.h5" --iterations 5 --ratio 4
q codebook-bits "codebook-bits must be in 1..32" qet --data "$dir/good.h5" --codebook-bits 40 --ratio 4
q cqo-on-pq "does not apply to method pq" pq --data "$dir/good.h5" --codebook-bits 8 --ratio 4
q residual-spec "bad stage" qet --data "$dir/good.h5" --residual "pq;0.3" --ratio 4
q unknown-method "unknown method" nope --data "$dir/good.h5" --ratio 4
q bad-number "needs a finite number" pq --data "$dir/good.h5" --ratio 8x
q both-sources "exactly one of" pq --data "$dir/good.h5" --synthetic 8,8 --ratio 4

"$MAKE_BAD" "$dir" || { echo "FAIL writing malformed files"; exit 1; }
q nan "contains NaN at row 1, column 2" pq --data "$dir/nan.h5" --ks 2 --subspaces 2
q rank-3 "has rank 3" pq --data "$dir/rank3.h5" --ks 2
# declared, not stored: 2^40 rows in a 1.4 KB file; external data shorter than declared
q never-written "stores no data" rtn --data "$dir/huge.h5" --bits 4
q short-external "but that file has 100" rtn --data "$dir/external.h5" --bits 4
# the library crashes on this file; it reads in a child, so the crash is an error
q library-crash "crashed the HDF5 library (Segmentation fault)" rtn --data "$CRASHING" --bits 4
q library-abort "crashed the HDF5 library (Aborted)" rtn --data "$(dirname "$CRASHING")/library-stack-smash.h5" --bits 4
# values near float32's largest: the error would overflow; refused, never an ok NaN result
q overflow-rtn "non-finite error" rtn --data "$dir/overflow.h5" --bits 4
q overflow-opq "overflows float32" opq --data "$dir/overflow.h5" --ks 4
expect_error unknown-option "unknown or incomplete option" quantize --method pq --bogus 1
expect_error unknown-command "unknown command" frobnicate
expect_error gen-missing-args "needs --n, --d and -o" gen synthetic --n 4
expect_error gen-nan-mean "needs a finite number" gen gaussian --n 4 --d 4 --mean nan
expect_error gen-inf-data "contains Inf" gen gaussian --n 4 --d 4 --sd 1e300

# an all-zero matrix has no MRE: JSON null, and the note says why
"$Q" quantize --data "$dir/zero.h5" --method rtn --bits 2 --json >"$dir/json" || { echo "FAIL zero run"; fail=1; }
python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); sys.exit(0 if r["mre"] is None and "mre undefined" in r["note"] else 1)' "$dir/json" ||
    { echo "FAIL zero matrix JSON: $(cat "$dir/json")"; fail=1; }

# a sweep refused for its input writes nothing: no results directory, no experiment.lua over a
# kept one, no runs.log line; one cell too big for the machine is refused before it starts
run_refused() { # NAME PATTERN CONFIG_TEXT
    printf '%s\n' "$3" >"$dir/$1.lua"
    mkdir -p "$dir/kept" && echo "-- kept" >"$dir/kept/experiment.lua"
    for out in "$dir/new-$1" "$dir/kept"; do
        "$Q" run "$dir/$1.lua" --out "$out" >/dev/null 2>"$dir/err" </dev/null
        local rc=$?
        if [ $rc -ne 2 ] || [ "$(wc -l <"$dir/err")" -ne 1 ] || ! grep -q -- "$2" "$dir/err"; then
            echo "FAIL run $1: exit $rc: $(cat "$dir/err")"
            fail=1
        elif [ -e "$dir/new-$1" ] || [ "$(cat "$dir/kept/experiment.lua")" != "-- kept" ] ||
            [ -e "$dir/kept/runs.log" ]; then
            echo "FAIL run $1: wrote $(ls -A "$dir/new-$1" "$dir/kept" 2>&1 | tr '\n' ' ')"
            fail=1
        else
            echo "ok   run $1: $(cat "$dir/err")"
        fi
    done
}
run_refused bad-checkpoint "no complete llama2.c header" "return { datasets = { { name = 'm',
  model = { checkpoint = '$dir/text.h5', target = 'kv' } } }, methods = { 'rtn' }, ratios = { 8 } }"
run_refused bad-file "text.h5" "return { datasets = { { name = 'f', file = '$dir/text.h5' } },
  methods = { 'rtn' }, ratios = { 8 } }"
run_refused too-big "one cell needs about 9600.0 GB" "return { datasets = { { name = 'huge',
  n = 1e9, d = 1e3 } }, methods = { 'rtn' }, ratios = { 8 } }"

# a good run still works and writes its file
"$Q" quantize --data "$dir/good.h5" --method pq --subspaces 4 --ratio 4 --json \
    --save-reconstruction "$dir/recon.h5" >"$dir/json" || { echo "FAIL good run"; fail=1; }
grep -q '"method":"pq"' "$dir/json" && [ -s "$dir/recon.h5" ] || { echo "FAIL good run output"; fail=1; }
exit $fail
