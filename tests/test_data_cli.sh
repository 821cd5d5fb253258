#!/usr/bin/env bash
# test_data_cli.sh - `qetbench data` end to end on the shipped checkpoint: outputs appear, bad
# input gives exit status 2, one line on stderr and no output file.
# usage: test_data_cli.sh QETBENCH STORIES260K.bin SHA256SUMS
set -u
QB=$1 CKPT=$2 SUMS=$3
source "$(dirname "$0")/check_lib.sh"
# expect_bad OUT COMMAND...: exit 2, exactly one line on stderr, OUT not created.
expect_bad() {
    local out=$1
    shift
    "$@" >/dev/null 2>"$T/err"
    local s=$?
    [ $s -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && [ ! -e "$out" ] && ! ls "$out".tmp-* >/dev/null 2>&1
}

check "llama2c converts" "$QB" data llama2c "$CKPT" -o "$T/w.h5"
check "llama2c output exists" test -s "$T/w.h5"
check "kvcache converts" "$QB" data kvcache "$CKPT" --tokens 16 --sequences 2 -o "$T/kv.h5"
check "kvcache output exists" test -s "$T/kv.h5"

# A copy with a SHA256SUMS beside it, then one flipped byte: refused before reading.
mkdir "$T/ck"
cp "$CKPT" "$T/ck/stories260K.bin"
cp "$SUMS" "$T/ck/SHA256SUMS"
check "verified copy converts" "$QB" data llama2c "$T/ck/stories260K.bin" -o "$T/ok.h5"
printf '\x01' | dd of="$T/ck/stories260K.bin" bs=1 seek=5000 conv=notrunc status=none
check "corrupt copy refused" expect_bad "$T/bad.h5" "$QB" data llama2c "$T/ck/stories260K.bin" -o "$T/bad.h5"
check "message names the checksum" grep -q "checksum" "$T/err"

head -c 100000 "$CKPT" >"$T/trunc.bin"
check "truncated checkpoint refused" expect_bad "$T/bad.h5" "$QB" data llama2c "$T/trunc.bin" -o "$T/bad.h5"
check "message says truncated" grep -q "truncated" "$T/err"
check "truncated kvcache refused" expect_bad "$T/bad.h5" "$QB" data kvcache "$T/trunc.bin" -o "$T/bad.h5"
check "too many tokens refused" expect_bad "$T/bad.h5" "$QB" data kvcache "$CKPT" --tokens 513 -o "$T/bad.h5"
check "unknown kind refused" expect_bad "$T/bad.h5" "$QB" data nonsense "$CKPT" -o "$T/bad.h5"
check "missing -o refused" expect_bad "$T/bad.h5" "$QB" data llama2c "$CKPT"
printf 'not a safetensors file' >"$T/x.safetensors"
check "bad safetensors refused" expect_bad "$T/bad.h5" "$QB" data safetensors "$T/x.safetensors" -o "$T/bad.h5"
check "missing input refused" expect_bad "$T/bad.h5" "$QB" data vecs "$T/none.fvecs" -o "$T/bad.h5"

echo "data_cli: $count checks, $fail failed"
echo "$((count - fail)) passed, $fail failed"
[ $fail -eq 0 ]
