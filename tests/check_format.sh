#!/usr/bin/env bash
# check_format.sh ROOT - every C file of the repository is laid out as .clang-format says (the
# Debian 12 clang-format, which scripts/test installs). Reformat with:
#   clang-format -i $(git ls-files '*.c' '*.h')
set -eu
cd "$1"
command -v clang-format >/dev/null || { echo "FAIL: clang-format is not installed" >&2; exit 1; }
mapfile -t files < <(find src baselines datasets tests -name '*.[ch]' | sort)
[ ${#files[@]} -gt 50 ] || { echo "FAIL: only ${#files[@]} C files found under $1" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! clang-format --dry-run --Werror "${files[@]}" 2>"$log"; then
    grep -o '^[^:]*:[0-9]*' "$log" | sort -u | head -20 >&2
    echo "FAIL: files above differ from .clang-format" >&2
    exit 1
fi
echo "format: ${#files[@]} files as .clang-format says"
