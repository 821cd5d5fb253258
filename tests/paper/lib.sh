# lib.sh - shared by the paper-suite scripts: the binary, a scratch directory, and a results
# comparison that ignores only the timing columns (wall-clock times differ between runs).
set -eu
QB=$(realpath "$1")
SRC=$(realpath "$2")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# The rows of a results.csv without the timing columns, sorted.
strip_timing() {
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^(seconds_[a-z]+|qtr|dtr)$/) drop[i] = 1 }
             { line = ""; for (i = 1; i <= NF; i++) if (!(i in drop)) line = line $i ","; print line }' "$1" | sort
}
