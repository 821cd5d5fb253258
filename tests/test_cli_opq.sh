#!/usr/bin/env bash
# test_cli_opq.sh - the CLI's OPQ / LOPQ options: bad input is one line on stderr and exit status 2;
# a good run reports the solved V and every stored item. usage: test_cli_opq.sh QETBENCH
set -u
qb=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

bad() { # expected-substring args...
    local want=$1
    shift
    "$qb" "$@" >"$tmp/out" 2>"$tmp/err"
    local s=$?
    if [ $s -ne 2 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -q -- "$want" "$tmp/err" ||
        [ -s "$tmp/out" ]; then
        echo "FAIL (status $s): $* -> $(cat "$tmp/err")"
        fail=1
    fi
}

bad "lopq-cells" quantize --synthetic 64,16 --method lopq --ks 4 --lopq-cells 65
bad "subspaces" quantize --synthetic 64,30 --method opq --ks 4 --subspaces 4
bad "subspaces" quantize --synthetic 64,30 --method lopq --ks 4 --lopq-cells 2 --subspaces 4
bad "opq-init" quantize --synthetic 64,16 --method opq --ks 4 --opq-init sideways
bad "codebook-bits" quantize --synthetic 64,16 --method lopq --ks 4 --lopq-cells 2 --codebook-bits 8
bad "infeasible" quantize --synthetic 64,16 --method opq --ratio 16 --subspaces 4
bad "rank" gen lowrank --n 10 --d 4 --rank 5 -o "$tmp/x.h5"
[ -e "$tmp/x.h5" ] && { echo "FAIL: partial output left behind"; fail=1; }

json=$("$qb" quantize --synthetic 1024,32 --method lopq --ratio 4 --subspaces 4 --opq-iters 2 --json)
for key in '"lopq_cells":2' '"opq_iters":2' '"opq_init":""' '"rotation":65536'; do
    case $json in *"$key"*) ;; *) echo "FAIL: $key not in $json"; fail=1 ;; esac
done
"$qb" gen lowrank --n 64 --d 16 --rank 4 -o "$tmp/l.h5" &&
    "$qb" quantize --data "$tmp/l.h5" --method opq --ks 8 --subspaces 4 --opq-iters 3 >/dev/null ||
    { echo "FAIL: lowrank round trip"; fail=1; }
[ $fail -eq 0 ] && echo "cli_opq: ok"
exit $fail
