#!/usr/bin/env bash
# config_errors.sh - a broken experiment file fails with file:line, exit status 2, a suggestion
# for a misspelt key, and no results directory.
source "$(dirname "$0")/lib.sh"
cd "$TMP"
expect() { # expect FILE PATTERN: run fails with status 2 and a first line matching PATTERN
    local st=0
    "$QB" run "$1" --out "$TMP/out" 2>"$TMP/err" >/dev/null || st=$?
    [ "$st" -eq 2 ] || fail "$1: exit status $st, expected 2 ($(cat "$TMP/err"))"
    [ "$(wc -l < "$TMP/err")" -eq 1 ] || fail "$1: expected one line on stderr, got: $(cat "$TMP/err")"
    grep -Eq "$2" "$TMP/err" || fail "$1: '$(cat "$TMP/err")' does not match '$2'"
    [ ! -e "$TMP/out" ] || fail "$1: a results directory was created"
}
printf 'return {\n  name = "x",\n  methods = { "pq" },\n  ratio = { 4, 8 },\n}\n' > typo.lua
expect typo.lua "typo.lua:4: .*unknown key 'ratio'.*did you mean 'ratios'"
printf 'return {\n  methods = { "pq" },\n  ratios = { 4 },\n  datasets = { { name = "synthetic", n = 64, d = 16, sigmaa = 2 } },\n}\n' > nested.lua
expect nested.lua "nested.lua:4: .*unknown key 'sigmaa' in datasets\\[1\\].*did you mean 'sigma'"
printf 'return {\n  methods = { "pq" },\n  ratios = { 4, 8 \n  seeds = 2,\n}\n' > syntax.lua
expect syntax.lua "syntax.lua:4:"
printf 'return {\n  methods = { "pqq" },\n  ratios = { 4 },\n}\n' > method.lua
expect method.lua "method.lua:2: unknown method 'pqq'.*did you mean 'pq'"
printf 'return {\n  methods = { "pq" },\n  ratios = { 4 },\n  seeds = "many",\n}\n' > type.lua
expect type.lua "type.lua:4: 'seeds' must be an integer"
printf 'local x = nil\nreturn {\n  methods = { "pq" },\n  ratios = { x.y },\n}\n' > runtime.lua
expect runtime.lua "runtime.lua:4:"
echo "config errors: 6 broken files, each named with file:line"
