# lib.sh - shared by scripts/reproduce, scripts/test and scripts/bench: install the Debian packages
# the build needs (only those missing), then configure and compile the release build in build/.
set -eu

QB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
QB_PACKAGES="gcc libc6-dev pkg-config meson ninja-build libhdf5-dev libgsl-dev libopenblas-dev
liblapacke-dev liblua5.4-dev zlib1g-dev gnuplot-nox python3 clang-format ca-certificates"

qb_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Installs whatever of QB_PACKAGES (plus any extra arguments) is missing.
qb_install_packages() {
    local missing=() p
    for p in $QB_PACKAGES "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "These Debian packages are missing; as root, run:" >&2
        echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    qb_log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# qb_build DIR [meson options...]: configure (an existing tree takes the options again, so a
# tree made by an older script gets today's), then compile.
qb_build() {
    local dir=$1
    shift
    if [ ! -f "$QB_ROOT/$dir/build.ninja" ]; then
        meson setup "$QB_ROOT/$dir" "$QB_ROOT" "$@" >/dev/null
    else
        meson configure "$QB_ROOT/$dir" "$@" >/dev/null
    fi
    ninja -C "$QB_ROOT/$dir" >/dev/null
}
