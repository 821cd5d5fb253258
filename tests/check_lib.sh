# check_lib.sh - sourced by the command-line tests (test_data_cli.sh, test_model_cli.sh,
# test_model_safetensors.sh): a scratch directory $T removed at exit, and the checks they count.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0 count=0
check() { # DESCRIPTION COMMAND...: runs one check, counts it, names it if it fails
    local what=$1
    shift
    count=$((count + 1))
    if ! "$@"; then
        echo "FAILED: $what" >&2
        fail=$((fail + 1))
    fi
}
# expect_bad COMMAND...: exit 2, exactly one line on stderr, nothing on stdout.
expect_bad() {
    "$@" >"$T/out" 2>"$T/err"
    local s=$?
    [ $s -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ] && [ ! -s "$T/out" ]
}
# says TEXT: the last expect_bad's stderr holds TEXT (shown when it does not).
says() { grep -q -- "$1" "$T/err" || { cat "$T/err" >&2; return 1; }; }
# JSON on stdin without its timing fields, which differ between runs.
strip_timings() { sed 's/"seconds_[a-z]*":[^,]*,//g'; }
