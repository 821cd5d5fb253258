#!/usr/bin/env bash
# test_config_sandbox.sh - experiment files are data: sandboxed by default (a removed function is
# an error naming it at file:line), bounded in time, memory and cells before anything runs, read
# in protected mode (a raising metamethod is an error, not a Lua PANIC), names that are paths
# refused; --unsafe-config gives the full libraries back.
# usage: test_config_sandbox.sh QETBENCH
set -u
Q=$(realpath "$1")
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
fail=0
T='methods = { "rtn" }, ratios = { 4 }, datasets = { { name = "synthetic", n = 32, d = 8 } }'

# refused NAME PATTERN 'LUA SOURCE' [run options]: exit 2, one line on stderr matching PATTERN,
# no results directory, no marker file (the command the config tried did not run).
refused() {
    local name=$1 pattern=$2 src=$3
    shift 3
    printf '%s\n' "$src" >"$name.lua"
    local st=0
    timeout 60 "$Q" run "$name.lua" --out "out-$name" "$@" >/dev/null 2>err || st=$?
    if [ "$st" -ne 2 ] || [ "$(wc -l <err)" -ne 1 ] || ! grep -Eq -- "$pattern" err; then
        echo "FAIL $name: exit $st: $(cat err)"
        fail=1
    elif [ -e marker ] || [ -e "out-$name" ]; then
        echo "FAIL $name: it ran something or wrote results"
        fail=1
    else
        echo "ok   $name: $(cat err)"
    fi
    rm -f marker
}

# A metamethod that raises while the table is read: an error, not "PANIC: unprotected error".
refused index "index.lua:1: boom" 'return setmetatable({}, { __index = function() error("boom") end })'
refused len "len.lua:2: len" "return { $T,
  subspaces = setmetatable({}, { __len = function() error('len') end }) }"
refused list-index "list-index.lua:1: i" "return { $T, iterations = setmetatable({}, { __len = function() return 2 end, __index = function() error('i') end }) }"
refused error-table "error-table.lua:1: the config raised an error that is not a message \(a table value\)" 'error({})'

# Removed functions, each named with its place.
no='not available to experiment files'
refused execute "execute.lua:2: os.execute: $no" "local x = 1
os.execute('touch marker')
return { $T }"
refused popen "popen.lua:1: io.popen: $no" "io.popen('touch marker')"
refused io-open "io-open.lua:1: io.open: $no" "io.open('marker', 'w'):write('x')"
refused remove "remove.lua:1: os.remove: $no" "os.remove('index.lua')"
refused exit "exit.lua:1: os.exit: $no" 'os.exit(0)'
refused loadlib "loadlib.lua:1: package.loadlib: $no" 'package.loadlib("libc.so.6", "system")'
refused c-module "c-module.lua:1: require\('lfs'\).*C modules: $no" 'require("lfs")'
refused binary "binary.lua:1: load of a binary chunk: $no" 'load(string.dump(function() return 1 end))'
refused debug "debug.lua:1: debug.sethook: $no" 'debug.sethook()'
[ -e index.lua ] || { echo "FAIL remove: a sandboxed config removed a file"; fail=1; }

# Bounds: Lua time (also when the config catches the error, or hangs in one library call or a
# finalizer), Lua memory, and cells before anything runs.
refused loop "loop.lua:1: the config ran longer than 1.0 s" 'while true do end' --config-seconds 1
refused pcall-loop "pcall-loop.lua:1: the config ran longer than 1.0 s" \
    'while true do pcall(function() while true do end end) end' --config-seconds 1
refused pattern "pattern.lua: the config ran longer than 1 s, inside one library call" \
    'string.find(string.rep("a", 40), string.rep("a*", 40) .. "b")' --config-seconds 1
refused finalizer "finalizer.lua: the config ran longer than 1 s" \
    "setmetatable({}, { __gc = function() while true do end end }) return { $T }" --config-seconds 1
# (a generous time bound: under the sanitizers, filling 1 GiB takes long, and time is not the test)
refused memory "memory.lua: the config used more than 1024 MiB of Lua memory" \
    'local t = {} for i = 1, 4000 do t[i] = string.rep("x", 1e6) .. i end' --config-seconds 55
grid='return { methods = { "rtn", "pq" }, ratios = { 4, 8 }, seeds = 3, subspaces = { 2, 4 },
  datasets = { { name = "synthetic", n = 32, d = 8 } } }'
refused cells "cells.lua:1: the experiment has 18 cells, more than the bound of 10 \(qetbench run --max-cells N" "$grid" --max-cells 10

# Names that are paths, and values that cannot give data.
refused name-dotdot "name-dotdot.lua:1: 'name' = \"..\" names a directory" "return { name = '..', $T }"
refused label-dot "label-dot.lua:1: 'label' = \".\" names a directory" 'return { ratios = { 4 }, methods = { { method = "rtn", label = "." } } }'
refused sigma "sigma.lua:1: datasets\[1\]: sigma must be positive" 'return { methods = { "rtn" }, ratios = { 4 }, datasets = { { name = "gaussian", n = 32, d = 8, sigma = -1 } } }'
refused seed "seed.lua:1: qet.dataset: 'seed' must be a non-negative integer" 'local x = qet.dataset { name = "synthetic", n = 8, d = 4, seed = "abc" }'

# What configs may still do: compose other configs and Lua modules (text, sandboxed too), use
# require("qet"), os.time and pcall; a grid under a raised bound runs.
printf 'return { %s }\n' "$T" >base.lua
printf 'return { ratios = { 4, 8 } }\n' >ratios.lua
cat >compose.lua <<'LUA'
local c = dofile("base.lua")
c.ratios = require("ratios").ratios
c.seed = os.time() > 0 and 3 or 4
assert(require("qet") == qet and pcall(error, "caught") == false)
return c
LUA
"$Q" run compose.lua --out out-compose 2>err || { echo "FAIL compose: $(cat err)"; fail=1; }
[ "$(($(wc -l <out-compose/results.csv) - 1))" -eq 2 ] || { echo "FAIL compose: not 2 rows"; fail=1; }
printf '%s\n' "$grid" >cells.lua
"$Q" run cells.lua --out out-cells --max-cells 18 2>err || { echo "FAIL cells at the bound: $(cat err)"; fail=1; }
# --unsafe-config: the full libraries, for a config one trusts.
printf 'os.execute("touch marker")\nreturn { %s }\n' "$T" >unsafe.lua
"$Q" run unsafe.lua --out out-unsafe --unsafe-config 2>err || { echo "FAIL unsafe: $(cat err)"; fail=1; }
[ -e marker ] || { echo "FAIL --unsafe-config did not give os.execute back"; fail=1; }

[ "$fail" -eq 0 ] && echo "config sandbox: every door closed, each bound holds, --unsafe-config opens them"
exit $fail
