#!/usr/bin/env bash
# test_report_chromium.sh QETBENCH MAKE_RESULTS - the report page of a small sweep, opened in headless
# Chromium from the file: it loads with no console message (a blocked request, a script error or a
# content-policy violation all print one), every figure is in the rendered page, and a screenshot
# is not blank. Skipped, saying so, where Chromium is not installed (scripts/test installs it).
set -eu
QB=$(realpath "$1")
MAKE=$(realpath "$2")
BROWSER=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$BROWSER" ]; then
    echo "SKIP: chromium is not installed (apt-get install chromium; scripts/test does it)"
    exit 77
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
bash "$MAKE" "$QB" "$TMP/res"
page="file://$TMP/res/report.html"
# Flags for a closed machine: no background connections, a fresh profile, no sandbox as root.
browse() {
    timeout 120 "$BROWSER" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-default-apps --host-resolver-rules='MAP * ~NOTFOUND' \
        --user-data-dir="$TMP/profile-$1" --enable-logging=stderr --v=0 "${@:2}" "$page"
}
browse dom --dump-dom >"$TMP/dom.html" 2>"$TMP/dom.log" || fail "chromium could not render the page"
browse shot --window-size=1200,2000 --screenshot="$TMP/shot.png" >/dev/null 2>"$TMP/shot.log" ||
    fail "chromium could not take a screenshot"
if grep -h 'CONSOLE' "$TMP/dom.log" "$TMP/shot.log" >"$TMP/console.txt"; then
    cat "$TMP/console.txt" >&2
    fail "the page printed console messages"
fi
svgs=$(find "$TMP/res/figures" -name '*.svg' | wc -l)
rendered=$(grep -o '<figure ' "$TMP/dom.html" | wc -l)
[ "$svgs" -gt 20 ] || fail "the sweep drew only $svgs figures"
[ "$rendered" -eq "$svgs" ] || fail "$rendered figures rendered, $svgs SVG files"
grep -q 'id="verdicts"' "$TMP/dom.html" || fail "no verdicts in the rendered page"
python3 - "$TMP/shot.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat, width, height, depth, ctype = 8, b'', 0, 0, 0, 0
while pos < len(data):
    n, kind = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b'IHDR':
        width, height, depth, ctype = struct.unpack('>IIBB', body[:10])
    elif kind == b'IDAT':
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
assert depth == 8 and ctype in (2, 6), 'unexpected PNG format %d/%d' % (depth, ctype)
bpp = 3 if ctype == 2 else 4
stride = width * bpp
prev = bytearray(stride)
ink = 0
for y in range(height):  # undo the PNG row filters, then count pixels that are not near white
    f = raw[y * (stride + 1)]
    row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for x in range(stride):
        a = row[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1:
            row[x] = (row[x] + a) & 255
        elif f == 2:
            row[x] = (row[x] + b) & 255
        elif f == 3:
            row[x] = (row[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[x] = (row[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    if y % 4 == 0:
        ink += sum(1 for x in range(0, stride, bpp) if min(row[x:x + 3]) < 200)
    prev = row
print('screenshot %dx%d: %d inked pixels in every fourth row' % (width, height, ink))
if width < 800 or height < 800 or ink < 2000:
    sys.exit('the screenshot is blank')
PY
echo "report in chromium: $rendered figures rendered, no console message, screenshot not blank"
